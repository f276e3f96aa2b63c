/* clr_priv.h - the runtime context shared by clr.c, clr_type.c and
 * clr_field.c. Not a public header. */
#ifndef CLRHEAP_CLR_PRIV_H
#define CLRHEAP_CLR_PRIV_H

#include <pthread.h>

#include "clr.h"
#include "clr_desc.h"
#include "md.h"

/* Offsets read from the contract descriptor at open. */
struct clr_off {
	uint32_t mt_flags, mt_base_size, mt_flags2, mt_eeclass, mt_module,
		mt_parent, mt_perinst, mt_aux;
	uint32_t ee_mt, ee_fields, ee_ninst, ee_nstatic, ee_nthread,
		ee_attr, ee_elem;
	uint32_t arr_rank; /* ArrayClass.Rank */
	uint32_t fd_size, fd_dw1, fd_dw2; /* FieldDesc (11's descriptor; 0: field.h's) */
	uint32_t gd_size, gd_ndicts, gd_nargs; /* GenericsDictInfo, before PerInstInfo */
	uint32_t ds_size, ds_gc, ds_nongc; /* DynamicStaticsInfo */
	uint32_t td_flags, ptd_arg;
	uint32_t mod_base, mod_peassembly, mod_typedef_map;
	uint32_t mod_flags; /* Module.Flags (0: not in the descriptor) */
	uint32_t map_next, map_data, map_count, map_mask;
	uint32_t pea_image, pei_layout, pel_base, pel_size, pel_flags;
	uint32_t th_rtl, th_link, ts_first, rtl_ctx, eeac_gc, gcac_ptr,
		gcac_limit;
	/* a thread-list link minus this is its Thread: th_link where the
	 * list links the LinkNext fields (9, 10), 0 where it links the
	 * Threads themselves (11) */
	uint32_t th_unlink;
	bool have_fields, have_maps, have_statics, have_layout, have_threads;
	/* runtimes without a descriptor (clr_legacy.c) */
	uint32_t mt_token16;        /* TypeDef RID as a u16 here (0: MTFlags2 >> 8) */
	uint32_t mod_name_in_image; /* Module field pointing into its image */
	uint32_t ctx_before_link;   /* alloc context inline, this far before the link */
	bool rank_from_size;        /* array rank from the base size */
	uint32_t ee_counts_at;      /* byte: where the DWORD counts start (0: u16 fields) */
	uint32_t ee_packed_at;      /* byte: nonzero when those counts are bit-packed */
	/* .NET 8 statics: the DomainLocalModule scheme (clr_legacy.c) */
	bool have_dlm;
	uint32_t mod_dlm;           /* Module: its DomainLocalModule*, then ModuleIndex */
	uint32_t dlm_dyn_table, dlm_dyn_count, dlm_gc, dlm_index; /* DomainLocalModule */
	uint32_t mt_num_virtuals, mt_fixed_size; /* GenericsStaticsInfo follows these */
	uint32_t th_before_link;    /* the Thread starts this far before its list link */
	uint32_t th_id, th_os_id, th_tlb; /* Thread: ids, its ThreadLocalBlock */
	/* .NET 8 threads (clr_thread_layout, clr_thread_store): the
	 * Thread's handles to its Thread object and last thrown exception,
	 * ThreadStore::m_ThreadCount and m_UnstartedThreadCount (the
	 * background, pending and dead counts follow it) */
	uint32_t th_state; /* m_State; m_fPreemptiveGCDisabled follows */
	uint32_t th_exposed, th_last_thrown, ts_count, ts_unstarted;
	uint32_t tlm_dyn_table, tlm_dyn_count, tlm_gc; /* ThreadLocalModule */
};

struct clr_module {
	uint64_t addr;          /* the runtime's Module* */
	struct md *md;          /* NULL when the metadata could not be read */
	uint64_t base;          /* the image's base, 0 when none */
	char *name;             /* file name */
	bool dynamic;           /* made by Reflection.Emit: no image */
	char err[512];          /* why md is NULL */
};

/* MethodDesc, MethodDescChunk and precode layouts (clr_method.c), read
 * from the descriptor or the built-in table on first use. */
struct clr_mlayout {
	bool done, ok;
	uint32_t md_flags3, md_chunk_index, md_flags; /* MethodDesc */
	uint32_t ch_size_of, ch_mt, ch_size, ch_range; /* MethodDescChunk */
	uint32_t align, rem_bits;
	uint32_t imd_perinst, imd_flags2, imd_nargs; /* InstantiatedMethodDesc */
	uint32_t page;                /* precode code page to data page, 0: unknown */
	uint32_t fixup_md, stub_secret, stub_type; /* FixupPrecodeData, StubPrecodeData */
	uint8_t stub_type_val, pinvoke_type_val;
	/* the descriptor's code templates (.NET 10+; length 0: none) and
	 * the bytes in them that vary */
	uint8_t fixup_len, stub_len;
	uint8_t fixup_code[32], fixup_ign[32], stub_code[32], stub_ign[32];
};

struct clr_type_ent; /* the cache entry around a struct clr_type */
struct clr_mod_ent;

struct clr {
	struct as *a;
	unsigned ps;
	struct clr_runtime_info rt;
	struct clr_desc *desc;
	struct clr_off off;
	struct clr_gc_info gc;
	uint64_t free_mt, string_mt, object_mt, mt_mask, statics_mask;
	uint64_t threadstore_var; /* address of ThreadStore::s_pThreadStore */
	/* addresses of g_pFinalizerThread and g_pSuspensionThread (0: unknown) */
	uint64_t finalizer_var, gcthread_var;
	struct clr_alloc_ctx *ctx;
	size_t nctx;
	bool ctx_loaded;
	pthread_mutex_t lock; /* guards the caches below */
	struct clr_type_ent *types;
	struct clr_mod_ent *mods;
	struct clr_mlayout ml;
	struct clr_r2r **r2r; /* ReadyToRun images read (clr_r2r.c) */
	size_t nr2r;
};

/* Pointer-sized read through the address space. */
bool clr_rdptr(const struct clr *c, uint64_t va, uint64_t *v);

/* The module record of Module* addr (cached; metadata opened on first
 * use). Never NULL unless out of memory. Call with c->lock held. */
struct clr_module *clr_module_get(struct clr *c, uint64_t addr);

/* The start of the ReadyToRun code holding ip, a code address of method
 * md (clr_r2r.c), or 0. */
uint64_t clr_r2r_code_start(struct clr *c, uint64_t ip, uint64_t md);
void clr_r2r_free(struct clr *c);

/* A bounded string builder (names are cut at cap - 1 bytes). */
struct clr_sb {
	char *p;
	size_t len, cap;
};
void clr_sb_put(struct clr_sb *b, const char *s, size_t n);
void clr_sb_str(struct clr_sb *b, const char *s);
void clr_sb_fmt(struct clr_sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes generic argument i of a name being built. */
typedef void (*clr_emit_arg_fn)(void *ctx, unsigned i, struct clr_sb *b);
/* Writes TypeDef rid's full name with nargs generic arguments spread over
 * its nesting levels by their arity: Outer<A>+Inner<B>. */
void clr_typedef_name(const struct md *md, uint32_t rid, unsigned nargs,
		      clr_emit_arg_fn emit, void *ctx, struct clr_sb *b);

/* The field cache slots of type t (clr_type_fields fills them). Returns
 * true when they were filled before; marks them filled. Call with c->lock
 * held. */
bool clr_type_fields_cached(const struct clr_type *t, struct clr_field ***fields,
			    size_t **n, size_t **ninstance, char **ferr);

/* A value-type instantiation the runtime holds only in canonical form:
 * canon (its canonical MethodTable, e.g. Pair<__Canon>) over the exact
 * arguments args[0..nargs). Its layout, fields and kind are canon's, its
 * name and arguments its own; its mt is a key no MethodTable can have
 * (clr_type_of finds it). Cached; NULL when canon is no such type. */
const struct clr_type *clr_type_synth(struct clr *c, uint64_t canon, const uint64_t *args,
				      unsigned nargs);

/* Fills offsets and well-known MethodTables for a runtime without a
 * contract descriptor from the built-in table of its version. */
enum ch_status clr_legacy_open(struct clr *c, struct ch_err *err);

/* .NET 8: up to max managed threads into out (clr_threads); the list
 * links each thread's link field, whose first word is the next link. */
size_t clr_legacy_threads(struct clr *c, struct clr_thread *out, size_t max);

/* .NET 8: the statics bases of t (clr_type_statics) and its thread-static
 * bases on thread (clr_thread_statics), from the DomainLocalModule and
 * the thread's ThreadLocalModule of t's module; 0 where they are absent
 * or do not check out. */
void clr_legacy_statics(struct clr *c, const struct clr_type *t,
			uint64_t *gc_base, uint64_t *nongc_base);
void clr_legacy_thread_statics(struct clr *c, const struct clr_type *t, uint64_t thread,
			       uint64_t *gc_base, uint64_t *nongc_base);

/* Refuses runtimes this does not read (.NET Framework, .NET Core 1-3,
 * .NET 5-7) with a message naming them. */
enum ch_status clr_runtime_supported(struct as *a, const struct clr_runtime_info *rt,
				     struct ch_err *err);
/* The message for a dump without a GC heap (clr_no_heap_error). */
enum ch_status clr_runtime_no_heap(struct as *a, struct ch_err *err);
/* Bytes of memory the dump holds; a dump that fails to open with less
 * than this is taken for one without a GC heap (the smallest heap dump of
 * a .NET process seen holds ~70 MB). */
#define CLR_NO_HEAP_BYTES (16ull << 20)
/* Bytes of memory the dump holds. */
uint64_t clr_runtime_memory_bytes(struct as *a);
/* The message for a runtime build without facts whose file is needed and
 * was not found; detail says what could not be read. */
enum ch_status clr_runtime_file_needed(struct as *a, const struct clr_runtime_info *rt,
				       const char *detail, struct ch_err *err);

/* Frees the type and module caches (clr_close). */
void clr_types_free(struct clr *c);

#endif
