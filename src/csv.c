/* csv.c - JSON documents flattened into CSV rows (csv.h). The documents
 * are scanned in place, without building a tree: a leaf is a span of the
 * document's text, unescaped only when it is written, so a row costs about
 * what reading it does. */
#include "csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "rdr.h"

#define MAX_NAME 1024 /* bytes of a dotted column name */

static const char oom[] = "out of memory";

struct col {
	char *name;
	size_t index;     /* its place in order[] */
	bool value;       /* seen holding something other than null */
	UT_hash_handle hh;
};

struct csv {
	struct col *by_name;  /* uthash */
	struct col **order;   /* learning order, then the header's */
	size_t n, cap;
	size_t ncols;         /* header columns; 0 before csv_header */
	const char **cell;    /* per column: this row's value (raw JSON), or NULL */
	size_t *cell_len;
	char *text;           /* a cell's unescaped text */
	size_t text_cap;
	const char *warning;
};

enum ch_status csv_open(struct csv **out, struct ch_err *err)
{
	struct csv *x = calloc(1, sizeof *x);
	if (!x)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	x->warning = "";
	*out = x;
	return CH_OK;
}

void csv_close(struct csv *x)
{
	if (!x)
		return;
	struct col *c, *tmp;
	HASH_ITER(hh, x->by_name, c, tmp) {
		HASH_DEL(x->by_name, c);
		free(c->name);
		free(c);
	}
	free(x->order);
	free(x->cell);
	free(x->cell_len);
	free(x->text);
	free(x);
}

size_t csv_columns(const struct csv *x) { return x->ncols; }
const char *csv_warning(const struct csv *x) { return x->warning; }

/* ---- scanning ---- */

/* The end of the JSON string whose opening quote is at p (past its closing
 * quote), or NULL when the text ends first. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the JSON value at p, or NULL when it is cut short. */
static const char *skip_value(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	size_t depth = 0;
	while (p < end) {
		if (*p == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* Whether the object at p is a cut string ({"$string": ...}). */
static bool is_cut_string(const char *p, const char *end)
{
	static const char k[] = "{\"$string\":";
	return (size_t)(end - p) >= sizeof k - 1 && memcmp(p, k, sizeof k - 1) == 0;
}

typedef bool (*leaf_fn)(struct csv *x, const char *name, const char *v, size_t n);

/* Calls fn on every leaf of the value at *pp (its text up to end), named
 * name (len bytes); *pp moves past it. False when the text is not JSON as
 * val writes it, or fn fails. */
static bool flatten(struct csv *x, const char **pp, const char *end, char *name, size_t len,
		    bool top, leaf_fn fn)
{
	const char *p = *pp, *q;
	if (p >= end || *p != '{' || is_cut_string(p, end)) {
		if (!(q = skip_value(p, end)) || q == p)
			return false;
		*pp = q;
		return fn(x, name, p, (size_t)(q - p));
	}
	p++;
	while (p < end && *p != '}') {
		if (*p == ',')
			p++;
		if (p >= end || *p != '"' || !(q = skip_string(p, end)) || q >= end || *q != ':')
			return false;
		/* keys are field names: no escapes but for odd ones, kept as written */
		const char *k = p + 1;
		size_t kl = (size_t)(q - 1 - k), at = len ? len + 1 : 0;
		p = q + 1;
		if ((top && kl == 5 && memcmp(k, "$type", 5) == 0) || kl >= MAX_NAME - at) {
			if (kl >= MAX_NAME - at)
				x->warning = "a column name longer than 1024 bytes was left out";
			if (!(p = skip_value(p, end)))
				return false;
			continue;
		}
		if (len)
			name[len] = '.';
		memcpy(name + at, k, kl);
		name[at + kl] = '\0';
		if (!flatten(x, &p, end, name, at + kl, false, fn))
			return false;
		name[len] = '\0';
	}
	if (p >= end)
		return false;
	*pp = p + 1;
	return true;
}

static struct col *find(struct csv *x, const char *name)
{
	struct col *c;
	HASH_FIND_STR(x->by_name, name, c);
	return c;
}

static bool is_null(const char *v, size_t n)
{
	return n == 4 && memcmp(v, "null", 4) == 0;
}

static bool learn_leaf(struct csv *x, const char *name, const char *v, size_t n)
{
	struct col *c = find(x, name);
	if (!c) {
		if (x->n >= CSV_MAX_COLUMNS) {
			x->warning = "columns past the 4096th were left out";
			return true;
		}
		if (x->n == x->cap) {
			size_t cap = x->cap ? 2 * x->cap : 64;
			struct col **o = realloc(x->order, cap * sizeof *o);
			if (!o) {
				x->warning = oom;
				return false;
			}
			x->order = o;
			x->cap = cap;
		}
		if (!(c = calloc(1, sizeof *c)) || !(c->name = strdup(name))) {
			free(c);
			x->warning = oom;
			return false;
		}
		c->index = x->n;
		x->order[x->n++] = c;
		HASH_ADD_KEYPTR(hh, x->by_name, c->name, strlen(c->name), c);
	}
	c->value |= v && !is_null(v, n);
	return true;
}

static enum ch_status scan(struct csv *x, const char *json, size_t len, leaf_fn fn,
			   struct ch_err *err)
{
	const char *p = json, *end = json + len;
	char name[MAX_NAME] = "";
	if (!len || *json != '{')
		return ch_set_error(err, CH_EARG, "not a JSON object");
	if (!flatten(x, &p, end, name, 0, true, fn))
		return ch_set_error(err, x->warning == oom ? CH_ENOMEM : CH_EARG,
				    x->warning == oom ? "out of memory" : "not JSON as clrheap writes it");
	return CH_OK;
}

enum ch_status csv_learn(struct csv *x, const char *json, size_t len, struct ch_err *err)
{
	/* "$addr" is the first column whatever the first document holds */
	if (!x->n && !learn_leaf(x, "$addr", NULL, 0)) {
		x->warning = oom;
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	return scan(x, json, len, learn_leaf, err);
}

/* Whether some column is named "name.<more>". */
static bool has_children(const struct csv *x, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 0; i < x->n; i++)
		if (strncmp(x->order[i]->name, name, l) == 0 && x->order[i]->name[l] == '.')
			return true;
	return false;
}

/* One cell of n bytes, quoted where it must be (RFC 4180: a comma, quote,
 * CR or LF). */
static void put_cell(const char *s, size_t n, csv_out_fn out, void *arg)
{
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		out(arg, s, n);
		return;
	}
	out(arg, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && s[k] != '"')
			k++;
		out(arg, s + i, k - i);
		if (k < n)
			out(arg, "\"\"", 2);
		i = k + 1;
	}
	out(arg, "\"", 1);
}

enum ch_status csv_header(struct csv *x, csv_out_fn out, void *arg, struct ch_err *err)
{
	/* a field null wherever it is not an object has only its dotted
	 * columns; the survivors keep their order */
	bool *drop = calloc(x->n ? x->n : 1, sizeof *drop);
	if (!drop)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	for (size_t i = 1; i < x->n; i++)
		drop[i] = !x->order[i]->value && has_children(x, x->order[i]->name);
	size_t k = 0;
	for (size_t i = 0; i < x->n; i++) {
		struct col *c = x->order[i];
		if (drop[i]) {
			HASH_DEL(x->by_name, c);
			free(c->name);
			free(c);
			continue;
		}
		c->index = k;
		x->order[k++] = c;
	}
	free(drop);
	x->n = x->ncols = k;
	x->cell = calloc(k ? k : 1, sizeof *x->cell);
	x->cell_len = calloc(k ? k : 1, sizeof *x->cell_len);
	if (!x->cell || !x->cell_len)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	for (size_t i = 0; i < k; i++) {
		if (i)
			out(arg, ",", 1);
		put_cell(x->order[i]->name, strlen(x->order[i]->name), out, arg);
	}
	out(arg, "\r\n", 2);
	return CH_OK;
}

static bool row_leaf(struct csv *x, const char *name, const char *v, size_t n)
{
	struct col *c = find(x, name);
	if (c && !is_null(v, n)) {
		x->cell[c->index] = v;
		x->cell_len[c->index] = n;
	}
	return true;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v = v << 4 | (unsigned)(ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0');
	}
	return v & 0xffff;
}

/* The text of the JSON string s (n bytes, quotes included) into x->text;
 * its length, or SIZE_MAX out of memory. */
static size_t unescape(struct csv *x, const char *s, size_t n)
{
	if (n + 1 > x->text_cap) {
		char *t = realloc(x->text, n + 1);
		if (!t)
			return SIZE_MAX;
		x->text = t;
		x->text_cap = n + 1;
	}
	char *o = x->text;
	const char *p = s + 1, *end = s + n - 1;
	while (p < end) {
		if (*p != '\\' || end - p < 2) {
			*o++ = *p++;
			continue;
		}
		char e = p[1];
		p += 2;
		switch (e) {
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			if (end - p < 4) {
				p = end;
				break;
			}
			uint32_t cp = hex4(p);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				uint32_t lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			/* a \u escape of n bytes never grows past them as UTF-8 */
			o += rdr_put_utf8(o, cp);
			break;
		}
		default: *o++ = e; break; /* \" \\ \/ */
		}
	}
	return (size_t)(o - x->text);
}

/* One cell's text: a string's characters, a cut string's, else the raw
 * JSON (numbers, booleans, arrays, objects). */
static bool write_cell(struct csv *x, const char *v, size_t n, csv_out_fn out, void *arg)
{
	if (n && *v == '{' && is_cut_string(v, v + n)) {
		const char *s = v + strlen("{\"$string\":");
		const char *e = s < v + n && *s == '"' ? skip_string(s, v + n) : NULL;
		if (e) {
			v = s;
			n = (size_t)(e - s);
		}
	}
	if (n >= 2 && *v == '"') {
		size_t k = unescape(x, v, n);
		if (k == SIZE_MAX)
			return false;
		put_cell(x->text, k, out, arg);
	} else {
		put_cell(v, n, out, arg);
	}
	return true;
}

enum ch_status csv_row(struct csv *x, const char *json, size_t len, csv_out_fn out, void *arg,
		       struct ch_err *err)
{
	for (size_t i = 0; i < x->ncols; i++)
		x->cell[i] = NULL;
	enum ch_status st = scan(x, json, len, row_leaf, err);
	if (st != CH_OK)
		return st;
	for (size_t i = 0; i < x->ncols; i++) {
		if (i)
			out(arg, ",", 1);
		if (x->cell[i] && !write_cell(x, x->cell[i], x->cell_len[i], out, arg))
			return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	out(arg, "\r\n", 2);
	return CH_OK;
}
