/* fsv_diff.c - with -o baseline=A.dmp: /diff.tsv, what each type gained or
 * lost from the baseline to this dump (the text of `clrheap diff A B`),
 * types/<Type>/diff.json, that type's row, and diff/paths.tsv, the root
 * paths that gained the most (`clrheap diff --paths A B`). Inodes:
 * FK_DIFF_TSV, FK_DIFF_DIR, FK_DIFF_PATHS in shape 0; FK_TYPE_DIFF with the
 * type's index. The diff is made once, on first use, with both graphs (the
 * mount's own and the baseline's, built then), and read under a lock. */
#include "fsv_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "insp.h"

struct fsvd {
	pthread_mutex_t lock; /* held while the diff is made or read */
	struct insp_diff *d;
	bool graphs_done;
	struct graph *base;   /* the baseline's graph */
};

bool fsvd_on(const struct fsv *v)
{
	return v->o.baseline != NULL;
}

static struct fsvd *ctx(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->diff_done && v->o.baseline) {
		v->diff_done = true;
		struct fsvd *w = calloc(1, sizeof *w);
		struct ch_err err = { 0 };
		if (w && insp_diff_open(v->o.baseline, v->h, &w->d, &err) == CH_OK) {
			pthread_mutex_init(&w->lock, NULL);
			v->diff = w;
		} else {
			free(w);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return v->diff;
}

void fsvd_close(struct fsv *v)
{
	struct fsvd *w = v->diff;
	if (!w)
		return;
	insp_diff_close(w->d);
	graph_close(w->base);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

int fsvd_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	struct fsvd *w = ctx(v);
	if (!w)
		return -EIO;
	if (n->kind == FK_TYPE_DIFF && (!n->te || !n->te->t || !n->te->t->name))
		return -EIO;
	pthread_mutex_lock(&w->lock);
	if (!w->graphs_done) { /* before the rows are made: they carry retained bytes */
		w->graphs_done = true;
		struct graph *g = fsv_graph(v);
		struct graph_opts o = { 0 };
		struct ch_err err = { 0 };
		double t0 = fsv_now();
		if (g && graph_build(v->o.baseline, &o, &w->base, &err) == CH_OK) {
			fsv_log_slow(v, t0, "built the baseline's object graph");
			insp_diff_graphs(w->d, w->base, g);
		} else if (g) {
			fsv_log(v, "no object graph of the baseline (diff's retained bytes, "
				"diff/paths.tsv): %s", err.msg);
		}
	}
	enum ch_status st = n->kind == FK_DIFF_TSV ? insp_diff_tsv(w->d, to_buf, b)
		: n->kind == FK_DIFF_PATHS ? insp_diff_paths(w->d, false, to_buf, b)
		: insp_diff_type_json(w->d, n->te->t->name, to_buf, b);
	pthread_mutex_unlock(&w->lock);
	return st == CH_OK ? 0 : st == CH_ENOMEM ? -ENOMEM : -EIO;
}

int fsvd_lookup(struct fsv *v, const char *name, uint64_t *ino)
{
	(void)v;
	if (strcmp(name, "paths.tsv") != 0)
		return -ENOENT;
	*ino = fsv_ino(0, FK_DIFF_PATHS);
	return 0;
}

int fsvd_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	(void)v;
	if (pos == 0)
		fn(arg, "paths.tsv", fsv_ino(0, FK_DIFF_PATHS), S_IFREG, 3);
	return 0;
}
