/* fsv_insp.c - inspections/: one <name>.tsv per inspection of insp.h, the
 * same text as `clrheap inspect DUMP NAME`. Inode: shape FK_INSP_FIRST,
 * payload the inspection. The inspections share the mount's graph and run
 * one at a time. */
#include "fsv_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insp.h"

struct fsvw {
	pthread_mutex_t lock; /* held while an inspection runs */
	struct insp *x;
};

static struct fsvw *ctx(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->insp_done) {
		v->insp_done = true;
		struct fsvw *w = calloc(1, sizeof *w);
		struct ch_err err = { 0 };
		if (w && insp_open(v->h, &w->x, &err) == CH_OK) {
			pthread_mutex_init(&w->lock, NULL);
			v->insp = w;
		} else {
			free(w);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return v->insp;
}

void fsvw_close(struct fsv *v)
{
	struct fsvw *w = v->insp;
	if (!w)
		return;
	insp_close(w->x);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int fsvw_node(struct fsv *v, struct fsv_node *n)
{
	(void)v;
	return n->pl < INSP_COUNT ? 0 : -ENOENT;
}

int fsvw_lookup(struct fsv *v, const char *name, uint64_t *ino)
{
	(void)v;
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".tsv") != 0)
		return -ENOENT;
	enum insp_kind k = insp_find(name);
	if (k == INSP_COUNT)
		return -ENOENT;
	*ino = fsv_ino(FK_INSP_FIRST, k);
	return 0;
}

int fsvw_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	(void)v;
	for (uint64_t i = pos; i < INSP_COUNT; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s.tsv", insp_name((enum insp_kind)i));
		if (!fn(arg, name, fsv_ino(FK_INSP_FIRST, i), S_IFREG, i + 3))
			return 0;
	}
	return 0;
}

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

int fsvw_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	struct fsvw *w = ctx(v);
	if (!w || n->pl >= INSP_COUNT)
		return -EIO;
	/* the two that need it share the mount's graph, built before the lock */
	struct graph *g = n->pl == INSP_DUP_STRINGS || n->pl == INSP_LARGE_OBJECTS ? fsv_graph(v)
										    : NULL;
	pthread_mutex_lock(&w->lock);
	if (g)
		insp_set_graph(w->x, g);
	enum ch_status st = insp_tsv(w->x, (enum insp_kind)n->pl, 0, to_buf, b);
	pthread_mutex_unlock(&w->lock);
	return st == CH_OK ? 0 : st == CH_ENOMEM ? -ENOMEM : -EIO;
}
