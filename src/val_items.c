/* val_items.c - collections walked item by item (val_iter.h): the walk
 * itself, the JSON of the collections decoded that way (Hashtable,
 * OrderedDictionary, ArrayList, SortedList, SortedDictionary, SortedSet,
 * LinkedList, ImmutableList, ImmutableDictionary, ImmutableHashSet,
 * ConditionalWeakTable), and the walks the mount's .items/ views take
 * (val_items.h), for those and for the collections val_coll.c shows. */
#include "val_iter.h"

#include <stdlib.h>

#include "val_items.h"

/* ---- helpers ---- */

struct span it_obj_span(struct val *v, uint64_t obj)
{
	uint64_t mt = obj ? val_obj_mt(v, obj) : 0;
	const struct clr_type *t = mt ? clr_type_of(v->c, mt, NULL) : NULL;
	uint64_t len = t && t->base_size > 2 * v->ps ? t->base_size - 2 * v->ps : 0;
	return sp_at(v, obj + v->ps, len);
}

struct plan *it_obj_plan(struct val *v, uint64_t obj)
{
	uint64_t mt = obj ? val_obj_mt(v, obj) : 0;
	return mt ? val_plan(v, mt) : NULL;
}

bool it_i32(struct val *v, const struct span *s, const struct pfield *f, int32_t *out)
{
	uint32_t x;
	if (!f || !sp_read(v, s, f->off, &x, 4))
		return false;
	*out = (int32_t)x;
	return true;
}

struct islot it_islot(const struct pfield *f)
{
	struct islot is = { f->off, f->elem, f->sub };
	return is;
}

struct val_slot it_slot(const struct islot *is, uint64_t base)
{
	struct val_slot s = { base + is->off, is->sub ? is->sub->mt : 0, is->elem };
	return s;
}

bool it_array(struct val *v, uint64_t addr, uint64_t *n, uint32_t *comp, uint64_t *data,
	      struct plan **ep, uint8_t *elem)
{
	uint64_t mt = addr ? val_obj_mt(v, addr) : 0;
	const struct clr_type *t = mt ? clr_type_of(v->c, mt, NULL) : NULL;
	uint32_t len;
	if (!t || t->kind != CLR_KIND_ARRAY || !t->sz_array || !t->component_size ||
	    t->base_size < 2 * v->ps || !as_u32(v->a, addr + v->ps, &len) || len > VAL_MAX_ITEMS)
		return false;
	*n = len;
	*comp = t->component_size;
	*data = addr + t->base_size - v->ps;
	*elem = t->elem_type;
	*ep = NULL;
	if (!(t->elem_th & 2) && (t->elem_type == MD_ELEM_VALUETYPE || elem_size(t->elem_type, v->ps))) {
		struct plan *p = val_plan(v, t->elem_th);
		if (p && p->valuetype)
			*ep = p;
	}
	if (t->elem_type == MD_ELEM_VALUETYPE && !*ep)
		return false;
	/* a damaged length must not make a walk of billions of elements */
	uint8_t last;
	return len == 0 || as_read(v->a, *data + (uint64_t)len * t->component_size - 1, &last, 1) == 1;
}

uint64_t it_limit(struct val *v, uint64_t count)
{
	return count < v->max_items ? count : v->max_items;
}

/* ---- the walk ---- */

bool it_kind(enum vk k)
{
	switch (k) {
	case VK_LIST: case VK_QUEUE: case VK_STACK: case VK_DICT: case VK_HASHSET:
	case VK_CQUEUE: case VK_HASHTABLE: case VK_ORDERED: case VK_ARRAYLIST:
	case VK_SORTEDLIST: case VK_CWT:
	case VK_CDICT: case VK_FSLIST: case VK_FSMAP: case VK_FSSET: case VK_SORTEDSET:
	case VK_SORTEDDICT: case VK_LINKED: case VK_IMMLIST: case VK_IMMDICT: case VK_IMMSET:
		return true;
	default:
		return false;
	}
}

static bool is_hash(enum vk k)
{
	switch (k) {
	case VK_LIST: case VK_QUEUE: case VK_STACK: case VK_DICT: case VK_HASHSET:
	case VK_CQUEUE: case VK_HASHTABLE: case VK_ORDERED: case VK_ARRAYLIST:
	case VK_SORTEDLIST: case VK_CWT:
		return true;
	default:
		return false;
	}
}

bool it_open(struct val *v, const struct plan *p, uint64_t obj, struct it *it)
{
	memset(it, 0, sizeof *it);
	if (!p || !it_kind(p->kind))
		return false;
	it->v = v;
	it->obj = obj;
	it->kind = p->kind;
	it->count = UINT64_MAX;
	it->limit = v->max_items;
	struct span s = it_obj_span(v, obj);
	if (!s.len || !(is_hash(p->kind) ? hash_open(it, p, &s) : tree_open(it, p, &s)))
		return false;
	it_rewind(it);
	return true;
}

void it_rewind(struct it *it)
{
	it->ord = it->pos = it->steps = it->aux = it->aux2 = 0;
	it->top = it->itop = 0;
	it->inner = false;
	it->inode = 0;
	it->node = it->slow = 0;
	if (is_hash(it->kind))
		hash_rewind(it);
	else
		tree_rewind(it);
}

int it_next(struct it *it, struct item *out)
{
	memset(out, 0, sizeof *out);
	int r = is_hash(it->kind) ? hash_next(it, out) : tree_next(it, out);
	if (r == 1)
		it->ord++;
	if (!it->map)
		memset(&out->key, 0, sizeof out->key);
	return r;
}

bool it_seek(struct it *it, uint64_t i)
{
	if (i < it->ord)
		it_rewind(it);
	if (is_hash(it->kind) && hash_seek(it, i))
		return true;
	struct item x;
	while (it->ord < i)
		if (it_next(it, &x) != 1)
			return false;
	return true;
}

/* ---- JSON ---- */

/* A key of a JSON object: the string itself, or its address when it is
 * longer than a document shows. */
static void put_key(struct rctx *rc, const struct val_slot *k)
{
	uint64_t str = val_rdptr(rc->v, k->addr);
	if (str && val_obj_mt(rc->v, str) == rc->v->string_mt && leaf_string_fits(rc, str))
		leaf_string(rc, str, true);
	else
		vb_hexaddr(rc->b, str);
	vb_ch(rc->b, ':');
}

static void put_slot(struct rctx *rc, const struct val_slot *s, unsigned level)
{
	struct plan *sub = s->th ? val_plan(rc->v, s->th) : NULL;
	unsigned size = elem_size(s->elem, rc->v->ps);
	uint64_t len = s->elem == MD_ELEM_VALUETYPE ? (sub ? sub->size : 0) : size ? size : rc->v->ps;
	struct span sp = sp_at(rc->v, s->addr, len);
	emit_slot(rc, &sp, 0, s->elem, sub, level);
}

bool emit_items(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	struct it it;
	if (!it_open(rc->v, p, obj, &it))
		return false;
	size_t mark = rc->b->len;
	bool by_name = it.map && it.by_name;
	vb_ch(rc->b, by_name ? '{' : '[');
	bool first = true;
	uint64_t n = 0, more = 0;
	struct item x;
	int r;
	while ((r = it_next(&it, &x)) == 1 && !rc->b->oom) {
		if (!next_shown(rc, &first, &n, &more))
			continue;
		if (by_name) {
			put_key(rc, &x.key);
			put_slot(rc, &x.val, level);
		} else if (it.map) {
			vb_ch(rc->b, '[');
			put_slot(rc, &x.key, level);
			vb_ch(rc->b, ',');
			put_slot(rc, &x.val, level);
			vb_ch(rc->b, ']');
		} else {
			put_slot(rc, &x.val, level);
		}
	}
	if (r < 0) {
		rc->b->len = mark;
		if (rc->b->p)
			rc->b->p[mark] = '\0';
		return false;
	}
	emit_more(rc, more, by_name, first);
	vb_ch(rc->b, by_name ? '}' : ']');
	return true;
}

/* ---- the public walk (val_items.h) ---- */

struct val_items {
	struct it it;
};

struct val_items *val_items_open(struct val *v, uint64_t obj)
{
	struct plan *p = it_obj_plan(v, obj);
	struct val_items *w = p && it_kind(p->kind) ? malloc(sizeof *w) : NULL;
	if (w && !it_open(v, p, obj, &w->it)) {
		free(w);
		w = NULL;
	}
	return w;
}

void val_items_close(struct val_items *w)
{
	free(w);
}

struct val_items *val_items_dup(const struct val_items *w)
{
	struct val_items *d = malloc(sizeof *d);
	if (d)
		*d = *w;
	return d;
}

uint64_t val_items_obj(const struct val_items *w)
{
	return w->it.obj;
}

bool val_items_pairs(const struct val_items *w)
{
	return w->it.map;
}

bool val_items_by_key(const struct val_items *w)
{
	return w->it.map && w->it.by_name;
}

uint64_t val_items_pos(const struct val_items *w)
{
	return w->it.ord;
}

bool val_items_seek(struct val_items *w, uint64_t i)
{
	return it_seek(&w->it, i);
}

int val_items_next(struct val_items *w, struct val_slot *key, struct val_slot *value)
{
	struct item x;
	int r = it_next(&w->it, &x);
	if (r == 1) {
		if (key)
			*key = x.key;
		if (value)
			*value = x.val;
	}
	return r;
}

/* ---- dispatch from val_plan.c and val_coll.c ---- */

bool plan_collection_more(struct val *v, struct plan *p, const char *dn)
{
	return hash_plan(v, p, dn) || tree_plan(v, p, dn) || wrap_plan(v, p, dn);
}

bool emit_collection_more(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	if (it_kind(p->kind))
		return emit_items(rc, p, obj, level);
	return emit_wrap(rc, p, obj, level);
}
