/* graph.h - the object graph: every object's outgoing references (from its
 * MethodTable's GCDesc, and dependent handles as edges from primary to
 * secondary), the referrers, the roots (GC handles, the finalizer-ready
 * queue, static fields, thread stacks scanned conservatively), the
 * shortest path from a root to every object, the dominator tree and
 * retained sizes.
 *
 * Built once, in compact arrays indexed by object number (objects in
 * address order). A reference that is not the start of an object on the
 * heap is left out (and counted). Nothing here follows a pointer without a
 * bounds check: a damaged object ends its own references, not the build. */
#ifndef CLRHEAP_GRAPH_H
#define CLRHEAP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clr.h"
#include "err.h"
#include "heap.h"

/* ---- GC handles and the finalizer queue (graph_handles.c) ---- */

#define GRAPH_HANDLE_KINDS 18 /* 16 GC handle types, then the finalizer queue */
#define GRAPH_H_WEAK_SHORT 0
#define GRAPH_H_WEAK_LONG 1
#define GRAPH_H_STRONG 2
#define GRAPH_H_PINNED 3
#define GRAPH_H_VARIABLE 4
#define GRAPH_H_REFCOUNTED 5
#define GRAPH_H_DEPENDENT 6   /* pairs (primary keeps secondary alive), not roots */
#define GRAPH_H_ASYNC_PINNED 7
#define GRAPH_H_SIZEDREF 8
#define GRAPH_H_FINALIZER 16       /* registered for finalization: not a root */
#define GRAPH_H_FINALIZER_READY 17 /* ready for the finalizer thread: a root */

struct graph_handle {
	uint64_t addr;      /* the handle slot (or finalizer queue slot) */
	uint64_t obj;       /* the object; a dependent handle's primary */
	uint64_t secondary; /* a dependent handle's secondary, or 0 */
	uint8_t kind;       /* GRAPH_H_* */
};

/* Every GC handle holding an object and every finalizer queue entry of c,
 * sorted by kind, then slot address, one entry per slot. *out is malloc'd
 * (free it); a damaged table ends its own walk. CH_ENOMEM only. */
enum ch_status graph_handles(struct clr *c, struct graph_handle **out, size_t *n,
			     struct ch_err *err);
/* "strong", "pinned", "dependent", "finalizer-ready", ...; "?" if none. */
const char *graph_handle_kind_name(unsigned kind);
/* Whether a handle of this kind keeps its object alive. */
bool graph_handle_is_root(unsigned kind);

/* ---- the graph ---- */

struct graph;

enum graph_root_kind {
	GRAPH_ROOT_STATIC = 0,   /* a static reference field */
	GRAPH_ROOT_THREAD_STATIC,
	GRAPH_ROOT_HANDLE,       /* a strong, pinned, async-pinned, ref-counted or sized-ref handle */
	GRAPH_ROOT_FINALIZER,    /* ready for the finalizer thread */
	GRAPH_ROOT_STACK,        /* a word of a thread's stack: conservative */
};

struct graph_root {
	uint64_t where;  /* the static's slot, the handle, the stack word */
	uint64_t mt;     /* statics: the declaring type */
	uint32_t obj;    /* the object's number */
	uint32_t field;  /* statics: the field's index in clr_type_fields */
	uint32_t aux;    /* handles: the handle kind; stacks and thread
			    statics: the OS thread id */
	uint8_t kind;    /* enum graph_root_kind */
};

/* The stack words the conservative scan reads for thread t: from its
 * stack pointer (aligned down to ps, into *sp) to the end of the memory
 * the dump holds there, at most 64 MB, and on Windows not past the TEB's
 * stack base. Returns the bytes at *p. */
size_t graph_stack_span(struct as *a, const struct dump_thread *t, unsigned ps, uint64_t *sp,
			const uint8_t **p);

struct graph_opts {
	bool no_stack_roots; /* leave thread stacks out of the roots */
	bool no_static_roots; /* leave static fields out (they are reachable from
				 the handles that hold the statics' arrays, one
				 hop further) */
	bool no_dominators;  /* stop after the root paths: idom and retained
				stay unknown (graph_has_dominators) */
	unsigned threads;    /* workers for the reference pass; 0: the CPUs, at most 8 */
	/* called now and then while building (phase name, done, total) */
	void (*progress)(void *arg, const char *phase, uint64_t done, uint64_t total);
	void *progress_arg;
};

/* Builds the whole graph of h's heap: numbers, references, referrers,
 * roots, root paths, dominators, retained sizes. h (and its clr) are
 * borrowed and must outlive the graph. Returns CH_OK and *out, or
 * CH_ENOMEM / CH_EUNSUPPORTED (more than 2^32 - 2 objects or references)
 * with a message. */
enum ch_status graph_build(struct heap *h, const struct graph_opts *o, struct graph **out,
			   struct ch_err *err);
void graph_close(struct graph *g);

#define GRAPH_NONE UINT32_MAX

size_t graph_count(const struct graph *g);
uint64_t graph_ref_count(const struct graph *g);
/* References to something that is not an object start, left out. */
uint64_t graph_dangling(const struct graph *g);
/* The number of the object starting at addr, or GRAPH_NONE. */
uint32_t graph_find(const struct graph *g, uint64_t addr);
uint64_t graph_addr(const struct graph *g, uint32_t i);
uint64_t graph_mt(const struct graph *g, uint32_t i);
uint64_t graph_size(const struct graph *g, uint32_t i);

/* Outgoing references of object i (numbers, field order, dependent
 * secondaries last; a target referenced twice is listed twice), and the
 * referrers (numbers, ascending, each once). */
const uint32_t *graph_refs(const struct graph *g, uint32_t i, size_t *n);
const uint32_t *graph_referrers(const struct graph *g, uint32_t i, size_t *n);

/* Roots in the order of enum graph_root_kind, then by where. */
const struct graph_root *graph_roots(const struct graph *g, size_t *n);

/* Root paths: whether i is reachable from a root; its parent on a
 * shortest path (GRAPH_NONE for a root object, then *root gets the index
 * of its root in graph_roots), and its distance (0 for a root object). */
bool graph_live(const struct graph *g, uint32_t i);
uint32_t graph_parent(const struct graph *g, uint32_t i, size_t *root);
uint32_t graph_depth(const struct graph *g, uint32_t i);
/* Live objects and their bytes. */
void graph_live_totals(const struct graph *g, uint64_t *objects, uint64_t *bytes);

/* Whether the build computed dominators and retained sizes (not with
 * graph_opts.no_dominators): without them the three below give
 * GRAPH_NONE and 0. */
bool graph_has_dominators(const struct graph *g);

/* Dominators: the immediate dominator of live object i (GRAPH_NONE when
 * only the roots dominate it, or i is dead), and the bytes kept alive only
 * through i, itself included (0 for a dead object). */
uint32_t graph_idom(const struct graph *g, uint32_t i);
uint64_t graph_retained(const struct graph *g, uint32_t i);

/* Per type: the retained bytes of all its instances together (the
 * dominator subtrees of those instances not dominated by another one),
 * for MethodTable mt; 0 for a type without live instances. */
uint64_t graph_type_retained(const struct graph *g, uint64_t mt);

/* Names the reference from object `from` to object `to`: the field
 * ("_items", "key.Value"), "[index]" of an array ("[3]", "[3].key"), or
 * "(dependent handle)"; into buf. False when from holds no such slot. */
bool graph_edge_name(const struct graph *g, uint32_t from, uint32_t to, char *buf,
		     size_t size);
/* Root r's kind as a word ("static", "thread-static", "strong-handle",
 * "pinned-handle", ..., "finalizer-ready", "stack") and its name: the
 * field ("Ns.Type.field"; a thread static's with " thread 1234"), the
 * handle or queue slot ("0x…"), or the stack word ("thread 1234 slot 0x…
 * (conservative)"); into buf. */
const char *graph_root_kind(const struct graph_root *r);
void graph_root_name(const struct graph *g, const struct graph_root *r, char *buf,
		     size_t size);

/* ---- as text (graph_text.c) ---- */

typedef void (*graph_out_fn)(void *arg, const char *p, size_t n);
/* The type name of object i ("<unknown type>" when unreadable). */
const char *graph_type_name(const struct graph *g, uint32_t i);
/* Object i's root path: text, the root ("<kind> <name>") on the first
 * line, then one object a line from the root on, "<addr> <type> <field>"
 * (the field of the line before that references it; none on the first
 * object); or "<addr> <type> is unreachable from every root". With json,
 * {"root":{"kind","name","conservative"},"path":[{"addr","type","field"}]}
 * or {"unreachable":true}, and a newline. CH_ENOMEM only. */
enum ch_status graph_gcroot(const struct graph *g, uint32_t i, bool json, graph_out_fn out,
			    void *arg);
/* "mt count total_size retained_size type" (tab-separated, a header
 * first), one row per type on the heap, by retained size, largest first. */
enum ch_status graph_retained_tsv(const struct graph *g, graph_out_fn out, void *arg);

/* ---- root path shapes (graph_shape.c) ---- */

/* Live objects grouped by the shape of their root path: the root's kind
 * (and a static's field by name; handles and stack words by kind alone),
 * then each hop's field ("[]" for any array element) and the type it
 * reaches. A hop to an object of its referrer's own type (a list's next
 * cell, a tree's child) stays in the referrer's shape, so a chain of any
 * length is one shape. Shapes hold no addresses: the same path in another
 * dump of the program has the same key. */
struct graph_shapes;
struct graph_shape {
	uint64_t key;
	uint64_t count, bytes; /* objects of the shape and their own bytes */
	uint64_t retained;     /* bytes kept alive only through them (a chain
				  counted from its head) */
};
/* Builds the shapes of g (which must outlive them). CH_ENOMEM only. */
enum ch_status graph_shapes_build(const struct graph *g, struct graph_shapes **out,
				  struct ch_err *err);
void graph_shapes_free(struct graph_shapes *s);
/* The shapes, in no order. */
const struct graph_shape *graph_shapes_all(const struct graph_shapes *s, size_t *n);
/* Shape k's text, root first: "static Ns.Type.field -> Some.Type -> _items
 * Some.Type[] -> [] Item -> next Node (recursive)"; malloc'd, NULL when out
 * of memory. */
char *graph_shape_text(const struct graph_shapes *s, size_t k);

#endif
