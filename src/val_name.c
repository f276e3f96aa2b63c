/* val_name.c - the names fields show (DESIGN.md §3): clean names, and raw
 * names where clean names clash. One rule, used by the JSON of the values
 * layer and by the file names of the view, so that both always agree. */
#include "val_priv.h"

#include <stdint.h>
#include <stdlib.h>

const char *val_clean_name(const char *raw, size_t *len)
{
	static const char bf[] = ">k__BackingField";
	size_t n = strlen(raw), nb = sizeof bf - 1;
	if (n > nb + 1 && raw[0] == '<' && memcmp(raw + n - nb, bf, nb) == 0) {
		*len = n - nb - 1;
		return raw + 1;
	}
	if (n > 1 && raw[n - 1] == '@') {
		*len = n - 1;
		return raw;
	}
	*len = n;
	return raw;
}

/* A field's clean name (not NUL-terminated) and where it came from. */
struct cname {
	const char *s;
	size_t len, rawlen;
	size_t i;
};

/* The order of two names by their bytes, a prefix first. */
static int name_order(const struct cname *x, const struct cname *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);
	if (c || x->len == y->len)
		return c;
	return x->len < y->len ? -1 : 1;
}

static int cname_cmp(const void *a, const void *b)
{
	const struct cname *x = a, *y = b;
	int c = name_order(x, y);
	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

static bool cname_eq(const struct cname *x, const struct cname *y)
{
	return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

/* Is some field's raw name (r: sorted) equal to the clean name c? */
static bool raw_taken(const struct cname *r, size_t n, const struct cname *c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = name_order(&r[mid], c);
		if (d == 0)
			return true;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool val_field_names(const char *const *raw, size_t n, const char **names)
{
	if (n > SIZE_MAX / (2 * sizeof(struct cname)))
		return false;
	/* Sorted, equal names are neighbours: O(n log n) comparisons whatever
	 * names a damaged or hostile dump holds (a hash set would be linear
	 * on average, but quadratic on names made to collide). */
	struct cname *c = malloc((n ? 2 * n : 1) * sizeof *c), *r = c + n;
	if (!c)
		return false;
	for (size_t i = 0; i < n; i++) {
		names[i] = raw[i];
		c[i].s = val_clean_name(raw[i], &c[i].len);
		c[i].rawlen = strlen(raw[i]);
		c[i].i = i;
		r[i] = (struct cname){ raw[i], c[i].rawlen, c[i].rawlen, i };
	}
	qsort(c, n, sizeof *c, cname_cmp);
	qsort(r, n, sizeof *r, cname_cmp);
	bool ok = true;
	for (size_t a = 0, b; a < n && ok; a = b) {
		for (b = a + 1; b < n && cname_eq(&c[a], &c[b]); b++)
			;
		/* A clean name of its own, different from the raw one, that is
		 * no other field's raw name either ("X@@" beside "X@" and
		 * "<X>k__BackingField"): then no two fields show one name
		 * unless their raw names are equal. */
		if (b - a == 1 && c[a].len != c[a].rawlen && !raw_taken(r, n, &c[a])) {
			char *s = malloc(c[a].len + 1);
			if (!(ok = s != NULL))
				break;
			memcpy(s, c[a].s, c[a].len);
			s[c[a].len] = '\0';
			names[c[a].i] = s;
		}
	}
	free(c);
	if (!ok) {
		val_free_names(raw, names, n);
		for (size_t i = 0; i < n; i++)
			names[i] = raw[i];
	}
	return ok;
}

void val_free_names(const char *const *raw, const char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != raw[i])
			free((char *)names[i]);
}
