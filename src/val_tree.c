/* val_tree.c - collections of linked nodes, walked item by item
 * (val_iter.h): ConcurrentDictionary (buckets of chains), F# list (cells
 * to the empty list), LinkedList (a ring from its head, count nodes),
 * and trees in order: F# Map and Set (a leaf MapTree or an inner
 * MapTreeNode), SortedSet and the TreeSet of SortedDictionary (red-black),
 * ImmutableList (AVL, an empty node has no left), ImmutableDictionary and
 * ImmutableHashSet (an AVL tree keyed by hash, each node a bucket: its
 * first item, then an ImmutableList node tree of the others). Field names
 * are .NET's and FSharp.Core's (SortedSet.cs, LinkedList.cs,
 * ImmutableList_1.Node.cs, SortedInt32KeyNode.cs,
 * ImmutableDictionary_2.HashBucket.cs, map.fs, set.fs). */
#include "val_iter.h"

/* A field of p by raw name, or by the name of an auto-property's
 * backing field ("<Name>k__BackingField"), or F#'s "name@...". */
static const struct pfield *field(const struct plan *p, const char *name)
{
	const struct pfield *f = plan_field(p, name);
	size_t n = strlen(name);
	for (uint32_t i = 0; !f && i < p->nf; i++) {
		const char *r = p->f[i].f->name;
		if ((r[0] == '<' && strncmp(r + 1, name, n) == 0 &&
		     strcmp(r + 1 + n, ">k__BackingField") == 0) ||
		    (strncmp(r, name, n) == 0 && r[n] == '@'))
			f = &p->f[i];
	}
	return f;
}

static const struct pfield *ref_of(const struct plan *p, const char *name)
{
	const struct pfield *f = field(p, name);
	return f && f->elem != MD_ELEM_VALUETYPE && !elem_size(f->elem, 8) ? f : NULL;
}

bool tree_plan(struct val *v, struct plan *p, const char *dn)
{
	(void)v;
	const struct pfield **d = p->df;
	static const char gen[] = "System.Collections.Generic.";
	static const char imm[] = "System.Collections.Immutable.";
	enum vk k = VK_PLAIN;
	if (strncmp(dn, gen, sizeof gen - 1) == 0) {
		const char *n = dn + sizeof gen - 1;
		if (strcmp(n, "SortedSet") == 0 && (d[0] = ref_of(p, "root")))
			k = VK_SORTEDSET;
		else if (strcmp(n, "SortedDictionary") == 0 && (d[0] = ref_of(p, "_set")))
			k = VK_SORTEDDICT;
		else if (strcmp(n, "LinkedList") == 0 && (d[0] = ref_of(p, "head")) &&
			 (d[1] = field(p, "count")) && d[1]->elem == MD_ELEM_I4)
			k = VK_LINKED;
	} else if (strncmp(dn, imm, sizeof imm - 1) == 0) {
		const char *n = dn + sizeof imm - 1;
		if (strcmp(n, "ImmutableList") == 0 && (d[0] = ref_of(p, "_root")))
			k = VK_IMMLIST;
		else if (strcmp(n, "ImmutableDictionary") == 0 && (d[0] = ref_of(p, "_root")))
			k = VK_IMMDICT;
		else if (strcmp(n, "ImmutableHashSet") == 0 && (d[0] = ref_of(p, "_root")))
			k = VK_IMMSET;
	}
	if (k == VK_PLAIN) {
		memset(p->df, 0, sizeof p->df);
		return false;
	}
	p->kind = k;
	return true;
}

static bool keys_are_strings(const struct it *it, const struct plan *p)
{
	return p->t->ntype_args >= 1 && p->t->type_args[0] == it->v->string_mt;
}

/* A tree's node type: its links and its item, from the node at node. */
static bool learn_node(struct it *it, uint64_t node, const char *item, const char *left,
		       const char *right)
{
	struct plan *np = it_obj_plan(it->v, node);
	const struct pfield *kf = np ? field(np, item) : NULL;
	const struct pfield *lf = np ? ref_of(np, left) : NULL, *rf = np ? ref_of(np, right) : NULL;
	if (!kf || !lf || !rf)
		return false;
	it->node_mt = np->mt;
	it->left_off = lf->off;
	it->right_off = rf->off;
	it->key = it_islot(kf);
	return true;
}

/* A key/value struct inside a node (KeyValuePair): its two fields. */
static bool split_pair(struct it *it, const struct islot *pair)
{
	const struct pfield *kf = pair->sub ? plan_field(pair->sub, "key") : NULL;
	const struct pfield *vf = pair->sub ? plan_field(pair->sub, "value") : NULL;
	if (pair->elem != MD_ELEM_VALUETYPE || !kf || !vf)
		return false;
	it->val = it_islot(vf);
	it->val.off += pair->off;
	struct islot k = it_islot(kf);
	k.off += pair->off;
	it->key = k;
	return true;
}

static bool open_sorted(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t set = sp_ptr(v, s, p->df[0]->off);
	struct span ss = *s;
	const struct plan *sp = p;
	if (it->kind == VK_SORTEDDICT) { /* its TreeSet of KeyValuePair */
		sp = it_obj_plan(v, set);
		ss = it_obj_span(v, set);
		it->map = true;
		it->by_name = keys_are_strings(it, p);
	}
	const struct pfield *rf = sp ? ref_of(sp, "root") : NULL;
	const struct pfield *cf = sp ? field(sp, "count") : NULL;
	int32_t count;
	if (!rf || !it_i32(v, &ss, cf, &count) || count < 0)
		return false;
	it->count = (uint64_t)count;
	it->arr[0] = sp_ptr(v, &ss, rf->off);
	if (!it->arr[0])
		return count == 0;
	if (!learn_node(it, it->arr[0], "Item", "Left", "Right"))
		return false;
	it->val = it->key;
	return it->kind == VK_SORTEDSET || split_pair(it, &it->key);
}

static bool open_linked(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	int32_t count;
	if (!it_i32(v, s, p->df[1], &count) || count < 0)
		return false;
	it->count = (uint64_t)count;
	it->arr[0] = sp_ptr(v, s, p->df[0]->off);
	if (!it->arr[0])
		return count == 0;
	struct plan *np = it_obj_plan(v, it->arr[0]);
	const struct pfield *nf = np ? ref_of(np, "next") : NULL, *kf = np ? field(np, "item") : NULL;
	const struct pfield *pf = np ? ref_of(np, "prev") : NULL;
	if (!nf || !kf || !pf)
		return false;
	it->node_mt = np->mt;
	it->next_off = nf->off;
	it->left_off = pf->off;
	it->val = it_islot(kf);
	return true;
}

static bool open_immlist(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t root = sp_ptr(v, s, p->df[0]->off);
	struct plan *np = it_obj_plan(v, root);
	const struct pfield *cf = np ? field(np, "_count") : NULL;
	struct span ns = it_obj_span(v, root);
	int32_t count;
	if (!np || !it_i32(v, &ns, cf, &count) || count < 0 ||
	    !learn_node(it, root, "_key", "_left", "_right"))
		return false;
	it->val = it->key;
	it->count = (uint64_t)count;
	it->arr[0] = root;
	it->sentinel = true;
	return true;
}

/* ImmutableDictionary, ImmutableHashSet: the SortedInt32KeyNode tree, and
 * the bucket struct in each node. */
static bool open_immhash(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	const struct pfield *cf = field(p, "_count");
	int32_t count;
	uint64_t root = sp_ptr(v, s, p->df[0]->off);
	if (!it_i32(v, s, cf, &count) || count < 0 ||
	    !learn_node(it, root, "_value", "_left", "_right"))
		return false;
	const struct plan *bp = it->key.sub;
	const struct pfield *ff = bp ? plan_field(bp, "_firstValue") : NULL;
	const struct pfield *af = bp ? ref_of(bp, "_additionalElements") : NULL;
	if (it->key.elem != MD_ELEM_VALUETYPE || !ff || !af)
		return false;
	it->first = it_islot(ff);
	it->first.off += it->key.off;
	it->more = it_islot(af);
	it->more.off += it->key.off;
	it->count = (uint64_t)count;
	it->arr[0] = root;
	it->sentinel = true;
	it->map = it->kind == VK_IMMDICT;
	it->by_name = it->map && keys_are_strings(it, p);
	if (it->map) {
		if (!split_pair(it, &it->first))
			return false;
	} else {
		it->val = it->first;
	}
	return true;
}

static bool open_cdict(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	uint64_t tables = sp_ptr(v, s, p->df[0]->off);
	struct plan *tp = it_obj_plan(v, tables);
	const struct pfield *bf = tp ? ref_of(tp, "_buckets") : NULL;
	struct span ts = it_obj_span(v, tables);
	struct plan *ep;
	uint8_t e;
	if (!bf || !it_array(v, sp_ptr(v, &ts, bf->off), &it->n[0], &it->comp[0], &it->data[0], &ep, &e))
		return false;
	/* buckets hold nodes directly, or (.NET 8+) in a VolatileNode struct */
	const struct pfield *inner = ep ? plan_field(ep, "_node") : NULL;
	if (ep && !inner)
		return false;
	it->comp[1] = inner ? inner->off : 0;
	it->map = true;
	it->by_name = keys_are_strings(it, p);
	return true;
}

bool tree_open(struct it *it, const struct plan *p, const struct span *s)
{
	struct val *v = it->v;
	switch (it->kind) {
	case VK_CDICT:
		return open_cdict(it, p, s);
	case VK_FSLIST:
		it->node_mt = p->mt;
		it->arr[0] = it->obj;
		return ref_of(p, "tail") && field(p, "head");
	case VK_FSMAP: case VK_FSSET:
		it->map = it->kind == VK_FSMAP;
		it->by_name = it->map && keys_are_strings(it, p);
		it->arr[0] = sp_ptr(v, s, p->df[0]->off);
		return true;
	case VK_SORTEDSET: case VK_SORTEDDICT:
		return open_sorted(it, p, s);
	case VK_LINKED:
		return open_linked(it, p, s);
	case VK_IMMLIST:
		return open_immlist(it, p, s);
	case VK_IMMDICT: case VK_IMMSET:
		return open_immhash(it, p, s);
	default:
		return false;
	}
}

void tree_rewind(struct it *it)
{
	it->node = it->slow = it->arr[0];
	/* nodes and the empty nodes below them, visited once each */
	if (it->count != UINT64_MAX)
		it->limit = it_limit(it->v, 4 * it->count + 4);
}

/* The children of a tree node (F#: a leaf MapTree has none). False when
 * node is not a node of this tree; *empty for an ImmutableList-style
 * empty node. */
static bool links(struct it *it, uint64_t node, uint64_t *l, uint64_t *r, bool *empty)
{
	struct val *v = it->v;
	uint64_t mt = val_obj_mt(v, node);
	*l = *r = 0;
	*empty = false;
	if (it->kind == VK_FSMAP || it->kind == VK_FSSET) {
		if (!mt || (mt != it->node_mt && mt != it->leaf_mt)) {
			/* learn the two node types as they come */
			struct plan *np = val_plan(v, mt);
			const struct pfield *kf = np ? plan_field(np, "k") : NULL;
			const struct pfield *vf = np ? plan_field(np, "v") : NULL;
			const struct pfield *lf = np ? plan_field(np, "left") : NULL;
			const struct pfield *rf = np ? plan_field(np, "right") : NULL;
			if (!kf || (it->kind == VK_FSMAP && !vf) || !lf != !rf)
				return false;
			if (lf ? it->node_mt : it->leaf_mt)
				return false;
			if (it->key.elem && it->key.off != kf->off)
				return false; /* the two node types disagree */
			it->key = it_islot(kf);
			it->val = vf ? it_islot(vf) : it->key;
			if (lf) {
				it->node_mt = mt;
				it->left_off = lf->off;
				it->right_off = rf->off;
			} else {
				it->leaf_mt = mt;
			}
		}
		if (mt == it->leaf_mt)
			return true;
	} else if (mt != it->node_mt) {
		return false;
	}
	*l = val_rdptr(v, node + v->ps + it->left_off);
	*r = val_rdptr(v, node + v->ps + it->right_off);
	*empty = it->sentinel && !*l;
	return true;
}

/* One step of an in-order walk: the next node in *nodep (1), 0 at the
 * end, -1 on damage (a node of another type, too deep, too many steps). */
static int inorder(struct it *it, uint64_t *nodep)
{
	for (;;) {
		uint64_t node = it->node, l, r;
		bool empty;
		if (node) {
			if (++it->steps > it->limit || !links(it, node, &l, &r, &empty))
				return -1;
			if (!empty) {
				if (it->top == IT_STACK)
					return -1;
				it->stack[it->top++] = node;
				it->node = l;
				continue;
			}
			it->node = 0;
		}
		if (!it->top)
			return 0;
		node = it->stack[--it->top];
		if (!links(it, node, &l, &r, &empty))
			return -1;
		it->node = r;
		*nodep = node;
		return 1;
	}
}

/* The inner walk of an ImmutableHashSet/Dictionary bucket: the list of
 * its other items, an ImmutableList node tree (its node type learnt from
 * the first). */
static int inorder_list(struct it *it, uint64_t *nodep)
{
	struct val *v = it->v;
	for (;;) {
		uint64_t node = it->inode;
		if (node) {
			uint64_t mt = val_obj_mt(v, node);
			if (mt != it->ilist_mt) {
				struct plan *np = val_plan(v, mt);
				const struct pfield *kf = np ? plan_field(np, "_key") : NULL;
				const struct pfield *lf = np ? ref_of(np, "_left") : NULL;
				const struct pfield *rf = np ? ref_of(np, "_right") : NULL;
				if (it->ilist_mt || !kf || !lf || !rf)
					return -1;
				it->ilist_mt = mt;
				it->ikey = it_islot(kf);
				it->ilist_left = lf->off;
				it->ilist_right = rf->off;
			}
			uint64_t l = val_rdptr(v, node + v->ps + it->ilist_left);
			if (++it->steps > it->limit)
				return -1;
			if (l) { /* not the empty node */
				if (it->itop == IT_ISTACK)
					return -1;
				it->istack[it->itop++] = node;
				it->inode = l;
				continue;
			}
			it->inode = 0;
		}
		if (!it->itop)
			return 0;
		node = it->istack[--it->itop];
		it->inode = val_rdptr(v, node + v->ps + it->ilist_right);
		*nodep = node;
		return 1;
	}
}

/* An item of a bucket's list: a KeyValuePair (dictionary) or the item. */
static bool list_item(struct it *it, uint64_t node, struct item *out)
{
	uint64_t base = node + it->v->ps;
	if (!it->map) {
		out->val = it_slot(&it->ikey, base);
		return true;
	}
	const struct pfield *kf = it->ikey.sub ? plan_field(it->ikey.sub, "key") : NULL;
	const struct pfield *vf = it->ikey.sub ? plan_field(it->ikey.sub, "value") : NULL;
	if (!kf || !vf)
		return false;
	struct islot k = it_islot(kf), val = it_islot(vf);
	out->key = it_slot(&k, base + it->ikey.off);
	out->val = it_slot(&val, base + it->ikey.off);
	return true;
}

static int next_immhash(struct it *it, struct item *out)
{
	struct val *v = it->v;
	uint64_t node;
	int r;
	if (it->inner) {
		if ((r = inorder_list(it, &node)) != 0)
			return r < 0 || !list_item(it, node, out) ? -1 : 1;
		it->inner = false;
	}
	if ((r = inorder(it, &node)) != 1)
		return r;
	uint64_t base = node + v->ps;
	out->key = it_slot(&it->key, base);
	out->val = it_slot(&it->val, base);
	/* then the bucket's other items */
	it->inode = val_rdptr(v, base + it->more.off);
	it->itop = 0;
	it->inner = it->inode != 0;
	return 1;
}

static int next_cdict(struct it *it, struct item *out)
{
	struct val *v = it->v;
	for (;;) {
		if (!it->node) {
			if (it->pos >= it->n[0])
				return 0;
			uint64_t b = it->data[0] + it->pos++ * it->comp[0] + it->comp[1];
			it->node = it->slow = val_rdptr(v, b);
			it->aux = 0;
			continue;
		}
		uint64_t node = it->node, mt = val_obj_mt(v, node);
		if (mt != it->node_mt) {
			struct plan *np = val_plan(v, mt);
			const struct pfield *kf = np ? plan_field(np, "_key") : NULL;
			const struct pfield *vf = np ? plan_field(np, "_value") : NULL;
			const struct pfield *nf = np ? ref_of(np, "_next") : NULL;
			if (it->node_mt || !kf || !vf || !nf)
				return -1;
			it->node_mt = mt;
			it->key = it_islot(kf);
			it->val = it_islot(vf);
			it->next_off = nf->off;
		}
		if (++it->steps > it->limit)
			return -1;
		uint64_t base = node + v->ps;
		out->key = it_slot(&it->key, base);
		out->val = it_slot(&it->val, base);
		/* a loop in a chain is damage: the slow pointer moves every second step */
		it->node = val_rdptr(v, base + it->next_off);
		if (!(++it->aux & 1))
			it->slow = val_rdptr(v, it->slow + v->ps + it->next_off);
		if (it->node && it->node == it->slow)
			return -1;
		return 1;
	}
}

int tree_next(struct it *it, struct item *out)
{
	struct val *v = it->v;
	uint64_t node;
	int r;
	switch (it->kind) {
	case VK_CDICT:
		return next_cdict(it, out);
	case VK_FSLIST: {
		node = it->node;
		struct plan *np = node && val_obj_mt(v, node) == it->node_mt ? val_plan(v, it->node_mt) : NULL;
		const struct pfield *hf = np ? field(np, "head") : NULL, *tf = np ? ref_of(np, "tail") : NULL;
		if (!hf || !tf || ++it->steps > it->limit)
			return -1;
		uint64_t tail = val_rdptr(v, node + v->ps + tf->off);
		if (!tail) /* the empty list ends every list */
			return 0;
		out->val = it_slot(&(struct islot){ hf->off, hf->elem, hf->sub }, node + v->ps);
		it->node = tail;
		if (!(it->steps & 1)) /* a list that loops is damage */
			it->slow = val_rdptr(v, it->slow + v->ps + tf->off);
		return tail == it->slow ? -1 : 1;
	}
	case VK_LINKED: { /* a ring: count nodes from the head, each the prev of its next */
		node = it->node;
		if (it->pos >= it->count)
			return node == it->arr[0] ? 0 : -1;
		if (!node || val_obj_mt(v, node) != it->node_mt || ++it->steps > it->limit)
			return -1;
		uint64_t next = val_rdptr(v, node + v->ps + it->next_off);
		if (!next || val_rdptr(v, next + v->ps + it->left_off) != node)
			return -1;
		out->val = it_slot(&it->val, node + v->ps);
		it->node = next;
		it->pos++;
		return 1;
	}
	case VK_IMMDICT: case VK_IMMSET:
		return next_immhash(it, out);
	default: /* trees in order */
		if ((r = inorder(it, &node)) != 1)
			return r;
		out->key = it_slot(&it->key, node + v->ps);
		out->val = it_slot(&it->val, node + v->ps);
		if (!it->map)
			out->key = (struct val_slot){ 0, 0, 0 };
		return 1;
	}
}
