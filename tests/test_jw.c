/* test_jw.c - the JSON writer: nesting, commas, escapes, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "jw.h"

static void test_nesting_and_commas(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "a"); jw_u64(&w, 1);
	jw_key(&w, "b"); jw_arr_begin(&w);
	jw_i64(&w, -2); jw_bool(&w, true); jw_null(&w);
	jw_obj_begin(&w); jw_obj_end(&w);
	jw_arr_end(&w);
	jw_key(&w, "c"); jw_hex(&w, 0xdeadbeefULL);
	jw_obj_end(&w);
	assert_string_equal(w.buf, "{\"a\":1,\"b\":[-2,true,null,{}],\"c\":\"0xdeadbeef\"}");
	jw_free(&w);
}

static void test_or_null(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_str_or_null(&w, NULL); jw_str_or_null(&w, "x");
	jw_hex_or_null(&w, 0); jw_hex_or_null(&w, 0x10);
	jw_arr_end(&w);
	assert_string_equal(w.buf, "[null,\"x\",null,\"0x10\"]");
	jw_free(&w);
}

static void test_extremes(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	jw_arr_begin(&w);
	jw_u64(&w, UINT64_MAX);
	jw_i64(&w, INT64_MIN);
	jw_arr_end(&w);
	assert_string_equal(w.buf, "[18446744073709551615,-9223372036854775808]");
	jw_free(&w);
}

static void test_escapes(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	const char s[] = "q\"b\\n\n\t\x01\x1f" "\x7f";
	jw_strn(&w, s, sizeof s - 1);
	assert_string_equal(w.buf, "\"q\\\"b\\\\n\\n\\t\\u0001\\u001f\x7f\"");
	jw_reset(&w);
	const char nul[] = { 'a', 0, 'b' };
	jw_strn(&w, nul, 3);
	assert_string_equal(w.buf, "\"a\\u0000b\"");
	jw_free(&w);
}

static void test_utf8(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	/* valid 2-, 3- and 4-byte sequences pass through */
	jw_str(&w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(w.buf, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	jw_reset(&w);
	/* lone continuation, overlong, encoded surrogate, truncated: U+FFFD each byte */
	jw_str(&w, "\x80\xc0\xaf\xed\xa0\x80\xe2\x82");
	const char *rep = "\xef\xbf\xbd";
	char want[64] = "\"";
	for (int i = 0; i < 8; i++)
		strcat(want, rep);
	strcat(want, "\"");
	assert_string_equal(w.buf, want);
	jw_free(&w);
}

static void test_reset_reuses(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	for (int i = 0; i < 1000; i++)
		jw_str(&w, "0123456789");
	assert_true(w.len > 10000);
	jw_reset(&w);
	jw_u64(&w, 7);
	assert_string_equal(w.buf, "7");
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_or_null),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_reset_reuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
