/* val_iter.h - walking the items of a collection one at a time, from
 * where the walk stopped: what the JSON of the collections in val_hash.c
 * and val_tree.c and the mount's .items/ views (val_items.h) share. Not
 * a public header.
 *
 * A walk is a struct it: the collection's layout, read once by it_open
 * from its fields by name, and a cursor that it_next moves. Every walk is
 * bounded (by the count the collection states, else by the objects the
 * dump could hold) and every chain is loop-checked, so damage ends a walk
 * with -1, never a loop. */
#ifndef CLRHEAP_VAL_ITER_H
#define CLRHEAP_VAL_ITER_H

#include "val_priv.h"

#define IT_STACK 96   /* tree heights: AVL and red-black trees of 2^31 items stay below 64 */
#define IT_ISTACK 64  /* an ImmutableDictionary bucket's list of collisions */

/* A value inside an entry, node or array element. */
struct islot {
	uint32_t off;   /* from the start of the entry, or of the node's fields */
	uint8_t elem;
	struct plan *sub; /* value types and enums */
};

struct it {
	struct val *v;
	uint64_t obj;
	enum vk kind;
	bool map;        /* items are key/value pairs */
	bool by_name;    /* ... and every key is a string: a JSON object */
	bool sentinel;   /* tree nodes whose left is null are empty */
	bool dense;      /* item i is element i: no freed entries */
	uint64_t count;  /* what the collection says it holds, or UINT64_MAX */
	uint64_t limit;  /* steps the walk may take */
	/* layout */
	uint64_t arr[2];          /* arrays: entries, buckets, keys and values */
	uint64_t data[2], n[2];   /* their first element, their length */
	uint32_t comp[2];
	struct islot key, val;    /* the item inside an entry or node */
	uint64_t mark;            /* Hashtable: a removed bucket's key */
	uint64_t node_mt, leaf_mt; /* linked nodes' MethodTables (F# trees: two) */
	uint32_t next_off, left_off, right_off; /* links inside a node's fields;
						   entries: next, hash code */
	struct islot first, more; /* Immutable hash buckets: first item, list of the others */
	uint32_t ilist_left, ilist_right; /* that list's node links */
	uint64_t ilist_mt;
	struct islot ikey;        /* that list's item */
	int32_t head;
	/* cursor */
	uint64_t ord;    /* items given */
	uint64_t pos;    /* array index, bucket */
	uint64_t node;   /* linked walks: the next node */
	uint64_t slow;   /* Floyd's slow pointer */
	uint64_t steps;
	uint64_t aux;    /* ConcurrentQueue: the index in a segment, its end */
	uint64_t aux2;
	bool inner;      /* inside an Immutable hash bucket's list */
	unsigned top, itop;
	uint64_t inode;
	uint64_t stack[IT_STACK];
	uint64_t istack[IT_ISTACK];
};

/* One item: val is where its value lives; key (maps) where its key does. */
struct item {
	struct val_slot key, val;
};

/* Opens the collection obj of plan p (any kind with a walk); false when
 * its fields do not hold together. */
bool it_open(struct val *v, const struct plan *p, uint64_t obj, struct it *it);
/* Back to the first item. */
void it_rewind(struct it *it);
/* The next item: 1, 0 at the end, -1 on damage. */
int it_next(struct it *it, struct item *out);
/* Moves so that the next item is item i. False past the end or on damage. */
bool it_seek(struct it *it, uint64_t i);
/* Whether p's kind has a walk. */
bool it_kind(enum vk k);

/* ---- per concern: the kinds' fields, layout, cursor ---- */
/* val_hash.c: arrays of entries (List, Queue, Stack, Dictionary, HashSet,
 * Hashtable, OrderedDictionary, ArrayList, SortedList,
 * ConditionalWeakTable) and ConcurrentQueue's segments. */
bool hash_plan(struct val *v, struct plan *p, const char *defname);
bool hash_open(struct it *it, const struct plan *p, const struct span *s);
void hash_rewind(struct it *it);
int hash_next(struct it *it, struct item *out);
/* Moves at once to item i where items are array elements without holes;
 * false when it cannot. */
bool hash_seek(struct it *it, uint64_t i);
/* val_tree.c: linked nodes and trees (ConcurrentDictionary, F# list, Map,
 * Set, SortedSet, SortedDictionary, LinkedList, ImmutableList,
 * ImmutableDictionary, ImmutableHashSet). */
bool tree_plan(struct val *v, struct plan *p, const char *defname);
bool tree_open(struct it *it, const struct plan *p, const struct span *s);
void tree_rewind(struct it *it);
int tree_next(struct it *it, struct item *out);
/* val_wrap.c: one value or a slice (Lazy, Task, StringBuilder,
 * ArraySegment, Memory, ImmutableArray). */
bool wrap_plan(struct val *v, struct plan *p, const char *defname);
bool emit_wrap(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level);

/* ---- helpers the decoders share (val_items.c) ---- */
/* The span of the instance data of the object at obj (0 bytes when it is
 * not readable). */
struct span it_obj_span(struct val *v, uint64_t obj);
/* The plan of the object at obj, or NULL. */
struct plan *it_obj_plan(struct val *v, uint64_t obj);
/* An i4 field of the data at s. */
bool it_i32(struct val *v, const struct span *s, const struct pfield *f, int32_t *out);
/* The value slot of field f in an entry or node. */
struct islot it_islot(const struct pfield *f);
/* The slot of is inside the data that starts at base. */
struct val_slot it_slot(const struct islot *is, uint64_t base);
/* An array: its element count, element size, where elements start, the
 * plan of value-type elements. False when addr is no one-dimensional
 * array. */
bool it_array(struct val *v, uint64_t addr, uint64_t *n, uint32_t *comp, uint64_t *data,
	      struct plan **ep, uint8_t *elem);
/* The objects a linked walk may visit: count when the collection states
 * one (and it is sane), else what the dump could hold. */
uint64_t it_limit(struct val *v, uint64_t count);

/* ---- JSON (val_items.c) ---- */
/* The logical content of a collection of a kind with a walk. False
 * (nothing written) on damage. */
bool emit_items(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level);

#endif
