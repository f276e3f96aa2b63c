/* main_walk.c - `clrheap find` and `clrheap tar`: a subtree walked depth
 * first in readdir order, as GNU find and tar walk it on the mount.
 * Symlinks are never followed (the tree has cycles through them); the
 * walk keeps its own stack, one chunk of entries per level, so a deep or
 * wide tree costs no recursion and little memory. */
#include "main_tree_priv.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tarw.h"

#define MAX_LEVELS 4096

struct frame {
	uint64_t ino;
	size_t plen;   /* length of this directory's path */
	long depth;
	struct chunk c;
};

/* Told of each node: its path, inode, file type and depth (0: PATH). */
typedef int (*visit_fn)(struct tree *t, const char *path, uint64_t ino, mode_t mode, long depth);

/* Appends "/name" to path (just name after a "/", as find prints it). */
static bool join(char *path, size_t *len, const char *name)
{
	size_t n = strlen(name), l = *len;
	bool slash = l > 0 && path[l - 1] != '/';
	if (l + slash + n + 1 > MAX_WALK_PATH)
		return false;
	if (slash)
		path[l++] = '/';
	memcpy(path + l, name, n + 1);
	*len = l + n;
	return true;
}

/* Walks start (not followed when a symlink, unless it ends in "/"). */
static void walk(struct tree *t, const char *start, visit_fn visit)
{
	struct stat st;
	int r = fsv_resolve(t->v, start, false, &st);
	if (r) {
		main_tree_path_error(t, start, r);
		return;
	}
	size_t len = strlen(start);
	char *path = malloc(MAX_WALK_PATH);
	struct frame *stack = NULL;
	size_t sp = 0, cap = 0;
	if (!path || len >= MAX_WALK_PATH) {
		main_tree_path_error(t, start, path ? -ENAMETOOLONG : -ENOMEM);
		free(path);
		return;
	}
	memcpy(path, start, len + 1);
	if (visit(t, path, st.st_ino, st.st_mode & S_IFMT, 0) != 0)
		goto out;
	uint64_t ino = st.st_ino;
	mode_t mode = st.st_mode & S_IFMT;
	long depth = 0;
	for (;;) {
		/* descend into the node just visited */
		if (S_ISDIR(mode) && (t->maxdepth < 0 || depth < t->maxdepth)) {
			if (sp == MAX_LEVELS) {
				main_tree_path_error(t, path, -ENAMETOOLONG);
			} else {
				if (sp == cap) {
					size_t ncap = cap ? 2 * cap : 8;
					struct frame *ns = realloc(stack, ncap * sizeof *ns);
					if (!ns) {
						main_tree_path_error(t, path, -ENOMEM);
						goto out;
					}
					stack = ns;
					cap = ncap;
				}
				struct frame *f = &stack[sp++];
				f->ino = ino;
				f->plen = len;
				f->depth = depth;
				memset(&f->c, 0, sizeof f->c);
			}
		}
		/* the next entry of the deepest directory not done yet */
		struct frame *f = NULL;
		while (sp > 0) {
			f = &stack[sp - 1];
			if (f->c.i < f->c.n)
				break;
			if (!f->c.end) {
				path[f->plen] = '\0';
				if ((r = main_tree_chunk(t, f->ino, &f->c)) != 0)
					main_tree_path_error(t, path, r);
				continue;
			}
			sp--;
			f = NULL;
		}
		if (!f)
			break;
		struct ent *e = &f->c.e[f->c.i++];
		len = f->plen;
		path[len] = '\0';
		if (!join(path, &len, e->name)) {
			main_tree_path_error(t, path, -ENAMETOOLONG);
			mode = 0;
			continue;
		}
		ino = e->ino;
		mode = e->mode;
		depth = f->depth + 1;
		if (visit(t, path, ino, mode, depth) != 0)
			break;
	}
out:
	free(stack);
	free(path);
}

/* ---- find ---- */

static int find_visit(struct tree *t, const char *path, uint64_t ino, mode_t mode, long depth)
{
	(void)ino;
	if (depth < t->mindepth)
		return 0;
	if (t->type && !(t->type == 'f' ? S_ISREG(mode) : t->type == 'd' ? S_ISDIR(mode) : S_ISLNK(mode)))
		return 0;
	if (t->name) {
		/* the base name; find's -name ignores trailing slashes */
		char base[FSV_NAME_MAX + 1];
		size_t l = strlen(path);
		while (l > 1 && path[l - 1] == '/')
			l--;
		size_t b = l;
		while (b > 0 && path[b - 1] != '/')
			b--;
		snprintf(base, sizeof base, "%.*s", (int)(l - b), path + b);
		if (fnmatch(t->name, base, 0) != 0)
			return 0;
	}
	fputs(path, stdout);
	putchar(t->print0 ? '\0' : '\n');
	return ferror(stdout) ? -EPIPE : 0;
}

int main_tree_find(struct tree *t)
{
	for (int i = 0; i < t->npaths && !ferror(stdout); i++)
		walk(t, t->paths[i], find_visit);
	return t->rc;
}

/* ---- tar ---- */

static FILE *spool; /* one temporary file: each file's bytes before its header */

static int emit(const struct tarw_entry *e)
{
	size_t len;
	char *h = tarw_header(e, &len);
	if (!h)
		return -ENOMEM;
	size_t w = fwrite(h, 1, len, stdout);
	free(h);
	return w == len ? 0 : -EPIPE;
}

static int tar_visit(struct tree *t, const char *path, uint64_t ino, mode_t mode, long depth)
{
	(void)depth;
	struct stat st;
	int r = fsv_getattr(t->v, ino, &st);
	if (r) {
		main_tree_path_error(t, path, r);
		return 0;
	}
	/* member names as tar writes them: no leading "/" */
	while (path[0] == '/' && path[1])
		path++;
	if (strcmp(path, "/") == 0)
		path = ".";
	char *name = malloc(strlen(path) + 2);
	if (!name)
		return -ENOMEM;
	strcpy(name, path);
	struct tarw_entry e = { name, NULL, '0', st.st_mode & 07777, st.st_uid, st.st_gid, 0,
				st.st_mtime };
	char target[PATH_MAX];
	if (S_ISDIR(mode)) {
		if (name[strlen(name) - 1] != '/')
			strcat(name, "/");
		e.type = '5';
		r = emit(&e);
	} else if (S_ISLNK(mode)) {
		if ((r = fsv_readlink(t->v, ino, target, sizeof target)) == 0) {
			e.type = '2';
			e.link = target;
			r = emit(&e);
		} else {
			main_tree_path_error(t, path, r);
			r = 0;
		}
	} else {
		/* the size is known only once read: streamed files have none */
		uint64_t n = 0;
		rewind(spool);
		if (ftruncate(fileno(spool), 0) != 0 ||
		    (r = main_tree_copy(t, ino, spool, &n)) != 0 || fflush(spool) != 0) {
			main_tree_path_error(t, path, r ? r : -EIO);
			free(name);
			return r == -EPIPE ? r : 0; /* EPIPE here: the spool's disk is full */
		}
		e.size = n;
		rewind(spool);
		r = emit(&e);
		char buf[1 << 16];
		while (r == 0 && n > 0) {
			size_t k = fread(buf, 1, n < sizeof buf ? (size_t)n : sizeof buf, spool);
			if (k == 0 || fwrite(buf, 1, k, stdout) != k)
				r = -EPIPE;
			n -= k;
		}
		static const char zero[TARW_BLOCK];
		size_t pad = tarw_pad(e.size);
		if (r == 0 && fwrite(zero, 1, pad, stdout) != pad)
			r = -EPIPE;
	}
	free(name);
	return r;
}

int main_tree_tar(struct tree *t)
{
	if (isatty(STDOUT_FILENO)) {
		fputs("clrheap: tar: not writing an archive to a terminal (redirect it: > out.tar)\n", stderr);
		return 2;
	}
	if (!(spool = tmpfile())) {
		fprintf(stderr, "clrheap: tar: a temporary file: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < t->npaths && !ferror(stdout); i++)
		walk(t, t->paths[i], tar_visit);
	static const char end[2 * TARW_BLOCK];
	if (fwrite(end, 1, sizeof end, stdout) != sizeof end)
		t->rc = 1;
	fclose(spool);
	spool = NULL;
	return t->rc;
}
