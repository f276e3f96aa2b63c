/* md_pe.c - the PE/COFF headers of a managed image, and the CLI header.
 *
 * Layouts (PE/COFF spec, ECMA-335 II.25): DOS header with e_lfanew at 0x3c;
 * "PE\0\0"; the 20-byte file header; the optional header (magic 0x10b for
 * PE32, 0x20b for PE32+) ending in the data directories; the section
 * table. Data directory 14 is the CLI header, whose MetaData field gives
 * the metadata root. */
#include "md.h"
#include "rdr.h"

#define PE_DOS_MAGIC 0x5a4du /* "MZ" */
#define PE_SIGNATURE 0x00004550u /* "PE\0\0" */
#define PE_OPT_PE32 0x10bu
#define PE_OPT_PE32PLUS 0x20bu
#define PE_DIR_CLI 14u
#define PE_SECTION_SIZE 40u
#define CLI_HEADER_MIN 24u /* cb .. Flags: all we read */

static const char *nm(const char *name)
{
	return name && *name ? name : "image";
}

/* Mapped layout: an RVA is the offset. File layout: headers sit at their
 * RVA, section bytes at PointerToRawData + (rva - VirtualAddress). */
bool md_pe_rva_to_off(const struct md_pe *pe, uint32_t rva, uint32_t n,
		      size_t *off)
{
	if (!pe || !pe->valid)
		return false;
	if (pe->mapped) {
		if (!rdr_fits(pe->len, rva, n))
			return false;
		*off = rva;
		return true;
	}
	for (unsigned i = 0; i < pe->nsections; i++) {
		const struct md_pe_section *s = &pe->sect[i];
		if (rva < s->va)
			continue;
		uint32_t in = rva - s->va;
		/* Bytes in the file: the raw size, cut to the virtual size
		 * when that is smaller (the loader maps no more). */
		uint32_t have = s->raw_size;
		if (s->vsize && s->vsize < have)
			have = s->vsize;
		uint32_t span = s->vsize > s->raw_size ? s->vsize : s->raw_size;
		if (in >= span)
			continue;
		if (in > have || have - in < n)
			return false; /* zero-filled tail: not in the file */
		uint64_t o = (uint64_t)s->raw_off + in;
		if (!rdr_fits(pe->len, o, n))
			return false;
		*off = (size_t)o;
		return true;
	}
	/* File layout outside every section: the headers map at their own
	 * offsets. */
	if (rva < pe->size_of_headers && pe->size_of_headers - rva >= n &&
	    rdr_fits(pe->len, rva, n)) {
		*off = rva;
		return true;
	}
	return false;
}

enum ch_status md_pe_parse_headers(const uint8_t *img, size_t len,
				   bool mapped, uint64_t image_len,
				   const char *name, struct md_pe *out,
				   struct ch_err *err)
{
	memset(out, 0, sizeof(*out));
	struct rdr r = rdr_make(img, len);
	if (len < 0x40 || rdr_le16(img) != PE_DOS_MAGIC)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: not a PE image (no MZ header)",
				    nm(name));
	rdr_seek(&r, 0x3c);
	uint32_t lfanew = rdr_u32(&r);
	rdr_seek(&r, lfanew);
	uint32_t sig = rdr_u32(&r);
	if (r.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: PE header offset 0x%x lies past the "
				    "end (%zu bytes)", nm(name), lfanew, len);
	if (sig != PE_SIGNATURE)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: no PE signature at 0x%x", nm(name),
				    lfanew);
	out->machine = rdr_u16(&r);
	uint16_t nsect = rdr_u16(&r);
	out->timestamp = rdr_u32(&r);
	rdr_skip(&r, 8); /* symbol table pointer and count */
	uint16_t optsz = rdr_u16(&r);
	rdr_skip(&r, 2); /* characteristics */
	size_t opt = r.off;
	struct rdr o = rdr_sub(&r, opt, optsz);
	if (r.bad || o.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: optional header (%u bytes at 0x%zx) "
				    "runs past the end (%zu bytes)", nm(name),
				    optsz, opt, len);
	uint16_t magic = rdr_u16(&o);
	size_t dirs_at;
	if (magic == PE_OPT_PE32) {
		rdr_seek(&o, 28);
		out->image_base = rdr_u32(&o);
		dirs_at = 96;
	} else if (magic == PE_OPT_PE32PLUS) {
		rdr_seek(&o, 24);
		out->image_base = rdr_u64(&o);
		out->is_pe32plus = true;
		dirs_at = 112;
	} else {
		return ch_set_error(err, CH_EFORMAT,
				    "%s: unknown optional header magic 0x%x",
				    nm(name), magic);
	}
	rdr_seek(&o, 56);
	out->size_of_image = rdr_u32(&o);
	out->size_of_headers = rdr_u32(&o);
	rdr_seek(&o, dirs_at - 4);
	uint32_t ndirs = rdr_u32(&o);
	if (o.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: optional header too short (%u bytes)",
				    nm(name), optsz);
	if (ndirs <= PE_DIR_CLI)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: no CLI header (only %u data "
				    "directories): not a managed image",
				    nm(name), ndirs);
	rdr_seek(&o, dirs_at + 8 * PE_DIR_CLI);
	out->cli_rva = rdr_u32(&o);
	out->cli_size = rdr_u32(&o);
	if (o.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: data directories run past the "
				    "optional header (%u bytes)", nm(name),
				    optsz);
	if (out->cli_rva == 0)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: no CLI header: not a managed image",
				    nm(name));
	if (nsect > MD_PE_MAX_SECTIONS)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: %u sections (at most %u allowed)",
				    nm(name), nsect, MD_PE_MAX_SECTIONS);
	struct rdr s = rdr_sub(&r, (uint64_t)opt + optsz,
			       (uint64_t)nsect * PE_SECTION_SIZE);
	if (s.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: section table (%u entries) runs past "
				    "the end", nm(name), nsect);
	for (unsigned i = 0; i < nsect; i++) {
		struct md_pe_section *sc = &out->sect[i];
		rdr_skip(&s, 8); /* name */
		sc->vsize = rdr_u32(&s);
		sc->va = rdr_u32(&s);
		sc->raw_size = rdr_u32(&s);
		sc->raw_off = rdr_u32(&s);
		rdr_skip(&s, 16); /* relocations, line numbers, flags */
	}
	out->nsections = nsect;
	out->mapped = mapped;
	out->len = image_len > SIZE_MAX ? SIZE_MAX : (size_t)image_len;
	out->valid = true;
	return CH_OK;
}

enum ch_status md_pe_parse(const uint8_t *img, size_t len, bool mapped,
			   const char *name, struct md_pe *out,
			   struct ch_err *err)
{
	enum ch_status st = md_pe_parse_headers(img, len, mapped, len, name,
						out, err);
	if (st != CH_OK)
		return st;
	struct rdr r = rdr_make(img, len);
	size_t cli;
	if (out->cli_size < CLI_HEADER_MIN ||
	    !md_pe_rva_to_off(out, out->cli_rva, CLI_HEADER_MIN, &cli)) {
		out->valid = false;
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: CLI header (rva 0x%x, %u bytes) is "
				    "not inside the %s image", nm(name),
				    out->cli_rva, out->cli_size,
				    mapped ? "mapped" : "file");
	}
	struct rdr c = rdr_sub(&r, cli, CLI_HEADER_MIN);
	rdr_skip(&c, 8); /* cb, runtime version */
	out->md_rva = rdr_u32(&c);
	out->md_size = rdr_u32(&c);
	out->cor_flags = rdr_u32(&c);
	size_t mdo;
	if (out->md_size == 0 ||
	    !md_pe_rva_to_off(out, out->md_rva, out->md_size, &mdo)) {
		out->valid = false;
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: metadata (rva 0x%x, %u bytes) is not "
				    "inside the %s image", nm(name),
				    out->md_rva, out->md_size,
				    mapped ? "mapped" : "file");
	}
	return CH_OK;
}
