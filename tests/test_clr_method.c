/* test_clr_method.c - methods named from MethodDescs and code addresses
 * (src/clr_method.c) on real dumps of .NET 8, 9, 10 and 11, Linux and
 * Windows: every delegate gets the method ClrMD names for it, and every
 * RuntimeMethodInfo's handle the name ClrMD gives that MethodDesc
 * (tests/clr_method_want.h). Where no oracle reads the dump here (32-bit
 * Windows, .NET 11), the same app's delegates on another dump of the same
 * runtime, or the app's own methods, say what to expect. Junk addresses
 * never name a method. */
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

#define MAX_DELEGATES 256

struct dlg {
	uint64_t addr;
	char name[512]; /* "" when not resolved */
};

struct scan {
	struct fx *f;
	struct dlg d[MAX_DELEGATES];
	size_t n, resolved;
	uint64_t string_obj, some_mt; /* junk to try */
};

static bool is_delegate(struct clr *c, const struct clr_type *t)
{
	for (int k = 0; t && k < 16; k++) {
		if (strcmp(t->name, "System.MulticastDelegate") == 0)
			return true;
		t = t->parent_mt ? clr_type_of(c, t->parent_mt, NULL) : NULL;
	}
	return false;
}

/* The value of the pointer-sized instance field name of obj (type t). */
static bool field_ptr(struct clr *c, const struct clr_type *t, uint64_t obj, const char *name,
		      uint64_t *v)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(c, t, &n, &ninst, NULL);
	for (size_t i = 0; f && i < ninst; i++)
		if (strcmp(f[i].name, name) == 0)
			return as_ptrv(clr_as(c), obj + clr_ptr_size(c) + f[i].offset, v);
	return false;
}

static bool on_obj(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct scan *s = arg;
	struct clr *c = s->f->c;
	const struct clr_type *t = clr_type_of(c, mt, NULL);
	if (!t)
		return true;
	if (t->kind == CLR_KIND_STRING && !s->string_obj)
		s->string_obj = obj;
	if (!s->some_mt && t->kind == CLR_KIND_CLASS)
		s->some_mt = mt;
	if (!is_delegate(c, t))
		return true;
	uint64_t ptr = 0, aux = 0;
	assert_true(field_ptr(c, t, obj, "_methodPtr", &ptr));
	assert_true(field_ptr(c, t, obj, "_methodPtrAux", &aux));
	assert_true(s->n < MAX_DELEGATES);
	struct dlg *d = &s->d[s->n++];
	d->addr = obj;
	uint64_t md = clr_delegate_method(c, ptr, aux);
	if (md && clr_method_name(c, md, d->name, sizeof d->name))
		s->resolved++;
	return true;
}

static struct scan *scan_open(struct fx *f, const char *dump)
{
	fx_open(f, dump);
	struct scan *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->f = f;
	assert_int_equal(heap_walk(f->h, on_obj, s), CH_OK);
	return s;
}

static const char *dlg_name(const struct scan *s, uint64_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->d[i].addr == addr)
			return s->d[i].name;
	return NULL;
}

/* The name the MethodDesc in RuntimeMethodInfo obj's m_handle has. */
static void handle_name(struct fx *f, uint64_t obj, char *buf, size_t size)
{
	uint64_t mt, md;
	assert_true(as_ptrv(f->a, obj, &mt));
	const struct clr_type *t = clr_type_of(f->c, mt & clr_mt_mask(f->c), NULL);
	assert_non_null(t);
	assert_true(field_ptr(f->c, t, obj, "m_handle", &md));
	assert_true(clr_method_name(f->c, md, buf, size));
}

/* Junk never names a method: a string object, a MethodTable, a
 * MethodDesc's inside, code that is no precode. */
static void junk(struct scan *s, uint64_t some_md)
{
	struct clr *c = s->f->c;
	struct clr_method m;
	char buf[64];
	assert_int_not_equal(clr_method_read(c, 0, &m, NULL), CH_OK);
	assert_int_not_equal(clr_method_read(c, 1, &m, NULL), CH_OK);
	assert_int_not_equal(clr_method_read(c, s->string_obj, &m, NULL), CH_OK);
	assert_int_not_equal(clr_method_read(c, s->some_mt, &m, NULL), CH_OK);
	assert_int_not_equal(clr_method_read(c, some_md + 2, &m, NULL), CH_OK);
	assert_false(clr_method_name(c, s->some_mt, buf, sizeof buf));
	assert_string_equal(buf, "");
	assert_int_equal(clr_method_from_code(c, s->string_obj), 0);
	assert_int_equal(clr_method_from_code(c, s->some_mt), 0);
	assert_int_equal(clr_method_from_code(c, some_md), 0);
	assert_int_equal(clr_delegate_method(c, 0, 0), 0);
}

/* Every delegate and handle ClrMD names gets that name, and every
 * delegate on the heap is one ClrMD listed. */
static void check(const char *dump, const struct want *w, size_t nw)
{
	struct fx f;
	struct scan *s = scan_open(&f, dump);
	size_t ndlg = 0, nh = 0, hok = 0;
	uint64_t some_md = 0;
	for (size_t i = 0; i < nw; i++) {
		char got[512];
		if (w[i].handle) {
			handle_name(&f, w[i].addr, got, sizeof got);
			uint64_t mt, md;
			assert_true(as_ptrv(f.a, w[i].addr, &mt));
			const struct clr_type *t = clr_type_of(f.c, mt & clr_mt_mask(f.c), NULL);
			assert_true(field_ptr(f.c, t, w[i].addr, "m_handle", &md));
			some_md = md;
			nh++;
			hok += strcmp(got, w[i].name) == 0;
			if (strcmp(got, w[i].name) != 0)
				print_message("%s: handle 0x%" PRIx64 ": %s, ClrMD %s\n", dump,
					      w[i].addr, got, w[i].name);
			assert_string_equal(got, w[i].name);
			continue;
		}
		const char *n = dlg_name(s, w[i].addr);
		assert_non_null(n);
		if (strcmp(n, w[i].name) != 0)
			print_message("%s: delegate 0x%" PRIx64 ": \"%s\", ClrMD %s\n", dump,
				      w[i].addr, n, w[i].name);
		assert_string_equal(n, w[i].name);
		ndlg++;
	}
	print_message("%s: delegates %zu of %zu named, handles %zu of %zu\n", dump, s->resolved,
		      s->n, hok, nh);
	assert_int_equal(ndlg, s->n);
	assert_int_not_equal(some_md, 0);
	junk(s, some_md);
	free(s);
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
CHECK(test_net9_windows, "zoo-net9-win-x64.full.dmp", w_zoo_net9_win_x64_full)
CHECK(test_fsharp_heap, "visits.heap.dmp", w_visits_heap)
CHECK(test_fsharp_windows, "visits-win-x64.full.dmp", w_visits_win_x64_full)

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 32-bit Windows, .NET 10.0.12: the zoo's delegates are those of its
 * 64-bit dump of the same runtime, name for name. */
static void test_net10_windows_x86(void **state)
{
	(void)state;
	struct fx f;
	struct scan *s = scan_open(&f, "zoo-win-x86.full.dmp");
	size_t nw = sizeof w_zoo_win_x64_full / sizeof w_zoo_win_x64_full[0], k = 0;
	const char *want[MAX_DELEGATES], *got[MAX_DELEGATES];
	for (size_t i = 0; i < nw; i++)
		if (!w_zoo_win_x64_full[i].handle)
			want[k++] = w_zoo_win_x64_full[i].name;
	print_message("zoo-win-x86.full.dmp: delegates %zu of %zu named\n", s->resolved, s->n);
	assert_int_equal(s->n, k);
	for (size_t i = 0; i < s->n; i++)
		got[i] = s->d[i].name;
	qsort(want, k, sizeof *want, by_name);
	qsort(got, k, sizeof *got, by_name);
	for (size_t i = 0; i < k; i++)
		assert_string_equal(got[i], want[i]);
	free(s);
	fx_close(&f);
}

/* .NET 11 (no oracle reads its heap dump here): every delegate is named,
 * the app's thread start among them, and the reflection handles are the
 * zoo's Array.Empty instantiations as on every other runtime. */
static void test_net11_heap(void **state)
{
	(void)state;
	struct fx f;
	struct scan *s = scan_open(&f, "zoo-net11.heap.dmp");
	print_message("zoo-net11.heap.dmp: delegates %zu of %zu named\n", s->resolved, s->n);
	assert_true(s->n >= 10);
	assert_int_equal(s->resolved, s->n);
	bool worker = false;
	for (size_t i = 0; i < s->n; i++)
		worker |= strcmp(s->d[i].name, "Zoo.Support.Threads.WorkerMain") == 0;
	assert_true(worker);
	free(s);
	fx_close(&f);
}

/* Every x64 StubPrecode in the dump ("mov r10,[rip+d]; jmp [rip+d]",
 * its data one page on) whose data says it stands for a method (type
 * `method` or `pinvoke`) gives a MethodDesc that names a method; the
 * unused ones (type 0) none. Delegates lead to FixupPrecodes only. */
static void stub_precodes(const char *dump, uint8_t method, uint8_t pinvoke, size_t least)
{
	struct fx f;
	fx_open(&f, dump);
	size_t nr, used = 0, named = 0, unused = 0;
	const struct dump_range *r = dump_ranges(f.d, &nr);
	for (size_t i = 0; i < nr; i++) {
		const uint8_t *p = as_ptr(f.a, r[i].va, r[i].size);
		for (uint64_t o = 0; p && r[i].size >= 16 && o <= r[i].size - 16; o += 8) {
			const uint8_t *k = p + o;
			if (k[0] != 0x4c || k[1] != 0x8b || k[2] != 0x15 || k[7] != 0xff || k[8] != 0x25)
				continue;
			int32_t d = (int32_t)((uint32_t)k[3] | (uint32_t)k[4] << 8 | (uint32_t)k[5] << 16 |
					      (uint32_t)k[6] << 24);
			uint64_t ip = r[i].va + o, data = ip + 7 + (uint64_t)(int64_t)d;
			uint8_t type;
			if (d < 0x1000 || as_read(f.a, data + 16, &type, 1) != 1)
				continue;
			uint64_t md = clr_method_from_code(f.c, ip);
			char name[512];
			if (type == method || type == pinvoke) {
				used++;
				named += md && clr_method_name(f.c, md, name, sizeof name);
			} else if (type == 0) {
				unused++;
				assert_int_equal(md, 0);
			}
		}
	}
	print_message("%s: StubPrecodes %zu of %zu named, %zu unused\n", dump, named, used, unused);
	assert_true(used >= least);
	assert_int_equal(named, used);
	fx_close(&f);
}

static void test_stub_precodes(void **state)
{
	(void)state;
	stub_precodes("zoo-net8.full.dmp", 0x4c, 5, 300); /* .NET 8, 9: precode.h's types */
	stub_precodes("zoo-net9.full.dmp", 0x4c, 5, 300);
	stub_precodes("zoo.full.dmp", 3, 5, 100); /* .NET 10: the descriptor's */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net10_linux_heap),
		cmocka_unit_test(test_net8_linux),
		cmocka_unit_test(test_net9_linux),
		cmocka_unit_test(test_net10_windows),
		cmocka_unit_test(test_net8_windows),
		cmocka_unit_test(test_net9_windows),
		cmocka_unit_test(test_fsharp_heap),
		cmocka_unit_test(test_fsharp_windows),
		cmocka_unit_test(test_net10_windows_x86),
		cmocka_unit_test(test_net11_heap),
		cmocka_unit_test(test_stub_precodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
