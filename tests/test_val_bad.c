/* test_val_bad.c - values from damaged copies of a real dump: a list size
 * past its array, a queue head out of range, unreadable entries, loops in
 * linked collections, huge string and array lengths, a garbage
 * MethodTable, a base class with more fields than its subclass. Each renders valid JSON in bounded time and size: a
 * collection whose fields do not add up shows its plain fields, damage is
 * marked with "$error", nothing crashes and nothing wrong is shown as
 * content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fixture.h"
#include "heap.h"
#include "md.h"
#include "val.h"
#include "../src/clr_priv.h"
#include "../src/val_priv.h"

/* A private, writable mapping of a fixture dump and the layers on it. */
struct dmg {
	uint8_t *map;
	size_t len;
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct val *v;
	struct ch_err err;
};

static void dmg_open(struct dmg *g, const char *name)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	memset(g, 0, sizeof *g);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("%s: missing fixture", path);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	g->len = (size_t)st.st_size;
	g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(g->map != MAP_FAILED);
	if (dump_open_buffer(g->map, g->len, name, 0, &g->d, &g->err) != CH_OK ||
	    as_open(g->d, &g->a, &g->err) != CH_OK || clr_open(g->a, &g->c, &g->err) != CH_OK ||
	    heap_open(g->c, &g->h, &g->err) != CH_OK || val_open(g->c, &g->v, &g->err) != CH_OK)
		fail_msg("%s", g->err.msg);
}

static void dmg_close(struct dmg *g)
{
	val_close(g->v);
	heap_close(g->h);
	clr_close(g->c);
	as_close(g->a);
	dump_close(g->d);
	munmap(g->map, g->len);
}

/* Writes n bytes at virtual address va of the private copy. */
static void poke(struct dmg *g, uint64_t va, const void *b, size_t n)
{
	size_t nr;
	const struct dump_range *r = dump_ranges(g->d, &nr);
	for (size_t i = 0; i < nr; i++)
		if (va >= r[i].va && va - r[i].va + n <= r[i].size) {
			memcpy(g->map + r[i].file_off + (va - r[i].va), b, n);
			return;
		}
	fail_msg("0x%llx is not in the dump", (unsigned long long)va);
}

static void poke32(struct dmg *g, uint64_t va, uint32_t x) { poke(g, va, &x, 4); }
static void poke64(struct dmg *g, uint64_t va, uint64_t x) { poke(g, va, &x, 8); }

struct first {
	const struct clr_type *want;
	struct clr *c;
	const char *name;
	uint64_t obj;
};

static bool first_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct first *f = arg;
	const struct clr_type *t = clr_type_of(f->c, mt, NULL);
	if (t && strcmp(t->name, f->name) == 0) {
		f->obj = obj;
		return false;
	}
	return true;
}

/* The first object of the type named name. */
static uint64_t first_of(struct dmg *g, const char *name)
{
	struct first f = { NULL, g->c, name, 0 };
	heap_walk(g->h, first_cb, &f);
	if (!f.obj)
		fail_msg("no %s in the fixture", name);
	return f.obj;
}

/* Address of field name of the object at obj (instance data + offset). */
static uint64_t field_addr(struct dmg *g, uint64_t obj, const char *name)
{
	uint64_t mt;
	assert_true(as_u64(g->a, obj, &mt));
	const struct clr_type *t = clr_type_of(g->c, mt & clr_mt_mask(g->c), NULL);
	assert_non_null(t);
	size_t n;
	const struct clr_field *f = clr_type_fields(g->c, t, &n, NULL, NULL);
	for (size_t i = 0; f && i < n; i++)
		if (!(f[i].flags & CLR_FIELD_STATIC) && strcmp(f[i].name, name) == 0)
			return obj + 8 + f[i].offset;
	fail_msg("%s has no field %s", t->name, name);
	return 0;
}

/* The reference held by field name of obj. */
static uint64_t ref_of(struct dmg *g, uint64_t obj, const char *name)
{
	uint64_t x;
	assert_true(as_u64(g->a, field_addr(g, obj, name), &x));
	return x;
}

/* Renders obj; checks it is valid JSON, at most max bytes; returns it
 * (free it). */
static char *render(struct dmg *g, uint64_t obj, size_t max)
{
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_object_json(g->v, obj, &b, &g->err), CH_OK);
	assert_true(b.len <= max);
	json_error_t e;
	json_t *j = json_loads(b.p, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	if (!j)
		fail_msg("invalid JSON (%s at %d): %.300s", e.text, e.position, b.p);
	json_decref(j);
	return b.p;
}

/* The JSON text of key "k" in s (from the value's start). */
static const char *value_of(const char *s, const char *k)
{
	char key[128];
	snprintf(key, sizeof key, "\"%s\":", k);
	const char *p = strstr(s, key);
	if (!p)
		fail_msg("no %s in %.300s", k, s);
	return p + strlen(key);
}

static void test_list_size_past_array(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t coll = first_of(&g, "Zoo.Collections");
	uint64_t list = ref_of(&g, coll, "Ints");
	poke32(&g, field_addr(&g, list, "_size"), 1000);
	char *s = render(&g, coll, 1 << 20);
	/* the plain fields, not 1000 elements */
	const char *v = value_of(s, "Ints");
	assert_true(strncmp(v, "{\"$addr\":", 9) == 0);
	assert_non_null(strstr(v, "\"_size\":1000"));
	assert_true(strncmp(value_of(s, "Strs"), "[\"b\",null,\"a\"]", 14) == 0);
	free(s);
	dmg_close(&g);
}

static void test_queue_head_out_of_range(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t coll = first_of(&g, "Zoo.Collections");
	uint64_t q = ref_of(&g, coll, "Waiting");
	poke32(&g, field_addr(&g, q, "_head"), (uint32_t)-5);
	char *s = render(&g, coll, 1 << 20);
	assert_non_null(strstr(value_of(s, "Waiting"), "\"_head\":-5"));
	free(s);
	poke32(&g, field_addr(&g, q, "_head"), 4000);
	s = render(&g, coll, 1 << 20);
	assert_non_null(strstr(value_of(s, "Waiting"), "\"_head\":4000"));
	free(s);
	dmg_close(&g);
}

static void test_dictionary_damage(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t coll = first_of(&g, "Zoo.Collections");
	/* entries unreadable */
	uint64_t d = ref_of(&g, coll, "ByName");
	poke64(&g, field_addr(&g, d, "_entries"), 0x18);
	/* a count past the entries */
	uint64_t h = ref_of(&g, coll, "Tags");
	poke32(&g, field_addr(&g, h, "_count"), 0x7fffffff);
	char *s = render(&g, coll, 1 << 20);
	assert_non_null(strstr(value_of(s, "ByName"), "\"_entries\":{\"$ref\":\"0x18\",\"$error\""));
	assert_non_null(strstr(value_of(s, "Tags"), "\"_count\":2147483647"));
	assert_true(strncmp(value_of(s, "ById"), "[[1,\"one\"]", 10) == 0);
	free(s);
	dmg_close(&g);
}

static void test_concurrent_loops(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t coll = first_of(&g, "Zoo.Collections");
	/* a segment that is its own next segment */
	uint64_t cq = ref_of(&g, coll, "Inbox");
	uint64_t seg = ref_of(&g, cq, "_head");
	poke64(&g, field_addr(&g, seg, "_nextSegment"), seg);
	/* a node of a bucket chain that points at itself */
	uint64_t cd = ref_of(&g, coll, "Pets");
	uint64_t tables = ref_of(&g, cd, "_tables");
	uint64_t buckets = ref_of(&g, tables, "_buckets");
	uint32_t nb;
	assert_true(as_u32(g.a, buckets + 8, &nb));
	uint64_t node = 0;
	for (uint32_t i = 0; i < nb && !node; i++)
		assert_true(as_u64(g.a, buckets + 16 + 8 * (uint64_t)i, &node));
	assert_true(node != 0);
	poke64(&g, field_addr(&g, node, "_next"), node);
	char *s = render(&g, coll, 1 << 20);
	assert_non_null(strstr(value_of(s, "Inbox"), "\"_head\":"));
	assert_true(strncmp(value_of(s, "Pets"), "{\"$addr\":", 9) == 0);
	assert_true(strncmp(value_of(s, "Hits"), "{\"contact\":0", 12) == 0);
	free(s);
	/* a segment's slots replaced by a string: not a queue any more */
	poke64(&g, field_addr(&g, cq, "_head"), ref_of(&g, first_of(&g, "Zoo.Strings"), "Ascii"));
	s = render(&g, coll, 1 << 20);
	assert_non_null(strstr(value_of(s, "Inbox"), "\"_head\":\"The quick brown fox\""));
	free(s);
	dmg_close(&g);
}

static void test_string_lengths(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t strs = first_of(&g, "Zoo.Strings");
	uint64_t a = ref_of(&g, strs, "Ascii"), b = ref_of(&g, strs, "NonAscii");
	uint64_t e = ref_of(&g, strs, "Empty");
	poke32(&g, a + 8, 0x3fffffff);  /* past the end of the dump's memory */
	poke32(&g, b + 8, 0xffffffff);  /* "negative" */
	poke32(&g, e + 8, 3);           /* longer, but still readable */
	char *s = render(&g, strs, 4 << 20);
	assert_non_null(strstr(value_of(s, "Ascii"), "\"$error\":\"string not readable\""));
	assert_non_null(strstr(value_of(s, "NonAscii"), "\"$error\":\"bad string length\""));
	assert_true(value_of(s, "Empty")[0] == '"');
	free(s);
	/* value-file text of a damaged string is empty, not garbage */
	struct val_buf t;
	val_buf_init(&t);
	struct val_slot slot = { field_addr(&g, strs, "Ascii"), 0, 0x0e };
	assert_int_equal(val_slot_text(g.v, &slot, &t, NULL), CH_OK);
	assert_string_equal(t.p, "\n");
	val_buf_free(&t);
	dmg_close(&g);
}

static void test_array_lengths(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t arrs = first_of(&g, "Zoo.Arrays");
	uint64_t ints = ref_of(&g, arrs, "Ints"), grid = ref_of(&g, arrs, "Grid");
	poke32(&g, ints + 8, 0x7fffffff);
	poke32(&g, grid + 16, 7); /* dimensions no longer multiply to the length */
	char *s = render(&g, arrs, 1 << 20);
	assert_non_null(strstr(value_of(s, "Ints"), "\"$error\":\"array not readable\""));
	assert_non_null(strstr(value_of(s, "Grid"), "\"$error\":\"array not readable\""));
	assert_true(strncmp(value_of(s, "Cube"), "[[[1,2],[3,4]],[[5,6],[7,8]]]", 29) == 0);
	free(s);
	struct val_slot slot;
	assert_false(val_elem_slot(g.v, grid, 100, &slot));
	dmg_close(&g);
}

static void test_garbage_method_table(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.heap.dmp");
	uint64_t arrs = first_of(&g, "Zoo.Arrays");
	uint64_t animals = ref_of(&g, arrs, "Animals");
	uint64_t tom;
	assert_true(as_u64(g.a, animals + 16, &tom));
	poke64(&g, tom, 0x1238);
	char *s = render(&g, arrs, 1 << 20);
	assert_non_null(strstr(value_of(s, "Animals"), "\"$error\":\"not an object\""));
	free(s);
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_object_json(g.v, tom, &b, &g.err), CH_ECORRUPT);
	assert_non_null(strstr(g.err.msg, "no object at"));
	struct val_slot slot = { animals + 16, 0, 0x12 };
	assert_int_equal(val_slot_kind(g.v, &slot, NULL), VAL_BAD);
	val_buf_free(&b);
	dmg_close(&g);
}

/* A value type that contains itself, which no runtime loads: in a full
 * dump's own metadata, Zoo.Line's From and To (Zoo.Point, a signature
 * blob they share) are made Zoo.Line. Line's plan is built once with the
 * cycle cut (not again at every level down to the build limit: 33 plans
 * before), and an object holding a Line renders. */
static void test_value_type_cycle(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.full.dmp");
	uint64_t structs = first_of(&g, "Zoo.Structs");
	uint64_t mt;
	assert_true(as_u64(g.a, structs, &mt));
	const struct clr_type *st = clr_type_of(g.c, mt & clr_mt_mask(g.c), NULL);
	assert_non_null(st);
	size_t n;
	const struct clr_field *f = clr_type_fields(g.c, st, &n, NULL, NULL);
	uint64_t line_mt = 0;
	for (size_t i = 0; f && i < n; i++)
		if (strcmp(f[i].name, "Line") == 0)
			line_mt = clr_resolve_field(val_resolver(g.v), &f[i]);
	const struct clr_type *line = line_mt ? clr_type_of(g.c, line_mt, NULL) : NULL;
	assert_non_null(line);
	f = clr_type_fields(g.c, line, &n, NULL, NULL);
	const struct md *md = clr_module_md(g.c, line->module);
	assert_non_null(md);
	struct md_field mf = { 0 };
	for (size_t i = 0; f && i < n; i++)
		if (strcmp(f[i].name, "From") == 0)
			assert_int_equal(md_field(md, f[i].token & 0xffffff, &mf), CH_OK);
	/* 06 11 <TypeDef coded index>: the blob is in the dump's pages */
	uint32_t coded = (line->token & 0xffffff) << 2;
	assert_int_equal(mf.sig_len, 3);
	assert_int_equal(mf.sig[1], MD_ELEM_VALUETYPE);
	assert_true(coded < 0x80 && mf.sig >= g.map && mf.sig < g.map + g.len);
	g.map[mf.sig + 2 - g.map] = (uint8_t)coded;

	unsigned long built = g.v->nbuilt;
	struct plan *p = val_plan(g.v, line_mt);
	assert_non_null(p);
	/* Line, and the enum Zoo.Color of its third field */
	assert_int_equal(g.v->nbuilt - built, 2);
	assert_int_equal(p->nf, 3);
	assert_null(p->f[0].sub);
	assert_null(p->f[1].sub);
	assert_non_null(p->f[2].sub);
	assert_ptr_equal(val_plan(g.v, line_mt), p);
	assert_int_equal(g.v->nbuilt - built, 2);
	char *s = render(&g, structs, 1 << 20);
	assert_non_null(strstr(value_of(s, "Line"), "\"From\":{\"$error\":\"type not resolved\"}"));
	free(s);
	dmg_close(&g);
}

/* A base class claiming more instance fields than its subclass: the
 * subclass's fields cannot load, it says so, and no count runs past what
 * was loaded (the statics renderer once allocated n - ninst, negative:
 * found by fuzz_heap, corpus/heap/crash-statics-fields-partial). */
static void test_base_with_more_fields(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g, "zoo.full.dmp");
	uint64_t dog = first_of(&g, "Zoo.Dog"), mt;
	assert_true(as_u64(g.a, dog, &mt));
	const struct clr_type *t = clr_type_of(g.c, mt & clr_mt_mask(g.c), NULL);
	assert_non_null(t);
	const struct clr_type *base = clr_type_of(g.c, t->parent_mt, NULL);
	assert_non_null(base);
	assert_string_equal(base->name, "Zoo.Animal");
	assert_int_equal(g.c->off.ee_counts_at, 0); /* .NET 10: u16 counts */
	uint16_t own;
	assert_int_equal(as_read(g.a, t->eeclass + g.c->off.ee_ninst, &own, 2), 2);
	uint16_t more = (uint16_t)(own + 1);
	poke(&g, base->eeclass + g.c->off.ee_ninst, &more, 2);

	size_t n = 99, ninst = 99;
	struct ch_err e = { CH_OK, "" };
	assert_null(clr_type_fields(g.c, t, &n, &ninst, &e));
	assert_int_equal(e.status, CH_ECORRUPT);
	assert_non_null(strstr(e.msg, "field counts are inconsistent"));
	assert_true(ninst <= n);
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_statics_json(g.v, t, &b, &e), CH_ECORRUPT);
	assert_non_null(strstr(e.msg, "field counts are inconsistent"));
	val_buf_free(&b);
	char *s = render(&g, dog, 1 << 20);
	free(s);
	dmg_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_size_past_array),
		cmocka_unit_test(test_queue_head_out_of_range),
		cmocka_unit_test(test_dictionary_damage),
		cmocka_unit_test(test_concurrent_loops),
		cmocka_unit_test(test_string_lengths),
		cmocka_unit_test(test_array_lengths),
		cmocka_unit_test(test_garbage_method_table),
		cmocka_unit_test(test_value_type_cycle),
		cmocka_unit_test(test_base_with_more_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
