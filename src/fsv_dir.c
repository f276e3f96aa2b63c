/* fsv_dir.c - directories: the child of a name (lookup) and listings
 * (readdir). A listing resumes at an offset in O(1): offsets are
 * positions in the directory's own order (the type table, the heap's
 * per-type index, field order, array index), never a saved cursor. */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name; enum fsv_kind kind; mode_t mode; } root_ents[] = {
	{ "README.txt", FK_README, S_IFREG }, { "dump.json", FK_DUMP_JSON, S_IFREG },
	{ "stat.tsv", FK_STAT_TSV, S_IFREG }, { "types", FK_TYPES, S_IFDIR },
	{ "objects", FK_OBJECTS, S_IFDIR }, { "roots", FK_ROOTS, S_IFDIR },
	{ "modules", FK_MODULES, S_IFDIR }, { "retained.tsv", FK_RETAINED_TSV, S_IFREG },
	{ "threads", FK_THREADS, S_IFDIR }, { "async", FK_ASYNC, S_IFDIR },
	{ "inspections", FK_INSPECTIONS, S_IFDIR }, { "exceptions", FK_EXCEPTIONS, S_IFDIR },
};
#define NROOT (sizeof root_ents / sizeof root_ents[0])

static const struct { const char *name; enum fsv_kind kind; } type_ents[] = {
	{ "type.json", FK_TYPE_JSON }, { "fields.tsv", FK_TYPE_FIELDS },
	{ "base", FK_TYPE_BASE }, { "instances", FK_TYPE_INST },
	{ "instances.jsonl", FK_TYPE_JSONL }, { "instances.csv", FK_TYPE_CSV },
	{ "statics", FK_TYPE_STATICS },
};
#define NTYPE (sizeof type_ents / sizeof type_ents[0])

static const struct { const char *name; enum fsv_kind kind; } obj_ents[] = {
	{ ".type", FK_OBJ_TYPE }, { ".json", FK_OBJ_JSON },
	{ ".address", FK_OBJ_ADDR }, { ".size", FK_OBJ_SIZE },
	{ ".length", FK_OBJ_LENGTH }, { ".items", FK_OBJ_ITEMS },
	{ ".refs", FK_OBJ_REFS }, { ".referrers", FK_OBJ_REFERRERS },
	{ ".gcroot", FK_OBJ_GCROOT }, { ".gcroot.json", FK_OBJ_GCROOT_JSON },
	{ ".retained", FK_OBJ_RETAINED }, { ".dominator", FK_OBJ_DOMINATOR },
	{ ".exception", FK_OBJ_EXC },
};
#define NOBJ (sizeof obj_ents / sizeof obj_ents[0])

static const struct { const char *name; enum fsv_kind kind; } mod_ents[] = {
	{ "path", FK_MOD_PATH }, { "base", FK_MOD_BASE }, { "size", FK_MOD_SIZE },
	{ "version", FK_MOD_VERSION },
};
#define NMOD (sizeof mod_ents / sizeof mod_ents[0])

/* Whether object dir has the meta entry of kind k. */
static bool obj_has(struct fsv *v, const struct fsv_node *dir, enum fsv_kind k)
{
	if (k == FK_OBJ_LENGTH)
		return dir->t->kind == CLR_KIND_ARRAY;
	if (k == FK_OBJ_ITEMS)
		return dir->t->kind == CLR_KIND_CLASS && fsvi_has(v, dir->pl);
	if (k == FK_OBJ_EXC)
		return fsve_is_exception(v, dir->t);
	if (k == FK_OBJ_DOMINATOR) { /* listed once the graph is built: ls builds nothing */
		uint64_t d;
		return fsvg_dominator(v, dir->pl, &d, false);
	}
	return true;
}

static bool type_has(const struct fsv_tent *te, enum fsv_kind k)
{
	return (k != FK_TYPE_BASE || te->base != UINT32_MAX) &&
	       (k != FK_TYPE_STATICS || te->statics);
}

/* ---- arrays ---- */

struct arr {
	uint64_t n;         /* elements */
	unsigned rank;
	uint32_t len[32];   /* per dimension (rank > 1) */
};

static bool arr_info(struct fsv *v, uint64_t obj, const struct clr_type *t, struct arr *a)
{
	uint32_t n;
	memset(a, 0, sizeof *a);
	if (t->kind != CLR_KIND_ARRAY || !as_u32(v->a, obj + v->ps, &n))
		return false;
	a->n = n;
	a->rank = t->sz_array ? 1 : t->rank;
	if (a->rank == 0 || a->rank > 32)
		return false;
	if (a->rank > 1) {
		uint64_t prod = 1;
		for (unsigned i = 0; i < a->rank; i++) {
			if (!as_u32(v->a, obj + 2 * v->ps + 4 * i, &a->len[i]))
				return false;
			prod *= a->len[i] ? a->len[i] : 0;
			if (prod > UINT32_MAX)
				return false;
		}
		if (prod != a->n)
			return false;
	}
	return true;
}

/* The name of element i ("7", or "1,2" for a multi-dimensional array). */
static void elem_name(const struct arr *a, uint64_t i, char *out, size_t size)
{
	if (a->rank <= 1) {
		snprintf(out, size, "%" PRIu64, i);
		return;
	}
	uint64_t idx[32];
	for (unsigned d = a->rank; d-- > 0;) {
		idx[d] = i % a->len[d];
		i /= a->len[d];
	}
	size_t k = 0;
	for (unsigned d = 0; d < a->rank && k < size; d++)
		k += (size_t)snprintf(out + k, size - k, d ? ",%" PRIu64 : "%" PRIu64, idx[d]);
}

static bool elem_parse(const struct arr *a, const char *name, uint64_t *i)
{
	if (a->rank <= 1)
		return fsv_parse_index(name, a->n, i);
	uint64_t flat = 0;
	const char *p = name;
	for (unsigned d = 0; d < a->rank; d++) {
		char part[24];
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((d + 1 < a->rank) != (e != NULL) || len == 0 || len >= sizeof part)
			return false;
		memcpy(part, p, len);
		part[len] = '\0';
		uint64_t x;
		if (!fsv_parse_index(part, a->len[d], &x))
			return false;
		flat = flat * a->len[d] + x;
		p = e ? e + 1 : p + len;
	}
	*i = flat;
	return true;
}

/* ---- lookup ---- */

static int find_field(struct fsv *v, const struct fsv_tview *tv, size_t from, size_t to,
		      const char *name)
{
	(void)v;
	for (size_t i = from; i < to; i++)
		if (tv->name[i] && strcmp(tv->name[i], name) == 0)
			return (int)i;
	return -1;
}

static int lookup_type_dir(struct fsv *v, const char *name, uint64_t *ino)
{
	if (fsv_types(v) != CH_OK)
		return -EIO;
	size_t lo = 0, hi = v->ntypes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->types[mid].dir, name);
		if (c == 0) {
			*ino = fsv_ino(FK_TYPE, mid);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

static int lookup_object(struct fsv *v, const char *name, uint64_t *ino)
{
	uint64_t addr, obj, mt, size;
	bool canon;
	if (!fsv_parse_addr(name, v->hexw, &addr, &canon) || addr > FSV_PAYLOAD_MAX)
		return -ENOENT;
	if (!heap_object_at(v->h, addr, &obj, &mt, &size))
		return -ENOENT;
	*ino = canon && obj == addr ? fsv_ino(FK_OBJ, addr) : fsv_ino(FK_ALIAS, addr);
	return 0;
}

/* A field or element slot of the object or struct of dir, as a child. */
static int lookup_in_data(struct fsv *v, const struct fsv_node *dir, const char *name,
			  uint64_t *ino)
{
	const struct clr_type *t = dir->kind == FK_OBJ ? dir->t : dir->st;
	uint64_t base = dir->kind == FK_OBJ ? dir->pl + v->ps : dir->target;
	unsigned under = dir->kind == FK_OBJ ? FSV_UNDER_OBJECTS : dir->sh.under;
	unsigned depth = dir->kind == FK_OBJ ? 2 : dir->sh.depth + 1u;
	struct val_slot s;
	if (dir->kind == FK_OBJ && t->kind == CLR_KIND_ARRAY) {
		struct arr a;
		uint64_t i;
		if (!arr_info(v, dir->pl, t, &a) || !elem_parse(&a, name, &i) ||
		    !fsvv_elem_slot(v, t, dir->pl, i, &s))
			return -ENOENT;
	} else {
		const struct fsv_tview *tv = fsv_view(v, t);
		if (!tv)
			return -EIO;
		int i = find_field(v, tv, 0, tv->ninst, name);
		if (i < 0 || !fsvv_field_slot(v, t, (size_t)i, base, &s))
			return -ENOENT;
	}
	*ino = fsv_slot_ino(v, &s, under, depth);
	return *ino ? 0 : -EOVERFLOW;
}

int fsv_dir_lookup(struct fsv *v, const struct fsv_node *dir, const char *name,
		   uint64_t *ino)
{
	switch (dir->kind) {
	case FK_ROOT:
		for (size_t i = 0; i < NROOT; i++)
			if (strcmp(root_ents[i].name, name) == 0) {
				*ino = fsv_ino(0, root_ents[i].kind);
				return 0;
			}
		if (fsvd_on(v) && strcmp(name, "diff.tsv") == 0) {
			*ino = fsv_ino(0, FK_DIFF_TSV);
			return 0;
		}
		if (fsvd_on(v) && strcmp(name, "diff") == 0) {
			*ino = fsv_ino(0, FK_DIFF_DIR);
			return 0;
		}
		return -ENOENT;
	case FK_TYPES:
		return lookup_type_dir(v, name, ino);
	case FK_TYPE:
		for (size_t i = 0; i < NTYPE; i++)
			if (strcmp(type_ents[i].name, name) == 0 && type_has(dir->te, type_ents[i].kind)) {
				*ino = fsv_ino(type_ents[i].kind, dir->pl);
				return 0;
			}
		if (fsvd_on(v) && strcmp(name, "diff.json") == 0) {
			*ino = fsv_ino(FK_TYPE_DIFF, dir->pl);
			return 0;
		}
		return -ENOENT;
	case FK_TYPE_INST: {
		uint64_t addr, obj, mt, size;
		bool canon;
		if (!fsv_parse_addr(name, v->hexw, &addr, &canon) || !canon ||
		    !heap_object_at(v->h, addr, &obj, &mt, &size) || obj != addr ||
		    mt != dir->te->mt)
			return -ENOENT;
		*ino = fsv_ino(FK_INST, addr);
		return 0;
	}
	case FK_TYPE_STATICS: {
		const struct fsv_tview *tv = fsv_view(v, dir->t);
		struct val_slot s;
		if (strcmp(name, ".threads") == 0 && dir->te->tstatics) {
			*ino = fsv_ino(FK_TYPE_THREADS, dir->pl);
			return 0;
		}
		long i = tv ? fsv_static_named(tv, name, false) : -1;
		if (i < 0 || !fsvv_static_slot(v, dir->t, (size_t)i, &s))
			return -ENOENT;
		*ino = fsv_slot_ino(v, &s, FSV_UNDER_STATICS, 3);
		return *ino ? 0 : -EOVERFLOW;
	}
	case FK_TYPE_THREADS: {
		uint64_t id;
		fsv_threads(v);
		if (!fsv_parse_index(name, UINT32_MAX, &id))
			return -ENOENT;
		for (size_t k = 0; k < v->nthreads && k <= 0xffff; k++)
			if (v->threads[k].id == id) {
				struct fsv_node n;
				uint64_t cand = fsv_ino(FK_TYPE_THREAD, dir->pl << 16 | k);
				if (fsv_node(v, cand, &n))
					return -ENOENT;
				*ino = cand;
				return 0;
			}
		return -ENOENT;
	}
	case FK_TYPE_THREAD: {
		const struct fsv_tview *tv = fsv_view(v, dir->t);
		struct val_slot s;
		long i = tv ? fsv_static_named(tv, name, true) : -1;
		if (i < 0 || !fsvv_thread_static_slot(v, dir->t, dir->target, (size_t)i, &s))
			return -ENOENT;
		*ino = fsv_slot_ino(v, &s, FSV_UNDER_STATICS, 5);
		return *ino ? 0 : -EOVERFLOW;
	}
	case FK_OBJECTS:
		return lookup_object(v, name, ino);
	case FK_OBJ:
		for (size_t i = 0; i < NOBJ; i++)
			if (strcmp(obj_ents[i].name, name) == 0) {
				uint64_t d;
				if (obj_ents[i].kind == FK_OBJ_DOMINATOR ? !fsvg_dominator(v, dir->pl, &d, true)
									 : !obj_has(v, dir, obj_ents[i].kind))
					return -ENOENT;
				*ino = fsv_ino(obj_ents[i].kind, dir->pl);
				return 0;
			}
		return lookup_in_data(v, dir, name, ino);
	case FK_SLOT:
		return dir->vk == VAL_STRUCT ? lookup_in_data(v, dir, name, ino) : -ENOTDIR;
	case FK_OBJ_ITEMS:
		return fsvi_lookup(v, dir->pl, name, ino);
	case FK_OBJ_REFS: case FK_OBJ_REFERRERS:
		return fsvg_lookup(v, dir, name, ino);
	case FK_ROOTS_STATICS: case FK_ROOTS_STACK: case FK_RSTAT_TYPE: case FK_RSTACK_THREAD:
		return fsvr_lookup(v, dir, name, ino);
	case FK_THREADS: case FK_THR:
		return fsvt_lookup(v, dir, name, ino);
	case FK_ASYNC:
		return fsva_lookup(v, name, ino);
	case FK_INSPECTIONS:
		return fsvw_lookup(v, name, ino);
	case FK_DIFF_DIR:
		return fsvd_lookup(v, name, ino);
	case FK_EXCEPTIONS:
		return fsve_lookup(v, name, ino);
	case FK_PAIR:
		return fsvi_pair_lookup(v, dir->pl, name, ino);
	case FK_MODULES:
		fsv_modules(v);
		for (size_t i = 0; i < v->nmods; i++)
			if (strcmp(v->modnames[i], name) == 0) {
				*ino = fsv_ino(FK_MOD, i);
				return 0;
			}
		return -ENOENT;
	case FK_MOD:
		for (size_t i = 0; i < NMOD; i++)
			if (strcmp(mod_ents[i].name, name) == 0) {
				*ino = fsv_ino(mod_ents[i].kind, dir->pl);
				return 0;
			}
		return -ENOENT;
	case FK_ROOTS:
		fsv_roots(v);
		for (unsigned k = 0; k < FSV_HANDLE_KINDS; k++)
			if (fsv_handle_count(v, k) && strcmp(fsv_handle_kind_name(k), name) == 0) {
				*ino = fsv_ino(FK_ROOT_KIND, k);
				return 0;
			}
		/* the graph's roots beside the handles (fsv_groots.c) */
		if (strcmp(name, "statics") == 0 || strcmp(name, "stack") == 0) {
			*ino = fsv_ino(0, name[4] == 'i' ? FK_ROOTS_STATICS : FK_ROOTS_STACK);
			return 0;
		}
		return -ENOENT;
	case FK_ROOT_KIND: {
		uint64_t addr;
		bool canon;
		if (!fsv_parse_addr(name, v->hexw, &addr, &canon) || !canon)
			return -ENOENT;
		size_t from, n = fsv_handles_of(v, (unsigned)dir->pl, &from);
		for (size_t i = from; i < from + n; i++)
			if (v->handles[i].addr == addr) {
				*ino = fsv_ino(dir->pl == FSV_ROOT_DEPENDENT ? FK_DEP_PAIR : FK_ROOT_LINK,
					       addr);
				return 0;
			}
		return -ENOENT;
	}
	case FK_DEP_PAIR:
		if (strcmp(name, "primary") == 0)
			*ino = fsv_ino(FK_DEP_PRIMARY, dir->pl);
		else if (strcmp(name, "secondary") == 0 && dir->target)
			*ino = fsv_ino(FK_DEP_SECONDARY, dir->pl);
		else
			return -ENOENT;
		return 0;
	default:
		return -ENOTDIR;
	}
}

/* ---- readdir ---- */

struct rd {
	struct fsv *v;
	fsv_fill_fn fn;
	void *arg;
	bool plus;
	uint64_t dir;
};

/* Hands one entry to the caller; link_len >= 0 gives a symlink's size
 * without resolving the node. False when the caller is full. */
static bool emit(struct rd *rd, const char *name, uint64_t ino, mode_t mode,
		 long link_len, uint64_t next)
{
	struct stat st, *stp = NULL;
	bool dots = name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
	if (rd->plus && ino && !dots) {
		struct fsv_node n;
		if (link_len >= 0) {
			memset(&st, 0, sizeof st);
			st.st_ino = ino;
			st.st_mode = S_IFLNK | 0777;
			st.st_nlink = 1;
			st.st_size = link_len;
			st.st_uid = rd->v->o.uid;
			st.st_gid = rd->v->o.gid;
			st.st_atime = st.st_mtime = st.st_ctime = (time_t)rd->v->o.mtime;
			stp = &st;
		} else if (fsv_node(rd->v, ino, &n) == 0 &&
			   fsv_node_stat(rd->v, &n, &st, true) == 0) {
			stp = &st;
			mode = st.st_mode & S_IFMT;
		}
	}
	return rd->fn(rd->arg, name, ino, mode, stp, next);
}

/* An entry of .items/ or of a pair directory in it (fsv_items.c). */
static bool item_entry(void *arg, const char *name, uint64_t ino, mode_t mode, uint64_t next)
{
	return emit(arg, name, ino, mode, -1, next);
}

/* Mode of a slot child, for d_type. */
static mode_t slot_mode(struct fsv *v, const struct val_slot *s)
{
	enum val_kind k = fsvv_kind(v, s, NULL, NULL);
	return k == VAL_STRUCT ? S_IFDIR : k == VAL_OBJECT ? S_IFLNK : S_IFREG;
}

static int list_data(struct rd *rd, const struct fsv_node *dir, uint64_t pos)
{
	struct fsv *v = rd->v;
	const struct clr_type *t = dir->kind == FK_OBJ ? dir->t : dir->st;
	uint64_t base = dir->kind == FK_OBJ ? dir->pl + v->ps : dir->target;
	unsigned under = dir->kind == FK_OBJ ? FSV_UNDER_OBJECTS : dir->sh.under;
	unsigned depth = dir->kind == FK_OBJ ? 2 : dir->sh.depth + 1u;
	char name[64];
	struct val_slot s;
	if (dir->kind == FK_OBJ && t->kind == CLR_KIND_ARRAY) {
		struct arr a;
		if (!arr_info(v, dir->pl, t, &a))
			return 0;
		for (uint64_t i = pos; i < a.n; i++) {
			if (!fsvv_elem_slot(v, t, dir->pl, i, &s))
				return 0;
			uint64_t ino = fsv_slot_ino(v, &s, under, depth);
			elem_name(&a, i, name, sizeof name);
			if (!ino)
				return -EOVERFLOW;
			if (!emit(rd, name, ino, slot_mode(v, &s), -1, NOBJ + 3 + i))
				return 0;
		}
		return 0;
	}
	const struct fsv_tview *tv = fsv_view(v, t);
	if (!tv)
		return -EIO;
	for (uint64_t i = pos; i < tv->ninst; i++) {
		if (!tv->name[i] || !fsvv_field_slot(v, t, (size_t)i, base, &s))
			continue;
		uint64_t ino = fsv_slot_ino(v, &s, under, depth);
		if (!ino)
			return -EOVERFLOW;
		if (!emit(rd, tv->name[i], ino, slot_mode(v, &s), -1, NOBJ + 3 + i))
			return 0;
	}
	return 0;
}

/* objects/: every object, type by type; the offset packs (type, index). */
static int list_objects(struct rd *rd, uint64_t off)
{
	struct fsv *v = rd->v;
	if (fsv_types(v) != CH_OK)
		return -EIO;
	uint64_t ti = off >> 40, k = off & ((UINT64_C(1) << 40) - 1);
	char name[17];
	for (; ti < v->ntypes; ti++, k = 0) {
		if (!v->types[ti].count)
			continue;
		const uint64_t *addrs;
		size_t n;
		struct ch_err err;
		if (fsv_instances(v, v->types[ti].mt, &addrs, &n, &err) != CH_OK)
			return -EIO;
		for (; k < n; k++) {
			fsv_fmt_addr(v, addrs[k], name);
			uint64_t next = ti << 40 | (k + 1);
			if (!emit(rd, name, fsv_ino(FK_OBJ, addrs[k]), S_IFDIR, -1, next + 2))
				return 0;
		}
	}
	return 0;
}

int fsv_readdir(struct fsv *v, uint64_t ino, uint64_t off, bool plus,
		fsv_fill_fn fn, void *arg)
{
	struct fsv_node dir;
	int r = fsv_node(v, ino, &dir);
	if (r)
		return r;
	if (fsv_node_mode(&dir) != S_IFDIR)
		return -ENOTDIR;
	struct rd rd = { v, fn, arg, plus, ino };
	/* offsets: 1 after ".", 2 after "..", then per directory */
	if (off == 0 && !emit(&rd, ".", ino, S_IFDIR, -1, 1))
		return 0;
	if (off <= 1 && !emit(&rd, "..", ino, S_IFDIR, -1, 2))
		return 0;
	uint64_t pos = off <= 2 ? 0 : off - 2; /* entries already given */
	char name[FSV_NAME_MAX + 1];
	switch (dir.kind) {
	case FK_ROOT:
		for (uint64_t i = pos; i < NROOT; i++)
			if (!emit(&rd, root_ents[i].name, fsv_ino(0, root_ents[i].kind),
				  root_ents[i].mode, -1, i + 3))
				return 0;
		if (fsvd_on(v) && pos <= NROOT &&
		    !emit(&rd, "diff.tsv", fsv_ino(0, FK_DIFF_TSV), S_IFREG, -1, NROOT + 3))
			return 0;
		if (fsvd_on(v) && pos <= NROOT + 1)
			emit(&rd, "diff", fsv_ino(0, FK_DIFF_DIR), S_IFDIR, -1, NROOT + 4);
		return 0;
	case FK_TYPES:
		if (fsv_types(v) != CH_OK)
			return -EIO;
		for (uint64_t i = pos; i < v->ntypes; i++)
			if (!emit(&rd, v->types[i].dir, fsv_ino(FK_TYPE, i), S_IFDIR, -1, i + 3))
				return 0;
		return 0;
	case FK_TYPE:
		for (uint64_t i = pos; i < NTYPE; i++) {
			enum fsv_kind k = type_ents[i].kind;
			if (!type_has(dir.te, k))
				continue;
			mode_t m = k == FK_TYPE_BASE ? S_IFLNK :
				   k == FK_TYPE_INST || k == FK_TYPE_STATICS ? S_IFDIR : S_IFREG;
			if (!emit(&rd, type_ents[i].name, fsv_ino(k, dir.pl), m, -1, i + 3))
				return 0;
		}
		if (fsvd_on(v) && pos <= NTYPE)
			emit(&rd, "diff.json", fsv_ino(FK_TYPE_DIFF, dir.pl), S_IFREG, -1, NTYPE + 3);
		return 0;
	case FK_TYPE_INST: {
		const uint64_t *addrs;
		size_t n;
		struct ch_err err;
		if (!dir.te->count)
			return 0;
		if (fsv_instances(v, dir.te->mt, &addrs, &n, &err) != CH_OK)
			return -EIO;
		long len = (long)(strlen("../../../objects/") + v->hexw);
		for (uint64_t i = pos; i < n; i++) {
			fsv_fmt_addr(v, addrs[i], name);
			if (!emit(&rd, name, fsv_ino(FK_INST, addrs[i]), S_IFLNK, len, i + 3))
				return 0;
		}
		return 0;
	}
	case FK_TYPE_THREADS:
		fsv_threads(v);
		for (uint64_t k = pos; k < v->nthreads && k <= 0xffff; k++) {
			struct fsv_node n;
			uint64_t cino = fsv_ino(FK_TYPE_THREAD, dir.pl << 16 | k);
			if (fsv_node(v, cino, &n))
				continue; /* no thread statics of this type there */
			snprintf(name, sizeof name, "%u", v->threads[k].id);
			if (!emit(&rd, name, cino, S_IFDIR, -1, k + 3))
				return 0;
		}
		return 0;
	case FK_TYPE_THREAD:
	case FK_TYPE_STATICS: {
		const struct fsv_tview *tv = fsv_view(v, dir.t);
		bool thread = dir.kind == FK_TYPE_THREAD;
		if (!tv)
			return -EIO;
		if (!thread && dir.te->tstatics) {
			/* .threads first, at position 0; fields after it */
			if (pos == 0 && !emit(&rd, ".threads", fsv_ino(FK_TYPE_THREADS, dir.pl),
					      S_IFDIR, -1, 3))
				return 0;
			pos = pos ? pos - 1 : 0;
		}
		uint64_t skip = !thread && dir.te->tstatics;
		for (uint64_t i = tv->ninst + pos; i < tv->nf; i++) {
			struct val_slot s;
			if (!tv->name[i] || !(tv->f[i].flags & CLR_FIELD_THREAD) != !thread)
				continue;
			if (thread ? !fsvv_thread_static_slot(v, dir.t, dir.target, (size_t)i, &s)
				   : !fsvv_static_slot(v, dir.t, (size_t)i, &s))
				continue;
			uint64_t cino = fsv_slot_ino(v, &s, FSV_UNDER_STATICS, thread ? 5 : 3);
			if (!cino)
				return -EOVERFLOW;
			if (!emit(&rd, tv->name[i], cino, slot_mode(v, &s), -1,
				  i - tv->ninst + skip + 3))
				return 0;
		}
		return 0;
	}
	case FK_OBJECTS:
		return list_objects(&rd, pos);
	case FK_OBJ:
		for (uint64_t i = pos; i < NOBJ; i++) {
			enum fsv_kind k = obj_ents[i].kind;
			if (!obj_has(v, &dir, k))
				continue;
			if (!emit(&rd, obj_ents[i].name, fsv_ino(k, dir.pl),
				  k == FK_OBJ_TYPE || k == FK_OBJ_DOMINATOR || k == FK_OBJ_EXC ? S_IFLNK :
				  k == FK_OBJ_ITEMS || k == FK_OBJ_REFS || k == FK_OBJ_REFERRERS ? S_IFDIR :
				  S_IFREG,
				  -1, i + 3))
				return 0;
		}
		return list_data(&rd, &dir, pos > NOBJ ? pos - NOBJ : 0);
	case FK_SLOT:
		return list_data(&rd, &dir, pos);
	case FK_OBJ_ITEMS:
		return fsvi_list(v, dir.pl, pos, item_entry, &rd);
	case FK_OBJ_REFS: case FK_OBJ_REFERRERS:
		return fsvg_list(v, &dir, pos, item_entry, &rd);
	case FK_ROOTS_STATICS: case FK_ROOTS_STACK: case FK_RSTAT_TYPE: case FK_RSTACK_THREAD:
		return fsvr_list(v, &dir, pos, item_entry, &rd);
	case FK_THREADS: case FK_THR:
		return fsvt_list(v, &dir, pos, item_entry, &rd);
	case FK_ASYNC:
		return fsva_list(v, pos, item_entry, &rd);
	case FK_INSPECTIONS:
		return fsvw_list(v, pos, item_entry, &rd);
	case FK_DIFF_DIR:
		return fsvd_list(v, pos, item_entry, &rd);
	case FK_EXCEPTIONS:
		return fsve_list(v, pos, item_entry, &rd);
	case FK_PAIR:
		return fsvi_pair_list(v, dir.pl, pos, item_entry, &rd);
	case FK_MODULES:
		fsv_modules(v);
		for (uint64_t i = pos; i < v->nmods; i++)
			if (!emit(&rd, v->modnames[i], fsv_ino(FK_MOD, i), S_IFDIR, -1, i + 3))
				return 0;
		return 0;
	case FK_MOD:
		for (uint64_t i = pos; i < NMOD; i++)
			if (!emit(&rd, mod_ents[i].name, fsv_ino(mod_ents[i].kind, dir.pl), S_IFREG, -1, i + 3))
				return 0;
		return 0;
	case FK_ROOTS:
		fsv_roots(v);
		for (uint64_t k = pos; k < FSV_HANDLE_KINDS; k++)
			if (fsv_handle_count(v, (unsigned)k) &&
			    !emit(&rd, fsv_handle_kind_name((unsigned)k), fsv_ino(FK_ROOT_KIND, k),
				  S_IFDIR, -1, k + 3))
				return 0;
		if (pos <= FSV_HANDLE_KINDS &&
		    !emit(&rd, "statics", fsv_ino(0, FK_ROOTS_STATICS), S_IFDIR, -1, FSV_HANDLE_KINDS + 3))
			return 0;
		if (pos <= FSV_HANDLE_KINDS + 1)
			emit(&rd, "stack", fsv_ino(0, FK_ROOTS_STACK), S_IFDIR, -1, FSV_HANDLE_KINDS + 4);
		return 0;
	case FK_ROOT_KIND: {
		size_t from, n = fsv_handles_of(v, (unsigned)dir.pl, &from);
		long len = (long)(strlen("../../objects/") + v->hexw);
		bool dep = dir.pl == FSV_ROOT_DEPENDENT;
		for (uint64_t i = pos; i < n; i++) {
			fsv_fmt_addr(v, v->handles[from + i].addr, name);
			if (!emit(&rd, name,
				  fsv_ino(dep ? FK_DEP_PAIR : FK_ROOT_LINK, v->handles[from + i].addr),
				  dep ? S_IFDIR : S_IFLNK, dep ? -1 : len, i + 3))
				return 0;
		}
		return 0;
	}
	case FK_DEP_PAIR: {
		long len = (long)(strlen("../../../objects/") + v->hexw);
		if (pos == 0 && !emit(&rd, "primary", fsv_ino(FK_DEP_PRIMARY, dir.pl), S_IFLNK, len, 3))
			return 0;
		if (pos <= 1 && dir.target &&
		    !emit(&rd, "secondary", fsv_ino(FK_DEP_SECONDARY, dir.pl), S_IFLNK, len, 4))
			return 0;
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}
