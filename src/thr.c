/* thr.c - the runtime's managed threads: the ThreadStore's list walked
 * through clr_thread_list, each Thread's fields at the offsets of
 * clr_thread_layout (the contract descriptor on 9+, the built-in table on
 * 8), its handles followed to the Thread object and the last thrown
 * exception (each checked to be an object of the right type), and its
 * stack range from the dump's own thread list. */
#include "thr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "dump.h"

#define MAX_NAME_UNITS 1024u  /* UTF-16 units of a thread name read */
#define MAX_STACK_RANGES 4096u /* dump ranges joined into one stack */

/* Thread::m_State bits (src/coreclr/vm/threads.h, enum ThreadState). */
#define TS_ABORT_REQUESTED 0x00000001u
#define TS_BACKGROUND      0x00000200u
#define TS_UNSTARTED       0x00000400u
#define TS_DEAD            0x00000800u
#define TS_TPWORKER        0x01000000u
#define TS_INTERRUPTIBLE   0x02000000u
#define TS_COMPLETION_PORT 0x08000000u
#define TS_DETACHED        0x80000000u

struct thr_list {
	struct clr *c;
	struct clr_thread_store store;
	struct thr_thread *t;
	size_t n;
	char *names;      /* the names, NUL-separated; t[i].name point here */
	char *warning;
};

/* ---- reading objects ------------------------------------------------------ */

/* The type of the object at obj, or NULL when obj is no readable object. */
static const struct clr_type *object_type(struct clr *c, uint64_t obj)
{
	struct ch_err e = { 0 };
	uint64_t mt;
	if (!obj || (obj & (clr_ptr_size(c) - 1)) || !as_ptrv(clr_as(c), obj, &mt))
		return NULL;
	mt &= clr_mt_mask(c);
	return mt ? clr_type_of(c, mt, &e) : NULL;
}

/* The object a handle holds (an OBJECTHANDLE points at the object
 * reference), 0 when none or unreadable. */
static uint64_t handle_target(struct clr *c, uint64_t handle)
{
	uint64_t obj = 0;
	if (!handle || !as_ptrv(clr_as(c), handle, &obj))
		return 0;
	return obj;
}



/* True when obj (of type t) is thread th's System.Threading.Thread: by its
 * type's name, or where the name is unknown (a .NET 8 heap dump without the
 * framework's metadata) by a word inside the object pointing back at th. */
static bool is_thread_object(struct clr *c, const struct clr_type *t, uint64_t obj, uint64_t th)
{
	if (strcmp(t->name, "System.Threading.Thread") == 0)
		return true;
	if (strncmp(t->name, "<unknown", 8) != 0 || t->kind != CLR_KIND_CLASS)
		return false;
	unsigned ps = clr_ptr_size(c);
	for (uint64_t at = ps; at + ps <= t->base_size && at < 512; at += ps) {
		uint64_t v;
		if (as_ptrv(clr_as(c), obj + at, &v) && v == th)
			return true;
	}
	return false;
}

/* ---- one thread ------------------------------------------------------------ */

/* The stack range of the OS thread dt: the TEB's on Windows, else what
 * the runtime caches, else the dump's memory around its stack pointer. */
static void stack_range(struct clr *c, const struct clr_thread_layout *lay,
			const struct dump_thread *dt, struct thr_thread *t)
{
	struct as *a = clr_as(c);
	struct dump *d = as_dump(a);
	unsigned ps = clr_ptr_size(c);
	uint64_t teb = dt ? dt->teb : 0, base = 0, limit = 0;
	if (!teb && lay->teb != CLR_OFF_NONE && dump_os(d) == DUMP_OS_WINDOWS)
		as_ptrv(a, t->addr + lay->teb, &teb);
	/* NT_TIB: ExceptionList, StackBase, StackLimit */
	if (teb && as_ptrv(a, teb + ps, &base) && as_ptrv(a, teb + 2 * (uint64_t)ps, &limit) &&
	    base > limit) {
		t->stack_base = base;
		t->stack_limit = limit;
		t->stack_from = THR_STACK_TEB;
		return;
	}
	if (lay->stack_base != CLR_OFF_NONE && lay->stack_limit != CLR_OFF_NONE &&
	    as_ptrv(a, t->addr + lay->stack_base, &base) &&
	    as_ptrv(a, t->addr + lay->stack_limit, &limit) && base > limit && limit) {
		t->stack_base = base;
		t->stack_limit = limit;
		t->stack_from = THR_STACK_RUNTIME;
		return;
	}
	if (!dt || !dt->sp)
		return;
	size_t nr;
	const struct dump_range *r = dump_ranges(d, &nr);
	size_t lo = 0, hi = nr; /* the range holding sp */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].va + r[mid].size <= dt->sp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nr || r[lo].va > dt->sp)
		return;
	size_t first = lo, last = lo;
	while (first > 0 && lo - first < MAX_STACK_RANGES &&
	       r[first - 1].va + r[first - 1].size == r[first].va)
		first--;
	while (last + 1 < nr && last - lo < MAX_STACK_RANGES &&
	       r[last].va + r[last].size == r[last + 1].va)
		last++;
	t->stack_limit = r[first].va;
	t->stack_base = r[last].va + r[last].size;
	t->stack_from = THR_STACK_DUMP;
}

static unsigned state_flags(uint32_t s)
{
	unsigned f = 0;
	f |= s & TS_BACKGROUND ? THR_F_BACKGROUND : 0;
	f |= s & TS_UNSTARTED ? THR_F_UNSTARTED : 0;
	f |= s & TS_DEAD ? THR_F_DEAD : 0;
	f |= s & TS_TPWORKER ? THR_F_THREADPOOL : 0;
	f |= s & TS_COMPLETION_PORT ? THR_F_COMPLETION : 0;
	f |= s & TS_ABORT_REQUESTED ? THR_F_ABORT : 0;
	f |= s & TS_INTERRUPTIBLE ? THR_F_WAITING : 0;
	f |= s & TS_DETACHED ? THR_F_DETACHED : 0;
	return f;
}

/* Reads thread th into *t; *name gets its name (malloc'd) or NULL. */
static void read_thread(struct thr_list *l, const struct clr_thread_layout *lay, uint64_t th,
			struct thr_thread *t, char **name)
{
	struct clr *c = l->c;
	struct as *a = clr_as(c);
	unsigned ps = clr_ptr_size(c);
	memset(t, 0, sizeof *t);
	*name = NULL;
	t->addr = th;
	t->dump_index = -1;
	uint64_t v;
	if (lay->id != CLR_OFF_NONE)
		as_u32(a, th + lay->id, &t->managed_id);
	if (lay->os_id != CLR_OFF_NONE && as_ptrv(a, th + lay->os_id, &v))
		t->os_id = v;
	if (lay->state != CLR_OFF_NONE)
		as_u32(a, th + lay->state, &t->state);
	uint32_t coop = 0;
	if (lay->preemptive != CLR_OFF_NONE && as_u32(a, th + lay->preemptive, &coop))
		t->cooperative = coop != 0;
	t->flags = state_flags(t->state);
	if (th == l->store.finalizer)
		t->flags |= THR_F_FINALIZER;
	if (th == l->store.gc)
		t->flags |= THR_F_GC;
	clr_thread_alloc_ctx(c, th, &t->alloc);
	/* the System.Threading.Thread: its _name and _isThreadPool */
	if (lay->exposed != CLR_OFF_NONE && as_ptrv(a, th + lay->exposed, &v)) {
		uint64_t obj = handle_target(c, v);
		const struct clr_type *ty = object_type(c, obj);
		if (ty && is_thread_object(c, ty, obj, th)) {
			t->object = obj;
			const struct clr_field *f = clr_field_named(c, ty, "_name");
			uint64_t s;
			if (f && as_ptrv(a, obj + ps + f->offset, &s))
				*name = clr_string_utf8(c, s, MAX_NAME_UNITS);
			f = clr_field_named(c, ty, "_isThreadPool");
			uint8_t b = 0;
			if (f && as_read(a, obj + ps + f->offset, &b, 1) == 1 && b == 1)
				t->flags |= THR_F_THREADPOOL;
		}
	}
	/* the last thrown exception: an object whose type derives from
	 * System.Exception */
	if (lay->last_thrown != CLR_OFF_NONE && as_ptrv(a, th + lay->last_thrown, &v)) {
		uint64_t obj = handle_target(c, v);
		const struct clr_type *ty = object_type(c, obj);
		if (ty && clr_type_derives(c, ty, "System.Exception")) {
			t->exception = obj;
			t->exception_type = ty->name;
		}
	}
	/* the OS thread: its stack */
	size_t nd;
	const struct dump_thread *dt = dump_threads(as_dump(a), &nd), *mine = NULL;
	for (size_t i = 0; t->os_id && i < nd && !mine; i++)
		if (dt[i].tid == t->os_id) {
			mine = &dt[i];
			t->dump_index = (long)i;
		}
	stack_range(c, lay, mine, t);
}

/* ---- the list -------------------------------------------------------------- */

enum ch_status thr_open(struct clr *c, struct thr_list **out, struct ch_err *err)
{
	*out = NULL;
	struct thr_list *l = calloc(1, sizeof *l);
	if (!l)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	l->c = c;
	struct clr_thread_layout lay;
	enum ch_status st = clr_thread_store(c, &l->store, err);
	if (st == CH_OK && !clr_thread_layout(c, &lay))
		st = ch_set_error(err, CH_EUNSUPPORTED, "%s: this runtime does not describe its threads",
				  dump_path(as_dump(clr_as(c))));
	if (st != CH_OK) {
		thr_close(l);
		return st;
	}
	size_t max = l->store.counts && l->store.count < CLR_MAX_THREADS ? l->store.count :
									     CLR_MAX_THREADS;
	uint64_t *th = calloc(max ? max : 1, sizeof *th);
	char **names = calloc(max ? max : 1, sizeof *names);
	if (!th || !names) {
		free(th);
		free(names);
		thr_close(l);
		return ch_set_error(err, CH_ENOMEM, "out of memory for %zu threads", max);
	}
	struct ch_err we = { 0 };
	if (clr_thread_list(c, th, max, &l->n, &we) != CH_OK) {
		l->warning = strdup(we.msg);
		if (!l->warning)
			st = CH_ENOMEM;
	}
	l->t = calloc(l->n ? l->n : 1, sizeof *l->t);
	if (!l->t)
		st = CH_ENOMEM;
	size_t total = 0;
	for (size_t i = 0; st == CH_OK && i < l->n; i++) {
		read_thread(l, &lay, th[i], &l->t[i], &names[i]);
		total += names[i] ? strlen(names[i]) + 1 : 0;
	}
	if (st == CH_OK && total && !(l->names = malloc(total)))
		st = CH_ENOMEM;
	char *p = l->names;
	for (size_t i = 0; i < l->n; i++) {
		if (st == CH_OK && names[i]) {
			size_t len = strlen(names[i]) + 1;
			memcpy(p, names[i], len);
			l->t[i].name = p;
			p += len;
		}
		free(names[i]);
	}
	free(names);
	free(th);
	if (st != CH_OK) {
		thr_close(l);
		return ch_set_error(err, st, "out of memory reading %zu threads", max);
	}
	*out = l;
	return CH_OK;
}

void thr_close(struct thr_list *l)
{
	if (!l)
		return;
	free(l->t);
	free(l->names);
	free(l->warning);
	free(l);
}

const struct thr_thread *thr_threads(const struct thr_list *l, size_t *n)
{
	*n = l->n;
	return l->t;
}

const struct thr_thread *thr_find_os(const struct thr_list *l, uint64_t os_id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->t[i].os_id == os_id)
			return &l->t[i];
	return NULL;
}

const struct clr_thread_store *thr_store(const struct thr_list *l)
{
	return &l->store;
}

const char *thr_warning(const struct thr_list *l)
{
	return l->warning;
}

/* ---- text and JSON --------------------------------------------------------- */

static const struct {
	unsigned flag;
	const char *word;
} flag_words[] = {
	{ THR_F_BACKGROUND, "background" },  { THR_F_UNSTARTED, "unstarted" },
	{ THR_F_DEAD, "dead" },              { THR_F_THREADPOOL, "threadpool worker" },
	{ THR_F_COMPLETION, "completion port" }, { THR_F_FINALIZER, "finalizer" },
	{ THR_F_GC, "gc" },                  { THR_F_ABORT, "abort requested" },
	{ THR_F_WAITING, "waiting" },        { THR_F_DETACHED, "detached" },
};

const char *thr_flags_str(unsigned flags, char *buf, size_t size)
{
	size_t at = 0;
	if (!size)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++) {
		if (!(flags & flag_words[i].flag))
			continue;
		int k = snprintf(buf + at, size - at, "%s%s", at ? "," : "", flag_words[i].word);
		if (k < 0 || (size_t)k >= size - at) {
			buf[at] = '\0'; /* whole words only */
			break;
		}
		at += (size_t)k;
	}
	return buf;
}

const char *thr_stack_from_str(enum thr_stack_from f)
{
	switch (f) {
	case THR_STACK_TEB: return "teb";
	case THR_STACK_RUNTIME: return "runtime";
	case THR_STACK_DUMP: return "dump";
	default: return "none";
	}
}

void thr_thread_json(const struct thr_thread *t, struct jw *w)
{
	char hex[16];
	jw_obj_begin(w);
	jw_key(w, "os_id");
	jw_u64(w, t->os_id);
	jw_key(w, "managed_id");
	jw_u64(w, t->managed_id);
	jw_key(w, "runtime_thread");
	jw_hex(w, t->addr);
	jw_key(w, "thread");
	jw_hex_or_null(w, t->object);
	jw_key(w, "name");
	jw_str_or_null(w, t->name);
	jw_key(w, "state");
	snprintf(hex, sizeof hex, "0x%" PRIx32, t->state);
	jw_str(w, hex);
	jw_key(w, "flags");
	jw_arr_begin(w);
	for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++)
		if (t->flags & flag_words[i].flag)
			jw_str(w, flag_words[i].word);
	jw_arr_end(w);
	jw_key(w, "gc_mode");
	jw_str(w, t->cooperative ? "cooperative" : "preemptive");
	jw_key(w, "lock_count");
	if (t->have_lock_count)
		jw_u64(w, t->lock_count);
	else
		jw_null(w);
	jw_key(w, "alloc_context");
	jw_obj_begin(w);
	jw_key(w, "pointer");
	jw_hex(w, t->alloc.ptr);
	jw_key(w, "limit");
	jw_hex(w, t->alloc.limit);
	jw_obj_end(w);
	jw_key(w, "stack");
	if (t->stack_from == THR_STACK_NONE) {
		jw_null(w);
	} else {
		jw_obj_begin(w);
		jw_key(w, "base");
		jw_hex(w, t->stack_base);
		jw_key(w, "limit");
		jw_hex(w, t->stack_limit);
		jw_key(w, "from");
		jw_str(w, thr_stack_from_str(t->stack_from));
		jw_obj_end(w);
	}
	jw_key(w, "exception");
	jw_hex_or_null(w, t->exception);
	jw_key(w, "exception_type");
	jw_str_or_null(w, t->exception_type);
	jw_obj_end(w);
}

void thr_list_json(const struct thr_list *l, struct jw *w)
{
	const struct clr_thread_store *s = &l->store;
	jw_obj_begin(w);
	static const char *const keys[] = { "thread_count", "unstarted", "background", "pending",
					    "dead" };
	const uint32_t vals[] = { s->count, s->unstarted, s->background, s->pending, s->dead };
	for (size_t i = 0; i < 5; i++) {
		jw_key(w, keys[i]);
		if (s->counts)
			jw_u64(w, vals[i]);
		else
			jw_null(w);
	}
	jw_key(w, "warning");
	jw_str_or_null(w, l->warning);
	jw_key(w, "threads");
	jw_arr_begin(w);
	for (size_t i = 0; i < l->n; i++)
		thr_thread_json(&l->t[i], w);
	jw_arr_end(w);
	jw_obj_end(w);
}
