/* thr.h - the runtime's managed threads, as SOS !threads shows them: for
 * each Thread of the ThreadStore its ids, its System.Threading.Thread
 * object and name, its state, GC mode, allocation context, stack range
 * and last thrown exception. Read once by thr_open from a struct clr; the
 * list is immutable afterwards and safe to read from several threads. */
#ifndef CLRHEAP_THR_H
#define CLRHEAP_THR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clr.h"
#include "err.h"
#include "jw.h"

/* What a thread is, decoded from Thread::m_State (threads.h ThreadState:
 * the bits are the same from .NET 8 to 11), the ThreadStore's special
 * threads and the Thread object. */
#define THR_F_BACKGROUND  0x001u /* TS_Background */
#define THR_F_UNSTARTED   0x002u /* TS_Unstarted */
#define THR_F_DEAD        0x004u /* TS_Dead */
#define THR_F_THREADPOOL  0x008u /* TS_TPWorkerThread, or the Thread object's _isThreadPool */
#define THR_F_COMPLETION  0x010u /* TS_CompletionPortThread */
#define THR_F_FINALIZER   0x020u /* the runtime's finalizer thread */
#define THR_F_GC          0x040u /* g_pSuspensionThread: suspended the runtime for a GC */
#define THR_F_ABORT       0x080u /* TS_AbortRequested */
#define THR_F_WAITING     0x100u /* TS_Interruptible: in Sleep, Wait or Join */
#define THR_F_DETACHED    0x200u /* TS_Detached */

/* Where a thread's stack range came from. */
enum thr_stack_from {
	THR_STACK_NONE = 0, /* unknown: no such OS thread in the dump */
	THR_STACK_TEB,      /* the TEB's NT_TIB StackBase and StackLimit (Windows) */
	THR_STACK_RUNTIME,  /* the Thread's cached stack base and limit (11+) */
	THR_STACK_DUMP,     /* the memory the dump holds around the thread's
			       stack pointer: limit = its lowest address */
};

struct thr_thread {
	uint64_t addr;         /* the runtime's Thread* (SOS: ThreadOBJ) */
	uint32_t managed_id;   /* Thread.ManagedThreadId */
	uint64_t os_id;        /* 0 for a thread not started or gone */
	uint32_t state;        /* Thread::m_State as read */
	unsigned flags;        /* THR_F_* */
	bool cooperative;      /* m_fPreemptiveGCDisabled != 0 */
	bool have_lock_count;  /* false: the runtime keeps no lock count (8+) */
	uint32_t lock_count;
	struct clr_alloc_ctx alloc; /* {0, 0} when none or unreadable */
	uint64_t stack_base, stack_limit; /* 0 when unknown */
	enum thr_stack_from stack_from;
	long dump_index;       /* index in dump_threads, -1 when not there */
	uint64_t object;       /* the System.Threading.Thread, 0 when none */
	const char *name;      /* its _name as UTF-8, NULL when none */
	uint64_t exception;    /* the last thrown exception object, 0 when none */
	const char *exception_type; /* its type's name, NULL when none */
};

struct thr_list;

/* Reads the managed threads of c's runtime (c is borrowed and must
 * outlive the list). Returns CH_OK with the list in *out (free with
 * thr_close), also when the thread list is damaged: then the threads read
 * before the damage are listed and thr_warning says what ended the walk.
 * CH_EUNSUPPORTED when the runtime does not describe its threads,
 * CH_ECORRUPT when its ThreadStore is unreadable, CH_ENOMEM; message in
 * err. */
enum ch_status thr_open(struct clr *c, struct thr_list **out, struct ch_err *err);
/* Frees l and what it owns; NULL is a no-op. */
void thr_close(struct thr_list *l);

/* The threads in the runtime's list order (owned by l). */
const struct thr_thread *thr_threads(const struct thr_list *l, size_t *n);
/* The thread whose OS id is os_id (the first, for 0), or NULL. */
const struct thr_thread *thr_find_os(const struct thr_list *l, uint64_t os_id);
/* The ThreadStore: its counts and special threads (owned by l). */
const struct clr_thread_store *thr_store(const struct thr_list *l);
/* Why the walk of the thread list ended early (damaged links, a list
 * longer or shorter than the ThreadStore's count), or NULL when it read
 * the whole list. Owned by l. */
const char *thr_warning(const struct thr_list *l);

/* flags (THR_F_*) as comma-separated words ("background,threadpool
 * worker"), "" for none, into buf; returns buf. */
const char *thr_flags_str(unsigned flags, char *buf, size_t size);
/* "teb", "runtime", "dump" or "none". */
const char *thr_stack_from_str(enum thr_stack_from f);

/* Writes t as one JSON object to w: os_id, managed_id, runtime_thread,
 * thread (the Thread object or null), name, state (hex), flags (an array of
 * thr_flags_str's words), gc_mode ("cooperative"/"preemptive"),
 * lock_count (null: not kept), alloc_context {pointer, limit}, stack
 * {base, limit, from} (null when unknown), exception and exception_type
 * (null when none). Addresses are "0x…" strings. */
void thr_thread_json(const struct thr_thread *t, struct jw *w);
/* Writes the whole list as one JSON object: the ThreadStore's counts,
 * "warning" (null when none), "threads" (an array of thr_thread_json). */
void thr_list_json(const struct thr_list *l, struct jw *w);

#endif
