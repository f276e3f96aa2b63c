/* heap.h - the managed heap: every GC region or segment of every heap
 * (small, large, pinned and frozen; workstation and server GC; regions and
 * segments mode) and every object in them.
 *
 * A damaged object (an invalid MethodTable, a size running past its
 * segment) ends the walk of that segment with a recorded warning; a
 * segment list that loops is cut. Nothing here crashes or loops forever on
 * a corrupt dump. */
#ifndef CLRHEAP_HEAP_H
#define CLRHEAP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clr.h"
#include "err.h"

enum heap_gen { HEAP_GEN0 = 0, HEAP_GEN1, HEAP_GEN2, HEAP_LOH, HEAP_POH,
		HEAP_FROZEN, HEAP_EPHEMERAL /* segments mode: gen0+gen1 */ };

#define HEAP_SEG_READONLY 0x1u   /* frozen: objects baked in at startup */
#define HEAP_SEG_LOH      0x8u
#define HEAP_SEG_POH      0x200u

struct heap_seg {
	uint64_t addr;        /* the heap_segment record */
	uint64_t start, end;  /* objects lie in [start, end) */
	uint64_t committed, reserved;
	uint32_t flags;
	enum heap_gen gen;
	unsigned heap;        /* server GC heap number */
};

struct heap;

/* Enumerates the segments of every GC heap of c (borrowed). Returns *out
 * (free with heap_close) or a status with a message in err. Warnings
 * (a looping list, a segment out of bounds) are recorded, not fatal. */
enum ch_status heap_open(struct clr *c, struct heap **out, struct ch_err *err);
void heap_close(struct heap *h);

const struct heap_seg *heap_segments(const struct heap *h, size_t *n);
struct clr *heap_clr(const struct heap *h);

/* Called for every object that is not free: its address, MethodTable and
 * size as !DumpHeap reports it (unaligned, at least the minimum object
 * size). Return false to stop the walk. */
typedef bool (*heap_obj_fn)(void *arg, uint64_t obj, uint64_t mt, uint64_t size);

/* Walks every segment in order, skipping free objects and allocation
 * contexts. Returns CH_OK (also when fn stopped it). Damage is recorded as
 * warnings. Safe to call from several threads at once. */
enum ch_status heap_walk(struct heap *h, heap_obj_fn fn, void *arg);

/* Walks only segment i. */
enum ch_status heap_walk_segment(struct heap *h, size_t i, heap_obj_fn fn,
				 void *arg);

/* Told every 65,536 objects or so of a whole-heap walk (heap_walk, and so
 * the walks of the index and the graph; heap_stat's first count): objects
 * and segment bytes walked so far, and the totals (objects: 0 until
 * heap_stat has counted them); once more with done when the walk ends.
 * May be called from several threads at once; one whole-heap walk of h at
 * a time is told right. */
typedef void (*heap_progress_fn)(void *arg, bool done, uint64_t objects,
				 uint64_t total_objects, uint64_t bytes, uint64_t total_bytes);
void heap_set_progress(struct heap *h, heap_progress_fn fn, void *arg);

struct heap_stat_row {
	uint64_t mt;
	uint64_t count;
	uint64_t bytes;
};

/* Per-type counts and sizes of the whole heap, sorted by bytes ascending
 * (then by count, then MT), as !DumpHeap -stat. Computed on first call and
 * cached; rows are owned by h. */
enum ch_status heap_stat(struct heap *h, const struct heap_stat_row **rows,
			 size_t *n, struct ch_err *err);

/* The addresses of every instance of mt, in heap order. The index of all
 * types is built on the first call (one walk after heap_stat; 8 bytes per
 * object) and kept; *addrs is owned by h. *n is 0 for a type with no
 * instances. */
enum ch_status heap_instances(struct heap *h, uint64_t mt,
			      const uint64_t **addrs, size_t *n,
			      struct ch_err *err);

/* Finds the object that contains address addr (its start or any byte
 * inside it). Returns true and its address, MethodTable and size; false
 * when addr is in no object (free space, outside every segment). Uses a
 * table of one entry per 4 KB of each segment, built for a segment on its
 * first lookup. Thread-safe. */
bool heap_object_at(struct heap *h, uint64_t addr, uint64_t *obj,
		    uint64_t *mt, uint64_t *size);

/* Warnings recorded so far (damaged objects, looping lists): count, and
 * the i-th message (owned by h). */
size_t heap_warning_count(struct heap *h);
const char *heap_warning(struct heap *h, size_t i);

#endif
