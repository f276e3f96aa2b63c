/* val_plan.c - how each type renders, decided once per MethodTable: which
 * decoder (leaf, collection, plain fields), its fields with clean names
 * and JSON keys ready, the plans of embedded value types, enum members. */
#include "val_priv.h"

#include <stdio.h>
#include <stdlib.h>


/* Drops generic arguments from a ClrMD-style name:
 * "A.Dictionary<K, V>+Entry" -> "A.Dictionary+Entry". */
static void def_name(const char *name, char *out, size_t size)
{
	size_t n = 0;
	int depth = 0;
	for (const char *s = name; *s && n + 1 < size; s++) {
		if (*s == '<')
			depth++;
		else if (*s == '>')
			depth--;
		else if (depth == 0)
			out[n++] = *s;
	}
	out[n] = '\0';
}

const struct pfield *plan_field(const struct plan *p, const char *name)
{
	for (uint32_t i = 0; i < p->nf; i++)
		if (strcmp(p->f[i].f->name, name) == 0)
			return &p->f[i];
	return NULL;
}

/* The field named name whose storage element type is one of elems. */
static const struct pfield *want(const struct plan *p, const char *name, const uint8_t *elems)
{
	const struct pfield *f = plan_field(p, name);
	if (!f)
		return NULL;
	for (; *elems; elems++)
		if (f->elem == *elems)
			return f;
	return NULL;
}

static const uint8_t E_I4[] = { MD_ELEM_I4, MD_ELEM_U4, 0 };
static const uint8_t E_U4[] = { MD_ELEM_U4, MD_ELEM_I4, 0 };
static const uint8_t E_I8[] = { MD_ELEM_I8, MD_ELEM_U8, 0 };
static const uint8_t E_I2I4[] = { MD_ELEM_I2, MD_ELEM_I4, 0 };
static const uint8_t E_BOOL[] = { MD_ELEM_BOOLEAN, 0 };
static const uint8_t E_PTR[] = { MD_ELEM_I, MD_ELEM_U, 0 };
static const uint8_t E_VT[] = { MD_ELEM_VALUETYPE, 0 };
static const uint8_t E_REF[] = { MD_ELEM_CLASS, MD_ELEM_STRING, MD_ELEM_OBJECT,
				 MD_ELEM_SZARRAY, MD_ELEM_ARRAY, MD_ELEM_GENERICINST, 0 };

static char *json_key(const char *name, uint32_t *len)
{
	struct val_buf b;
	val_buf_init(&b);
	vb_utf8(&b, name, strlen(name), true);
	vb_ch(&b, ':');
	if (b.oom) {
		val_buf_free(&b);
		return NULL;
	}
	*len = (uint32_t)b.len;
	return b.p;
}

/* The prim name an element type has, to tell a primitive field from an
 * enum stored as that primitive. */
static const char *prim_type_name(uint8_t elem)
{
	switch (elem) {
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
	case MD_ELEM_I: return "System.IntPtr";
	case MD_ELEM_U: return "System.UIntPtr";
	}
	return NULL;
}

static bool build_fields(struct val *v, struct plan *p)
{
	size_t n, ninst;
	const struct clr_field *f = clr_type_fields(v->c, p->t, &n, &ninst, NULL);
	if (!f)
		return n == 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!(f[i].flags & CLR_FIELD_STATIC))
			k++;
	p->f = calloc(k ? k : 1, sizeof *p->f);
	const char **raw = calloc(k ? k : 1, sizeof *raw);
	const char **names = calloc(k ? k : 1, sizeof *names);
	bool ok = p->f && raw && names;
	for (size_t i = 0; ok && i < n; i++) {
		if (f[i].flags & CLR_FIELD_STATIC)
			continue;
		raw[p->nf] = f[i].name ? f[i].name : "?";
		struct pfield *pf = &p->f[p->nf++];
		pf->f = &f[i];
		pf->off = f[i].offset;
		pf->elem = f[i].elem;
		const char *pn = prim_type_name(f[i].elem);
		bool maybe_enum = pn && strcmp(pn, f[i].type_name) != 0;
		if (f[i].elem == MD_ELEM_VALUETYPE || maybe_enum) {
			uint64_t th = clr_resolve_field(v->r, &f[i]);
			struct plan *sub = th && !(th & 2) ? val_plan(v, th) : NULL;
			if (sub && (f[i].elem == MD_ELEM_VALUETYPE || sub->kind == VK_ENUM))
				pf->sub = sub;
		}
	}
	/* clean names, raw where they clash: the rule the view uses too */
	ok = ok && val_field_names(raw, p->nf, names);
	for (uint32_t i = 0; ok && i < p->nf; i++) {
		p->f[i].name = names[i];
		p->f[i].own_name = names[i] != raw[i];
	}
	free(raw);
	free(names);
	for (uint32_t i = 0; ok && i < p->nf; i++)
		ok = (p->f[i].key = json_key(p->f[i].name, &p->f[i].keylen)) != NULL;
	return ok;
}

/* Enum.ToString picks among members of one value by their place after
 * .NET's own sort (Array.Sort of the values, names alongside, in metadata
 * order), an introsort that is not stable: so sort exactly as it does. */
static void em_swap(struct enum_member *m, size_t i, size_t j)
{
	struct enum_member t = m[i];
	m[i] = m[j];
	m[j] = t;
}

static void em_swap_if_greater(struct enum_member *m, size_t i, size_t j)
{
	if (i != j && m[i].bits > m[j].bits)
		em_swap(m, i, j);
}

static void em_insertion(struct enum_member *m, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		struct enum_member t = m[i + 1];
		size_t j = i + 1;
		for (; j > 0 && t.bits < m[j - 1].bits; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

static void em_down_heap(struct enum_member *m, size_t i, size_t n)
{
	struct enum_member d = m[i - 1];
	while (i <= n / 2) {
		size_t child = 2 * i;
		if (child < n && m[child - 1].bits < m[child].bits)
			child++;
		if (!(d.bits < m[child - 1].bits))
			break;
		m[i - 1] = m[child - 1];
		i = child;
	}
	m[i - 1] = d;
}

static void em_heap(struct enum_member *m, size_t n)
{
	for (size_t i = n / 2; i >= 1; i--)
		em_down_heap(m, i, n);
	for (size_t i = n; i > 1; i--) {
		em_swap(m, 0, i - 1);
		em_down_heap(m, 1, i - 1);
	}
}

static size_t em_partition(struct enum_member *m, size_t n)
{
	size_t hi = n - 1, mid = hi / 2;
	em_swap_if_greater(m, 0, mid);
	em_swap_if_greater(m, 0, hi);
	em_swap_if_greater(m, mid, hi);
	uint64_t pivot = m[mid].bits;
	em_swap(m, mid, hi - 1);
	size_t left = 0, right = hi - 1;
	while (left < right) {
		while (left < hi - 1 && m[++left].bits < pivot)
			;
		while (right > 0 && pivot < m[--right].bits)
			;
		if (left >= right)
			break;
		em_swap(m, left, right);
	}
	if (left != hi - 1)
		em_swap(m, left, hi - 1);
	return left;
}

static void em_introsort(struct enum_member *m, size_t n, unsigned depth)
{
	while (n > 1) {
		if (n <= 16) { /* .NET's threshold for insertion sort */
			if (n == 2) {
				em_swap_if_greater(m, 0, 1);
			} else if (n == 3) {
				em_swap_if_greater(m, 0, 1);
				em_swap_if_greater(m, 0, 2);
				em_swap_if_greater(m, 1, 2);
			} else {
				em_insertion(m, n);
			}
			return;
		}
		if (depth == 0) {
			em_heap(m, n);
			return;
		}
		depth--;
		size_t p = em_partition(m, n);
		em_introsort(m + p + 1, n - p - 1, depth);
		n = p;
	}
}

void val_enum_sort(struct enum_member *m, size_t n)
{
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = m[i - 1].bits <= m[i].bits;
	if (sorted || n < 2)
		return;
	unsigned log2 = 0;
	while ((n >> (log2 + 1)) != 0)
		log2++;
	em_introsort(m, n, 2 * (log2 + 1));
}

static void build_enum(struct val *v, struct plan *p)
{
	const struct md *md = clr_module_md(v->c, p->t->module);
	uint32_t rid = p->t->token & 0xffffff;
	if (!md)
		return;
	struct md_enum_member tmp[64], *m = tmp;
	size_t n = md_enum_members(md, rid, tmp, 64);
	if (n > VAL_ENUM_MAX)
		n = VAL_ENUM_MAX;
	if (n > 64) {
		m = calloc(n, sizeof *m);
		if (!m)
			return;
		n = md_enum_members(md, rid, m, n);
		if (n > VAL_ENUM_MAX)
			n = VAL_ENUM_MAX;
	}
	p->en.m = calloc(n ? n : 1, sizeof *p->en.m);
	if (p->en.m) {
		unsigned size = elem_size(p->prim, v->ps);
		uint64_t mask = size >= 8 || size == 0 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
		for (size_t i = 0; i < n; i++) {
			p->en.m[i].bits = m[i].bits & mask;
			p->en.m[i].name = m[i].name;
		}
		p->en.n = n;
		val_enum_sort(p->en.m, n);
	}
	if (m != tmp)
		free(m);
	p->en.flags = clr_md_has_attribute(md, p->t->token, "System.FlagsAttribute");
}

static bool insert(struct val *v, struct plan *p);

/* Adds to p, after its fields, a field of its own named name (static)
 * whose value a leaf of kind k decodes from the object's data: df[0] and
 * df[1] the fields it reads, df[2] the new field itself. The table keeps
 * that plan under p's MethodTable | tag, a key no MethodTable has. */
static void own_field(struct val *v, struct plan *p, const struct clr_field *cf, enum vk k,
		      uint64_t tag, const struct pfield *a, const struct pfield *b)
{
	size_t ia = (size_t)(a - p->f), ib = b ? (size_t)(b - p->f) : 0;
	struct pfield *f = realloc(p->f, (p->nf + 1) * sizeof *f);
	if (!f)
		return;
	p->f = f;
	struct plan *m = calloc(1, sizeof *m);
	uint32_t keylen;
	char *key = json_key(cf->name, &keylen);
	if (!m || !key) {
		free(m);
		free(key);
		return;
	}
	struct pfield *pf = &f[p->nf];
	*pf = (struct pfield){ .f = cf, .name = cf->name, .key = key, .keylen = keylen,
			       .elem = MD_ELEM_VALUETYPE, .sub = m };
	m->mt = p->mt | tag;
	m->t = p->t;
	m->kind = k;
	m->leaf = m->valuetype = true;
	m->df[0] = &f[ia];
	m->df[1] = b ? &f[ib] : NULL;
	m->df[2] = pf;
	if (!insert(v, m)) {
		free(m);
		free(key);
		return;
	}
	p->nf++;
}

/* A delegate, and reflection's object for a method, get a "$method": the
 * name of the method they stand for (val_leaf.c writes it, or takes its
 * key back when the method is not found). df[0] the pointer (a delegate's
 * _methodPtr, df[1] its _methodPtrAux; else a MethodDesc). */
static void method_field(struct val *v, struct plan *p, const char *dn)
{
	static const struct clr_field mfield = { .name = "$method", .type_name = "System.String" };
	const struct pfield *a, *b = NULL;
	if (clr_type_derives(v->c, p->t, "System.MulticastDelegate")) {
		a = want(p, "_methodPtr", E_PTR);
		b = want(p, "_methodPtrAux", E_PTR);
		if (!b)
			return;
	} else if (strcmp(dn, "System.Reflection.RuntimeMethodInfo") == 0 ||
		   strcmp(dn, "System.Reflection.RuntimeConstructorInfo") == 0) {
		a = want(p, "m_handle", E_PTR);
	} else {
		return;
	}
	if (a)
		own_field(v, p, &mfield, VK_METHOD, 1, a, b);
}

/* An exception gets a "$stackTrace": the frames of its _stackTrace
 * (exc.h), or no such key when it was never thrown. */
static void stack_field(struct val *v, struct plan *p)
{
	static const struct clr_field sfield = { .name = "$stackTrace", .type_name = "System.Object" };
	const struct pfield *a;
	if (clr_type_derives(v->c, p->t, "System.Exception") && (a = want(p, "_stackTrace", E_REF)))
		own_field(v, p, &sfield, VK_FRAMES, 2, a, NULL);
}

/* Picks the decoder of p and checks that the fields it reads are there. */
static void classify(struct val *v, struct plan *p)
{
	const struct clr_type *t = p->t;
	char dn[512];
	def_name(t->name, dn, sizeof dn);
	const struct pfield **d = p->df;
	enum vk k = VK_PLAIN;
	switch (t->kind) {
	case CLR_KIND_STRING:
		p->kind = VK_STRING;
		p->leaf = true;
		return;
	case CLR_KIND_ARRAY:
		p->kind = VK_ARRAY;
		return;
	case CLR_KIND_PRIMITIVE:
		if (elem_size(t->elem_type, v->ps)) {
			p->kind = VK_PRIM;
			p->prim = t->elem_type;
			p->leaf = true;
		}
		return;
	case CLR_KIND_ENUM:
		if (elem_size(t->elem_type, v->ps)) {
			p->kind = VK_ENUM;
			p->prim = t->elem_type;
			p->leaf = true;
			/* the runtime stores it as a native int, as an enum:
			 * d[0] says it is a MethodDesc (leaf_enum names it) */
			if (strcmp(dn, "System.RuntimeMethodHandleInternal") == 0)
				d[0] = want(p, "m_handle", E_PTR);
			else
				build_enum(v, p);
		}
		return;
	case CLR_KIND_NULLABLE:
		if ((d[0] = want(p, "hasValue", E_BOOL)) && (d[1] = plan_field(p, "value")))
			p->kind = VK_NULLABLE;
		return;
	default:
		break;
	}
	if (strcmp(dn, "System.Guid") == 0) {
		const struct pfield *a = plan_field(p, "_a"), *z = plan_field(p, "_k");
		if (a && a->off == 0 && z && z->off == 15)
			k = VK_GUID;
	} else if (strcmp(dn, "System.DateTime") == 0) {
		if ((d[0] = want(p, "_dateData", E_I8)))
			k = VK_DATETIME;
	} else if (strcmp(dn, "System.DateTimeOffset") == 0) {
		if ((d[0] = want(p, "_dateTime", E_VT)) && (d[1] = want(p, "_offsetMinutes", E_I2I4)))
			k = VK_DTO;
	} else if (strcmp(dn, "System.TimeSpan") == 0) {
		if ((d[0] = want(p, "_ticks", E_I8)))
			k = VK_TIMESPAN;
	} else if (strcmp(dn, "System.Decimal") == 0) {
		if ((d[0] = want(p, "_flags", E_I4)) && (d[1] = want(p, "_hi32", E_U4)) &&
		    (d[2] = want(p, "_lo64", E_I8)))
			k = VK_DECIMAL;
	} else if (strcmp(dn, "System.Version") == 0) {
		if ((d[0] = want(p, "_Major", E_I4)) && (d[1] = want(p, "_Minor", E_I4)) &&
		    (d[2] = want(p, "_Build", E_I4)) && (d[3] = want(p, "_Revision", E_I4)))
			k = VK_VERSION;
	} else if (strcmp(dn, "System.Uri") == 0) {
		if ((d[0] = want(p, "_string", E_REF))) {
			d[1] = want(p, "_originalUnicodeString", E_REF);
			d[2] = want(p, "_info", E_REF);
			d[3] = want(p, "_syntax", E_REF);
			k = VK_URI;
		}
	} else if (strcmp(dn, "Microsoft.FSharp.Core.FSharpOption") == 0) {
		if ((d[0] = plan_field(p, "value")))
			k = VK_FSOPTION;
	} else if (strcmp(dn, "Microsoft.FSharp.Core.FSharpValueOption") == 0) {
		if ((d[0] = want(p, "_tag", E_I4)) && (d[1] = plan_field(p, "item")))
			k = VK_FSVOPTION;
	} else if (t->kind == CLR_KIND_CLASS && clr_type_derives(v->c, t, "System.Net.IPAddress")) {
		if ((d[0] = want(p, "_addressOrScopeId", E_U4)) && (d[1] = want(p, "_numbers", E_REF)))
			k = VK_IPADDR;
	} else if (t->kind == CLR_KIND_CLASS) {
		plan_collection(v, p, dn);
		if (p->kind == VK_PLAIN) {
			method_field(v, p, dn);
			stack_field(v, p);
		}
		return;
	} else if (t->kind == CLR_KIND_STRUCT && plan_collection_more(v, p, dn)) {
		return; /* slices (val_items.c) */
	}
	p->kind = k;
	p->leaf = k != VK_PLAIN && k != VK_FSOPTION && k != VK_FSVOPTION;
	if (k == VK_PLAIN)
		memset(p->df, 0, sizeof p->df);
}

static void plan_free(struct plan *p)
{
	for (uint32_t i = 0; i < p->nf; i++) {
		free(p->f[i].key);
		if (p->f[i].own_name)
			free((char *)p->f[i].name);
	}
	free(p->f);
	free(p->type_json);
	free(p->en.m);
	free(p);
}

static struct plan *build(struct val *v, uint64_t mt)
{
	const struct clr_type *t = clr_type_of(v->c, mt, NULL);
	if (!t || t->kind == CLR_KIND_FREE)
		return NULL;
	struct plan *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->mt = mt;
	p->t = t;
	p->valuetype = t->kind == CLR_KIND_STRUCT || t->kind == CLR_KIND_ENUM ||
		       t->kind == CLR_KIND_PRIMITIVE || t->kind == CLR_KIND_NULLABLE;
	if (p->valuetype && t->base_size >= 2 * v->ps)
		p->size = t->base_size - 2 * v->ps;
	struct val_buf b;
	val_buf_init(&b);
	vb_str(&b, "\"$type\":");
	vb_utf8(&b, t->name, strlen(t->name), true);
	p->type_json = b.p;
	p->type_json_len = (uint32_t)b.len;
	if (b.oom || (t->kind != CLR_KIND_ARRAY && t->kind != CLR_KIND_STRING &&
		      !build_fields(v, p))) {
		plan_free(p);
		return NULL;
	}
	classify(v, p);
	return p;
}

static size_t slot_of(uint64_t mt, size_t cap)
{
	return (size_t)((mt >> 3) * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

static bool insert(struct val *v, struct plan *p)
{
	if ((v->tab_n + 1) * 2 > v->tab_cap) {
		size_t cap = v->tab_cap ? v->tab_cap * 2 : 256;
		struct plan **t = calloc(cap, sizeof *t);
		if (!t)
			return false;
		for (size_t i = 0; i < v->tab_cap; i++) {
			struct plan *q = v->tab[i];
			if (!q)
				continue;
			size_t s = slot_of(q->mt, cap);
			while (t[s])
				s = (s + 1) & (cap - 1);
			t[s] = q;
		}
		free(v->tab);
		v->tab = t;
		v->tab_cap = cap;
	}
	size_t s = slot_of(p->mt, v->tab_cap);
	while (v->tab[s])
		s = (s + 1) & (v->tab_cap - 1);
	v->tab[s] = p;
	v->tab_n++;
	return true;
}

static struct plan *lookup(struct val *v, uint64_t mt)
{
	if (!v->tab_cap)
		return NULL;
	for (size_t s = slot_of(mt, v->tab_cap); v->tab[s]; s = (s + 1) & (v->tab_cap - 1))
		if (v->tab[s]->mt == mt)
			return v->tab[s];
	return NULL;
}

/* True when the plan of mt is being built further up this recursion. */
static bool being_built(const struct val *v, uint64_t mt)
{
	for (unsigned i = 0; i < v->nbuilding; i++)
		if (v->building[i] == mt)
			return true;
	return false;
}

struct plan *val_plan(struct val *v, uint64_t mt)
{
	pthread_mutex_lock(&v->lock);
	struct plan *p = lookup(v, mt);
	/* A value type that (through its fields) contains itself is a cycle
	 * no runtime builds: its inner occurrence gets no plan, once, rather
	 * than the type being built again at every level. */
	if (!p && !being_built(v, mt) && v->nbuilding < VAL_MAX_BUILD) {
		v->building[v->nbuilding++] = mt;
		v->nbuilt++;
		p = build(v, mt);
		v->nbuilding--;
		if (p && !insert(v, p)) {
			plan_free(p);
			p = NULL;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return p;
}

void val_plans_free(struct val *v)
{
	for (size_t i = 0; i < v->tab_cap; i++)
		if (v->tab[i])
			plan_free(v->tab[i]);
	free(v->tab);
	v->tab = NULL;
	v->tab_cap = v->tab_n = 0;
}

const char *val_field_name(struct val *v, const struct clr_type *t, size_t i)
{
	struct plan *p = val_plan(v, t->mt);
	return p && i < p->nf ? p->f[i].name : NULL;
}
