/* dump_elf.c - ELF64 core files as createdump and gdb's gcore write them:
 * PT_LOAD ranges, and the notes NT_PRSTATUS (threads), NT_PRPSINFO
 * (process), NT_AUXV and NT_FILE (modules). Build-ids are read from each
 * module's own ELF headers in the dumped memory. Little-endian x86_64 and
 * aarch64 only; other ELF cores are refused with a clear message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_priv.h"

#define ET_CORE      4
#define EM_X86_64    62
#define EM_AARCH64   183
#define PN_XNUM      0xffff
#define PT_LOAD      1
#define PT_NOTE      4
#define NT_PRSTATUS  1
#define NT_PRPSINFO  3
#define NT_AUXV      6
#define NT_FILE      0x46494c45u

#define EHDR_SIZE    64
#define PHDR_SIZE    56
#define PRSTATUS_PID 32   /* offsetof(struct elf_prstatus, pr_pid) */
#define PRSTATUS_REG 112  /* offsetof(struct elf_prstatus, pr_reg) */
#define PRPSINFO_SIZE 136
#define MAX_AUXV     1024 /* pairs; the kernel writes a few dozen */
#define MAX_MOD_PHNUM 512
#define MAX_MOD_NOTE (64u << 10)

/* Register slots (8 bytes each) inside pr_reg. */
struct elf_regs {
	unsigned count, sp, ip;
};
static const struct elf_regs regs_x86_64 = { 27, 19, 16 }; /* user_regs_struct */
static const struct elf_regs regs_aarch64 = { 34, 31, 32 }; /* user_pt_regs */

static enum ch_status parse_prstatus(struct dump *d, const uint8_t *p, size_t n,
				     struct ch_err *err)
{
	const struct elf_regs *rg = d->arch == DUMP_ARCH_ARM64 ? &regs_aarch64 : &regs_x86_64;
	size_t need = PRSTATUS_REG + (size_t)rg->count * 8;
	if (n < need)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: NT_PRSTATUS note of %zu bytes is too small for %s registers (%zu bytes)",
				    d->path, n, dump_arch_str(d->arch), need);
	struct dump_thread *t = dump_add_thread(d);
	if (!t)
		return ch_set_error(err, CH_ENOMEM, "%s: more than %u threads",
				    d->path, DUMP_MAX_THREADS);
	t->tid = rdr_le32(p + PRSTATUS_PID);
	t->sp = rdr_le64(p + PRSTATUS_REG + 8 * rg->sp);
	t->ip = rdr_le64(p + PRSTATUS_REG + 8 * rg->ip);
	if (!d->proc.pid)
		d->proc.pid = t->tid; /* the first thread is the main one */
	return CH_OK;
}

static enum ch_status parse_prpsinfo(struct dump *d, const uint8_t *p, size_t n,
				     struct ch_err *err)
{
	if (n < PRPSINFO_SIZE)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: NT_PRPSINFO note of %zu bytes is too small (%u bytes)",
				    d->path, n, PRPSINFO_SIZE);
	d->proc.pid = rdr_le32(p + 24);
	memcpy(d->proc.name, p + 40, 16);
	d->proc.name[16] = '\0';
	memcpy(d->proc.args, p + 56, 80);
	d->proc.args[80] = '\0';
	return CH_OK;
}

static enum ch_status parse_auxv(struct dump *d, const uint8_t *p, size_t n,
				 struct ch_err *err)
{
	size_t pairs = n / 16;
	if (pairs > MAX_AUXV) {
		dump_warn(d, "NT_AUXV holds %zu entries; read the first %u", pairs, MAX_AUXV);
		pairs = MAX_AUXV;
	}
	free(d->auxv);
	d->auxv = malloc((pairs ? pairs : 1) * 16);
	if (!d->auxv)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
	for (size_t i = 0; i < pairs; i++) {
		d->auxv[2 * i] = rdr_le64(p + 16 * i);
		d->auxv[2 * i + 1] = rdr_le64(p + 16 * i + 8);
		if (d->auxv[2 * i] == 0) { /* AT_NULL ends the vector */
			pairs = i;
			break;
		}
	}
	d->nauxv = pairs;
	return CH_OK;
}

/* One NT_FILE entry, for grouping mappings by path. */
struct nt_file_ent {
	uint64_t start, end, off;
	const char *name;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct nt_file_ent *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Mappings that are not files a module can come from. */
static bool skip_mapping(const char *name)
{
	return !*name || strncmp(name, "/memfd:", 7) == 0 ||
	       strncmp(name, "/dev/", 5) == 0 || name[0] == '[' ||
	       strncmp(name, "anon_inode:", 11) == 0;
}

/* A file's mappings more than this far from the last one belong to
 * another mapping of the same file, when no header tells the extent. */
#define MAX_IMAGE_GAP (64ull << 20)

/* Reads the ELF image whose header is at base in the dump: returns its
 * extent (0 when the header is absent or not ELF64) and its GNU build-id. */
static uint64_t elf_image(struct dump *d, uint64_t base, uint8_t *bid, size_t *bidlen)
{
	uint8_t eh[EHDR_SIZE];
	if (dump_read_va(d, base, eh, sizeof eh) != sizeof eh ||
	    memcmp(eh, "\x7f" "ELF", 4) != 0 || eh[4] != 2 || eh[5] != 1)
		return 0;
	uint64_t phoff = rdr_le64(eh + 0x20);
	unsigned phentsize = rdr_le16(eh + 0x36), phnum = rdr_le16(eh + 0x38);
	if (phentsize < PHDR_SIZE || phnum > MAX_MOD_PHNUM || phoff > (1u << 20))
		return 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint64_t note_va[8], note_sz[8];
	unsigned nnotes = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t ph[PHDR_SIZE];
		if (dump_read_va(d, base + phoff + (uint64_t)i * phentsize, ph,
				 sizeof ph) != sizeof ph)
			return 0;
		uint32_t type = rdr_le32(ph);
		uint64_t vaddr = rdr_le64(ph + 16), filesz = rdr_le64(ph + 32);
		uint64_t memsz = rdr_le64(ph + 40);
		if (type == PT_LOAD && memsz <= UINT64_MAX - vaddr) {
			if (vaddr < lo)
				lo = vaddr;
			if (vaddr + memsz > hi)
				hi = vaddr + memsz;
		}
		if (type == PT_NOTE && nnotes < 8) {
			note_va[nnotes] = vaddr;
			note_sz[nnotes++] = filesz;
		}
	}
	if (lo == UINT64_MAX)
		return 0;
	lo &= ~(uint64_t)0xfff;
	uint64_t bias = base - lo;
	for (unsigned i = 0; i < nnotes && !*bidlen; i++) {
		size_t sz = note_sz[i] < MAX_MOD_NOTE ? (size_t)note_sz[i] : MAX_MOD_NOTE;
		uint8_t *buf = malloc(sz ? sz : 1);
		if (!buf)
			break;
		size_t got = dump_read_va(d, bias + note_va[i], buf, sz);
		*bidlen = rdr_gnu_build_id(buf, got, bid, 32);
		free(buf);
	}
	return hi - lo;
}

/* Makes one module of the mappings e[0..n) of one file. */
static enum ch_status add_module(struct dump *d, const struct nt_file_ent *e,
				 size_t n, const uint8_t *bid, size_t bidlen,
				 struct ch_err *err)
{
	struct dump_module *m = dump_add_module(d);
	if (!m)
		return ch_set_error(err, CH_ENOMEM, "%s: more than %u modules in NT_FILE",
				    d->path, DUMP_MAX_MODULES);
	m->segs = calloc(n, sizeof *m->segs);
	if (!m->segs || !dump_set_module_path(m, e[0].name, strlen(e[0].name)))
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
	uint64_t hi = 0;
	bool flat = true;
	m->base = e[0].start;
	for (size_t k = 0; k < n; k++) {
		struct dump_segment *s = &m->segs[m->nsegs++];
		s->va = e[k].start;
		s->size = e[k].end - e[k].start;
		s->file_off = e[k].off;
		if (e[k].end > hi)
			hi = e[k].end;
		flat = flat && s->va - m->base == s->file_off;
	}
	m->size = hi - m->base;
	m->build_id_len = bidlen;
	memcpy(m->build_id, bid, bidlen);
	if (!bidlen && dump_pe_identity(d, m->base, &m->pe_timestamp, &m->pe_size))
		m->pe_flat = flat;
	return CH_OK;
}

/* Groups NT_FILE mappings by path, then splits a path's mappings into
 * images: .NET maps an assembly twice (the file as is, and laid out by
 * sections), far apart. An image ends where its headers say (PE
 * SizeOfImage, ELF PT_LOAD extent), or at a large gap without headers. */
static enum ch_status add_modules(struct dump *d, struct nt_file_ent *e, size_t n,
				  struct ch_err *err)
{
	qsort(e, n, sizeof *e, ent_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(e[j].name, e[i].name) == 0)
			j++;
		for (size_t k = i; k < j && !skip_mapping(e[i].name);) {
			uint64_t base = e[k].start, extent = 0, end = e[k].end;
			uint8_t bid[32];
			size_t bidlen = 0;
			uint32_t stamp, size;
			if (e[k].off == 0) {
				extent = elf_image(d, base, bid, &bidlen);
				if (!extent && dump_pe_identity(d, base, &stamp, &size))
					extent = size;
			}
			uint64_t limit = 0;
			if (extent && base < UINT64_MAX - 0x1fff &&
			    extent < UINT64_MAX - 0x1fff - base)
				limit = (base + extent + 0xfff) & ~(uint64_t)0xfff;
			size_t l = k + 1;
			for (; l < j; l++) {
				if (limit ? e[l].start >= limit : e[l].start - end > MAX_IMAGE_GAP)
					break;
				if (e[l].end > end)
					end = e[l].end;
			}
			enum ch_status rc = add_module(d, e + k, l - k, bid, bidlen, err);
			if (rc != CH_OK)
				return rc;
			k = l;
		}
		i = j;
	}
	return CH_OK;
}

static enum ch_status parse_nt_file(struct dump *d, const uint8_t *p, size_t n,
				    struct ch_err *err)
{
	if (n < 16)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: NT_FILE note of %zu bytes is too small", d->path, n);
	uint64_t count = rdr_le64(p), page = rdr_le64(p + 8);
	if (count > (n - 16) / 24)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: NT_FILE claims %llu mappings but its note holds at most %zu",
				    d->path, (unsigned long long)count, (n - 16) / 24);
	if (count > DUMP_MAX_RANGES)
		return ch_set_error(err, CH_ECORRUPT, "%s: NT_FILE claims %llu mappings",
				    d->path, (unsigned long long)count);
	if (page == 0 || (page & (page - 1)) || page > (1u << 30))
		return ch_set_error(err, CH_ECORRUPT, "%s: NT_FILE page size %llu is not a power of two",
				    d->path, (unsigned long long)page);
	if (count == 0)
		return CH_OK;
	struct nt_file_ent *e = calloc((size_t)count, sizeof *e);
	if (!e)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
	struct rdr names = rdr_make(p, n);
	uint64_t noff = 16 + count * 24;
	enum ch_status rc = CH_OK;
	for (size_t i = 0; i < count && rc == CH_OK; i++) {
		const uint8_t *q = p + 16 + 24 * i;
		e[i].start = rdr_le64(q);
		e[i].end = rdr_le64(q + 8);
		uint64_t pgoff = rdr_le64(q + 16);
		long len = rdr_strnlen_at(&names, noff, n);
		if (len < 0)
			rc = ch_set_error(err, CH_ECORRUPT,
					  "%s: NT_FILE name %zu of %llu runs past the end of the note",
					  d->path, i, (unsigned long long)count);
		else if (e[i].end < e[i].start)
			rc = ch_set_error(err, CH_ECORRUPT,
					  "%s: NT_FILE mapping 0x%llx-0x%llx ends before it starts",
					  d->path, (unsigned long long)e[i].start,
					  (unsigned long long)e[i].end);
		else if (pgoff > UINT64_MAX / page)
			rc = ch_set_error(err, CH_ECORRUPT,
					  "%s: NT_FILE page offset 0x%llx overflows",
					  d->path, (unsigned long long)pgoff);
		else {
			e[i].off = pgoff * page;
			e[i].name = (const char *)p + noff;
			noff += (uint64_t)len + 1;
		}
	}
	if (rc == CH_OK)
		rc = add_modules(d, e, (size_t)count, err);
	free(e);
	return rc;
}

static enum ch_status parse_notes(struct dump *d, const uint8_t *p, size_t n,
				  struct ch_err *err)
{
	struct rdr r = rdr_make(p, n);
	enum ch_status rc = CH_OK;
	while (rc == CH_OK && r.off < r.len) {
		size_t at = r.off;
		uint32_t namesz = rdr_u32(&r), descsz = rdr_u32(&r), type = rdr_u32(&r);
		const uint8_t *name = rdr_take(&r, namesz);
		rdr_skip(&r, (4 - namesz % 4) % 4);
		const uint8_t *desc = rdr_take(&r, descsz);
		if (r.bad)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: note at offset %zu of PT_NOTE (name %u, desc %u bytes) runs past its end (%zu bytes)",
					    d->path, at, namesz, descsz, n);
		/* The last note's padding may be cut off at the segment's end. */
		size_t pad = (4 - descsz % 4) % 4;
		r.off += pad < r.len - r.off ? pad : r.len - r.off;
		bool core = namesz == 5 && memcmp(name, "CORE", 5) == 0;
		if (!core)
			continue;
		switch (type) {
		case NT_PRSTATUS: rc = parse_prstatus(d, desc, descsz, err); break;
		case NT_PRPSINFO: rc = parse_prpsinfo(d, desc, descsz, err); break;
		case NT_AUXV: rc = parse_auxv(d, desc, descsz, err); break;
		case NT_FILE:
			/* Modules are built once the ranges are sorted. */
			if (!d->nt_file) {
				d->nt_file = desc;
				d->nt_file_len = descsz;
			}
			break;
		default: break;
		}
	}
	return rc;
}

static enum ch_status check_header(struct dump *d, struct ch_err *err)
{
	const uint8_t *h = d->map;
	if (d->len < 6)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: truncated ELF header (%zu bytes)", d->path, d->len);
	if (h[4] == 1)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: a 32-bit ELF file; only ELF64 core dumps are supported",
				    d->path);
	if (h[4] != 2)
		return ch_set_error(err, CH_ECORRUPT, "%s: bad ELF class %u", d->path, h[4]);
	if (h[5] != 1)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: a big-endian ELF file; only little-endian cores are supported",
				    d->path);
	if (d->len < EHDR_SIZE)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: truncated ELF header (%zu of %u bytes)",
				    d->path, d->len, EHDR_SIZE);
	uint16_t type = rdr_le16(h + 16), machine = rdr_le16(h + 18);
	if (type != ET_CORE)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: an ELF file of type %u (%s), not a core dump", d->path,
				    type, type == 2 ? "executable" : type == 3 ? "shared object" :
				    type == 1 ? "relocatable" : "unknown");
	if (machine == EM_X86_64)
		d->arch = DUMP_ARCH_X86_64;
	else if (machine == EM_AARCH64)
		d->arch = DUMP_ARCH_ARM64;
	else
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: ELF core for machine %u; only x86_64 and aarch64 are supported",
				    d->path, machine);
	return CH_OK;
}

static enum ch_status parse(struct dump *d, struct ch_err *err)
{
	enum ch_status rc = check_header(d, err);
	if (rc != CH_OK)
		return rc;
	const uint8_t *h = d->map;
	d->fmt = DUMP_FMT_ELF;
	d->os = DUMP_OS_LINUX;
	d->ptr_size = 8;
	uint64_t phoff = rdr_le64(h + 0x20), shoff = rdr_le64(h + 0x28);
	uint64_t phentsize = rdr_le16(h + 0x36), phnum = rdr_le16(h + 0x38);
	if (phnum == PN_XNUM) {
		/* More than 65534 headers: the real count is in section 0. */
		if (!rdr_fits(d->len, shoff, 64))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: PN_XNUM program headers but section header 0 at 0x%llx is outside the file",
					    d->path, (unsigned long long)shoff);
		phnum = rdr_le32(h + shoff + 0x2c);
	}
	if (phentsize < PHDR_SIZE)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: program header size %llu is smaller than %u",
				    d->path, (unsigned long long)phentsize, PHDR_SIZE);
	if (phnum == 0)
		return ch_set_error(err, CH_ECORRUPT, "%s: ELF core with no program headers",
				    d->path);
	if (phoff > d->len || (d->len - phoff) / phentsize < phnum)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: %llu program headers at offset 0x%llx run past the end of the file (%zu bytes): truncated or corrupt",
				    d->path, (unsigned long long)phnum,
				    (unsigned long long)phoff, d->len);
	if (phnum > DUMP_MAX_RANGES)
		return ch_set_error(err, CH_ECORRUPT, "%s: %llu program headers is too many",
				    d->path, (unsigned long long)phnum);
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = h + phoff + i * phentsize;
		uint32_t type = rdr_le32(ph);
		uint64_t off = rdr_le64(ph + 8), va = rdr_le64(ph + 16);
		uint64_t filesz = rdr_le64(ph + 32);
		if (type == PT_LOAD && filesz) {
			struct dump_range *r = dump_add_range(d);
			if (!r)
				return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
			r->va = va;
			r->size = filesz;
			r->file_off = off;
		} else if (type == PT_NOTE) {
			if (!rdr_fits(d->len, off, filesz))
				return ch_set_error(err, CH_ECORRUPT,
						    "%s: PT_NOTE (%llu bytes at offset 0x%llx) runs past the end of the file (%zu bytes)",
						    d->path, (unsigned long long)filesz,
						    (unsigned long long)off, d->len);
			rc = parse_notes(d, h + off, (size_t)filesz, err);
			if (rc != CH_OK)
				return rc;
		}
	}
	rc = dump_fix_ranges(d, "PT_LOAD", err);
	if (rc == CH_OK && d->nt_file)
		rc = parse_nt_file(d, d->nt_file, d->nt_file_len, err);
	return rc;
}

const struct dump_ops dump_elf_ops = { "elf", parse };
