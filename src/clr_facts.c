/* clr_facts.c - built-in facts of runtime builds (the table is generated
 * from facts/ into clr_facts_data.c at build time), and their extraction
 * from a runtime file through the same code that reads dumps. */
#include "clr_facts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clr.h"
#include "clr_desc.h"
#include "img.h"

/* The generated table (build/obj/clr_facts_data.c). */
extern const struct clr_facts clr_facts_table[];
extern const size_t clr_facts_table_len;

#define FACTS_MAX_IMAGE (256u << 20)
#define FACTS_MAX_DESCS 16

/* Exports the reader looks up in a runtime module. */
static const char *const export_names[] = {
	"DotNetRuntimeContractDescriptor", "g_dacTable",
};

size_t clr_facts_count(void)
{
	return clr_facts_table_len;
}

const struct clr_facts *clr_facts_at(size_t i)
{
	return i < clr_facts_table_len ? &clr_facts_table[i] : NULL;
}

bool clr_facts_id(const struct dump_module *m, char *buf, size_t size)
{
	/* A Linux process's minidump gives its ELF modules a size but no
	 * timestamp; their identity is the build-id. */
	if (m->pe_timestamp || (m->pe_size && !m->build_id_len)) {
		snprintf(buf, size, "pe:%08" PRIx32 ":%" PRIx32, m->pe_timestamp, m->pe_size);
		return true;
	}
	if (!m->build_id_len || size < 5 + 2 * m->build_id_len)
		return false;
	memcpy(buf, "elf:", 4);
	for (size_t i = 0; i < m->build_id_len; i++)
		snprintf(buf + 4 + 2 * i, 3, "%02x", m->build_id[i]);
	return true;
}

const struct clr_facts *clr_facts_find(const struct dump_module *m)
{
	char id[80];
	const char *env = getenv("CLRHEAP_FACTS");
	/* The file itself is never stood in for: facts are made from it. */
	if (!m || m->image_file || (env && strcmp(env, "0") == 0) ||
	    !clr_facts_id(m, id, sizeof id))
		return NULL;
	for (size_t i = 0; i < clr_facts_table_len; i++)
		if (strcmp(clr_facts_table[i].id, id) == 0)
			return &clr_facts_table[i];
	return NULL;
}

enum ch_status clr_facts_export(struct as *a, const struct dump_module *m,
				const char *name, uint64_t *va,
				struct ch_err *err)
{
	const struct clr_facts *f = clr_facts_find(m);
	for (size_t i = 0; f && i < f->nexports; i++)
		if (strcmp(f->exports[i].name, name) == 0) {
			*va = m->base + f->exports[i].rva;
			return CH_OK;
		}
	if (f) /* the build is known and has no such export */
		return ch_set_error(err, CH_ENOTFOUND, "%s: %s does not export %s",
				    dump_path(as_dump(a)), m->name, name);
	return img_find_export(a, m, name, va, err);
}

void clr_facts_json_name(const char *json, size_t len, char *buf, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)json[i];
		h *= 0x100000001b3ull;
	}
	snprintf(buf, size, "json/%016" PRIx64 ".json", h);
}

/* ---- extraction from a runtime file ---------------------------------- */

/* A facts record being built; owns every string and array it points to. */
struct facts_own {
	struct clr_facts f;
	struct clr_facts_export ex[sizeof export_names / sizeof export_names[0]];
	struct clr_facts_desc descs[FACTS_MAX_DESCS];
	char *strs[8];
	size_t nstrs;
};

static const char *own_str(struct facts_own *o, const char *s, bool *oom)
{
	char *p = o->nstrs < sizeof o->strs / sizeof o->strs[0] ? strdup(s ? s : "") : NULL;
	if (!p) {
		*oom = true;
		return "";
	}
	o->strs[o->nstrs++] = p;
	return p;
}

void clr_facts_free(struct clr_facts *f)
{
	if (!f)
		return;
	struct facts_own *o = (struct facts_own *)f;
	for (size_t i = 0; i < o->nstrs; i++)
		free(o->strs[i]);
	for (size_t i = 0; i < f->ndescs; i++) {
		free((char *)o->descs[i].json);
		free((char *)o->descs[i].json_name);
		free((struct clr_facts_ptr *)o->descs[i].ptrs);
	}
	free(o);
}

/* Adds the descriptor at va (found by its magic) to o. */
static enum ch_status add_desc(struct as *a, const struct dump_module *m,
			       uint64_t va, struct facts_own *o, struct ch_err *err)
{
	struct clr_desc_raw raw;
	enum ch_status st = clr_desc_read(a, m, va, &raw, err);
	if (st != CH_OK)
		return st;
	if (o->f.ndescs == FACTS_MAX_DESCS) {
		clr_desc_raw_free(&raw);
		return ch_set_error(err, CH_ECORRUPT, "%s: more than %d contract descriptors",
				    m->path, FACTS_MAX_DESCS);
	}
	struct clr_facts_desc *d = &o->descs[o->f.ndescs];
	struct clr_facts_ptr *p = calloc(raw.nptrs ? raw.nptrs : 1, sizeof *p);
	char *name = malloc(40);
	if (!p || !name) {
		free(p);
		free(name);
		clr_desc_raw_free(&raw);
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < raw.nptrs; i++) {
		uint64_t v = raw.ptrs[i];
		bool in = v >= m->base && v - m->base < m->size;
		p[i] = (struct clr_facts_ptr){ in ? v - m->base : v, in };
	}
	clr_facts_json_name(raw.json, raw.json_len, name, 40);
	*d = (struct clr_facts_desc){ va - m->base, raw.flags, raw.json, raw.json_len,
				      name, p, raw.nptrs };
	raw.json = NULL;
	clr_desc_raw_free(&raw);
	o->f.ndescs++;
	return CH_OK;
}

/* Finds every contract descriptor of the image by its magic, at
 * pointer-aligned addresses of its initial data. */
static enum ch_status scan_descs(struct as *a, const struct dump_module *m,
				 struct facts_own *o, struct ch_err *err)
{
	if (m->size > FACTS_MAX_IMAGE)
		return ch_set_error(err, CH_EUNSUPPORTED, "%s: image of %" PRIu64 " bytes is too large",
				    m->path, m->size);
	uint8_t *img = calloc(1, (size_t)m->size + 8);
	if (!img)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	unsigned align = as_ptr_size(a);
	/* Segments need not start on a page: where a read comes up short,
	 * go on at the next aligned address. */
	for (uint64_t off = 0; off < m->size;) {
		size_t n = m->size - off < 4096 ? (size_t)(m->size - off) : 4096;
		size_t got = as_read_image(a, m->base + off, img + off, n);
		off += got ? got : align;
	}
	enum ch_status st = CH_OK;
	for (uint64_t off = 0; st == CH_OK && m->size - off >= 40 && off < m->size; off += align)
		if (memcmp(img + off, "DNCCDAC\0", 8) == 0)
			st = add_desc(a, m, m->base + off, o, err);
	free(img);
	return st;
}

enum ch_status clr_facts_from_file(const char *path, const char *pack,
				   const char *file, const char *version,
				   struct clr_facts **out, struct ch_err *err)
{
	struct dump *d = NULL;
	struct as *a = NULL;
	struct clr_runtime_info rt;
	char id[80];
	bool oom = false;
	*out = NULL;
	struct facts_own *o = calloc(1, sizeof *o);
	if (!o)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	enum ch_status st = dump_open_image(path, &d, err);
	if (st == CH_OK)
		st = as_open(d, &a, err);
	if (st == CH_OK)
		st = clr_find_runtime(a, &rt, err);
	if (st == CH_OK && !clr_facts_id(rt.module, id, sizeof id))
		st = ch_set_error(err, CH_EFORMAT, "%s: the file has no build-id", path);
	for (size_t i = 0; st == CH_OK && i < sizeof export_names / sizeof export_names[0]; i++) {
		uint64_t va;
		enum ch_status e = img_find_export(a, rt.module, export_names[i], &va, err);
		if (e == CH_OK)
			o->ex[o->f.nexports++] = (struct clr_facts_export){
				export_names[i], va - rt.module->base };
		else if (e != CH_ENOTFOUND)
			st = e;
	}
	if (st == CH_OK)
		st = scan_descs(a, rt.module, o, err);
	if (st == CH_OK) {
		o->f.id = own_str(o, id, &oom);
		o->f.pack = own_str(o, pack, &oom);
		o->f.file = own_str(o, file, &oom);
		o->f.version = own_str(o, version && *version ? version :
					  rt.product_version, &oom);
		o->f.file_version = own_str(o, rt.file_version, &oom);
		o->f.commit = own_str(o, rt.commit, &oom);
		o->f.exports = o->ex;
		o->f.descs = o->descs;
		if (oom)
			st = ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	as_close(a);
	dump_close(d);
	if (st != CH_OK) {
		clr_facts_free(&o->f);
		return st;
	}
	*out = &o->f;
	return CH_OK;
}

void clr_facts_write(const struct clr_facts *f, FILE *out)
{
	fprintf(out, "# What mount.clrheap reads from this runtime file when a dump lacks its\n"
		     "# pages (facts/README.md). Written by `clrheap facts`; do not edit.\n");
	fprintf(out, "id %s\npack %s\nfile %s\nversion %s\nfile-version %s\ncommit %s\n",
		f->id, f->pack, f->file, f->version, f->file_version,
		f->commit[0] ? f->commit : "-");
	for (size_t i = 0; i < f->nexports; i++)
		fprintf(out, "export %s 0x%" PRIx64 "\n", f->exports[i].name, f->exports[i].rva);
	for (size_t i = 0; i < f->ndescs; i++) {
		const struct clr_facts_desc *d = &f->descs[i];
		fprintf(out, "descriptor 0x%" PRIx64 " 0x%" PRIx32 " %s %zu %zu\n", d->rva,
			d->flags, d->json_name, d->json_len, d->nptrs);
		for (size_t k = 0; k < d->nptrs; k++)
			fprintf(out, "pointer %s0x%" PRIx64 "\n", d->ptrs[k].rva ? "+" : "",
				d->ptrs[k].value);
	}
}
