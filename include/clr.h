/* clr.h - the runtime profile: which .NET runtime a dump holds and where
 * its globals are, read without the DAC. */
#ifndef CLRHEAP_CLR_H
#define CLRHEAP_CLR_H

#include <stdbool.h>
#include <stdint.h>

#include "as.h"
#include "dump.h"
#include "err.h"

enum clr_flavor {
	CLR_FLAVOR_NONE = 0,
	CLR_FLAVOR_CORE,      /* .NET Core / .NET 5+: libcoreclr.so, coreclr.dll */
	CLR_FLAVOR_FRAMEWORK, /* .NET Framework 4.x: clr.dll */
};

struct clr_runtime_info {
	const struct dump_module *module; /* the runtime module (borrowed) */
	enum clr_flavor flavor;
	int major, minor;          /* 0 when unknown */
	char file_version[48];     /* "10.0.1226.42308", "" when unknown */
	char product_version[32];  /* "10.0.12", from the install path; "" when unknown */
	char commit[48];           /* source commit from the version string */
};

/* Finds the runtime module among d's modules and reads its version (from
 * the "@(#)Version" string of libcoreclr, or the minidump's file version).
 * Returns CH_ENOTFOUND with a message when the dump holds no .NET runtime. */
enum ch_status clr_find_runtime(struct as *a, struct clr_runtime_info *out,
				struct ch_err *err);

/* An as_candidates_fn: files of module m's name in the places .NET
 * runtimes live ($DOTNET_ROOT, /usr/share/dotnet, /usr/lib/dotnet,
 * ~/.dotnet: shared/Microsoft.NETCore.App/<version>/; the NuGet cache's
 * runtime packs). clr_open sets it on the address space. */
size_t clr_runtime_candidates(void *ctx, const struct dump_module *m,
			      char **paths, size_t max);

/* True when module m is a managed assembly: a PE image whose CLI header
 * directory is set (read from the dump, or from the file on disk). */
bool clr_is_managed(struct as *a, const struct dump_module *m);

/* True when module m is a managed assembly of the app itself, not part of
 * the runtime's framework (by folder, then by name). */
bool clr_is_app_assembly(struct as *a, const struct clr_runtime_info *rt,
			 const struct dump_module *m);

const char *clr_flavor_str(enum clr_flavor f);

/* ---- the runtime context ------------------------------------------------ */

struct clr;

/* Where the GC keeps its heaps (GcDacVars, read through g_dacTable). All
 * addresses are in the dump. */
struct clr_gc_info {
	bool server;            /* n_heaps/g_heaps set */
	bool regions;           /* generation_field_offsets[2] == -1 */
	unsigned nheaps;        /* 1 in workstation GC */
	unsigned ngenerations;  /* total_generation_count (5: 0,1,2,LOH,POH) */
	uint64_t gen_size;      /* sizeof(generation) */
	uint64_t dacvars;       /* the GcDacVars struct */
	uint8_t major, minor;   /* GcDacVars version */
	int32_t gen_off_alloc_context, gen_off_start_segment;
	/* workstation GC: the variables themselves (already dereferenced) */
	uint64_t generation_table; /* address of the generation array */
	uint64_t ephemeral_segment, alloc_allocated;
	/* server GC: the heap array (gc_heap*[nheaps]) and per-heap offsets */
	uint64_t heaps;
	int32_t heap_off_alloc_allocated, heap_off_ephemeral_segment,
		heap_off_generation_table;
	uint64_t handle_table_map; /* address of the first HandleTableMap */
	char found_by[64];      /* how GcDacVars was located, for info */
};

/* An allocation context: the bytes [ptr, limit) of a thread's current
 * allocation buffer are not objects yet. */
struct clr_alloc_ctx {
	uint64_t ptr, limit;
};

/* Opens the runtime of the dump behind a: finds the runtime module, reads
 * its contract descriptor and the offsets the reader needs, the well-known
 * MethodTables and the GC's GcDacVars. a is borrowed. Returns *out (free
 * with clr_close) or a status with a message in err (naming what is
 * missing: a descriptor type or field, a global, a module file). */
enum ch_status clr_open(struct as *a, struct clr **out, struct ch_err *err);
void clr_close(struct clr *c);

/* Sets the error for a dump that holds no GC heap (a crash minidump, a
 * createdump --normal or --triage dump): how much memory it holds and how
 * to take a heap or full dump. Returns CH_ENOTFOUND. */
enum ch_status clr_no_heap_error(const struct clr *c, struct ch_err *err);

struct as *clr_as(const struct clr *c);
const struct clr_runtime_info *clr_runtime(const struct clr *c);
const struct clr_gc_info *clr_gc(const struct clr *c);
unsigned clr_ptr_size(const struct clr *c);
/* The smallest object (3 pointers) and the object alignment (8 on 64-bit;
 * on 32-bit 4, or 8 on the large and pinned heaps). */
unsigned clr_min_obj_size(const struct clr *c);

/* Well-known MethodTables (0 when unknown). */
uint64_t clr_free_mt(const struct clr *c);
uint64_t clr_string_mt(const struct clr *c);
uint64_t clr_object_mt(const struct clr *c);

/* The System.String at str as UTF-8, its first max_units UTF-16 units at
 * most (unpaired surrogates become U+FFFD); malloc'd. NULL when str is not
 * a string, its characters are not in the dump, or out of memory. */
char *clr_string_utf8(struct clr *c, uint64_t str, uint32_t max_units);
/* The mask that clears the low tag bits of an object's MT pointer. */
uint64_t clr_mt_mask(const struct clr *c);

/* The allocation contexts of every managed thread (and of generation 0 of
 * each heap), sorted by ptr; owned by c. */
const struct clr_alloc_ctx *clr_alloc_contexts(struct clr *c, size_t *n);

/* Size facts of a MethodTable, for the heap walk's hot path: the flags
 * word and base size. Returns false when mt is unreadable. */
bool clr_mt_sizes(struct clr *c, uint64_t mt, uint32_t *flags,
		  uint32_t *base_size);

/* MethodTable flags (methodtable.h). */
#define CLR_MTF_HAS_COMPONENT_SIZE 0x80000000u
#define CLR_MTF_CONTAINS_GC_POINTERS 0x01000000u
#define CLR_MTF_CATEGORY_MASK 0x000f0000u
#define CLR_MTF_CATEGORY_ARRAY 0x00080000u
#define CLR_MTF_CATEGORY_ARRAY_MASK 0x000c0000u
#define CLR_MTF_CATEGORY_IF_ARRAY_THEN_SZ 0x00020000u
#define CLR_MTF_CATEGORY_VALUETYPE 0x00040000u
#define CLR_MTF_CATEGORY_VALUETYPE_MASK 0x000c0000u
#define CLR_MTF_CATEGORY_NULLABLE 0x00050000u
#define CLR_MTF_CATEGORY_PRIMITIVE 0x00060000u
#define CLR_MTF_CATEGORY_TRUEPRIMITIVE 0x00070000u
#define CLR_MTF_CATEGORY_INTERFACE 0x000c0000u
#define CLR_MTF_GENERICS_MASK 0x00000030u

/* ---- types ------------------------------------------------------------- */

enum clr_kind {
	CLR_KIND_CLASS = 0, CLR_KIND_STRUCT, CLR_KIND_ENUM, CLR_KIND_PRIMITIVE,
	CLR_KIND_NULLABLE, CLR_KIND_INTERFACE, CLR_KIND_STRING, CLR_KIND_ARRAY,
	CLR_KIND_FREE,
};

#define CLR_FIELD_STATIC 0x1u
#define CLR_FIELD_THREAD 0x2u
#define CLR_FIELD_RVA    0x4u

struct clr_field {
	const char *name;      /* raw metadata name */
	const char *type_name; /* its declared type, ClrMD style */
	uint32_t offset;       /* instance: from the end of the MT pointer
				  (or the start of an unboxed struct);
				  static: from the statics base */
	uint32_t token;        /* Field token 0x04xxxxxx */
	uint8_t elem;          /* CorElementType (MD_ELEM_*) */
	uint8_t flags;         /* CLR_FIELD_* */
	uint64_t decl_mt;      /* the declaring type (exact instantiation) */
	uint64_t type_th;      /* the field's type when resolved, else 0 */
};

struct clr_type {
	uint64_t mt;             /* or, for an instantiation no MethodTable
				    stands for, a key no MethodTable can have
				    (clr_resolve_field) */
	const char *name;        /* ClrMD style: Ns.Outer+Inner<A, B>[] */
	const char *module_name; /* file name of the defining module */
	enum clr_kind kind;
	uint32_t flags, flags2;  /* MTFlags, MTFlags2 */
	uint32_t base_size, component_size;
	uint32_t token;          /* TypeDef token, 0 for arrays */
	uint64_t parent_mt, module, eeclass, canon_mt;
	unsigned rank;           /* arrays: 1 for T[] */
	bool sz_array;
	uint64_t elem_th;        /* arrays: element TypeHandle */
	uint8_t elem_type;       /* arrays: element CorElementType; enums and
				    primitives: their underlying type */
	unsigned ntype_args;
	const uint64_t *type_args; /* generic arguments (TypeHandles) */
};

/* Returns the type of MethodTable mt, or of a key clr_resolve_field gave
 * (cached; owned by c, lives until clr_close), or NULL with a message in
 * err when mt is not a valid MethodTable (the EEClass does not point
 * back, unreadable pages). Safe to call from several threads. */
const struct clr_type *clr_type_of(struct clr *c, uint64_t mt,
				   struct ch_err *err);

/* Whether t is the type named name or derives from it: its chain of
 * parents walked by name, at most CLR_MAX_PARENTS types (a damaged chain
 * ends there). */
#define CLR_MAX_PARENTS 64u
bool clr_type_derives(struct clr *c, const struct clr_type *t, const char *name);

/* The fields of t: every instance field, base class fields first in
 * layout order, then t's own static fields. Loaded on first call; *n gets
 * the count, *ninstance (may be NULL) how many are instance fields.
 * Returns NULL with a message in err when the FieldDescs are damaged. */
const struct clr_field *clr_type_fields(struct clr *c, const struct clr_type *t,
					size_t *n, size_t *ninstance,
					struct ch_err *err);

/* The instance field of t (base classes' included) named name as the
 * metadata spells it, or NULL (t NULL, no such field, damaged fields). */
const struct clr_field *clr_field_named(struct clr *c, const struct clr_type *t,
					const char *name);

/* The name of a TypeHandle (a MethodTable, or a TypeDesc for pointers,
 * byrefs, generic variables) into buf. Returns false when unreadable. */
bool clr_th_name(struct clr *c, uint64_t th, char *buf, size_t size);

/* The statics bases of t (0 when the type has none or they are not
 * allocated yet): GC statics hold references and boxed structs, non-GC
 * statics primitives. */
void clr_type_statics(struct clr *c, const struct clr_type *t,
		      uint64_t *gc_base, uint64_t *nongc_base);

/* Calls fn for the MethodTable of every type of the module at module_addr
 * (a runtime Module*) that the runtime has loaded, from the module's
 * TypeDef-to-MethodTable map, until fn returns false. */
typedef bool (*clr_mt_fn)(void *arg, uint64_t mt);
enum ch_status clr_module_types(struct clr *c, uint64_t module_addr,
				clr_mt_fn fn, void *arg, struct ch_err *err);

/* Calls fn with one line for each module met so far whose metadata could
 * not be read (a heap dump of .NET 8 lacks the framework's: its types are
 * then named <unknown type …>), saying what to pass. */
typedef void (*clr_warn_fn)(void *arg, const char *msg);
void clr_module_warnings(struct clr *c, clr_warn_fn fn, void *arg);

/* Finds a loaded type by its full name among the types of the modules
 * that define the MethodTables in mts[0..n) (e.g. the types on the heap),
 * then among those MTs themselves. Returns its MT or 0. */
uint64_t clr_find_type(struct clr *c, const char *name, const uint64_t *mts,
		       size_t n);

/* ---- resolving declared types (clr_resolve.c) ---------------------------
 * From metadata tokens and field signatures to the runtime's MethodTables:
 * TypeDefs through the module's TypeDef map, TypeRefs through its TypeRef
 * map or by name in the loaded modules, generic instantiations and arrays
 * from the instantiated types each module keeps (AvailableTypeParams).
 * Only types the runtime has loaded can be found; 0 means "not found". */

struct clr_resolver;
struct md;

/* Opens a resolver over c (borrowed). Free with clr_resolver_close.
 * Thread-safe. Returns CH_OK or CH_ENOMEM. */
enum ch_status clr_resolver_open(struct clr *c, struct clr_resolver **out,
				 struct ch_err *err);
void clr_resolver_close(struct clr_resolver *r);

/* Entry rid of the ModuleLookupMap chain at map (a Module's TypeDef or
 * TypeRef map), with the map's flag bits cleared; 0 when absent. */
uint64_t clr_module_map_lookup(struct clr *c, uint64_t map, uint32_t rid);

/* The MethodTable of TypeDef token in module (a Module*), 0 when the
 * runtime has not loaded it. */
uint64_t clr_resolve_typedef(struct clr_resolver *r, uint64_t module, uint32_t token);
/* The MethodTable a TypeRef token of module refers to, 0 when unknown. */
uint64_t clr_resolve_typeref(struct clr_resolver *r, uint64_t module, uint32_t token);
/* The MethodTable of a primitive, string or object element type. */
uint64_t clr_resolve_primitive(struct clr_resolver *r, uint8_t elem);
/* The loaded instantiation of the generic type def_mt (its open
 * MethodTable) over args[0..nargs) (exact TypeHandles); hint_module is
 * searched too. 0 when the runtime holds none. */
uint64_t clr_resolve_generic(struct clr_resolver *r, uint64_t def_mt,
			     const uint64_t *args, unsigned nargs, uint64_t hint_module);
/* The loaded array type of elem with the given rank (sz: a T[] vector). */
uint64_t clr_resolve_array(struct clr_resolver *r, uint64_t elem, unsigned rank,
			   bool sz);
/* The declared type of field f as a TypeHandle (generic parameters taken
 * from f's declaring type), or 0 when it cannot be resolved. A value-type
 * instantiation the runtime loaded only in canonical form (Pair<String>
 * inside a Box<String>: only Pair<__Canon> exists) is a type of its own,
 * with its exact name and arguments and the canonical MethodTable's
 * layout and fields; its handle is a key clr_type_of knows, not a
 * MethodTable. */
uint64_t clr_resolve_field(struct clr_resolver *r, const struct clr_field *f);

/* The loaded modules (Module*): System.Private.CoreLib, the AppDomain's
 * assemblies, and any added with clr_resolver_add_module. The array is
 * owned by r and valid until the next add. */
const uint64_t *clr_resolver_modules(struct clr_resolver *r, size_t *n);
void clr_resolver_add_module(struct clr_resolver *r, uint64_t module);
/* ---- threads (clr_tls.c) ---- */

/* A managed thread: its Thread*, managed id and operating-system id. */
struct clr_thread {
	uint64_t addr;
	uint32_t id;
	uint64_t os_id;
};
/* Up to max managed threads of the runtime's thread list into out; returns
 * how many (0 when the runtime does not describe its threads). */
size_t clr_threads(struct clr *c, struct clr_thread *out, size_t max);
/* The thread-static bases of type t on thread (a Thread*), as
 * clr_type_statics gives the static ones (0 when the thread has none, or
 * the runtime's descriptor does not say where they are). */
void clr_thread_statics(struct clr *c, const struct clr_type *t, uint64_t thread,
			uint64_t *gc_base, uint64_t *nongc_base);

/* The most threads any thread walk visits. */
#define CLR_MAX_THREADS 100000u
/* An offset the runtime does not publish (clr_thread_layout). */
#define CLR_OFF_NONE 0xffffffffu

/* Where a runtime Thread keeps what a debugger shows of it: offsets from
 * the Thread*, CLR_OFF_NONE where this runtime does not say. From the
 * contract descriptor's Thread type (.NET 9+), or the built-in table of
 * the version (.NET 8, clr_legacy.c). */
struct clr_thread_layout {
	uint32_t id;          /* u32: the managed thread id */
	uint32_t os_id;       /* pointer-sized: the OS thread id, 0 when none */
	uint32_t state;       /* u32: Thread::m_State (ThreadState bits) */
	uint32_t preemptive;  /* u32: m_fPreemptiveGCDisabled (nonzero: cooperative) */
	uint32_t exposed;     /* OBJECTHANDLE of the System.Threading.Thread */
	uint32_t last_thrown; /* OBJECTHANDLE of the last thrown exception */
	uint32_t stack_base, stack_limit; /* pointers the runtime caches (11+) */
	uint32_t teb;         /* Windows: the thread's TEB */
};

/* The runtime's ThreadStore: its counts and its special threads. */
struct clr_thread_store {
	uint64_t addr;        /* the ThreadStore */
	bool counts;          /* the counts below were read */
	uint32_t count, unstarted, background, pending, dead;
	uint64_t finalizer;   /* Thread* of the finalizer thread, 0: unknown */
	uint64_t gc;          /* Thread* of g_pSuspensionThread (the thread that
				 suspended the runtime for a GC), 0: none */
};

/* Fills *out with this runtime's Thread layout. Returns false (and sets
 * every offset to CLR_OFF_NONE) when the runtime does not describe its
 * threads. */
bool clr_thread_layout(struct clr *c, struct clr_thread_layout *out);

/* Reads the ThreadStore into *out. Returns CH_OK; CH_EUNSUPPORTED when the
 * runtime does not describe its threads; CH_ECORRUPT when the ThreadStore
 * cannot be read (message in err). */
enum ch_status clr_thread_store(struct clr *c, struct clr_thread_store *out,
				struct ch_err *err);

/* The Thread* of the runtime's thread list, in list order, up to max (at
 * most CLR_MAX_THREADS and, when known, ThreadStore's count) into out;
 * *n gets how many. Returns CH_OK for a list that ends where the count
 * says; CH_ECORRUPT with a message for one whose link cannot be read, that
 * ends early or runs past the count (a cycle): *n threads were read
 * before that. CH_EUNSUPPORTED when the runtime does not describe its
 * threads (*n = 0). */
enum ch_status clr_thread_list(struct clr *c, uint64_t *out, size_t max, size_t *n,
			       struct ch_err *err);

/* The allocation context of thread (a Thread*): where its allocation
 * buffer is now. Returns false when it cannot be read. */
bool clr_thread_alloc_ctx(struct clr *c, uint64_t thread, struct clr_alloc_ctx *out);

/* True when this runtime's statics bases can be found (clr_type_statics). */
bool clr_statics_supported(const struct clr *c);
/* The metadata of a loaded module (Module*), NULL when unreadable. Owned
 * by c. */
const struct md *clr_module_md(struct clr *c, uint64_t module);
/* True when the metadata row token carries a custom attribute of the type
 * named name ("System.FlagsAttribute"). Linear in the attribute count. */
bool clr_md_has_attribute(const struct md *md, uint32_t token, const char *name);
/* Calls fn for every instantiated type (generic instantiations, arrays)
 * whose loader module is module, until fn returns false. */
enum ch_status clr_module_param_types(struct clr_resolver *r, uint64_t module,
				      clr_mt_fn fn, void *arg);

/* ---- methods (clr_method.c) ---------------------------------------------
 * A MethodDesc's type and metadata token, read through its MethodDescChunk;
 * its name from the module's metadata. Everything read is checked: a
 * pointer that is not a MethodDesc gives CH_ECORRUPT, never a wrong name. */

struct clr_method {
	uint64_t md;        /* the MethodDesc */
	uint64_t mt;        /* its MethodTable (its chunk's) */
	uint32_t token;     /* its MethodDef token */
	unsigned kind;      /* classification: 0 IL, 3 runtime-implemented, 5
			       generic instantiation, ... (method.hpp) */
	const struct clr_type *type; /* the type of mt (owned by c) */
	const char *name;   /* the method's own name, from metadata (owned by
			       the module's metadata) */
};

/* Reads the MethodDesc at md into *out. Returns CH_OK; CH_ECORRUPT with a
 * message when md is not a MethodDesc (unreadable, its chunk's MethodTable
 * not a type, its token outside its type's methods); CH_EUNSUPPORTED for
 * methods without metadata (dynamic methods, array accessors) or a runtime
 * whose MethodDesc layout is unknown; CH_ENOTFOUND when the module's
 * metadata cannot be read. */
enum ch_status clr_method_read(struct clr *c, uint64_t md, struct clr_method *out,
			       struct ch_err *err);

/* The name of MethodDesc md, "Ns.Type.Method" (the type named as
 * clr_type_of names it; a generic method's instantiation as
 * "Method<A, B>"), into buf. Returns false (buf "") when md does not read
 * as a method (clr_method_read). */
bool clr_method_name(struct clr *c, uint64_t md, char *buf, size_t size);

/* The MethodDesc behind code address ip: a FixupPrecode or StubPrecode
 * (code page, then a data page holding the MethodDesc), checked with
 * clr_method_read. 0 when ip is no such precode (jitted code, a stub). */
uint64_t clr_method_from_code(struct clr *c, uint64_t ip);

/* The start of the code holding ip, a code address of method md. Jitted
 * code: the nearest address at or below ip (at most CLR_CODE_SCAN bytes
 * below) preceded by a CodeHeader whose RealCodeHeader names md
 * (src/coreclr/vm/codeman.h: pRealCodeHeader just before the code;
 * phdrMDesc its fourth word). Else ahead-of-time (ReadyToRun) code: the
 * begin of the image's RUNTIME_FUNCTION holding ip, or of md's main body
 * when ip is in one of its funclets (clr_r2r.c). 0 when neither: code not
 * in the dump, a method longer than the scan, a composite image. */
#define CLR_CODE_SCAN 65536u
uint64_t clr_code_start(struct clr *c, uint64_t ip, uint64_t md);

/* The MethodDesc a delegate calls, from its _methodPtr and _methodPtrAux
 * (open static delegates call through a shuffle thunk in _methodPtr, the
 * method in _methodPtrAux): the first that resolves, else 0. */
uint64_t clr_delegate_method(struct clr *c, uint64_t method_ptr, uint64_t method_ptr_aux);

#endif
