/* fsv.c - the view's context: the type table behind types/, field views
 * per type, and the table of slot shapes behind slot inode numbers. */
#include "fsv_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TYPES (1u << 24)

void fsv_opts_init(struct fsv_opts *o)
{
	memset(o, 0, sizeof *o);
	o->depth = FSV_DEFAULT_DEPTH;
	o->cache_bytes = FSV_DEFAULT_CACHE;
}

enum ch_status fsv_open(struct heap *h, const struct fsv_opts *o,
			struct fsv **out, struct ch_err *err)
{
	struct fsv *v = calloc(1, sizeof *v);
	if (!v)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	v->h = h;
	v->c = heap_clr(h);
	v->a = clr_as(v->c);
	v->d = as_dump(v->a);
	v->o = *o;
	v->dump_path = strdup(o->dump_path ? o->dump_path : dump_path(v->d));
	v->o.dump_path = v->dump_path;
	v->ps = clr_ptr_size(v->c);
	v->hexw = 2 * v->ps;
	v->mt_mask = clr_mt_mask(v->c);
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->types_lock, NULL);
	pthread_mutex_init(&v->graph_lock, NULL);
	enum ch_status st = v->dump_path ? CH_OK :
		ch_set_error(err, CH_ENOMEM, "out of memory");
	if (st == CH_OK)
		st = fsvv_open(v, err);
	if (st == CH_OK && fsv_cache_open(v) != CH_OK)
		st = ch_set_error(err, CH_ENOMEM, "out of memory");
	if (st != CH_OK) {
		fsv_close(v);
		return st;
	}
	*out = v;
	return CH_OK;
}

void fsv_close(struct fsv *v)
{
	if (!v)
		return;
	fsv_cache_close(v);
	fsvv_close(v);
	for (size_t i = 0; i < v->ntypes; i++)
		free(v->types[i].dir);
	free(v->types);
	free(v->type_by_mt);
	for (size_t i = 0; i < v->nviews_cap; i++) {
		struct fsv_tview *tv = v->views ? v->views[i] : NULL;
		while (tv) {
			struct fsv_tview *next = tv->next;
			fsv_free_names(tv->name, tv->nf);
			free(tv);
			tv = next;
		}
	}
	free(v->views);
	free(v->shapes);
	free(v->shape_slot);
	free(v->handles);
	graph_close(v->graph);
	free(v->root_mts);
	free(v->stack_tids);
	free(v->threads);
	thr_close(v->thr);
	fsva_close(v);
	fsvw_close(v);
	fsvd_close(v);
	fsve_close(v);
	free(v->mods);
	fsv_free_names(v->modnames, v->nmods);
	pthread_mutex_destroy(&v->types_lock);
	pthread_mutex_destroy(&v->graph_lock);
	pthread_mutex_destroy(&v->lock);
	free(v->dump_path);
	free(v);
}

/* ---- the type table ---- */

struct cand {
	uint64_t mt;
	uint64_t count, bytes;
	const struct clr_type *t;
	char *esc;
};

struct cands {
	struct fsv *v;
	struct cand *c;
	size_t n, cap;
	bool oom;
};

static void cand_add(struct cands *cs, uint64_t mt, uint64_t count, uint64_t bytes)
{
	if (cs->oom || cs->n >= MAX_TYPES)
		return;
	const struct clr_type *t = clr_type_of(cs->v->c, mt, NULL);
	if (!t || !t->name || t->kind == CLR_KIND_FREE)
		return;
	if (cs->n == cs->cap) {
		size_t ncap = cs->cap ? cs->cap * 2 : 256;
		struct cand *nc = realloc(cs->c, ncap * sizeof *nc);
		if (!nc) {
			cs->oom = true;
			return;
		}
		cs->c = nc;
		cs->cap = ncap;
	}
	cs->c[cs->n++] = (struct cand){ mt, count, bytes, t, NULL };
}

/* True when t has static fields statics/ shows: plain ones (thread false)
 * or thread-static ones (thread true). */
static bool shows_statics(struct fsv *v, const struct clr_type *t, bool thread)
{
	size_t nf, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &nf, &ninst, NULL);
	if (!f)
		return false;
	for (size_t i = ninst; i < nf; i++)
		if ((f[i].flags & CLR_FIELD_STATIC) && !(f[i].flags & CLR_FIELD_RVA) &&
		    !(f[i].flags & CLR_FIELD_THREAD) == !thread)
			return true;
	return false;
}

/* True when some thread holds thread statics of t. */
static bool has_thread_statics(struct fsv *v, const struct clr_type *t)
{
	for (size_t k = 0; k < v->nthreads; k++) {
		uint64_t gcb, ngcb;
		clr_thread_statics(v->c, t, v->threads[k].addr, &gcb, &ngcb);
		if (gcb || ngcb)
			return true;
	}
	return false;
}

/* Loaded types of a module that hold statics (allocated ones). */
static bool statics_cb(void *arg, uint64_t mt)
{
	struct cands *cs = arg;
	const struct clr_type *t = clr_type_of(cs->v->c, mt, NULL);
	if (!t || t->kind == CLR_KIND_ARRAY)
		return !cs->oom;
	uint64_t gcb, ngcb;
	clr_type_statics(cs->v->c, t, &gcb, &ngcb);
	if (((gcb || ngcb) && shows_statics(cs->v, t, false)) ||
	    (shows_statics(cs->v, t, true) && has_thread_statics(cs->v, t)))
		cand_add(cs, mt, 0, 0);
	return !cs->oom;
}

int fsv_u64_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return *a < *b ? -1 : *a > *b;
}

static int cand_mt_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

static int cand_esc_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int r = strcmp(a->esc, b->esc);
	return r ? r : (a->mt < b->mt ? -1 : a->mt > b->mt);
}

static int tent_cmp(const void *x, const void *y)
{
	const struct fsv_tent *a = x, *b = y;
	return strcmp(a->dir, b->dir);
}

static int pair_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

double fsv_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_va(struct fsv *v, const char *fmt, va_list ap, const char *tail)
{
	char what[300], line[600];
	vsnprintf(what, sizeof what, fmt, ap);
	snprintf(line, sizeof line, "%s: %s%s", v->dump_path, what, tail);
	v->o.log(v->o.log_arg, line);
}

void fsv_log_slow(struct fsv *v, double t0, const char *fmt, ...)
{
	double s = fsv_now() - t0;
	if (!v->o.log || s < 1.0)
		return;
	char tail[40];
	snprintf(tail, sizeof tail, " in %.1f s", s);
	va_list ap;
	va_start(ap, fmt);
	log_va(v, fmt, ap, tail);
	va_end(ap);
}

void fsv_log(struct fsv *v, const char *fmt, ...)
{
	if (!v->o.log)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_va(v, fmt, ap, "");
	va_end(ap);
}

enum ch_status fsv_instances(struct fsv *v, uint64_t mt, const uint64_t **addrs, size_t *n,
			     struct ch_err *err)
{
	if (__atomic_exchange_n(&v->index_timed, true, __ATOMIC_ACQ_REL))
		return heap_instances(v->h, mt, addrs, n, err);
	double t0 = fsv_now();
	enum ch_status st = heap_instances(v->h, mt, addrs, n, err);
	fsv_log_slow(v, t0, "built the per-type index of the heap");
	return st;
}

static enum ch_status build_types(struct fsv *v)
{
	const struct heap_stat_row *rows;
	size_t nrows;
	struct ch_err err = { 0 };
	if (heap_stat(v->h, &rows, &nrows, &err) != CH_OK)
		return err.status;
	struct cands cs = { .v = v };
	for (size_t i = 0; i < nrows; i++)
		cand_add(&cs, rows[i].mt, rows[i].count, rows[i].bytes);
	/* types that hold statics, from every loaded module and every module
	 * that defines a type on the heap */
	fsv_threads(v);
	size_t nmod = 0;
	const uint64_t *mods = v->r ? clr_resolver_modules(v->r, &nmod) : NULL;
	size_t nall = nmod + cs.n;
	uint64_t *all = malloc((nall ? nall : 1) * sizeof *all);
	if (all) {
		if (nmod)
			memcpy(all, mods, nmod * sizeof *all);
		for (size_t i = 0; i < cs.n; i++)
			all[nmod + i] = cs.c[i].t->kind == CLR_KIND_ARRAY ? 0 : cs.c[i].t->module;
		qsort(all, nall, sizeof *all, fsv_u64_cmp);
	}
	for (size_t i = 0; all && i < nall && !cs.oom; i++) {
		if (!all[i] || (i && all[i] == all[i - 1]))
			continue;
		clr_module_types(v->c, all[i], statics_cb, &cs, NULL);
		if (v->r)
			clr_module_param_types(v->r, all[i], statics_cb, &cs);
	}
	free(all);
	/* every ancestor too (base -> ../<Base> must resolve), then one
	 * entry per MethodTable */
	for (size_t i = 0, n0 = cs.n; i < n0 && !cs.oom; i++) {
		uint64_t p = cs.c[i].t->parent_mt;
		for (unsigned hops = 0; p && hops < 256 && !cs.oom; hops++) {
			cand_add(&cs, p, 0, 0);
			const struct clr_type *pt = clr_type_of(v->c, p, NULL);
			p = pt ? pt->parent_mt : 0;
		}
	}
	qsort(cs.c, cs.n, sizeof *cs.c, cand_mt_cmp);
	size_t u = 0;
	for (size_t i = 0; i < cs.n; i++) {
		if (u && cs.c[u - 1].mt == cs.c[i].mt) {
			cs.c[u - 1].count += cs.c[i].count;
			cs.c[u - 1].bytes += cs.c[i].bytes;
		} else {
			cs.c[u++] = cs.c[i];
		}
	}
	cs.n = u;
	if (cs.oom) {
		free(cs.c);
		return CH_ENOMEM;
	}
	/* names: escaped; a second type of one name gets #<mt> */
	char name[FSV_NAME_MAX + 1];
	bool oom = false;
	for (size_t i = 0; i < cs.n && !oom; i++) {
		fsv_escape_name(cs.c[i].t->name, name);
		oom = !(cs.c[i].esc = strdup(name));
	}
	if (!oom)
		qsort(cs.c, cs.n, sizeof *cs.c, cand_esc_cmp);
	struct fsv_tent *te = calloc(cs.n ? cs.n : 1, sizeof *te);
	oom = oom || !te;
	for (size_t i = 0; i < cs.n && !oom; i++) {
		bool dup = i > 0 && strcmp(cs.c[i - 1].esc, cs.c[i].esc) == 0;
		fsv_type_dirname(cs.c[i].t->name, cs.c[i].mt, dup, name);
		te[i] = (struct fsv_tent){ .mt = cs.c[i].mt, .t = cs.c[i].t,
			.count = cs.c[i].count, .bytes = cs.c[i].bytes,
			.base = UINT32_MAX, .dir = strdup(name) };
		oom = !te[i].dir;
		te[i].tstatics = !oom && shows_statics(v, cs.c[i].t, true) &&
				 has_thread_statics(v, cs.c[i].t);
		te[i].statics = !oom && (te[i].tstatics || shows_statics(v, cs.c[i].t, false));
	}
	for (size_t i = 0; i < cs.n; i++)
		free(cs.c[i].esc);
	free(cs.c);
	uint64_t *pairs = oom ? NULL : calloc(2 * (cs.n ? cs.n : 1), sizeof *pairs);
	if (oom || !pairs) {
		for (size_t i = 0; te && i < cs.n; i++)
			free(te[i].dir);
		free(te);
		free(pairs);
		return CH_ENOMEM;
	}
	qsort(te, cs.n, sizeof *te, tent_cmp);
	for (size_t i = 0; i < cs.n; i++) {
		pairs[2 * i] = te[i].mt;
		pairs[2 * i + 1] = i;
	}
	qsort(pairs, cs.n, 2 * sizeof *pairs, pair_cmp);
	v->types = te;
	v->ntypes = cs.n;
	v->type_by_mt = pairs;
	for (size_t i = 0; i < cs.n; i++) {
		long b = te[i].t->parent_mt ? fsv_type_index(v, te[i].t->parent_mt) : -1;
		te[i].base = b < 0 ? UINT32_MAX : (uint32_t)b;
	}
	return CH_OK;
}

enum ch_status fsv_types(struct fsv *v)
{
	pthread_mutex_lock(&v->types_lock);
	if (!v->types_done) {
		double t0 = fsv_now();
		v->types_st = build_types(v);
		fsv_log_slow(v, t0, "walked the heap (%zu types)", v->ntypes);
		v->types_done = true;
	}
	enum ch_status st = v->types_st;
	pthread_mutex_unlock(&v->types_lock);
	return st;
}

long fsv_type_index(struct fsv *v, uint64_t mt)
{
	size_t lo = 0, hi = v->ntypes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t m = v->type_by_mt[2 * mid];
		if (m == mt)
			return (long)v->type_by_mt[2 * mid + 1];
		if (m < mt)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- field views ---- */

static struct fsv_tview *view_new(struct fsv *v, const struct clr_type *t)
{
	size_t nf, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &nf, &ninst, NULL);
	if (!f && nf)
		return NULL;
	struct fsv_tview *tv = calloc(1, sizeof *tv);
	const char **raw = calloc(nf ? nf : 1, sizeof *raw);
	if (!tv || !raw) {
		free(tv);
		free(raw);
		return NULL;
	}
	tv->mt = t->mt;
	tv->t = t;
	tv->f = f;
	tv->nf = nf;
	tv->ninst = ninst;
	/* instance fields and statics are named apart: they never share a
	 * directory */
	for (size_t i = 0; i < nf; i++)
		raw[i] = f[i].name ? f[i].name : "?";
	char **inst = NULL, **stat = NULL;
	bool ok = fsv_field_names(raw, ninst, &inst) &&
		  fsv_field_names(raw + ninst, nf - ninst, &stat);
	free(raw);
	tv->name = ok ? calloc(nf ? nf : 1, sizeof *tv->name) : NULL;
	if (!tv->name) {
		fsv_free_names(inst, ninst);
		fsv_free_names(stat, nf - ninst);
		free(tv);
		return NULL;
	}
	for (size_t i = 0; i < ninst; i++)
		tv->name[i] = inst[i];
	for (size_t i = ninst; i < nf; i++) {
		if (f[i].flags & CLR_FIELD_RVA) {
			free(stat[i - ninst]);
			tv->name[i] = NULL;
		} else {
			tv->name[i] = stat[i - ninst];
		}
	}
	free(inst);
	free(stat);
	return tv;
}

const struct fsv_tview *fsv_view(struct fsv *v, const struct clr_type *t)
{
	pthread_mutex_lock(&v->lock);
	if (!v->views) {
		v->nviews_cap = 1024;
		v->views = calloc(v->nviews_cap, sizeof *v->views);
		if (!v->views) {
			v->nviews_cap = 0;
			pthread_mutex_unlock(&v->lock);
			return NULL;
		}
	}
	size_t k = (size_t)(fsv_hash64(&t->mt, sizeof t->mt) % v->nviews_cap);
	struct fsv_tview *tv = v->views[k];
	while (tv && tv->mt != t->mt)
		tv = tv->next;
	if (!tv && (tv = view_new(v, t))) {
		tv->next = v->views[k];
		v->views[k] = tv;
	}
	pthread_mutex_unlock(&v->lock);
	return tv;
}

/* ---- slot shapes ---- */

static size_t shape_hash(const struct fsv_shape *s, size_t cap)
{
	return (size_t)(fsv_hash64(s, sizeof *s) & (cap - 1));
}

unsigned fsv_shape_intern(struct fsv *v, const struct fsv_shape *s)
{
	struct fsv_shape key = *s;
	key.pad = 0;
	unsigned out = 0;
	pthread_mutex_lock(&v->lock);
	if (v->shape_slot_cap == 0) {
		v->shape_slot_cap = 1024;
		v->shape_slot = calloc(v->shape_slot_cap, sizeof *v->shape_slot);
		if (!v->shape_slot) {
			v->shape_slot_cap = 0;
			goto done;
		}
	}
	size_t k = shape_hash(&key, v->shape_slot_cap);
	while (v->shape_slot[k]) {
		uint32_t i = v->shape_slot[k] - 1;
		if (memcmp(&v->shapes[i], &key, sizeof key) == 0) {
			out = FSV_SHAPE_FIRST + i;
			goto done;
		}
		k = (k + 1) & (v->shape_slot_cap - 1);
	}
	if (FSV_SHAPE_FIRST + v->nshapes >= FSV_SHAPE_LIMIT)
		goto done;
	if (v->nshapes == v->shapes_cap) {
		size_t ncap = v->shapes_cap ? v->shapes_cap * 2 : 256;
		struct fsv_shape *ns = realloc(v->shapes, ncap * sizeof *ns);
		if (!ns)
			goto done;
		v->shapes = ns;
		v->shapes_cap = ncap;
	}
	if (2 * (v->nshapes + 1) > v->shape_slot_cap) {
		size_t ncap = v->shape_slot_cap * 2;
		uint32_t *nt = calloc(ncap, sizeof *nt);
		if (!nt)
			goto done;
		for (size_t i = 0; i < v->nshapes; i++) {
			size_t j = shape_hash(&v->shapes[i], ncap);
			while (nt[j])
				j = (j + 1) & (ncap - 1);
			nt[j] = (uint32_t)i + 1;
		}
		free(v->shape_slot);
		v->shape_slot = nt;
		v->shape_slot_cap = ncap;
		k = shape_hash(&key, ncap);
		while (v->shape_slot[k])
			k = (k + 1) & (ncap - 1);
	}
	v->shapes[v->nshapes] = key;
	v->shape_slot[k] = (uint32_t)++v->nshapes;
	out = FSV_SHAPE_FIRST + (unsigned)(v->nshapes - 1);
done:
	pthread_mutex_unlock(&v->lock);
	return out;
}

bool fsv_shape_get(struct fsv *v, unsigned shape, struct fsv_shape *out)
{
	bool ok = false;
	pthread_mutex_lock(&v->lock);
	if (shape >= FSV_SHAPE_FIRST && shape - FSV_SHAPE_FIRST < v->nshapes) {
		*out = v->shapes[shape - FSV_SHAPE_FIRST];
		ok = true;
	}
	pthread_mutex_unlock(&v->lock);
	return ok;
}

long fsv_static_named(const struct fsv_tview *tv, const char *name, bool thread)
{
	for (size_t i = tv->ninst; i < tv->nf; i++)
		if (tv->name[i] && !(tv->f[i].flags & CLR_FIELD_THREAD) == !thread &&
		    strcmp(tv->name[i], name) == 0)
			return (long)i;
	return -1;
}

#define MAX_THREADS 4096

void fsv_threads(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->threads_done) {
		v->threads_done = true;
		v->threads = calloc(MAX_THREADS, sizeof *v->threads);
		v->nthreads = v->threads ? clr_threads(v->c, v->threads, MAX_THREADS) : 0;
	}
	pthread_mutex_unlock(&v->lock);
}
