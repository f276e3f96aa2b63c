/* clr.c - open the runtime of a dump: descriptor offsets, well-known
 * MethodTables, the GC's GcDacVars and the threads' allocation contexts.
 * Facts and their sources: docs/RUNTIME.md. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_facts.h"
#include "img.h"
#include "rdr.h"

#define MAX_THREADS 100000
#define MAX_HEAPS 1024
#define DACTABLE_SCAN 256 /* entries of g_dacTable searched for GcDacVars */

bool clr_rdptr(const struct clr *c, uint64_t va, uint64_t *v)
{
	if (c->ps == 8)
		return as_u64(c->a, va, v);
	uint32_t x = 0;
	bool ok = as_u32(c->a, va, &x);
	*v = x;
	return ok;
}

struct need {
	const char *type, *field;
	uint32_t *out;
};

/* Looks up every offset in list; on the first missing one names it. */
static enum ch_status need_all(struct clr *c, const struct need *list,
			       size_t n, bool required, struct ch_err *err)
{
	for (size_t i = 0; i < n; i++) {
		bool ok = strcmp(list[i].field, "!") == 0
			? clr_desc_size(c->desc, list[i].type, list[i].out)
			: clr_desc_offset(c->desc, list[i].type, list[i].field, list[i].out);
		if (!ok) {
			if (!required)
				return CH_ENOTFOUND;
			return ch_set_error(err, CH_EUNSUPPORTED,
					    "%s: the runtime's contract descriptor has no %s.%s",
					    dump_path(as_dump(c->a)), list[i].type,
					    list[i].field);
		}
	}
	return CH_OK;
}

static enum ch_status read_offsets(struct clr *c, struct ch_err *err)
{
	struct clr_off *o = &c->off;
	const struct need core[] = {
		{ "MethodTable", "MTFlags", &o->mt_flags },
		{ "MethodTable", "BaseSize", &o->mt_base_size },
		{ "MethodTable", "MTFlags2", &o->mt_flags2 },
		{ "MethodTable", "EEClassOrCanonMT", &o->mt_eeclass },
		{ "MethodTable", "Module", &o->mt_module },
		{ "MethodTable", "ParentMethodTable", &o->mt_parent },
		{ "MethodTable", "PerInstInfo", &o->mt_perinst },
		{ "EEClass", "MethodTable", &o->ee_mt },
		{ "TypeDesc", "TypeAndFlags", &o->td_flags },
		{ "ParamTypeDesc", "TypeArg", &o->ptd_arg },
		{ "Module", "Base", &o->mod_base },
	};
	enum ch_status st = need_all(c, core, sizeof core / sizeof core[0], true, err);
	if (st != CH_OK)
		return st;
	/* .NET 11 drops ArrayClass from the descriptor: the rank then comes
	 * from the base size, as for .NET 8 (clr_type.c). */
	if (!clr_desc_offset(c->desc, "Module", "Flags", &o->mod_flags))
		o->mod_flags = 0;
	o->rank_from_size = !clr_desc_offset(c->desc, "ArrayClass", "Rank", &o->arr_rank);
	/* .NET 11 describes FieldDesc; older runtimes have field.h's layout. */
	if (!clr_desc_size(c->desc, "FieldDesc", &o->fd_size) ||
	    !clr_desc_offset(c->desc, "FieldDesc", "DWord1", &o->fd_dw1) ||
	    !clr_desc_offset(c->desc, "FieldDesc", "DWord2", &o->fd_dw2) ||
	    o->fd_size < 12 || o->fd_size > 64 || o->fd_dw1 > o->fd_size - 4 ||
	    o->fd_dw2 > o->fd_size - 4)
		o->fd_size = o->fd_dw1 = o->fd_dw2 = 0;
	/* GenericsDictInfo sits just before PerInstInfo's target; .NET 9's
	 * descriptor names only NumTypeArgs. Layout (methodtable.h): 64-bit
	 * has 4 bytes of padding before the two WORD counts, 32-bit none. */
	unsigned pad = c->ps == 8 ? 4 : 0;
	if (!clr_desc_size(c->desc, "GenericsDictInfo", &o->gd_size) || o->gd_size > 64)
		o->gd_size = pad + 4;
	if (!clr_desc_offset(c->desc, "GenericsDictInfo", "NumDicts", &o->gd_ndicts))
		o->gd_ndicts = pad;
	if (!clr_desc_offset(c->desc, "GenericsDictInfo", "NumTypeArgs", &o->gd_nargs))
		o->gd_nargs = pad + 2;
	const struct need fields[] = {
		{ "EEClass", "FieldDescList", &o->ee_fields },
		{ "EEClass", "NumInstanceFields", &o->ee_ninst },
		{ "EEClass", "NumStaticFields", &o->ee_nstatic },
		{ "EEClass", "NumThreadStaticFields", &o->ee_nthread },
		{ "EEClass", "CorTypeAttr", &o->ee_attr },
		{ "EEClass", "InternalCorElementType", &o->ee_elem },
	};
	o->have_fields = need_all(c, fields, 6, false, err) == CH_OK;
	if (!o->have_fields && c->rt.major == 9 && c->ps == 8) {
		/* .NET 9 publishes no EEClass fields but lays EEClass out as
		 * 10 does (class.h; checked on 9.0.20 dumps: FieldDescs point
		 * back at their type, counts match the metadata). Windows
		 * builds (FEATURE_COMINTEROP) have two more pointers after
		 * m_pChunks: the COM wrapper template and the sparse vtable
		 * map (seen on a win-x64 9.0.20 dump). */
		unsigned com = dump_os(as_dump(c->a)) == DUMP_OS_WINDOWS ? 16 : 0;
		o->ee_fields = 24;
		o->ee_attr = 40 + com;
		o->ee_elem = 48 + com;
		o->ee_ninst = 50 + com;
		o->ee_nstatic = 54 + com;
		o->ee_nthread = 58 + com;
		o->have_fields = true;
	}
	const struct need maps[] = {
		{ "Module", "TypeDefToMethodTableMap", &o->mod_typedef_map },
		{ "ModuleLookupMap", "Next", &o->map_next },
		{ "ModuleLookupMap", "TableData", &o->map_data },
		{ "ModuleLookupMap", "Count", &o->map_count },
		{ "ModuleLookupMap", "SupportedFlagsMask", &o->map_mask },
	};
	o->have_maps = need_all(c, maps, 5, false, err) == CH_OK;
	if (!o->have_maps && c->rt.major == 9 &&
	    clr_desc_offset(c->desc, "Module", "TypeDefToMethodTableMap", &o->mod_typedef_map) &&
	    clr_desc_offset(c->desc, "ModuleLookupMap", "TableData", &o->map_data)) {
		/* 9 names only TableData of LookupMapBase (ceeload.h):
		 * pNext, pTable, dwCount, supportedFlags as in 10. */
		o->map_next = 0;
		o->map_count = 16;
		o->map_mask = 24;
		o->have_maps = true;
	}
	const struct need statics[] = {
		{ "MethodTable", "AuxiliaryData", &o->mt_aux },
		{ "DynamicStaticsInfo", "!", &o->ds_size },
		{ "DynamicStaticsInfo", "GCStatics", &o->ds_gc },
		{ "DynamicStaticsInfo", "NonGCStatics", &o->ds_nongc },
	};
	o->have_statics = need_all(c, statics, 4, false, err) == CH_OK;
	if (!o->have_statics && c->rt.major == 9) {
		/* 9 has 10's statics scheme (methodtable.h): AuxiliaryData
		 * after the module pointer, DynamicStaticsInfo just before it. */
		o->mt_aux = 0x20;
		o->ds_size = 24;
		o->ds_gc = 0;
		o->ds_nongc = 8;
		o->have_statics = true;
	}
	const struct need layout[] = {
		{ "Module", "PEAssembly", &o->mod_peassembly },
		{ "PEAssembly", "PEImage", &o->pea_image },
		{ "PEImage", "LoadedImageLayout", &o->pei_layout },
		{ "PEImageLayout", "Base", &o->pel_base },
		{ "PEImageLayout", "Size", &o->pel_size },
		{ "PEImageLayout", "Flags", &o->pel_flags },
	};
	o->have_layout = need_all(c, layout, 6, false, err) == CH_OK;
	const struct need threads[] = {
		{ "Thread", "RuntimeThreadLocals", &o->th_rtl },
		{ "Thread", "LinkNext", &o->th_link },
		{ "ThreadStore", "FirstThreadLink", &o->ts_first },
		{ "RuntimeThreadLocals", "AllocContext", &o->rtl_ctx },
		{ "GCAllocContext", "Pointer", &o->gcac_ptr },
		{ "GCAllocContext", "Limit", &o->gcac_limit },
	};
	/* .NET 9 keeps the GC's context directly in RuntimeThreadLocals. */
	if (!clr_desc_offset(c->desc, "EEAllocContext", "GCAllocationContext", &o->eeac_gc))
		o->eeac_gc = 0;
	o->have_threads = need_all(c, threads, 6, false, err) == CH_OK;
	ch_clear_error(err);
	return CH_OK;
}

/* Threads visited from link through the LinkNext fields when a link less
 * unlink is its Thread; stops past max. */
static unsigned walk_threads(struct clr *c, uint64_t link, uint32_t unlink, unsigned max)
{
	unsigned n = 0;
	while (link && n <= max) {
		n++;
		if (!clr_rdptr(c, link - unlink + c->off.th_link, &link))
			return max + 1;
	}
	return n;
}

/* What the thread list links: in 9 and 10 the head and each Thread's
 * LinkNext point at the next Thread's LinkNext, in 11 at the next Thread
 * itself (seen on 11.0.0 dumps; the descriptor names the same two fields).
 * The reading whose walk visits ThreadStore.ThreadCount threads wins; 9's
 * and 10's when neither does. */
static void thread_links(struct clr *c)
{
	struct clr_off *o = &c->off;
	uint64_t ts, link;
	uint32_t cnt_off, count;
	o->th_unlink = o->th_link;
	if (!o->have_threads || !c->threadstore_var ||
	    !clr_desc_offset(c->desc, "ThreadStore", "ThreadCount", &cnt_off) ||
	    !clr_rdptr(c, c->threadstore_var, &ts) || !ts ||
	    !as_u32(c->a, ts + cnt_off, &count) || count == 0 || count > MAX_THREADS ||
	    !clr_rdptr(c, ts + o->ts_first, &link))
		return;
	if (walk_threads(c, link, o->th_link, count) != count &&
	    walk_threads(c, link, 0, count) == count)
		o->th_unlink = 0;
}

/* A pointer global of the descriptor is the address of the runtime's
 * variable: dereference it once. */
static enum ch_status global_var(struct clr *c, const char *name, uint64_t *v,
				 struct ch_err *err)
{
	uint64_t addr;
	if (!clr_desc_global(c->desc, name, &addr))
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: the runtime's contract descriptor has no global %s",
				    dump_path(as_dump(c->a)), name);
	if (!clr_rdptr(c, addr, v) || *v == 0)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the runtime variable %s at 0x%" PRIx64 " is not in the dump",
				    dump_path(as_dump(c->a)), name, addr);
	return CH_OK;
}

/* Does the struct at p look like GcDacVars (version 2, five generations, a
 * sane generation size, a readable generation table)? */
static bool gcdacvars_at(struct clr *c, uint64_t p)
{
	uint8_t h[2];
	uint64_t gsize, ngen, gtab;
	if (as_read(c->a, p, h, 2) != 2 || h[0] != 2)
		return false;
	if (!clr_rdptr(c, p + c->ps, &gsize) || !clr_rdptr(c, p + 2 * c->ps, &ngen))
		return false;
	if (gsize < 0x40 || gsize > 0x400 || ngen < 4 || ngen > 5)
		return false;
	/* Workstation GC names its generation table; server GC its heaps. */
	uint64_t nh = 0, gh = 0, probe;
	if (!clr_rdptr(c, p + 6ull * c->ps, &gtab))
		return false;
	if (gtab)
		return clr_rdptr(c, gtab, &probe);
	return clr_rdptr(c, p + 22ull * c->ps, &nh) && nh &&
	       clr_rdptr(c, p + 23ull * c->ps, &gh) && gh &&
	       clr_rdptr(c, nh, &probe) && clr_rdptr(c, gh, &probe);
}

/* GcDacVars member j (after the four header fields) lives at (3+j)*ps. */
enum { GDV_GENERATION_TABLE = 3, GDV_EPHEMERAL = 7, GDV_ALLOC_ALLOCATED = 12,
       GDV_N_HEAPS = 19, GDV_G_HEAPS = 20, GDV_HANDLE_TABLE_MAP = 26,
       GDV_HEAP_FIELD_OFFSETS = 27, GDV_GEN_FIELD_OFFSETS = 28 };

static uint64_t gdv_member(struct clr *c, uint64_t p, unsigned j)
{
	uint64_t v = 0;
	clr_rdptr(c, p + (3ull + j) * c->ps, &v);
	return v;
}

static bool read_i32(struct clr *c, uint64_t va, int32_t *v)
{
	uint32_t u;
	if (!as_u32(c->a, va, &u))
		return false;
	*v = (int32_t)u;
	return true;
}

/* .NET 11's GC describes itself in a sub-descriptor "GC" of the runtime's
 * (the runtime's pointer to it is set when the GC starts; libclrgc.so
 * brings its own): GCIdentifiers ("workstation, regions, ..."), the
 * Generation layout, the handle table map and, in workstation GC, the
 * addresses of the heap's variables; in server GC NumHeaps, Heaps and the
 * GCHeap field offsets. Fills g from it; false where there is none (9, 10)
 * or it lacks one of those. */
static bool gc_from_desc(struct clr *c, struct clr_gc_info *g)
{
	uint64_t var, va, v;
	memset(g, 0, sizeof *g);
	if (!clr_desc_sub(c->desc, "GC", &var) || !clr_rdptr(c, var, &va) || !va)
		return false;
	size_t nmod;
	const struct dump_module *mods = dump_modules(as_dump(c->a), &nmod), *m = NULL;
	for (size_t i = 0; i < nmod && !m; i++)
		if (va >= mods[i].base && va - mods[i].base < mods[i].size)
			m = &mods[i];
	struct clr_desc_raw raw;
	struct clr_desc *d = NULL;
	struct ch_err e = { 0 };
	if (!m || clr_desc_read(c->a, m, va, &raw, &e) != CH_OK)
		return false;
	enum ch_status st = clr_desc_parse(raw.json, raw.json_len, raw.ptrs, raw.nptrs, &d, &e);
	clr_desc_raw_free(&raw);
	if (st != CH_OK)
		return false;
	uint32_t gsize, gctx, gstart, h_aa, h_eph, h_gt;
	uint64_t ngen, hmap, gt = 0, eph = 0, aa = 0, nh = 0, heaps = 0;
	const char *ids = clr_desc_global_str(d, "GCIdentifiers");
	bool ok = ids && clr_desc_size(d, "Generation", &gsize) &&
		  clr_desc_offset(d, "Generation", "AllocationContext", &gctx) &&
		  clr_desc_offset(d, "Generation", "StartSegment", &gstart) &&
		  gstart < gsize && gctx < gsize &&
		  clr_desc_global(d, "TotalGenerationCount", &ngen) && ngen >= 4 && ngen <= 12 &&
		  clr_desc_global(d, "HandleTableMap", &hmap);
	g->server = ok && strstr(ids, "server") != NULL;
	if (ok && g->server) {
		uint32_t n = 0;
		ok = clr_desc_global(d, "NumHeaps", &nh) && clr_desc_global(d, "Heaps", &v) &&
		     as_u32(c->a, nh, &n) && n > 0 && n <= MAX_HEAPS &&
		     clr_rdptr(c, v, &heaps) && heaps &&
		     clr_desc_offset(d, "GCHeap", "AllocAllocated", &h_aa) &&
		     clr_desc_offset(d, "GCHeap", "EphemeralHeapSegment", &h_eph) &&
		     clr_desc_offset(d, "GCHeap", "GenerationTable", &h_gt) &&
		     h_aa <= INT32_MAX && h_eph <= INT32_MAX && h_gt <= INT32_MAX;
		g->nheaps = n;
		g->heaps = heaps;
		g->heap_off_alloc_allocated = (int32_t)h_aa;
		g->heap_off_ephemeral_segment = (int32_t)h_eph;
		g->heap_off_generation_table = (int32_t)h_gt;
	} else if (ok) {
		/* each global is the address of the GC's variable; the
		 * generation table is an array, so its address is the table */
		ok = clr_desc_global(d, "GCHeapGenerationTable", &gt) && gt &&
		     clr_desc_global(d, "GCHeapEphemeralHeapSegment", &v) && clr_rdptr(c, v, &eph) &&
		     clr_desc_global(d, "GCHeapAllocAllocated", &v) && clr_rdptr(c, v, &aa) &&
		     eph && aa;
		g->nheaps = 1;
		g->generation_table = gt;
		g->ephemeral_segment = eph;
		g->alloc_allocated = aa;
	}
	if (ok) {
		g->regions = strstr(ids, "regions") != NULL;
		g->ngenerations = (unsigned)ngen;
		g->gen_size = gsize;
		g->gen_off_alloc_context = (int32_t)gctx;
		g->gen_off_start_segment = (int32_t)gstart;
		g->handle_table_map = hmap;
		snprintf(g->found_by, sizeof g->found_by, "the GC's contract descriptor");
	}
	clr_desc_close(d);
	return ok;
}

static enum ch_status find_gc(struct clr *c, struct ch_err *err)
{
	const char *dp = dump_path(as_dump(c->a));
	struct clr_gc_info *g = &c->gc;
	uint64_t table;
	enum ch_status st = clr_facts_export(c->a, c->rt.module, "g_dacTable", &table, err);
	if (st != CH_OK)
		return st;
	/* The index of g_gcDacGlobals follows dacvars.h of each release:
	 * 19 in 10.0, 20 in 8.0 and 9.0. Try those, then scan the table. */
	static const unsigned known[] = { 19, 20 };
	uint64_t p = 0;
	for (unsigned k = 0; k < 2 && !p; k++) {
		uint64_t var, cand;
		if (clr_rdptr(c, table + known[k] * (uint64_t)c->ps, &var) &&
		    clr_rdptr(c, var, &cand) && gcdacvars_at(c, cand)) {
			p = cand;
			snprintf(g->found_by, sizeof g->found_by, "g_dacTable[%u]", known[k]);
		}
	}
	for (unsigned i = 0; i < DACTABLE_SCAN && !p; i++) {
		uint64_t var, cand;
		if (!clr_rdptr(c, table + i * (uint64_t)c->ps, &var))
			break;
		if (var && clr_rdptr(c, var, &cand) && cand && gcdacvars_at(c, cand)) {
			p = cand;
			snprintf(g->found_by, sizeof g->found_by, "g_dacTable scan, entry %u", i);
		}
	}
	if (!p)
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: the GC's GcDacVars were not found through g_dacTable", dp);
	uint8_t ver[2];
	as_read(c->a, p, ver, 2);
	g->dacvars = p;
	g->major = ver[0];
	g->minor = ver[1];
	clr_rdptr(c, p + c->ps, &g->gen_size);
	uint64_t ngen = 0;
	clr_rdptr(c, p + 2 * c->ps, &ngen);
	g->ngenerations = (unsigned)ngen;

	uint64_t gfo = gdv_member(c, p, GDV_GEN_FIELD_OFFSETS);
	int32_t alloc_start;
	if (!gfo || !read_i32(c, gfo, &g->gen_off_alloc_context) ||
	    !read_i32(c, gfo + 4, &g->gen_off_start_segment) ||
	    !read_i32(c, gfo + 8, &alloc_start))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the GC's generation field offsets are not readable", dp);
	if (g->gen_off_start_segment < 0 || (uint64_t)g->gen_off_start_segment >= g->gen_size)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: the GC's generation layout is damaged", dp);
	g->regions = alloc_start == -1;
	g->handle_table_map = gdv_member(c, p, GDV_HANDLE_TABLE_MAP);

	uint64_t n_heaps_var = gdv_member(c, p, GDV_N_HEAPS);
	uint64_t g_heaps_var = gdv_member(c, p, GDV_G_HEAPS);
	if (n_heaps_var && g_heaps_var) {
		uint32_t nh;
		uint64_t hfo = gdv_member(c, p, GDV_HEAP_FIELD_OFFSETS);
		g->server = true;
		if (!as_u32(c->a, n_heaps_var, &nh) || nh == 0 || nh > MAX_HEAPS ||
		    !clr_rdptr(c, g_heaps_var, &g->heaps) || !hfo ||
		    !read_i32(c, hfo + 0 * 4, &g->heap_off_alloc_allocated) ||
		    !read_i32(c, hfo + 1 * 4, &g->heap_off_ephemeral_segment) ||
		    !read_i32(c, hfo + 18 * 4, &g->heap_off_generation_table))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: the server GC's heap table is damaged", dp);
		g->nheaps = nh;
	} else {
		g->nheaps = 1;
		g->generation_table = gdv_member(c, p, GDV_GENERATION_TABLE);
		uint64_t eph = gdv_member(c, p, GDV_EPHEMERAL);
		uint64_t aa = gdv_member(c, p, GDV_ALLOC_ALLOCATED);
		if (!g->generation_table || !eph || !aa ||
		    !clr_rdptr(c, eph, &g->ephemeral_segment) ||
		    !clr_rdptr(c, aa, &g->alloc_allocated))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: the GC's heap variables are not readable", dp);
	}
	return CH_OK;
}

enum ch_status clr_open(struct as *a, struct clr **out, struct ch_err *err)
{
	*out = NULL;
	struct clr *c = calloc(1, sizeof *c);
	if (!c)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	c->a = a;
	c->ps = as_ptr_size(a);
	/* Recursive: naming a type loads the types of its arguments. */
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	enum ch_status st = clr_find_runtime(a, &c->rt, err);
	if (st == CH_OK)
		st = clr_runtime_supported(a, &c->rt, err);
	bool legacy = false, known = st == CH_OK;
	if (st == CH_OK) {
		st = clr_desc_open(a, c->rt.module, &c->desc, err);
		uint64_t va;
		struct ch_err e2 = { 0 };
		const struct dump_module *m = c->rt.module;
		bool facts = clr_facts_find(m) != NULL;
		if (st == CH_ENOTFOUND && !facts &&
		    clr_facts_export(a, m, "DotNetRuntimeContractDescriptor", &va, &e2) == CH_OK) {
			/* It has a descriptor, whose pages the dump lacks. */
			st = clr_runtime_file_needed(a, &c->rt, "its contract descriptor", err);
		} else if (st == CH_ENOTFOUND && !facts &&
			   clr_facts_export(a, m, "g_dacTable", &va, &e2) != CH_OK) {
			/* Not "no descriptor": no export table to look in. */
			st = clr_runtime_file_needed(a, &c->rt, "its exported symbols", err);
		} else if (st == CH_ENOTFOUND) { /* .NET 8: built-in tables */
			legacy = true;
			st = clr_legacy_open(c, err);
		}
	}
	if (st == CH_OK && !legacy)
		st = read_offsets(c, err);
	if (st == CH_OK && !legacy)
		st = global_var(c, "FreeObjectMethodTable", &c->free_mt, err);
	if (st == CH_OK && !legacy)
		st = global_var(c, "StringMethodTable", &c->string_mt, err);
	if (st == CH_OK && !legacy)
		st = global_var(c, "ObjectMethodTable", &c->object_mt, err);
	if (st == CH_OK && !legacy) {
		uint64_t m = 0;
		c->mt_mask = ~(uint64_t)(c->ps == 8 ? 7 : 3);
		if (clr_desc_global(c->desc, "ObjectToMethodTableUnmask", &m) && m < 64)
			c->mt_mask = ~m;
		c->statics_mask = ~(uint64_t)1;
		if (clr_desc_global(c->desc, "StaticsPointerMask", &m))
			c->statics_mask = m;
		clr_desc_global(c->desc, "ThreadStore", &c->threadstore_var);
		thread_links(c);
	}
	if (st == CH_OK) {
		struct clr_gc_info gd;
		bool from_desc = !legacy && gc_from_desc(c, &gd);
		st = find_gc(c, err);
		if (from_desc) {
			/* GcDacVars, where found, still lead to the finalizer queue */
			gd.dacvars = st == CH_OK ? c->gc.dacvars : 0;
			gd.major = st == CH_OK ? c->gc.major : 0;
			gd.minor = st == CH_OK ? c->gc.minor : 0;
			c->gc = gd;
			st = CH_OK;
			ch_clear_error(err);
		}
	}
	/* What a crash minidump lacks is everything: say so, not which
	 * runtime variable was missing first. */
	if (st != CH_OK && st != CH_ENOMEM && known &&
	    clr_runtime_memory_bytes(a) < CLR_NO_HEAP_BYTES)
		st = clr_runtime_no_heap(a, err);
	if (st != CH_OK) {
		clr_close(c);
		return st;
	}
	*out = c;
	return CH_OK;
}

void clr_close(struct clr *c)
{
	if (!c)
		return;
	clr_types_free(c);
	clr_r2r_free(c);
	clr_desc_close(c->desc);
	free(c->ctx);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

enum ch_status clr_no_heap_error(const struct clr *c, struct ch_err *err)
{
	return clr_runtime_no_heap(c->a, err);
}

struct as *clr_as(const struct clr *c) { return c->a; }
const struct clr_runtime_info *clr_runtime(const struct clr *c) { return &c->rt; }
const struct clr_gc_info *clr_gc(const struct clr *c) { return &c->gc; }
unsigned clr_ptr_size(const struct clr *c) { return c->ps; }
unsigned clr_min_obj_size(const struct clr *c) { return 3 * c->ps; }
uint64_t clr_free_mt(const struct clr *c) { return c->free_mt; }
uint64_t clr_string_mt(const struct clr *c) { return c->string_mt; }

char *clr_string_utf8(struct clr *c, uint64_t str, uint32_t max_units)
{
	unsigned ps = c->ps;
	uint64_t mt;
	uint32_t len;
	if (!str || !c->string_mt || !as_ptrv(c->a, str, &mt) ||
	    (mt & clr_mt_mask(c)) != c->string_mt || !as_u32(c->a, str + ps, &len))
		return NULL;
	if (len > max_units)
		len = max_units;
	uint8_t *b = malloc(2 * (size_t)len + 1);
	char *out = malloc(4 * (size_t)len + 1);
	if (!b || !out || (len && as_read(c->a, str + ps + 4, b, 2 * (size_t)len) != 2 * (size_t)len)) {
		free(b);
		free(out);
		return NULL;
	}
	char *p = out;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t cp = rdr_le16(b + 2 * i);
		uint32_t lo = i + 1 < len ? rdr_le16(b + 2 * (i + 1)) : 0;
		if (cp >= 0xd800 && cp < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd;
		}
		p += rdr_put_utf8(p, cp);
	}
	*p = '\0';
	free(b);
	return out;
}
uint64_t clr_object_mt(const struct clr *c) { return c->object_mt; }
uint64_t clr_mt_mask(const struct clr *c) { return c->mt_mask; }

bool clr_mt_sizes(struct clr *c, uint64_t mt, uint32_t *flags, uint32_t *base_size)
{
	return as_u32(c->a, mt + c->off.mt_flags, flags) &&
	       as_u32(c->a, mt + c->off.mt_base_size, base_size);
}

static int ctx_cmp(const void *x, const void *y)
{
	const struct clr_alloc_ctx *a = x, *b = y;
	return a->ptr < b->ptr ? -1 : a->ptr > b->ptr;
}

static void add_ctx(struct clr *c, size_t *cap, uint64_t ptr, uint64_t limit)
{
	if (!ptr || limit < ptr)
		return;
	if (c->nctx == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct clr_alloc_ctx *v = realloc(c->ctx, ncap * sizeof *v);
		if (!v)
			return;
		c->ctx = v;
		*cap = ncap;
	}
	c->ctx[c->nctx].ptr = ptr;
	c->ctx[c->nctx].limit = limit;
	c->nctx++;
}

/* Generation table of heap i (workstation: the global one). */
static uint64_t heap_gen_table(struct clr *c, unsigned i)
{
	if (!c->gc.server)
		return c->gc.generation_table;
	uint64_t heap;
	if (!clr_rdptr(c, c->gc.heaps + (uint64_t)i * c->ps, &heap) || !heap)
		return 0;
	return heap + (uint64_t)c->gc.heap_off_generation_table;
}

const struct clr_alloc_ctx *clr_alloc_contexts(struct clr *c, size_t *n)
{
	pthread_mutex_lock(&c->lock);
	if (!c->ctx_loaded) {
		size_t cap = 0;
		const struct clr_off *o = &c->off;
		uint64_t ts = 0, link = 0;
		if (o->have_threads && c->threadstore_var &&
		    clr_rdptr(c, c->threadstore_var, &ts) && ts)
			clr_rdptr(c, ts + o->ts_first, &link);
		for (unsigned k = 0; link && k < MAX_THREADS; k++) {
			uint64_t th = link - o->th_unlink, rtl, ptr, limit, ctx = 0;
			if (o->ctx_before_link)
				ctx = link - o->ctx_before_link;
			else if (clr_rdptr(c, th + o->th_rtl, &rtl) && rtl)
				ctx = rtl + o->rtl_ctx + o->eeac_gc;
			if (ctx && clr_rdptr(c, ctx + o->gcac_ptr, &ptr) &&
			    clr_rdptr(c, ctx + o->gcac_limit, &limit))
				add_ctx(c, &cap, ptr, limit);
			if (!clr_rdptr(c, th + o->th_link, &link))
				break;
		}
		for (unsigned i = 0; i < c->gc.nheaps; i++) {
			uint64_t gt = heap_gen_table(c, i), ptr, limit;
			uint64_t ctx = gt + (uint64_t)c->gc.gen_off_alloc_context;
			if (gt && clr_rdptr(c, ctx, &ptr) && clr_rdptr(c, ctx + c->ps, &limit))
				add_ctx(c, &cap, ptr, limit);
		}
		if (c->nctx)
			qsort(c->ctx, c->nctx, sizeof *c->ctx, ctx_cmp);
		c->ctx_loaded = true;
	}
	pthread_mutex_unlock(&c->lock);
	*n = c->nctx;
	return c->ctx;
}
