/* test_rdr.c - the bounds-checked byte reader: every function, at the
 * edges (empty buffers, exact fits, one past, offsets near SIZE_MAX). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rdr.h"

static const uint8_t bytes[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				   0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };

static void test_fits(void **state)
{
	(void)state;
	assert_true(rdr_fits(0, 0, 0));
	assert_false(rdr_fits(0, 0, 1));
	assert_false(rdr_fits(0, 1, 0));
	assert_true(rdr_fits(16, 16, 0));
	assert_false(rdr_fits(16, 17, 0));
	assert_true(rdr_fits(16, 0, 16));
	assert_false(rdr_fits(16, 0, 17));
	assert_true(rdr_fits(16, 8, 8));
	assert_false(rdr_fits(16, 8, 9));
	/* Sums that would wrap must not pass. */
	assert_false(rdr_fits(16, 8, UINT64_MAX));
	assert_false(rdr_fits(16, UINT64_MAX, 1));
	assert_false(rdr_fits(SIZE_MAX, (uint64_t)SIZE_MAX - 1, 2));
	assert_true(rdr_fits(SIZE_MAX, (uint64_t)SIZE_MAX - 1, 1));
	assert_false(rdr_fits(16, UINT64_MAX - 3, 8));
}

static void test_le_loads(void **state)
{
	(void)state;
	assert_int_equal(rdr_le16(bytes), 0x0201);
	assert_int_equal(rdr_le32(bytes), 0x04030201u);
	assert_true(rdr_le64(bytes) == 0x0807060504030201ull);
	assert_true(rdr_le64(bytes + 8) == 0x100f0e0d0c0b0a09ull);
	const uint8_t hi[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(rdr_le16(hi), 0xffff);
	assert_true(rdr_le32(hi) == UINT32_MAX);
	assert_true(rdr_le64(hi) == UINT64_MAX);
}

static void test_sequential(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, sizeof bytes);
	assert_int_equal(r.off, 0);
	assert_false(r.bad);
	assert_int_equal(rdr_u8(&r), 0x01);
	assert_int_equal(rdr_u16(&r), 0x0302);
	assert_int_equal(rdr_u32(&r), 0x07060504u);
	assert_true(rdr_u64(&r) == 0x0f0e0d0c0b0a0908ull);
	assert_int_equal(r.off, 15);
	assert_false(r.bad);
	assert_int_equal(rdr_u8(&r), 0x10);
	assert_int_equal(r.off, 16);
	assert_false(r.bad);
	/* One byte past the end: zero, bad, and bad stays. */
	assert_int_equal(rdr_u8(&r), 0);
	assert_true(r.bad);
	assert_int_equal(r.off, 16);
	rdr_seek(&r, 0);
	assert_int_equal(rdr_u8(&r), 0); /* sticky: nothing reads once bad */
	assert_true(r.bad);
}

static void test_short_reads(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, 3);
	assert_int_equal(rdr_u32(&r), 0);
	assert_true(r.bad);
	assert_int_equal(r.off, 0);
	r = rdr_make(bytes, 7);
	assert_true(rdr_u64(&r) == 0);
	assert_true(r.bad);
	r = rdr_make(bytes, 1);
	assert_int_equal(rdr_u16(&r), 0);
	assert_true(r.bad);
	r = rdr_make(bytes, 0);
	assert_int_equal(rdr_u8(&r), 0);
	assert_true(r.bad);
	/* A zero-byte take from an empty reader succeeds. */
	r = rdr_make(bytes, 0);
	assert_ptr_equal(rdr_take(&r, 0), bytes);
	assert_false(r.bad);
}

static void test_ptr(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, sizeof bytes);
	assert_true(rdr_ptr(&r, 4) == 0x04030201u);
	assert_true(rdr_ptr(&r, 8) == 0x0c0b0a0908070605ull);
	assert_int_equal(r.off, 12);
	assert_true(rdr_ptr(&r, 8) == 0);
	assert_true(r.bad);
}

static void test_take(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, sizeof bytes);
	const uint8_t *p = rdr_take(&r, 16);
	assert_ptr_equal(p, bytes);
	assert_int_equal(r.off, 16);
	assert_ptr_equal(rdr_take(&r, 0), bytes + 16);
	assert_false(r.bad);
	assert_null(rdr_take(&r, 1));
	assert_true(r.bad);
	r = rdr_make(bytes, sizeof bytes);
	assert_null(rdr_take(&r, SIZE_MAX));
	assert_true(r.bad);
	r = rdr_make(bytes, sizeof bytes);
	rdr_skip(&r, 10);
	assert_null(rdr_take(&r, SIZE_MAX - 5)); /* off + n wraps */
	assert_true(r.bad);
}

static void test_seek_skip(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, sizeof bytes);
	rdr_seek(&r, 16);
	assert_false(r.bad);
	assert_int_equal(r.off, 16);
	rdr_seek(&r, 4);
	assert_int_equal(rdr_u8(&r), 0x05);
	rdr_seek(&r, 17);
	assert_true(r.bad);
	r = rdr_make(bytes, sizeof bytes);
	rdr_seek(&r, UINT64_MAX);
	assert_true(r.bad);
	r = rdr_make(bytes, sizeof bytes);
	rdr_skip(&r, 15);
	assert_false(r.bad);
	rdr_skip(&r, 2);
	assert_true(r.bad);
	r = rdr_make(bytes, sizeof bytes);
	rdr_skip(&r, SIZE_MAX);
	assert_true(r.bad);
}

static void test_sub(void **state)
{
	(void)state;
	struct rdr r = rdr_make(bytes, sizeof bytes);
	struct rdr s = rdr_sub(&r, 4, 8);
	assert_false(s.bad);
	assert_int_equal(s.len, 8);
	assert_int_equal(rdr_u32(&s), 0x08070605u);
	assert_int_equal(rdr_u32(&s), 0x0c0b0a09u);
	assert_int_equal(rdr_u8(&s), 0); /* the sub-reader ends at 8 */
	assert_true(s.bad);
	s = rdr_sub(&r, 16, 0);
	assert_false(s.bad);
	assert_int_equal(s.len, 0);
	s = rdr_sub(&r, 8, 9);
	assert_true(s.bad);
	assert_int_equal(s.len, 0);
	s = rdr_sub(&r, UINT64_MAX, 2);
	assert_true(s.bad);
	s = rdr_sub(&r, 2, UINT64_MAX - 1);
	assert_true(s.bad);
	/* The parent is untouched by a failed sub. */
	assert_false(r.bad);
	assert_int_equal(r.off, 0);
}

static void test_strings(void **state)
{
	(void)state;
	const char s[] = "abc\0defgh"; /* 10 bytes with the final NUL */
	struct rdr r = rdr_make(s, sizeof s);
	assert_int_equal(rdr_strnlen_at(&r, 0, 100), 3);
	assert_int_equal(rdr_strnlen_at(&r, 3, 100), 0);
	assert_int_equal(rdr_strnlen_at(&r, 4, 100), 5);
	assert_int_equal(rdr_strnlen_at(&r, 4, 5), -1);  /* max too small */
	assert_int_equal(rdr_strnlen_at(&r, 4, 6), 5);
	assert_int_equal(rdr_strnlen_at(&r, 10, 100), -1); /* at the end */
	assert_int_equal(rdr_strnlen_at(&r, UINT64_MAX, 100), -1);
	struct rdr u = rdr_make(s + 4, 5); /* "defgh" without a NUL */
	assert_int_equal(rdr_strnlen_at(&u, 0, 100), -1);

	char out[8];
	assert_true(rdr_cstr(&r, 0, 100, out, sizeof out));
	assert_string_equal(out, "abc");
	assert_true(rdr_cstr(&r, 4, 100, out, 4)); /* cut to fit out */
	assert_string_equal(out, "def");
	assert_false(rdr_cstr(&u, 0, 100, out, sizeof out));
	assert_string_equal(out, "");
	assert_false(rdr_cstr(&r, 0, 100, out, 0));
	assert_false(rdr_cstr(&r, 11, 100, out, sizeof out));
	assert_string_equal(out, "");
	assert_true(rdr_cstr(&r, 3, 100, out, sizeof out));
	assert_string_equal(out, "");
}

/* Notes: a non-GNU one, then the build-id; damaged ones give nothing. */
static void test_gnu_build_id(void **state)
{
	(void)state;
	uint8_t n[64] = {
		4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 'X', 'Y', 'Z', 0, 1, 2, 3, 4,
		4, 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0,
		0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0, 0,
	};
	uint8_t out[32];
	assert_int_equal(rdr_gnu_build_id(n, 44, out, sizeof out), 6);
	assert_memory_equal(out, "\xde\xad\xbe\xef\x01\x02", 6);
	assert_int_equal(rdr_gnu_build_id(n, 44, out, 4), 4); /* cut to the buffer */
	assert_int_equal(rdr_gnu_build_id(n, 40, out, sizeof out), 0); /* desc cut short */
	n[4] = 0xff; /* a descriptor size past the end */
	assert_int_equal(rdr_gnu_build_id(n, 44, out, sizeof out), 0);
	assert_int_equal(rdr_gnu_build_id(n, 0, out, sizeof out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_le_loads),
		cmocka_unit_test(test_sequential),
		cmocka_unit_test(test_short_reads),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_seek_skip),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_gnu_build_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
