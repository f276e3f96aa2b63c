/* val_items.h - the logical items of a collection one at a time, for a
 * view that lists them (the mount's .items/): List, Queue, Stack,
 * Dictionary, HashSet, ConcurrentQueue, ConcurrentDictionary, F# list,
 * Map, Set, and the collections val.h decodes besides (Hashtable,
 * OrderedDictionary, ArrayList, SortedList, SortedDictionary, SortedSet,
 * LinkedList, ImmutableList, ImmutableDictionary, ImmutableHashSet,
 * ConditionalWeakTable). Items come in the order the JSON shows them.
 *
 * A walk is bounded and loop-checked: a damaged collection ends it with
 * an error, never a loop. A walk may be used by one thread at a time. */
#ifndef CLRHEAP_VAL_ITEMS_H
#define CLRHEAP_VAL_ITEMS_H

#include <stdbool.h>
#include <stdint.h>

#include "val.h"

struct val_items;

/* Opens a walk of the items of the collection object at obj, before its
 * first item. NULL when obj is no such collection or its fields do not
 * hold together (or out of memory). Free with val_items_close. */
struct val_items *val_items_open(struct val *v, uint64_t obj);
void val_items_close(struct val_items *it);
/* A copy of the walk where it is (NULL when out of memory). */
struct val_items *val_items_dup(const struct val_items *it);

/* The collection's object. */
uint64_t val_items_obj(const struct val_items *it);
/* Whether items are key/value pairs, and whether every key is a string
 * (the JSON shows an object). */
bool val_items_pairs(const struct val_items *it);
bool val_items_by_key(const struct val_items *it);
/* How many items the walk has given. */
uint64_t val_items_pos(const struct val_items *it);

/* Moves the walk so that its next item is item i (from where it is when i
 * is ahead, else from the start; array-backed collections without holes
 * move at once). False when there is no item i. */
bool val_items_seek(struct val_items *it, uint64_t i);
/* The next item: where its value lives and, for pairs, where its key
 * does. Returns 1, 0 after the last item, -1 when the collection is
 * damaged there. */
int val_items_next(struct val_items *it, struct val_slot *key, struct val_slot *value);

#endif
