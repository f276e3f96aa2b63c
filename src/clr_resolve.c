/* clr_resolve.c - from a field's declared type (its metadata signature) to
 * the runtime's TypeHandle: TypeDefs through the module's TypeDef map,
 * TypeRefs through the module's TypeRef map (filled as the runtime resolves
 * them) or by name across the loaded modules, generic instantiations by
 * matching the definition and arguments against each candidate module's
 * table of instantiated types (Module.AvailableTypeParams, an
 * EETypeHashTable), generic parameters from the declaring type's
 * arguments; a value-type instantiation the runtime holds only in
 * canonical form (over __Canon) as that form's layout under its own name.
 * Facts and sources: docs/RUNTIME.md §4.3 and §4.5. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdr.h"

#define MAX_MODULES 4096     /* loaded modules kept */
#define MAX_MAP_HOPS 1024    /* ModuleLookupMap chain links */
#define MAX_PARAM_TYPES (1u << 22) /* entries of one EETypeHashTable */
#define MAX_BUCKETS (1u << 24)
#define MAX_ARGS 32
#define SIG_DEPTH 16
#define TH_TYPEDESC 2u

/* The instantiated types of one module, read once. */
struct rsv_params {
	uint64_t module;
	bool loaded;
	uint64_t *mts;
	size_t n;
};

struct clr_resolver {
	struct clr *c;
	pthread_mutex_t lock;
	/* offsets from the descriptor (0 / false when absent) */
	bool have_typeref_map, have_params, have_appdomain;
	uint32_t mod_typeref_map, mod_params;
	uint32_t eth_buckets, eth_value, eth_next;
	uint32_t ad_list, al_count, al_first, alb_next, alb_size, alb_start;
	uint32_t asm_module, mod_assembly;
	uint64_t *modules;
	size_t nmodules;
	bool modules_done;
	struct rsv_params *params;
	size_t nparams;
	uint64_t corelib;  /* Module* of System.Private.CoreLib */
	uint64_t canon;    /* System.__Canon, once canon_done */
	bool canon_done;
};

static bool off_of(struct clr *c, const char *type, const char *field, uint32_t *out)
{
	return c->desc && clr_desc_offset(c->desc, type, field, out);
}

/* True when the pointer at module + off leads to a hash table shaped like
 * an EETypeHashTable whose first entries include instantiated types. */
static bool params_table_ok(struct clr_resolver *r, uint64_t module, uint32_t off)
{
	struct clr *c = r->c;
	uint64_t table, buckets, len, sentinel;
	if (!clr_rdptr(c, module + off, &table) || !table ||
	    !clr_rdptr(c, table + r->eth_buckets, &buckets) || !buckets ||
	    !clr_rdptr(c, buckets, &len) || len == 0 || len > MAX_BUCKETS ||
	    !clr_rdptr(c, buckets + 2 * c->ps, &sentinel) || !(sentinel & 1))
		return false;
	unsigned seen = 0, good = 0;
	for (uint64_t i = 0; i < len && seen < 64; i++) {
		uint64_t e, th;
		if (!clr_rdptr(c, buckets + (i + 3) * c->ps, &e))
			return false;
		for (; !(e & 1) && e && seen < 64; seen++) {
			if (!clr_rdptr(c, e + r->eth_value, &th))
				return false;
			th &= ~(uint64_t)1;
			/* an array, or a generic instantiation (interfaces too) */
			uint32_t fl;
			if (!(th & TH_TYPEDESC) && as_u32(c->a, th + c->off.mt_flags, &fl) &&
			    ((fl & CLR_MTF_HAS_COMPONENT_SIZE) ?
			     (fl & CLR_MTF_CATEGORY_ARRAY_MASK) == CLR_MTF_CATEGORY_ARRAY :
			     ((fl & CLR_MTF_GENERICS_MASK) == 0x10 || (fl & CLR_MTF_GENERICS_MASK) == 0x20)))
				good++;
			if (!clr_rdptr(c, e + r->eth_next, &e))
				return false;
		}
	}
	return seen >= 2 && good * 4 >= seen * 3;
}

/* Runtimes whose descriptor does not publish Module.AvailableTypeParams
 * (9.0.20; 8.0.31 has no descriptor) keep it 184 bytes after the TypeDef
 * map, as 10.0.12 does (416 -> 600; 9.0.20: 624 -> 808), with the
 * EETypeHashTable laid out as in 10. Elsewhere the pointer-sized slots
 * after the map are tried. Whatever is taken must look like the table of
 * instantiated types of System.Private.CoreLib. */
static void guess_params(struct clr_resolver *r)
{
	const struct clr_off *o = &r->c->off;
	if (!r->corelib || !o->have_maps || r->c->ps != 8)
		return;
	r->eth_buckets = 16;
	r->eth_value = 0;
	r->eth_next = 8;
	uint32_t first = o->mod_typedef_map + 184;
	if (params_table_ok(r, r->corelib, first)) {
		r->mod_params = first;
		r->have_params = true;
		return;
	}
	for (uint32_t off = o->mod_typedef_map + 8; off < o->mod_typedef_map + 512; off += 8) {
		if (params_table_ok(r, r->corelib, off)) {
			r->mod_params = off;
			r->have_params = true;
			return;
		}
	}
}

enum ch_status clr_resolver_open(struct clr *c, struct clr_resolver **out,
				 struct ch_err *err)
{
	struct clr_resolver *r = calloc(1, sizeof *r);
	if (!r)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	r->c = c;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&r->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	r->have_typeref_map = off_of(c, "Module", "TypeRefToMethodTableMap", &r->mod_typeref_map);
	if (!c->desc && c->off.have_maps) {
		/* no descriptor (8.0): where 9 and 10 have it; every hit is
		 * checked against the TypeRef's name */
		r->mod_typeref_map = 8;
		r->have_typeref_map = true;
	}
	r->have_params = off_of(c, "Module", "AvailableTypeParams", &r->mod_params) &&
			 off_of(c, "EETypeHashTable", "Buckets", &r->eth_buckets) &&
			 off_of(c, "EETypeHashTable", "VolatileEntryValue", &r->eth_value) &&
			 off_of(c, "EETypeHashTable", "VolatileEntryNextEntry", &r->eth_next);
	r->have_appdomain = off_of(c, "AppDomain", "DomainAssemblyList", &r->ad_list) &&
			    off_of(c, "ArrayListBase", "Count", &r->al_count) &&
			    off_of(c, "ArrayListBase", "FirstBlock", &r->al_first) &&
			    off_of(c, "ArrayListBlock", "Next", &r->alb_next) &&
			    off_of(c, "ArrayListBlock", "Size", &r->alb_size) &&
			    off_of(c, "ArrayListBlock", "ArrayStart", &r->alb_start) &&
			    off_of(c, "Assembly", "Module", &r->asm_module) &&
			    off_of(c, "Module", "Assembly", &r->mod_assembly);
	const struct clr_type *st = clr_type_of(c, c->string_mt, NULL);
	r->corelib = st ? st->module : 0;
	if (!r->have_params)
		guess_params(r);
	*out = r;
	return CH_OK;
}

void clr_resolver_close(struct clr_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nparams; i++)
		free(r->params[i].mts);
	free(r->params);
	free(r->modules);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- lookup maps ---- */

uint64_t clr_module_map_lookup(struct clr *c, uint64_t map, uint32_t rid)
{
	const struct clr_off *o = &c->off;
	if (!o->have_maps || rid == 0)
		return 0;
	uint64_t base = 0;
	/* entry rid lives in the table whose [base, base + Count) holds it */
	for (unsigned hops = 0; map && hops < MAX_MAP_HOPS; hops++) {
		uint64_t data, count, mask = 0, next, v;
		if (!clr_rdptr(c, map + o->map_data, &data) ||
		    !clr_rdptr(c, map + o->map_count, &count) ||
		    !clr_rdptr(c, map + o->map_next, &next))
			return 0;
		clr_rdptr(c, map + o->map_mask, &mask);
		if (rid - base < count) {
			if (!clr_rdptr(c, data + (rid - base) * c->ps, &v))
				return 0;
			return v & ~mask;
		}
		if (count > UINT32_MAX)
			return 0;
		base += count;
		map = next;
	}
	return 0;
}

uint64_t clr_resolve_typedef(struct clr_resolver *r, uint64_t module, uint32_t token)
{
	if (token >> 24 != MD_TBL_TYPEDEF)
		return 0;
	return clr_module_map_lookup(r->c, module + r->c->off.mod_typedef_map,
				     token & 0xffffff);
}

/* ---- loaded modules ---- */

static void add_module(struct clr_resolver *r, uint64_t m)
{
	if (!m || r->nmodules >= MAX_MODULES)
		return;
	for (size_t i = 0; i < r->nmodules; i++)
		if (r->modules[i] == m)
			return;
	if ((r->nmodules & (r->nmodules + 1)) == 0 || r->nmodules == 0) {
		size_t cap = r->nmodules ? (r->nmodules + 1) * 2 : 16;
		uint64_t *v = realloc(r->modules, cap * sizeof *v);
		if (!v)
			return;
		r->modules = v;
	}
	r->modules[r->nmodules++] = m;
}

/* The Module of an entry of the AppDomain's assembly list: an Assembly*,
 * or (10.0.12) a DomainAssembly* whose first field is the Assembly*. The
 * Module must point back at its Assembly. */
static uint64_t entry_module(struct clr_resolver *r, uint64_t e)
{
	struct clr *c = r->c;
	uint64_t as = e;
	for (int k = 0; k < 2; k++) {
		uint64_t mod, back;
		if (as && clr_rdptr(c, as + r->asm_module, &mod) && mod &&
		    clr_rdptr(c, mod + r->mod_assembly, &back) && back == as)
			return mod;
		if (!clr_rdptr(c, e, &as))
			return 0;
	}
	return 0;
}

/* The AppDomain's assembly list: an ArrayList (blocks of pointers) of the
 * loaded assemblies. */
static void load_modules(struct clr_resolver *r)
{
	struct clr *c = r->c;
	uint64_t var, ad, block;
	uint32_t count = 0;
	if (r->corelib)
		add_module(r, r->corelib);
	if (!r->have_appdomain || !clr_desc_global(c->desc, "AppDomain", &var) ||
	    !clr_rdptr(c, var, &ad) || !ad)
		return;
	uint64_t list = ad + r->ad_list;
	if (!as_u32(c->a, list + r->al_count, &count) || count > MAX_MODULES)
		return;
	block = list + r->al_first;
	uint32_t seen = 0;
	for (unsigned hops = 0; block && seen < count && hops < MAX_MODULES; hops++) {
		uint32_t size = 0;
		uint64_t next = 0;
		if (!as_u32(c->a, block + r->alb_size, &size) ||
		    !clr_rdptr(c, block + r->alb_next, &next) || size > MAX_MODULES)
			return;
		for (uint32_t i = 0; i < size && seen < count; i++, seen++) {
			uint64_t e;
			if (clr_rdptr(c, block + r->alb_start + (uint64_t)i * c->ps, &e) && e)
				add_module(r, entry_module(r, e));
		}
		block = next;
	}
}

void clr_resolver_add_module(struct clr_resolver *r, uint64_t module)
{
	pthread_mutex_lock(&r->lock);
	add_module(r, module);
	pthread_mutex_unlock(&r->lock);
}

const uint64_t *clr_resolver_modules(struct clr_resolver *r, size_t *n)
{
	pthread_mutex_lock(&r->lock);
	if (!r->modules_done) {
		r->modules_done = true;
		load_modules(r);
	}
	*n = r->nmodules;
	pthread_mutex_unlock(&r->lock);
	return r->modules;
}

/* The metadata of a module (NULL when unreadable). */
static const struct md *module_md(struct clr *c, uint64_t module)
{
	pthread_mutex_lock(&c->lock);
	struct clr_module *m = clr_module_get(c, module);
	const struct md *md = m ? m->md : NULL;
	pthread_mutex_unlock(&c->lock);
	return md;
}

/* Finds a TypeDef by its full name (Ns.Outer+Inner, arity kept) in md. */
static uint32_t find_typedef_full(const struct md *md, const char *full)
{
	uint32_t rows = md_rows(md, MD_TBL_TYPEDEF);
	char buf[1024];
	for (uint32_t rid = 1; rid <= rows; rid++)
		if (md_typedef_name(md, rid, 0, buf, sizeof buf) == CH_OK &&
		    strcmp(buf, full) == 0)
			return rid;
	return 0;
}

/* True when the type mt is named as TypeRef rid of md (generic arguments
 * and arity aside). */
static bool name_is(struct clr *c, uint64_t mt, const struct md *md, uint32_t rid)
{
	const struct clr_type *t = clr_type_of(c, mt, NULL);
	char want[1024], got[1024];
	if (!t || md_typeref_name(md, rid, MD_NAME_NO_ARITY, want, sizeof want) != CH_OK)
		return false;
	size_t n = 0;
	int depth = 0;
	for (const char *p = t->name; *p && n + 1 < sizeof got; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>')
			depth--;
		else if (depth == 0)
			got[n++] = *p;
	}
	got[n] = '\0';
	return strcmp(want, got) == 0;
}

uint64_t clr_resolve_typeref(struct clr_resolver *r, uint64_t module, uint32_t token)
{
	struct clr *c = r->c;
	if (token >> 24 != MD_TBL_TYPEREF)
		return 0;
	uint32_t rid = token & 0xffffff;
	const struct md *md = module_md(c, module);
	char name[1024];
	if (!md || md_typeref_name(md, rid, 0, name, sizeof name) != CH_OK)
		return 0;
	if (r->have_typeref_map) {
		uint64_t mt = clr_module_map_lookup(c, module + r->mod_typeref_map, rid);
		if (mt && !(mt & TH_TYPEDESC) && name_is(c, mt, md, rid))
			return mt;
	}
	/* Not resolved by the runtime yet: find the TypeDef by name in the
	 * loaded modules (type forwarders make the AssemblyRef unreliable). */
	size_t n;
	const uint64_t *mods = clr_resolver_modules(r, &n);
	for (size_t i = 0; i < n; i++) {
		const struct md *m2 = module_md(c, mods[i]);
		uint32_t tr = m2 ? find_typedef_full(m2, name) : 0;
		if (tr) {
			uint64_t mt = clr_resolve_typedef(r, mods[i], 0x02000000u | tr);
			if (mt)
				return mt;
		}
	}
	return 0;
}

/* ---- instantiated types ---- */

/* Reads the EETypeHashTable of a module: a bucket array whose slot 0 is
 * its length, slots 1 and 2 the next array and the end sentinel; chains
 * of VolatileEntry end at a value with bit 0 set. */
static void load_params(struct clr_resolver *r, struct rsv_params *p)
{
	struct clr *c = r->c;
	uint64_t table, buckets, len;
	p->loaded = true;
	if (!r->have_params || !clr_rdptr(c, p->module + r->mod_params, &table) || !table ||
	    !clr_rdptr(c, table + r->eth_buckets, &buckets) || !buckets ||
	    !clr_rdptr(c, buckets, &len) || len > MAX_BUCKETS)
		return;
	size_t cap = 0;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t e;
		if (!clr_rdptr(c, buckets + (i + 3) * c->ps, &e))
			return;
		for (unsigned steps = 0; !(e & 1) && e && steps < MAX_PARAM_TYPES; steps++) {
			uint64_t th;
			if (!clr_rdptr(c, e + r->eth_value, &th))
				break;
			th &= ~(uint64_t)1;
			if (th && !(th & TH_TYPEDESC)) {
				if (p->n == cap) {
					if (cap >= MAX_PARAM_TYPES)
						return;
					cap = cap ? cap * 2 : 64;
					uint64_t *v = realloc(p->mts, cap * sizeof *v);
					if (!v)
						return;
					p->mts = v;
				}
				p->mts[p->n++] = th;
			}
			if (!clr_rdptr(c, e + r->eth_next, &e))
				break;
		}
	}
}

static struct rsv_params *params_of(struct clr_resolver *r, uint64_t module)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (r->params[i].module == module)
			return &r->params[i];
	struct rsv_params *v = realloc(r->params, (r->nparams + 1) * sizeof *v);
	if (!v)
		return NULL;
	r->params = v;
	struct rsv_params *p = &v[r->nparams++];
	memset(p, 0, sizeof *p);
	p->module = module;
	load_params(r, p);
	return p;
}

enum ch_status clr_module_param_types(struct clr_resolver *r, uint64_t module,
				      clr_mt_fn fn, void *arg)
{
	pthread_mutex_lock(&r->lock);
	struct rsv_params *p = params_of(r, module);
	size_t n = p ? p->n : 0;
	const uint64_t *mts = p ? p->mts : NULL;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++)
		if (!fn(arg, mts[i]))
			break;
	return p ? CH_OK : CH_ENOMEM;
}

/* True when mt is an instantiation of the generic type def (an open
 * MethodTable) with exactly the arguments args[0..nargs). */
static bool is_inst(struct clr *c, uint64_t mt, const struct clr_type *def,
		    const uint64_t *args, unsigned nargs)
{
	const struct clr_off *o = &c->off;
	uint32_t flags;
	uint64_t module;
	/* cheap checks first: most entries are of other definitions */
	if (!as_u32(c->a, mt + o->mt_flags, &flags) || (flags & CLR_MTF_HAS_COMPONENT_SIZE) ||
	    !clr_rdptr(c, mt + o->mt_module, &module) || module != def->module)
		return false;
	const struct clr_type *t = clr_type_of(c, mt, NULL);
	if (!t || t->token != def->token || t->ntype_args != nargs)
		return false;
	for (unsigned i = 0; i < nargs; i++)
		if (t->type_args[i] != args[i])
			return false;
	return true;
}

static void add_candidate(struct clr *c, uint64_t *mods, unsigned *n, unsigned max,
			  uint64_t th, int depth)
{
	if (!th || (th & TH_TYPEDESC) || depth > 4)
		return;
	const struct clr_type *t = clr_type_of(c, th, NULL);
	if (!t)
		return;
	if (t->kind == CLR_KIND_ARRAY) {
		add_candidate(c, mods, n, max, t->elem_th, depth + 1);
		return;
	}
	bool dup = false;
	for (unsigned i = 0; i < *n && !dup; i++)
		dup = mods[i] == t->module;
	if (!dup && *n < max)
		mods[(*n)++] = t->module;
	for (unsigned i = 0; i < t->ntype_args; i++)
		add_candidate(c, mods, n, max, t->type_args[i], depth + 1);
}

uint64_t clr_resolve_generic(struct clr_resolver *r, uint64_t def_mt,
			     const uint64_t *args, unsigned nargs, uint64_t hint_module)
{
	struct clr *c = r->c;
	const struct clr_type *def = clr_type_of(c, def_mt, NULL);
	if (!def || nargs == 0 || nargs > MAX_ARGS)
		return 0;
	for (unsigned i = 0; i < nargs; i++)
		if (!args[i])
			return 0;
	/* The loader module of an instantiation is the module of its
	 * definition or of one of its arguments. */
	uint64_t mods[16];
	unsigned nm = 0;
	add_candidate(c, mods, &nm, 16, def_mt, 0);
	for (unsigned i = 0; i < nargs; i++)
		add_candidate(c, mods, &nm, 16, args[i], 0);
	if (hint_module && nm < 16)
		mods[nm++] = hint_module;
	for (unsigned k = 0; k < nm; k++) {
		pthread_mutex_lock(&r->lock);
		struct rsv_params *p = params_of(r, mods[k]);
		size_t n = p ? p->n : 0;
		const uint64_t *mts = p ? p->mts : NULL;
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++)
			if (is_inst(c, mts[i], def, args, nargs))
				return mts[i];
	}
	return 0;
}

uint64_t clr_resolve_array(struct clr_resolver *r, uint64_t elem, unsigned rank,
			   bool sz)
{
	struct clr *c = r->c;
	uint64_t mods[16];
	unsigned nm = 0;
	add_candidate(c, mods, &nm, 16, elem, 0);
	if (r->corelib && nm < 16)
		mods[nm++] = r->corelib;
	for (unsigned k = 0; k < nm; k++) {
		pthread_mutex_lock(&r->lock);
		struct rsv_params *p = params_of(r, mods[k]);
		size_t n = p ? p->n : 0;
		const uint64_t *mts = p ? p->mts : NULL;
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++) {
			uint32_t flags;
			uint64_t e;
			if (!as_u32(c->a, mts[i] + c->off.mt_flags, &flags) ||
			    !(flags & CLR_MTF_HAS_COMPONENT_SIZE) ||
			    !clr_rdptr(c, mts[i] + c->off.mt_perinst, &e) || e != elem)
				continue;
			const struct clr_type *t = clr_type_of(c, mts[i], NULL);
			if (t && t->kind == CLR_KIND_ARRAY && t->rank == rank && t->sz_array == sz)
				return mts[i];
		}
	}
	return 0;
}

/* ---- signatures ---- */

struct rsv_sig {
	struct clr_resolver *r;
	const struct md *md;
	uint64_t module;
	const struct clr_type *decl;
	const uint8_t *p, *end;
	int depth;
};

static const char *const prim_names[] = {
	[MD_ELEM_BOOLEAN] = "Boolean", [MD_ELEM_CHAR] = "Char", [MD_ELEM_I1] = "SByte",
	[MD_ELEM_U1] = "Byte", [MD_ELEM_I2] = "Int16", [MD_ELEM_U2] = "UInt16",
	[MD_ELEM_I4] = "Int32", [MD_ELEM_U4] = "UInt32", [MD_ELEM_I8] = "Int64",
	[MD_ELEM_U8] = "UInt64", [MD_ELEM_R4] = "Single", [MD_ELEM_R8] = "Double",
	[MD_ELEM_I] = "IntPtr", [MD_ELEM_U] = "UIntPtr",
};

/* The MethodTable of CoreLib's type System.<name>, 0 when not loaded. */
static uint64_t corelib_type(struct clr_resolver *r, const char *name)
{
	const struct md *md = r->corelib ? module_md(r->c, r->corelib) : NULL;
	uint32_t rid = md ? md_find_typedef(md, "System", name) : 0;
	return rid ? clr_resolve_typedef(r, r->corelib, 0x02000000u | rid) : 0;
}

uint64_t clr_resolve_primitive(struct clr_resolver *r, uint8_t elem)
{
	struct clr *c = r->c;
	if (elem == MD_ELEM_STRING)
		return c->string_mt;
	if (elem == MD_ELEM_OBJECT)
		return c->object_mt;
	if (elem >= sizeof prim_names / sizeof prim_names[0] || !prim_names[elem])
		return 0;
	return corelib_type(r, prim_names[elem]);
}

/* System.__Canon: every reference-type argument of a shared instantiation. */
static uint64_t canon_mt(struct clr_resolver *r)
{
	pthread_mutex_lock(&r->lock);
	if (!r->canon_done) {
		r->canon_done = true;
		r->canon = corelib_type(r, "__Canon");
	}
	pthread_mutex_unlock(&r->lock);
	return r->canon;
}

static uint64_t token_mt(struct rsv_sig *s, uint32_t token)
{
	if (token >> 24 == MD_TBL_TYPEDEF)
		return clr_resolve_typedef(s->r, s->module, token);
	if (token >> 24 == MD_TBL_TYPEREF)
		return clr_resolve_typeref(s->r, s->module, token);
	return 0;
}

/* The canonical form of an exact argument: __Canon for a reference type,
 * the canonical MethodTable of a value type (itself when not shared). */
static uint64_t th_canon(struct clr_resolver *r, uint64_t th)
{
	const struct clr_type *t = th && !(th & TH_TYPEDESC) ? clr_type_of(r->c, th, NULL) : NULL;
	if (!t)
		return 0;
	if (t->kind == CLR_KIND_CLASS || t->kind == CLR_KIND_INTERFACE ||
	    t->kind == CLR_KIND_STRING || t->kind == CLR_KIND_ARRAY)
		return canon_mt(r);
	return t->canon_mt;
}

/* Decodes the head of the Type at s->p into *st; *next gets where the
 * whole Type ends. */
static bool sig_head(struct rsv_sig *s, struct md_sigtype *st, const uint8_t **next)
{
	*next = s->p;
	if (s->depth >= SIG_DEPTH || !md_sig_skip_type(next, s->end) ||
	    md_sig_type(&s->p, s->end, st) != CH_OK)
		return false;
	s->depth++;
	return true;
}

static uint64_t sig_canon(struct rsv_sig *s);

/* The instantiation of generic type token over the canonical forms of the
 * n argument Types at s->p, or 0; moves past them. */
static uint64_t canon_generic(struct rsv_sig *s, uint32_t token, unsigned n)
{
	uint64_t cargs[MAX_ARGS];
	bool ok = n <= MAX_ARGS;
	for (unsigned i = 0; i < n && ok; i++)
		ok = (cargs[i] = sig_canon(s)) != 0;
	uint64_t def = ok ? token_mt(s, token) : 0;
	return def ? clr_resolve_generic(s->r, def, cargs, n, s->module) : 0;
}

/* The canonical form of the Type at s->p (the runtime's loaded form of a
 * generic argument in shared code), or 0; moves past it. */
static uint64_t sig_canon(struct rsv_sig *s)
{
	struct md_sigtype st;
	const uint8_t *next;
	if (!sig_head(s, &st, &next))
		return 0;
	uint64_t th = 0;
	switch (st.elem) {
	case MD_ELEM_CLASS:
	case MD_ELEM_STRING:
	case MD_ELEM_OBJECT:
	case MD_ELEM_SZARRAY:
	case MD_ELEM_ARRAY:
		th = canon_mt(s->r);
		break;
	case MD_ELEM_VALUETYPE:
		th = token_mt(s, st.token);
		break;
	case MD_ELEM_GENERICINST:
		th = st.inst_kind == MD_ELEM_VALUETYPE ? canon_generic(s, st.token, st.nargs)
						       : canon_mt(s->r);
		break;
	case MD_ELEM_VAR:
		if (s->decl && st.index < s->decl->ntype_args)
			th = th_canon(s->r, s->decl->type_args[st.index]);
		break;
	case MD_ELEM_MVAR:
	case MD_ELEM_PTR:
	case MD_ELEM_BYREF:
	case MD_ELEM_FNPTR:
		break;
	default:
		th = clr_resolve_primitive(s->r, st.elem);
		break;
	}
	s->p = next;
	s->depth--;
	return th;
}

/* A value-type instantiation with no MethodTable of its own (its arguments
 * args_at..): the runtime lays out a generic type over reference types once,
 * in canonical form, and loads its fields' types in that form only, so only
 * Pair<__Canon> exists where a Box<String> holds a Pair<String>. Every
 * instantiation sharing it has its layout (shared code reads them all
 * through it). The exact arguments (all known: exact) give the type its
 * own name; else it is the canonical type itself. */
static uint64_t shared_inst(struct rsv_sig *s, const uint8_t *args_at, uint32_t token,
			    const uint64_t *args, unsigned n, bool exact)
{
	const uint8_t *save = s->p;
	s->p = args_at;
	uint64_t cm = canon_generic(s, token, n);
	s->p = save;
	if (!cm || !exact)
		return cm;
	const struct clr_type *t = clr_type_synth(s->r->c, cm, args, n);
	return t ? t->mt : cm;
}

static uint64_t sig_type(struct rsv_sig *s)
{
	struct md_sigtype st;
	const uint8_t *next;
	if (!sig_head(s, &st, &next))
		return 0;
	uint64_t th = 0;
	switch (st.elem) {
	case MD_ELEM_CLASS:
	case MD_ELEM_VALUETYPE:
		th = token_mt(s, st.token);
		break;
	case MD_ELEM_GENERICINST: {
		uint64_t args[MAX_ARGS];
		unsigned n = st.nargs;
		const uint8_t *args_at = s->p;
		if (n > MAX_ARGS)
			break;
		bool all = true;
		for (unsigned i = 0; i < n; i++)
			all = (args[i] = sig_type(s)) != 0 && all;
		uint64_t def = all ? token_mt(s, st.token) : 0;
		if (def)
			th = clr_resolve_generic(s->r, def, args, n, s->module);
		if (!th && st.inst_kind == MD_ELEM_VALUETYPE)
			th = shared_inst(s, args_at, st.token, args, n, all);
		break;
	}
	case MD_ELEM_SZARRAY:
	case MD_ELEM_ARRAY: {
		uint64_t elem = sig_type(s);
		uint32_t rank = st.elem == MD_ELEM_SZARRAY ? 1 : st.index;
		if (elem)
			th = clr_resolve_array(s->r, elem, rank, st.elem == MD_ELEM_SZARRAY);
		break;
	}
	case MD_ELEM_VAR:
		if (s->decl && st.index < s->decl->ntype_args)
			th = s->decl->type_args[st.index];
		break;
	default:
		th = clr_resolve_primitive(s->r, st.elem);
		break;
	}
	s->p = next;
	s->depth--;
	return th;
}

uint64_t clr_resolve_field(struct clr_resolver *r, const struct clr_field *f)
{
	struct clr *c = r->c;
	const struct clr_type *decl = clr_type_of(c, f->decl_mt, NULL);
	if (!decl)
		return 0;
	const struct md *md = module_md(c, decl->module);
	struct md_field mf;
	if (!md || md_field(md, f->token & 0xffffff, &mf) != CH_OK || mf.sig_len < 2 ||
	    mf.sig[0] != 0x06)
		return 0;
	struct rsv_sig s = { r, md, decl->module, decl, mf.sig + 1, mf.sig + mf.sig_len, 0 };
	while (s.p < s.end && (*s.p == MD_ELEM_CMOD_REQD || *s.p == MD_ELEM_CMOD_OPT)) {
		uint32_t tok;
		s.p++;
		if (!md_uncompress(&s.p, s.end, &tok))
			return 0;
	}
	return sig_type(&s);
}
