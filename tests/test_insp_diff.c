/* test_insp_diff.c - the diff of two heaps (insp.h): a heap against itself
 * changes nothing; on a pair of dumps every type's counts and bytes are the
 * per-name sums of each heap's stat, the TSV is sorted by growth and ends
 * in the total, the JSON holds the same rows; the waste app's two dumps
 * show the 500 leaked listeners; with the graphs, each row's retained
 * bytes are its MethodTables' and the listeners' root path gained them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clr_fixture.h"
#include "graph.h"
#include "insp.h"

struct sbuf {
	char *p;
	size_t len, cap;
};

static void put(void *arg, const char *p, size_t n)
{
	struct sbuf *b = arg;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The count and bytes of the instances of types named name in f's heap. */
static void stat_of(struct fx *f, const char *name, uint64_t *count, uint64_t *bytes)
{
	const struct heap_stat_row *rows;
	size_t n;
	assert_int_equal(heap_stat(f->h, &rows, &n, &f->err), CH_OK);
	*count = *bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(f->c, rows[i].mt, NULL);
		if (t && t->name && strcmp(t->name, name) == 0) {
			*count += rows[i].count;
			*bytes += rows[i].bytes;
		}
	}
}

static void test_self(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "graph.heap.dmp");
	struct insp_diff *d;
	assert_int_equal(insp_diff_open(f.h, f.h, &d, &f.err), CH_OK);
	struct sbuf b = { 0 };
	assert_int_equal(insp_diff_tsv(d, put, &b), CH_OK);
	assert_int_equal(lines(b.p), 2); /* the header and the total */
	assert_true(strncmp(b.p, "count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype\n",
			    68) == 0);
	assert_true(strncmp(strchr(b.p, '\n') + 1, "+0\t+0\t", 6) == 0);
	assert_non_null(strstr(b.p, "\t\t(total)\n"));
	struct insp_diff_row r;
	assert_int_equal(insp_diff_type(d, "System.String", &r), CH_OK);
	assert_true(r.count_a > 0 && r.count_a == r.count_b && r.bytes_a == r.bytes_b);
	assert_string_equal(insp_diff_change(&r), "");
	assert_int_equal(insp_diff_type(d, "No.Such.Type", &r), CH_ENOTFOUND);
	b.len = 0;
	assert_int_equal(insp_diff_type_json(d, "No.Such.Type", put, &b), CH_OK);
	assert_string_equal(b.p, "{\"type\":\"No.Such.Type\",\"count_a\":0,\"count_b\":0,\"count_delta\":0,"
				 "\"bytes_a\":0,\"bytes_b\":0,\"bytes_delta\":0,\"change\":\"\"}\n");
	b.len = 0;
	assert_int_equal(insp_diff_json(d, put, &b), CH_OK);
	json_error_t je;
	json_t *j = json_loads(b.p, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "types")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "total"),
							    "bytes_delta")), 0);
	json_decref(j);
	assert_string_equal(insp_diff_error(d), "");
	b.len = 0;
	assert_int_equal(insp_diff_paths(d, false, put, &b), CH_EUNSUPPORTED); /* no graphs */
	assert_int_equal(b.len, 0);
	assert_non_null(strstr(insp_diff_error(d), "graphs"));
	assert_int_equal(insp_diff_tsv(d, put, &b), CH_OK); /* the rows are still there */
	free(b.p);
	insp_diff_close(d);
	fx_close(&f);
}

/* a -> b: the rows against each heap's stat, the order, the total, JSON. */
static void check_pair(const char *name_a, const char *name_b)
{
	struct fx fa, fb;
	fx_open(&fa, name_a);
	fx_open(&fb, name_b);
	struct insp_diff *d;
	assert_int_equal(insp_diff_open(fa.h, fb.h, &d, &fa.err), CH_OK);
	struct sbuf b = { 0 };
	assert_int_equal(insp_diff_tsv(d, put, &b), CH_OK);
	size_t n = lines(b.p);
	assert_true(n > 2);
	char *save, *line = strtok_r(strchr(b.p, '\n') + 1, "\n", &save);
	int64_t last = INT64_MAX, sc = 0, sb = 0;
	size_t rows = 0;
	for (; line; line = strtok_r(NULL, "\n", &save)) {
		int64_t dc, db;
		uint64_t ca, cb, ba, bb;
		int off = 0;
		assert_int_equal(sscanf(line, "%" SCNd64 "\t%" SCNd64 "\t%" SCNu64 "\t%" SCNu64 "\t%" SCNu64
					"\t%" SCNu64 "%n", &dc, &db, &ca, &cb, &ba, &bb, &off), 6);
		assert_int_equal(line[off], '\t');
		const char *change = line + off + 1, *type = strchr(change, '\t');
		assert_non_null(type);
		type++;
		if (strcmp(type, "(total)") == 0) {
			assert_null(strtok_r(NULL, "\n", &save)); /* the last line */
			assert_int_equal(dc, sc);
			assert_int_equal(db, sb);
			const struct heap_stat_row *r;
			size_t nr;
			uint64_t ta = 0, tb = 0;
			assert_int_equal(heap_stat(fa.h, &r, &nr, &fa.err), CH_OK);
			for (size_t i = 0; i < nr; i++)
				ta += r[i].count;
			assert_int_equal(heap_stat(fb.h, &r, &nr, &fb.err), CH_OK);
			for (size_t i = 0; i < nr; i++)
				tb += r[i].count;
			assert_int_equal(ca, ta);
			assert_int_equal(cb, tb);
			break;
		}
		rows++;
		assert_true(db <= last); /* sorted by growth */
		last = db;
		sc += dc, sb += db;
		assert_int_equal(dc, (int64_t)(cb - ca));
		assert_int_equal(db, (int64_t)(bb - ba));
		assert_true(ca != cb || ba != bb);
		assert_true(strncmp(change, !ca ? "new\t" : !cb ? "vanished\t" : "\t",
				    !ca ? 4 : !cb ? 9 : 1) == 0);
		uint64_t c, by;
		stat_of(&fa, type, &c, &by);
		assert_int_equal(c, ca);
		assert_int_equal(by, ba);
		stat_of(&fb, type, &c, &by);
		assert_int_equal(c, cb);
		assert_int_equal(by, bb);
		struct insp_diff_row x;
		assert_int_equal(insp_diff_type(d, type, &x), CH_OK);
		assert_true(x.count_a == ca && x.count_b == cb && x.bytes_a == ba && x.bytes_b == bb);
	}
	assert_int_equal(rows, n - 2);
	struct sbuf j = { 0 };
	assert_int_equal(insp_diff_json(d, put, &j), CH_OK);
	json_error_t je;
	json_t *doc = json_loads(j.p, 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "types")), rows);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "total"),
							    "count_delta")), sc);
	json_decref(doc);
	free(j.p);
	free(b.p);
	insp_diff_close(d);
	fx_close(&fb);
	fx_close(&fa);
}

static void test_pair(void **state)
{
	(void)state;
	check_pair("visits.heap.dmp", "visits-lists.heap.dmp");
	check_pair("visits-lists.heap.dmp", "visits.heap.dmp");
}

/* Whether the waste app's dumps are at hand; says what is not checked
 * when not. */
static bool have_waste(const char *what)
{
	char pa[4096];
	fixture_path(pa, sizeof pa, "waste-2.heap.dmp");
	if (access(pa, R_OK) == 0)
		return true;
	print_message("  no %s: %s not checked\n", pa, what);
	return false;
}

/* The waste app's leak, where its dumps are at hand. */
static void test_waste(void **state)
{
	(void)state;
	if (!have_waste("the waste pair"))
		return;
	check_pair("waste-1.heap.dmp", "waste-2.heap.dmp");
	struct fx fa, fb;
	fx_open(&fa, "waste-1.heap.dmp");
	fx_open(&fb, "waste-2.heap.dmp");
	struct insp_diff *d;
	assert_int_equal(insp_diff_open(fa.h, fb.h, &d, &fa.err), CH_OK);
	struct insp_diff_row r;
	assert_int_equal(insp_diff_type(d, "Waste.Listener", &r), CH_OK);
	assert_int_equal(r.count_a, 0);
	assert_int_equal(r.count_b, 500);
	assert_string_equal(insp_diff_change(&r), "new");
	struct sbuf b = { 0 };
	assert_int_equal(insp_diff_type_json(d, "Waste.Listener", put, &b), CH_OK);
	char want[256];
	snprintf(want, sizeof want, "{\"type\":\"Waste.Listener\",\"count_a\":0,\"count_b\":500,"
		 "\"count_delta\":500,\"bytes_a\":0,\"bytes_b\":%" PRIu64 ",\"bytes_delta\":%" PRIu64
		 ",\"change\":\"new\"}\n", r.bytes_b, r.bytes_b);
	assert_string_equal(b.p, want);
	free(b.p);
	insp_diff_close(d);
	fx_close(&fb);
	fx_close(&fa);
}

/* The retained bytes of the instances of types named name in g's heap. */
static uint64_t retained_of(struct fx *f, const struct graph *g, const char *name)
{
	const struct heap_stat_row *rows;
	size_t n;
	uint64_t sum = 0;
	assert_int_equal(heap_stat(f->h, &rows, &n, &f->err), CH_OK);
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(f->c, rows[i].mt, NULL);
		if (t && t->name && strcmp(t->name, name) == 0)
			sum += graph_type_retained(g, rows[i].mt);
	}
	return sum;
}

/* With both graphs: 11 columns, every row's retained bytes are its
 * MethodTables' (the total's the live bytes), a heap against itself has
 * no changed root path, and the waste pair's listeners are a new path. */
static void check_graphs(const char *name_a, const char *name_b)
{
	struct fx fa, fb;
	fx_open(&fa, name_a);
	fx_open(&fb, name_b);
	struct graph_opts o = { 0 };
	struct graph *ga, *gb;
	assert_int_equal(graph_build(fa.h, &o, &ga, &fa.err), CH_OK);
	assert_int_equal(graph_build(fb.h, &o, &gb, &fb.err), CH_OK);
	struct insp_diff *d;
	assert_int_equal(insp_diff_open(fa.h, fb.h, &d, &fa.err), CH_OK);
	insp_diff_graphs(d, ga, gb);
	struct sbuf b = { 0 };
	assert_int_equal(insp_diff_tsv(d, put, &b), CH_OK);
	const char *hdr = "count_delta\tbytes_delta\tretained_delta\tcount_a\tcount_b\tbytes_a\t"
			  "bytes_b\tretained_a\tretained_b\tchange\ttype\n";
	assert_true(strncmp(b.p, hdr, strlen(hdr)) == 0);
	char *save, *line = strtok_r(b.p + strlen(hdr), "\n", &save);
	size_t rows = 0;
	for (; line; line = strtok_r(NULL, "\n", &save), rows++) {
		int64_t dc, db, dr;
		uint64_t ca, cb, ba, bb, ra, rb;
		int off = 0;
		assert_int_equal(sscanf(line, "%" SCNd64 "\t%" SCNd64 "\t%" SCNd64 "\t%" SCNu64 "\t%"
					SCNu64 "\t%" SCNu64 "\t%" SCNu64 "\t%" SCNu64 "\t%" SCNu64 "%n",
					&dc, &db, &dr, &ca, &cb, &ba, &bb, &ra, &rb, &off), 9);
		assert_int_equal(dr, (int64_t)(rb - ra));
		const char *type = strchr(line + off + 1, '\t');
		assert_non_null(type);
		type++;
		if (strcmp(type, "(total)") == 0) {
			uint64_t lo, lb;
			graph_live_totals(ga, &lo, &lb);
			assert_int_equal(ra, lb);
			graph_live_totals(gb, &lo, &lb);
			assert_int_equal(rb, lb);
			continue;
		}
		assert_true(ca != cb || ba != bb || ra != rb);
		assert_int_equal(ra, retained_of(&fa, ga, type));
		assert_int_equal(rb, retained_of(&fb, gb, type));
	}
	assert_true(rows >= 1);
	b.len = 0;
	assert_int_equal(insp_diff_paths(d, false, put, &b), CH_OK);
	assert_true(strncmp(b.p, "retained_delta\tcount_delta\tretained_a\tretained_b\tcount_a\t"
				 "count_b\tpath\n", 64) == 0);
	if (strcmp(name_a, name_b) == 0) {
		assert_int_equal(lines(b.p), 1);
	} else {
		struct insp_diff_row r;
		assert_int_equal(insp_diff_type(d, "Waste.Listener", &r), CH_OK);
		assert_int_equal(r.retained_a, 0);
		assert_int_equal(r.retained_b, r.bytes_b); /* they hold nothing */
		char want[512];
		snprintf(want, sizeof want, "\n+%" PRIu64 "\t+500\t0\t%" PRIu64 "\t0\t500\t"
			 "static Waste.Program.Changed -> System.EventHandler -> _invocationList "
			 "System.Object[] -> [] System.EventHandler -> _target Waste.Listener\n",
			 r.bytes_b, r.bytes_b);
		assert_non_null(strstr(b.p, want));
	}
	struct sbuf j = { 0 };
	assert_int_equal(insp_diff_paths(d, true, put, &j), CH_OK);
	json_error_t je;
	json_t *doc = json_loads(j.p, 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "paths")), lines(b.p) - 1);
	json_decref(doc);
	free(j.p);
	free(b.p);
	insp_diff_close(d);
	graph_close(gb);
	graph_close(ga);
	fx_close(&fb);
	fx_close(&fa);
}

static void test_graphs(void **state)
{
	(void)state;
	check_graphs("graph.heap.dmp", "graph.heap.dmp");
	if (!have_waste("the waste pair's retained bytes"))
		return;
	check_graphs("waste-1.heap.dmp", "waste-2.heap.dmp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_waste),
		cmocka_unit_test(test_graphs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
