/* main_inspect.c - `clrheap inspect DUMP [NAME] [--limit N]`: the
 * inspections of insp.h as TSV; and `clrheap diff A B [--json]`: what each
 * type gained or lost from one dump to another, types matched by name
 * (MethodTables differ between processes). */
#include "main_inspect.h"

#include <stdio.h>

#include "as.h"
#include "dump.h"
#include "insp.h"

static void to_stdout(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

int main_inspect(struct heap *h, const char *name, size_t limit, struct ch_err *err)
{
	enum insp_kind only = INSP_COUNT;
	if (name && (only = insp_find(name)) == INSP_COUNT) {
		ch_set_error(err, CH_EARG, "no inspection named %s (try one of: "
			     "duplicate-strings empty-collections sparse-arrays finalizable "
			     "large-objects fragmentation)", name);
		return -1;
	}
	struct insp *x;
	if (insp_open(h, &x, err) != CH_OK)
		return -1;
	int rc = 0;
	for (unsigned k = 0; k < INSP_COUNT && rc == 0; k++) {
		if (name && k != only)
			continue;
		if (!name)
			printf("%s# %s.tsv\n", k ? "\n" : "", insp_name(k));
		if (insp_tsv(x, k, limit, to_stdout, stdout) != CH_OK) {
			ch_set_error(err, CH_EIO, "%s: %s", insp_name(k), insp_error(x));
			rc = -1;
		}
	}
	insp_close(x);
	return rc;
}

/* ---- diff ---- */

int main_diff(struct heap *a, const struct main_diff_args *o, struct ch_err *err)
{
	struct dump *d = NULL;
	struct as *as = NULL;
	struct clr *c = NULL;
	struct heap *hb = NULL;
	struct insp_diff *x = NULL;
	struct graph *ga = NULL, *gb = NULL;
	int rc = -1;
	if (dump_open(o->path_b, &d, err) != CH_OK || as_open(d, &as, err) != CH_OK ||
	    clr_open(as, &c, err) != CH_OK || heap_open(c, &hb, err) != CH_OK ||
	    insp_diff_open(a, hb, &x, err) != CH_OK)
		goto out;
	if (o->retained) {
		if (graph_build(a, &o->graph, &ga, err) != CH_OK ||
		    graph_build(hb, &o->graph, &gb, err) != CH_OK)
			goto out;
		insp_diff_graphs(x, ga, gb);
	}
	enum ch_status st = o->paths ? insp_diff_paths(x, o->json, to_stdout, stdout)
		: o->json ? insp_diff_json(x, to_stdout, stdout)
			  : insp_diff_tsv(x, to_stdout, stdout);
	if (st != CH_OK) {
		ch_set_error(err, st, "%s", insp_diff_error(x));
		goto out;
	}
	rc = 0;
out:
	insp_diff_close(x);
	graph_close(gb);
	graph_close(ga);
	heap_close(hb);
	clr_close(c);
	as_close(as);
	dump_close(d);
	return rc;
}
