/* test_fsv.c - the view without a mount: naming rules (%2F, long names cut
 * with ~ and a hash, #<mt> on duplicates, clean field names and their
 * clash rule), inode numbers, and the node API (lookup, getattr, readdir
 * with resumption at every offset, readlink, reads, the streamed
 * instances.jsonl, the render cache under a tiny budget, several threads
 * at once) on real fixture dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsv_fixture.h"
#include "../src/fsv_priv.h"

/* ---- naming ---- */

static void test_escape(void **state)
{
	(void)state;
	char out[FSV_NAME_MAX + 1];
	assert_int_equal(fsv_escape_name("Zoo.Node", out), 8);
	assert_string_equal(out, "Zoo.Node");
	fsv_escape_name("A/B/C", out);
	assert_string_equal(out, "A%2FB%2FC");
	fsv_escape_name(".", out);
	assert_string_equal(out, "%2E");
	fsv_escape_name("..", out);
	assert_string_equal(out, "%2E%2E");
	fsv_escape_name("", out);
	assert_string_equal(out, "%00");
	/* exactly 255 bytes stays, 256 is cut */
	char name[1200];
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_int_equal(fsv_escape_name(name, out), 255);
	assert_string_equal(out, name);
	name[255] = 'b';
	name[256] = '\0';
	assert_int_equal(fsv_escape_name(name, out), 255);
	assert_int_equal(strlen(out), 255);
	assert_memory_equal(out, name, 238);
	assert_int_equal(out[238], '~');
	for (int i = 239; i < 255; i++)
		assert_non_null(strchr("0123456789abcdef", out[i]));
	/* two long names that share their first 238 bytes differ */
	char out2[FSV_NAME_MAX + 1];
	name[256] = 'c';
	name[257] = '\0';
	fsv_escape_name(name, out2);
	assert_int_equal(strlen(out2), 255);
	assert_string_not_equal(out, out2);
	/* escaping can make a name long: 100 slashes are 300 bytes */
	memset(name, '/', 100);
	name[100] = '\0';
	assert_int_equal(fsv_escape_name(name, out), 255);
	assert_int_equal(out[238], '~');
	assert_memory_equal(out, "%2F%2F", 6);
	/* a cut never splits a UTF-8 sequence: 200 x "é" (2 bytes each) */
	for (int i = 0; i < 200; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[400] = '\0';
	size_t n = fsv_escape_name(name, out);
	assert_true(n <= 255);
	char *tilde = strrchr(out, '~');
	assert_non_null(tilde);
	assert_int_equal((tilde - out) % 2, 0);
	assert_int_equal(strlen(tilde), 17);
}

static void test_type_dirname(void **state)
{
	(void)state;
	char out[FSV_NAME_MAX + 1];
	fsv_type_dirname("Ns.T", 0x7f0012345678, false, out);
	assert_string_equal(out, "Ns.T");
	fsv_type_dirname("Ns.T", 0x7f0012345678, true, out);
	assert_string_equal(out, "Ns.T#00007f0012345678");
	fsv_type_dirname("A/B<C>", 0x10, true, out);
	assert_string_equal(out, "A%2FB<C>#0000000000000010");
	/* a long duplicate still differs from the first of its name */
	char name[400], first[FSV_NAME_MAX + 1];
	memset(name, 'x', 300);
	name[300] = '\0';
	fsv_type_dirname(name, 0x10, false, first);
	fsv_type_dirname(name, 0x10, true, out);
	assert_int_equal(strlen(out), 255);
	assert_string_not_equal(out, first);
}

static void check_names(const char *const *raw, size_t n, const char *const *want)
{
	char **names;
	assert_true(fsv_field_names(raw, n, &names));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	fsv_free_names(names, n);
}

static void test_field_names(void **state)
{
	(void)state;
	/* clean where unique */
	const char *a[] = { "<Name>k__BackingField", "Age@", "_x" };
	const char *aw[] = { "Name", "Age", "_x" };
	check_names(a, 3, aw);
	/* a clash: both keep their raw names (zoo's ClashDerived) */
	const char *b[] = { "<Name>k__BackingField", "Name", "Other@" };
	const char *bw[] = { "<Name>k__BackingField", "Name", "Other" };
	check_names(b, 3, bw);
	/* the same raw name twice (a shadowed private field) */
	const char *c[] = { "_name", "_name", "_name" };
	const char *cw[] = { "_name", "_name#2", "_name#3" };
	check_names(c, 3, cw);
	/* odd bytes are escaped */
	const char *d[] = { "a/b", "." };
	const char *dw[] = { "a%2Fb", "%2E" };
	check_names(d, 2, dw);
	/* a clean name that is another field's raw name stays raw */
	const char *e[] = { "X@", "<X>k__BackingField", "X@@" };
	check_names(e, 3, e);
	char **none;
	assert_true(fsv_field_names(NULL, 0, &none));
	fsv_free_names(none, 0);
}

/* 100,000 fields of 7 raw names (a damaged EEClass can claim such): the
 * #N of each found by sorting, not by counting every earlier name (4,000
 * such fields took 15 s before, this many would take hours). */
static void test_many_field_names(void **state)
{
	(void)state;
	enum { N = 100000 };
	static char buf[N][8];
	const char **raw = calloc(N, sizeof *raw);
	assert_non_null(raw);
	for (size_t i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "f%zu", i % 7);
		raw[i] = buf[i];
	}
	char **names;
	assert_true(fsv_field_names(raw, N, &names));
	char want[32];
	for (size_t i = 0; i < N; i++) {
		if (i < 7)
			snprintf(want, sizeof want, "f%zu", i);
		else
			snprintf(want, sizeof want, "f%zu#%zu", i % 7, i / 7 + 1);
		assert_string_equal(names[i], want);
	}
	fsv_free_names(names, N);
	free(raw);
}

static void test_ino(void **state)
{
	(void)state;
	assert_int_equal(FSV_ROOT_INO, FUSE_ROOT_ID);
	uint64_t ino = fsv_ino(0x1234, 0x7f1234567890);
	assert_int_equal(fsv_ino_shape(ino), 0x1234);
	assert_int_equal(fsv_ino_payload(ino), 0x7f1234567890);
	assert_int_equal(fsv_ino(0, FK_ROOT), FSV_ROOT_INO);
	/* a payload never spills into the shape */
	assert_int_equal(fsv_ino_shape(fsv_ino(3, UINT64_MAX)), 3);
	assert_int_equal(fsv_ino_shape(fsv_ino(0xffff, 0)), 0xffff);
	uint64_t a;
	bool canon;
	assert_true(fsv_parse_addr("00007f5e8fc0f1b8", 16, &a, &canon));
	assert_true(canon);
	assert_int_equal(a, 0x7f5e8fc0f1b8);
	assert_true(fsv_parse_addr("0x7F5E8FC0F1B8", 16, &a, &canon));
	assert_false(canon);
	assert_int_equal(a, 0x7f5e8fc0f1b8);
	assert_true(fsv_parse_addr("7f5e8fc0f1b8", 16, &a, &canon));
	assert_false(canon);
	assert_true(fsv_parse_addr("0012abcd", 8, &a, &canon));
	assert_true(canon);
	assert_false(fsv_parse_addr("", 16, &a, &canon));
	assert_false(fsv_parse_addr("0x", 16, &a, &canon));
	assert_false(fsv_parse_addr("00007f5e8fc0f1b8a", 16, &a, &canon));
	assert_false(fsv_parse_addr("zz", 16, &a, &canon));
	uint64_t i;
	assert_true(fsv_parse_index("0", 1, &i));
	assert_int_equal(i, 0);
	assert_true(fsv_parse_index("41", 42, &i));
	assert_false(fsv_parse_index("42", 42, &i));
	assert_false(fsv_parse_index("01", 42, &i));
	assert_false(fsv_parse_index("-1", 42, &i));
	assert_false(fsv_parse_index("1x", 42, &i));
	assert_false(fsv_parse_index("99999999999999999999999", UINT64_MAX, &i));
}

/* ---- the node API on a real dump ---- */

static void test_root_and_types(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct names ns;
	list(x.v, FSV_ROOT_INO, 1000, false, &ns);
	const char *want[] = { ".", "..", "README.txt", "dump.json", "stat.tsv", "types",
			       "objects", "roots", "modules", "retained.tsv", "threads" };
	/* the entries in this order; folders added later come after them */
	size_t nwant = sizeof want / sizeof want[0];
	assert_true(ns.n >= nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(ns.v[i], want[i]);
	names_free(&ns);

	struct stat st;
	assert_int_equal(fsv_lookup(x.v, FSV_ROOT_INO, "nope", &st), -ENOENT);
	uint64_t readme = walk(x.v, "README.txt", NULL);
	assert_int_equal(fsv_lookup(x.v, readme, "x", &st), -ENOTDIR);
	assert_int_equal(fsv_getattr(x.v, readme, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0444);

	/* types/: each own type of the truth is there, with its count */
	uint64_t types = walk(x.v, "types", NULL);
	assert_int_equal(fsv_getattr(x.v, types, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	list(x.v, types, 7, false, &ns);
	assert_true(has(&ns, "Zoo.Node"));
	assert_true(has(&ns, "Zoo.Outer<System.Int32>+Inner"));
	assert_true(has(&ns, "Zoo.Animal[][]"));
	for (size_t i = 3; i < ns.n; i++)
		assert_true(strcmp(ns.v[i - 1], ns.v[i]) < 0); /* sorted, unique */
	names_free(&ns);

	uint64_t node = walk(x.v, "types/Zoo.Node", NULL);
	assert_int_not_equal(node, 0);
	list(x.v, node, 1000, true, &ns);
	assert_true(has(&ns, "type.json") && has(&ns, "fields.tsv") && has(&ns, "base") &&
		    has(&ns, "instances") && has(&ns, "instances.jsonl"));
	assert_false(has(&ns, "statics")); /* Node has no static fields */
	names_free(&ns);
	char target[256];
	assert_int_equal(fsv_readlink(x.v, walk(x.v, "types/Zoo.Node/base", NULL), target,
				      sizeof target), 0);
	assert_string_equal(target, "../System.Object");
	assert_int_equal(fsv_readlink(x.v, node, target, sizeof target), -EINVAL);

	size_t len;
	char *tj = slurp(x.v, walk(x.v, "types/Zoo.Node/type.json", NULL), 4096, &len);
	assert_non_null(strstr(tj, "\"name\":\"Zoo.Node\""));
	assert_non_null(strstr(tj, "\"count\":9,"));
	assert_int_equal(fsv_getattr(x.v, walk(x.v, "types/Zoo.Node/type.json", NULL), &st), 0);
	assert_int_equal(st.st_size, len); /* exact size */
	free(tj);
	char *ft = slurp(x.v, walk(x.v, "types/Zoo.Node/fields.tsv", NULL), 7, &len);
	assert_string_equal(ft, "offset\ttype\tkind\tname\n0x0\tSystem.String\tinstance\tName\n"
				"0x8\tZoo.Node\tinstance\tNext\n");
	free(ft);
	vfx_close(&x);
}

/* The ring of the zoo: objects, fields, links, a cycle. */
static void test_objects(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct names ns;
	uint64_t inst = walk(x.v, "types/Zoo.Node/instances", NULL);
	list(x.v, inst, 3, true, &ns);
	assert_int_equal(ns.n, 2 + 9);
	char target[256], path[512];
	int found = 0;
	for (size_t i = 2; i < ns.n; i++) {
		snprintf(path, sizeof path, "types/Zoo.Node/instances/%s", ns.v[i]);
		assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
		assert_string_equal(target + strlen("../../../objects/"), ns.v[i]);
		snprintf(path, sizeof path, "objects/%s/Name", ns.v[i]);
		size_t len;
		char *name = slurp(x.v, walk(x.v, path, NULL), 3, &len);
		if (strcmp(name, "ring-a\n") == 0) {
			/* ring-a -> ring-b -> ring-a */
			snprintf(path, sizeof path, "objects/%s/Next", ns.v[i]);
			assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
			assert_int_equal(strncmp(target, "../", 3), 0);
			char back[256];
			snprintf(path, sizeof path, "objects/%s/Next", target + 3);
			assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), back, sizeof back), 0);
			assert_string_equal(back + 3, ns.v[i]);
			found++;
		}
		if (strcmp(name, "self\n") == 0) {
			snprintf(path, sizeof path, "objects/%s/Next", ns.v[i]);
			assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
			assert_string_equal(target + 3, ns.v[i]);
			found++;
		}
		if (strcmp(name, "chain-5\n") == 0) {
			char *next;
			snprintf(path, sizeof path, "objects/%s/Next", ns.v[i]);
			next = slurp(x.v, walk(x.v, path, NULL), 100, &len);
			assert_string_equal(next, "null\n");
			free(next);
			found++;
		}
		free(name);
		/* the object's own files */
		uint64_t obj;
		snprintf(path, sizeof path, "objects/%s", ns.v[i]);
		obj = walk(x.v, path, NULL);
		struct names on;
		list(x.v, obj, 2, true, &on);
		/* the graph's five, and no .dominator before the graph is built */
		assert_int_equal(on.n, 2 + 4 + 5 + 2);
		assert_true(has(&on, ".type") && has(&on, ".json") && has(&on, ".address") &&
			    has(&on, ".size") && has(&on, "Name") && has(&on, "Next"));
		assert_true(has(&on, ".refs") && has(&on, ".referrers") && has(&on, ".gcroot") &&
			    has(&on, ".gcroot.json") && has(&on, ".retained") && !has(&on, ".dominator"));
		assert_false(has(&on, ".length"));
		names_free(&on);
		snprintf(path, sizeof path, "objects/%s/.type", ns.v[i]);
		assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
		assert_string_equal(target, "../../types/Zoo.Node");
		snprintf(path, sizeof path, "objects/%s/.size", ns.v[i]);
		char *size = slurp(x.v, walk(x.v, path, NULL), 100, &len);
		assert_string_equal(size, "32\n");
		free(size);
	}
	assert_int_equal(found, 3);
	/* an address inside an object is a link to it; a bad one is not there */
	uint64_t a;
	bool canon;
	assert_true(fsv_parse_addr(ns.v[2], 16, &a, &canon));
	snprintf(path, sizeof path, "objects/%016" PRIx64, a + 9);
	assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
	assert_string_equal(target, ns.v[2]);
	snprintf(path, sizeof path, "objects/0x%" PRIx64, a);
	assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
	assert_string_equal(target, ns.v[2]);
	int err = 0;
	assert_int_equal(walk(x.v, "objects/0000000000000010", &err), 0);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(walk(x.v, "objects/hello", &err), 0);
	snprintf(path, sizeof path, "types/Zoo.Node/instances/%016" PRIx64, a + 8);
	assert_int_equal(walk(x.v, path, &err), 0); /* not an instance */
	snprintf(path, sizeof path, "objects/%s/Nope", ns.v[2]);
	assert_int_equal(walk(x.v, path, &err), 0);
	assert_int_equal(err, -ENOENT);
	names_free(&ns);
	vfx_close(&x);
}

/* Arrays by index, structs as directories, statics. */
static void test_arrays_structs_statics(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct names ns;
	uint64_t st = walk(x.v, "types/Zoo.Statics/statics", NULL);
	assert_int_not_equal(st, 0);
	list(x.v, st, 5, true, &ns);
	assert_true(has(&ns, "Counter") && has(&ns, "Origin") && has(&ns, "Numbers"));
	names_free(&ns);
	size_t len;
	char *s = slurp(x.v, walk(x.v, "types/Zoo.Statics/statics/Counter", NULL), 2, &len);
	assert_string_equal(s, "42\n");
	free(s);
	/* a struct static is a directory of its fields */
	struct stat sb;
	uint64_t origin = walk(x.v, "types/Zoo.Statics/statics/Origin", NULL);
	assert_int_equal(fsv_getattr(x.v, origin, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_not_equal(walk(x.v, "types/Zoo.Statics/statics/Origin/X", NULL), 0);
	/* thread statics: statics/.threads/<managed id>/<field> */
	list(x.v, st, 100, false, &ns);
	assert_string_equal(ns.v[2], ".threads");
	assert_false(has(&ns, "PerThread"));
	names_free(&ns);
	list(x.v, walk(x.v, "types/Zoo.Statics/statics/.threads", NULL), 1, true, &ns);
	assert_int_equal(ns.n, 4);
	assert_true(has(&ns, "1"));
	names_free(&ns);
	s = slurp(x.v, walk(x.v, "types/Zoo.Statics/statics/.threads/1/PerThread", NULL), 3, &len);
	assert_string_equal(s, "main thread\n");
	free(s);
	char tl[256];
	assert_int_equal(fsv_readlink(x.v, walk(x.v, "types/Zoo.Statics/statics/.threads/1/PerThreadPet", NULL),
				      tl, sizeof tl), 0);
	assert_int_equal(strncmp(tl, "../../../../../objects/", 23), 0);
	int terr = 0;
	assert_int_equal(walk(x.v, "types/Zoo.Statics/statics/.threads/99", &terr), 0);
	assert_int_equal(terr, -ENOENT);
	assert_int_equal(walk(x.v, "types/Zoo.Statics/statics/PerThread", &terr), 0);
	/* an int[] static: a link to the array, which lists its elements */
	char target[256];
	uint64_t nums = walk(x.v, "types/Zoo.Statics/statics/Numbers", NULL);
	assert_int_equal(fsv_readlink(x.v, nums, target, sizeof target), 0);
	assert_int_equal(strncmp(target, "../../../objects/", 17), 0);
	char path[512];
	snprintf(path, sizeof path, "objects/%s", target + 17);
	uint64_t arr = walk(x.v, path, NULL);
	list(x.v, arr, 1, true, &ns);
	assert_true(has(&ns, ".length") && has(&ns, "0"));
	snprintf(path, sizeof path, "objects/%s/.length", target + 17);
	s = slurp(x.v, walk(x.v, path, NULL), 100, &len);
	assert_int_equal((size_t)atoi(s), ns.n - 2 - 5 - 5);
	free(s);
	names_free(&ns);
	int err = 0;
	snprintf(path, sizeof path, "objects/%s/99999", target + 17);
	assert_int_equal(walk(x.v, path, &err), 0);
	assert_int_equal(err, -ENOENT);

	/* Zoo.Structs: an embedded struct is a directory, nested ones too */
	uint64_t si = walk(x.v, "types/Zoo.Structs/instances", NULL);
	list(x.v, si, 100, false, &ns);
	assert_int_equal(ns.n, 3);
	snprintf(path, sizeof path, "objects/%s/Line", ns.v[2]);
	uint64_t line = walk(x.v, path, NULL);
	assert_int_equal(fsv_getattr(x.v, line, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	struct names ln;
	list(x.v, line, 100, true, &ln);
	assert_int_equal(ln.n, 5); /* ., .., From, To, Color */
	assert_true(has(&ln, "From") && has(&ln, "To") && has(&ln, "Color"));
	snprintf(path, sizeof path, "objects/%s/Line/From/X", ns.v[2]);
	s = slurp(x.v, walk(x.v, path, NULL), 100, &len);
	assert_true(len >= 2 && s[len - 1] == '\n');
	free(s);
	names_free(&ln);
	/* a reference inside a struct goes one level further up */
	snprintf(path, sizeof path, "objects/%s/Tagged", ns.v[2]);
	uint64_t tagged = walk(x.v, path, NULL);
	list(x.v, tagged, 100, false, &ln);
	for (size_t i = 2; i < ln.n; i++) {
		snprintf(path, sizeof path, "objects/%s/Tagged/%s", ns.v[2], ln.v[i]);
		uint64_t fi = walk(x.v, path, NULL);
		assert_int_equal(fsv_getattr(x.v, fi, &sb), 0);
		if (S_ISLNK(sb.st_mode)) {
			assert_int_equal(fsv_readlink(x.v, fi, target, sizeof target), 0);
			assert_int_equal(strncmp(target, "../../", 6), 0);
			assert_int_equal(strlen(target), 6 + 16);
		}
	}
	names_free(&ln);
	names_free(&ns);
	vfx_close(&x);
}

/* Listings resume at every offset: the same entries, in the same order. */
static void test_readdir_resume(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "visits.heap.dmp", 0);
	uint64_t inst = walk(x.v, "types/Bugfree.Spo.Analytics.Cli.Domain+Visit/instances", NULL);
	struct names one, many;
	list(x.v, inst, SIZE_MAX, false, &one);
	assert_int_equal(one.n, 2 + 2000);
	list(x.v, inst, 1, true, &many);
	assert_int_equal(many.n, one.n);
	for (size_t i = 0; i < one.n; i++)
		assert_string_equal(one.v[i], many.v[i]);
	names_free(&many);
	/* from the middle */
	struct names tail;
	memset(&tail, 0, sizeof tail);
	tail.limit = SIZE_MAX;
	assert_int_equal(fsv_readdir(x.v, inst, one.next[999], false, collect, &tail), 0);
	assert_int_equal(tail.n, one.n - 1000);
	assert_string_equal(tail.v[0], one.v[1000]);
	names_free(&tail);
	names_free(&one);
	/* objects/ lists every object once */
	const struct heap_stat_row *rows;
	size_t nrows;
	uint64_t total = 0;
	assert_int_equal(heap_stat(x.f.h, &rows, &nrows, &x.f.err), CH_OK);
	for (size_t i = 0; i < nrows; i++)
		total += rows[i].count;
	list(x.v, walk(x.v, "objects", NULL), 97, false, &one);
	assert_int_equal(one.n, 2 + total);
	qsort(one.v + 2, one.n - 2, sizeof *one.v, (int (*)(const void *, const void *))strcmp);
	names_free(&one);
	vfx_close(&x);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* instances.jsonl: size 0, one line per instance, the same bytes whatever
 * the read size, also after reading backwards. */
static void test_jsonl(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "visits.heap.dmp", 0);
	uint64_t ino = walk(x.v, "types/Bugfree.Spo.Analytics.Cli.Domain+Visit/instances.jsonl", NULL);
	struct stat sb;
	assert_int_equal(fsv_getattr(x.v, ino, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	size_t a, b;
	char *big = slurp(x.v, ino, 1 << 17, &a);
	char *small = slurp(x.v, ino, 333, &b);
	assert_int_equal(a, b);
	assert_memory_equal(big, small, a);
	assert_int_equal(count_lines(big), 2000);
	assert_int_equal(strncmp(big, "{\"$addr\":\"0x", 12), 0);
	/* random access: a read at an earlier offset starts again */
	struct fsv_file *f;
	bool stream;
	assert_int_equal(fsv_open_file(x.v, ino, &f, &stream), 0);
	assert_true(stream);
	char buf[100];
	assert_int_equal(fsv_read(x.v, f, buf, sizeof buf, a / 2), sizeof buf);
	assert_memory_equal(buf, big + a / 2, sizeof buf);
	assert_int_equal(fsv_read(x.v, f, buf, sizeof buf, 10), sizeof buf);
	assert_memory_equal(buf, big + 10, sizeof buf);
	assert_int_equal(fsv_read(x.v, f, buf, sizeof buf, a), 0);
	assert_int_equal(fsv_read(x.v, f, buf, sizeof buf, a - 5), 5);
	fsv_release(x.v, f);
	free(big);
	free(small);
	vfx_close(&x);
}

/* A cache far smaller than what is read evicts and re-renders: the same
 * bytes. */
static void test_tiny_cache(void **state)
{
	(void)state;
	struct vfx x, y;
	vfx_open(&x, "zoo.heap.dmp", 1024);
	vfx_open(&y, "zoo.heap.dmp", 0);
	struct names ns;
	list(x.v, walk(x.v, "types/Zoo.Node/instances", NULL), 100, false, &ns);
	for (int round = 0; round < 2; round++)
		for (size_t i = 2; i < ns.n; i++) {
			char path[256];
			snprintf(path, sizeof path, "objects/%s/.json", ns.v[i]);
			size_t la, lb;
			char *pa = slurp(x.v, walk(x.v, path, NULL), 5, &la);
			char *pb = slurp(y.v, walk(y.v, path, NULL), 4096, &lb);
			assert_int_equal(la, lb);
			assert_memory_equal(pa, pb, la);
			struct stat sb;
			assert_int_equal(fsv_getattr(x.v, walk(x.v, path, NULL), &sb), 0);
			assert_int_equal(sb.st_size, la);
			free(pa);
			free(pb);
		}
	names_free(&ns);
	vfx_close(&y);
	vfx_close(&x);
}

struct thr {
	struct fsv *v;
	char *out;
	size_t len, cap;
};

static void thr_put(struct thr *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		while (t->len + n > t->cap)
			t->cap = t->cap ? 2 * t->cap : 1 << 20;
		t->out = realloc(t->out, t->cap);
	}
	memcpy(t->out + t->len, s, n);
	t->len += n;
}

static bool thr_collect(void *arg, const char *name, uint64_t ino, mode_t mode,
			const struct stat *st, uint64_t next)
{
	(void)ino; (void)mode; (void)st; (void)next;
	struct thr *t = arg;
	thr_put(t, name, strlen(name) + 1);
	return true;
}

/* From a fresh view: resolve a type (builds the type table), list its
 * instances (builds the index), read each one's .json (the render cache)
 * and the whole instances.jsonl. */
static void *reader(void *arg)
{
	struct thr *t = arg;
	const char *vt = "types/Bugfree.Spo.Analytics.Cli.Domain+Visit";
	char path[512];
	snprintf(path, sizeof path, "%s/instances", vt);
	uint64_t inst = walk(t->v, path, NULL);
	if (!inst || fsv_readdir(t->v, inst, 0, true, thr_collect, t))
		return NULL;
	const uint64_t *addrs;
	size_t n;
	struct ch_err err;
	long ti = -1;
	for (size_t i = 0; i < t->v->ntypes; i++)
		if (strcmp(t->v->types[i].dir, vt + 6) == 0)
			ti = (long)i;
	if (ti < 0 || heap_instances(t->v->h, t->v->types[ti].mt, &addrs, &n, &err) != CH_OK)
		return NULL;
	for (size_t i = 0; i < n && i < 200; i++) {
		snprintf(path, sizeof path, "objects/%016" PRIx64 "/.json", addrs[i]);
		size_t len;
		char *s = slurp(t->v, walk(t->v, path, NULL), 4096, &len);
		thr_put(t, s, len);
		free(s);
	}
	snprintf(path, sizeof path, "%s/instances.jsonl", vt);
	size_t len;
	char *s = slurp(t->v, walk(t->v, path, NULL), 65536, &len);
	thr_put(t, s, len);
	free(s);
	return NULL;
}

/* Eight threads on a fresh view with a small cache: the first uses build
 * the type table, the index and the renders while others wait or race;
 * all read the same bytes. */
static void test_threads(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "visits.heap.dmp", 64 << 10);
	struct thr t[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		t[i] = (struct thr){ x.v, NULL, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, reader, &t[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	assert_true(t[0].len > 1000);
	for (int i = 1; i < 8; i++) {
		assert_int_equal(t[i].len, t[0].len);
		assert_memory_equal(t[i].out, t[0].out, t[0].len);
	}
	for (int i = 0; i < 8; i++)
		free(t[i].out);
	vfx_close(&x);
}

/* .items: a queue from its head, a stack from its top, a mailbox's
 * arrivals in the order posted. */
static void test_items(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct names ns;
	static const char *const cases[][2] = {
		{ "System.Collections.Generic.Queue<System.Int32>", "3\n4\n5\n6\n" },
		{ "System.Collections.Generic.Stack<System.String>", "c\nb\na\n" },
	};
	char path[512];
	for (size_t c = 0; c < 2; c++) {
		snprintf(path, sizeof path, "types/%s/instances", cases[c][0]);
		list(x.v, walk(x.v, path, NULL), 100, false, &ns);
		assert_int_equal(ns.n, 3);
		snprintf(path, sizeof path, "objects/%s/.items", ns.v[2]);
		struct names items;
		list(x.v, walk(x.v, path, NULL), 2, true, &items);
		char all[256] = "";
		for (size_t i = 2; i < items.n; i++) {
			char p2[600];
			size_t len;
			snprintf(p2, sizeof p2, "%s/%zu", path, i - 2);
			char *s = slurp(x.v, walk(x.v, p2, NULL), 64, &len);
			strcat(all, s);
			free(s);
		}
		assert_string_equal(all, cases[c][1]);
		names_free(&items);
		int err = 0;
		snprintf(path, sizeof path, "objects/%s/.items/9", ns.v[2]);
		assert_int_equal(walk(x.v, path, &err), 0);
		assert_int_equal(err, -ENOENT);
		names_free(&ns);
	}
	/* no .items on what is not such a collection */
	list(x.v, walk(x.v, "types/Zoo.Node/instances", NULL), 100, false, &ns);
	snprintf(path, sizeof path, "objects/%s/.items", ns.v[2]);
	int err = 0;
	assert_int_equal(walk(x.v, path, &err), 0);
	assert_int_equal(err, -ENOENT);
	names_free(&ns);
	vfx_close(&x);

	vfx_open(&x, "visits.heap.dmp", 0);
	uint64_t q = walk_follow(x.v, "types/<StartupCode$visits>.$Agents/statics/visitor@16/mailbox/arrivals/.items");
	assert_int_not_equal(q, 0);
	list(x.v, q, 50, false, &ns);
	assert_int_equal(ns.n, 2 + 2000);
	char target[256];
	assert_int_equal(fsv_readlink(x.v, walk_follow(x.v, "types/<StartupCode$visits>.$Agents/statics/"
					"visitor@16/mailbox/arrivals/.items/0"), target, sizeof target), 0);
	assert_int_equal(strncmp(target, "../../", 6), 0);
	size_t len;
	char *login = slurp(x.v, walk_follow(x.v, "types/<StartupCode$visits>.$Agents/statics/"
				 "visitor@16/mailbox/arrivals/.items/0/item/LoginName"), 100, &len);
	assert_string_equal(login, "i:0#.f|membership|\xe6\x9d\x8e.garc\xc3\xad" "a0@contoso.onmicrosoft.com\n");
	free(login);
	names_free(&ns);
	vfx_close(&x);
}

static void test_roots_modules(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct names ns;
	list(x.v, walk(x.v, "roots", NULL), 100, true, &ns);
	assert_true(has(&ns, "strong"));
	names_free(&ns);
	uint64_t strong = walk(x.v, "roots/strong", NULL);
	list(x.v, strong, 100, true, &ns);
	assert_true(ns.n > 2);
	char target[256], path[256];
	for (size_t i = 2; i < ns.n; i++) {
		snprintf(path, sizeof path, "roots/strong/%s", ns.v[i]);
		assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
		assert_int_equal(strncmp(target, "../../objects/", 14), 0);
		snprintf(path, sizeof path, "objects/%s", target + 14);
		assert_int_not_equal(walk(x.v, path, NULL), 0); /* an object */
	}
	names_free(&ns);
	/* the finalizer queue: 29 objects registered, none ready (as ClrMD's
	 * EnumerateFinalizableObjects and finalizer roots list them) */
	list(x.v, walk(x.v, "roots/finalizer", NULL), 7, true, &ns);
	assert_int_equal(ns.n, 2 + 29);
	names_free(&ns);
	/* one dependent handle (ArrayPool's ConditionalWeakTable, no value
	 * set): a folder with its primary alone */
	list(x.v, walk(x.v, "roots/dependent", NULL), 7, true, &ns);
	assert_int_equal(ns.n, 2 + 1);
	snprintf(path, sizeof path, "roots/dependent/%s", ns.v[2]);
	names_free(&ns);
	list(x.v, walk(x.v, path, NULL), 7, true, &ns);
	assert_int_equal(ns.n, 2 + 1);
	assert_true(has(&ns, "primary"));
	names_free(&ns);
	snprintf(path + strlen(path), sizeof path - strlen(path), "/primary");
	assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
	assert_int_equal(strncmp(target, "../../../objects/", 17), 0);
	snprintf(path, sizeof path, "objects/%s/.json", target + 17);
	size_t jl;
	char *j = slurp(x.v, walk(x.v, path, NULL), 100, &jl);
	assert_non_null(strstr(j, "\"System.Buffers.SharedArrayPoolThreadLocalArray[]\""));
	free(j);
	int err = 0;
	assert_int_equal(walk(x.v, "roots/finalizer-ready", &err), 0);
	assert_int_equal(err, -ENOENT);
	list(x.v, walk(x.v, "modules", NULL), 100, true, &ns);
	assert_true(has(&ns, "zoo.dll"));
	assert_true(has(&ns, "System.Private.CoreLib.dll"));
	names_free(&ns);
	size_t len;
	char *p = slurp(x.v, walk(x.v, "modules/zoo.dll/path", NULL), 100, &len);
	assert_non_null(strstr(p, "zoo.dll\n"));
	free(p);
	/* The heap dump lacks CoreLib's assembly row: its version comes from
	 * the file, where this machine has it. */
	p = slurp(x.v, walk(x.v, "modules/System.Private.CoreLib.dll/path", NULL), 200, &len);
	p[len ? len - 1 : 0] = '\0';
	bool have = access(p, R_OK) == 0;
	free(p);
	p = slurp(x.v, walk(x.v, "modules/System.Private.CoreLib.dll/version", NULL), 100, &len);
	assert_string_equal(p, have ? "10.0.0.0\n" : "unknown\n");
	free(p);
	p = slurp(x.v, walk(x.v, "dump.json", NULL), 100, &len);
	assert_non_null(strstr(p, "\"pointer_size\":8"));
	free(p);
	p = slurp(x.v, walk(x.v, "stat.tsv", NULL), 100, &len);
	assert_int_equal(strncmp(p, "mt\tcount\ttotal_size\ttype\n", 25), 0);
	free(p);
	vfx_close(&x);
}

/* threads/: the zoo's four threads by OS id (the ThreadStore's), each
 * with thread.json; the main thread has a Thread object and a stack, the
 * thread pool's gate thread none; a payload past the list is no node. */
static void test_threads_dir(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.full.dmp", 0);
	struct names ns;
	list(x.v, walk(x.v, "threads", NULL), 100, true, &ns);
	assert_int_equal(ns.n, 2 + 4);
	char path[256], target[256];
	snprintf(path, sizeof path, "threads/%s", ns.v[2]);
	names_free(&ns);
	list(x.v, walk(x.v, path, NULL), 100, true, &ns);
	assert_true(has(&ns, "thread.json") && has(&ns, "thread") && has(&ns, "stack.tsv"));
	assert_false(has(&ns, "exception"));
	names_free(&ns);
	size_t len, l2 = strlen(path);
	snprintf(path + l2, sizeof path - l2, "/thread.json");
	char *j = slurp(x.v, walk(x.v, path, NULL), 100, &len);
	assert_non_null(strstr(j, "\"managed_id\":1,"));
	assert_true(len && j[len - 1] == '\n');
	free(j);
	snprintf(path + l2, sizeof path - l2, "/thread");
	assert_int_equal(fsv_readlink(x.v, walk(x.v, path, NULL), target, sizeof target), 0);
	assert_int_equal(strncmp(target, "../../objects/", 14), 0);
	snprintf(path + l2, sizeof path - l2, "/stack.tsv");
	j = slurp(x.v, walk(x.v, path, NULL), 100, &len);
	assert_int_equal(strncmp(j, "slot\tobject\ttype\n0x", 19), 0);
	free(j);
	struct stat st;
	assert_int_equal(fsv_getattr(x.v, fsv_ino(FK_THR, 4), &st), -ENOENT);
	assert_int_equal(fsv_getattr(x.v, fsv_ino(FK_THR_JSON, 1000), &st), -ENOENT);
	int err = 0;
	assert_int_equal(walk(x.v, "threads/1", &err), 0);
	assert_int_equal(err, -ENOENT);
	vfx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_type_dirname),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_many_field_names),
		cmocka_unit_test(test_ino),
		cmocka_unit_test(test_root_and_types),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_arrays_structs_statics),
		cmocka_unit_test(test_readdir_resume),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_tiny_cache),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_roots_modules),
		cmocka_unit_test(test_threads_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
