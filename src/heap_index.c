/* heap_index.c - the per-type instance index (every object's address,
 * grouped by type, built on first use) and interior pointers (the object
 * holding an address, through per-segment bricks). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heap_priv.h"

/* ---- the instance index ---- */

/* Stat row of mt (open addressing over idx_slot), or -1. */
static long idx_row(const struct heap *h, uint64_t mt)
{
	size_t k = heap_mt_slot(mt, h->idx_cap);
	for (size_t probe = 0; probe < h->idx_cap; probe++) {
		uint32_t r = h->idx_slot[k];
		if (r == 0)
			return -1;
		if (h->stat[r - 1].mt == mt)
			return (long)r - 1;
		k = (k + 1) & (h->idx_cap - 1);
	}
	return -1;
}

struct idx_fill {
	struct heap *h;
	size_t *next; /* per row: next free slot */
	bool bad;
};

static bool idx_add(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct idx_fill *f = arg;
	long r = idx_row(f->h, mt);
	size_t end = (size_t)r + 1 < f->h->nstat ? f->h->idx_start[r + 1] : SIZE_MAX;
	if (r < 0 || f->next[r] >= end) { /* the heap changed under us: it cannot */
		f->bad = true;
		return false;
	}
	f->h->idx[f->next[r]++] = obj;
	return true;
}

static enum ch_status build_index(struct heap *h, struct ch_err *err)
{
	const struct heap_stat_row *rows;
	size_t n;
	enum ch_status st = heap_stat(h, &rows, &n, err);
	if (st != CH_OK)
		return st;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += rows[i].count;
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	if (total > SIZE_MAX / sizeof(uint64_t) || n >= UINT32_MAX)
		return ch_set_error(err, CH_ENOMEM, "too many objects to index");
	h->idx = malloc((total ? total : 1) * sizeof *h->idx);
	h->idx_start = calloc(n + 1, sizeof *h->idx_start);
	h->idx_slot = calloc(cap, sizeof *h->idx_slot);
	size_t *next = calloc(n + 1, sizeof *next);
	if (!h->idx || !h->idx_start || !h->idx_slot || !next) {
		free(next);
		return ch_set_error(err, CH_ENOMEM, "out of memory indexing %" PRIu64 " objects", total);
	}
	h->idx_cap = cap;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		h->idx_start[i] = next[i] = at;
		at += rows[i].count;
		size_t k = heap_mt_slot(rows[i].mt, cap);
		while (h->idx_slot[k])
			k = (k + 1) & (cap - 1);
		h->idx_slot[k] = (uint32_t)i + 1;
	}
	h->idx_start[n] = at;
	struct idx_fill f = { h, next, false };
	heap_walk(h, idx_add, &f);
	for (size_t i = 0; i < n && !f.bad; i++)
		f.bad = next[i] != h->idx_start[i + 1];
	free(next);
	if (f.bad)
		return ch_set_error(err, CH_ECORRUPT, "the heap walk did not repeat itself while indexing");
	return CH_OK;
}

enum ch_status heap_instances(struct heap *h, uint64_t mt,
			      const uint64_t **addrs, size_t *n,
			      struct ch_err *err)
{
	enum ch_status st = CH_OK;
	pthread_mutex_lock(&h->lock);
	bool done = h->idx_done;
	pthread_mutex_unlock(&h->lock);
	if (!done) {
		/* Index building runs once; concurrent callers wait for it. */
		pthread_mutex_lock(&h->idx_lock);
		if (!h->idx_done) {
			st = build_index(h, err);
			if (st != CH_OK) {
				free(h->idx);
				free(h->idx_start);
				free(h->idx_slot);
				h->idx = NULL;
				h->idx_start = NULL;
				h->idx_slot = NULL;
			}
			pthread_mutex_lock(&h->lock);
			h->idx_done = st == CH_OK;
			pthread_mutex_unlock(&h->lock);
		}
		pthread_mutex_unlock(&h->idx_lock);
		if (st != CH_OK)
			return st;
	}
	long r = idx_row(h, mt);
	*addrs = r < 0 ? NULL : h->idx + h->idx_start[r];
	*n = r < 0 ? 0 : h->idx_start[r + 1] - h->idx_start[r];
	return CH_OK;
}

/* ---- interior pointers ---- */

#define BRICK_SHIFT 12

struct brick_fill {
	uint64_t *b;
	uint64_t start;
	size_t n, next; /* bricks, first not yet set */
};

static bool brick_add(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	struct brick_fill *f = arg;
	uint64_t last = (obj + size - 1 - f->start) >> BRICK_SHIFT;
	for (; f->next <= last && f->next < f->n; f->next++)
		f->b[f->next] = obj;
	return true;
}

static int seg_cmp(const void *x, const void *y, void *arg)
{
	const struct heap_seg *s = arg;
	uint64_t a = s[*(const size_t *)x].start, b = s[*(const size_t *)y].start;
	return a < b ? -1 : a > b;
}

/* The segment holding addr (by binary search over starts), or -1. */
static long seg_of(struct heap *h, uint64_t addr)
{
	size_t lo = 0, hi = h->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->segs[h->order[mid]].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* segments do not overlap, but empty ones may share a start */
	for (size_t k = lo; k-- > 0;) {
		const struct heap_seg *s = &h->segs[h->order[k]];
		if (addr >= s->start && addr < s->end)
			return (long)h->order[k];
		if (s->end > s->start && addr >= s->end)
			break;
	}
	return -1;
}

struct find {
	uint64_t addr, obj, mt, size;
	bool found;
};

static bool find_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	struct find *f = arg;
	if (obj > f->addr)
		return false;
	if (f->addr - obj < size) {
		f->obj = obj;
		f->mt = mt;
		f->size = size;
		f->found = true;
		return false;
	}
	return true;
}

bool heap_object_at(struct heap *h, uint64_t addr, uint64_t *obj,
		    uint64_t *mt, uint64_t *size)
{
	pthread_mutex_lock(&h->idx_lock);
	if (!h->order && h->nsegs) {
		h->order = malloc(h->nsegs * sizeof *h->order);
		h->bricks = calloc(h->nsegs, sizeof *h->bricks);
		if (!h->order || !h->bricks) {
			free(h->order);
			free(h->bricks);
			h->order = NULL;
			h->bricks = NULL;
			pthread_mutex_unlock(&h->idx_lock);
			return false;
		}
		for (size_t i = 0; i < h->nsegs; i++)
			h->order[i] = i;
		qsort_r(h->order, h->nsegs, sizeof *h->order, seg_cmp, h->segs);
	}
	long si = h->order ? seg_of(h, addr) : -1;
	uint64_t from = 0;
	if (si >= 0) {
		const struct heap_seg *s = &h->segs[si];
		size_t nb = (size_t)((s->end - s->start + (1u << BRICK_SHIFT) - 1) >> BRICK_SHIFT);
		if (!h->bricks[si] && (h->bricks[si] = calloc(nb ? nb : 1, sizeof(uint64_t)))) {
			struct brick_fill f = { h->bricks[si], s->start, nb, 0 };
			heap_walk_segment(h, (size_t)si, brick_add, &f);
		}
		if (h->bricks[si])
			from = h->bricks[si][(addr - s->start) >> BRICK_SHIFT];
	}
	pthread_mutex_unlock(&h->idx_lock);
	if (!from || from > addr)
		return false;
	struct find f = { .addr = addr };
	heap_walk_from(h, (size_t)si, from, find_cb, &f);
	if (f.found) {
		*obj = f.obj;
		*mt = f.mt;
		*size = f.size;
	}
	return f.found;
}
