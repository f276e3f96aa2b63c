/* test_graph.c - the object graph on real dumps: the reverse graph is the
 * graph reversed, root paths are chains of real references ending at a
 * root, dominators dominate (every idom is on the path to the root and
 * holds at least what it dominates), and the graph fixture's known
 * structure: a chain of 1000 links, 20 unreachable objects; and root-path
 * shapes: they partition the live objects, a chain or a cycle is one shape
 * counted from its head, the same heap gives the same keys; a build
 * without dominators is the same up to the root paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "graph.h"

static bool has(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t k = 0; k < n; k++)
		if (v[k] == x)
			return true;
	return false;
}

static void invariants(const char *dump)
{
	struct fx f;
	fx_open(&f, dump);
	struct graph_opts o = { .threads = 2 };
	struct graph *g;
	assert_int_equal(graph_build(f.h, &o, &g, &f.err), CH_OK);
	size_t n = graph_count(g);
	assert_true(n > 1000);
	uint64_t edges = 0, live = 0;
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(graph_find(g, graph_addr(g, i)), i);
		if (i)
			assert_true(graph_addr(g, i - 1) < graph_addr(g, i));
		size_t nr, ni;
		const uint32_t *r = graph_refs(g, i, &nr);
		edges += nr;
		for (size_t k = 0; k < nr; k++) {
			const uint32_t *in = graph_referrers(g, r[k], &ni);
			assert_true(has(in, ni, i));
			/* what a live object references is live */
			if (graph_live(g, i))
				assert_true(graph_live(g, r[k]));
		}
		const uint32_t *in = graph_referrers(g, i, &ni);
		for (size_t k = 0; k < ni; k++) {
			const uint32_t *rr = graph_refs(g, in[k], &nr);
			assert_true(has(rr, nr, i));
			if (k)
				assert_true(in[k - 1] < in[k]);
		}
		if (!graph_live(g, i)) {
			assert_int_equal(graph_retained(g, i), 0);
			assert_int_equal(graph_idom(g, i), GRAPH_NONE);
			continue;
		}
		live++;
		/* the parent references i, and is one hop nearer a root */
		size_t root = SIZE_MAX;
		uint32_t p = graph_parent(g, i, &root);
		if (p == GRAPH_NONE) {
			size_t nroots;
			const struct graph_root *roots = graph_roots(g, &nroots);
			assert_true(root < nroots);
			assert_int_equal(roots[root].obj, i);
			assert_int_equal(graph_depth(g, i), 0);
		} else {
			const uint32_t *pr = graph_refs(g, p, &nr);
			assert_true(has(pr, nr, i));
			assert_int_equal(graph_depth(g, p) + 1, graph_depth(g, i));
		}
		/* the immediate dominator is on the root path and retains more */
		uint32_t d = graph_idom(g, i);
		assert_true(graph_retained(g, i) >= graph_size(g, i));
		if (d != GRAPH_NONE) {
			assert_true(graph_live(g, d));
			assert_true(graph_retained(g, d) > graph_retained(g, i));
			bool on_path = false;
			for (uint32_t x = graph_parent(g, i, NULL); x != GRAPH_NONE && !on_path;
			     x = graph_parent(g, x, NULL))
				on_path = x == d;
			assert_true(on_path);
		}
	}
	assert_int_equal(edges, graph_ref_count(g));
	uint64_t lo, lb;
	graph_live_totals(g, &lo, &lb);
	assert_int_equal(lo, live);
	graph_close(g);
	fx_close(&f);
}

static void test_invariants_zoo(void **state)
{
	(void)state;
	invariants("zoo.heap.dmp");
}

static void test_invariants_visits(void **state)
{
	(void)state;
	invariants("visits.heap.dmp");
}

static void test_graph_fixture(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "graph.heap.dmp");
	struct graph_opts o = { 0 };
	struct graph *g;
	assert_int_equal(graph_build(f.h, &o, &g, &f.err), CH_OK);
	uint64_t link = fx_mt(&f, "Graph.Link"), garbage = fx_mt(&f, "Graph.Garbage");
	assert_true(link && garbage);
	unsigned links = 0, dead = 0, deepest = 0;
	uint64_t link_bytes = 0;
	for (uint32_t i = 0; i < graph_count(g); i++) {
		uint64_t mt = graph_mt(g, i);
		if (mt == garbage) {
			dead += !graph_live(g, i);
		} else if (mt == link) {
			links++;
			link_bytes += graph_size(g, i);
			uint32_t d = graph_depth(g, i);
			if (d > deepest)
				deepest = d;
			/* each link dominates the rest of the chain */
			size_t nr;
			const uint32_t *r = graph_refs(g, i, &nr);
			if (nr == 1)
				assert_int_equal(graph_idom(g, r[0]), i);
		}
	}
	assert_int_equal(links, 1000);
	assert_int_equal(dead, 20);
	assert_int_equal(deepest, 999); /* the static holds link 0 */
	assert_int_equal(graph_type_retained(g, link), link_bytes);
	/* the static root is named */
	size_t nroots;
	const struct graph_root *roots = graph_roots(g, &nroots);
	bool named = false;
	char name[256];
	for (size_t r = 0; r < nroots && !named; r++) {
		graph_root_name(g, &roots[r], name, sizeof name);
		named = roots[r].kind == GRAPH_ROOT_STATIC && strcmp(name, "Graph.Program.Chain") == 0 &&
			graph_mt(g, roots[r].obj) == link;
	}
	assert_true(named);
	graph_close(g);
	fx_close(&f);
}

/* The shape whose text is want, or NULL. */
static const struct graph_shape *shape_named(const struct graph_shapes *s, const char *want)
{
	size_t n;
	const struct graph_shape *all = graph_shapes_all(s, &n);
	for (size_t k = 0; k < n; k++) {
		char *t = graph_shape_text(s, k);
		assert_non_null(t);
		bool eq = strcmp(t, want) == 0;
		free(t);
		if (eq)
			return &all[k];
	}
	return NULL;
}

static void test_graph_shapes(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "graph.heap.dmp");
	struct graph_opts o = { 0 };
	struct graph *g;
	assert_int_equal(graph_build(f.h, &o, &g, &f.err), CH_OK);
	struct graph_shapes *s, *again;
	assert_int_equal(graph_shapes_build(g, &s, &f.err), CH_OK);
	size_t n, n2;
	const struct graph_shape *all = graph_shapes_all(s, &n);
	/* every live object in one shape, each shape's key its own */
	uint64_t objs = 0, bytes = 0, lo, lb;
	for (size_t k = 0; k < n; k++) {
		objs += all[k].count;
		bytes += all[k].bytes;
		assert_true(all[k].count > 0 && all[k].retained >= all[k].bytes / all[k].count);
		for (size_t j = 0; j < k; j++)
			assert_true(all[j].key != all[k].key);
	}
	graph_live_totals(g, &lo, &lb);
	assert_int_equal(objs, lo);
	assert_int_equal(bytes, lb);
	/* a chain of 1000 links is one shape, retained from its head */
	uint64_t link = fx_mt(&f, "Graph.Link"), ring = fx_mt(&f, "Graph.Ring");
	const struct graph_shape *c = shape_named(s, "static Graph.Program.Chain -> Graph.Link (recursive)");
	assert_non_null(c);
	assert_int_equal(c->count, 1000);
	assert_int_equal(c->retained, graph_type_retained(g, link));
	/* the cycle of ten rings, and their names one hop on */
	c = shape_named(s, "static Graph.Program.CycleHead -> Graph.Ring (recursive)");
	assert_non_null(c);
	assert_int_equal(c->count, 10);
	assert_int_equal(c->retained, graph_type_retained(g, ring));
	c = shape_named(s, "static Graph.Program.CycleHead -> Graph.Ring (recursive) -> Name System.String");
	assert_non_null(c);
	assert_int_equal(c->count, 10);
	/* the owner's subtree, hop by hop */
	const char *leaf = "static Graph.Program.Alone -> Graph.Owner -> Nodes Graph.Node[] -> [] Graph.Node"
			   " -> Leaf Graph.Leaf -> Data System.Byte[]";
	c = shape_named(s, leaf);
	assert_non_null(c);
	assert_int_equal(c->count, 100);
	uint64_t data = 0;
	for (unsigned i = 0; i < 100; i++)
		data += 3 * 8 + (i + 1) * 8; /* header, MethodTable, length, then the bytes */
	assert_int_equal(c->bytes, data);
	c = shape_named(s, "static Graph.Program.Alone -> Graph.Owner");
	assert_non_null(c);
	assert_int_equal(c->count, 1);
	assert_int_equal(c->retained, graph_type_retained(g, fx_mt(&f, "Graph.Owner")));
	/* the same heap, the same keys */
	assert_int_equal(graph_shapes_build(g, &again, &f.err), CH_OK);
	const struct graph_shape *all2 = graph_shapes_all(again, &n2);
	assert_int_equal(n, n2);
	for (size_t k = 0; k < n; k++)
		assert_true(all[k].key == all2[k].key && all[k].count == all2[k].count);
	graph_shapes_free(again);
	graph_shapes_free(s);
	graph_close(g);
	fx_close(&f);
}

/* Without dominators the build is the same up to the root paths: the same
 * objects, references, parents and depths; idom and retained unknown. */
static void test_no_dominators(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct graph_opts full = { .threads = 2 }, lean = { .threads = 2, .no_dominators = true };
	struct graph *g, *l;
	assert_int_equal(graph_build(f.h, &full, &g, &f.err), CH_OK);
	assert_int_equal(graph_build(f.h, &lean, &l, &f.err), CH_OK);
	assert_true(graph_has_dominators(g));
	assert_false(graph_has_dominators(l));
	assert_int_equal(graph_count(g), graph_count(l));
	assert_int_equal(graph_ref_count(g), graph_ref_count(l));
	uint64_t retained = 0;
	for (uint32_t i = 0; i < graph_count(g); i++) {
		assert_int_equal(graph_addr(g, i), graph_addr(l, i));
		assert_int_equal(graph_live(g, i), graph_live(l, i));
		assert_int_equal(graph_parent(g, i, NULL), graph_parent(l, i, NULL));
		assert_int_equal(graph_depth(g, i), graph_depth(l, i));
		assert_int_equal(graph_idom(l, i), GRAPH_NONE);
		assert_int_equal(graph_retained(l, i), 0);
		retained += graph_retained(g, i);
	}
	assert_true(retained > 0);
	graph_close(l);
	graph_close(g);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invariants_zoo),
		cmocka_unit_test(test_invariants_visits),
		cmocka_unit_test(test_graph_fixture),
		cmocka_unit_test(test_graph_shapes),
		cmocka_unit_test(test_no_dominators),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
