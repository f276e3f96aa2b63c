/* test_val.c - values: the leaf formatters on edge values, and every
 * decoder on real objects of the fixture dumps, rendered exactly as the
 * apps' own truth files have them (the zoo's objects and statics, the
 * visits), plus value-file text, slot kinds and depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "refcmp.h"
#include "val.h"

/* ---- formatters ---- */

static void test_double(void **state)
{
	(void)state;
	static const struct { double d; const char *want; } cases[] = {
		{ 0.1, "0.1" }, { 0.1 + 0.2, "0.30000000000000004" }, { 1e21, "1E+21" },
		{ 5e-324, "5E-324" }, { 1.7976931348623157e308, "1.7976931348623157E+308" },
		{ -1.7976931348623157e308, "-1.7976931348623157E+308" },
		{ 2.2250738585072014e-308, "2.2250738585072014E-308" },
		{ 123456789012345680.0, "1.2345678901234568E+17" }, { 0.0, "0" }, { -0.0, "-0" },
		{ 1e15, "1E+15" }, { 123456789012345.0, "123456789012345" }, { 1e14, "100000000000000" },
		{ 0.0001, "0.0001" }, { 0.00001, "1E-05" }, { 2.5, "2.5" }, { -60, "-60" },
		{ 9007199254740993.0, "9007199254740992" }, { 1.5e300, "1.5E+300" },
		{ 4.9406564584124654e-324 * 2, "1E-323" }, { 100, "100" }, { 1234.5678, "1234.5678" },
		/* a power of two: the interval below is half as wide */
		{ 9007199254740992.0, "9007199254740992" }, { 0x1p-1022, "2.2250738585072014E-308" },
		{ NAN, "NaN" }, { INFINITY, "Infinity" }, { -INFINITY, "-Infinity" },
	};
	char out[40];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = val_fmt_double(cases[i].d, out);
		assert_int_equal(n, strlen(out));
		assert_string_equal(out, cases[i].want);
	}
}

static void test_float(void **state)
{
	(void)state;
	static const struct { float f; const char *want; } cases[] = {
		{ 3.4028235e38f, "3.4028235E+38" }, { -3.4028235e38f, "-3.4028235E+38" },
		{ 1e-45f, "1E-45" }, { 1.17549435e-38f, "1.1754944E-38" }, { 16777216.0f, "16777216" },
		{ 16777217.0f, "16777216" }, { 1e-7f, "1E-07" }, { 0.1f, "0.1" }, { -0.0f, "-0" },
		{ 1234567.0f, "1234567" }, { 12345678.0f, "12345678" }, { 1e8f, "1E+08" },
		{ 12.5f, "12.5" }, { 0.3f, "0.3" },
	};
	char out[40];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		val_fmt_float(cases[i].f, out);
		assert_string_equal(out, cases[i].want);
	}
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Count of significant digits in a formatted number (leading and
 * trailing zeros are not). */
static int sig_digits(const char *s)
{
	int n = 0, zeros = 0, lead = 1;
	for (; *s && *s != 'E'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0' && lead)
			continue;
		lead = 0;
		if (*s == '0') {
			zeros++;
		} else {
			n += zeros + 1;
			zeros = 0;
		}
	}
	return n;
}

/* Random bit patterns: every text reads back to the same bits, and no
 * shorter correctly rounded text does. */
static void test_real_round_trip(void **state)
{
	(void)state;
	uint64_t seed = 42;
	char out[40], shorter[40];
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = splitmix(&seed);
		double d;
		memcpy(&d, &bits, 8);
		if (!isfinite(d))
			continue;
		val_fmt_double(d, out);
		double back = strtod(out, NULL);
		assert_memory_equal(&back, &d, 8);
		int k = sig_digits(out);
		if (k > 1) {
			snprintf(shorter, sizeof shorter, "%.*e", k - 2, d);
			back = strtod(shorter, NULL);
			assert_true(memcmp(&back, &d, 8) != 0);
		}
		float f;
		uint32_t fb = (uint32_t)bits;
		memcpy(&f, &fb, 4);
		if (!isfinite(f))
			continue;
		val_fmt_float(f, out);
		float fback = strtof(out, NULL);
		assert_memory_equal(&fback, &f, 4);
	}
}

static void test_decimal(void **state)
{
	(void)state;
	static const struct { uint32_t flags, hi; uint64_t lo; const char *want; } cases[] = {
		{ 0, 0xffffffff, ~0ULL, "79228162514264337593543950335" },
		{ 0x80000000, 0xffffffff, ~0ULL, "-79228162514264337593543950335" },
		{ 0, 0, 0, "0" }, { 2 << 16, 0, 0, "0.00" },
		{ 0x80000000 | 3 << 16, 0, 0, "0.000" }, /* negative zero keeps no sign */
		{ 28 << 16, 0, 1, "0.0000000000000000000000000001" },
		{ 2 << 16, 0, 1250, "12.50" }, { 0x80000000 | 3 << 16, 0, 1, "-0.001" },
		{ 28 << 16, 0xac544ca, 0x14b700cb05555555ULL, "0.3333333333333333333333333333" },
		{ 3 << 16, 0xffffffff, ~0ULL, "79228162514264337593543950.335" },
		{ 40 << 16, 0, 5, "0.0000000000000000000000000005" }, /* scale past 28: capped */
	};
	char out[48];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		val_fmt_decimal(cases[i].flags, cases[i].hi, cases[i].lo, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_times(void **state)
{
	(void)state;
	char out[64];
	const uint64_t utc = 1ULL << 62, local = 2ULL << 62;
	val_fmt_datetime(0, out);
	assert_string_equal(out, "0001-01-01T00:00:00.0000000");
	val_fmt_datetime(3155378975999999999ULL, out);
	assert_string_equal(out, "9999-12-31T23:59:59.9999999");
	val_fmt_datetime(utc | 639290990451234567ULL, out);
	assert_string_equal(out, "2026-11-01T03:04:05.1234567Z");
	val_fmt_datetime(local | 636365848800000000ULL, out);
	assert_string_equal(out, "2017-07-25T13:08:00.0000000");
	val_fmt_datetime((3ULL << 62) | 630874655990000001ULL, out); /* leap day, ambiguous local */
	assert_string_equal(out, "2000-02-29T23:59:59.0000001");
	val_fmt_dto(639290918450005000ULL, 120, out);
	assert_string_equal(out, "2026-11-01T03:04:05.0005000+02:00");
	val_fmt_dto(630823013990000000ULL, -330, out);
	assert_string_equal(out, "1999-12-31T23:59:59.0000000-05:30");
	val_fmt_dto(0, -60, out); /* before year 1 once offset: clamped, no crash */
	assert_string_equal(out, "0001-01-01T00:00:00.0000000-01:00");
	val_fmt_timespan(-(int64_t)(((1 * 24 + 2) * 3600 + 3 * 60 + 4) * 10000000LL + 5000000), out);
	assert_string_equal(out, "-1.02:03:04.5000000");
	val_fmt_timespan(0, out);
	assert_string_equal(out, "00:00:00");
	val_fmt_timespan(INT64_MAX, out);
	assert_string_equal(out, "10675199.02:48:05.4775807");
	val_fmt_timespan(INT64_MIN, out);
	assert_string_equal(out, "-10675199.02:48:05.4775808");
	val_fmt_timespan(1, out);
	assert_string_equal(out, "00:00:00.0000001");
	val_fmt_timespan(-864000000000LL, out);
	assert_string_equal(out, "-1.00:00:00");
}

static void test_guid(void **state)
{
	(void)state;
	const uint8_t g[16] = { 0x07, 0x14, 0x5b, 0xd8, 0x1d, 0x35, 0x94, 0x46,
				0x93, 0x92, 0x03, 0xac, 0xc5, 0x87, 0x0e, 0xb1 };
	char out[40];
	assert_int_equal(val_fmt_guid(g, out), 36);
	assert_string_equal(out, "d85b1407-351d-4694-9392-03acc5870eb1");
	uint8_t ff[16];
	memset(ff, 0xff, 16);
	val_fmt_guid(ff, out);
	assert_string_equal(out, "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

static void test_ip(void **state)
{
	(void)state;
	static const struct { uint16_t g[8]; uint32_t scope; const char *want; } cases[] = {
		{ { 0x2001, 0xdb8, 0x85a3, 0, 0, 0x8a2e, 0x370, 0x7334 }, 0, "2001:db8:85a3::8a2e:370:7334" },
		{ { 0, 0, 0, 0, 0, 0, 0, 1 }, 0, "::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, 0, "::" },
		{ { 0xfe80, 0, 0, 0, 0x1ff, 0xfe23, 0x4567, 0x890a }, 3, "fe80::1ff:fe23:4567:890a%3" },
		{ { 0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001 }, 0, "::ffff:10.0.0.1" },
		{ { 0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304 }, 0, "::ffff:0:1.2.3.4" },
		{ { 0, 0, 0, 0, 0, 0, 0x0102, 0x0304 }, 0, "::1.2.3.4" },
		{ { 0xfe80, 0, 0, 0, 0, 0x5efe, 0x0a00, 0x0001 }, 0, "fe80::5efe:10.0.0.1" },
		{ { 0x2001, 0xdb8, 1, 2, 3, 4, 5, 6 }, 0, "2001:db8:1:2:3:4:5:6" },
		{ { 0x2001, 0, 1, 0, 0, 1, 0, 0 }, 0, "2001:0:1::1:0:0" }, /* first of equal runs */
		{ { 0x2a01, 0, 0, 0, 0, 0, 0, 0 }, 0, "2a01::" },
		{ { 1, 0, 2, 0, 3, 0, 4, 0 }, 0, "1:0:2:0:3:0:4:0" }, /* single zeros stay */
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, 4294967295u, "::%4294967295" },
	};
	char out[80];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		val_fmt_ipv6(cases[i].g, cases[i].scope, out);
		assert_string_equal(out, cases[i].want);
	}
	const uint8_t v4[4] = { 192, 168, 1, 20 }, zero[4] = { 0 }, ones[4] = { 255, 255, 255, 255 };
	val_fmt_ipv4(v4, out);
	assert_string_equal(out, "192.168.1.20");
	val_fmt_ipv4(zero, out);
	assert_string_equal(out, "0.0.0.0");
	val_fmt_ipv4(ones, out);
	assert_string_equal(out, "255.255.255.255");
}

static void utf16_case(const uint16_t *u, size_t n, bool json, const char *want)
{
	uint8_t raw[64];
	for (size_t i = 0; i < n; i++) {
		raw[2 * i] = (uint8_t)u[i];
		raw[2 * i + 1] = (uint8_t)(u[i] >> 8);
	}
	struct val_buf b;
	val_buf_init(&b);
	val_utf16(&b, raw, n, json);
	assert_false(b.oom);
	assert_string_equal(b.p ? b.p : "", want);
	val_buf_free(&b);
}

static void test_utf16(void **state)
{
	(void)state;
	const uint16_t pair[] = { 0xd83d, 0xde00 }, high[] = { 'a', 0xd800, 'b' },
		       low[] = { 0xdc00 }, rev[] = { 0xdc00, 0xd800 }, ctl[] = { 0, 1, 0x1f, '"', '\\', '\n', 0x7f },
		       bmp[] = { 0xe9, 0x20ac, 0x2028, 0xfeff }, tail[] = { 'x', 0xdbff };
	utf16_case(pair, 2, true, "\"\xf0\x9f\x98\x80\"");
	utf16_case(high, 3, true, "\"a\xef\xbf\xbd" "b\"");
	utf16_case(low, 1, false, "\xef\xbf\xbd");
	utf16_case(rev, 2, true, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	utf16_case(ctl, 7, true, "\"\\u0000\\u0001\\u001f\\\"\\\\\\n\x7f\"");
	utf16_case(ctl, 7, false, "\0");
	utf16_case(bmp, 4, true, "\"\xc3\xa9\xe2\x82\xac\xe2\x80\xa8\xef\xbb\xbf\"");
	utf16_case(tail, 2, false, "x\xef\xbf\xbd");
	utf16_case(NULL, 0, true, "\"\"");
}

/* ---- real objects ---- */

struct ctx {
	struct fx f;
	struct val *v;
	char *truth; /* NAME.truth.json (zoo) or NAME.truth.jsonl (visits) */
	size_t truth_len;
};

static char *slurp(const char *name, size_t *len)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("%s: missing fixture", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return s;
}

static int open_ctx(void **state, const char *dump, const char *truth)
{
	struct ctx *c = calloc(1, sizeof *c);
	assert_non_null(c);
	fx_open(&c->f, dump);
	assert_int_equal(val_open(c->f.c, &c->v, &c->f.err), CH_OK);
	c->truth = slurp(truth, &c->truth_len);
	*state = c;
	return 0;
}

static int zoo_setup(void **state) { return open_ctx(state, "zoo.heap.dmp", "zoo.truth.json"); }
static int visits_setup(void **state) { return open_ctx(state, "visits.heap.dmp", "visits.truth.jsonl"); }

static int ctx_teardown(void **state)
{
	struct ctx *c = *state;
	val_close(c->v);
	fx_close(&c->f);
	free(c->truth);
	free(c);
	return 0;
}

/* The truth's line for the object at addr, its "\ufffd" escapes written as
 * the character itself (as clrheap writes it); NULL when absent. */
static char *truth_line(struct ctx *c, uint64_t addr)
{
	char key[64];
	snprintf(key, sizeof key, "{\"$addr\":\"0x%llx\"", (unsigned long long)addr);
	const char *p = c->truth;
	/* a line of its own (the same object also appears inside others) */
	while ((p = strstr(p, key)) != NULL && p != c->truth && p[-1] != '\n' && p[-1] != '[')
		p++;
	if (!p)
		return NULL;
	const char *e = strchr(p, '\n');
	size_t n = e ? (size_t)(e - p) : strlen(p);
	while (n && (p[n - 1] == ',' || p[n - 1] == ']' || p[n - 1] == '\r'))
		n--;
	char *out = malloc(n + 1);
	assert_non_null(out);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (n - i >= 6 && memcmp(p + i, "\\ufffd", 6) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += 6;
		} else {
			out[o++] = p[i++];
		}
	}
	out[o] = '\0';
	return out;
}

struct collect {
	uint64_t mt;
	uint64_t *addr;
	size_t n, cap;
};

static bool collect_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct collect *k = arg;
	if (mt != k->mt)
		return true;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->addr = realloc(k->addr, k->cap * sizeof *k->addr);
		assert_non_null(k->addr);
	}
	k->addr[k->n++] = obj;
	return true;
}

/* Every object of the type on the heap; fails when there is none. */
static struct collect objects_of(struct ctx *c, const char *type)
{
	struct collect k = { .mt = fx_mt(&c->f, type) };
	if (!k.mt)
		fail_msg("no objects of %s in the fixture", type);
	heap_walk(c->f.h, collect_cb, &k);
	assert_true(k.n > 0);
	return k;
}

/* Each object of each type renders exactly as the truth has it. */
static void check_types(struct ctx *c, const char *const *types)
{
	struct val_buf b;
	val_buf_init(&b);
	for (; *types; types++) {
		struct collect k = objects_of(c, *types);
		size_t checked = 0;
		for (size_t i = 0; i < k.n; i++) {
			char *want = truth_line(c, k.addr[i]);
			if (!want)
				continue; /* not one the app lists (a runtime's box) */
			val_buf_reset(&b);
			assert_int_equal(val_object_json(c->v, k.addr[i], &b, &c->f.err), CH_OK);
			size_t at;
			if (!refcmp_equal(want, strlen(want), b.p, b.len, &at))
				fail_msg("%s at 0x%llx (from byte %zu):\n  want %.600s\n  got  %.600s", *types,
					 (unsigned long long)k.addr[i], at, want, b.p);
			free(want);
			checked++;
		}
		if (!checked)
			fail_msg("%s: no object of the truth found", *types);
		free(k.addr);
	}
	val_buf_free(&b);
}

#define TYPES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_primitives(void **state) { check_types(*state, TYPES("Zoo.Primitives")); }
static void test_strings(void **state) { check_types(*state, TYPES("Zoo.Strings")); }
static void test_times_real(void **state) { check_types(*state, TYPES("Zoo.Times")); }
static void test_decimals_real(void **state) { check_types(*state, TYPES("Zoo.Decimals")); }
static void test_guids_real(void **state) { check_types(*state, TYPES("Zoo.Ids")); }
static void test_enums(void **state) { check_types(*state, TYPES("Zoo.Enums")); }
static void test_nullables(void **state) { check_types(*state, TYPES("Zoo.Nullables")); }
static void test_structs(void **state) { check_types(*state, TYPES("Zoo.Structs", "Zoo.Point")); }
static void test_arrays(void **state) { check_types(*state, TYPES("Zoo.Arrays", "Zoo.Heaps")); }
static void test_collections(void **state) { check_types(*state, TYPES("Zoo.Collections")); }
static void test_boxes(void **state) { check_types(*state, TYPES("Zoo.Boxes")); }
static void test_net(void **state) { check_types(*state, TYPES("Zoo.Net")); }
static void test_cycles(void **state) { check_types(*state, TYPES("Zoo.Node")); }

static void test_classes(void **state)
{
	check_types(*state, TYPES("Zoo.Animal", "Zoo.Dog", "Zoo.Puppy", "Zoo.Person", "Zoo.Employee",
				  "Zoo.ClashDerived", "Zoo.Props", "Zoo.Holder+Nested",
				  "Zoo.Holder+Nested+MoreNested"));
}

static void test_generics(void **state)
{
	check_types(*state, TYPES("Zoo.Box<System.Int32>", "Zoo.Box<System.String>", "Zoo.Box<Zoo.Point>",
				  "Zoo.Box<Zoo.Box<System.Int32>>", "Zoo.Box<Zoo.Animal>",
				  "Zoo.Box<System.Int32[]>", "Zoo.Box<Zoo.Color>",
				  "Zoo.Box<System.Nullable<System.Int32>>",
				  "Zoo.Duo<System.Int32, System.String>",
				  "Zoo.Duo<System.String, Zoo.Duo<System.Int32, System.Int32>>",
				  "Zoo.Duo<Zoo.Point, Zoo.Money>",
				  "Zoo.Trio<System.Int32, System.String, System.Guid>",
				  "Zoo.Outer<System.Int32>", "Zoo.Outer<System.Int32>+Inner",
				  "Zoo.Outer<System.String>+Deep<System.Int64>"));
}

/* The field named name of the object at obj (its type's field list). */
static const struct clr_field *field_of(struct ctx *c, uint64_t obj, const char *name)
{
	uint64_t mt;
	assert_true(as_u64(c->f.a, obj, &mt));
	const struct clr_type *t = clr_type_of(c->f.c, mt & clr_mt_mask(c->f.c), NULL);
	assert_non_null(t);
	size_t n;
	const struct clr_field *f = clr_type_fields(c->f.c, t, &n, NULL, NULL);
	for (size_t i = 0; f && i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	fail_msg("%s has no field %s", t->name, name);
	return NULL;
}

/* Text and kind of field name of the first object of type. */
static void check_field(struct ctx *c, const char *type, size_t which, const char *name,
			enum val_kind kind, const char *text, size_t text_len)
{
	struct collect k = objects_of(c, type);
	assert_true(which < k.n);
	uint64_t obj = k.addr[which];
	free(k.addr);
	struct val_slot s;
	assert_true(val_field_slot(c->v, obj, field_of(c, obj, name), &s));
	uint64_t target = 0;
	assert_int_equal(val_slot_kind(c->v, &s, &target), kind);
	if (kind == VAL_OBJECT)
		assert_true(target != 0);
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_slot_text(c->v, &s, &b, NULL), CH_OK);
	if (text) {
		if (!text_len)
			text_len = strlen(text);
		if (b.len != text_len || memcmp(b.p, text, text_len) != 0)
			fail_msg("%s.%s: got [%s] want [%s]", type, name, b.p, text);
	}
	val_buf_free(&b);
}

static void test_value_files(void **state)
{
	struct ctx *c = *state;
	check_field(c, "Zoo.Strings", 0, "Newlines", VAL_LEAF, "line1\nline2\r\n\ttabbed\n", 0);
	check_field(c, "Zoo.Strings", 0, "Null", VAL_NULL, "null\n", 0);
	check_field(c, "Zoo.Strings", 0, "Empty", VAL_LEAF, "\n", 0);
	check_field(c, "Zoo.Strings", 0, "EmbeddedNul", VAL_LEAF, "a\0b\0\n", 5);
	check_field(c, "Zoo.Strings", 0, "Reversed", VAL_LEAF, "\xef\xbf\xbd\xef\xbf\xbd\n", 0);
	check_field(c, "Zoo.Primitives", 3, "F64", VAL_LEAF, "NaN\n", 0);
	check_field(c, "Zoo.Primitives", 3, "C", VAL_LEAF, "\xef\xbf\xbd\n", 0);
	check_field(c, "Zoo.Primitives", 0, "I64", VAL_LEAF, "-9223372036854775808\n", 0);
	check_field(c, "Zoo.Primitives", 1, "U64", VAL_LEAF, "18446744073709551615\n", 0);
	check_field(c, "Zoo.Primitives", 4, "F32", VAL_LEAF, "Infinity\n", 0);
	check_field(c, "Zoo.Enums", 0, "ReadWrite", VAL_LEAF, "Read, Write\n", 0);
	check_field(c, "Zoo.Enums", 0, "ColorUndefined", VAL_LEAF, "200\n", 0);
	check_field(c, "Zoo.Times", 0, "Utc", VAL_LEAF, "2026-11-01T03:04:05.1234567Z\n", 0);
	check_field(c, "Zoo.Decimals", 0, "Price", VAL_LEAF, "12.50\n", 0);
	check_field(c, "Zoo.Ids", 0, "Fixed", VAL_LEAF, "d85b1407-351d-4694-9392-03acc5870eb1\n", 0);
	check_field(c, "Zoo.Nullables", 0, "IntWith", VAL_LEAF, "5\n", 0);
	check_field(c, "Zoo.Nullables", 0, "IntWithout", VAL_NULL, "null\n", 0);
	check_field(c, "Zoo.Nullables", 0, "WhenWith", VAL_LEAF, "2020-02-02T02:02:02.0000000Z\n", 0);
	check_field(c, "Zoo.Nullables", 0, "ColorWith", VAL_LEAF, "Green\n", 0);
	check_field(c, "Zoo.Nullables", 0, "PointWith", VAL_STRUCT,
		    "{\"$type\":\"Zoo.Point\",\"X\":1,\"Y\":-1}\n", 0);
	check_field(c, "Zoo.Structs", 0, "Point", VAL_STRUCT,
		    "{\"$type\":\"Zoo.Point\",\"X\":3,\"Y\":4}\n", 0);
	check_field(c, "Zoo.Net", 0, "V6Scoped", VAL_LEAF, "fe80::1ff:fe23:4567:890a%3\n", 0);
	check_field(c, "Zoo.Net", 0, "Escaped", VAL_LEAF, "https://example.com/a b/c?d=\xc3\xa9\n", 0);
	check_field(c, "Zoo.Net", 0, "V2", VAL_LEAF, "1.2\n", 0);
	check_field(c, "Zoo.Boxes", 0, "Int", VAL_LEAF, "42\n", 0);
	check_field(c, "Zoo.Boxes", 0, "NullableNull", VAL_NULL, "null\n", 0);
	check_field(c, "Zoo.Boxes", 0, "Plain", VAL_OBJECT, NULL, 0);
	check_field(c, "Zoo.Boxes", 0, "Char", VAL_LEAF, "x\n", 0);
	check_field(c, "Zoo.Times", 0, "SpanMin", VAL_LEAF, "-10675199.02:48:05.4775808\n", 0);
	check_field(c, "Zoo.Times", 0, "Minus530", VAL_LEAF, "1999-12-31T23:59:59.0000000-05:30\n", 0);
}

static void test_elements(void **state)
{
	struct ctx *c = *state;
	struct collect k = objects_of(c, "Zoo.Arrays");
	uint64_t arrays = k.addr[0];
	free(k.addr);
	uint64_t ints;
	assert_true(as_u64(c->f.a, arrays + 8 + field_of(c, arrays, "Ints")->offset, &ints));
	struct val_slot s;
	struct val_buf b;
	val_buf_init(&b);
	assert_true(val_elem_slot(c->v, ints, 3, &s));
	assert_int_equal(val_slot_kind(c->v, &s, NULL), VAL_LEAF);
	assert_int_equal(val_slot_text(c->v, &s, &b, NULL), CH_OK);
	assert_string_equal(b.p, "-2147483648\n");
	assert_false(val_elem_slot(c->v, ints, 4, &s));
	assert_false(val_elem_slot(c->v, arrays, 0, &s)); /* not an array */
	/* an enum array element: its name */
	uint64_t colors;
	assert_true(as_u64(c->f.a, arrays + 8 + field_of(c, arrays, "Colors")->offset, &colors));
	assert_true(val_elem_slot(c->v, colors, 1, &s));
	val_buf_reset(&b);
	assert_int_equal(val_slot_json(c->v, &s, &b, NULL), CH_OK);
	assert_string_equal(b.p, "\"Blue\"");
	/* the array itself */
	val_buf_reset(&b);
	assert_int_equal(val_object_json(c->v, ints, &b, NULL), CH_OK);
	assert_non_null(strstr(b.p, "\"$type\":\"System.Int32[]\",\"$items\":[1,-2,2147483647,-2147483648]}"));
	val_buf_free(&b);
}

static void test_statics(void **state)
{
	struct ctx *c = *state;
	uint64_t mt = fx_mt(&c->f, "Zoo.Statics");
	if (!mt) { /* no instances: a static class */
		const struct heap_stat_row *rows;
		size_t n;
		assert_int_equal(heap_stat(c->f.h, &rows, &n, NULL), CH_OK);
		uint64_t *mts = calloc(n, sizeof *mts);
		for (size_t i = 0; i < n; i++)
			mts[i] = rows[i].mt;
		mt = clr_find_type(c->f.c, "Zoo.Statics", mts, n);
		free(mts);
	}
	assert_true(mt != 0);
	struct val_buf b;
	val_buf_init(&b);
	assert_int_equal(val_statics_json(c->v, clr_type_of(c->f.c, mt, NULL), &b, NULL), CH_OK);
	const char *p = strstr(c->truth, "\"Zoo.Statics\":{");
	assert_non_null(p);
	p += strlen("\"Zoo.Statics\":{");
	const char *e = strstr(p, "},\n");
	assert_non_null(e);
	char want[4096];
	snprintf(want, sizeof want, "{\"$type\":\"Zoo.Statics\",%.*s,\"$threads\":[", (int)(e - p), p);
	assert_true(strncmp(b.p, want, strlen(want)) == 0);
	/* each thread's values, as the truth lists them */
	const char *tag = "{\"type\":\"Zoo.Statics\",";
	size_t seen = 0;
	for (p = strstr(c->truth, tag); p; p = strstr(p + 1, tag)) {
		e = strstr(p, "}}}");
		assert_non_null(e);
		snprintf(want, sizeof want, "{%.*s}}}", (int)(e - p - strlen(tag)), p + strlen(tag));
		if (!strstr(b.p, want))
			fail_msg("thread statics: want %s in %s", want, b.p);
		seen++;
	}
	assert_int_equal(seen, 2);
	val_buf_free(&b);
}

/* A static field whose statics are not allocated (its class never ran its
 * constructor) is left out of the type's statics document, as ClrMD leaves
 * it, not written as null; the document stays JSON. Found by scanning the
 * zoo's types with instances. */
static void test_statics_unallocated(void **state)
{
	struct ctx *c = *state;
	const struct heap_stat_row *rows;
	size_t n, found = 0;
	assert_int_equal(heap_stat(c->f.h, &rows, &n, NULL), CH_OK);
	struct val_buf b;
	val_buf_init(&b);
	for (size_t i = 0; i < n && found < 5; i++) {
		const struct clr_type *t = clr_type_of(c->f.c, rows[i].mt, NULL);
		size_t nf, ninst;
		const struct clr_field *f = t ? clr_type_fields(c->f.c, t, &nf, &ninst, NULL) : NULL;
		const char *missing = NULL;
		for (size_t k = ninst; f && k < nf && !missing; k++) {
			struct val_slot s;
			if (!(f[k].flags & (CLR_FIELD_RVA | CLR_FIELD_THREAD)) && f[k].name[0] != '<' &&
			    !val_static_slot(c->v, t, &f[k], &s))
				missing = f[k].name;
		}
		if (!missing)
			continue;
		val_buf_reset(&b);
		assert_int_equal(val_statics_json(c->v, t, &b, NULL), CH_OK);
		char key[512];
		snprintf(key, sizeof key, "\"%s\":", missing);
		if (strstr(b.p, key))
			fail_msg("%s: unallocated static %s written: %.300s", t->name, missing, b.p);
		json_error_t je;
		json_t *j = json_loads(b.p, JSON_DECODE_ANY, &je);
		if (!j)
			fail_msg("%s: statics are not JSON (%s): %.300s", t->name, je.text, b.p);
		json_decref(j);
		found++;
	}
	assert_true(found > 0);
	val_buf_free(&b);
}

static void test_depth(void **state)
{
	struct ctx *c = *state;
	struct collect k = objects_of(c, "Zoo.Node");
	struct val_buf b;
	val_buf_init(&b);
	val_set_depth(c->v, 0);
	for (size_t i = 0; i < k.n; i++) {
		val_buf_reset(&b);
		assert_int_equal(val_object_json(c->v, k.addr[i], &b, NULL), CH_OK);
		assert_true(strstr(b.p, "\"Next\":null") || strstr(b.p, "\"Next\":{\"$ref\":\"0x"));
		assert_null(strstr(b.p, "\"Next\":{\"$addr\""));
	}
	val_set_depth(c->v, 1000); /* capped */
	assert_int_equal(val_depth(c->v), VAL_MAX_DEPTH);
	val_buf_reset(&b);
	assert_int_equal(val_object_json(c->v, k.addr[0], &b, NULL), CH_OK); /* a ring ends */
	val_set_depth(c->v, VAL_DEFAULT_DEPTH);
	/* not an object */
	assert_int_not_equal(val_object_json(c->v, 0x10, &b, &c->f.err), CH_OK);
	free(k.addr);
	val_buf_free(&b);
}

/* Several threads rendering every object at once, on a renderer whose
 * plans are still being built, all write the same bytes. */
struct par {
	struct ctx *c;
	uint64_t hash, n;
	struct val_buf b;
	bool bad;
};

static bool par_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	(void)size;
	struct par *p = arg;
	val_buf_reset(&p->b);
	if (val_object_json(p->c->v, obj, &p->b, NULL) != CH_OK) {
		p->bad = true;
		return true;
	}
	for (size_t i = 0; i < p->b.len; i++)
		p->hash = (p->hash ^ (uint8_t)p->b.p[i]) * 0x100000001b3ULL;
	p->n++;
	return true;
}

static void *par_run(void *arg)
{
	struct par *p = arg;
	heap_walk(p->c->f.h, par_cb, p);
	return NULL;
}

static void test_threads(void **state)
{
	struct ctx *c = *state;
	struct ctx fresh = *c;
	assert_int_equal(val_open(c->f.c, &fresh.v, NULL), CH_OK); /* no plans yet */
	enum { N = 4 };
	struct par p[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		memset(&p[i], 0, sizeof p[i]);
		p[i].c = &fresh;
		p[i].hash = 0xcbf29ce484222325ULL;
		val_buf_init(&p[i].b);
		assert_int_equal(pthread_create(&t[i], NULL, par_run, &p[i]), 0);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < N; i++) {
		assert_false(p[i].bad);
		assert_true(p[i].n > 1000);
		assert_int_equal(p[i].n, p[0].n);
		assert_int_equal(p[i].hash, p[0].hash);
		val_buf_free(&p[i].b);
	}
	val_close(fresh.v);
}

/* visits: F# option (None is null), IPAddress v4/v6, DateTime kinds. */
static void test_visits(void **state)
{
	struct ctx *c = *state;
	struct collect k = objects_of(c, "Bugfree.Spo.Analytics.Cli.Domain+Visit");
	assert_int_equal(k.n, 2000);
	struct val_buf b;
	val_buf_init(&b);
	size_t none = 0;
	for (size_t i = 0; i < k.n; i++) {
		char *want = truth_line(c, k.addr[i]);
		assert_non_null(want);
		val_buf_reset(&b);
		assert_int_equal(val_object_json(c->v, k.addr[i], &b, NULL), CH_OK);
		if (strcmp(b.p, want) != 0)
			fail_msg("visit 0x%llx:\n  want %s\n  got  %s", (unsigned long long)k.addr[i], want, b.p);
		none += strstr(want, "\"PageLoadTime\":null") != NULL;
		free(want);
	}
	assert_true(none > 0);
	/* value files of an F# option: the value itself, or null for None */
	struct val_slot s;
	size_t some = 0, nulls = 0;
	for (size_t i = 0; i < k.n && i < 200; i++) {
		assert_true(val_field_slot(c->v, k.addr[i], field_of(c, k.addr[i], "UserAgent@"), &s));
		val_buf_reset(&b);
		assert_int_equal(val_slot_text(c->v, &s, &b, NULL), CH_OK);
		enum val_kind kind = val_slot_kind(c->v, &s, NULL);
		if (kind == VAL_NULL) {
			assert_string_equal(b.p, "null\n");
			nulls++;
		} else {
			assert_int_equal(kind, VAL_LEAF);
			assert_true(strncmp(b.p, "Mozilla/", 8) == 0 || strncmp(b.p, "curl/", 5) == 0);
			some++;
		}
	}
	assert_true(some > 0 && nulls > 0);
	free(k.addr);
	val_buf_free(&b);
}

/* The mailbox's arrivals queue lists the messages in the order posted. */
static void test_mailbox(void **state)
{
	struct ctx *c = *state;
	struct collect k = objects_of(c, "Microsoft.FSharp.Control.Mailbox<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>");
	assert_int_equal(k.n, 1);
	struct val_buf b;
	val_buf_init(&b);
	val_set_depth(c->v, 2);
	assert_int_equal(val_object_json(c->v, k.addr[0], &b, NULL), CH_OK);
	val_set_depth(c->v, VAL_DEFAULT_DEPTH);
	const char *p = strstr(b.p, "\"arrivals\":[");
	assert_non_null(p);
	/* the next field (F# locks the queue itself: syncRoot is it again) */
	const char *end = strstr(p, "],\"");
	assert_non_null(end);
	/* each message's item is a $ref to the visit of the truth's next line */
	const char *t = c->truth;
	size_t n = 0;
	while ((p = strstr(p, "\"item\":{\"$ref\":\"")) != NULL && p < end) {
		p += strlen("\"item\":{\"$ref\":\"");
		const char *q = strchr(p, '"');
		assert_non_null(q);
		assert_memory_equal(t + strlen("{\"$addr\":\""), p, (size_t)(q - p));
		t = strchr(t, '\n');
		assert_non_null(t);
		t++;
		n++;
	}
	assert_int_equal(n, 2000);
	free(k.addr);
	val_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_real_round_trip),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_utf16),
	};
	const struct CMUnitTest zoo[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_times_real),
		cmocka_unit_test(test_decimals_real),
		cmocka_unit_test(test_guids_real),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_nullables),
		cmocka_unit_test(test_structs),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_boxes),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_generics),
		cmocka_unit_test(test_value_files),
		cmocka_unit_test(test_elements),
		cmocka_unit_test(test_statics),
		cmocka_unit_test(test_statics_unallocated),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_threads),
	};
	const struct CMUnitTest visits[] = {
		cmocka_unit_test(test_visits),
		cmocka_unit_test(test_mailbox),
	};
	int rc = cmocka_run_group_tests_name("formatters", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("zoo", zoo, zoo_setup, ctx_teardown);
	rc += cmocka_run_group_tests_name("visits", visits, visits_setup, ctx_teardown);
	return rc;
}
