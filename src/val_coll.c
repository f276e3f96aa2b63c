/* val_coll.c - arrays and well-known collections by their logical content,
 * in the order their enumerators give it, decoded from the fields of the
 * runtime version in the dump. A collection whose fields are not what its
 * decoder expects renders as its plain fields instead, never as wrong
 * content. */
#include "val_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_TREE_DEPTH 128 /* F# Map/Set: AVL trees, height ~1.44 log2 n */
#define MAX_RANK 32

/* An array object opened for reading its elements. */
struct arr {
	uint64_t addr, data, n;
	uint32_t comp;       /* bytes per element */
	uint8_t elem;        /* element CorElementType */
	struct plan *ep;     /* value-type or enum elements: their plan */
	unsigned rank;
	uint32_t len[MAX_RANK];
	struct span sp;      /* the element bytes */
};

static bool arr_open(struct rctx *rc, uint64_t addr, struct arr *a)
{
	struct val *v = rc->v;
	memset(a, 0, sizeof *a);
	uint64_t mt = val_obj_mt(v, addr);
	const struct clr_type *t = mt ? clr_type_of(v->c, mt, NULL) : NULL;
	uint32_t n;
	if (!t || t->kind != CLR_KIND_ARRAY || !t->component_size ||
	    !as_u32(v->a, addr + v->ps, &n) || t->base_size < 2 * v->ps ||
	    t->rank > MAX_RANK)
		return false;
	a->addr = addr;
	a->n = n;
	a->comp = t->component_size;
	a->elem = t->elem_type;
	a->rank = t->rank;
	a->data = addr + t->base_size - v->ps;
	if (!(t->elem_th & 2) && (a->elem == MD_ELEM_VALUETYPE ||
				  elem_size(a->elem, v->ps))) {
		struct plan *ep = val_plan(v, t->elem_th);
		if (ep && ep->valuetype)
			a->ep = ep;
	}
	if (a->elem == MD_ELEM_VALUETYPE && !a->ep)
		return false;
	if (t->sz_array) {
		a->rank = 1;
		a->len[0] = n;
	} else {
		uint64_t prod = 1;
		for (unsigned i = 0; i < a->rank; i++) {
			if (!as_u32(v->a, addr + 2 * v->ps + 4 * i, &a->len[i]))
				return false;
			prod *= a->len[i];
			if (prod > n)
				return false;
		}
		if (prod != n)
			return false;
	}
	/* what the dump holds of the elements: a damaged length must not
	 * make us print billions of nulls */
	uint64_t total = a->n * a->comp;
	const uint8_t *p = NULL;
	size_t avail = total ? as_span(v->a, a->data, &p) : 0;
	if (avail < total) {
		uint8_t last;
		if (as_read(v->a, a->data + total - 1, &last, 1) != 1)
			return false;
		p = NULL;
	}
	a->sp.p = p;
	a->sp.addr = a->data;
	a->sp.len = total;
	return a->n <= VAL_MAX_ITEMS;
}

static void arr_elem(struct rctx *rc, const struct arr *a, uint64_t i, unsigned level)
{
	emit_slot(rc, &a->sp, i * a->comp, a->ep && a->elem == MD_ELEM_VALUETYPE ?
		  MD_ELEM_VALUETYPE : a->elem, a->ep, level);
}

/* Collections in JSON show at most show_items elements (-o max_items):
 * next_shown starts the next element, or counts it in *more once the cap
 * is reached (the caller walks on without rendering it); shown_of is the
 * same for a collection of known count; emit_more ends the collection with
 * what was left out. */
bool next_shown(struct rctx *rc, bool *first, uint64_t *shown, uint64_t *more)
{
	if (*shown >= rc->v->show_items || rc_stop(rc)) {
		(*more)++;
		return false;
	}
	if (!*first)
		vb_ch(rc->b, ',');
	*first = false;
	(*shown)++;
	return true;
}

/* How many of n elements with a known count are shown. */
static uint64_t shown_of(const struct rctx *rc, uint64_t n)
{
	return n < rc->v->show_items ? n : rc->v->show_items;
}

void emit_more(struct rctx *rc, uint64_t more, bool by_name, bool first)
{
	char s[64];
	if (!more)
		return;
	snprintf(s, sizeof s, "%s%s%" PRIu64 "%s", first ? "" : ",",
		 by_name ? "\"$more\":" : "{\"$more\":", more, by_name ? "" : "}");
	vb_str(rc->b, s);
}

/* Row-major nesting of a multi-dimensional array. */
static void emit_dim(struct rctx *rc, const struct arr *a, unsigned d, uint64_t *idx,
		     unsigned level)
{
	vb_ch(rc->b, '[');
	uint64_t stride = 1;
	for (unsigned k = d + 1; k < a->rank; k++)
		stride *= a->len[k];
	uint64_t base = *idx;
	/* each row shows its first elements, as a one-dimensional array */
	uint32_t shown = (uint32_t)shown_of(rc, a->len[d]), i;
	for (i = 0; i < shown && !rc_stop(rc); i++) {
		if (i)
			vb_ch(rc->b, ',');
		if (d + 1 < a->rank) {
			*idx = base + i * stride;
			emit_dim(rc, a, d + 1, idx, level);
		} else if (base + i < a->n) {
			arr_elem(rc, a, base + i, level);
		} else {
			vb_str(rc->b, "null");
		}
	}
	emit_more(rc, a->len[d] - i, false, i == 0);
	vb_ch(rc->b, ']');
}

void emit_array(struct rctx *rc, const struct plan *p, uint64_t addr, unsigned level)
{
	(void)p;
	struct arr a;
	if (!arr_open(rc, addr, &a)) {
		vb_put(rc->b, "{\"$ref\":", 8);
		vb_hexaddr(rc->b, addr);
		vb_str(rc->b, ",\"$error\":\"array not readable\"}");
		return;
	}
	if (a.rank > 1) {
		uint64_t idx = 0;
		emit_dim(rc, &a, 0, &idx, level);
		return;
	}
	vb_ch(rc->b, '[');
	uint64_t shown = shown_of(rc, a.n), i;
	for (i = 0; i < shown && !rc->b->oom && !rc_stop(rc); i++) {
		if (i)
			vb_ch(rc->b, ',');
		arr_elem(rc, &a, i, level);
	}
	emit_more(rc, a.n - i, false, i == 0);
	vb_ch(rc->b, ']');
}

/* ---- helpers for decoders ---- */

static bool rd_i32(struct rctx *rc, const struct span *s, const struct pfield *f, int32_t *out)
{
	uint32_t x;
	if (!f || !sp_read(rc->v, s, f->off, &x, 4))
		return false;
	*out = (int32_t)x;
	return true;
}

static uint64_t rd_ref(struct rctx *rc, const struct span *s, const struct pfield *f)
{
	return f ? sp_ptr(rc->v, s, f->off) : 0;
}

/* The span of an object's instance data. */
static struct span obj_span(struct rctx *rc, uint64_t obj)
{
	struct val *v = rc->v;
	uint64_t mt = val_obj_mt(v, obj);
	const struct clr_type *t = mt ? clr_type_of(v->c, mt, NULL) : NULL;
	uint64_t len = t && t->base_size > 2 * v->ps ? t->base_size - 2 * v->ps : 0;
	return sp_at(v, obj + v->ps, len);
}

static struct plan *obj_plan(struct rctx *rc, uint64_t obj)
{
	uint64_t mt = obj ? val_obj_mt(rc->v, obj) : 0;
	return mt ? val_plan(rc->v, mt) : NULL;
}

/* A key of a dictionary shown as a JSON object: the string itself. */
static void emit_key(struct rctx *rc, uint64_t str)
{
	if (str && val_obj_mt(rc->v, str) == rc->v->string_mt && leaf_string_fits(rc, str))
		leaf_string(rc, str, true);
	else
		vb_hexaddr(rc->b, str);
	vb_ch(rc->b, ':');
}

/* One key/value pair: "k":v for string keys, else [k,v]. The key and
 * value are fields kf, vf of the entry at span s. */
static void emit_pair(struct rctx *rc, bool by_name, const struct span *s,
		      const struct pfield *kf, const struct pfield *vf, unsigned level)
{
	if (by_name) {
		emit_key(rc, sp_ptr(rc->v, s, kf->off));
	} else {
		vb_ch(rc->b, '[');
		emit_slot(rc, s, kf->off, kf->elem, kf->sub, level);
		vb_ch(rc->b, ',');
	}
	emit_slot(rc, s, vf->off, vf->elem, vf->sub, level);
	if (!by_name)
		vb_ch(rc->b, ']');
}

static bool keys_are_strings(struct rctx *rc, const struct plan *p)
{
	return p->t->ntype_args >= 1 && p->t->type_args[0] == rc->v->string_mt;
}

/* ---- List, Queue, Stack ---- */

static bool emit_list_like(struct rctx *rc, const struct plan *p, const struct span *s,
			   unsigned level)
{
	struct arr a;
	int32_t size, head = 0;
	uint64_t items = rd_ref(rc, s, p->df[0]);
	if (!rd_i32(rc, s, p->df[1], &size) || size < 0 ||
	    (p->kind == VK_QUEUE && !rd_i32(rc, s, p->df[2], &head)))
		return false;
	if (!items)
		return size == 0 ? (vb_str(rc->b, "[]"), true) : false;
	if (!arr_open(rc, items, &a) || a.rank != 1 || (uint64_t)size > a.n ||
	    (p->kind == VK_QUEUE && (head < 0 || (a.n && (uint64_t)head >= a.n))))
		return false;
	vb_ch(rc->b, '[');
	uint64_t shown = shown_of(rc, (uint64_t)size), i;
	for (i = 0; i < shown && !rc->b->oom && !rc_stop(rc); i++) {
		if (i)
			vb_ch(rc->b, ',');
		uint64_t k = p->kind == VK_STACK ? (uint64_t)size - 1 - i :
			     p->kind == VK_QUEUE ? ((uint64_t)head + i) % a.n : i;
		arr_elem(rc, &a, k, level);
	}
	emit_more(rc, (uint64_t)size - i, false, i == 0);
	vb_ch(rc->b, ']');
	return true;
}

/* ---- Dictionary, HashSet ---- */

static bool emit_hashed(struct rctx *rc, const struct plan *p, const struct span *s,
			unsigned level)
{
	struct arr a;
	int32_t count;
	uint64_t entries = rd_ref(rc, s, p->df[0]);
	bool dict = p->kind == VK_DICT;
	bool by_name = dict && keys_are_strings(rc, p);
	if (!rd_i32(rc, s, p->df[1], &count) || count < 0)
		return false;
	if (!entries) {
		if (count)
			return false;
		vb_str(rc->b, by_name ? "{}" : "[]");
		return true;
	}
	if (!arr_open(rc, entries, &a) || a.rank != 1 || !a.ep || (uint64_t)count > a.n)
		return false;
	const struct plan *ep = a.ep;
	const struct pfield *nf = plan_field(ep, dict ? "next" : "_next");
	if (!nf)
		nf = plan_field(ep, "Next");
	const struct pfield *kf = plan_field(ep, dict ? "key" : "Value");
	const struct pfield *vf = dict ? plan_field(ep, "value") : NULL;
	/* .NET Framework's Dictionary (fields without the underscore) marks
	 * a freed entry by a negative hash code; .NET Core by next < -1 */
	const struct pfield *hf = p->df[2] ? plan_field(ep, "hashCode") : NULL;
	if (!nf || !kf || (dict && !vf) || (p->df[2] && !hf))
		return false;
	vb_ch(rc->b, by_name ? '{' : '[');
	bool first = true;
	uint64_t shown = 0, more = 0;
	for (int32_t i = 0; i < count && !rc->b->oom; i++) {
		struct span es = { a.sp.p ? a.sp.p + (uint64_t)i * a.comp : NULL,
				   a.sp.addr + (uint64_t)i * a.comp, a.comp };
		int32_t next, hash = 0;
		if (!rd_i32(rc, &es, nf, &next) || (hf && !rd_i32(rc, &es, hf, &hash)))
			continue;
		if (hf ? hash < 0 : next < -1)
			continue; /* a freed entry */
		if (!next_shown(rc, &first, &shown, &more))
			continue;
		if (dict)
			emit_pair(rc, by_name, &es, kf, vf, level);
		else
			emit_slot(rc, &es, kf->off, kf->elem, kf->sub, level);
	}
	emit_more(rc, more, by_name, first);
	vb_ch(rc->b, by_name ? '}' : ']');
	return true;
}

/* ---- ConcurrentQueue: a list of segments, each a ring of slots ---- */

static bool emit_cqueue(struct rctx *rc, const struct plan *p, const struct span *s,
			unsigned level)
{
	uint64_t seg = rd_ref(rc, s, p->df[0]), slow = seg;
	vb_ch(rc->b, '[');
	bool first = true;
	uint64_t shown = 0, more = 0;
	size_t mark = rc->b->len - 1;
	for (uint64_t steps = 1; seg; steps++) {
		struct plan *sp = obj_plan(rc, seg);
		const struct pfield *slots_f = sp ? plan_field(sp, "_slots") : NULL;
		const struct pfield *ht_f = sp ? plan_field(sp, "_headAndTail") : NULL;
		const struct pfield *next_f = sp ? plan_field(sp, "_nextSegment") : NULL;
		if (!slots_f || !ht_f || !ht_f->sub || !next_f)
			goto bad;
		const struct pfield *hf = plan_field(ht_f->sub, "Head");
		const struct pfield *tf = plan_field(ht_f->sub, "Tail");
		struct span ss = obj_span(rc, seg);
		struct span hts = { ss.p ? ss.p + ht_f->off : NULL, ss.addr + ht_f->off,
				    ss.len > ht_f->off ? ss.len - ht_f->off : 0 };
		struct arr a;
		int32_t head, tail;
		if (!hf || !tf || !rd_i32(rc, &hts, hf, &head) || !rd_i32(rc, &hts, tf, &tail) ||
		    !arr_open(rc, rd_ref(rc, &ss, slots_f), &a) || !a.ep || !a.n)
			goto bad;
		const struct pfield *item = plan_field(a.ep, "Item");
		if (!item)
			goto bad;
		/* a segment frozen for enqueues has its tail moved by twice its length */
		int64_t h = head, t = tail;
		if (t - h > (int64_t)a.n)
			t -= 2 * (int64_t)a.n;
		for (int64_t i = h; i < t && !rc->b->oom; i++) {
			uint64_t k = (uint64_t)i & (a.n - 1);
			struct span es = { a.sp.p ? a.sp.p + k * a.comp : NULL,
					   a.sp.addr + k * a.comp, a.comp };
			if (next_shown(rc, &first, &shown, &more))
				emit_slot(rc, &es, item->off, item->elem, item->sub, level);
		}
		seg = rd_ref(rc, &ss, next_f);
		if (!(steps & 1)) /* a loop of segments is damage */
			slow = val_rdptr(rc->v, slow + rc->v->ps + next_f->off);
		if (seg && seg == slow)
			goto bad;
	}
	emit_more(rc, more, false, first);
	vb_ch(rc->b, ']');
	return true;
bad:
	rc->b->len = mark;
	rc->b->p[mark] = '\0';
	return false;
}

/* ---- ConcurrentDictionary: buckets of linked nodes ---- */

static bool emit_cdict(struct rctx *rc, const struct plan *p, const struct span *s,
		       unsigned level)
{
	uint64_t tables = rd_ref(rc, s, p->df[0]);
	struct plan *tp = obj_plan(rc, tables);
	const struct pfield *bf = tp ? plan_field(tp, "_buckets") : NULL;
	struct arr a;
	if (!bf)
		return false;
	struct span ts = obj_span(rc, tables);
	if (!arr_open(rc, rd_ref(rc, &ts, bf), &a) || a.rank != 1)
		return false;
	/* buckets hold nodes directly, or (.NET 8+) in a VolatileNode struct */
	const struct pfield *inner = a.ep ? plan_field(a.ep, "_node") : NULL;
	if (a.ep && !inner)
		return false;
	bool by_name = keys_are_strings(rc, p);
	size_t mark = rc->b->len;
	vb_ch(rc->b, by_name ? '{' : '[');
	bool first = true;
	uint64_t shown = 0, more = 0;
	uint64_t budget = rc->v->max_items;
	for (uint64_t i = 0; i < a.n && !rc->b->oom; i++) {
		uint64_t off = i * a.comp + (inner ? inner->off : 0);
		uint64_t node = sp_ptr(rc->v, &a.sp, off), slow = node, steps = 0;
		while (node) {
			if (!budget--)
				goto bad;
			struct plan *np = obj_plan(rc, node);
			const struct pfield *kf = np ? plan_field(np, "_key") : NULL;
			const struct pfield *vf = np ? plan_field(np, "_value") : NULL;
			const struct pfield *nf = np ? plan_field(np, "_next") : NULL;
			if (!kf || !vf || !nf)
				goto bad;
			struct span ns = obj_span(rc, node);
			if (next_shown(rc, &first, &shown, &more))
				emit_pair(rc, by_name, &ns, kf, vf, level);
			node = sp_ptr(rc->v, &ns, nf->off);
			if (!(++steps & 1)) /* a loop in a chain is damage */
				slow = val_rdptr(rc->v, slow + rc->v->ps + nf->off);
			if (node && node == slow)
				goto bad;
		}
	}
	emit_more(rc, more, by_name, first);
	vb_ch(rc->b, by_name ? '}' : ']');
	return true;
bad:
	rc->b->len = mark;
	rc->b->p[mark] = '\0';
	return false;
}

/* ---- F# list, Map, Set ---- */

/* A list as a value: every item from the cell obj on. (A cell as a
 * document of its own shows only its item: fslist_cell in val.c.) */
static bool emit_fslist(struct rctx *rc, uint64_t obj, unsigned level)
{
	size_t mark = rc->b->len;
	vb_ch(rc->b, '[');
	bool first = true;
	uint64_t shown = 0, more = 0;
	uint64_t slow = obj;
	for (uint64_t node = obj, n = 0;; n++) {
		if (n >= rc->v->max_items)
			goto bad;
		struct plan *np = obj_plan(rc, node);
		const struct pfield *hf = np ? plan_field(np, "head") : NULL;
		const struct pfield *tf = np ? plan_field(np, "tail") : NULL;
		if (!hf || !tf)
			goto bad;
		struct span ns = obj_span(rc, node);
		uint64_t tail = sp_ptr(rc->v, &ns, tf->off);
		if (!tail) /* the empty list ends every list */
			break;
		if (next_shown(rc, &first, &shown, &more))
			emit_slot(rc, &ns, hf->off, hf->elem, hf->sub, level);
		node = tail;
		if (n & 1) /* a list that loops is damage */
			slow = val_rdptr(rc->v, slow + rc->v->ps + tf->off);
		if (node == slow)
			goto bad;
	}
	emit_more(rc, more, false, first);
	vb_ch(rc->b, ']');
	return true;
bad:
	rc->b->len = mark;
	rc->b->p[mark] = '\0';
	return false;
}

/* In-order walk of an F# MapTree/SetTree: a node with children is a
 * MapTreeNode (left, right); one without is a leaf MapTree. */
static bool emit_fstree(struct rctx *rc, const struct plan *p, const struct span *s,
			unsigned level)
{
	bool map = p->kind == VK_FSMAP;
	bool by_name = map && keys_are_strings(rc, p);
	uint64_t stack[MAX_TREE_DEPTH];
	unsigned top = 0;
	uint64_t node = rd_ref(rc, s, p->df[0]);
	size_t mark = rc->b->len;
	vb_ch(rc->b, by_name ? '{' : '[');
	bool first = true;
	uint64_t shown = 0, more = 0;
	uint64_t budget = rc->v->max_items;
	while (node || top) {
		if (!budget--)
			goto bad;
		if (node) {
			if (top == MAX_TREE_DEPTH)
				goto bad;
			stack[top++] = node;
			struct plan *np = obj_plan(rc, node);
			const struct pfield *lf = np ? plan_field(np, "left") : NULL;
			struct span ns = obj_span(rc, node);
			node = lf ? sp_ptr(rc->v, &ns, lf->off) : 0;
			continue;
		}
		node = stack[--top];
		struct plan *np = obj_plan(rc, node);
		const struct pfield *kf = np ? plan_field(np, "k") : NULL;
		const struct pfield *vf = np && map ? plan_field(np, "v") : NULL;
		const struct pfield *rf = np ? plan_field(np, "right") : NULL;
		if (!kf || (map && !vf))
			goto bad;
		struct span ns = obj_span(rc, node);
		if (next_shown(rc, &first, &shown, &more)) {
			if (map)
				emit_pair(rc, by_name, &ns, kf, vf, level);
			else
				emit_slot(rc, &ns, kf->off, kf->elem, kf->sub, level);
		}
		node = rf ? sp_ptr(rc->v, &ns, rf->off) : 0;
	}
	emit_more(rc, more, by_name, first);
	vb_ch(rc->b, by_name ? '}' : ']');
	return true;
bad:
	rc->b->len = mark;
	rc->b->p[mark] = '\0';
	return false;
}

bool emit_collection(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	struct span s = obj_span(rc, obj);
	size_t mark = rc->b->len;
	bool ok;
	switch (p->kind) {
	case VK_LIST: case VK_QUEUE: case VK_STACK:
		ok = emit_list_like(rc, p, &s, level);
		break;
	case VK_DICT: case VK_HASHSET:
		ok = emit_hashed(rc, p, &s, level);
		break;
	case VK_CQUEUE:
		ok = emit_cqueue(rc, p, &s, level);
		break;
	case VK_CDICT:
		ok = emit_cdict(rc, p, &s, level);
		break;
	case VK_FSLIST:
		ok = emit_fslist(rc, obj, level);
		break;
	case VK_FSMAP: case VK_FSSET:
		ok = emit_fstree(rc, p, &s, level);
		break;
	default: /* val_items.c */
		ok = emit_collection_more(rc, p, obj, level);
	}
	if (!ok && rc->b->len > mark) {
		rc->b->len = mark;
		rc->b->p[mark] = '\0';
	}
	return ok;
}

/* The field whose raw name is name or starts with name + "@" (F#). */
static const struct pfield *fs_field(const struct plan *p, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < p->nf; i++) {
		const char *r = p->f[i].f->name;
		if (strncmp(r, name, n) == 0 && (r[n] == '\0' || r[n] == '@'))
			return &p->f[i];
	}
	return NULL;
}

void plan_collection(struct val *v, struct plan *p, const char *dn)
{
	(void)v;
	const struct pfield **d = p->df;
	static const char gen[] = "System.Collections.Generic.";
	static const char conc[] = "System.Collections.Concurrent.";
	static const char fs[] = "Microsoft.FSharp.Collections.";
	enum vk k = VK_PLAIN;
	if (strncmp(dn, gen, sizeof gen - 1) == 0) {
		const char *n = dn + sizeof gen - 1;
		if (strcmp(n, "List") == 0 && (d[0] = plan_field(p, "_items")) &&
		    (d[1] = plan_field(p, "_size")))
			k = VK_LIST;
		else if (strcmp(n, "Queue") == 0 && (d[0] = plan_field(p, "_array")) &&
			 (d[1] = plan_field(p, "_size")) && (d[2] = plan_field(p, "_head")))
			k = VK_QUEUE;
		else if (strcmp(n, "Stack") == 0 && (d[0] = plan_field(p, "_array")) &&
			 (d[1] = plan_field(p, "_size")))
			k = VK_STACK;
		else if (strcmp(n, "Dictionary") == 0 && (d[0] = plan_field(p, "_entries")) &&
			 (d[1] = plan_field(p, "_count")))
			k = VK_DICT;
		else if (strcmp(n, "Dictionary") == 0 && (d[0] = plan_field(p, "entries")) &&
			 (d[1] = plan_field(p, "count")) && (d[2] = plan_field(p, "freeList")))
			k = VK_DICT; /* .NET Framework */
		else if (strcmp(n, "HashSet") == 0 && (d[0] = plan_field(p, "_entries")) &&
			 (d[1] = plan_field(p, "_count")))
			k = VK_HASHSET;
	} else if (strncmp(dn, conc, sizeof conc - 1) == 0) {
		const char *n = dn + sizeof conc - 1;
		if (strcmp(n, "ConcurrentQueue") == 0 && (d[0] = plan_field(p, "_head")))
			k = VK_CQUEUE;
		else if (strcmp(n, "ConcurrentDictionary") == 0 && (d[0] = plan_field(p, "_tables")))
			k = VK_CDICT;
	} else if (strncmp(dn, fs, sizeof fs - 1) == 0) {
		const char *n = dn + sizeof fs - 1;
		if (strcmp(n, "FSharpList") == 0 && plan_field(p, "head") && plan_field(p, "tail"))
			k = VK_FSLIST;
		else if (strcmp(n, "FSharpMap") == 0 && (d[0] = fs_field(p, "tree")))
			k = VK_FSMAP;
		else if (strcmp(n, "FSharpSet") == 0 && (d[0] = fs_field(p, "tree")))
			k = VK_FSSET;
	}
	if (k == VK_PLAIN && plan_collection_more(v, p, dn))
		return; /* val_items.c */
	p->kind = k;
	if (k == VK_PLAIN)
		memset(p->df, 0, sizeof p->df);
}
