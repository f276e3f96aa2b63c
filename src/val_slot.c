/* val_slot.c - slots: where a field, an element or a static field lives,
 * what it holds (for the view's files, links and directories), its value
 * file and its JSON; and the static fields of a type as one document. */
#include "val_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

/* A slot's value at level 0 of a document: the span is the slot itself,
 * read on demand. */
struct slotdoc {
	struct span sp;
	uint8_t elem;
	struct plan *p;
};

static void slot_doc(struct rctx *rc, void *arg)
{
	struct slotdoc *d = arg;
	emit_slot(rc, &d->sp, 0, d->elem, d->p, 0);
}

static struct slotdoc slotdoc_of(struct val *v, const struct val_slot *s)
{
	struct slotdoc d = { { NULL, s->addr, (uint64_t)1 << 20 }, s->elem, slot_plan(v, s) };
	return d;
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
				struct span ds = val_data_span(v, obj, q);
				size_t mark = b->len;
				if (leaf_value(&rc, q, &ds, false))
					goto done;
				b->len = mark;
			}
		}
	}
	struct slotdoc d = slotdoc_of(v, s);
	rc_doc(&rc, slot_doc, &d);
done:
	rc_free(&rc);
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

/* ---- static fields: one document, so that an object two of them hold
 * is written out once ---- */

struct statdoc {
	const struct clr_type *t;
	const struct clr_field *f;
	size_t n, ninst;
	const char *const *name; /* name[i - ninst]: static field f[i] */
	const struct plan *p;
	bool thread;             /* it has thread-static fields */
	const struct clr_thread *th; /* the threads that have thread statics */
	size_t nth;
};

/* "name":value for each static field of t whose flags match: thread
 * statics of one thread, or the plain ones; a comma before each when lead
 * (else between them). A field whose statics are not allocated is left out,
 * as ClrMD leaves it: null would say the value is null. */
static void statics_fields(struct rctx *rc, const struct statdoc *d, const struct clr_thread *th,
			   bool lead)
{
	struct val *v = rc->v;
	bool comma = lead;
	for (size_t i = d->ninst; i < d->n; i++) {
		const struct clr_field *f = &d->f[i];
		struct val_slot s;
		bool thread = f->flags & CLR_FIELD_THREAD;
		if (!(f->flags & CLR_FIELD_STATIC) || (f->flags & CLR_FIELD_RVA) ||
		    thread != (th != NULL))
			continue;
		if (!(th ? val_thread_static_slot(v, d->t, th->addr, f, &s)
			 : val_static_slot(v, d->t, f, &s)))
			continue;
		if (comma)
			vb_ch(rc->b, ',');
		comma = true;
		const char *nm = d->name[i - d->ninst];
		vb_utf8(rc->b, nm, strlen(nm), true);
		vb_ch(rc->b, ':');
		struct slotdoc sd = slotdoc_of(v, &s);
		slot_doc(rc, &sd);
	}
}

static void statics_doc(struct rctx *rc, void *arg)
{
	const struct statdoc *d = arg;
	struct val_buf *b = rc->b;
	vb_ch(b, '{');
	if (d->p)
		vb_put(b, d->p->type_json, d->p->type_json_len);
	else
		vb_str(b, "\"$type\":null");
	statics_fields(rc, d, NULL, true);
	if (d->thread) {
		/* each thread that has them: its own values */
		vb_str(b, ",\"$threads\":[");
		for (size_t k = 0; k < d->nth; k++) {
			if (k)
				vb_ch(b, ',');
			vb_str(b, "{\"thread\":");
			vb_u64(b, d->th[k].id);
			vb_str(b, ",\"os_tid\":");
			vb_u64(b, d->th[k].os_id);
			vb_str(b, ",\"fields\":{");
			statics_fields(rc, d, &d->th[k], false);
			vb_str(b, "}}");
		}
		vb_ch(b, ']');
	}
	if (rc->cut) {
		vb_str(b, ",\"$cut\":");
		vb_u64(b, rc->cap);
	}
	vb_ch(b, '}');
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
	struct statdoc d = { t, f, n, ninst, name, val_plan(v, t->mt), false, NULL, 0 };
	for (size_t i = 0; i < n; i++) {
		if ((f[i].flags & CLR_FIELD_STATIC) && !(f[i].flags & CLR_FIELD_RVA) &&
		    (f[i].flags & CLR_FIELD_THREAD))
			d.thread = true;
	}
	struct clr_thread *th = NULL;
	if (d.thread) {
		/* the threads that have thread statics of t */
		th = calloc(MAX_THREADS_SHOWN, sizeof *th);
		size_t nth = th ? clr_threads(v->c, th, MAX_THREADS_SHOWN) : 0;
		for (size_t k = 0; k < nth; k++) {
			uint64_t gc, nongc;
			clr_thread_statics(v->c, t, th[k].addr, &gc, &nongc);
			if (gc || nongc)
				th[d.nth++] = th[k];
		}
		d.th = th;
	}
	struct rctx rc;
	rc_init(&rc, v, b);
	rc_doc(&rc, statics_doc, &d);
	free(th);
	val_free_names(raw, name, ns);
	free(raw);
	free(name);
	if (b->oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory rendering statics");
	return CH_OK;
}
