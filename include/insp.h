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

/* ---- diff: what each type gained or lost from heap a to heap b ----
 *
 * Types are matched by name (MethodTables differ between processes), the
 * MethodTables of one name added up. The rows are made on the first call
 * that needs them (a heap walk of each heap, or its stat if made) and kept.
 * One context serves one thread at a time. */

struct insp_diff;

/* One type's numbers in a and in b; type is borrowed from the heaps' type
 * names (or the caller's). */
struct insp_diff_row {
	const char *type;
	uint64_t count_a, count_b, bytes_a, bytes_b;
	uint64_t retained_a, retained_b; /* with the graphs (insp_diff_graphs) */
};

/* Opens a diff of a against b (both borrowed, outlive the context).
 * Cheap. Returns CH_OK and *out (free with insp_diff_close) or CH_ENOMEM
 * with a message in err. */
enum ch_status insp_diff_open(struct heap *a, struct heap *b, struct insp_diff **out,
			      struct ch_err *err);
void insp_diff_close(struct insp_diff *d);

/* Gives d the graphs of a and b (built on those heaps, borrowed, outliving
 * d), before the first call that makes rows: the rows then carry retained
 * bytes (a name's MethodTables' graph_type_retained added up), and the
 * root paths (insp_diff_paths) can be compared. */
void insp_diff_graphs(struct insp_diff *d, const struct graph *ga, const struct graph *gb);

/* Writes the types that changed as TSV through out, sorted by the bytes
 * gained (then the count gained, then the name), with the header
 *   count_delta bytes_delta count_a count_b bytes_a bytes_b change type
 * or, with the graphs,
 *   count_delta bytes_delta retained_delta count_a count_b bytes_a bytes_b
 *   retained_a retained_b change type
 * (deltas signed; change "new", "vanished" or empty) and a last line for
 * the total of every type, "(total)". Returns CH_OK, or a status with the
 * message kept on d (insp_diff_error): CH_ENOMEM or a heap's error. */
enum ch_status insp_diff_tsv(struct insp_diff *d, insp_out_fn out, void *arg);

/* The same as one JSON document and a newline:
 * {"types":[{"type","change"(when not empty),"count_a","count_b",
 * "count_delta","bytes_a","bytes_b","bytes_delta"; with the graphs
 * "retained_a","retained_b","retained_delta"}…],"total":{…}}. */
enum ch_status insp_diff_json(struct insp_diff *d, insp_out_fn out, void *arg);

/* The row of the type named name into *row: CH_OK, CH_ENOTFOUND when
 * neither heap has an instance of it, or the error of insp_diff_tsv. */
enum ch_status insp_diff_type(struct insp_diff *d, const char *name, struct insp_diff_row *row);

/* The row of the type named name as one JSON object and a newline:
 * {"type","count_a","count_b","count_delta","bytes_a","bytes_b",
 * "bytes_delta"; with the graphs "retained_a","retained_b",
 * "retained_delta"; "change"} (zeros and change "" for a type in neither).
 * Returns as insp_diff_tsv. */
enum ch_status insp_diff_type_json(struct insp_diff *d, const char *name, insp_out_fn out,
				   void *arg);

/* The root-path shapes (graph_shapes_build) of a and b, matched by key,
 * whose count or retained bytes changed, as TSV sorted by the retained
 * bytes gained (then the count gained, then the path), with the header
 *   retained_delta count_delta retained_a retained_b count_a count_b path
 * CH_EUNSUPPORTED without the graphs; otherwise as insp_diff_tsv. With
 * json, one document {"paths":[{"path","count_a","count_b","count_delta",
 * "retained_a","retained_b","retained_delta"}…]} and a newline. */
enum ch_status insp_diff_paths(struct insp_diff *d, bool json, insp_out_fn out, void *arg);

/* "new" (no instance in a), "vanished" (none in b) or "". */
const char *insp_diff_change(const struct insp_diff_row *r);

/* The message of the last failing call on d ("" when none). */
const char *insp_diff_error(const struct insp_diff *d);

#endif
