/* val_priv.h - what val.c, val_plan.c, val_leaf.c and val_coll.c share.
 * Not a public header. */
#ifndef CLRHEAP_VAL_PRIV_H
#define CLRHEAP_VAL_PRIV_H

#include <pthread.h>
#include <string.h>

#include "md.h"
#include "val.h"

#define VAL_MAX_NEST 96       /* embedded structs and levels, together */
#define VAL_MAX_ITEMS (1u << 28) /* elements of one collection walked */
#define VAL_MAX_BUILD 32      /* value types embedded in value types */

/* How a type renders. */
enum vk {
	VK_PLAIN = 0,  /* its fields */
	VK_STRING, VK_PRIM, VK_ENUM, VK_GUID, VK_DATETIME, VK_DTO, VK_TIMESPAN,
	VK_DECIMAL, VK_NULLABLE, VK_IPADDR, VK_URI, VK_VERSION,
	VK_FSOPTION, VK_FSVOPTION,
	VK_METHOD,     /* a method's name: delegates, method handles (val_leaf.c) */
	VK_FRAMES,     /* an exception's stack trace, its frames (val_leaf.c) */
	VK_ARRAY,
	VK_LIST, VK_DICT, VK_HASHSET, VK_QUEUE, VK_STACK, VK_CQUEUE, VK_CDICT,
	VK_FSLIST, VK_FSMAP, VK_FSSET,
	/* val_items.c and the files by concern it leads to */
	VK_HASHTABLE, VK_ORDERED, VK_ARRAYLIST, VK_SORTEDLIST, VK_CWT,
	VK_SORTEDSET, VK_SORTEDDICT, VK_LINKED, VK_IMMLIST, VK_IMMDICT, VK_IMMSET,
	VK_LAZY, VK_TASK, VK_SBUILDER, VK_SEGMENT, VK_MEMORY, VK_IMMARRAY,
};

struct plan;

/* One instance field, ready to render. */
struct pfield {
	const struct clr_field *f;
	const char *name;     /* clean name (raw where clean names clash) */
	bool own_name;        /* name is malloc'd (not the field's raw name) */
	char *key;            /* "name": as JSON */
	uint32_t keylen;
	uint32_t off;         /* from the start of the instance data */
	uint8_t elem;         /* storage CorElementType */
	struct plan *sub;     /* value types and enums: the field type's plan */
};

struct enum_member {
	uint64_t bits;
	const char *name;
};

/* Sorts members by value in the order .NET's Enum gives them. */
void val_enum_sort(struct enum_member *m, size_t n);

struct enum_info {
	bool flags;           /* [Flags] */
	size_t n;
	struct enum_member *m; /* sorted by bits, unsigned (val_enum_sort) */
};

/* The member Enum.ToString names for bits alone, or NULL. */
const struct enum_member *val_enum_find(const struct enum_info *en, uint64_t bits);

/* The most members an enum's plan keeps. */
#define VAL_ENUM_MAX 4096

/* A [Flags] value no one member names: marks in used (a bitmap of en->n
 * bits) the members Enum.ToString joins, largest first taken; false when
 * they do not make up bits. */
bool val_enum_split(const struct enum_info *en, uint64_t bits, uint64_t *used);

struct plan {
	uint64_t mt;
	const struct clr_type *t;
	enum vk kind;
	bool leaf;            /* renders as one value */
	bool valuetype;
	uint8_t prim;         /* VK_PRIM, VK_ENUM: the underlying element type */
	uint32_t size;        /* value types: bytes of the unboxed value */
	uint32_t nf;
	struct pfield *f;     /* instance fields, layout order, base first */
	char *type_json;      /* "$type":"Name" */
	uint32_t type_json_len;
	const struct pfield *df[6]; /* the fields a decoder reads */
	struct enum_info en;
};

struct val {
	struct clr *c;
	struct as *a;
	struct clr_resolver *r;
	unsigned ps;
	unsigned depth;
	uint64_t mt_mask, string_mt;
	uint64_t max_items;    /* nodes one linked collection may have: no more
				  than the dump could hold objects */
	uint64_t show_items;   /* elements one JSON collection shows */
	uint32_t show_chars;   /* UTF-16 units one JSON string shows */
	uint64_t doc_cap;      /* bytes of one document before it is cut */
	pthread_mutex_t lock;  /* guards the plan table; held (it is recursive)
				  while a plan and the plans it needs are built */
	struct plan **tab;     /* open addressing by MethodTable */
	size_t tab_cap, tab_n;
	/* the MethodTables whose plans are being built, outermost first: a
	 * value type met again among them is a cycle (damage) and is cut */
	uint64_t building[VAL_MAX_BUILD];
	unsigned nbuilding;
	unsigned long nbuilt;  /* plans built: a count of work, for tests */
};

/* An object met in a document: the shallowest level it was met at (0:
 * not yet met), and whether it was written out there (pass 2). */
struct seen {
	uint64_t obj;
	uint8_t lvl;
	bool done;
};

#define VAL_SEEN_SMALL 32 /* a document meets few objects: no allocation */

/* The rendering of one document: where it goes, the objects on the
 * current path (a reference to one of them is a cycle), and the objects
 * met so far. Each object is written out once, at the shallowest level
 * it is met at; everywhere else it is {"$ref"} (DESIGN.md §4). One pass
 * writes an object out again when it meets it shallower than before and
 * notes that it did (again); the document is then written a second time,
 * each object where pass 1 met it shallowest, first such place only.
 * Pass 1 is cut at cap1 once it knows it is a plan only, else at cap
 * (then pass 2 ends where pass 1 stopped meeting objects). */
struct rctx {
	struct val *v;
	struct val_buf *b;
	unsigned depth;
	unsigned nest;
	unsigned npath;
	uint64_t path[VAL_MAX_DEPTH + 2];
	size_t start;          /* where the document starts in b */
	uint64_t cap;          /* bytes it may take before it is cut */
	uint64_t cap1;         /* pass 1 once it knows pass 2 will follow: an
				  object is written out at most once a level */
	bool cut;              /* it was: nothing more is inlined or listed */
	bool cut1;             /* pass 1 was */
	unsigned pass;         /* 1 or 2 */
	bool again;
	struct seen *seen;     /* open addressing by address; small or malloc'd */
	size_t nseen, seen_cap;
	/* what entries were before a collection decoder changed them: one that
	 * gives up has its output dropped, and the entries are put back */
	struct seen *log;
	size_t nlog, log_cap;
	unsigned tentative;    /* decoders under way */
	struct seen small[VAL_SEEN_SMALL];
};

/* Whether the document has reached its cap: collections stop listing
 * (what is left is counted in {"$more":N}) and references stay $ref. */
static inline bool rc_stop(struct rctx *rc)
{
	uint64_t cap = rc->pass == 1 && rc->again ? rc->cap1 : rc->cap;
	if (!rc->cut && rc->b->len - rc->start >= cap)
		rc->cut = true;
	return rc->cut;
}

/* Bytes of a value: a pointer into the dump when contiguous, else read on
 * demand from addr. */
struct span {
	const uint8_t *p;
	uint64_t addr;
	uint64_t len;
};

/* ---- buffer ---- */
bool vb_grow(struct val_buf *b, size_t n);
static inline void vb_put(struct val_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n && !vb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
static inline void vb_ch(struct val_buf *b, char c)
{
	if (b->cap - b->len <= 1 && !vb_grow(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
static inline void vb_str(struct val_buf *b, const char *s)
{
	vb_put(b, s, strlen(s));
}
void vb_u64(struct val_buf *b, uint64_t v);
void vb_i64(struct val_buf *b, int64_t v);
void vb_hexaddr(struct val_buf *b, uint64_t v); /* "0x…" with quotes */
/* A UTF-8 string (invalid bytes as U+FFFD), quoted and escaped when json. */
void vb_utf8(struct val_buf *b, const char *s, size_t n, bool json);

/* ---- reading ---- */
bool sp_read(struct val *v, const struct span *s, uint64_t off, void *out, size_t n);
uint64_t sp_ptr(struct val *v, const struct span *s, uint64_t off);
struct span sp_at(struct val *v, uint64_t addr, uint64_t len);
uint64_t val_rdptr(struct val *v, uint64_t addr);
/* The MethodTable of the object at addr (0 when unreadable). */
uint64_t val_obj_mt(struct val *v, uint64_t addr);

/* ---- plans (val_plan.c) ---- */
/* The plan of MethodTable mt (built on first use; NULL when mt is bad). */
struct plan *val_plan(struct val *v, uint64_t mt);
/* The field of p named name (raw), or NULL. */
const struct pfield *plan_field(const struct plan *p, const char *name);
void val_plans_free(struct val *v);

/* ---- leaves (val_leaf.c) ---- */
/* Renders a leaf value of plan p (a value type or leaf class) whose data
 * starts at s (the unboxed value, or the object's fields). json chooses
 * JSON or value-file text. Returns false when p is not a leaf. */
bool leaf_value(struct rctx *rc, const struct plan *p, const struct span *s, bool json);
/* A primitive of element type elem at s+off. */
void leaf_prim(struct rctx *rc, uint8_t elem, const struct span *s, uint64_t off, bool json);
/* Enum value bits of plan p. */
void leaf_enum(struct rctx *rc, const struct plan *p, uint64_t bits, bool json);
/* The string object at addr (its characters). */
void leaf_string(struct rctx *rc, uint64_t addr, bool json);
bool leaf_string_fits(struct rctx *rc, uint64_t addr);
/* Size in bytes of a primitive element type (0 for others). */
unsigned elem_size(uint8_t elem, unsigned ps);
uint64_t load_bits(const uint8_t *p, unsigned size);

/* ---- documents (val.c) ---- */
/* Starts a document appended to b. */
void rc_init(struct rctx *rc, struct val *v, struct val_buf *b);
/* Writes the document with fn(rc, arg) (twice when struct rctx says so)
 * and frees what rc holds. */
void rc_doc(struct rctx *rc, void (*fn)(struct rctx *, void *), void *arg);
/* Frees what rc holds (rc_doc does; for a document it did not write). */
void rc_free(struct rctx *rc);
/* The instance data of the object at obj of plan p. */
struct span val_data_span(struct val *v, uint64_t obj, const struct plan *p);

/* ---- rendering (val.c) ---- */
/* A value of a slot inside something at `level`: a primitive (elem), a
 * value type (sub), or a reference (followed to level+1). */
void emit_slot(struct rctx *rc, const struct span *s, uint64_t off, uint8_t elem,
	       struct plan *sub, unsigned level);
/* A reference held in a slot of something at `level`. */
void emit_ref(struct rctx *rc, uint64_t obj, unsigned level);
/* The fields of a non-leaf object or struct as "k":v pairs after a
 * leading comma when `comma`. */
void emit_fields(struct rctx *rc, const struct plan *p, const struct span *s,
		 unsigned level, bool comma);

/* ---- collections (val_coll.c) ---- */
/* The elements of an array object (p its plan) as a JSON array. */
void emit_array(struct rctx *rc, const struct plan *p, uint64_t arr, unsigned level);
/* The logical content of a collection object; false when its fields do
 * not match what the decoder expects (then nothing was written). */
bool emit_collection(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level);
/* Decides which collection a class plan is (kind and decoder fields). */
void plan_collection(struct val *v, struct plan *p, const char *defname);
/* At most show_items elements are shown (-o max_items), none once the
 * document is cut: next_shown starts the next element, or counts it in
 * *more (the caller walks on without rendering it); emit_more ends the
 * collection with what was left out ({"$more":R}, in an object "$more":R). */
bool next_shown(struct rctx *rc, bool *first, uint64_t *shown, uint64_t *more);
void emit_more(struct rctx *rc, uint64_t more, bool by_name, bool first);

/* ---- more collections (val_items.c; val_iter.h) ---- */
/* Whether a class or struct plan is one of them: sets its kind and the
 * fields its decoder reads. */
bool plan_collection_more(struct val *v, struct plan *p, const char *defname);
/* Their logical content (false, nothing written, when the fields do not
 * hold together); a struct of theirs embedded at s; StringBuilder's text. */
bool emit_collection_more(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level);
bool emit_struct_collection(struct rctx *rc, const struct plan *p, const struct span *s,
			    unsigned level);
bool leaf_text_builder(struct rctx *rc, const struct plan *p, const struct span *s, bool json);

#endif
