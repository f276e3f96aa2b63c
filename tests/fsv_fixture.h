/* fsv_fixture.h - the view over a real fixture dump, driven through the
 * node API the way the kernel would: paths walked name by name (following
 * symlinks where asked), files read in chunks, directories listed a few
 * entries per call. For test_fsv.c. */
#ifndef CLRHEAP_TEST_FSV_FIXTURE_H
#define CLRHEAP_TEST_FSV_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "fsv.h"

struct vfx {
	struct fx f;
	struct fsv *v;
};

static inline void vfx_open(struct vfx *x, const char *dump, size_t cache)
{
	fx_open(&x->f, dump);
	struct fsv_opts o;
	fsv_opts_init(&o);
	if (cache)
		o.cache_bytes = cache;
	assert_int_equal(fsv_open(x->f.h, &o, &x->v, &x->f.err), CH_OK);
}

static inline void vfx_close(struct vfx *x)
{
	fsv_close(x->v);
	fx_close(&x->f);
}

/* Resolves a path from the root; returns the inode or 0 (errno in *err). */
static inline uint64_t walk(struct fsv *v, const char *path, int *err)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	uint64_t ino = FSV_ROOT_INO;
	char *save = NULL;
	for (char *p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		struct stat st;
		int r = fsv_lookup(v, ino, p, &st);
		if (r) {
			if (err)
				*err = r;
			return 0;
		}
		ino = st.st_ino;
	}
	return ino;
}

/* Like walk, but follows symlinks on the way (not at the end), as the
 * kernel does for a path. */
static inline uint64_t walk_follow(struct fsv *v, const char *path)
{
	char comp[64][256];
	size_t n = 0;
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	char *save = NULL;
	for (char *p = strtok_r(buf, "/", &save); p && n < 64; p = strtok_r(NULL, "/", &save))
		snprintf(comp[n++], sizeof comp[0], "%s", p);
	for (int hops = 0; hops < 40; hops++) {
		uint64_t ino = FSV_ROOT_INO;
		size_t i;
		for (i = 0; i < n; i++) {
			struct stat st;
			if (fsv_lookup(v, ino, comp[i], &st))
				return 0;
			ino = st.st_ino;
			if (S_ISLNK(st.st_mode) && i + 1 < n)
				break;
		}
		if (i == n)
			return ino;
		/* splice the link's target in place of comp[i] */
		char target[256], rest[64][256];
		size_t nrest = n - i - 1, k = i;
		if (fsv_readlink(v, ino, target, sizeof target))
			return 0;
		memcpy(rest, comp[i + 1], nrest * sizeof rest[0]);
		char *save2 = NULL;
		for (char *p = strtok_r(target, "/", &save2); p; p = strtok_r(NULL, "/", &save2)) {
			if (strcmp(p, "..") == 0) {
				if (k > 0)
					k--;
			} else if (k < 64) {
				snprintf(comp[k++], sizeof comp[0], "%s", p);
			}
		}
		for (size_t j = 0; j < nrest && k < 64; j++)
			memcpy(comp[k++], rest[j], sizeof rest[0]);
		n = k;
	}
	return 0;
}

/* Reads a whole file through the node API in chunks of `chunk` bytes. */
static inline char *slurp(struct fsv *v, uint64_t ino, size_t chunk, size_t *len)
{
	struct fsv_file *f;
	bool stream;
	assert_int_equal(fsv_open_file(v, ino, &f, &stream), 0);
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	char *buf = malloc(chunk);
	for (;;) {
		ssize_t k = fsv_read(v, f, buf, chunk, n);
		assert_true(k >= 0);
		if (k == 0)
			break;
		while (n + (size_t)k + 1 > cap)
			out = realloc(out, cap *= 2);
		memcpy(out + n, buf, (size_t)k);
		n += (size_t)k;
	}
	out[n] = '\0';
	free(buf);
	fsv_release(v, f);
	*len = n;
	return out;
}

struct names {
	char **v;
	size_t n;
	uint64_t *next;
	size_t limit; /* take at most this many per call */
	size_t taken;
};

static inline bool collect(void *arg, const char *name, uint64_t ino, mode_t mode,
		    const struct stat *st, uint64_t next)
{
	(void)ino;
	(void)mode;
	(void)st;
	struct names *ns = arg;
	if (ns->taken == ns->limit)
		return false;
	ns->taken++;
	ns->v = realloc(ns->v, (ns->n + 1) * sizeof *ns->v);
	ns->next = realloc(ns->next, (ns->n + 1) * sizeof *ns->next);
	ns->v[ns->n] = strdup(name);
	ns->next[ns->n++] = next;
	return true;
}

/* Lists a directory `limit` entries per call, resuming each time. */
static inline void list(struct fsv *v, uint64_t ino, size_t limit, bool plus, struct names *ns)
{
	memset(ns, 0, sizeof *ns);
	ns->limit = limit;
	uint64_t off = 0;
	for (;;) {
		size_t before = ns->n;
		ns->taken = 0;
		assert_int_equal(fsv_readdir(v, ino, off, plus, collect, ns), 0);
		if (ns->n == before)
			break;
		off = ns->next[ns->n - 1];
	}
}

static inline void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	free(ns->next);
}

static inline bool has(const struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return true;
	return false;
}

#endif
