/* test_tree.c - what `clrheap ls/cat/find/tar` are built on: tar headers
 * (checksum, octal fields, pax records and their self-counting length,
 * long names and links moved to a pax header) and path resolution over a
 * real fixture dump ("." and "..", symlinks in the middle and at the end,
 * a trailing "/", the errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsv_fixture.h"
#include "tarw.h"

/* ---- tar headers ---- */

static unsigned long field(const char *blk, size_t off, size_t len)
{
	char s[16];
	memcpy(s, blk + off, len);
	s[len] = '\0';
	return strtoul(s, NULL, 8);
}

static void test_pax_record(void **state)
{
	(void)state;
	char out[64];
	/* "a=bcd", a space and a newline are 7 bytes; one digit makes 8 */
	assert_int_equal(tarw_pax_record(out, sizeof out, "a", "bcd"), 8);
	assert_string_equal(out, "8 a=bcd\n");
	assert_int_equal(tarw_pax_record(out, 8, "a", "bcd"), 0); /* no room for the NUL */
	/* 100 bytes of body take 3 digits: 103 */
	char v[200], big[256];
	memset(v, 'x', 93);
	v[93] = '\0';
	assert_int_equal(tarw_pax_record(big, sizeof big, "path", v), 103);
	assert_int_equal(strncmp(big, "103 path=", 9), 0);
	/* 98 bytes of body: 2 digits would make 100, which has 3: 101 */
	v[91] = '\0';
	assert_int_equal(tarw_pax_record(big, sizeof big, "path", v), 101);
	assert_int_equal(strncmp(big, "101 path=", 9), 0);
	assert_int_equal(strlen(big), 101);
}

static void test_ustar_header(void **state)
{
	(void)state;
	struct tarw_entry e = { "types/Zoo.Node/type.json", NULL, '0', 0444, 1000, 1000, 370,
				1764803460 };
	size_t len;
	char *h = tarw_header(&e, &len);
	assert_non_null(h);
	assert_int_equal(len, TARW_BLOCK);
	assert_string_equal(h, "types/Zoo.Node/type.json");
	assert_int_equal(field(h, 100, 7), 0444);
	assert_int_equal(field(h, 108, 7), 1000);
	assert_int_equal(field(h, 124, 11), 370);
	assert_int_equal(field(h, 136, 11), 1764803460);
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar\0" "00", 8);
	/* the checksum: every byte, its own field as spaces */
	unsigned want = (unsigned)field(h, 148, 6);
	char copy[TARW_BLOCK];
	memcpy(copy, h, TARW_BLOCK);
	memset(copy + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < TARW_BLOCK; i++)
		sum += (unsigned char)copy[i];
	assert_int_equal(sum, want);
	assert_int_equal(tarw_checksum(copy), want);
	assert_int_equal(h[154], '\0');
	assert_int_equal(h[155], ' ');
	free(h);
	assert_int_equal(tarw_pad(0), 0);
	assert_int_equal(tarw_pad(1), 511);
	assert_int_equal(tarw_pad(512), 0);
	assert_int_equal(tarw_pad(513), 511);
}

static void test_pax_header(void **state)
{
	(void)state;
	char name[300], link[200];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	memcpy(name, "types/", 6);
	memset(link, 'l', sizeof link - 1);
	link[sizeof link - 1] = '\0';
	struct tarw_entry e = { name, link, '2', 0777, 0, 0, 0, 5 };
	size_t len;
	char *h = tarw_header(&e, &len);
	assert_non_null(h);
	/* pax header, its records (two blocks of them), the ustar header */
	assert_int_equal(h[156], 'x');
	assert_int_equal(strncmp(h, "PaxHeaders/", 11), 0);
	size_t rlen = field(h, 124, 11);
	assert_true(rlen > TARW_BLOCK && rlen <= 2 * TARW_BLOCK);
	assert_int_equal(len, 4 * TARW_BLOCK);
	const char *rec = h + TARW_BLOCK;
	char want[1024];
	size_t k = tarw_pax_record(want, sizeof want, "path", name);
	k += tarw_pax_record(want + k, sizeof want - k, "linkpath", link);
	assert_int_equal(rlen, k);
	assert_memory_equal(rec, want, k);
	const char *u = h + 3 * TARW_BLOCK;
	assert_int_equal(u[156], '2');
	assert_memory_equal(u, name, 100);       /* cut: the pax record has it all */
	assert_memory_equal(u + 157, link, 100);
	free(h);
	/* a size past 11 octal digits goes to a pax record too */
	struct tarw_entry big = { "f", NULL, '0', 0444, 0, 0, UINT64_C(1) << 34, 0 };
	h = tarw_header(&big, &len);
	assert_non_null(h);
	assert_int_equal(len, 3 * TARW_BLOCK);
	assert_non_null(strstr(h + TARW_BLOCK, " size=17179869184\n"));
	free(h);
}

/* ---- paths ---- */

static uint64_t res(struct fsv *v, const char *path, bool follow, int *r)
{
	struct stat st;
	*r = fsv_resolve(v, path, follow, &st);
	return *r ? 0 : st.st_ino;
}

static void test_resolve(void **state)
{
	(void)state;
	struct vfx x;
	vfx_open(&x, "zoo.heap.dmp", 0);
	struct fsv *v = x.v;
	int r;
	assert_int_equal(res(v, "", false, &r), FSV_ROOT_INO);
	assert_int_equal(res(v, "/", false, &r), FSV_ROOT_INO);
	assert_int_equal(res(v, ".", false, &r), FSV_ROOT_INO);
	assert_int_equal(res(v, "..", false, &r), FSV_ROOT_INO); /* the root's parent is itself */
	uint64_t types = walk(v, "types", NULL);
	assert_int_equal(res(v, "types", false, &r), types);
	assert_int_equal(res(v, "./types/../types/", false, &r), types);
	assert_int_equal(res(v, "//types//.", false, &r), types);

	/* a Node and the Node its Next refers to */
	uint64_t inst = walk(v, "types/Zoo.Node/instances", NULL);
	assert_true(inst != 0);
	char a[FSV_NAME_MAX + 1] = "", path[1024], target[FSV_NAME_MAX + 64];
	struct names nm = { 0 };
	nm.limit = 1000;
	assert_int_equal(fsv_readdir(v, inst, 0, false, collect, &nm), 0);
	for (size_t i = 0; i < nm.n && !a[0]; i++)
		if (nm.v[i][0] != '.')
			snprintf(a, sizeof a, "%s", nm.v[i]);
	assert_true(a[0] != '\0');
	snprintf(path, sizeof path, "objects/%s/Next", a);
	uint64_t link = walk(v, path, NULL);
	assert_int_equal(fsv_readlink(v, link, target, sizeof target), 0);
	char b[64];
	assert_int_equal(sscanf(target, "../%63s", b), 1);
	snprintf(path, sizeof path, "objects/%s", b);
	uint64_t ob = walk(v, path, NULL);

	/* the link itself, or followed */
	snprintf(path, sizeof path, "objects/%s/Next", a);
	assert_int_equal(res(v, path, false, &r), link);
	assert_int_equal(res(v, path, true, &r), ob);
	snprintf(path, sizeof path, "objects/%s/Next/", a);
	assert_int_equal(res(v, path, false, &r), ob);
	/* links in the middle, from types/ through instances/ */
	snprintf(path, sizeof path, "types/Zoo.Node/instances/%s/Next/Name", a);
	snprintf(target, sizeof target, "objects/%s/Name", b);
	assert_int_equal(res(v, path, false, &r), walk(v, target, NULL));
	/* ".." of a followed link is its target's parent */
	snprintf(path, sizeof path, "types/Zoo.Node/instances/%s/..", a);
	assert_int_equal(res(v, path, false, &r), walk(v, "objects", NULL));
	snprintf(path, sizeof path, "objects/%s/Next/../%s", a, a);
	snprintf(target, sizeof target, "objects/%s", a);
	assert_int_equal(res(v, path, false, &r), walk(v, target, NULL));

	/* errors */
	assert_int_equal(res(v, "nope", false, &r), 0);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(res(v, "dump.json/x", false, &r), 0);
	assert_int_equal(r, -ENOTDIR);
	assert_int_equal(res(v, "dump.json/", false, &r), 0);
	assert_int_equal(r, -ENOTDIR);
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(res(v, longname, false, &r), 0);
	assert_int_equal(r, -ENAMETOOLONG);
	char *huge = malloc(PATH_MAX + 10);
	memset(huge, '/', PATH_MAX + 9);
	huge[PATH_MAX + 9] = '\0';
	assert_int_equal(res(v, huge, false, &r), 0);
	assert_int_equal(r, -ENAMETOOLONG);
	/* a ring of Nodes walked far past FSV_MAX_LINKS links, one at a time:
	 * each link is a new walk of its own, not a loop */
	size_t k = (size_t)snprintf(huge, PATH_MAX, "objects/%s", a);
	for (int i = 0; i < 3 * FSV_MAX_LINKS; i++)
		k += (size_t)snprintf(huge + k, PATH_MAX - k, "/Next");
	res(v, huge, true, &r);
	assert_int_equal(r, -ELOOP); /* all in one path: the kernel says ELOOP too */
	free(huge);
	for (size_t i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	free(nm.next);
	vfx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pax_record),
		cmocka_unit_test(test_ustar_header),
		cmocka_unit_test(test_pax_header),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
