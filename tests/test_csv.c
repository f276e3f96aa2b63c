/* test_csv.c - csv.h over hand-written documents of the shapes val writes:
 * dotted columns, the null-or-object rule, RFC 4180 quoting, JSON escapes,
 * cut strings, arrays, and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct out {
	char buf[4096];
	size_t len;
};

static void put(void *arg, const char *p, size_t n)
{
	struct out *o = arg;
	assert_true(n < sizeof o->buf - o->len);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* The CSV of docs (NULL-terminated). */
static void run(const char *const *docs, struct out *o)
{
	struct csv *x;
	struct ch_err err = { 0 };
	assert_int_equal(csv_open(&x, &err), CH_OK);
	for (size_t i = 0; docs[i]; i++)
		assert_int_equal(csv_learn(x, docs[i], strlen(docs[i]), &err), CH_OK);
	o->len = 0;
	assert_int_equal(csv_header(x, put, o, &err), CH_OK);
	for (size_t i = 0; docs[i]; i++)
		assert_int_equal(csv_row(x, docs[i], strlen(docs[i]), put, o, &err), CH_OK);
	csv_close(x);
}

static void test_columns(void **state)
{
	(void)state;
	/* Owner is null in one and an object in the other: only its dotted
	 * columns; Note is null everywhere: a column of its own */
	static const char *const docs[] = {
		"{\"$addr\":\"0x10\",\"$type\":\"A\",\"Id\":1,\"Owner\":null,\"Note\":null}",
		"{\"$addr\":\"0x20\",\"$type\":\"A\",\"Id\":2,\"Owner\":{\"$addr\":\"0x30\",\"$type\":\"P\","
		"\"Name\":\"x\",\"At\":{\"X\":1,\"Y\":-2}},\"Note\":null}",
		NULL
	};
	struct out o;
	run(docs, &o);
	assert_string_equal(o.buf,
			    "$addr,Id,Note,Owner.$addr,Owner.$type,Owner.Name,Owner.At.X,Owner.At.Y\r\n"
			    "0x10,1,,,,,,\r\n"
			    "0x20,2,,0x30,P,x,1,-2\r\n");
}

static void test_cells(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"{\"$addr\":\"0x1\",\"S\":\"a,b \\\"q\\\"\\nline\",\"U\":\"\\u00e9\\ud83d\\ude00\\ud800!\","
		"\"L\":[1,\"x,y\",null],\"C\":{\"$string\":\"abc\",\"$length\":10},\"B\":true,"
		"\"F\":-1.5E+10,\"E\":\"\"}",
		NULL
	};
	struct out o;
	run(docs, &o);
	assert_string_equal(o.buf,
			    "$addr,S,U,L,C,B,F,E\r\n"
			    "0x1,\"a,b \"\"q\"\"\nline\",\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd!,"
			    "\"[1,\"\"x,y\"\",null]\",abc,true,-1.5E+10,\r\n");
}

static void test_refused(void **state)
{
	(void)state;
	struct csv *x;
	struct ch_err err = { 0 };
	assert_int_equal(csv_open(&x, &err), CH_OK);
	static const char *const bad[] = {
		"", "[1,2]", "\"s\"", "{\"a\":", "{\"a\":\"unterminated}", "{\"a\" 1}", "{\"a\":{\"b\":1}",
		"{\"a\":[1,2}", NULL
	};
	for (size_t i = 0; bad[i]; i++) {
		err.msg[0] = '\0';
		assert_int_equal(csv_learn(x, bad[i], strlen(bad[i]), &err), CH_EARG);
		assert_true(err.msg[0] != '\0');
	}
	csv_close(x);
	/* and a good one in a context of its own; a row cut short fails */
	assert_int_equal(csv_open(&x, &err), CH_OK);
	assert_int_equal(csv_learn(x, "{\"$addr\":\"0x1\",\"a\":1}", 21, &err), CH_OK);
	struct out o = { .len = 0 };
	assert_int_equal(csv_header(x, put, &o, &err), CH_OK);
	assert_int_equal(csv_columns(x), 2);
	assert_int_equal(csv_row(x, "{\"a\":", 5, put, &o, &err), CH_EARG);
	csv_close(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
