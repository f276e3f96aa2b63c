/* clr_fixture.h - open a real fixture dump up to the heap, for the unit
 * suites of the runtime and heap layers. */
#ifndef CLRHEAP_TEST_CLR_FIXTURE_H
#define CLRHEAP_TEST_CLR_FIXTURE_H

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fixture.h"
#include "heap.h"

struct fx {
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct ch_err err;
};

/* Opens build/dumps/NAME (or the file at path when name has a '/'); fails
 * the test with the reader's message when any layer refuses. */
static inline void fx_open(struct fx *f, const char *name)
{
	char path[4096];
	if (strchr(name, '/'))
		snprintf(path, sizeof path, "%s", name);
	else
		fixture_path(path, sizeof path, name);
	memset(f, 0, sizeof *f);
	if (dump_open(path, &f->d, &f->err) != CH_OK ||
	    as_open(f->d, &f->a, &f->err) != CH_OK ||
	    clr_open(f->a, &f->c, &f->err) != CH_OK ||
	    heap_open(f->c, &f->h, &f->err) != CH_OK)
		fail_msg("%s", f->err.msg);
}

static inline void fx_close(struct fx *f)
{
	heap_close(f->h);
	clr_close(f->c);
	as_close(f->a);
	dump_close(f->d);
}

/* The MT of the type named name among the heap's types (0 when none). */
static inline uint64_t fx_mt(struct fx *f, const char *name)
{
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(f->h, &rows, &n, &f->err) != CH_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(f->c, rows[i].mt, NULL);
		if (t && strcmp(t->name, name) == 0)
			return rows[i].mt;
	}
	return 0;
}

#endif
