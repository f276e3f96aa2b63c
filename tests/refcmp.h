/* Compares a document clrheap wrote with the one an app's truth holds for
 * it. The apps write every object out wherever it is met; clrheap writes an
 * object once per document and {"$ref":X} at its other places (README, "JSON
 * documents"). So where the truth has {"$addr":X,...} and clrheap has
 * {"$ref":X}, the two agree when clrheap writes X out in full somewhere in
 * the same document (that place is compared in its turn). All else must be
 * byte for byte equal. Works on the text (the truth's numbers are past what
 * a JSON library reads: 18446744073709551615). */
#ifndef REFCMP_H
#define REFCMP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The end of the JSON value at p (an object, array or string): one past its
 * last byte, or NULL when it does not end before e. */
static const char *refcmp_skip(const char *p, const char *e)
{
	int depth = 0;
	bool str = false;
	for (; p < e; p++) {
		if (str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				str = false;
			continue;
		}
		if (*p == '"')
			str = true;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return NULL;
}

/* Whether got (length gn) equals want (wn) as the rule above allows; on a
 * difference, *at is its offset in got. */
static bool refcmp_equal(const char *want, size_t wn, const char *got, size_t gn, size_t *at)
{
	static const char ref[] = "{\"$ref\":\"", full[] = "{\"$addr\":\"";
	const size_t rn = sizeof ref - 1, fn = sizeof full - 1;
	size_t i = 0, j = 0;
	while (i < wn && j < gn) {
		if (want[i] == got[j]) {
			i++, j++;
			continue;
		}
		/* they part inside `{"$`: back to the brace */
		if (i < 3 || j < 3 || wn - (i - 3) < fn || gn - (j - 3) < rn ||
		    memcmp(want + i - 3, full, fn) != 0 || memcmp(got + j - 3, ref, rn) != 0)
			break;
		const char *x = got + j - 3 + rn, *q = memchr(x, '"', gn - (size_t)(x - got));
		if (!q || gn - (size_t)(q - got) < 2 || q[1] != '}')
			break;
		size_t xn = (size_t)(q - x);
		const char *w = want + i - 3 + fn;
		if (wn - (size_t)(w - want) < xn + 1 || memcmp(w, x, xn) != 0 || w[xn] != '"')
			break;
		/* X written out in full elsewhere in got */
		char key[80];
		if (xn > 60)
			break;
		snprintf(key, sizeof key, "%s%.*s\",", full, (int)xn, x);
		bool found = memmem(got, gn, key, strlen(key)) != NULL;
		const char *wend = refcmp_skip(want + i - 3, want + wn);
		if (!found || !wend)
			break;
		i = (size_t)(wend - want);
		j = (size_t)(q + 2 - got);
	}
	if (i == wn && j == gn)
		return true;
	*at = j;
	return false;
}

#endif
