/* test_insp.c - the inspections of insp.h on the waste fixture (the app
 * fixtures/apps/waste, its truth in waste-1.truth.json): the duplicate
 * strings it made (their counts, sizes, holder types, the long one cut),
 * its empty collections, its sparse Waste.Slot[], its finalizable objects,
 * its LOH and POH arrays with their roots, one fragmentation row per
 * segment; every table's header and order; the names and an unknown kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "graph.h"
#include "insp.h"

struct out {
	char *p;
	size_t n, cap;
};

static void put(void *arg, const char *p, size_t n)
{
	struct out *o = arg;
	if (o->n + n + 1 > o->cap) {
		size_t nc = (o->n + n + 1) * 2;
		char *np = realloc(o->p, nc);
		assert_non_null(np);
		o->p = np;
		o->cap = nc;
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
	o->p[o->n] = '\0';
}

/* Inspection k of x as text (free it), or fails the test. */
static char *run(struct insp *x, enum insp_kind k, size_t limit)
{
	struct out o = { 0 };
	put(&o, "", 0);
	if (insp_tsv(x, k, limit, put, &o) != CH_OK)
		fail_msg("%s: %s", insp_name(k), insp_error(x));
	return o.p;
}

/* The row of text whose first column is key, copied into buf, or NULL. */
static const char *row(const char *text, const char *key, char *buf, size_t size)
{
	size_t kn = strlen(key);
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n > kn && strncmp(l, key, kn) == 0 && l[kn] == '\t') {
			snprintf(buf, size, "%.*s", (int)n, l);
			return buf;
		}
		l += n + (e != NULL);
	}
	return NULL;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Column c (1-based) of each row after the header descends, as numbers. */
static void assert_descending(const char *text, unsigned c)
{
	const char *l = strchr(text, '\n');
	assert_non_null(l);
	double prev = -1;
	for (l++; *l; l = strchr(l, '\n') + 1) {
		const char *f = l;
		for (unsigned i = 1; i < c; i++)
			f = strchr(f, '\t') + 1;
		double v = strtod(f, NULL);
		if (prev >= 0)
			assert_true(v <= prev);
		prev = v;
	}
}

struct st {
	struct fx f;
	struct insp *x;
};

static int setup(void **state)
{
	struct st *s = calloc(1, sizeof *s);
	assert_non_null(s);
	fx_open(&s->f, "waste-1.heap.dmp");
	assert_int_equal(insp_open(s->f.h, &s->x, &s->f.err), CH_OK);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct st *s = *state;
	insp_close(s->x);
	fx_close(&s->f);
	free(s);
	return 0;
}

static void test_names(void **state)
{
	(void)state;
	for (unsigned k = 0; k < INSP_COUNT; k++) {
		const char *n = insp_name((enum insp_kind)k);
		assert_non_null(n);
		assert_int_equal(insp_find(n), k);
		char tsv[64];
		snprintf(tsv, sizeof tsv, "%s.tsv", n);
		assert_int_equal(insp_find(tsv), k);
	}
	assert_string_equal(insp_name(INSP_DUP_STRINGS), "duplicate-strings");
	assert_string_equal(insp_name(INSP_FRAGMENTATION), "fragmentation");
	assert_null(insp_name(INSP_COUNT));
	assert_int_equal(insp_find("duplicate"), INSP_COUNT);
	assert_int_equal(insp_find("duplicate-strings.tsv.tsv"), INSP_COUNT);
	assert_int_equal(insp_find(".tsv"), INSP_COUNT);
	assert_int_equal(insp_find(""), INSP_COUNT);
}

static void test_unknown_kind(void **state)
{
	struct st *s = *state;
	struct out o = { 0 };
	assert_int_equal(insp_tsv(s->x, INSP_COUNT, 0, put, &o), CH_EARG);
	assert_int_equal(o.n, 0);
	assert_string_equal(insp_error(s->x), "no such inspection");
	assert_int_equal(insp_tsv(s->x, (enum insp_kind)-1, 0, put, &o), CH_EARG);
	/* the next good call clears the message */
	free(run(s->x, INSP_FINALIZABLE, 1));
	assert_string_equal(insp_error(s->x), "");
}

static void test_dup_strings(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_DUP_STRINGS, 0), b[1024];
	assert_true(starts(t, "value\tcount\tsize\twasted\tholders\n"));
	/* "dup-A": 5 units, 22 + 10 bytes, 999 of 1000 wasted, each in a Tag */
	assert_non_null(row(t, "dup-A", b, sizeof b));
	assert_string_equal(b, "dup-A\t1000\t32\t31968\tWaste.Tag (1000)");
	assert_non_null(row(t, "dup-B", b, sizeof b));
	assert_string_equal(b, "dup-B\t500\t32\t15968\tSystem.String[] (500)");
	/* 300 units, shown as its first 200 and "..." */
	char longv[256] = "dup-";
	memset(longv + 4, 'L', 196);
	strcpy(longv + 200, "...");
	assert_non_null(row(t, longv, b, sizeof b));
	assert_string_equal(b + strlen(longv), "\t20\t622\t11818\tWaste.Tag (20)");
	/* the three are the most wasteful, in that order */
	assert_true(starts(strchr(t, '\n') + 1, "dup-A\t"));
	assert_descending(t, 4);
	free(t);
	t = run(s->x, INSP_DUP_STRINGS, 2);
	assert_int_equal(lines(t), 3);
	free(t);
}

static void test_dup_strings_shared_graph(void **state)
{
	struct st *s = *state;
	char *alone = run(s->x, INSP_DUP_STRINGS, 0);
	struct graph_opts o = { 0 };
	struct graph *g;
	assert_int_equal(graph_build(s->f.h, &o, &g, &s->f.err), CH_OK);
	struct insp *x;
	assert_int_equal(insp_open(s->f.h, &x, &s->f.err), CH_OK);
	insp_set_graph(x, g);
	char *shared = run(x, INSP_DUP_STRINGS, 0), *large = run(x, INSP_LARGE_OBJECTS, 0);
	assert_string_equal(alone, shared);
	char *large_alone = run(s->x, INSP_LARGE_OBJECTS, 0);
	assert_string_equal(large, large_alone);
	insp_close(x); /* the graph is lent: still usable after */
	assert_true(graph_count(g) > 0);
	graph_close(g);
	free(alone);
	free(shared);
	free(large);
	free(large_alone);
}

static void test_empty_colls(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_EMPTY_COLLS, 0), b[512];
	assert_true(starts(t, "type\tcount\tbytes\n"));
	/* 100 made empty and 4 emptied after use; the 7 full lists are not */
	assert_non_null(row(t, "System.Collections.Generic.List<Waste.Item>", b, sizeof b));
	assert_int_equal(strtoul(strchr(b, '\t') + 1, NULL, 10), 104);
	assert_non_null(row(t, "System.Collections.Generic.Dictionary<Waste.Key, Waste.Item>", b, sizeof b));
	assert_int_equal(strtoul(strchr(b, '\t') + 1, NULL, 10), 54);
	assert_non_null(row(t, "System.Collections.Concurrent.ConcurrentQueue<Waste.Item>", b, sizeof b));
	assert_int_equal(strtoul(strchr(b, '\t') + 1, NULL, 10), 5);
	assert_non_null(row(t, "System.Collections.Generic.SortedDictionary<Waste.Key, Waste.Item>", b, sizeof b));
	assert_int_equal(strtoul(strchr(b, '\t') + 1, NULL, 10), 5);
	/* a type nested in a collection is no collection */
	assert_null(strstr(t, "+Entry"));
	assert_descending(t, 3);
	free(t);
}

static void test_sparse_arrays(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_SPARSE_ARRAYS, 0), b[512];
	assert_true(starts(t, "type\tcount\tlength\tnulls\tfill\tnull_bytes\n"));
	/* 40 of 100 slots with 10 set; the full ones and the Slot[4] are not */
	assert_non_null(row(t, "Waste.Slot[]", b, sizeof b));
	assert_string_equal(b, "Waste.Slot[]\t40\t4000\t3600\t0.100\t28800");
	assert_descending(t, 6);
	free(t);
}

static void test_finalizable(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_FINALIZABLE, 0), b[512];
	assert_true(starts(t, "type\tcount\tbytes\tready\tqueued\n"));
	assert_non_null(row(t, "Waste.Finalizable", b, sizeof b));
	assert_string_equal(b, "Waste.Finalizable\t25\t600\t0\t25");
	assert_true(starts(strchr(t, '\n') + 1, "Waste.Finalizable\t"));
	assert_null(row(t, "Waste.Item", b, sizeof b));
	assert_descending(t, 3);
	free(t);
}

static void test_large_objects(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_LARGE_OBJECTS, 0);
	assert_true(starts(t, "addr\tsize\theap\ttype\troot\tfirst\n"));
	unsigned big = 0, pinned = 0;
	for (const char *l = strchr(t, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		if (strstr(l, "\t100024\tloh\tSystem.Byte[]\tstatic Waste.Program.Big\t") ==
		    strchr(l, '\t'))
			big++;
		if (strstr(l, "\t1024\tpoh\tSystem.Byte[]\tstatic Waste.Program.Pinned\t") ==
		    strchr(l, '\t'))
			pinned++;
	}
	assert_int_equal(big, 2);
	assert_int_equal(pinned, 1);
	assert_descending(t, 2);
	free(t);
}

static void test_fragmentation(void **state)
{
	struct st *s = *state;
	char *t = run(s->x, INSP_FRAGMENTATION, 0);
	assert_true(starts(t, "segment\theap\tgen\tbytes\tfree\tfree_ratio\tlarge_gaps\t"
			    "pinned_large_gaps\tlargest_gap\tgap_addr\tpinned_next_to_gap\n"));
	size_t nseg;
	const struct heap_seg *segs = heap_segments(s->f.h, &nseg);
	assert_non_null(segs);
	assert_int_equal(lines(t), 1 + nseg);
	unsigned poh = 0, loh = 0;
	for (const char *l = strchr(t, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		unsigned long long seg, bytes, fr;
		unsigned heap;
		char gen[16];
		assert_int_equal(sscanf(l, "%llx\t%u\t%15s\t%llu\t%llu", &seg, &heap, gen, &bytes, &fr), 5);
		assert_true(fr <= bytes);
		poh += strcmp(gen, "poh") == 0;
		loh += strcmp(gen, "loh") == 0;
	}
	assert_int_equal(poh, 1);
	assert_int_equal(loh, 1);
	assert_descending(t, 5);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_unknown_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_strings_shared_graph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_colls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalizable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmentation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
