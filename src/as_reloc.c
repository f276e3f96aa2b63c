/* as_reloc.c - an ELF module file's dynamic relocations, so that
 * as_read_image can show writable data the dump lacks (a .data.rel.ro
 * table of pointers, say) as the loader left it. Heap dumps from
 * createdump omit libcoreclr's .data.rel.ro and .data, where the runtime's
 * contract descriptor lives; the file plus its relocations gives it back.
 *
 * Applied: R_*_RELATIVE, DT_RELR, and absolute, GLOB_DAT and JUMP_SLOT
 * relocations against symbols the module itself defines (libcoreclr is
 * linked -Bsymbolic). Relocations against other modules' symbols are left
 * as the file holds them. PE base relocations are not applied. */
#include <stdlib.h>
#include <string.h>

#include "as_priv.h"

#define PT_DYNAMIC   2
#define DT_NULL      0
#define DT_PLTRELSZ  2
#define DT_SYMTAB    6
#define DT_RELA      7
#define DT_RELASZ    8
#define DT_SYMENT    11
#define DT_PLTREL    20
#define DT_JMPREL    23
#define DT_RELRSZ    35
#define DT_RELR      36
#define EM_X86_64    62
#define EM_AARCH64   183
#define MAX_DYN      4096
#define MAX_RELOCS   (1u << 24)

struct reloc_build {
	const struct as_file *f;
	struct as_reloc *r;
	size_t n, cap;
	uint64_t symtab_off, syment;
	bool have_symtab;
};

/* File offset of n bytes at image address vaddr, from any PT_LOAD. */
static bool vaddr_off(const struct as_file *f, uint64_t vaddr, uint64_t n, uint64_t *off)
{
	for (size_t i = 0; i < f->nruns; i++) {
		const struct as_img_run *r = &f->runs[i];
		if (vaddr - r->addr < r->size && r->size - (vaddr - r->addr) >= n) {
			*off = r->off + (vaddr - r->addr);
			return true;
		}
	}
	return false;
}

static bool push(struct reloc_build *b, uint64_t addr, uint64_t val)
{
	if (b->n == b->cap) {
		if (b->cap >= MAX_RELOCS)
			return false;
		size_t nc = b->cap ? b->cap * 2 : 1024;
		struct as_reloc *p = realloc(b->r, nc * sizeof *p);
		if (!p)
			return false;
		b->r = p;
		b->cap = nc;
	}
	b->r[b->n++] = (struct as_reloc){ addr, val };
	return true;
}

/* The value of symbol sym when the module defines it. */
static bool sym_value(const struct reloc_build *b, uint32_t sym, uint64_t *v)
{
	if (!b->have_symtab || sym == 0)
		return false;
	uint64_t off = b->symtab_off + (uint64_t)sym * b->syment;
	if (off < b->symtab_off || !rdr_fits(b->f->len, off, 24))
		return false;
	const uint8_t *s = b->f->map + off;
	if (rdr_le16(s + 6) == 0) /* SHN_UNDEF: another module's */
		return false;
	*v = rdr_le64(s + 8);
	return true;
}

static void add_rela(struct reloc_build *b, uint64_t vaddr, uint64_t size)
{
	uint64_t off;
	if (!size || !vaddr_off(b->f, vaddr, size, &off))
		return;
	const uint8_t *p = b->f->map + off;
	bool x64 = b->f->machine == EM_X86_64;
	for (uint64_t i = 0; i + 24 <= size; i += 24) {
		uint64_t where = rdr_le64(p + i), info = rdr_le64(p + i + 8);
		uint64_t addend = rdr_le64(p + i + 16), s;
		uint32_t type = (uint32_t)info, sym = (uint32_t)(info >> 32);
		bool ok = true;
		if (x64 ? type == 8 : type == 1027) /* RELATIVE */
			ok = push(b, where, addend);
		else if (x64 ? type == 1 : type == 257 || type == 1025 || type == 1026) {
			if (sym_value(b, sym, &s)) /* S + A */
				ok = push(b, where, s + addend);
		} else if (x64 && (type == 6 || type == 7)) {
			if (sym_value(b, sym, &s)) /* S */
				ok = push(b, where, s);
		}
		if (!ok)
			return;
	}
}

static void add_relr(struct reloc_build *b, uint64_t vaddr, uint64_t size)
{
	uint64_t off, where = 0, v;
	if (!size || !vaddr_off(b->f, vaddr, size, &off))
		return;
	const uint8_t *p = b->f->map + off;
	for (uint64_t i = 0; i + 8 <= size; i += 8) {
		uint64_t e = rdr_le64(p + i);
		if (!(e & 1)) {
			where = e;
			if (vaddr_off(b->f, where, 8, &v) &&
			    !push(b, where, rdr_le64(b->f->map + v)))
				return;
			where += 8;
			continue;
		}
		for (unsigned k = 0; k < 63; k++) {
			uint64_t at = where + 8ull * k;
			if (((e >> (k + 1)) & 1) && vaddr_off(b->f, at, 8, &v) &&
			    !push(b, at, rdr_le64(b->f->map + v)))
				return;
		}
		where += 63 * 8;
	}
}

static int reloc_cmp(const void *a, const void *b)
{
	const struct as_reloc *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void build(struct as_file *f)
{
	const uint8_t *m = f->map;
	if (f->pe || (f->machine != EM_X86_64 && f->machine != EM_AARCH64))
		return;
	uint64_t phoff = rdr_le64(m + 0x20);
	unsigned phentsize = rdr_le16(m + 0x36), phnum = rdr_le16(m + 0x38);
	uint64_t dyn_off = 0, dyn_sz = 0;
	for (unsigned i = 0; i < phnum; i++) { /* bounds checked at open */
		const uint8_t *ph = m + phoff + (size_t)i * phentsize;
		if (rdr_le32(ph) == PT_DYNAMIC) {
			dyn_off = rdr_le64(ph + 8);
			dyn_sz = rdr_le64(ph + 32);
		}
	}
	if (!dyn_sz || !rdr_fits(f->len, dyn_off, dyn_sz))
		return;
	uint64_t t[40] = { 0 };
	for (uint64_t i = 0; i + 16 <= dyn_sz && i < 16ull * MAX_DYN; i += 16) {
		uint64_t tag = rdr_le64(m + dyn_off + i), val = rdr_le64(m + dyn_off + i + 8);
		if (tag == DT_NULL)
			break;
		if (tag < 40)
			t[tag] = val;
	}
	struct reloc_build b = { .f = f, .syment = t[DT_SYMENT] ? t[DT_SYMENT] : 24 };
	b.have_symtab = t[DT_SYMTAB] && b.syment >= 24 &&
			vaddr_off(f, t[DT_SYMTAB], 24, &b.symtab_off);
	add_rela(&b, t[DT_RELA], t[DT_RELASZ]);
	if (t[DT_PLTREL] == DT_RELA)
		add_rela(&b, t[DT_JMPREL], t[DT_PLTRELSZ]);
	add_relr(&b, t[DT_RELR], t[DT_RELRSZ]);
	qsort(b.r, b.n, sizeof *b.r, reloc_cmp);
	f->relocs = b.r;
	f->nrelocs = b.n;
}

void as_file_relocate(struct as *a, struct as_file *f, uint64_t va,
		      uint8_t *buf, size_t n)
{
	if (f->pe || va < f->bias)
		return;
	if (!atomic_load_explicit(&f->reloc_state, memory_order_acquire)) {
		pthread_mutex_lock(&a->lock);
		if (!atomic_load_explicit(&f->reloc_state, memory_order_relaxed)) {
			build(f);
			atomic_store_explicit(&f->reloc_state, 1, memory_order_release);
		}
		pthread_mutex_unlock(&a->lock);
	}
	uint64_t lo = va - f->bias, hi = lo + n;
	if (hi < lo)
		hi = UINT64_MAX;
	/* First relocation whose 8 bytes reach past lo. */
	size_t l = 0, h = f->nrelocs;
	uint64_t from = lo >= 7 ? lo - 7 : 0;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (f->relocs[mid].addr < from)
			l = mid + 1;
		else
			h = mid;
	}
	for (size_t i = l; i < f->nrelocs && f->relocs[i].addr < hi; i++) {
		uint64_t word = f->bias + f->relocs[i].val;
		for (unsigned k = 0; k < 8; k++) {
			uint64_t pos = f->relocs[i].addr + k;
			if (pos >= lo && pos < hi)
				buf[pos - lo] = (uint8_t)(word >> (8 * k));
		}
	}
}
