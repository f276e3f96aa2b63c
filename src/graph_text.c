/* graph_text.c - the graph's answers as text and JSON, for clrheap and the
 * mount alike: a root path (gcroot) and the per-type retained table. */
#include "graph_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"

const char *graph_type_name(const struct graph *g, uint32_t i)
{
	const struct clr_type *t = clr_type_of(g->c, graph_mt(g, i), NULL);
	return t ? t->name : "<unknown type>";
}

static void outf(graph_out_fn out, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void outf(graph_out_fn out, void *arg, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		out(arg, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void outs(graph_out_fn out, void *arg, const char *s)
{
	out(arg, s, strlen(s));
}

enum ch_status graph_gcroot(const struct graph *g, uint32_t i, bool json, graph_out_fn out,
			    void *arg)
{
	/* the path from i up to its root, then written root first */
	size_t cap = 64, n = 0, root = SIZE_MAX;
	uint32_t *p = malloc(cap * sizeof *p);
	for (uint32_t x = i; p && x != GRAPH_NONE && n <= g->n;) {
		if (n == cap) {
			uint32_t *np = realloc(p, 2 * cap * sizeof *p);
			if (!np) {
				free(p);
				return CH_ENOMEM;
			}
			p = np;
			cap *= 2;
		}
		p[n++] = x;
		x = graph_parent(g, x, &root);
	}
	if (!p)
		return CH_ENOMEM;
	char name[512], field[512], addr[24];
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	if (!graph_live(g, i) || root >= g->nroots) {
		if (json) {
			jw_key(&w, "unreachable"); jw_bool(&w, true);
			jw_obj_end(&w);
			out(arg, w.buf, w.len);
			out(arg, "\n", 1);
		} else {
			outf(out, arg, "0x%" PRIx64 " ", graph_addr(g, i));
			outs(out, arg, graph_type_name(g, i));
			outs(out, arg, " is unreachable from every root\n");
		}
		jw_free(&w);
		free(p);
		return CH_OK;
	}
	const struct graph_root *r = &g->roots[root];
	graph_root_name(g, r, name, sizeof name);
	if (json) {
		jw_key(&w, "root"); jw_obj_begin(&w);
		jw_key(&w, "kind"); jw_str(&w, graph_root_kind(r));
		jw_key(&w, "name"); jw_str(&w, name);
		jw_key(&w, "conservative"); jw_bool(&w, r->kind == GRAPH_ROOT_STACK);
		jw_obj_end(&w);
		jw_key(&w, "path"); jw_arr_begin(&w);
	} else {
		outs(out, arg, graph_root_kind(r));
		outs(out, arg, " ");
		outs(out, arg, name);
		outs(out, arg, "\n");
	}
	for (size_t k = n; k-- > 0;) {
		bool via = k + 1 < n && graph_edge_name(g, p[k + 1], p[k], field, sizeof field);
		snprintf(addr, sizeof addr, "0x%" PRIx64, graph_addr(g, p[k]));
		if (json) {
			jw_obj_begin(&w);
			jw_key(&w, "addr"); jw_str(&w, addr);
			jw_key(&w, "type"); jw_str(&w, graph_type_name(g, p[k]));
			if (via) {
				jw_key(&w, "field"); jw_str(&w, field);
			}
			jw_obj_end(&w);
		} else {
			outs(out, arg, addr);
			outs(out, arg, " ");
			outs(out, arg, graph_type_name(g, p[k]));
			if (via) {
				outs(out, arg, " ");
				outs(out, arg, field);
			}
			outs(out, arg, "\n");
		}
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		out(arg, w.buf, w.len);
		out(arg, "\n", 1);
	}
	jw_free(&w);
	free(p);
	return CH_OK;
}

struct row {
	uint64_t mt, count, bytes, ret;
};

/* by retained size, largest first, then by mt */
static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	if (a->ret != b->ret)
		return a->ret > b->ret ? -1 : 1;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

enum ch_status graph_retained_tsv(const struct graph *g, graph_out_fn out, void *arg)
{
	const struct heap_stat_row *rows;
	size_t n;
	struct ch_err err = { 0 };
	if (heap_stat(g->h, &rows, &n, &err) != CH_OK)
		return err.status;
	struct row *t = calloc(n ? n : 1, sizeof *t);
	if (!t)
		return CH_ENOMEM;
	for (size_t k = 0; k < n; k++)
		t[k] = (struct row){ rows[k].mt, rows[k].count, rows[k].bytes,
				     graph_type_retained(g, rows[k].mt) };
	qsort(t, n, sizeof *t, row_cmp);
	outf(out, arg, "mt\tcount\ttotal_size\tretained_size\ttype\n");
	for (size_t k = 0; k < n; k++) {
		const struct clr_type *ty = clr_type_of(g->c, t[k].mt, NULL);
		outf(out, arg, "%016" PRIx64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t", t[k].mt,
		     t[k].count, t[k].bytes, t[k].ret);
		outs(out, arg, ty ? ty->name : "<unknown type>");
		outs(out, arg, "\n");
	}
	free(t);
	return CH_OK;
}
