/* test_val_name.c - the names fields show (val_name.c): the clean-name
 * rule and the clash rule, which JSON keys and the view's file names
 * share; their cost on many fields of few names (a damaged type). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "val.h"

static void test_clean_name(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "<Name>k__BackingField", "Name" }, { "<X>k__BackingField", "X" },
		{ "CorrelationId@", "CorrelationId" }, { "visitor@16", "visitor@16" },
		{ "@", "@" }, { "<>k__BackingField", "<>k__BackingField" },
		{ "_items", "_items" }, { "k__BackingField", "k__BackingField" },
		{ "X@@", "X@" }, { "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		const char *s = val_clean_name(cases[i][0], &len);
		assert_int_equal(len, strlen(cases[i][1]));
		assert_memory_equal(s, cases[i][1], len);
	}
	/* a long name is not cut */
	char big[2000];
	memset(big, 'a', sizeof big);
	big[0] = '<';
	memcpy(big + sizeof big - 17, ">k__BackingField", 17);
	size_t len;
	assert_ptr_equal(val_clean_name(big, &len), big + 1);
	assert_int_equal(len, sizeof big - 18);
}

/* names of raw[0..n) are want[0..n); a name equal to its raw one is the
 * raw string itself, not a copy */
static void check(const char *const *raw, size_t n, const char *const *want)
{
	const char **names = calloc(n ? n : 1, sizeof *names);
	assert_non_null(names);
	assert_true(val_field_names(raw, n, names));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(names[i], want[i]);
		if (strcmp(raw[i], want[i]) == 0)
			assert_ptr_equal(names[i], raw[i]);
	}
	val_free_names(raw, names, n);
	free(names);
}

static void test_field_names(void **state)
{
	(void)state;
	/* clean where unique */
	const char *a[] = { "<Name>k__BackingField", "Age@", "_x" };
	const char *aw[] = { "Name", "Age", "_x" };
	check(a, 3, aw);
	/* a clash: both keep their raw names (zoo's ClashDerived) */
	const char *b[] = { "<Name>k__BackingField", "Name", "Other@" };
	const char *bw[] = { "<Name>k__BackingField", "Name", "Other" };
	check(b, 3, bw);
	/* three of one clean name, in any order */
	const char *c[] = { "A", "A@", "<A>k__BackingField" };
	check(c, 3, c);
	const char *c2[] = { "<A>k__BackingField", "A@", "A" };
	check(c2, 3, c2);
	/* a clean name that is another field's raw name stays raw */
	const char *d[] = { "X@", "<X>k__BackingField", "X@@" };
	check(d, 3, d);
	const char *d2[] = { "Y@@", "Y@" };
	const char *d2w[] = { "Y@@", "Y" };
	check(d2, 2, d2w);
	/* the same raw name twice (a shadowed private field) */
	const char *e[] = { "_name", "_name", "<_name>k__BackingField" };
	check(e, 3, e);
	check(NULL, 0, NULL);
}

/* 200,000 fields of 7 clean names and one of its own, as a damaged
 * EEClass can claim: each clean name is compared O(log n) times, not with
 * every other (the pairwise check it replaces took minutes here). */
static void test_many_fields(void **state)
{
	(void)state;
	enum { N = 200000 };
	char (*buf)[32] = calloc(N, sizeof *buf);
	const char **raw = calloc(N, sizeof *raw), **names = calloc(N, sizeof *names);
	assert_true(buf && raw && names);
	for (size_t i = 0; i + 1 < N; i++) {
		snprintf(buf[i], sizeof buf[i], i % 2 ? "F%zu@" : "<F%zu>k__BackingField", i % 7);
		raw[i] = buf[i];
	}
	raw[N - 1] = "Solo@";
	assert_true(val_field_names(raw, N, names));
	for (size_t i = 0; i + 1 < N; i++)
		assert_ptr_equal(names[i], raw[i]);
	assert_string_equal(names[N - 1], "Solo");
	val_free_names(raw, names, N);
	free(names);
	free(raw);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_name),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_many_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
