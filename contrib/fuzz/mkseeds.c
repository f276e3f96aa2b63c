/* mkseeds.c - writes the seed corpus of every fuzz target from the
 * project's own fixture dumps and hand-made bytes (contrib/fuzz/mkseeds.sh
 * builds and runs it; the output is committed under corpus/):
 *
 *   elf/   the headers and notes of a real createdump core, with its
 *          module header pages; small hand-made cores (x86_64, aarch64)
 *   mdmp/  minidumps rebuilt from that core's modules, threads and pages;
 *          hand-made x86, x64 and arm64 ones
 *   md/    a real assembly's image from a full dump, as the loader laid it
 *          out and as the file is; its bare metadata root
 *   heap/  patches (see fuzz_heap.c) that damage what the heap walker
 *          trusts, aimed at real objects of the clean dump
 *
 *   mkseeds FIXTURE_DIR OUT_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "heap.h"
#include "md.h"
#include "mkdump.h"
#include "rdr.h"

static const char *out_dir;

static void put_file(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	printf("%s: %zu bytes\n", path, n);
}

static struct dump *open_fixture(const char *dir, const char *name, struct as **a)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct dump *d;
	struct ch_err err = { 0 };
	if (dump_open(path, &d, &err) != CH_OK || as_open(d, a, &err) != CH_OK) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	return d;
}

static const struct dump_module *find_module(struct dump *d, const char *name, bool flat)
{
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0 && m[i].pe_flat == flat)
			return &m[i];
	return NULL;
}

/* ---- ELF ---- */

/* The real core's ELF header and notes, with PT_LOADs for the header page
 * of the first few modules the dump holds (so build-ids are read). */
static void elf_real(struct dump *d, struct as *a)
{
	size_t len, nm;
	const uint8_t *f = dump_bytes(d, &len);
	uint64_t phoff = rdr_le64(f + 0x20);
	unsigned phnum = rdr_le16(f + 0x38);
	uint64_t note_off = 0, note_len = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + 56 * (uint64_t)i;
		if (rdr_le32(ph) == 4) {
			note_off = rdr_le64(ph + 8);
			note_len = rdr_le64(ph + 32);
		}
	}
	/* headers and notes only: every PT_LOAD runs past the end */
	put_file("elf", "real-headers-notes", f, note_off + note_len);

	const struct dump_module *m = dump_modules(d, &nm);
	uint64_t pages[12];
	unsigned np = 0;
	for (size_t i = 0; i < nm && np < 12; i++) {
		uint8_t b[4096];
		if (as_read(a, m[i].base, b, sizeof b) == sizeof b &&
		    (memcmp(b, "\x7f" "ELF", 4) == 0 || (b[0] == 'M' && b[1] == 'Z')))
			pages[np++] = m[i].base;
	}
	struct mkbuf b = { 0 };
	mk_put(&b, f, 64);
	mk_set64(&b, 0x20, 64);
	mk_set16(&b, 0x38, (uint16_t)(1 + np));
	size_t ph = mk_reserve(&b, 56 * (1 + np));
	size_t notes = b.len;
	mk_put(&b, f + note_off, note_len);
	mk_align(&b, 4096);
	mk_set32(&b, ph, 4);
	mk_set64(&b, ph + 8, notes);
	mk_set64(&b, ph + 32, note_len);
	for (unsigned i = 0; i < np; i++) {
		size_t at = mk_reserve(&b, 4096);
		as_read(a, pages[i], b.p + at, 4096);
		size_t p = ph + 56 * (1 + i);
		mk_set32(&b, p, 1);
		mk_set32(&b, p + 4, 4);
		mk_set64(&b, p + 8, at);
		mk_set64(&b, p + 16, pages[i]);
		mk_set64(&b, p + 32, 4096);
		mk_set64(&b, p + 40, 4096);
		mk_set64(&b, p + 48, 4096);
	}
	put_file("elf", "real-module-pages", b.p, b.len);
	mk_free(&b);
}

static void elf_handmade(void)
{
	static uint8_t page[4096];
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 7);
	struct mk_load loads[] = { { 0x400000, page, 4096 }, { 0x7f0000000000, NULL, 8192 },
				   { 0x7f0000001000, page, 4096 } /* overlaps */ };
	struct mk_file files[] = { { 0x400000, 0x401000, 0, "/usr/bin/app" },
				   { 0x7f0000000000, 0x7f0000002000, 0x1000, "/lib/libx.so" },
				   { 0x7f0000004000, 0x7f0000005000, 0, "/a/Lib.dll" } };
	struct mk_thread th[] = { { 100, 0x7f0000000ff0, 0x400010 }, { 101, 0, 0 } };
	uint64_t auxv[] = { 6, 4096, 3, 0x400040, 33, 0x7f0000000000 };
	struct mk_core c = { .loads = loads, .nloads = 2, .files = files, .nfiles = 3,
			     .threads = th, .nthreads = 2, .pid = 100, .fname = "app",
			     .args = "app --flag", .auxv = auxv, .nauxv = 3 };
	struct mkbuf b = { 0 };
	mk_elf_core(&b, &c, NULL);
	put_file("elf", "hand-x86_64", b.p, b.len);
	mk_free(&b);
	c.machine = 183;
	c.nloads = 3;
	mk_elf_core(&b, &c, NULL);
	put_file("elf", "hand-aarch64-overlap", b.p, b.len);
	mk_free(&b);
}

/* ---- minidumps ---- */

static void mdmp_real(struct dump *d, struct as *a)
{
	size_t nm, nt;
	const struct dump_module *m = dump_modules(d, &nm);
	const struct dump_thread *t = dump_threads(d, &nt);
	struct mk_mmod *mods = calloc(nm, sizeof *mods);
	struct mk_mmem mem[8], mem64[8];
	static uint8_t pages[16][4096];
	size_t nmem = 0, nmem64 = 0, np = 0;
	for (size_t i = 0; i < nm; i++) {
		mods[i] = (struct mk_mmod){ .base = m[i].base, .size = (uint32_t)m[i].size,
					   .stamp = m[i].pe_timestamp, .name = m[i].path };
		if (m[i].build_id_len) {
			mods[i].bpel = m[i].build_id;
			mods[i].bpel_len = m[i].build_id_len;
		}
		if (np < 16 && as_read(a, m[i].base, pages[np], 4096) == 4096) {
			struct mk_mmem x = { m[i].base, pages[np++], 4096 };
			if (nmem < 8)
				mem[nmem++] = x;
			else if (nmem64 < 8)
				mem64[nmem64++] = x;
		}
	}
	struct mk_mthread *th = calloc(nt, sizeof *th);
	for (size_t i = 0; i < nt; i++)
		th[i] = (struct mk_mthread){ t[i].tid, 0, t[i].sp, t[i].ip };
	struct mk_mdmp md = { .arch = 9, .platform = 0x8201, .mods = mods, .nmods = nm,
			      .threads = th, .nthreads = nt, .mem = mem, .nmem = nmem,
			      .mem64 = mem64, .nmem64 = nmem64, .pid = dump_process(d)->pid };
	struct mkbuf b = { 0 };
	mk_minidump(&b, &md, NULL);
	put_file("mdmp", "real-modules-threads-pages", b.p, b.len);
	mk_free(&b);
	free(mods);
	free(th);
}

static void mdmp_handmade(void)
{
	static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint16_t odd[] = { 'a', 0xd800, 'b', 0 }; /* unpaired surrogate, NUL */
	static uint8_t page[4096];
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 13);
	page[0] = 'M';
	page[1] = 'Z';
	struct mk_mmod mods[] = {
		{ .base = 0x10000000, .size = 0x4000, .stamp = 0x5eed, .checksum = 7,
		  .name = "C:\\Windows\\System32\\coreclr.dll", .guid = guid, .age = 3,
		  .ver_ms = 0x000a0000, .ver_ls = 0x04d20000 },
		{ .base = 0x20000000, .size = 0x1000, .name16 = odd, .name16_len = 4 },
		{ .base = 0x30000000, .size = 0x2000, .name = "C:\\app\\Z\xc3\xa9.dll" },
	};
	struct mk_mthread th[] = { { 1, 0x7ffde000, 0x0012f000, 0x10001000 },
				   { 2, 0x7ffdd000, 0, 0 } };
	struct mk_mmem mem[] = { { 0x10000000, page, 4096 }, { 0x0012e000, NULL, 8192 } };
	struct mk_mmem mem64[] = { { 0x30000000, page, 4096 }, { 0x30001000, NULL, 4096 } };
	uint16_t arch[] = { 0, 9, 12 };
	const char *name[] = { "hand-x86", "hand-x64", "hand-arm64" };
	for (int i = 0; i < 3; i++) {
		struct mk_mdmp md = { .arch = arch[i], .platform = 2, .mods = mods, .nmods = 3,
				      .threads = th, .nthreads = 2, .mem = mem, .nmem = 2,
				      .mem64 = i ? mem64 : NULL, .nmem64 = i ? 2 : 0,
				      .pid = 4242, .create_time = 1700000000 };
		struct mkbuf b = { 0 };
		mk_minidump(&b, &md, NULL);
		put_file("mdmp", name[i], b.p, b.len);
		mk_free(&b);
	}
}

/* ---- metadata ---- */

/* The file of assembly dll as the dump holds it (.NET maps IL-only
 * assemblies flat), its bare metadata root, and the image laid out by
 * sections as the Windows loader would. */
static void md_real(struct dump *d, struct as *a, const char *dll)
{
	char name[256];
	const struct dump_module *m = find_module(d, dll, true);
	if (!m) {
		fprintf(stderr, "%s: no flat image of %s\n", dump_path(d), dll);
		exit(1);
	}
	size_t n = (size_t)m->size;
	uint8_t *img = calloc(1, n);
	n = as_read(a, m->base, img, n);
	struct md_pe pe;
	struct ch_err err = { 0 };
	if (md_pe_parse(img, n, false, dll, &pe, &err) != CH_OK) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	size_t end = 0, off;
	for (unsigned i = 0; i < pe.nsections; i++)
		if (pe.sect[i].raw_off + pe.sect[i].raw_size > end)
			end = pe.sect[i].raw_off + pe.sect[i].raw_size;
	n = end < n ? end : n;
	snprintf(name, sizeof name, "%s-file", dll);
	put_file("md", name, img, n);
	if (md_pe_rva_to_off(&pe, pe.md_rva, pe.md_size, &off)) {
		snprintf(name, sizeof name, "%s-metadata-root", dll);
		put_file("md", name, img + off, pe.md_size);
	}
	uint8_t *map = calloc(1, pe.size_of_image);
	memcpy(map, img, pe.size_of_headers < n ? pe.size_of_headers : n);
	for (unsigned i = 0; i < pe.nsections; i++) {
		const struct md_pe_section *s = &pe.sect[i];
		uint32_t k = s->raw_size < s->vsize ? s->raw_size : s->vsize;
		if (s->va < pe.size_of_image && k <= pe.size_of_image - s->va &&
		    s->raw_off <= n && k <= n - s->raw_off)
			memcpy(map + s->va, img + s->raw_off, k);
	}
	snprintf(name, sizeof name, "%s-mapped", dll);
	put_file("md", name, map, pe.size_of_image);
	free(map);
	free(img);
}

/* ---- heap patches ---- */

struct patch {
	uint8_t area, op;
	uint32_t index;
	uint16_t at;
	uint64_t value;
};

static void put_patches(const char *name, const struct patch *p, size_t n)
{
	uint8_t b[16 * 8] = { 0 };
	for (size_t i = 0; i < n; i++) {
		b[16 * i] = p[i].area;
		b[16 * i + 1] = p[i].op;
		memcpy(b + 16 * i + 2, &p[i].index, 4);
		memcpy(b + 16 * i + 6, &p[i].at, 2);
		memcpy(b + 16 * i + 8, &p[i].value, 8);
	}
	put_file("heap", name, b, 16 * n);
}

struct objs {
	struct clr *c;
	uint64_t n, string, array, visit, string_mt;
};

static bool pick(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)obj; (void)size;
	struct objs *o = arg;
	const struct clr_type *t = clr_type_of(o->c, mt, NULL);
	if (t && o->n > 500) {
		if (!o->string && t->kind == CLR_KIND_STRING)
			o->string = o->n;
		if (!o->array && t->kind == CLR_KIND_ARRAY && t->component_size == 8)
			o->array = o->n;
		if (!o->visit && strcmp(t->name, "Bugfree.Spo.Analytics.Cli.Domain+Visit") == 0)
			o->visit = o->n;
	}
	o->n++;
	return true;
}

enum { W1 = 0, W2 = 1, W4 = 2, W8 = 3, VAL = 0, OBJ = 4, ADD = 8, MT = 12 };

static void heap_seeds(struct as *a)
{
	struct ch_err err = { 0 };
	struct clr *c;
	struct heap *h;
	if (clr_open(a, &c, &err) != CH_OK || heap_open(c, &h, &err) != CH_OK) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	struct objs o = { .c = c };
	heap_walk(h, pick, &o);
	size_t nseg;
	const struct heap_seg *s = heap_segments(h, &nseg);
	put_file("heap", "clean", "", 0);
	struct patch p[][2] = {
		{ { 0, W8, (uint32_t)o.visit, 0, 0x00005555deadbee8ull } },   /* garbage MT */
		{ { 0, W8, (uint32_t)o.visit, 0, 0 } },                      /* zeroed MT */
		{ { 0, W4, (uint32_t)o.string, 8, 0x7fffffff } },             /* string too long */
		{ { 0, W4, (uint32_t)o.string, 8, 0x80000000 } },             /* negative length */
		{ { 0, W8, (uint32_t)o.array, 8, 0xffffffffffffull } },        /* huge array */
		{ { 0, W8 | MT, (uint32_t)o.string, 0, 0 } },                 /* another type's MT */
		{ { 0, W8 | OBJ, (uint32_t)o.visit, 8, o.visit } },           /* field to itself */
		{ { 1, W4, 0, 4, 0xffffffff } },                               /* MT base size */
		{ { 1, W4, 1, 0, 0x80000000 } },                               /* MT component flag */
		{ { 2, W8, 0, 0, 0x4141414141414141ull } },                    /* EEClass garbage */
		{ { 3, W8, 0, 6 * 8, s[0].addr } },                            /* segment loops */
		{ { 3, W8, 0, 2 * 8, 0 }, { 3, W8, 1, 3 * 8, ~0ull } },        /* segment bounds */
		{ { 4, W8, 1, 0, 0 } },                                        /* generation table */
		{ { 4, W8 | ADD, 0, 8, 0x1000 } },                             /* GcDacVars moved */
		{ { 5, W2, 0x38, 0, 0xffff } },                                /* e_phnum = PN_XNUM */
		{ { 5, W8, 0x20, 0, ~0ull } },                                 /* e_phoff */
	};
	const char *names[] = { "mt-garbage", "mt-zero", "string-long", "string-negative",
				"array-huge", "mt-other-type", "field-self", "mt-base-size",
				"mt-component-flag", "eeclass-garbage", "segment-loop",
				"segment-bounds", "gc-generation-table", "gc-dacvars",
				"file-phnum", "file-phoff" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		put_patches(names[i], p[i], p[i][1].op || p[i][1].area ? 2 : 1);
	heap_close(h);
	clr_close(c);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds FIXTURE_DIR OUT_DIR\n");
		return 2;
	}
	out_dir = argv[2];
	struct as *a;
	struct dump *d = open_fixture(argv[1], "visits.heap.dmp", &a);
	elf_real(d, a);
	mdmp_real(d, a);
	heap_seeds(a);
	as_close(a);
	dump_close(d);
	d = open_fixture(argv[1], "zoo.full.dmp", &a);
	md_real(d, a, "zoo.dll");
	as_close(a);
	dump_close(d);
	elf_handmade();
	mdmp_handmade();
	return 0;
}
