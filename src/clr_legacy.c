/* clr_legacy.c - runtimes without a contract descriptor (.NET 8): one
 * table of offsets per (version, OS, architecture), and the globals the
 * reader needs found through g_dacTable, each checked by its shape.
 *
 * Sources: src/coreclr/vm/methodtable.h, class.h and ceeload.h of the
 * release/8.0 branch of dotnet/runtime, the order of dac variables in
 * src/coreclr/inc/dacvars.h of that branch, and the checks on real 8.0.31
 * dumps in docs/RUNTIME.md §6. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "img.h"

struct legacy_profile {
	int major;
	enum dump_os os;
	enum dump_arch arch;
	/* g_dacTable entries: absolute addresses of runtime variables */
	unsigned dac_threadstore, dac_object, dac_string, dac_free;
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
	.have_maps = true

static const struct legacy_profile profiles[] = {
	{
		.major = 8, .os = DUMP_OS_LINUX, .arch = DUMP_ARCH_X86_64,
		.dac_threadstore = 16, .dac_object = 40, .dac_string = 43, .dac_free = 54,
		.off = {
			NET8_X64_COMMON,
			.mod_name_in_image = 0x108,
			.ts_first = 160, .ctx_before_link = 0x90,
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
		.off = {
			NET8_X64_COMMON,
			.mod_name_in_image = 0xa8,
			.ts_first = 0x40, .ctx_before_link = 0xa0,
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
	if (!p)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: runtime %s on %s %s has no contract descriptor and no built-in "
				    "offset table (supported without one: .NET 8 on linux and windows x86_64)",
				    dp, c->rt.product_version[0] ? c->rt.product_version : c->rt.file_version,
				    dump_os_str(dump_os(d)), dump_arch_str(dump_arch(d)));
	c->off = p->off;
	uint64_t table, var;
	enum ch_status st = img_find_export(c->a, c->rt.module, "g_dacTable", &table, err);
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
	c->threadstore_var = 0;
	if (clr_rdptr(c, table + (uint64_t)p->dac_threadstore * ps, &var))
		c->threadstore_var = var;
	c->mt_mask = ~(uint64_t)(ps == 8 ? 7 : 3);
	c->statics_mask = ~(uint64_t)1;
	return CH_OK;
}
