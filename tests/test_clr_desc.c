/* test_clr_desc.c - contract descriptor parsing: the documented forms of
 * fields and globals, damaged JSON, and the real descriptor of a fixture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "clr_desc.h"
#include "dump.h"
#include "fixture.h"

static const char sample[] =
	"{\"version\":0,\"baseline\":\"empty\","
	"\"types\":{\"MethodTable\":{\"!\":64,\"BaseSize\":4,\"EEClassOrCanonMT\":[40,\"pointer\"]},"
	"\"Empty\":{},\"Bad\":{\"x\":\"nope\",\"y\":[]}},"
	"\"globals\":{\"ObjectHeaderSize\":[\"0x8\",\"uint64\"],\"Plain\":12,"
	"\"FreeObjectMethodTable\":[[1],\"pointer\"],\"OutOfRange\":[[9],\"pointer\"],"
	"\"Architecture\":[\"x64\",\"string\"]},"
	"\"contracts\":{\"Object\":1,\"GC\":2}}";

static void test_parse_sample(void **state)
{
	(void)state;
	uint64_t ptrs[2] = { 0x1111, 0x2222 };
	struct clr_desc *d;
	struct ch_err err = { 0 };
	assert_int_equal(clr_desc_parse(sample, sizeof sample, ptrs, 2, &d, &err), CH_OK);
	uint32_t off;
	uint64_t v;
	assert_true(clr_desc_size(d, "MethodTable", &off));
	assert_int_equal(off, 64);
	assert_true(clr_desc_offset(d, "MethodTable", "BaseSize", &off));
	assert_int_equal(off, 4);
	assert_true(clr_desc_offset(d, "MethodTable", "EEClassOrCanonMT", &off));
	assert_int_equal(off, 40);
	assert_false(clr_desc_offset(d, "MethodTable", "Missing", &off));
	assert_false(clr_desc_offset(d, "Bad", "x", &off));
	assert_false(clr_desc_offset(d, "Bad", "y", &off));
	assert_true(clr_desc_global(d, "ObjectHeaderSize", &v));
	assert_int_equal(v, 8);
	assert_true(clr_desc_global(d, "Plain", &v));
	assert_int_equal(v, 12);
	assert_true(clr_desc_global(d, "FreeObjectMethodTable", &v));
	assert_int_equal(v, 0x2222);
	assert_false(clr_desc_global(d, "OutOfRange", &v));
	assert_false(clr_desc_global(d, "Architecture", &v));
	assert_string_equal(clr_desc_global_str(d, "Architecture"), "x64");
	assert_int_equal(clr_desc_contract(d, "GC"), 2);
	assert_int_equal(clr_desc_contract(d, "Loader"), -1);
	clr_desc_close(d);
}

static void test_damaged_json(void **state)
{
	(void)state;
	struct clr_desc *d = NULL;
	struct ch_err err = { 0 };
	/* Every truncation of the sample either parses or fails cleanly. */
	for (size_t n = 0; n < sizeof sample - 1; n++) {
		enum ch_status st = clr_desc_parse(sample, n, NULL, 0, &d, &err);
		assert_int_equal(st, CH_ECORRUPT);
		assert_null(d);
		assert_non_null(strstr(err.msg, "contract descriptor"));
	}
	assert_int_equal(clr_desc_parse("[1,2]", 5, NULL, 0, &d, &err), CH_ECORRUPT);
	assert_int_equal(clr_desc_parse("{\"a\":1,\"a\":2}", 13, NULL, 0, &d, &err),
			 CH_ECORRUPT);
	assert_int_equal(clr_desc_parse(sample, (size_t)64 << 20, NULL, 0, &d, &err),
			 CH_ECORRUPT);
	/* Wrong shapes are ignored, not trusted. */
	const char odd[] = "{\"types\":[],\"globals\":\"x\",\"contracts\":{\"A\":\"1\"}}";
	assert_int_equal(clr_desc_parse(odd, sizeof odd - 1, NULL, 0, &d, &err), CH_OK);
	size_t t, f, g;
	clr_desc_counts(d, &t, &f, &g);
	assert_int_equal(t + f + g, 0);
	assert_int_equal(clr_desc_contract(d, "A"), -1);
	clr_desc_close(d);
}

/* The real descriptor of the .NET 10 runtime in a full fixture dump. */
static void test_real_descriptor(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof path, "zoo.full.dmp");
	struct dump *dm;
	struct as *a;
	struct ch_err err = { 0 };
	assert_int_equal(dump_open(path, &dm, &err), CH_OK);
	assert_int_equal(as_open(dm, &a, &err), CH_OK);
	struct clr_runtime_info rt;
	assert_int_equal(clr_find_runtime(a, &rt, &err), CH_OK);
	struct clr_desc *d;
	enum ch_status st = clr_desc_open(a, rt.module, &d, &err);
	if (st != CH_OK)
		fail_msg("%s", err.msg);
	uint32_t off;
	uint64_t v;
	/* Facts every .NET 9+ runtime publishes. */
	assert_true(clr_desc_offset(d, "Object", "m_pMethTab", &off));
	assert_int_equal(off, 0);
	assert_true(clr_desc_offset(d, "MethodTable", "BaseSize", &off));
	assert_int_equal(off, 4);
	assert_true(clr_desc_offset(d, "String", "m_StringLength", &off));
	assert_int_equal(off, 8);
	/* A pointer global is the address of the runtime's variable (in its
	 * .bss): it holds the free-object MethodTable, an "array" of bytes. */
	assert_true(clr_desc_global(d, "FreeObjectMethodTable", &v));
	uint64_t free_mt;
	uint32_t flags, base;
	assert_true(as_u64(a, v, &free_mt));
	assert_true(as_u32(a, free_mt, &flags) && as_u32(a, free_mt + 4, &base));
	assert_int_equal(flags, 0x80000001u);
	assert_int_equal(base, 24);
	assert_true(clr_desc_global(d, "ObjectToMethodTableUnmask", &v));
	assert_int_equal(v, 7);
	assert_string_equal(clr_desc_global_str(d, "Architecture"), "x64");
	assert_true(clr_desc_contract(d, "RuntimeTypeSystem") >= 1);
	clr_desc_close(d);
	as_close(a);
	dump_close(dm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sample),
		cmocka_unit_test(test_damaged_json),
		cmocka_unit_test(test_real_descriptor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
