/* insp_diff.c - what each type gained or lost from one heap to another:
 * types matched by name (MethodTables differ between processes), a name's
 * MethodTables added up, as TSV or JSON sorted by growth in bytes, and one
 * type's row as JSON. */
#include "insp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr.h"
#include "jw.h"

struct dtype {
	const char *name;
	uint64_t count, bytes;
};

struct insp_diff {
	struct heap *a, *b;
	bool done;                  /* the rows are made (once) */
	struct insp_diff_row *rows; /* changed types, sorted by growth */
	size_t nrows;
	struct insp_diff_row *all;  /* every type of either heap, sorted by name */
	size_t nall;
	struct insp_diff_row total;
	struct ch_err err;
};

enum ch_status insp_diff_open(struct heap *a, struct heap *b, struct insp_diff **out,
			      struct ch_err *err)
{
	struct insp_diff *d = calloc(1, sizeof *d);
	if (!d)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	d->a = a;
	d->b = b;
	d->total.type = "";
	*out = d;
	return CH_OK;
}

void insp_diff_close(struct insp_diff *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d->all);
	free(d);
}

const char *insp_diff_error(const struct insp_diff *d)
{
	return d->err.msg;
}

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

static int64_t delta(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static int row_growth_cmp(const void *pa, const void *pb)
{
	const struct insp_diff_row *a = pa, *b = pb;
	int64_t da = delta(a->bytes_a, a->bytes_b), db = delta(b->bytes_a, b->bytes_b);
	if (da != db)
		return da > db ? -1 : 1;
	int64_t ca = delta(a->count_a, a->count_b), cb = delta(b->count_a, b->count_b);
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return strcmp(a->type, b->type);
}

/* Makes the rows on the first call; the status of that one after. */
static enum ch_status make(struct insp_diff *d)
{
	if (d->done)
		return d->err.status;
	d->done = true;
	struct dtype *ta = NULL, *tb = NULL;
	size_t na = 0, nb = 0;
	if (!(ta = by_name(d->a, &na, &d->err)) || !(tb = by_name(d->b, &nb, &d->err)))
		goto out;
	size_t cap = na + nb ? na + nb : 1;
	if (!(d->all = malloc(cap * sizeof *d->all)) || !(d->rows = malloc(cap * sizeof *d->rows))) {
		ch_set_error(&d->err, CH_ENOMEM, "out of memory");
		goto out;
	}
	size_t i = 0, j = 0;
	while (i < na || j < nb) { /* merge the two name-sorted lists */
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(ta[i].name, tb[j].name);
		struct insp_diff_row x = { cmp <= 0 ? ta[i].name : tb[j].name, 0, 0, 0, 0 };
		if (cmp <= 0) {
			x.count_a = ta[i].count;
			x.bytes_a = ta[i++].bytes;
		}
		if (cmp >= 0) {
			x.count_b = tb[j].count;
			x.bytes_b = tb[j++].bytes;
		}
		d->total.count_a += x.count_a, d->total.count_b += x.count_b;
		d->total.bytes_a += x.bytes_a, d->total.bytes_b += x.bytes_b;
		d->all[d->nall++] = x;
		if (x.count_a != x.count_b || x.bytes_a != x.bytes_b)
			d->rows[d->nrows++] = x;
	}
	qsort(d->rows, d->nrows, sizeof *d->rows, row_growth_cmp);
out:
	free(tb);
	free(ta);
	return d->err.status;
}

const char *insp_diff_change(const struct insp_diff_row *r)
{
	return !r->count_a ? "new" : !r->count_b ? "vanished" : "";
}

static bool outf(insp_out_fn out, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool outf(insp_out_fn out, void *arg, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof line) {
		out(arg, line, (size_t)n);
		return true;
	}
	char *p = malloc((size_t)n + 1); /* a type name longer than a line */
	if (!p)
		return false;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out(arg, p, (size_t)n);
	free(p);
	return true;
}

enum ch_status insp_diff_tsv(struct insp_diff *d, insp_out_fn out, void *arg)
{
	if (make(d) != CH_OK)
		return d->err.status;
	outf(out, arg, "count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype\n");
	for (size_t i = 0; i <= d->nrows; i++) {
		const struct insp_diff_row *x = i < d->nrows ? &d->rows[i] : &d->total;
		if (!outf(out, arg,
			  "%+" PRId64 "\t%+" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
			  "\t%s\t%s\n", delta(x->count_a, x->count_b), delta(x->bytes_a, x->bytes_b),
			  x->count_a, x->count_b, x->bytes_a, x->bytes_b,
			  i < d->nrows ? insp_diff_change(x) : "", i < d->nrows ? x->type : "(total)"))
			return ch_set_error(&d->err, CH_ENOMEM, "out of memory");
	}
	return CH_OK;
}

static void row_numbers(struct jw *w, const struct insp_diff_row *x)
{
	jw_key(w, "count_a"); jw_u64(w, x->count_a);
	jw_key(w, "count_b"); jw_u64(w, x->count_b);
	jw_key(w, "count_delta"); jw_i64(w, delta(x->count_a, x->count_b));
	jw_key(w, "bytes_a"); jw_u64(w, x->bytes_a);
	jw_key(w, "bytes_b"); jw_u64(w, x->bytes_b);
	jw_key(w, "bytes_delta"); jw_i64(w, delta(x->bytes_a, x->bytes_b));
}

/* w's document and a newline through out; frees w. */
static enum ch_status jw_out(struct insp_diff *d, struct jw *w, insp_out_fn out, void *arg)
{
	enum ch_status st = CH_OK;
	if (w->oom) {
		st = ch_set_error(&d->err, CH_ENOMEM, "out of memory");
	} else {
		out(arg, w->buf, w->len);
		out(arg, "\n", 1);
	}
	jw_free(w);
	return st;
}

enum ch_status insp_diff_json(struct insp_diff *d, insp_out_fn out, void *arg)
{
	if (make(d) != CH_OK)
		return d->err.status;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "types");
	jw_arr_begin(&w);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct insp_diff_row *x = &d->rows[i];
		jw_obj_begin(&w);
		jw_key(&w, "type");
		jw_str(&w, x->type);
		if (insp_diff_change(x)[0]) {
			jw_key(&w, "change");
			jw_str(&w, insp_diff_change(x));
		}
		row_numbers(&w, x);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "total");
	jw_obj_begin(&w);
	row_numbers(&w, &d->total);
	jw_obj_end(&w);
	jw_obj_end(&w);
	return jw_out(d, &w, out, arg);
}

static int row_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct insp_diff_row *)elem)->type);
}

enum ch_status insp_diff_type(struct insp_diff *d, const char *name, struct insp_diff_row *row)
{
	if (make(d) != CH_OK)
		return d->err.status;
	const struct insp_diff_row *x = bsearch(name, d->all, d->nall, sizeof *d->all, row_name_cmp);
	if (!x)
		return CH_ENOTFOUND;
	*row = *x;
	return CH_OK;
}

enum ch_status insp_diff_type_json(struct insp_diff *d, const char *name, insp_out_fn out,
				   void *arg)
{
	struct insp_diff_row x = { name, 0, 0, 0, 0 };
	enum ch_status st = insp_diff_type(d, name, &x);
	if (st != CH_OK && st != CH_ENOTFOUND)
		return st;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "type"); jw_str(&w, name);
	jw_key(&w, "count_a"); jw_u64(&w, x.count_a);
	jw_key(&w, "count_b"); jw_u64(&w, x.count_b);
	jw_key(&w, "bytes_a"); jw_u64(&w, x.bytes_a);
	jw_key(&w, "bytes_b"); jw_u64(&w, x.bytes_b);
	jw_key(&w, "count_delta"); jw_i64(&w, delta(x.count_a, x.count_b));
	jw_key(&w, "bytes_delta"); jw_i64(&w, delta(x.bytes_a, x.bytes_b));
	jw_key(&w, "change");
	jw_str(&w, st == CH_ENOTFOUND ? "" : insp_diff_change(&x));
	jw_obj_end(&w);
	return jw_out(d, &w, out, arg);
}
