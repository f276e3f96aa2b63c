/* md_fixture.h - what the metadata suites share: the real assemblies of
 * the installed .NET 10.0.12 runtime, loaded in file and mapped layout,
 * exact-size copies for the sanitizers, and hashes of every row in the
 * form the reference program printed. Included by test_md*.c only. */
#ifndef CLRHEAP_TEST_MD_FIXTURE_H
#define CLRHEAP_TEST_MD_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

#define RT "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/"
#define REF "/usr/share/dotnet/packs/Microsoft.NETCore.App.Ref/10.0.12/" \
	    "ref/net10.0/"
#define CORELIB RT "System.Private.CoreLib.dll"
#define COLL RT "System.Collections.dll"
#define COLL_REF REF "System.Collections.dll"

struct image {
	uint8_t *bytes;   /* the file */
	size_t len;
	uint8_t *mapped;  /* sections placed at their RVAs */
	size_t mapped_len;
	struct md_pe pe;
	const uint8_t *meta; /* the metadata inside bytes */
};

static struct image corelib, coll, coll_ref;

static inline uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Lays the file out as the loader does: headers, then each section's
 * bytes at its RVA, zeros elsewhere. */
static inline void make_mapped(struct image *im)
{
	const struct md_pe *pe = &im->pe;
	im->mapped_len = pe->size_of_image;
	im->mapped = calloc(1, im->mapped_len);
	assert_non_null(im->mapped);
	memcpy(im->mapped, im->bytes, pe->size_of_headers);
	for (unsigned i = 0; i < pe->nsections; i++) {
		const struct md_pe_section *s = &pe->sect[i];
		uint32_t n = s->vsize && s->vsize < s->raw_size ? s->vsize
								 : s->raw_size;
		assert_true(s->va + n <= im->mapped_len);
		memcpy(im->mapped + s->va, im->bytes + s->raw_off, n);
	}
}

static inline int load(struct image *im, const char *path)
{
	struct ch_err err = { 0 };
	size_t off;
	im->bytes = read_file(path, &im->len);
	if (!im->bytes)
		return -1;
	if (md_pe_parse(im->bytes, im->len, false, path, &im->pe, &err) !=
	    CH_OK)
		return -1;
	if (!md_pe_rva_to_off(&im->pe, im->pe.md_rva, im->pe.md_size, &off))
		return -1;
	im->meta = im->bytes + off;
	make_mapped(im);
	return 0;
}

static bool have_files;

static inline int setup(void **state)
{
	(void)state;
	have_files = load(&corelib, CORELIB) == 0 && load(&coll, COLL) == 0 &&
		     load(&coll_ref, COLL_REF) == 0;
	if (!have_files)
		fprintf(stderr, "test_md: .NET runtime 10.0.12 not installed "
			"under /usr/share/dotnet: skipping its tests\n");
	return 0;
}

static inline void unload(struct image *im)
{
	free(im->bytes);
	free(im->mapped);
}

static inline int teardown(void **state)
{
	(void)state;
	unload(&corelib);
	unload(&coll);
	unload(&coll_ref);
	return 0;
}

#define NEED_FILES() do { if (!have_files) { skip(); } } while (0)

/* An exact-size copy, so that any read past len is a heap overflow that
 * the sanitizers report. */
static inline uint8_t *copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	memcpy(c, p, n);
	return c;
}

static inline struct md *open_meta(const struct image *im)
{
	struct md *m;
	struct ch_err err = { 0 };
	assert_int_equal(md_open(im->meta, im->pe.md_size, "test", 0, &m,
				 &err), CH_OK);
	return m;
}

/* ---- row hashes in the form the reference program printed ---- */

struct fnv {
	uint32_t n;
	uint64_t h;
};

static inline void fnv_line(struct fnv *f, const char *line)
{
	f->n++;
	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		f->h ^= *p;
		f->h *= 0x100000001b3ULL;
	}
	f->h ^= '\n';
	f->h *= 0x100000001b3ULL;
}

static inline void hexs(char *o, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sprintf(o + 2 * i, "%02x", p[i]);
	o[2 * n] = '\0';
}

#define FNV0 0xcbf29ce484222325ULL
enum { H_TD, H_NC, H_FD, H_GP, H_CO, H_TR, H_COUNT };

static inline void row_hashes(const struct md *m, struct fnv h[H_COUNT])
{
	static char line[70000], name[4096], hx[65536];
	for (int i = 0; i < H_COUNT; i++)
		h[i] = (struct fnv){ 0, FNV0 };
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_TYPEDEF); r++) {
		struct md_typedef t;
		assert_int_equal(md_typedef(m, r, &t), CH_OK);
		assert_int_equal(md_typedef_name(m, r, 0, name, sizeof(name)),
				 CH_OK);
		snprintf(line, sizeof(line), "%u %s %x %x %u %u", r, name,
			 t.flags, t.extends,
			 t.field_count ? t.field_first : 0, t.field_count);
		fnv_line(&h[H_TD], line);
		uint32_t e = md_enclosing(m, r);
		if (e) {
			snprintf(line, sizeof(line), "%u %u", r, e);
			fnv_line(&h[H_NC], line);
		}
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_TYPEREF); r++) {
		struct md_typeref t;
		assert_int_equal(md_typeref(m, r, &t), CH_OK);
		assert_int_equal(md_typeref_name(m, r, 0, name, sizeof(name)),
				 CH_OK);
		snprintf(line, sizeof(line), "%u %s %x", r, name, t.scope);
		fnv_line(&h[H_TR], line);
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_FIELD); r++) {
		struct md_field f;
		assert_int_equal(md_field(m, r, &f), CH_OK);
		hexs(hx, f.sig, f.sig_len);
		snprintf(line, sizeof(line), "%u %s %x %s", r, f.name, f.flags,
			 hx);
		fnv_line(&h[H_FD], line);
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_GENERICPARAM); r++) {
		struct md_generic_param g;
		assert_int_equal(md_generic_param(m, r, &g), CH_OK);
		snprintf(line, sizeof(line), "%u %x %u %s", r, g.owner,
			 g.number, g.name);
		fnv_line(&h[H_GP], line);
	}
	for (uint32_t r = 1; r <= md_rows(m, MD_TBL_CONSTANT); r++) {
		struct md_constant c;
		assert_int_equal(md_constant(m, r, &c), CH_OK);
		hexs(hx, c.value, c.value_len);
		snprintf(line, sizeof(line), "%u %x %x %s", r, c.parent,
			 c.type, hx);
		fnv_line(&h[H_CO], line);
	}
}

static inline void check_hashes(const struct md *m, const struct fnv *want)
{
	struct fnv h[H_COUNT];
	row_hashes(m, h);
	for (int i = 0; i < H_COUNT; i++) {
		assert_int_equal(h[i].n, want[i].n);
		assert_int_equal(h[i].h, want[i].h);
	}
}

/* From System.Reflection.Metadata on the same files. */
static const struct fnv corelib_hashes[H_COUNT] = {
	[H_TD] = { 2760, 0x267125ca5556fccbULL },
	[H_NC] = { 917, 0xd5a1488b1148bcc6ULL },
	[H_FD] = { 9296, 0x3882a27ef3145cc9ULL },
	[H_GP] = { 4159, 0x6ebe38fefc9b02c7ULL },
	[H_CO] = { 3792, 0x7024bba45651f369ULL },
	[H_TR] = { 0, FNV0 },
};
static const struct fnv coll_hashes[H_COUNT] = {
	[H_TD] = { 71, 0xa5e16e1b4a19eba2ULL },
	[H_NC] = { 37, 0x8e046093f5720679ULL },
	[H_FD] = { 162, 0x2b7708d4079c1cfcULL },
	[H_GP] = { 99, 0x11241b5f5f12b638ULL },
	[H_CO] = { 13, 0x6491dbb813ccb2d9ULL },
	[H_TR] = { 116, 0x58bd39d38cc6d5b5ULL },
};

#endif
