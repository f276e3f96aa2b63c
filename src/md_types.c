/* md_types.c - decoding the rows the type system uses (TypeDef, TypeRef,
 * Field, NestedClass, GenericParam, Constant, Assembly), full type names,
 * enum members. Every index read from a row is checked before use. */
#include <string.h>

#include "md_int.h"

#define MD_NEST_MAX 64 /* deeper nesting is treated as a cycle */

static uint32_t cell(const struct md *m, unsigned t, uint32_t rid,
		     unsigned col)
{
	uint32_t v = 0;
	md_raw(m, t, rid, col, &v);
	return v;
}

/* The length of the list a LIST column of table t points into. */
static uint32_t list_len(const struct md *m, unsigned target)
{
	uint32_t ptr = m->tbl[target - 1].rows;
	return ptr ? ptr : m->tbl[target].rows;
}

/* Row rid's slice [first, first + count) of the list in column col of
 * table t (TypeDef's FieldList or MethodList): up to the next row's start,
 * or to the end of the list for the last row. */
static enum ch_status list_range(const struct md *m, unsigned t, unsigned col,
				 uint32_t rid, uint32_t *first,
				 uint32_t *count)
{
	*first = *count = 0;
	if (rid == 0 || rid > m->tbl[t].rows)
		return CH_ENOTFOUND;
	uint32_t len = list_len(m, m->tbl[t].col[col].arg);
	uint32_t a = cell(m, t, rid, col);
	uint32_t b = rid < m->tbl[t].rows ? cell(m, t, rid + 1, col) : len + 1;
	if (a == 0 || a > len + 1 || b < a || b > len + 1)
		return CH_ECORRUPT;
	*first = a;
	*count = b - a;
	return CH_OK;
}

enum ch_status md_typedef_fields(const struct md *m, uint32_t rid,
				 uint32_t *first, uint32_t *count)
{
	return list_range(m, MD_TBL_TYPEDEF, 4, rid, first, count);
}

uint32_t md_field_rid(const struct md *m, uint32_t pos)
{
	if (m->tbl[MD_TBL_FIELDPTR].rows == 0)
		return pos && pos <= m->tbl[MD_TBL_FIELD].rows ? pos : 0;
	uint32_t rid;
	if (!md_raw(m, MD_TBL_FIELDPTR, pos, 0, &rid) ||
	    rid > m->tbl[MD_TBL_FIELD].rows)
		return 0;
	return rid;
}

enum ch_status md_typedef(const struct md *m, uint32_t rid,
			  struct md_typedef *out)
{
	memset(out, 0, sizeof(*out));
	out->name = out->ns = "";
	if (rid == 0 || rid > m->tbl[MD_TBL_TYPEDEF].rows)
		return CH_ENOTFOUND;
	out->flags = cell(m, MD_TBL_TYPEDEF, rid, 0);
	out->name = md_string(m, cell(m, MD_TBL_TYPEDEF, rid, 1));
	out->ns = md_string(m, cell(m, MD_TBL_TYPEDEF, rid, 2));
	/* A list that contradicts its neighbours reads as empty; callers
	 * that care ask md_typedef_fields, which says so. */
	list_range(m, MD_TBL_TYPEDEF, 4, rid, &out->field_first,
		   &out->field_count);
	list_range(m, MD_TBL_TYPEDEF, 5, rid, &out->method_first,
		   &out->method_count);
	if (!md_cell(m, MD_TBL_TYPEDEF, rid, 3, &out->extends))
		return CH_ECORRUPT;
	return CH_OK;
}

uint32_t md_typedef_extends(const struct md *m, uint32_t rid)
{
	uint32_t tok = 0;
	md_cell(m, MD_TBL_TYPEDEF, rid, 3, &tok);
	return tok;
}

enum ch_status md_typeref(const struct md *m, uint32_t rid,
			  struct md_typeref *out)
{
	memset(out, 0, sizeof(*out));
	out->name = out->ns = "";
	if (rid == 0 || rid > m->tbl[MD_TBL_TYPEREF].rows)
		return CH_ENOTFOUND;
	out->name = md_string(m, cell(m, MD_TBL_TYPEREF, rid, 1));
	out->ns = md_string(m, cell(m, MD_TBL_TYPEREF, rid, 2));
	if (!md_cell(m, MD_TBL_TYPEREF, rid, 0, &out->scope))
		return CH_ECORRUPT;
	return CH_OK;
}

enum ch_status md_field(const struct md *m, uint32_t rid,
			struct md_field *out)
{
	memset(out, 0, sizeof(*out));
	out->name = "";
	if (rid == 0 || rid > m->tbl[MD_TBL_FIELD].rows)
		return CH_ENOTFOUND;
	out->flags = (uint16_t)cell(m, MD_TBL_FIELD, rid, 0);
	out->name = md_string(m, cell(m, MD_TBL_FIELD, rid, 1));
	out->sig = md_blob(m, cell(m, MD_TBL_FIELD, rid, 2), &out->sig_len);
	return out->sig ? CH_OK : CH_ECORRUPT;
}

enum ch_status md_generic_param(const struct md *m, uint32_t rid,
				struct md_generic_param *out)
{
	memset(out, 0, sizeof(*out));
	out->name = "";
	if (rid == 0 || rid > m->tbl[MD_TBL_GENERICPARAM].rows)
		return CH_ENOTFOUND;
	out->number = (uint16_t)cell(m, MD_TBL_GENERICPARAM, rid, 0);
	out->flags = (uint16_t)cell(m, MD_TBL_GENERICPARAM, rid, 1);
	out->name = md_string(m, cell(m, MD_TBL_GENERICPARAM, rid, 3));
	if (!md_cell(m, MD_TBL_GENERICPARAM, rid, 2, &out->owner))
		return CH_ECORRUPT;
	return CH_OK;
}

enum ch_status md_constant(const struct md *m, uint32_t rid,
			   struct md_constant *out)
{
	memset(out, 0, sizeof(*out));
	if (rid == 0 || rid > m->tbl[MD_TBL_CONSTANT].rows)
		return CH_ENOTFOUND;
	out->type = (uint8_t)cell(m, MD_TBL_CONSTANT, rid, 0);
	out->value = md_blob(m, cell(m, MD_TBL_CONSTANT, rid, 2),
			     &out->value_len);
	if (!md_cell(m, MD_TBL_CONSTANT, rid, 1, &out->parent) || !out->value)
		return CH_ECORRUPT;
	return CH_OK;
}

static enum ch_status assembly_row(const struct md *m, unsigned t,
				   uint32_t rid, struct md_assembly *out)
{
	memset(out, 0, sizeof(*out));
	out->name = out->culture = "";
	if (rid == 0 || rid > m->tbl[t].rows)
		return CH_ENOTFOUND;
	/* Assembly starts with HashAlgId; AssemblyRef with the version. */
	unsigned v = t == MD_TBL_ASSEMBLY ? 1 : 0;
	out->major = (uint16_t)cell(m, t, rid, v);
	out->minor = (uint16_t)cell(m, t, rid, v + 1);
	out->build = (uint16_t)cell(m, t, rid, v + 2);
	out->revision = (uint16_t)cell(m, t, rid, v + 3);
	out->flags = cell(m, t, rid, v + 4);
	out->name = md_string(m, cell(m, t, rid, v + 6));
	out->culture = md_string(m, cell(m, t, rid, v + 7));
	return CH_OK;
}

enum ch_status md_assembly(const struct md *m, struct md_assembly *out)
{
	return assembly_row(m, MD_TBL_ASSEMBLY, 1, out);
}

enum ch_status md_assembly_ref(const struct md *m, uint32_t rid,
			       struct md_assembly *out)
{
	return assembly_row(m, MD_TBL_ASSEMBLYREF, rid, out);
}

const char *md_module_name(const struct md *m)
{
	return md_string(m, cell(m, MD_TBL_MODULE, 1, 1));
}

uint32_t md_field_owner(const struct md *m, uint32_t pos)
{
	uint32_t n = m->tbl[MD_TBL_TYPEDEF].rows, first, count;
	if (md_col_sorted(m, MD_TBL_TYPEDEF, 4, MD_SK_FIELDLIST)) {
		/* The last TypeDef whose FieldList is <= pos. */
		uint32_t lo = 1, hi = n + 1;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (cell(m, MD_TBL_TYPEDEF, mid, 4) <= pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint32_t td = lo - 1;
		if (td && md_typedef_fields(m, td, &first, &count) == CH_OK &&
		    pos >= first && pos - first < count)
			return td;
		return 0;
	}
	for (uint32_t td = 1; td <= n; td++)
		if (md_typedef_fields(m, td, &first, &count) == CH_OK &&
		    pos >= first && pos - first < count)
			return td;
	return 0;
}

uint32_t md_enclosing(const struct md *m, uint32_t rid)
{
	struct md_found f;
	md_find_rows(m, MD_TBL_NESTEDCLASS, 0, MD_SK_NESTED, rid, &f);
	for (uint32_t i = 0; i < f.n; i++) {
		uint32_t r = md_found_rid(&f, i);
		if (cell(m, MD_TBL_NESTEDCLASS, r, 0) != rid)
			continue;
		uint32_t enc = cell(m, MD_TBL_NESTEDCLASS, r, 1);
		return enc <= m->tbl[MD_TBL_TYPEDEF].rows ? enc : 0;
	}
	return 0;
}

size_t md_name_arity(const char *name, uint32_t *arity)
{
	size_t len = strlen(name);
	const char *tick = strrchr(name, '`');
	uint64_t a = 0;
	if (arity)
		*arity = 0;
	if (!tick || !tick[1])
		return len;
	for (const char *p = tick + 1; *p; p++) {
		if (*p < '0' || *p > '9' || a > UINT32_MAX / 10)
			return len;
		a = a * 10 + (uint32_t)(*p - '0');
	}
	if (a > UINT32_MAX)
		return len;
	if (arity)
		*arity = (uint32_t)a;
	return (size_t)(tick - name);
}

/* A bounded string builder that remembers truncation. */
struct sb {
	char *p;
	size_t size, len;
	bool cut;
};

static void sb_add(struct sb *s, const char *str, size_t n)
{
	if (s->size == 0) {
		s->cut = true;
		return;
	}
	size_t room = s->size - 1 - s->len;
	if (n > room) {
		n = room;
		s->cut = true;
	}
	memcpy(s->p + s->len, str, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void sb_part(struct sb *s, const char *name, unsigned flags)
{
	size_t n = flags & MD_NAME_NO_ARITY ? md_name_arity(name, NULL)
					    : strlen(name);
	sb_add(s, name, n);
}

/* Writes ns (unless empty or NO_NS), then the names in chain from the
 * outermost (chain[n-1]) to the innermost, joined with '+'. */
static enum ch_status write_name(const char *ns, const char *const *names,
				 unsigned n, unsigned flags, char *buf,
				 size_t size)
{
	struct sb s = { buf, size, 0, false };
	if (size)
		buf[0] = '\0';
	if (!(flags & MD_NAME_NO_NS) && *ns) {
		sb_add(&s, ns, strlen(ns));
		sb_add(&s, ".", 1);
	}
	for (unsigned i = n; i-- > 0;) {
		sb_part(&s, names[i], flags);
		if (i)
			sb_add(&s, "+", 1);
	}
	return s.cut ? CH_ENOMEM : CH_OK;
}

enum ch_status md_typedef_name(const struct md *m, uint32_t rid,
			       unsigned flags, char *buf, size_t size)
{
	const char *names[MD_NEST_MAX];
	unsigned n = 0;
	const char *ns = "";
	if (size)
		buf[0] = '\0';
	if (rid == 0 || rid > m->tbl[MD_TBL_TYPEDEF].rows)
		return CH_ENOTFOUND;
	for (uint32_t cur = rid; cur; cur = md_enclosing(m, cur)) {
		if (n == MD_NEST_MAX)
			return CH_ECORRUPT; /* a cycle, or absurd nesting */
		names[n++] = md_string(m, cell(m, MD_TBL_TYPEDEF, cur, 1));
		ns = md_string(m, cell(m, MD_TBL_TYPEDEF, cur, 2));
	}
	return write_name(ns, names, n, flags, buf, size);
}

enum ch_status md_typeref_name(const struct md *m, uint32_t rid,
			       unsigned flags, char *buf, size_t size)
{
	const char *names[MD_NEST_MAX];
	unsigned n = 0;
	const char *ns = "";
	if (size)
		buf[0] = '\0';
	if (rid == 0 || rid > m->tbl[MD_TBL_TYPEREF].rows)
		return CH_ENOTFOUND;
	uint32_t cur = rid;
	while (cur) {
		if (n == MD_NEST_MAX)
			return CH_ECORRUPT;
		struct md_typeref tr;
		if (md_typeref(m, cur, &tr) != CH_OK)
			return CH_ECORRUPT;
		names[n++] = tr.name;
		ns = tr.ns;
		/* A TypeRef scoped by a TypeRef is nested in it. */
		cur = tr.scope >> 24 == MD_TBL_TYPEREF ? tr.scope & MD_MAX_ROWS
						       : 0;
	}
	return write_name(ns, names, n, flags, buf, size);
}

uint32_t md_find_typedef(const struct md *m, const char *ns,
			 const char *name)
{
	for (uint32_t rid = 1; rid <= m->tbl[MD_TBL_TYPEDEF].rows; rid++) {
		uint32_t flags = cell(m, MD_TBL_TYPEDEF, rid, 0);
		if ((flags & MD_TYPE_VISIBILITY_MASK) > 1)
			continue; /* nested */
		if (!strcmp(md_string(m, cell(m, MD_TBL_TYPEDEF, rid, 1)),
			    name) &&
		    !strcmp(md_string(m, cell(m, MD_TBL_TYPEDEF, rid, 2)), ns))
			return rid;
	}
	return 0;
}

/* The GenericParam rows that may belong to owner; false when owner is
 * not a TypeDef or MethodDef token. */
static bool gp_rows(const struct md *m, uint32_t owner, uint32_t *key,
		    struct md_found *f)
{
	if (!md_coded_raw(MD_CI_TYPEORMETHODDEF, owner, key))
		return false;
	md_find_rows(m, MD_TBL_GENERICPARAM, 2, MD_SK_GENERICPARAM, *key, f);
	return true;
}

uint32_t md_generic_param_count(const struct md *m, uint32_t owner)
{
	struct md_found f;
	uint32_t key, count = 0;
	if (!gp_rows(m, owner, &key, &f))
		return 0;
	for (uint32_t i = 0; i < f.n; i++)
		count += cell(m, MD_TBL_GENERICPARAM, md_found_rid(&f, i), 2) ==
			 key;
	return count;
}

const char *md_generic_param_name(const struct md *m, uint32_t owner,
				  uint32_t i)
{
	struct md_found f;
	uint32_t key;
	if (!gp_rows(m, owner, &key, &f))
		return NULL;
	for (uint32_t k = 0; k < f.n; k++) {
		uint32_t r = md_found_rid(&f, k);
		if (cell(m, MD_TBL_GENERICPARAM, r, 2) == key &&
		    cell(m, MD_TBL_GENERICPARAM, r, 0) == i)
			return md_string(m, cell(m, MD_TBL_GENERICPARAM, r, 3));
	}
	return NULL;
}

enum ch_status md_constant_of(const struct md *m, uint32_t token,
			      struct md_constant *out)
{
	struct md_found f;
	uint32_t key;
	memset(out, 0, sizeof(*out));
	if (!md_coded_raw(MD_CI_HASCONSTANT, token, &key))
		return CH_ENOTFOUND;
	md_find_rows(m, MD_TBL_CONSTANT, 1, MD_SK_CONSTANT, key, &f);
	for (uint32_t i = 0; i < f.n; i++) {
		uint32_t r = md_found_rid(&f, i);
		if (cell(m, MD_TBL_CONSTANT, r, 1) == key)
			return md_constant(m, r, out);
	}
	return CH_ENOTFOUND;
}

/* True when token names System.Enum (a TypeDef in CoreLib, else a
 * TypeRef). */
static bool is_system_enum(const struct md *m, uint32_t token)
{
	uint32_t rid = token & MD_MAX_ROWS;
	const char *ns = "", *name = "";
	if (token >> 24 == MD_TBL_TYPEDEF) {
		struct md_typedef td;
		if (md_typedef(m, rid, &td) != CH_OK ||
		    (td.flags & MD_TYPE_VISIBILITY_MASK) > 1)
			return false;
		ns = td.ns;
		name = td.name;
	} else if (token >> 24 == MD_TBL_TYPEREF) {
		struct md_typeref tr;
		if (md_typeref(m, rid, &tr) != CH_OK ||
		    tr.scope >> 24 == MD_TBL_TYPEREF)
			return false;
		ns = tr.ns;
		name = tr.name;
	}
	return !strcmp(ns, "System") && !strcmp(name, "Enum");
}

uint8_t md_enum_underlying(const struct md *m, uint32_t rid)
{
	uint32_t first, count;
	if (!is_system_enum(m, md_typedef_extends(m, rid)) ||
	    md_typedef_fields(m, rid, &first, &count) != CH_OK)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		struct md_field f;
		struct md_sigtype st;
		if (md_field(m, md_field_rid(m, first + i), &f) != CH_OK ||
		    (f.flags & MD_FIELD_STATIC))
			continue;
		if (md_field_sig(f.sig, f.sig_len, &st) != CH_OK)
			return 0;
		switch (st.elem) {
		case MD_ELEM_BOOLEAN: case MD_ELEM_CHAR:
		case MD_ELEM_I1: case MD_ELEM_U1: case MD_ELEM_I2:
		case MD_ELEM_U2: case MD_ELEM_I4: case MD_ELEM_U4:
		case MD_ELEM_I8: case MD_ELEM_U8: case MD_ELEM_I:
		case MD_ELEM_U:
			return st.elem;
		default:
			return 0;
		}
	}
	return 0;
}

/* The width in bytes of a Constant of element type t; 0 when it is not
 * a number. */
static unsigned const_width(uint8_t t)
{
	switch (t) {
	case MD_ELEM_BOOLEAN: case MD_ELEM_I1: case MD_ELEM_U1:
		return 1;
	case MD_ELEM_CHAR: case MD_ELEM_I2: case MD_ELEM_U2:
		return 2;
	case MD_ELEM_I4: case MD_ELEM_U4: case MD_ELEM_R4:
		return 4;
	case MD_ELEM_I8: case MD_ELEM_U8: case MD_ELEM_R8:
		return 8;
	default:
		return 0;
	}
}

size_t md_enum_members(const struct md *m, uint32_t rid,
		       struct md_enum_member *out, size_t max)
{
	uint32_t first, count;
	size_t n = 0;
	if (md_typedef_fields(m, rid, &first, &count) != CH_OK)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t frid = md_field_rid(m, first + i);
		struct md_field f;
		struct md_constant c;
		md_field(m, frid, &f);
		if ((f.flags & (MD_FIELD_STATIC | MD_FIELD_LITERAL)) !=
		    (MD_FIELD_STATIC | MD_FIELD_LITERAL))
			continue;
		if (md_constant_of(m, (uint32_t)MD_TBL_FIELD << 24 | frid,
				   &c) != CH_OK)
			continue;
		unsigned w = const_width(c.type);
		if (w == 0 || c.value_len < w)
			continue;
		if (n < max) {
			uint64_t bits = 0;
			memcpy(&bits, c.value, w); /* little-endian host */
			out[n] = (struct md_enum_member){ frid, f.name, c.type,
							  bits };
		}
		n++;
	}
	return n;
}
