/* clr_field.c - FieldDescs: the instance and static fields of a type,
 * their names from metadata and their declared types from signatures.
 * FieldDesc layout (field.h, hard-coded): docs/RUNTIME.md §4.3. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdr.h"

#define MAX_CHAIN 64       /* depth of a class hierarchy */
#define MAX_FIELDS 65536   /* fields of one type, all levels */
#define SIG_DEPTH 16

struct sig_ctx {
	struct clr *c;
	const struct md *md;
	const struct clr_type *decl; /* substitutes VAR n */
	const uint8_t *p, *end;
	int depth;
};

static const char *prim_name(uint8_t elem)
{
	switch (elem) {
	case MD_ELEM_VOID: return "System.Void";
	case MD_ELEM_BOOLEAN: return "System.Boolean";
	case MD_ELEM_CHAR: return "System.Char";
	case MD_ELEM_I1: return "System.SByte";
	case MD_ELEM_U1: return "System.Byte";
	case MD_ELEM_I2: return "System.Int16";
	case MD_ELEM_U2: return "System.UInt16";
	case MD_ELEM_I4: return "System.Int32";
	case MD_ELEM_U4: return "System.UInt32";
	case MD_ELEM_I8: return "System.Int64";
	case MD_ELEM_U8: return "System.UInt64";
	case MD_ELEM_R4: return "System.Single";
	case MD_ELEM_R8: return "System.Double";
	case MD_ELEM_STRING: return "System.String";
	case MD_ELEM_OBJECT: return "System.Object";
	case MD_ELEM_I: return "System.IntPtr";
	case MD_ELEM_U: return "System.UIntPtr";
	case MD_ELEM_TYPEDBYREF: return "System.TypedReference";
	}
	return NULL;
}

static bool sig_name(struct sig_ctx *s, struct clr_sb *b);

/* A TypeDefOrRef token's name; TypeDefs get their arguments per level. */
struct sig_args {
	struct sig_ctx *s;
	char **names;
};

static void emit_str(void *ctx, unsigned i, struct clr_sb *b)
{
	struct sig_args *x = ctx;
	clr_sb_str(b, x->names[i] ? x->names[i] : "?");
}

static void token_name(const struct md *md, uint32_t token, char **args,
		       unsigned nargs, struct clr_sb *b)
{
	struct sig_args x = { NULL, args };
	uint32_t rid = token & 0xffffff;
	if (token >> 24 == MD_TBL_TYPEDEF) {
		clr_typedef_name(md, rid, nargs, emit_str, &x, b);
		return;
	}
	char buf[1024];
	if (token >> 24 == MD_TBL_TYPEREF &&
	    md_typeref_name(md, rid, MD_NAME_NO_ARITY, buf, sizeof buf) == CH_OK) {
		clr_sb_str(b, buf);
		if (nargs) {
			clr_sb_str(b, "<");
			for (unsigned i = 0; i < nargs; i++) {
				if (i)
					clr_sb_str(b, ", ");
				emit_str(&x, i, b);
			}
			clr_sb_str(b, ">");
		}
		return;
	}
	clr_sb_fmt(b, "?%08x", token);
}

static bool sig_name(struct sig_ctx *s, struct clr_sb *b)
{
	struct md_sigtype st;
	if (++s->depth > SIG_DEPTH || md_sig_type(&s->p, s->end, &st) != CH_OK)
		return false;
	const char *prim = prim_name(st.elem);
	bool ok = true;
	if (prim) {
		clr_sb_str(b, prim);
	} else switch (st.elem) {
	case MD_ELEM_CLASS:
	case MD_ELEM_VALUETYPE:
		token_name(s->md, st.token, NULL, 0, b);
		break;
	case MD_ELEM_GENERICINST: {
		unsigned n = st.nargs > 32 ? 32 : st.nargs;
		char *names[32] = { 0 };
		for (unsigned i = 0; i < st.nargs && ok; i++) {
			char buf[1024];
			struct clr_sb ab = { buf, 0, sizeof buf };
			buf[0] = '\0';
			ok = sig_name(s, &ab);
			if (i < n)
				names[i] = strdup(buf);
		}
		token_name(s->md, st.token, names, n, b);
		for (unsigned i = 0; i < n; i++)
			free(names[i]);
		break;
	}
	case MD_ELEM_SZARRAY:
		ok = sig_name(s, b);
		clr_sb_str(b, "[]");
		break;
	case MD_ELEM_ARRAY:
		ok = sig_name(s, b) && md_sig_skip_array_shape(&s->p, s->end);
		clr_sb_str(b, "[");
		for (uint32_t i = 1; i < st.index && i < 32; i++)
			clr_sb_str(b, ",");
		clr_sb_str(b, "]");
		break;
	case MD_ELEM_PTR:
	case MD_ELEM_BYREF:
		ok = sig_name(s, b);
		clr_sb_str(b, st.elem == MD_ELEM_PTR ? "*" : "&");
		break;
	case MD_ELEM_VAR:
		if (s->decl && st.index < s->decl->ntype_args) {
			char buf[1024];
			if (clr_th_name(s->c, s->decl->type_args[st.index], buf, sizeof buf))
				clr_sb_str(b, buf);
			else
				clr_sb_fmt(b, "T%u", st.index + 1);
		} else {
			clr_sb_fmt(b, "T%u", st.index + 1);
		}
		break;
	case MD_ELEM_MVAR:
		clr_sb_fmt(b, "!!%u", st.index);
		break;
	case MD_ELEM_FNPTR:
		clr_sb_str(b, "(fnptr)");
		s->p = s->end; /* the method signature is not needed */
		break;
	default:
		clr_sb_fmt(b, "(element type 0x%x)", st.elem);
	}
	s->depth--;
	return ok;
}

/* The size of a FieldDesc: the descriptor's (.NET 11), else field.h's (the
 * enclosing MethodTable, then two DWORDs). */
static unsigned fd_size(const struct clr *c)
{
	return c->off.fd_size ? c->off.fd_size : c->ps + 8;
}

/* Decodes the n FieldDescs at list into out (declared by type t). */
static bool read_fielddescs(struct clr *c, const struct clr_type *t,
			    const struct md *md, uint64_t list, size_t n,
			    struct clr_field *out, char *ferr, size_t ferrsz)
{
	const unsigned fdsize = fd_size(c);
	const uint32_t dw1 = c->off.fd_size ? c->off.fd_dw1 : c->ps;
	const uint32_t dw2 = c->off.fd_size ? c->off.fd_dw2 : c->ps + 4;
	for (size_t i = 0; i < n; i++) {
		uint64_t fd = list + i * fdsize;
		uint32_t w1, w2;
		if (!as_u32(c->a, fd + dw1, &w1) || !as_u32(c->a, fd + dw2, &w2)) {
			snprintf(ferr, ferrsz, "FieldDesc 0x%" PRIx64 " of %s is not in the dump",
				 fd, t->name);
			return false;
		}
		struct clr_field *f = &out[i];
		uint32_t mb = w1 & 0xffffff;
		uint32_t rid = (w1 >> 30) & 1 ? mb : mb & 0x1ffff;
		f->token = 0x04000000u | rid;
		f->flags = ((w1 >> 24) & 1 ? CLR_FIELD_STATIC : 0) |
			   ((w1 >> 25) & 1 ? CLR_FIELD_THREAD : 0) |
			   ((w1 >> 26) & 1 ? CLR_FIELD_RVA : 0);
		f->offset = w2 & 0x7ffffff;
		f->elem = (uint8_t)(w2 >> 27);
		f->decl_mt = t->mt;
		struct md_field mf;
		char buf[1024];
		struct clr_sb b = { buf, 0, sizeof buf };
		buf[0] = '\0';
		if (md && md_field(md, rid, &mf) == CH_OK) {
			f->name = mf.name;
			const uint8_t *sig = mf.sig, *end = mf.sig + mf.sig_len;
			/* skip the FIELD calling convention and custom modifiers */
			if (mf.sig_len > 1 && sig[0] == 0x06) {
				struct sig_ctx s = { c, md, t, sig + 1, end, 0 };
				while (s.p < end && (*s.p == MD_ELEM_CMOD_REQD || *s.p == MD_ELEM_CMOD_OPT)) {
					uint32_t tok;
					s.p++;
					if (!md_uncompress(&s.p, end, &tok))
						break;
				}
				if (!sig_name(&s, &b))
					clr_sb_str(&b, "?");
			}
		} else {
			f->name = "?";
		}
		if (!buf[0]) {
			const char *p = prim_name(f->elem);
			clr_sb_str(&b, p ? p : "?");
		}
		f->type_name = strdup(buf);
		if (!f->type_name) {
			snprintf(ferr, ferrsz, "out of memory");
			return false;
		}
	}
	return true;
}

/* A count kept in the EEClass: a u16 field (descriptor runtimes) or a
 * DWORD after the fixed fields (.NET 8, when not bit-packed). */
static bool ee_count(struct clr *c, const struct clr_type *t, uint32_t off,
		     uint32_t *v)
{
	const struct clr_off *o = &c->off;
	if (!o->ee_counts_at) {
		uint16_t x;
		if (as_read(c->a, t->eeclass + off, &x, 2) != 2)
			return false;
		*v = x;
		return true;
	}
	uint8_t fixed, packed;
	if (as_read(c->a, t->eeclass + o->ee_counts_at, &fixed, 1) != 1 ||
	    as_read(c->a, t->eeclass + o->ee_packed_at, &packed, 1) != 1 || packed)
		return false;
	return as_u32(c->a, t->eeclass + fixed + off, v);
}

static bool load_fields(struct clr *c, const struct clr_type *t,
			struct clr_field **out, size_t *nout, size_t *ninst,
			char *ferr, size_t ferrsz)
{
	const struct clr_off *o = &c->off;
	const struct clr_type *chain[MAX_CHAIN];
	size_t depth = 0;
	*out = NULL;
	*nout = *ninst = 0;
	if (t->kind == CLR_KIND_ARRAY || t->kind == CLR_KIND_FREE)
		return true;
	if (!o->have_fields) {
		snprintf(ferr, ferrsz, "fields of runtime %s cannot be read yet: nothing in the dump "
			 "describes its EEClass layout (no contract descriptor entry)",
			 c->rt.product_version);
		return false;
	}
	for (const struct clr_type *x = t; x && depth < MAX_CHAIN;
	     x = x->parent_mt ? clr_type_of(c, x->parent_mt, NULL) : NULL)
		chain[depth++] = x;
	uint32_t counts[MAX_CHAIN], nstatic = 0;
	for (size_t k = 0; k < depth; k++) {
		if (!ee_count(c, chain[k], o->ee_ninst, &counts[k])) {
			snprintf(ferr, ferrsz, "EEClass of %s is not in the dump, or its counts are packed",
				 chain[k]->name);
			return false;
		}
	}
	ee_count(c, t, o->ee_nstatic, &nstatic);
	/* Every instance field takes at least a byte of the instance: more
	 * fields than bytes is a damaged count (which would read other
	 * types' FieldDescs as this one's). */
	if (depth && counts[0] > t->base_size) {
		snprintf(ferr, ferrsz, "%s claims %u instance fields in %u bytes",
			 t->name, counts[0], t->base_size);
		return false;
	}
	size_t total = counts[0] + (size_t)nstatic;
	if (total > MAX_FIELDS) {
		snprintf(ferr, ferrsz, "%s claims %zu fields", t->name, total);
		return false;
	}
	struct clr_field *v = calloc(total ? total : 1, sizeof *v);
	if (!v) {
		snprintf(ferr, ferrsz, "out of memory");
		return false;
	}
	size_t n = 0;
	bool ok = true;
	/* Base class first: each level lists only its own instance fields
	 * (its count minus its parent's), then its statics. */
	for (size_t k = depth; k-- > 0 && ok;) {
		const struct clr_type *x = chain[k];
		size_t parent = k + 1 < depth ? counts[k + 1] : 0;
		if (counts[k] < parent || counts[k] - parent > total - n) {
			snprintf(ferr, ferrsz, "%s: field counts are inconsistent", x->name);
			ok = false;
			break;
		}
		size_t own = counts[k] - parent;
		uint64_t list = 0;
		if (own || (k == 0 && nstatic)) {
			if (!clr_rdptr(c, x->eeclass + o->ee_fields, &list) || !list) {
				snprintf(ferr, ferrsz, "%s has no FieldDesc list", x->name);
				ok = false;
				break;
			}
		}
		struct clr_module *mod = clr_module_get(c, x->module);
		const struct md *md = mod ? mod->md : NULL;
		ok = read_fielddescs(c, x, md, list, own, v + n, ferr, ferrsz);
		n += own;
		if (ok && k == 0 && nstatic) {
			const unsigned fdsize = fd_size(c);
			ok = read_fielddescs(c, x, md, list + own * fdsize, nstatic, v + n,
					     ferr, ferrsz);
			n += nstatic;
		}
	}
	*out = v;
	*nout = n;
	*ninst = counts[0];
	return ok;
}

const struct clr_field *clr_type_fields(struct clr *c, const struct clr_type *t,
					size_t *n, size_t *ninstance,
					struct ch_err *err)
{
	struct clr_field **fields;
	size_t *cn, *cinst;
	char *ferr;
	pthread_mutex_lock(&c->lock);
	if (!clr_type_fields_cached(t, &fields, &cn, &cinst, &ferr)) {
		if (!load_fields(c, t, fields, cn, cinst, ferr, 256) && !ferr[0])
			snprintf(ferr, 256, "fields of %s are damaged", t->name);
	}
	pthread_mutex_unlock(&c->lock);
	*n = *cn;
	/* a load that failed part way has fewer fields than its count */
	if (ninstance)
		*ninstance = *cinst < *cn ? *cinst : *cn;
	if (ferr[0]) {
		ch_set_error(err, CH_ECORRUPT, "%s: %s", dump_path(as_dump(c->a)), ferr);
		return NULL;
	}
	return *fields;
}

const struct clr_field *clr_field_named(struct clr *c, const struct clr_type *t,
					const char *name)
{
	size_t n = 0, ni = 0;
	const struct clr_field *f = t ? clr_type_fields(c, t, &n, &ni, NULL) : NULL;
	for (size_t i = 0; f && i < ni; i++)
		if (f[i].name && strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

void clr_type_statics(struct clr *c, const struct clr_type *t,
		      uint64_t *gc_base, uint64_t *nongc_base)
{
	const struct clr_off *o = &c->off;
	uint64_t aux, g = 0, ng = 0;
	*gc_base = *nongc_base = 0;
	if (o->have_dlm) {
		clr_legacy_statics(c, t, gc_base, nongc_base);
		return;
	}
	if (!o->have_statics || !(t->flags2 & 2) || t->kind == CLR_KIND_ARRAY)
		return;
	if (!clr_rdptr(c, t->mt + o->mt_aux, &aux) || aux < o->ds_size)
		return;
	uint64_t dsi = aux - o->ds_size;
	if (clr_rdptr(c, dsi + o->ds_gc, &g))
		*gc_base = g & c->statics_mask;
	if (clr_rdptr(c, dsi + o->ds_nongc, &ng))
		*nongc_base = ng & c->statics_mask;
}
