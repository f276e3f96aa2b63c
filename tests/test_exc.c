/* test_exc.c - exception objects and their stack traces: the StackTraceInfo
 * bytes decoded in both header shapes (.NET 8: size_t count; 9+: u32 count,
 * u32 keep-alive count) on 64 and 32 bits, with headers that are cut short
 * or claim more frames than the bytes hold; and on the tasks fixtures of
 * .NET 8, 9 and 10 every exception the app wrote into its truth, with its
 * message, HResult, inner exception and stack-trace methods, subclasses
 * found through their MethodTables' parents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clr_fixture.h"
#include "exc.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* Two frames after a 16-byte header, 32-byte elements (x64). */
static size_t make64(uint8_t *b, bool v9, uint64_t count)
{
	memset(b, 0, 16 + 2 * 32);
	if (v9) {
		put32(b, (uint32_t)count);
		put32(b + 4, 0);
	} else {
		put64(b, count);
	}
	put64(b + 8, 0x5555aaaa0000ull); /* Thread* */
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *e = b + 16 + 32 * i;
		put64(e, 0x7f0000001000ull + i);
		put64(e + 8, 0x7ffc00000000ull + 16 * i);
		put64(e + 16, 0x7f0000abc000ull + 8 * i);
		put32(e + 24, i ? 2u : 0u);
	}
	return 16 + 2 * 32;
}

static void test_decode_x64(void **state)
{
	(void)state;
	uint8_t b[128];
	struct exc_raw_frame f[8];
	size_t n;
	for (int v9 = 0; v9 < 2; v9++) {
		size_t len = make64(b, v9, 2);
		assert_int_equal(exc_decode_frames(b, len, 8, v9, f, 8, &n), CH_OK);
		assert_int_equal(n, 2);
		assert_int_equal(f[0].ip, 0x7f0000001000ull);
		assert_int_equal(f[1].ip, 0x7f0000001001ull);
		assert_int_equal(f[1].sp, 0x7ffc00000010ull);
		assert_int_equal(f[1].md, 0x7f0000abc008ull);
		assert_int_equal(f[1].flags, 2);
	}
	/* 9+: a keep-alive count in the upper half is no part of the count */
	size_t len = make64(b, true, 2);
	put32(b + 4, 7);
	assert_int_equal(exc_decode_frames(b, len, 8, true, f, 8, &n), CH_OK);
	assert_int_equal(n, 2);
}

/* x86: the 9+ header is 12 bytes (u32, u32, Thread*), 8 before; 16-byte elements. */
static void test_decode_x86(void **state)
{
	(void)state;
	uint8_t b[64] = { 0 };
	struct exc_raw_frame f[4];
	size_t n;
	put32(b, 1);
	put32(b + 8, 0x1234);
	put32(b + 12, 0x600100);
	put32(b + 16, 0x19ff00);
	put32(b + 20, 0x700200);
	put32(b + 24, 1);
	assert_int_equal(exc_decode_frames(b, 28, 4, true, f, 4, &n), CH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].ip, 0x600100);
	assert_int_equal(f[0].sp, 0x19ff00);
	assert_int_equal(f[0].md, 0x700200);
	assert_int_equal(f[0].flags, 1);
	memset(b, 0, sizeof b);
	put32(b, 1);
	put32(b + 8, 0x600100);
	put32(b + 16, 0x700200);
	assert_int_equal(exc_decode_frames(b, 24, 4, false, f, 4, &n), CH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].md, 0x700200);
}

/* Damaged headers end the decode with what fits, never past the bytes. */
static void test_decode_damaged(void **state)
{
	(void)state;
	uint8_t b[128] = { 0 };
	struct exc_raw_frame f[8];
	size_t n = 99;
	assert_int_equal(exc_decode_frames(b, 0, 8, true, f, 8, &n), CH_OK); /* empty array */
	assert_int_equal(n, 0);
	size_t len = make64(b, true, 2);
	assert_int_equal(exc_decode_frames(b, 15, 8, true, f, 8, &n), CH_ECORRUPT); /* no header */
	assert_int_equal(n, 0);
	assert_int_equal(exc_decode_frames(b, len - 1, 8, true, f, 8, &n), CH_ECORRUPT);
	assert_int_equal(n, 1); /* the second frame is cut */
	make64(b, true, 0xffffffffu);
	assert_int_equal(exc_decode_frames(b, len, 8, true, f, 8, &n), CH_ECORRUPT);
	assert_int_equal(n, 2);
	make64(b, false, 0xffffffffffffffffull);
	assert_int_equal(exc_decode_frames(b, len, 8, false, f, 8, &n), CH_ECORRUPT);
	assert_int_equal(n, 2);
	make64(b, true, 2);
	assert_int_equal(exc_decode_frames(b, len, 8, true, f, 1, &n), CH_ECORRUPT); /* max */
	assert_int_equal(n, 1);
	assert_int_equal(exc_decode_frames(b, len, 2, true, f, 8, &n), CH_EARG);
	assert_int_equal(n, 0);
}

static void to_str(void *arg, const char *p, size_t n)
{
	char *s = arg;
	size_t have = strlen(s);
	if (have + n < 8192) {
		memcpy(s + have, p, n);
		s[have + n] = '\0';
	}
}

static const char *json_s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_fixture(const char *dump, const char *truth)
{
	struct fx f;
	fx_open(&f, dump);
	char path[4096];
	fixture_path(path, sizeof path, truth);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	assert_non_null(t);
	struct exc_list *l;
	assert_int_equal(exc_open(f.h, &l, &f.err), CH_OK);
	size_t n;
	const struct exc_exception *e = exc_all(l, &n);
	json_t *want = json_object_get(t, "exceptions");
	assert_true(json_array_size(want) >= 10);
	for (size_t i = 0; i < json_array_size(want); i++) {
		json_t *w = json_array_get(want, i);
		const struct exc_exception *got = NULL;
		size_t same = 0;
		for (size_t k = 0; k < n; k++)
			if (strcmp(e[k].type, json_s(w, "type")) == 0 &&
			    str_eq(e[k].message, json_s(w, "message"))) {
				got = &e[k];
				same++;
			}
		if (same != 1)
			fail_msg("%s: %zu exceptions of %s \"%s\"", dump, same, json_s(w, "type"),
				 json_s(w, "message"));
		assert_int_equal(got->hresult, (int32_t)json_integer_value(json_object_get(w, "hresult")));
		assert_true(str_eq(got->inner_type, json_s(w, "inner_type")));
		assert_true(!got->inner == !got->inner_type);
		if (got->inner)
			assert_non_null(exc_find(l, got->inner));
		json_t *st = json_object_get(w, "stack");
		assert_int_equal(got->nframes, json_array_size(st));
		for (size_t k = 0; k < got->nframes; k++) {
			assert_non_null(got->frames[k].method);
			assert_string_equal(got->frames[k].method,
					    json_string_value(json_array_get(st, k)));
			assert_non_null(got->frames[k].module);
			assert_string_equal(got->frames[k].module, "tasks.dll");
			/* the fixture's methods are jitted: each frame's code is found,
			 * and its IP lies past the start */
			assert_true(got->frames[k].code != 0);
			assert_true(got->frames[k].ip > got->frames[k].code);
			assert_true(got->frames[k].ip - got->frames[k].code < CLR_CODE_SCAN);
		}
		assert_null(got->warning);
		/* the hierarchy, by MethodTable parents */
		assert_true(exc_is_a(l, got, "System.Exception"));
		assert_true(exc_is_a(l, got, got->type));
		json_t *bases = json_object_get(w, "bases");
		for (size_t k = 0; k < json_array_size(bases); k++)
			assert_true(exc_is_a(l, got, json_string_value(json_array_get(bases, k))));
		bool app = strcmp(got->type, "Tasks.OrderFailedException") == 0 ||
			   strcmp(got->type, "Tasks.AppException") == 0;
		assert_int_equal(exc_is_a(l, got, "Tasks.AppException"), app);
		if (strcmp(got->type, "Tasks.OrderFailedException") == 0) {
			char *s = calloc(1, 8192);
			assert_non_null(s);
			exc_text(l, got, to_str, s);
			assert_non_null(strstr(s, "Exception type:   Tasks.OrderFailedException\n"));
			/* its offset in the method's jitted code */
			assert_non_null(strstr(s, "tasks!Tasks.Shop.CheckStock+0x"));
			assert_non_null(strstr(s, "\nHResult: a0010007\n"));
			free(s);
		}
	}
	/* addresses ascend, and exc_find finds each */
	for (size_t k = 0; k < n; k++) {
		assert_ptr_equal(exc_find(l, e[k].addr), &e[k]);
		if (k)
			assert_true(e[k - 1].addr < e[k].addr);
	}
	assert_null(exc_find(l, e[0].addr + 8));
	char *s = calloc(1, 8192);
	assert_non_null(s);
	exc_by_type_tsv(l, to_str, s);
	assert_memory_equal(s, "count\ttype\n", 11);
	free(s);
	exc_close(l);
	json_decref(t);
	fx_close(&f);
}

static void test_fixtures(void **state)
{
	(void)state;
	check_fixture("tasks.heap.dmp", "tasks.truth.json");
	check_fixture("tasks-net9.heap.dmp", "tasks-net9.truth.json");
	/* a .NET 8 heap dump lacks the framework's metadata: only the
	 * runtime's files on disk hold it (lib.sh's e2e_dumps leaves it out too) */
	if (!getenv("CLRHEAP_NO_RUNTIME"))
		check_fixture("tasks-net8.heap.dmp", "tasks-net8.truth.json");
}

/* A heap whose exceptions were never thrown: the runtime's preallocated
 * ones, no frames, no warnings. */
static void test_unthrown(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo-win-x86.full.dmp");
	struct exc_list *l;
	assert_int_equal(exc_open(f.h, &l, &f.err), CH_OK);
	size_t n;
	const struct exc_exception *e = exc_all(l, &n);
	assert_true(n >= 3);
	for (size_t k = 0; k < n; k++) {
		assert_null(e[k].warning);
		assert_true(exc_is_a(l, &e[k], "System.Exception"));
	}
	struct jw w;
	jw_init(&w);
	exc_list_json(l, NULL, &w);
	json_error_t je;
	json_t *doc = json_loads(w.buf, 0, &je);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "exceptions")), n);
	json_decref(doc);
	jw_free(&w);
	exc_close(l);
	fx_close(&f);
}

/* The exception of type name in l, or NULL. */
static const struct exc_exception *of_type(const struct exc_list *l, const char *name)
{
	size_t n;
	const struct exc_exception *e = exc_all(l, &n);
	for (size_t k = 0; k < n; k++)
		if (strcmp(e[k].type, name) == 0)
			return &e[k];
	return NULL;
}

/* The tasks dump in private writable memory, its stack trace arrays
 * damaged in place: a count past the array's end, a length past the dump,
 * an array that is no array. Each ends that exception's decode with a
 * warning; the others read as before. */
static void test_damaged_fixture(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof path, "tasks.heap.dmp");
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	uint8_t *map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(map != MAP_FAILED);
	struct fx f = { 0 };
	if (dump_open_buffer(map, (size_t)sb.st_size, path, 0, &f.d, &f.err) != CH_OK ||
	    as_open(f.d, &f.a, &f.err) != CH_OK || clr_open(f.a, &f.c, &f.err) != CH_OK ||
	    heap_open(f.c, &f.h, &f.err) != CH_OK)
		fail_msg("%s", f.err.msg);
	struct exc_list *l;
	assert_int_equal(exc_open(f.h, &l, &f.err), CH_OK);
	const struct exc_exception *e = of_type(l, "Tasks.OrderFailedException");
	assert_non_null(e);
	assert_int_equal(e->nframes, 4);
	uint64_t arr = e->stack_trace, arr2 = of_type(l, "System.InvalidOperationException")->stack_trace;
	exc_close(l);
	/* the count: u32 at the array's data (MT, length and padding before it) */
	uint8_t *count = (uint8_t *)as_ptr(f.a, arr + 16, 4);
	uint8_t *len = (uint8_t *)as_ptr(f.a, arr + 8, 4);
	uint8_t *mt2 = (uint8_t *)as_ptr(f.a, arr2, 8);
	assert_non_null(count);
	assert_non_null(len);
	assert_non_null(mt2);
	put32(count, 0x7fffffffu);
	memset(mt2, 0, 8);
	assert_int_equal(exc_open(f.h, &l, &f.err), CH_OK);
	e = of_type(l, "Tasks.OrderFailedException");
	assert_non_null(e->warning);
	assert_true(e->nframes >= 4);
	assert_string_equal(e->frames[0].method, "Tasks.Shop.CheckStock");
	e = of_type(l, "System.InvalidOperationException");
	assert_non_null(e->warning);
	assert_int_equal(e->nframes, 0);
	assert_int_equal(of_type(l, "Tasks.AppException")->nframes, 1);
	assert_null(of_type(l, "Tasks.AppException")->warning);
	char *s = calloc(1, 8192);
	assert_non_null(s);
	exc_text(l, of_type(l, "Tasks.OrderFailedException"), to_str, s);
	assert_non_null(strstr(s, "(the stack trace ends early: "));
	free(s);
	exc_close(l);
	put32(count, 4);
	put32(len, 0xffffffffu);
	assert_int_equal(exc_open(f.h, &l, &f.err), CH_OK);
	e = of_type(l, "Tasks.OrderFailedException");
	assert_non_null(e->warning);
	assert_true(e->nframes >= 4);
	exc_close(l);
	fx_close(&f);
	munmap(map, (size_t)sb.st_size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_x64),
		cmocka_unit_test(test_decode_x86),
		cmocka_unit_test(test_decode_damaged),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_unthrown),
		cmocka_unit_test(test_damaged_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
