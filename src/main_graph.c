/* main_graph.c - the object graph's commands of `clrheap`:
 *
 *   clrheap refs DUMP ADDR|--all
 *   clrheap referrers DUMP ADDR
 *   clrheap gcroot DUMP ADDR [--json]
 *   clrheap retained DUMP [ADDR|--all] [--no-stack-roots] [--no-static-roots]
 *
 * The graph takes a second or more on a big heap: its progress goes to
 * a->prog (main_prog.h). */
#include "main_graph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

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

static void to_stdout(void *arg, const char *p, size_t n)
{
	(void)arg;
	fwrite(p, 1, n, stdout);
}

int main_graph(const struct main_graph_args *a, struct heap *h, struct ch_err *err)
{
	struct graph_opts o = { .no_stack_roots = a->no_stack_roots,
				.no_static_roots = a->no_static_roots,
				.progress = a->prog ? prog_graph : NULL, .progress_arg = a->prog };
	struct graph *g;
	if (graph_build(h, &o, &g, err) != CH_OK)
		return -1;
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
			printf("0x%" PRIx64 "\t%s\t%s\n", graph_addr(g, r[k]), graph_type_name(g, r[k]),
			       named ? field : "");
		}
	} else if (strcmp(cmd, "gcroot") == 0) {
		graph_gcroot(g, i, a->json, to_stdout, NULL);
	} else if (a->addr) { /* retained ADDR */
		uint32_t d = graph_idom(g, i);
		printf("0x%" PRIx64 "\t%s\tsize %" PRIu64 "\tretained %" PRIu64 "\tdominator %s",
		       graph_addr(g, i), graph_type_name(g, i), graph_size(g, i), graph_retained(g, i),
		       !graph_live(g, i) ? "none (unreachable)" : d == GRAPH_NONE ? "roots" : "");
		if (graph_live(g, i) && d != GRAPH_NONE)
			printf("0x%" PRIx64 " %s", graph_addr(g, d), graph_type_name(g, d));
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
	} else if (graph_retained_tsv(g, to_stdout, NULL) != CH_OK) { /* per type */
		ch_set_error(err, CH_ENOMEM, "out of memory");
		rc = -1;
	} else {
		uint64_t lo, lb;
		graph_live_totals(g, &lo, &lb);
		printf("live\t%" PRIu64 "\t%" PRIu64 "\tdead\t%" PRIu64 "\n", lo, lb,
		       (uint64_t)graph_count(g) - lo);
	}
	graph_close(g);
	return rc;
}
