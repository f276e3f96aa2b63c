/* main_inspect.c - `clrheap inspect DUMP [NAME] [--limit N]`: the
 * inspections of insp.h as TSV; and `clrheap diff A B [--json]`: what each
 * type gained or lost from one dump to another, types matched by name
 * (MethodTables differ between processes). */
#include "main_inspect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "dump.h"
#include "insp.h"
#include "jw.h"

static void to_stdout(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

int main_inspect(struct heap *h, const char *name, size_t limit, struct ch_err *err)
{
	enum insp_kind only = INSP_COUNT;
	if (name && (only = insp_find(name)) == INSP_COUNT) {
		ch_set_error(err, CH_EARG, "no inspection named %s (try one of: "
			     "duplicate-strings empty-collections sparse-arrays finalizable "
			     "large-objects fragmentation)", name);
		return -1;
	}
	struct insp *x;
	if (insp_open(h, &x, err) != CH_OK)
		return -1;
	int rc = 0;
	for (unsigned k = 0; k < INSP_COUNT && rc == 0; k++) {
		if (name && k != only)
			continue;
		if (!name)
			printf("%s# %s.tsv\n", k ? "\n" : "", insp_name(k));
		if (insp_tsv(x, k, limit, to_stdout, stdout) != CH_OK) {
			ch_set_error(err, CH_EIO, "%s: %s", insp_name(k), insp_error(x));
			rc = -1;
		}
	}
	insp_close(x);
	return rc;
}

/* ---- diff ---- */

struct dtype {
	const char *name;
	uint64_t count, bytes;
};

static int dtype_name_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct dtype *)pa)->name, ((const struct dtype *)pb)->name);
}

/* h's types by name, a name's MethodTables added up; sorted by name. */
static struct dtype *by_name(struct heap *h, size_t *n, struct ch_err *err)
{
	const struct heap_stat_row *rows;
	size_t nr;
	if (heap_stat(h, &rows, &nr, err) != CH_OK)
		return NULL;
	struct dtype *t = malloc((nr ? nr : 1) * sizeof *t);
	if (!t) {
		ch_set_error(err, CH_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < nr; i++) {
		const struct clr_type *ty = clr_type_of(heap_clr(h), rows[i].mt, NULL);
		t[i] = (struct dtype){ ty && ty->name ? ty->name : "<unknown type>", rows[i].count,
				       rows[i].bytes };
	}
	qsort(t, nr, sizeof *t, dtype_name_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nr; i++) {
		if (w && strcmp(t[w - 1].name, t[i].name) == 0) {
			t[w - 1].count += t[i].count;
			t[w - 1].bytes += t[i].bytes;
		} else {
			t[w++] = t[i];
		}
	}
	*n = w;
	return t;
}

struct drow {
	const char *name;
	uint64_t ca, cb, ba, bb;
};

static int64_t delta(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static int drow_cmp(const void *pa, const void *pb)
{
	const struct drow *a = pa, *b = pb;
	int64_t da = delta(a->ba, a->bb), db = delta(b->ba, b->bb);
	if (da != db)
		return da > db ? -1 : 1;
	int64_t ca = delta(a->ca, a->cb), cb = delta(b->ca, b->cb);
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static const char *change(const struct drow *r)
{
	return !r->ca ? "new" : !r->cb ? "vanished" : "";
}

static void print_diff(const struct drow *r, size_t n, const struct drow *tot, bool json)
{
	if (json) {
		struct jw w;
		jw_init(&w);
		jw_obj_begin(&w);
		jw_key(&w, "types");
		jw_arr_begin(&w);
		for (size_t i = 0; i <= n; i++) {
			const struct drow *x = i < n ? &r[i] : tot;
			if (i == n) {
				jw_arr_end(&w);
				jw_key(&w, "total");
			}
			jw_obj_begin(&w);
			if (i < n) {
				jw_key(&w, "type");
				jw_str(&w, x->name);
				if (change(x)[0]) {
					jw_key(&w, "change");
					jw_str(&w, change(x));
				}
			}
			jw_key(&w, "count_a"); jw_u64(&w, x->ca);
			jw_key(&w, "count_b"); jw_u64(&w, x->cb);
			jw_key(&w, "count_delta"); jw_i64(&w, delta(x->ca, x->cb));
			jw_key(&w, "bytes_a"); jw_u64(&w, x->ba);
			jw_key(&w, "bytes_b"); jw_u64(&w, x->bb);
			jw_key(&w, "bytes_delta"); jw_i64(&w, delta(x->ba, x->bb));
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
		if (!w.oom)
			printf("%s\n", w.buf);
		jw_free(&w);
		return;
	}
	printf("count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype\n");
	for (size_t i = 0; i <= n; i++) {
		const struct drow *x = i < n ? &r[i] : tot;
		printf("%+" PRId64 "\t%+" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		       "\t%s\t%s\n", delta(x->ca, x->cb), delta(x->ba, x->bb), x->ca, x->cb, x->ba,
		       x->bb, i < n ? change(x) : "", i < n ? x->name : "(total)");
	}
}

int main_diff(struct heap *a, const char *path_b, bool json, struct ch_err *err)
{
	struct dump *d = NULL;
	struct as *as = NULL;
	struct clr *c = NULL;
	struct heap *hb = NULL;
	struct dtype *ta = NULL, *tb = NULL;
	struct drow *r = NULL;
	int rc = -1;
	size_t na = 0, nb = 0;
	if (dump_open(path_b, &d, err) != CH_OK || as_open(d, &as, err) != CH_OK ||
	    clr_open(as, &c, err) != CH_OK || heap_open(c, &hb, err) != CH_OK)
		goto out;
	if (!(ta = by_name(a, &na, err)) || !(tb = by_name(hb, &nb, err)))
		goto out;
	if (!(r = malloc((na + nb ? na + nb : 1) * sizeof *r))) {
		ch_set_error(err, CH_ENOMEM, "out of memory");
		goto out;
	}
	size_t n = 0, i = 0, j = 0;
	struct drow tot = { "", 0, 0, 0, 0 };
	while (i < na || j < nb) { /* merge the two name-sorted lists */
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(ta[i].name, tb[j].name);
		struct drow x = { cmp <= 0 ? ta[i].name : tb[j].name, 0, 0, 0, 0 };
		if (cmp <= 0) {
			x.ca = ta[i].count;
			x.ba = ta[i++].bytes;
		}
		if (cmp >= 0) {
			x.cb = tb[j].count;
			x.bb = tb[j++].bytes;
		}
		tot.ca += x.ca, tot.cb += x.cb, tot.ba += x.ba, tot.bb += x.bb;
		if (x.ca != x.cb || x.ba != x.bb)
			r[n++] = x;
	}
	qsort(r, n, sizeof *r, drow_cmp);
	print_diff(r, n, &tot, json);
	rc = 0;
out:
	free(r);
	free(tb);
	free(ta);
	heap_close(hb);
	clr_close(c);
	as_close(as);
	dump_close(d);
	return rc;
}
