/* val_fmt.c - the text .NET itself prints for leaf values, with the
 * invariant culture: floats in shortest round-trip form ("R"), decimal
 * with its scale, DateTime/DateTimeOffset "o", TimeSpan "c", Guid,
 * IPAddress. Pure functions over bytes already read. */
#include "val_priv.h"

#include "rdr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- floats ----
 * The digits: the fewest significant digits n such that some n-digit
 * decimal reads back to the same value; of those, the one nearest the
 * value. glibc's printf rounds exactly and strtod reads exactly, so for a
 * given n the candidates are the correctly rounded n digits and, where the
 * rounding interval is lopsided (at powers of two), its neighbour on the
 * other side. Round-tripping is monotonic in n, so n is found by binary
 * search. The layout then follows .NET's "R": scientific notation when the
 * decimal exponent is below -4 or beyond max(n, 15) (7 for float), with an
 * exponent of at least two digits and a sign. */

struct digits {
	char d[24]; /* significant digits, no leading zero */
	int n;      /* how many */
	int e;      /* value = 0.d1d2... * 10^e */
};

/* Parses "%.*e" output ("d.ddde+XX", no sign) into digits. */
static void parse_e(const char *s, struct digits *out)
{
	int n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && n < 23)
			out->d[n++] = *s;
	out->n = n;
	out->e = (*s == 'e' ? atoi(s + 1) : 0) + 1;
}

static bool reads_back(const struct digits *g, double want, bool single)
{
	char buf[48];
	snprintf(buf, sizeof buf, "0.%.*se%d", g->n, g->d, g->e);
	if (single) {
		float f = strtof(buf, NULL);
		return memcmp(&f, &(float){ (float)want }, sizeof f) == 0;
	}
	double d = strtod(buf, NULL);
	return memcmp(&d, &want, sizeof d) == 0;
}

/* Adds delta (+1/-1) to the last digit of g, carrying. */
static bool step_digits(struct digits *g, int delta)
{
	int i = g->n - 1;
	if (delta > 0) {
		while (i >= 0 && g->d[i] == '9')
			g->d[i--] = '0';
		if (i < 0) { /* 999 -> 1000: 100 at the next exponent */
			g->d[0] = '1';
			g->e++;
			return true;
		}
		g->d[i]++;
		return true;
	}
	while (i >= 0 && g->d[i] == '0')
		g->d[i--] = '9';
	if (i < 0)
		return false;
	g->d[i]--;
	if (g->d[0] == '0') { /* 100 -> 099: drop the leading zero */
		memmove(g->d, g->d + 1, (size_t)g->n - 1);
		g->d[g->n - 1] = '9';
		g->e--;
	}
	return true;
}

/* Tries n significant digits; on success fills *g. */
static bool try_digits(double v, int n, bool single, struct digits *g)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*e", n - 1, v);
	parse_e(buf, g);
	if (g->n != n)
		return false;
	if (reads_back(g, v, single))
		return true;
	/* the neighbour on the other side of v */
	char rb[48];
	snprintf(rb, sizeof rb, "0.%.*se%d", g->n, g->d, g->e);
	double r = strtod(rb, NULL);
	struct digits h = *g;
	if (!step_digits(&h, r < v ? 1 : -1))
		return false;
	if (h.n == n && reads_back(&h, v, single)) {
		*g = h;
		return true;
	}
	return false;
}

static size_t layout(const struct digits *g, bool neg, int min_fixed, char *out)
{
	char *o = out;
	int n = g->n;
	/* trailing zeros are not significant */
	while (n > 1 && g->d[n - 1] == '0')
		n--;
	int maxd = n > min_fixed ? n : min_fixed;
	int e = g->e;
	if (neg)
		*o++ = '-';
	if (e > maxd || e < -3) {
		*o++ = g->d[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, g->d + 1, (size_t)n - 1);
			o += n - 1;
		}
		int x = e - 1;
		*o++ = 'E';
		*o++ = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		o += sprintf(o, "%02d", x);
	} else if (e <= 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -e; i++)
			*o++ = '0';
		memcpy(o, g->d, (size_t)n);
		o += n;
	} else if (e >= n) {
		memcpy(o, g->d, (size_t)n);
		o += n;
		for (int i = n; i < e; i++)
			*o++ = '0';
	} else {
		memcpy(o, g->d, (size_t)e);
		o += e;
		*o++ = '.';
		memcpy(o, g->d + e, (size_t)(n - e));
		o += n - e;
	}
	*o = '\0';
	return (size_t)(o - out);
}

static size_t fmt_real(double v, bool single, char *out)
{
	if (isnan(v))
		return (size_t)sprintf(out, "NaN");
	if (isinf(v))
		return (size_t)sprintf(out, v < 0 ? "-Infinity" : "Infinity");
	bool neg = signbit(v);
	if (v == 0)
		return (size_t)sprintf(out, neg ? "-0" : "0");
	double a = fabs(v);
	int lo = 1, hi = single ? 9 : 17;
	struct digits best, g;
	if (!try_digits(a, hi, single, &best)) /* cannot happen: 17 digits always do */
		return (size_t)sprintf(out, single ? "%.9g" : "%.17g", v);
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (try_digits(a, mid, single, &g)) {
			best = g;
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	return layout(&best, neg, single ? 7 : 15, out);
}

size_t val_fmt_double(double d, char *out)
{
	return fmt_real(d, false, out);
}

size_t val_fmt_float(float f, char *out)
{
	return fmt_real((double)f, true, out);
}

/* ---- decimal ---- */

size_t val_fmt_decimal(uint32_t flags, uint32_t hi32, uint64_t lo64, char *out)
{
	uint32_t w[3] = { (uint32_t)lo64, (uint32_t)(lo64 >> 32), hi32 };
	char rev[32];
	int n = 0;
	while ((w[0] | w[1] | w[2]) && n < 30) {
		uint64_t rem = 0;
		for (int i = 2; i >= 0; i--) {
			uint64_t cur = rem << 32 | w[i];
			w[i] = (uint32_t)(cur / 10);
			rem = cur % 10;
		}
		rev[n++] = (char)('0' + rem);
	}
	bool zero = n == 0;
	unsigned scale = (flags >> 16) & 0xff;
	if (scale > 28)
		scale = 28;
	while (n <= (int)scale)
		rev[n++] = '0';
	char *o = out;
	if ((flags & 0x80000000u) && !zero)
		*o++ = '-';
	for (int i = n - 1; i >= 0; i--) {
		*o++ = rev[i];
		if (i == (int)scale && scale > 0)
			*o++ = '.';
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* ---- time ---- */

#define TICKS_PER_DAY 864000000000ULL
#define TICKS_MASK 0x3fffffffffffffffULL

static char *put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
	return o + 2;
}

static char *put7(char *o, unsigned v)
{
	for (int i = 6; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + 7;
}

/* yyyy-MM-ddTHH:mm:ss.fffffff from ticks since 0001-01-01. */
static char *put_clock(char *o, uint64_t ticks)
{
	uint64_t days = ticks / TICKS_PER_DAY, t = ticks % TICKS_PER_DAY;
	/* days since 0001-01-01 to a civil date (proleptic Gregorian): shift
	 * to a March-based year so leap days come last */
	uint64_t z = days + 306; /* 0000-03-01 .. 0001-01-01 is 306 days */
	uint64_t era = z / 146097, doe = z % 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (m <= 2)
		y++;
	if (y > 9999) {
		o += sprintf(o, "%llu", (unsigned long long)y);
	} else {
		o = put2(o, (unsigned)(y / 100));
		o = put2(o, (unsigned)(y % 100));
	}
	*o++ = '-';
	o = put2(o, m);
	*o++ = '-';
	o = put2(o, d);
	*o++ = 'T';
	unsigned secs = (unsigned)(t / 10000000), frac = (unsigned)(t % 10000000);
	o = put2(o, secs / 3600);
	*o++ = ':';
	o = put2(o, secs / 60 % 60);
	*o++ = ':';
	o = put2(o, secs % 60);
	*o++ = '.';
	return put7(o, frac);
}

size_t val_fmt_datetime(uint64_t date_data, char *out)
{
	char *o = put_clock(out, date_data & TICKS_MASK);
	if (date_data >> 62 == 1) /* Utc; Local (2, 3) prints bare: the zone is unknown */
		*o++ = 'Z';
	*o = '\0';
	return (size_t)(o - out);
}

size_t val_fmt_dto(uint64_t utc_date_data, int32_t offset_minutes, char *out)
{
	int64_t ticks = (int64_t)(utc_date_data & TICKS_MASK) +
			(int64_t)offset_minutes * 600000000LL;
	char *o = put_clock(out, ticks < 0 ? 0 : (uint64_t)ticks);
	int32_t m = offset_minutes;
	*o++ = m < 0 ? '-' : '+';
	if (m < 0)
		m = -m;
	o = put2(o, (unsigned)(m / 60 % 100));
	*o++ = ':';
	o = put2(o, (unsigned)(m % 60));
	*o = '\0';
	return (size_t)(o - out);
}

size_t val_fmt_timespan(int64_t ticks, char *out)
{
	char *o = out;
	uint64_t mag = ticks < 0 ? (uint64_t)0 - (uint64_t)ticks : (uint64_t)ticks;
	if (ticks < 0)
		*o++ = '-';
	uint64_t days = mag / TICKS_PER_DAY, t = mag % TICKS_PER_DAY;
	if (days)
		o += sprintf(o, "%llu.", (unsigned long long)days);
	unsigned secs = (unsigned)(t / 10000000), frac = (unsigned)(t % 10000000);
	o = put2(o, secs / 3600);
	*o++ = ':';
	o = put2(o, secs / 60 % 60);
	*o++ = ':';
	o = put2(o, secs % 60);
	if (frac) {
		*o++ = '.';
		o = put7(o, frac);
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* ---- identifiers and addresses ---- */

static const char hexd[] = "0123456789abcdef";

static char *hexn(char *o, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		o[i] = hexd[v & 15];
		v >>= 4;
	}
	return o + digits;
}

size_t val_fmt_guid(const uint8_t g[16], char *out)
{
	char *o = out;
	o = hexn(o, rdr_le32(g), 8);
	*o++ = '-';
	o = hexn(o, rdr_le16(g + 4), 4);
	*o++ = '-';
	o = hexn(o, rdr_le16(g + 6), 4);
	*o++ = '-';
	o = hexn(o, g[8], 2);
	o = hexn(o, g[9], 2);
	*o++ = '-';
	for (int i = 10; i < 16; i++)
		o = hexn(o, g[i], 2);
	*o = '\0';
	return 36;
}

static char *put_dec(char *o, unsigned v)
{
	char t[12];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = t[--n];
	return o;
}

size_t val_fmt_ipv4(const uint8_t b[4], char *out)
{
	char *o = out;
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		o = put_dec(o, b[i]);
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* The longest run (first of equals) of at least two zero groups in
 * g[0..n): [*start, *end), or start -1. */
static void zero_run(const uint16_t *g, int n, int *start, int *end)
{
	int best = 0, bstart = -1, cur = 0;
	for (int i = 0; i < n; i++) {
		if (g[i] == 0) {
			cur++;
			if (cur > best) {
				best = cur;
				bstart = i - cur + 1;
			}
		} else {
			cur = 0;
		}
	}
	*start = best > 1 ? bstart : -1;
	*end = best > 1 ? bstart + best : 0;
}

/* A group in lowercase hex without leading zeros. */
static char *put_hex16(char *o, unsigned v)
{
	int digits = v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1;
	return hexn(o, v, digits);
}

static char *put_groups(char *o, const uint16_t *g, int n)
{
	int zs, ze;
	zero_run(g, n, &zs, &ze);
	bool colon = false;
	int i = 0;
	if (zs >= 0) {
		for (; i < zs; i++) {
			if (colon)
				*o++ = ':';
			colon = true;
			o = put_hex16(o, g[i]);
		}
		*o++ = ':';
		*o++ = ':';
		colon = false;
		i = ze;
	}
	for (; i < n; i++) {
		if (colon)
			*o++ = ':';
		colon = true;
		o = put_hex16(o, g[i]);
	}
	return o;
}

size_t val_fmt_ipv6(const uint16_t g[8], uint32_t scope, char *out)
{
	char *o = out;
	/* RFC 5952 section 5 (::x.x.x.x, ::ffff:x.x.x.x), SIIT
	 * (::ffff:0:x.x.x.x) and ISATAP (…:0:5efe:x.x.x.x) end in IPv4 */
	bool v4 = (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[6] != 0 &&
		   ((g[4] == 0 && (g[5] == 0 || g[5] == 0xffff)) ||
		    (g[4] == 0xffff && g[5] == 0))) ||
		  (g[4] == 0 && g[5] == 0x5efe);
	if (v4) {
		o = put_groups(o, g, 6);
		if (o[-1] != ':')
			*o++ = ':';
		uint8_t b[4] = { (uint8_t)(g[6] >> 8), (uint8_t)g[6], (uint8_t)(g[7] >> 8),
				 (uint8_t)g[7] };
		o += val_fmt_ipv4(b, o);
	} else {
		o = put_groups(o, g, 8);
	}
	if (scope) {
		*o++ = '%';
		o = put_dec(o, scope);
	}
	*o = '\0';
	return (size_t)(o - out);
}
