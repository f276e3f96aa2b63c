/* exc.c - the exception objects of the heap: the types whose parent chain
 * reaches System.Exception (by MethodTable), their instances from the
 * heap's per-type index, and for each the fields System.Exception declares
 * (read through its FieldDescs, so every subclass shares the offsets) and
 * the stack trace array _stackTrace holds (clrex.h StackTraceInfo: a
 * byte[] of a header and StackTraceElement records; from .NET 9 also an
 * object[] whose element 0 is that byte[] and the rest keep methods
 * alive). */
#include "exc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "rdr.h"

#define MAX_FRAMES 4096u         /* frames decoded of one stack trace */
#define MAX_MESSAGE_UNITS 4096u  /* UTF-16 units of a message read */
#define MAX_EXCEPTIONS 1000000u  /* exception objects listed */

struct exc_list {
	struct heap *h;
	struct clr *c;
	uint64_t exc_mt;
	struct exc_exception *e;
	size_t n, cap;
};

/* ---- decoding the stack trace bytes ------------------------------------ */

enum ch_status exc_decode_frames(const uint8_t *p, size_t len, unsigned ps, bool v9,
				 struct exc_raw_frame *out, size_t max, size_t *n)
{
	*n = 0;
	if (ps != 4 && ps != 8)
		return CH_EARG;
	size_t hdr = v9 ? 8 + (size_t)ps : 2 * (size_t)ps, esz = 4 * (size_t)ps;
	if (len < hdr)
		return len ? CH_ECORRUPT : CH_OK;
	uint64_t count = v9 || ps == 4 ? rdr_le32(p) : rdr_le64(p);
	size_t fit = (len - hdr) / esz;
	enum ch_status st = CH_OK;
	if (count > fit || count > max) {
		st = CH_ECORRUPT;
		count = fit < max ? fit : max;
	}
	for (size_t i = 0; i < count; i++) {
		const uint8_t *q = p + hdr + i * esz;
		out[i].ip = ps == 8 ? rdr_le64(q) : rdr_le32(q);
		out[i].sp = ps == 8 ? rdr_le64(q + 8) : rdr_le32(q + 4);
		out[i].md = ps == 8 ? rdr_le64(q + 16) : rdr_le32(q + 8);
		out[i].flags = rdr_le32(q + 3 * (size_t)ps);
	}
	*n = (size_t)count;
	return st;
}

/* ---- reading objects ----------------------------------------------------- */

static const struct clr_type *type_at(struct clr *c, uint64_t obj)
{
	struct ch_err e = { 0 };
	uint64_t mt;
	if (!obj || (obj & (clr_ptr_size(c) - 1)) || !as_ptrv(clr_as(c), obj, &mt))
		return NULL;
	mt &= clr_mt_mask(c);
	return mt ? clr_type_of(c, mt, &e) : NULL;
}

/* True when t is System.Exception or derives from it: by MethodTable when
 * its MethodTable is known, else by the root's name. */
static bool is_exception(const struct exc_list *l, const struct clr_type *t)
{
	for (unsigned k = 0; t && k < CLR_MAX_PARENTS; k++) {
		struct ch_err e = { 0 };
		if (l->exc_mt ? t->mt == l->exc_mt : strcmp(t->name, "System.Exception") == 0)
			return true;
		t = t->parent_mt ? clr_type_of(l->c, t->parent_mt, &e) : NULL;
	}
	return false;
}

/* The byte[] holding the frames: _stackTrace itself, or element 0 of the
 * object[] it is. 0 when neither. */
static uint64_t frames_array(struct clr *c, uint64_t st, const char **why)
{
	unsigned ps = clr_ptr_size(c);
	const struct clr_type *t = type_at(c, st);
	if (!t || t->kind != CLR_KIND_ARRAY) {
		*why = "_stackTrace is not an array";
		return 0;
	}
	if (t->component_size == 1)
		return st;
	uint32_t len;
	uint64_t first;
	if (t->component_size != ps || !as_u32(clr_as(c), st + ps, &len) || !len ||
	    !as_ptrv(clr_as(c), st + 2 * (uint64_t)ps, &first)) {
		*why = "_stackTrace is an array of neither bytes nor objects";
		return 0;
	}
	t = type_at(c, first);
	if (!t || t->kind != CLR_KIND_ARRAY || t->component_size != 1) {
		*why = "element 0 of _stackTrace is not a byte array";
		return 0;
	}
	return first;
}

enum ch_status exc_read_frames(struct clr *c, uint64_t stack_trace, struct exc_frame **out,
			       size_t *nout, const char **warning)
{
	struct as *a = clr_as(c);
	unsigned ps = clr_ptr_size(c);
	const char *why = NULL;
	*out = NULL;
	*nout = 0;
	*warning = NULL;
	uint64_t arr = frames_array(c, stack_trace, &why);
	uint32_t len = 0;
	if (arr && !as_u32(a, arr + ps, &len)) {
		why = "the stack trace array's length is unreadable";
		arr = 0;
	}
	if (!arr) {
		*warning = why;
		return CH_OK;
	}
	size_t hdr = 2 * (size_t)ps, want = len, max_bytes = 16 + (size_t)MAX_FRAMES * 4 * ps;
	if (want > max_bytes)
		want = max_bytes;
	uint8_t *b = malloc(want ? want : 1);
	struct exc_raw_frame *raw = calloc(MAX_FRAMES, sizeof *raw);
	if (!b || !raw) {
		free(b);
		free(raw);
		return CH_ENOMEM;
	}
	size_t got = as_read(a, arr + hdr, b, want), n = 0;
	const struct clr_runtime_info *rt = clr_runtime(c);
	bool v9 = rt->flavor == CLR_FLAVOR_CORE && rt->major >= 9;
	enum ch_status st = exc_decode_frames(b, got, ps, v9, raw, MAX_FRAMES, &n);
	if (st != CH_OK || got != want)
		*warning = got != want ? "the stack trace array is not all in the dump"
					 : "the stack trace array claims more frames than it holds";
	free(b);
	struct exc_frame *f = calloc(n ? n : 1, sizeof *f);
	if (!f) {
		free(raw);
		return CH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char name[1024];
		struct clr_method m;
		struct ch_err me = { 0 };
		f[i].ip = raw[i].ip;
		f[i].sp = raw[i].sp;
		f[i].md = raw[i].md;
		f[i].flags = raw[i].flags;
		if (raw[i].md && clr_method_name(c, raw[i].md, name, sizeof name)) {
			f[i].method = strdup(name);
			f[i].code = clr_code_start(c, raw[i].ip, raw[i].md);
			if (clr_method_read(c, raw[i].md, &m, &me) == CH_OK && m.type)
				f[i].module = m.type->module_name;
		}
	}
	free(raw);
	*out = f;
	*nout = n;
	return CH_OK;
}

void exc_frames_free(struct exc_frame *f, size_t n)
{
	for (size_t k = 0; f && k < n; k++)
		free((char *)f[k].method);
	free(f);
}

/* Decodes e's stack trace into malloc'd frames. */
static enum ch_status read_frames(struct exc_list *l, struct exc_exception *e)
{
	struct exc_frame *f;
	enum ch_status st = exc_read_frames(l->c, e->stack_trace, &f, &e->nframes, &e->warning);
	e->frames = f;
	return st;
}

/* Reads the exception at obj of type t and appends it. */
static enum ch_status add_exception(struct exc_list *l, const struct clr_type *et,
				    uint64_t obj, const struct clr_type *t)
{
	struct clr *c = l->c;
	struct as *a = clr_as(c);
	unsigned ps = clr_ptr_size(c);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct exc_exception *p = realloc(l->e, cap * sizeof *p);
		if (!p)
			return CH_ENOMEM;
		l->e = p;
		l->cap = cap;
	}
	struct exc_exception *e = &l->e[l->n];
	memset(e, 0, sizeof *e);
	e->addr = obj;
	e->mt = t->mt;
	e->type = t->name;
	const struct clr_field *f;
	uint64_t v;
	uint32_t u;
	if ((f = clr_field_named(c, et, "_message")) && as_ptrv(a, obj + ps + f->offset, &v))
		e->message = clr_string_utf8(c, v, MAX_MESSAGE_UNITS);
	if ((f = clr_field_named(c, et, "_stackTraceString")) && as_ptrv(a, obj + ps + f->offset, &v))
		e->stack_string = clr_string_utf8(c, v, MAX_MESSAGE_UNITS);
	if ((f = clr_field_named(c, et, "_HResult")) && as_u32(a, obj + ps + f->offset, &u))
		e->hresult = (int32_t)u;
	if ((f = clr_field_named(c, et, "_innerException")) && as_ptrv(a, obj + ps + f->offset, &v) && v) {
		const struct clr_type *it = type_at(c, v);
		if (it && is_exception(l, it)) {
			e->inner = v;
			e->inner_type = it->name;
		}
	}
	l->n++;
	if ((f = clr_field_named(c, et, "_stackTrace")) && as_ptrv(a, obj + ps + f->offset, &v) && v) {
		e->stack_trace = v;
		return read_frames(l, e);
	}
	return CH_OK;
}

static int exc_cmp(const void *x, const void *y)
{
	uint64_t p = ((const struct exc_exception *)x)->addr, q = ((const struct exc_exception *)y)->addr;
	return p < q ? -1 : p > q;
}

enum ch_status exc_open(struct heap *h, struct exc_list **out, struct ch_err *err)
{
	*out = NULL;
	struct exc_list *l = calloc(1, sizeof *l);
	if (!l)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	l->h = h;
	l->c = heap_clr(h);
	const struct heap_stat_row *rows;
	size_t nrows;
	enum ch_status st = heap_stat(h, &rows, &nrows, err);
	if (st != CH_OK) {
		free(l);
		return st;
	}
	uint64_t *mts = calloc(nrows ? nrows : 1, sizeof *mts);
	if (!mts) {
		free(l);
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nrows; i++)
		mts[i] = rows[i].mt;
	l->exc_mt = clr_find_type(l->c, "System.Exception", mts, nrows);
	free(mts);
	struct ch_err e = { 0 };
	const struct clr_type *et = l->exc_mt ? clr_type_of(l->c, l->exc_mt, &e) : NULL;
	for (size_t i = 0; st == CH_OK && i < nrows; i++) {
		const struct clr_type *t = clr_type_of(l->c, rows[i].mt, &e);
		if (!t || t->kind != CLR_KIND_CLASS || !is_exception(l, t))
			continue;
		const struct clr_type *base = et;
		/* without System.Exception's MethodTable: the root, by name */
		const struct clr_type *p = t;
		for (unsigned k = 0; !base && p && k < CLR_MAX_PARENTS; k++)
			if (strcmp(p->name, "System.Exception") == 0)
				base = p;
			else
				p = p->parent_mt ? clr_type_of(l->c, p->parent_mt, &e) : NULL;
		const uint64_t *addrs;
		size_t n;
		if ((st = heap_instances(h, rows[i].mt, &addrs, &n, err)) != CH_OK)
			break;
		for (size_t k = 0; st == CH_OK && k < n && l->n < MAX_EXCEPTIONS; k++)
			st = add_exception(l, base, addrs[k], t);
	}
	if (st != CH_OK) {
		exc_close(l);
		return st == CH_ENOMEM ? ch_set_error(err, st, "out of memory reading exceptions") : st;
	}
	if (l->n)
		qsort(l->e, l->n, sizeof *l->e, exc_cmp);
	*out = l;
	return CH_OK;
}

void exc_close(struct exc_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->e[i].message);
		free((char *)l->e[i].stack_string);
		exc_frames_free((struct exc_frame *)l->e[i].frames, l->e[i].nframes);
	}
	free(l->e);
	free(l);
}

const struct exc_exception *exc_all(const struct exc_list *l, size_t *n)
{
	*n = l->n;
	return l->e;
}

const struct exc_exception *exc_find(const struct exc_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->e[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->e[lo].addr == addr ? &l->e[lo] : NULL;
}

bool exc_is_a(const struct exc_list *l, const struct exc_exception *e, const char *base)
{
	struct ch_err er = { 0 };
	return clr_type_derives(l->c, clr_type_of(l->c, e->mt, &er), base);
}

/* ---- text and JSON --------------------------------------------------------- */

static void outf(exc_out_fn out, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void outf(exc_out_fn out, void *arg, const char *fmt, ...)
{
	char buf[1400];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k > 0)
		out(arg, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

static void outs(exc_out_fn out, void *arg, const char *s)
{
	out(arg, s, strlen(s));
}

/* The module's file name without its extension ("tasks" of "tasks.dll"). */
static int module_len(const char *m)
{
	const char *dot = strrchr(m, '.');
	return (int)(dot ? (size_t)(dot - m) : strlen(m));
}

void exc_frame_name(const struct exc_frame *f, char *buf, size_t size)
{
	if (!f->method) {
		snprintf(buf, size, "<unknown method, MethodDesc %" PRIx64 ">", f->md);
		return;
	}
	int n = f->module ? snprintf(buf, size, "%.*s!%s", module_len(f->module), f->module, f->method)
			  : snprintf(buf, size, "%s", f->method);
	if (f->code && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "+0x%" PRIx64, f->ip - f->code);
}

void exc_text(const struct exc_list *l, const struct exc_exception *e, exc_out_fn out, void *arg)
{
	int w = (int)(2 * clr_ptr_size(l->c));
	outf(out, arg, "Exception object: %0*" PRIx64 "\nException type:   %s\nMessage:          ", w,
	     e->addr, e->type);
	outs(out, arg, e->message ? e->message : "<none>");
	if (e->inner)
		outf(out, arg, "\nInnerException:   %s, exceptions/%0*" PRIx64 ".txt\n", e->inner_type, w,
		     e->inner);
	else
		outs(out, arg, "\nInnerException:   <none>\n");
	if (!e->nframes) {
		outs(out, arg, "StackTrace (generated): <none>\n");
	} else {
		outf(out, arg, "StackTrace (generated):\n    %-*s %-*s Function\n", w, "SP", w, "IP");
		for (size_t i = 0; i < e->nframes; i++) {
			const struct exc_frame *f = &e->frames[i];
			char name[1200];
			exc_frame_name(f, name, sizeof name);
			outf(out, arg, "    %0*" PRIX64 " %0*" PRIX64 " %s\n", w, f->sp, w, f->ip, name);
		}
	}
	if (e->warning)
		outf(out, arg, "    (the stack trace ends early: %s)\n", e->warning);
	outs(out, arg, "\nStackTraceString: ");
	outs(out, arg, e->stack_string ? e->stack_string : "<none>");
	outf(out, arg, "\nHResult: %" PRIx32 "\n", (uint32_t)e->hresult);
}

struct type_count {
	const char *type;
	size_t count;
};

static int tc_cmp(const void *x, const void *y)
{
	const struct type_count *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->type, b->type);
}

static int mt_order(const void *x, const void *y)
{
	const struct exc_exception *a = *(const struct exc_exception *const *)x,
				   *b = *(const struct exc_exception *const *)y;
	return a->mt < b->mt ? -1 : a->mt > b->mt;
}

void exc_by_type_tsv(const struct exc_list *l, exc_out_fn out, void *arg)
{
	outs(out, arg, "count\ttype\n");
	const struct exc_exception **p = malloc((l->n ? l->n : 1) * sizeof *p);
	struct type_count *tc = malloc((l->n ? l->n : 1) * sizeof *tc);
	if (!p || !tc) {
		free(p);
		free(tc);
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		p[i] = &l->e[i];
	qsort(p, l->n, sizeof *p, mt_order);
	size_t nt = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (i && p[i]->mt == p[i - 1]->mt) {
			tc[nt - 1].count++;
			continue;
		}
		tc[nt].type = p[i]->type;
		tc[nt++].count = 1;
	}
	qsort(tc, nt, sizeof *tc, tc_cmp);
	for (size_t i = 0; i < nt; i++)
		outf(out, arg, "%zu\t%s\n", tc[i].count, tc[i].type);
	free(p);
	free(tc);
}

void exc_json(const struct exc_exception *e, struct jw *w)
{
	char hex[16];
	jw_obj_begin(w);
	jw_key(w, "address");
	jw_hex(w, e->addr);
	jw_key(w, "type");
	jw_str(w, e->type);
	jw_key(w, "message");
	jw_str_or_null(w, e->message);
	jw_key(w, "hresult");
	jw_i64(w, e->hresult);
	jw_key(w, "hresult_hex");
	snprintf(hex, sizeof hex, "0x%08" PRIx32, (uint32_t)e->hresult);
	jw_str(w, hex);
	jw_key(w, "inner");
	jw_hex_or_null(w, e->inner);
	jw_key(w, "inner_type");
	jw_str_or_null(w, e->inner_type);
	jw_key(w, "stack_trace");
	jw_hex_or_null(w, e->stack_trace);
	jw_key(w, "frames");
	jw_arr_begin(w);
	for (size_t i = 0; i < e->nframes; i++) {
		const struct exc_frame *f = &e->frames[i];
		jw_obj_begin(w);
		jw_key(w, "ip");
		jw_hex(w, f->ip);
		jw_key(w, "sp");
		jw_hex(w, f->sp);
		jw_key(w, "method_desc");
		jw_hex(w, f->md);
		jw_key(w, "method");
		jw_str_or_null(w, f->method);
		jw_key(w, "code_start");
		jw_hex_or_null(w, f->code);
		jw_key(w, "offset");
		if (f->code)
			jw_u64(w, f->ip - f->code);
		else
			jw_null(w);
		jw_key(w, "module");
		jw_str_or_null(w, f->module);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "stack_trace_string");
	jw_str_or_null(w, e->stack_string);
	jw_key(w, "warning");
	jw_str_or_null(w, e->warning);
	jw_obj_end(w);
}

void exc_list_json(const struct exc_list *l, const char *base, struct jw *w)
{
	jw_obj_begin(w);
	jw_key(w, "exceptions");
	jw_arr_begin(w);
	for (size_t i = 0; i < l->n; i++)
		if (!base || exc_is_a(l, &l->e[i], base))
			exc_json(&l->e[i], w);
	jw_arr_end(w);
	jw_obj_end(w);
}
