/* val_hash.c - collections kept in arrays, walked item by item
 * (val_iter.h): List, Queue, Stack, ArrayList (elements in order; a queue
 * from its head, a stack from its top), Dictionary and HashSet (entries
 * in order, freed ones skipped), Hashtable (buckets from the last, as its
 * enumerator goes; a removed key is the bucket array itself),
 * OrderedDictionary (its ArrayList of boxed DictionaryEntry), SortedList
 * (keys and values side by side), ConditionalWeakTable (its container's
 * entries, each a dependent handle: the key is the handle's object, the
 * value its secondary) and ConcurrentQueue (segments, each a ring). Field
 * names are .NET's (Hashtable.cs, OrderedDictionary.cs, SortedList.cs,
 * ConditionalWeakTable.cs in dotnet/runtime). */
#include "val_iter.h"

/* The field of p named name that holds a reference. */
static const struct pfield *ref_field(const struct plan *p, const char *name)
{
	const struct pfield *f = plan_field(p, name);
	return f && f->elem != MD_ELEM_VALUETYPE && !elem_size(f->elem, 8) ? f : NULL;
}

static const struct pfield *i4_field(const struct plan *p, const char *name)
{
	const struct pfield *f = plan_field(p, name);
	return f && (f->elem == MD_ELEM_I4 || f->elem == MD_ELEM_U4) ? f : NULL;
}

bool hash_plan(struct val *v, struct plan *p, const char *dn)
{
	(void)v;
	const struct pfield **d = p->df;
	enum vk k = VK_PLAIN;
	if (strcmp(dn, "System.Collections.Hashtable") == 0) {
		if ((d[0] = ref_field(p, "_buckets")) && (d[1] = i4_field(p, "_count")))
			k = VK_HASHTABLE;
	} else if (strcmp(dn, "System.Collections.Specialized.OrderedDictionary") == 0) {
		if ((d[0] = ref_field(p, "_objectsArray")))
			k = VK_ORDERED;
	} else if (strcmp(dn, "System.Collections.ArrayList") == 0) {
		if ((d[0] = ref_field(p, "_items")) && (d[1] = i4_field(p, "_size")))
			k = VK_ARRAYLIST;
	} else if (strcmp(dn, "System.Collections.SortedList") == 0 ||
		   strcmp(dn, "System.Collections.Generic.SortedList") == 0) {
		if ((d[0] = ref_field(p, "keys")) && (d[1] = ref_field(p, "values")) &&
		    (d[2] = i4_field(p, "_size")))
			k = VK_SORTEDLIST;
	} else if (strcmp(dn, "System.Runtime.CompilerServices.ConditionalWeakTable") == 0) {
		if ((d[0] = ref_field(p, "_container")))
			k = VK_CWT;
	}
	if (k == VK_PLAIN) {
		memset(p->df, 0, sizeof p->df);
		return false;
	}
	p->kind = k;
	return true;
}

/* Opens the array at addr as it->arr[i]; false when it is none. */
static bool open_arr(struct it *it, unsigned i, uint64_t addr, struct islot *elem)
{
	struct plan *ep;
	uint8_t e;
	if (!it_array(it->v, addr, &it->n[i], &it->comp[i], &it->data[i], &ep, &e))
		return false;
	it->arr[i] = addr;
	if (elem) {
		elem->off = 0;
		elem->elem = ep && e == MD_ELEM_VALUETYPE ? MD_ELEM_VALUETYPE : e;
		elem->sub = ep;
	}
	return true;
}

static bool keys_are_strings(const struct it *it, const struct plan *p)
{
	return p->t->ntype_args >= 1 && p->t->type_args[0] == it->v->string_mt;
}

/* Whether every key of an untyped map is a string (none: true, as an
 * empty map shows {}); the walk is left at its start. */
static bool all_string_keys(struct it *it)
{
	struct item x;
	int r;
	hash_rewind(it);
	while ((r = hash_next(it, &x)) == 1) {
		it->ord++;
		uint64_t k = val_rdptr(it->v, x.key.addr);
		if (!k || val_obj_mt(it->v, k) != it->v->string_mt)
			break;
	}
	return r == 0;
}

/* A dependent handle's secondary lives in the handle table's data block
 * for its block, slot for slot (docs/RUNTIME.md §5, fsv_roots.c): segments
 * of 64 KB, handles from +0x1000 in blocks of 64, per block its type (at
 * 13 bytes a block) and the index of its data block (at 14). Returns the
 * address of the secondary's slot, or 0 when h is no dependent handle. */
#define HT_SEG 0x10000u
#define HT_HANDLES 0x1000u
#define HT_BLOCK 64u
#define HT_DEPENDENT 6u
static uint64_t dep_secondary(struct val *v, uint64_t h)
{
	uint64_t seg = h & ~(uint64_t)(HT_SEG - 1);
	unsigned nblocks = (HT_SEG - HT_HANDLES) / v->ps / HT_BLOCK;
	if (h - seg < HT_HANDLES || (h - seg - HT_HANDLES) % v->ps)
		return 0;
	uint64_t idx = (h - seg - HT_HANDLES) / v->ps;
	uint64_t b = idx / HT_BLOCK;
	uint8_t type, data;
	if (b >= nblocks || as_read(v->a, seg + 13u * nblocks + b, &type, 1) != 1 ||
	    as_read(v->a, seg + 14u * nblocks + b, &data, 1) != 1 ||
	    type != HT_DEPENDENT || data >= nblocks)
		return 0;
	return seg + HT_HANDLES + (uint64_t)v->ps * ((uint64_t)data * HT_BLOCK + idx % HT_BLOCK);
}

static bool open_list(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	int32_t size, head = 0;
	uint64_t items = sp_ptr(v, s, p->df[0]->off);
	if (!it_i32(v, s, p->df[1], &size) || size < 0 ||
	    (it->kind == VK_QUEUE && !it_i32(v, s, p->df[2], &head)))
		return false;
	it->count = (uint64_t)size;
	if (!items)
		return size == 0;
	if (!open_arr(it, 0, items, &it->val) || (uint64_t)size > it->n[0] ||
	    head < 0 || (it->n[0] && (uint64_t)head >= it->n[0]))
		return false;
	it->head = head;
	return true;
}

static bool open_entries(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	bool dict = it->kind == VK_DICT;
	int32_t count;
	uint64_t entries = sp_ptr(v, s, p->df[0]->off);
	if (!it_i32(v, s, p->df[1], &count) || count < 0)
		return false;
	it->count = (uint64_t)count;
	it->map = dict;
	it->by_name = dict && keys_are_strings(it, p);
	if (!entries)
		return count == 0;
	struct islot e;
	if (!open_arr(it, 0, entries, &e) || !e.sub || (uint64_t)count > it->n[0])
		return false;
	const struct plan *ep = e.sub;
	const struct pfield *nf = plan_field(ep, dict ? "next" : "_next");
	if (!nf)
		nf = plan_field(ep, "Next");
	const struct pfield *kf = plan_field(ep, dict ? "key" : "Value");
	const struct pfield *vf = dict ? plan_field(ep, "value") : kf;
	/* .NET Framework marks a freed entry by a negative hash code */
	const struct pfield *hf = p->df[2] ? plan_field(ep, "hashCode") : NULL;
	if (!nf || !kf || !vf || (p->df[2] && !hf))
		return false;
	it->next_off = nf->off;
	it->left_off = hf ? hf->off : UINT32_MAX;
	it->key = it_islot(kf);
	it->val = it_islot(vf);
	/* no freed entries: item i is entry i */
	const struct pfield *ff = plan_field(p, "_freeCount");
	int32_t free_count = -1;
	it->dense = ff && it_i32(v, s, ff, &free_count) && free_count == 0;
	return true;
}

static bool open_hashtable(struct it *it, const struct plan *p, const struct span *s)
{
	uint64_t buckets = sp_ptr(it->v, s, p->df[0]->off);
	struct islot e;
	if (!open_arr(it, 0, buckets, &e) || !e.sub)
		return false;
	const struct pfield *kf = plan_field(e.sub, "key"), *vf = plan_field(e.sub, "val");
	if (!kf || !vf || kf->elem == MD_ELEM_VALUETYPE)
		return false;
	it->key = it_islot(kf);
	it->val = it_islot(vf);
	it->mark = buckets;
	it->map = true;
	it->count = it->n[0];
	it->by_name = all_string_keys(it);
	return true;
}

static bool open_ordered(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t list = sp_ptr(v, s, p->df[0]->off);
	it->map = true;
	if (!list) { /* made on first use */
		it->count = 0;
		it->by_name = true;
		return true;
	}
	struct plan *lp = it_obj_plan(v, list);
	struct span ls = it_obj_span(v, list);
	int32_t size;
	if (!lp || lp->kind != VK_ARRAYLIST || !it_i32(v, &ls, lp->df[1], &size) || size < 0)
		return false;
	uint64_t items = sp_ptr(v, &ls, lp->df[0]->off);
	it->count = (uint64_t)size;
	if (items ? !open_arr(it, 0, items, NULL) || (uint64_t)size > it->n[0] : size != 0)
		return false;
	it->by_name = all_string_keys(it);
	return it->count == 0 || it->node_mt;
}

static bool open_sorted(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	int32_t size;
	if (!it_i32(v, s, p->df[2], &size) || size < 0 ||
	    !open_arr(it, 0, sp_ptr(v, s, p->df[0]->off), &it->key) ||
	    !open_arr(it, 1, sp_ptr(v, s, p->df[1]->off), &it->val) ||
	    (uint64_t)size > it->n[0] || (uint64_t)size > it->n[1])
		return false;
	it->count = (uint64_t)size;
	it->map = true;
	it->by_name = p->t->ntype_args ? keys_are_strings(it, p) : all_string_keys(it);
	return true;
}

static bool open_cwt(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t cont = sp_ptr(v, s, p->df[0]->off);
	struct plan *cp = it_obj_plan(v, cont);
	const struct pfield *ef = cp ? ref_field(cp, "_entries") : NULL;
	const struct pfield *nf = cp ? i4_field(cp, "_firstFreeEntry") : NULL;
	struct span cs = it_obj_span(v, cont);
	int32_t used;
	struct islot e;
	if (!ef || !it_i32(v, &cs, nf, &used) || used < 0 ||
	    !open_arr(it, 0, sp_ptr(v, &cs, ef->off), &e) || !e.sub || (uint64_t)used > it->n[0])
		return false;
	const struct pfield *df = plan_field(e.sub, "depHnd");
	const struct pfield *hf = plan_field(e.sub, "HashCode");
	const struct pfield *hh = df && df->sub ? plan_field(df->sub, "_handle") : NULL;
	if (!hf || !hh || df->elem != MD_ELEM_VALUETYPE)
		return false;
	it->next_off = df->off + hh->off;
	it->left_off = hf->off;
	it->count = (uint64_t)used;
	it->map = true;
	it->by_name = keys_are_strings(it, p);
	return true;
}

static bool open_cqueue(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t seg = sp_ptr(v, s, p->df[0]->off);
	struct plan *sp = it_obj_plan(v, seg);
	const struct pfield *slots = sp ? plan_field(sp, "_slots") : NULL;
	const struct pfield *ht = sp ? plan_field(sp, "_headAndTail") : NULL;
	const struct pfield *next = sp ? plan_field(sp, "_nextSegment") : NULL;
	const struct pfield *hf = ht && ht->sub ? plan_field(ht->sub, "Head") : NULL;
	const struct pfield *tf = ht && ht->sub ? plan_field(ht->sub, "Tail") : NULL;
	if (!slots || !next || !hf || !tf)
		return false;
	it->node_mt = sp->mt;
	it->arr[1] = seg;
	it->comp[1] = slots->off;     /* the segment's fields, kept here */
	it->next_off = next->off;
	it->left_off = ht->off + hf->off;
	it->right_off = ht->off + tf->off;
	return true;
}

bool hash_open(struct it *it, const struct plan *p, const struct span *s)
{
	switch (it->kind) {
	case VK_LIST: case VK_QUEUE: case VK_STACK: case VK_ARRAYLIST:
		return open_list(it, p, s);
	case VK_DICT: case VK_HASHSET:
		return open_entries(it, p, s);
	case VK_HASHTABLE:
		return open_hashtable(it, p, s);
	case VK_ORDERED:
		return open_ordered(it, p, s);
	case VK_SORTEDLIST:
		return open_sorted(it, p, s);
	case VK_CWT:
		return open_cwt(it, p, s);
	case VK_CQUEUE:
		return open_cqueue(it, p, s);
	default:
		return false;
	}
}

void hash_rewind(struct it *it)
{
	it->pos = 0;
	if (it->kind == VK_CQUEUE) {
		it->node = it->slow = it->arr[1];
		it->aux2 = UINT64_MAX; /* the segment's ring not read yet */
	}
}

bool hash_seek(struct it *it, uint64_t i)
{
	switch (it->kind) {
	case VK_LIST: case VK_QUEUE: case VK_STACK: case VK_ARRAYLIST: case VK_SORTEDLIST:
		break;
	case VK_DICT: case VK_HASHSET:
		if (it->dense)
			break;
		return false;
	default:
		return false;
	}
	if (i > it->count)
		return false;
	it->ord = it->pos = i;
	return true;
}

static uint64_t elem_addr(const struct it *it, unsigned a, uint64_t i)
{
	return it->data[a] + i * it->comp[a];
}

/* The next element of a segment's ring; moves to the next segment. */
static int next_cqueue(struct it *it, struct item *out)
{
	struct val *v = it->v;
	for (;;) {
		uint64_t seg = it->node;
		if (!seg)
			return 0;
		if (val_obj_mt(v, seg) != it->node_mt)
			return -1;
		uint64_t base = seg + v->ps;
		if (it->aux2 == UINT64_MAX) {
			uint32_t h, t;
			struct islot slot;
			if (!as_u32(v->a, base + it->left_off, &h) || !as_u32(v->a, base + it->right_off, &t) ||
			    !open_arr(it, 0, val_rdptr(v, base + it->comp[1]), &slot) || !slot.sub || !it->n[0] ||
			    (it->n[0] & (it->n[0] - 1)))
				return -1;
			const struct pfield *item = plan_field(slot.sub, "Item");
			if (!item)
				return -1;
			it->val = it_islot(item);
			/* a segment frozen for enqueues has its tail moved by twice its length */
			int64_t hh = (int32_t)h, tt = (int32_t)t;
			if (tt - hh > (int64_t)it->n[0])
				tt -= 2 * (int64_t)it->n[0];
			it->aux = (uint64_t)hh;
			it->aux2 = tt > hh ? (uint64_t)tt : (uint64_t)hh;
		}
		if (it->aux < it->aux2) {
			uint64_t k = it->aux++ & (it->n[0] - 1);
			out->val = it_slot(&it->val, elem_addr(it, 0, k));
			return 1;
		}
		/* the next segment; a loop of segments is damage */
		it->node = val_rdptr(v, base + it->next_off);
		it->aux2 = UINT64_MAX;
		if (++it->steps > it->limit)
			return -1;
		if (!(it->steps & 1))
			it->slow = val_rdptr(v, it->slow + v->ps + it->next_off);
		if (it->node && it->node == it->slow)
			return -1;
	}
}

int hash_next(struct it *it, struct item *out)
{
	struct val *v = it->v;
	switch (it->kind) {
	case VK_LIST: case VK_QUEUE: case VK_STACK: case VK_ARRAYLIST: {
		if (it->pos >= it->count)
			return 0;
		uint64_t i = it->pos++;
		uint64_t k = it->kind == VK_STACK ? it->count - 1 - i :
			     it->kind == VK_QUEUE ? (it->head + i) % it->n[0] : i;
		out->val = it_slot(&it->val, elem_addr(it, 0, k));
		return 1;
	}
	case VK_DICT: case VK_HASHSET:
		while (it->pos < it->count) {
			uint64_t e = elem_addr(it, 0, it->pos++);
			uint32_t next, hash = 0;
			if (!as_u32(v->a, e + it->next_off, &next) ||
			    (it->left_off != UINT32_MAX && !as_u32(v->a, e + it->left_off, &hash)))
				return -1;
			if (it->left_off != UINT32_MAX ? (int32_t)hash < 0 : (int32_t)next < -1)
				continue; /* a freed entry */
			out->key = it_slot(&it->key, e);
			out->val = it_slot(&it->val, e);
			return 1;
		}
		return 0;
	case VK_HASHTABLE:
		while (it->pos < it->n[0]) {
			uint64_t e = elem_addr(it, 0, it->n[0] - 1 - it->pos++);
			uint64_t k = val_rdptr(v, e + it->key.off);
			if (!k || k == it->mark)
				continue; /* empty, or removed */
			out->key = it_slot(&it->key, e);
			out->val = it_slot(&it->val, e);
			return 1;
		}
		return 0;
	case VK_ORDERED: {
		if (it->pos >= it->count)
			return 0;
		uint64_t box = val_rdptr(v, elem_addr(it, 0, it->pos++));
		uint64_t mt = box ? val_obj_mt(v, box) : 0;
		if (mt && mt != it->node_mt) {
			/* the boxed DictionaryEntry: its fields, read once */
			struct plan *bp = val_plan(v, mt);
			const struct pfield *kf = bp ? ref_field(bp, "_key") : NULL;
			const struct pfield *vf = bp ? ref_field(bp, "_value") : NULL;
			if (it->node_mt || !kf || !vf ||
			    strcmp(bp->t->name, "System.Collections.DictionaryEntry") != 0)
				return -1;
			it->node_mt = mt;
			it->key = it_islot(kf);
			it->val = it_islot(vf);
		}
		if (!mt)
			return -1;
		out->key = it_slot(&it->key, box + v->ps);
		out->val = it_slot(&it->val, box + v->ps);
		return 1;
	}
	case VK_SORTEDLIST:
		if (it->pos >= it->count)
			return 0;
		out->key = it_slot(&it->key, elem_addr(it, 0, it->pos));
		out->val = it_slot(&it->val, elem_addr(it, 1, it->pos));
		it->pos++;
		return 1;
	case VK_CWT:
		while (it->pos < it->count) {
			uint64_t e = elem_addr(it, 0, it->pos++);
			uint32_t hash;
			uint64_t h, sec;
			if (!as_u32(v->a, e + it->left_off, &hash) || !as_ptrv(v->a, e + it->next_off, &h))
				return -1;
			if ((int32_t)hash == -1 || !h || !val_rdptr(v, h))
				continue; /* removed, or its key is gone */
			if (!(sec = dep_secondary(v, h)))
				return -1;
			out->key = (struct val_slot){ h, 0, MD_ELEM_CLASS };
			out->val = (struct val_slot){ sec, 0, MD_ELEM_CLASS };
			return 1;
		}
		return 0;
	case VK_CQUEUE:
		return next_cqueue(it, out);
	default:
		return -1;
	}
}
