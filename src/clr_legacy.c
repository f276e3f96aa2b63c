/* clr_legacy.c - runtimes without a contract descriptor (.NET 8): one
 * table of offsets per (version, OS, architecture), and the globals the
 * reader needs found through g_dacTable, each checked by its shape.
 *
 * Sources: src/coreclr/vm/methodtable.h, class.h and ceeload.h of the
 * release/8.0 branch of dotnet/runtime, the order of dac variables in
 * src/coreclr/inc/dacvars.h of that branch, and the checks on real 8.0.31
 * dumps in docs/RUNTIME.md §6 and §8. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clr_facts.h"
#include "img.h"

struct legacy_profile {
	int major;
	enum dump_os os;
	enum dump_arch arch;
	/* g_dacTable entries: absolute addresses of runtime variables */
	unsigned dac_threadstore, dac_object, dac_string, dac_free;
	/* g_pFinalizerThread and g_pSuspensionThread: they follow
	 * ThreadStore::s_pThreadStore in dacvars.h */
	unsigned dac_finalizer, dac_gcthread;
	struct clr_off off;
};

/* What .NET 8 x64 lays out alike on Linux and Windows. MethodTable: flags,
 * base size, u16 flags2, u16 TypeDef RID, ..., parent, loader module,
 * writeable data, EEClass or canonical MT, PerInstInfo / array element
 * type. Module::m_TypeDefToMethodTableMap is a LookupMap as in 10 (next,
 * table, count, supported flags). ThreadStore::m_ThreadList leads from
 * link to link, each some bytes after its thread's gc_alloc_context.
 * EEClass: FieldDescList as in 10; the counts are the DWORDs that follow
 * the fixed fields (their size is the byte after the packed flag), when
 * that flag says they are not bit-packed: [0] instance fields, [2]
 * statics, [6] thread statics. Module::m_pSimpleName points into the
 * module's own image (its #Strings heap): the image is the mapping that
 * holds it. */
#define NET8_X64_COMMON                                                      \
	.mt_flags = 0x0, .mt_base_size = 0x4, .mt_flags2 = 0x8,              \
	.mt_token16 = 0xa, .mt_parent = 0x10, .mt_module = 0x18,             \
	.mt_eeclass = 0x28, .mt_perinst = 0x30, .ee_mt = 0x10,               \
	.td_flags = 0x0, .ptd_arg = 0x8,                                     \
	.gd_size = 8, .gd_ndicts = 4, .gd_nargs = 6,                         \
	.th_link = 0, .gcac_ptr = 0, .gcac_limit = 8,                        \
	.rank_from_size = true, .have_threads = true,                        \
	.ee_fields = 24, .ee_ninst = 0, .ee_nstatic = 8, .ee_nthread = 24,   \
	.have_fields = true,                                                 \
	.map_next = 0, .map_data = 8, .map_count = 16, .map_mask = 24,       \
	.have_maps = true, NET8_X64_STATICS

/* Statics: the structures of appdomain.h, threadstatics.h and
 * methodtable.h as 8.0 names them, every offset found by probing the
 * 8.0.31 fixtures (docs/RUNTIME.md §8). DomainLocalModule: domain
 * assembly, dynamic class table, its size, ADThunk table, m_pGCStatics,
 * ModuleIndex, then the class flags and non-GC statics. A generic instantiation's
 * GenericsStaticsInfo (FieldDesc pointer, dynamic id) is the first
 * optional member: after the fixed MethodTable, the vtable indirections
 * and the overflowing multipurpose slots. Thread (some bytes before
 * its list link): its managed and OS ids, and its embedded ThreadLocalBlock (TLM table, size), whose entry ModuleIndex
 * is the module's ThreadLocalModule: dynamic class table, its size, the
 * handle of the GC statics (an object[]), then the class flags. */
#define NET8_X64_STATICS                                                     \
	.have_statics = true, .have_dlm = true,                              \
	.dlm_dyn_table = 0x8, .dlm_dyn_count = 0x10, .dlm_gc = 0x20,         \
	.dlm_index = 0x28, .mt_num_virtuals = 0xc, .mt_fixed_size = 0x40,    \
	.th_id = 0x20, .th_state = 0x8, .tlm_dyn_table = 0, .tlm_dyn_count = 8, .tlm_gc = 0x10

/* Threads (src/coreclr/vm/threads.h of release/8.0): a Thread starts
 * with its vtable, then m_State (u32), m_fPreemptiveGCDisabled (u32),
 * m_pFrame, and m_ThreadId at 0x20; m_ExposedObject (the OBJECTHANDLE of
 * its System.Threading.Thread) lies after m_OSThreadId, and
 * m_LastThrownObjectHandle two pointers past m_StrongHndToExposedObject,
 * as in 9.0's descriptor. Each offset, and the Thread* itself (the list
 * link less th_before_link), was checked on 8.0.31 dumps against the DAC
 * (ClrMD's ClrRuntime.Threads). ThreadStore: m_ThreadCount right after
 * the thread list (its head link, head and tail), m_MaxThreadCount, then
 * the unstarted, background, pending and dead counts. */
static const struct legacy_profile profiles[] = {
	{
		.major = 8, .os = DUMP_OS_LINUX, .arch = DUMP_ARCH_X86_64,
		.dac_threadstore = 16, .dac_object = 40, .dac_string = 43, .dac_free = 54,
		.dac_finalizer = 17, .dac_gcthread = 18,
		.off = {
			NET8_X64_COMMON,
			.mod_name_in_image = 0x108,
			.ts_first = 160, .ctx_before_link = 0x90,
			.th_before_link = 0xe8, .th_os_id = 0x1a8, .th_tlb = 0x438, .mod_dlm = 0x4c8,
			.th_exposed = 0x1b0, .th_last_thrown = 0x1d0, .ts_count = 184, .ts_unstarted = 192,
			.ee_attr = 40, .ee_elem = 48, .ee_counts_at = 50, .ee_packed_at = 49,
			.mod_typedef_map = 752,
		},
	},
	{
		.major = 8, .os = DUMP_OS_WINDOWS, .arch = DUMP_ARCH_X86_64,
		/* Windows differs where a Crst (a CRITICAL_SECTION, 96 bytes
		 * smaller than PAL's) or a FEATURE_COMINTEROP member comes
		 * first (two COM pointers after EEClass::m_pChunks), and in the
		 * order of g_dacTable (found on an 8.0.31 win-x64 dump). */
		.dac_threadstore = 16, .dac_object = 43, .dac_string = 44, .dac_free = 55,
		.dac_finalizer = 17, .dac_gcthread = 18,
		.off = {
			NET8_X64_COMMON,
			.mod_name_in_image = 0xa8,
			.ts_first = 0x40, .ctx_before_link = 0xa0,
			.th_before_link = 0xf8, .th_os_id = 0x1b8, .th_tlb = 0x460, .mod_dlm = 0x2e8,
			.th_exposed = 0x1c0, .th_last_thrown = 0x1e0, .ts_count = 0x58, .ts_unstarted = 0x60,
			.ee_attr = 56, .ee_elem = 64, .ee_counts_at = 66, .ee_packed_at = 65,
			.mod_typedef_map = 368,
		},
	},
};

static bool dac_var(struct clr *c, uint64_t table, unsigned i, uint64_t *var,
		    uint64_t *val)
{
	return clr_rdptr(c, table + (uint64_t)i * c->ps, var) && *var &&
	       clr_rdptr(c, *var, val) && *val;
}

/* The shapes of the well-known MethodTables (x64 sizes scale with the
 * pointer size): free "array of bytes", string, object. */
static bool mt_shape(struct clr *c, uint64_t mt, uint32_t flags_mask,
		     uint32_t flags, uint32_t base)
{
	uint32_t f, b;
	return as_u32(c->a, mt, &f) && as_u32(c->a, mt + 4, &b) &&
	       (f & flags_mask) == flags && b == base;
}

enum ch_status clr_legacy_open(struct clr *c, struct ch_err *err)
{
	const char *dp = dump_path(as_dump(c->a));
	const struct legacy_profile *p = NULL;
	struct dump *d = as_dump(c->a);
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
		if (profiles[i].major == c->rt.major && profiles[i].os == dump_os(d) &&
		    profiles[i].arch == dump_arch(d))
			p = &profiles[i];
	if (!p && !c->rt.major) /* the version's pages are not in the dump */
		return clr_runtime_file_needed(c->a, &c->rt, "its version", err);
	if (!p)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: runtime %s on %s %s has no contract descriptor and no built-in "
				    "offset table (supported without one: .NET 8 on linux and windows x86_64)",
				    dp, c->rt.product_version[0] ? c->rt.product_version : c->rt.file_version,
				    dump_os_str(dump_os(d)), dump_arch_str(dump_arch(d)));
	c->off = p->off;
	uint64_t table, var;
	enum ch_status st = clr_facts_export(c->a, c->rt.module, "g_dacTable", &table, err);
	if (st != CH_OK)
		return st;
	const uint32_t ps = c->ps;
	if (!dac_var(c, table, p->dac_free, &var, &c->free_mt) ||
	    !mt_shape(c, c->free_mt, 0xffffffffu, 0x80000001u, 3 * ps))
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: g_dacTable[%u] does not hold the free-object MethodTable: "
				    "a build this table does not know", dp, p->dac_free);
	if (!dac_var(c, table, p->dac_string, &var, &c->string_mt) ||
	    !mt_shape(c, c->string_mt, 0x8000ffffu, 0x80000002u, 2 * ps + 6))
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: g_dacTable[%u] does not hold System.String's MethodTable",
				    dp, p->dac_string);
	if (!dac_var(c, table, p->dac_object, &var, &c->object_mt) ||
	    !mt_shape(c, c->object_mt, 0x80000000u, 0, 3 * ps))
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: g_dacTable[%u] does not hold System.Object's MethodTable",
				    dp, p->dac_object);
	c->threadstore_var = c->finalizer_var = c->gcthread_var = 0;
	if (clr_rdptr(c, table + (uint64_t)p->dac_threadstore * ps, &var))
		c->threadstore_var = var;
	if (p->dac_finalizer && clr_rdptr(c, table + (uint64_t)p->dac_finalizer * ps, &var))
		c->finalizer_var = var;
	if (p->dac_gcthread && clr_rdptr(c, table + (uint64_t)p->dac_gcthread * ps, &var))
		c->gcthread_var = var;
	c->mt_mask = ~(uint64_t)(ps == 8 ? 7 : 3);
	c->statics_mask = ~(uint64_t)1;
	return CH_OK;
}

size_t clr_legacy_threads(struct clr *c, struct clr_thread *out, size_t max)
{
	const struct clr_off *o = &c->off;
	uint64_t ts = 0, link = 0;
	if (!o->th_before_link || !c->threadstore_var || !clr_rdptr(c, c->threadstore_var, &ts) ||
	    !ts || !clr_rdptr(c, ts + o->ts_first, &link))
		return 0;
	size_t n = 0;
	uint64_t first = link;
	for (unsigned k = 0; link > o->th_before_link && k < 100000; k++) {
		uint64_t th = link - o->th_before_link, os = 0;
		uint32_t id = 0;
		if (n < max && as_u32(c->a, th + o->th_id, &id) && clr_rdptr(c, th + o->th_os_id, &os)) {
			out[n].addr = th;
			out[n].id = id;
			out[n].os_id = os;
			n++;
		}
		if (!clr_rdptr(c, link, &link) || link == first)
			break;
	}
	return n;
}

/* ---- .NET 8 statics -------------------------------------------------------
 * Plain statics of a non-generic type live in one block per module, its
 * DomainLocalModule: non-GC statics at FieldDesc offsets from the
 * DomainLocalModule itself, GC statics (references and boxed structs)
 * from m_pGCStatics. A generic instantiation has its own dynamic entry
 * (DynamicClassInfo → NormalDynamicEntry: m_pGCStatics, then the non-GC
 * statics, offsets counted from the entry) in the dynamic class table of
 * its loader module, by the id in its GenericsStaticsInfo. Thread statics
 * follow the same two shapes in the thread's ThreadLocalModule of the
 * module, found by the ModuleIndex in its ThreadLocalBlock; 8.0's
 * inlined TLS blocks only cache these addresses for the JIT. */

/* MethodTable flags & 0x6 (enum_flag_StaticsMask): precomputed in the
 * module's block, generic (GenericsStaticsInfo); 2, the dynamic statics of
 * Reflection.Emit and EnC types (an id in the EEClass), is not read. */
#define STATICS_MASK 0x6u
#define STATICS_MODULE 0x0u
#define STATICS_GENERIC 0x4u
#define DYN_COLLECTIBLE 0x8u /* ClassInitFlags::COLLECTIBLE_FLAG: loader handles, not read */
#define CLASS_ALLOCATED 0x4u /* ClassInitFlags::ALLOCATECLASS_FLAG */
#define MAX_DYN_ENTRIES 0x1000000u
#define MAX_MODULES 0x100000u

/* The DomainLocalModule of module and the module's index, checked by the
 * copy of that index the DomainLocalModule keeps. */
static bool dlm_of(struct clr *c, uint64_t module, uint64_t *dlm, uint64_t *index)
{
	const struct clr_off *o = &c->off;
	uint64_t copy;
	return clr_rdptr(c, module + o->mod_dlm, dlm) && *dlm && !(*dlm % c->ps) &&
	       clr_rdptr(c, module + o->mod_dlm + c->ps, index) && *index < MAX_MODULES &&
	       clr_rdptr(c, *dlm + o->dlm_index, &copy) && copy == *index;
}

/* The dynamic entry id of the generic instantiation t, from its
 * GenericsStaticsInfo, whose FieldDescs must point back at t (a shared
 * canonical MethodTable has id -1: none). */
static bool dynamic_id(struct clr *c, const struct clr_type *t, uint64_t *id)
{
	const struct clr_off *o = &c->off;
	uint16_t nvirt;
	uint64_t fd, back;
	if ((t->flags & STATICS_MASK) != STATICS_GENERIC ||
	    as_read(c->a, t->mt + o->mt_num_virtuals, &nvirt, 2) != 2)
		return false;
	/* multipurpose slots (flags2 & 0x1f) beyond the two inline ones
	 * overflow after the vtable indirections of 8 slots each
	 * (MultipurposeSlotOffset, methodtable.cpp of dotnet/coreclr) */
	unsigned used = 0;
	for (uint32_t m = t->flags2 & 0x1f; m; m >>= 1)
		used += m & 1;
	uint64_t gsi = t->mt + o->mt_fixed_size + (uint64_t)c->ps * ((nvirt + 7u) / 8u) +
		       (uint64_t)c->ps * (used > 2 ? used - 2 : 0);
	return clr_rdptr(c, gsi, &fd) && fd && clr_rdptr(c, fd, &back) && back == t->mt &&
	       clr_rdptr(c, gsi + c->ps, id) && *id < MAX_DYN_ENTRIES;
}

/* Entry id of the dynamic class table whose pointer and size are at
 * table_at and count_at (a DynamicClassInfo: entry pointer, flags). */
static uint64_t dyn_entry(struct clr *c, uint64_t table_at, uint64_t count_at, uint64_t id)
{
	uint64_t table, count, entry;
	uint32_t flags;
	if (!clr_rdptr(c, table_at, &table) || !table || !clr_rdptr(c, count_at, &count) ||
	    id >= count || !clr_rdptr(c, table + id * 2 * c->ps, &entry) ||
	    !as_u32(c->a, table + id * 2 * c->ps + c->ps, &flags) || (flags & DYN_COLLECTIBLE))
		return 0;
	return entry;
}

void clr_legacy_statics(struct clr *c, const struct clr_type *t,
			uint64_t *gc_base, uint64_t *nongc_base)
{
	const struct clr_off *o = &c->off;
	uint64_t dlm, index, id, e, g;
	*gc_base = *nongc_base = 0;
	if (!o->have_dlm || t->kind == CLR_KIND_ARRAY || t->kind == CLR_KIND_FREE ||
	    !dlm_of(c, t->module, &dlm, &index))
		return;
	if ((t->flags & STATICS_MASK) == STATICS_MODULE) {
		if (clr_rdptr(c, dlm + o->dlm_gc, &g))
			*gc_base = g;
		*nongc_base = dlm;
	} else if (dynamic_id(c, t, &id) &&
		   (e = dyn_entry(c, dlm + o->dlm_dyn_table, dlm + o->dlm_dyn_count, id))) {
		if (clr_rdptr(c, e, &g))
			*gc_base = g;
		*nongc_base = e;
	}
}

/* The data of the object[] that handle h holds (GC thread statics). */
static uint64_t handle_array_data(struct clr *c, uint64_t h)
{
	uint64_t arr, mt;
	uint32_t flags;
	if (!h || !clr_rdptr(c, h, &arr) || !arr || !clr_rdptr(c, arr, &mt) ||
	    !as_u32(c->a, mt & c->mt_mask, &flags) || !(flags & CLR_MTF_HAS_COMPONENT_SIZE) ||
	    (flags & 0xffff) != c->ps ||
	    (flags & CLR_MTF_CATEGORY_ARRAY_MASK) != CLR_MTF_CATEGORY_ARRAY)
		return 0;
	return arr + 2 * (uint64_t)c->ps;
}

void clr_legacy_thread_statics(struct clr *c, const struct clr_type *t, uint64_t thread,
			       uint64_t *gc_base, uint64_t *nongc_base)
{
	const struct clr_off *o = &c->off;
	uint64_t dlm, index, table, size, tlm, id, block, h;
	*gc_base = *nongc_base = 0;
	if (!o->have_dlm || !o->th_tlb || t->kind == CLR_KIND_ARRAY || t->kind == CLR_KIND_FREE ||
	    !dlm_of(c, t->module, &dlm, &index) ||
	    !clr_rdptr(c, thread + o->th_tlb, &table) || !table ||
	    !clr_rdptr(c, thread + o->th_tlb + c->ps, &size) || index >= size ||
	    !clr_rdptr(c, table + index * c->ps, &tlm) || !tlm)
		return;
	if ((t->flags & STATICS_MASK) == STATICS_MODULE) {
		/* this thread has t's block when t's class flags say so */
		uint8_t flags;
		uint32_t rid = t->token & 0xffffff;
		if (!rid || as_read(c->a, tlm + o->tlm_gc + c->ps + (rid - 1), &flags, 1) != 1 ||
		    !(flags & CLASS_ALLOCATED) || !clr_rdptr(c, tlm + o->tlm_gc, &h))
			return;
		block = tlm;
	} else if (!dynamic_id(c, t, &id) ||
		   !(block = dyn_entry(c, tlm + o->tlm_dyn_table, tlm + o->tlm_dyn_count, id)) ||
		   !clr_rdptr(c, block, &h)) {
		return;
	}
	*gc_base = handle_array_data(c, h);
	*nongc_base = block;
}
