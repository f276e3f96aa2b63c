/* fsv_async.c - async/: chains.txt (the continuation chains of the async
 * state machines, as !dumpasync --coalesce) and boxes.tsv (every box), from
 * asy.h, found once on first use. */
#include "fsv_priv.h"

#include <errno.h>
#include <string.h>

#include "asy.h"

static const struct { const char *name; enum fsv_kind kind; } async_ents[] = {
	{ "chains.txt", FK_ASYNC_CHAINS }, { "boxes.tsv", FK_ASYNC_BOXES },
};
#define NASYNC (sizeof async_ents / sizeof async_ents[0])

static struct asy_list *boxes(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->asy_done) {
		struct ch_err err = { 0 };
		v->asy_done = true;
		if (asy_open(v->h, &v->asy, &err) != CH_OK)
			v->asy = NULL;
	}
	pthread_mutex_unlock(&v->lock);
	return v->asy;
}

void fsva_close(struct fsv *v)
{
	asy_close(v->asy);
}

int fsva_lookup(struct fsv *v, const char *name, uint64_t *ino)
{
	(void)v;
	for (size_t i = 0; i < NASYNC; i++)
		if (strcmp(async_ents[i].name, name) == 0) {
			*ino = fsv_ino(0, async_ents[i].kind);
			return 0;
		}
	return -ENOENT;
}

int fsva_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	(void)v;
	for (uint64_t i = pos; i < NASYNC; i++)
		if (!fn(arg, async_ents[i].name, fsv_ino(0, async_ents[i].kind), S_IFREG, i + 3))
			return 0;
	return 0;
}

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

int fsva_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	struct asy_list *l = boxes(v);
	if (!l)
		return -EIO;
	if (n->kind == FK_ASYNC_CHAINS)
		asy_chains_text(l, to_buf, b);
	else
		asy_boxes_tsv(l, to_buf, b);
	return 0;
}
