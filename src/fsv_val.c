/* fsv_val.c - the one place the view renders through the values layer
 * (val_; fsv_name.c takes its field-name rule from it too): what
 * a slot holds, its text, an object's JSON, and the slots of fields and
 * elements, including the fields of an embedded struct (which val
 * addresses through an object only). */
#include "fsv_priv.h"

#include <stdlib.h>
#include <string.h>

#include "md.h"

enum ch_status fsvv_open(struct fsv *v, struct ch_err *err)
{
	enum ch_status st = val_open(v->c, &v->val, err);
	if (st != CH_OK)
		return st;
	val_set_depth(v->val, v->o.depth);
	val_set_limits(v->val, v->o.max_items, v->o.max_string);
	v->r = val_resolver(v->val);
	return CH_OK;
}

void fsvv_close(struct fsv *v)
{
	fsvi_close(v); /* its walks are the values layer's */
	val_close(v->val);
	v->val = NULL;
	v->r = NULL;
}

/* The declared value type of field f (structs, enums), or 0. */
static uint64_t field_th(struct fsv *v, const struct clr_field *f)
{
	bool vt = f->elem == MD_ELEM_VALUETYPE;
	if (!vt && !(f->elem >= MD_ELEM_BOOLEAN && f->elem <= MD_ELEM_R8) &&
	    f->elem != MD_ELEM_I && f->elem != MD_ELEM_U)
		return 0;
	uint64_t th = clr_resolve_field(v->r, f);
	if (!th || (th & 2))
		return 0;
	const struct clr_type *t = clr_type_of(v->c, th, NULL);
	if (!t || (!vt && t->kind != CLR_KIND_ENUM))
		return 0;
	return th;
}

enum val_kind fsvv_kind(struct fsv *v, const struct val_slot *s, uint64_t *target,
			uint64_t *th)
{
	uint64_t obj = 0;
	enum val_kind k = val_slot_kind(v->val, s, &obj);
	if (k == VAL_OBJECT && target)
		*target = obj;
	if (k != VAL_STRUCT)
		return k;
	/* a Nullable<T> with a value shows its value's fields */
	struct val_slot in = *s;
	for (int hops = 0; hops < 4; hops++) {
		const struct clr_type *t = clr_type_of(v->c, in.th, NULL);
		const struct clr_field *f = t && t->kind == CLR_KIND_NULLABLE ?
			clr_field_named(v->c, t, "value") : NULL;
		uint64_t fth = f ? field_th(v, f) : 0;
		if (!fth)
			break;
		in.addr += f->offset;
		in.th = fth;
	}
	if (target)
		*target = in.addr;
	if (th)
		*th = in.th;
	return k;
}

bool fsvv_text(struct fsv *v, const struct val_slot *s, struct val_buf *b)
{
	struct ch_err err;
	return val_slot_text(v->val, s, b, &err) == CH_OK && !b->oom;
}

bool fsvv_object_json(struct fsv *v, uint64_t addr, struct val_buf *b)
{
	struct ch_err err;
	return val_object_json(v->val, addr, b, &err) == CH_OK && !b->oom;
}

bool fsvv_field_slot(struct fsv *v, const struct clr_type *t, size_t i,
		     uint64_t base, struct val_slot *out)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &n, &ninst, NULL);
	if (!f || i >= ninst)
		return false;
	if (t->kind != CLR_KIND_STRUCT && t->kind != CLR_KIND_NULLABLE &&
	    t->kind != CLR_KIND_ENUM && t->kind != CLR_KIND_PRIMITIVE)
		return val_field_slot(v->val, base - v->ps, &f[i], out);
	/* an unboxed struct: val knows fields through objects only */
	out->addr = base + f[i].offset;
	out->elem = f[i].elem;
	out->th = field_th(v, &f[i]);
	return true;
}

bool fsvv_static_slot(struct fsv *v, const struct clr_type *t, size_t i,
		      struct val_slot *out)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &n, &ninst, NULL);
	return f && i >= ninst && i < n && val_static_slot(v->val, t, &f[i], out);
}

bool fsvv_thread_static_slot(struct fsv *v, const struct clr_type *t, uint64_t thread,
			     size_t i, struct val_slot *out)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &n, &ninst, NULL);
	return f && i >= ninst && i < n &&
	       val_thread_static_slot(v->val, t, thread, &f[i], out);
}

bool fsvv_elem_slot(struct fsv *v, const struct clr_type *t, uint64_t arr,
		    uint64_t i, struct val_slot *out)
{
	(void)t;
	return val_elem_slot(v->val, arr, i, out);
}
