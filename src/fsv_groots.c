/* fsv_groots.c - the graph's roots that are not GC handles: roots/statics/
 * (<Type>/<field>, a thread static as <field>@<osid>) and roots/stack/
 * (<osid>/<addr>, each object a thread's stack holds once, found by the
 * conservative scan). Both need the graph, built on their first lookup or
 * listing. Entries are links to ../../../objects/<addr>; a link's inode
 * payload is its root's index in graph_roots. */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_static(const struct graph_root *r)
{
	return r->kind == GRAPH_ROOT_STATIC || r->kind == GRAPH_ROOT_THREAD_STATIC;
}

/* Sorted, each once: the MethodTables holding static roots, the OS ids of
 * the threads with stack roots. Called with graph_lock held, once. */
void fsvr_index(struct fsv *v, const struct graph *g)
{
	size_t n;
	const struct graph_root *r = graph_roots(g, &n);
	uint64_t *mts = malloc((n ? n : 1) * sizeof *mts), *tids = malloc((n ? n : 1) * sizeof *tids);
	size_t nm = 0, nt = 0;
	for (size_t i = 0; mts && tids && i < n; i++) {
		if (is_static(&r[i]))
			mts[nm++] = r[i].mt;
		else if (r[i].kind == GRAPH_ROOT_STACK)
			tids[nt++] = r[i].aux;
	}
	if (!mts || !tids)
		nm = nt = 0;
	qsort(mts, nm, sizeof *mts, fsv_u64_cmp);
	qsort(tids, nt, sizeof *tids, fsv_u64_cmp);
	size_t um = 0, ut = 0;
	for (size_t i = 0; i < nm; i++)
		if (!um || mts[um - 1] != mts[i])
			mts[um++] = mts[i];
	for (size_t i = 0; i < nt; i++)
		if (!ut || tids[ut - 1] != tids[i])
			tids[ut++] = tids[i];
	v->root_mts = mts;
	v->nroot_mts = um;
	v->stack_tids = tids;
	v->nstack_tids = ut;
}

static bool has_u64(const uint64_t *s, size_t n, uint64_t x)
{
	return s && bsearch(&x, s, n, sizeof *s, fsv_u64_cmp);
}

/* The entry name of static root r under roots/statics/<Type>/. */
static bool static_name(struct fsv *v, const struct graph_root *r, char *buf, size_t size)
{
	const struct clr_type *t = clr_type_of(v->c, r->mt, NULL);
	const struct fsv_tview *tv = t ? fsv_view(v, t) : NULL;
	if (!tv || r->field >= tv->nf)
		return false;
	const char *f = tv->name[r->field] ? tv->name[r->field] : tv->f[r->field].name;
	int k = r->kind == GRAPH_ROOT_THREAD_STATIC ? snprintf(buf, size, "%s@%" PRIu32, f ? f : "?", r->aux)
						    : snprintf(buf, size, "%s", f ? f : "?");
	return k > 0 && (size_t)k < size;
}

int fsvr_node(struct fsv *v, struct fsv_node *n)
{
	struct graph *g = fsv_graph(v);
	if (!g)
		return -EIO;
	size_t nr;
	const struct graph_root *r = graph_roots(g, &nr);
	switch (n->kind) {
	case FK_RSTAT_TYPE:
		if (fsv_types(v) != CH_OK)
			return -EIO;
		if (n->pl >= v->ntypes || !has_u64(v->root_mts, v->nroot_mts, v->types[n->pl].mt))
			return -ENOENT;
		n->te = &v->types[n->pl];
		n->mt = n->te->mt;
		n->t = n->te->t;
		return 0;
	case FK_RSTACK_THREAD:
		return has_u64(v->stack_tids, v->nstack_tids, n->pl) ? 0 : -ENOENT;
	case FK_ROOT_GLINK:
		if (n->pl >= nr || (!is_static(&r[n->pl]) && r[n->pl].kind != GRAPH_ROOT_STACK))
			return -ENOENT;
		n->target = graph_addr(g, r[n->pl].obj);
		return 0;
	default:
		return -ENOENT;
	}
}

/* A thread's stack roots, one per object, in address order: root indexes
 * into *out (malloc'd). */
static size_t stack_of(const struct graph *g, uint64_t osid, uint64_t **out)
{
	size_t nr, k = 0;
	const struct graph_root *r = graph_roots(g, &nr);
	uint64_t *p = malloc((nr ? nr : 1) * sizeof *p);
	for (size_t i = 0; p && i < nr; i++)
		if (r[i].kind == GRAPH_ROOT_STACK && r[i].aux == osid)
			p[k++] = (uint64_t)r[i].obj << 32 | i;
	if (!p)
		return *out = NULL, 0;
	qsort(p, k, sizeof *p, fsv_u64_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || p[u - 1] >> 32 != p[i] >> 32)
			p[u++] = p[i];
	for (size_t i = 0; i < u; i++)
		p[i] &= UINT32_MAX;
	*out = p;
	return u;
}

int fsvr_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino)
{
	struct graph *g = fsv_graph(v);
	if (!g)
		return -EIO;
	size_t nr;
	const struct graph_root *r = graph_roots(g, &nr);
	char buf[FSV_NAME_MAX + 1];
	switch (dir->kind) {
	case FK_ROOTS_STATICS:
		if (fsv_types(v) != CH_OK)
			return -EIO;
		for (size_t i = 0; i < v->ntypes; i++)
			if (strcmp(v->types[i].dir, name) == 0 &&
			    has_u64(v->root_mts, v->nroot_mts, v->types[i].mt)) {
				*ino = fsv_ino(FK_RSTAT_TYPE, i);
				return 0;
			}
		return -ENOENT;
	case FK_RSTAT_TYPE:
		for (size_t i = 0; i < nr; i++)
			if (is_static(&r[i]) && r[i].mt == dir->mt &&
			    static_name(v, &r[i], buf, sizeof buf) && strcmp(buf, name) == 0) {
				*ino = fsv_ino(FK_ROOT_GLINK, i);
				return 0;
			}
		return -ENOENT;
	case FK_ROOTS_STACK: {
		uint64_t osid;
		if (!fsv_parse_index(name, UINT32_MAX + UINT64_C(1), &osid) ||
		    !has_u64(v->stack_tids, v->nstack_tids, osid))
			return -ENOENT;
		*ino = fsv_ino(FK_RSTACK_THREAD, osid);
		return 0;
	}
	case FK_RSTACK_THREAD: {
		uint64_t addr;
		bool canon;
		if (!fsv_parse_addr(name, v->hexw, &addr, &canon) || !canon)
			return -ENOENT;
		uint32_t want = graph_find(g, addr);
		for (size_t i = 0; want != GRAPH_NONE && i < nr; i++)
			if (r[i].kind == GRAPH_ROOT_STACK && r[i].aux == dir->pl && r[i].obj == want) {
				*ino = fsv_ino(FK_ROOT_GLINK, i);
				return 0;
			}
		return -ENOENT;
	}
	default:
		return -ENOTDIR;
	}
}

int fsvr_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg)
{
	struct graph *g = fsv_graph(v);
	if (!g)
		return -EIO;
	size_t nr;
	const struct graph_root *r = graph_roots(g, &nr);
	char buf[FSV_NAME_MAX + 1];
	switch (dir->kind) {
	case FK_ROOTS_STATICS:
		if (fsv_types(v) != CH_OK)
			return -EIO;
		for (uint64_t i = pos; i < v->ntypes; i++)
			if (has_u64(v->root_mts, v->nroot_mts, v->types[i].mt) &&
			    !fn(arg, v->types[i].dir, fsv_ino(FK_RSTAT_TYPE, i), S_IFDIR, i + 3))
				return 0;
		return 0;
	case FK_RSTAT_TYPE:
		for (uint64_t i = pos; i < nr; i++)
			if (is_static(&r[i]) && r[i].mt == dir->mt &&
			    static_name(v, &r[i], buf, sizeof buf) &&
			    !fn(arg, buf, fsv_ino(FK_ROOT_GLINK, i), S_IFLNK, i + 3))
				return 0;
		return 0;
	case FK_ROOTS_STACK:
		for (uint64_t i = pos; i < v->nstack_tids; i++) {
			snprintf(buf, sizeof buf, "%" PRIu64, v->stack_tids[i]);
			if (!fn(arg, buf, fsv_ino(FK_RSTACK_THREAD, v->stack_tids[i]), S_IFDIR, i + 3))
				return 0;
		}
		return 0;
	case FK_RSTACK_THREAD: {
		uint64_t *idx;
		size_t n = stack_of(g, dir->pl, &idx);
		if (!idx)
			return -ENOMEM;
		for (uint64_t i = pos; i < n; i++) {
			fsv_fmt_addr(v, graph_addr(g, r[idx[i]].obj), buf);
			if (!fn(arg, buf, fsv_ino(FK_ROOT_GLINK, idx[i]), S_IFLNK, i + 3))
				break;
		}
		free(idx);
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}
