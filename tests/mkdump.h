/* mkdump.h - writers of small ELF cores, ELF shared objects, PE files and
 * minidumps, for the container and address-space suites: hand-made bytes
 * for edge cases and corruption, and minidumps rebuilt from a real core.
 * Header-only (every test is one translation unit). */
#ifndef CLRHEAP_TEST_MKDUMP_H
#define CLRHEAP_TEST_MKDUMP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MK_UNUSED __attribute__((unused))

/* A growable byte buffer; allocation failure aborts (tests only). */
struct mkbuf {
	uint8_t *p;
	size_t len, cap;
};

static MK_UNUSED size_t mk_reserve(struct mkbuf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + n)
			nc *= 2;
		b->p = realloc(b->p, nc);
		if (!b->p)
			abort();
		b->cap = nc;
	}
	memset(b->p + b->len, 0, n);
	size_t at = b->len;
	b->len += n;
	return at;
}

static MK_UNUSED void mk_put(struct mkbuf *b, const void *d, size_t n)
{
	size_t at = mk_reserve(b, n);
	if (n)
		memcpy(b->p + at, d, n);
}

static MK_UNUSED void mk_align(struct mkbuf *b, size_t a)
{
	if (b->len % a)
		mk_reserve(b, a - b->len % a);
}

static MK_UNUSED void mk_set16(struct mkbuf *b, size_t at, uint16_t v) { memcpy(b->p + at, &v, 2); }
static MK_UNUSED void mk_set32(struct mkbuf *b, size_t at, uint32_t v) { memcpy(b->p + at, &v, 4); }
static MK_UNUSED void mk_set64(struct mkbuf *b, size_t at, uint64_t v) { memcpy(b->p + at, &v, 8); }
static MK_UNUSED void mk_u16(struct mkbuf *b, uint16_t v) { mk_put(b, &v, 2); }
static MK_UNUSED void mk_u32(struct mkbuf *b, uint32_t v) { mk_put(b, &v, 4); }
static MK_UNUSED void mk_u64(struct mkbuf *b, uint64_t v) { mk_put(b, &v, 8); }

static MK_UNUSED void mk_free(struct mkbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Writes n bytes to a new file in $TMPDIR (or /tmp); returns its path
 * (free it; unlink the file). */
static MK_UNUSED char *mk_tmpfile(const void *p, size_t n, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/clrheap-test-XXXXXX%s", dir && *dir ? dir : "/tmp",
		 suffix ? suffix : "");
	int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0)
		abort();
	const uint8_t *q = p;
	while (n) {
		ssize_t w = write(fd, q, n);
		if (w <= 0)
			abort();
		q += w;
		n -= (size_t)w;
	}
	close(fd);
	return path;
}

/* ---- ELF cores ---- */

struct mk_load {
	uint64_t va;
	const void *data; /* NULL: zeros */
	uint64_t size;
};

struct mk_file {
	uint64_t start, end, off; /* off in bytes (page multiple) */
	const char *name;
};

struct mk_thread {
	uint32_t tid;
	uint64_t sp, ip;
};

struct mk_core {
	uint16_t machine; /* 62 x86_64 (default), 183 aarch64 */
	const struct mk_load *loads;
	size_t nloads;
	const struct mk_file *files;
	size_t nfiles;
	const struct mk_thread *threads;
	size_t nthreads;
	uint32_t pid;
	const char *fname, *args;
	const uint64_t *auxv; /* type, value pairs, without AT_NULL */
	size_t nauxv;
};

/* Where the pieces of a written core are, for tests that damage them. */
struct mk_core_layout {
	size_t phoff;      /* program headers: PT_NOTE first, then the loads */
	size_t note_off, note_len;
	size_t nt_file_off; /* the NT_FILE descriptor (count at +0) */
	size_t prstatus_off;
	size_t data_off;   /* first load's bytes */
};

static MK_UNUSED void mk_note(struct mkbuf *b, const char *name, uint32_t type,
			      const void *desc, size_t n, size_t *desc_at)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	mk_u32(b, namesz);
	mk_u32(b, (uint32_t)n);
	mk_u32(b, type);
	mk_put(b, name, namesz);
	mk_align(b, 4);
	if (desc_at)
		*desc_at = b->len;
	mk_put(b, desc, n);
	mk_align(b, 4);
}

static MK_UNUSED void mk_elf_core(struct mkbuf *b, const struct mk_core *c,
				  struct mk_core_layout *lay)
{
	struct mk_core_layout l = { 0 };
	uint16_t machine = c->machine ? c->machine : 62;
	size_t nph = 1 + c->nloads;
	size_t eh = mk_reserve(b, 64);
	memcpy(b->p + eh, "\x7f" "ELF\x02\x01\x01", 7);
	mk_set16(b, eh + 16, 4); /* ET_CORE */
	mk_set16(b, eh + 18, machine);
	mk_set32(b, eh + 20, 1);
	mk_set64(b, eh + 0x20, 64);
	mk_set16(b, eh + 0x34, 64);
	mk_set16(b, eh + 0x36, 56);
	mk_set16(b, eh + 0x38, (uint16_t)nph);
	l.phoff = mk_reserve(b, 56 * nph);

	struct mkbuf notes = { 0 };
	uint8_t ps[136] = { 0 };
	memcpy(ps + 24, &c->pid, 4);
	if (c->fname)
		memcpy(ps + 40, c->fname, strnlen(c->fname, 16));
	if (c->args)
		memcpy(ps + 56, c->args, strnlen(c->args, 80));
	mk_note(&notes, "CORE", 3, ps, sizeof ps, NULL);
	if (c->nauxv) {
		struct mkbuf av = { 0 };
		for (size_t i = 0; i < 2 * c->nauxv; i++)
			mk_u64(&av, c->auxv[i]);
		mk_u64(&av, 0);
		mk_u64(&av, 0);
		mk_note(&notes, "CORE", 6, av.p, av.len, NULL);
		mk_free(&av);
	}
	size_t ntf = 0;
	if (c->nfiles) {
		struct mkbuf f = { 0 };
		mk_u64(&f, c->nfiles);
		mk_u64(&f, 4096);
		for (size_t i = 0; i < c->nfiles; i++) {
			mk_u64(&f, c->files[i].start);
			mk_u64(&f, c->files[i].end);
			mk_u64(&f, c->files[i].off / 4096);
		}
		for (size_t i = 0; i < c->nfiles; i++)
			mk_put(&f, c->files[i].name, strlen(c->files[i].name) + 1);
		mk_note(&notes, "CORE", 0x46494c45, f.p, f.len, &ntf);
		mk_free(&f);
	}
	size_t prs = 0;
	for (size_t i = 0; i < c->nthreads; i++) {
		uint8_t st[0x188] = { 0 }; /* fits aarch64, the larger one */
		size_t n = machine == 183 ? 0x188 : 0x150;
		unsigned sp = machine == 183 ? 31 : 19, ip = machine == 183 ? 32 : 16;
		memcpy(st + 32, &c->threads[i].tid, 4);
		memcpy(st + 112 + 8 * sp, &c->threads[i].sp, 8);
		memcpy(st + 112 + 8 * ip, &c->threads[i].ip, 8);
		size_t at;
		mk_note(&notes, "CORE", 1, st, n, &at);
		if (i == 0)
			prs = at;
		uint8_t fp[0x200] = { 0 };
		mk_note(&notes, "CORE", 2, fp, sizeof fp, NULL);
	}
	mk_note(&notes, "LINUX", 0x202, "\0\0\0\0", 4, NULL); /* a foreign note */
	l.note_off = b->len;
	l.note_len = notes.len;
	l.nt_file_off = ntf ? l.note_off + ntf : 0;
	l.prstatus_off = prs ? l.note_off + prs : 0;
	mk_put(b, notes.p, notes.len);
	mk_free(&notes);
	mk_align(b, 16);

	size_t ph = l.phoff;
	mk_set32(b, ph, 4); /* PT_NOTE */
	mk_set64(b, ph + 8, l.note_off);
	mk_set64(b, ph + 32, l.note_len);
	l.data_off = b->len;
	for (size_t i = 0; i < c->nloads; i++) {
		size_t at = mk_reserve(b, c->loads[i].size);
		if (c->loads[i].data)
			memcpy(b->p + at, c->loads[i].data, c->loads[i].size);
		ph = l.phoff + 56 * (1 + i);
		mk_set32(b, ph, 1); /* PT_LOAD */
		mk_set32(b, ph + 4, 6);
		mk_set64(b, ph + 8, at);
		mk_set64(b, ph + 16, c->loads[i].va);
		mk_set64(b, ph + 32, c->loads[i].size);
		mk_set64(b, ph + 40, c->loads[i].size);
		mk_set64(b, ph + 48, 4096);
	}
	if (lay)
		*lay = l;
}

/* ---- ELF shared objects (module files on disk) ----
 * Three PT_LOADs: R at vaddr 0 (headers, build-id note, dynamic section,
 * relocations, symbols), R+X at 0x1000 (file 0x1000), R+W at 0x3000 (file
 * 0x2000, memsz 0x2000). Text and data bytes are a pattern of their file
 * offset. Relocations in the data page: RELATIVE at 0x3008 (addend
 * 0x1234), R_X86_64_64 at 0x3018 against a defined symbol (0x1100 + 4),
 * another against an undefined symbol at 0x3020, RELR at 0x3010 and 0x3028
 * (file words 0x2222 and 0x2828). */
#define MK_SO_SIZE 0x3000

static MK_UNUSED uint8_t mk_so_pattern(size_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) * 3 + 1);
}

static MK_UNUSED void mk_elf_so(struct mkbuf *b, const uint8_t build_id[20])
{
	size_t base = mk_reserve(b, MK_SO_SIZE);
	uint8_t *p = b->p + base;
	for (size_t i = 0x1000; i < MK_SO_SIZE; i++)
		p[i] = mk_so_pattern(i);
	memcpy(p, "\x7f" "ELF\x02\x01\x01", 7);
	mk_set16(b, base + 16, 3); /* ET_DYN */
	mk_set16(b, base + 18, 62);
	mk_set32(b, base + 20, 1);
	mk_set64(b, base + 0x20, 64);
	mk_set16(b, base + 0x34, 64);
	mk_set16(b, base + 0x36, 56);
	mk_set16(b, base + 0x38, 5);
	/* phdrs at 64: LOAD R, LOAD RX, LOAD RW, NOTE, DYNAMIC */
	struct { uint32_t type, flags; uint64_t off, va, fsz, msz; } ph[5] = {
		{ 1, 4, 0, 0, 0x1000, 0x1000 },
		{ 1, 5, 0x1000, 0x1000, 0x1000, 0x1000 },
		{ 1, 6, 0x2000, 0x3000, 0x1000, 0x2000 },
		{ 4, 4, 0x200, 0x200, 36, 36 },
		{ 2, 6, 0x300, 0x300, 0x80, 0x80 },
	};
	for (int i = 0; i < 5; i++) {
		size_t at = base + 64 + 56 * (size_t)i;
		mk_set32(b, at, ph[i].type);
		mk_set32(b, at + 4, ph[i].flags);
		mk_set64(b, at + 8, ph[i].off);
		mk_set64(b, at + 16, ph[i].va);
		mk_set64(b, at + 32, ph[i].fsz);
		mk_set64(b, at + 40, ph[i].msz);
		mk_set64(b, at + 48, 0x1000);
	}
	/* build-id note at 0x200 */
	mk_set32(b, base + 0x200, 4);
	mk_set32(b, base + 0x204, 20);
	mk_set32(b, base + 0x208, 3);
	memcpy(p + 0x20c, "GNU", 4);
	memcpy(p + 0x210, build_id, 20);
	/* dynamic at 0x300: RELA 0x400 (4 entries), SYMTAB 0x500, RELR 0x600 */
	uint64_t dyn[][2] = { { 7, 0x400 }, { 8, 4 * 24 }, { 9, 24 }, { 6, 0x500 },
			      { 11, 24 }, { 36, 0x600 }, { 35, 16 }, { 37, 8 }, { 0, 0 } };
	for (size_t i = 0; i < sizeof dyn / sizeof dyn[0]; i++) {
		mk_set64(b, base + 0x300 + 16 * i, dyn[i][0]);
		mk_set64(b, base + 0x308 + 16 * i, dyn[i][1]);
	}
	/* symbols: 0 null, 1 defined (shndx 5, value 0x1100), 2 undefined */
	mk_set16(b, base + 0x500 + 24 + 6, 5);
	mk_set64(b, base + 0x500 + 24 + 8, 0x1100);
	uint64_t rela[][3] = { { 0x3008, 8, 0x1234 }, { 0x3018, (1ull << 32) | 1, 4 },
			       { 0x3020, (2ull << 32) | 1, 8 }, { 0x3030, 0, 0 } };
	for (size_t i = 0; i < 4; i++) {
		mk_set64(b, base + 0x400 + 24 * i, rela[i][0]);
		mk_set64(b, base + 0x408 + 24 * i, rela[i][1]);
		mk_set64(b, base + 0x410 + 24 * i, rela[i][2]);
	}
	/* RELR: address 0x3010, then a bitmap marking 0x3018 + 2*8 = 0x3028 */
	mk_set64(b, base + 0x600, 0x3010);
	mk_set64(b, base + 0x608, (1ull << 3) | 1);
	mk_set64(b, base + 0x2010, 0x2222);
	mk_set64(b, base + 0x2028, 0x2828);
}

/* ---- PE files ----
 * SizeOfHeaders 0x200; .text RVA 0x1000 (raw 0x200 at 0x200, code),
 * .data RVA 0x2000 (raw 0x200 at 0x400, writable), .rdata RVA 0x3000
 * (virtual 0x100, raw 0x200 at 0x600). SizeOfImage 0x4000. Section bytes
 * are mk_so_pattern of the file offset. */
#define MK_PE_SIZE 0x800

static MK_UNUSED void mk_pe(struct mkbuf *b, uint32_t stamp, bool pe32plus)
{
	size_t base = mk_reserve(b, MK_PE_SIZE);
	uint8_t *p = b->p + base;
	for (size_t i = 0x200; i < MK_PE_SIZE; i++)
		p[i] = mk_so_pattern(i);
	p[0] = 'M';
	p[1] = 'Z';
	mk_set32(b, base + 0x3c, 0x80);
	memcpy(p + 0x80, "PE\0\0", 4);
	uint16_t optsz = pe32plus ? 240 : 224;
	mk_set16(b, base + 0x84, pe32plus ? 0x8664 : 0x14c);
	mk_set16(b, base + 0x86, 3);
	mk_set32(b, base + 0x88, stamp);
	mk_set16(b, base + 0x94, optsz);
	size_t opt = base + 0x98;
	mk_set16(b, opt, pe32plus ? 0x20b : 0x10b);
	mk_set32(b, opt + 56, 0x4000);
	mk_set32(b, opt + 60, 0x200);
	struct { const char *name; uint32_t vs, rva, raw, ptr, ch; } s[3] = {
		{ ".text", 0x200, 0x1000, 0x200, 0x200, 0x60000020 },
		{ ".data", 0x200, 0x2000, 0x200, 0x400, 0xc0000040 },
		{ ".rdata", 0x100, 0x3000, 0x200, 0x600, 0x40000040 },
	};
	size_t sec = opt + optsz;
	for (int i = 0; i < 3; i++) {
		size_t at = sec + 40 * (size_t)i;
		memcpy(b->p + at, s[i].name, strlen(s[i].name));
		mk_set32(b, at + 8, s[i].vs);
		mk_set32(b, at + 12, s[i].rva);
		mk_set32(b, at + 16, s[i].raw);
		mk_set32(b, at + 20, s[i].ptr);
		mk_set32(b, at + 36, s[i].ch);
	}
}

/* ---- minidumps ---- */

struct mk_mmod {
	uint64_t base;
	uint32_t size, stamp, checksum;
	const char *name;      /* UTF-8 (ASCII or BMP+pairs) unless name16 */
	const uint16_t *name16; /* raw UTF-16 units, name16_len of them */
	size_t name16_len;
	const uint8_t *guid;   /* RSDS GUID (16 bytes) or NULL */
	uint32_t age;
	const uint8_t *bpel;   /* Breakpad ELF build-id or NULL */
	size_t bpel_len;
	uint32_t ver_ms, ver_ls; /* VS_FIXEDFILEINFO when ver_ms */
};

struct mk_mthread {
	uint32_t tid;
	uint64_t teb, sp, ip;
};

struct mk_mmem {
	uint64_t va;
	const void *data; /* NULL: zeros */
	uint64_t size;
};

struct mk_mdmp {
	uint16_t arch;      /* 9 AMD64, 0 x86, 12 ARM64 */
	uint32_t platform;  /* 2 Windows, 0x8201 Linux */
	bool no_sysinfo;
	const struct mk_mmod *mods;
	size_t nmods;
	const struct mk_mthread *threads;
	size_t nthreads;
	const struct mk_mmem *mem;     /* MemoryList */
	size_t nmem;
	const struct mk_mmem *mem64;   /* Memory64List */
	size_t nmem64;
	uint32_t pid, create_time;     /* MiscInfo when pid */
};

/* Offsets of the pieces of a written minidump, for damaging them. */
struct mk_mdmp_layout {
	size_t dir;          /* stream directory */
	size_t nstreams;
	size_t modlist, threadlist, memlist, mem64list, sysinfo;
};

static MK_UNUSED void mk_mstring(struct mkbuf *b, const struct mk_mmod *m)
{
	size_t at = mk_reserve(b, 4);
	size_t units = 0;
	if (m->name16) {
		for (size_t i = 0; i < m->name16_len; i++)
			mk_u16(b, m->name16[i]);
		units = m->name16_len;
	} else {
		const unsigned char *s = (const unsigned char *)m->name;
		while (*s) { /* UTF-8 -> UTF-16, enough for test names */
			uint32_t c = *s++;
			if (c >= 0xf0) {
				c = (c & 7) << 18 | (s[0] & 0x3fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
				s += 3;
			} else if (c >= 0xe0) {
				c = (c & 15) << 12 | (s[0] & 0x3fu) << 6 | (s[1] & 0x3fu);
				s += 2;
			} else if (c >= 0xc0) {
				c = (c & 31) << 6 | (s[0] & 0x3fu);
				s += 1;
			}
			if (c >= 0x10000) {
				c -= 0x10000;
				mk_u16(b, (uint16_t)(0xd800 + (c >> 10)));
				mk_u16(b, (uint16_t)(0xdc00 + (c & 0x3ff)));
				units += 2;
			} else {
				mk_u16(b, (uint16_t)c);
				units++;
			}
		}
	}
	mk_u16(b, 0);
	mk_set32(b, at, (uint32_t)(units * 2));
	mk_align(b, 4);
}

static MK_UNUSED void mk_minidump(struct mkbuf *b, const struct mk_mdmp *d,
				  struct mk_mdmp_layout *lay)
{
	struct mk_mdmp_layout l = { 0 };
	size_t nstreams = !d->no_sysinfo + (d->nmods > 0) + (d->nthreads > 0) +
			  (d->nmem > 0) + (d->nmem64 > 0) + (d->pid != 0);
	size_t h = mk_reserve(b, 32);
	memcpy(b->p + h, "MDMP", 4);
	mk_set32(b, h + 4, 0xa793);
	mk_set32(b, h + 8, (uint32_t)nstreams);
	mk_set32(b, h + 12, 32);
	l.dir = mk_reserve(b, 12 * nstreams);
	l.nstreams = nstreams;
	size_t si = 0;
#define MK_STREAM(type, start) do { \
		mk_set32(b, l.dir + 12 * si, type); \
		mk_set32(b, l.dir + 12 * si + 4, (uint32_t)(b->len - (start))); \
		mk_set32(b, l.dir + 12 * si + 8, (uint32_t)(start)); \
		si++; \
	} while (0)
	if (!d->no_sysinfo) {
		l.sysinfo = mk_reserve(b, 56);
		mk_set16(b, l.sysinfo, d->arch);
		mk_set32(b, l.sysinfo + 20, d->platform);
		MK_STREAM(7, l.sysinfo);
	}
	if (d->pid) {
		size_t at = mk_reserve(b, 24);
		mk_set32(b, at, 24);
		mk_set32(b, at + 4, 3);
		mk_set32(b, at + 8, d->pid);
		mk_set32(b, at + 12, d->create_time);
		MK_STREAM(15, at);
	}
	if (d->nmods) {
		/* names and CodeView records first, then the list */
		size_t *name_rva = calloc(d->nmods, sizeof *name_rva);
		size_t *cv_rva = calloc(d->nmods, sizeof *cv_rva), *cv_len = calloc(d->nmods, sizeof *cv_len);
		for (size_t i = 0; i < d->nmods; i++) {
			name_rva[i] = b->len;
			mk_mstring(b, &d->mods[i]);
			if (d->mods[i].guid) {
				cv_rva[i] = b->len;
				mk_put(b, "RSDS", 4);
				mk_put(b, d->mods[i].guid, 16);
				mk_u32(b, d->mods[i].age);
				mk_put(b, "x.pdb", 6);
				cv_len[i] = b->len - cv_rva[i];
				mk_align(b, 4);
			} else if (d->mods[i].bpel) {
				cv_rva[i] = b->len;
				mk_put(b, "LEpB", 4);
				mk_put(b, d->mods[i].bpel, d->mods[i].bpel_len);
				cv_len[i] = b->len - cv_rva[i];
				mk_align(b, 4);
			}
		}
		l.modlist = b->len;
		mk_u32(b, (uint32_t)d->nmods);
		for (size_t i = 0; i < d->nmods; i++) {
			const struct mk_mmod *m = &d->mods[i];
			size_t at = mk_reserve(b, 108);
			mk_set64(b, at, m->base);
			mk_set32(b, at + 8, m->size);
			mk_set32(b, at + 12, m->checksum);
			mk_set32(b, at + 16, m->stamp);
			mk_set32(b, at + 20, (uint32_t)name_rva[i]);
			if (m->ver_ms) {
				mk_set32(b, at + 24, 0xfeef04bd);
				mk_set32(b, at + 32, m->ver_ms);
				mk_set32(b, at + 36, m->ver_ls);
			}
			mk_set32(b, at + 76, (uint32_t)cv_len[i]);
			mk_set32(b, at + 80, (uint32_t)cv_rva[i]);
		}
		MK_STREAM(4, l.modlist);
		free(name_rva);
		free(cv_rva);
		free(cv_len);
	}
	if (d->nthreads) {
		size_t csize = d->arch == 0 ? 716 : d->arch == 12 ? 912 : 1232;
		unsigned sp = d->arch == 0 ? 196 : d->arch == 12 ? 0x100 : 0x98;
		unsigned ip = d->arch == 0 ? 184 : d->arch == 12 ? 0x108 : 0xf8;
		size_t *ctx = calloc(d->nthreads, sizeof *ctx);
		for (size_t i = 0; i < d->nthreads; i++) {
			ctx[i] = mk_reserve(b, csize);
			if (d->arch == 0) {
				mk_set32(b, ctx[i] + sp, (uint32_t)d->threads[i].sp);
				mk_set32(b, ctx[i] + ip, (uint32_t)d->threads[i].ip);
			} else {
				mk_set64(b, ctx[i] + sp, d->threads[i].sp);
				mk_set64(b, ctx[i] + ip, d->threads[i].ip);
			}
		}
		l.threadlist = b->len;
		mk_u32(b, (uint32_t)d->nthreads);
		for (size_t i = 0; i < d->nthreads; i++) {
			size_t at = mk_reserve(b, 48);
			mk_set32(b, at, d->threads[i].tid);
			mk_set64(b, at + 16, d->threads[i].teb);
			mk_set32(b, at + 40, (uint32_t)csize);
			mk_set32(b, at + 44, (uint32_t)ctx[i]);
		}
		MK_STREAM(3, l.threadlist);
		free(ctx);
	}
	if (d->nmem) {
		size_t *rva = calloc(d->nmem, sizeof *rva);
		for (size_t i = 0; i < d->nmem; i++) {
			rva[i] = mk_reserve(b, d->mem[i].size);
			if (d->mem[i].data)
				memcpy(b->p + rva[i], d->mem[i].data, d->mem[i].size);
		}
		l.memlist = b->len;
		mk_u32(b, (uint32_t)d->nmem);
		for (size_t i = 0; i < d->nmem; i++) {
			mk_u64(b, d->mem[i].va);
			mk_u32(b, (uint32_t)d->mem[i].size);
			mk_u32(b, (uint32_t)rva[i]);
		}
		MK_STREAM(5, l.memlist);
		free(rva);
	}
	if (d->nmem64) {
		l.mem64list = b->len;
		mk_u64(b, d->nmem64);
		size_t base_at = mk_reserve(b, 8);
		for (size_t i = 0; i < d->nmem64; i++) {
			mk_u64(b, d->mem64[i].va);
			mk_u64(b, d->mem64[i].size);
		}
		MK_STREAM(9, l.mem64list);
		mk_set64(b, base_at, b->len);
		for (size_t i = 0; i < d->nmem64; i++) {
			size_t at = mk_reserve(b, d->mem64[i].size);
			if (d->mem64[i].data)
				memcpy(b->p + at, d->mem64[i].data, d->mem64[i].size);
		}
	}
#undef MK_STREAM
	if (lay)
		*lay = l;
}

#endif
