/* main_inspect.h - clrheap's inspect and diff commands (main_inspect.c). */
#ifndef CLRHEAP_MAIN_INSPECT_H
#define CLRHEAP_MAIN_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "graph.h"
#include "heap.h"

/* Prints inspection name (NULL: every one, each after a "# NAME.tsv"
 * line and a blank line between them) of h to stdout, at most limit rows
 * each (0: all). Returns 0, or -1 with a message in err. */
int main_inspect(struct heap *h, const char *name, size_t limit, struct ch_err *err);

struct main_diff_args {
	const char *path_b;
	bool json;
	bool paths;    /* the root paths' table instead of the types' */
	bool retained; /* build both graphs: retained bytes (and paths) */
	struct graph_opts graph;
	bool progress; /* --progress: of the second dump's heap walks too */
};

/* Prints the per-type change from heap a to the heap of the dump at
 * x->path_b (or the root paths that gained the most): a table, or with
 * json one JSON document, sorted by growth. Returns 0, or -1 with a
 * message in err. */
int main_diff(struct heap *a, const struct main_diff_args *x, struct ch_err *err);

#endif
