/* graph_roots.c - the roots: static reference fields by name (thread
 * statics included), the GC handles that keep their object alive (strong,
 * pinned, async-pinned, ref-counted, sized-ref), the finalizer-ready
 * queue, and thread stacks scanned conservatively: every pointer-aligned
 * word from a thread's stack pointer to the end of the memory the dump
 * holds there that is the start of an object. Weak and dependent handles
 * are not roots (dependent ones are edges, graph.c). */
#include "graph_priv.h"

#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "md.h"

#define MAX_ROOTS (1u << 26)
#define MAX_THREADS 4096
#define MAX_STACK (64ull << 20) /* more is not a stack */

struct rootv {
	struct graph *g;
	struct graph_root *r;
	size_t n, cap;
	bool oom;
	struct clr_thread *th;
	size_t nth;
};

static void add_root(struct rootv *v, struct graph_root r)
{
	if (v->n >= MAX_ROOTS || v->oom)
		return;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 1024;
		struct graph_root *nr = realloc(v->r, ncap * sizeof *nr);
		if (!nr) {
			v->oom = true;
			return;
		}
		v->r = nr;
		v->cap = ncap;
	}
	v->r[v->n++] = r;
}

/* Element types a GC statics slot holds a reference for (a struct static
 * is a box of its own; primitives and enums live in the non-GC statics). */
static bool ref_elem(uint8_t e)
{
	switch (e) {
	case MD_ELEM_STRING: case MD_ELEM_CLASS: case MD_ELEM_OBJECT: case MD_ELEM_SZARRAY:
	case MD_ELEM_ARRAY: case MD_ELEM_GENERICINST: case MD_ELEM_VALUETYPE: case MD_ELEM_VAR:
		return true;
	default:
		return false;
	}
}

static void static_slot(struct rootv *v, uint64_t mt, size_t fi, uint64_t slot, uint8_t kind,
			uint32_t osid)
{
	struct graph *g = v->g;
	uint64_t obj;
	if (!as_ptrv(g->a, slot, &obj) || !obj)
		return;
	uint32_t i = graph_find(g, obj);
	if (i == GRAPH_NONE)
		return;
	add_root(v, (struct graph_root){ .where = slot, .mt = mt, .obj = i, .field = (uint32_t)fi,
					 .aux = osid, .kind = kind });
}

static bool statics_of(void *arg, uint64_t mt)
{
	struct rootv *v = arg;
	struct graph *g = v->g;
	const struct clr_type *t = clr_type_of(g->c, mt, NULL);
	if (!t || t->kind == CLR_KIND_ARRAY)
		return !v->oom;
	size_t nf, ninst;
	const struct clr_field *f = clr_type_fields(g->c, t, &nf, &ninst, NULL);
	if (!f)
		return !v->oom;
	uint64_t gcb = 0, ngcb = 0;
	bool plain = false, thread = false;
	for (size_t i = ninst; i < nf; i++) {
		if (!(f[i].flags & CLR_FIELD_STATIC) || (f[i].flags & CLR_FIELD_RVA) ||
		    !ref_elem(f[i].elem))
			continue;
		if (f[i].flags & CLR_FIELD_THREAD)
			thread = true;
		else
			plain = true;
	}
	if (plain) {
		clr_type_statics(g->c, t, &gcb, &ngcb);
		for (size_t i = ninst; gcb && i < nf; i++)
			if ((f[i].flags & CLR_FIELD_STATIC) && !(f[i].flags & (CLR_FIELD_RVA | CLR_FIELD_THREAD)) &&
			    ref_elem(f[i].elem))
				static_slot(v, mt, i, gcb + f[i].offset, GRAPH_ROOT_STATIC, 0);
	}
	for (size_t k = 0; thread && k < v->nth; k++) {
		clr_thread_statics(g->c, t, v->th[k].addr, &gcb, &ngcb);
		for (size_t i = ninst; gcb && i < nf; i++)
			if ((f[i].flags & CLR_FIELD_THREAD) && !(f[i].flags & CLR_FIELD_RVA) &&
			    ref_elem(f[i].elem))
				static_slot(v, mt, i, gcb + f[i].offset, GRAPH_ROOT_THREAD_STATIC,
					    (uint32_t)v->th[k].os_id);
	}
	return !v->oom;
}

static int u64_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;
	return *a < *b ? -1 : *a > *b;
}

/* Every loaded type of every module the resolver knows and of every module
 * that defines a type on the heap, generic instantiations included. */
static void statics_roots(struct rootv *v)
{
	struct graph *g = v->g;
	if (!clr_statics_supported(g->c))
		return;
	struct clr_resolver *r;
	struct ch_err err = { 0 };
	if (clr_resolver_open(g->c, &r, &err) != CH_OK)
		return;
	const struct heap_stat_row *rows;
	size_t nrows = 0;
	if (heap_stat(g->h, &rows, &nrows, &err) != CH_OK)
		nrows = 0;
	for (size_t i = 0; i < nrows; i++) {
		const struct clr_type *t = clr_type_of(g->c, rows[i].mt, NULL);
		if (t && t->kind != CLR_KIND_ARRAY && t->module)
			clr_resolver_add_module(r, t->module);
	}
	size_t nmod;
	const uint64_t *m = clr_resolver_modules(r, &nmod);
	uint64_t *mods = malloc((nmod ? nmod : 1) * sizeof *mods);
	if (mods) {
		memcpy(mods, m, nmod * sizeof *mods);
		qsort(mods, nmod, sizeof *mods, u64_cmp);
	}
	v->th = calloc(MAX_THREADS, sizeof *v->th);
	v->nth = v->th ? clr_threads(g->c, v->th, MAX_THREADS) : 0;
	for (size_t i = 0; mods && i < nmod && !v->oom; i++) {
		if (i && mods[i] == mods[i - 1])
			continue;
		clr_module_types(g->c, mods[i], statics_of, v, NULL);
		clr_module_param_types(r, mods[i], statics_of, v);
	}
	free(mods);
	free(v->th);
	v->th = NULL;
	clr_resolver_close(r);
}

static void handle_roots(struct rootv *v)
{
	struct graph *g = v->g;
	struct graph_handle *hs;
	size_t nh;
	struct ch_err err = { 0 };
	if (graph_handles(g->c, &hs, &nh, &err) != CH_OK) {
		v->oom = true;
		return;
	}
	for (size_t i = 0; i < nh; i++) {
		if (!graph_handle_is_root(hs[i].kind))
			continue;
		uint32_t o = graph_find(g, hs[i].obj);
		if (o != GRAPH_NONE)
			add_root(v, (struct graph_root){ .where = hs[i].addr, .obj = o, .aux = hs[i].kind,
							 .kind = hs[i].kind == GRAPH_H_FINALIZER_READY ?
								 GRAPH_ROOT_FINALIZER : GRAPH_ROOT_HANDLE });
	}
	free(hs);
}

size_t graph_stack_span(struct as *a, const struct dump_thread *t, unsigned ps, uint64_t *sp,
			const uint8_t **p)
{
	*sp = t->sp & ~(uint64_t)(ps - 1);
	size_t span = *sp ? as_span(a, *sp, p) : 0;
	if (span > MAX_STACK)
		span = MAX_STACK;
	/* Windows: NT_TIB's StackBase ends the stack; the next thread's stack
	 * may follow in the same run of memory */
	uint64_t base;
	if (t->teb && as_ptrv(a, t->teb + ps, &base) && base > *sp && base - *sp < span)
		span = (size_t)(base - *sp);
	return span;
}

static void stack_roots(struct rootv *v)
{
	struct graph *g = v->g;
	size_t nth;
	const struct dump_thread *th = dump_threads(as_dump(g->a), &nth);
	uint64_t lo = g->n ? g->addr[0] : 0, hi = g->n ? g->addr[g->n - 1] : 0;
	for (size_t k = 0; k < nth && !v->oom; k++) {
		uint64_t sp;
		const uint8_t *p;
		size_t span = graph_stack_span(g->a, &th[k], g->ps, &sp, &p);
		size_t first = v->n;
		for (size_t at = 0; at + g->ps <= span; at += g->ps) {
			uint64_t w = 0;
			memcpy(&w, p + at, g->ps);
			if (w < lo || w > hi)
				continue;
			uint32_t o = graph_find(g, w);
			if (o == GRAPH_NONE)
				continue;
			/* one root per object and thread: the slot nearest the top of
			 * the stack (the innermost frame) */
			bool seen = false;
			for (size_t j = first; j < v->n && !seen; j++)
				seen = v->r[j].obj == o;
			if (!seen)
				add_root(v, (struct graph_root){ .where = sp + at, .obj = o, .aux = th[k].tid,
								 .kind = GRAPH_ROOT_STACK });
		}
	}
}

static int root_cmp(const void *x, const void *y)
{
	const struct graph_root *a = x, *b = y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->where < b->where ? -1 : a->where > b->where;
}

enum ch_status graph_find_roots(struct graph *g, struct ch_err *err)
{
	struct rootv v = { .g = g };
	graph_progress(g, "roots", 0, 0);
	if (!(g->o && g->o->no_static_roots))
		statics_roots(&v);
	handle_roots(&v);
	if (!(g->o && g->o->no_stack_roots))
		stack_roots(&v);
	if (v.oom) {
		free(v.r);
		return ch_set_error(err, CH_ENOMEM, "out of memory collecting roots");
	}
	if (v.n)
		qsort(v.r, v.n, sizeof *v.r, root_cmp);
	/* a static slot met twice (a type reached from two modules) once */
	size_t u = 0;
	for (size_t i = 0; i < v.n; i++)
		if (!u || root_cmp(&v.r[u - 1], &v.r[i]) != 0 || v.r[u - 1].obj != v.r[i].obj)
			v.r[u++] = v.r[i];
	g->roots = v.r;
	g->nroots = u;
	return CH_OK;
}
