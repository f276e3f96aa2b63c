/* graph_priv.h - what the graph's files share. */
#ifndef CLRHEAP_GRAPH_PRIV_H
#define CLRHEAP_GRAPH_PRIV_H

#include "graph.h"

#include "as.h"

#define GRAPH_ROOTMARK (UINT32_MAX - 1) /* parent[] of a root object */

/* A MethodTable's GCDesc: where an instance holds references. Regular
 * series (nser > 0): a run of pointers at off, size + object size bytes
 * long. Repeating (value-type arrays, nser < 0): from off, for every
 * element, nptrs pointers then skip bytes, item by item. */
struct graph_series {
	int64_t size;        /* regular: the adjusted length */
	uint64_t off;
	uint32_t nptrs, skip; /* repeating */
};

struct graph_desc {
	uint64_t mt;
	int32_t nser;       /* 0: no references */
	uint32_t first;     /* its series in graph.series */
};

struct graph {
	struct heap *h;
	struct clr *c;
	struct as *a;
	unsigned ps;
	uint64_t mt_mask;

	size_t n;            /* objects */
	uint64_t *addr;      /* ascending */
	uint32_t *size;      /* UINT32_MAX: ask the heap */

	struct graph_desc *desc; /* by mt */
	size_t ndesc;
	struct graph_series *series;
	size_t nseries;

	uint32_t *out_off, *out;  /* CSR: refs of i are out[out_off[i] .. out_off[i+1]) */
	uint64_t nrefs, dangling;
	uint32_t *in_off, *in;

	struct graph_root *roots;
	size_t nroots;

	uint32_t *parent;    /* UINT32_MAX dead, GRAPH_ROOTMARK a root object */
	uint32_t *idom;
	uint64_t *retained;
	uint64_t live_objects, live_bytes;

	uint64_t *type_ret;  /* pairs (mt, retained), by mt */
	size_t ntype_ret;

	const struct graph_opts *o;
};

/* The GCDesc of mt, or NULL when it has no references (or is unknown). */
const struct graph_desc *graph_desc_of(const struct graph *g, uint64_t mt);

/* Calls fn(arg, slot address, value) for every reference slot of object
 * obj (MethodTable mt, size bytes) in address order, values read from the
 * dump; stops when fn returns false. Returns false when the object's
 * bytes cannot be read. */
typedef bool (*graph_slot_fn)(void *arg, uint64_t slot, uint64_t value);
bool graph_slots(const struct graph *g, uint64_t obj, uint64_t mt, uint64_t size,
		 graph_slot_fn fn, void *arg);

/* The name of object from's reference slot at address slot, as
 * graph_edge_name gives it; with any_index an array element is "[]" (or
 * "[].field") whatever its index. */
bool graph_slot_name(const struct graph *g, uint32_t from, uint64_t slot, bool any_index,
		     char *buf, size_t size);
#define GRAPH_DEPENDENT_EDGE "(dependent handle)"

void graph_progress(const struct graph *g, const char *phase, uint64_t done, uint64_t total);

/* graph_roots.c: the roots, sorted (kind, where), with their objects. */
enum ch_status graph_find_roots(struct graph *g, struct ch_err *err);
/* graph_dom.c: parents (BFS from the roots), dominators, retained sizes. */
enum ch_status graph_paths(struct graph *g, struct ch_err *err);
enum ch_status graph_dominators(struct graph *g, struct ch_err *err);

#endif
