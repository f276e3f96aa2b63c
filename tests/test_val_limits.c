/* test_val_limits.c - the JSON caps (val_set_limits; the mount's -o
 * max_items and -o max_string) on every object of the zoo and visits
 * dumps: each object is rendered with the defaults and with small caps,
 * and the capped document must be the full one cut by the documented rule
 * -- a collection keeps its first N elements and ends with {"$more":R}
 * (in an object "$more":R), R the elements left out; a longer string
 * becomes {"$string":<its first characters>,"$length":L} (values shown as
 * strings that are no .NET string, a Guid say, stay); a dictionary key
 * longer than the cap is shown by its address (a [key,value] pair is no
 * collection: caps below 2 are not tested); an object written out in a
 * part that was cut is written out at its next place instead, where the
 * full document has its {"$ref"} -- and nothing else may differ. */
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

/* UTF-16 units of a UTF-8 string (what $length counts). */
static size_t u16len_n(const char *s, size_t len)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + len; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
		if (*p >= 0xf0)
			n++; /* a pair */
	}
	return n;
}

static size_t u16len(const char *s)
{
	return u16len_n(s, strlen(s));
}

static size_t u16len_json(json_t *j)
{
	return u16len_n(json_string_value(j), json_string_length(j));
}

struct caps {
	size_t items, chars;
	unsigned cut_arrays, cut_objects, cut_strings, addr_keys, moved;
};

static void same(struct caps *k, json_t *full, json_t *cut, const char *where);

static void same_string(struct caps *k, json_t *full, json_t *cut, const char *where)
{
	const char *f = json_string_value(full);
	size_t fl = json_string_length(full), n = u16len_json(full);
	/* $addr, $type, and values formatted as strings (Guid, DateTime, enum
	 * names, ...) are not .NET strings: never cut */
	if (json_is_string(cut)) {
		if (fl != json_string_length(cut) || memcmp(f, json_string_value(cut), fl) != 0)
			fail_msg("%s: string changed", where);
		return;
	}
	const char *last = strrchr(where, '.');
	if (n <= k->chars || (last && (!strcmp(last, ".$addr") || !strcmp(last, ".$type") ||
				       !strcmp(last, ".$ref") || !strcmp(last, ".$error"))))
		fail_msg("%s: a string of %zu units is cut", where, n);
	json_t *s = json_object_get(cut, "$string"), *l = json_object_get(cut, "$length");
	if (!json_is_object(cut) || json_object_size(cut) != 2 || !json_is_string(s) ||
	    !json_is_number(l))
		fail_msg("%s: a string of %zu units is not cut", where, n);
	const char *p = json_string_value(s);
	size_t pl = json_string_length(s), pn = u16len_json(s);
	assert_true(json_number_value(l) == (double)n);
	if (pl > fl || memcmp(f, p, pl) != 0 || pn > k->chars || pn + 1 < k->chars)
		fail_msg("%s: \"%s\" is not the first %zu units of \"%s\"", where, p, k->chars, f);
	k->cut_strings++;
}

static void same_array(struct caps *k, json_t *full, json_t *cut, const char *where)
{
	size_t n = json_array_size(full), m = json_array_size(cut);
	if (!json_is_array(cut))
		fail_msg("%s: not an array", where);
	size_t keep = n;
	if (n > k->items) {
		json_t *more = json_array_get(cut, m - 1);
		if (m != k->items + 1 || !json_is_object(more) || json_object_size(more) != 1 ||
		    json_number_value(json_object_get(more, "$more")) != (double)(n - k->items))
			fail_msg("%s: %zu elements not cut to %zu and {\"$more\":%zu}", where, n,
				 k->items, n - k->items);
		keep = k->items;
		k->cut_arrays++;
	} else if (m != n) {
		fail_msg("%s: %zu elements became %zu", where, n, m);
	}
	for (size_t i = 0; i < keep; i++) {
		char w[512];
		snprintf(w, sizeof w, "%.400s[%zu]", where, i);
		same(k, json_array_get(full, i), json_array_get(cut, i), w);
	}
}

static void same_object(struct caps *k, json_t *full, json_t *cut, const char *where)
{
	if (!json_is_object(cut))
		fail_msg("%s: not an object", where);
	json_t *more = json_object_get(cut, "$more");
	size_t kept = json_object_size(cut) - (more != NULL), missing = 0, extra = 0;
	const char *key;
	json_t *fv;
	json_object_foreach(full, key, fv) {
		char w[512];
		snprintf(w, sizeof w, "%.400s.%.80s", where, key);
		json_t *cv = json_object_get(cut, key);
		if (cv)
			same(k, fv, cv, w);
		else if (!more && u16len(key) <= k->chars)
			fail_msg("%s: missing", w);
		else
			missing++;
	}
	json_object_foreach(cut, key, fv)
		if (strcmp(key, "$more") != 0 && !json_object_get(full, key)) {
			if (strncmp(key, "0x", 2) != 0)
				fail_msg("%s: key %s not in the full document", where, key);
			extra++;
		}
	if (more) {
		/* a dictionary by name, cut after its first items */
		if (kept != k->items ||
		    json_number_value(more) != (double)(json_object_size(full) - k->items))
			fail_msg("%s: %zu members not cut to %zu and \"$more\"", where,
				 json_object_size(full), k->items);
		k->cut_objects++;
	} else if (missing != extra) {
		fail_msg("%s: %zu long keys, %zu shown by address", where, missing, extra);
	}
	k->addr_keys += (unsigned)extra;
}

/* Where the full document has {"$ref":A} and the cut one more: A, whose
 * first place is in a part that was cut. */
static bool moved(struct caps *k, json_t *full, json_t *cut, const char *where)
{
	json_t *r = json_object_get(full, "$ref");
	if (!r || json_object_size(full) != 1 || json_equal(full, cut))
		return false;
	json_t *a = json_is_object(cut) ? json_object_get(cut, "$addr") : NULL;
	if (!json_is_array(cut) && !(a && json_equal(a, r)))
		fail_msg("%s: {\"$ref\":%s} became something else", where, json_string_value(r));
	k->moved++;
	return true;
}

static void same(struct caps *k, json_t *full, json_t *cut, const char *where)
{
	if (json_is_object(full) && moved(k, full, cut, where))
		return;
	if (json_is_string(full))
		same_string(k, full, cut, where);
	else if (json_is_array(full))
		same_array(k, full, cut, where);
	else if (json_is_object(full))
		same_object(k, full, cut, where);
	else if (!json_equal(full, cut))
		fail_msg("%s: value changed", where);
}

struct walk {
	struct val *full, *cut;
	struct caps *k;
	struct val_buf a, b;
	size_t objects;
};

static bool walk_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	(void)size;
	struct walk *w = arg;
	val_buf_reset(&w->a);
	val_buf_reset(&w->b);
	if (val_object_json(w->full, obj, &w->a, NULL) != CH_OK)
		return true; /* free space */
	assert_int_equal(val_object_json(w->cut, obj, &w->b, NULL), CH_OK);
	json_error_t e;
	json_t *fa = json_loads(w->a.p, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	json_t *fb = json_loads(w->b.p, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	if (!fa || !fb)
		fail_msg("0x%llx: invalid JSON: %s", (unsigned long long)obj, e.text);
	char where[32];
	snprintf(where, sizeof where, "0x%llx", (unsigned long long)obj);
	same(w->k, fa, fb, where);
	json_decref(fa);
	json_decref(fb);
	w->objects++;
	return true;
}

static void run(const char *dump, struct caps *k)
{
	struct fx f;
	fx_open(&f, dump);
	struct walk w = { .k = k };
	assert_int_equal(val_open(f.c, &w.full, &f.err), CH_OK);
	assert_int_equal(val_open(f.c, &w.cut, &f.err), CH_OK);
	val_set_limits(w.cut, k->items, (uint32_t)k->chars);
	val_buf_init(&w.a);
	val_buf_init(&w.b);
	heap_walk(f.h, walk_cb, &w);
	assert_true(w.objects > 1000);
	val_buf_free(&w.a);
	val_buf_free(&w.b);
	val_close(w.cut);
	val_close(w.full);
	fx_close(&f);
}

/* Every kind of collection of the zoo, cut after 2 elements, and its
 * strings after 5 units. */
static void test_zoo(void **state)
{
	(void)state;
	struct caps k = { .items = 2, .chars = 5 };
	run("zoo.heap.dmp", &k);
	assert_true(k.cut_arrays > 50);
	assert_true(k.cut_objects > 0);
	assert_true(k.cut_strings > 100);
	assert_true(k.addr_keys > 0);
}

/* The seed story's F# values (options, lists, the mailbox). */
static void test_visits(void **state)
{
	(void)state;
	struct caps k = { .items = 2, .chars = 3 };
	run("visits.heap.dmp", &k);
	assert_true(k.cut_arrays > 0);
	assert_true(k.cut_strings > 1000);
}

/* Defaults and clamps. */
static void test_defaults(void **state)
{
	(void)state;
	struct caps k = { .items = VAL_DEFAULT_ITEMS, .chars = VAL_DEFAULT_STRING };
	run("zoo.heap.dmp", &k);
	assert_int_equal(k.cut_arrays + k.cut_objects + k.cut_strings + k.addr_keys + k.moved, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoo),
		cmocka_unit_test(test_visits),
		cmocka_unit_test(test_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
