/* val.c - rendering values: objects, fields, references to a depth,
 * cycles, embedded structs; the public entry points of val.h. */
#include "val_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rdr.h"

/* ---- buffer ---- */

void val_buf_init(struct val_buf *b)
{
	memset(b, 0, sizeof *b);
}

void val_buf_free(struct val_buf *b)
{
	free(b->p);
	val_buf_init(b);
}

void val_buf_reset(struct val_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = '\0';
}

bool vb_grow(struct val_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->cap > b->len && b->cap - b->len > n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void vb_u64(struct val_buf *b, uint64_t v)
{
	char t[24];
	int n = 0;
	do {
		t[23 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	vb_put(b, t + 24 - n, (size_t)n);
}

void vb_i64(struct val_buf *b, int64_t v)
{
	if (v < 0) {
		vb_ch(b, '-');
		vb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		vb_u64(b, (uint64_t)v);
	}
}

void vb_hexaddr(struct val_buf *b, uint64_t v)
{
	static const char hexd[] = "0123456789abcdef";
	char t[20];
	int n = 0;
	do {
		t[19 - n++] = hexd[v & 15];
		v >>= 4;
	} while (v);
	t[19 - n++] = 'x';
	t[19 - n++] = '0';
	t[19 - n++] = '"';
	vb_put(b, t + 20 - n, (size_t)n);
	vb_ch(b, '"');
}

/* ---- reading ---- */

struct span sp_at(struct val *v, uint64_t addr, uint64_t len)
{
	struct span s = { NULL, addr, len };
	if (len && len < ((uint64_t)1 << 31))
		s.p = as_ptr(v->a, addr, (size_t)len);
	return s;
}

bool sp_read(struct val *v, const struct span *s, uint64_t off, void *out, size_t n)
{
	if (s->p && off <= s->len && s->len - off >= n) {
		memcpy(out, s->p + off, n);
		return true;
	}
	return as_read(v->a, s->addr + off, out, n) == n;
}

uint64_t sp_ptr(struct val *v, const struct span *s, uint64_t off)
{
	uint8_t raw[8] = { 0 };
	if (!sp_read(v, s, off, raw, v->ps))
		return 0;
	return v->ps == 8 ? rdr_le64(raw) : rdr_le32(raw);
}

uint64_t val_rdptr(struct val *v, uint64_t addr)
{
	uint64_t x = 0;
	return as_ptrv(v->a, addr, &x) ? x : 0;
}

uint64_t val_obj_mt(struct val *v, uint64_t addr)
{
	return val_rdptr(v, addr) & v->mt_mask;
}

/* ---- context ---- */

enum ch_status val_open(struct clr *c, struct val **out, struct ch_err *err)
{
	struct val *v = calloc(1, sizeof *v);
	if (!v)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	v->c = c;
	v->a = clr_as(c);
	v->ps = clr_ptr_size(c);
	v->depth = VAL_DEFAULT_DEPTH;
	v->show_items = VAL_DEFAULT_ITEMS;
	v->show_chars = VAL_DEFAULT_STRING;
	v->mt_mask = clr_mt_mask(c);
	v->string_mt = clr_string_mt(c);
	size_t nr;
	const struct dump_range *r = dump_ranges(as_dump(v->a), &nr);
	uint64_t bytes = 0;
	for (size_t i = 0; i < nr; i++)
		bytes += r[i].size;
	v->max_items = bytes / (3 * v->ps);
	if (v->max_items > VAL_MAX_ITEMS)
		v->max_items = VAL_MAX_ITEMS;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&v->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	enum ch_status st = clr_resolver_open(c, &v->r, err);
	if (st != CH_OK) {
		val_close(v);
		return st;
	}
	*out = v;
	return CH_OK;
}

void val_close(struct val *v)
{
	if (!v)
		return;
	val_plans_free(v);
	clr_resolver_close(v->r);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void val_set_depth(struct val *v, unsigned depth)
{
	v->depth = depth > VAL_MAX_DEPTH ? VAL_MAX_DEPTH : depth;
}

void val_set_limits(struct val *v, uint64_t max_items, uint32_t max_string)
{
	if (max_items)
		v->show_items = max_items > VAL_MAX_SHOWN_ITEMS ? VAL_MAX_SHOWN_ITEMS : max_items;
	if (max_string)
		v->show_chars = max_string > VAL_MAX_STRING ? VAL_MAX_STRING : max_string;
}

unsigned val_depth(const struct val *v)
{
	return v->depth;
}

struct clr_resolver *val_resolver(struct val *v)
{
	return v->r;
}

/* ---- rendering ---- */

static bool on_path(const struct rctx *rc, uint64_t obj)
{
	for (unsigned i = 0; i < rc->npath; i++)
		if (rc->path[i] == obj)
			return true;
	return false;
}

static void emit_refonly(struct rctx *rc, uint64_t obj)
{
	vb_put(rc->b, "{\"$ref\":", 8);
	vb_hexaddr(rc->b, obj);
	vb_ch(rc->b, '}');
}

/* An object that cannot be read: still valid JSON, saying so. */
static void emit_bad(struct rctx *rc, uint64_t obj, const char *why)
{
	vb_put(rc->b, "{\"$ref\":", 8);
	vb_hexaddr(rc->b, obj);
	vb_str(rc->b, ",\"$error\":");
	vb_utf8(rc->b, why, strlen(why), true);
	vb_ch(rc->b, '}');
}

void emit_fields(struct rctx *rc, const struct plan *p, const struct span *s,
		 unsigned level, bool comma)
{
	for (uint32_t i = 0; i < p->nf; i++) {
		const struct pfield *f = &p->f[i];
		if (comma)
			vb_ch(rc->b, ',');
		comma = true;
		vb_put(rc->b, f->key, f->keylen);
		emit_slot(rc, s, f->off, f->elem, f->sub, level);
	}
}

/* A struct value that is not a leaf: {"$type":…, fields}. Nullable and
 * voption show their value or null. */
static void emit_struct(struct rctx *rc, const struct span *s, struct plan *p, unsigned level)
{
	if (p->leaf) {
		if (!leaf_value(rc, p, s, true))
			vb_str(rc->b, "null");
		return;
	}
	if (p->kind == VK_NULLABLE || p->kind == VK_FSVOPTION) {
		const struct pfield *tag = p->df[0], *val = p->df[1];
		uint32_t x = 0;
		if (!sp_read(rc->v, s, tag->off, &x, tag->elem == MD_ELEM_BOOLEAN ? 1 : 4) ||
		    (tag->elem == MD_ELEM_BOOLEAN ? (x & 0xff) : x) == 0) {
			vb_str(rc->b, "null");
			return;
		}
		emit_slot(rc, s, val->off, val->elem, val->sub, level);
		return;
	}
	vb_ch(rc->b, '{');
	vb_put(rc->b, p->type_json, p->type_json_len);
	emit_fields(rc, p, s, level, true);
	vb_ch(rc->b, '}');
}

void emit_slot(struct rctx *rc, const struct span *s, uint64_t off, uint8_t elem,
	       struct plan *sub, unsigned level)
{
	if (rc->nest >= VAL_MAX_NEST) {
		vb_str(rc->b, "null");
		return;
	}
	rc->nest++;
	if (elem == MD_ELEM_VALUETYPE) {
		if (!sub) {
			vb_str(rc->b, "{\"$error\":\"type not resolved\"}");
		} else {
			struct span ss = { s->p && off <= s->len ? s->p + off : NULL, s->addr + off,
					   off <= s->len ? s->len - off : 0 };
			emit_struct(rc, &ss, sub, level);
		}
	} else if (elem_size(elem, rc->v->ps)) {
		if (sub && sub->kind == VK_ENUM) {
			unsigned size = elem_size(elem, rc->v->ps);
			uint8_t raw[8];
			if (sp_read(rc->v, s, off, raw, size))
				leaf_enum(rc, sub, load_bits(raw, size), true);
			else
				vb_str(rc->b, "null");
		} else {
			leaf_prim(rc, elem, s, off, true);
		}
	} else {
		emit_ref(rc, sp_ptr(rc->v, s, off), level);
	}
	rc->nest--;
}

static struct span data_span(struct rctx *rc, uint64_t obj, const struct plan *p)
{
	unsigned ps = rc->v->ps;
	uint64_t len = p->t->base_size > 2 * ps ? p->t->base_size - 2 * ps : 0;
	return sp_at(rc->v, obj + ps, len);
}

static void emit_object(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	struct span s = data_span(rc, obj, p);
	vb_put(rc->b, "{\"$addr\":", 9);
	vb_hexaddr(rc->b, obj);
	vb_ch(rc->b, ',');
	vb_put(rc->b, p->type_json, p->type_json_len);
	emit_fields(rc, p, &s, level, true);
	vb_ch(rc->b, '}');
}

static bool is_collection(enum vk k)
{
	return k >= VK_LIST;
}

void emit_ref(struct rctx *rc, uint64_t obj, unsigned level)
{
	struct val *v = rc->v;
	if (!obj) {
		vb_put(rc->b, "null", 4);
		return;
	}
	uint64_t mt = val_obj_mt(v, obj);
	if (mt && mt == v->string_mt) {
		leaf_string(rc, obj, true);
		return;
	}
	struct plan *p = mt ? val_plan(v, mt) : NULL;
	if (!p) {
		emit_bad(rc, obj, "not an object");
		return;
	}
	if (p->leaf) {
		struct span s = data_span(rc, obj, p);
		size_t mark = rc->b->len;
		if (leaf_value(rc, p, &s, true))
			return;
		rc->b->len = mark; /* undecodable: show its fields */
	}
	if (p->kind == VK_FSOPTION) { /* Some x shows as x */
		struct span s = data_span(rc, obj, p);
		const struct pfield *f = p->df[0];
		emit_slot(rc, &s, f->off, f->elem, f->sub, level);
		return;
	}
	unsigned at = level + 1;
	if (at > rc->depth || on_path(rc, obj) || rc->npath >= VAL_MAX_DEPTH + 2) {
		emit_refonly(rc, obj);
		return;
	}
	rc->path[rc->npath++] = obj;
	if (p->kind == VK_ARRAY)
		emit_array(rc, p, obj, at);
	else if (!is_collection(p->kind) || !emit_collection(rc, p, obj, at))
		emit_object(rc, p, obj, at);
	rc->npath--;
}

/* ---- public entry points ---- */

static void rc_init(struct rctx *rc, struct val *v, struct val_buf *b)
{
	rc->v = v;
	rc->b = b;
	rc->depth = v->depth;
	rc->nest = 0;
	rc->npath = 0;
}

enum ch_status val_object_json(struct val *v, uint64_t addr, struct val_buf *b,
			       struct ch_err *err)
{
	struct rctx rc;
	rc_init(&rc, v, b);
	uint64_t mt = val_obj_mt(v, addr);
	struct plan *p = mt ? val_plan(v, mt) : NULL;
	if (!p)
		return ch_set_error(err, CH_ECORRUPT, "%s: no object at 0x%" PRIx64,
				    dump_path(as_dump(v->a)), addr);
	rc.path[rc.npath++] = addr;
	vb_put(b, "{\"$addr\":", 9);
	vb_hexaddr(b, addr);
	vb_ch(b, ',');
	vb_put(b, p->type_json, p->type_json_len);
	struct span s = data_span(&rc, addr, p);
	if (p->kind == VK_STRING) {
		vb_str(b, ",\"$value\":");
		leaf_string(&rc, addr, true);
	} else if (p->kind == VK_ARRAY) {
		vb_str(b, ",\"$items\":");
		emit_array(&rc, p, addr, 0);
	} else {
		size_t mark = b->len;
		bool done = false;
		if (p->leaf) {
			vb_str(b, ",\"$value\":");
			done = leaf_value(&rc, p, &s, true);
		} else if (is_collection(p->kind)) {
			vb_str(b, ",\"$items\":");
			done = emit_collection(&rc, p, addr, 0);
		}
		if (!done) {
			b->len = mark;
			emit_fields(&rc, p, &s, 0, true);
		}
	}
	vb_ch(b, '}');
	if (b->oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering 0x%" PRIx64, addr);
	return CH_OK;
}

bool val_field_slot(struct val *v, uint64_t obj, const struct clr_field *f,
		    struct val_slot *out)
{
	if (f->flags & CLR_FIELD_STATIC)
		return false;
	out->addr = obj + v->ps + f->offset;
	out->elem = f->elem;
	out->th = 0;
	/* the plan of the object's type knows the field's value type */
	uint64_t mt = val_obj_mt(v, obj);
	struct plan *p = mt ? val_plan(v, mt) : NULL;
	for (uint32_t i = 0; p && i < p->nf; i++)
		if (p->f[i].f == f || (p->f[i].f->token == f->token &&
				       p->f[i].f->decl_mt == f->decl_mt)) {
			if (p->f[i].sub)
				out->th = p->f[i].sub->mt;
			return true;
		}
	if (f->elem == MD_ELEM_VALUETYPE || elem_size(f->elem, v->ps)) {
		uint64_t th = clr_resolve_field(v->r, f);
		struct plan *q = th && !(th & 2) ? val_plan(v, th) : NULL;
		if (q && (f->elem == MD_ELEM_VALUETYPE || q->kind == VK_ENUM))
			out->th = th;
	}
	return true;
}

/* The slot of static field f given its type's statics bases. */
static bool slot_in(struct val *v, const struct clr_field *f, uint64_t gc, uint64_t nongc,
		    struct val_slot *out)
{
	out->elem = f->elem;
	out->th = 0;
	bool ref = !elem_size(f->elem, v->ps);
	uint64_t base = ref ? gc : nongc;
	if (!base)
		return false;
	out->addr = base + f->offset;
	if (f->elem == MD_ELEM_VALUETYPE) {
		/* a struct static lives in a box of its own, held by the GC statics */
		uint64_t box = val_rdptr(v, out->addr);
		uint64_t mt = box ? val_obj_mt(v, box) : 0;
		if (!mt || !val_plan(v, mt))
			return false;
		out->addr = box + v->ps;
		out->th = mt;
		return true;
	}
	if (!ref) {
		uint64_t th = clr_resolve_field(v->r, f);
		struct plan *p = th && !(th & 2) ? val_plan(v, th) : NULL;
		if (p && p->kind == VK_ENUM)
			out->th = th;
	}
	return true;
}

bool val_static_slot(struct val *v, const struct clr_type *t,
		     const struct clr_field *f, struct val_slot *out)
{
	uint64_t gc, nongc;
	if (!(f->flags & CLR_FIELD_STATIC) || (f->flags & (CLR_FIELD_THREAD | CLR_FIELD_RVA)))
		return false;
	clr_type_statics(v->c, t, &gc, &nongc);
	return slot_in(v, f, gc, nongc, out);
}

bool val_thread_static_slot(struct val *v, const struct clr_type *t, uint64_t thread,
			    const struct clr_field *f, struct val_slot *out)
{
	uint64_t gc, nongc;
	if (!(f->flags & CLR_FIELD_THREAD))
		return false;
	clr_thread_statics(v->c, t, thread, &gc, &nongc);
	return slot_in(v, f, gc, nongc, out);
}

bool val_elem_slot(struct val *v, uint64_t arr, uint64_t i, struct val_slot *out)
{
	uint64_t mt = val_obj_mt(v, arr);
	const struct clr_type *t = mt ? clr_type_of(v->c, mt, NULL) : NULL;
	uint32_t n;
	if (!t || t->kind != CLR_KIND_ARRAY || !as_u32(v->a, arr + v->ps, &n) || i >= n)
		return false;
	out->addr = arr + t->base_size - v->ps + i * t->component_size;
	out->elem = t->elem_type;
	out->th = 0;
	if (!(t->elem_th & 2)) {
		struct plan *p = val_plan(v, t->elem_th);
		if (p && p->valuetype && (p->kind == VK_ENUM || t->elem_type == MD_ELEM_VALUETYPE))
			out->th = t->elem_th;
	}
	return true;
}

/* The plan of a slot's value type (NULL for references and primitives). */
static struct plan *slot_plan(struct val *v, const struct val_slot *s)
{
	return s->th ? val_plan(v, s->th) : NULL;
}

enum val_kind val_slot_kind(struct val *v, const struct val_slot *s, uint64_t *target)
{
	struct plan *p = slot_plan(v, s);
	if (s->elem == MD_ELEM_VALUETYPE) {
		if (!p)
			return VAL_BAD;
		if (p->leaf)
			return VAL_LEAF;
		if (p->kind == VK_NULLABLE || p->kind == VK_FSVOPTION) {
			uint32_t x = 0;
			const struct pfield *tag = p->df[0];
			if (as_read(v->a, s->addr + tag->off, &x, tag->elem == MD_ELEM_BOOLEAN ? 1 : 4) == 0)
				return VAL_BAD;
			if ((tag->elem == MD_ELEM_BOOLEAN ? (x & 0xff) : x) == 0)
				return VAL_NULL;
			const struct pfield *val = p->df[1];
			struct val_slot in = { s->addr + val->off, val->sub ? val->sub->mt : 0, val->elem };
			return val_slot_kind(v, &in, target);
		}
		return VAL_STRUCT;
	}
	if (elem_size(s->elem, v->ps))
		return VAL_LEAF;
	uint64_t obj = val_rdptr(v, s->addr);
	for (int hops = 0; hops < 8; hops++) {
		if (!obj)
			return VAL_NULL;
		uint64_t mt = val_obj_mt(v, obj);
		if (mt == v->string_mt)
			return VAL_LEAF;
		struct plan *q = mt ? val_plan(v, mt) : NULL;
		if (!q)
			return VAL_BAD;
		if (q->leaf)
			return VAL_LEAF;
		if (q->kind != VK_FSOPTION)
			break;
		/* Some x: what x is */
		const struct pfield *f = q->df[0];
		if (f->elem == MD_ELEM_VALUETYPE || elem_size(f->elem, v->ps)) {
			struct val_slot in = { obj + v->ps + f->off, f->sub ? f->sub->mt : 0, f->elem };
			return val_slot_kind(v, &in, target);
		}
		obj = val_rdptr(v, obj + v->ps + f->off);
	}
	if (target)
		*target = obj;
	return VAL_OBJECT;
}

/* Nullable<T> and voption with a value, and F# Some x, hold the slot of
 * their value: moves *s there. Returns 1 when it did, -1 for no value
 * (null, None), 0 for anything else. */
static int unwrap(struct val *v, struct val_slot *s)
{
	struct plan *p = s->th ? val_plan(v, s->th) : NULL;
	const struct pfield *val;
	if (s->elem == MD_ELEM_VALUETYPE && p &&
	    (p->kind == VK_NULLABLE || p->kind == VK_FSVOPTION)) {
		const struct pfield *tag = p->df[0];
		uint32_t x = 0;
		if (as_read(v->a, s->addr + tag->off, &x, tag->elem == MD_ELEM_BOOLEAN ? 1 : 4) == 0 ||
		    (tag->elem == MD_ELEM_BOOLEAN ? (x & 0xff) : x) == 0)
			return -1;
		val = p->df[1];
		s->addr += val->off;
	} else if (s->elem != MD_ELEM_VALUETYPE && !elem_size(s->elem, v->ps)) {
		uint64_t obj = val_rdptr(v, s->addr);
		uint64_t mt = obj ? val_obj_mt(v, obj) : 0;
		struct plan *q = mt ? val_plan(v, mt) : NULL;
		if (!q || q->kind != VK_FSOPTION)
			return 0;
		val = q->df[0];
		s->addr = obj + v->ps + val->off;
	} else {
		return 0;
	}
	s->elem = val->elem;
	s->th = val->sub ? val->sub->mt : 0;
	return 1;
}

static enum ch_status slot_render(struct val *v, const struct val_slot *slot,
				  struct val_buf *b, bool json, struct ch_err *err)
{
	struct rctx rc;
	rc_init(&rc, v, b);
	struct val_slot in = *slot;
	const struct val_slot *s = &in;
	int u = 0;
	for (int hops = 0; !json && hops < 8 && (u = unwrap(v, &in)) == 1; hops++)
		;
	if (u < 0) {
		vb_str(b, "null");
		goto done;
	}
	struct span sp = { NULL, s->addr, (uint64_t)1 << 20 };
	struct plan *p = slot_plan(v, s);
	if (!json) {
		/* a leaf's plain text */
		if (s->elem == MD_ELEM_VALUETYPE && p && p->leaf) {
			if (leaf_value(&rc, p, &sp, false))
				goto done;
		} else if (elem_size(s->elem, v->ps)) {
			if (p && p->kind == VK_ENUM) {
				uint8_t raw[8];
				unsigned size = elem_size(s->elem, v->ps);
				if (as_read(v->a, s->addr, raw, size) == size)
					leaf_enum(&rc, p, load_bits(raw, size), false);
			} else {
				leaf_prim(&rc, s->elem, &sp, 0, false);
			}
			goto done;
		} else if (s->elem != MD_ELEM_VALUETYPE) {
			uint64_t obj = val_rdptr(v, s->addr);
			uint64_t mt = obj ? val_obj_mt(v, obj) : 0;
			struct plan *q = mt ? val_plan(v, mt) : NULL;
			if (mt && mt == v->string_mt) {
				leaf_string(&rc, obj, false);
				goto done;
			}
			if (q && q->leaf) {
				struct span ds = data_span(&rc, obj, q);
				size_t mark = b->len;
				if (leaf_value(&rc, q, &ds, false))
					goto done;
				b->len = mark;
			}
		}
	}
	emit_slot(&rc, &sp, 0, s->elem, p, 0);
done:
	if (!json)
		vb_ch(b, '\n');
	if (b->oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering a value");
	return CH_OK;
}

enum ch_status val_slot_json(struct val *v, const struct val_slot *s,
			     struct val_buf *b, struct ch_err *err)
{
	return slot_render(v, s, b, true, err);
}

enum ch_status val_slot_text(struct val *v, const struct val_slot *s,
			     struct val_buf *b, struct ch_err *err)
{
	return slot_render(v, s, b, false, err);
}

/* "name":value for each static field of t whose flags match: thread
 * statics of one thread, or the plain ones. name[i] is the name of static
 * field f[i] (i >= ninst). */
static void statics_fields(struct val *v, const struct clr_type *t, const struct clr_field *f,
			   size_t n, size_t ninst, const char *const *name,
			   const struct clr_thread *th, struct val_buf *b)
{
	bool comma = false;
	for (size_t i = ninst; i < n; i++) {
		struct val_slot s;
		bool thread = f[i].flags & CLR_FIELD_THREAD;
		if (!(f[i].flags & CLR_FIELD_STATIC) || (f[i].flags & CLR_FIELD_RVA) ||
		    thread != (th != NULL))
			continue;
		if (comma)
			vb_ch(b, ',');
		comma = true;
		vb_utf8(b, name[i - ninst], strlen(name[i - ninst]), true);
		vb_ch(b, ':');
		bool ok = th ? val_thread_static_slot(v, t, th->addr, &f[i], &s)
			     : val_static_slot(v, t, &f[i], &s);
		if (ok)
			slot_render(v, &s, b, true, NULL);
		else
			vb_str(b, "null");
	}
}

#define MAX_THREADS_SHOWN 4096

enum ch_status val_statics_json(struct val *v, const struct clr_type *t,
				struct val_buf *b, struct ch_err *err)
{
	size_t n, ninst;
	struct ch_err ferr = { CH_OK, "" };
	const struct clr_field *f = clr_type_fields(v->c, t, &n, &ninst, &ferr);
	if (!f && ferr.status != CH_OK)
		return ch_set_error(err, ferr.status, "%s", ferr.msg);
	if (!clr_statics_supported(v->c))
		return ch_set_error(err, CH_EUNSUPPORTED, "%s: static fields of runtime %s cannot be read yet",
				    dump_path(as_dump(v->a)), clr_runtime(v->c)->product_version);
	/* static fields are named among themselves, as statics/ shows them */
	size_t ns = n - ninst;
	const char **raw = calloc(ns ? ns : 1, sizeof *raw);
	const char **name = calloc(ns ? ns : 1, sizeof *name);
	for (size_t i = 0; raw && i < ns; i++)
		raw[i] = f[ninst + i].name ? f[ninst + i].name : "?";
	if (!raw || !name || !val_field_names(raw, ns, name)) {
		free(raw);
		free(name);
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering statics");
	}
	struct plan *p = val_plan(v, t->mt);
	vb_ch(b, '{');
	if (p)
		vb_put(b, p->type_json, p->type_json_len);
	else
		vb_str(b, "\"$type\":null");
	size_t plain = 0, thread = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(f[i].flags & CLR_FIELD_STATIC) || (f[i].flags & CLR_FIELD_RVA))
			continue;
		if (f[i].flags & CLR_FIELD_THREAD)
			thread++;
		else
			plain++;
	}
	if (plain)
		vb_ch(b, ',');
	statics_fields(v, t, f, n, ninst, name, NULL, b);
	if (thread) {
		/* each thread that has them: its own values */
		struct clr_thread *th = calloc(MAX_THREADS_SHOWN, sizeof *th);
		size_t nth = th ? clr_threads(v->c, th, MAX_THREADS_SHOWN) : 0;
		vb_str(b, ",\"$threads\":[");
		bool first = true;
		for (size_t k = 0; k < nth; k++) {
			uint64_t gc, nongc;
			clr_thread_statics(v->c, t, th[k].addr, &gc, &nongc);
			if (!gc && !nongc)
				continue;
			if (!first)
				vb_ch(b, ',');
			first = false;
			vb_str(b, "{\"thread\":");
			vb_u64(b, th[k].id);
			vb_str(b, ",\"os_tid\":");
			vb_u64(b, th[k].os_id);
			vb_str(b, ",\"fields\":{");
			statics_fields(v, t, f, n, ninst, name, &th[k], b);
			vb_str(b, "}}");
		}
		vb_ch(b, ']');
		free(th);
	}
	vb_ch(b, '}');
	val_free_names(raw, name, ns);
	free(raw);
	free(name);
	if (b->oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering statics");
	return CH_OK;
}
