/* graph_path.c - naming references and roots for root paths: which field
 * (or array element) of an object holds a reference, and what a root is. */
#include "graph_priv.h"

#include "md.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_NEST 16 /* structs inside structs */

struct find_slot {
	uint64_t want, slot;
	bool found;
};

static bool find_cb(void *arg, uint64_t slot, uint64_t value)
{
	struct find_slot *f = arg;
	if (value != f->want)
		return true;
	f->slot = slot;
	f->found = true;
	return false;
}

/* The field of type t (instance fields, offsets from the start of its
 * fields) that holds offset rel, appended to buf as ".name" (nested
 * structs as ".a.b"). */
static void field_at(const struct graph *g, const struct clr_type *t, uint64_t rel, char *buf,
		     size_t size, unsigned depth)
{
	size_t nf, ninst, len = strlen(buf);
	const struct clr_field *f = t ? clr_type_fields(g->c, t, &nf, &ninst, NULL) : NULL;
	for (size_t i = 0; f && i < ninst; i++) {
		if (f[i].flags & CLR_FIELD_STATIC)
			continue;
		if (f[i].elem == MD_ELEM_VALUETYPE || (f[i].elem == MD_ELEM_GENERICINST && f[i].type_th)) {
			const struct clr_type *st = f[i].type_th ? clr_type_of(g->c, f[i].type_th, NULL) : NULL;
			if (!st || st->kind == CLR_KIND_CLASS || st->base_size < 2u * g->ps)
				continue;
			uint64_t ssize = st->base_size - 2u * g->ps;
			if (rel >= f[i].offset && rel - f[i].offset < ssize && depth < MAX_NEST) {
				snprintf(buf + len, size - len, "%s%s", len ? "." : "", f[i].name);
				field_at(g, st, rel - f[i].offset, buf, size, depth + 1);
				return;
			}
		} else if (f[i].offset == rel) {
			snprintf(buf + len, size - len, "%s%s", len ? "." : "", f[i].name);
			return;
		}
	}
	snprintf(buf + len, size - len, "%s+0x%" PRIx64, len ? "." : "", rel);
}

bool graph_slot_name(const struct graph *g, uint32_t from, uint64_t slot, bool any_index,
		     char *buf, size_t size)
{
	if (!size)
		return false;
	buf[0] = '\0';
	if (from >= g->n)
		return false;
	uint64_t obj = g->addr[from], mt = graph_mt(g, from);
	const struct clr_type *t = clr_type_of(g->c, mt, NULL);
	if (t && t->kind == CLR_KIND_ARRAY) {
		uint64_t data = obj + (t->base_size > g->ps ? t->base_size - g->ps : g->ps);
		uint64_t cs = t->component_size ? t->component_size : g->ps;
		if (slot < data) {
			snprintf(buf, size, "+0x%" PRIx64, slot - obj);
			return true;
		}
		uint64_t idx = (slot - data) / cs, rel = (slot - data) % cs;
		if (any_index)
			snprintf(buf, size, "[]");
		else
			snprintf(buf, size, "[%" PRIu64 "]", idx);
		const struct clr_type *et = t->elem_th ? clr_type_of(g->c, t->elem_th, NULL) : NULL;
		if (et && et->kind != CLR_KIND_CLASS && et->kind != CLR_KIND_ARRAY &&
		    et->kind != CLR_KIND_STRING && et->kind != CLR_KIND_INTERFACE) {
			size_t len = strlen(buf);
			char sub[256] = "";
			field_at(g, et, rel, sub, sizeof sub, 0);
			snprintf(buf + len, size - len, ".%s", sub);
		}
		return true;
	}
	field_at(g, t, slot - obj - g->ps, buf, size, 0);
	return true;
}

bool graph_edge_name(const struct graph *g, uint32_t from, uint32_t to, char *buf,
		     size_t size)
{
	if (!size)
		return false;
	buf[0] = '\0';
	if (from >= g->n || to >= g->n)
		return false;
	struct find_slot fs = { .want = g->addr[to] };
	graph_slots(g, g->addr[from], graph_mt(g, from), graph_size(g, from), find_cb, &fs);
	if (fs.found)
		return graph_slot_name(g, from, fs.slot, false, buf, size);
	size_t n;
	const uint32_t *r = graph_refs(g, from, &n);
	for (size_t k = 0; k < n; k++)
		if (r[k] == to) {
			snprintf(buf, size, GRAPH_DEPENDENT_EDGE);
			return true;
		}
	return false;
}

const char *graph_root_kind(const struct graph_root *r)
{
	switch (r->kind) {
	case GRAPH_ROOT_STATIC: return "static";
	case GRAPH_ROOT_THREAD_STATIC: return "thread-static";
	case GRAPH_ROOT_FINALIZER: return "finalizer-ready";
	case GRAPH_ROOT_STACK: return "stack";
	default:
		break;
	}
	switch (r->aux) {
	case GRAPH_H_STRONG: return "strong-handle";
	case GRAPH_H_PINNED: return "pinned-handle";
	case GRAPH_H_REFCOUNTED: return "ref-counted-handle";
	case GRAPH_H_ASYNC_PINNED: return "async-pinned-handle";
	case GRAPH_H_SIZEDREF: return "sized-ref-handle";
	default: return "handle";
	}
}

void graph_root_name(const struct graph *g, const struct graph_root *r, char *buf,
		     size_t size)
{
	if (!size)
		return;
	if (r->kind == GRAPH_ROOT_STATIC || r->kind == GRAPH_ROOT_THREAD_STATIC) {
		const struct clr_type *t = clr_type_of(g->c, r->mt, NULL);
		size_t nf;
		const struct clr_field *f = t ? clr_type_fields(g->c, t, &nf, NULL, NULL) : NULL;
		const char *fname = f && r->field < nf ? f[r->field].name : "?";
		if (r->kind == GRAPH_ROOT_STATIC)
			snprintf(buf, size, "%s.%s", t ? t->name : "?", fname);
		else
			snprintf(buf, size, "%s.%s thread %" PRIu32, t ? t->name : "?", fname, r->aux);
		return;
	}
	if (r->kind == GRAPH_ROOT_STACK)
		snprintf(buf, size, "thread %" PRIu32 " slot 0x%" PRIx64 " (conservative)", r->aux,
			 r->where);
	else
		snprintf(buf, size, "0x%" PRIx64, r->where);
}
