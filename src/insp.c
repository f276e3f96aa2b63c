/* insp.c - the inspections' context, and the two that need the object
 * graph: duplicate strings (their holders) and large objects (their root). */
#include "insp_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[INSP_COUNT] = {
	"duplicate-strings", "empty-collections", "sparse-arrays", "finalizable",
	"large-objects", "fragmentation",
};

const char *insp_name(enum insp_kind k)
{
	return (unsigned)k < INSP_COUNT ? names[k] : NULL;
}

enum insp_kind insp_find(const char *name)
{
	size_t n = strlen(name);
	if (n > 4 && strcmp(name + n - 4, ".tsv") == 0)
		n -= 4;
	for (unsigned k = 0; k < INSP_COUNT; k++)
		if (strlen(names[k]) == n && strncmp(names[k], name, n) == 0)
			return (enum insp_kind)k;
	return INSP_COUNT;
}

enum ch_status insp_open(struct heap *h, struct insp **out, struct ch_err *err)
{
	struct insp *x = calloc(1, sizeof *x);
	if (!x)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	x->h = h;
	x->c = heap_clr(h);
	x->a = clr_as(x->c);
	x->ps = clr_ptr_size(x->c);
	*out = x;
	return CH_OK;
}

void insp_close(struct insp *x)
{
	if (!x)
		return;
	if (x->own_graph)
		graph_close(x->g);
	val_close(x->v);
	free(x->handles);
	free(x);
}

void insp_set_graph(struct insp *x, struct graph *g)
{
	if (x->own_graph)
		graph_close(x->g);
	x->g = g;
	x->own_graph = false;
}

const char *insp_error(const struct insp *x)
{
	return x->err.msg;
}

enum ch_status insp_oom(struct insp *x)
{
	return ch_set_error(&x->err, CH_ENOMEM, "out of memory");
}

bool insp_printf(insp_out_fn out, void *arg, const char *fmt, ...)
{
	char small[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof small) {
		out(arg, small, (size_t)n);
		return true;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return false;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out(arg, big, (size_t)n);
	free(big);
	return true;
}

void insp_puts(insp_out_fn out, void *arg, const char *s)
{
	out(arg, s, strlen(s));
}

const char *insp_type_name(struct insp *x, uint64_t mt, char *buf, size_t size)
{
	const struct clr_type *t = clr_type_of(x->c, mt, NULL);
	if (t && t->name)
		return t->name;
	snprintf(buf, size, "<unknown type 0x%" PRIx64 ">", mt);
	return buf;
}

struct graph *insp_graph(struct insp *x)
{
	if (!x->g && !x->graph_failed) {
		/* the inspections want referrers and root paths, not retained
		 * sizes: the dominators are a third of the build */
		struct graph_opts o = { .no_dominators = true };
		if (graph_build(x->h, &o, &x->g, &x->err) != CH_OK) {
			x->g = NULL;
			x->graph_failed = true;
		} else {
			x->own_graph = true;
		}
	}
	return x->g;
}

const struct graph_handle *insp_handles(struct insp *x, size_t *n)
{
	if (!x->handles_done) {
		x->handles_done = true;
		struct ch_err e = { 0 };
		if (graph_handles(x->c, &x->handles, &x->nhandles, &e) != CH_OK) {
			x->handles = NULL;
			x->nhandles = 0;
		}
	}
	*n = x->nhandles;
	return x->handles;
}

const struct heap_stat_row *insp_stat(struct insp *x, size_t *n)
{
	const struct heap_stat_row *rows;
	if (heap_stat(x->h, &rows, n, &x->err) != CH_OK)
		return NULL;
	return rows;
}

/* ---- duplicate strings ---- */

/* Two independent 64-bit hashes of the UTF-16 content, fed in pieces,
 * eight bytes at a time (the pieces are whole multiples of 8 but the
 * last). */
struct hash2 {
	uint64_t h1, h2;
};

static void hash_feed(struct hash2 *h, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8); /* the same bytes give the same word: order is moot */
		h->h1 = (h->h1 ^ w) * 0x100000001b3ull;
		h->h1 ^= h->h1 >> 32;
		h->h2 = (h->h2 + w + 1) * 0x9e3779b97f4a7c15ull;
		h->h2 ^= h->h2 >> 29;
	}
	for (; i < n; i++) {
		h->h1 = (h->h1 ^ p[i]) * 0x100000001b3ull;
		h->h2 = (h->h2 + p[i] + 1) * 0x9e3779b97f4a7c15ull;
		h->h2 ^= h->h2 >> 29;
	}
}

/* Hashes the string at addr; false when its characters are not all in
 * the dump. */
static bool hash_string(struct insp *x, uint64_t addr, uint32_t *len, struct hash2 *h)
{
	uint32_t n;
	if (!as_u32(x->a, addr + x->ps, &n))
		return false;
	uint64_t at = addr + x->ps + 4, left = (uint64_t)n * 2;
	h->h1 = 0xcbf29ce484222325ull;
	h->h2 = 0x243f6a8885a308d3ull ^ n;
	uint8_t buf[4096];
	while (left) {
		size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
		const uint8_t *p = as_ptr(x->a, at, want);
		if (!p) {
			if (as_read(x->a, at, buf, want) != want)
				return false;
			p = buf;
		}
		hash_feed(h, p, want);
		at += want;
		left -= want;
	}
	*len = n;
	return true;
}

/* One value: its hashes and length, how many strings hold it, and (for
 * values held more than once) where its strings start in the members. */
struct dval {
	uint64_t h1, h2;
	uint32_t len, count;
	size_t first;
};

struct dgroup {
	size_t first, count; /* first: into the members, in heap order */
	uint32_t len;
	uint64_t size, wasted;
};

static int dgroup_cmp(const void *pa, const void *pb)
{
	const struct dgroup *a = pa, *b = pb;
	if (a->wasted != b->wasted)
		return a->wasted > b->wasted ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* The value of the string at addr, cut at INSP_VALUE_CUT units, escaped
 * as in JSON (without the quotes) so one row stays one line. */
static void string_value(struct insp *x, uint64_t addr, uint32_t len, struct val_buf *b)
{
	uint32_t n = len < INSP_VALUE_CUT ? len : INSP_VALUE_CUT;
	uint8_t raw[2 * INSP_VALUE_CUT];
	val_buf_reset(b);
	if (as_read(x->a, addr + x->ps + 4, raw, 2u * n) != 2u * n) {
		val_utf16(b, raw, 0, true);
		return;
	}
	val_utf16(b, raw, n, true);
}

struct tally {
	uint64_t mt, n;
};

static int tally_cmp(const void *pa, const void *pb)
{
	const struct tally *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

/* Up to three holder types of a group's strings (addrs, count of them),
 * "Type (n); ..." */
static void holders(struct insp *x, struct graph *g, const uint64_t *addrs, size_t count,
		    char *out, size_t size)
{
	struct tally t[32];
	size_t nt = 0;
	size_t scan = count < INSP_HOLDER_SCAN ? count : INSP_HOLDER_SCAN;
	for (size_t i = 0; i < scan; i++) {
		uint32_t o = graph_find(g, addrs[i]);
		if (o == GRAPH_NONE)
			continue;
		size_t nr;
		const uint32_t *r = graph_referrers(g, o, &nr);
		for (size_t j = 0; j < nr; j++) {
			uint64_t mt = graph_mt(g, r[j]);
			size_t k = 0;
			while (k < nt && t[k].mt != mt)
				k++;
			if (k == nt) {
				if (nt == sizeof t / sizeof t[0])
					continue; /* past 32 types: the top three are known */
				t[nt].mt = mt;
				t[nt++].n = 0;
			}
			t[k].n++;
		}
	}
	qsort(t, nt, sizeof t[0], tally_cmp);
	size_t w = 0;
	out[0] = '\0';
	for (size_t k = 0; k < nt && k < 3 && w < size; k++) {
		char tb[64];
		int m = snprintf(out + w, size - w, "%s%s (%" PRIu64 ")", k ? "; " : "",
				 insp_type_name(x, t[k].mt, tb, sizeof tb), t[k].n);
		if (m < 0)
			break;
		w += (size_t)m;
	}
	if (w >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
	if (!out[0])
		snprintf(out, size, "-");
}

/* The strings grouped by value in an open-addressing table of values
 * (a power of two, at least twice the strings): *gr the values held more
 * than once, their strings' addresses in *members, in heap order. */
static enum ch_status group_strings(struct insp *x, const uint64_t *addrs, size_t n,
				    struct dgroup **gr_out, size_t *ng_out, uint64_t **members_out,
				    uint32_t base)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	struct dval *tab = calloc(cap, sizeof *tab);
	uint32_t *slot = malloc((n ? n : 1) * sizeof *slot); /* each string's value, or UINT32_MAX */
	if (!tab || !slot || cap > UINT32_MAX) {
		free(tab);
		free(slot);
		return insp_oom(x);
	}
	size_t ng = 0, nm = 0;
	for (size_t i = 0; i < n; i++) {
		struct hash2 h;
		uint32_t len;
		slot[i] = UINT32_MAX;
		if (!hash_string(x, addrs[i], &len, &h))
			continue;
		size_t k = (size_t)(h.h1 ^ (h.h2 >> 17)) & (cap - 1);
		while (tab[k].count && (tab[k].h1 != h.h1 || tab[k].h2 != h.h2 || tab[k].len != len))
			k = (k + 1) & (cap - 1);
		if (!tab[k].count)
			tab[k] = (struct dval){ h.h1, h.h2, len, 0, 0 };
		if (++tab[k].count == 2) {
			ng++;
			nm++;
		}
		nm += tab[k].count > 1;
		slot[i] = (uint32_t)k;
	}
	struct dgroup *gr = malloc((ng ? ng : 1) * sizeof *gr);
	uint64_t *members = malloc((nm ? nm : 1) * sizeof *members);
	if (!gr || !members) {
		free(gr);
		free(members);
		free(tab);
		free(slot);
		return insp_oom(x);
	}
	/* places in members by first string, then the strings in heap order */
	size_t g = 0, at = 0;
	for (size_t i = 0; i < n; i++) {
		if (slot[i] == UINT32_MAX)
			continue;
		struct dval *v = &tab[slot[i]];
		if (v->count < 2)
			continue;
		if (v->count != UINT32_MAX) { /* the first of its value: a group */
			uint64_t size = base + 2ull * v->len;
			gr[g++] = (struct dgroup){ at, v->count, v->len, size,
						   (uint64_t)(v->count - 1) * size };
			v->first = at;
			at += v->count;
			v->count = UINT32_MAX; /* placed */
			v->h1 = 0; /* from here, the next free place */
			v->h2 = v->first;
		}
		members[v->h2++] = addrs[i];
	}
	free(tab);
	free(slot);
	*gr_out = gr;
	*ng_out = ng;
	*members_out = members;
	return CH_OK;
}

static enum ch_status dup_strings(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	uint64_t smt = clr_string_mt(x->c);
	uint32_t flags, base = 0;
	if (!smt || !clr_mt_sizes(x->c, smt, &flags, &base))
		return ch_set_error(&x->err, CH_ENOTFOUND, "the dump names no System.String type");
	const uint64_t *addrs;
	size_t n;
	if (heap_instances(x->h, smt, &addrs, &n, &x->err) != CH_OK)
		return x->err.status;
	struct dgroup *gr = NULL;
	uint64_t *members = NULL;
	size_t ng = 0;
	if (n >= UINT32_MAX / 2)
		return ch_set_error(&x->err, CH_EUNSUPPORTED, "too many strings (%zu)", n);
	enum ch_status st = group_strings(x, addrs, n, &gr, &ng, &members, base);
	if (st != CH_OK)
		return st;
	qsort(gr, ng, sizeof *gr, dgroup_cmp);
	struct graph *g = ng ? insp_graph(x) : NULL;
	insp_puts(out, arg, "value\tcount\tsize\twasted\tholders\n");
	struct val_buf b;
	val_buf_init(&b);
	for (size_t k = 0; k < ng && (!limit || k < limit); k++) {
		const uint64_t *s = &members[gr[k].first];
		char hold[512] = "-";
		if (g && k < INSP_HOLDER_ROWS)
			holders(x, g, s, gr[k].count, hold, sizeof hold);
		string_value(x, s[0], gr[k].len, &b);
		if (b.oom) {
			st = insp_oom(x);
			break;
		}
		/* b holds a JSON string: its quotes are left out */
		int vl = b.len >= 2 ? (int)(b.len - 2) : 0;
		if (!insp_printf(out, arg, "%.*s%s\t%zu\t%" PRIu64 "\t%" PRIu64 "\t%s\n", vl,
				 b.len >= 2 ? b.p + 1 : "", gr[k].len > INSP_VALUE_CUT ? "..." : "",
				 gr[k].count, gr[k].size, gr[k].wasted, hold)) {
			st = insp_oom(x);
			break;
		}
	}
	val_buf_free(&b);
	free(gr);
	free(members);
	return st;
}

/* ---- large objects ---- */

struct lobj {
	uint64_t addr, mt, size;
	enum heap_gen gen;
};

struct lwalk {
	struct lobj *v;
	size_t n, cap;
	enum heap_gen gen;
	bool oom;
};

static bool lobj_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	struct lwalk *w = arg;
	if (w->n == w->cap) {
		size_t nc = w->cap ? 2 * w->cap : 256;
		struct lobj *nv = realloc(w->v, nc * sizeof *nv);
		if (!nv) {
			w->oom = true;
			return false;
		}
		w->v = nv;
		w->cap = nc;
	}
	w->v[w->n++] = (struct lobj){ obj, mt, size, w->gen };
	return true;
}

static int lobj_cmp(const void *pa, const void *pb)
{
	const struct lobj *a = pa, *b = pb;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* The root of object i's path ("kind name"), and the object it holds
 * (the path's first hop) into first. */
static void root_of(struct graph *g, uint32_t i, char *root, size_t rsize, uint32_t *first)
{
	*first = GRAPH_NONE;
	if (!graph_live(g, i)) {
		snprintf(root, rsize, "unreachable");
		return;
	}
	uint32_t at = i;
	size_t r = SIZE_MAX;
	for (uint32_t steps = 0; steps <= graph_depth(g, i); steps++) {
		size_t rr = SIZE_MAX;
		uint32_t p = graph_parent(g, at, &rr);
		if (p == GRAPH_NONE) {
			r = rr;
			break;
		}
		at = p;
	}
	size_t nroots;
	const struct graph_root *roots = graph_roots(g, &nroots);
	if (r >= nroots) {
		snprintf(root, rsize, "?");
		return;
	}
	char name[256];
	graph_root_name(g, &roots[r], name, sizeof name);
	snprintf(root, rsize, "%s %s", graph_root_kind(&roots[r]), name);
	*first = at;
}

static enum ch_status large_objects(struct insp *x, size_t limit, insp_out_fn out, void *arg)
{
	size_t nseg;
	const struct heap_seg *segs = heap_segments(x->h, &nseg);
	struct lwalk w = { 0 };
	for (size_t i = 0; i < nseg && !w.oom; i++) {
		if (segs[i].gen != HEAP_LOH && segs[i].gen != HEAP_POH)
			continue;
		w.gen = segs[i].gen;
		heap_walk_segment(x->h, i, lobj_cb, &w);
	}
	if (w.oom) {
		free(w.v);
		return insp_oom(x);
	}
	qsort(w.v, w.n, sizeof *w.v, lobj_cmp);
	struct graph *g = w.n ? insp_graph(x) : NULL;
	insp_puts(out, arg, "addr\tsize\theap\ttype\troot\tfirst\n");
	unsigned hw = 2 * x->ps;
	for (size_t k = 0; k < w.n && (!limit || k < limit); k++) {
		const struct lobj *o = &w.v[k];
		char tb[64], root[512] = "-", first[320] = "-";
		uint32_t i = g ? graph_find(g, o->addr) : GRAPH_NONE;
		if (i != GRAPH_NONE) {
			uint32_t f;
			root_of(g, i, root, sizeof root, &f);
			if (f != GRAPH_NONE)
				snprintf(first, sizeof first, "%0*" PRIx64 " %s", (int)hw,
					 graph_addr(g, f), graph_type_name(g, f));
		}
		if (!insp_printf(out, arg, "%0*" PRIx64 "\t%" PRIu64 "\t%s\t%s\t%s\t%s\n", (int)hw,
				 o->addr, o->size, o->gen == HEAP_LOH ? "loh" : "poh",
				 insp_type_name(x, o->mt, tb, sizeof tb), root, first)) {
			free(w.v);
			return insp_oom(x);
		}
	}
	free(w.v);
	return CH_OK;
}

enum ch_status insp_tsv(struct insp *x, enum insp_kind k, size_t limit, insp_out_fn out,
			void *arg)
{
	ch_clear_error(&x->err);
	switch (k) {
	case INSP_DUP_STRINGS: return dup_strings(x, limit, out, arg);
	case INSP_EMPTY_COLLS: return insp_empty_colls(x, limit, out, arg);
	case INSP_SPARSE_ARRAYS: return insp_sparse_arrays(x, limit, out, arg);
	case INSP_FINALIZABLE: return insp_finalizable(x, limit, out, arg);
	case INSP_LARGE_OBJECTS: return large_objects(x, limit, out, arg);
	case INSP_FRAGMENTATION: return insp_fragmentation(x, limit, out, arg);
	default: return ch_set_error(&x->err, CH_EARG, "no such inspection");
	}
}
