/* clr_tls.c - managed threads and their thread-static fields: the
 * runtime's thread list, and per type and thread the bases its
 * ThreadStaticsInfo indexes lead to through the thread's ThreadLocalData
 * (the Thread contract's GetThreadLocalStaticBase, checked on 10.0.12 and
 * 9.0.20 dumps against the zoo fixture's truth); .NET 8's ThreadLocalBlock
 * scheme is in clr_legacy.c. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

static bool off_of(struct clr *c, const char *type, const char *field, uint32_t *out)
{
	return c->desc && clr_desc_offset(c->desc, type, field, out);
}

size_t clr_threads(struct clr *c, struct clr_thread *out, size_t max)
{
	const struct clr_off *o = &c->off;
	uint32_t id_off, os_off;
	uint64_t ts = 0, link = 0;
	if (o->th_before_link) /* .NET 8: the built-in table's */
		return o->have_threads ? clr_legacy_threads(c, out, max) : 0;
	if (!o->have_threads || !c->threadstore_var || !off_of(c, "Thread", "Id", &id_off) ||
	    !off_of(c, "Thread", "OSId", &os_off) ||
	    !clr_rdptr(c, c->threadstore_var, &ts) || !ts || !clr_rdptr(c, ts + o->ts_first, &link))
		return 0;
	size_t n = 0;
	uint64_t first = link;
	for (unsigned k = 0; link && k < 100000; k++) {
		uint64_t th = link - o->th_unlink, os = 0;
		uint32_t id = 0;
		if (n < max && as_u32(c->a, th + id_off, &id) && clr_rdptr(c, th + os_off, &os)) {
			out[n].addr = th;
			out[n].id = id;
			out[n].os_id = os;
			n++;
		}
		if (!clr_rdptr(c, th + o->th_link, &link) || link == first)
			break;
	}
	return n;
}

/* ---- the thread store ----------------------------------------------------
 * On 9+ the descriptor names the ThreadStore's and Thread's fields (9 and
 * 10 call the Thread object's handle GCHandle, 11 ExposedObject); 8 takes
 * them from its built-in table (clr_legacy.c). The list links one link
 * field per Thread: on 8 the link's first word is the next link. */

static bool legacy_threads(const struct clr *c)
{
	return c->off.th_before_link != 0;
}

bool clr_thread_layout(struct clr *c, struct clr_thread_layout *out)
{
	const struct clr_off *o = &c->off;
	*out = (struct clr_thread_layout){ CLR_OFF_NONE, CLR_OFF_NONE, CLR_OFF_NONE, CLR_OFF_NONE,
					   CLR_OFF_NONE, CLR_OFF_NONE, CLR_OFF_NONE, CLR_OFF_NONE,
					   CLR_OFF_NONE };
	if (!o->have_threads)
		return false;
	if (legacy_threads(c)) {
		out->id = o->th_id;
		out->os_id = o->th_os_id;
		out->state = o->th_state;
		out->preemptive = o->th_state + 4;
		if (o->th_exposed)
			out->exposed = o->th_exposed;
		if (o->th_last_thrown)
			out->last_thrown = o->th_last_thrown;
		return true;
	}
	static const struct {
		const char *name;
		size_t at;
	} f[] = {
		{ "Id", offsetof(struct clr_thread_layout, id) },
		{ "OSId", offsetof(struct clr_thread_layout, os_id) },
		{ "State", offsetof(struct clr_thread_layout, state) },
		{ "PreemptiveGCDisabled", offsetof(struct clr_thread_layout, preemptive) },
		{ "ExposedObject", offsetof(struct clr_thread_layout, exposed) },
		{ "GCHandle", offsetof(struct clr_thread_layout, exposed) },
		{ "LastThrownObject", offsetof(struct clr_thread_layout, last_thrown) },
		{ "CachedStackBase", offsetof(struct clr_thread_layout, stack_base) },
		{ "CachedStackLimit", offsetof(struct clr_thread_layout, stack_limit) },
		{ "TEB", offsetof(struct clr_thread_layout, teb) },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		uint32_t v;
		uint32_t *slot = (uint32_t *)((char *)out + f[i].at);
		if (*slot == CLR_OFF_NONE && off_of(c, "Thread", f[i].name, &v))
			*slot = v;
	}
	return true;
}

/* The ThreadStore itself, 0 when unreadable. */
static uint64_t thread_store_addr(struct clr *c)
{
	uint64_t ts = 0;
	if (!c->off.have_threads || !c->threadstore_var || !clr_rdptr(c, c->threadstore_var, &ts))
		return 0;
	return ts;
}

/* A pointer global of the descriptor: the address of the variable. */
static uint64_t thread_var(struct clr *c, const char *name, uint64_t legacy_var)
{
	uint64_t var = legacy_var, th = 0;
	if (!legacy_threads(c) && (!c->desc || !clr_desc_global(c->desc, name, &var)))
		return 0;
	if (!var || !clr_rdptr(c, var, &th))
		return 0;
	return th;
}

enum ch_status clr_thread_store(struct clr *c, struct clr_thread_store *out,
				struct ch_err *err)
{
	const char *dp = dump_path(as_dump(c->a));
	memset(out, 0, sizeof *out);
	if (!c->off.have_threads || !c->threadstore_var)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: this runtime does not describe its threads", dp);
	out->addr = thread_store_addr(c);
	if (!out->addr)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the ThreadStore pointer at 0x%" PRIx64 " cannot be read", dp,
				    c->threadstore_var);
	/* ThreadCount, then the unstarted, background, pending and dead
	 * counts, each a u32 */
	static const char *const names[] = { "ThreadCount", "UnstartedCount", "BackgroundCount",
					     "PendingCount", "DeadCount" };
	uint32_t *dst[] = { &out->count, &out->unstarted, &out->background, &out->pending,
			    &out->dead };
	out->counts = true;
	for (size_t i = 0; i < 5; i++) {
		uint32_t off = 0;
		if (legacy_threads(c)) {
			if (!c->off.ts_count)
				out->counts = false;
			off = i == 0 ? c->off.ts_count : c->off.ts_unstarted + 4 * (uint32_t)(i - 1);
		} else if (!off_of(c, "ThreadStore", names[i], &off)) {
			out->counts = false;
		}
		if (out->counts && !as_u32(c->a, out->addr + off, dst[i]))
			out->counts = false;
	}
	if (!out->counts)
		out->count = out->unstarted = out->background = out->pending = out->dead = 0;
	out->finalizer = thread_var(c, "FinalizerThread", c->finalizer_var);
	out->gc = thread_var(c, "GCThread", c->gcthread_var);
	return CH_OK;
}

enum ch_status clr_thread_list(struct clr *c, uint64_t *out, size_t max, size_t *n,
			       struct ch_err *err)
{
	const struct clr_off *o = &c->off;
	const char *dp = dump_path(as_dump(c->a));
	struct clr_thread_store ts;
	*n = 0;
	enum ch_status st = clr_thread_store(c, &ts, err);
	if (st != CH_OK)
		return st;
	/* a link less unlink is its Thread; the Thread's next link is at
	 * next_at */
	uint32_t unlink = legacy_threads(c) ? o->th_before_link : o->th_unlink;
	uint32_t next_at = legacy_threads(c) ? o->th_before_link : o->th_link;
	size_t cap = ts.counts && ts.count < CLR_MAX_THREADS ? ts.count : CLR_MAX_THREADS;
	uint64_t link;
	if (!clr_rdptr(c, ts.addr + o->ts_first, &link))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the thread list head at 0x%" PRIx64 " cannot be read", dp,
				    ts.addr + o->ts_first);
	size_t k = 0;
	while (link) {
		if (k == cap)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: the thread list runs past %zu threads%s", dp, cap,
					    ts.counts ? " (ThreadStore's count)" : "");
		if (link < unlink)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: thread list link %zu (0x%" PRIx64 ") is no thread", dp, k,
					    link);
		uint64_t th = link - unlink;
		if (*n < max)
			out[(*n)++] = th;
		k++;
		if (!clr_rdptr(c, th + next_at, &link))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: the link of thread %zu (Thread 0x%" PRIx64
					    ") cannot be read", dp, k - 1, th);
	}
	if (ts.counts && k != ts.count)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the thread list ends after %zu of the ThreadStore's %u threads",
				    dp, k, ts.count);
	return CH_OK;
}

bool clr_thread_alloc_ctx(struct clr *c, uint64_t thread, struct clr_alloc_ctx *out)
{
	const struct clr_off *o = &c->off;
	uint64_t ctx = 0, rtl;
	out->ptr = out->limit = 0;
	if (!o->have_threads)
		return false;
	if (o->ctx_before_link)
		ctx = thread + (legacy_threads(c) ? o->th_before_link : o->th_unlink) - o->ctx_before_link;
	else if (clr_rdptr(c, thread + o->th_rtl, &rtl) && rtl)
		ctx = rtl + o->rtl_ctx + o->eeac_gc;
	return ctx && clr_rdptr(c, ctx + o->gcac_ptr, &out->ptr) &&
	       clr_rdptr(c, ctx + o->gcac_limit, &out->limit);
}

/* Where thread statics are: the descriptor's offsets, or for 9.0.20
 * (whose descriptor does not describe them) 10.0.12's ThreadLocalData and
 * ThreadStaticsInfo layouts, which held on the 9.0.20 dumps, and the
 * Thread's pointer to its ThreadLocalData found by its shape. Only the
 * non-collectible array (checked to be an object[]) is used then. */
struct tls_off {
	uint32_t tldp, nc_arr, nc_cnt, co_arr, co_cnt, inflight, if_next, if_idx, if_data;
	uint32_t tsi_size, tsi_gc, tsi_nongc;
	uint64_t unused, dataoff;
	uint64_t objarr_mt; /* object[]: what the non-collectible array is */
	bool guessed;
};

static bool tls_offsets(struct clr *c, struct tls_off *t)
{
	memset(t, 0, sizeof *t);
	t->unused = 2;
	t->dataoff = 2 * (uint64_t)c->ps;
	if (c->desc) {
		clr_desc_global(c->desc, "NumberOfTlsOffsetsNotUsedInNoncollectibleArray", &t->unused);
		clr_desc_global(c->desc, "PtrArrayOffsetToDataArray", &t->dataoff);
	}
	uint64_t var;
	if (!c->desc || !clr_desc_global(c->desc, "ObjectArrayMethodTable", &var) ||
	    !clr_rdptr(c, var, &t->objarr_mt) || !t->objarr_mt)
		return false;
	if (off_of(c, "Thread", "ThreadLocalDataPtr", &t->tldp) &&
	    off_of(c, "ThreadLocalData", "NonCollectibleTlsArrayData", &t->nc_arr) &&
	    off_of(c, "ThreadLocalData", "NonCollectibleTlsDataCount", &t->nc_cnt) &&
	    off_of(c, "ThreadLocalData", "CollectibleTlsArrayData", &t->co_arr) &&
	    off_of(c, "ThreadLocalData", "CollectibleTlsDataCount", &t->co_cnt) &&
	    off_of(c, "ThreadLocalData", "InFlightData", &t->inflight) &&
	    off_of(c, "InFlightTLSData", "Next", &t->if_next) &&
	    off_of(c, "InFlightTLSData", "TlsIndex", &t->if_idx) &&
	    off_of(c, "InFlightTLSData", "TLSData", &t->if_data) &&
	    c->desc && clr_desc_size(c->desc, "ThreadStaticsInfo", &t->tsi_size) &&
	    off_of(c, "ThreadStaticsInfo", "GCTlsIndex", &t->tsi_gc) &&
	    off_of(c, "ThreadStaticsInfo", "NonGCTlsIndex", &t->tsi_nongc))
		return true;
	if (c->rt.major != 9 || c->ps != 8)
		return false;
	uint64_t objarr = t->objarr_mt;
	*t = (struct tls_off){ .nc_arr = 8, .nc_cnt = 0, .co_arr = 16, .co_cnt = 4,
			       .inflight = 32, .if_next = 0, .if_idx = 8, .if_data = 16,
			       .tsi_size = 40, .tsi_gc = 4, .tsi_nongc = 0,
			       .unused = 2, .dataoff = 16, .objarr_mt = objarr, .guessed = true };
	/* The Thread's pointer to its ThreadLocalData (+928 in 9.0.20):
	 * the first slot of a thread that points at a count and an object[]
	 * as a ThreadLocalData starts. */
	struct clr_thread th[64];
	size_t n = clr_threads(c, th, 64);
	for (size_t k = 0; k < n; k++)
		for (uint32_t off = 8; off < 4096; off += 8) {
			uint64_t tld, arr, mt;
			uint32_t count;
			if (clr_rdptr(c, th[k].addr + off, &tld) && tld && !(tld & 7) &&
			    as_u32(c->a, tld + t->nc_cnt, &count) && count > t->unused && count < 65536 &&
			    clr_rdptr(c, tld + t->nc_arr, &arr) && arr &&
			    clr_rdptr(c, arr, &mt) && (mt & c->mt_mask) == objarr) {
				t->tldp = off;
				return true;
			}
		}
	return false;
}

/* The base a TLSIndex leads to on one thread (Thread contract,
 * GetThreadLocalStaticBase): the thread's non-collectible array (an
 * object[] past its first slots), its collectible array, the
 * ThreadLocalData itself, or a pending entry of its in-flight list. */
static uint64_t tls_base(struct clr *c, const struct tls_off *t, uint64_t thread, uint32_t raw)
{
	uint64_t tld;
	if (raw == 0xffffffffu || !clr_rdptr(c, thread + t->tldp, &tld) || !tld)
		return 0;
	uint32_t type = raw >> 24, index = raw & 0xffffff, count = 0;
	uint64_t base = 0, arr, mt;
	if (type == 0) { /* non-collectible: an object[] */
		if (as_u32(c->a, tld + t->nc_cnt, &count) && index < count && index >= t->unused &&
		    clr_rdptr(c, tld + t->nc_arr, &arr) && arr &&
		    clr_rdptr(c, arr, &mt) && (mt & c->mt_mask) == t->objarr_mt)
			clr_rdptr(c, arr + t->dataoff + (index - t->unused) * c->ps, &base);
	} else if (type == 1 && !t->guessed) { /* collectible */
		if (as_u32(c->a, tld + t->co_cnt, &count) && index < count &&
		    clr_rdptr(c, tld + t->co_arr, &arr) && arr)
			clr_rdptr(c, arr + (uint64_t)index * c->ps, &base);
	} else if (type == 2 && !t->guessed) { /* on the ThreadLocalData itself */
		base = tld;
	}
	uint64_t e = 0;
	if (!base && !t->guessed)
		clr_rdptr(c, tld + t->inflight, &e);
	for (unsigned k = 0; e && k < 4096 && !base; k++) {
		uint32_t idx;
		if (as_u32(c->a, e + t->if_idx, &idx) && idx == raw)
			clr_rdptr(c, e + t->if_data, &base);
		if (!clr_rdptr(c, e + t->if_next, &e))
			break;
	}
	return base;
}

void clr_thread_statics(struct clr *c, const struct clr_type *t, uint64_t thread,
			uint64_t *gc_base, uint64_t *nongc_base)
{
	const struct clr_off *o = &c->off;
	struct tls_off to;
	uint64_t aux;
	uint32_t gc_raw, ngc_raw;
	*gc_base = *nongc_base = 0;
	if (o->have_dlm) {
		clr_legacy_thread_statics(c, t, thread, gc_base, nongc_base);
		return;
	}
	if (t->kind == CLR_KIND_ARRAY || !o->have_statics || !tls_offsets(c, &to) ||
	    !clr_rdptr(c, t->mt + o->mt_aux, &aux) || aux < to.tsi_size)
		return;
	/* the ThreadStaticsInfo sits right before the auxiliary data */
	if (as_u32(c->a, aux - to.tsi_size + to.tsi_gc, &gc_raw))
		*gc_base = tls_base(c, &to, thread, gc_raw);
	if (as_u32(c->a, aux - to.tsi_size + to.tsi_nongc, &ngc_raw))
		*nongc_base = tls_base(c, &to, thread, ngc_raw);
}
