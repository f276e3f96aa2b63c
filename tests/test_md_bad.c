/* test_md_bad.c - the metadata reader on damaged copies of real
 * assemblies: every check against untrusted bytes is hit here, and loops
 * truncate and mutate the bytes at many offsets. Each case must fail with
 * one line naming the file, or succeed; never crash or read out of bounds
 * (copies are exact-size, so the sanitizers catch any overrun). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_fixture.h"

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* A stream header of a (trusted) metadata root: at is the offset of its
 * (offset, size) pair, the name follows. */
struct sh {
	size_t at;
	uint32_t off, size;
};

static size_t streams_at(const uint8_t *meta)
{
	return 16 + get32(meta + 12); /* flags, count follow */
}

static struct sh find_stream(const uint8_t *meta, const char *name)
{
	size_t p = streams_at(meta);
	unsigned n = meta[p + 2] | meta[p + 3] << 8;
	p += 4;
	for (unsigned i = 0; i < n; i++) {
		const char *nm = (const char *)meta + p + 8;
		if (!strcmp(nm, name))
			return (struct sh){ p, get32(meta + p),
					    get32(meta + p + 4) };
		p += 8 + ((strlen(nm) + 4) & ~(size_t)3);
	}
	fail_msg("no stream %s", name);
	return (struct sh){ 0, 0, 0 };
}

/* Walks everything a caller might ask for; returns a sum so that nothing
 * is optimised away. */
static uint64_t exercise(const struct md *m, uint32_t step)
{
	char name[512];
	uint64_t sum = 0;
	uint32_t ntd = md_rows(m, MD_TBL_TYPEDEF), v;
	for (uint32_t r = 1; r <= ntd + 1; r += step) {
		struct md_typedef td;
		uint32_t first, count, tok = 0x02000000 | r;
		md_typedef(m, r, &td);
		sum += strlen(td.name) + strlen(td.ns) + td.extends;
		md_typedef_name(m, r, 0, name, sizeof(name));
		sum += strlen(name);
		md_typedef_name(m, r, MD_NAME_NO_ARITY, name, sizeof(name));
		if (md_typedef_fields(m, r, &first, &count) == CH_OK) {
			for (uint32_t i = 0; i < count && i < 64; i++) {
				struct md_field f;
				struct md_sigtype st;
				uint32_t pos = first + i;
				md_field(m, md_field_rid(m, pos), &f);
				md_field_sig(f.sig, f.sig_len, &st);
				sum += strlen(f.name) + st.elem + st.token;
				sum += md_field_owner(m, pos) == r;
			}
		}
		struct md_enum_member em[8];
		sum += md_enum_underlying(m, r) + md_enum_members(m, r, em, 8);
		uint32_t n = md_generic_param_count(m, tok);
		for (uint32_t i = 0; i < n && i < 8; i++) {
			const char *g = md_generic_param_name(m, tok, i);
			sum += g ? strlen(g) : 1;
		}
		sum += md_enclosing(m, r) + md_typedef_extends(m, r);
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_TYPEREF) + 1; r += step) {
		struct md_typeref tr;
		md_typeref(m, r, &tr);
		md_typeref_name(m, r, 0, name, sizeof(name));
		sum += strlen(name) + tr.scope;
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_CONSTANT) + 1; r += step) {
		struct md_constant c;
		md_constant(m, r, &c);
		sum += c.value_len + c.parent;
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_GENERICPARAM) + 1;
	     r += step) {
		struct md_generic_param g;
		md_generic_param(m, r, &g);
		sum += strlen(g.name) + g.owner;
	}
	struct md_assembly a;
	md_assembly(m, &a);
	sum += strlen(a.name) + strlen(md_module_name(m));
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_ASSEMBLYREF); r++) {
		md_assembly_ref(m, r, &a);
		sum += strlen(a.name);
	}
	for (unsigned t = 0; t < 64; t++)
		for (unsigned c = 0; c < 10; c++)
			sum += md_cell(m, t, md_rows(m, t), c, &v) ? v : 0;
	uint8_t g[16];
	sum += md_guid(m, 1, g);
	return sum;
}

/* Opens meta (n bytes; an exact-size copy when fresh, else in place);
 * exercises it when it opens; checks the message of a failure. Returns
 * the status. */
static enum ch_status try_open_buf(const uint8_t *meta, size_t n,
				   uint32_t step, bool fresh)
{
	const uint8_t *c = fresh ? copy(meta, n) : meta;
	struct md *m;
	struct ch_err err = { 0 };
	enum ch_status st = md_open(c, n, "bad.dll",
				    fresh ? MD_OPEN_OWN : 0, &m, &err);
	if (st == CH_OK) {
		exercise(m, step);
		md_close(m);
	} else {
		assert_true(st == CH_ECORRUPT || st == CH_EFORMAT);
		assert_int_equal(strncmp(err.msg, "bad.dll: ", 9), 0);
		assert_null(strchr(err.msg, '\n'));
	}
	return st;
}

static enum ch_status try_open(const uint8_t *meta, size_t n, uint32_t step)
{
	return try_open_buf(meta, n, step, true);
}

/* Expects md_open of meta (n bytes) to fail with st and a message that
 * contains what. */
static void expect_fail(const uint8_t *meta, size_t n, enum ch_status st,
			const char *what)
{
	uint8_t *c = copy(meta, n);
	struct md *m = NULL;
	struct ch_err err = { 0 };
	assert_int_equal(md_open(c, n, "bad.dll", 0, &m, &err), st);
	assert_null(m);
	if (!strstr(err.msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, what);
	assert_int_equal(strncmp(err.msg, "bad.dll: ", 9), 0);
	free(c);
}

/* ---- truncation and mutation loops ---- */

static void test_truncate_everywhere(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = coll.pe.md_size, ok = 0;
	for (size_t cut = 0; cut <= len; cut += cut < 1024 ? 1 : 7)
		ok += try_open(coll.meta, cut, 1) == CH_OK;
	/* the last stream ends at the end: only the whole opens */
	assert_int_equal(try_open(coll.meta, len, 1), CH_OK);
	assert_int_equal(ok, (len - 1024) % 7 == 0 ? 1 : 0);
	/* a few cuts of CoreLib's metadata: in the headers, the tables,
	 * the heaps */
	static const size_t at[] = { 0, 3, 4, 15, 16, 27, 28, 0x6b, 0x6c, 0x80,
				     0x100, 248, 261, 50000, 2250000,
				     2250268 + 0x6c, 3000000 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		assert_int_not_equal(try_open(corelib.meta, at[i], 97), CH_OK);
	/* and of whole PE files, both layouts */
	for (size_t cut = 0; cut < coll.len; cut += cut < 1024 ? 3 : 4099) {
		for (int mapped = 0; mapped < 2; mapped++) {
			const uint8_t *img = mapped ? coll.mapped : coll.bytes;
			uint8_t *c = copy(img, cut);
			struct md *m;
			struct ch_err err = { 0 };
			if (md_open_pe(c, cut, mapped, "bad.dll", &m, NULL,
				       &err) == CH_OK) {
				exercise(m, 1);
				md_close(m);
			} else {
				assert_int_equal(strncmp(err.msg, "bad.dll: ", 9),
						 0);
			}
			free(c);
		}
	}
}

static void test_mutate_every_nth_byte(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = coll.pe.md_size;
	uint8_t *c = copy(coll.meta, len);
	static const uint8_t vals[] = { 0xff, 0x00, 0x80, 0x7f };
	for (size_t i = 0; i < len; i += i < 512 ? 1 : 5) {
		uint8_t orig = c[i];
		for (size_t k = 0; k < 4; k += i < 512 ? 1 : 4) {
			c[i] = vals[(k + i) % 4] ^ (k == 3 ? orig : 0);
			try_open_buf(c, len, 1, false);
		}
		c[i] = orig;
	}
	/* many bytes at once, deterministic */
	uint32_t x = 12345;
	for (int it = 0; it < 3000; it++) {
		uint8_t *d = copy(coll.meta, len);
		for (int k = 0; k < 1 + it % 16; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			d[x % len] = (uint8_t)(x >> 8);
		}
		try_open(d, len, 1);
		free(d);
	}
	free(c);
	/* CoreLib's headers, byte by byte */
	len = corelib.pe.md_size;
	c = copy(corelib.meta, len);
	for (size_t i = 0; i < 0x6c + 24 + 4 * 29; i++) {
		uint8_t orig = c[i];
		for (size_t k = 0; k < 4; k++) {
			c[i] = vals[k] ^ (k == 3 ? orig : 0);
			try_open_buf(c, len, 61, false);
		}
		c[i] = orig;
	}
	free(c);
}

/* ---- each check of the root, streams and tables ---- */

static void test_root_and_stream_checks(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = corelib.pe.md_size;
	uint8_t *c = copy(corelib.meta, len);
	size_t sp = streams_at(c);

	c[0] = 'X';
	expect_fail(c, len, CH_EFORMAT, "no BSJB signature");
	c[0] = 'B';
	expect_fail(c, 12, CH_ECORRUPT, "root header truncated");
	put32(c + 12, 0x1000);
	expect_fail(c, len, CH_ECORRUPT, "version string length 4096");
	put32(c + 12, 12);
	expect_fail(c, sp + 2, CH_ECORRUPT, "before its stream count");
	put16(c + sp + 2, 65);
	expect_fail(c, len, CH_ECORRUPT, "65 streams");
	put16(c + sp + 2, 5);
	expect_fail(c, sp + 4 + 6, CH_ECORRUPT, "stream header 0 runs past");
	expect_fail(c, sp + 4 + 8 + 2, CH_ECORRUPT,
		    "stream header 0 runs past");

	struct sh s = find_stream(c, "#Strings");
	put32(c + s.at, (uint32_t)len);
	expect_fail(c, len, CH_ECORRUPT, "stream #Strings (offset");
	put32(c + s.at, s.off);
	struct sh b = find_stream(c, "#Blob");
	put32(c + b.at + 4, 0xfffffff0);
	expect_fail(c, len, CH_ECORRUPT, "stream #Blob");
	put32(c + b.at + 4, b.size);

	/* "#JTD" marks an EnC delta, where every index is 4 bytes: CoreLib's
	 * tables then no longer fit their stream */
	struct sh gs = find_stream(c, "#GUID");
	memcpy(c + gs.at + 8, "#JTD", 5);
	expect_fail(c, len, CH_ECORRUPT, "runs past the table stream");
	memcpy(c + gs.at + 8, "#GUID", 5);

	struct sh t = find_stream(c, "#~");
	c[t.at + 9] = 'X';
	expect_fail(c, len, CH_EFORMAT, "no #~ or #- table stream");
	c[t.at + 9] = '~';
	struct sh us = find_stream(c, "#US");
	memcpy(c + us.at + 8, "#~\0", 4);
	expect_fail(c, len, CH_ECORRUPT, "two table streams");
	memcpy(c + us.at + 8, "#US", 4);

	/* the table stream header */
	put32(c + t.at + 4, 10);
	expect_fail(c, len, CH_ECORRUPT, "too short for its header");
	put32(c + t.at + 4, 24 + 8);
	expect_fail(c, len, CH_ECORRUPT, "row counts run past");
	put32(c + t.at + 4, 24 + 4 * 29);
	expect_fail(c, len, CH_ECORRUPT, "runs past the table stream");
	put32(c + t.at + 4, 24 + 4 * 29 + 3);
	c[t.off + 6] |= 0x40; /* extra data, but no room for it */
	expect_fail(c, len, CH_ECORRUPT, "ends in its header");
	c[t.off + 6] &= (uint8_t)~0x40;
	put32(c + t.at + 4, t.size);
	/* row counts: Module, then TypeDef */
	size_t rc = t.off + 24;
	put32(c + rc + 4, 0x01000000);
	expect_fail(c, len, CH_ECORRUPT, "table 0x02 claims 16777216 rows");
	put32(c + rc + 4, 0x00ffffff);
	expect_fail(c, len, CH_ECORRUPT,
		    "table 0x02 (16777215 rows of 20 bytes) runs past");
	put32(c + rc + 4, 2760);
	free(c);
}

/* ---- bad indexes inside rows ---- */

/* Where column col of row rid of table t lies in CoreLib's metadata; col_off
 * is the byte offset of the column within the row. */
static size_t cell_at(const struct md *m, unsigned t, uint32_t rid,
		      size_t col_off)
{
	return md_table_offset(m, t) + (size_t)(rid - 1) * md_row_size(m, t) +
	       col_off;
}

static struct md *reopen(uint8_t *c, size_t len)
{
	struct md *m;
	struct ch_err err = { 0 };
	assert_int_equal(md_open(c, len, "bad.dll", 0, &m, &err), CH_OK);
	return m;
}

static void test_bad_indexes(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = corelib.pe.md_size;
	uint8_t *c = copy(corelib.meta, len);
	struct md *m = reopen(c, len);
	/* CoreLib's widths: TypeDef = flags 4, name 4, ns 4, extends 2,
	 * fields 2, methods 2; Field = flags 2, name 4, sig 4. */
	assert_int_equal(md_row_size(m, MD_TBL_TYPEDEF), 18);
	assert_int_equal(md_row_size(m, MD_TBL_FIELD), 10);
	assert_int_equal(md_row_size(m, MD_TBL_NESTEDCLASS), 4);
	size_t td2 = cell_at(m, MD_TBL_TYPEDEF, 2, 4);
	size_t ext = cell_at(m, MD_TBL_TYPEDEF, 2649, 12);
	size_t fl5 = cell_at(m, MD_TBL_TYPEDEF, 5, 14);
	size_t sig = cell_at(m, MD_TBL_FIELD, 9099, 6);
	uint32_t list_name, v;
	md_cell(m, MD_TBL_TYPEDEF, 2649, 1, &list_name);
	struct sh strs = find_stream(c, "#Strings");
	struct sh blob = find_stream(c, "#Blob");
	md_close(m);

	/* a #Strings index past the heap reads as "" */
	put32(c + td2, 0xfffffff0);
	m = reopen(c, len);
	struct md_typedef td;
	char buf[256];
	assert_int_equal(md_typedef(m, 2, &td), CH_OK);
	assert_string_equal(td.name, "");
	assert_int_equal(md_typedef_name(m, 2, 0, buf, sizeof(buf)), CH_OK);
	assert_string_equal(buf, "");
	md_close(m);
	memcpy(c + td2, corelib.meta + td2, 4);

	/* a #Strings heap cut inside "List`1" (maybe the tail of a longer
	 * name): that string is gone, the first one stays */
	put32(c + strs.at + 4, list_name + 3);
	m = reopen(c, len);
	assert_false(md_string_valid(m, list_name));
	assert_string_equal(md_string(m, list_name), "");
	assert_string_equal(md_string(m, 1),
			    (const char *)corelib.meta + strs.off + 1);
	md_close(m);
	put32(c + strs.at + 4, strs.size);

	/* a signature index past #Blob, and a blob running past it */
	put32(c + sig, blob.size);
	m = reopen(c, len);
	struct md_field f;
	assert_int_equal(md_field(m, 9099, &f), CH_ECORRUPT);
	assert_string_equal(f.name, "_items");
	assert_null(f.sig);
	md_close(m);
	put32(c + sig, blob.size - 1); /* the last byte */
	c[blob.off + blob.size - 1] = 0x7f; /* claims 127 bytes */
	m = reopen(c, len);
	uint32_t n;
	assert_null(md_blob(m, blob.size - 1, &n));
	assert_int_equal(md_field(m, 9099, &f), CH_ECORRUPT);
	md_close(m);
	c[blob.off + blob.size - 1] = corelib.meta[blob.off + blob.size - 1];
	memcpy(c + sig, corelib.meta + sig, 4);

	/* a coded index with a tag no table has */
	put16(c + ext, 3);
	m = reopen(c, len);
	assert_int_equal(md_typedef(m, 2649, &td), CH_ECORRUPT);
	assert_false(md_cell(m, MD_TBL_TYPEDEF, 2649, 3, &v));
	assert_int_equal(md_typedef_extends(m, 2649), 0);
	md_close(m);
	memcpy(c + ext, corelib.meta + ext, 2);

	/* a field list running backwards; then FieldList unsorted */
	put16(c + fl5, 0xffff);
	m = reopen(c, len);
	uint32_t first, count;
	assert_int_equal(md_typedef_fields(m, 4, &first, &count), CH_ECORRUPT);
	assert_int_equal(md_typedef_fields(m, 5, &first, &count), CH_ECORRUPT);
	assert_int_equal(md_typedef(m, 5, &td), CH_OK);
	assert_int_equal(td.field_count, 0);
	assert_int_equal(md_field_owner(m, 9099), 2649); /* by a scan */
	assert_int_equal(md_enum_members(m, 5, NULL, 0), 0);
	md_close(m);
	memcpy(c + fl5, corelib.meta + fl5, 2);
	free(c);
}

/* ---- NestedClass, Constant and GenericParam out of order, cycles ---- */

static void swap_rows(uint8_t *c, const struct md *m, unsigned t,
		      uint32_t a, uint32_t b)
{
	uint8_t tmp[64];
	uint32_t rs = md_row_size(m, t);
	size_t pa = cell_at(m, t, a, 0), pb = cell_at(m, t, b, 0);
	memcpy(tmp, c + pa, rs);
	memcpy(c + pa, c + pb, rs);
	memcpy(c + pb, tmp, rs);
}

static void test_unsorted_and_cycles(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = corelib.pe.md_size;
	uint8_t *c = copy(corelib.meta, len);
	struct md *m = reopen(c, len);
	uint32_t nnc = md_rows(m, MD_TBL_NESTEDCLASS);
	swap_rows(c, m, MD_TBL_NESTEDCLASS, 1, nnc);
	swap_rows(c, m, MD_TBL_CONSTANT, 1, md_rows(m, MD_TBL_CONSTANT));
	swap_rows(c, m, MD_TBL_GENERICPARAM, 1,
		  md_rows(m, MD_TBL_GENERICPARAM));
	md_close(m);
	m = reopen(c, len);
	/* every name still right, through the scans */
	struct fnv h[H_COUNT];
	row_hashes(m, h);
	assert_int_equal(h[H_TD].h, corelib_hashes[H_TD].h);
	assert_int_equal(h[H_NC].h, corelib_hashes[H_NC].h);
	struct md_enum_member mem[32];
	assert_int_equal(md_enum_members(m, 191, mem, 32), 16);
	assert_string_equal(md_generic_param_name(m, 0x02000000 | 2611, 1),
			    "TValue");
	md_close(m);
	free(c);

	/* Entry nested in itself, then Entry and Dictionary in each other */
	c = copy(corelib.meta, len);
	m = reopen(c, len);
	uint32_t lo = 0, v;
	for (uint32_t r = 1; r <= nnc; r++)
		if (md_cell(m, MD_TBL_NESTEDCLASS, r, 0, &v) && v == 2611)
			lo = r;
	assert_int_not_equal(lo, 0);
	size_t at = cell_at(m, MD_TBL_NESTEDCLASS, lo, 0);
	md_close(m);
	put16(c + at + 2, 2611);
	m = reopen(c, len);
	char buf[256];
	assert_int_equal(md_typedef_name(m, 2611, 0, buf, sizeof(buf)),
			 CH_ECORRUPT);
	md_close(m);
	/* make row lo say 2608 -> 2611, keeping the table sorted enough:
	 * 2608 is not otherwise nested, so its row replaces Entry's */
	put16(c + at, 2608);
	put16(c + at + 2, 2611);
	put16(c + at + 4, 2611);
	put16(c + at + 6, 2608);
	m = reopen(c, len);
	assert_int_equal(md_typedef_name(m, 2608, 0, buf, sizeof(buf)),
			 CH_ECORRUPT);
	exercise(m, 7);
	md_close(m);
	/* an enclosing rid past TypeDef reads as not nested */
	put16(c + at + 2, 0xfff0);
	m = reopen(c, len);
	assert_int_equal(md_enclosing(m, 2608), 0);
	md_close(m);
	free(c);
}

/* ---- layouts real files rarely use: extra data, "#-" with FieldPtr ---- */

/* A copy of meta whose table stream is tab (appended, 4-aligned), the
 * stream renamed to name ("#~" or "#-"). */
static uint8_t *with_tables(const uint8_t *meta, size_t len,
			    const uint8_t *tab, size_t tablen,
			    const char *name, size_t *outlen)
{
	size_t at = (len + 3) & ~(size_t)3;
	uint8_t *b = calloc(1, at + tablen);
	assert_non_null(b);
	memcpy(b, meta, len);
	memcpy(b + at, tab, tablen);
	struct sh s = find_stream(b, "#~");
	put32(b + s.at, (uint32_t)at);
	put32(b + s.at + 4, (uint32_t)tablen);
	memcpy(b + s.at + 8, name, 2);
	*outlen = at + tablen;
	return b;
}

static void test_extra_data_and_field_ptr(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = corelib.pe.md_size, n;
	const uint8_t *meta = corelib.meta;
	struct sh t = find_stream(meta, "#~");
	const uint8_t *tab = meta + t.off;
	size_t hdr = 24 + 4 * 29; /* CoreLib has 29 tables */
	struct md *m = open_meta(&corelib);
	uint32_t nfield = md_rows(m, MD_TBL_FIELD);
	size_t fstart = md_table_offset(m, MD_TBL_FIELD) - t.off - hdr;
	size_t fsize = (size_t)nfield * md_row_size(m, MD_TBL_FIELD);
	md_close(m);

	/* HeapSizes 0x40: four bytes of extra data after the row counts */
	uint8_t *x = malloc(t.size + 4);
	memcpy(x, tab, hdr);
	x[6] |= 0x40;
	put32(x + hdr, 0xdeadbeef);
	memcpy(x + hdr + 4, tab + hdr, t.size - hdr);
	uint8_t *b = with_tables(meta, len, x, t.size + 4, "#~", &n);
	m = reopen(b, n);
	assert_int_equal(md_heap_sizes(m), 0x45);
	check_hashes(m, corelib_hashes);
	md_close(m);
	free(b);
	free(x);

	/* a table this reader does not know (0x3f): its row count is read,
	 * its rows come after the known tables, which still read */
	x = malloc(t.size + 4);
	memcpy(x, tab, hdr);
	uint64_t valid;
	memcpy(&valid, x + 8, 8);
	valid |= 1ull << 63;
	memcpy(x + 8, &valid, 8);
	put32(x + hdr, 5);
	memcpy(x + hdr + 4, tab + hdr, t.size - hdr);
	b = with_tables(meta, len, x, t.size + 4, "#~", &n);
	m = reopen(b, n);
	check_hashes(m, corelib_hashes);
	assert_int_equal(md_rows(m, 0x3f), 0);
	md_close(m);
	free(b);
	free(x);

	/* "#-" with a FieldPtr table and the Field table reversed: fields
	 * reached through their lists are the same as before */
	size_t ptr_size = (size_t)nfield * 2;
	x = malloc(t.size + 4 + ptr_size);
	memcpy(x, tab, 24);
	memcpy(&valid, x + 8, 8);
	valid |= 1u << MD_TBL_FIELDPTR;
	memcpy(x + 8, &valid, 8);
	/* row counts: Module, TypeDef, then FieldPtr, then the rest */
	memcpy(x + 24, tab + 24, 8);
	put32(x + 32, nfield);
	memcpy(x + 36, tab + 32, hdr - 32);
	uint8_t *d = x + hdr + 4;
	const uint8_t *s = tab + hdr;
	memcpy(d, s, fstart);
	for (uint32_t i = 0; i < nfield; i++)
		put16(d + fstart + 2 * i, (uint16_t)(nfield - i));
	for (uint32_t i = 0; i < nfield; i++)
		memcpy(d + fstart + ptr_size + (size_t)i * 10,
		       s + fstart + (size_t)(nfield - 1 - i) * 10, 10);
	memcpy(d + fstart + ptr_size + fsize, s + fstart + fsize,
	       t.size - hdr - fstart - fsize);
	b = with_tables(meta, len, x, t.size + 4 + ptr_size, "#-", &n);
	m = reopen(b, n);
	assert_true(md_uncompressed(m));
	assert_int_equal(md_rows(m, MD_TBL_FIELDPTR), nfield);
	struct fnv h[H_COUNT];
	row_hashes(m, h);
	assert_int_equal(h[H_TD].h, corelib_hashes[H_TD].h);
	/* the Field hash, walking list positions instead of rids */
	struct fnv fd = { 0, FNV0 };
	static char line[70000], hx[65536];
	for (uint32_t pos = 1; pos <= nfield; pos++) {
		struct md_field f;
		uint32_t rid = md_field_rid(m, pos);
		assert_int_equal(rid, nfield + 1 - pos);
		assert_int_equal(md_field(m, rid, &f), CH_OK);
		hexs(hx, f.sig, f.sig_len);
		snprintf(line, sizeof(line), "%u %s %x %s", pos, f.name,
			 f.flags, hx);
		fnv_line(&fd, line);
	}
	assert_int_equal(fd.h, corelib_hashes[H_FD].h);
	assert_int_equal(md_field_rid(m, nfield + 1), 0);
	assert_int_equal(md_field_owner(m, 9099), 2649);
	md_close(m);
	free(b);
	free(x);
}

/* ---- PE headers ---- */

static void expect_pe(const uint8_t *img, size_t n, enum ch_status st,
		      const char *what)
{
	uint8_t *c = copy(img, n);
	struct md_pe pe;
	struct ch_err err = { 0 };
	assert_int_equal(md_pe_parse(c, n, false, "bad.dll", &pe, &err), st);
	if (!strstr(err.msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, what);
	free(c);
}

static void test_pe_checks(void **state)
{
	(void)state;
	NEED_FILES();
	size_t len = coll.len;
	uint8_t *c = copy(coll.bytes, len);
	uint32_t lfanew = get32(c + 0x3c);
	size_t opt = lfanew + 24;
	bool plus = coll.pe.is_pe32plus;
	size_t dirs = opt + (plus ? 112 : 96);
	uint16_t optsz = c[lfanew + 20] | c[lfanew + 21] << 8;

	c[0] = 'Z';
	expect_pe(c, len, CH_EFORMAT, "no MZ header");
	c[0] = 'M';
	expect_pe(c, 0x30, CH_EFORMAT, "no MZ header");
	put32(c + 0x3c, 0xfffffff0);
	expect_pe(c, len, CH_ECORRUPT, "PE header offset 0xfffffff0");
	put32(c + 0x3c, lfanew);
	c[lfanew] = 'X';
	expect_pe(c, len, CH_EFORMAT, "no PE signature");
	c[lfanew] = 'P';
	put16(c + opt, 0x999);
	expect_pe(c, len, CH_EFORMAT, "optional header magic 0x999");
	put16(c + opt, plus ? 0x20b : 0x10b);
	put16(c + lfanew + 20, 0x10);
	expect_pe(c, len, CH_ECORRUPT, "optional header too short");
	put16(c + lfanew + 20, (uint16_t)(dirs - opt + 8 * 10));
	expect_pe(c, len, CH_ECORRUPT, "data directories run past");
	put16(c + lfanew + 20, optsz);
	expect_pe(c, opt + 8, CH_ECORRUPT, "optional header");
	put32(c + dirs - 4, 10);
	expect_pe(c, len, CH_EFORMAT, "only 10 data directories");
	put32(c + dirs - 4, 16);
	uint32_t cli = get32(c + dirs + 8 * 14);
	put32(c + dirs + 8 * 14, 0);
	expect_pe(c, len, CH_EFORMAT, "no CLI header");
	put32(c + dirs + 8 * 14, 0x7ffffff0);
	expect_pe(c, len, CH_ECORRUPT, "CLI header (rva 0x7ffffff0");
	put32(c + dirs + 8 * 14, cli);
	uint16_t nsect = c[lfanew + 6];
	put16(c + lfanew + 6, 200);
	expect_pe(c, len, CH_ECORRUPT, "200 sections");
	put16(c + lfanew + 6, nsect);
	expect_pe(c, opt + optsz + 20, CH_ECORRUPT, "section table");
	/* the metadata range, in the CLI header */
	size_t cli_off;
	assert_true(md_pe_rva_to_off(&coll.pe, cli, 24, &cli_off));
	put32(c + cli_off + 12, 0x7fffffff);
	expect_pe(c, len, CH_ECORRUPT, "metadata (rva");
	put32(c + cli_off + 12, coll.pe.md_size);
	expect_pe(c, len, CH_OK, "");
	free(c);

	/* a native executable is not a PE at all */
	size_t elf_len;
	uint8_t *elf = read_file("/usr/share/dotnet/dotnet", &elf_len);
	if (elf) {
		struct md *m;
		struct ch_err err = { 0 };
		assert_int_equal(md_open_pe(elf, elf_len, false, "dotnet", &m,
					    NULL, &err), CH_EFORMAT);
		free(elf);
	}
	/* ranges in a section's zero-filled tail are not in the file */
	struct md_pe pe = coll.pe;
	size_t off;
	pe.sect[0].vsize = pe.sect[0].raw_size + 0x1000;
	assert_true(md_pe_rva_to_off(&pe, pe.sect[0].va, 1, &off));
	assert_false(md_pe_rva_to_off(&pe, pe.sect[0].va + pe.sect[0].raw_size,
				      1, &off));
	assert_false(md_pe_rva_to_off(&pe, pe.sect[0].va, 0xffffffff, &off));
	pe.valid = false;
	assert_false(md_pe_rva_to_off(&pe, pe.sect[0].va, 1, &off));
}

/* ---- signatures ---- */

static void test_signatures(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	struct md_sigtype st;
	/* every prefix of every real field signature */
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_FIELD); r++) {
		struct md_field f;
		assert_int_equal(md_field(m, r, &f), CH_OK);
		assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
		for (uint32_t n = 0; n < f.sig_len; n++) {
			uint8_t *p = copy(f.sig, n);
			md_field_sig(p, n, &st);
			free(p);
		}
	}
	md_close(m);
	static const struct {
		uint8_t b[16];
		uint32_t n;
		enum ch_status st;
		uint8_t elem;
	} ex[] = {
		{ { 0x07, 0x08 }, 2, CH_ECORRUPT, 0 }, /* not FIELD */
		{ { 0x06 }, 1, CH_ECORRUPT, 0 },
		{ { 0x06, 0x08 }, 2, CH_OK, MD_ELEM_I4 },
		{ { 0x06, 0x20, 0x09, 0x08 }, 4, CH_OK, MD_ELEM_I4 }, /* modopt */
		{ { 0x06, 0x1f, 0x03, 0x08 }, 4, CH_ECORRUPT, 0 }, /* tag 3 */
		{ { 0x06, 0x1f, 0x00, 0x08 }, 4, CH_ECORRUPT, 0 }, /* nil */
		{ { 0x06, 0x21, 0x00 }, 3, CH_ECORRUPT, 0 }, /* INTERNAL */
		{ { 0x06, 0x45, 0x08 }, 3, CH_ECORRUPT, 0 }, /* PINNED */
		{ { 0x06, 0x15, 0x08 }, 3, CH_ECORRUPT, 0 }, /* inst of I4 */
		{ { 0x06, 0x15, 0x12, 0x09, 0x00 }, 5, CH_ECORRUPT, 0 },
		{ { 0x06, 0x14, 0x08, 0x02, 0x00, 0x00 }, 6, CH_OK,
		  MD_ELEM_ARRAY },
		{ { 0x06, 0x14, 0x08, 0x02, 0x05 }, 5, CH_ECORRUPT, 0 },
		{ { 0x06, 0x1d, 0x1d, 0x15, 0x11, 0x08, 0x01, 0x08 }, 8,
		  CH_OK, MD_ELEM_SZARRAY },
		{ { 0x06, 0x1d, 0x1d, 0x15, 0x11, 0x08, 0x02, 0x08 }, 8,
		  CH_ECORRUPT, 0 }, /* one argument short */
		{ { 0x06, 0x1b, 0x00, 0x02, 0x08, 0x08, 0x41, 0x0e }, 8, CH_OK,
		  MD_ELEM_FNPTR },
		{ { 0x06, 0x1b, 0x00, 0xdf, 0xff, 0xff, 0xff, 0x08 }, 8,
		  CH_ECORRUPT, 0 },
		{ { 0x06, 0x0f, 0x01 }, 3, CH_OK, MD_ELEM_PTR }, /* void* */
		{ { 0x06, 0xff }, 2, CH_ECORRUPT, 0 },
	};
	for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		uint8_t *p = copy(ex[i].b, ex[i].n);
		assert_int_equal(md_field_sig(p, ex[i].n, &st), ex[i].st);
		if (ex[i].st == CH_OK)
			assert_int_equal(st.elem, ex[i].elem);
		/* skipping the Type after FIELD: to the end, or refused */
		const uint8_t *q = p + 1;
		bool skipped = md_sig_skip_type(&q, p + ex[i].n);
		if (ex[i].st == CH_OK)
			assert_true(skipped && q == p + ex[i].n);
		else if (ex[i].b[0] == 0x06)
			assert_false(skipped);
		free(p);
	}
	assert_int_equal(md_field_sig(NULL, 0, &st), CH_ECORRUPT);
	/* nesting deeper than the cap: ARRAY of ARRAY of ... */
	uint8_t deep[300];
	deep[0] = 0x06;
	memset(deep + 1, 0x14, sizeof(deep) - 1);
	assert_int_equal(md_field_sig(deep, sizeof(deep), &st), CH_ECORRUPT);
	const uint8_t *dq = deep + 1;
	assert_false(md_sig_skip_type(&dq, deep + sizeof(deep)));
	/* random bytes */
	uint32_t x = 777;
	uint8_t r[16];
	for (int it = 0; it < 100000; it++) {
		uint32_t n = 1 + it % 16;
		for (uint32_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			r[k] = (uint8_t)x;
		}
		r[0] = 0x06;
		uint8_t *p = copy(r, n);
		md_field_sig(p, n, &st);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_mutate_every_nth_byte),
		cmocka_unit_test(test_root_and_stream_checks),
		cmocka_unit_test(test_bad_indexes),
		cmocka_unit_test(test_unsorted_and_cycles),
		cmocka_unit_test(test_extra_data_and_field_ptr),
		cmocka_unit_test(test_pe_checks),
		cmocka_unit_test(test_signatures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
