/* heap.c - enumerate GC segments/regions and walk their objects.
 * Layouts and rules: docs/RUNTIME.md §3. */
#include "heap.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "heap_priv.h"
#include "rdr.h"

#define MAX_SEGMENTS (1u << 20)
#define MAX_WARNINGS 1000
#define SEG_FIELDS 9 /* allocated committed reserved used mem flags next bgalloc heap */
#define MAX_SEG_BYTES (1ull << 40)


/* Warnings of one segment walked by a parallel walk's worker, kept apart
 * and recorded in segment order once the walk is over, so that they read
 * as a sequential walk gives them. */
struct wdefer {
	char **msg;
	size_t n;
};
static _Thread_local struct wdefer *tl_defer;

static void record(struct heap *h, const char *buf)
{
	pthread_mutex_lock(&h->lock);
	bool dup = false;
	for (size_t i = 0; i < h->nwarn && !dup; i++)
		dup = strcmp(h->warn[i], buf) == 0;
	if (!dup && h->nwarn < MAX_WARNINGS) {
		char **v = realloc(h->warn, (h->nwarn + 1) * sizeof *v);
		if (v) {
			h->warn = v;
			if ((v[h->nwarn] = strdup(buf)))
				h->nwarn++;
		}
	}
	pthread_mutex_unlock(&h->lock);
}

static void warn(struct heap *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct heap *h, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	struct wdefer *d = tl_defer;
	if (!d) {
		record(h, buf);
		return;
	}
	char **v = d->n < MAX_WARNINGS ? realloc(d->msg, (d->n + 1) * sizeof *v) : NULL;
	if (v) {
		d->msg = v;
		if ((v[d->n] = strdup(buf)))
			d->n++;
	}
}

static bool rdptr(struct heap *h, uint64_t va, uint64_t *v)
{
	if (h->ps == 8)
		return as_u64(h->a, va, v);
	uint32_t x;
	if (!as_u32(h->a, va, &x))
		return false;
	*v = x;
	return true;
}

static bool add_seg(struct heap *h, size_t *cap, const struct heap_seg *s)
{
	if (h->nsegs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct heap_seg *v = realloc(h->segs, ncap * sizeof *v);
		if (!v)
			return false;
		h->segs = v;
		*cap = ncap;
	}
	h->segs[h->nsegs++] = *s;
	return true;
}

/* The segment records met while listing, skipped ones too (a list that
 * loops through a segment with bad bounds must end as well): a set of
 * addresses, open addressing, never 0. */
struct seen {
	uint64_t *v;
	size_t cap, n;
};

/* Adds a to s: returns 1 when it was there already, 0 when added, -1 when
 * out of memory. */
static int seen_add(struct seen *s, uint64_t a)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 64;
		uint64_t *v = calloc(nc, sizeof *v);
		if (!v)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t k = (size_t)((s->v[i] >> 3) * 0x9e3779b97f4a7c15ull) & (nc - 1);
			while (v[k])
				k = (k + 1) & (nc - 1);
			v[k] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = nc;
	}
	size_t k = (size_t)((a >> 3) * 0x9e3779b97f4a7c15ull) & (s->cap - 1);
	for (; s->v[k]; k = (k + 1) & (s->cap - 1))
		if (s->v[k] == a)
			return 1;
	s->v[k] = a;
	s->n++;
	return 0;
}

/* Follows one generation's segment list from first. */
static enum ch_status add_chain(struct heap *h, size_t *cap, struct seen *seen,
				uint64_t first, enum heap_gen gen, unsigned heapno,
				uint64_t ephemeral, uint64_t alloc_allocated)
{
	const struct clr_gc_info *g = clr_gc(h->c);
	for (uint64_t seg = first; seg;) {
		if (seen->n >= MAX_SEGMENTS) {
			warn(h, "more than %u GC segments: the rest are ignored", MAX_SEGMENTS);
			return CH_OK;
		}
		int was = seen_add(seen, seg);
		if (was < 0)
			return CH_ENOMEM;
		if (was > 0) {
			warn(h, "GC segment list loops at 0x%" PRIx64 ": cut there", seg);
			return CH_OK;
		}
		uint64_t f[SEG_FIELDS];
		for (unsigned k = 0; k < SEG_FIELDS; k++) {
			if (!rdptr(h, seg + (uint64_t)k * h->ps, &f[k])) {
				warn(h, "GC segment 0x%" PRIx64 " is not in the dump", seg);
				return CH_OK;
			}
		}
		struct heap_seg s = { .addr = seg, .start = f[4], .committed = f[1],
				      .reserved = f[2], .flags = (uint32_t)f[5],
				      .heap = heapno };
		s.end = seg == ephemeral ? alloc_allocated : f[0];
		s.gen = (s.flags & HEAP_SEG_READONLY) ? HEAP_FROZEN : gen;
		if (!g->regions && gen == HEAP_GEN2 && seg == ephemeral)
			s.gen = HEAP_EPHEMERAL;
		if (s.start > s.end || s.end - s.start > MAX_SEG_BYTES) {
			warn(h, "GC segment 0x%" PRIx64 " has bounds [0x%" PRIx64 ", 0x%" PRIx64 "): skipped",
			     seg, s.start, s.end);
		} else if (!add_seg(h, cap, &s)) {
			return CH_ENOMEM;
		}
		seg = f[6];
	}
	return CH_OK;
}

enum ch_status heap_open(struct clr *c, struct heap **out, struct ch_err *err)
{
	*out = NULL;
	struct heap *h = calloc(1, sizeof *h);
	if (!h)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	h->c = c;
	h->a = clr_as(c);
	h->ps = clr_ptr_size(c);
	h->min_obj = clr_min_obj_size(c);
	h->mask = clr_mt_mask(c);
	h->free_mt = clr_free_mt(c);
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->idx_lock, NULL);
	const struct clr_gc_info *g = clr_gc(c);
	size_t cap = 0;
	struct seen seen = { 0 };
	enum ch_status st = CH_OK;
	for (unsigned i = 0; i < g->nheaps && st == CH_OK; i++) {
		uint64_t gt = g->generation_table, eph = g->ephemeral_segment;
		uint64_t aa = g->alloc_allocated;
		if (g->server) {
			uint64_t hp;
			if (!rdptr(h, g->heaps + (uint64_t)i * h->ps, &hp) || !hp ||
			    !rdptr(h, hp + (uint64_t)g->heap_off_alloc_allocated, &aa) ||
			    !rdptr(h, hp + (uint64_t)g->heap_off_ephemeral_segment, &eph)) {
				warn(h, "server GC heap %u is not in the dump", i);
				continue;
			}
			gt = hp + (uint64_t)g->heap_off_generation_table;
		}
		/* Segments mode keeps gen0/gen1 on the ephemeral segment, which
		 * is already in gen2's list. */
		unsigned first = g->regions ? 0 : 2;
		for (unsigned gen = first; gen < g->ngenerations && st == CH_OK; gen++) {
			uint64_t start;
			uint64_t at = gt + gen * g->gen_size + (uint64_t)g->gen_off_start_segment;
			if (!rdptr(h, at, &start)) {
				warn(h, "generation %u of heap %u is not in the dump", gen, i);
				continue;
			}
			st = add_chain(h, &cap, &seen, start, (enum heap_gen)gen, i, eph, aa);
		}
	}
	free(seen.v);
	if (st != CH_OK) {
		heap_close(h);
		return ch_set_error(err, st, "out of memory listing GC segments");
	}
	/* A dump that names the GC's segments but holds none of their
	 * objects (createdump --normal or --triage) has no heap to read. */
	size_t held = 0;
	for (size_t i = 0; i < h->nsegs; i++) {
		uint8_t b[8];
		h->total_bytes += h->segs[i].end - h->segs[i].start;
		held += h->segs[i].start < h->segs[i].end &&
			as_read(h->a, h->segs[i].start, b, h->ps) == h->ps;
	}
	if (!held) {
		heap_close(h);
		return clr_no_heap_error(c, err);
	}
	*out = h;
	return CH_OK;
}

void heap_close(struct heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nwarn; i++)
		free(h->warn[i]);
	free(h->warn);
	free(h->segs);
	free(h->mts);
	free(h->stat);
	free(h->idx);
	free(h->idx_start);
	free(h->idx_slot);
	for (size_t i = 0; h->bricks && i < h->nsegs; i++)
		free(h->bricks[i]);
	free(h->bricks);
	free(h->order);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->idx_lock);
	free(h);
}

const struct heap_seg *heap_segments(const struct heap *h, size_t *n)
{
	*n = h->nsegs;
	return h->segs;
}

struct clr *heap_clr(const struct heap *h) { return h->c; }

size_t heap_warning_count(struct heap *h)
{
	pthread_mutex_lock(&h->lock);
	size_t n = h->nwarn;
	pthread_mutex_unlock(&h->lock);
	return n;
}

const char *heap_warning(struct heap *h, size_t i)
{
	pthread_mutex_lock(&h->lock);
	const char *s = i < h->nwarn ? h->warn[i] : NULL;
	pthread_mutex_unlock(&h->lock);
	return s;
}

size_t heap_mt_slot(uint64_t mt, size_t cap)
{
	uint64_t x = mt * 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 32) & (cap - 1);
}

/* Open-addressing tables keyed by a nonzero MT stored first in each entry
 * of esz bytes (0 marks an empty slot). Returns the slot of mt: its entry,
 * or the empty slot where it belongs. */
static void *mt_table_slot(void *v, size_t cap, size_t esz, uint64_t mt)
{
	size_t k = heap_mt_slot(mt, cap);
	for (;;) {
		uint64_t *e = (uint64_t *)((char *)v + k * esz);
		if (*e == 0 || *e == mt)
			return e;
		k = (k + 1) & (cap - 1);
	}
}

/* Doubles the table when it is half full. Returns false when out of
 * memory (the table is unchanged). */
static bool mt_table_reserve(void **v, size_t *cap, size_t count, size_t esz)
{
	if (*cap && (count + 1) * 2 <= *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 1024;
	char *nv = calloc(ncap, esz);
	if (!nv)
		return false;
	for (size_t i = 0; i < *cap; i++) {
		const uint64_t *e = (const uint64_t *)((char *)*v + i * esz);
		if (*e)
			memcpy(mt_table_slot(nv, ncap, esz, *e), e, esz);
	}
	free(*v);
	*v = nv;
	*cap = ncap;
	return true;
}

/* Looks mt up, validating and adding it on first sight. Returns a copy,
 * as the table may grow under other walkers (who keep private caches). */
static struct mtinfo mt_lookup(struct heap *h, uint64_t mt)
{
	struct mtinfo r = { mt, 0, 0, 2 };
	pthread_mutex_lock(&h->lock);
	if (!mt_table_reserve((void **)&h->mts, &h->mtcap, h->mtcount, sizeof *h->mts)) {
		pthread_mutex_unlock(&h->lock);
		return r;
	}
	struct mtinfo *e = mt_table_slot(h->mts, h->mtcap, sizeof *e, mt);
	if (!e->mt) {
		const struct clr_type *t = clr_type_of(h->c, mt, NULL);
		e->mt = mt;
		e->state = 2;
		/* no object is of an interface type (.NET 11 gives them base size 0) */
		if (t && t->kind != CLR_KIND_INTERFACE) {
			e->base = t->base_size;
			e->comp = t->component_size;
			e->state = 1;
		}
		h->mtcount++;
	}
	r = *e;
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* A walker's private direct-mapped cache in front of mt_lookup. */
#define WCACHE 256
struct walker {
	struct heap *h;
	struct mtinfo cache[WCACHE];
	const uint8_t *win;   /* contiguous bytes of the dump ... */
	uint64_t win_va;      /* ... starting here */
	size_t win_len;
	bool counted;         /* a whole-heap walk: told to h->prog */
};

void heap_set_progress(struct heap *h, heap_progress_fn fn, void *arg)
{
	h->prog = fn;
	h->prog_arg = arg;
}

/* A whole-heap walk starts: its progress counts from zero; and ends: the
 * hook is told its counts with done. */
static void progress_start(struct heap *h)
{
	__atomic_store_n(&h->prog_objs, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&h->prog_bytes, 0, __ATOMIC_RELAXED);
}

/* Adds a part of a segment's walk to this walk's counts and tells the hook. */
static void progress_add(struct walker *w, uint64_t objs, uint64_t bytes)
{
	struct heap *h = w->h;
	if (!w->counted || !h->prog)
		return;
	uint64_t o = __atomic_add_fetch(&h->prog_objs, objs, __ATOMIC_RELAXED);
	uint64_t b = __atomic_add_fetch(&h->prog_bytes, bytes, __ATOMIC_RELAXED);
	h->prog(h->prog_arg, false, o, __atomic_load_n(&h->total_objs, __ATOMIC_RELAXED), b,
		h->total_bytes);
}

static void progress_end(struct heap *h)
{
	if (!h->prog)
		return;
	uint64_t o = __atomic_load_n(&h->prog_objs, __ATOMIC_RELAXED);
	uint64_t b = __atomic_load_n(&h->prog_bytes, __ATOMIC_RELAXED);
	h->prog(h->prog_arg, true, o, __atomic_load_n(&h->total_objs, __ATOMIC_RELAXED), b,
		h->total_bytes);
}

static inline const struct mtinfo *wk_mt(struct walker *w, uint64_t mt)
{
	struct mtinfo *e = &w->cache[(mt >> 3) & (WCACHE - 1)];
	if (e->mt == mt)
		return e;
	*e = mt_lookup(w->h, mt);
	return e;
}

/* Returns a pointer to n bytes at va from the current window, moving the
 * window when needed; NULL when absent. */
static inline const uint8_t *wk_bytes(struct walker *w, uint64_t va, size_t n)
{
	if (va >= w->win_va && va - w->win_va < w->win_len &&
	    w->win_len - (va - w->win_va) >= n)
		return w->win + (va - w->win_va);
	const uint8_t *p;
	size_t len = as_span(w->h->a, va, &p);
	if (len < n)
		return NULL;
	w->win = p;
	w->win_va = va;
	w->win_len = len;
	return p;
}

/* Index of the first allocation context with ptr >= va. */
static size_t ctx_from(const struct clr_alloc_ctx *ctx, size_t n, uint64_t va)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ctx[mid].ptr < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum ch_status walk_seg(struct walker *w, const struct heap_seg *s,
			       uint64_t from, const struct clr_alloc_ctx *ctx,
			       size_t nctx, heap_obj_fn fn, void *arg, bool *stop)
{
	struct heap *h = w->h;
	const unsigned ps = h->ps;
	/* 32-bit: 4-byte alignment on the small object heap, 8 elsewhere. */
	const uint64_t align = (ps == 8 || s->gen == HEAP_LOH || s->gen == HEAP_POH) ? 7 : 3;
	size_t ci = ctx_from(ctx, nctx, from);
	uint64_t obj = from;
	uint64_t told = s->start, objs = 0; /* progress: bytes told so far, objects since */
	while (obj < s->end) {
		while (ci < nctx && ctx[ci].ptr < obj)
			ci++;
		if (ci < nctx && ctx[ci].ptr == obj) {
			/* The rest of an allocation buffer: not objects yet. */
			uint64_t next = ctx[ci].limit + h->min_obj;
			ci++;
			if (next <= obj)
				break;
			obj = next;
			continue;
		}
		const uint8_t *p = wk_bytes(w, obj, 2 * ps);
		if (!p) {
			warn(h, "object at 0x%" PRIx64 " is not in the dump: rest of segment 0x%" PRIx64 " skipped",
			     obj, s->addr);
			break;
		}
		uint64_t mt = (ps == 8 ? rdr_le64(p) : rdr_le32(p)) & h->mask;
		if (mt == 0) {
			/* Zeroed memory (an allocation buffer no context names):
			 * skip to the next non-zero word. */
			uint64_t z = obj;
			/* masked as mt was: a word of tag bits alone (1..7)
			 * must be skipped too, or the walk never moves on */
			while (z < s->end && (p = wk_bytes(w, z, ps)) &&
			       ((ps == 8 ? rdr_le64(p) : rdr_le32(p)) & h->mask) == 0)
				z += ps;
			warn(h, "zeroed memory at 0x%" PRIx64 " (%" PRIu64 " bytes) skipped", obj, z - obj);
			obj = z;
			continue;
		}
		const struct mtinfo *mi = wk_mt(w, mt);
		if (mi->state != 1) {
			warn(h, "object at 0x%" PRIx64 " has an invalid MethodTable 0x%" PRIx64
			     ": rest of segment 0x%" PRIx64 " skipped", obj, mt, s->addr);
			break;
		}
		uint64_t size = mi->base;
		if (mi->comp) {
			uint32_t count = rdr_le32(p + ps);
			size += (uint64_t)count * mi->comp;
		}
		uint64_t step = (size + align) & ~align;
		if (step < h->min_obj)
			step = h->min_obj;
		if (step > s->end - obj) {
			warn(h, "object at 0x%" PRIx64 " (size %" PRIu64 ") runs past the end of segment 0x%" PRIx64
			     ": rest skipped", obj, size, s->addr);
			break;
		}
		if (mt != h->free_mt) {
			if (!fn(arg, obj, mt, size < h->min_obj ? h->min_obj : size)) {
				*stop = true;
				break;
			}
			if (w->counted && ++objs == 65536) {
				progress_add(w, objs, obj + step - told);
				told = obj + step;
				objs = 0;
			}
		}
		obj += step;
	}
	/* a damaged segment's rest counts as walked: the walk's bytes add up */
	if (w->counted)
		progress_add(w, objs, s->end - told);
	return CH_OK;
}

enum ch_status heap_walk_from(struct heap *h, size_t seg, uint64_t from,
			      heap_obj_fn fn, void *arg)
{
	size_t nctx;
	const struct clr_alloc_ctx *ctx = clr_alloc_contexts(h->c, &nctx);
	struct walker *w = calloc(1, sizeof *w);
	if (!w)
		return CH_ENOMEM;
	w->h = h;
	bool stop = false;
	enum ch_status st = walk_seg(w, &h->segs[seg], from, ctx, nctx, fn, arg, &stop);
	free(w);
	return st;
}

enum ch_status heap_walk_segment(struct heap *h, size_t i, heap_obj_fn fn, void *arg)
{
	if (i >= h->nsegs)
		return CH_EARG;
	return heap_walk_from(h, i, h->segs[i].start, fn, arg);
}

enum ch_status heap_walk(struct heap *h, heap_obj_fn fn, void *arg)
{
	size_t nctx;
	const struct clr_alloc_ctx *ctx = clr_alloc_contexts(h->c, &nctx);
	struct walker *w = calloc(1, sizeof *w);
	if (!w)
		return CH_ENOMEM;
	w->h = h;
	w->counted = true;
	progress_start(h);
	bool stop = false;
	enum ch_status st = CH_OK;
	for (size_t i = 0; i < h->nsegs && !stop && st == CH_OK; i++)
		st = walk_seg(w, &h->segs[i], h->segs[i].start, ctx, nctx, fn, arg, &stop);
	progress_end(h);
	free(w);
	return st;
}

/* ---- stat ---- */

struct stat_acc {
	struct heap_stat_row *v; /* open addressing by mt */
	size_t cap, n;
	bool oom;
};

static bool stat_add(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)obj;
	struct stat_acc *s = arg;
	if (!mt_table_reserve((void **)&s->v, &s->cap, s->n, sizeof *s->v)) {
		s->oom = true;
		return false;
	}
	struct heap_stat_row *r = mt_table_slot(s->v, s->cap, sizeof *r, mt);
	if (!r->mt) {
		r->mt = mt;
		s->n++;
	}
	r->count++;
	r->bytes += size;
	return true;
}

static int row_cmp(const void *x, const void *y)
{
	const struct heap_stat_row *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? -1 : 1;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

/* The parallel count: workers take segments in turn, each counting into
 * its own table; the tables are added up after. */
#define STAT_WORKERS 8

struct stat_job {
	struct heap *h;
	const struct clr_alloc_ctx *ctx;
	size_t nctx;
	size_t next; /* the next segment to take (atomic) */
	struct wdefer *defer; /* per segment */
};

struct stat_worker {
	struct stat_job *job;
	struct stat_acc acc;
	pthread_t th;
	bool started;
};

static void *stat_run(void *arg)
{
	struct stat_worker *sw = arg;
	struct stat_job *j = sw->job;
	struct walker *w = calloc(1, sizeof *w);
	if (!w) {
		sw->acc.oom = true;
		return NULL;
	}
	w->h = j->h;
	w->counted = true;
	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (i >= j->h->nsegs || sw->acc.oom)
			break;
		bool stop = false;
		tl_defer = &j->defer[i];
		walk_seg(w, &j->h->segs[i], j->h->segs[i].start, j->ctx, j->nctx, stat_add, &sw->acc, &stop);
		tl_defer = NULL;
	}
	free(w);
	return NULL;
}

static bool stat_merge(struct stat_acc *into, const struct stat_acc *from)
{
	for (size_t i = 0; i < from->cap; i++) {
		const struct heap_stat_row *r = &from->v[i];
		if (!r->mt)
			continue;
		if (!mt_table_reserve((void **)&into->v, &into->cap, into->n, sizeof *into->v))
			return false;
		struct heap_stat_row *e = mt_table_slot(into->v, into->cap, sizeof *e, r->mt);
		if (!e->mt) {
			e->mt = r->mt;
			into->n++;
		}
		e->count += r->count;
		e->bytes += r->bytes;
	}
	return true;
}

/* Counts every segment on up to the CPUs' number of threads; *s gets the
 * sum. Warnings are recorded in segment order. */
static void stat_walk(struct heap *h, struct stat_acc *s)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nw = cpus < 1 ? 1 : cpus > STAT_WORKERS ? STAT_WORKERS : (size_t)cpus;
	if (nw > h->nsegs)
		nw = h->nsegs;
	struct stat_job j = { .h = h };
	j.ctx = clr_alloc_contexts(h->c, &j.nctx);
	j.defer = calloc(h->nsegs ? h->nsegs : 1, sizeof *j.defer);
	struct stat_worker sw[STAT_WORKERS];
	memset(sw, 0, sizeof sw);
	if (nw <= 1 || !j.defer) {
		free(j.defer);
		heap_walk(h, stat_add, s);
		return;
	}
	progress_start(h);
	for (size_t k = 0; k < nw; k++) {
		sw[k].job = &j;
		sw[k].started = pthread_create(&sw[k].th, NULL, stat_run, &sw[k]) == 0;
	}
	/* a worker that could not start leaves its segments to the others,
	 * and to this thread */
	struct stat_worker self = { .job = &j };
	stat_run(&self);
	for (size_t k = 0; k < nw; k++)
		if (sw[k].started)
			pthread_join(sw[k].th, NULL);
	progress_end(h);
	*s = self.acc;
	for (size_t k = 0; k < nw; k++) {
		if (sw[k].acc.oom || !stat_merge(s, &sw[k].acc))
			s->oom = true;
		free(sw[k].acc.v);
	}
	for (size_t i = 0; i < h->nsegs; i++) {
		for (size_t k = 0; k < j.defer[i].n; k++) {
			record(h, j.defer[i].msg[k]);
			free(j.defer[i].msg[k]);
		}
		free(j.defer[i].msg);
	}
	free(j.defer);
}

enum ch_status heap_stat(struct heap *h, const struct heap_stat_row **rows,
			 size_t *n, struct ch_err *err)
{
	pthread_mutex_lock(&h->lock);
	bool done = h->stat_done;
	pthread_mutex_unlock(&h->lock);
	if (!done) {
		struct stat_acc s = { 0 };
		stat_walk(h, &s);
		if (s.oom) {
			free(s.v);
			return ch_set_error(err, CH_ENOMEM, "out of memory counting objects");
		}
		size_t k = 0;
		for (size_t i = 0; i < s.cap; i++)
			if (s.v[i].mt)
				s.v[k++] = s.v[i];
		if (k)
			qsort(s.v, k, sizeof *s.v, row_cmp);
		pthread_mutex_lock(&h->lock);
		if (!h->stat_done) {
			uint64_t total = 0;
			for (size_t i = 0; i < k; i++)
				total += s.v[i].count;
			__atomic_store_n(&h->total_objs, total, __ATOMIC_RELAXED);
			h->stat = s.v;
			h->nstat = k;
			h->stat_done = true;
			s.v = NULL;
		}
		pthread_mutex_unlock(&h->lock);
		free(s.v);
	}
	*rows = h->stat;
	*n = h->nstat;
	return CH_OK;
}
