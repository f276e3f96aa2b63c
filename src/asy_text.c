/* asy_text.c - what asy.h prints: async/chains.txt (coalesced chains),
 * async/boxes.tsv and the JSON of every box. */
#include "asy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chain {
	size_t first;  /* the innermost box */
	size_t len;
	size_t group;  /* chains of one shape share it: the first such chain's index */
};

static void outf(asy_out_fn out, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void outf(asy_out_fn out, void *arg, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k > 0)
		out(arg, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

/* The next box outward, ASY_NONE at the end or past n steps (a cycle). */
static size_t step(const struct asy_box *b, size_t i)
{
	return b[i].next;
}

/* Whether chains a and b pass the same state machine types in order. */
static bool same_shape(const struct asy_box *b, size_t n, const struct chain *x,
		       const struct chain *y)
{
	if (x->len != y->len)
		return false;
	size_t i = x->first, j = y->first;
	for (size_t k = 0; k < x->len && k < n; k++, i = step(b, i), j = step(b, j))
		if (strcmp(b[i].machine, b[j].machine) != 0)
			return false;
	return true;
}

static void box_line(const struct asy_box *b, size_t i, asy_out_fn out, void *arg)
{
	char st[16] = "?";
	if (b[i].have_state)
		snprintf(st, sizeof st, "%" PRId32, b[i].state);
	outf(out, arg, "  0x%016" PRIx64 "  state %-3s %-21s %s", b[i].addr, st,
	     asy_status(b[i].flags), b[i].machine);
	if (b[i].awaits && b[i].awaits_box == ASY_NONE)
		outf(out, arg, "  awaits 0x%" PRIx64 " %s", b[i].awaits,
		     b[i].awaits_type ? b[i].awaits_type : "?");
	out(arg, "\n", 1);
}

static int group_cmp(const void *x, const void *y)
{
	const size_t *a = x, *b = y; /* [count, index] pairs: most first, then order */
	if (a[0] != b[0])
		return a[0] > b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

void asy_chains_text(const struct asy_list *l, asy_out_fn out, void *arg)
{
	size_t n;
	const struct asy_box *b = asy_boxes(l, &n);
	bool *inner = malloc((n ? n : 1) * sizeof *inner);
	struct chain *c = malloc((n ? n : 1) * sizeof *c);
	size_t *g = malloc((n ? n : 1) * 2 * sizeof *g);
	if (!inner || !c || !g) {
		free(inner), free(c), free(g);
		out(arg, "out of memory\n", 14);
		return;
	}
	/* innermost: no box continues into it */
	for (size_t i = 0; i < n; i++)
		inner[i] = true;
	for (size_t i = 0; i < n; i++)
		if (b[i].next != ASY_NONE)
			inner[b[i].next] = false;
	size_t nc = 0, ng = 0;
	for (size_t i = 0; i < n; i++) {
		if (!inner[i])
			continue;
		size_t len = 0;
		for (size_t j = i; j != ASY_NONE && len < n; j = step(b, j))
			len++;
		c[nc] = (struct chain){ i, len, nc };
		for (size_t k = 0; k < nc; k++)
			if (c[k].group == k && same_shape(b, n, &c[k], &c[nc])) {
				c[nc].group = k;
				break;
			}
		nc++;
	}
	for (size_t k = 0; k < nc; k++)
		if (c[k].group == k) {
			size_t cnt = 0;
			for (size_t j = k; j < nc; j++)
				cnt += c[j].group == k;
			g[2 * ng] = cnt;
			g[2 * ng + 1] = k;
			ng++;
		}
	qsort(g, ng, 2 * sizeof *g, group_cmp);
	outf(out, arg, "%zu async state machine%s in %zu chain%s of %zu shape%s\n", n, n == 1 ? "" : "s",
	     nc, nc == 1 ? "" : "s", ng, ng == 1 ? "" : "s");
	for (size_t k = 0; k < ng; k++) {
		const struct chain *x = &c[g[2 * k + 1]];
		out(arg, "\n", 1);
		if (g[2 * k] > 1)
			outf(out, arg, "%zu chains like this one, %zu box%s each (innermost first):\n",
			     g[2 * k], x->len, x->len == 1 ? "" : "es");
		else
			outf(out, arg, "a chain of %zu box%s (innermost first):\n", x->len, x->len == 1 ? "" : "es");
		size_t j = x->first;
		for (size_t s = 0; s < x->len && j != ASY_NONE; s++, j = step(b, j))
			box_line(b, j, out, arg);
	}
	/* boxes in a cycle have no innermost one: say so rather than drop them */
	size_t seen = 0;
	for (size_t k = 0; k < nc; k++)
		seen += c[k].len;
	if (seen < n)
		outf(out, arg, "\n%zu boxes continue into each other in cycles (not shown)\n", n - seen);
	free(inner), free(c), free(g);
}

void asy_boxes_tsv(const struct asy_list *l, asy_out_fn out, void *arg)
{
	size_t n;
	const struct asy_box *b = asy_boxes(l, &n);
	outf(out, arg, "address\tstatus\tstate\tstate_machine\tawaits\tawaits_type\tcontinues\ttype\n");
	for (size_t i = 0; i < n; i++) {
		char st[16] = "-", aw[24] = "-", nx[24] = "-";
		if (b[i].have_state)
			snprintf(st, sizeof st, "%" PRId32, b[i].state);
		if (b[i].awaits)
			snprintf(aw, sizeof aw, "0x%" PRIx64, b[i].awaits);
		if (b[i].next != ASY_NONE)
			snprintf(nx, sizeof nx, "0x%" PRIx64, b[b[i].next].addr);
		outf(out, arg, "0x%" PRIx64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b[i].addr,
		     asy_status(b[i].flags), st, b[i].machine, aw,
		     b[i].awaits_type ? b[i].awaits_type : "-", nx, b[i].type);
	}
}

void asy_list_json(const struct asy_list *l, struct jw *w)
{
	size_t n;
	const struct asy_box *b = asy_boxes(l, &n);
	jw_obj_begin(w);
	jw_key(w, "boxes");
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_key(w, "address"), jw_hex(w, b[i].addr);
		jw_key(w, "type"), jw_str(w, b[i].type);
		jw_key(w, "state_machine"), jw_str(w, b[i].machine);
		jw_key(w, "state");
		if (b[i].have_state)
			jw_i64(w, b[i].state);
		else
			jw_null(w);
		jw_key(w, "status"), jw_str(w, asy_status(b[i].flags));
		jw_key(w, "flags"), jw_hex(w, b[i].flags);
		jw_key(w, "awaits");
		jw_hex_or_null(w, b[i].awaits);
		jw_key(w, "awaits_type");
		jw_str_or_null(w, b[i].awaits_type);
		jw_key(w, "continuation");
		jw_hex_or_null(w, b[i].continuation);
		jw_key(w, "continues");
		if (b[i].next != ASY_NONE)
			jw_hex(w, b[b[i].next].addr);
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}
