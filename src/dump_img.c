/* dump_img.c - a module file opened as a dump that holds none of its
 * memory (dump_open_image): one module, no ranges, no threads. Every read
 * of the module then goes to the file itself through the address space,
 * so the code that reads a runtime in a dump reads the runtime file the
 * same way (clr_facts.c extracts built-in facts with it).
 *
 * ELF64 shared objects (little-endian x86_64, aarch64) and PE32/PE32+
 * images. Only the headers are parsed here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_priv.h"

#define ELF_BASE 0x10000000000ull /* any page-aligned base far from 0 */
#define MAX_PHNUM 1024

static enum ch_status add_module(struct dump *d, uint64_t base, uint64_t size,
				 struct ch_err *err)
{
	struct dump_module *m = dump_add_module(d);
	if (!m || !dump_set_module_path(m, d->path, strlen(d->path)) ||
	    !(m->segs = calloc(1, sizeof *m->segs)))
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
	m->base = base;
	m->size = size;
	m->segs[0] = (struct dump_segment){ base, size, 0 };
	m->nsegs = 1;
	m->image_file = true;
	return CH_OK;
}

static enum ch_status parse_elf(struct dump *d, struct ch_err *err)
{
	const uint8_t *f = d->map;
	size_t len = d->len;
	if (len < 64 || f[4] != 2 || f[5] != 1)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: not a 64-bit little-endian ELF file", d->path);
	unsigned type = rdr_le16(f + 16), mach = rdr_le16(f + 18);
	if (type != 3)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: an ELF file of type %u, not a shared object", d->path, type);
	d->arch = mach == 62 ? DUMP_ARCH_X86_64 : mach == 183 ? DUMP_ARCH_ARM64 :
		  DUMP_ARCH_UNKNOWN;
	if (d->arch == DUMP_ARCH_UNKNOWN)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: ELF machine %u is not x86_64 or aarch64", d->path, mach);
	d->os = DUMP_OS_LINUX;
	d->ptr_size = 8;
	uint64_t phoff = rdr_le64(f + 0x20), end = 0;
	unsigned phentsize = rdr_le16(f + 0x36), phnum = rdr_le16(f + 0x38);
	if (phentsize < 56 || phnum == 0 || phnum > MAX_PHNUM || phoff > len ||
	    (len - phoff) / phentsize < phnum)
		return ch_set_error(err, CH_ECORRUPT, "%s: bad ELF program headers", d->path);
	const uint8_t *note = NULL;
	uint64_t note_n = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + (size_t)i * phentsize;
		uint32_t pt = rdr_le32(ph);
		uint64_t off = rdr_le64(ph + 8), va = rdr_le64(ph + 16);
		uint64_t filesz = rdr_le64(ph + 32), memsz = rdr_le64(ph + 40);
		if (pt == 1 && memsz <= UINT64_MAX - va && va + memsz > end)
			end = va + memsz;
		if (pt == 4 && !note && off <= len && filesz <= len - off) {
			note = f + off;
			note_n = filesz;
		}
	}
	if (end == 0 || end > (1ull << 40))
		return ch_set_error(err, CH_ECORRUPT, "%s: ELF file with nothing to load", d->path);
	enum ch_status rc = add_module(d, ELF_BASE, (end + 0xfff) & ~0xfffull, err);
	if (rc == CH_OK && note)
		d->mods[0].build_id_len = rdr_gnu_build_id(note, (size_t)note_n, d->mods[0].build_id,
							   sizeof d->mods[0].build_id);
	return rc;
}

static enum ch_status parse_pe(struct dump *d, struct ch_err *err)
{
	const uint8_t *f = d->map;
	size_t len = d->len;
	uint32_t lfanew = len >= 0x40 ? rdr_le32(f + 0x3c) : 0;
	if (len < 0x40 || lfanew > len || len - lfanew < 24 + 96 ||
	    memcmp(f + lfanew, "PE\0\0", 4) != 0)
		return ch_set_error(err, CH_EFORMAT, "%s: an MZ file without a PE header", d->path);
	const uint8_t *coff = f + lfanew + 4, *opt = coff + 20;
	unsigned mach = rdr_le16(coff), magic = rdr_le16(opt);
	d->arch = mach == 0x8664 ? DUMP_ARCH_X86_64 : mach == 0x14c ? DUMP_ARCH_X86 :
		  mach == 0xaa64 ? DUMP_ARCH_ARM64 : DUMP_ARCH_UNKNOWN;
	if (d->arch == DUMP_ARCH_UNKNOWN || (magic != 0x10b && magic != 0x20b))
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: PE machine 0x%x / optional header 0x%x is not one this reads",
				    d->path, mach, magic);
	d->os = DUMP_OS_WINDOWS;
	d->ptr_size = magic == 0x20b ? 8 : 4;
	uint64_t base = magic == 0x20b ? rdr_le64(opt + 24) : rdr_le32(opt + 28);
	uint32_t size = rdr_le32(opt + 56);
	if (size == 0 || base > UINT64_MAX - size)
		return ch_set_error(err, CH_ECORRUPT, "%s: bad PE image base or size", d->path);
	enum ch_status rc = add_module(d, base, size, err);
	if (rc == CH_OK) {
		d->mods[0].pe_timestamp = rdr_le32(coff + 4);
		d->mods[0].pe_size = size;
	}
	return rc;
}

static enum ch_status parse(struct dump *d, struct ch_err *err)
{
	d->fmt = DUMP_FMT_IMAGE;
	if (d->len >= 4 && memcmp(d->map, "\x7f" "ELF", 4) == 0)
		return parse_elf(d, err);
	if (d->len >= 2 && d->map[0] == 'M' && d->map[1] == 'Z')
		return parse_pe(d, err);
	return ch_set_error(err, CH_EFORMAT, "%s: not an ELF shared object or a PE image",
			    d->path);
}

const struct dump_ops dump_img_ops = { "image", parse };
