/* fsv_priv.h - what the fsv_*.c files share. Not a public header.
 *
 * Inode numbers (include/fsv.h): shape 0 holds the fixed nodes (payload =
 * their kind; the root is 1); shapes below FSV_SHAPE_FIRST are kinds whose
 * payload is a type index, an object address, a module index or a handle
 * address; shapes from FSV_SHAPE_FIRST on are interned slot shapes (a
 * declared type and where the node sits in the tree) whose payload is the
 * address of the slot. A slot's node is thus computed from where its value
 * lives, and the same slot reached by the same kind of path always has the
 * same number. */
#ifndef CLRHEAP_FSV_PRIV_H
#define CLRHEAP_FSV_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fsv.h"
#include "graph.h"
#include "heap.h"
#include "thr.h"
#include "val.h"

struct fsv_node;

enum fsv_kind {
	FK_BAD = 0,
	/* shape 0: payload is the kind */
	FK_ROOT = 1, FK_README, FK_DUMP_JSON, FK_STAT_TSV, FK_TYPES, FK_OBJECTS,
	FK_ROOTS, FK_MODULES, FK_RETAINED_TSV,
	FK_ROOTS_STATICS, FK_ROOTS_STACK, /* roots/statics/, roots/stack/ (fsv_groots.c) */
	FK_THREADS,                       /* threads/ (fsv_threads.c) */
	FK_EXCEPTIONS, FK_EXC_BY_TYPE,    /* exceptions/, exceptions/by-type.tsv */
	FK_INSPECTIONS,                   /* inspections/ */
	FK_ASYNC, FK_ASYNC_CHAINS, FK_ASYNC_BOXES, /* async/ (fsv_async.c) */
	FK_DIFF_TSV,                      /* diff.tsv, with a baseline (fsv_diff.c) */
	FK_DIFF_DIR, FK_DIFF_PATHS,       /* diff/, diff/paths.tsv, with a baseline */
	FK_FIXED_END,
	/* payload: index in the type table */
	FK_TYPE = 32, FK_TYPE_JSON, FK_TYPE_FIELDS, FK_TYPE_BASE, FK_TYPE_INST,
	FK_TYPE_JSONL, FK_TYPE_STATICS, FK_TYPE_THREADS,
	FK_TYPE_THREAD, /* payload: type index << 16 | thread index */
	FK_RSTAT_TYPE,  /* roots/statics/<Type>/: payload type index */
	FK_TYPE_DIFF,   /* types/<Type>/diff.json, with a baseline (fsv_diff.c) */
	FK_TYPE_CSV,    /* types/<Type>/instances.csv (streamed, fsv_file.c) */
	/* payload: an object address (FK_ALIAS: any address inside one) */
	FK_OBJ = 48, FK_OBJ_TYPE, FK_OBJ_JSON, FK_OBJ_ADDR, FK_OBJ_SIZE,
	FK_OBJ_LENGTH, FK_INST, FK_ALIAS, FK_OBJ_ITEMS,
	FK_PAIR, /* payload: a collection's id << 32 | an item's index (fsv_items.c) */
	FK_OBJ_REFS, FK_OBJ_REFERRERS, FK_OBJ_GCROOT, FK_OBJ_GCROOT_JSON, FK_OBJ_RETAINED,
	FK_OBJ_DOMINATOR, /* the graph (fsv_graph.c) */
	FK_OBJ_EXC,       /* .exception -> ../../exceptions/<a>.txt (fsv_exc.c) */
	/* payload: index in the module table */
	FK_MOD = 72, FK_MOD_PATH, FK_MOD_BASE, FK_MOD_SIZE, FK_MOD_VERSION,
	/* payload: handle kind index; handle address */
	FK_ROOT_KIND = 80, FK_ROOT_LINK,
	FK_DEP_PAIR, FK_DEP_PRIMARY, FK_DEP_SECONDARY, /* payload: handle address */
	FK_GRAPH_LINK, /* in .refs/ and .referrers/: payload the object linked to */
	FK_RSTACK_THREAD, /* roots/stack/<osid>/: payload the OS thread id */
	FK_ROOT_GLINK,    /* roots/statics/<T>/<f>, roots/stack/<osid>/<a>: payload the root's index */
	/* threads/<osid>/ and its entries (fsv_threads.c): payload the OS id */
	FK_THR = 96, FK_THR_JSON, FK_THR_OBJECT, FK_THR_EXC, FK_THR_STACK,
	/* exceptions/ (104..111), inspections/ (112..119), async/ (120..127) */
	FK_EXC_FIRST = 104, FK_INSP_FIRST = 112, FK_ASYNC_FIRST = 120,
	FK_SLOT = 128, /* shapes >= FSV_SHAPE_FIRST */
};
#define FSV_SHAPE_FIRST 128u
#define FSV_SHAPE_LIMIT 65536u

/* Where a slot node sits: under objects/, under types/<T>/statics/, or
 * under objects/<addr>/.items/ (apart from objects/ so that a slot reached
 * through .items/ and through the fields of the array it sits in are two
 * nodes, each with one parent). */
enum { FSV_UNDER_OBJECTS = 0, FSV_UNDER_STATICS = 1, FSV_UNDER_ITEMS = 2 };

/* An interned slot shape: the declared type of the value and the number
 * of path components of the directory holding the node (for relative
 * symlinks). */
struct fsv_shape {
	uint64_t th;    /* value types: the declared type; else 0 */
	uint8_t elem;   /* CorElementType of the slot */
	uint8_t under;  /* FSV_UNDER_* */
	uint16_t depth; /* components of the parent directory's path */
	uint32_t pad;   /* zero: shapes are hashed as bytes */
};

/* ---- values (fsv_val.c): the one place that calls the values layer ---- */

void fsv_buf_put(struct val_buf *b, const char *s, size_t n);
void fsv_buf_str(struct val_buf *b, const char *s);
void fsv_buf_printf(struct val_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum ch_status fsvv_open(struct fsv *v, struct ch_err *err);
void fsvv_close(struct fsv *v);
/* What slot s holds; *target gets the object of VAL_OBJECT, or the
 * address of the struct shown for VAL_STRUCT (a Nullable's value), *th
 * that struct's type. Either may be NULL. */
enum val_kind fsvv_kind(struct fsv *v, const struct val_slot *s, uint64_t *target,
			uint64_t *th);
/* The text of a value file (the value and "\n") appended to b. */
bool fsvv_text(struct fsv *v, const struct val_slot *s, struct val_buf *b);
/* The JSON document of the object at addr, without a newline. */
bool fsvv_object_json(struct fsv *v, uint64_t addr, struct val_buf *b);
/* Slots: instance field i of t in the data at base (an object's address
 * + pointer size, or an unboxed struct); static field i of t; element i
 * of the array at arr. False when there is no such slot. */
bool fsvv_field_slot(struct fsv *v, const struct clr_type *t, size_t i,
		     uint64_t base, struct val_slot *out);
bool fsvv_static_slot(struct fsv *v, const struct clr_type *t, size_t i,
		      struct val_slot *out);
bool fsvv_thread_static_slot(struct fsv *v, const struct clr_type *t, uint64_t thread,
			     size_t i, struct val_slot *out);
bool fsvv_elem_slot(struct fsv *v, const struct clr_type *t, uint64_t arr,
		    uint64_t i, struct val_slot *out);

/* ---- the graph (fsv_graph.c) ---- */

/* The graph, built on the first call (NULL when it cannot be); or only
 * when some call built it already. */
struct graph *fsv_graph(struct fsv *v);
struct graph *fsv_graph_if_built(struct fsv *v);
/* The contents of .gcroot, .gcroot.json, .retained and /retained.tsv. */
int fsvg_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
/* obj's immediate dominator into *target; false when only the roots
 * dominate it, it is dead, or (build false) the graph is not built yet. */
bool fsvg_dominator(struct fsv *v, uint64_t obj, uint64_t *target, bool build);
/* dump.json's live and dead objects and bytes; type.json's live instances
 * and bytes of mt and their retained size. False when there is no graph. */
bool fsvg_totals(struct fsv *v, uint64_t *live, uint64_t *live_bytes, uint64_t *dead,
		 uint64_t *dead_bytes);
bool fsvg_type(struct fsv *v, uint64_t mt, uint64_t *live, uint64_t *live_bytes,
	       uint64_t *retained);

/* ---- .items/ (fsv_items.c): a collection's logical items ---- */

/* Hands one entry to a listing; false when it is full. */
typedef bool (*fsvi_fill_fn)(void *arg, const char *name, uint64_t ino, mode_t mode,
			     uint64_t next);
/* Whether obj is a collection with items (val_items.h). */
bool fsvi_has(struct fsv *v, uint64_t obj);
/* The child name of obj/.items, and .items listed from position pos (an
 * entry's `next` is its position + 3). */
int fsvi_lookup(struct fsv *v, uint64_t obj, const char *name, uint64_t *ino);
int fsvi_list(struct fsv *v, uint64_t obj, uint64_t pos, fsvi_fill_fn fn, void *arg);
/* FK_PAIR nodes: whether payload pl names a collection (*obj); its
 * children "key" and "value". */
bool fsvi_pair(struct fsv *v, uint64_t pl, uint64_t *obj);
int fsvi_pair_lookup(struct fsv *v, uint64_t pl, const char *name, uint64_t *ino);
int fsvi_pair_list(struct fsv *v, uint64_t pl, uint64_t pos, fsvi_fill_fn fn, void *arg);
/* .refs/ and .referrers/ of an object (dir): a child by name, and the
 * listing from position pos (fsv_graph.c). */
int fsvg_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino);
int fsvg_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg);
void fsvi_close(struct fsv *v);

/* ---- roots/statics/ and roots/stack/ (fsv_groots.c) ---- */

/* Indexes the graph's static and stack roots for the tree; with
 * graph_lock held, once the graph is built. */
void fsvr_index(struct fsv *v, const struct graph *g);
/* Checks and resolves FK_RSTAT_TYPE, FK_RSTACK_THREAD, FK_ROOT_GLINK. */
int fsvr_node(struct fsv *v, struct fsv_node *n);
int fsvr_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino);
int fsvr_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg);

/* ---- async/ (fsv_async.c) ---- */

int fsva_lookup(struct fsv *v, const char *name, uint64_t *ino);
int fsva_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg);
/* chains.txt and boxes.tsv */
int fsva_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
void fsva_close(struct fsv *v);

/* ---- exceptions/ (fsv_exc.c) ---- */

/* exceptions/<addr>.txt: payload the exception object's address */
#define FK_EXC_TXT FK_EXC_FIRST
/* Checks FK_EXC_TXT; the children of exceptions/, its listing, and the
 * text of <addr>.txt and by-type.tsv. */
int fsve_node(struct fsv *v, struct fsv_node *n);
int fsve_lookup(struct fsv *v, const char *name, uint64_t *ino);
int fsve_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg);
int fsve_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
void fsve_close(struct fsv *v);
/* Whether objects of type t are exceptions (System.Exception in its
 * parent chain), so have exceptions/<addr>.txt. */
bool fsve_is_exception(struct fsv *v, const struct clr_type *t);

/* ---- inspections/ (fsv_insp.c) ---- */

/* Checks FK_INSP_FIRST (inspections/<name>.tsv, payload the insp_kind);
 * the listing of inspections/ and the files' text. */
int fsvw_node(struct fsv *v, struct fsv_node *n);
int fsvw_lookup(struct fsv *v, const char *name, uint64_t *ino);
int fsvw_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg);
int fsvw_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
void fsvw_close(struct fsv *v);

/* ---- diff.tsv and types/<Type>/diff.json (fsv_diff.c) ---- */

/* Whether the mount has a baseline (and so those files). */
bool fsvd_on(const struct fsv *v);
/* diff/: paths.tsv. */
int fsvd_lookup(struct fsv *v, const char *name, uint64_t *ino);
int fsvd_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg);
/* The text of FK_DIFF_TSV, FK_DIFF_PATHS and FK_TYPE_DIFF. */
int fsvd_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
void fsvd_close(struct fsv *v);

/* ---- threads/ (fsv_threads.c) ---- */

/* Checks and resolves FK_THR*; the children of threads/ and of
 * threads/<osid>/, their listings, and thread.json and stack.tsv. */
int fsvt_node(struct fsv *v, struct fsv_node *n);
int fsvt_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino);
int fsvt_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg);
int fsvt_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b);

/* ---- the type table (fsv.c) ---- */

struct fsv_tent {
	uint64_t mt;
	const struct clr_type *t;
	char *dir;          /* the name under types/ */
	uint64_t count, bytes;
	uint32_t base;      /* index of the parent type's entry, or UINT32_MAX */
	bool statics;       /* has statics/: static or thread-static fields */
	bool tstatics;      /* has thread-static fields (statics/.threads/) */
};

/* A type's fields as files: field i of clr_type_fields has name[i] (NULL
 * for a field not shown: RVA). Instance fields are named apart from static
 * ones (they never share a directory). */
struct fsv_tview {
	uint64_t mt;
	const struct clr_type *t;
	const struct clr_field *f;
	size_t nf, ninst;
	char **name;
	struct fsv_tview *next; /* hash chain */
};

#define FSV_HANDLE_KINDS GRAPH_HANDLE_KINDS
#define FSV_ROOT_DEPENDENT GRAPH_H_DEPENDENT

struct fsv_cache;
struct fsv_itab;

struct fsv {
	struct heap *h;
	struct clr *c;
	struct as *a;
	struct dump *d;
	struct fsv_opts o;
	char *dump_path;
	unsigned ps, hexw;
	uint64_t mt_mask;
	struct val *val;
	struct clr_resolver *r; /* owned by val */

	pthread_mutex_t lock; /* views, shapes, roots, modules */
	pthread_mutex_t types_lock; /* held while the type table is built */
	/* the type table: sorted by dir name */
	bool types_done;
	enum ch_status types_st;
	struct fsv_tent *types;
	size_t ntypes;
	uint64_t *type_by_mt; /* (mt, index) pairs sorted by mt */
	/* field views, by MethodTable */
	struct fsv_tview **views;
	size_t nviews_cap;
	/* slot shapes */
	struct fsv_shape *shapes;
	size_t nshapes, shapes_cap;
	uint32_t *shape_slot; /* open addressing: index + 1 */
	size_t shape_slot_cap;
	/* roots */
	bool roots_done;
	struct graph_handle *handles; /* sorted by kind, then address */
	pthread_mutex_t graph_lock; /* held while the graph is built */
	struct graph *graph;        /* built on first use (fsv_graph.c) */
	bool graph_failed;
	uint64_t *root_mts, *stack_tids; /* fsvr_index: sorted, each once */
	size_t nroot_mts, nstack_tids;
	size_t nhandles;
	/* managed threads, for thread statics */
	bool threads_done;
	struct clr_thread *threads;
	size_t nthreads;
	/* threads/ (fsv_threads.c): the runtime's thread list, read once */
	bool thr_done;
	struct thr_list *thr;
	/* async/ (fsv_async.c): the state machines, found once */
	bool asy_done;
	struct asy_list *asy;
	/* exceptions/ (fsv_exc.c): the exception objects, found once */
	bool exc_done;
	struct exc_list *exc;
	/* inspections/ (fsv_insp.c): made on first use */
	bool insp_done;
	struct fsvw *insp;
	/* diff.tsv, diff.json (fsv_diff.c): made on first use */
	bool diff_done;
	struct fsvd *diff;
	/* modules */
	bool mods_done;
	const struct dump_module **mods;
	char **modnames;
	size_t nmods;

	bool index_timed; /* fsv_instances: the first call was timed */
	struct fsv_cache *cache;
	struct fsv_itab *itab; /* .items/: walks kept, collection ids (fsv_items.c) */
};

/* ---- fsv.c ---- */
/* Seconds on a monotonic clock. */
double fsv_now(void);
/* Tells o.log of a build that started at t0 when it took 1 s or more. */
void fsv_log_slow(struct fsv *v, double t0, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Tells o.log of what the mount could not do (a read of it fails with EIO). */
void fsv_log(struct fsv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* heap_instances; the first call, which builds the heap's per-type
 * index, is timed for fsv_log_slow. */
enum ch_status fsv_instances(struct fsv *v, uint64_t mt, const uint64_t **addrs, size_t *n,
			     struct ch_err *err);
/* qsort/bsearch order of uint64_t values, ascending. */
int fsv_u64_cmp(const void *x, const void *y);
/* The type table, built on first use (one heap walk). */
enum ch_status fsv_types(struct fsv *v);
/* Index of mt in the type table, or -1. */
long fsv_type_index(struct fsv *v, uint64_t mt);
/* The field view of t (built on first use; NULL when out of memory or
 * the fields are damaged). */
const struct fsv_tview *fsv_view(struct fsv *v, const struct clr_type *t);
/* Interns a shape; returns its inode shape number, or 0 when the table
 * is full. */
unsigned fsv_shape_intern(struct fsv *v, const struct fsv_shape *s);
bool fsv_shape_get(struct fsv *v, unsigned shape, struct fsv_shape *out);
/* The GC handles (sorted by kind, then address), gathered once. */
void fsv_roots(struct fsv *v);
const char *fsv_handle_kind_name(unsigned kind);
size_t fsv_handle_count(struct fsv *v, unsigned kind);
/* The handles of one kind: v->handles[*from .. *from + count). */
size_t fsv_handles_of(struct fsv *v, unsigned kind, size_t *from);
/* The managed threads (gathered once). */
void fsv_threads(struct fsv *v);
/* The shown static field of tv named name: thread-static ones when thread,
 * else the plain ones. -1 when none. */
long fsv_static_named(const struct fsv_tview *tv, const char *name, bool thread);
/* The managed modules, named, gathered once. */
void fsv_modules(struct fsv *v);

/* ---- fsv_name.c ---- */
uint64_t fsv_hash64(const void *p, size_t n);
/* An address as a file name (16 or 8 lowercase hex digits); out holds 17. */
size_t fsv_fmt_addr(const struct fsv *v, uint64_t addr, char *out);
/* Parses [0x]hex (1 to 16 digits); canonical when it is exactly hexw
 * lowercase digits without prefix. */
bool fsv_parse_addr(const char *name, unsigned hexw, uint64_t *addr, bool *canonical);
/* Parses a decimal index below max (no sign, no leading zeros). */
bool fsv_parse_index(const char *name, uint64_t max, uint64_t *out);

/* ---- nodes (fsv_node.c) ---- */

/* A decoded inode number, with what its node needs resolved. */
struct fsv_node {
	uint64_t ino;
	enum fsv_kind kind;
	uint64_t pl;            /* payload */
	/* FK_TYPE*: the entry */
	const struct fsv_tent *te;
	/* FK_OBJ*: the object */
	uint64_t mt, size;
	const struct clr_type *t;
	/* FK_SLOT */
	struct fsv_shape sh;
	struct val_slot slot;
	enum val_kind vk;
	uint64_t target;        /* VAL_OBJECT; VAL_STRUCT: the struct's address */
	const struct clr_type *st; /* VAL_STRUCT: its type */
};

/* Decodes and checks ino. Returns 0 or -ENOENT / -EIO. */
int fsv_node(struct fsv *v, uint64_t ino, struct fsv_node *n);
/* The file type of a decoded node: S_IFDIR, S_IFREG or S_IFLNK. */
mode_t fsv_node_mode(const struct fsv_node *n);
/* Fills st for node n; renders a file's content to know its size unless
 * cheap_only, in which case it returns -EAGAIN for a file not yet
 * rendered. */
int fsv_node_stat(struct fsv *v, const struct fsv_node *n, struct stat *st, bool cheap_only);
/* The inode of a slot node: interns its shape. 0 when the table is full. */
uint64_t fsv_slot_ino(struct fsv *v, const struct val_slot *s, unsigned under,
		      unsigned depth);

/* ---- directories (fsv_dir.c) ---- */
int fsv_dir_lookup(struct fsv *v, const struct fsv_node *dir, const char *name,
		   uint64_t *ino);

/* ---- files (fsv_file.c) ---- */
/* The symlink target of node n into b. */
int fsv_link_target(struct fsv *v, const struct fsv_node *n, struct val_buf *b);
/* Size of file node n; renders (and caches) when needed. cheap_only: fail
 * with -EAGAIN instead of rendering something costly. */
int fsv_file_size(struct fsv *v, const struct fsv_node *n, uint64_t *size, bool cheap_only);
bool fsv_file_streamed(const struct fsv_node *n);

enum ch_status fsv_cache_open(struct fsv *v);
void fsv_cache_close(struct fsv *v);

#endif
