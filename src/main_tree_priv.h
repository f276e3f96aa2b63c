/* main_tree_priv.h - what main_tree.c (the commands) and main_walk.c
 * (find and tar) share. */
#ifndef CLRHEAP_MAIN_TREE_PRIV_H
#define CLRHEAP_MAIN_TREE_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fsv.h"
#include "main_tree.h"

#define MAX_SEARCH 16
#define CHUNK 64                   /* entries read per readdir call */
#define MAX_WALK_PATH (1u << 16)   /* bytes of a path find/tar print */
#define IOBUF (1u << 17)

struct tree {
	const char *cmd;
	const char *dump_path;
	char real[PATH_MAX];
	const char **paths;        /* argc of them at most */
	int npaths;
	const char *search[MAX_SEARCH];
	int nsearch;
	struct fsv_opts fo;
	bool longfmt, unsorted, dir_itself, print0;
	const char *name;          /* find -name */
	char type;                 /* find -type: 'f', 'd', 'l' or 0 */
	long mindepth, maxdepth;   /* find; maxdepth -1: none */
	int rc;                    /* 1 once some path failed */
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct fsv *v;
	struct ch_err err;
};

struct ent {
	char name[FSV_NAME_MAX + 1];
	uint64_t ino;
	mode_t mode;
};

/* A chunk of a directory's entries, and where the next chunk starts. */
struct chunk {
	struct ent e[CHUNK];
	size_t n, i;
	uint64_t next;
	bool end;
};

/* A path that failed: one line like coreutils' ("clrheap: CMD: PATH:
 * reason"), and exit status 1 at the end. */
void main_tree_path_error(struct tree *t, const char *path, int neg_errno);

/* Copies file ino to out, to its end (streamed files too); *copied (may
 * be NULL) gets the byte count. 0 or -errno; -EPIPE when writing failed. */
int main_tree_copy(struct tree *t, uint64_t ino, FILE *out, uint64_t *copied);

/* Reads the next chunk of directory ino into c, from c->next (0 at first);
 * c->end is set once nothing is left. 0 or -errno. */
int main_tree_chunk(struct tree *t, uint64_t ino, struct chunk *c);

/* find and tar (main_walk.c): exit status 0 or 1. */
int main_tree_find(struct tree *t);
int main_tree_tar(struct tree *t);

#endif
