/* fuzz_fsv.c - the view's path lookup and file contents over a real
 * fixture dump ($CLRHEAP_FUZZ_DUMP, else $BUILD/dumps/visits.heap.dmp),
 * opened once. An input is a path: components separated by '/', looked up
 * one by one from the root as the kernel would (names with any bytes, "..",
 * long ones; symlinks followed), except components starting with a
 * control byte:
 *
 *   \x01 K [K2]  take the K-th entry of the directory (readdir) and go in
 *                (a symlink is not followed)
 *   \x02 [O]     getattr, then read up to 64 KB of the file at O * 512
 *   \x03         readlink
 *   \x04         list the whole directory with attributes (readdirplus)
 *   \x05         follow the symlink here, resolving its relative target
 *
 * Nothing may crash, hang or leak; a path that is not in the tree is
 * ENOENT, and no path leaves it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fsv.h"
#include "fuzz.h"
#include "heap.h"

#define MAX_DEPTH 64
#define MAX_LIST 20000 /* entries listed per readdir */

static struct {
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct fsv *v;
	bool verbose; /* $CLRHEAP_FUZZ_VERBOSE: where each input got to */
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	char path[4096];
	fuzz_dump_path("visits.heap.dmp", path, sizeof path);
	struct ch_err err = { 0 };
	struct fsv_opts o;
	fz.verbose = getenv("CLRHEAP_FUZZ_VERBOSE") != NULL;
	fsv_opts_init(&o);
	o.dump_path = path;
	if (dump_open(path, &fz.d, &err) != CH_OK || as_open(fz.d, &fz.a, &err) != CH_OK ||
	    clr_open(fz.a, &fz.c, &err) != CH_OK || heap_open(fz.c, &fz.h, &err) != CH_OK ||
	    fsv_open(fz.h, &o, &fz.v, &err) != CH_OK) {
		fprintf(stderr, "fuzz_fsv: %s\n", err.msg);
		exit(1);
	}
	return 0;
}

struct pick {
	size_t want, seen;
	char name[FSV_NAME_MAX + 1];
	bool found;
};

static bool pick_fill(void *arg, const char *name, uint64_t ino, mode_t mode,
		      const struct stat *st, uint64_t next)
{
	(void)ino; (void)mode; (void)st; (void)next;
	struct pick *p = arg;
	fuzz_sink += strlen(name);
	if (p->seen++ == p->want || p->seen >= MAX_LIST) {
		snprintf(p->name, sizeof p->name, "%s", name);
		p->found = true;
		return false;
	}
	snprintf(p->name, sizeof p->name, "%s", name); /* the last one seen */
	return true;
}

struct list {
	size_t n;
	uint64_t next;
};

static bool list_fill(void *arg, const char *name, uint64_t ino, mode_t mode,
		      const struct stat *st, uint64_t next)
{
	(void)ino; (void)mode;
	struct list *l = arg;
	fuzz_sink += strlen(name) + (st ? (size_t)st->st_size : 0);
	l->next = next;
	return ++l->n < MAX_LIST;
}

static void read_file(uint64_t ino, uint64_t off)
{
	struct fsv_file *f;
	bool stream;
	if (fsv_open_file(fz.v, ino, &f, &stream) != 0)
		return;
	static char buf[64 << 10];
	ssize_t k = fsv_read(fz.v, f, buf, sizeof buf, off);
	if (k > 0)
		fuzz_sink += (size_t)buf[k - 1];
	fsv_release(fz.v, f);
}

/* Walks the components of path[0..n) (a symlink target, '/'-separated)
 * from the directory stack; returns the new depth. */
static size_t walk_link(uint64_t *stack, size_t depth, const char *t)
{
	char comp[FSV_NAME_MAX + 1];
	while (*t) {
		size_t k = strcspn(t, "/");
		if (k && k <= FSV_NAME_MAX) {
			memcpy(comp, t, k);
			comp[k] = '\0';
			struct stat st;
			if (strcmp(comp, "..") == 0) {
				if (depth > 1)
					depth--;
			} else if (strcmp(comp, ".") != 0) {
				if (fsv_lookup(fz.v, stack[depth - 1], comp, &st) != 0 ||
				    depth == MAX_DEPTH)
					return depth;
				stack[depth++] = st.st_ino;
			}
		}
		t += k + (t[k] == '/');
	}
	return depth;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.v)
		LLVMFuzzerInitialize(NULL, NULL);
	uint64_t stack[MAX_DEPTH] = { FSV_ROOT_INO };
	size_t depth = 1;
	char *name = malloc(size + 1);
	if (!name)
		return 0;
	for (size_t i = 0; i < size;) {
		size_t k = 0;
		while (i + k < size && data[i + k] != '/')
			k++;
		memcpy(name, data + i, k);
		name[k] = '\0';
		i += k + 1;
		if (k == 0)
			continue;
		uint64_t cur = stack[depth - 1];
		struct stat st;
		char link[4096];
		switch (name[0]) {
		case 1: {
			struct pick p = { .want = (uint8_t)name[1] |
					  (k > 2 ? (size_t)(uint8_t)name[2] << 8 : 0) };
			fsv_readdir(fz.v, cur, 0, (uint8_t)name[1] & 1, pick_fill, &p);
			if (p.name[0] && fsv_lookup(fz.v, cur, p.name, &st) == 0 && depth < MAX_DEPTH)
				stack[depth++] = st.st_ino;
			break;
		}
		case 2:
			if (fsv_getattr(fz.v, cur, &st) == 0 && S_ISREG(st.st_mode))
				read_file(cur, k > 1 ? (uint64_t)(uint8_t)name[1] * 512 : 0);
			break;
		case 3:
			fsv_readlink(fz.v, cur, link, sizeof link);
			break;
		case 4: {
			struct list l = { 0 };
			if (fsv_readdir(fz.v, cur, 0, true, list_fill, &l) == 0 && l.n == MAX_LIST)
				fsv_readdir(fz.v, cur, l.next, false, list_fill, &l);
			break;
		}
		case 5:
			if (depth > 1 && fsv_readlink(fz.v, cur, link, sizeof link) == 0)
				depth = walk_link(stack, depth - 1, link);
			break;
		default: /* a name: symlinks on the way are followed, as by cd */
			if (fsv_lookup(fz.v, cur, name, &st) == 0 && depth < MAX_DEPTH) {
				if (S_ISLNK(st.st_mode) &&
				    fsv_readlink(fz.v, st.st_ino, link, sizeof link) == 0)
					depth = walk_link(stack, depth, link);
				else
					stack[depth++] = st.st_ino;
			}
		}
		fsv_getattr(fz.v, stack[depth - 1], &st);
	}
	if (fz.verbose) {
		struct stat st;
		int rc = fsv_getattr(fz.v, stack[depth - 1], &st);
		printf("  depth %zu, inode 0x%llx, getattr %d, mode %o, size %lld\n", depth,
		       (unsigned long long)stack[depth - 1], rc, (unsigned)st.st_mode,
		       (long long)st.st_size);
	}
	free(name);
	return 0;
}
