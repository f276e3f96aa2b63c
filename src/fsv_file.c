/* fsv_file.c - file contents and symlink targets: each file is rendered
 * once into a bounded cache (so its size is exact and its bytes are the
 * same for every reader), except instances.jsonl and instances.csv, which
 * are rendered as they are read, one instance at a time, like a /proc
 * file (the CSV's columns are learned from every instance at open). */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "jw.h"
#include "md.h"

/* ---- buffers ---- */

void fsv_buf_put(struct val_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len <= n) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap - b->len <= n) {
			if (ncap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			ncap *= 2;
		}
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void fsv_buf_str(struct val_buf *b, const char *s)
{
	fsv_buf_put(b, s, strlen(s));
}

void fsv_buf_printf(struct val_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		fsv_buf_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fsv_buf_put(b, big, (size_t)n);
	free(big);
}

static void put_jw(struct val_buf *b, struct jw *w)
{
	if (w->oom)
		b->oom = true;
	else
		fsv_buf_put(b, w->buf, w->len);
	jw_free(w);
}

/* ---- symlinks ---- */

int fsv_link_target(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	char hex[17];
	switch (n->kind) {
	case FK_TYPE_BASE:
		fsv_buf_str(b, "../");
		fsv_buf_str(b, v->types[n->te->base].dir);
		break;
	case FK_OBJ_TYPE: {
		if (fsv_types(v) != CH_OK)
			return -EIO;
		long i = fsv_type_index(v, n->mt);
		if (i < 0)
			return -EIO;
		fsv_buf_str(b, "../../types/");
		fsv_buf_str(b, v->types[i].dir);
		break;
	}
	case FK_OBJ_EXC:
		fsv_fmt_addr(v, n->pl, hex);
		fsv_buf_str(b, "../../exceptions/");
		fsv_buf_str(b, hex);
		fsv_buf_str(b, ".txt");
		break;
	case FK_INST:
		fsv_fmt_addr(v, n->pl, hex);
		fsv_buf_str(b, "../../../objects/");
		fsv_buf_str(b, hex);
		break;
	case FK_ALIAS:
		fsv_fmt_addr(v, n->target, hex);
		fsv_buf_str(b, hex);
		break;
	case FK_GRAPH_LINK: case FK_OBJ_DOMINATOR:
		/* objects/<a>/.refs/<b>, objects/<a>/.dominator */
		fsv_fmt_addr(v, n->kind == FK_GRAPH_LINK ? n->pl : n->target, hex);
		fsv_buf_str(b, n->kind == FK_GRAPH_LINK ? "../../" : "../");
		fsv_buf_str(b, hex);
		break;
	case FK_ROOT_LINK: case FK_DEP_PRIMARY: case FK_DEP_SECONDARY: case FK_ROOT_GLINK:
	case FK_THR_OBJECT: case FK_THR_EXC:
		/* roots/<kind>/<slot>, threads/<osid>/thread, or one folder down
		   (a dependent pair, roots/statics/<Type>/, roots/stack/<osid>/) */
		fsv_fmt_addr(v, n->target, hex);
		fsv_buf_str(b, n->kind == FK_ROOT_LINK || n->kind == FK_THR_OBJECT || n->kind == FK_THR_EXC
				       ? "../../objects/" : "../../../objects/");
		fsv_buf_str(b, hex);
		break;
	case FK_SLOT: {
		if (n->vk != VAL_OBJECT)
			return -EINVAL;
		/* under objects/ (.items/ too), objects/ is an ancestor */
		bool in_objects = n->sh.under != FSV_UNDER_STATICS;
		unsigned up = in_objects ? n->sh.depth - 1u : n->sh.depth;
		for (unsigned i = 0; i < up; i++)
			fsv_buf_str(b, "../");
		if (!in_objects)
			fsv_buf_str(b, "objects/");
		fsv_fmt_addr(v, n->target, hex);
		fsv_buf_str(b, hex);
		break;
	}
	default:
		return -EINVAL;
	}
	return b->oom ? -ENOMEM : 0;
}

/* ---- rendering ---- */

static const char readme[] =
"This is the managed heap of a .NET process, read from a memory dump\n"
"(mounted read-only by mount.clrheap; nothing here can be changed).\n"
"\n"
"  dump.json            the dump: format, runtime, GC mode, object count, heap bytes\n"
"  stat.tsv             one row per type: mt, count, total_size, type (like !DumpHeap -stat)\n"
"  types/<Type>/        every type with instances or static fields (and their base types)\n"
"      type.json        name, MethodTable, module, base type, sizes, count, field layout\n"
"      fields.tsv       offset, type, instance|static, raw field name\n"
"      base             symlink to the base type\n"
"      instances/<addr> symlinks to every instance under objects/\n"
"      instances.jsonl  every instance as one JSON document per line (streamed)\n"
"      instances.csv    every instance as a CSV row, leaves by dotted name (streamed)\n"
"      statics/         static fields, shown like instance fields;\n"
"                       statics/.threads/<id>/ a thread's thread-static fields\n"
"  objects/<addr>/      one directory per object (16 hex digits; any address\n"
"                       inside an object is a symlink to it)\n"
"      .type .json .address .size   its type, JSON, address and size\n"
"      <field>          a value file (\"null\" for a null reference), a symlink\n"
"                       to the object referenced, or a directory (a struct)\n"
"      0 1 2 ... .length   array elements (\"1,2\" in a multi-dimensional array)\n"
"      .items/          a collection's items, in the order its JSON shows:\n"
"                       0 1 2 ... for lists and sets (a queue head first, a\n"
"                       stack top first), <key> for maps with string keys\n"
"                       (escaped as type names are), 0/key 0/value ... for\n"
"                       other maps\n"
"  roots/<kind>/<handle>   GC handles, as symlinks to their objects; the\n"
"                       finalizer queue in roots/finalizer (registered) and\n"
"                       roots/finalizer-ready (waiting for the finalizer thread)\n"
"  modules/<name>/      loaded assemblies: path, base, size, version\n"
"\n"
"Type names are ClrMD's (Ns.Outer+Inner, List<System.String>, System.Int32[]);\n"
"a '/' in a name is written %2F, a name longer than 255 bytes is cut and ends\n"
"in ~ and 16 hex digits, a second type of one name gets #<mt>. Field files\n"
"have clean names (<Name>k__BackingField and F#'s Name@ are Name) unless two\n"
"clean names clash; fields.tsv keeps the raw names. A DateTime of kind Local\n"
"is shown without an offset: the dump does not say which zone it was.\n"
"\n"
"Examples:\n"
"  jq -c . 'types/<Type>/instances.jsonl'\n"
"  cat objects/<addr>/<field>; readlink objects/<addr>/<field>\n"
"  find types/<Type>/instances -type l | wc -l\n";

static const char *kind_str(enum clr_kind k)
{
	static const char *const s[] = { "class", "struct", "enum", "primitive",
		"nullable", "interface", "string", "array", "free" };
	return (unsigned)k < sizeof s / sizeof s[0] ? s[k] : "?";
}

static void put_warning(void *arg, const char *msg)
{
	jw_str(arg, msg);
}

static int render_dump_json(struct fsv *v, struct val_buf *b)
{
	const struct heap_stat_row *rows;
	size_t n, nseg;
	struct ch_err err;
	if (heap_stat(v->h, &rows, &n, &err) != CH_OK)
		return -EIO;
	uint64_t objs = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		objs += rows[i].count;
		bytes += rows[i].bytes;
	}
	heap_segments(v->h, &nseg);
	const struct clr_runtime_info *rt = clr_runtime(v->c);
	const struct clr_gc_info *gc = clr_gc(v->c);
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "file"); jw_str(&w, v->dump_path);
	jw_key(&w, "format"); jw_str(&w, dump_format_str(dump_format(v->d)));
	jw_key(&w, "arch"); jw_str(&w, dump_arch_str(dump_arch(v->d)));
	jw_key(&w, "os"); jw_str(&w, dump_os_str(dump_os(v->d)));
	jw_key(&w, "pointer_size"); jw_u64(&w, v->ps);
	jw_key(&w, "pid"); jw_u64(&w, dump_process(v->d)->pid);
	jw_key(&w, "runtime");
	jw_obj_begin(&w);
	jw_key(&w, "flavor"); jw_str(&w, clr_flavor_str(rt->flavor));
	jw_key(&w, "version"); jw_str(&w, rt->product_version);
	jw_key(&w, "file_version"); jw_str(&w, rt->file_version);
	jw_key(&w, "module"); jw_str(&w, rt->module ? rt->module->path : "");
	jw_obj_end(&w);
	jw_key(&w, "gc");
	jw_obj_begin(&w);
	jw_key(&w, "mode"); jw_str(&w, gc->server ? "server" : "workstation");
	jw_key(&w, "regions"); jw_bool(&w, gc->regions);
	jw_key(&w, "heaps"); jw_u64(&w, gc->nheaps);
	jw_key(&w, "segments"); jw_u64(&w, nseg);
	jw_obj_end(&w);
	jw_key(&w, "objects"); jw_u64(&w, objs);
	jw_key(&w, "heap_bytes"); jw_u64(&w, bytes);
	jw_key(&w, "types"); jw_u64(&w, n);
	/* from the object graph: null when it cannot be built */
	uint64_t lo, lb, dobj, db;
	bool gr = fsvg_totals(v, &lo, &lb, &dobj, &db);
	jw_key(&w, "live");
	if (gr) {
		jw_obj_begin(&w);
		jw_key(&w, "objects"); jw_u64(&w, lo);
		jw_key(&w, "bytes"); jw_u64(&w, lb);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "dead");
	if (gr) {
		jw_obj_begin(&w);
		jw_key(&w, "objects"); jw_u64(&w, dobj);
		jw_key(&w, "bytes"); jw_u64(&w, db);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "warnings");
	jw_arr_begin(&w);
	for (size_t i = 0; i < heap_warning_count(v->h); i++)
		jw_str(&w, heap_warning(v->h, i));
	clr_module_warnings(v->c, put_warning, &w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_append(&w, "\n", 1);
	put_jw(b, &w);
	return 0;
}

static int render_stat(struct fsv *v, struct val_buf *b)
{
	const struct heap_stat_row *rows;
	size_t n;
	struct ch_err err;
	if (heap_stat(v->h, &rows, &n, &err) != CH_OK)
		return -EIO;
	fsv_buf_str(b, "mt\tcount\ttotal_size\ttype\n");
	for (size_t i = 0; i < n && !b->oom; i++) {
		const struct clr_type *t = clr_type_of(v->c, rows[i].mt, NULL);
		fsv_buf_printf(b, "%016" PRIx64 "\t%" PRIu64 "\t%" PRIu64 "\t", rows[i].mt,
			       rows[i].count, rows[i].bytes);
		if (t)
			fsv_buf_str(b, t->name);
		else
			fsv_buf_printf(b, "<invalid 0x%" PRIx64 ">", rows[i].mt);
		fsv_buf_str(b, "\n");
	}
	return 0;
}

static const char *field_kind(const struct clr_field *f)
{
	if (!(f->flags & CLR_FIELD_STATIC))
		return "instance";
	return f->flags & CLR_FIELD_THREAD ? "threadstatic" : "static";
}

static int render_type_json(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	const struct clr_type *t = n->t;
	const struct fsv_tview *tv = fsv_view(v, t);
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "name"); jw_str(&w, t->name);
	jw_key(&w, "mt"); jw_hex(&w, t->mt);
	jw_key(&w, "module"); if (t->module_name) jw_str(&w, t->module_name); else jw_null(&w);
	jw_key(&w, "kind"); jw_str(&w, kind_str(t->kind));
	jw_key(&w, "base");
	if (n->te->base != UINT32_MAX)
		jw_str(&w, v->types[n->te->base].t->name);
	else
		jw_null(&w);
	jw_key(&w, "base_size"); jw_u64(&w, t->base_size);
	jw_key(&w, "component_size"); jw_u64(&w, t->component_size);
	if (t->kind == CLR_KIND_ARRAY) {
		jw_key(&w, "rank"); jw_u64(&w, t->rank);
	}
	jw_key(&w, "count"); jw_u64(&w, n->te->count);
	jw_key(&w, "total_size"); jw_u64(&w, n->te->bytes);
	/* from the object graph: null when it cannot be built */
	uint64_t live, live_bytes, ret;
	bool gr = fsvg_type(v, t->mt, &live, &live_bytes, &ret);
	jw_key(&w, "live"); if (gr) jw_u64(&w, live); else jw_null(&w);
	jw_key(&w, "live_size"); if (gr) jw_u64(&w, live_bytes); else jw_null(&w);
	jw_key(&w, "retained"); if (gr) jw_u64(&w, ret); else jw_null(&w);
	jw_key(&w, "fields");
	jw_arr_begin(&w);
	for (size_t i = 0; tv && i < tv->nf; i++) {
		const struct clr_field *f = &tv->f[i];
		jw_obj_begin(&w);
		jw_key(&w, "name"); jw_str(&w, f->name ? f->name : "");
		jw_key(&w, "file"); if (tv->name[i]) jw_str(&w, tv->name[i]); else jw_null(&w);
		jw_key(&w, "type"); jw_str(&w, f->type_name ? f->type_name : "");
		jw_key(&w, "offset"); jw_u64(&w, f->offset);
		jw_key(&w, "kind"); jw_str(&w, field_kind(f));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_append(&w, "\n", 1);
	put_jw(b, &w);
	return 0;
}

static int render_fields(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	const struct fsv_tview *tv = fsv_view(v, n->t);
	if (!tv)
		return -EIO;
	fsv_buf_str(b, "offset\ttype\tkind\tname\n");
	for (size_t i = 0; i < tv->nf; i++)
		fsv_buf_printf(b, "0x%x\t%s\t%s\t%s\n", tv->f[i].offset,
			       tv->f[i].type_name ? tv->f[i].type_name : "?",
			       field_kind(&tv->f[i]), tv->f[i].name ? tv->f[i].name : "?");
	return 0;
}

#define MAX_IMAGE (256u << 20)

/* The assembly version from the module's metadata (its Assembly row). */
static bool assembly_version(struct fsv *v, const struct dump_module *m, struct val_buf *b)
{
	if (!m->size || m->size > MAX_IMAGE)
		return false;
	const uint8_t *img = as_ptr(v->a, m->base, (size_t)m->size);
	uint8_t *copy = NULL;
	size_t len = (size_t)m->size;
	if (!img) {
		if (!(copy = malloc(len)))
			return false;
		len = as_read(v->a, m->base, copy, len);
		img = copy;
	}
	struct md *md = NULL;
	struct md_assembly asm_row;
	struct ch_err err;
	bool ok = md_open_pe(img, len, !m->pe_flat, m->name, &md, NULL, &err) == CH_OK &&
		  md_assembly(md, &asm_row) == CH_OK;
	if (ok)
		fsv_buf_printf(b, "%u.%u.%u.%u\n", asm_row.major, asm_row.minor, asm_row.build,
			       asm_row.revision);
	md_close(md);
	free(copy);
	return ok;
}

static int render_module(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	const struct dump_module *m = v->mods[n->pl];
	switch (n->kind) {
	case FK_MOD_PATH: fsv_buf_printf(b, "%s\n", m->path); break;
	case FK_MOD_BASE: fsv_buf_printf(b, "0x%016" PRIx64 "\n", m->base); break;
	case FK_MOD_SIZE: fsv_buf_printf(b, "%" PRIu64 "\n", m->size); break;
	default:
		if (assembly_version(v, m, b))
			break;
		if (m->version)
			fsv_buf_printf(b, "%u.%u.%u.%u\n", (unsigned)(m->version >> 48),
				       (unsigned)(m->version >> 32) & 0xffff,
				       (unsigned)(m->version >> 16) & 0xffff,
				       (unsigned)m->version & 0xffff);
		else
			fsv_buf_str(b, "unknown\n");
	}
	return 0;
}

/* True when rendering n is cheap enough for a directory listing. */
static bool cheap(const struct fsv_node *n)
{
	switch (n->kind) {
	case FK_DUMP_JSON: case FK_STAT_TSV: case FK_OBJ_JSON: case FK_MOD_VERSION: case FK_TYPE_JSON:
	case FK_RETAINED_TSV: case FK_OBJ_GCROOT: case FK_OBJ_GCROOT_JSON: case FK_OBJ_RETAINED:
	case FK_THR_STACK: case FK_ASYNC_CHAINS: case FK_ASYNC_BOXES: case FK_INSP_FIRST:
	case FK_DIFF_TSV: case FK_DIFF_PATHS: case FK_TYPE_DIFF:
		return false;
	default:
		return true;
	}
}

static int render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	uint32_t len;
	int r = 0;
	switch (n->kind) {
	case FK_README: fsv_buf_str(b, readme); break;
	case FK_DUMP_JSON: r = render_dump_json(v, b); break;
	case FK_STAT_TSV: r = render_stat(v, b); break;
	case FK_TYPE_JSON: r = render_type_json(v, n, b); break;
	case FK_TYPE_FIELDS: r = render_fields(v, n, b); break;
	case FK_OBJ_JSON:
		if (!fsvv_object_json(v, n->pl, b))
			return -EIO;
		fsv_buf_str(b, "\n");
		break;
	case FK_OBJ_ADDR: fsv_buf_printf(b, "0x%" PRIx64 "\n", n->pl); break;
	case FK_OBJ_SIZE: fsv_buf_printf(b, "%" PRIu64 "\n", n->size); break;
	case FK_OBJ_LENGTH:
		if (!as_u32(v->a, n->pl + v->ps, &len))
			return -EIO;
		fsv_buf_printf(b, "%u\n", len);
		break;
	case FK_MOD_PATH: case FK_MOD_BASE: case FK_MOD_SIZE: case FK_MOD_VERSION:
		r = render_module(v, n, b);
		break;
	case FK_RETAINED_TSV: case FK_OBJ_GCROOT: case FK_OBJ_GCROOT_JSON: case FK_OBJ_RETAINED:
		r = fsvg_render(v, n, b);
		break;
	case FK_THR_JSON: case FK_THR_STACK:
		r = fsvt_render(v, n, b);
		break;
	case FK_ASYNC_CHAINS: case FK_ASYNC_BOXES:
		r = fsva_render(v, n, b);
		break;
	case FK_INSP_FIRST: /* inspections/<name>.tsv */
		r = fsvw_render(v, n, b);
		break;
	case FK_EXC_TXT: case FK_EXC_BY_TYPE:
		r = fsve_render(v, n, b);
		break;
	case FK_DIFF_TSV: case FK_DIFF_PATHS: case FK_TYPE_DIFF:
		r = fsvd_render(v, n, b);
		break;
	case FK_SLOT:
		if (!fsvv_text(v, &n->slot, b))
			return -EIO;
		break;
	default:
		return -EISDIR;
	}
	if (!r && b->oom)
		r = -ENOMEM;
	return r;
}

bool fsv_file_streamed(const struct fsv_node *n)
{
	return n->kind == FK_TYPE_JSONL || n->kind == FK_TYPE_CSV;
}

/* ---- the cache: rendered files by inode, least recently used out ---- */

struct cent {
	uint64_t ino;
	char *p;
	size_t len;
	unsigned refs;
	struct cent *hnext;        /* hash chain */
	struct cent *prev, *next;  /* LRU list, most recent first */
};

struct fsv_cache {
	pthread_mutex_t lock;
	struct cent **tab;
	size_t cap, n;
	size_t bytes, budget;
	struct cent lru;           /* sentinel */
};

enum ch_status fsv_cache_open(struct fsv *v)
{
	struct fsv_cache *c = calloc(1, sizeof *c);
	if (!c || !(c->tab = calloc(c->cap = 4096, sizeof *c->tab))) {
		free(c);
		return CH_ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->budget = v->o.cache_bytes;
	c->lru.prev = c->lru.next = &c->lru;
	v->cache = c;
	return CH_OK;
}

void fsv_cache_close(struct fsv *v)
{
	struct fsv_cache *c = v->cache;
	if (!c)
		return;
	for (struct cent *e = c->lru.next, *next; e != &c->lru; e = next) {
		next = e->next;
		free(e->p);
		free(e);
	}
	free(c->tab);
	pthread_mutex_destroy(&c->lock);
	free(c);
	v->cache = NULL;
}

static size_t slot_of(const struct fsv_cache *c, uint64_t ino)
{
	return (size_t)(fsv_hash64(&ino, sizeof ino) & (c->cap - 1));
}

static void lru_unlink(struct cent *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_front(struct fsv_cache *c, struct cent *e)
{
	e->next = c->lru.next;
	e->prev = &c->lru;
	c->lru.next->prev = e;
	c->lru.next = e;
}

/* Removes e from the hash and the list and frees it (caller holds lock). */
static void cent_drop(struct fsv_cache *c, struct cent *e)
{
	struct cent **pp = &c->tab[slot_of(c, e->ino)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	c->bytes -= e->len;
	c->n--;
	free(e->p);
	free(e);
}

static struct cent *cache_get(struct fsv_cache *c, uint64_t ino)
{
	pthread_mutex_lock(&c->lock);
	struct cent *e = c->tab[slot_of(c, ino)];
	while (e && e->ino != ino)
		e = e->hnext;
	if (e) {
		e->refs++;
		lru_unlink(e);
		lru_front(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	return e;
}

static void cache_put_ref(struct fsv_cache *c, struct cent *e)
{
	pthread_mutex_lock(&c->lock);
	e->refs--;
	pthread_mutex_unlock(&c->lock);
}

/* Takes b's bytes into the cache under ino; returns the entry with a
 * reference held (the one already there when another thread won), or
 * NULL when b is larger than the whole budget (b is left to the caller). */
static struct cent *cache_add(struct fsv_cache *c, uint64_t ino, struct val_buf *b)
{
	if (b->len > c->budget / 4)
		return NULL;
	struct cent *ne = calloc(1, sizeof *ne);
	if (!ne)
		return NULL;
	pthread_mutex_lock(&c->lock);
	size_t k = slot_of(c, ino);
	struct cent *e = c->tab[k];
	while (e && e->ino != ino)
		e = e->hnext;
	if (e) { /* another reader rendered it first */
		e->refs++;
		pthread_mutex_unlock(&c->lock);
		free(ne);
		val_buf_free(b);
		return e;
	}
	ne->ino = ino;
	ne->p = b->p;
	ne->len = b->len;
	ne->refs = 1;
	memset(b, 0, sizeof *b);
	ne->hnext = c->tab[k];
	c->tab[k] = ne;
	lru_front(c, ne);
	c->bytes += ne->len;
	c->n++;
	/* evict from the tail what no reader holds */
	for (struct cent *x = c->lru.prev, *prev; x != &c->lru && c->bytes > c->budget; x = prev) {
		prev = x->prev;
		if (!x->refs)
			cent_drop(c, x);
	}
	pthread_mutex_unlock(&c->lock);
	return ne;
}

/* The content of file node n: a cache entry with a reference held, or
 * (too big for the cache) the bytes in *own. */
static int content(struct fsv *v, const struct fsv_node *n, bool cheap_only,
		   struct cent **ce, struct val_buf *own)
{
	*ce = cache_get(v->cache, n->ino);
	if (*ce)
		return 0;
	if (cheap_only && !cheap(n))
		return -EAGAIN;
	struct val_buf b = { 0 };
	int r = render(v, n, &b);
	if (r) {
		val_buf_free(&b);
		return r;
	}
	if (!b.p)
		fsv_buf_put(&b, "", 0);
	if (b.oom) {
		val_buf_free(&b);
		return -ENOMEM;
	}
	*ce = cache_add(v->cache, n->ino, &b);
	if (!*ce)
		*own = b;
	return 0;
}

int fsv_file_size(struct fsv *v, const struct fsv_node *n, uint64_t *size, bool cheap_only)
{
	*size = 0;
	if (fsv_file_streamed(n))
		return 0;
	struct cent *ce;
	struct val_buf own = { 0 };
	int r = content(v, n, cheap_only, &ce, &own);
	if (r)
		return r;
	*size = ce ? ce->len : own.len;
	if (ce)
		cache_put_ref(v->cache, ce);
	val_buf_free(&own);
	return 0;
}

/* ---- open files ---- */

struct stream {
	pthread_mutex_t lock;
	const uint64_t *addrs;
	size_t n, next;     /* instances, the next to render */
	uint64_t base;      /* file offset of buf.p[0] */
	struct val_buf buf;
	struct csv *csv;    /* instances.csv: its columns, learned at open */
	struct val_buf doc; /* one instance's JSON, for its CSV row */
};

struct fsv_file {
	struct cent *ce;
	struct val_buf own;
	struct stream *s;
};

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

/* instances.csv: the columns of every instance (an unreadable one adds
 * none), then the header, which the stream's first bytes hold. */
static int csv_learn_all(struct fsv *v, struct stream *s)
{
	struct ch_err err;
	if (csv_open(&s->csv, &err) != CH_OK)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		s->doc.len = 0;
		if (fsvv_object_json(v, s->addrs[i], &s->doc) &&
		    csv_learn(s->csv, s->doc.p, s->doc.len, &err) == CH_ENOMEM)
			return -ENOMEM;
	}
	return csv_header(s->csv, to_buf, &s->buf, &err) == CH_OK && !s->buf.oom ? 0 : -ENOMEM;
}

int fsv_open_file(struct fsv *v, uint64_t ino, struct fsv_file **out, bool *stream)
{
	struct fsv_node n;
	int r = fsv_node(v, ino, &n);
	if (r)
		return r;
	mode_t m = fsv_node_mode(&n);
	if (m == S_IFDIR)
		return -EISDIR;
	if (m != S_IFREG)
		return -ELOOP;
	struct fsv_file *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	*stream = fsv_file_streamed(&n);
	if (*stream) {
		f->s = calloc(1, sizeof *f->s);
		struct ch_err err;
		if (!f->s) {
			free(f);
			return -ENOMEM;
		}
		pthread_mutex_init(&f->s->lock, NULL);
		if (n.te->count &&
		    fsv_instances(v, n.te->mt, &f->s->addrs, &f->s->n, &err) != CH_OK) {
			fsv_release(v, f);
			return -EIO;
		}
		if (n.kind == FK_TYPE_CSV && (r = csv_learn_all(v, f->s))) {
			fsv_release(v, f);
			return r;
		}
	} else if ((r = content(v, &n, false, &f->ce, &f->own))) {
		free(f);
		return r;
	}
	*out = f;
	return 0;
}

/* Renders instances until [off, off+size) is in the buffer or none are
 * left. The buffer keeps only bytes at or after off. */
static void stream_fill(struct fsv *v, struct stream *s, uint64_t off, size_t size)
{
	if (off < s->base) { /* a reader went back: start again */
		struct ch_err err;
		s->next = 0;
		s->base = 0;
		s->buf.len = 0;
		if (s->csv)
			csv_header(s->csv, to_buf, &s->buf, &err);
	}
	while (s->next < s->n && s->base + s->buf.len < off + size && !s->buf.oom) {
		if (off >= s->base + s->buf.len) {
			s->base += s->buf.len;
			s->buf.len = 0;
		} else if (off > s->base && s->buf.len > (1u << 20)) {
			size_t drop = (size_t)(off - s->base);
			memmove(s->buf.p, s->buf.p + drop, s->buf.len - drop);
			s->buf.len -= drop;
			s->base = off;
		}
		size_t before = s->buf.len;
		if (s->csv) {
			struct ch_err err;
			s->doc.len = 0;
			if (fsvv_object_json(v, s->addrs[s->next], &s->doc) &&
			    csv_row(s->csv, s->doc.p, s->doc.len, to_buf, &s->buf, &err) != CH_OK)
				s->buf.len = before; /* no row of a document it cannot read */
		} else if (!fsvv_object_json(v, s->addrs[s->next], &s->buf)) {
			s->buf.len = before; /* an unreadable object: no line */
		} else {
			fsv_buf_put(&s->buf, "\n", 1);
		}
		s->next++;
	}
}

ssize_t fsv_read(struct fsv *v, struct fsv_file *f, char *buf, size_t size, uint64_t off)
{
	if (f->s) {
		struct stream *s = f->s;
		pthread_mutex_lock(&s->lock);
		stream_fill(v, s, off, size);
		ssize_t r = 0;
		if (s->buf.oom) {
			r = -ENOMEM;
		} else if (off >= s->base && off < s->base + s->buf.len) {
			size_t at = (size_t)(off - s->base);
			size_t k = s->buf.len - at < size ? s->buf.len - at : size;
			memcpy(buf, s->buf.p + at, k);
			r = (ssize_t)k;
		}
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	const char *p = f->ce ? f->ce->p : f->own.p;
	size_t len = f->ce ? f->ce->len : f->own.len;
	if (off >= len)
		return 0;
	size_t k = len - off < size ? len - (size_t)off : size;
	memcpy(buf, p + off, k);
	return (ssize_t)k;
}

void fsv_release(struct fsv *v, struct fsv_file *f)
{
	if (!f)
		return;
	if (f->ce)
		cache_put_ref(v->cache, f->ce);
	val_buf_free(&f->own);
	if (f->s) {
		val_buf_free(&f->s->buf);
		val_buf_free(&f->s->doc);
		csv_close(f->s->csv);
		pthread_mutex_destroy(&f->s->lock);
		free(f->s);
	}
	free(f);
}
