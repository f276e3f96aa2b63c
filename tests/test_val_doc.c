/* test_val_doc.c - what one JSON document holds (README, "JSON documents"),
 * on real objects of the fixture dumps:
 *  - an object is written out once per document, where it is met nearest
 *    the top: the zoo's dog held twice by one object is written out once,
 *    then a $ref; on every object of the zoo and visits dumps no "$addr"
 *    occurs twice in a document, and every object that at most `depth`
 *    references lead to is written out (checked level by level: what the
 *    objects written at depth d-1 refer to is written at depth d);
 *  - an F# list cell as a document shows its own item and a $ref to the
 *    next cell, so the cells' documents show every item once, while a list
 *    held in a field is all its items (visits-lists: `recent`, `older`
 *    sharing its cells, `batch` holding it);
 *  - a document ends at its cap: still JSON, "$cut", collections ending
 *    with {"$more":N}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "val.h"

/* ---- helpers ---- */

struct addrs {
	uint64_t *a;
	size_t n, cap;
};

static void addrs_add(struct addrs *s, uint64_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->a = realloc(s->a, s->cap * sizeof *s->a);
		assert_non_null(s->a);
	}
	s->a[s->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void addrs_sort(struct addrs *s)
{
	if (s->n)
		qsort(s->a, s->n, sizeof *s->a, cmp_u64);
}

static bool addrs_has(const struct addrs *s, uint64_t x)
{
	return s->n && bsearch(&x, s->a, s->n, sizeof *s->a, cmp_u64) != NULL;
}

static uint64_t hex(json_t *j)
{
	return json_is_string(j) ? strtoull(json_string_value(j), NULL, 16) : 0;
}

/* Every "$addr" below j (j's own too when top). */
static void collect(json_t *j, struct addrs *out, bool top)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(j)) {
		json_t *a = json_object_get(j, "$addr");
		if (a && !top)
			addrs_add(out, hex(a));
		json_object_foreach(j, k, x)
			collect(x, out, false);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, x)
			collect(x, out, false);
	}
}

static json_t *render(struct val *v, uint64_t obj, struct val_buf *b)
{
	val_buf_reset(b);
	if (val_object_json(v, obj, b, NULL) != CH_OK)
		return NULL;
	json_error_t e;
	json_t *j = json_loads(b->p, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	if (!j)
		fail_msg("0x%llx: invalid JSON: %s: %.300s", (unsigned long long)obj, e.text, b->p);
	return j;
}

/* The objects written out in the document of obj at v's depth. */
static bool written(struct val *v, uint64_t obj, struct val_buf *b, struct addrs *out)
{
	json_t *j = render(v, obj, b);
	if (!j)
		return false;
	out->n = 0;
	collect(j, out, true);
	json_decref(j);
	return true;
}

static bool all_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	(void)size;
	addrs_add(arg, obj);
	return true;
}

struct cells {
	uint64_t mt;
	struct addrs objs;
};

static bool of_type_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct cells *c = arg;
	if (mt == c->mt)
		addrs_add(&c->objs, obj);
	return true;
}

static struct addrs objects_of(struct fx *f, const char *type)
{
	struct cells c = { .mt = fx_mt(f, type) };
	if (!c.mt)
		fail_msg("no objects of %s in the fixture", type);
	heap_walk(f->h, of_type_cb, &c);
	return c.objs;
}

/* ---- once per document ---- */

/* The zoo's Collections holds its dog Rex in Animals (a List) and in
 * ByColor (a Dictionary), both at level 2: written out in Animals, the
 * first place, and a $ref in ByColor. */
static void test_shared_once(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct val *v;
	assert_int_equal(val_open(f.c, &v, &f.err), CH_OK);
	struct addrs objs = objects_of(&f, "Zoo.Collections");
	assert_int_equal(objs.n, 1);
	struct val_buf b;
	val_buf_init(&b);
	json_t *j = render(v, objs.a[0], &b);
	assert_non_null(j);
	json_t *rex = json_array_get(json_object_get(j, "Animals"), 0);
	json_t *red = json_array_get(json_array_get(json_object_get(j, "ByColor"), 0), 1);
	assert_string_equal(json_string_value(json_object_get(rex, "$type")), "Zoo.Dog");
	assert_string_equal(json_string_value(json_object_get(rex, "Name")), "Rex");
	assert_int_equal(json_object_size(red), 1);
	assert_true(json_equal(json_object_get(red, "$ref"), json_object_get(rex, "$addr")));
	uint64_t dog = hex(json_object_get(rex, "$addr"));
	json_decref(j);
	/* the dog's own document is all of it */
	j = render(v, dog, &b);
	assert_string_equal(json_string_value(json_object_get(j, "Breed")), "Collie");
	json_decref(j);
	val_buf_free(&b);
	free(objs.a);
	val_close(v);
	fx_close(&f);
}

/* The objects a document written at depth 1 shows, for each object. */
struct near {
	struct addrs objs;     /* every object, sorted */
	struct addrs *refs;    /* refs[i]: what objs.a[i]'s depth-1 document writes out */
};

static const struct addrs *near_of(const struct near *nr, uint64_t x)
{
	uint64_t *p = nr->objs.n ? bsearch(&x, nr->objs.a, nr->objs.n, sizeof x, cmp_u64) : NULL;
	return p ? &nr->refs[p - nr->objs.a] : NULL;
}

/* Each object of what `from` lists (and top) refers to, but top, is in
 * `in`. */
static void closed(const struct near *nr, uint64_t top, const struct addrs *from,
		   const struct addrs *in, unsigned depth)
{
	for (size_t i = 0; i <= from->n; i++) {
		uint64_t x = i < from->n ? from->a[i] : top;
		const struct addrs *r = near_of(nr, x);
		for (size_t k = 0; r && k < r->n; k++)
			if (r->a[k] != top && !addrs_has(in, r->a[k]))
				fail_msg("0x%llx at depth %u: 0x%llx, which 0x%llx refers to, is not "
					 "written out", (unsigned long long)top, depth,
					 (unsigned long long)r->a[k], (unsigned long long)x);
	}
}

static void once_and_complete(const char *dump)
{
	struct fx f;
	fx_open(&f, dump);
	struct val *v[4];
	for (unsigned d = 1; d <= 3; d++) {
		assert_int_equal(val_open(f.c, &v[d], &f.err), CH_OK);
		val_set_depth(v[d], d);
	}
	struct near nr = { { 0 }, NULL };
	heap_walk(f.h, all_cb, &nr.objs);
	addrs_sort(&nr.objs);
	nr.refs = calloc(nr.objs.n, sizeof *nr.refs);
	assert_non_null(nr.refs);
	struct val_buf b;
	val_buf_init(&b);
	for (size_t i = 0; i < nr.objs.n; i++) {
		if (written(v[1], nr.objs.a[i], &b, &nr.refs[i]))
			addrs_sort(&nr.refs[i]);
	}
	struct addrs w2 = { 0 }, w3 = { 0 };
	size_t checked = 0, deep = 0;
	for (size_t i = 0; i < nr.objs.n; i++) {
		uint64_t top = nr.objs.a[i];
		if (!written(v[2], top, &b, &w2) || !written(v[3], top, &b, &w3))
			continue;
		addrs_sort(&w2);
		addrs_sort(&w3);
		for (size_t k = 1; k < w3.n; k++)
			if (w3.a[k] == w3.a[k - 1])
				fail_msg("0x%llx: 0x%llx is written out twice", (unsigned long long)top,
					 (unsigned long long)w3.a[k]);
		closed(&nr, top, &(struct addrs){ NULL, 0, 0 }, &w2, 2);
		closed(&nr, top, &nr.refs[i], &w2, 2);
		closed(&nr, top, &w2, &w3, 3);
		deep += w3.n > nr.refs[i].n;
		checked++;
	}
	assert_true(checked > 1000);
	assert_true(deep > 100);
	for (size_t i = 0; i < nr.objs.n; i++)
		free(nr.refs[i].a);
	free(nr.refs);
	free(nr.objs.a);
	free(w2.a);
	free(w3.a);
	val_buf_free(&b);
	for (unsigned d = 1; d <= 3; d++)
		val_close(v[d]);
	fx_close(&f);
}

static void test_once_zoo(void **state)
{
	(void)state;
	once_and_complete("zoo.heap.dmp");
}

static void test_once_visits(void **state)
{
	(void)state;
	once_and_complete("visits.heap.dmp");
}

/* ---- F# list cells ---- */

static char *slurp(const char *name)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

/* The address the truth's statics list for the field whose name starts
 * with prefix. */
static uint64_t static_addr(json_t *truth, const char *prefix)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(truth, "statics"), i, s) {
		const char *f = json_string_value(json_object_get(s, "field"));
		if (f && strncmp(f, prefix, strlen(prefix)) == 0)
			return hex(json_object_get(s, "$addr"));
	}
	fail_msg("no static %s in the truth", prefix);
	return 0;
}

#define LIST_T "Microsoft.FSharp.Collections.FSharpList<Bugfree.Spo.Analytics.Cli.Domain+Visit>"

static void test_fslist_cells(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits-lists.heap.dmp");
	struct val *v;
	assert_int_equal(val_open(f.c, &v, &f.err), CH_OK);
	char *ts = slurp("visits-lists.truth.json");
	json_error_t e;
	json_t *truth = json_loads(ts, 0, &e);
	assert_non_null(truth);
	/* the visits in the order posted: the truth's lines */
	char *lines = slurp("visits-lists.truth.jsonl");
	struct addrs posted = { 0 };
	for (char *p = lines; (p = strstr(p, "{\"$addr\":\"")) != NULL; p++)
		addrs_add(&posted, strtoull(p + 10, NULL, 16));
	assert_int_equal(posted.n, 2000);

	struct addrs cells = objects_of(&f, LIST_T);
	assert_int_equal(cells.n, 102); /* recent's 100, older's one more, the empty list */
	addrs_sort(&cells);
	json_t **doc = calloc(cells.n, sizeof *doc);
	assert_non_null(doc);
	struct val_buf b;
	val_buf_init(&b);
	struct addrs items = { 0 };
	size_t rests = 0, empty = 0;
	for (size_t i = 0; i < cells.n; i++) {
		json_t *j = doc[i] = render(v, cells.a[i], &b);
		assert_non_null(j);
		json_t *it = json_object_get(j, "$items"), *rest = json_object_get(j, "$rest");
		assert_true(json_is_array(it));
		assert_int_equal(json_object_size(j), 3 + (rest != NULL));
		assert_true(json_array_size(it) <= 1);
		if (json_array_size(it) == 0) {
			assert_null(rest);
			empty++;
			continue;
		}
		json_t *x = json_array_get(it, 0);
		assert_string_equal(json_string_value(json_object_get(x, "$type")),
				    "Bugfree.Spo.Analytics.Cli.Domain+Visit");
		addrs_add(&items, hex(json_object_get(x, "$addr")));
		if (rest) {
			assert_int_equal(json_object_size(rest), 1);
			assert_true(addrs_has(&cells, hex(json_object_get(rest, "$ref"))));
			rests++;
		}
	}
	assert_int_equal(empty, 1);
	assert_int_equal(rests, 100); /* all but recent's last cell and the empty list */
	/* every item once */
	addrs_sort(&items);
	assert_int_equal(items.n, 101);
	for (size_t k = 1; k < items.n; k++)
		assert_true(items.a[k] != items.a[k - 1]);

	/* recent, followed by $rest, is the first 100 visits in order; older
	 * is the 101st, then recent's first cell */
	uint64_t cell = static_addr(truth, "recent@");
	for (size_t k = 0; k < 100; k++) {
		uint64_t *p = bsearch(&cell, cells.a, cells.n, sizeof cell, cmp_u64);
		assert_non_null(p);
		json_t *j = doc[p - cells.a];
		json_t *x = json_array_get(json_object_get(j, "$items"), 0);
		assert_true(hex(json_object_get(x, "$addr")) == posted.a[k]);
		json_t *rest = json_object_get(j, "$rest");
		if (k == 99)
			assert_null(rest);
		else
			cell = hex(json_object_get(rest, "$ref"));
	}
	uint64_t older = static_addr(truth, "older@");
	uint64_t *p = bsearch(&older, cells.a, cells.n, sizeof older, cmp_u64);
	assert_non_null(p);
	json_t *o = doc[p - cells.a];
	assert_true(hex(json_object_get(json_array_get(json_object_get(o, "$items"), 0), "$addr")) ==
		    posted.a[100]);
	assert_true(hex(json_object_get(json_object_get(o, "$rest"), "$ref")) ==
		    static_addr(truth, "recent@"));

	/* a list held in a field is a value: all its items, each written out */
	json_t *batch = render(v, static_addr(truth, "batch@"), &b);
	json_t *vs = json_object_get(batch, "Visits");
	assert_int_equal(json_array_size(vs), 100);
	for (size_t k = 0; k < 100; k++)
		assert_true(hex(json_object_get(json_array_get(vs, k), "$addr")) == posted.a[k]);
	json_decref(batch);

	for (size_t i = 0; i < cells.n; i++)
		json_decref(doc[i]);
	free(doc);
	free(items.a);
	free(cells.a);
	free(posted.a);
	free(lines);
	json_decref(truth);
	free(ts);
	val_buf_free(&b);
	val_close(v);
	fx_close(&f);
}

/* ---- the cap ---- */

/* The mailbox's queue of 2000 messages, cut at 4 KiB: valid JSON, marked,
 * its items ending with what was left out. */
static void test_cap_queue(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	struct val *full, *cut;
	assert_int_equal(val_open(f.c, &full, &f.err), CH_OK);
	assert_int_equal(val_open(f.c, &cut, &f.err), CH_OK);
	val_set_doc_limit(cut, 4096);
	struct addrs q = objects_of(&f, "System.Collections.Generic.Queue<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>");
	assert_int_equal(q.n, 1);
	struct val_buf b;
	val_buf_init(&b);
	json_t *j = render(full, q.a[0], &b);
	assert_true(b.len > (1u << 20));
	assert_null(json_object_get(j, "$cut"));
	assert_int_equal(json_array_size(json_object_get(j, "$items")), 2000);
	json_decref(j);
	j = render(cut, q.a[0], &b);
	assert_true(b.len >= 4096 && b.len < 4096 + 2048);
	assert_true(json_number_value(json_object_get(j, "$cut")) == 4096);
	json_t *it = json_object_get(j, "$items");
	size_t n = json_array_size(it);
	json_t *more = json_object_get(json_array_get(it, n - 1), "$more");
	assert_true(n > 2 && json_is_number(more));
	assert_true((double)(n - 1) + json_number_value(more) == 2000);
	/* the shown messages are whole */
	json_t *item = json_object_get(json_array_get(it, n - 2), "item");
	assert_non_null(json_object_get(item, "VisitUrl"));
	json_decref(j);
	val_buf_free(&b);
	free(q.a);
	val_close(cut);
	val_close(full);
	fx_close(&f);
}

/* Every object of the zoo cut at 1 KiB: a document not cut is as it was;
 * one cut is valid JSON, marked, and not longer (for a long one: less than
 * half). */
static void test_cap_all(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct val *full, *cut;
	assert_int_equal(val_open(f.c, &full, &f.err), CH_OK);
	assert_int_equal(val_open(f.c, &cut, &f.err), CH_OK);
	val_set_doc_limit(cut, 1024);
	struct addrs all = { 0 };
	heap_walk(f.h, all_cb, &all);
	struct val_buf a, b;
	val_buf_init(&a);
	val_buf_init(&b);
	size_t cuts = 0;
	static const char mark[] = ",\"$cut\":1024";
	for (size_t i = 0; i < all.n; i++) {
		val_buf_reset(&a);
		if (val_object_json(full, all.a[i], &a, NULL) != CH_OK)
			continue;
		json_t *j = render(cut, all.a[i], &b);
		assert_non_null(j);
		/* a document is cut where it would inline or list more once it
		 * holds 1 KiB: one that ends with fields and leaves is whole */
		if (!json_object_get(j, "$cut")) {
			assert_string_equal(a.p, b.p);
		} else {
			assert_true(a.len > 1024);
			/* no longer, but for the mark and where a reference or a
			 * collection's rest stands for a few bytes of the full one */
			size_t marks = 0;
			for (const char *m = b.p; (m = strstr(m, "{\"$")) != NULL; m++)
				marks += strncmp(m, "{\"$ref\":", 8) == 0 || strncmp(m, "{\"$more\":", 9) == 0;
			if (b.len > a.len + sizeof mark - 1 + 32 * marks)
				fail_msg("0x%llx: cut to %zu bytes from %zu", (unsigned long long)all.a[i],
					 b.len, a.len);
			if (a.len > 16 * 1024 && b.len >= a.len / 2)
				fail_msg("0x%llx: %zu bytes cut to %zu", (unsigned long long)all.a[i], a.len,
					 b.len);
			cuts++;
		}
		json_decref(j);
	}
	assert_true(cuts > 100);
	val_buf_free(&a);
	val_buf_free(&b);
	free(all.a);
	val_close(cut);
	val_close(full);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_once),
		cmocka_unit_test(test_once_zoo),
		cmocka_unit_test(test_once_visits),
		cmocka_unit_test(test_fslist_cells),
		cmocka_unit_test(test_cap_queue),
		cmocka_unit_test(test_cap_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
