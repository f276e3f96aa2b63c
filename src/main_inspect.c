/* main_inspect.c - `clrheap inspect DUMP [NAME] [--limit N]`: the
 * inspections of insp.h as TSV; and `clrheap diff A B [--json]`: what each
 * type gained or lost from one dump to another, types matched by name
 * (MethodTables differ between processes). */
#include "main_inspect.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "as.h"
#include "dump.h"
#include "insp.h"
#include "main_prog.h"

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

struct build_job {
	struct heap *h;
	const struct graph_opts *o;
	struct graph *g;
	struct ch_err err;
	enum ch_status st;
};

static void *build_one(void *arg)
{
	struct build_job *j = arg;
	j->st = graph_build(j->h, j->o, &j->g, &j->err);
	return NULL;
}

/* The two dumps share nothing, so their graphs are built side by side:
 * most of a build is one thread's work. */
static enum ch_status build_both(struct heap *a, struct heap *b, const char *path_b,
				 const struct graph_opts *o, struct graph **ga, struct graph **gb,
				 struct ch_err *err)
{
	struct build_job jb = { .h = b, .o = o };
	pthread_t t;
	bool threaded = pthread_create(&t, NULL, build_one, &jb) == 0;
	if (!threaded)
		build_one(&jb);
	enum ch_status st = graph_build(a, o, ga, err);
	if (threaded)
		pthread_join(t, NULL);
	*gb = jb.g;
	if (st == CH_OK && jb.st != CH_OK)
		st = ch_set_error(err, jb.st, "%s: %s", path_b, jb.err.msg);
	return st;
}

int main_diff(struct heap *a, const struct main_diff_args *o, struct ch_err *err)
{
	struct dump *d = NULL;
	struct as *as = NULL;
	struct clr *c = NULL;
	struct heap *hb = NULL;
	struct insp_diff *x = NULL;
	struct graph *ga = NULL, *gb = NULL;
	struct prog *pb = NULL;
	int rc = -1;
	if (dump_open(o->path_b, &d, err) != CH_OK || as_open(d, &as, err) != CH_OK ||
	    clr_open(as, &c, err) != CH_OK || heap_open(c, &hb, err) != CH_OK)
		goto out;
	if ((pb = prog_open(o->progress)))
		heap_set_progress(hb, prog_heap, pb);
	if (insp_diff_open(a, hb, &x, err) != CH_OK)
		goto out;
	if (o->retained) {
		if (build_both(a, hb, o->path_b, &o->graph, &ga, &gb, err) != CH_OK)
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
	prog_close(pb);
	clr_close(c);
	as_close(as);
	dump_close(d);
	return rc;
}
