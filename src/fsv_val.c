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
	val_close(v->val);
	v->val = NULL;
	v->r = NULL;
}

/* The instance field of t named name (raw), or NULL. */
static const struct clr_field *field_named(struct fsv *v, const struct clr_type *t,
					   const char *name)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(v->c, t, &n, &ninst, NULL);
	for (size_t i = 0; f && i < ninst; i++)
		if (f[i].name && strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
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
			field_named(v, t, "value") : NULL;
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

/* ---- logical views ---- */

/* An i4 instance field of the object at obj, by raw name. */
static bool field_i4(struct fsv *v, uint64_t obj, const struct clr_type *t,
		     const char *name, int32_t *out)
{
	const struct clr_field *f = field_named(v, t, name);
	uint32_t x;
	if (!f || f->elem != MD_ELEM_I4 || !as_u32(v->a, obj + v->ps + f->offset, &x))
		return false;
	*out = (int32_t)x;
	return true;
}

static bool field_ref(struct fsv *v, uint64_t obj, const struct clr_type *t,
		      const char *name, uint64_t *out)
{
	const struct clr_field *f = field_named(v, t, name);
	return f && !(f->flags & CLR_FIELD_STATIC) && f->elem != MD_ELEM_VALUETYPE &&
	       as_ptrv(v->a, obj + v->ps + f->offset, out);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool fsvv_items(struct fsv *v, uint64_t obj, const struct clr_type *t,
		struct fsv_items *out)
{
	memset(out, 0, sizeof *out);
	if (t->kind != CLR_KIND_CLASS || !t->name)
		return false;
	bool list = starts(t->name, "System.Collections.Generic.List<");
	bool queue = starts(t->name, "System.Collections.Generic.Queue<");
	bool stack = starts(t->name, "System.Collections.Generic.Stack<");
	if (!list && !queue && !stack)
		return false;
	int32_t size, head = 0;
	uint64_t arr, amt;
	uint32_t cap;
	if (!field_ref(v, obj, t, list ? "_items" : "_array", &arr) || !arr ||
	    !field_i4(v, obj, t, "_size", &size) || size < 0 ||
	    (queue && !field_i4(v, obj, t, "_head", &head)))
		return false;
	const struct clr_type *at = as_ptrv(v->a, arr, &amt) ?
		clr_type_of(v->c, amt & v->mt_mask, NULL) : NULL;
	if (!at || at->kind != CLR_KIND_ARRAY || !at->sz_array ||
	    !as_u32(v->a, arr + v->ps, &cap) || (uint32_t)size > cap ||
	    head < 0 || (cap && (uint32_t)head >= cap) || (!cap && head))
		return false;
	*out = (struct fsv_items){ arr, (uint64_t)head, (uint64_t)size, cap, stack };
	return true;
}

bool fsvv_item_slot(struct fsv *v, const struct fsv_items *it, uint64_t i,
		    struct val_slot *out)
{
	if (i >= it->n || !it->cap)
		return false;
	uint64_t k = it->reverse ? it->n - 1 - i : (it->head + i) % it->cap;
	return val_elem_slot(v->val, it->arr, k, out);
}
