/* test_as.c - the address space: lookups at every edge of the ranges,
 * partial reads across gaps, zero-copy pointers, the module-file fallback
 * (an ELF shared object and a PE file written by the test; the real
 * libcoreclr.so behind a real heap dump), identity mismatches and their
 * reasons, relocated image reads, and many threads reading at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "as.h"
#include "dump.h"
#include "fixture.h"
#include "mkdump.h"
#include "rdr.h"

static const uint8_t bid_a[20] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
				   0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4 };

/* Opens bytes as a dump and its address space (the file is removed at
 * once; the mapping keeps it). */
static void open_space(const struct mkbuf *b, struct dump **d, struct as **a)
{
	char *tmp = mk_tmpfile(b->p, b->len, ".dmp");
	struct ch_err err = { 0 };
	enum ch_status st = dump_open(tmp, d, &err);
	unlink(tmp);
	free(tmp);
	if (st != CH_OK)
		fail_msg("%s", err.msg);
	if (as_open(*d, a, &err) != CH_OK)
		fail_msg("%s", err.msg);
}

static void close_space(struct dump *d, struct as *a)
{
	as_close(a);
	dump_close(d);
}

/* ---- lookups over hand-made ranges ---- */

#define TOP 0xfffffffffffff000ull
/* l6 ends at the last byte below 2^64 (a range ending at 2^64 exactly
 * cannot be told from one that wraps, and is refused). */
static uint8_t l1[0x1000], l2[0x1000], l3[0x800], l4[0x100], l5[0x100], l6[0xfff];
static const struct { uint64_t va; uint8_t *p; size_t n; } layout[] = {
	{ 0x10000, l1, sizeof l1 }, { 0x11000, l2, sizeof l2 }, { 0x50000, l5, sizeof l5 },
	{ 0x12000, l3, sizeof l3 }, { 0x20000, l4, sizeof l4 }, { TOP, l6, sizeof l6 },
};

static void make_ranges(struct mkbuf *b, uint8_t salt)
{
	struct mk_load loads[6];
	for (size_t i = 0; i < 6; i++) {
		for (size_t k = 0; k < layout[i].n; k++)
			layout[i].p[k] = (uint8_t)(k * 31 + i * 7 + salt);
		loads[i] = (struct mk_load){ layout[i].va, layout[i].p, layout[i].n };
	}
	struct mk_core c = { .loads = loads, .nloads = 6 };
	mk_elf_core(b, &c, NULL);
}

/* The byte at va by a linear search, or -1. */
static int naive(uint64_t va)
{
	for (size_t i = 0; i < 6; i++)
		if (va >= layout[i].va && va - layout[i].va < layout[i].n)
			return layout[i].p[va - layout[i].va];
	return -1;
}

static void test_lookup_edges(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_ranges(&b, 0);
	struct dump *d;
	struct as *a;
	open_space(&b, &d, &a);
	assert_ptr_equal(as_dump(a), d);
	assert_int_equal(as_ptr_size(a), 8);
	uint8_t x;
	for (uint64_t va = 0xf000; va < 0x21000; va += 0x40) {
		int want = naive(va);
		size_t got = as_read(a, va, &x, 1);
		assert_int_equal(got, want >= 0);
		if (want >= 0)
			assert_int_equal(x, want);
	}
	uint64_t edges[] = { 0xffff, 0x10000, 0x10fff, 0x11000, 0x11fff, 0x12000, 0x127ff,
			     0x12800, 0x1ffff, 0x20000, 0x200ff, 0x20100, 0x4ffff, 0x50000,
			     0x500ff, 0x50100, 0, 1, TOP - 1, TOP, UINT64_MAX };
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		int want = naive(edges[i]);
		assert_int_equal(as_read(a, edges[i], &x, 1), want >= 0);
		if (want >= 0)
			assert_int_equal(x, want);
		const char *why = as_missing_reason(a, edges[i]);
		if (want >= 0)
			assert_null(why);
		else
			assert_non_null(strstr(why, "in no memory range of the dump and in no module"));
	}
	close_space(d, a);
	mk_free(&b);
}

static void test_partial_and_zero_copy(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_ranges(&b, 0);
	struct dump *d;
	struct as *a;
	open_space(&b, &d, &a);
	static uint8_t buf[0x3000];
	/* Across l1 and l2 (adjacent in memory and in the file): one span. */
	assert_int_equal(as_read(a, 0x10ff0, buf, 32), 32);
	assert_memory_equal(buf, l1 + 0xff0, 16);
	assert_memory_equal(buf + 16, l2, 16);
	const uint8_t *p = as_ptr(a, 0x10ff0, 32);
	assert_non_null(p);
	assert_memory_equal(p, buf, 32);
	size_t len;
	const uint8_t *file = dump_bytes(d, &len);
	assert_true(p > file && p < file + len); /* inside the mapped dump */
	const uint8_t *sp;
	assert_int_equal(as_span(a, 0x10800, &sp), 0x1800);
	assert_memory_equal(sp, l1 + 0x800, 16);
	/* Across l2 and l3 (adjacent in memory, not in the file): as_read
	 * goes on, zero-copy cannot. */
	assert_int_equal(as_read(a, 0x11ff8, buf, 16), 16);
	assert_memory_equal(buf + 8, l3, 8);
	assert_null(as_ptr(a, 0x11ff8, 16));
	assert_non_null(as_ptr(a, 0x11ff8, 8));
	assert_int_equal(as_span(a, 0x11ff8, &sp), 8);
	/* A whole run from l1 to the end of l3, then the gap. */
	assert_int_equal(as_read(a, 0x10000, buf, sizeof buf), 0x2800);
	assert_memory_equal(buf + 0x2000, l3, 0x800);
	assert_int_equal(as_read(a, 0x12700, buf, 0x200), 0x100);
	assert_int_equal(as_read(a, 0x13000, buf, 16), 0);
	assert_int_equal(as_span(a, 0x13000, &sp), 0);
	assert_null(sp);
	assert_null(as_ptr(a, 0x12700, 0x101));
	assert_int_equal(as_read(a, 0x10000, buf, 0), 0);
	/* Loads of every width, at the edges. */
	uint32_t v32;
	uint64_t v64;
	assert_true(as_u32(a, 0x127fc, &v32));
	assert_int_equal(v32, rdr_le32(l3 + 0x7fc));
	assert_false(as_u32(a, 0x127fd, &v32));
	assert_true(as_u64(a, 0x10ffc, &v64));
	assert_true(v64 == ((uint64_t)rdr_le32(l2) << 32 | rdr_le32(l1 + 0xffc)));
	assert_false(as_u64(a, 0x127fc, &v64));
	assert_true(as_ptrv(a, 0x20000, &v64) && v64 == rdr_le64(l4));
	assert_false(as_ptrv(a, 0x200f9, &v64));
	/* The top of the address space: the read stops, never wraps. */
	assert_int_equal(as_read(a, UINT64_MAX - 7, buf, 16), 7);
	assert_memory_equal(buf, l6 + 0xff8, 7);
	assert_int_equal(as_span(a, UINT64_MAX - 1, &sp), 1);
	assert_int_equal(as_span(a, UINT64_MAX, &sp), 0);
	close_space(d, a);
	mk_free(&b);
}

/* Two spaces read alternately from one thread: the per-thread hint of
 * one must never answer for the other. */
static void test_two_spaces(void **state)
{
	(void)state;
	struct mkbuf b1 = { 0 }, b2 = { 0 };
	make_ranges(&b1, 1);
	make_ranges(&b2, 2);
	struct dump *d1, *d2;
	struct as *a1, *a2;
	open_space(&b1, &d1, &a1);
	open_space(&b2, &d2, &a2);
	for (uint64_t va = 0x10000; va < 0x12800; va += 0x101) {
		uint8_t x, y;
		assert_int_equal(as_read(a1, va, &x, 1), 1);
		assert_int_equal(as_read(a2, va, &y, 1), 1);
		assert_int_equal((uint8_t)(y - x), 1);
		assert_int_equal(as_read(a2, 0x50000, &y, 1), 1);
		assert_int_equal(as_read(a1, va + 0x40000, &x, 1), naive(va + 0x40000) >= 0);
	}
	close_space(d1, a1);
	close_space(d2, a2);
	mk_free(&b1);
	mk_free(&b2);
}

/* ---- module files: an ELF shared object ---- */

#define SO_BASE 0x7f0000000000ull
static char tmpdir[4096];
static uint8_t so_file[MK_SO_SIZE];

static int setup_dir(void **state)
{
	(void)state;
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/clrheap-as-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	struct mkbuf so = { 0 };
	mk_elf_so(&so, bid_a);
	memcpy(so_file, so.p, MK_SO_SIZE);
	mk_free(&so);
	char p[4200];
	snprintf(p, sizeof p, "%s/libfake.so", tmpdir);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(so_file, 1, MK_SO_SIZE, f) != MK_SO_SIZE)
		return -1;
	fclose(f);
	struct mkbuf pe = { 0 };
	mk_pe(&pe, 0x5eed5eed, true);
	snprintf(p, sizeof p, "%s/App.dll", tmpdir);
	f = fopen(p, "wb");
	if (!f || fwrite(pe.p, 1, pe.len, f) != pe.len)
		return -1;
	fclose(f);
	mk_free(&pe);
	mk_pe(&pe, 0x32323232, false);
	snprintf(p, sizeof p, "%s/App32.dll", tmpdir);
	f = fopen(p, "wb");
	if (!f || fwrite(pe.p, 1, pe.len, f) != pe.len)
		return -1;
	fclose(f);
	mk_free(&pe);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	const char *names[] = { "libfake.so", "App.dll", "App32.dll" };
	for (size_t i = 0; i < 3; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	return 0;
}

/* A core holding only the .so's header page, naming the .so at path; the
 * dump's build-id is the file's unless other_id. */
static void make_so_core(struct mkbuf *b, const char *path, bool other_id)
{
	static uint8_t page[4096];
	memcpy(page, so_file, sizeof page);
	if (other_id)
		page[0x210] ^= 0xff;
	struct mk_load loads[] = { { SO_BASE, page, sizeof page } };
	struct mk_file files[] = {
		{ SO_BASE, SO_BASE + 0x1000, 0, path },
		{ SO_BASE + 0x1000, SO_BASE + 0x2000, 0x1000, path },
		{ SO_BASE + 0x3000, SO_BASE + 0x4000, 0x2000, path },
	};
	struct mk_core c = { .loads = loads, .nloads = 1, .files = files, .nfiles = 3 };
	mk_elf_core(b, &c, NULL);
}

static void test_elf_fallback(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof path, "%s/libfake.so", tmpdir);
	struct mkbuf b = { 0 };
	make_so_core(&b, path, false);
	struct dump *d;
	struct as *a;
	open_space(&b, &d, &a);
	uint8_t buf[0x100];
	/* Code from the file, at the offsets NT_FILE gives. */
	assert_int_equal(as_read(a, SO_BASE + 0x1010, buf, 64), 64);
	assert_memory_equal(buf, so_file + 0x1010, 64);
	assert_null(as_missing_reason(a, SO_BASE + 0x1010));
	const uint8_t *p = as_ptr(a, SO_BASE + 0x1000, 0x1000);
	assert_non_null(p);
	assert_memory_equal(p, so_file + 0x1000, 0x1000);
	const uint8_t *sp;
	assert_int_equal(as_span(a, SO_BASE + 0x1800, &sp), 0x800);
	/* From the dump's header page on into the file's code. */
	assert_int_equal(as_read(a, SO_BASE + 0xff0, buf, 32), 32);
	assert_memory_equal(buf + 16, so_file + 0x1000, 16);
	/* The code ends where the mapping ends; the next page is no one's. */
	assert_int_equal(as_read(a, SO_BASE + 0x1ff0, buf, 32), 16);
	assert_non_null(strstr(as_missing_reason(a, SO_BASE + 0x2000), "in no module"));
	/* Writable data is not served by as_read... */
	assert_int_equal(as_read(a, SO_BASE + 0x3000, buf, 16), 0);
	assert_null(as_ptr(a, SO_BASE + 0x3000, 1));
	const char *why = as_missing_reason(a, SO_BASE + 0x3000);
	assert_non_null(why);
	assert_non_null(strstr(why, "writable data of libfake.so"));
	assert_non_null(strstr(why, path));
	/* ...but as_read_image gives it as the loader left it. */
	assert_int_equal(as_read_image(a, SO_BASE + 0x3000, buf, 0x40), 0x40);
	uint8_t want[0x40];
	memcpy(want, so_file + 0x2000, sizeof want);
	uint64_t rel[][2] = { { 0x08, SO_BASE + 0x1234 }, { 0x10, SO_BASE + 0x2222 },
			      { 0x18, SO_BASE + 0x1104 }, { 0x28, SO_BASE + 0x2828 } };
	for (size_t i = 0; i < 4; i++)
		memcpy(want + rel[i][0], &rel[i][1], 8);
	assert_memory_equal(buf, want, sizeof want); /* 0x20: undefined symbol, as filed */
	/* Relocated words cut by the edges of a read. */
	for (size_t off = 0; off < 0x30; off += 3) {
		uint8_t part[13];
		assert_int_equal(as_read_image(a, SO_BASE + 0x3000 + off, part, sizeof part), sizeof part);
		assert_memory_equal(part, want + off, sizeof part);
	}
	/* Past the file's bytes of the data segment (bss): nothing. */
	assert_int_equal(as_read_image(a, SO_BASE + 0x3ff8, buf, 16), 8);
	close_space(d, a);
	mk_free(&b);
}

/* A dump may name any path as a module file: a FIFO (whose open would
 * block) or a device is refused without being opened. */
static void test_module_path_not_a_file(void **state)
{
	(void)state;
	char fifo[4200];
	snprintf(fifo, sizeof fifo, "%s/fifo.so", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *paths[] = { fifo, "/dev/null", "/dev/zero" };
	for (size_t i = 0; i < 3; i++) {
		struct mkbuf b = { 0 };
		make_so_core(&b, paths[i], false);
		struct dump *d;
		struct as *a;
		open_space(&b, &d, &a);
		uint8_t buf[16];
		alarm(20); /* a blocking open fails the test instead of hanging it */
		assert_int_equal(as_read(a, SO_BASE + 0x1010, buf, sizeof buf), 0);
		alarm(0);
		const char *why = as_missing_reason(a, SO_BASE + 0x1010);
		assert_non_null(why);
		/* (paths under /dev/ are not taken for modules at all) */
		if (!strstr(why, i == 0 ? "not a regular file" : "in no module"))
			fail_msg("%s: %s", paths[i], why);
		close_space(d, a);
		mk_free(&b);
	}
	unlink(fifo);
}

static void test_elf_mismatch_and_search(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof path, "%s/libfake.so", tmpdir);
	struct mkbuf b = { 0 };
	make_so_core(&b, path, true);
	struct dump *d;
	struct as *a;
	open_space(&b, &d, &a);
	uint8_t buf[16];
	assert_int_equal(as_read(a, SO_BASE + 0x1000, buf, 16), 0);
	const char *why = as_missing_reason(a, SO_BASE + 0x1000);
	assert_non_null(why);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "build-id a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4, the dump's is 5ea2a3"));
	assert_non_null(strstr(why, "no search folder given"));
	/* A search folder holding the same wrong file: both are named. */
	assert_int_equal(as_add_search_dir(a, "/nonexistent-folder"), CH_OK);
	why = as_missing_reason(a, SO_BASE + 0x1000);
	assert_non_null(strstr(why, "/nonexistent-folder/libfake.so: No such file"));
	assert_non_null(strstr(why, path));
	close_space(d, a);
	mk_free(&b);

	/* The named path is missing; a search folder has the file. */
	make_so_core(&b, "/build/machine/lib/libfake.so", false);
	open_space(&b, &d, &a);
	assert_int_equal(as_read(a, SO_BASE + 0x1000, buf, 16), 0);
	why = as_missing_reason(a, SO_BASE + 0x1000);
	assert_non_null(strstr(why, "libfake.so is not wholly in the dump and no file of it matches (/build/machine/lib/libfake.so: No such file or directory; no search folder given)"));
	assert_int_equal(as_add_search_dir(a, tmpdir), CH_OK);
	assert_int_equal(as_read(a, SO_BASE + 0x1000, buf, 16), 16);
	assert_memory_equal(buf, so_file + 0x1000, 16);
	assert_null(as_missing_reason(a, SO_BASE + 0x1000));
	close_space(d, a);
	mk_free(&b);
}

/* ---- module files: PE images in minidumps ---- */

#define PE_BASE 0x10000000ull

static void make_pe_mdmp(struct mkbuf *b, const char *name, uint32_t stamp, uint16_t arch)
{
	struct mk_mmod mod = { .base = PE_BASE, .size = 0x4000, .stamp = stamp, .name = name };
	struct mk_mdmp md = { .arch = arch, .platform = 2, .mods = &mod, .nmods = 1 };
	mk_minidump(b, &md, NULL);
}

static void check_pe_layout(struct as *a, const uint8_t *file)
{
	uint8_t buf[0x400];
	assert_int_equal(as_read(a, PE_BASE, buf, 0x300), 0x200); /* the headers */
	assert_memory_equal(buf, file, 0x200);
	assert_int_equal(as_read(a, PE_BASE + 0x1000, buf, 0x300), 0x200); /* .text */
	assert_memory_equal(buf, file + 0x200, 0x200);
	assert_int_equal(as_read(a, PE_BASE + 0x2000, buf, 16), 0); /* .data: writable */
	assert_non_null(strstr(as_missing_reason(a, PE_BASE + 0x2000), "writable data of App"));
	assert_int_equal(as_read_image(a, PE_BASE + 0x2000, buf, 0x300), 0x200);
	assert_memory_equal(buf, file + 0x400, 0x200);
	assert_int_equal(as_read(a, PE_BASE + 0x3000, buf, 0x200), 0x100); /* .rdata: virtual size */
	assert_memory_equal(buf, file + 0x600, 0x100);
	assert_int_equal(as_read(a, PE_BASE + 0x3ff0, buf, 8), 0);
	assert_non_null(strstr(as_missing_reason(a, PE_BASE + 0x3ff0), "a part not mapped from the file"));
}

static void test_pe_fallback(void **state)
{
	(void)state;
	struct mkbuf pe = { 0 }, b = { 0 };
	mk_pe(&pe, 0x5eed5eed, true);
	make_pe_mdmp(&b, "C:\\Program Files\\App\\App.dll", 0x5eed5eed, 9);
	struct dump *d;
	struct as *a;
	open_space(&b, &d, &a);
	uint8_t buf[4];
	assert_int_equal(as_read(a, PE_BASE, buf, 2), 0); /* no search folder yet */
	assert_non_null(strstr(as_missing_reason(a, PE_BASE),
			       "C:\\Program Files\\App\\App.dll: No such file"));
	assert_int_equal(as_add_search_dir(a, tmpdir), CH_OK);
	check_pe_layout(a, pe.p);
	close_space(d, a);
	mk_free(&b);
	mk_free(&pe);

	/* PE32 in an x86 minidump. */
	mk_pe(&pe, 0x32323232, false);
	make_pe_mdmp(&b, "C:\\App\\App32.dll", 0x32323232, 0);
	open_space(&b, &d, &a);
	assert_int_equal(as_ptr_size(a), 4);
	assert_int_equal(as_add_search_dir(a, tmpdir), CH_OK);
	check_pe_layout(a, pe.p);
	close_space(d, a);
	mk_free(&b);
	mk_free(&pe);

	/* Another build of the file: TimeDateStamp differs. */
	make_pe_mdmp(&b, "C:\\App\\App.dll", 0x5eed5eee, 9);
	open_space(&b, &d, &a);
	assert_int_equal(as_add_search_dir(a, tmpdir), CH_OK);
	assert_int_equal(as_read(a, PE_BASE, buf, 2), 0);
	const char *why = as_missing_reason(a, PE_BASE);
	assert_non_null(strstr(why, "/App.dll: TimeDateStamp 0x5eed5eed and SizeOfImage 0x4000, the dump's are 0x5eed5eee and 0x4000"));
	close_space(d, a);
	mk_free(&b);
}

/* ---- many readers at once ---- */

struct reader {
	struct as *a;
	unsigned seed;
	int bad;
};

static void *read_many(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[64];
	for (int i = 0; i < 20000; i++) {
		r->seed = r->seed * 1103515245 + 12345;
		uint64_t off = (r->seed >> 8) % 0x4000;
		uint64_t va = SO_BASE + off;
		size_t n = 1 + (r->seed >> 3) % 63;
		bool image = (r->seed >> 20) & 1;
		size_t got = image ? as_read_image(r->a, va, buf, n) : as_read(r->a, va, buf, n);
		/* What the layout says: page 0 from the dump (the file's own
		 * header page), page 1 from the file, page 2 nothing, page 3
		 * (data) only as an image. */
		size_t want = 0;
		for (uint64_t x = va; x < va + n; x++) {
			uint64_t pg = (x - SO_BASE) >> 12;
			if (pg == 2 || pg >= 4 || (pg == 3 && !image))
				break;
			want++;
		}
		if (got != want) {
			r->bad++;
			continue;
		}
		for (size_t k = 0; k < got && !image; k++)
			if (buf[k] != so_file[(va - SO_BASE) + k - ((va - SO_BASE + k) >= 0x3000 ? 0x1000 : 0)])
				r->bad++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof path, "%s/libfake.so", tmpdir);
	struct mkbuf b = { 0 };
	make_so_core(&b, path, false);
	for (int round = 0; round < 3; round++) {
		struct dump *d;
		struct as *a;
		open_space(&b, &d, &a); /* fresh: the threads race to open the file */
		pthread_t t[8];
		struct reader r[8];
		for (int i = 0; i < 8; i++) {
			r[i] = (struct reader){ a, (unsigned)(i * 7919 + round), 0 };
			assert_int_equal(pthread_create(&t[i], NULL, read_many, &r[i]), 0);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(r[i].bad, 0);
		}
		close_space(d, a);
	}
	mk_free(&b);
}

/* ---- the real libcoreclr.so behind real dumps ---- */

static const struct dump_module *find_module(struct dump *d, const char *name)
{
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

static bool in_dump(struct dump *d, uint64_t va)
{
	size_t n;
	const struct dump_range *r = dump_ranges(d, &n);
	for (size_t i = 0; i < n; i++)
		if (va - r[i].va < r[i].size)
			return true;
	return false;
}

static struct dump *open_fixture(const char *name, struct as **a)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	struct dump *d;
	struct ch_err err = { 0 };
	if (dump_open(path, &d, &err) != CH_OK || as_open(d, a, &err) != CH_OK)
		fail_msg("%s", err.msg);
	return d;
}

/* The heap dump lacks most of libcoreclr's code and constants; with the
 * file on disk (the path the dump names, on a machine with that runtime)
 * they read as the file holds them, else the reason names the file. */
static void test_real_fallback(void **state)
{
	(void)state;
	struct as *a;
	struct dump *d = open_fixture("visits.heap.dmp", &a);
	const struct dump_module *m = find_module(d, "libcoreclr.so");
	assert_non_null(m);
	bool have_file = access(m->path, R_OK) == 0;
	size_t missing = 0, served = 0;
	int fd = have_file ? open(m->path, O_RDONLY) : -1;
	for (size_t s = 0; s < m->nsegs; s++) {
		for (uint64_t va = m->segs[s].va; va < m->segs[s].va + m->segs[s].size; va += 0x10000) {
			if (in_dump(d, va))
				continue;
			missing++;
			uint8_t x[256], y[256];
			size_t got = as_read(a, va, x, sizeof x);
			if (!got) {
				const char *why = as_missing_reason(a, va);
				assert_non_null(why);
				assert_non_null(strstr(why, "libcoreclr.so"));
				continue;
			}
			served++;
			assert_true(have_file);
			uint64_t off = m->segs[s].file_off + (va - m->segs[s].va);
			assert_int_equal(pread(fd, y, got, (off_t)off), (ssize_t)got);
			assert_memory_equal(x, y, got);
		}
	}
	assert_true(missing > 10);
	if (have_file)
		assert_true(served > missing / 2);
	if (fd >= 0)
		close(fd);
	close_space(d, a);
}

/* The runtime's contract descriptor sits in libcoreclr's .data, which a
 * heap dump lacks: as_read cannot give it, as_read_image rebuilds it from
 * the file with its pointers relocated, equal to a full dump's. */
static void test_real_descriptor_image(void **state)
{
	(void)state;
	struct as *af, *ah;
	struct dump *df = open_fixture("zoo.full.dmp", &af);
	struct dump *dh = open_fixture("zoo.heap.dmp", &ah);
	const struct dump_module *mf = find_module(df, "libcoreclr.so");
	const struct dump_module *mh = find_module(dh, "libcoreclr.so");
	assert_non_null(mf);
	assert_non_null(mh);
	assert_int_equal(mf->build_id_len, mh->build_id_len);
	assert_memory_equal(mf->build_id, mh->build_id, mf->build_id_len);
	/* Find the descriptor by its magic in the full dump. */
	uint64_t at = 0;
	static uint8_t chunk[1 << 16];
	for (uint64_t va = mf->base; va < mf->base + mf->size && !at; va += sizeof chunk - 8) {
		size_t got = as_read(af, va, chunk, sizeof chunk);
		const uint8_t *hit = got ? memmem(chunk, got, "DNCCDAC\0", 8) : NULL;
		if (hit)
			at = va + (uint64_t)(hit - chunk);
	}
	assert_true(at != 0);
	uint64_t off = at - mf->base;
	uint8_t full[40], heap[40];
	assert_int_equal(as_read(af, at, full, sizeof full), sizeof full);
	assert_int_equal(as_read(ah, mh->base + off, heap, sizeof heap), 0);
	if (access(mh->path, R_OK) != 0) {
		assert_non_null(strstr(as_missing_reason(ah, mh->base + off), "libcoreclr.so"));
		close_space(df, af);
		close_space(dh, ah);
		return;
	}
	assert_int_equal(as_read_image(ah, mh->base + off, heap, sizeof heap), sizeof heap);
	assert_memory_equal(heap, full, 16); /* magic, flags, JSON size */
	uint64_t json_f = rdr_le64(full + 16), json_h = rdr_le64(heap + 16);
	uint64_t ptrs_f = rdr_le64(full + 32), ptrs_h = rdr_le64(heap + 32);
	assert_true(json_f - mf->base == json_h - mh->base);
	assert_true(ptrs_f - mf->base == ptrs_h - mh->base);
	uint32_t size = rdr_le32(full + 12), nptr = rdr_le32(full + 24);
	assert_int_equal(nptr, rdr_le32(heap + 24));
	/* The JSON text (in .rodata) reads from the file alike. */
	char *jf = malloc(size), *jh = malloc(size);
	assert_int_equal(as_read(af, json_f, jf, size), size);
	assert_int_equal(as_read(ah, json_h, jh, size), size);
	assert_memory_equal(jf, jh, size);
	free(jf);
	free(jh);
	/* The pointer table: pointers into libcoreclr agree relative to its
	 * base. */
	size_t inside = 0;
	for (uint32_t i = 0; i < nptr; i++) {
		uint64_t pf, ph;
		assert_true(as_u64(af, ptrs_f + 8ull * i, &pf));
		assert_int_equal(as_read_image(ah, ptrs_h + 8ull * i, &ph, 8), 8);
		if (pf && pf - mf->base < (64u << 20)) { /* libcoreclr and its bss */
			inside++;
			if (pf - mf->base != ph - mh->base)
				fail_msg("pointer %u: 0x%llx - 0x%llx != 0x%llx - 0x%llx", i,
					 (unsigned long long)pf, (unsigned long long)mf->base,
					 (unsigned long long)ph, (unsigned long long)mh->base);
		}
	}
	assert_true(inside > nptr / 2);
	close_space(df, af);
	close_space(dh, ah);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_edges),
		cmocka_unit_test(test_partial_and_zero_copy),
		cmocka_unit_test(test_two_spaces),
		cmocka_unit_test(test_elf_fallback),
		cmocka_unit_test(test_module_path_not_a_file),
		cmocka_unit_test(test_elf_mismatch_and_search),
		cmocka_unit_test(test_pe_fallback),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_real_fallback),
		cmocka_unit_test(test_real_descriptor_image),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
