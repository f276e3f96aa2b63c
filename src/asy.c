/* asy.c - async state-machine boxes and their continuation chains (asy.h).
 *
 * A box is found by shape, not by name: a type deriving from
 * System.Threading.Tasks.Task with an instance field named StateMachine
 * (AsyncTaskMethodBuilder<T>+AsyncStateMachineBox<TSM>, its debugger's
 * DebugFinalizableAsyncStateMachineBox, the ValueTask pooling builder's
 * box). The state machine is a struct inside it (a class in Debug builds).
 * Which box continues after a task is read from the task's
 * m_continuationObject (Task.cs): the box itself (an await without a
 * context), an Action whose target is the box or a ContinuationWrapper
 * around it, a TaskContinuation holding the action, or a List<object> of
 * any of these. Every read is checked; what cannot be read is left out. */
#include "asy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"

#define MAX_UNWRAP 6      /* delegate -> wrapper -> … : deeper is not the runtime's */
#define MAX_LIST 4096     /* continuations of one task looked at */

/* Task.m_stateFlags (Task.cs) */
#define TS_STARTED            0x10000u
#define TS_DELEGATE_INVOKED   0x20000u
#define TS_FAULTED            0x200000u
#define TS_CANCELED           0x400000u
#define TS_WAITING_ON_CHILDREN 0x800000u
#define TS_RAN_TO_COMPLETION  0x1000000u
#define TS_WAITINGFORACTIVATION 0x2000000u

struct asy_list {
	struct heap *h;
	struct asy_box *b;
	size_t n;
	uint64_t *box_mts; /* sorted */
	size_t nbox_mts;
};

struct ctx {
	struct clr *c;
	struct as *a;
	struct clr_resolver *r;
	unsigned ps;
	struct asy_list *l;
};

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static const struct clr_type *type_at(struct ctx *x, uint64_t obj)
{
	struct ch_err e = { 0 };
	uint64_t mt;
	if (!obj || (obj & (x->ps - 1)) || !as_ptrv(x->a, obj, &mt))
		return NULL;
	mt &= clr_mt_mask(x->c);
	return mt ? clr_type_of(x->c, mt, &e) : NULL;
}


/* The reference in field `name` of the object at obj, 0 when none. */
static uint64_t ref_field(struct ctx *x, uint64_t obj, const char *name)
{
	const struct clr_field *f = clr_field_named(x->c, type_at(x, obj), name);
	uint64_t v;
	return f && as_ptrv(x->a, obj + x->ps + f->offset, &v) ? v : 0;
}

static const struct clr_type *field_type(struct ctx *x, const struct clr_field *f)
{
	struct ch_err e = { 0 };
	uint64_t th = f->type_th ? f->type_th : clr_resolve_field(x->r, f);
	return th ? clr_type_of(x->c, th, &e) : NULL;
}

static bool is_value(const struct clr_type *t)
{
	return t->kind == CLR_KIND_STRUCT || t->kind == CLR_KIND_ENUM ||
	       t->kind == CLR_KIND_PRIMITIVE || t->kind == CLR_KIND_NULLABLE;
}

static bool is_box_mt(const struct asy_list *l, uint64_t mt)
{
	return l->box_mts && bsearch(&mt, l->box_mts, l->nbox_mts, sizeof mt, u64_cmp);
}

static size_t box_index(const struct asy_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->b[mid].addr == addr)
			return mid;
		if (l->b[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ASY_NONE;
}

/* What an awaiter struct at base (of type t) waits on: its first non-null
 * reference, two structs deep (TaskAwaiter's and ConfiguredTaskAwaiter's
 * m_task, ValueTaskAwaiter's _value._obj: a Task or an IValueTaskSource). */
static uint64_t awaiter_task(struct ctx *x, const struct clr_type *t, uint64_t base,
			     unsigned depth)
{
	struct ch_err e = { 0 };
	size_t n, ni;
	const struct clr_field *f = clr_type_fields(x->c, t, &n, &ni, &e);
	for (size_t i = 0; f && i < ni; i++) {
		const struct clr_type *ft = field_type(x, &f[i]);
		if (!ft)
			continue;
		uint64_t v;
		if (is_value(ft)) {
			if (depth < 2 && ft->kind == CLR_KIND_STRUCT &&
			    (v = awaiter_task(x, ft, base + f[i].offset, depth + 1)))
				return v;
		} else if (as_ptrv(x->a, base + f[i].offset, &v) && v && type_at(x, v)) {
			return v; /* a Task, or a ValueTask's IValueTaskSource */
		}
	}
	return 0;
}

/* The state machine of box b: its state and the task its current awaiter
 * holds (the <>u__N fields; an awaiter not in use is default, its task
 * null). */
static void read_machine(struct ctx *x, const struct clr_type *bt, struct asy_box *b)
{
	const struct clr_field *f = clr_field_named(x->c, bt, "StateMachine");
	const struct clr_type *st = f ? field_type(x, f) : NULL;
	b->machine = st && st->name ? st->name : f && f->type_name ? f->type_name : "?";
	if (!st)
		return;
	uint64_t base = b->addr + x->ps + f->offset;
	if (!is_value(st)) { /* a class in Debug builds */
		uint64_t o;
		if (!as_ptrv(x->a, base, &o) || !o)
			return;
		base = o + x->ps;
	}
	struct ch_err e = { 0 };
	size_t n, ni;
	const struct clr_field *sf = clr_type_fields(x->c, st, &n, &ni, &e);
	for (size_t i = 0; sf && i < ni; i++) {
		if (!sf[i].name)
			continue;
		uint32_t v;
		if (strcmp(sf[i].name, "<>1__state") == 0 && as_u32(x->a, base + sf[i].offset, &v)) {
			b->have_state = true;
			b->state = (int32_t)v;
		} else if (strncmp(sf[i].name, "<>u__", 5) == 0 && !b->awaits) {
			const struct clr_type *at = field_type(x, &sf[i]);
			uint64_t o;
			if (at && is_value(at))
				b->awaits = awaiter_task(x, at, base + sf[i].offset, 0);
			else if (at && as_ptrv(x->a, base + sf[i].offset, &o) && o && type_at(x, o))
				b->awaits = o; /* an awaiter of a class type, kept as object */
		}
	}
	const struct clr_type *tt = b->awaits ? type_at(x, b->awaits) : NULL;
	b->awaits_type = tt ? tt->name : NULL;
}

/* The box a continuation object leads to (0 when none): the object itself
 * when it is a box, else through a delegate's target, a wrapper's
 * _continuation or _stateMachine, a TaskContinuation's m_action, or the
 * items of a List<object>. */
static uint64_t continuation_box(struct ctx *x, uint64_t o, unsigned depth)
{
	const struct clr_type *t = type_at(x, o);
	if (!t || depth > MAX_UNWRAP)
		return 0;
	if (is_box_mt(x->l, t->mt))
		return o;
	if (clr_type_derives(x->c, t, "System.Delegate")) {
		uint64_t tg = ref_field(x, o, "_target");
		return tg && tg != o ? continuation_box(x, tg, depth + 1) : 0;
	}
	if (t->name && strncmp(t->name, "System.Collections.Generic.List<", 32) == 0) {
		const struct clr_field *fi = clr_field_named(x->c, t, "_items"), *fs = clr_field_named(x->c, t, "_size");
		uint64_t arr;
		uint32_t size, len;
		if (!fi || !fs || !as_ptrv(x->a, o + x->ps + fi->offset, &arr) || !arr ||
		    !as_u32(x->a, o + x->ps + fs->offset, &size) || !as_u32(x->a, arr + x->ps, &len))
			return 0;
		if (size > len)
			size = len;
		if (size > MAX_LIST)
			size = MAX_LIST;
		for (uint32_t i = 0; i < size; i++) {
			uint64_t it, bx;
			if (as_ptrv(x->a, arr + 2 * (uint64_t)x->ps + (uint64_t)i * x->ps, &it) && it &&
			    (bx = continuation_box(x, it, depth + 1)))
				return bx;
		}
		return 0;
	}
	static const char *const via[] = { "_continuation", "_stateMachine", "m_action",
					   "m_task", "StateMachine" };
	for (size_t k = 0; k < sizeof via / sizeof via[0]; k++) {
		uint64_t v = ref_field(x, o, via[k]);
		uint64_t bx = v && v != o ? continuation_box(x, v, depth + 1) : 0;
		if (bx)
			return bx;
	}
	return 0;
}

static bool find_boxes(struct ctx *x, struct heap *h, struct ch_err *err)
{
	const struct heap_stat_row *rows;
	size_t nrows;
	if (heap_stat(h, &rows, &nrows, err) != CH_OK)
		return false;
	struct asy_list *l = x->l;
	l->box_mts = malloc((nrows ? nrows : 1) * sizeof *l->box_mts);
	if (!l->box_mts)
		return ch_set_error(err, CH_ENOMEM, "out of memory"), false;
	size_t total = 0;
	for (size_t i = 0; i < nrows; i++) {
		struct ch_err e = { 0 };
		const struct clr_type *t = clr_type_of(x->c, rows[i].mt, &e);
		if (t && t->kind == CLR_KIND_CLASS && clr_field_named(x->c, t, "StateMachine") &&
		    clr_type_derives(x->c, t, "System.Threading.Tasks.Task")) {
			l->box_mts[l->nbox_mts++] = rows[i].mt;
			total += rows[i].count;
		}
	}
	qsort(l->box_mts, l->nbox_mts, sizeof *l->box_mts, u64_cmp);
	l->b = calloc(total ? total : 1, sizeof *l->b);
	if (!l->b)
		return ch_set_error(err, CH_ENOMEM, "out of memory"), false;
	for (size_t k = 0; k < l->nbox_mts; k++) {
		const uint64_t *addrs;
		size_t n;
		if (heap_instances(h, l->box_mts[k], &addrs, &n, err) != CH_OK)
			return false;
		for (size_t i = 0; i < n && l->n < total; i++)
			l->b[l->n++].addr = addrs[i];
	}
	qsort(l->b, l->n, sizeof *l->b, u64_cmp); /* addr is the first member */
	return true;
}

enum ch_status asy_open(struct heap *h, struct asy_list **out, struct ch_err *err)
{
	struct asy_list *l = calloc(1, sizeof *l);
	if (!l)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	struct ctx x = { heap_clr(h), clr_as(heap_clr(h)), NULL, clr_ptr_size(heap_clr(h)), l };
	l->h = h;
	enum ch_status st = clr_resolver_open(x.c, &x.r, err);
	if (st == CH_OK && !find_boxes(&x, h, err))
		st = err->status ? err->status : CH_ECORRUPT;
	for (size_t i = 0; st == CH_OK && i < l->n; i++) {
		struct asy_box *b = &l->b[i];
		const struct clr_type *bt = type_at(&x, b->addr);
		b->type = bt && bt->name ? bt->name : "?";
		b->next = b->awaits_box = ASY_NONE;
		uint32_t fl;
		const struct clr_field *ff = clr_field_named(x.c, bt, "m_stateFlags");
		if (ff && as_u32(x.a, b->addr + x.ps + ff->offset, &fl))
			b->flags = fl;
		read_machine(&x, bt, b);
		b->continuation = ref_field(&x, b->addr, "m_continuationObject");
		uint64_t nb = b->continuation ? continuation_box(&x, b->continuation, 0) : 0;
		b->next = nb && nb != b->addr ? box_index(l, nb) : ASY_NONE;
	}
	for (size_t i = 0; st == CH_OK && i < l->n; i++)
		l->b[i].awaits_box = l->b[i].awaits ? box_index(l, l->b[i].awaits) : ASY_NONE;
	clr_resolver_close(x.r);
	if (st != CH_OK) {
		asy_close(l);
		return st;
	}
	*out = l;
	return CH_OK;
}

void asy_close(struct asy_list *l)
{
	if (!l)
		return;
	free(l->b);
	free(l->box_mts);
	free(l);
}

const struct asy_box *asy_boxes(const struct asy_list *l, size_t *n)
{
	*n = l->n;
	return l->b;
}

const char *asy_status(uint32_t f)
{
	/* the order of Task.Status's getter */
	if (f & TS_FAULTED)
		return "Faulted";
	if (f & TS_CANCELED)
		return "Canceled";
	if (f & TS_RAN_TO_COMPLETION)
		return "RanToCompletion";
	if (f & TS_WAITING_ON_CHILDREN)
		return "WaitingForChildrenToComplete";
	if (f & TS_DELEGATE_INVOKED)
		return "Running";
	if (f & TS_STARTED)
		return "WaitingToRun";
	if (f & TS_WAITINGFORACTIVATION)
		return "WaitingForActivation";
	return "Created";
}
