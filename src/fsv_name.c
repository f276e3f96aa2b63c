/* fsv_name.c - the naming rules of the tree (DESIGN.md §3): type
 * directory names, field file names (the clean-name rule itself is the
 * values layer's, val_field_names, so files and JSON keys agree),
 * addresses as file names. */
#include "fsv_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t fsv_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* Cuts s (len bytes) to at most max bytes without splitting a UTF-8
 * sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Escapes name (len bytes) into out, cutting long results. */
static size_t escape_n(const char *name, size_t len, char *out)
{
	/* Escape into a bounded scratch first: only the hash needs it all. */
	char tmp[3 * FSV_NAME_MAX + 4];
	size_t n = 0;
	bool longer = false;
	for (size_t i = 0; i < len; i++) {
		if (n + 3 > sizeof tmp - 1) {
			longer = true;
			break;
		}
		if (name[i] == '/') {
			memcpy(tmp + n, "%2F", 3);
			n += 3;
		} else if (name[i] == '\0') {
			break;
		} else {
			tmp[n++] = name[i];
		}
	}
	if (n == 0 || (n == 1 && tmp[0] == '.') || (n == 2 && tmp[0] == '.' && tmp[1] == '.')) {
		/* "", "." and ".." cannot be file names */
		const char *e = n == 0 ? "%00" : n == 1 ? "%2E" : "%2E%2E";
		strcpy(out, e);
		return strlen(e);
	}
	if (!longer && n <= FSV_NAME_MAX) {
		memcpy(out, tmp, n);
		out[n] = '\0';
		return n;
	}
	/* ~ and 16 hex digits of the hash of the whole (unescaped) name */
	uint64_t h = fsv_hash64(name, len);
	size_t keep = utf8_cut(tmp, n, FSV_NAME_MAX - 17);
	memcpy(out, tmp, keep);
	snprintf(out + keep, 18, "~%016" PRIx64, h);
	return keep + 17;
}

size_t fsv_escape_name(const char *name, char *out)
{
	return escape_n(name, strlen(name), out);
}

size_t fsv_type_dirname(const char *name, uint64_t mt, bool dup, char *out)
{
	if (!dup)
		return fsv_escape_name(name, out);
	size_t len = strlen(name);
	char *full = malloc(len + 20);
	if (!full)
		return fsv_escape_name(name, out);
	memcpy(full, name, len);
	int k = snprintf(full + len, 20, "#%016" PRIx64, mt);
	size_t n = escape_n(full, len + (size_t)k, out);
	free(full);
	return n;
}

void fsv_free_names(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A field's name before #N is added, and its position. */
struct based {
	const char *s;
	size_t i;
};

static int based_cmp(const void *a, const void *b)
{
	const struct based *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

bool fsv_field_names(const char *const *raw, size_t n, char ***names)
{
	*names = NULL;
	/* clean where unique, else raw (val_field_names: the rule JSON
	 * keys follow too); then a name met again gets #2, #3, ... in field
	 * order, found by sorting: O(n log n) whatever the names */
	const char **base = calloc(n ? n : 1, sizeof *base);
	struct based *ord = calloc(n ? n : 1, sizeof *ord);
	size_t *nth = calloc(n ? n : 1, sizeof *nth);
	char **out = calloc(n ? n : 1, sizeof *out);
	bool named = base && val_field_names(raw, n, base);
	bool ok = named && ord && nth && out;
	if (ok) {
		for (size_t i = 0; i < n; i++)
			ord[i] = (struct based){ base[i], i };
		qsort(ord, n, sizeof *ord, based_cmp);
		for (size_t k = 0; k < n; k++)
			nth[ord[k].i] = k && strcmp(ord[k - 1].s, ord[k].s) == 0 ?
					nth[ord[k - 1].i] + 1 : 1;
	}
	char name[FSV_NAME_MAX + 1];
	for (size_t i = 0; ok && i < n; i++) {
		if (nth[i] == 1) {
			fsv_escape_name(base[i], name);
		} else {
			size_t len = strlen(base[i]);
			char *t = malloc(len + 24);
			if (!(ok = t != NULL))
				break;
			snprintf(t, len + 24, "%s#%zu", base[i], nth[i]);
			fsv_escape_name(t, name);
			free(t);
		}
		ok = (out[i] = strdup(name)) != NULL;
	}
	if (named)
		val_free_names(raw, base, n);
	free(base);
	free(ord);
	free(nth);
	if (!ok) {
		fsv_free_names(out, n);
		return false;
	}
	*names = out;
	return true;
}

size_t fsv_fmt_addr(const struct fsv *v, uint64_t addr, char *out)
{
	return (size_t)snprintf(out, 17, "%0*" PRIx64, (int)v->hexw, addr);
}

bool fsv_parse_addr(const char *name, unsigned hexw, uint64_t *addr, bool *canonical)
{
	const char *s = name;
	bool prefixed = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (prefixed)
		s += 2;
	size_t n = strlen(s);
	if (n == 0 || n > 16)
		return false;
	uint64_t v = 0;
	bool lower = true;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F') {
			d = (unsigned)(ch - 'A' + 10);
			lower = false;
		} else
			return false;
		v = v << 4 | d;
	}
	*addr = v;
	*canonical = !prefixed && lower && n == hexw;
	return true;
}

bool fsv_parse_index(const char *name, uint64_t max, uint64_t *out)
{
	if (name[0] == '\0' || (name[0] == '0' && name[1] != '\0'))
		return false;
	uint64_t v = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v >= max)
		return false;
	*out = v;
	return true;
}
