/* graph_handles.c - the GC handle table and the finalizer queue.
 *
 * Handle table (docs/RUNTIME.md §5): GcDacVars.handle_table_map is the
 * first HandleTableMap {buckets, next, max_index}; a bucket's first
 * pointer is an array of one HandleTable* per GC heap; a table's segment
 * list leads to 64 KB TableSegments of 120 blocks x 64 handles, each
 * block typed by rgBlockType (0xff unused), handles from +0x1000. Where
 * the segment list and a segment's back-pointer to its table sit moves
 * between runtime builds, so both are found by shape: a 64 KB-aligned
 * pointer in the table whose segment points back at the table. 32-bit
 * segments have 240 blocks.
 *
 * Finalizer queue: GcDacVars.finalize_queue (member 15: the address of the
 * workstation GC's CFinalize*; in server GC each heap's is at
 * gc_heap_field_offsets[2]) is {Object** fill[generations + 2]; Object**
 * array; Object** end; ...}: one segment per generation, oldest first
 * ([array, fill[0]) is the pinned heap's), then the critical and normal
 * objects ready for the finalizer thread, up to fill[generations + 1].
 * Checked on the zoo fixtures against ClrMD's EnumerateFinalizableObjects
 * and finalizer roots. */
#include "graph.h"

#include <stdlib.h>

/* What the walk reads with: the runtime and its address space. */
struct hctx {
	struct clr *c;
	struct as *a;
	unsigned ps;
	uint64_t mt_mask;
};

#define SEG_ALIGN 0x10000u
#define SEG_HANDLES 0x1000u
#define BLOCK_HANDLES 64u
#define MAX_SEG_BLOCKS 240u
/* A segment's header (handletablepriv.h, packed) sizes its per-block arrays
 * by the blocks that fit: 120 of 64 handles on 64-bit, 240 on 32-bit.
 * rgBlockType follows 13 bytes per block; the next and table pointers follow
 * 16 bytes per block and the per-type arrays, whose size has moved between
 * builds (seen: table at 2006 on x64, 3922 on x86). */
#define SEG_BLOCKS(ps) ((SEG_ALIGN - SEG_HANDLES) / (ps) / BLOCK_HANDLES)
#define SEG_BLOCK_TYPE(ps) (13u * SEG_BLOCKS(ps))
/* rgUserData follows: per block, the index of the block holding its extra
 * data (a dependent handle's secondary, slot for slot), or 0xff */
#define SEG_USER_DATA(ps) (14u * SEG_BLOCKS(ps))
/* The last internal block type marks those data blocks: never handles. */
#define BLOCK_TYPE_DATA 12u
#define BACKPTR_FROM(ps) (16u * SEG_BLOCKS(ps) - 20u)
#define BACKPTR_TO(ps) (16u * SEG_BLOCKS(ps) + 180u)
#define MAX_HANDLES (1u << 22)
#define MAX_SEGS 65536u
#define MAX_MAPS 64u
#define MAX_BUCKETS 4096u
#define MAX_HEAPS 1024u

static const char *const kind_names[GRAPH_HANDLE_KINDS] = {
	"weak-short", "weak-long", "strong", "pinned", "variable", "ref-counted",
	"dependent", "async-pinned", "sized-ref", "weak-native-com",
	"weak-interior-pointer", "cross-reference", NULL, NULL, NULL, NULL,
	"finalizer", "finalizer-ready",
};

const char *graph_handle_kind_name(unsigned kind)
{
	/* 12 marks data blocks and 13..15 no runtime uses: none is collected */
	return kind < GRAPH_HANDLE_KINDS && kind_names[kind] ? kind_names[kind] : "?";
}

struct hcoll {
	struct hctx *v;
	struct graph_handle *h;
	size_t n, cap;
	bool oom;
};

static bool rdptr(struct hctx *v, uint64_t va, uint64_t *out)
{
	return as_ptrv(v->a, va, out);
}

/* Whether obj is non-null and starts with a known MethodTable. */
static bool is_object(struct hctx *v, uint64_t obj)
{
	uint64_t mt;
	return obj && rdptr(v, obj, &mt) && clr_type_of(v->c, mt & v->mt_mask, NULL);
}

/* The offset in a segment of its pointer back to table, or 0. */
static unsigned backptr_off(struct hctx *v, uint64_t seg, uint64_t table)
{
	for (unsigned off = BACKPTR_FROM(v->ps); off < BACKPTR_TO(v->ps); off += 2) {
		uint64_t p;
		if (rdptr(v, seg + off, &p) && p == table)
			return off;
	}
	return 0;
}

static void add_handle(struct hcoll *hc, uint64_t addr, uint64_t obj, uint64_t secondary,
		       unsigned kind)
{
	if (hc->n >= MAX_HANDLES)
		return;
	if (hc->n == hc->cap) {
		size_t ncap = hc->cap ? hc->cap * 2 : 256;
		struct graph_handle *nh = realloc(hc->h, ncap * sizeof *nh);
		if (!nh) {
			hc->oom = true;
			return;
		}
		hc->h = nh;
		hc->cap = ncap;
	}
	hc->h[hc->n++] = (struct graph_handle){ addr, obj, secondary, (uint8_t)kind };
}

static void walk_table(struct hcoll *hc, uint64_t table)
{
	struct hctx *v = hc->v;
	/* the segment list: a 64 KB-aligned pointer whose segment points back */
	uint64_t seg = 0;
	unsigned back = 0;
	for (unsigned off = 0; off < 0x100 && !back; off += v->ps) {
		uint64_t p;
		if (rdptr(v, table + off, &p) && p && !(p & (SEG_ALIGN - 1)) &&
		    (back = backptr_off(v, p, table)))
			seg = p;
	}
	for (unsigned nseg = 0; seg && back && nseg < MAX_SEGS; nseg++) {
		uint8_t types[MAX_SEG_BLOCKS], data[MAX_SEG_BLOCKS];
		unsigned nblocks = SEG_BLOCKS(v->ps);
		if (as_read(v->a, seg + SEG_BLOCK_TYPE(v->ps), types, nblocks) != nblocks ||
		    as_read(v->a, seg + SEG_USER_DATA(v->ps), data, nblocks) != nblocks)
			break;
		for (unsigned b = 0; b < nblocks; b++) {
			if (types[b] >= BLOCK_TYPE_DATA)
				continue;
			bool dep = types[b] == GRAPH_H_DEPENDENT && data[b] < nblocks;
			for (unsigned i = 0; i < BLOCK_HANDLES; i++) {
				uint64_t slot = seg + SEG_HANDLES + (uint64_t)v->ps * (b * BLOCK_HANDLES + i);
				uint64_t obj, sec = 0;
				if (!rdptr(v, slot, &obj) || !is_object(v, obj))
					continue;
				if (dep && (!rdptr(v, seg + SEG_HANDLES + (uint64_t)v->ps *
							(data[b] * BLOCK_HANDLES + i), &sec) ||
					    !is_object(v, sec)))
					sec = 0;
				add_handle(hc, slot, obj, sec, types[b]);
			}
		}
		uint64_t next, check;
		if (!rdptr(v, seg + back - v->ps, &next) || !next || (next & (SEG_ALIGN - 1)) ||
		    !rdptr(v, next + back, &check) || check != table)
			break;
		seg = next;
	}
}

/* GcDacVars members after its three header words (gcinterface.dacvars.def) */
#define GCDAC_MEMBER(ps, j) ((3u + (j)) * (uint64_t)(ps))
#define GCDAC_FINALIZE_QUEUE 15
#define GCDAC_HEAP_FIELD_OFFSETS 27
#define HEAP_FIELD_FINALIZE_QUEUE 2
#define MAX_FINALIZABLE (1u << 24)

/* The objects of one CFinalize: registered ones and ready ones. */
static void walk_finalizer(struct hcoll *hc, uint64_t cf, unsigned ngen)
{
	struct hctx *v = hc->v;
	uint64_t p[16];
	unsigned nfill = ngen + 2;
	if (!cf || nfill + 2 > 16)
		return;
	for (unsigned i = 0; i < nfill + 2; i++)
		if (!rdptr(v, cf + (uint64_t)v->ps * i, &p[i]) || (p[i] % v->ps))
			return;
	uint64_t array = p[nfill], end = p[nfill + 1];
	/* the shape: array <= fill[0] <= ... <= fill[n-1] <= end, not huge */
	uint64_t prev = array;
	for (unsigned i = 0; i < nfill; i++) {
		if (p[i] < prev)
			return;
		prev = p[i];
	}
	if (prev > end || (end - array) / v->ps > MAX_FINALIZABLE)
		return;
	for (uint64_t slot = array; slot < p[nfill - 1]; slot += v->ps) {
		uint64_t obj;
		if (!rdptr(v, slot, &obj) || !is_object(v, obj))
			continue;
		add_handle(hc, slot, obj, 0,
			   slot < p[ngen - 1] ? GRAPH_H_FINALIZER : GRAPH_H_FINALIZER_READY);
	}
}

static void finalizer_queues(struct hcoll *hc)
{
	struct hctx *v = hc->v;
	const struct clr_gc_info *gc = clr_gc(v->c);
	uint64_t var, cf, offs;
	if (!gc->dacvars || gc->ngenerations < 1 || gc->ngenerations > 12)
		return;
	if (!gc->server) {
		if (rdptr(v, gc->dacvars + GCDAC_MEMBER(v->ps, GCDAC_FINALIZE_QUEUE), &var) && var &&
		    rdptr(v, var, &cf))
			walk_finalizer(hc, cf, gc->ngenerations);
		return;
	}
	int32_t off;
	if (!rdptr(v, gc->dacvars + GCDAC_MEMBER(v->ps, GCDAC_HEAP_FIELD_OFFSETS), &offs) || !offs ||
	    !as_u32(v->a, offs + 4 * HEAP_FIELD_FINALIZE_QUEUE, (uint32_t *)&off) || off < 0)
		return;
	for (unsigned h = 0; h < gc->nheaps && h < MAX_HEAPS; h++) {
		uint64_t heap;
		if (rdptr(v, gc->heaps + (uint64_t)v->ps * h, &heap) && heap &&
		    rdptr(v, heap + (uint64_t)off, &cf))
			walk_finalizer(hc, cf, gc->ngenerations);
	}
}

static int handle_cmp(const void *x, const void *y)
{
	const struct graph_handle *a = x, *b = y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

enum ch_status graph_handles(struct clr *c, struct graph_handle **out, size_t *n,
			     struct ch_err *err)
{
	struct hctx ctx = { c, clr_as(c), clr_ptr_size(c), clr_mt_mask(c) };
	struct hctx *v = &ctx;
	const struct clr_gc_info *gc = clr_gc(c);
	unsigned nheaps = gc->nheaps ? gc->nheaps : 1;
	if (nheaps > MAX_HEAPS)
		nheaps = MAX_HEAPS;
	struct hcoll hc = { .v = v };
	uint64_t map = gc->handle_table_map;
	uint32_t prev_max = 0;
	for (unsigned m = 0; map && m < MAX_MAPS; m++) {
		uint64_t buckets, next;
		uint32_t max;
		if (!rdptr(v, map, &buckets) || !rdptr(v, map + v->ps, &next) ||
		    !as_u32(v->a, map + 2 * v->ps, &max) || max < prev_max ||
		    max - prev_max > MAX_BUCKETS)
			break;
		for (uint32_t i = 0; i < max - prev_max; i++) {
			uint64_t bucket, tables;
			if (!rdptr(v, buckets + (uint64_t)v->ps * i, &bucket) || !bucket ||
			    !rdptr(v, bucket, &tables) || !tables)
				continue;
			for (unsigned h = 0; h < nheaps; h++) {
				uint64_t table;
				if (rdptr(v, tables + (uint64_t)v->ps * h, &table) && table)
					walk_table(&hc, table);
			}
		}
		prev_max = max;
		map = next;
	}
	finalizer_queues(&hc);
	if (hc.oom) {
		free(hc.h);
		return ch_set_error(err, CH_ENOMEM, "out of memory reading the GC handle table");
	}
	if (hc.n)
		qsort(hc.h, hc.n, sizeof *hc.h, handle_cmp);
	/* one entry per handle slot (a table reached twice adds nothing) */
	size_t u = 0;
	for (size_t i = 0; i < hc.n; i++)
		if (!u || hc.h[u - 1].addr != hc.h[i].addr || hc.h[u - 1].kind != hc.h[i].kind)
			hc.h[u++] = hc.h[i];
	*out = hc.h;
	*n = u;
	return CH_OK;
}

bool graph_handle_is_root(unsigned kind)
{
	switch (kind) {
	case GRAPH_H_STRONG: case GRAPH_H_PINNED: case GRAPH_H_REFCOUNTED:
	case GRAPH_H_ASYNC_PINNED: case GRAPH_H_SIZEDREF: case GRAPH_H_FINALIZER_READY:
		return true;
	default:
		return false;
	}
}
