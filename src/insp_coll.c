/* insp_coll.c - the inspections read per type or per segment: empty
 * collections (from the collection decoders' items), sparse arrays of
 * references, finalizable types, and fragmentation. */
#include "insp_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "val_items.h"

struct trow {
	uint64_t mt, count, bytes, a, b, c; /* a, b, c: per inspection */
};

static int trow_cmp(const void *pa, const void *pb)
{
	const struct trow *x = pa, *y = pb;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->mt < y->mt ? -1 : x->mt > y->mt;
}

/* ---- empty collections ---- */

/* Generic collections the decoders read: the name up to its arguments. */
static const char *const generic_colls[] = {
	"System.Collections.Generic.List<", "System.Collections.Generic.Dictionary<",
	"System.Collections.Generic.HashSet<", "System.Collections.Generic.Queue<",
	"System.Collections.Generic.Stack<", "System.Collections.Generic.SortedDictionary<",
	"System.Collections.Generic.SortedSet<", "System.Collections.Generic.SortedList<",
	"System.Collections.Generic.LinkedList<",
	"System.Collections.Concurrent.ConcurrentDictionary<",
	"System.Collections.Concurrent.ConcurrentQueue<",
};
static const char *const plain_colls[] = {
	"System.Collections.Hashtable", "System.Collections.ArrayList",
	"System.Collections.SortedList",
};

/* Whether name is one of the collections above itself, not a type nested
 * in one (Dictionary<K, V>+KeyCollection): its arguments end the name. */
static bool is_collection(const char *name)
{
	for (size_t i = 0; i < sizeof plain_colls / sizeof plain_colls[0]; i++)
		if (strcmp(name, plain_colls[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof generic_colls / sizeof generic_colls[0]; i++) {
		size_t n = strlen(generic_colls[i]);
		if (strncmp(name, generic_colls[i], n) != 0)
			continue;
		int depth = 1;
		const char *p = name + n;
		for (; *p && depth; p++)
			depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
		return depth == 0 && *p == '\0';
	}
	return false;
}

/* Runs rows through out after the header, sorted, at most limit. */
typedef bool (*row_fn)(struct insp *x, const struct trow *r, insp_out_fn out, void *arg);

static enum ch_status emit(struct insp *x, struct trow *rows, size_t n, size_t limit,
			   const char *header, row_fn fn, insp_out_fn out, void *arg)
{
	qsort(rows, n, sizeof *rows, trow_cmp);
	insp_puts(out, arg, header);
	for (size_t i = 0; i < n && (!limit || i < limit); i++)
		if (!fn(x, &rows[i], out, arg))
			return insp_oom(x);
	return CH_OK;
}

static bool empty_row(struct insp *x, const struct trow *r, insp_out_fn out, void *arg)
{
	char tb[64];
	return insp_printf(out, arg, "%s\t%" PRIu64 "\t%" PRIu64 "\n",
			   insp_type_name(x, r->mt, tb, sizeof tb), r->count, r->bytes);
}

enum ch_status insp_empty_colls(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	size_t n;
	const struct heap_stat_row *st = insp_stat(x, &n);
	if (!st)
		return x->err.status;
	if (!x->v && val_open(x->c, &x->v, &x->err) != CH_OK) {
		x->v = NULL;
		return x->err.status;
	}
	struct trow *rows = calloc(n ? n : 1, sizeof *rows);
	if (!rows)
		return insp_oom(x);
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(x->c, st[i].mt, NULL);
		if (!t || !t->name || t->kind != CLR_KIND_CLASS || !is_collection(t->name))
			continue;
		const uint64_t *addrs;
		size_t na;
		if (heap_instances(x->h, st[i].mt, &addrs, &na, &x->err) != CH_OK) {
			free(rows);
			return x->err.status;
		}
		struct trow r = { st[i].mt, 0, 0, 0, 0, 0 };
		uint64_t each = na ? st[i].bytes / na : 0; /* one size per class */
		for (size_t j = 0; j < na; j++) {
			struct val_items *it = val_items_open(x->v, addrs[j]);
			if (!it)
				continue; /* damaged, or not decoded: not known empty */
			struct val_slot k, v;
			if (val_items_next(it, &k, &v) == 0) {
				r.count++;
				r.bytes += each;
			}
			val_items_close(it);
		}
		if (r.count)
			rows[nr++] = r;
	}
	enum ch_status s = emit(x, rows, nr, limit, "type\tcount\tbytes\n", empty_row, out, arg);
	free(rows);
	return s;
}

/* ---- sparse arrays ---- */

/* An sz-array whose slots are object references. */
static bool ref_array(const struct clr_type *t, unsigned ps)
{
	if (t->kind != CLR_KIND_ARRAY || !t->sz_array || t->component_size != ps ||
	    !(t->flags & CLR_MTF_CONTAINS_GC_POINTERS))
		return false;
	switch (t->elem_type) {
	case MD_ELEM_STRING: case MD_ELEM_CLASS: case MD_ELEM_OBJECT: case MD_ELEM_SZARRAY:
	case MD_ELEM_ARRAY: case MD_ELEM_VAR:
		return true;
	default:
		return false;
	}
}

/* Counts the null slots of the array at addr of len slots; false when the
 * dump does not hold them all. */
static bool count_nulls(struct insp *x, uint64_t addr, uint32_t len, uint64_t *nulls)
{
	uint8_t buf[8192];
	uint64_t at = addr + 2ull * x->ps, left = (uint64_t)len * x->ps, z = 0;
	while (left) {
		size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
		const uint8_t *p = as_ptr(x->a, at, want);
		if (!p) {
			if (as_read(x->a, at, buf, want) != want)
				return false;
			p = buf;
		}
		for (size_t i = 0; i + x->ps <= want; i += x->ps) {
			uint64_t w = 0;
			memcpy(&w, p + i, x->ps); /* only zero matters: byte order does not */
			z += w == 0;
		}
		at += want;
		left -= want;
	}
	*nulls = z;
	return true;
}

static bool sparse_row(struct insp *x, const struct trow *r, insp_out_fn out, void *arg)
{
	char tb[64];
	/* a: slots, b: null slots */
	double fill = r->a ? (double)(r->a - r->b) / (double)r->a : 0;
	return insp_printf(out, arg, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%.3f\t%" PRIu64 "\n",
			   insp_type_name(x, r->mt, tb, sizeof tb), r->count, r->a, r->b, fill,
			   r->bytes);
}

enum ch_status insp_sparse_arrays(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	size_t n;
	const struct heap_stat_row *st = insp_stat(x, &n);
	if (!st)
		return x->err.status;
	struct trow *rows = calloc(n ? n : 1, sizeof *rows);
	if (!rows)
		return insp_oom(x);
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(x->c, st[i].mt, NULL);
		if (!t || !ref_array(t, x->ps))
			continue;
		const uint64_t *addrs;
		size_t na;
		if (heap_instances(x->h, st[i].mt, &addrs, &na, &x->err) != CH_OK) {
			free(rows);
			return x->err.status;
		}
		struct trow r = { st[i].mt, 0, 0, 0, 0, 0 };
		for (size_t j = 0; j < na; j++) {
			uint32_t len;
			uint64_t z;
			if (!as_u32(x->a, addrs[j] + x->ps, &len) || len < INSP_SPARSE_MIN_LENGTH ||
			    !count_nulls(x, addrs[j], len, &z) || 2 * z < len)
				continue;
			r.count++;
			r.a += len;
			r.b += z;
			r.bytes += z * x->ps;
		}
		if (r.count)
			rows[nr++] = r;
	}
	enum ch_status s = emit(x, rows, nr, limit,
				"type\tcount\tlength\tnulls\tfill\tnull_bytes\n", sparse_row, out, arg);
	free(rows);
	return s;
}

/* ---- finalizable ---- */

static bool fin_row(struct insp *x, const struct trow *r, insp_out_fn out, void *arg)
{
	char tb[64];
	return insp_printf(out, arg, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n",
			   insp_type_name(x, r->mt, tb, sizeof tb), r->count, r->bytes, r->a, r->b);
}

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return a < b ? -1 : a > b;
}

/* The MethodTable of the object at addr, 0 when unreadable. */
static uint64_t mt_at(struct insp *x, uint64_t addr)
{
	uint8_t b[8] = { 0 };
	if (as_read(x->a, addr, b, x->ps) != x->ps)
		return 0;
	uint64_t v = 0;
	for (unsigned i = 0; i < x->ps; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v & clr_mt_mask(x->c);
}

enum ch_status insp_finalizable(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	size_t n, nh;
	const struct heap_stat_row *st = insp_stat(x, &n);
	if (!st)
		return x->err.status;
	const struct graph_handle *hs = insp_handles(x, &nh);
	/* the MTs of the finalizer queue's objects: (mt << 1 | ready) sorted */
	uint64_t *q = malloc((nh ? nh : 1) * sizeof *q);
	struct trow *rows = calloc(n ? n : 1, sizeof *rows);
	if (!q || !rows) {
		free(q);
		free(rows);
		return insp_oom(x);
	}
	size_t nq = 0;
	for (size_t i = 0; i < nh; i++)
		if (hs[i].kind == GRAPH_H_FINALIZER || hs[i].kind == GRAPH_H_FINALIZER_READY) {
			uint64_t mt = mt_at(x, hs[i].obj);
			if (mt && mt < (UINT64_C(1) << 63))
				q[nq++] = mt << 1 | (hs[i].kind == GRAPH_H_FINALIZER_READY);
		}
	qsort(q, nq, sizeof *q, u64_cmp);
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t flags, base;
		if (!clr_mt_sizes(x->c, st[i].mt, &flags, &base) || !(flags & INSP_MTF_HAS_FINALIZER))
			continue;
		struct trow r = { st[i].mt, st[i].count, st[i].bytes, 0, 0, 0 };
		uint64_t key = st[i].mt << 1;
		size_t lo = 0, hi = nq;
		while (lo < hi) { /* the first entry of this MT */
			size_t mid = lo + (hi - lo) / 2;
			if (q[mid] < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nq && q[lo] >> 1 == st[i].mt; lo++) {
			r.b++; /* b: in the queue (registered or ready) */
			r.a += q[lo] & 1; /* a: ready for the finalizer thread */
		}
		rows[nr++] = r;
	}
	enum ch_status s = emit(x, rows, nr, limit, "type\tcount\tbytes\tready\tqueued\n", fin_row,
				out, arg);
	free(rows);
	free(q);
	return s;
}

/* ---- fragmentation ---- */

struct fwalk {
	struct insp *x;
	const struct heap_seg *s;
	const struct clr_alloc_ctx *ctx; /* sorted by ptr */
	size_t nctx, ci;                 /* ci: the first that may meet a gap */
	uint64_t align, min_obj;
	uint64_t prev, prev_obj; /* the end of the last object, and its start */
	uint64_t free, large, large_pinned, gap, gap_addr, gap_before, gap_after;
	const uint64_t *pinned;
	size_t npinned;
};

/* The bytes of [a, b) that no allocation context holds. Gaps come in
 * address order, so the contexts are passed over once. */
static uint64_t free_part(struct fwalk *w, uint64_t a, uint64_t b)
{
	uint64_t n = b - a;
	while (w->ci < w->nctx && w->ctx[w->ci].limit + w->min_obj <= a)
		w->ci++;
	for (size_t i = w->ci; i < w->nctx && w->ctx[i].ptr < b; i++) {
		uint64_t lo = w->ctx[i].ptr, hi = w->ctx[i].limit + w->min_obj;
		if (hi < lo || hi <= a)
			continue;
		uint64_t o = (hi < b ? hi : b) - (lo > a ? lo : a);
		n -= o < n ? o : n;
	}
	return n;
}

static bool is_pinned(const struct fwalk *w, uint64_t obj)
{
	if (!obj)
		return false;
	if (w->s->gen == HEAP_POH)
		return true;
	return bsearch(&obj, w->pinned, w->npinned, sizeof obj, u64_cmp) != NULL;
}

static void gap(struct fwalk *w, uint64_t a, uint64_t b, uint64_t next)
{
	if (b <= a)
		return;
	uint64_t f = free_part(w, a, b);
	w->free += f;
	if (f < INSP_LARGE_GAP)
		return;
	w->large++;
	bool pin = is_pinned(w, next) || is_pinned(w, w->prev_obj);
	w->large_pinned += pin;
	if (f > w->gap) {
		w->gap = f;
		w->gap_addr = a;
		w->gap_before = w->prev_obj;
		w->gap_after = next;
	}
}

static bool frag_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	struct fwalk *w = arg;
	(void)mt;
	gap(w, w->prev, obj, obj);
	uint64_t step = size > UINT64_MAX - w->align ? size : (size + w->align) & ~w->align;
	w->prev = obj + step;
	w->prev_obj = obj;
	return true;
}

struct frow {
	size_t seg;
	uint64_t free, large, large_pinned, gap, gap_addr, pin;
};

static int frow_cmp(const void *pa, const void *pb)
{
	const struct frow *a = pa, *b = pb;
	if (a->free != b->free)
		return a->free > b->free ? -1 : 1;
	return a->seg < b->seg ? -1 : a->seg > b->seg;
}

static const char *gen_name(enum heap_gen g)
{
	static const char *const n[] = { "gen0", "gen1", "gen2", "loh", "poh", "frozen",
					 "ephemeral" };
	return (unsigned)g < sizeof n / sizeof n[0] ? n[g] : "?";
}

enum ch_status insp_fragmentation(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	size_t nseg, nh;
	const struct heap_seg *segs = heap_segments(x->h, &nseg);
	const struct graph_handle *hs = insp_handles(x, &nh);
	uint64_t *pinned = malloc((nh ? nh : 1) * sizeof *pinned);
	struct frow *rows = calloc(nseg ? nseg : 1, sizeof *rows);
	if (!pinned || !rows) {
		free(pinned);
		free(rows);
		return insp_oom(x);
	}
	size_t np = 0;
	for (size_t i = 0; i < nh; i++)
		if (hs[i].kind == GRAPH_H_PINNED || hs[i].kind == GRAPH_H_ASYNC_PINNED)
			pinned[np++] = hs[i].obj;
	qsort(pinned, np, sizeof *pinned, u64_cmp);
	size_t nctx;
	const struct clr_alloc_ctx *ctx = clr_alloc_contexts(x->c, &nctx);
	for (size_t i = 0; i < nseg; i++) {
		const struct heap_seg *s = &segs[i];
		struct fwalk w = { .x = x, .s = s, .ctx = ctx, .nctx = nctx,
				   .min_obj = clr_min_obj_size(x->c), .prev = s->start,
				   .pinned = pinned, .npinned = np };
		w.align = (x->ps == 8 || s->gen == HEAP_LOH || s->gen == HEAP_POH) ? 7 : 3;
		heap_walk_segment(x->h, i, frag_cb, &w);
		gap(&w, w.prev, s->end, 0);
		uint64_t pin = is_pinned(&w, w.gap_after) ? w.gap_after
			       : is_pinned(&w, w.gap_before) ? w.gap_before : 0;
		rows[i] = (struct frow){ i, w.free, w.large, w.large_pinned, w.gap, w.gap_addr, pin };
	}
	qsort(rows, nseg, sizeof *rows, frow_cmp);
	insp_puts(out, arg, "segment\theap\tgen\tbytes\tfree\tfree_ratio\tlarge_gaps\t"
		  "pinned_large_gaps\tlargest_gap\tgap_addr\tpinned_next_to_gap\n");
	unsigned hw = 2 * x->ps;
	enum ch_status st = CH_OK;
	for (size_t k = 0; k < nseg && (!limit || k < limit); k++) {
		const struct frow *r = &rows[k];
		const struct heap_seg *s = &segs[r->seg];
		uint64_t bytes = s->end > s->start ? s->end - s->start : 0;
		char ga[24] = "-", pn[320] = "-", tb[64];
		if (r->gap)
			snprintf(ga, sizeof ga, "%0*" PRIx64, (int)hw, r->gap_addr);
		if (r->pin)
			snprintf(pn, sizeof pn, "%0*" PRIx64 " %s", (int)hw, r->pin,
				 insp_type_name(x, mt_at(x, r->pin), tb, sizeof tb));
		if (!insp_printf(out, arg, "%0*" PRIx64 "\t%u\t%s\t%" PRIu64 "\t%" PRIu64 "\t%.3f\t%"
				 PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\n", (int)hw, s->addr, s->heap,
				 gen_name(s->gen), bytes, r->free,
				 bytes ? (double)r->free / (double)bytes : 0.0, r->large,
				 r->large_pinned, r->gap, ga, pn)) {
			st = insp_oom(x);
			break;
		}
	}
	free(rows);
	free(pinned);
	return st;
}
