/* insp.h - inspections: tables of memory a heap wastes, each a TSV with a
 * header line, sorted by the bytes wasted, largest first.
 *
 *   duplicate-strings  value, count, size, wasted, holders
 *   empty-collections  type, count, bytes
 *   sparse-arrays      type, count, length, nulls, fill, null_bytes
 *   finalizable        type, count, bytes, ready
 *   large-objects      addr, size, heap, type, root, first
 *   fragmentation      segment, heap, gen, bytes, free, free_ratio,
 *                      largest_gap, gap_addr, pinned_next_to_gap
 *
 * The rules (what counts as sparse, which gap is large) are in README. An
 * inspection reads the dump through heap.h, val.h and graph.h; what the
 * dump does not hold (a page missing, a damaged collection) is left out,
 * never guessed. One context serves one thread at a time. */
#ifndef CLRHEAP_INSP_H
#define CLRHEAP_INSP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "graph.h"
#include "heap.h"

enum insp_kind {
	INSP_DUP_STRINGS = 0, INSP_EMPTY_COLLS, INSP_SPARSE_ARRAYS, INSP_FINALIZABLE,
	INSP_LARGE_OBJECTS, INSP_FRAGMENTATION, INSP_COUNT
};

/* Sparse arrays: arrays of references with at least this many slots, of
 * which at least half are null. */
#define INSP_SPARSE_MIN_LENGTH 8
/* Holder types are found for this many duplicate-string rows (the most
 * wasteful), from the referrers of at most INSP_HOLDER_SCAN of each. */
#define INSP_HOLDER_ROWS 100
#define INSP_HOLDER_SCAN 2000
/* Duplicate-string values are cut at this many UTF-16 units. */
#define INSP_VALUE_CUT 200
/* Fragmentation: a free gap this large or larger is a large one. */
#define INSP_LARGE_GAP 65536

struct insp;

/* Opens inspections over h (borrowed, outlives the context). The graph is
 * built on the first inspection that needs it, unless one is given with
 * insp_set_graph. Returns CH_OK and *out (free with insp_close) or
 * CH_ENOMEM with a message in err. */
enum ch_status insp_open(struct heap *h, struct insp **out, struct ch_err *err);
void insp_close(struct insp *x);

/* Lends x a graph of the same heap (borrowed; x then builds none). */
void insp_set_graph(struct insp *x, struct graph *g);

/* The file name stem of inspection k ("duplicate-strings"), or NULL. */
const char *insp_name(enum insp_kind k);
/* The inspection named name (with or without ".tsv"), or INSP_COUNT. */
enum insp_kind insp_find(const char *name);

typedef void (*insp_out_fn)(void *arg, const char *p, size_t n);

/* Writes inspection k as TSV through out: the header, then at most limit
 * rows (0: every row). Returns CH_OK, or a status with the message kept on
 * x (insp_error): CH_ENOMEM, CH_EARG for an unknown k, or the heap's or
 * the graph's error. */
enum ch_status insp_tsv(struct insp *x, enum insp_kind k, size_t limit, insp_out_fn out,
			void *arg);

/* The message of the last failing call on x ("" when none). */
const char *insp_error(const struct insp *x);

#endif
