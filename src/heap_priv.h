/* heap_priv.h - what heap.c (segments, the walk, stat) and heap_index.c
 * (the per-type instance index, interior pointers) share. Not a public
 * header. */
#ifndef CLRHEAP_HEAP_PRIV_H
#define CLRHEAP_HEAP_PRIV_H

#include <pthread.h>

#include "heap.h"

/* The hot path's view of a MethodTable. */
struct mtinfo {
	uint64_t mt;
	uint32_t base, comp;
	uint8_t state; /* 1 valid, 2 invalid (mt 0: an empty slot) */
};

struct heap {
	struct clr *c;
	struct as *a;
	unsigned ps, min_obj;
	uint64_t mask, free_mt;
	struct heap_seg *segs;
	size_t nsegs;
	pthread_mutex_t lock; /* warnings, MT table, stat cache */
	char **warn;
	size_t nwarn;
	struct mtinfo *mts;   /* open addressing, power-of-two size */
	size_t mtcap, mtcount;
	struct heap_stat_row *stat;
	size_t nstat;
	bool stat_done;
	/* the instance index: addresses grouped by type (rows of stat) */
	uint64_t *idx;         /* every object, grouped */
	size_t *idx_start;     /* per stat row: first slot in idx */
	uint32_t *idx_slot;    /* open addressing: mt -> stat row + 1 */
	size_t idx_cap;
	bool idx_done;
	pthread_mutex_t idx_lock; /* held while the index is built */
	/* bricks for heap_object_at: per segment, per 4 KB, the first object
	 * that reaches past the start of that 4 KB (0: none) */
	uint64_t **bricks;
	size_t *order;            /* segments sorted by start */
	/* heap_set_progress: the hook and this walk's counts (atomic) */
	heap_progress_fn prog;
	void *prog_arg;
	uint64_t prog_objs, prog_bytes, total_bytes, total_objs;
};

/* Slot of mt in an open-addressing table of cap (a power of two) slots. */
size_t heap_mt_slot(uint64_t mt, size_t cap);

/* Walks segment seg from the object at from (which must be an object
 * start inside it) to the segment's end, like heap_walk_segment. */
enum ch_status heap_walk_from(struct heap *h, size_t seg, uint64_t from,
			      heap_obj_fn fn, void *arg);

#endif
