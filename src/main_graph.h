/* main_graph.h - clrheap's graph commands (main_graph.c). */
#ifndef CLRHEAP_MAIN_GRAPH_H
#define CLRHEAP_MAIN_GRAPH_H

#include <stdbool.h>

#include "err.h"
#include "heap.h"
#include "main_prog.h"

struct main_graph_args {
	const char *cmd;       /* refs, referrers, gcroot, retained */
	const char *dump_path;
	const char *addr;      /* NULL: none given */
	bool all, json, no_stack_roots, no_static_roots;
	struct prog *prog;     /* NULL: no progress shown (main_prog.h) */
};

/* Runs a graph command on h; 0, or -1 with a message in err. */
int main_graph(const struct main_graph_args *a, struct heap *h, struct ch_err *err);

#endif
