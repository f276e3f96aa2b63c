/* graph_shape.c - live objects grouped by the shape of their root path
 * (graph.h), for what grew between two dumps of one program: addresses
 * move, but the path from a static through List._items to the items does
 * not. One pass over the objects in order of depth: each object hands its
 * shape on to the objects it is the root-path parent of, through one scan
 * of its reference slots (which names the field). */
#include "graph_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct meta {
	uint32_t parent;  /* the shape one hop nearer the root, or GRAPH_NONE */
	uint32_t rep;     /* an object of the shape, for its type's name */
	char *label;      /* a root's "kind name", a hop's field */
	bool recursive;   /* holds hops to objects of its own type */
};

struct graph_shapes {
	const struct graph *g;
	struct graph_shape *s;
	struct meta *m;
	size_t n, cap;
	uint32_t *slot;   /* open addressing on key: shape index + 1, 0 empty */
	size_t nslot;     /* a power of two, at least twice n */
};

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* A string into the hash, its end marked so that "ab","c" and "a","bc"
 * differ. */
static uint64_t fnv_str(uint64_t h, const char *p)
{
	for (; *p; p++)
		h = (h ^ (uint8_t)*p) * FNV_PRIME;
	return (h ^ 0xff) * FNV_PRIME;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * FNV_PRIME;
	return h;
}

static bool grow_slots(struct graph_shapes *s)
{
	size_t ns = s->nslot ? 2 * s->nslot : 1024;
	uint32_t *t = calloc(ns, sizeof *t);
	if (!t)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = (size_t)s->s[i].key & (ns - 1);
		while (t[h])
			h = (h + 1) & (ns - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(s->slot);
	s->slot = t;
	s->nslot = ns;
	return true;
}

/* The shape with key, made (with parent, label and rep) when new; its
 * index, or GRAPH_NONE when out of memory. */
static uint32_t intern(struct graph_shapes *s, uint64_t key, uint32_t parent, const char *label,
		       uint32_t rep)
{
	size_t h = s->nslot ? (size_t)key & (s->nslot - 1) : 0;
	for (; s->nslot && s->slot[h]; h = (h + 1) & (s->nslot - 1))
		if (s->s[s->slot[h] - 1].key == key)
			return s->slot[h] - 1;
	if (s->n >= GRAPH_NONE - 1)
		return GRAPH_NONE;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 256;
		struct graph_shape *ns = realloc(s->s, nc * sizeof *ns);
		if (ns)
			s->s = ns;
		struct meta *nm = ns ? realloc(s->m, nc * sizeof *nm) : NULL;
		if (!nm)
			return GRAPH_NONE;
		s->m = nm;
		s->cap = nc;
	}
	char *l = strdup(label);
	if (!l)
		return GRAPH_NONE;
	uint32_t k = (uint32_t)s->n++;
	s->s[k] = (struct graph_shape){ .key = key };
	s->m[k] = (struct meta){ parent, rep, l, false };
	if (2 * s->n > s->nslot) {
		if (!grow_slots(s)) {
			s->n--;
			free(l);
			return GRAPH_NONE;
		}
	} else {
		s->slot[h] = k + 1;
	}
	return k;
}

/* Root object x's shape: its root's kind, and a static's field. */
static uint32_t root_shape(struct graph_shapes *s, uint32_t x)
{
	const struct graph *g = s->g;
	size_t r = SIZE_MAX;
	graph_parent(g, x, &r);
	char label[600] = "?";
	if (r < g->nroots) {
		const struct graph_root *rt = &g->roots[r];
		const char *kind = graph_root_kind(rt);
		if (rt->kind == GRAPH_ROOT_STATIC || rt->kind == GRAPH_ROOT_THREAD_STATIC) {
			char name[512];
			graph_root_name(g, rt, name, sizeof name);
			char *th = rt->kind == GRAPH_ROOT_THREAD_STATIC ? strstr(name, " thread ") : NULL;
			for (char *p = th; p; p = strstr(p + 1, " thread "))
				th = p; /* the last one: the thread is not part of the shape */
			if (th)
				*th = '\0';
			snprintf(label, sizeof label, "%s %s", kind, name);
		} else {
			snprintf(label, sizeof label, "%s", kind);
		}
	}
	uint64_t key = fnv_str(fnv_str(fnv_str(FNV_BASIS, "root"), label), graph_type_name(g, x));
	return intern(s, key, GRAPH_NONE, label, x);
}

struct scan {
	struct graph_shapes *s;
	uint32_t *of;
	uint32_t x;
	const uint32_t *refs;
	size_t nrefs, k;
	bool oom;
};

/* y, whose root-path parent is x, reached through the hop named edge. */
static void hand_on(struct scan *c, uint32_t y, const char *edge)
{
	const struct graph *g = c->s->g;
	uint32_t sx = c->of[c->x];
	uint64_t mx = graph_mt(g, c->x), my = graph_mt(g, y);
	const char *ty = graph_type_name(g, y);
	if (mx == my || strcmp(graph_type_name(g, c->x), ty) == 0) {
		c->of[y] = sx;
		c->s->m[sx].recursive = true;
		return;
	}
	uint64_t key = fnv_str(fnv_str(fnv_u64(FNV_BASIS, c->s->s[sx].key), edge), ty);
	uint32_t k = intern(c->s, key, sx, edge, y);
	if (k == GRAPH_NONE)
		c->oom = true;
	c->of[y] = k;
}

static bool scan_cb(void *arg, uint64_t slot, uint64_t value)
{
	struct scan *c = arg;
	const struct graph *g = c->s->g;
	if (!value)
		return true;
	uint32_t y;
	if (c->k < c->nrefs && g->addr[c->refs[c->k]] == value)
		y = c->refs[c->k++]; /* the references are in slot order */
	else
		y = graph_find(g, value);
	size_t r;
	if (y == GRAPH_NONE || c->of[y] != GRAPH_NONE || graph_parent(g, y, &r) != c->x)
		return true;
	char edge[512];
	graph_slot_name(g, c->x, slot, true, edge, sizeof edge);
	hand_on(c, y, edge);
	return !c->oom;
}

/* The live objects, in order of depth (counting sort); *nlive of them. */
static uint32_t *by_depth(const struct graph *g, size_t *nlive)
{
	uint32_t maxd = 0;
	size_t live = 0;
	for (size_t i = 0; i < g->n; i++)
		if (graph_live(g, (uint32_t)i)) {
			uint32_t d = graph_depth(g, (uint32_t)i);
			maxd = d > maxd ? d : maxd;
			live++;
		}
	size_t *at = calloc((size_t)maxd + 2, sizeof *at);
	uint32_t *order = malloc((live ? live : 1) * sizeof *order);
	if (!at || !order) {
		free(at);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < g->n; i++)
		if (graph_live(g, (uint32_t)i))
			at[graph_depth(g, (uint32_t)i) + 1]++;
	for (uint32_t d = 0; d <= maxd; d++)
		at[d + 1] += at[d];
	for (size_t i = 0; i < g->n; i++)
		if (graph_live(g, (uint32_t)i))
			order[at[graph_depth(g, (uint32_t)i)]++] = (uint32_t)i;
	free(at);
	*nlive = live;
	return order;
}

enum ch_status graph_shapes_build(const struct graph *g, struct graph_shapes **out,
				  struct ch_err *err)
{
	struct graph_shapes *s = calloc(1, sizeof *s);
	uint32_t *of = malloc((g->n ? g->n : 1) * sizeof *of);
	size_t nlive = 0;
	uint32_t *order = s && of ? by_depth(g, &nlive) : NULL;
	if (!order || !grow_slots(s))
		goto oom;
	s->g = g;
	for (size_t i = 0; i < g->n; i++)
		of[i] = GRAPH_NONE;
	struct scan c = { .s = s, .of = of };
	for (size_t j = 0; j < nlive; j++) {
		uint32_t x = order[j];
		size_t r;
		uint32_t p = graph_parent(g, x, &r);
		if (of[x] == GRAPH_NONE) {
			char edge[512] = "?";
			if (p == GRAPH_NONE) {
				of[x] = root_shape(s, x);
			} else if (of[p] != GRAPH_NONE) {
				/* its parent's scan did not meet it: name the hop the slow way */
				graph_edge_name(g, p, x, edge, sizeof edge);
				c.x = p;
				hand_on(&c, x, edge);
			}
			if (of[x] == GRAPH_NONE)
				goto oom;
		}
		struct graph_shape *sh = &s->s[of[x]];
		sh->count++;
		sh->bytes += graph_size(g, x);
		if (p == GRAPH_NONE || of[p] != of[x])
			sh->retained += graph_retained(g, x); /* a chain from its head */
		c.x = x;
		c.refs = graph_refs(g, x, &c.nrefs);
		c.k = 0;
		graph_slots(g, graph_addr(g, x), graph_mt(g, x), graph_size(g, x), scan_cb, &c);
		for (size_t k = 0; k < c.nrefs && !c.oom; k++) {
			uint32_t y = c.refs[k];
			if (of[y] == GRAPH_NONE && graph_parent(g, y, &r) == x)
				hand_on(&c, y, GRAPH_DEPENDENT_EDGE);
		}
		if (c.oom)
			goto oom;
	}
	free(order);
	free(of);
	*out = s;
	return CH_OK;
oom:
	free(order);
	free(of);
	graph_shapes_free(s);
	return ch_set_error(err, CH_ENOMEM, "out of memory grouping root paths");
}

void graph_shapes_free(struct graph_shapes *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->m[i].label);
	free(s->s);
	free(s->m);
	free(s->slot);
	free(s);
}

const struct graph_shape *graph_shapes_all(const struct graph_shapes *s, size_t *n)
{
	*n = s->n;
	return s->s;
}

struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->oom)
		return;
	if (t->cap - t->len <= n) {
		size_t nc = (t->cap + n) * 2;
		char *np = realloc(t->p, nc);
		if (!np) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = nc;
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

char *graph_shape_text(const struct graph_shapes *s, size_t k)
{
	if (k >= s->n)
		return NULL;
	size_t depth = 0;
	for (uint32_t x = (uint32_t)k; x != GRAPH_NONE && depth <= s->n; x = s->m[x].parent)
		depth++;
	uint32_t *chain = malloc(depth * sizeof *chain);
	if (!chain)
		return NULL;
	size_t d = depth;
	for (uint32_t x = (uint32_t)k; x != GRAPH_NONE && d; x = s->m[x].parent)
		chain[--d] = x;
	struct text t = { 0 };
	for (size_t i = d; i < depth; i++) {
		const struct meta *m = &s->m[chain[i]];
		if (i > d)
			put(&t, " -> ");
		put(&t, m->label);
		put(&t, i > d ? " " : " -> ");
		put(&t, graph_type_name(s->g, m->rep));
		if (m->recursive)
			put(&t, " (recursive)");
	}
	free(chain);
	if (t.oom || !t.p) {
		free(t.p);
		return NULL;
	}
	return t.p;
}
