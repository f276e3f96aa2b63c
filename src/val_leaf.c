/* val_leaf.c - leaf values read from the dump: primitives, strings, enums
 * and the well-known structs and classes, as JSON or value-file text. */
#include "jw.h"
#include "val_priv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "exc.h"
#include "rdr.h"

static const char hexd[] = "0123456789abcdef";

/* ---- strings ---- */

/* Appends the JSON escape of an ASCII control or quote character. */
static char *esc_ascii(char *o, unsigned c)
{
	*o++ = '\\';
	switch (c) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\n': *o++ = 'n'; break;
	case '\r': *o++ = 'r'; break;
	case '\t': *o++ = 't'; break;
	case '\b': *o++ = 'b'; break;
	case '\f': *o++ = 'f'; break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hexd[c >> 4];
		o[4] = hexd[c & 15];
		o += 5;
	}
	return o;
}

/* True for an ASCII character JSON takes as it is. */
static inline bool plain_ascii(unsigned c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

/* The UTF-8 of n UTF-16 units, without quotes. */
static void utf16_body(struct val_buf *b, const uint8_t *s, size_t n, bool json)
{
	/* at most 6 bytes out per unit (\u00XX), 3 for any other unit */
	if (n > (SIZE_MAX - 8) / 6 || !vb_grow(b, n * 6 + 3))
		return;
	char *o = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		/* fast path: four units of printable ASCII at a time */
		while (n - i >= 4) {
			uint64_t w;
			memcpy(&w, s + 2 * i, 8);
			if (w & 0xff80ff80ff80ff80ULL)
				break;
			unsigned c0 = (unsigned)(w & 0x7f), c1 = (unsigned)(w >> 16 & 0x7f),
				 c2 = (unsigned)(w >> 32 & 0x7f), c3 = (unsigned)(w >> 48 & 0x7f);
			if (json && (!plain_ascii(c0) || !plain_ascii(c1) || !plain_ascii(c2) ||
				     !plain_ascii(c3)))
				break;
			o[0] = (char)c0;
			o[1] = (char)c1;
			o[2] = (char)c2;
			o[3] = (char)c3;
			o += 4;
			i += 4;
		}
		if (i == n)
			break;
		unsigned c = rdr_le16(s + 2 * i);
		if (c < 0x80) {
			if (json && (c < 0x20 || c == '"' || c == '\\'))
				o = esc_ascii(o, c);
			else
				*o++ = (char)c;
		} else if (c < 0x800) {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		} else if (c >= 0xd800 && c <= 0xdfff) {
			unsigned lo = i + 1 < n ? rdr_le16(s + 2 * i + 2) : 0;
			if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
				unsigned cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				*o++ = (char)(0xf0 | cp >> 18);
				*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
				i++;
			} else { /* unpaired: U+FFFD */
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
			}
		} else {
			*o++ = (char)(0xe0 | c >> 12);
			*o++ = (char)(0x80 | (c >> 6 & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

void val_utf16(struct val_buf *b, const uint8_t *s, size_t n, bool json)
{
	if (json)
		vb_ch(b, '"');
	utf16_body(b, s, n, json);
	if (json)
		vb_ch(b, '"');
}

void vb_utf8(struct val_buf *b, const char *s, size_t n, bool json)
{
	if (n > (SIZE_MAX - 8) / 6 || !vb_grow(b, n * 6 + 3))
		return;
	const unsigned char *p = (const unsigned char *)s;
	char *o = b->p + b->len;
	if (json)
		*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (json && (c < 0x20 || c == '"' || c == '\\'))
				o = esc_ascii(o, c);
			else
				*o++ = (char)c;
			i++;
			continue;
		}
		size_t k = jw_utf8_len(p + i, n - i);
		if (k == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, k);
		o += k;
		i += k;
	}
	if (json)
		*o++ = '"';
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

/* A string object's characters. In JSON, one longer than the cap shows
 * its first characters (a surrogate pair is never split) as
 * {"$string":"...","$length":N}. */
void leaf_string(struct rctx *rc, uint64_t addr, bool json)
{
	struct val *v = rc->v;
	uint32_t n;
	if (!as_u32(v->a, addr + v->ps, &n) || n > VAL_MAX_STRING) {
		if (json) {
			vb_put(rc->b, "{\"$ref\":", 8);
			vb_hexaddr(rc->b, addr);
			vb_str(rc->b, ",\"$error\":\"bad string length\"}");
		}
		return;
	}
	uint64_t chars = addr + v->ps + 4;
	const uint8_t *p = n ? as_ptr(v->a, chars, (size_t)n * 2) : (const uint8_t *)"";
	uint8_t last[2];
	if (!p && as_read(v->a, chars + 2 * (uint64_t)n - 2, last, 2) != 2) {
		/* its length runs past what the dump holds: damage */
		if (json) {
			vb_put(rc->b, "{\"$ref\":", 8);
			vb_hexaddr(rc->b, addr);
			vb_str(rc->b, ",\"$error\":\"string not readable\"}");
		}
		return;
	}
	uint32_t show = n;
	if (json && n > v->show_chars) {
		uint8_t u[2];
		show = v->show_chars;
		if (as_read(v->a, chars + 2 * (uint64_t)show - 2, u, 2) == 2 &&
		    rdr_le16(u) >= 0xd800 && rdr_le16(u) <= 0xdbff)
			show--;
		vb_str(rc->b, "{\"$string\":");
	}
	if (p) {
		val_utf16(rc->b, p, show, json);
	} else {
		/* not contiguous in the dump: convert it in pieces that never
		 * split a surrogate pair; stop where the dump has no more of it */
		uint8_t tmp[8192];
		if (json)
			vb_ch(rc->b, '"');
		for (uint64_t i = 0; i < show;) {
			size_t want = show - i < sizeof tmp / 2 ? (size_t)(show - i) : sizeof tmp / 2;
			size_t got = as_read(v->a, chars + 2 * i, tmp, want * 2) / 2;
			if (got == 0)
				break;
			unsigned unit = rdr_le16(tmp + 2 * (got - 1));
			if (got > 1 && i + got < show && unit >= 0xd800 && unit <= 0xdbff)
				got--; /* its low half comes with the next piece */
			utf16_body(rc->b, tmp, got, json);
			i += got;
		}
		if (json)
			vb_ch(rc->b, '"');
	}
	if (show != n) {
		char len[32];
		snprintf(len, sizeof len, ",\"$length\":%" PRIu32 "}", n);
		vb_str(rc->b, len);
	}
}

/* Whether a string's length is within the JSON cap (a dictionary key
 * longer than that is shown by its address). */
bool leaf_string_fits(struct rctx *rc, uint64_t addr)
{
	uint32_t n;
	return as_u32(rc->v->a, addr + rc->v->ps, &n) && n <= rc->v->show_chars;
}

/* ---- primitives ---- */

unsigned elem_size(uint8_t elem, unsigned ps)
{
	switch (elem) {
	case MD_ELEM_BOOLEAN: case MD_ELEM_I1: case MD_ELEM_U1:
		return 1;
	case MD_ELEM_CHAR: case MD_ELEM_I2: case MD_ELEM_U2:
		return 2;
	case MD_ELEM_I4: case MD_ELEM_U4: case MD_ELEM_R4:
		return 4;
	case MD_ELEM_I8: case MD_ELEM_U8: case MD_ELEM_R8:
		return 8;
	case MD_ELEM_I: case MD_ELEM_U: case MD_ELEM_PTR: case MD_ELEM_FNPTR:
		return ps;
	}
	return 0;
}

uint64_t load_bits(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1: return p[0];
	case 2: return rdr_le16(p);
	case 4: return rdr_le32(p);
	case 8: return rdr_le64(p);
	}
	return 0;
}

static bool is_signed(uint8_t elem)
{
	return elem == MD_ELEM_I1 || elem == MD_ELEM_I2 || elem == MD_ELEM_I4 ||
	       elem == MD_ELEM_I8 || elem == MD_ELEM_I;
}

/* Sign-extends bits of a size-byte signed integer. */
static int64_t sext(uint64_t bits, unsigned size)
{
	if (size >= 8)
		return (int64_t)bits;
	unsigned sh = 64 - 8 * size;
	return (int64_t)(bits << sh) >> sh;
}

static void put_number(struct val_buf *b, uint8_t elem, uint64_t bits, unsigned size)
{
	if (is_signed(elem))
		vb_i64(b, sext(bits, size));
	else
		vb_u64(b, bits);
}

static void put_float_text(struct val_buf *b, double d, bool single, bool json)
{
	char t[40];
	size_t n = single ? val_fmt_float((float)d, t) : val_fmt_double(d, t);
	bool special = isnan(d) || isinf(d);
	if (json && special)
		vb_ch(b, '"');
	vb_put(b, t, n);
	if (json && special)
		vb_ch(b, '"');
}

void leaf_prim(struct rctx *rc, uint8_t elem, const struct span *s, uint64_t off, bool json)
{
	struct val_buf *b = rc->b;
	unsigned size = elem_size(elem, rc->v->ps);
	uint8_t raw[8];
	if (!size || !sp_read(rc->v, s, off, raw, size)) {
		vb_str(b, "null");
		return;
	}
	uint64_t bits = load_bits(raw, size);
	switch (elem) {
	case MD_ELEM_BOOLEAN:
		vb_str(b, bits ? "true" : "false");
		return;
	case MD_ELEM_CHAR:
		val_utf16(b, raw, 1, json);
		return;
	case MD_ELEM_R4: {
		float f;
		memcpy(&f, raw, 4);
		put_float_text(b, f, true, json);
		return;
	}
	case MD_ELEM_R8: {
		double d;
		memcpy(&d, raw, 8);
		put_float_text(b, d, false, json);
		return;
	}
	}
	put_number(b, elem, bits, size);
}

/* ---- enums ---- */

/* The member Enum.ToString names for bits. Of several with that value
 * (in .NET's sorted order) a [Flags] enum takes the last, as it walks down
 * from the largest, and zero the first; a plain enum the one .NET meets:
 * up to 32 members the first (IndexOf), past that the first a classic
 * binary search hits, midpoint (lo + hi) / 2 of an inclusive range. */
const struct enum_member *val_enum_find(const struct enum_info *en, uint64_t bits)
{
	if (en->flags && bits != 0) {
		for (size_t i = en->n; i-- > 0;)
			if (en->m[i].bits <= bits)
				return en->m[i].bits == bits ? &en->m[i] : NULL;
		return NULL;
	}
	if (en->n <= 32 || (en->flags && en->m[0].bits == 0)) { /* [Flags] zero: the first */
		for (size_t i = 0; i < en->n; i++)
			if (en->m[i].bits == bits)
				return &en->m[i];
		return NULL;
	}
	size_t lo = 0, hi = en->n; /* [lo, hi): hi is .NET's hi + 1 */
	while (lo < hi) {
		size_t mid = lo + (hi - 1 - lo) / 2;
		if (en->m[mid].bits == bits)
			return &en->m[mid];
		if (en->m[mid].bits < bits)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool val_enum_split(const struct enum_info *en, uint64_t bits, uint64_t *used)
{
	if (!en->flags || bits == 0 || en->n > VAL_ENUM_MAX)
		return false;
	memset(used, 0, (en->n + 63) / 64 * sizeof *used);
	uint64_t rest = bits;
	for (size_t i = en->n; i-- > 0 && rest;) {
		uint64_t mb = en->m[i].bits;
		if (mb && (rest & mb) == mb) {
			used[i / 64] |= (uint64_t)1 << (i % 64);
			rest &= ~mb;
		}
	}
	return rest == 0;
}

/* Enum.ToString: a member's name; for [Flags] the names of the members
 * that make up the value, largest first taken, written smallest first;
 * else the number. */
static void leaf_handle(struct rctx *rc, const struct plan *p, uint64_t md, bool json);

void leaf_enum(struct rctx *rc, const struct plan *p, uint64_t bits, bool json)
{
	if (p->df[0]) { /* not an enum: a method handle (val_plan.c) */
		leaf_handle(rc, p, bits, json);
		return;
	}
	struct val_buf *b = rc->b;
	const struct enum_info *en = &p->en;
	unsigned size = elem_size(p->prim, rc->v->ps);
	const struct enum_member *m = val_enum_find(en, bits);
	if (m) {
		vb_utf8(b, m->name, strlen(m->name), json);
		return;
	}
	uint64_t used[(VAL_ENUM_MAX + 63) / 64];
	if (val_enum_split(en, bits, used)) {
		if (json)
			vb_ch(b, '"');
		bool first = true;
		for (size_t i = 0; i < en->n; i++) {
			if (!(used[i / 64] >> (i % 64) & 1))
				continue;
			if (!first)
				vb_put(b, ", ", 2);
			first = false;
			vb_utf8(b, en->m[i].name, strlen(en->m[i].name), false);
		}
		if (json)
			vb_ch(b, '"');
		return;
	}
	put_number(b, p->prim, bits, size);
}

/* ---- well-known structs and classes ---- */

static void put_text(struct val_buf *b, const char *t, size_t n, bool json)
{
	if (json)
		vb_ch(b, '"');
	vb_put(b, t, n);
	if (json)
		vb_ch(b, '"');
}

static bool rd_field(struct val *v, const struct span *s, const struct pfield *f,
		     uint64_t *out)
{
	unsigned size = elem_size(f->elem, v->ps);
	uint8_t raw[8];
	if (!size && f->elem != MD_ELEM_VALUETYPE) { /* a reference */
		*out = sp_ptr(v, s, f->off);
		return true;
	}
	if (f->elem == MD_ELEM_VALUETYPE)
		size = 8; /* DateTimeOffset._dateTime: a DateTime, one ulong */
	if (!size || !sp_read(v, s, f->off, raw, size))
		return false;
	*out = load_bits(raw, size);
	if (is_signed(f->elem))
		*out = (uint64_t)sext(*out, size);
	return true;
}

/* IPAddress: _numbers (8 groups) for IPv6 with _addressOrScopeId the scope,
 * else _addressOrScopeId holds the IPv4 bytes in network order. */
static bool leaf_ip(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val *v = rc->v;
	uint64_t addr, nums;
	char t[64];
	size_t n;
	if (!rd_field(v, s, p->df[0], &addr) || !rd_field(v, s, p->df[1], &nums))
		return false;
	if (!nums) {
		uint8_t b4[4];
		memcpy(b4, &(uint32_t){ (uint32_t)addr }, 4);
		n = val_fmt_ipv4(b4, t);
	} else {
		uint32_t len;
		uint8_t raw[16];
		uint16_t g[8];
		if (!as_u32(v->a, nums + v->ps, &len) || len != 8 ||
		    as_read(v->a, nums + 2 * v->ps, raw, 16) != 16)
			return false;
		for (int i = 0; i < 8; i++)
			g[i] = rdr_le16(raw + 2 * i);
		n = val_fmt_ipv6(g, (uint32_t)addr, t);
	}
	put_text(rc->b, t, n, json);
	return true;
}

static bool leaf_version(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	uint64_t x[4];
	for (int i = 0; i < 4; i++)
		if (!rd_field(rc->v, s, p->df[i], &x[i]))
			return false;
	char t[64];
	int n = snprintf(t, sizeof t, "%" PRId64 ".%" PRId64, (int64_t)x[0], (int64_t)x[1]);
	if ((int64_t)x[2] >= 0) {
		n += snprintf(t + n, sizeof t - (size_t)n, ".%" PRId64, (int64_t)x[2]);
		if ((int64_t)x[3] >= 0)
			n += snprintf(t + n, sizeof t - (size_t)n, ".%" PRId64, (int64_t)x[3]);
	}
	put_text(rc->b, t, (size_t)n, json);
	return true;
}

static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the %XX escapes of UTF-8 text s[0..n) in place (returns the new
 * length), except those Uri.ToString() keeps: '%', '#', '?', controls and
 * bytes that do not form valid UTF-8. */
static size_t uri_unescape(uint8_t *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint8_t dec[4];
		size_t k = 0, j = i;
		while (k < 4 && j + 2 < n + 0 && s[j] == '%' && hexval(s[j + 1]) >= 0 &&
		       hexval(s[j + 2]) >= 0) {
			dec[k++] = (uint8_t)(hexval(s[j + 1]) << 4 | hexval(s[j + 2]));
			j += 3;
			/* stop after a whole UTF-8 sequence */
			size_t need = dec[0] < 0x80 ? 1 : dec[0] >= 0xf0 ? 4 : dec[0] >= 0xe0 ? 3 : 2;
			if (k == need)
				break;
		}
		size_t u = k ? jw_utf8_len(dec, k) : 0;
		bool keep = u == 0 || u != k || (u == 1 && (dec[0] == '%' || dec[0] == '#' ||
					dec[0] == '?' || dec[0] < 0x20 || dec[0] == 0x7f));
		if (k && !keep) {
			memcpy(s + o, dec, k);
			o += k;
			i = j;
		} else {
			s[o++] = s[i++];
		}
	}
	return o;
}

/* Uri.ToString(): its string (the runtime keeps the IRI-processed form in
 * _string; _info.String when it has built the canonical one) with the
 * percent-escapes decoded that .NET decodes for display. Canonicalising
 * a non-canonical original (case of scheme and host, default port, dot
 * segments) is not redone here. */
static bool leaf_uri(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val *v = rc->v;
	uint64_t str = sp_ptr(v, s, p->df[0]->off);
	uint64_t info = p->df[2] ? sp_ptr(v, s, p->df[2]->off) : 0;
	if (info) {
		uint64_t imt = val_obj_mt(v, info);
		struct plan *ip = imt ? val_plan(v, imt) : NULL;
		const struct pfield *sf = ip ? plan_field(ip, "String") : NULL;
		uint64_t istr = sf ? val_rdptr(v, info + v->ps + sf->off) : 0;
		if (istr)
			str = istr;
	}
	if (!str || val_obj_mt(v, str) != v->string_mt)
		return false;
	/* the string as UTF-8, then unescaped */
	struct val_buf tmp;
	val_buf_init(&tmp);
	struct rctx t2 = *rc;
	t2.b = &tmp;
	leaf_string(&t2, str, false);
	if (tmp.oom) {
		val_buf_free(&tmp);
		return false;
	}
	size_t n = tmp.len ? uri_unescape((uint8_t *)tmp.p, tmp.len) : 0;
	vb_utf8(rc->b, tmp.p ? tmp.p : "", n, json);
	val_buf_free(&tmp);
	return true;
}

/* Takes back the key of an own field (val_plan.c's own_field), just
 * written with its comma, when it has no value to give: true when it
 * was there to take (JSON only). */
static bool take_key_back(struct val_buf *b, const struct pfield *own, bool json)
{
	size_t k = (size_t)own->keylen + 1;
	if (!json || b->len < k || b->p[b->len - k] != ',' ||
	    memcmp(b->p + b->len - own->keylen, own->key, own->keylen) != 0)
		return false;
	b->len -= k;
	b->p[b->len] = '\0';
	return true;
}

/* A method by name. A delegate's or a reflection method object's own
 * "$method" (val_plan.c's VK_METHOD) is the name of what it calls, as
 * SOS's !DumpDelegate gives it ("Ns.Type.Method"); when the method is not
 * found its key, just written, is taken back. */
static bool leaf_method(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val *v = rc->v;
	struct val_buf *b = rc->b;
	const struct pfield *own = p->df[2];
	uint64_t x = 0, aux = 0, md = 0;
	uint64_t mask = v->ps == 8 ? ~(uint64_t)0 : 0xffffffffu;
	char name[1024];
	if (rd_field(v, s, p->df[0], &x) && (!p->df[1] || rd_field(v, s, p->df[1], &aux)))
		md = p->df[1] ? clr_delegate_method(v->c, x & mask, aux & mask) : x & mask;
	if (md && clr_method_name(v->c, md, name, sizeof name)) {
		vb_utf8(b, name, strlen(name), json);
		return true;
	}
	return take_key_back(b, own, json);
}

static void str_or_null(struct val_buf *b, const char *s)
{
	if (s)
		vb_utf8(b, s, strlen(s), true);
	else
		vb_str(b, "null");
}

/* An exception's "$stackTrace" (val_plan.c's VK_FRAMES): the frames of
 * its _stackTrace (df[0]) as `clrheap exceptions --json` gives them; in a
 * value file one !pe function name a line. Never thrown (null): the key,
 * just written, is taken back. */

static bool leaf_frames(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val_buf *b = rc->b;
	uint64_t st = 0;
	if (!rd_field(rc->v, s, p->df[0], &st) || !st)
		return take_key_back(b, p->df[2], json);
	struct exc_frame *f = NULL;
	size_t n = 0;
	const char *why;
	if (exc_read_frames(rc->v->c, st, &f, &n, &why) != CH_OK)
		return false;
	if (json)
		vb_ch(b, '[');
	for (size_t i = 0; i < n; i++) {
		char name[1200];
		if (!json) {
			exc_frame_name(&f[i], name, sizeof name);
			vb_utf8(b, name, strlen(name), false);
			vb_ch(b, '\n');
			continue;
		}
		vb_str(b, i ? ",{\"ip\":" : "{\"ip\":");
		vb_hexaddr(b, f[i].ip);
		vb_str(b, ",\"sp\":");
		vb_hexaddr(b, f[i].sp);
		vb_str(b, ",\"method_desc\":");
		vb_hexaddr(b, f[i].md);
		vb_str(b, ",\"method\":");
		str_or_null(b, f[i].method);
		vb_str(b, ",\"offset\":");
		if (f[i].code)
			vb_u64(b, f[i].ip - f[i].code);
		else
			vb_str(b, "null");
		vb_str(b, ",\"module\":");
		str_or_null(b, f[i].module);
		vb_ch(b, '}');
	}
	if (json)
		vb_ch(b, ']');
	exc_frames_free(f, n);
	return true;
}

/* A RuntimeMethodHandleInternal (an enum-like native int to the runtime):
 * {"$method":name,"$methodDesc":"0x…"}, the address for !DumpMD; in a
 * value file the name; the plain struct when its MethodDesc does not
 * check out. */
static void leaf_handle(struct rctx *rc, const struct plan *p, uint64_t md, bool json)
{
	struct val_buf *b = rc->b;
	char name[1024];
	if (!md || !clr_method_name(rc->v->c, md, name, sizeof name)) {
		/* no method to name (null, or one Reflection.Emit made): the
		 * struct as it is, as any other embedded struct renders */
		if (json) {
			vb_str(b, "{\"$type\":");
			vb_utf8(b, p->t->name, strlen(p->t->name), true);
			vb_str(b, ",\"m_handle\":");
		}
		put_number(b, p->prim, md, elem_size(p->prim, rc->v->ps));
		if (json)
			vb_ch(b, '}');
		return;
	}
	if (!json) {
		vb_utf8(b, name, strlen(name), false);
		return;
	}
	vb_str(b, "{\"$method\":");
	vb_utf8(b, name, strlen(name), true);
	vb_str(b, ",\"$methodDesc\":");
	vb_hexaddr(b, md);
	vb_ch(b, '}');
}

bool leaf_value(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val *v = rc->v;
	struct val_buf *b = rc->b;
	char t[64];
	uint64_t x, y, z;
	switch (p->kind) {
	case VK_PRIM:
		leaf_prim(rc, p->prim, s, 0, json);
		return true;
	case VK_ENUM: {
		unsigned size = elem_size(p->prim, v->ps);
		uint8_t raw[8];
		if (!size || !sp_read(v, s, 0, raw, size))
			return false;
		leaf_enum(rc, p, load_bits(raw, size), json);
		return true;
	}
	case VK_GUID: {
		uint8_t g[16];
		if (!sp_read(v, s, 0, g, 16))
			return false;
		put_text(b, t, val_fmt_guid(g, t), json);
		return true;
	}
	case VK_DATETIME:
		if (!rd_field(v, s, p->df[0], &x))
			return false;
		put_text(b, t, val_fmt_datetime(x, t), json);
		return true;
	case VK_DTO:
		if (!rd_field(v, s, p->df[0], &x) || !rd_field(v, s, p->df[1], &y))
			return false;
		put_text(b, t, val_fmt_dto(x, (int32_t)y, t), json);
		return true;
	case VK_TIMESPAN:
		if (!rd_field(v, s, p->df[0], &x))
			return false;
		put_text(b, t, val_fmt_timespan((int64_t)x, t), json);
		return true;
	case VK_DECIMAL:
		if (!rd_field(v, s, p->df[0], &x) || !rd_field(v, s, p->df[1], &y) ||
		    !rd_field(v, s, p->df[2], &z))
			return false;
		vb_put(b, t, val_fmt_decimal((uint32_t)x, (uint32_t)y, z, t));
		return true;
	case VK_IPADDR:
		return leaf_ip(rc, p, s, json);
	case VK_VERSION:
		return leaf_version(rc, p, s, json);
	case VK_URI:
		return leaf_uri(rc, p, s, json);
	case VK_METHOD:
		return leaf_method(rc, p, s, json);
	case VK_FRAMES:
		return leaf_frames(rc, p, s, json);
	case VK_SBUILDER: /* val_wrap.c */
		return leaf_text_builder(rc, p, s, json);
	default:
		return false;
	}
}
