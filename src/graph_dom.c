/* graph_dom.c - root paths, the dominator tree and retained sizes.
 *
 * Root paths: one breadth-first pass from every root at once, roots in
 * the order of enum graph_root_kind, so that at equal length a path from
 * a static or a handle wins over one from a conservative stack word (the
 * queue holds every object reached from a named root before those reached
 * only from stacks, level by level).
 *
 * Dominators: SEMI-NCA (Georgiadis, after Lengauer and Tarjan) over the
 * live graph under a virtual root joined to every root object: a
 * depth-first numbering, semidominators by path-compressed evaluation in
 * reverse preorder, then each immediate dominator as the nearest common
 * ancestor of its DFS parent and its semidominator. Everything iterative
 * (a linked list of a million objects is a million deep). Retained sizes
 * sum up the tree in reverse preorder. */
#include "graph_priv.h"

#include <stdlib.h>
#include <string.h>

enum ch_status graph_paths(struct graph *g, struct ch_err *err)
{
	graph_progress(g, "root paths", 0, g->n);
	g->parent = malloc((g->n ? g->n : 1) * sizeof *g->parent);
	uint32_t *q = malloc((g->n ? g->n : 1) * sizeof *q);
	if (!g->parent || !q) {
		free(q);
		return ch_set_error(err, CH_ENOMEM, "out of memory finding root paths");
	}
	memset(g->parent, 0xff, g->n * sizeof *g->parent);
	size_t head = 0, tail = 0;
	for (size_t r = 0; r < g->nroots; r++) {
		uint32_t o = g->roots[r].obj;
		if (g->parent[o] == GRAPH_NONE) {
			g->parent[o] = GRAPH_ROOTMARK;
			q[tail++] = o;
		}
	}
	while (head < tail) {
		uint32_t v = q[head++];
		for (uint32_t e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
			uint32_t t = g->out[e];
			if (g->parent[t] == GRAPH_NONE) {
				g->parent[t] = v;
				q[tail++] = t;
			}
		}
	}
	free(q);
	g->live_objects = tail;
	for (size_t i = 0; i < g->n; i++)
		if (g->parent[i] != GRAPH_NONE)
			g->live_bytes += graph_size(g, (uint32_t)i);
	return CH_OK;
}

/* The working arrays, by preorder number (1 is the virtual root, 0 none). */
struct dom {
	uint32_t *num;    /* by object */
	uint32_t *vert;   /* object of a number; GRAPH_NONE for the root */
	uint32_t *dpar, *semi, *label, *anc, *idom;
	uint32_t *stk;    /* compression path */
};

static void compress(struct dom *d, uint32_t v)
{
	size_t n = 0;
	while (d->anc[d->anc[v]]) {
		d->stk[n++] = v;
		v = d->anc[v];
	}
	while (n) {
		uint32_t x = d->stk[--n], a = d->anc[x];
		if (d->semi[d->label[a]] < d->semi[d->label[x]])
			d->label[x] = d->label[a];
		d->anc[x] = d->anc[a];
	}
}

static uint32_t eval(struct dom *d, uint32_t v)
{
	if (!d->anc[v])
		return v;
	compress(d, v);
	return d->label[v];
}

/* Preorder numbers by an explicit-stack DFS: the root's successors are the
 * root objects, an object's its references. Returns the count N. */
static uint32_t number(const struct graph *g, struct dom *d, uint64_t *cur)
{
	uint32_t n = 1;
	d->vert[1] = GRAPH_NONE;
	d->dpar[1] = 0;
	size_t top = 0;
	uint32_t *sv = d->stk; /* numbers on the DFS stack; cur[] their edge cursors */
	sv[top] = 1;
	cur[top++] = 0;
	while (top) {
		uint32_t vn = sv[top - 1];
		uint32_t v = d->vert[vn];
		uint32_t next = GRAPH_NONE;
		if (v == GRAPH_NONE) {
			while (cur[top - 1] < g->nroots && next == GRAPH_NONE) {
				uint32_t o = g->roots[cur[top - 1]++].obj;
				if (!d->num[o])
					next = o;
			}
		} else {
			uint64_t end = g->out_off[v + 1];
			if (!cur[top - 1])
				cur[top - 1] = g->out_off[v] + 1; /* stored +1: 0 means unstarted */
			while (cur[top - 1] - 1 < end && next == GRAPH_NONE) {
				uint32_t o = g->out[cur[top - 1]++ - 1];
				if (!d->num[o])
					next = o;
			}
		}
		if (next == GRAPH_NONE) {
			top--;
			continue;
		}
		d->num[next] = ++n;
		d->vert[n] = next;
		d->dpar[n] = vn;
		sv[top] = n;
		cur[top++] = 0;
	}
	return n;
}

static size_t type_index(const struct graph *g, uint64_t mt)
{
	size_t lo = 0, hi = g->ndesc;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->desc[mid].mt < mt)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ndesc && g->desc[lo].mt == mt ? lo : SIZE_MAX;
}

/* A type's retained size: its instances' dominator subtrees, less those
 * of instances below another instance of it (counted there already). One
 * walk of the dominator tree keeps, per type, how many of its instances
 * are on the way down. */
static bool type_retained(struct graph *g, struct dom *d, uint32_t n, const uint64_t *ret)
{
	uint32_t *off = calloc((size_t)n + 2, sizeof *off);
	uint32_t *kids = malloc(((size_t)n + 1) * sizeof *kids);
	uint32_t *active = calloc(g->ndesc ? g->ndesc : 1, sizeof *active);
	uint64_t *sum = calloc(g->ndesc ? g->ndesc : 1, sizeof *sum);
	uint32_t *tix = malloc(((size_t)n + 1) * sizeof *tix);
	bool ok = off && kids && active && sum && tix;
	if (ok) {
		for (uint32_t w = 2; w <= n; w++)
			off[d->idom[w] + 1]++;
		for (uint32_t w = 1; w <= n; w++)
			off[w + 1] += off[w];
		uint32_t *fill = d->label; /* free now */
		memcpy(fill, off, ((size_t)n + 1) * sizeof *fill);
		for (uint32_t w = 2; w <= n; w++)
			kids[fill[d->idom[w]]++] = w;
		for (uint32_t w = 2; w <= n; w++) {
			size_t t = type_index(g, graph_mt(g, d->vert[w]));
			tix[w] = t == SIZE_MAX ? UINT32_MAX : (uint32_t)t;
		}
		/* the walk: stack of numbers, cursor in d->semi (free now) */
		uint32_t *stk = d->anc, *cur = d->semi;
		size_t top = 0;
		stk[top++] = 1;
		cur[1] = off[1];
		while (top) {
			uint32_t v = stk[top - 1];
			if (cur[v] < off[v + 1]) {
				uint32_t w = kids[cur[v]++];
				uint32_t t = tix[w];
				if (t != UINT32_MAX && !active[t]++)
					sum[t] += ret[w];
				cur[w] = off[w];
				stk[top++] = w;
				continue;
			}
			top--;
			if (v != 1 && tix[v] != UINT32_MAX)
				active[tix[v]]--;
		}
		size_t k = 0;
		for (size_t t = 0; t < g->ndesc; t++)
			k += sum[t] != 0;
		g->type_ret = malloc((k ? k : 1) * 2 * sizeof *g->type_ret);
		ok = g->type_ret != NULL;
		for (size_t t = 0, j = 0; ok && t < g->ndesc; t++)
			if (sum[t]) {
				g->type_ret[2 * j] = g->desc[t].mt;
				g->type_ret[2 * j + 1] = sum[t];
				j++;
			}
		g->ntype_ret = ok ? k : 0;
	}
	free(off);
	free(kids);
	free(active);
	free(sum);
	free(tix);
	return ok;
}

enum ch_status graph_dominators(struct graph *g, struct ch_err *err)
{
	graph_progress(g, "dominators", 0, g->n);
	size_t cap = g->live_objects + 2;
	struct dom d = { 0 };
	d.num = calloc(g->n ? g->n : 1, sizeof *d.num);
	d.vert = malloc(cap * sizeof *d.vert);
	d.dpar = malloc(cap * sizeof *d.dpar);
	d.semi = malloc(cap * sizeof *d.semi);
	d.label = malloc(cap * sizeof *d.label);
	d.anc = calloc(cap, sizeof *d.anc);
	d.idom = malloc(cap * sizeof *d.idom);
	d.stk = malloc(cap * sizeof *d.stk);
	uint64_t *cur = malloc(cap * sizeof *cur);
	uint64_t *ret = malloc(cap * sizeof *ret);
	g->idom = malloc((g->n ? g->n : 1) * sizeof *g->idom);
	g->retained = calloc(g->n ? g->n : 1, sizeof *g->retained);
	enum ch_status st = CH_OK;
	if (!d.num || !d.vert || !d.dpar || !d.semi || !d.label || !d.anc || !d.idom || !d.stk ||
	    !cur || !ret || !g->idom || !g->retained) {
		st = ch_set_error(err, CH_ENOMEM, "out of memory computing dominators");
		goto out;
	}
	uint32_t n = number(g, &d, cur);
	free(cur);
	cur = NULL;
	for (uint32_t v = 1; v <= n; v++) {
		d.semi[v] = v;
		d.label[v] = v;
	}
	for (uint32_t w = n; w >= 2; w--) {
		uint32_t o = d.vert[w];
		/* a root object's predecessors include the virtual root: its semi
		 * is then 1, as low as it goes */
		if (g->parent[o] == GRAPH_ROOTMARK)
			d.semi[w] = 1;
		for (uint32_t e = g->in_off[o]; e < g->in_off[o + 1] && d.semi[w] > 1; e++) {
			uint32_t vn = d.num[g->in[e]];
			if (!vn)
				continue;
			uint32_t u = eval(&d, vn);
			if (d.semi[u] < d.semi[w])
				d.semi[w] = d.semi[u];
		}
		d.anc[w] = d.dpar[w];
	}
	d.idom[1] = 0;
	for (uint32_t w = 2; w <= n; w++) {
		uint32_t x = d.dpar[w];
		while (x > d.semi[w])
			x = d.idom[x];
		d.idom[w] = x;
	}
	for (uint32_t w = 1; w <= n; w++)
		ret[w] = w == 1 ? 0 : graph_size(g, d.vert[w]);
	for (uint32_t w = n; w >= 2; w--)
		ret[d.idom[w]] += ret[w];
	memset(g->idom, 0xff, g->n * sizeof *g->idom);
	for (uint32_t w = 2; w <= n; w++) {
		uint32_t o = d.vert[w];
		g->idom[o] = d.idom[w] == 1 ? GRAPH_NONE : d.vert[d.idom[w]];
		g->retained[o] = ret[w];
	}
	if (!type_retained(g, &d, n, ret))
		st = ch_set_error(err, CH_ENOMEM, "out of memory computing retained sizes");
out:
	free(d.num);
	free(d.vert);
	free(d.dpar);
	free(d.semi);
	free(d.label);
	free(d.anc);
	free(d.idom);
	free(d.stk);
	free(cur);
	free(ret);
	return st;
}

/* ---- accessors ---- */

bool graph_live(const struct graph *g, uint32_t i)
{
	return i < g->n && g->parent[i] != GRAPH_NONE;
}

uint32_t graph_parent(const struct graph *g, uint32_t i, size_t *root)
{
	if (i >= g->n || g->parent[i] != GRAPH_ROOTMARK)
		return i < g->n ? g->parent[i] : GRAPH_NONE;
	/* the first root of i in root order is the one the search took */
	for (size_t r = 0; root && r < g->nroots; r++)
		if (g->roots[r].obj == i) {
			*root = r;
			break;
		}
	return GRAPH_NONE;
}

uint32_t graph_depth(const struct graph *g, uint32_t i)
{
	if (!graph_live(g, i))
		return GRAPH_NONE;
	uint32_t d = 0;
	while (g->parent[i] != GRAPH_ROOTMARK && d < g->n) {
		i = g->parent[i];
		d++;
	}
	return d;
}

void graph_live_totals(const struct graph *g, uint64_t *objects, uint64_t *bytes)
{
	*objects = g->live_objects;
	*bytes = g->live_bytes;
}

bool graph_has_dominators(const struct graph *g)
{
	return g->idom != NULL;
}

uint32_t graph_idom(const struct graph *g, uint32_t i)
{
	return g->idom && i < g->n ? g->idom[i] : GRAPH_NONE;
}

uint64_t graph_retained(const struct graph *g, uint32_t i)
{
	return g->retained && i < g->n ? g->retained[i] : 0;
}

uint64_t graph_type_retained(const struct graph *g, uint64_t mt)
{
	size_t lo = 0, hi = g->ntype_ret;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->type_ret[2 * mid] < mt)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ntype_ret && g->type_ret[2 * lo] == mt ? g->type_ret[2 * lo + 1] : 0;
}
