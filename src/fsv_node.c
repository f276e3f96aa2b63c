/* fsv_node.c - inode numbers to nodes, their attributes, and the node
 * API's entry points (lookup, getattr, readlink). */
#include "fsv_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Checks that addr starts an object; fills the node's object facts. */
static int obj_node(struct fsv *v, struct fsv_node *n, bool exact)
{
	uint64_t obj, mt, size;
	if (!heap_object_at(v->h, n->pl, &obj, &mt, &size) || (exact && obj != n->pl))
		return -ENOENT;
	n->mt = mt;
	n->size = size;
	n->target = obj;
	n->t = clr_type_of(v->c, mt, NULL);
	return n->t ? 0 : -EIO;
}

/* Index of the handle at addr, or -1 (handles are sorted by kind, then
 * address). */
static long handle_index(struct fsv *v, uint64_t addr)
{
	for (size_t i = 0; i < v->nhandles; i++)
		if (v->handles[i].addr == addr)
			return (long)i;
	return -1;
}

int fsv_node(struct fsv *v, uint64_t ino, struct fsv_node *n)
{
	memset(n, 0, sizeof *n);
	n->ino = ino;
	unsigned shape = fsv_ino_shape(ino);
	n->pl = fsv_ino_payload(ino);
	if (shape == 0) {
		if (n->pl < FK_ROOT || n->pl >= FK_FIXED_END)
			return -ENOENT;
		n->kind = (enum fsv_kind)n->pl;
		bool diff = n->kind == FK_DIFF_TSV || n->kind == FK_DIFF_DIR || n->kind == FK_DIFF_PATHS;
		return diff && !fsvd_on(v) ? -ENOENT : 0;
	}
	if (shape >= FSV_SHAPE_FIRST) {
		n->kind = FK_SLOT;
		if (!fsv_shape_get(v, shape, &n->sh))
			return -ENOENT;
		n->slot = (struct val_slot){ n->pl, n->sh.th, n->sh.elem };
		uint64_t th = 0;
		n->vk = fsvv_kind(v, &n->slot, &n->target, &th);
		if (n->vk == VAL_STRUCT && !(n->st = clr_type_of(v->c, th, NULL)))
			n->vk = VAL_BAD;
		return 0;
	}
	n->kind = (enum fsv_kind)shape;
	switch (n->kind) {
	case FK_TYPE: case FK_TYPE_JSON: case FK_TYPE_FIELDS: case FK_TYPE_BASE:
	case FK_TYPE_INST: case FK_TYPE_JSONL: case FK_TYPE_CSV: case FK_TYPE_STATICS:
	case FK_TYPE_THREADS: case FK_TYPE_THREAD: case FK_TYPE_DIFF: {
		uint64_t ti = n->kind == FK_TYPE_THREAD ? n->pl >> 16 : n->pl;
		if (fsv_types(v) != CH_OK)
			return -EIO;
		if (ti >= v->ntypes)
			return -ENOENT;
		n->te = &v->types[ti];
		n->t = n->te->t;
		n->mt = n->te->mt;
		if ((n->kind == FK_TYPE_BASE && n->te->base == UINT32_MAX) ||
		    (n->kind == FK_TYPE_STATICS && !n->te->statics) ||
		    ((n->kind == FK_TYPE_THREADS || n->kind == FK_TYPE_THREAD) && !n->te->tstatics) ||
		    (n->kind == FK_TYPE_DIFF && !fsvd_on(v)))
			return -ENOENT;
		if (n->kind == FK_TYPE_THREAD) {
			uint64_t k = n->pl & 0xffff, gcb, ngcb;
			fsv_threads(v);
			if (k >= v->nthreads)
				return -ENOENT;
			clr_thread_statics(v->c, n->t, v->threads[k].addr, &gcb, &ngcb);
			if (!gcb && !ngcb)
				return -ENOENT;
			n->target = v->threads[k].addr;
		}
		return 0;
	}
	case FK_OBJ: case FK_OBJ_TYPE: case FK_OBJ_JSON: case FK_OBJ_ADDR:
	case FK_OBJ_SIZE: case FK_INST: {
		int r = obj_node(v, n, true);
		return r;
	}
	case FK_OBJ_LENGTH: {
		int r = obj_node(v, n, true);
		return r ? r : n->t->kind == CLR_KIND_ARRAY ? 0 : -ENOENT;
	}
	case FK_OBJ_ITEMS: {
		int r = obj_node(v, n, true);
		return r ? r : fsvi_has(v, n->pl) ? 0 : -ENOENT;
	}
	case FK_OBJ_REFS: case FK_OBJ_REFERRERS: case FK_OBJ_GCROOT: case FK_OBJ_GCROOT_JSON:
	case FK_OBJ_RETAINED: case FK_GRAPH_LINK:
		return obj_node(v, n, true);
	case FK_OBJ_EXC: {
		int r = obj_node(v, n, true);
		return r ? r : fsve_is_exception(v, n->t) ? 0 : -ENOENT;
	}
	case FK_OBJ_DOMINATOR: {
		int r = obj_node(v, n, true);
		return r ? r : fsvg_dominator(v, n->pl, &n->target, true) ? 0 : -ENOENT;
	}
	case FK_RSTAT_TYPE: case FK_RSTACK_THREAD: case FK_ROOT_GLINK:
		return fsvr_node(v, n);
	case FK_THR: case FK_THR_JSON: case FK_THR_OBJECT: case FK_THR_EXC: case FK_THR_STACK:
		return fsvt_node(v, n);
	case FK_INSP_FIRST:
		return fsvw_node(v, n);
	case FK_EXC_TXT:
		return fsve_node(v, n);
	case FK_PAIR:
		return fsvi_pair(v, n->pl, &n->target) ? 0 : -ENOENT;
	case FK_ALIAS:
		return obj_node(v, n, false);
	case FK_MOD: case FK_MOD_PATH: case FK_MOD_BASE: case FK_MOD_SIZE:
	case FK_MOD_VERSION:
		fsv_modules(v);
		return n->pl < v->nmods ? 0 : -ENOENT;
	case FK_ROOT_KIND:
		fsv_roots(v);
		return n->pl < FSV_HANDLE_KINDS ? 0 : -ENOENT;
	case FK_ROOT_LINK: case FK_DEP_PAIR: case FK_DEP_PRIMARY: case FK_DEP_SECONDARY: {
		fsv_roots(v);
		long i = handle_index(v, n->pl);
		if (i < 0)
			return -ENOENT;
		const struct graph_handle *h = &v->handles[i];
		if (n->kind == FK_ROOT_LINK || n->kind == FK_DEP_PRIMARY) {
			n->target = h->obj;
			return 0;
		}
		/* a pair's folder and its secondary: the secondary, when set */
		if (h->kind != FSV_ROOT_DEPENDENT)
			return -ENOENT;
		n->target = h->secondary;
		return n->kind == FK_DEP_SECONDARY && !n->target ? -ENOENT : 0;
	}
	default:
		return -ENOENT;
	}
}

mode_t fsv_node_mode(const struct fsv_node *n)
{
	switch (n->kind) {
	case FK_ROOT: case FK_TYPES: case FK_OBJECTS: case FK_ROOTS: case FK_MODULES:
	case FK_TYPE: case FK_TYPE_INST: case FK_TYPE_STATICS: case FK_TYPE_THREADS:
	case FK_TYPE_THREAD: case FK_OBJ:
	case FK_OBJ_ITEMS: case FK_PAIR: case FK_MOD: case FK_ROOT_KIND: case FK_DEP_PAIR:
	case FK_OBJ_REFS: case FK_OBJ_REFERRERS:
	case FK_ROOTS_STATICS: case FK_ROOTS_STACK: case FK_RSTAT_TYPE: case FK_RSTACK_THREAD:
	case FK_THREADS: case FK_THR: case FK_ASYNC: case FK_INSPECTIONS: case FK_EXCEPTIONS:
	case FK_DIFF_DIR:
		return S_IFDIR;
	case FK_TYPE_BASE: case FK_OBJ_TYPE: case FK_INST: case FK_ALIAS:
	case FK_ROOT_LINK: case FK_DEP_PRIMARY: case FK_DEP_SECONDARY:
	case FK_GRAPH_LINK: case FK_OBJ_DOMINATOR: case FK_ROOT_GLINK:
	case FK_THR_OBJECT: case FK_THR_EXC: case FK_OBJ_EXC:
		return S_IFLNK;
	case FK_SLOT:
		return n->vk == VAL_STRUCT ? S_IFDIR : n->vk == VAL_OBJECT ? S_IFLNK : S_IFREG;
	default:
		return S_IFREG;
	}
}

int fsv_node_stat(struct fsv *v, const struct fsv_node *n, struct stat *st, bool cheap_only)
{
	memset(st, 0, sizeof *st);
	mode_t m = fsv_node_mode(n);
	st->st_ino = n->ino;
	st->st_uid = v->o.uid;
	st->st_gid = v->o.gid;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)v->o.mtime;
	st->st_blksize = 4096;
	if (m == S_IFDIR) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	st->st_nlink = 1;
	if (m == S_IFLNK) {
		struct val_buf b = { 0 };
		int r = fsv_link_target(v, n, &b);
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)b.len;
		val_buf_free(&b);
		return r;
	}
	st->st_mode = S_IFREG | 0444;
	uint64_t size = 0;
	int r = fsv_file_size(v, n, &size, cheap_only);
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	return r;
}

uint64_t fsv_slot_ino(struct fsv *v, const struct val_slot *s, unsigned under,
		      unsigned depth)
{
	if (s->addr > FSV_PAYLOAD_MAX || depth > UINT16_MAX)
		return 0;
	struct fsv_shape sh = { .th = s->th, .elem = s->elem, .under = (uint8_t)under,
				.depth = (uint16_t)depth };
	unsigned shape = fsv_shape_intern(v, &sh);
	return shape ? fsv_ino(shape, s->addr) : 0;
}

int fsv_lookup(struct fsv *v, uint64_t parent, const char *name, struct stat *st)
{
	struct fsv_node dir, n;
	int r = fsv_node(v, parent, &dir);
	if (r)
		return r;
	if (fsv_node_mode(&dir) != S_IFDIR)
		return -ENOTDIR;
	if (strlen(name) > FSV_NAME_MAX)
		return -ENAMETOOLONG;
	uint64_t ino = 0;
	if ((r = fsv_dir_lookup(v, &dir, name, &ino)))
		return r;
	if ((r = fsv_node(v, ino, &n)))
		return r;
	return fsv_node_stat(v, &n, st, false);
}

int fsv_getattr(struct fsv *v, uint64_t ino, struct stat *st)
{
	struct fsv_node n;
	int r = fsv_node(v, ino, &n);
	return r ? r : fsv_node_stat(v, &n, st, false);
}

int fsv_readlink(struct fsv *v, uint64_t ino, char *buf, size_t size)
{
	struct fsv_node n;
	int r = fsv_node(v, ino, &n);
	if (r)
		return r;
	if (fsv_node_mode(&n) != S_IFLNK)
		return -EINVAL;
	struct val_buf b = { 0 };
	if ((r = fsv_link_target(v, &n, &b)) == 0 && size > 0) {
		size_t k = b.len < size - 1 ? b.len : size - 1;
		memcpy(buf, b.p, k);
		buf[k] = '\0';
	}
	val_buf_free(&b);
	return r;
}
