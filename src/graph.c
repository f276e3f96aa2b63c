/* graph.c - numbering the objects, their references (GCDesc) and the
 * referrers; the accessors.
 *
 * A MethodTable with ContainsGCPointers is preceded by its GCDesc
 * (gc/gcdesc.h): the series count as a pointer-size word at mt - ptr, then,
 * growing down, series of {size, offset} words. A negative count n marks a
 * value-type array: one series whose offset is the first element's, and
 * -n items {nptrs, skip} (two half-words) repeated over each element. */
#include "graph_priv.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SERIES 4096        /* no type has more runs of references */
#define MAX_OBJECTS (UINT32_MAX - 2u)
#define MAX_REFS ((uint64_t)UINT32_MAX - 1u)
#define MAX_WORKERS 8

void graph_progress(const struct graph *g, const char *phase, uint64_t done, uint64_t total)
{
	if (g->o && g->o->progress)
		g->o->progress(g->o->progress_arg, phase, done, total);
}

/* ---- numbering ---- */

struct objv {
	uint64_t *addr;
	uint64_t *size;
	size_t n, cap;
	bool oom, sorted;
};

static bool collect(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	struct objv *v = arg;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 4096;
		uint64_t *na = ncap <= MAX_OBJECTS ? realloc(v->addr, ncap * sizeof *na) : NULL;
		if (na)
			v->addr = na;
		uint64_t *ns = na ? realloc(v->size, ncap * sizeof *ns) : NULL;
		if (!ns) {
			v->oom = true;
			return false;
		}
		v->size = ns;
		v->cap = ncap;
	}
	if (v->n && obj <= v->addr[v->n - 1])
		v->sorted = false;
	v->addr[v->n] = obj;
	v->size[v->n] = size;
	v->n++;
	return true;
}

static int pair_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static enum ch_status number_objects(struct graph *g, struct ch_err *err)
{
	struct objv v = { .sorted = true };
	heap_walk(g->h, collect, &v);
	if (v.oom) {
		free(v.addr);
		free(v.size);
		if (v.n >= MAX_OBJECTS)
			return ch_set_error(err, CH_EUNSUPPORTED, "more than %u objects", MAX_OBJECTS);
		return ch_set_error(err, CH_ENOMEM, "out of memory numbering %zu objects", v.n);
	}
	if (!v.sorted) { /* segments need not lie in address order */
		uint64_t *p = malloc((v.n ? v.n : 1) * 2 * sizeof *p);
		if (!p) {
			free(v.addr);
			free(v.size);
			return ch_set_error(err, CH_ENOMEM, "out of memory sorting %zu objects", v.n);
		}
		for (size_t i = 0; i < v.n; i++) {
			p[2 * i] = v.addr[i];
			p[2 * i + 1] = v.size[i];
		}
		qsort(p, v.n, 2 * sizeof *p, pair_cmp);
		size_t u = 0;
		for (size_t i = 0; i < v.n; i++) {
			if (u && p[2 * i] == v.addr[u - 1])
				continue; /* a segment listed twice */
			v.addr[u] = p[2 * i];
			v.size[u++] = p[2 * i + 1];
		}
		v.n = u;
		free(p);
	}
	g->n = v.n;
	g->addr = v.addr ? v.addr : malloc(sizeof *g->addr);
	g->size = malloc((v.n ? v.n : 1) * sizeof *g->size);
	if (!g->addr || !g->size) {
		free(v.size);
		return ch_set_error(err, CH_ENOMEM, "out of memory numbering %zu objects", v.n);
	}
	for (size_t i = 0; i < v.n; i++)
		g->size[i] = v.size[i] < UINT32_MAX ? (uint32_t)v.size[i] : UINT32_MAX;
	free(v.size);
	return CH_OK;
}

uint32_t graph_find(const struct graph *g, uint64_t addr)
{
	if (!g->n || addr < g->addr[0] || addr > g->addr[g->n - 1])
		return GRAPH_NONE;
	size_t lo = 0, hi = g->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return g->addr[lo] == addr ? (uint32_t)lo : GRAPH_NONE;
}

/* ---- GCDescs ---- */

static int desc_cmp(const void *x, const void *y)
{
	const struct graph_desc *a = x, *b = y;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

const struct graph_desc *graph_desc_of(const struct graph *g, uint64_t mt)
{
	size_t lo = 0, hi = g->ndesc;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->desc[mid].mt < mt)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ndesc && g->desc[lo].mt == mt && g->desc[lo].nser ? &g->desc[lo] : NULL;
}

static bool add_series(struct graph *g, size_t *cap, struct graph_series s)
{
	if (g->nseries == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct graph_series *ns = realloc(g->series, ncap * sizeof *ns);
		if (!ns)
			return false;
		g->series = ns;
		*cap = ncap;
	}
	g->series[g->nseries++] = s;
	return true;
}

/* Reads mt's GCDesc into d (nser 0 when it has none or it is unreadable). */
static bool read_desc(struct graph *g, uint64_t mt, struct graph_desc *d, size_t *cap)
{
	*d = (struct graph_desc){ .mt = mt };
	uint32_t flags, base;
	uint64_t w;
	if (!clr_mt_sizes(g->c, mt, &flags, &base) || !(flags & CLR_MTF_CONTAINS_GC_POINTERS) ||
	    !as_ptrv(g->a, mt - g->ps, &w))
		return true;
	int64_t nser = g->ps == 8 ? (int64_t)w : (int64_t)(int32_t)(uint32_t)w;
	if (nser == 0 || nser > MAX_SERIES || nser < -MAX_SERIES)
		return true;
	uint64_t ser = mt - g->ps - 2u * g->ps; /* the highest series */
	d->first = (uint32_t)g->nseries;
	if (nser > 0) {
		for (int64_t i = 0; i < nser; i++) {
			uint64_t sz, off;
			uint64_t at = ser - (uint64_t)i * 2u * g->ps;
			if (!as_ptrv(g->a, at, &sz) || !as_ptrv(g->a, at + g->ps, &off)) {
				g->nseries = d->first;
				return true;
			}
			int64_t ssz = g->ps == 8 ? (int64_t)sz : (int64_t)(int32_t)(uint32_t)sz;
			if (!add_series(g, cap, (struct graph_series){ .size = ssz, .off = off }))
				return false;
		}
	} else {
		uint64_t off;
		if (!as_ptrv(g->a, ser + g->ps, &off))
			return true;
		for (int64_t i = 0; i < -nser; i++) {
			uint64_t item;
			if (!as_ptrv(g->a, ser - (uint64_t)i * g->ps, &item)) {
				g->nseries = d->first;
				return true;
			}
			unsigned half = g->ps * 4;
			uint32_t nptrs = (uint32_t)(item & ((1ull << half) - 1));
			uint32_t skip = (uint32_t)(item >> half);
			if (!add_series(g, cap, (struct graph_series){ .off = off, .nptrs = nptrs,
								      .skip = skip }))
				return false;
		}
	}
	d->nser = (int32_t)nser;
	return true;
}

static enum ch_status read_descs(struct graph *g, struct ch_err *err)
{
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(g->h, &rows, &n, err) != CH_OK)
		return err->status;
	g->desc = calloc(n ? n : 1, sizeof *g->desc);
	if (!g->desc)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	size_t cap = 0;
	for (size_t i = 0; i < n; i++)
		if (!read_desc(g, rows[i].mt, &g->desc[i], &cap))
			return ch_set_error(err, CH_ENOMEM, "out of memory");
	g->ndesc = n;
	qsort(g->desc, n, sizeof *g->desc, desc_cmp);
	return CH_OK;
}

/* ---- slots ---- */

static uint64_t load_ptr(const struct graph *g, const uint8_t *p)
{
	if (g->ps == 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

bool graph_slots(const struct graph *g, uint64_t obj, uint64_t mt, uint64_t size,
		 graph_slot_fn fn, void *arg)
{
	const struct graph_desc *d = graph_desc_of(g, mt);
	if (!d || size < 2u * g->ps)
		return true;
	const uint8_t *p;
	size_t span = as_span(g->a, obj, &p);
	/* the object's bytes from its MethodTable on: size less the header
	 * word before it */
	uint64_t len = size - g->ps;
	if (span < len)
		return false;
	const struct graph_series *s = &g->series[d->first];
	if (d->nser > 0) {
		for (int32_t k = 0; k < d->nser; k++) {
			int64_t run = s[k].size + (int64_t)size;
			uint64_t off = s[k].off;
			if (run <= 0 || off > len || (uint64_t)run > len - off)
				continue; /* a series past the object: damaged */
			for (uint64_t at = off; at + g->ps <= off + (uint64_t)run; at += g->ps)
				if (!fn(arg, obj + at, load_ptr(g, p + at)))
					return true;
		}
		return true;
	}
	uint64_t at = s[0].off;
	uint64_t per = 0;
	for (int32_t k = 0; k < -d->nser; k++)
		per += (uint64_t)s[k].nptrs * g->ps + s[k].skip;
	if (!per)
		return true;
	while (at < len) {
		for (int32_t k = 0; k < -d->nser && at < len; k++) {
			for (uint32_t j = 0; j < s[k].nptrs && at + g->ps <= len; j++, at += g->ps)
				if (!fn(arg, obj + at, load_ptr(g, p + at)))
					return true;
			at += s[k].skip;
		}
	}
	return true;
}

/* ---- references, in parallel by ranges of objects ---- */

struct dep {
	uint32_t primary, secondary;
};

struct worker {
	struct graph *g;
	size_t lo, hi;
	const struct dep *deps;
	size_t ndeps;
	uint32_t *edges;
	size_t nedges, cap;
	uint64_t dangling;
	bool oom;
	uint32_t cur; /* the object being read */
};

static bool push_edge(struct worker *w, uint32_t t)
{
	if (w->nedges == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 65536;
		uint32_t *ne = realloc(w->edges, ncap * sizeof *ne);
		if (!ne) {
			w->oom = true;
			return false;
		}
		w->edges = ne;
		w->cap = ncap;
	}
	w->edges[w->nedges++] = t;
	return true;
}

static bool slot_edge(void *arg, uint64_t slot, uint64_t value)
{
	(void)slot;
	struct worker *w = arg;
	if (!value)
		return true;
	uint32_t t = graph_find(w->g, value);
	if (t == GRAPH_NONE) {
		w->dangling++;
		return true;
	}
	return push_edge(w, t);
}

static size_t dep_lower(const struct dep *d, size_t n, uint32_t primary)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d[mid].primary < primary)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *refs_worker(void *arg)
{
	struct worker *w = arg;
	struct graph *g = w->g;
	size_t k = dep_lower(w->deps, w->ndeps, (uint32_t)w->lo);
	for (size_t i = w->lo; i < w->hi && !w->oom; i++) {
		size_t before = w->nedges;
		uint64_t mt;
		if (as_ptrv(g->a, g->addr[i], &mt))
			graph_slots(g, g->addr[i], mt & g->mt_mask, graph_size(g, (uint32_t)i), slot_edge, w);
		for (; k < w->ndeps && w->deps[k].primary == i && !w->oom; k++)
			push_edge(w, w->deps[k].secondary);
		/* the count for now; offsets once every worker is done */
		g->out_off[i + 1] = (uint32_t)(w->nedges - before);
		if (w->lo == 0 && (i & 0xfffff) == 0)
			graph_progress(g, "references", i, w->hi);
	}
	return NULL;
}

static int dep_cmp(const void *x, const void *y)
{
	const struct dep *a = x, *b = y;
	if (a->primary != b->primary)
		return a->primary < b->primary ? -1 : 1;
	return 0;
}

static enum ch_status read_refs(struct graph *g, struct ch_err *err)
{
	/* dependent handles: edges from primary to secondary */
	struct graph_handle *hs = NULL;
	size_t nh = 0;
	enum ch_status st = graph_handles(g->c, &hs, &nh, err);
	if (st != CH_OK)
		return st;
	struct dep *deps = malloc((nh ? nh : 1) * sizeof *deps);
	size_t nd = 0;
	for (size_t i = 0; deps && i < nh; i++) {
		if (hs[i].kind != GRAPH_H_DEPENDENT || !hs[i].secondary)
			continue;
		uint32_t p = graph_find(g, hs[i].obj), s = graph_find(g, hs[i].secondary);
		if (p != GRAPH_NONE && s != GRAPH_NONE)
			deps[nd++] = (struct dep){ p, s };
	}
	free(hs);
	if (!deps)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	/* stable for equal primaries: handle order */
	if (nd > 1) {
		bool sorted = true;
		for (size_t i = 1; i < nd && sorted; i++)
			sorted = deps[i - 1].primary <= deps[i].primary;
		if (!sorted)
			qsort(deps, nd, sizeof *deps, dep_cmp);
	}
	g->out_off = calloc(g->n + 1, sizeof *g->out_off);
	if (!g->out_off) {
		free(deps);
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	unsigned nw = g->o && g->o->threads ? g->o->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (nw < 1)
		nw = 1;
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if (g->n < 4096)
		nw = 1;
	struct worker w[MAX_WORKERS];
	pthread_t tid[MAX_WORKERS];
	bool started[MAX_WORKERS] = { false };
	/* split by bytes, so one worker does not get every large array */
	uint64_t total = 0;
	for (size_t i = 0; i < g->n; i++)
		total += g->size[i];
	size_t at = 0;
	uint64_t acc = 0;
	for (unsigned k = 0; k < nw; k++) {
		size_t lo = at;
		uint64_t goal = total / nw * (k + 1);
		while (at < g->n && (k == nw - 1 || acc < goal))
			acc += g->size[at++];
		w[k] = (struct worker){ .g = g, .lo = lo, .hi = at, .deps = deps, .ndeps = nd };
	}
	for (unsigned k = 1; k < nw; k++)
		started[k] = pthread_create(&tid[k], NULL, refs_worker, &w[k]) == 0;
	refs_worker(&w[0]);
	for (unsigned k = 1; k < nw; k++) {
		if (started[k])
			pthread_join(tid[k], NULL);
		else
			refs_worker(&w[k]);
	}
	free(deps);
	uint64_t m = 0;
	bool oom = false;
	for (unsigned k = 0; k < nw; k++) {
		m += w[k].nedges;
		g->dangling += w[k].dangling;
		oom = oom || w[k].oom;
	}
	if (oom || m > MAX_REFS || !(g->out = malloc((m ? m : 1) * sizeof *g->out))) {
		for (unsigned k = 0; k < nw; k++)
			free(w[k].edges);
		if (m > MAX_REFS)
			return ch_set_error(err, CH_EUNSUPPORTED, "more than %" PRIu64 " references", MAX_REFS);
		return ch_set_error(err, CH_ENOMEM, "out of memory reading references");
	}
	uint64_t pos = 0;
	for (unsigned k = 0; k < nw; k++) {
		if (w[k].nedges)
			memcpy(g->out + pos, w[k].edges, w[k].nedges * sizeof *g->out);
		pos += w[k].nedges;
		free(w[k].edges);
	}
	for (size_t i = 0; i < g->n; i++)
		g->out_off[i + 1] += g->out_off[i];
	g->nrefs = m;
	return CH_OK;
}

/* The reverse graph: each referrer once per target, in ascending order
 * (sources are visited in order, so a repeat is the last one written). */
static enum ch_status read_referrers(struct graph *g, struct ch_err *err)
{
	uint32_t *cnt = calloc(g->n + 1, sizeof *cnt);
	if (!cnt)
		return ch_set_error(err, CH_ENOMEM, "out of memory building referrers");
	for (uint64_t e = 0; e < g->nrefs; e++)
		cnt[g->out[e] + 1]++;
	for (size_t i = 0; i < g->n; i++)
		cnt[i + 1] += cnt[i];
	uint32_t *in = malloc((g->nrefs ? g->nrefs : 1) * sizeof *in);
	uint32_t *fill = malloc((g->n ? g->n : 1) * sizeof *fill);
	if (!in || !fill) {
		free(cnt);
		free(in);
		free(fill);
		return ch_set_error(err, CH_ENOMEM, "out of memory building referrers");
	}
	memcpy(fill, cnt, g->n * sizeof *fill);
	for (size_t i = 0; i < g->n; i++)
		for (uint32_t e = g->out_off[i]; e < g->out_off[i + 1]; e++) {
			uint32_t t = g->out[e];
			if (fill[t] > cnt[t] && in[fill[t] - 1] == i)
				continue;
			in[fill[t]++] = (uint32_t)i;
		}
	/* close the gaps the repeats left */
	uint32_t w = 0;
	for (size_t t = 0; t < g->n; t++) {
		uint32_t from = cnt[t], to = fill[t];
		cnt[t] = w;
		memmove(in + w, in + from, (size_t)(to - from) * sizeof *in);
		w += to - from;
	}
	cnt[g->n] = w;
	free(fill);
	g->in_off = cnt;
	g->in = in;
	return CH_OK;
}

/* ---- the build ---- */

enum ch_status graph_build(struct heap *h, const struct graph_opts *o, struct graph **out,
			   struct ch_err *err)
{
	struct graph *g = calloc(1, sizeof *g);
	if (!g)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	g->h = h;
	g->c = heap_clr(h);
	g->a = clr_as(g->c);
	g->ps = clr_ptr_size(g->c);
	g->mt_mask = clr_mt_mask(g->c);
	g->o = o;
	enum ch_status st = number_objects(g, err);
	if (st == CH_OK)
		st = read_descs(g, err);
	if (st == CH_OK)
		st = read_refs(g, err);
	if (st == CH_OK)
		st = read_referrers(g, err);
	if (st == CH_OK)
		st = graph_find_roots(g, err);
	if (st == CH_OK)
		st = graph_paths(g, err);
	if (st == CH_OK && (!o || !o->no_dominators))
		st = graph_dominators(g, err);
	g->o = NULL;
	if (st != CH_OK) {
		graph_close(g);
		return st;
	}
	*out = g;
	return CH_OK;
}

void graph_close(struct graph *g)
{
	if (!g)
		return;
	free(g->addr);
	free(g->size);
	free(g->desc);
	free(g->series);
	free(g->out_off);
	free(g->out);
	free(g->in_off);
	free(g->in);
	free(g->roots);
	free(g->parent);
	free(g->idom);
	free(g->retained);
	free(g->type_ret);
	free(g);
}

/* ---- accessors ---- */

size_t graph_count(const struct graph *g) { return g->n; }
uint64_t graph_ref_count(const struct graph *g) { return g->nrefs; }
uint64_t graph_dangling(const struct graph *g) { return g->dangling; }

uint64_t graph_addr(const struct graph *g, uint32_t i)
{
	return i < g->n ? g->addr[i] : 0;
}

uint64_t graph_mt(const struct graph *g, uint32_t i)
{
	uint64_t mt;
	return i < g->n && as_ptrv(g->a, g->addr[i], &mt) ? mt & g->mt_mask : 0;
}

uint64_t graph_size(const struct graph *g, uint32_t i)
{
	if (i >= g->n)
		return 0;
	if (g->size[i] != UINT32_MAX)
		return g->size[i];
	uint64_t obj, mt, size;
	return heap_object_at(g->h, g->addr[i], &obj, &mt, &size) ? size : 0;
}

const uint32_t *graph_refs(const struct graph *g, uint32_t i, size_t *n)
{
	*n = i < g->n ? g->out_off[i + 1] - g->out_off[i] : 0;
	return *n ? g->out + g->out_off[i] : NULL;
}

const uint32_t *graph_referrers(const struct graph *g, uint32_t i, size_t *n)
{
	*n = i < g->n ? g->in_off[i + 1] - g->in_off[i] : 0;
	return *n ? g->in + g->in_off[i] : NULL;
}

const struct graph_root *graph_roots(const struct graph *g, size_t *n)
{
	*n = g->nroots;
	return g->roots;
}
