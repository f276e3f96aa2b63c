/* fsv_path.c - a path of the tree to its node, resolved the way the
 * kernel resolves one on the mount: name by name from the root, "." and
 * ".." on the directories actually walked, symlinks in the middle (and at
 * the end when asked) spliced in, at most FSV_MAX_LINKS of them. The CLI
 * serves the mount's tree with it (main_tree.c). */
#include "fsv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The path still to walk, in buf[pos..len): a link's target is copied in
 * front of what follows it. */
struct walk {
	char buf[2 * PATH_MAX];
	size_t pos, len;
};

/* Puts target (then "/" and the rest) in place of the walked part. */
static int put_link(struct walk *w, const char *target)
{
	size_t t = strlen(target), rest = w->len - w->pos;
	if (t + 1 + rest >= sizeof w->buf)
		return -ENAMETOOLONG;
	memmove(w->buf + t + 1, w->buf + w->pos, rest);
	memcpy(w->buf, target, t);
	w->buf[t] = '/';
	w->pos = 0;
	w->len = t + 1 + rest;
	return 0;
}

int fsv_resolve(struct fsv *v, const char *path, bool follow, struct stat *st)
{
	struct walk *w = malloc(sizeof *w);
	/* the directories from the root down to where the walk is: ".." pops
	 * one; a path of PATH_MAX bytes has at most PATH_MAX / 2 names */
	uint64_t *dirs = malloc((PATH_MAX / 2 + 2) * sizeof *dirs);
	int r = 0, links = 0;
	size_t depth = 0;
	if (!w || !dirs) {
		r = -ENOMEM;
		goto out;
	}
	size_t plen = strlen(path);
	if (plen >= PATH_MAX) {
		r = -ENAMETOOLONG;
		goto out;
	}
	memcpy(w->buf, path, plen);
	w->pos = 0;
	w->len = plen;
	/* "x/" names a directory: x is followed, like the kernel does */
	bool must_dir = plen > 0 && path[plen - 1] == '/';
	dirs[0] = FSV_ROOT_INO;
	if ((r = fsv_getattr(v, FSV_ROOT_INO, st)) != 0)
		goto out;
	for (;;) {
		while (w->pos < w->len && w->buf[w->pos] == '/')
			w->pos++;
		if (w->pos == w->len)
			break;
		size_t s = w->pos;
		while (w->pos < w->len && w->buf[w->pos] != '/')
			w->pos++;
		size_t n = w->pos - s;
		bool last = true;
		for (size_t k = w->pos; k < w->len; k++)
			if (w->buf[k] != '/')
				last = false;
		if (!S_ISDIR(st->st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
		if (n > FSV_NAME_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		char name[FSV_NAME_MAX + 1];
		memcpy(name, w->buf + s, n);
		name[n] = '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth > 0)
				depth--;
			if ((r = fsv_getattr(v, dirs[depth], st)) != 0)
				goto out;
			continue;
		}
		if ((r = fsv_lookup(v, dirs[depth], name, st)) != 0)
			goto out;
		if (S_ISLNK(st->st_mode) && (!last || follow || must_dir)) {
			char target[PATH_MAX];
			if (++links > FSV_MAX_LINKS) {
				r = -ELOOP;
				goto out;
			}
			if ((r = fsv_readlink(v, st->st_ino, target, sizeof target)) != 0 ||
			    (r = put_link(w, target)) != 0)
				goto out;
			if (target[0] == '/') /* the tree's root: it is all there is */
				depth = 0;
			if ((r = fsv_getattr(v, dirs[depth], st)) != 0)
				goto out;
			continue;
		}
		if (S_ISDIR(st->st_mode)) {
			if (depth + 1 >= PATH_MAX / 2 + 2) {
				r = -ENAMETOOLONG;
				goto out;
			}
			dirs[++depth] = st->st_ino;
		}
	}
	if (must_dir && !S_ISDIR(st->st_mode))
		r = -ENOTDIR;
out:
	free(dirs);
	free(w);
	return r;
}
