/* test_dump_elf.c - the ELF core reader: the file checks of dump_open,
 * every corruption check of the ELF backend on hand-made cores, a good
 * hand-made core read back field by field, the real createdump fixture
 * dumps, and a core gdb's gcore makes of a child process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "as.h"
#include "dump.h"
#include "fixture.h"
#include "mkdump.h"

static const uint8_t bid_a[20] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
				   0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4 };

/* Opens bytes as a dump file; returns the status, the message in err. */
static enum ch_status open_bytes(const void *p, size_t n, unsigned flags,
				 struct dump **d, struct ch_err *err, char **path)
{
	char *tmp = mk_tmpfile(p, n, ".core");
	enum ch_status st = dump_open_flags(tmp, flags, d, err);
	unlink(tmp); /* the mapping keeps the bytes */
	if (path)
		*path = tmp;
	else
		free(tmp);
	return st;
}

/* Expects the bytes to be refused with status and a message naming the
 * file and containing what. */
static void expect_fail(const void *p, size_t n, unsigned flags,
			enum ch_status status, const char *what)
{
	struct dump *d = (struct dump *)1;
	struct ch_err err = { 0 };
	char *path;
	enum ch_status st = open_bytes(p, n, flags, &d, &err, &path);
	if (st != status || !strstr(err.msg, path) || !strstr(err.msg, what))
		fail_msg("expected status %d with '%s', got %d: %s", status, what, st, err.msg);
	assert_null(d);
	assert_null(strchr(err.msg, '\n'));
	free(path);
}

/* A small good core: two loads (one the ELF header page of a module),
 * NT_FILE for that module and a PE module, two threads, auxv. */
static uint8_t so_page[4096], pe_page[4096], data_page[8192];
static const struct mk_file good_files[] = {
	{ 0x7f0000000000, 0x7f0000001000, 0, "/opt/lib/libfake.so" },
	{ 0x7f0000001000, 0x7f0000002000, 0x1000, "/opt/lib/libfake.so" },
	{ 0x7f0000003000, 0x7f0000004000, 0x2000, "/opt/lib/libfake.so" },
	{ 0x7f1000000000, 0x7f1000001000, 0, "/opt/app/App.dll" },
	{ 0x7f2000000000, 0x7f2000010000, 0, "/memfd:doublemapper (deleted)" },
	{ 0x7f2000020000, 0x7f2000021000, 0, "/dev/zero" },
};
static const struct mk_thread good_threads[] = {
	{ 4242, 0x7ffd00001000, 0x7f0000001234 },
	{ 4243, 0x7ffd00002000, 0x7f0000001238 },
};
static const uint64_t good_auxv[] = { 6, 4096, 3, 0x555500000040 };

static void make_good(struct mkbuf *b, uint16_t machine, struct mk_core_layout *lay)
{
	struct mkbuf so = { 0 }, pe = { 0 };
	mk_elf_so(&so, bid_a);
	memcpy(so_page, so.p, sizeof so_page);
	mk_pe(&pe, 0x12345678, true);
	memcpy(pe_page, pe.p, MK_PE_SIZE);
	mk_free(&so);
	mk_free(&pe);
	for (size_t i = 0; i < sizeof data_page; i++)
		data_page[i] = (uint8_t)(i * 13);
	struct mk_load loads[] = {
		{ 0x7f0000000000, so_page, sizeof so_page },
		{ 0x7f1000000000, pe_page, sizeof pe_page },
		{ 0x7ffd00000000, data_page, sizeof data_page },
	};
	struct mk_core c = {
		.machine = machine, .loads = loads, .nloads = 3,
		.files = good_files, .nfiles = 6,
		.threads = good_threads, .nthreads = 2,
		.pid = 4242, .fname = "fakeapp", .args = "fakeapp --serve",
		.auxv = good_auxv, .nauxv = 2,
	};
	mk_elf_core(b, &c, lay);
}

static void test_file_checks(void **state)
{
	(void)state;
	struct dump *d;
	struct ch_err err = { 0 };
	expect_fail("", 0, 0, CH_EFORMAT, "empty");
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	assert_int_equal(dump_open(dir, &d, &err), CH_EFORMAT);
	assert_non_null(strstr(err.msg, "directory"));
	assert_non_null(strstr(err.msg, dir));
	assert_int_equal(dump_open("/nonexistent/x.dmp", &d, &err), CH_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/x.dmp: No such file"));
	assert_int_equal(dump_open("/dev/null", &d, &err), CH_EFORMAT);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(dump_open("", &d, &err), CH_EARG);
	expect_fail("hello world, not a dump", 23, 0, CH_EFORMAT,
		    "not an ELF core or a minidump (magic 68 65 6c 6c \"hell\")");
	expect_fail("\x7f" "EL", 3, 0, CH_EFORMAT, "too short");
	expect_fail("\x7f" "ELF", 4, 0, CH_ECORRUPT, "truncated ELF header");
	dump_close(NULL);
}

static void test_header_checks(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_good(&b, 62, NULL);
	expect_fail(b.p, 40, 0, CH_ECORRUPT, "truncated ELF header (40 of 64 bytes)");
	uint8_t h[64];
	memcpy(h, b.p, 64);
	h[4] = 1;
	expect_fail(h, 64, 0, CH_EUNSUPPORTED, "32-bit ELF");
	h[4] = 7;
	expect_fail(h, 64, 0, CH_ECORRUPT, "bad ELF class 7");
	h[4] = 2;
	h[5] = 2;
	expect_fail(h, 64, 0, CH_EUNSUPPORTED, "big-endian");
	memcpy(h, b.p, 64);
	h[16] = 3; /* ET_DYN */
	expect_fail(h, 64, 0, CH_EFORMAT, "type 3 (shared object), not a core dump");
	memcpy(h, b.p, 64);
	h[18] = 40; /* EM_ARM */
	expect_fail(h, 64, 0, CH_EUNSUPPORTED, "machine 40");
	mk_free(&b);
}

static void test_phdr_checks(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_good(&b, 62, NULL);
	uint8_t *c = malloc(b.len);
	memcpy(c, b.p, b.len);
	mk_set16(&b, 0x38, 0xfffe); /* far more headers than the file holds */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "65534 program headers at offset 0x40 run past the end");
	memcpy(b.p, c, b.len);
	mk_set16(&b, 0x36, 32); /* e_phentsize */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "program header size 32");
	memcpy(b.p, c, b.len);
	mk_set16(&b, 0x38, 0);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "no program headers");
	memcpy(b.p, c, b.len);
	mk_set64(&b, 0x20, UINT64_MAX - 8); /* e_phoff */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "run past the end of the file");
	memcpy(b.p, c, b.len);
	mk_set16(&b, 0x38, 0xffff); /* PN_XNUM, section 0 outside the file */
	mk_set64(&b, 0x28, b.len);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "PN_XNUM");
	free(c);
	mk_free(&b);
}

/* PN_XNUM with the real count in section header 0 reads like the plain one. */
static void test_pn_xnum(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_good(&b, 62, NULL);
	uint16_t phnum;
	memcpy(&phnum, b.p + 0x38, 2);
	size_t sh = mk_reserve(&b, 64);
	mk_set32(&b, sh + 0x2c, phnum);
	mk_set64(&b, 0x28, sh);
	mk_set16(&b, 0x38, 0xffff);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	size_t n;
	dump_ranges(d, &n);
	assert_int_equal(n, 3);
	dump_close(d);
	mk_free(&b);
}

static void test_good_core(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_core_layout lay;
	make_good(&b, 62, &lay);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_format(d), DUMP_FMT_ELF);
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86_64);
	assert_int_equal(dump_os(d), DUMP_OS_LINUX);
	assert_int_equal(dump_ptr_size(d), 8);
	assert_string_equal(dump_format_str(dump_format(d)), "elf");
	assert_string_equal(dump_arch_str(dump_arch(d)), "x86_64");
	assert_string_equal(dump_os_str(dump_os(d)), "linux");
	size_t len;
	assert_non_null(dump_bytes(d, &len));
	assert_int_equal(len, b.len);

	size_t n;
	const struct dump_range *r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_true(r[0].va == 0x7f0000000000 && r[0].size == 4096 && r[0].file_off == lay.data_off);
	assert_true(r[1].va == 0x7f1000000000 && r[1].size == 4096);
	assert_true(r[2].va == 0x7ffd00000000 && r[2].size == 8192);
	assert_memory_equal(dump_bytes(d, &len) + r[2].file_off, data_page, 8192);

	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].tid, 4242);
	assert_true(t[0].sp == 0x7ffd00001000 && t[0].ip == 0x7f0000001234);
	assert_int_equal(t[1].tid, 4243);
	assert_true(t[1].sp == 0x7ffd00002000 && t[1].ip == 0x7f0000001238);
	assert_true(t[0].teb == 0);

	const struct dump_process *p = dump_process(d);
	assert_int_equal(p->pid, 4242);
	assert_string_equal(p->name, "fakeapp");
	assert_string_equal(p->args, "fakeapp --serve");
	uint64_t v;
	assert_true(dump_auxv(d, 6, &v) && v == 4096);
	assert_true(dump_auxv(d, 3, &v) && v == 0x555500000040);
	assert_false(dump_auxv(d, 7, &v));

	/* memfd and /dev mappings are not modules. */
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].path, "/opt/lib/libfake.so");
	assert_string_equal(m[0].name, "libfake.so");
	assert_true(m[0].base == 0x7f0000000000 && m[0].size == 0x4000);
	assert_int_equal(m[0].nsegs, 3);
	assert_true(m[0].segs[2].va == 0x7f0000003000 && m[0].segs[2].size == 0x1000 &&
		    m[0].segs[2].file_off == 0x2000);
	assert_int_equal(m[0].build_id_len, 20);
	assert_memory_equal(m[0].build_id, bid_a, 20);
	assert_int_equal(m[0].pe_timestamp, 0);
	assert_string_equal(m[1].name, "App.dll");
	assert_int_equal(m[1].build_id_len, 0);
	assert_int_equal(m[1].pe_timestamp, 0x12345678);
	assert_int_equal(m[1].pe_size, 0x4000);
	assert_true(m[1].pe_flat);
	size_t nw;
	dump_warnings(d, &nw);
	assert_int_equal(nw, 0);
	dump_close(d);
	mk_free(&b);
}

static void test_aarch64(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_good(&b, 183, NULL);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_arch(d), DUMP_ARCH_ARM64);
	size_t n;
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 2);
	assert_true(t[1].tid == 4243 && t[1].sp == 0x7ffd00002000 && t[1].ip == 0x7f0000001238);
	dump_close(d);
	mk_free(&b);
}

/* Ranges: past the end of the file, truncation, overlap, wrap, order. */
static void test_ranges(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_core_layout lay;
	make_good(&b, 62, &lay);
	size_t ph2 = lay.phoff + 56 * 3; /* the third load */
	uint8_t *c = malloc(b.len);
	memcpy(c, b.p, b.len);

	/* A load whose bytes run past the end: refused, or trimmed. */
	mk_set64(&b, ph2 + 32, 8192 + 100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "PT_LOAD at 0x7ffd00000000 (8292 bytes");
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	size_t n, nw;
	const struct dump_range *r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[2].size, 8192);
	const char *const *w = dump_warnings(d, &nw);
	assert_int_equal(nw, 1);
	assert_non_null(strstr(w[0], "truncated dump"));
	dump_close(d);

	/* A truncated copy: strict refuses, lenient keeps what is there. */
	memcpy(b.p, c, b.len);
	expect_fail(b.p, b.len - 5000, 0, CH_ECORRUPT, "truncated dump");
	assert_int_equal(open_bytes(b.p, b.len - 5000, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[2].size, 8192 - 5000);
	dump_close(d);
	assert_int_equal(open_bytes(b.p, lay.data_off + 100, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	r = dump_ranges(d, &n);
	assert_int_equal(n, 1); /* the others start past the end: dropped */
	assert_int_equal(r[0].size, 100);
	dump_close(d);

	/* Overlap: the third load moved into the second. */
	mk_set64(&b, ph2 + 16, 0x7f1000000800);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "overlaps the one at 0x7f1000000000-0x7f1000001000");
	assert_int_equal(open_bytes(b.p, b.len, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_true(r[2].va == 0x7f1000001000 && r[2].size == 8192 - 0x800);
	assert_true(r[2].file_off == lay.data_off + 8192 + 0x800);
	w = dump_warnings(d, &nw);
	assert_true(nw == 1 && strstr(w[0], "overlap"));
	dump_close(d);

	/* An exact duplicate is dropped with a warning, not refused. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, ph2 + 16, 0x7f1000000000);
	mk_set64(&b, ph2 + 32, 4096);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	dump_ranges(d, &n);
	assert_int_equal(n, 2);
	w = dump_warnings(d, &nw);
	assert_true(nw == 1 && strstr(w[0], "listed twice"));
	dump_close(d);

	/* A range that wraps the address space. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, ph2 + 16, UINT64_MAX - 100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "wraps the address space");

	/* Unsorted loads come out sorted; zero-size loads (gcore) vanish. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, ph2 + 16, 0x1000);
	mk_set64(&b, lay.phoff + 56 + 32, 0);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	r = dump_ranges(d, &n);
	assert_int_equal(n, 2);
	assert_true(r[0].va == 0x1000 && r[1].va == 0x7f1000000000);
	dump_close(d);
	free(c);
	mk_free(&b);
}

static void test_note_checks(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_core_layout lay;
	make_good(&b, 62, &lay);
	uint8_t *c = malloc(b.len);
	memcpy(c, b.p, b.len);

	mk_set32(&b, lay.note_off + 4, 0x7fffffff); /* first note's descsz */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "note at offset 0 of PT_NOTE (name 5, desc 2147483647 bytes) runs past its end");
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.note_off, 0xffffffff); /* namesz */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "runs past its end");
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.phoff + 32, b.len); /* PT_NOTE filesz */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "PT_NOTE");
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.phoff + 32, lay.note_len - 2); /* cuts the last note */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "runs past its end");

	/* NT_PRSTATUS too small for the registers: shrink it in place. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.prstatus_off - 12 - 8 + 4, 0x100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "NT_PRSTATUS note of 256 bytes is too small");
	/* NT_PRPSINFO (the first note) too small. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.note_off + 4, 100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "NT_PRPSINFO note of 100 bytes");

	/* NT_FILE: count overflow, page size, names, inverted mapping. */
	size_t nf = lay.nt_file_off;
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf, UINT64_MAX / 8);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "NT_FILE claims 2305843009213693951 mappings");
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf, 0x100000000ull);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "NT_FILE claims");
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf + 8, 0);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "page size 0");
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf + 8, 3000);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "page size 3000");
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf + 16 + 8, 0x10); /* first mapping ends before it starts */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "ends before it starts");
	memcpy(b.p, c, b.len);
	mk_set64(&b, nf + 16 + 16, UINT64_MAX / 16); /* page offset */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "page offset");
	/* Names: overwrite every NUL of the name block up to the note's end. */
	memcpy(b.p, c, b.len);
	size_t names = nf + 16 + 24 * 6, end = nf;
	while (end < lay.note_off + lay.note_len && memcmp(b.p + end, "/dev/zero", 10) != 0)
		end++;
	for (size_t i = names; i < end + 10; i++)
		if (!b.p[i])
			b.p[i] = 'x';
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "NT_FILE name");
	free(c);
	mk_free(&b);
}

/* A PE file mapped twice far apart (flat, then laid out) is two modules. */
static void test_module_images(void **state)
{
	(void)state;
	struct mkbuf pe = { 0 };
	mk_pe(&pe, 0x5eed, true);
	static uint8_t pg[4096];
	memcpy(pg, pe.p, MK_PE_SIZE);
	mk_free(&pe);
	struct mk_load loads[] = {
		{ 0x7e0000000000, pg, 4096 },
		{ 0x7f0000000000, pg, 4096 },
	};
	struct mk_file files[] = {
		{ 0x7e0000000000, 0x7e0000001000, 0, "/a/Lib.dll" },
		{ 0x7f0000000000, 0x7f0000001000, 0, "/a/Lib.dll" },
		{ 0x7f0000001000, 0x7f0000002000, 0, "/a/Lib.dll" },
		{ 0x7f0000003000, 0x7f0000004000, 0x1000, "/a/Lib.dll" },
		{ 0x7f0000004000, 0x7f0000005000, 0x1000, "/a/Lib.dll" }, /* past SizeOfImage */
	};
	struct mk_core c = { .loads = loads, .nloads = 2, .files = files, .nfiles = 5 };
	struct mkbuf b = { 0 };
	mk_elf_core(&b, &c, NULL);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 3);
	assert_true(m[0].base == 0x7e0000000000 && m[0].nsegs == 1 && m[0].pe_flat);
	assert_true(m[1].base == 0x7f0000000000 && m[1].nsegs == 3 && !m[1].pe_flat);
	assert_int_equal(m[1].size, 0x4000);
	assert_int_equal(m[1].pe_size, 0x4000);
	/* No header at the third place: a module of its own, identity unknown. */
	assert_true(m[2].base == 0x7f0000004000 && m[2].pe_size == 0);
	assert_string_equal(m[2].path, "/a/Lib.dll");
	dump_close(d);
	mk_free(&b);
}

/* ---- the real createdump dumps ---- */

static const struct dump_module *find_module(struct dump *d, const char *name)
{
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

/* Bytes of [va, va+n) present in the dump's ranges. */
static uint64_t present(struct dump *d, uint64_t va, uint64_t n)
{
	size_t k;
	const struct dump_range *r = dump_ranges(d, &k);
	uint64_t got = 0;
	for (size_t i = 0; i < k; i++) {
		uint64_t lo = r[i].va > va ? r[i].va : va;
		uint64_t hi = r[i].va + r[i].size < va + n ? r[i].va + r[i].size : va + n;
		if (hi > lo)
			got += hi - lo;
	}
	return got;
}

static struct dump *open_fixture(const char *name)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	struct dump *d;
	struct ch_err err = { 0 };
	if (dump_open(path, &d, &err) != CH_OK)
		fail_msg("%s", err.msg);
	return d;
}

/* What holds for every createdump core. */
static void check_createdump_core(struct dump *d)
{
	assert_int_equal(dump_format(d), DUMP_FMT_ELF);
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86_64);
	size_t n, len;
	const struct dump_range *r = dump_ranges(d, &n);
	dump_bytes(d, &len);
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].size > 0 && r[i].file_off + r[i].size <= len);
		if (i)
			assert_true(r[i - 1].va + r[i - 1].size <= r[i].va);
	}
	const struct dump_thread *t = dump_threads(d, &n);
	assert_true(n >= 2);
	assert_int_equal(t[0].tid, dump_process(d)->pid);
	for (size_t i = 0; i < n; i++) /* every stack is dumped */
		assert_int_equal(present(d, t[i].sp, 8), 8);
	uint64_t pg;
	assert_true(dump_auxv(d, 6, &pg) && pg == 4096);
	const struct dump_module *rt = find_module(d, "libcoreclr.so");
	assert_non_null(rt);
	assert_int_equal(rt->build_id_len, 20);
	assert_true(rt->nsegs >= 4);
	/* Its ELF header page is always in the dump. */
	assert_int_equal(present(d, rt->base, 4096), 4096);
	const struct dump_module *cl = find_module(d, "System.Private.CoreLib.dll");
	assert_non_null(cl);
	assert_true(cl->pe_timestamp != 0 && cl->pe_size != 0);
	size_t nw;
	dump_warnings(d, &nw);
	assert_int_equal(nw, 0);
}

static void test_real_heap_dump(void **state)
{
	(void)state;
	struct dump *d = open_fixture("visits.heap.dmp");
	check_createdump_core(d);
	assert_non_null(find_module(d, "visits.dll"));
	/* A heap dump lacks most of libcoreclr's pages. */
	const struct dump_module *rt = find_module(d, "libcoreclr.so");
	assert_true(present(d, rt->base, rt->size) < rt->size / 2);
	dump_close(d);
}

static void test_real_full_dump(void **state)
{
	(void)state;
	struct dump *d = open_fixture("zoo.full.dmp");
	check_createdump_core(d);
	/* A full dump holds every page of libcoreclr. */
	const struct dump_module *rt = find_module(d, "libcoreclr.so");
	for (size_t i = 0; i < rt->nsegs; i++)
		assert_int_equal(present(d, rt->segs[i].va, rt->segs[i].size), rt->segs[i].size);
	dump_close(d);
}

/* dump_open_buffer reads the same dump from bytes the caller holds, and
 * leaves them alone; an empty buffer is refused like an empty file. */
static void test_open_buffer(void **state)
{
	(void)state;
	struct dump *f = open_fixture("visits.heap.dmp");
	size_t len, nf, nb;
	const uint8_t *bytes = dump_bytes(f, &len);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, bytes, len);
	struct dump *b;
	struct ch_err err = { 0 };
	assert_int_equal(dump_open_buffer(copy, len, "copy", 0, &b, &err), CH_OK);
	assert_string_equal(dump_path(b), "copy");
	const struct dump_range *rf = dump_ranges(f, &nf), *rb = dump_ranges(b, &nb);
	assert_int_equal(nf, nb);
	assert_memory_equal(rf, rb, nf * sizeof *rf);
	dump_modules(f, &nf);
	dump_modules(b, &nb);
	assert_int_equal(nf, nb);
	dump_close(b);
	assert_memory_equal(copy, bytes, 4096); /* still ours, untouched */
	free(copy);
	dump_close(f);
	assert_int_equal(dump_open_buffer("", 0, "nothing", 0, &b, &err), CH_EFORMAT);
	assert_null(b);
	assert_non_null(strstr(err.msg, "nothing: empty"));
	assert_int_equal(dump_open_buffer("\x7f" "ELF", 4, NULL, 0, &b, &err), CH_ECORRUPT);
	assert_non_null(strstr(err.msg, "buffer"));
}

/* A FIFO or a device given as DUMP is refused at once, never waited on
 * or read. */
static void test_open_not_a_file(void **state)
{
	(void)state;
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char fifo[4200];
	snprintf(fifo, sizeof fifo, "%s/clrheap-fifo-%d", dir, (int)getpid());
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *paths[] = { fifo, "/dev/zero" };
	for (size_t i = 0; i < 2; i++) {
		struct dump *d;
		struct ch_err err = { 0 };
		alarm(20);
		assert_int_equal(dump_open(paths[i], &d, &err), CH_EFORMAT);
		alarm(0);
		assert_non_null(strstr(err.msg, "not a regular file"));
		assert_non_null(strstr(err.msg, paths[i]));
	}
	unlink(fifo);
}

/* The text of /proc/self/maps (free it). */
static char *maps_text(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0, k;
	char *t = malloc(cap);
	while (t && (k = fread(t + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (cap - len < 4096 && !(t = realloc(t, cap *= 2)))
			break;
	}
	fclose(f);
	assert_non_null(t);
	t[len] = '\0';
	return t;
}

/* The dump is mapped read-only and private, and no descriptor of it stays
 * open; module files read for it are mapped read-only and private: nothing
 * this program does can write to them. */
static void test_read_only(void **state)
{
	(void)state;
	char path[4096], real[4096], line[8192], fdp[64], tgt[4096];
	fixture_path(path, sizeof path, "visits.heap.dmp");
	assert_non_null(realpath(path, real));
	struct dump *d = open_fixture("visits.heap.dmp");
	FILE *m = fopen("/proc/self/maps", "r");
	assert_non_null(m);
	int found = 0;
	while (fgets(line, sizeof line, m)) {
		line[strcspn(line, "\n")] = '\0';
		const char *p = strchr(line, '/');
		if (!p || strcmp(p, real) != 0)
			continue;
		char perms[8];
		assert_int_equal(sscanf(line, "%*s %7s", perms), 1);
		assert_string_equal(perms, "r--p");
		found++;
	}
	fclose(m);
	assert_int_equal(found, 1);
	for (int fd = 0; fd < 1024; fd++) {
		snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
		ssize_t k = readlink(fdp, tgt, sizeof tgt - 1);
		if (k <= 0)
			continue;
		tgt[k] = '\0';
		assert_string_not_equal(tgt, real);
	}
	/* Module files read through the address space are mapped read-only
	 * and private too: every file mapping made meanwhile. */
	char *before = maps_text();
	struct as *a;
	struct ch_err err = { 0 };
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	size_t n;
	const struct dump_module *mod = dump_modules(d, &n);
	uint8_t buf[4096];
	size_t files = 0;
	for (size_t i = 0; i < n; i++)
		for (uint64_t off = 0; off < mod[i].size && off < (1u << 20); off += 64 << 10)
			as_read_image(a, mod[i].base + off, buf, sizeof buf);
	char *after = maps_text();
	for (char *ln = strtok(after, "\n"); ln; ln = strtok(NULL, "\n")) {
		char perms[8];
		if (!strchr(ln, '/') || strstr(before, ln) ||
		    sscanf(ln, "%*s %7s", perms) != 1)
			continue;
		files++;
		if (perms[1] == 'w' || perms[3] != 'p')
			fail_msg("a file mapped writable or shared: %s", ln);
	}
	assert_true(files > 0); /* libcoreclr.so at least: the heap dump lacks it */
	free(before);
	free(after);
	as_close(a);
	dump_close(d);
}

/* Every committed fixture dump (all runtimes, heap and full). */
/* Every Linux fixture (createdump's ELF cores). */
static void test_all_fixtures(void **state)
{
	(void)state;
	char pat[4096];
	fixture_path(pat, sizeof pat, "*.dmp");
	glob_t g;
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 2);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct dump *d;
		struct ch_err err = { 0 };
		if (dump_open(g.gl_pathv[i], &d, &err) != CH_OK)
			fail_msg("%s", err.msg);
		if (dump_format(d) == DUMP_FMT_MDMP) { /* Windows fixtures: test_dump_mdmp */
			dump_close(d);
			continue;
		}
		check_createdump_core(d);
		const struct dump_module *rt = find_module(d, "libcoreclr.so");
		uint64_t have = present(d, rt->base, rt->size);
		if (strstr(g.gl_pathv[i], ".full."))
			assert_true(have == rt->size);
		else if (strstr(g.gl_pathv[i], ".heap."))
			assert_true(have < rt->size / 2);
		dump_close(d);
	}
	globfree(&g);
}

/* gdb's gcore on a child process: another writer of ELF cores. Not a
 * committed fixture: skipped where gdb is not installed. */
static void test_gcore(void **state)
{
	(void)state;
	if (access("/usr/bin/gcore", X_OK) != 0)
		skip();
	/* The child becomes /bin/sleep (a plain process, even when this test
	 * runs under a sanitizer); the pipe closes at the exec. */
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 0);
	close(pfd[0]);
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char prefix[4096], cmd[8400], core[4200];
	snprintf(prefix, sizeof prefix, "%s/clrheap-gcore-%d", dir, (int)getpid());
	snprintf(cmd, sizeof cmd, "gcore -o '%s' %d >/dev/null 2>&1", prefix, (int)pid);
	int rc = system(cmd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(core, sizeof core, "%s.%d", prefix, (int)pid);
	if (rc != 0) {
		unlink(core);
		fail_msg("gcore failed (%d); ptrace not allowed here?", rc);
	}
	struct dump *d;
	struct ch_err err = { 0 };
	enum ch_status st = dump_open(core, &d, &err);
	unlink(core);
	if (st != CH_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(dump_process(d)->pid, pid);
	size_t n;
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].tid, pid);
	assert_int_equal(present(d, t[0].sp, 8), 8);
	const struct dump_module *m = dump_modules(d, &n);
	bool libc = false;
	for (size_t i = 0; i < n; i++)
		if (strncmp(m[i].name, "libc.so", 7) == 0 || strncmp(m[i].name, "libc-", 5) == 0)
			libc = m[i].build_id_len == 20;
	assert_true(libc);
	dump_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_checks),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_phdr_checks),
		cmocka_unit_test(test_pn_xnum),
		cmocka_unit_test(test_good_core),
		cmocka_unit_test(test_aarch64),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_note_checks),
		cmocka_unit_test(test_module_images),
		cmocka_unit_test(test_real_heap_dump),
		cmocka_unit_test(test_real_full_dump),
		cmocka_unit_test(test_open_buffer),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_open_not_a_file),
		cmocka_unit_test(test_all_fixtures),
		cmocka_unit_test(test_gcore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
