/* clr_type.c - MethodTables as types: kind, sizes, ClrMD-style names,
 * generic arguments, and the metadata of the modules that define them.
 * Facts and sources: docs/RUNTIME.md §4. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "rdr.h"

#define MAX_NAME 4096      /* longer names are cut */
#define MAX_TYPE_ARGS 64
#define MAX_DEPTH 24       /* nesting of names through generic arguments */
#define MAX_MD_BYTES (256u << 20)
#define TH_TYPEDESC 2u     /* TypeHandle tag: a TypeDesc, not a MethodTable */

struct clr_type_ent {
	UT_hash_handle hh;
	uint64_t key;
	bool bad;
	char err[200];
	struct clr_type t;
	uint64_t args[MAX_TYPE_ARGS];
	/* fields, filled by clr_type_fields */
	bool fields_done;
	struct clr_field *fields; /* type_name strings owned */
	size_t nfields, ninstance;
	char ferr[256];
};

struct clr_mod_ent {
	UT_hash_handle hh;
	uint64_t key;
	struct clr_module m;
};

void clr_sb_put(struct clr_sb *b, const char *s, size_t n)
{
	if (b->cap == 0 || b->len >= b->cap - 1)
		return;
	size_t room = b->cap - 1 - b->len;
	if (n > room)
		n = room;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void clr_sb_str(struct clr_sb *b, const char *s)
{
	clr_sb_put(b, s, strlen(s));
}

void clr_sb_fmt(struct clr_sb *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		clr_sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- modules ---- */

static const struct dump_module *dump_module_at(struct clr *c, uint64_t base)
{
	size_t n;
	const struct dump_module *m = dump_modules(as_dump(c->a), &n);
	for (size_t i = 0; i < n; i++)
		if (m[i].base == base)
			return &m[i];
	return NULL;
}

static const struct dump_module *dump_module_holding(struct clr *c, uint64_t va)
{
	size_t n;
	const struct dump_module *m = dump_modules(as_dump(c->a), &n);
	for (size_t i = 0; i < n; i++)
		if (va >= m[i].base && va - m[i].base < m[i].size)
			return &m[i];
	return NULL;
}

/* Opens the metadata of the image at base in the given layout. */
static enum ch_status open_md(struct clr *c, struct clr_module *mod,
			      uint64_t base, bool mapped, uint64_t image_len,
			      struct ch_err *err)
{
	uint8_t hdr[4096];
	size_t got = as_read(c->a, base, hdr, sizeof hdr);
	struct md_pe pe;
	enum ch_status st = md_pe_parse_headers(hdr, got, mapped, image_len,
						mod->name, &pe, err);
	if (st != CH_OK)
		return st;
	size_t cli_off, md_off;
	uint8_t cli[16];
	if (!md_pe_rva_to_off(&pe, pe.cli_rva, sizeof cli, &cli_off) ||
	    as_read(c->a, base + cli_off, cli, sizeof cli) != sizeof cli)
		return ch_set_error(err, CH_ENOTFOUND, "%s: CLI header not readable",
				    mod->name);
	uint32_t md_rva = rdr_le32(cli + 8), md_size = rdr_le32(cli + 12);
	if (md_size == 0 || md_size > MAX_MD_BYTES ||
	    !md_pe_rva_to_off(&pe, md_rva, md_size, &md_off))
		return ch_set_error(err, CH_ECORRUPT, "%s: metadata (rva 0x%x, %u bytes) out of the image",
				    mod->name, md_rva, md_size);
	uint64_t va = base + md_off;
	const uint8_t *p = as_ptr(c->a, va, md_size);
	if (p)
		return md_open(p, md_size, mod->name, 0, &mod->md, err);
	uint8_t *copy = malloc(md_size);
	if (!copy)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	if (as_read(c->a, va, copy, md_size) != md_size) {
		const char *why = as_missing_reason(c->a, va);
		free(copy);
		return ch_set_error(err, CH_ENOTFOUND, "metadata of %s is not in the dump%s%s",
				    mod->name, why ? ": " : "", why ? why : "");
	}
	return md_open(copy, md_size, mod->name, MD_OPEN_OWN, &mod->md, err);
}

static void load_module(struct clr *c, struct clr_module *mod)
{
	const struct clr_off *o = &c->off;
	uint64_t base = 0, layout = 0, x;
	uint32_t flags = 0, lsize = 0;
	bool know_layout = false;
	struct ch_err err = { 0 };
	const struct dump_module *dm = NULL;
	if (o->mod_name_in_image) {
		/* The image is the mapping that holds the module's name. */
		uint64_t name;
		if (clr_rdptr(c, mod->addr + o->mod_name_in_image, &name) &&
		    (dm = dump_module_holding(c, name)))
			base = dm->base;
	} else {
		clr_rdptr(c, mod->addr + o->mod_base, &base);
		dm = base ? dump_module_at(c, base) : NULL;
	}
	mod->base = base;
	if (dm) {
		mod->name = strdup(dm->name);
	} else {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "module@0x%" PRIx64, mod->addr);
		mod->name = strdup(tmp);
	}
	if (!base) {
		/* a module Reflection.Emit built (ModuleFlags.ReflectionEmit) has
		 * its metadata in the process's own structures, not in an image */
		uint32_t mf;
		mod->dynamic = o->mod_flags && as_u32(c->a, mod->addr + o->mod_flags, &mf) &&
			       (mf & 0x40);
		snprintf(mod->err, sizeof mod->err, "%s: %s", mod->name,
			 mod->dynamic ? "a dynamic module (Reflection.Emit), whose metadata is not read"
				      : "no image base");
		return;
	}
	if (o->have_layout && clr_rdptr(c, mod->addr + o->mod_peassembly, &x) && x &&
	    clr_rdptr(c, x + o->pea_image, &x) && x &&
	    clr_rdptr(c, x + o->pei_layout, &layout) && layout &&
	    as_u32(c->a, layout + o->pel_flags, &flags) &&
	    as_u32(c->a, layout + o->pel_size, &lsize))
		know_layout = true;
	uint64_t len = lsize ? lsize : dm ? dm->size : 0;
	if (dm && dm->size > len)
		len = dm->size;
	if (len == 0)
		len = 64u << 20;
	enum ch_status st;
	if (know_layout) {
		st = open_md(c, mod, base, flags & 1, len, &err);
	} else { /* no layout facts: try the loader's layout, then the file's */
		st = open_md(c, mod, base, true, len, &err);
		if (st != CH_OK)
			st = open_md(c, mod, base, false, len, &err);
	}
	if (st != CH_OK)
		snprintf(mod->err, sizeof mod->err, "%s", err.msg);
}

struct clr_module *clr_module_get(struct clr *c, uint64_t addr)
{
	struct clr_mod_ent *e;
	HASH_FIND(hh, c->mods, &addr, sizeof addr, e);
	if (e)
		return &e->m;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->key = addr;
	e->m.addr = addr;
	load_module(c, &e->m);
	if (!e->m.name) {
		free(e);
		return NULL;
	}
	HASH_ADD(hh, c->mods, key, sizeof e->key, e);
	return &e->m;
}

void clr_module_warnings(struct clr *c, clr_warn_fn fn, void *arg)
{
	pthread_mutex_lock(&c->lock);
	struct clr_mod_ent *e, *t;
	HASH_ITER(hh, c->mods, e, t) {
		if (e->m.md)
			continue;
		char msg[768];
		if (e->m.dynamic) /* no file could help */
			snprintf(msg, sizeof msg, "names and fields of the types of %s are unknown: it is a "
				 "dynamic module (Reflection.Emit), whose metadata is not read", e->m.name);
		else
			snprintf(msg, sizeof msg, "names and fields of %s's types are unknown (pass the folder "
				 "holding %s with --search DIR): %s", e->m.name, e->m.name, e->m.err);
		fn(arg, msg);
	}
	pthread_mutex_unlock(&c->lock);
}

void clr_types_free(struct clr *c)
{
	struct clr_type_ent *t, *tt;
	HASH_ITER(hh, c->types, t, tt) {
		HASH_DEL(c->types, t);
		free((char *)t->t.name);
		for (size_t i = 0; i < t->nfields; i++)
			free((char *)t->fields[i].type_name);
		free(t->fields);
		free(t);
	}
	struct clr_mod_ent *m, *mt;
	HASH_ITER(hh, c->mods, m, mt) {
		HASH_DEL(c->mods, m);
		md_close(m->m.md);
		free(m->m.name);
		free(m);
	}
}

/* ---- names ---- */

static void th_name(struct clr *c, uint64_t th, struct clr_sb *b, int depth);

/* Writes TypeDef rid of md with its generic arguments spread over the
 * nesting levels by each level's own `N arity: Outer<A>+Inner<B>. Argument
 * i is written by emit (missing ones as T1, T2, ...). */
void clr_typedef_name(const struct md *md, uint32_t rid, unsigned nargs,
		      clr_emit_arg_fn emit, void *ctx, struct clr_sb *b)
{
	uint32_t chain[64];
	unsigned n = 0;
	for (uint32_t r = rid; r && n < 64; r = md_enclosing(md, r))
		chain[n++] = r;
	unsigned used = 0;
	for (unsigned k = n; k-- > 0;) {
		struct md_typedef td;
		if (md_typedef(md, chain[k], &td) != CH_OK) {
			clr_sb_fmt(b, "?%08x", 0x02000000u | chain[k]);
			return;
		}
		if (k != n - 1)
			clr_sb_str(b, "+");
		else if (td.ns[0]) {
			clr_sb_str(b, td.ns);
			clr_sb_str(b, ".");
		}
		uint32_t arity = 0;
		size_t len = md_name_arity(td.name, &arity);
		clr_sb_put(b, td.name, len);
		/* Arguments no level claims by its `N (F# closures inside
		 * generic code) go to the innermost name, as ClrMD shows them. */
		if (k == 0 && used + arity < nargs)
			arity = nargs - used;
		if (arity == 0)
			continue;
		clr_sb_str(b, "<");
		for (uint32_t i = 0; i < arity; i++) {
			if (i)
				clr_sb_str(b, ", ");
			if (used < nargs)
				emit(ctx, used++, b);
			else
				clr_sb_fmt(b, "T%u", i + 1);
		}
		clr_sb_str(b, ">");
	}
}

struct th_args {
	struct clr *c;
	const uint64_t *args;
	int depth;
};

static void th_name(struct clr *c, uint64_t th, struct clr_sb *b, int depth);

static void emit_th(void *ctx, unsigned i, struct clr_sb *b)
{
	struct th_args *x = ctx;
	th_name(x->c, x->args[i], b, x->depth + 1);
}

static const struct clr_type *type_of(struct clr *c, uint64_t mt, int depth,
				      struct ch_err *err);

static void th_name(struct clr *c, uint64_t th, struct clr_sb *b, int depth)
{
	if (depth > MAX_DEPTH) {
		clr_sb_str(b, "...");
		return;
	}
	if (th & TH_TYPEDESC) {
		uint64_t td = th & ~(uint64_t)3, arg;
		uint32_t tf = 0;
		as_u32(c->a, td + c->off.td_flags, &tf);
		switch (tf & 0xff) {
		case MD_ELEM_PTR:
		case MD_ELEM_BYREF:
			if (clr_rdptr(c, td + c->off.ptd_arg, &arg))
				th_name(c, arg, b, depth + 1);
			clr_sb_str(b, (tf & 0xff) == MD_ELEM_PTR ? "*" : "&");
			return;
		case MD_ELEM_VAR:
		case MD_ELEM_MVAR:
			clr_sb_str(b, "T");
			return;
		case MD_ELEM_FNPTR:
			clr_sb_str(b, "(fnptr)");
			return;
		}
		clr_sb_fmt(b, "<TypeDesc 0x%" PRIx64 ">", td);
		return;
	}
	const struct clr_type *t = type_of(c, th, depth + 1, NULL);
	if (t)
		clr_sb_str(b, t->name);
	else
		clr_sb_fmt(b, "<unknown 0x%" PRIx64 ">", th);
}

/* ---- MethodTables ---- */

/* Reads and checks the MethodTable at mt into e; builds the name. */
static bool load_type(struct clr *c, struct clr_type_ent *e, int depth)
{
	const struct clr_off *o = &c->off;
	struct clr_type *t = &e->t;
	uint64_t mt = t->mt, v;
	if (!as_u32(c->a, mt + o->mt_flags, &t->flags) ||
	    !as_u32(c->a, mt + o->mt_base_size, &t->base_size) ||
	    !as_u32(c->a, mt + o->mt_flags2, &t->flags2) ||
	    !clr_rdptr(c, mt + o->mt_eeclass, &v) ||
	    !clr_rdptr(c, mt + o->mt_module, &t->module) ||
	    !clr_rdptr(c, mt + o->mt_parent, &t->parent_mt)) {
		snprintf(e->err, sizeof e->err, "MethodTable 0x%" PRIx64 " is not in the dump", mt);
		return false;
	}
	t->canon_mt = mt;
	if (mt == c->free_mt) { /* the GC's filler: no EEClass, no metadata */
		t->kind = CLR_KIND_FREE;
		t->component_size = t->flags & 0xffff;
		t->name = strdup("Free");
		return t->name != NULL;
	}
	if (v & 1) { /* a generic instantiation sharing the canonical MT's EEClass */
		t->canon_mt = v & ~(uint64_t)1;
		if (!clr_rdptr(c, t->canon_mt + o->mt_eeclass, &v)) {
			snprintf(e->err, sizeof e->err, "MethodTable 0x%" PRIx64 ": canonical MT unreadable", mt);
			return false;
		}
	}
	t->eeclass = v;
	uint64_t back;
	if (!v || (v & 1) || !clr_rdptr(c, v + o->ee_mt, &back) || back != t->canon_mt) {
		snprintf(e->err, sizeof e->err,
			 "0x%" PRIx64 " is not a MethodTable (its EEClass does not point back)", mt);
		return false;
	}
	/* .NET 11 gives interfaces (never instantiated) a base size of 0. */
	bool iface = (t->flags & CLR_MTF_CATEGORY_MASK) == CLR_MTF_CATEGORY_INTERFACE;
	if ((t->base_size < c->ps && !(iface && t->base_size == 0)) || t->base_size > (64u << 20)) {
		snprintf(e->err, sizeof e->err, "MethodTable 0x%" PRIx64 ": base size %u out of range",
			 mt, t->base_size);
		return false;
	}
	if (t->flags & CLR_MTF_HAS_COMPONENT_SIZE)
		t->component_size = t->flags & 0xffff;
	uint8_t elem = 0;
	if (o->have_fields)
		as_read(c->a, t->eeclass + o->ee_elem, &elem, 1);
	uint32_t cat = t->flags & CLR_MTF_CATEGORY_MASK;
	bool is_array = (t->flags & CLR_MTF_HAS_COMPONENT_SIZE) &&
			(cat & CLR_MTF_CATEGORY_ARRAY_MASK) == CLR_MTF_CATEGORY_ARRAY;
	if (mt == c->free_mt)
		t->kind = CLR_KIND_FREE;
	else if (mt == c->string_mt)
		t->kind = CLR_KIND_STRING;
	else if (is_array)
		t->kind = CLR_KIND_ARRAY;
	else if (cat == CLR_MTF_CATEGORY_INTERFACE)
		t->kind = CLR_KIND_INTERFACE;
	else if (cat == CLR_MTF_CATEGORY_NULLABLE)
		t->kind = CLR_KIND_NULLABLE;
	else if (cat == CLR_MTF_CATEGORY_TRUEPRIMITIVE)
		t->kind = CLR_KIND_PRIMITIVE;
	else if (cat == CLR_MTF_CATEGORY_PRIMITIVE)
		t->kind = CLR_KIND_ENUM;
	else if ((cat & CLR_MTF_CATEGORY_VALUETYPE_MASK) == CLR_MTF_CATEGORY_VALUETYPE)
		t->kind = CLR_KIND_STRUCT;
	else
		t->kind = CLR_KIND_CLASS;

	char buf[MAX_NAME];
	struct clr_sb b = { buf, 0, sizeof buf };
	buf[0] = '\0';
	if (t->kind == CLR_KIND_ARRAY) {
		uint8_t rank = 1;
		t->sz_array = cat & CLR_MTF_CATEGORY_IF_ARRAY_THEN_SZ;
		/* A multi-dimensional array's base size holds a length and a
		 * lower bound (4 bytes each) per dimension. */
		if (!t->sz_array && o->rank_from_size)
			rank = t->base_size > 3u * c->ps ? (uint8_t)((t->base_size - 3u * c->ps) / 8) : 1;
		else if (!t->sz_array)
			as_read(c->a, t->eeclass + o->arr_rank, &rank, 1);
		t->rank = rank ? rank : 1;
		clr_rdptr(c, mt + o->mt_perinst, &t->elem_th);
		th_name(c, t->elem_th, &b, depth);
		if (t->sz_array) {
			clr_sb_str(&b, "[]");
		} else if (t->rank == 1) {
			clr_sb_str(&b, "[*]");
		} else {
			clr_sb_str(&b, "[");
			for (unsigned i = 1; i < t->rank; i++)
				clr_sb_str(&b, ",");
			clr_sb_str(&b, "]");
		}
		t->elem_type = MD_ELEM_CLASS;
		if (!(t->elem_th & TH_TYPEDESC)) {
			const struct clr_type *et = type_of(c, t->elem_th, depth + 1, NULL);
			if (et && et->kind != CLR_KIND_CLASS && et->kind != CLR_KIND_STRING &&
			    et->kind != CLR_KIND_ARRAY && et->kind != CLR_KIND_INTERFACE)
				t->elem_type = et->elem_type;
		} else {
			t->elem_type = MD_ELEM_PTR;
		}
	} else {
		t->elem_type = elem;
		t->token = 0x02000000u | (t->flags2 >> 8);
		uint16_t rid16;
		if (o->mt_token16 && as_read(c->a, mt + o->mt_token16, &rid16, 2) == 2)
			t->token = 0x02000000u | rid16;
		if (!(t->flags & CLR_MTF_HAS_COMPONENT_SIZE) &&
		    (t->flags & CLR_MTF_GENERICS_MASK)) {
			uint64_t pii, dict;
			uint16_t nd = 0, na = 0;
			if (clr_rdptr(c, mt + o->mt_perinst, &pii) && pii &&
			    as_read(c->a, pii - o->gd_size + o->gd_ndicts, &nd, 2) == 2 &&
			    as_read(c->a, pii - o->gd_size + o->gd_nargs, &na, 2) == 2 &&
			    nd > 0 && na <= MAX_TYPE_ARGS &&
			    clr_rdptr(c, pii + (uint64_t)c->ps * (nd - 1u), &dict) && dict) {
				unsigned k = 0;
				for (; k < na; k++)
					if (!clr_rdptr(c, dict + (uint64_t)c->ps * k, &e->args[k]))
						break;
				t->ntype_args = k;
			}
		}
		t->type_args = e->args;
		struct clr_module *mod = clr_module_get(c, t->module);
		t->module_name = mod ? mod->name : NULL;
		struct th_args ta = { c, e->args, depth };
		if (mod && mod->md)
			clr_typedef_name(mod->md, t->token & 0xffffff, t->ntype_args,
					 emit_th, &ta, &b);
		else
			clr_sb_fmt(&b, "<unknown type 0x%" PRIx64 ">", mt);
	}
	if (t->kind == CLR_KIND_ARRAY) {
		const struct clr_type *et = (t->elem_th & TH_TYPEDESC) ? NULL :
			type_of(c, t->elem_th, depth + 1, NULL);
		t->module_name = et ? et->module_name : NULL;
	}
	t->name = strdup(buf);
	return t->name != NULL;
}

static const struct clr_type *type_of(struct clr *c, uint64_t mt, int depth,
				      struct ch_err *err)
{
	struct clr_type_ent *e;
	const char *dp = dump_path(as_dump(c->a));
	if (mt == 0 || (mt & (c->ps - 1))) {
		ch_set_error(err, CH_ECORRUPT, "%s: 0x%" PRIx64 " is not a MethodTable", dp, mt);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	HASH_FIND(hh, c->types, &mt, sizeof mt, e);
	if (!e && depth <= MAX_DEPTH) {
		e = calloc(1, sizeof *e);
		if (e) {
			e->key = mt;
			e->t.mt = mt;
			/* Insert first: a type whose name refers to itself
			 * through its arguments sees a "bad" placeholder. */
			e->bad = true;
			snprintf(e->err, sizeof e->err, "MethodTable 0x%" PRIx64 " refers to itself", mt);
			HASH_ADD(hh, c->types, key, sizeof e->key, e);
			e->bad = !load_type(c, e, depth);
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (!e || e->bad) {
		ch_set_error(err, CH_ECORRUPT, "%s: %s", dp, e ? e->err : "out of memory");
		return NULL;
	}
	return &e->t;
}

bool clr_type_derives(struct clr *c, const struct clr_type *t, const char *name)
{
	for (unsigned k = 0; t && k < CLR_MAX_PARENTS; k++) {
		if (t->name && strcmp(t->name, name) == 0)
			return true;
		t = t->parent_mt ? clr_type_of(c, t->parent_mt, NULL) : NULL;
	}
	return false;
}

const struct clr_type *clr_type_of(struct clr *c, uint64_t mt, struct ch_err *err)
{
	return type_of(c, mt, 0, err);
}

bool clr_th_name(struct clr *c, uint64_t th, char *buf, size_t size)
{
	struct clr_sb b = { buf, 0, size };
	if (size)
		buf[0] = '\0';
	th_name(c, th, &b, 0);
	return b.len > 0;
}

bool clr_type_fields_cached(const struct clr_type *t, struct clr_field ***fields,
			    size_t **n, size_t **ninstance, char **ferr)
{
	struct clr_type_ent *e = (struct clr_type_ent *)((char *)t -
		offsetof(struct clr_type_ent, t));
	*fields = &e->fields;
	*n = &e->nfields;
	*ninstance = &e->ninstance;
	*ferr = e->ferr;
	bool done = e->fields_done;
	e->fields_done = true;
	return done;
}

/* ---- instantiations without a MethodTable ---- */

/* Their keys lie where no MethodTable can be (the kernel half on 64-bit,
 * past 4 GB on 32-bit), 8 bytes apart, TypeDesc tag clear. */
#define SYNTH_BASE 0xfff0000000000000ull
#define SYNTH_SLOTS (1u << 24)
#define SYNTH_PROBES 64

static bool synth_same(const struct clr_type *t, uint64_t canon, const uint64_t *args,
		       unsigned nargs)
{
	return t->canon_mt == canon && t->ntype_args == nargs &&
	       memcmp(t->type_args, args, nargs * sizeof *args) == 0;
}

const struct clr_type *clr_type_synth(struct clr *c, uint64_t canon, const uint64_t *args,
				      unsigned nargs)
{
	const struct clr_type *ct = clr_type_of(c, canon, NULL);
	if (!ct || ct->canon_mt != canon || ct->ntype_args != nargs || nargs == 0 ||
	    nargs > MAX_TYPE_ARGS || ct->kind == CLR_KIND_CLASS || ct->kind == CLR_KIND_ARRAY)
		return NULL;
	char buf[MAX_NAME];
	struct clr_sb b = { buf, 0, sizeof buf };
	struct th_args ta = { c, args, 0 };
	uint64_t h = canon * 0x9e3779b97f4a7c15ULL;
	for (unsigned i = 0; i < nargs; i++)
		h = (h ^ args[i]) * 0x9e3779b97f4a7c15ULL;
	const struct clr_type *out = NULL;
	pthread_mutex_lock(&c->lock);
	struct clr_module *mod = clr_module_get(c, ct->module);
	if (mod && mod->md) {
		buf[0] = '\0';
		clr_typedef_name(mod->md, ct->token & 0xffffff, nargs, emit_th, &ta, &b);
	}
	for (unsigned k = 0; mod && mod->md && k < SYNTH_PROBES && !out; k++) {
		uint64_t key = SYNTH_BASE + 8 * (((h >> 20) + k) & (SYNTH_SLOTS - 1));
		struct clr_type_ent *e;
		HASH_FIND(hh, c->types, &key, sizeof key, e);
		if (e) {
			if (!e->bad && synth_same(&e->t, canon, args, nargs))
				out = &e->t;
			continue;
		}
		if (!(e = calloc(1, sizeof *e)) || !(e->t.name = strdup(buf))) {
			free(e);
			break;
		}
		/* the canonical type's layout, fields and kind; its own name and
		 * arguments; no statics (an unloaded type has none) */
		const char *name = e->t.name;
		e->t = *ct;
		e->t.mt = e->key = key;
		e->t.name = name;
		e->t.flags2 &= ~2u;
		memcpy(e->args, args, nargs * sizeof *args);
		e->t.type_args = e->args;
		HASH_ADD(hh, c->types, key, sizeof e->key, e);
		out = &e->t;
	}
	pthread_mutex_unlock(&c->lock);
	return out;
}

/* ---- loaded types of a module ---- */

enum ch_status clr_module_types(struct clr *c, uint64_t module_addr,
				clr_mt_fn fn, void *arg, struct ch_err *err)
{
	const struct clr_off *o = &c->off;
	pthread_mutex_lock(&c->lock);
	struct clr_module *mod = clr_module_get(c, module_addr);
	const struct md *md = mod ? mod->md : NULL;
	pthread_mutex_unlock(&c->lock);
	if (!md)
		return ch_set_error(err, CH_ENOTFOUND, "%s: metadata of module 0x%" PRIx64 " unavailable",
				    dump_path(as_dump(c->a)), module_addr);
	if (!o->have_maps)
		return ch_set_error(err, CH_EUNSUPPORTED, "%s: the contract descriptor has no TypeDef map",
				    dump_path(as_dump(c->a)));
	uint32_t rows = md_rows(md, MD_TBL_TYPEDEF);
	uint64_t map = module_addr + o->mod_typedef_map;
	uint64_t base_rid = 0;
	/* The map is a chain of tables: entry rid lives in the table whose
	 * [base, base + Count) holds it. */
	for (unsigned hops = 0; map && hops < 1024; hops++) {
		uint64_t data, count, mask = 0, next;
		if (!clr_rdptr(c, map + o->map_data, &data) ||
		    !clr_rdptr(c, map + o->map_count, &count) ||
		    !clr_rdptr(c, map + o->map_next, &next))
			break;
		clr_rdptr(c, map + o->map_mask, &mask);
		for (uint64_t i = 0; i < count && base_rid + i <= rows; i++) {
			uint64_t mt;
			if (base_rid + i == 0)
				continue;
			if (!clr_rdptr(c, data + i * c->ps, &mt))
				break;
			mt &= ~mask;
			if (mt && !fn(arg, mt))
				return CH_OK;
		}
		base_rid += count;
		map = next;
	}
	return CH_OK;
}

struct find_ctx {
	struct clr *c;
	const char *name;
	uint64_t found;
};

static bool find_cb(void *arg, uint64_t mt)
{
	struct find_ctx *f = arg;
	const struct clr_type *t = clr_type_of(f->c, mt, NULL);
	if (t && strcmp(t->name, f->name) == 0) {
		f->found = mt;
		return false;
	}
	return true;
}

uint64_t clr_find_type(struct clr *c, const char *name, const uint64_t *mts,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(c, mts[i], NULL);
		if (t && strcmp(t->name, name) == 0)
			return mts[i];
	}
	/* Types without instances (holders of statics): ask each module
	 * once for everything it has loaded. */
	struct find_ctx f = { c, name, 0 };
	uint64_t *seen = calloc(n ? n : 1, sizeof *seen);
	size_t nseen = 0;
	for (size_t i = 0; i < n && !f.found && seen; i++) {
		const struct clr_type *t = clr_type_of(c, mts[i], NULL);
		if (!t || !t->module || t->kind == CLR_KIND_ARRAY)
			continue;
		bool dup = false;
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = seen[k] == t->module;
		if (dup)
			continue;
		seen[nseen++] = t->module;
		clr_module_types(c, t->module, find_cb, &f, NULL);
	}
	free(seen);
	return f.found;
}
