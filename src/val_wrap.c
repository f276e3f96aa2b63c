/* val_wrap.c - objects that stand for one value or a slice of an array:
 * Lazy<T> (its value once made), Task<T> (its result once it ran to
 * completion), StringBuilder (its text, a leaf: the chunks linked from
 * the last one back, each at its offset), and the structs ArraySegment<T>,
 * Memory<T>, ReadOnlyMemory<T> (the elements they cover; of chars, a
 * string) and ImmutableArray<T> (its array). Where a value is not there
 * yet (a Lazy not made, a task not done) or the fields do not hold
 * together, the object shows its fields. Field names are .NET's (Lazy.cs,
 * Task.cs, StringBuilder.cs, ArraySegment.cs, Memory.cs,
 * ImmutableArray_1.cs). */
#include "val_iter.h"

#include <stdlib.h>

#include "rdr.h"

#define TASK_RAN_TO_COMPLETION 0x1000000 /* Task.TASK_STATE_RAN_TO_COMPLETION */
#define MEMORY_FLAGS 0x7fffffffu         /* Memory<T>.RemoveFlagsBitMask */

/* Whether name is "System.Threading.Tasks.Task<…>" (not a type nested in it). */
static bool is_task_name(const char *name)
{
	static const char task[] = "System.Threading.Tasks.Task<";
	if (strncmp(name, task, sizeof task - 1) != 0)
		return false;
	int depth = 1;
	for (const char *c = name + sizeof task - 1; *c; c++) {
		if (*c == '<')
			depth++;
		else if (*c == '>' && --depth == 0)
			return c[1] == '\0';
	}
	return false;
}

/* Task<T> or a type derived from it (an async method's state machine box). */
static bool is_task(struct val *v, const struct clr_type *t)
{
	for (int k = 0; t && k < 16; k++) {
		if (is_task_name(t->name))
			return true;
		t = t->parent_mt ? clr_type_of(v->c, t->parent_mt, NULL) : NULL;
	}
	return false;
}

bool wrap_plan(struct val *v, struct plan *p, const char *dn)
{
	const struct pfield **d = p->df;
	enum vk k = VK_PLAIN;
	if (!p->valuetype) {
		if (strcmp(dn, "System.Lazy") == 0) {
			if ((d[0] = plan_field(p, "_state")) && (d[1] = plan_field(p, "_value")))
				k = VK_LAZY;
		} else if (strcmp(dn, "System.Text.StringBuilder") == 0) {
			if ((d[0] = plan_field(p, "m_ChunkChars")) && (d[1] = plan_field(p, "m_ChunkPrevious")) &&
			    (d[2] = plan_field(p, "m_ChunkLength")) && (d[3] = plan_field(p, "m_ChunkOffset")))
				k = VK_SBUILDER;
		} else if (is_task(v, p->t)) {
			if ((d[0] = plan_field(p, "m_stateFlags")) && (d[1] = plan_field(p, "m_result")))
				k = VK_TASK;
		}
	} else if (strcmp(dn, "System.ArraySegment") == 0) {
		if ((d[0] = plan_field(p, "_array")) && (d[1] = plan_field(p, "_offset")) &&
		    (d[2] = plan_field(p, "_count")))
			k = VK_SEGMENT;
	} else if (strcmp(dn, "System.Memory") == 0 || strcmp(dn, "System.ReadOnlyMemory") == 0) {
		if ((d[0] = plan_field(p, "_object")) && (d[1] = plan_field(p, "_index")) &&
		    (d[2] = plan_field(p, "_length")))
			k = VK_MEMORY;
	} else if (strcmp(dn, "System.Collections.Immutable.ImmutableArray") == 0) {
		if ((d[0] = plan_field(p, "array")))
			k = VK_IMMARRAY;
	}
	/* the fields read are a reference and ints (a value may be anything) */
	unsigned refs = k == VK_SBUILDER ? 2 : 1, ints = k == VK_LAZY || k == VK_IMMARRAY ? 0 : 2;
	if (k == VK_TASK)
		refs = 0, ints = 1;
	for (unsigned i = 0; k != VK_PLAIN && i < refs + ints; i++) {
		uint8_t e = d[i]->elem;
		if (i < refs ? e == MD_ELEM_VALUETYPE || elem_size(e, v->ps) : e != MD_ELEM_I4)
			k = VK_PLAIN;
	}
	if (k == VK_PLAIN) {
		memset(p->df, 0, sizeof p->df);
		return false;
	}
	p->kind = k;
	p->leaf = k == VK_SBUILDER;
	return true;
}

/* ---- text ---- */

/* A text of total UTF-16 units, the first n of them at buf (n is total,
 * or more than show_chars): as a JSON string, or its first show_chars
 * units with its length ({"$string":…,"$length":total}), or plain text. */
static void put_text(struct rctx *rc, const uint8_t *buf, uint64_t n, uint64_t total, bool json)
{
	uint64_t show = n < total ? n : total;
	bool cut = json && total > rc->v->show_chars;
	if (cut) {
		show = rc->v->show_chars;
		unsigned u = show ? rdr_le16(buf + 2 * (show - 1)) : 0;
		if (u >= 0xd800 && u <= 0xdbff)
			show--; /* not half a pair */
		vb_str(rc->b, "{\"$string\":");
	}
	val_utf16(rc->b, buf, (size_t)show, json);
	if (cut) {
		vb_str(rc->b, ",\"$length\":");
		vb_u64(rc->b, total);
		vb_ch(rc->b, '}');
	}
}

/* A StringBuilder's chunks: the last one is the object, each links the one
 * before it; a chunk holds m_ChunkLength characters from m_ChunkOffset. */
bool leaf_text_builder(struct rctx *rc, const struct plan *p, const struct span *s, bool json)
{
	struct val *v = rc->v;
	const struct pfield *const *d = p->df;
	uint64_t obj = s->addr - v->ps;
	int32_t len, off;
	if (!it_i32(v, s, d[2], &len) || !it_i32(v, s, d[3], &off) || len < 0 || off < 0 ||
	    (uint64_t)off + (uint64_t)len > INT32_MAX)
		return false;
	uint64_t total = (uint64_t)off + (uint64_t)len;
	/* what is shown is read: all of it, or one unit more than a JSON string shows */
	uint64_t want = json && total > (uint64_t)v->show_chars + 1 ? (uint64_t)v->show_chars + 1 : total;
	uint8_t *buf = malloc(want ? 2 * want : 1);
	if (!buf)
		return false;
	uint64_t end = total, steps = 0;
	for (uint64_t chunk = obj; chunk; steps++) {
		struct span cs = it_obj_span(v, chunk);
		uint64_t n, data;
		uint32_t comp;
		struct plan *ep;
		uint8_t elem;
		if (steps > v->max_items || val_obj_mt(v, chunk) != p->mt ||
		    !it_i32(v, &cs, d[2], &len) || !it_i32(v, &cs, d[3], &off) || len < 0 || off < 0 ||
		    (uint64_t)off + (uint64_t)len != end ||
		    (len && (!it_array(v, sp_ptr(v, &cs, d[0]->off), &n, &comp, &data, &ep, &elem) ||
			     elem != MD_ELEM_CHAR || comp != 2 || (uint64_t)len > n))) {
			end = 1; /* damage */
			break;
		}
		uint64_t from = (uint64_t)off, to = end < want ? end : want;
		if (from < to && as_read(v->a, data, buf + 2 * from, 2 * (to - from)) != 2 * (to - from)) {
			end = 1;
			break;
		}
		end = (uint64_t)off;
		chunk = sp_ptr(v, &cs, d[1]->off);
	}
	/* the first chunk starts the text */
	if (end == 0)
		put_text(rc, buf, want, total, json);
	free(buf);
	return end == 0;
}

/* ---- one value ---- */

bool emit_wrap(struct rctx *rc, const struct plan *p, uint64_t obj, unsigned level)
{
	struct val *v = rc->v;
	struct span s = it_obj_span(v, obj);
	const struct pfield *const *d = p->df;
	int32_t flags;
	switch (p->kind) {
	case VK_LAZY:
		/* as a document of its own it shows its fields */
		if (level == 0 || sp_ptr(v, &s, d[0]->off))
			return false; /* not made yet (or its factory failed) */
		emit_slot(rc, &s, d[1]->off, d[1]->elem, d[1]->sub, level);
		return true;
	case VK_TASK:
		if (level == 0 || !it_i32(v, &s, d[0], &flags) || !(flags & TASK_RAN_TO_COMPLETION))
			return false;
		emit_slot(rc, &s, d[1]->off, d[1]->elem, d[1]->sub, level);
		return true;
	case VK_SEGMENT: case VK_MEMORY: case VK_IMMARRAY:
		/* a boxed one: as the struct */
		return level > 0 && emit_struct_collection(rc, p, &s, level);
	default:
		return false;
	}
}

/* ---- slices ---- */

static void put_ref(struct rctx *rc, uint64_t obj)
{
	vb_str(rc->b, "{\"$ref\":");
	vb_hexaddr(rc->b, obj);
	vb_ch(rc->b, '}');
}

/* count elements of the array arr from off, or of a char array or string
 * a string; false when they are not all in it. */
static bool put_slice(struct rctx *rc, uint64_t arr, uint64_t off, uint64_t count, unsigned level)
{
	struct val *v = rc->v;
	uint64_t mt = val_obj_mt(v, arr);
	if (mt && mt == v->string_mt) {
		uint32_t n;
		const uint8_t *chars;
		if (!as_u32(v->a, arr + v->ps, &n) || off > n || count > n - off ||
		    !(chars = as_ptr(v->a, arr + v->ps + 4 + 2 * off, (size_t)(count ? 2 * count : 1))))
			return false;
		put_text(rc, chars, count, count, true);
		return true;
	}
	uint64_t n, data;
	uint32_t comp;
	struct plan *ep;
	uint8_t elem;
	if (!it_array(v, arr, &n, &comp, &data, &ep, &elem) || off > n || count > n - off)
		return false;
	if (elem == MD_ELEM_CHAR) {
		const uint8_t *chars = as_ptr(v->a, data + 2 * off, (size_t)(count ? 2 * count : 1));
		if (!chars)
			return false;
		put_text(rc, chars, count, count, true);
		return true;
	}
	/* the array is one reference level, as where it is held */
	unsigned at = level + 1;
	if (at > rc->depth) {
		put_ref(rc, arr);
		return true;
	}
	struct span es = sp_at(v, data, n * comp);
	uint64_t shown = count < v->show_items ? count : v->show_items;
	uint8_t e = ep && elem == MD_ELEM_VALUETYPE ? MD_ELEM_VALUETYPE : elem;
	vb_ch(rc->b, '[');
	for (uint64_t i = 0; i < shown && !rc->b->oom; i++) {
		if (i)
			vb_ch(rc->b, ',');
		emit_slot(rc, &es, (off + i) * comp, e, ep, at);
	}
	if (shown < count) {
		vb_str(rc->b, shown ? ",{\"$more\":" : "{\"$more\":");
		vb_u64(rc->b, count - shown);
		vb_ch(rc->b, '}');
	}
	vb_ch(rc->b, ']');
	return true;
}

bool emit_struct_collection(struct rctx *rc, const struct plan *p, const struct span *s,
			    unsigned level)
{
	struct val *v = rc->v;
	const struct pfield *const *d = p->df;
	uint64_t arr = d[0] ? sp_ptr(v, s, d[0]->off) : 0;
	int32_t off, count;
	size_t mark = rc->b->len;
	bool ok;
	switch (p->kind) {
	case VK_IMMARRAY: /* its array, as a field holding it shows it */
		emit_ref(rc, arr, level);
		return true;
	case VK_SEGMENT:
		if (!it_i32(v, s, d[1], &off) || !it_i32(v, s, d[2], &count) || off < 0 || count < 0)
			return false;
		if (!arr) { /* default(ArraySegment<T>): no array */
			vb_str(rc->b, "null");
			return true;
		}
		ok = put_slice(rc, arr, (uint64_t)off, (uint64_t)count, level);
		break;
	case VK_MEMORY:
		if (!it_i32(v, s, d[1], &off) || !it_i32(v, s, d[2], &count))
			return false;
		off &= (int32_t)MEMORY_FLAGS; /* the high bit marks a pre-pinned array */
		count &= (int32_t)MEMORY_FLAGS;
		if (!arr) { /* default: empty */
			if (count)
				return false;
			const struct clr_type *t = p->t->ntype_args ?
				clr_type_of(v->c, p->t->type_args[0], NULL) : NULL;
			bool chars = t && t->kind == CLR_KIND_PRIMITIVE && t->elem_type == MD_ELEM_CHAR;
			vb_str(rc->b, chars ? "\"\"" : "[]");
			return true;
		}
		/* over a string or an array; over a MemoryManager: its fields */
		ok = put_slice(rc, arr, (uint64_t)off, (uint64_t)count, level);
		break;
	default:
		return false;
	}
	if (!ok) {
		rc->b->len = mark;
		if (rc->b->p)
			rc->b->p[mark] = '\0';
	}
	return ok;
}
