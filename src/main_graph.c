/* main_graph.c - the object graph's commands of `clrheap`:
 *
 *   clrheap refs DUMP ADDR|--all
 *   clrheap referrers DUMP ADDR
 *   clrheap gcroot DUMP ADDR [--json]
 *   clrheap retained DUMP [ADDR|--all] [--no-stack-roots] [--no-static-roots]
 *
 * The graph takes a second or more on a big heap: progress goes to stderr
 * when it is a terminal. */
#include "main_graph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graph.h"
#include "jw.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct prog {
	double start;
	bool tty, shown;
};

static void progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct prog *p = arg;
	if (!p->tty || now() - p->start < 1.0)
		return;
	p->shown = true;
	if (total)
		fprintf(stderr, "\rclrheap: graph: %s %" PRIu64 "/%" PRIu64 "   ", phase, done, total);
	else
		fprintf(stderr, "\rclrheap: graph: %s          ", phase);
}

static const char *type_name(struct graph *g, struct clr *c, uint32_t i)
{
	const struct clr_type *t = clr_type_of(c, graph_mt(g, i), NULL);
	return t ? t->name : "<unknown type>";
}

static uint32_t find_obj(struct graph *g, struct heap *h, const char *arg, const char *path,
			 struct ch_err *err)
{
	char *end;
	uint64_t a = strtoull(arg, &end, 16);
	if (*end || end == arg) {
		ch_set_error(err, CH_EARG, "not an address: %s", arg);
		return GRAPH_NONE;
	}
	uint64_t obj, mt, size;
	uint32_t i = GRAPH_NONE;
	if (heap_object_at(h, a, &obj, &mt, &size))
		i = graph_find(g, obj);
	if (i == GRAPH_NONE)
		ch_set_error(err, CH_ENOTFOUND, "%s: no object at 0x%" PRIx64, path, a);
	return i;
}

static void print_gcroot(struct graph *g, struct clr *c, uint32_t i, bool json)
{
	/* the path, target first, then reversed */
	size_t cap = 64, n = 0, root = SIZE_MAX;
	uint32_t *p = malloc(cap * sizeof *p);
	for (uint32_t x = i; p && x != GRAPH_NONE;) {
		if (n == cap) {
			uint32_t *np = realloc(p, 2 * cap * sizeof *p);
			if (!np)
				break;
			p = np;
			cap *= 2;
		}
		p[n++] = x;
		x = graph_parent(g, x, &root);
	}
	size_t nroots;
	const struct graph_root *roots = graph_roots(g, &nroots);
	char name[512], field[512];
	struct jw w;
	if (json) {
		jw_init(&w);
		jw_obj_begin(&w);
	}
	if (!graph_live(g, i) || root >= nroots || !p) {
		if (json) {
			jw_key(&w, "unreachable"); jw_bool(&w, true);
			jw_obj_end(&w);
			puts(w.buf ? w.buf : "");
			jw_free(&w);
		} else {
			printf("0x%" PRIx64 " %s is unreachable from every root\n", graph_addr(g, i),
			       type_name(g, c, i));
		}
		free(p);
		return;
	}
	const struct graph_root *r = &roots[root];
	graph_root_name(g, r, name, sizeof name);
	if (json) {
		jw_key(&w, "root"); jw_obj_begin(&w);
		jw_key(&w, "kind"); jw_str(&w, graph_root_kind(r));
		jw_key(&w, "name"); jw_str(&w, name);
		jw_key(&w, "conservative"); jw_bool(&w, r->kind == GRAPH_ROOT_STACK);
		jw_obj_end(&w);
		jw_key(&w, "path"); jw_arr_begin(&w);
	} else {
		printf("%s %s\n", graph_root_kind(r), name);
	}
	for (size_t k = n; k-- > 0;) {
		bool via = k + 1 < n && graph_edge_name(g, p[k + 1], p[k], field, sizeof field);
		char addr[24];
		snprintf(addr, sizeof addr, "0x%" PRIx64, graph_addr(g, p[k]));
		if (json) {
			jw_obj_begin(&w);
			jw_key(&w, "addr"); jw_str(&w, addr);
			jw_key(&w, "type"); jw_str(&w, type_name(g, c, p[k]));
			if (via) {
				jw_key(&w, "field"); jw_str(&w, field);
			}
			jw_obj_end(&w);
		} else {
			printf("%s %s%s%s\n", addr, type_name(g, c, p[k]), via ? " " : "", via ? field : "");
		}
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		puts(w.buf ? w.buf : "");
		jw_free(&w);
	}
	free(p);
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

int main_graph(const struct main_graph_args *a, struct heap *h, struct ch_err *err)
{
	struct clr *c = heap_clr(h);
	struct prog pr = { now(), isatty(2) != 0, false };
	struct graph_opts o = { .no_stack_roots = a->no_stack_roots,
				.no_static_roots = a->no_static_roots, .progress = progress,
				.progress_arg = &pr };
	struct graph *g;
	if (graph_build(h, &o, &g, err) != CH_OK)
		return -1;
	if (pr.shown)
		fputs("\r\033[K", stderr);
	int rc = 0;
	uint32_t i = GRAPH_NONE;
	if (a->addr && (i = find_obj(g, h, a->addr, a->dump_path, err)) == GRAPH_NONE) {
		graph_close(g);
		return -1;
	}
	const char *cmd = a->cmd;
	if (strcmp(cmd, "refs") == 0 && a->all) {
		/* every edge, source then target: for comparing with another reader */
		for (uint32_t s = 0; s < graph_count(g); s++) {
			size_t n;
			const uint32_t *r = graph_refs(g, s, &n);
			for (size_t k = 0; k < n; k++)
				printf("%016" PRIx64 " %016" PRIx64 "\n", graph_addr(g, s), graph_addr(g, r[k]));
		}
	} else if (strcmp(cmd, "refs") == 0 || strcmp(cmd, "referrers") == 0) {
		bool refs = strcmp(cmd, "refs") == 0;
		size_t n;
		const uint32_t *r = refs ? graph_refs(g, i, &n) : graph_referrers(g, i, &n);
		char field[512];
		for (size_t k = 0; k < n; k++) {
			bool named = refs ? graph_edge_name(g, i, r[k], field, sizeof field)
					  : graph_edge_name(g, r[k], i, field, sizeof field);
			printf("0x%" PRIx64 "\t%s\t%s\n", graph_addr(g, r[k]), type_name(g, c, r[k]),
			       named ? field : "");
		}
	} else if (strcmp(cmd, "gcroot") == 0) {
		print_gcroot(g, c, i, a->json);
	} else if (a->addr) { /* retained ADDR */
		uint32_t d = graph_idom(g, i);
		printf("0x%" PRIx64 "\t%s\tsize %" PRIu64 "\tretained %" PRIu64 "\tdominator %s",
		       graph_addr(g, i), type_name(g, c, i), graph_size(g, i), graph_retained(g, i),
		       !graph_live(g, i) ? "none (unreachable)" : d == GRAPH_NONE ? "roots" : "");
		if (graph_live(g, i) && d != GRAPH_NONE)
			printf("0x%" PRIx64 " %s", graph_addr(g, d), type_name(g, c, d));
		putchar('\n');
	} else if (a->all) { /* retained --all: object, idom, retained, depth */
		uint64_t lo, lb;
		for (uint32_t k = 0; k < graph_count(g); k++) {
			if (!graph_live(g, k))
				continue;
			uint32_t d = graph_idom(g, k);
			printf("%016" PRIx64 "\t%016" PRIx64 "\t%" PRIu64 "\t%" PRIu32 "\n", graph_addr(g, k),
			       d == GRAPH_NONE ? 0 : graph_addr(g, d), graph_retained(g, k), graph_depth(g, k));
		}
		graph_live_totals(g, &lo, &lb);
		printf("total\t%" PRIu64 "\t%" PRIu64 "\n", lo, lb);
	} else { /* retained: per type, as retained.tsv */
		const struct heap_stat_row *rows;
		size_t n;
		if (heap_stat(h, &rows, &n, err) != CH_OK) {
			graph_close(g);
			return -1;
		}
		struct row *t = calloc(n ? n : 1, sizeof *t);
		for (size_t k = 0; t && k < n; k++)
			t[k] = (struct row){ rows[k].mt, rows[k].count, rows[k].bytes,
					     graph_type_retained(g, rows[k].mt) };
		if (t)
			qsort(t, n, sizeof *t, row_cmp);
		printf("mt\tcount\ttotal_size\tretained_size\ttype\n");
		for (size_t k = 0; t && k < n; k++) {
			const struct clr_type *ty = clr_type_of(c, t[k].mt, NULL);
			printf("%016" PRIx64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\n", t[k].mt, t[k].count,
			       t[k].bytes, t[k].ret, ty ? ty->name : "<unknown type>");
		}
		uint64_t lo, lb;
		graph_live_totals(g, &lo, &lb);
		printf("live\t%" PRIu64 "\t%" PRIu64 "\tdead\t%" PRIu64 "\n", lo, lb,
		       (uint64_t)graph_count(g) - lo);
		if (!t) {
			ch_set_error(err, CH_ENOMEM, "out of memory");
			rc = -1;
		}
		free(t);
	}
	graph_close(g);
	return rc;
}
