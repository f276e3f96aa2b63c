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

/* .NET 11's forms: contract versions as "c<number>", sub-descriptors as
 * [[index], "pointer"] into the pointer data. */
static const char net11[] =
	"{\"version\":0,\"baseline\":\"empty\",\"types\":{},\"globals\":{},"
	"\"subDescriptors\":{\"GC\":[[1],\"pointer\"],\"Out\":[[9],\"pointer\"],"
	"\"Zero\":[[0],\"pointer\"],\"Flat\":[1],\"Text\":\"x\"},"
	"\"contracts\":{\"Thread\":\"c1\",\"StressLog\":\"c2\",\"Old\":3,\"NoNum\":\"c\","
	"\"Tail\":\"c1x\",\"Other\":\"d1\",\"Neg\":\"c-1\"}}";

static void test_net11_forms(void **state)
{
	(void)state;
	uint64_t ptrs[2] = { 0, 0x2222 }, v = 0;
	struct clr_desc *d;
	struct ch_err err = { 0 };
	assert_int_equal(clr_desc_parse(net11, sizeof net11, ptrs, 2, &d, &err), CH_OK);
	assert_int_equal(clr_desc_contract(d, "Thread"), 1);
	assert_int_equal(clr_desc_contract(d, "StressLog"), 2);
	assert_int_equal(clr_desc_contract(d, "Old"), 3);
	assert_int_equal(clr_desc_contract(d, "NoNum"), -1);
	assert_int_equal(clr_desc_contract(d, "Tail"), -1);
	assert_int_equal(clr_desc_contract(d, "Other"), -1);
	assert_int_equal(clr_desc_contract(d, "Neg"), -1);
	assert_true(clr_desc_sub(d, "GC", &v));
	assert_int_equal(v, 0x2222);
	assert_false(clr_desc_sub(d, "Out", &v));
	assert_false(clr_desc_sub(d, "Zero", &v));
	assert_false(clr_desc_sub(d, "Flat", &v));
	assert_false(clr_desc_sub(d, "Text", &v));
	assert_false(clr_desc_sub(d, "Missing", &v));
	clr_desc_close(d);
}

/* A real .NET 11 heap dump: the version from the descriptor's string, the
 * GC's variables from its own descriptor, and the thread list that links
 * Threads themselves (docs/RUNTIME.md §11). */
static void test_net11_dump(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof path, "zoo-net11.heap.dmp");
	struct dump *dm;
	struct as *a;
	struct clr *c;
	struct ch_err err = { 0 };
	if (dump_open(path, &dm, &err) != CH_OK)
		skip();
	assert_int_equal(as_open(dm, &a, &err), CH_OK);
	if (clr_open(a, &c, &err) != CH_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(clr_runtime(c)->product_version, "11.0.0");
	assert_int_equal(clr_runtime(c)->major, 11);
	const struct clr_gc_info *g = clr_gc(c);
	assert_string_equal(g->found_by, "the GC's contract descriptor");
	assert_false(g->server);
	assert_true(g->regions);
	assert_int_equal(g->ngenerations, 5);
	assert_int_equal(g->gen_size, 256);
	assert_true(g->dacvars != 0);
	struct clr_thread th[16];
	size_t n = clr_threads(c, th, 16);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(th[i].id, i + 1);
	clr_close(c);
	as_close(a);
	dump_close(dm);
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
		cmocka_unit_test(test_net11_forms),
		cmocka_unit_test(test_net11_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
