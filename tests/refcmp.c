/* refcmp WANT GOT: whether each line of GOT equals the same line of WANT as
 * refcmp.h allows (a truth's object against clrheap's $ref to it). On the
 * first difference prints both lines (cut) and exits 1; 2 on a usage or
 * read error.
 * refcmp -a N WANT GOT: compares every line, prints the first N that differ
 * and then "equal E of L" (L the lines of the longer file); exits 1 when
 * any differ. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refcmp.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *p = malloc(cap + 1);
	for (size_t r; p && (r = fread(p + len, 1, cap - len, f)) > 0;) {
		len += r;
		if (len == cap) {
			char *q = realloc(p, 2 * cap + 1);
			if (!q) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
			cap *= 2;
		}
	}
	fclose(f);
	if (p)
		p[len] = '\0';
	*n = len;
	return p;
}

int main(int argc, char **argv)
{
	size_t wn, gn;
	long show = 1;
	bool all = argc == 5 && strcmp(argv[1], "-a") == 0;
	if (all) {
		char *end;
		show = strtol(argv[2], &end, 10);
		if (*end || end == argv[2] || show < 0)
			all = false;
		argv += 2;
		argc -= 2;
	}
	char *w = argc == 3 ? slurp(argv[1], &wn) : NULL, *g = argc == 3 ? slurp(argv[2], &gn) : NULL;
	if (!w || !g) {
		fprintf(stderr, "usage: refcmp [-a N] WANT GOT (both readable)\n");
		free(w);
		free(g);
		return 2;
	}
	int rc = 0;
	size_t equal = 0, lines = 0;
	const char *a = w, *b = g, *we = w + wn, *ge = g + gn;
	for (size_t line = 1; a < we || b < ge; line++) {
		const char *ae = memchr(a, '\n', (size_t)(we - a)), *be = memchr(b, '\n', (size_t)(ge - b));
		if (!ae)
			ae = we;
		if (!be)
			be = ge;
		size_t at;
		lines++;
		if (a >= we || b >= ge || !refcmp_equal(a, (size_t)(ae - a), b, (size_t)(be - b), &at)) {
			if (show > 0) {
				printf("line %zu differs:\n< %.*s\n> %.*s\n", line, (int)(ae - a > 600 ? 600 : ae - a), a,
				       (int)(be - b > 600 ? 600 : be - b), b);
				show--;
			}
			rc = 1;
			if (!all)
				break;
		} else {
			equal++;
		}
		a = ae + (ae < we);
		b = be + (be < ge);
	}
	if (all)
		printf("equal %zu of %zu\n", equal, lines);
	free(w);
	free(g);
	return rc;
}
