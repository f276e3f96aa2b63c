/* fsv_graph.c - the object graph in the tree: objects/<a>/.refs/ and
 * .referrers/ (links to ../../<b>), .gcroot, .gcroot.json, .retained,
 * .dominator, and /retained.tsv. The graph is built on the first file
 * that needs it, under a lock of its own: the rest of the tree answers
 * meanwhile, and a second reader of a graph file waits for the first. */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct graph *fsv_graph(struct fsv *v)
{
	pthread_mutex_lock(&v->graph_lock);
	if (!v->graph && !v->graph_failed) {
		struct graph_opts o = { 0 };
		struct ch_err err = { 0 };
		struct graph *g;
		double t0 = fsv_now();
		if (graph_build(v->h, &o, &g, &err) == CH_OK) {
			fsv_log_slow(v, t0, "built the object graph");
			fsvr_index(v, g);
			__atomic_store_n(&v->graph, g, __ATOMIC_RELEASE);
		}
		else {
			fsv_log(v, "no object graph (gcroot, retained, diff/paths.tsv): %s", err.msg);
			v->graph_failed = true;
		}
	}
	struct graph *g = v->graph;
	pthread_mutex_unlock(&v->graph_lock);
	return g;
}

struct graph *fsv_graph_if_built(struct fsv *v)
{
	return __atomic_load_n(&v->graph, __ATOMIC_ACQUIRE);
}

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

int fsvg_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	struct graph *g = fsv_graph(v);
	if (!g)
		return -EIO;
	if (n->kind == FK_RETAINED_TSV)
		return graph_retained_tsv(g, to_buf, b) == CH_OK ? 0 : -ENOMEM;
	uint32_t i = graph_find(g, n->pl);
	if (i == GRAPH_NONE)
		return -ENOENT;
	if (n->kind == FK_OBJ_RETAINED) {
		fsv_buf_printf(b, "%" PRIu64 "\n", graph_retained(g, i));
		return 0;
	}
	return graph_gcroot(g, i, n->kind == FK_OBJ_GCROOT_JSON, to_buf, b) == CH_OK ? 0 : -ENOMEM;
}

bool fsvg_dominator(struct fsv *v, uint64_t obj, uint64_t *target, bool build)
{
	struct graph *g = build ? fsv_graph(v) : fsv_graph_if_built(v);
	uint32_t i = g ? graph_find(g, obj) : GRAPH_NONE;
	uint32_t d = i != GRAPH_NONE ? graph_idom(g, i) : GRAPH_NONE;
	if (d == GRAPH_NONE)
		return false;
	*target = graph_addr(g, d);
	return true;
}

/* The objects of dir's .refs/ (field order) or .referrers/ (address order). */
static const uint32_t *targets(struct fsv *v, const struct fsv_node *dir, struct graph **g,
			       size_t *n)
{
	*n = 0;
	if (!(*g = fsv_graph(v)))
		return NULL;
	uint32_t i = graph_find(*g, dir->pl);
	if (i == GRAPH_NONE)
		return NULL;
	return dir->kind == FK_OBJ_REFS ? graph_refs(*g, i, n) : graph_referrers(*g, i, n);
}

int fsvg_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino)
{
	uint64_t addr;
	bool canon;
	if (!fsv_parse_addr(name, v->hexw, &addr, &canon) || !canon || addr > FSV_PAYLOAD_MAX)
		return -ENOENT;
	struct graph *g;
	size_t n;
	const uint32_t *t = targets(v, dir, &g, &n);
	if (!g)
		return -EIO;
	uint32_t want = graph_find(g, addr);
	for (size_t k = 0; want != GRAPH_NONE && k < n; k++)
		if (t[k] == want) {
			*ino = fsv_ino(FK_GRAPH_LINK, addr);
			return 0;
		}
	return -ENOENT;
}

int fsvg_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg)
{
	struct graph *g;
	size_t n;
	const uint32_t *t = targets(v, dir, &g, &n);
	if (!g)
		return -EIO;
	/* a target two fields hold is listed once, where it comes first */
	bool *dup = NULL;
	if (dir->kind == FK_OBJ_REFS && n > 1) {
		uint64_t *k = malloc(n * sizeof *k);
		dup = calloc(n, sizeof *dup);
		if (!k || !dup) {
			free(k);
			free(dup);
			return -ENOMEM;
		}
		for (size_t j = 0; j < n; j++)
			k[j] = (uint64_t)t[j] << 32 | j;
		qsort(k, n, sizeof *k, fsv_u64_cmp);
		for (size_t j = 1; j < n; j++)
			if (k[j] >> 32 == k[j - 1] >> 32)
				dup[(uint32_t)k[j]] = true;
		free(k);
	}
	char name[17];
	for (uint64_t j = pos; j < n; j++) {
		if (dup && dup[j])
			continue;
		uint64_t a = graph_addr(g, t[j]);
		fsv_fmt_addr(v, a, name);
		if (!fn(arg, name, fsv_ino(FK_GRAPH_LINK, a), S_IFLNK, j + 3))
			break;
	}
	free(dup);
	return 0;
}

bool fsvg_totals(struct fsv *v, uint64_t *live, uint64_t *live_bytes, uint64_t *dead,
		 uint64_t *dead_bytes)
{
	struct graph *g = fsv_graph(v);
	if (!g)
		return false;
	uint64_t all = 0;
	size_t n = graph_count(g);
	for (size_t i = 0; i < n; i++)
		all += graph_size(g, (uint32_t)i);
	graph_live_totals(g, live, live_bytes);
	*dead = n - *live;
	*dead_bytes = all - *live_bytes;
	return true;
}

bool fsvg_type(struct fsv *v, uint64_t mt, uint64_t *live, uint64_t *live_bytes,
	       uint64_t *retained)
{
	struct graph *g = fsv_graph(v);
	const uint64_t *addrs;
	size_t n;
	struct ch_err err;
	if (!g || fsv_instances(v, mt, &addrs, &n, &err) != CH_OK)
		return false;
	*live = *live_bytes = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = graph_find(g, addrs[k]);
		if (i != GRAPH_NONE && graph_live(g, i)) {
			(*live)++;
			*live_bytes += graph_size(g, i);
		}
	}
	*retained = graph_type_retained(g, mt);
	return true;
}
