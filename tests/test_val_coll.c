/* test_val_coll.c - the collections of the colls fixture (its Bag: one
 * field per collection, fixtures/apps/colls) against the truth the app
 * wrote: each field's JSON; the item walks the mount's .items/ takes
 * (val_items.h) give the same items in the same order, seek and copy; and
 * damaged copies of the dump (loops in chains and trees, wrong counts,
 * links to the wrong objects) end every walk with an error in bounded
 * time, the collection then showing its plain fields. */
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
#include "val.h"
#include "val_items.h"

#define DUMP "colls.heap.dmp"
#define TRUTH "colls.truth.json"

/* A private, writable mapping of the fixture and the layers on it. */
struct dmg {
	uint8_t *map;
	size_t len;
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct val *v;
	struct ch_err err;
	json_t *bag;   /* the truth's Bag */
	uint64_t addr; /* the Bag */
};

static void dmg_open(struct dmg *g)
{
	char path[4096];
	fixture_path(path, sizeof path, DUMP);
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
	if (dump_open_buffer(g->map, g->len, DUMP, 0, &g->d, &g->err) != CH_OK ||
	    as_open(g->d, &g->a, &g->err) != CH_OK || clr_open(g->a, &g->c, &g->err) != CH_OK ||
	    heap_open(g->c, &g->h, &g->err) != CH_OK || val_open(g->c, &g->v, &g->err) != CH_OK)
		fail_msg("%s", g->err.msg);
	fixture_path(path, sizeof path, TRUTH);
	json_error_t e;
	json_t *t = json_load_file(path, JSON_DECODE_INT_AS_REAL, &e);
	if (!t)
		fail_msg("%s: %s", path, e.text);
	g->bag = json_incref(json_object_get(t, "bag"));
	json_decref(t);
	assert_non_null(g->bag);
	g->addr = strtoull(json_string_value(json_object_get(g->bag, "$addr")), NULL, 16);
}

static void dmg_close(struct dmg *g)
{
	json_decref(g->bag);
	val_close(g->v);
	heap_close(g->h);
	clr_close(g->c);
	as_close(g->a);
	dump_close(g->d);
	munmap(g->map, g->len);
}

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

/* Address of field name of the object at obj. */
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

static uint64_t ref_of(struct dmg *g, uint64_t obj, const char *name)
{
	uint64_t x;
	assert_true(as_u64(g->a, field_addr(g, obj, name), &x));
	return x;
}

/* The Bag's JSON, parsed (valid JSON of at most max bytes). */
static json_t *render(struct dmg *g, size_t max)
{
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_object_json(g->v, g->addr, &b, &g->err), CH_OK);
	assert_true(b.len <= max);
	json_error_t e;
	json_t *j = json_loads(b.p, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	if (!j)
		fail_msg("invalid JSON (%s at %d): %.300s", e.text, e.position, b.p);
	val_buf_free(&b);
	return j;
}

/* A slot's value as JSON, parsed. */
static json_t *slot_json(struct dmg *g, const struct val_slot *s)
{
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_slot_json(g->v, s, &b, &g->err), CH_OK);
	json_error_t e;
	json_t *j = json_loads(b.p, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &e);
	if (!j)
		fail_msg("invalid JSON (%s): %.300s", e.text, b.p);
	val_buf_free(&b);
	return j;
}

/* A string key's text. */
static char *key_text(struct dmg *g, const struct val_slot *s)
{
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_slot_text(g->v, s, &b, &g->err), CH_OK);
	assert_true(b.len > 0 && b.p[b.len - 1] == '\n');
	b.p[b.len - 1] = '\0';
	return b.p;
}

static void test_json_equals_truth(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g);
	json_t *got = render(&g, 1 << 20);
	const char *k;
	json_t *want;
	size_t bad = 0;
	json_object_foreach(g.bag, k, want) {
		if (!json_equal(want, json_object_get(got, k))) {
			char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
			char *h = json_dumps(json_object_get(got, k), JSON_COMPACT | JSON_ENCODE_ANY);
			print_message("%s: truth %.200s\n%s: got   %.200s\n", k, w, k, h ? h : "(none)");
			free(w);
			free(h);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	json_decref(got);
	dmg_close(&g);
}

/* Walks the collection of field f and checks it against its JSON. */
static void check_walk(struct dmg *g, const char *f, bool pairs)
{
	json_t *want = json_object_get(g->bag, f);
	struct val_items *w = val_items_open(g->v, ref_of(g, g->addr, f));
	if (!w)
		fail_msg("%s: no walk", f);
	bool by_key = json_is_object(want);
	assert_int_equal(val_items_pairs(w), pairs || by_key);
	assert_int_equal(val_items_by_key(w), by_key);
	void *iter = by_key ? json_object_iter(want) : NULL;
	size_t i = 0;
	struct val_slot key, val;
	int r;
	while ((r = val_items_next(w, &key, &val)) == 1) {
		json_t *v = slot_json(g, &val);
		if (by_key) {
			assert_non_null(iter);
			char *kt = key_text(g, &key);
			assert_string_equal(kt, json_object_iter_key(iter));
			free(kt);
			assert_true(json_equal(v, json_object_iter_value(iter)));
			iter = json_object_iter_next(want, iter);
		} else if (pairs) {
			json_t *k = slot_json(g, &key);
			assert_true(json_equal(k, json_array_get(json_array_get(want, i), 0)));
			assert_true(json_equal(v, json_array_get(json_array_get(want, i), 1)));
			json_decref(k);
		} else {
			assert_true(json_equal(v, json_array_get(want, i)));
		}
		json_decref(v);
		i++;
		assert_int_equal(val_items_pos(w), i);
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, by_key ? json_object_size(want) : json_array_size(want));
	val_items_close(w);
}

static void test_walks_give_the_json(void **state)
{
	(void)state;
	static const char *const lists[] = {
		"Table", "EmptyTable", "Ordered", "List", "OldSorted", "Sorted", "SortedDict", "Set",
		"EmptySet", "Linked", "EmptyLinked", "ImmList", "ImmEmpty", "ImmDict", "ImmDictCollide",
		"ImmSet", "ImmSetInts", "Dict", "Names", "Hash", "CQueue", "CDict", "FsList", "FsItems",
		"FsMap", "FsSet",
	};
	static const char *const pairs[] = {
		"MixedTable", "MixedOrdered", "OldSortedInts", "SortedItems", "SortedDictInts",
		"ImmDictInts", "Weak", "DictItems", "CDictInts", "FsMapInts",
	};
	struct dmg g;
	dmg_open(&g);
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		check_walk(&g, lists[i], false);
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
		check_walk(&g, pairs[i], true);
	/* no walk where there are no items */
	static const char *const none[] = { "LazyInt", "TaskStr", "Text" };
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		assert_null(val_items_open(g.v, ref_of(&g, g.addr, none[i])));
	dmg_close(&g);
}

static void test_seek_and_copy(void **state)
{
	(void)state;
	struct dmg g;
	dmg_open(&g);
	json_t *want = json_object_get(g.bag, "ImmList");
	struct val_items *w = val_items_open(g.v, ref_of(&g, g.addr, "ImmList"));
	assert_non_null(w);
	static const uint64_t at[] = { 30, 3, 49, 0, 31 };
	struct val_slot val;
	for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
		assert_true(val_items_seek(w, at[i]));
		assert_int_equal(val_items_next(w, NULL, &val), 1);
		json_t *v = slot_json(&g, &val);
		assert_true(json_equal(v, json_array_get(want, at[i])));
		json_decref(v);
	}
	/* a copy goes on as the walk does */
	struct val_items *d = val_items_dup(w);
	struct val_slot a, b;
	assert_int_equal(val_items_next(w, NULL, &a), 1);
	assert_int_equal(val_items_next(d, NULL, &b), 1);
	assert_int_equal(a.addr, b.addr);
	val_items_close(d);
	/* the end, and past it */
	assert_true(val_items_seek(w, json_array_size(want)));
	assert_int_equal(val_items_next(w, NULL, &val), 0);
	assert_false(val_items_seek(w, json_array_size(want) + 1));
	val_items_close(w);
	/* a list seeks at once; a map with freed entries by walking */
	w = val_items_open(g.v, ref_of(&g, g.addr, "Dict"));
	assert_true(val_items_seek(w, 2));
	struct val_slot key;
	assert_int_equal(val_items_next(w, &key, &val), 1);
	char *kt = key_text(&g, &key);
	assert_string_equal(kt, "delta");
	free(kt);
	val_items_close(w);
	dmg_close(&g);
}

/* The walk of field f ends with an error (or there is none), and the
 * Bag's JSON shows f by its plain fields. */
static void check_damaged(struct dmg *g, const char *f)
{
	struct val_items *w = val_items_open(g->v, ref_of(g, g->addr, f));
	if (w) {
		int r;
		uint64_t n = 0;
		while ((r = val_items_next(w, NULL, NULL)) == 1)
			n++;
		if (r != -1)
			fail_msg("%s: the walk ended with %d after %llu items", f, r, (unsigned long long)n);
		val_items_close(w);
	}
	json_t *j = render(g, 1 << 22);
	json_t *v = json_object_get(j, f);
	if (!json_is_object(v) || !json_object_get(v, "$type"))
		fail_msg("%s: not shown by its fields", f);
	json_decref(j);
}

static void test_loops_and_bad_links(void **state)
{
	(void)state;
	struct dmg g;
	uint64_t o, n;

	/* a LinkedList node whose next is itself, a count of a million */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "Linked");
	n = ref_of(&g, o, "head");
	poke64(&g, field_addr(&g, n, "next"), n);
	poke32(&g, field_addr(&g, o, "count"), 1000000);
	check_damaged(&g, "Linked");
	dmg_close(&g);

	/* an F# list cell whose tail is itself */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "FsList");
	n = ref_of(&g, o, "tail");
	poke64(&g, field_addr(&g, n, "tail"), n);
	struct val_items *w = val_items_open(g.v, o);
	int r;
	while ((r = val_items_next(w, NULL, NULL)) == 1)
		;
	assert_int_equal(r, -1);
	val_items_close(w);
	dmg_close(&g);

	/* a ConcurrentDictionary node whose next is itself */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "CDictInts");
	uint64_t tables = ref_of(&g, o, "_tables"), buckets = ref_of(&g, tables, "_buckets");
	for (uint64_t i = 0; i < 31; i++) {
		uint64_t node;
		assert_true(as_u64(g.a, buckets + 16 + 8 * i, &node));
		if (node) {
			poke64(&g, field_addr(&g, node, "_next"), node);
			break;
		}
	}
	w = val_items_open(g.v, o);
	while ((r = val_items_next(w, NULL, NULL)) == 1)
		;
	assert_int_equal(r, -1);
	val_items_close(w);
	dmg_close(&g);

	/* trees whose left leads back up: SortedSet, ImmutableList, a bucket's list */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "Set");
	n = ref_of(&g, o, "root");
	poke64(&g, field_addr(&g, ref_of(&g, n, "<Left>k__BackingField"), "<Left>k__BackingField"), n);
	check_damaged(&g, "Set");
	o = ref_of(&g, g.addr, "ImmList");
	n = ref_of(&g, o, "_root");
	poke64(&g, field_addr(&g, n, "_left"), n);
	check_damaged(&g, "ImmList");
	dmg_close(&g);

	/* a Hashtable whose buckets are a string; a ConditionalWeakTable entry
	 * whose handle is no handle; an OrderedDictionary entry that is not a
	 * DictionaryEntry */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "Table");
	poke64(&g, field_addr(&g, o, "_buckets"), ref_of(&g, ref_of(&g, g.addr, "LazyStr"), "_value"));
	check_damaged(&g, "Table");
	o = ref_of(&g, ref_of(&g, g.addr, "Weak"), "_container");
	uint64_t entries = ref_of(&g, o, "_entries");
	/* entry 0 holds the handle the walk's first key lives in */
	w = val_items_open(g.v, ref_of(&g, g.addr, "Weak"));
	struct val_slot k1;
	assert_int_equal(val_items_next(w, &k1, NULL), 1);
	val_items_close(w);
	bool poked = false;
	for (uint64_t off = 0; off < 16 && !poked; off += 8) {
		uint64_t x;
		assert_true(as_u64(g.a, entries + 16 + off, &x));
		if (x == k1.addr) {
			poke64(&g, entries + 16 + off, g.addr);
			poked = true;
		}
	}
	assert_true(poked);
	check_damaged(&g, "Weak");
	o = ref_of(&g, ref_of(&g, g.addr, "Ordered"), "_objectsArray");
	poke64(&g, ref_of(&g, o, "_items") + 16, ref_of(&g, ref_of(&g, g.addr, "LazyStr"), "_value"));
	check_damaged(&g, "Ordered");
	dmg_close(&g);

	/* a StringBuilder chunk that is its own previous one; one too long */
	dmg_open(&g);
	o = ref_of(&g, g.addr, "Text");
	poke64(&g, field_addr(&g, o, "m_ChunkPrevious"), o);
	check_damaged(&g, "Text");
	dmg_close(&g);
	dmg_open(&g);
	o = ref_of(&g, g.addr, "Text");
	poke32(&g, field_addr(&g, o, "m_ChunkLength"), 0x7fff0000);
	check_damaged(&g, "Text");
	dmg_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_equals_truth),
		cmocka_unit_test(test_walks_give_the_json),
		cmocka_unit_test(test_seek_and_copy),
		cmocka_unit_test(test_loops_and_bad_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
