/* insp_diff.c - what each type gained or lost from one heap to another:
 * types matched by name (MethodTables differ between processes), a name's
 * MethodTables added up, as TSV or JSON sorted by growth in bytes, and one
 * type's row as JSON; with the two graphs, retained bytes too, and the
 * root-path shapes that gained the most. */
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
	uint64_t count, bytes, retained;
};

struct dpath {
	uint64_t key;
	uint64_t count_a, count_b, retained_a, retained_b;
	char *text;
};

struct insp_diff {
	struct heap *a, *b;
	bool done;                  /* the rows are made (once) */
	enum ch_status made;        /* and how that went */
	struct insp_diff_row *rows; /* changed types, sorted by growth */
	size_t nrows;
	struct insp_diff_row *all;  /* every type of either heap, sorted by name */
	size_t nall;
	struct insp_diff_row total;
	const struct graph *ga, *gb; /* NULL: no retained bytes, no paths */
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

void insp_diff_graphs(struct insp_diff *d, const struct graph *ga, const struct graph *gb)
{
	d->ga = ga;
	d->gb = gb;
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
static struct dtype *by_name(struct heap *h, const struct graph *g, size_t *n,
			     struct ch_err *err)
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
				       rows[i].bytes, g ? graph_type_retained(g, rows[i].mt) : 0 };
	}
	qsort(t, nr, sizeof *t, dtype_name_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nr; i++) {
		if (w && strcmp(t[w - 1].name, t[i].name) == 0) {
			t[w - 1].count += t[i].count;
			t[w - 1].bytes += t[i].bytes;
			t[w - 1].retained += t[i].retained;
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
		return d->made;
	d->done = true;
	struct dtype *ta = NULL, *tb = NULL;
	size_t na = 0, nb = 0;
	if (!(ta = by_name(d->a, d->ga, &na, &d->err)) || !(tb = by_name(d->b, d->gb, &nb, &d->err)))
		goto out;
	size_t cap = na + nb ? na + nb : 1;
	if (!(d->all = malloc(cap * sizeof *d->all)) || !(d->rows = malloc(cap * sizeof *d->rows))) {
		ch_set_error(&d->err, CH_ENOMEM, "out of memory");
		goto out;
	}
	size_t i = 0, j = 0;
	while (i < na || j < nb) { /* merge the two name-sorted lists */
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(ta[i].name, tb[j].name);
		struct insp_diff_row x = { .type = cmp <= 0 ? ta[i].name : tb[j].name };
		if (cmp <= 0) {
			x.count_a = ta[i].count;
			x.retained_a = ta[i].retained;
			x.bytes_a = ta[i++].bytes;
		}
		if (cmp >= 0) {
			x.count_b = tb[j].count;
			x.retained_b = tb[j].retained;
			x.bytes_b = tb[j++].bytes;
		}
		d->total.count_a += x.count_a, d->total.count_b += x.count_b;
		d->total.bytes_a += x.bytes_a, d->total.bytes_b += x.bytes_b;
		d->all[d->nall++] = x;
		if (x.count_a != x.count_b || x.bytes_a != x.bytes_b || x.retained_a != x.retained_b)
			d->rows[d->nrows++] = x;
	}
	if (d->ga && d->gb) { /* what every root keeps alive: the live bytes */
		uint64_t objs;
		graph_live_totals(d->ga, &objs, &d->total.retained_a);
		graph_live_totals(d->gb, &objs, &d->total.retained_b);
	}
	qsort(d->rows, d->nrows, sizeof *d->rows, row_growth_cmp);
out:
	free(tb);
	free(ta);
	return d->made = d->err.status;
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
		return d->made;
	bool ret = d->ga && d->gb;
	outf(out, arg, ret ? "count_delta\tbytes_delta\tretained_delta\tcount_a\tcount_b\tbytes_a"
			     "\tbytes_b\tretained_a\tretained_b\tchange\ttype\n"
			   : "count_delta\tbytes_delta\tcount_a\tcount_b\tbytes_a\tbytes_b\tchange\ttype\n");
	for (size_t i = 0; i <= d->nrows; i++) {
		const struct insp_diff_row *x = i < d->nrows ? &d->rows[i] : &d->total;
		const char *change = i < d->nrows ? insp_diff_change(x) : "";
		const char *type = i < d->nrows ? x->type : "(total)";
		bool ok = ret
			? outf(out, arg, "%+" PRId64 "\t%+" PRId64 "\t%+" PRId64 "\t%" PRIu64 "\t%" PRIu64
			       "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\n",
			       delta(x->count_a, x->count_b), delta(x->bytes_a, x->bytes_b),
			       delta(x->retained_a, x->retained_b), x->count_a, x->count_b, x->bytes_a,
			       x->bytes_b, x->retained_a, x->retained_b, change, type)
			: outf(out, arg, "%+" PRId64 "\t%+" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
			       "\t%" PRIu64 "\t%s\t%s\n", delta(x->count_a, x->count_b),
			       delta(x->bytes_a, x->bytes_b), x->count_a, x->count_b, x->bytes_a,
			       x->bytes_b, change, type);
		if (!ok)
			return ch_set_error(&d->err, CH_ENOMEM, "out of memory");
	}
	return CH_OK;
}

/* "<what>_a", "<what>_b" and "<what>_delta". */
static void numbers(struct jw *w, const char *what, uint64_t a, uint64_t b)
{
	char k[32];
	snprintf(k, sizeof k, "%s_a", what);
	jw_key(w, k); jw_u64(w, a);
	snprintf(k, sizeof k, "%s_b", what);
	jw_key(w, k); jw_u64(w, b);
	snprintf(k, sizeof k, "%s_delta", what);
	jw_key(w, k); jw_i64(w, delta(a, b));
}

static void row_numbers(const struct insp_diff *d, struct jw *w, const struct insp_diff_row *x)
{
	numbers(w, "count", x->count_a, x->count_b);
	numbers(w, "bytes", x->bytes_a, x->bytes_b);
	if (d->ga && d->gb)
		numbers(w, "retained", x->retained_a, x->retained_b);
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
		return d->made;
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
		row_numbers(d, &w, x);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "total");
	jw_obj_begin(&w);
	row_numbers(d, &w, &d->total);
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
		return d->made;
	const struct insp_diff_row *x = bsearch(name, d->all, d->nall, sizeof *d->all, row_name_cmp);
	if (!x)
		return CH_ENOTFOUND;
	*row = *x;
	return CH_OK;
}

enum ch_status insp_diff_type_json(struct insp_diff *d, const char *name, insp_out_fn out,
				   void *arg)
{
	struct insp_diff_row x = { .type = name };
	enum ch_status st = insp_diff_type(d, name, &x);
	if (st != CH_OK && st != CH_ENOTFOUND)
		return st;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "type"); jw_str(&w, name);
	row_numbers(d, &w, &x);
	jw_key(&w, "change");
	jw_str(&w, st == CH_ENOTFOUND ? "" : insp_diff_change(&x));
	jw_obj_end(&w);
	return jw_out(d, &w, out, arg);
}

/* ---- root paths ---- */

struct kshape {
	uint64_t key, count, retained;
	size_t idx;
};

static int kshape_cmp(const void *pa, const void *pb)
{
	const struct kshape *a = pa, *b = pb;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* s's shapes by key. */
static struct kshape *keyed(const struct graph_shapes *s, size_t *n)
{
	const struct graph_shape *all = graph_shapes_all(s, n);
	struct kshape *k = malloc((*n ? *n : 1) * sizeof *k);
	for (size_t i = 0; k && i < *n; i++)
		k[i] = (struct kshape){ all[i].key, all[i].count, all[i].retained, i };
	if (k)
		qsort(k, *n, sizeof *k, kshape_cmp);
	return k;
}

static int dpath_growth_cmp(const void *pa, const void *pb)
{
	const struct dpath *a = pa, *b = pb;
	int64_t da = delta(a->retained_a, a->retained_b), db = delta(b->retained_a, b->retained_b);
	if (da != db)
		return da > db ? -1 : 1;
	int64_t ca = delta(a->count_a, a->count_b), cb = delta(b->count_a, b->count_b);
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* The changed shapes of sa and sb, texts made, sorted by growth. */
static struct dpath *changed_paths(struct insp_diff *d, const struct graph_shapes *sa,
				   const struct graph_shapes *sb, size_t *np)
{
	size_t na, nb, n = 0;
	struct kshape *ka = keyed(sa, &na), *kb = keyed(sb, &nb);
	struct dpath *p = ka && kb ? malloc((na + nb ? na + nb : 1) * sizeof *p) : NULL;
	bool oom = !p;
	for (size_t i = 0, j = 0; !oom && (i < na || j < nb);) {
		int cmp = i == na ? 1 : j == nb ? -1 : ka[i].key < kb[j].key ? -1 : ka[i].key > kb[j].key;
		struct dpath x = { cmp <= 0 ? ka[i].key : kb[j].key, 0, 0, 0, 0, NULL };
		const struct graph_shapes *from = sb;
		size_t idx = 0;
		if (cmp <= 0) {
			x.count_a = ka[i].count, x.retained_a = ka[i].retained;
			from = sa, idx = ka[i++].idx;
		}
		if (cmp >= 0) {
			x.count_b = kb[j].count, x.retained_b = kb[j].retained;
			from = sb, idx = kb[j++].idx;
		}
		if (x.count_a == x.count_b && x.retained_a == x.retained_b)
			continue;
		if (!(x.text = graph_shape_text(from, idx)))
			oom = true;
		else
			p[n++] = x;
	}
	free(ka);
	free(kb);
	if (oom) {
		for (size_t i = 0; i < n; i++)
			free(p[i].text);
		free(p);
		ch_set_error(&d->err, CH_ENOMEM, "out of memory comparing root paths");
		return NULL;
	}
	qsort(p, n, sizeof *p, dpath_growth_cmp);
	*np = n;
	return p;
}

static enum ch_status paths_out(struct insp_diff *d, const struct dpath *p, size_t n, bool json,
				insp_out_fn out, void *arg)
{
	if (!json) {
		outf(out, arg, "retained_delta\tcount_delta\tretained_a\tretained_b\tcount_a\tcount_b\tpath\n");
		for (size_t i = 0; i < n; i++)
			if (!outf(out, arg, "%+" PRId64 "\t%+" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
				  "\t%" PRIu64 "\t%s\n", delta(p[i].retained_a, p[i].retained_b),
				  delta(p[i].count_a, p[i].count_b), p[i].retained_a, p[i].retained_b,
				  p[i].count_a, p[i].count_b, p[i].text))
				return ch_set_error(&d->err, CH_ENOMEM, "out of memory");
		return CH_OK;
	}
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "paths");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(&w);
		jw_key(&w, "path"); jw_str(&w, p[i].text);
		numbers(&w, "count", p[i].count_a, p[i].count_b);
		numbers(&w, "retained", p[i].retained_a, p[i].retained_b);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	return jw_out(d, &w, out, arg);
}

enum ch_status insp_diff_paths(struct insp_diff *d, bool json, insp_out_fn out, void *arg)
{
	if (!d->ga || !d->gb)
		return ch_set_error(&d->err, CH_EUNSUPPORTED,
				    "root paths are compared only with both dumps' graphs");
	struct graph_shapes *sa = NULL, *sb = NULL;
	struct dpath *p = NULL;
	size_t n = 0;
	enum ch_status st = CH_OK;
	if (graph_shapes_build(d->ga, &sa, &d->err) != CH_OK ||
	    graph_shapes_build(d->gb, &sb, &d->err) != CH_OK || !(p = changed_paths(d, sa, sb, &n)))
		st = d->err.status;
	else
		st = paths_out(d, p, n, json, out, arg);
	for (size_t i = 0; i < n; i++)
		free(p[i].text);
	free(p);
	graph_shapes_free(sa);
	graph_shapes_free(sb);
	return st;
}
