/* asy.h - async state machines on the heap, as SOS !dumpasync shows them:
 * every box the async method builders allocate (AsyncStateMachineBox<…>
 * and the ValueTask builders' boxes: a Task with a StateMachine field), its
 * state (<>1__state), the task its current awaiter holds, the box that
 * continues when it completes (its m_continuationObject, through the
 * delegates, wrappers and lists the runtime puts there), and the task's
 * status. Chains run from a box that awaits no other box outward. Read once
 * by asy_open; immutable afterwards. */
#ifndef CLRHEAP_ASY_H
#define CLRHEAP_ASY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "heap.h"
#include "jw.h"

#define ASY_NONE ((size_t)-1)

struct asy_box {
	uint64_t addr;
	const char *type;      /* the box's type */
	const char *machine;   /* the state machine's type ("Ns.C+<Run>d__3"), or "?" */
	bool have_state;
	int32_t state;         /* <>1__state: -1 running or not started, -2 done, N awaiting */
	uint32_t flags;        /* Task.m_stateFlags */
	uint64_t awaits;       /* what the current awaiter holds (a Task, an
				  IValueTaskSource, an awaiter object), 0 when none */
	const char *awaits_type;
	size_t awaits_box;     /* index of that task when it is a box, else ASY_NONE */
	uint64_t continuation; /* the first object m_continuationObject leads to, 0 none */
	size_t next;           /* index of the box that continues after this one, or ASY_NONE */
};

struct asy_list;

/* Finds the boxes of h's heap (h borrowed; must outlive the list).
 * CH_OK also when there are none; CH_ENOMEM; message in err. */
enum ch_status asy_open(struct heap *h, struct asy_list **out, struct ch_err *err);
void asy_close(struct asy_list *l);
/* The boxes in address order (owned by l). */
const struct asy_box *asy_boxes(const struct asy_list *l, size_t *n);
/* Task.Status's name for m_stateFlags ("WaitingForActivation", …). */
const char *asy_status(uint32_t flags);

typedef void (*asy_out_fn)(void *arg, const char *p, size_t n);
/* async/chains.txt: each chain from its innermost box outward, chains of
 * the same shape (the same state machine types in order) counted once,
 * like !dumpasync --coalesce; most common shape first. */
void asy_chains_text(const struct asy_list *l, asy_out_fn out, void *arg);
/* async/boxes.tsv: one row per box (header line). */
void asy_boxes_tsv(const struct asy_list *l, asy_out_fn out, void *arg);
/* Every box as one JSON object: {"boxes":[{address, type, state_machine,
 * state, status, flags (m_stateFlags), awaits, awaits_type, continuation,
 * continues}]}. */
void asy_list_json(const struct asy_list *l, struct jw *w);

#endif
