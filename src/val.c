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
	v->doc_cap = VAL_DEFAULT_DOC;
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

void val_set_doc_limit(struct val *v, uint64_t bytes)
{
	if (bytes)
		v->doc_cap = bytes;
}

/* ---- the objects a document meets ----
 * DESIGN.md §4 writes an object out once per path; a document here writes
 * it out once: where it is met nearest the top, the first place in
 * document order at that level. Written where first met, an object met
 * again nearer the top would lose the levels below it that the nearer
 * place shows; so pass 1 writes it out again there, and when it did, pass
 * 2 writes the document anew from the levels pass 1 found. Every object a
 * path of at most `depth` references reaches is then in the document with
 * its references inlined as deep as anywhere, once. */

static size_t seen_hash(uint64_t obj, size_t cap)
{
	return (size_t)(((obj >> 3) * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static bool seen_grow(struct rctx *rc)
{
	size_t cap = rc->seen_cap * 2;
	struct seen *t = cap > rc->seen_cap ? calloc(cap, sizeof *t) : NULL;
	if (!t) {
		rc->b->oom = true;
		return false;
	}
	for (size_t i = 0; i < rc->seen_cap; i++) {
		if (!rc->seen[i].obj)
			continue;
		size_t k = seen_hash(rc->seen[i].obj, cap);
		while (t[k].obj)
			k = (k + 1) & (cap - 1);
		t[k] = rc->seen[i];
	}
	if (rc->seen != rc->small)
		free(rc->seen);
	rc->seen = t;
	rc->seen_cap = cap;
	return true;
}

/* The entry of obj, added as not met (lvl 0) when new; NULL when out of
 * memory. */
static struct seen *seen_get(struct rctx *rc, uint64_t obj)
{
	if (!rc->seen) {
		memset(rc->small, 0, sizeof rc->small);
		rc->seen = rc->small;
		rc->seen_cap = VAL_SEEN_SMALL;
		rc->nseen = 0;
	}
	for (;;) {
		size_t mask = rc->seen_cap - 1, i = seen_hash(obj, rc->seen_cap);
		while (rc->seen[i].obj && rc->seen[i].obj != obj)
			i = (i + 1) & mask;
		if (rc->seen[i].obj)
			return &rc->seen[i];
		if (rc->nseen < rc->seen_cap / 2) {
			rc->seen[i].obj = obj;
			rc->nseen++;
			return &rc->seen[i];
		}
		if (!seen_grow(rc))
			return NULL;
	}
}

/* Notes e as it is before a change, while a decoder that may give up runs. */
static bool seen_log(struct rctx *rc, const struct seen *e)
{
	if (!rc->tentative)
		return true;
	if (rc->nlog == rc->log_cap) {
		size_t cap = rc->log_cap ? 2 * rc->log_cap : 64;
		struct seen *l = cap > rc->log_cap ? realloc(rc->log, cap * sizeof *l) : NULL;
		if (!l) {
			rc->b->oom = true;
			return false;
		}
		rc->log = l;
		rc->log_cap = cap;
	}
	rc->log[rc->nlog++] = *e;
	return true;
}

/* Puts back the entries changed since the log held `mark` of them. */
static void seen_undo(struct rctx *rc, size_t mark)
{
	while (rc->nlog > mark) {
		const struct seen *old = &rc->log[--rc->nlog];
		struct seen *e = seen_get(rc, old->obj);
		if (e)
			*e = *old;
	}
}

/* Whether obj, met at level `at` (within the depth, not on the path), is
 * written out here; else it is a $ref. */
static bool doc_enter(struct rctx *rc, uint64_t obj, unsigned at)
{
	if (rc_stop(rc))
		return false;
	struct seen *e = seen_get(rc, obj);
	if (!e)
		return false;
	if (rc->pass == 2) {
		/* where pass 1 met it shallowest. Pass 1 did not meet it when
		 * it was cut before it knew pass 2 would follow: the document
		 * ends where its plan does; or when a decoder that met it gave
		 * up, as it will again */
		if (!e->lvl) {
			rc->cut |= rc->cut1;
			return false;
		}
		if (e->done || at > e->lvl || !seen_log(rc, e))
			return false;
		e->done = true;
	} else {
		if ((e->lvl && e->lvl <= at) || !seen_log(rc, e))
			return false;
		if (e->lvl)
			rc->again = true;
	}
	e->lvl = (uint8_t)at;
	return true;
}

void rc_init(struct rctx *rc, struct val *v, struct val_buf *b)
{
	rc->v = v;
	rc->b = b;
	rc->depth = v->depth;
	rc->nest = 0;
	rc->npath = 0;
	rc->start = b->len;
	rc->cap = v->doc_cap;
	unsigned k = v->depth < 2 ? 2 : v->depth > 4 ? 4 : v->depth;
	rc->cap1 = rc->cap > UINT64_MAX / k ? UINT64_MAX : rc->cap * k;
	rc->cut = rc->cut1 = false;
	rc->pass = 1;
	rc->again = false;
	rc->seen = NULL;
	rc->nseen = rc->seen_cap = 0;
	rc->log = NULL;
	rc->nlog = rc->log_cap = 0;
	rc->tentative = 0;
}

void rc_free(struct rctx *rc)
{
	if (rc->seen != rc->small)
		free(rc->seen);
	free(rc->log);
	rc->seen = NULL;
	rc->log = NULL;
	rc->nseen = rc->seen_cap = rc->nlog = rc->log_cap = 0;
}

void rc_doc(struct rctx *rc, void (*fn)(struct rctx *, void *), void *arg)
{
	fn(rc, arg);
	if (rc->again && !rc->b->oom) {
		rc->b->len = rc->start;
		rc->b->p[rc->start] = '\0';
		rc->pass = 2;
		rc->cut1 = rc->cut;
		rc->cut = false;
		rc->nest = 0;
		rc->npath = 0;
		rc->nlog = 0;
		fn(rc, arg);
	}
	rc_free(rc);
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

static bool is_collection(enum vk k)
{
	return k >= VK_LIST;
}

/* A struct value that is not a leaf: {"$type":…, fields}. Nullable and
 * voption show their value or null, a struct that is a collection its
 * items. */
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
	if (is_collection(p->kind) && emit_struct_collection(rc, p, s, level))
		return; /* ArraySegment, Memory, ImmutableArray (val_wrap.c) */
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

struct span val_data_span(struct val *v, uint64_t obj, const struct plan *p)
{
	unsigned ps = v->ps;
	uint64_t len = p->t->base_size > 2 * ps ? p->t->base_size - 2 * ps : 0;
	return sp_at(v, obj + ps, len);
}

static void emit_object(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	struct span s = val_data_span(rc->v, obj, p);
	vb_put(rc->b, "{\"$addr\":", 9);
	vb_hexaddr(rc->b, obj);
	vb_ch(rc->b, ',');
	vb_put(rc->b, p->type_json, p->type_json_len);
	emit_fields(rc, p, &s, level, true);
	vb_ch(rc->b, '}');
}

/* A collection's logical content; false (nothing written, the objects it
 * met as they were) when its decoder gives up. */
static bool try_collection(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	size_t mark = rc->nlog;
	rc->tentative++;
	bool ok = emit_collection(rc, p, obj, level);
	rc->tentative--;
	if (!ok)
		seen_undo(rc, mark);
	if (!rc->tentative)
		rc->nlog = 0;
	return ok;
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
		struct span s = val_data_span(v, obj, p);
		size_t mark = rc->b->len;
		if (leaf_value(rc, p, &s, true))
			return;
		rc->b->len = mark; /* undecodable: show its fields */
	}
	if (p->kind == VK_FSOPTION) { /* Some x shows as x */
		struct span s = val_data_span(v, obj, p);
		const struct pfield *f = p->df[0];
		emit_slot(rc, &s, f->off, f->elem, f->sub, level);
		return;
	}
	unsigned at = level + 1;
	if (at > rc->depth || rc->npath >= VAL_MAX_DEPTH + 2 || on_path(rc, obj) ||
	    !doc_enter(rc, obj, at)) {
		emit_refonly(rc, obj);
		return;
	}
	rc->path[rc->npath++] = obj;
	if (p->kind == VK_ARRAY)
		emit_array(rc, p, obj, at);
	else if (!is_collection(p->kind) || !try_collection(rc, p, obj, at))
		emit_object(rc, p, obj, at);
	rc->npath--;
}

/* ---- an object as a document ---- */

/* An F# list cell as a document of its own (val.h). Every cell is an
 * instance, and shown as the list that starts there, the documents of the
 * cells of one list of n items would hold n(n+1)/2 of them; each shows its
 * own item instead, and "$rest" the cell after it while items follow, so
 * that a listing of the cells shows every item once. A list held by a
 * field is a value: all its items. False when the cells are not what they
 * should be (then nothing was written). */
static bool fslist_cell(struct rctx *rc, const struct plan *p, const struct span *s)
{
	struct val *v = rc->v;
	const struct pfield *hf = plan_field(p, "head"), *tf = plan_field(p, "tail");
	if (!hf || !tf)
		return false;
	uint64_t tail = sp_ptr(v, s, tf->off), next = 0;
	if (tail) {
		if (val_obj_mt(v, tail) != p->mt)
			return false;
		next = val_rdptr(v, tail + v->ps + tf->off);
	}
	vb_str(rc->b, ",\"$items\":[");
	if (tail) /* the empty list, which ends every list, has no item */
		emit_slot(rc, s, hf->off, hf->elem, hf->sub, 0);
	vb_ch(rc->b, ']');
	if (next) {
		vb_str(rc->b, ",\"$rest\":");
		emit_refonly(rc, tail);
	}
	return true;
}

struct objdoc {
	uint64_t addr;
	const struct plan *p;
};

static void object_doc(struct rctx *rc, void *arg)
{
	const struct objdoc *d = arg;
	const struct plan *p = d->p;
	struct val_buf *b = rc->b;
	uint64_t addr = d->addr;
	rc->path[rc->npath++] = addr;
	vb_put(b, "{\"$addr\":", 9);
	vb_hexaddr(b, addr);
	vb_ch(b, ',');
	vb_put(b, p->type_json, p->type_json_len);
	struct span s = val_data_span(rc->v, addr, p);
	if (p->kind == VK_STRING) {
		vb_str(b, ",\"$value\":");
		leaf_string(rc, addr, true);
	} else if (p->kind == VK_ARRAY) {
		vb_str(b, ",\"$items\":");
		emit_array(rc, p, addr, 0);
	} else {
		size_t mark = b->len;
		bool done = false;
		if (p->leaf) {
			vb_str(b, ",\"$value\":");
			done = leaf_value(rc, p, &s, true);
		} else if (p->kind == VK_FSLIST) {
			done = fslist_cell(rc, p, &s);
		} else if (is_collection(p->kind)) {
			vb_str(b, ",\"$items\":");
			done = try_collection(rc, p, addr, 0);
		}
		if (!done) {
			b->len = mark;
			emit_fields(rc, p, &s, 0, true);
		}
	}
	rc->npath--;
	if (rc->cut) {
		vb_str(b, ",\"$cut\":");
		vb_u64(b, rc->cap);
	}
	vb_ch(b, '}');
}

enum ch_status val_object_json(struct val *v, uint64_t addr, struct val_buf *b,
			       struct ch_err *err)
{
	uint64_t mt = val_obj_mt(v, addr);
	struct plan *p = mt ? val_plan(v, mt) : NULL;
	if (!p)
		return ch_set_error(err, CH_ECORRUPT, "%s: no object at 0x%" PRIx64,
				    dump_path(as_dump(v->a)), addr);
	struct rctx rc;
	struct objdoc d = { addr, p };
	rc_init(&rc, v, b);
	rc_doc(&rc, object_doc, &d);
	if (b->oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering 0x%" PRIx64, addr);
	return CH_OK;
}
