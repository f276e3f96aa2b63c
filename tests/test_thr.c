/* test_thr.c - the managed threads on real dumps of .NET 8, 9, 10 and 11,
 * Linux and Windows (x64, x86): the walk reads the ThreadStore's count of
 * threads, each thread's ids, Thread object, name and flags equal what the
 * DAC (ClrMD) reports on the same dumps, stacks come from the TEB on
 * Windows; and a damaged thread list (a cycle, a link into nowhere, a list
 * cut short) ends the walk with a warning, never a crash or a loop. */
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
#include "thr.h"

/* What ClrMD's ClrRuntime.Threads says of one thread of a fixture (for
 * the x86 dump, which no oracle reads here, what this reader found: its
 * stacks agree with the TEBs, its objects are System.Threading.Thread). */
struct want {
	uint32_t id;
	uint64_t os_id, addr, object;
};

struct dcase {
	const char *dump;
	size_t n;              /* threads */
	struct want w[4];      /* the first ones, in list order */
	bool windows;
};

static const struct dcase cases[] = {
	{ "zoo.heap.dmp", 4,
	  { { 1, 25702, 0x55e28405a320, 0x7f5e8fc11668 }, { 2, 25709, 0x55e28405cc00, 0x7f5e8fc11a98 },
	    { 3, 25710, 0x55e2840651f0, 0 }, { 4, 25711, 0x55e284194b30, 0x7f5e8fc11600 } }, false },
	{ "zoo-net8.full.dmp", 4,
	  { { 1, 26569, 0x55c3c7ca2d50, 0x7f3f98c0e4f0 }, { 2, 26576, 0x55c3c7caa7b0, 0 },
	    { 3, 26577, 0x55c3c7cdde70, 0 }, { 4, 26578, 0x55c3c7efa6f0, 0x7f3f98c0e410 } }, false },
	{ "zoo-net9.full.dmp", 4,
	  { { 1, 26299, 0x55e6c081cd00, 0x7f77c0c0fe60 }, { 2, 26306, 0x55e6c081ecb0, 0x7f77c0c10270 },
	    { 3, 26307, 0x55e6c082a2c0, 0 }, { 4, 26308, 0x55e6c097ba30, 0x7f77c0c0fdf8 } }, false },
	{ "zoo-net11.heap.dmp", 4,
	  { { 1, 25611, 0x55edf3467bd0, 0x7f89a7c0a780 }, { 2, 25619, 0x55edf346a280, 0x7f89a7c004a0 },
	    { 3, 25621, 0x55edf346fb40, 0 }, { 4, 25632, 0x55edf3477420, 0x7f89a7c0a708 } }, false },
	{ "zoo-win-x64.full.dmp", 3,
	  { { 1, 268, 0x105c680, 0x7ef828810620 }, { 2, 256, 0x115a790, 0x7ef8288101f0 },
	    { 4, 280, 0x11af900, 0x7ef828810188 } }, true },
	{ "zoo-net8-win-x64.full.dmp", 3,
	  { { 1, 260, 0x2fd8f0, 0x7f9aa780e6f8 }, { 2, 272, 0x430cd0, 0 },
	    { 4, 284, 0x5b6140, 0x7f9aa780e600 } }, true },
	{ "zoo-net9-win-x64.full.dmp", 3,
	  { { 1, 260, 0x1029ee0, 0x7f61524004a0 }, { 2, 248, 0x1190770, 0x7f6152410278 },
	    { 4, 284, 0x1310bd0, 0x7f6152410210 } }, true },
	{ "zoo-win-x86.full.dmp", 4,
	  { { 1, 268, 0xcfce08, 0x26d1308 }, { 2, 36, 0xd0a428, 0x26dd568 },
	    { 3, 272, 0xd0be10, 0 }, { 4, 280, 0x75d6dd8, 0x26dd530 } }, true },
};

/* Every fixture: the ThreadStore's count of threads, ids and objects as
 * ClrMD has them, one finalizer, the worker thread by name, sane
 * allocation contexts and stacks, no exception. */
static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct dcase *k = &cases[i];
		struct fx f;
		fx_open(&f, k->dump);
		struct thr_list *l;
		assert_int_equal(thr_open(f.c, &l, &f.err), CH_OK);
		assert_null(thr_warning(l));
		size_t n;
		const struct thr_thread *t = thr_threads(l, &n);
		const struct clr_thread_store *s = thr_store(l);
		assert_true(s->counts);
		assert_int_equal(s->count, k->n);
		assert_int_equal(n, k->n);
		unsigned finalizers = 0, workers = 0;
		for (size_t j = 0; j < n; j++) {
			if (j < 4 && k->w[j].id) {
				assert_int_equal(t[j].managed_id, k->w[j].id);
				assert_int_equal(t[j].os_id, k->w[j].os_id);
				assert_int_equal(t[j].addr, k->w[j].addr);
				assert_int_equal(t[j].object, k->w[j].object);
			}
			assert_ptr_equal(thr_find_os(l, t[j].os_id), &t[j]);
			assert_false(t[j].cooperative); /* every thread waits in these apps */
			assert_false(t[j].have_lock_count);
			assert_int_equal(t[j].exception, 0);
			assert_true(t[j].alloc.ptr <= t[j].alloc.limit);
			assert_true(t[j].dump_index >= 0);
			assert_true(t[j].stack_base > t[j].stack_limit);
			assert_int_equal(t[j].stack_from == THR_STACK_TEB, k->windows);
			finalizers += !!(t[j].flags & THR_F_FINALIZER);
			if (t[j].name && strcmp(t[j].name, "zoo-worker") == 0) {
				workers++;
				assert_true(t[j].flags & THR_F_BACKGROUND);
				assert_true(t[j].flags & THR_F_WAITING);
			}
			assert_false(t[j].flags & (THR_F_DEAD | THR_F_UNSTARTED));
		}
		assert_int_equal(finalizers, 1);
		assert_int_equal(workers, 1);
		thr_close(l);
		fx_close(&f);
	}
}

/* The JSON of a list is valid and says what the structs say. */
static void test_json(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct thr_list *l;
	assert_int_equal(thr_open(f.c, &l, &f.err), CH_OK);
	struct jw w;
	jw_init(&w);
	thr_list_json(l, &w);
	assert_false(w.oom);
	json_error_t je;
	json_t *j = json_loads(w.buf, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "thread_count")), 4);
	assert_true(json_is_null(json_object_get(j, "warning")));
	json_t *a = json_object_get(j, "threads");
	assert_int_equal(json_array_size(a), 4);
	json_t *w4 = json_array_get(a, 3);
	assert_string_equal(json_string_value(json_object_get(w4, "name")), "zoo-worker");
	assert_string_equal(json_string_value(json_object_get(w4, "thread")), "0x7f5e8fc11600");
	assert_string_equal(json_string_value(json_object_get(w4, "runtime_thread")), "0x55e284194b30");
	assert_int_equal(json_integer_value(json_object_get(w4, "os_id")), 25711);
	assert_string_equal(json_string_value(json_object_get(w4, "gc_mode")), "preemptive");
	assert_true(json_is_null(json_object_get(w4, "exception")));
	assert_true(json_is_null(json_object_get(w4, "lock_count")));
	json_t *fl = json_object_get(w4, "flags");
	assert_string_equal(json_string_value(json_array_get(fl, 0)), "background");
	json_t *st = json_object_get(w4, "stack");
	assert_string_equal(json_string_value(json_object_get(st, "from")), "dump");
	json_t *w3 = json_array_get(a, 2);
	assert_true(json_is_null(json_object_get(w3, "thread")));
	assert_true(json_is_null(json_object_get(w3, "name")));
	json_decref(j);
	jw_free(&w);
	char buf[64];
	assert_string_equal(thr_flags_str(THR_F_BACKGROUND | THR_F_THREADPOOL, buf, sizeof buf),
			    "background,threadpool worker");
	assert_string_equal(thr_flags_str(0, buf, sizeof buf), "");
	assert_string_equal(thr_flags_str(THR_F_BACKGROUND | THR_F_FINALIZER, buf, 12), "background");
	thr_close(l);
	fx_close(&f);
}

/* The file offset of virtual address va in the dump, 0 when absent. */
static size_t file_off(struct dump *d, uint64_t va)
{
	size_t nr;
	const struct dump_range *r = dump_ranges(d, &nr);
	for (size_t i = 0; i < nr; i++)
		if (va >= r[i].va && va - r[i].va + 8 <= r[i].size)
			return (size_t)(r[i].file_off + (va - r[i].va));
	return 0;
}

/* Opens the bytes as a dump and reads its threads: the walk must end with
 * a warning holding what, after at most max threads. */
static void damaged(const uint8_t *bytes, size_t len, const char *what, size_t max)
{
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct ch_err err = { 0 };
	assert_int_equal(dump_open_buffer(bytes, len, "damaged", 0, &d, &err), CH_OK);
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	assert_int_equal(clr_open(a, &c, &err), CH_OK);
	struct thr_list *l;
	assert_int_equal(thr_open(c, &l, &err), CH_OK);
	size_t n;
	thr_threads(l, &n);
	assert_non_null(thr_warning(l));
	if (!strstr(thr_warning(l), what))
		fail_msg("warning \"%s\" does not say \"%s\"", thr_warning(l), what);
	assert_true(n <= max);
	thr_close(l);
	clr_close(c);
	as_close(a);
	dump_close(d);
}

/* The 10.0 list links each Thread's LinkNext to the next one's: a cycle
 * back to the first thread, a link into unmapped memory and a list cut
 * short after two threads each end the walk with a warning. */
static void test_damaged_list(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct thr_list *l;
	assert_int_equal(thr_open(f.c, &l, &f.err), CH_OK);
	size_t n;
	const struct thr_thread *t = thr_threads(l, &n);
	assert_int_equal(n, 4);
	/* thread 1's link: the word that points at the same field of thread 2 */
	uint32_t at = 0;
	for (uint32_t off = 8; off < 0x400 && !at; off += 8) {
		uint64_t v;
		if (as_u64(f.a, t[1].addr + off, &v) && v == t[2].addr + off)
			at = off;
	}
	assert_true(at != 0);
	size_t len;
	const uint8_t *bytes = dump_bytes(f.d, &len);
	size_t fo = file_off(f.d, t[1].addr + at);
	assert_true(fo != 0);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, bytes, len);
	uint64_t v = t[0].addr + at; /* back to the first: a cycle */
	memcpy(copy + fo, &v, 8);
	damaged(copy, len, "runs past 4 threads", 4);
	v = 0xdead0000; /* into nowhere */
	memcpy(copy + fo, &v, 8);
	damaged(copy, len, "cannot be read", 4);
	v = 0; /* the end, two threads early */
	memcpy(copy + fo, &v, 8);
	damaged(copy, len, "ends after 2 of the ThreadStore's 4 threads", 2);
	free(copy);
	thr_close(l);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_damaged_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
