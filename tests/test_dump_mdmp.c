/* test_dump_mdmp.c - the minidump reader: real minidumps written by
 * Windows' dbghelp via Breakpad, by Breakpad on Linux and by Crashpad on
 * macOS (../shared/external/minidumps; the expected values are those of
 * rust-minidump's own tests where it has them, else read with an
 * independent script), minidumps this test builds from a real createdump
 * core (same ranges, bytes, modules, threads), and every corruption check
 * on hand-made bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <stdbool.h>
#include <string.h>

#include "as.h"
#include "dump.h"
#include "fixture.h"
#include "mkdump.h"

/* The shared folder of real minidumps next to the project ($MINIDUMP_DIR
 * overrides). They are not the project's to commit: where the folder is
 * absent, the tests that read them are skipped, saying so. */
static void external_path(char *out, size_t n, const char *name)
{
	const char *dir = getenv("MINIDUMP_DIR");
	snprintf(out, n, "%s/%s", dir && *dir ? dir : "../shared/external/minidumps", name);
	if (access(out, R_OK) != 0) {
		print_message("%s is not here: test skipped\n", out);
		skip();
	}
}

static struct dump *open_external(const char *name)
{
	char path[4096];
	external_path(path, sizeof path, name);
	struct dump *d;
	struct ch_err err = { 0 };
	if (dump_open(path, &d, &err) != CH_OK)
		fail_msg("%s", err.msg);
	return d;
}

static enum ch_status open_bytes(const void *p, size_t n, unsigned flags,
				 struct dump **d, struct ch_err *err, char **path)
{
	char *tmp = mk_tmpfile(p, n, ".dmp");
	enum ch_status st = dump_open_flags(tmp, flags, d, err);
	unlink(tmp);
	if (path)
		*path = tmp;
	else
		free(tmp);
	return st;
}

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
	free(path);
}

/* ---- real minidumps ---- */

static void test_breakpad_windows_x86(void **state)
{
	(void)state;
	struct dump *d = open_external("breakpad-minidump2.dmp");
	assert_int_equal(dump_format(d), DUMP_FMT_MDMP);
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86);
	assert_int_equal(dump_os(d), DUMP_OS_WINDOWS);
	assert_int_equal(dump_ptr_size(d), 4);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 13);
	static const char *const by_addr[13] = {
		"c:\\test_app.exe", "C:\\WINDOWS\\system32\\dbghelp.dll",
		"C:\\WINDOWS\\system32\\imm32.dll", "C:\\WINDOWS\\system32\\psapi.dll",
		"C:\\WINDOWS\\system32\\ole32.dll", "C:\\WINDOWS\\system32\\version.dll",
		"C:\\WINDOWS\\system32\\msvcrt.dll", "C:\\WINDOWS\\system32\\user32.dll",
		"C:\\WINDOWS\\system32\\advapi32.dll", "C:\\WINDOWS\\system32\\rpcrt4.dll",
		"C:\\WINDOWS\\system32\\gdi32.dll", "C:\\WINDOWS\\system32\\kernel32.dll",
		"C:\\WINDOWS\\system32\\ntdll.dll",
	};
	for (size_t i = 0; i < 13; i++)
		assert_string_equal(m[i].path, by_addr[i]);
	assert_string_equal(m[0].name, "test_app.exe");
	assert_true(m[0].base == 0x400000 && m[0].size == 0x2d000);
	assert_int_equal(m[0].pe_timestamp, 0x45d35f6c);
	assert_int_equal(m[0].pe_size, 0x2d000);
	assert_true(m[0].version == 0); /* no VS_FIXEDFILEINFO */
	/* Debug id 5A9832E5-2872-41C1-838E-D98914E9B7FF, age 1 */
	static const uint8_t id0[20] = { 0xe5, 0x32, 0x98, 0x5a, 0x72, 0x28, 0xc1, 0x41, 0x83, 0x8e,
					 0xd9, 0x89, 0x14, 0xe9, 0xb7, 0xff, 1, 0, 0, 0 };
	assert_int_equal(m[0].build_id_len, 20);
	assert_memory_equal(m[0].build_id, id0, 20);
	const struct dump_module *ps = &m[3];
	assert_string_equal(ps->name, "psapi.dll");
	assert_true(ps->base == 0x76bf0000 && ps->size == 0xb000);
	assert_int_equal(ps->pe_timestamp, 0x411096ca);
	/* 5.1.2600.2180 */
	assert_true(ps->version == ((uint64_t)5 << 48 | (uint64_t)1 << 32 | 2600u << 16 | 2180u));
	/* Debug id A5C3A1F9-689F-43D8-AD22-8A0929388970, age 2 */
	static const uint8_t id12[20] = { 0xf9, 0xa1, 0xc3, 0xa5, 0x9f, 0x68, 0xd8, 0x43, 0xad, 0x22,
					  0x8a, 0x09, 0x29, 0x38, 0x89, 0x70, 2, 0, 0, 0 };
	assert_memory_equal(ps->build_id, id12, 20);

	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].tid, 0xbf4);
	assert_int_equal(t[1].tid, 0x11c0);
	assert_true(t[0].ip == 0x7c90eb94 && t[0].sp == 0x12f320);
	assert_true(t[0].teb == 0x7ffdf000 && t[1].teb == 0x7ffde000);
	assert_int_equal(dump_process(d)->pid, 3932);
	assert_int_equal(dump_process(d)->create_time, 1171480435);

	/* The first thread's stack, through the address space. */
	struct as *a;
	struct ch_err err = { 0 };
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	uint64_t v;
	assert_true(as_u64(a, 0x12f31c, &v) && v == 0x7c90e9c000000000ull);
	assert_true(as_u64(a, 0x12fff8, &v) && v == 0x405443);
	uint32_t w;
	assert_true(as_u32(a, 0x12fffc, &w) && w == 0);
	assert_true(as_ptrv(a, 0x12fff8, &v) && v == 0x405443); /* 4-byte pointers */
	assert_false(as_u64(a, 0x12fffc, &v)); /* runs off the end of the stack */
	as_close(a);
	dump_close(d);
}

static void test_breakpad_linux(void **state)
{
	(void)state;
	struct dump *d = open_external("rust-minidump-linux-mini.dmp");
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86_64);
	assert_int_equal(dump_os(d), DUMP_OS_LINUX);
	assert_int_equal(dump_ptr_size(d), 8);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 8);
	assert_string_equal(m[0].path, "/work/linux/build/crash");
	assert_string_equal(m[0].name, "crash");
	assert_true(m[0].base == 0x400000 && m[0].size == 0x1a000);
	static const uint8_t bid[20] = { 0xf1, 0xc3, 0xbc, 0xc0, 0x27, 0x98, 0x65, 0xfe, 0x30, 0x58,
					 0x40, 0x4b, 0x28, 0x31, 0xd9, 0xe6, 0x41, 0x35, 0x38, 0x6c };
	assert_int_equal(m[0].build_id_len, 20); /* Breakpad's BpEL record */
	assert_memory_equal(m[0].build_id, bid, 20);
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].tid, 1304);
	assert_true(t[0].sp == 0x7fff5ae4aa20 && t[0].ip == 0x401d72);
	const struct dump_range *r = dump_ranges(d, &n);
	assert_int_equal(n, 2);
	assert_true(r[0].va == 0x401cf2 && r[0].size == 256);
	assert_true(r[1].va == 0x7fff5ae4a000 && r[1].size == 12288);
	dump_close(d);
}

static void test_crashpad_macos(void **state)
{
	(void)state;
	struct dump *d = open_external("rust-minidump-simple-crashpad.dmp");
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86_64);
	assert_int_equal(dump_os(d), DUMP_OS_MACOS);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 40);
	assert_string_equal(m[0].path, "/Users/ted/src/crashy");
	assert_true(m[0].base == 0x10dfe8000 && m[0].size == 0x4000);
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 1);
	assert_true(t[0].tid == 927532 && t[0].teb == 0x111324ea0);
	assert_true(t[0].sp == 0x7ffee1c16bf8 && t[0].ip == 0x7fff6f41333a);
	assert_int_equal(dump_process(d)->pid, 56685);
	dump_close(d);
}

/* rust-minidump's deliberately broken files: their directories point
 * outside the file. */
static void test_broken_external(void **state)
{
	(void)state;
	char path[4096];
	struct dump *d;
	struct ch_err err = { 0 };
	external_path(path, sizeof path, "rust-minidump-invalid-range.dmp");
	assert_int_equal(dump_open(path, &d, &err), CH_ECORRUPT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "runs past the end of the file (276 bytes)"));
	external_path(path, sizeof path, "rust-minidump-invalid-record-count.dmp");
	assert_int_equal(dump_open(path, &d, &err), CH_ECORRUPT);
	assert_non_null(strstr(err.msg, "runs past the end of the file (235 bytes)"));
	/* Lenient reading skips those streams and keeps nothing else. */
	assert_int_equal(dump_open_flags(path, DUMP_OPEN_LENIENT, &d, &err), CH_OK);
	size_t n;
	dump_warnings(d, &n);
	assert_true(n > 0);
	dump_close(d);
}

/* ---- minidumps built from a real core ---- */

static void test_from_real_core(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof path, "visits.heap.dmp");
	struct dump *e;
	struct ch_err err = { 0 };
	if (dump_open(path, &e, &err) != CH_OK)
		fail_msg("%s", err.msg);
	size_t nr, nm, nt, len;
	const struct dump_range *r = dump_ranges(e, &nr);
	const struct dump_module *m = dump_modules(e, &nm);
	const struct dump_thread *t = dump_threads(e, &nt);
	const uint8_t *bytes = dump_bytes(e, &len);

	/* Small ranges go to the MemoryList, the rest to the Memory64List. */
	struct mk_mmem *mem = calloc(nr, sizeof *mem), *mem64 = calloc(nr, sizeof *mem64);
	size_t nmem = 0, nmem64 = 0;
	for (size_t i = 0; i < nr; i++) {
		struct mk_mmem x = { r[i].va, bytes + r[i].file_off, r[i].size };
		if (r[i].size <= 8192 && nmem < 16)
			mem[nmem++] = x;
		else
			mem64[nmem64++] = x;
	}
	struct mk_mmod *mods = calloc(nm, sizeof *mods);
	for (size_t i = 0; i < nm; i++) {
		mods[i] = (struct mk_mmod){ .base = m[i].base, .size = (uint32_t)m[i].size,
					   .stamp = m[i].pe_timestamp, .name = m[i].path };
		if (m[i].build_id_len) {
			mods[i].bpel = m[i].build_id;
			mods[i].bpel_len = m[i].build_id_len;
		}
	}
	struct mk_mthread *th = calloc(nt, sizeof *th);
	for (size_t i = 0; i < nt; i++)
		th[i] = (struct mk_mthread){ t[i].tid, 0, t[i].sp, t[i].ip };
	struct mk_mdmp md = { .arch = 9, .platform = 0x8201, .mods = mods, .nmods = nm,
			      .threads = th, .nthreads = nt, .mem = mem, .nmem = nmem,
			      .mem64 = mem64, .nmem64 = nmem64, .pid = dump_process(e)->pid };
	struct mkbuf b = { 0 };
	mk_minidump(&b, &md, NULL);
	free(mem);
	free(mem64);
	free(mods);
	free(th);

	struct dump *d;
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	mk_free(&b);
	assert_int_equal(dump_os(d), DUMP_OS_LINUX);
	assert_int_equal(dump_process(d)->pid, dump_process(e)->pid);
	size_t n, dlen;
	const struct dump_range *dr = dump_ranges(d, &n);
	const uint8_t *dbytes = dump_bytes(d, &dlen);
	assert_int_equal(n, nr);
	for (size_t i = 0; i < nr; i++) {
		assert_true(dr[i].va == r[i].va && dr[i].size == r[i].size);
		assert_memory_equal(dbytes + dr[i].file_off, bytes + r[i].file_off, r[i].size);
	}
	const struct dump_module *dm = dump_modules(d, &n);
	assert_int_equal(n, nm);
	for (size_t i = 0; i < nm; i++) {
		assert_string_equal(dm[i].path, m[i].path);
		assert_string_equal(dm[i].name, m[i].name);
		assert_true(dm[i].base == m[i].base && dm[i].size == m[i].size);
		assert_int_equal(dm[i].build_id_len, m[i].build_id_len);
		assert_memory_equal(dm[i].build_id, m[i].build_id, m[i].build_id_len);
		assert_int_equal(dm[i].pe_timestamp, m[i].pe_timestamp);
	}
	const struct dump_thread *dt = dump_threads(d, &n);
	assert_int_equal(n, nt);
	for (size_t i = 0; i < nt; i++)
		assert_true(dt[i].tid == t[i].tid && dt[i].sp == t[i].sp && dt[i].ip == t[i].ip);

	/* The same bytes through both address spaces, at every range's ends. */
	struct as *ae, *ad;
	assert_int_equal(as_open(e, &ae, &err), CH_OK);
	assert_int_equal(as_open(d, &ad, &err), CH_OK);
	for (size_t i = 0; i < nr; i++) {
		uint8_t x[32], y[32];
		uint64_t at[2] = { r[i].va, r[i].va + r[i].size - 32 };
		for (int k = 0; k < 2; k++) {
			assert_int_equal(as_read(ae, at[k], x, sizeof x), 32);
			assert_int_equal(as_read(ad, at[k], y, sizeof y), 32);
			assert_memory_equal(x, y, 32);
		}
	}
	/* Pages of ELF modules the dump lacks come from their files alike,
	 * whether placed by NT_FILE (ELF core) or by the file's own program
	 * headers from the module base (minidump). Where the files are not on
	 * this machine, neither space has the bytes. */
	for (size_t i = 0; i < nm; i++) {
		if (!m[i].build_id_len)
			continue;
		for (size_t s = 0; s < m[i].nsegs; s++) {
			uint8_t x[64], y[64];
			uint64_t va = m[i].segs[s].va + (m[i].segs[s].size > 4096 ? 4096 : 0);
			size_t gx = as_read(ae, va, x, sizeof x);
			size_t gy = as_read(ad, va, y, sizeof y);
			if (gx != gy)
				fail_msg("%s at 0x%llx: %zu vs %zu: %s", m[i].name,
					 (unsigned long long)va, gx, gy, as_missing_reason(ad, va));
			assert_memory_equal(x, y, gx);
		}
	}
	as_close(ae);
	as_close(ad);
	dump_close(d);
	dump_close(e);
}

/* ---- hand-made edge cases and corruption ---- */

static uint8_t mem_a[4096], mem_b[512];
static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void make_small(struct mkbuf *b, uint16_t arch, struct mk_mdmp_layout *lay)
{
	for (size_t i = 0; i < sizeof mem_a; i++)
		mem_a[i] = (uint8_t)(i ^ 0x5a);
	memset(mem_b, 0xcd, sizeof mem_b);
	static const struct mk_mmod mods[] = {
		{ .base = 0x140000000, .size = 0x4000, .stamp = 0x5eed, .checksum = 0x77,
		  .name = "C:\\app\\App.exe", .guid = guid, .age = 3, .ver_ms = 0x00010002,
		  .ver_ls = 0x00030004 },
		{ .base = 0x7ff800000000, .size = 0x10000, .stamp = 0x1234,
		  .name = "C:\\Windows\\Syst\xc3\xa9m\\\xf0\x9f\x98\x80.dll" },
	};
	static const struct mk_mthread th[] = {
		{ 100, 0x1000, 0x7ff700001000, 0x140001000 },
		{ 101, 0x2000, 0x7ff700002000, 0x140001010 },
	};
	static const struct mk_mmem mem[] = { { 0x7ff700000000, mem_a, sizeof mem_a } };
	static const struct mk_mmem mem64[] = { { 0x10000, mem_b, sizeof mem_b },
						{ 0x20000, mem_a, sizeof mem_a } };
	struct mk_mdmp md = { .arch = arch, .platform = 2, .mods = mods, .nmods = 2,
			      .threads = th, .nthreads = 2, .mem = mem, .nmem = 1,
			      .mem64 = mem64, .nmem64 = 2, .pid = 777, .create_time = 1700000000 };
	mk_minidump(b, &md, lay);
}

static void test_small(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	make_small(&b, 9, NULL);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_arch(d), DUMP_ARCH_X86_64);
	assert_int_equal(dump_os(d), DUMP_OS_WINDOWS);
	assert_string_equal(dump_format_str(dump_format(d)), "minidump");
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].name, "App.exe");
	assert_int_equal(m[0].pe_checksum, 0x77);
	assert_true(m[0].version == 0x0001000200030004ull);
	assert_int_equal(m[0].build_id_len, 20);
	assert_memory_equal(m[0].build_id, guid, 16);
	assert_int_equal(m[0].build_id[16], 3);
	assert_int_equal(m[0].nsegs, 1);
	assert_true(m[0].segs[0].va == 0x140000000 && m[0].segs[0].size == 0x4000 &&
		    m[0].segs[0].file_off == 0);
	assert_string_equal(m[1].path, "C:\\Windows\\Syst\xc3\xa9m\\\xf0\x9f\x98\x80.dll");
	assert_string_equal(m[1].name, "\xf0\x9f\x98\x80.dll");
	assert_int_equal(m[1].build_id_len, 0);
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 2);
	assert_true(t[1].tid == 101 && t[1].teb == 0x2000 && t[1].sp == 0x7ff700002000 &&
		    t[1].ip == 0x140001010);
	const struct dump_range *r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_true(r[0].va == 0x10000 && r[0].size == 512);
	assert_true(r[1].va == 0x20000 && r[1].size == 4096);
	assert_true(r[2].va == 0x7ff700000000 && r[2].size == 4096);
	size_t len;
	const uint8_t *bytes = dump_bytes(d, &len);
	assert_memory_equal(bytes + r[0].file_off, mem_b, 512);
	assert_memory_equal(bytes + r[1].file_off, mem_a, 4096);
	assert_memory_equal(bytes + r[2].file_off, mem_a, 4096);
	assert_int_equal(dump_process(d)->create_time, 1700000000);
	uint64_t v;
	assert_false(dump_auxv(d, 6, &v));
	dump_close(d);
	mk_free(&b);
}

static void test_arches(void **state)
{
	(void)state;
	static const struct { uint16_t arch; enum dump_arch want; unsigned ps; } cases[] = {
		{ 0, DUMP_ARCH_X86, 4 }, { 12, DUMP_ARCH_ARM64, 8 },
	};
	for (size_t i = 0; i < 2; i++) {
		struct mkbuf b = { 0 };
		make_small(&b, cases[i].arch, NULL);
		struct dump *d;
		struct ch_err err = { 0 };
		assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
		assert_int_equal(dump_arch(d), cases[i].want);
		assert_int_equal(dump_ptr_size(d), cases[i].ps);
		size_t n;
		const struct dump_thread *t = dump_threads(d, &n);
		uint64_t sp = cases[i].ps == 4 ? 0x00001000 : 0x7ff700001000;
		uint64_t ip = cases[i].ps == 4 ? 0x40001000 : 0x140001000;
		assert_true(t[0].sp == sp && t[0].ip == ip);
		dump_close(d);
		mk_free(&b);
	}
}

static void test_names(void **state)
{
	(void)state;
	/* An unpaired high surrogate, a lone low one, and a NUL that ends it. */
	static const uint16_t bad[] = { 'a', 0xd800, 'b', 0xdc00, 'c', 0, 'z' };
	struct mk_mmod mod = { .base = 0x1000, .size = 0x1000, .name16 = bad, .name16_len = 7 };
	struct mk_mdmp md = { .arch = 9, .platform = 2, .mods = &mod, .nmods = 1 };
	struct mkbuf b = { 0 };
	mk_minidump(&b, &md, NULL);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_string_equal(m[0].path, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	dump_close(d);
	mk_free(&b);
}

static void test_header_checks(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_mdmp_layout lay;
	make_small(&b, 9, &lay);
	expect_fail("MDMP", 4, 0, CH_ECORRUPT, "truncated minidump header (4 of 32 bytes)");
	expect_fail(b.p, 31, 0, CH_ECORRUPT, "truncated minidump header");
	uint8_t *c = malloc(b.len);
	memcpy(c, b.p, b.len);
	mk_set32(&b, 4, 0x1234);
	expect_fail(b.p, b.len, 0, CH_EFORMAT, "minidump version 0x1234");
	memcpy(b.p, c, b.len);
	mk_set32(&b, 8, 100000);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "100000 streams");
	memcpy(b.p, c, b.len);
	mk_set32(&b, 8, 4000);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "minidump directory (4000 entries at RVA 0x20) runs past the end");
	memcpy(b.p, c, b.len);
	mk_set32(&b, 12, 0xfffffff0);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "minidump directory");
	/* A stream outside the file: refused, or skipped when lenient. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.dir + 8, (uint32_t)b.len - 10); /* SystemInfo's RVA */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "stream 0 (type 0x7, 56 bytes at RVA");
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_arch(d), DUMP_ARCH_UNKNOWN);
	size_t nw;
	const char *const *w = dump_warnings(d, &nw);
	assert_int_equal(nw, 2);
	assert_non_null(strstr(w[0], "stream 0 (type 0x7) runs past the end of the file; skipped"));
	assert_non_null(strstr(w[1], "no SystemInfo"));
	dump_close(d);
	/* Unused entries (type 0) are ignored wherever they point. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.dir + 12, 0);
	mk_set32(&b, lay.dir + 12 + 8, 0xffffffff);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_process(d)->pid, 0);
	dump_close(d);
	/* A second stream of a type is ignored with a warning. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.dir + 12, 7); /* MiscInfo's entry now says SystemInfo */
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	w = dump_warnings(d, &nw);
	assert_true(nw == 1 && strstr(w[0], "a second SystemInfo stream"));
	dump_close(d);
	free(c);
	mk_free(&b);
}

/* Entry of stream type in the directory. */
static size_t dir_entry(const struct mkbuf *b, const struct mk_mdmp_layout *lay, uint32_t type)
{
	for (size_t i = 0; i < lay->nstreams; i++) {
		uint32_t t;
		memcpy(&t, b->p + lay->dir + 12 * i, 4);
		if (t == type)
			return lay->dir + 12 * i;
	}
	fail_msg("no stream of type %u", type);
	return 0;
}

static void test_list_checks(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_mdmp_layout lay;
	make_small(&b, 9, &lay);
	uint8_t *c = malloc(b.len);
	memcpy(c, b.p, b.len);

	mk_set32(&b, lay.modlist, 0x02000000);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "ModuleList claims 33554432 entries but its stream of 220 bytes holds 2");
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.modlist, 3);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "ModuleList claims 3 entries");
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.threadlist, 0xffffffff);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "ThreadList claims 4294967295 entries");
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.memlist, 2);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "MemoryList claims 2 entries");
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.mem64list, 1ull << 60);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "Memory64List claims 1152921504606846976 ranges");
	memcpy(b.p, c, b.len);
	mk_set32(&b, dir_entry(&b, &lay, 4) + 4, 2); /* ModuleList of 2 bytes */
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "ModuleList stream of 2 bytes is too small");
	memcpy(b.p, c, b.len);
	mk_set32(&b, dir_entry(&b, &lay, 9) + 4, 8);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "Memory64List stream of 8 bytes is too small");
	memcpy(b.p, c, b.len);
	mk_set32(&b, dir_entry(&b, &lay, 7) + 4, 16);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "SystemInfo stream of 16 bytes is too small");

	/* Module names: RVA outside, length past the end, length huge. */
	uint32_t name_rva;
	memcpy(&name_rva, c + lay.modlist + 4 + 20, 4);
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.modlist + 4 + 20, (uint32_t)b.len - 2);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "module 0's name at RVA");
	memcpy(b.p, c, b.len);
	mk_set32(&b, name_rva, (uint32_t)b.len);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "module 0's name (");
	memcpy(b.p, c, b.len);
	mk_set32(&b, name_rva, 0xfffffffe);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "runs past the end of the file");
	/* A module wrapping the address space. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.modlist + 4 + 108, UINT64_MAX - 10);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "module 1 at 0xfffffffffffffff5");

	/* Memory: data outside the file (strict), trimmed (lenient). */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.memlist + 4 + 12, (uint32_t)b.len - 100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "memory range at 0x7ff700000000 (4096 bytes at file offset");
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, DUMP_OPEN_LENIENT, &d, &err, NULL), CH_OK);
	size_t n;
	const struct dump_range *r = dump_ranges(d, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[2].size, 100);
	dump_close(d);
	/* Memory64 sizes whose running offsets overflow. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.mem64list + 16 + 16 + 8, UINT64_MAX - 8);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "Memory64List range 1: file offsets overflow");
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.mem64list + 16 + 8, 1ull << 40);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "runs past the end of the file");
	/* Overlapping memory ranges, and exact duplicates across the lists. */
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.mem64list + 16 + 16, 0x10100);
	expect_fail(b.p, b.len, 0, CH_ECORRUPT, "memory range at 0x10100 overlaps the one at 0x10000-0x10200");
	memcpy(b.p, c, b.len);
	mk_set64(&b, lay.mem64list + 16 + 16, 0x7ff700000000);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	dump_ranges(d, &n);
	assert_int_equal(n, 2);
	size_t nw;
	const char *const *w = dump_warnings(d, &nw);
	assert_true(nw == 1 && strstr(w[0], "listed twice"));
	dump_close(d);

	/* A thread whose context lies outside the file keeps sp/ip 0. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.threadlist + 4 + 44, 0xfffffff0);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	const struct dump_thread *t = dump_threads(d, &n);
	assert_true(n == 2 && t[0].sp == 0 && t[0].ip == 0 && t[1].sp != 0);
	w = dump_warnings(d, &nw);
	assert_true(nw == 1 && strstr(w[0], "1 threads have a missing or short register context"));
	dump_close(d);
	/* A CodeView record outside the file: no build-id, a warning. */
	memcpy(b.p, c, b.len);
	mk_set32(&b, lay.modlist + 4 + 80, 0xfffffff0);
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	assert_int_equal(dump_modules(d, &n)[0].build_id_len, 0);
	dump_close(d);
	free(c);
	mk_free(&b);
}

/* Lists whose count is padded to 8 bytes (as some writers do) read the same. */
static void test_padded_lists(void **state)
{
	(void)state;
	struct mkbuf b = { 0 };
	struct mk_mdmp_layout lay;
	make_small(&b, 9, &lay);
	/* Rebuild the ThreadList with 4 bytes of padding after the count. */
	size_t ent = dir_entry(&b, &lay, 3);
	size_t at = b.len;
	mk_u32(&b, 2);
	mk_u32(&b, 0xdeadbeef);
	mk_put(&b, b.p + lay.threadlist + 4, 2 * 48);
	mk_set32(&b, ent + 4, 8 + 2 * 48);
	mk_set32(&b, ent + 8, (uint32_t)at);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(open_bytes(b.p, b.len, 0, &d, &err, NULL), CH_OK);
	size_t n;
	const struct dump_thread *t = dump_threads(d, &n);
	assert_int_equal(n, 2);
	assert_true(t[0].tid == 100 && t[1].tid == 101 && t[1].ip == 0x140001010);
	dump_close(d);
	mk_free(&b);
}

/* The Windows fixtures: full-memory minidumps of .NET apps under Wine
 * (fixtures/make-dumps.sh, contrib/windump). Each names its architecture
 * (win-x64, win-x86), holds the process's threads and the runtime
 * coreclr.dll with all its pages, and its memory lies inside the file. */
static void test_windows_fixtures(void **state)
{
	(void)state;
	char pat[4096];
	fixture_path(pat, sizeof pat, "*-win-*.full.dmp");
	glob_t g;
	if (glob(pat, 0, NULL, &g) != 0)
		fail_msg("no Windows fixtures (%s)", pat);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct dump *d;
		struct ch_err err = { 0 };
		if (dump_open(g.gl_pathv[i], &d, &err) != CH_OK)
			fail_msg("%s", err.msg);
		bool x86 = strstr(g.gl_pathv[i], "-win-x86") != NULL;
		assert_int_equal(dump_format(d), DUMP_FMT_MDMP);
		assert_int_equal(dump_os(d), DUMP_OS_WINDOWS);
		assert_int_equal(dump_arch(d), x86 ? DUMP_ARCH_X86 : DUMP_ARCH_X86_64);
		assert_int_equal(dump_ptr_size(d), x86 ? 4 : 8);
		size_t n, len;
		assert_true(dump_threads(d, &n) != NULL && n >= 3);
		const struct dump_range *r = dump_ranges(d, &n);
		dump_bytes(d, &len);
		assert_true(n > 100);
		for (size_t k = 0; k < n; k++)
			assert_true(r[k].size > 0 && r[k].file_off <= len && len - r[k].file_off >= r[k].size);
		const struct dump_module *m = dump_modules(d, &n), *rt = NULL;
		for (size_t k = 0; k < n; k++)
			if (strcmp(m[k].name, "coreclr.dll") == 0)
				rt = &m[k];
		assert_non_null(rt);
		assert_true(rt->pe_timestamp != 0 && rt->pe_size == rt->size && rt->version != 0);
		struct as *a;
		assert_int_equal(as_open(d, &a, &err), CH_OK);
		uint8_t mz[2];
		assert_int_equal(as_read(a, rt->base, mz, 2), 2);
		assert_memory_equal(mz, "MZ", 2);
		uint8_t last;
		assert_int_equal(as_read(a, rt->base + rt->size - 1, &last, 1), 1);
		as_close(a);
		dump_close(d);
	}
	assert_true(g.gl_pathc >= 2);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_breakpad_windows_x86),
		cmocka_unit_test(test_breakpad_linux),
		cmocka_unit_test(test_crashpad_macos),
		cmocka_unit_test(test_broken_external),
		cmocka_unit_test(test_from_real_core),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_arches),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_list_checks),
		cmocka_unit_test(test_padded_lists),
		cmocka_unit_test(test_windows_fixtures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
