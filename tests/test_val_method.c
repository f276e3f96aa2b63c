/* test_val_method.c - methods in the JSON (src/val_leaf.c, val_plan.c):
 * on real dumps of .NET 8, 9 and 10, Linux and Windows, a delegate's and
 * a RuntimeMethodInfo's document ends with the "$method" ClrMD names
 * (tests/clr_method_want.h), and the RuntimeMethodInfo's handle read as
 * the RuntimeMethodHandleInternal it is renders as its method and
 * MethodDesc, or as its number where it holds none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "clr_method_want.h"
#include "md.h"
#include "val.h"

/* The JSON of delegate or RuntimeMethodInfo obj ends with
 * "$method":"<name>"; the method handle of a RuntimeMethodInfo, read as
 * the RuntimeMethodHandleInternal it is, is {"$method","$methodDesc"},
 * and the same struct over junk (the object's header) its number. */
static void rendered(struct fx *f, struct val *v, const struct want *w)
{
	struct val_buf b;
	char tail[600];
	val_buf_init(&b);
	assert_int_equal(val_object_json(v, w->addr, &b, NULL), CH_OK);
	snprintf(tail, sizeof tail, ",\"$method\":\"%s\"}", w->name);
	assert_true(b.len > strlen(tail));
	assert_string_equal(b.p + b.len - strlen(tail), tail);
	if (w->handle) {
		const struct heap_stat_row *rows;
		size_t n;
		assert_int_equal(heap_stat(f->h, &rows, &n, NULL), CH_OK);
		uint64_t mts[4096];
		for (size_t i = 0; i < n && i < 4096; i++)
			mts[i] = rows[i].mt;
		uint64_t hmt = clr_find_type(f->c, "System.RuntimeMethodHandleInternal", mts,
					     n < 4096 ? n : 4096);
		assert_int_not_equal(hmt, 0);
		uint64_t mt, md;
		assert_true(as_ptrv(f->a, w->addr, &mt));
		const struct clr_type *t = clr_type_of(f->c, mt & clr_mt_mask(f->c), NULL);
		size_t nf, ninst;
		const struct clr_field *fl = clr_type_fields(f->c, t, &nf, &ninst, NULL);
		const struct clr_field *hf = NULL;
		for (size_t i = 0; fl && i < ninst; i++)
			if (strcmp(fl[i].name, "m_handle") == 0)
				hf = &fl[i];
		assert_non_null(hf);
		uint64_t at = w->addr + clr_ptr_size(f->c) + hf->offset;
		assert_true(as_ptrv(f->a, at, &md));
		struct val_slot sl = { at, hmt, MD_ELEM_VALUETYPE };
		char want[700];
		snprintf(want, sizeof want, "{\"$method\":\"%s\",\"$methodDesc\":\"0x%" PRIx64 "\"}",
			 w->name, md);
		val_buf_reset(&b);
		assert_int_equal(val_slot_json(v, &sl, &b, NULL), CH_OK);
		assert_string_equal(b.p, want);
		/* the object's header: its MethodTable, no MethodDesc, so the
		 * plain struct */
		sl.addr = w->addr;
		snprintf(want, sizeof want,
			 "{\"$type\":\"System.RuntimeMethodHandleInternal\",\"m_handle\":%" PRId64 "}",
			 (int64_t)mt);
		val_buf_reset(&b);
		assert_int_equal(val_slot_json(v, &sl, &b, NULL), CH_OK);
		assert_string_equal(b.p, want);
	}
	val_buf_free(&b);
}

static void check(const char *dump, const struct want *w, size_t nw)
{
	struct fx f;
	struct val *v;
	fx_open(&f, dump);
	assert_int_equal(val_open(f.c, &v, NULL), CH_OK);
	for (size_t i = 0; i < nw; i++)
		rendered(&f, v, &w[i]);
	val_close(v);
	fx_close(&f);
}

#define CHECK(fn, dump, w)                                       \
	static void fn(void **state)                             \
	{                                                        \
		(void)state;                                     \
		check(dump, w, sizeof w / sizeof w[0]);          \
	}

CHECK(test_net10_linux_heap, "zoo.heap.dmp", w_zoo_heap)
CHECK(test_net8_linux, "zoo-net8.full.dmp", w_zoo_net8_full)
CHECK(test_net9_linux, "zoo-net9.full.dmp", w_zoo_net9_full)
CHECK(test_net10_windows, "zoo-win-x64.full.dmp", w_zoo_win_x64_full)
CHECK(test_net8_windows, "zoo-net8-win-x64.full.dmp", w_zoo_net8_win_x64_full)
CHECK(test_fsharp_heap, "visits.heap.dmp", w_visits_heap)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net10_linux_heap),
		cmocka_unit_test(test_net8_linux),
		cmocka_unit_test(test_net9_linux),
		cmocka_unit_test(test_net10_windows),
		cmocka_unit_test(test_net8_windows),
		cmocka_unit_test(test_fsharp_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
