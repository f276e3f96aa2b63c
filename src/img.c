/* img.c - exported symbols and strings of native module images, read
 * through the address space (ELF .dynsym via GNU/SysV hash; PE exports). */
#include "img.h"

#include <stdlib.h>
#include <string.h>

#include "rdr.h"

#define PT_LOAD_ 1
#define PT_DYNAMIC_ 2
#define DT_NULL_ 0
#define DT_HASH_ 4
#define DT_STRTAB_ 5
#define DT_SYMTAB_ 6
#define DT_STRSZ_ 10
#define DT_GNU_HASH_ 0x6ffffef5
#define MAX_PHNUM 512
#define MAX_DYN 1024
#define MAX_CHAIN (1u << 22) /* symbols visited in one lookup */

struct elf_img {
	struct as *a;
	const struct dump_module *m;
	unsigned ps;    /* 4 or 8 */
	uint64_t bias;  /* load address minus link-time address */
	uint64_t symtab, strtab, strsz, gnu_hash, sysv_hash;
};

static bool rd(struct as *a, uint64_t va, void *buf, size_t n)
{
	return as_read(a, va, buf, n) == n;
}

/* Dynamic pointers are relocated in memory by glibc but not in the file on
 * disk or on musl: take whichever reading lands inside the module. */
static uint64_t fix_ptr(const struct elf_img *e, uint64_t v)
{
	const struct dump_module *m = e->m;
	if (v >= m->base && v - m->base < m->size)
		return v;
	return v + e->bias;
}

static enum ch_status elf_load(struct elf_img *e, struct ch_err *err)
{
	struct as *a = e->a;
	const struct dump_module *m = e->m;
	uint8_t eh[64];
	if (!rd(a, m->base, eh, sizeof eh)) {
		const char *why = as_missing_reason(a, m->base);
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: ELF header of %s not readable%s%s",
				    dump_path(as_dump(a)), m->path,
				    why ? ": " : "", why ? why : "");
	}
	if (memcmp(eh, "\x7f" "ELF", 4) != 0)
		return ch_set_error(err, CH_ECORRUPT, "%s: %s has no ELF header at 0x%llx",
				    dump_path(as_dump(a)), m->path,
				    (unsigned long long)m->base);
	e->ps = eh[4] == 2 ? 8 : 4;
	uint64_t phoff = e->ps == 8 ? rdr_le64(eh + 0x20) : rdr_le32(eh + 0x1c);
	unsigned phentsize = rdr_le16(eh + (e->ps == 8 ? 0x36 : 0x2a));
	unsigned phnum = rdr_le16(eh + (e->ps == 8 ? 0x38 : 0x2c));
	if (phnum > MAX_PHNUM || phentsize < (e->ps == 8 ? 56u : 32u) ||
	    phentsize > 256 || phoff > m->size)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: %s: bad program header table",
				    dump_path(as_dump(a)), m->path);
	uint64_t min_vaddr = UINT64_MAX, dyn_va = 0, dyn_sz = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t ph[56];
		if (!rd(a, m->base + phoff + (uint64_t)i * phentsize, ph,
			e->ps == 8 ? 56 : 32))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: %s: program header %u not readable",
					    dump_path(as_dump(a)), m->path, i);
		uint32_t type = rdr_le32(ph);
		uint64_t vaddr = e->ps == 8 ? rdr_le64(ph + 16) : rdr_le32(ph + 8);
		uint64_t memsz = e->ps == 8 ? rdr_le64(ph + 40) : rdr_le32(ph + 20);
		if (type == PT_LOAD_ && vaddr < min_vaddr)
			min_vaddr = vaddr;
		if (type == PT_DYNAMIC_) {
			dyn_va = vaddr;
			dyn_sz = memsz;
		}
	}
	if (min_vaddr == UINT64_MAX || dyn_sz == 0)
		return ch_set_error(err, CH_ECORRUPT, "%s: %s: no PT_LOAD or PT_DYNAMIC",
				    dump_path(as_dump(a)), m->path);
	e->bias = m->base - (min_vaddr & ~(uint64_t)0xfff);
	uint64_t n = dyn_sz / (2u * e->ps);
	if (n > MAX_DYN)
		n = MAX_DYN;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t d[16];
		if (!rd(a, e->bias + dyn_va + i * 2 * e->ps, d, 2 * e->ps))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: %s: dynamic section not readable",
					    dump_path(as_dump(a)), m->path);
		uint64_t tag = e->ps == 8 ? rdr_le64(d) : rdr_le32(d);
		uint64_t val = e->ps == 8 ? rdr_le64(d + 8) : rdr_le32(d + 4);
		if (tag == DT_NULL_)
			break;
		switch (tag) {
		case DT_SYMTAB_: e->symtab = fix_ptr(e, val); break;
		case DT_STRTAB_: e->strtab = fix_ptr(e, val); break;
		case DT_STRSZ_: e->strsz = val; break;
		case DT_GNU_HASH_: e->gnu_hash = fix_ptr(e, val); break;
		case DT_HASH_: e->sysv_hash = fix_ptr(e, val); break;
		}
	}
	if (!e->symtab || !e->strtab || (!e->gnu_hash && !e->sysv_hash))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: %s: no dynamic symbol table",
				    dump_path(as_dump(a)), m->path);
	return CH_OK;
}

/* Compares symbol i's name with name; stores its address when defined. */
static bool elf_sym_is(const struct elf_img *e, uint64_t i, const char *name,
		       uint64_t *va)
{
	uint8_t s[24];
	size_t entsz = e->ps == 8 ? 24 : 16;
	if (!rd(e->a, e->symtab + i * entsz, s, entsz))
		return false;
	uint32_t st_name = rdr_le32(s);
	uint64_t value = e->ps == 8 ? rdr_le64(s + 8) : rdr_le32(s + 4);
	uint16_t shndx = rdr_le16(s + (e->ps == 8 ? 6 : 14));
	if (e->strsz && st_name >= e->strsz)
		return false;
	size_t len = strlen(name);
	char buf[256];
	if (len + 1 > sizeof buf || !rd(e->a, e->strtab + st_name, buf, len + 1))
		return false;
	if (memcmp(buf, name, len) != 0 || buf[len] != '\0' || shndx == 0)
		return false;
	*va = value + e->bias;
	return true;
}

static bool elf_gnu_lookup(const struct elf_img *e, const char *name, uint64_t *va)
{
	uint32_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 33 + *p;
	uint8_t hdr[16];
	if (!rd(e->a, e->gnu_hash, hdr, 16))
		return false;
	uint32_t nbuckets = rdr_le32(hdr), symoff = rdr_le32(hdr + 4);
	uint32_t bloom_size = rdr_le32(hdr + 8);
	if (nbuckets == 0 || nbuckets > MAX_CHAIN || bloom_size > MAX_CHAIN)
		return false;
	uint64_t buckets = e->gnu_hash + 16 + (uint64_t)bloom_size * e->ps;
	uint64_t chains = buckets + 4ull * nbuckets;
	uint32_t idx;
	if (!as_u32(e->a, buckets + 4ull * (h % nbuckets), &idx) || idx < symoff)
		return false;
	for (uint32_t k = 0; k < MAX_CHAIN; k++, idx++) {
		uint32_t ch;
		if (!as_u32(e->a, chains + 4ull * (idx - symoff), &ch))
			return false;
		if ((ch | 1) == (h | 1) && elf_sym_is(e, idx, name, va))
			return true;
		if (ch & 1)
			return false;
	}
	return false;
}

static bool elf_sysv_lookup(const struct elf_img *e, const char *name, uint64_t *va)
{
	uint32_t h = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		uint32_t g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	uint32_t nbucket, nchain, idx;
	if (!as_u32(e->a, e->sysv_hash, &nbucket) ||
	    !as_u32(e->a, e->sysv_hash + 4, &nchain) || nbucket == 0 ||
	    nbucket > MAX_CHAIN || nchain > MAX_CHAIN)
		return false;
	uint64_t chains = e->sysv_hash + 8 + 4ull * nbucket;
	if (!as_u32(e->a, e->sysv_hash + 8 + 4ull * (h % nbucket), &idx))
		return false;
	for (uint32_t k = 0; idx != 0 && idx < nchain && k < nchain; k++) {
		if (elf_sym_is(e, idx, name, va))
			return true;
		if (!as_u32(e->a, chains + 4ull * idx, &idx))
			return false;
	}
	return false;
}

static enum ch_status pe_find_export(struct as *a, const struct dump_module *m,
				     const char *name, uint64_t *va,
				     struct ch_err *err)
{
	const char *dp = dump_path(as_dump(a));
	uint32_t lfanew, sig, dir_rva = 0, dir_size = 0;
	uint16_t magic;
	if (!as_u32(a, m->base + 0x3c, &lfanew) || lfanew > 0x10000 ||
	    !as_u32(a, m->base + lfanew, &sig) || sig != 0x4550)
		return ch_set_error(err, CH_ECORRUPT, "%s: %s: no PE header",
				    dp, m->path);
	uint64_t opt = m->base + lfanew + 24;
	uint8_t mg[2];
	if (!rd(a, opt, mg, 2))
		return ch_set_error(err, CH_ECORRUPT, "%s: %s: no optional header",
				    dp, m->path);
	magic = rdr_le16(mg);
	uint64_t dd = opt + (magic == 0x20b ? 112 : 96);
	if (!as_u32(a, dd, &dir_rva) || !as_u32(a, dd + 4, &dir_size) ||
	    dir_rva == 0)
		return ch_set_error(err, CH_ENOTFOUND, "%s: %s: no export directory",
				    dp, m->path);
	uint8_t ed[40];
	if (!rd(a, m->base + dir_rva, ed, sizeof ed))
		return ch_set_error(err, CH_ECORRUPT, "%s: %s: export directory not readable",
				    dp, m->path);
	uint32_t nfunc = rdr_le32(ed + 0x14), nnames = rdr_le32(ed + 0x18);
	uint32_t funcs = rdr_le32(ed + 0x1c), names = rdr_le32(ed + 0x20);
	uint32_t ords = rdr_le32(ed + 0x24);
	if (nnames > 0x100000 || nfunc > 0x100000)
		return ch_set_error(err, CH_ECORRUPT, "%s: %s: export counts too large",
				    dp, m->path);
	size_t len = strlen(name);
	for (uint32_t i = 0; i < nnames; i++) {
		uint32_t nrva;
		char buf[256];
		if (!as_u32(a, m->base + names + 4ull * i, &nrva))
			break;
		if (len + 1 > sizeof buf || !rd(a, m->base + nrva, buf, len + 1) ||
		    memcmp(buf, name, len + 1) != 0)
			continue;
		uint8_t o[2];
		uint32_t frva;
		if (!rd(a, m->base + ords + 2ull * i, o, 2) || rdr_le16(o) >= nfunc ||
		    !as_u32(a, m->base + funcs + 4ull * rdr_le16(o), &frva))
			break;
		*va = m->base + frva;
		return CH_OK;
	}
	return ch_set_error(err, CH_ENOTFOUND, "%s: %s does not export %s", dp,
			    m->path, name);
}

enum ch_status img_find_export(struct as *a, const struct dump_module *m,
			       const char *name, uint64_t *va,
			       struct ch_err *err)
{
	uint8_t mz[2];
	if (rd(a, m->base, mz, 2) && mz[0] == 'M' && mz[1] == 'Z')
		return pe_find_export(a, m, name, va, err);
	struct elf_img e = { .a = a, .m = m };
	enum ch_status st = elf_load(&e, err);
	if (st != CH_OK)
		return st;
	if (e.gnu_hash && elf_gnu_lookup(&e, name, va))
		return CH_OK;
	if (e.sysv_hash && elf_sysv_lookup(&e, name, va))
		return CH_OK;
	return ch_set_error(err, CH_ENOTFOUND, "%s: %s does not export %s",
			    dump_path(as_dump(a)), m->path, name);
}

bool img_find_bytes(struct as *a, const struct dump_module *m,
		    const void *needle, size_t len, uint64_t *va)
{
	enum { CHUNK = 1 << 16 };
	if (len == 0 || len > 256)
		return false;
	uint8_t *buf = malloc(CHUNK + 256);
	if (!buf)
		return false;
	bool found = false;
	/* The size comes from the dump: a damaged one must not make this a
	 * page-by-page walk through 2^47 bytes of holes. */
	uint64_t size = m->size < IMG_MAX_SCAN ? m->size : IMG_MAX_SCAN;
	uint64_t end = m->base + size;
	uint64_t p = m->base;
	while (p < end && end - p >= len && !found) {
		size_t want = CHUNK + len - 1;
		if (end - p < want)
			want = (size_t)(end - p);
		size_t got = as_read_image(a, p, buf, want);
		if (got < len) { /* a hole: go on at the next page */
			p = (p + got + 0x1000) & ~(uint64_t)0xfff;
			continue;
		}
		const uint8_t *hit = memmem(buf, got, needle, len);
		if (hit) {
			*va = p + (uint64_t)(hit - buf);
			found = true;
		}
		p += got - (len - 1);
	}
	free(buf);
	return found;
}

bool img_read_cstr(struct as *a, uint64_t va, char *out, size_t max)
{
	if (max == 0)
		return false;
	size_t got = as_read_image(a, va, out, max);
	const char *z = memchr(out, 0, got);
	if (!z) {
		out[0] = '\0';
		return false;
	}
	return true;
}

