/* clr_method.c - methods: from a MethodDesc to its type, token and name,
 * and from a code address (a delegate's target) to its MethodDesc.
 *
 * A MethodDesc lies in a MethodDescChunk, right after the chunk's header,
 * at ChunkIndex * MethodDescAlignment; the chunk holds the MethodTable and
 * the high bits of the MethodDef token (FlagsAndTokenRange), the
 * MethodDesc the low bits (Flags3AndTokenRemainder): dotnet/runtime
 * docs/design/datacontracts/RuntimeTypeSystem.md. Layouts come from the
 * contract descriptor (.NET 9+) or, for .NET 8, from the table below.
 *
 * Precodes (src/coreclr/vm/precode.h, docs/design/datacontracts/
 * PrecodeStubs.md): a FixupPrecode or StubPrecode is code on one page
 * whose data (FixupPrecodeData, StubPrecodeData) is on the page that
 * follows, one code page further on. The code reads that data through
 * its own instructions, so the data's address is read from them: on x64
 * rip-relative (jmp [rip+d], mov r10,[rip+d]), on x86 absolute. */
#include "clr_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "md.h"
#include "rdr.h"

#define MD_CLASS_MASK 0x7u
#define MD_CLASS_INSTANTIATED 5u
#define MD_CLASS_ARRAY 4u
#define MD_CLASS_DYNAMIC 7u
#define IMD_KIND_MASK 0x7u
#define IMD_GENERIC_DEFINITION 1u /* its "arguments" are its own parameters */
#define MAX_METHOD_ARGS 64

/* .NET 8 (release/8.0 src/coreclr/vm/method.hpp, precode.h), x64 and x86
 * alike but for the pointer size: MethodDesc { u16
 * m_wFlags3AndTokenRemainder; u8 m_chunkIndex; u8 m_bFlags2; u16
 * m_wSlotNumber; u16 m_wFlags } (8 bytes); MethodDescChunk { MethodTable*
 * m_methodTable; MethodDescChunk* m_next; u8 m_size; u8 m_count; u16
 * m_flagsAndTokenRange }; METHOD_TOKEN_REMAINDER_BIT_COUNT 12;
 * InstantiatedMethodDesc : MethodDesc { union { DictionaryLayout*,
 * InstantiatedMethodDesc* }; Dictionary* m_pPerInstInfo; u16 m_wFlags2;
 * u16 m_wNumGenericArgs }; FixupPrecodeData { Target; MethodDesc*;
 * PrecodeFixupThunk }; StubPrecodeData { MethodDesc* (the secret
 * parameter); Target; BYTE Type }. Checked on the 8.0.31 fixtures: every
 * delegate's method named as ClrMD names it (tests/test_clr_method.c).
 * .NET 9's descriptor has the MethodDesc types but no precode ones; its
 * precodes are .NET 8's. */
static void table_layout(struct clr_mlayout *l, unsigned ps)
{
	l->md_flags3 = 0;
	l->md_chunk_index = 2;
	l->md_flags = 6;
	l->ch_mt = 0;
	l->ch_size = 2 * ps;
	l->ch_range = 2 * ps + 2;
	l->ch_size_of = 2 * ps + 4 + (ps == 8 ? 4 : 0);
	l->align = ps;
	l->rem_bits = 12;
	l->imd_perinst = 8 + ps;
	l->imd_flags2 = 8 + 2 * ps;
	l->imd_nargs = 8 + 2 * ps + 2;
}

static void precode_table(struct clr_mlayout *l, unsigned ps)
{
	l->fixup_md = ps;
	l->stub_secret = 0;
	l->stub_type = 2 * ps;
	/* precode.h: StubPrecode::Type is its first code byte (x64 mov r10,
	 * x86 mov eax); the P/Invoke import precode's is 5 */
	l->stub_type_val = ps == 8 ? 0x4c : 0xa1;
	l->pinvoke_type_val = 5;
}

static bool desc_off(const struct clr_desc *d, const char *t, const char *f, uint32_t *v)
{
	return clr_desc_offset(d, t, f, v);
}

/* A precode's code as PrecodeMachineDescriptor has it: <kind>Bytes, and
 * <kind>IgnoredBytes nonzero where the code varies. Returns its length,
 * 0 when absent or unreadable. */
static uint8_t template(struct clr *c, uint64_t at, const char *kind, const char *size_name,
		       uint8_t *code, uint8_t *ign)
{
	const struct clr_desc *d = c->desc;
	char bytes[32], ignored[40];
	uint32_t size_off, code_off, ign_off;
	uint8_t n;
	snprintf(bytes, sizeof bytes, "%sBytes", kind);
	snprintf(ignored, sizeof ignored, "%sIgnoredBytes", kind);
	if (!desc_off(d, "PrecodeMachineDescriptor", size_name, &size_off) ||
	    !desc_off(d, "PrecodeMachineDescriptor", bytes, &code_off) ||
	    !desc_off(d, "PrecodeMachineDescriptor", ignored, &ign_off) ||
	    as_read_image(c->a, at + size_off, &n, 1) != 1 || n == 0 || n > 32 ||
	    as_read_image(c->a, at + code_off, code, n) != n ||
	    as_read_image(c->a, at + ign_off, ign, n) != n)
		return 0;
	return n;
}

/* The descriptor's PrecodeMachineDescriptor (in PlatformMetadata, .NET
 * 10+): the code page size, the StubPrecode type byte, the templates. */
static void precode_machine(struct clr *c, struct clr_mlayout *l)
{
	uint64_t pm;
	uint32_t pmd, page_off, type_off, pinv_off;
	const struct clr_desc *d = c->desc;
	if (!clr_desc_global(d, "PlatformMetadata", &pm) || !pm ||
	    !desc_off(d, "PlatformMetadata", "PrecodeMachineDescriptor", &pmd) ||
	    !desc_off(d, "PrecodeMachineDescriptor", "StubCodePageSize", &page_off))
		return;
	uint8_t b[4];
	uint64_t at = pm + pmd;
	if (as_read_image(c->a, at + page_off, b, 4) == 4) {
		uint32_t page = rdr_le32(b);
		/* a power of two between 4 KB and 64 KB */
		if (page >= 0x1000 && page <= 0x10000 && (page & (page - 1)) == 0)
			l->page = page;
	}
	if (desc_off(d, "PrecodeMachineDescriptor", "StubPrecodeType", &type_off) &&
	    as_read_image(c->a, at + type_off, b, 1) == 1)
		l->stub_type_val = b[0];
	if (desc_off(d, "PrecodeMachineDescriptor", "PInvokeImportPrecodeType", &pinv_off) &&
	    as_read_image(c->a, at + pinv_off, b, 1) == 1)
		l->pinvoke_type_val = b[0];
	if (l->page) {
		l->fixup_len = template(c, at, "Fixup", "FixupStubPrecodeSize", l->fixup_code,
					l->fixup_ign);
		l->stub_len = template(c, at, "Stub", "StubPrecodeSize", l->stub_code, l->stub_ign);
	}
}

static bool desc_layout(struct clr *c, struct clr_mlayout *l)
{
	const struct clr_desc *d = c->desc;
	uint64_t align, bits;
	if (!desc_off(d, "MethodDesc", "Flags3AndTokenRemainder", &l->md_flags3) ||
	    !desc_off(d, "MethodDesc", "ChunkIndex", &l->md_chunk_index) ||
	    !desc_off(d, "MethodDesc", "Flags", &l->md_flags) ||
	    !clr_desc_size(d, "MethodDescChunk", &l->ch_size_of) ||
	    !desc_off(d, "MethodDescChunk", "MethodTable", &l->ch_mt) ||
	    !desc_off(d, "MethodDescChunk", "Size", &l->ch_size) ||
	    !desc_off(d, "MethodDescChunk", "FlagsAndTokenRange", &l->ch_range) ||
	    !clr_desc_global(d, "MethodDescAlignment", &align) ||
	    !clr_desc_global(d, "MethodDescTokenRemainderBitCount", &bits) ||
	    align == 0 || align > 64 || (align & (align - 1)) || bits == 0 || bits > 23)
		return false;
	l->align = (uint32_t)align;
	l->rem_bits = (uint32_t)bits;
	if (!desc_off(d, "InstantiatedMethodDesc", "PerInstInfo", &l->imd_perinst) ||
	    !desc_off(d, "InstantiatedMethodDesc", "Flags2", &l->imd_flags2) ||
	    !desc_off(d, "InstantiatedMethodDesc", "NumGenericArgs", &l->imd_nargs))
		l->imd_perinst = 0; /* generic methods named without arguments */
	precode_table(l, c->ps);
	uint32_t v;
	if (desc_off(d, "FixupPrecodeData", "MethodDesc", &v))
		l->fixup_md = v;
	if (desc_off(d, "StubPrecodeData", "SecretParam", &v) ||
	    desc_off(d, "StubPrecodeData", "MethodDesc", &v))
		l->stub_secret = v;
	if (desc_off(d, "StubPrecodeData", "Type", &v))
		l->stub_type = v;
	precode_machine(c, l);
	return true;
}

/* The layouts, found once. NULL when this runtime's are unknown. */
static const struct clr_mlayout *layout(struct clr *c)
{
	pthread_mutex_lock(&c->lock);
	struct clr_mlayout *l = &c->ml;
	if (!l->done) {
		if (c->desc && clr_desc_contract(c->desc, "RuntimeTypeSystem") >= 0) {
			l->ok = desc_layout(c, l);
		} else if (c->rt.major == 8 && c->rt.flavor == CLR_FLAVOR_CORE) {
			table_layout(l, c->ps);
			precode_table(l, c->ps);
			l->ok = true;
		}
		l->done = true;
	}
	pthread_mutex_unlock(&c->lock);
	return l->ok ? l : NULL;
}

/* ---- MethodDesc ---- */

/* True when MethodDef rid is one of the methods of TypeDef type_rid. With
 * a MethodPtr table (uncompressed metadata) list positions are not rids:
 * then only the range of the table is checked. */
static bool owns_method(const struct md *md, uint32_t type_rid, uint32_t rid)
{
	if (md_rows(md, MD_TBL_METHODPTR))
		return true;
	struct md_typedef td;
	return md_typedef(md, type_rid, &td) == CH_OK && rid >= td.method_first &&
	       rid - td.method_first < td.method_count;
}

enum ch_status clr_method_read(struct clr *c, uint64_t md, struct clr_method *out,
			       struct ch_err *err)
{
	memset(out, 0, sizeof *out);
	const struct clr_mlayout *l = layout(c);
	if (!l)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "this runtime's MethodDesc layout is not known");
	uint8_t h[8], ch[64];
	if (!md || md % l->align != 0 || as_read(c->a, md, h, sizeof h) != sizeof h ||
	    l->md_flags3 > sizeof h - 2 || l->md_chunk_index > sizeof h - 1 ||
	    l->md_flags > sizeof h - 2)
		return ch_set_error(err, CH_ECORRUPT, "0x%" PRIx64 " is not a readable MethodDesc", md);
	uint16_t flags3 = rdr_le16(h + l->md_flags3), flags = rdr_le16(h + l->md_flags);
	uint64_t back = (uint64_t)h[l->md_chunk_index] * l->align + l->ch_size_of;
	if (md < back || l->ch_size_of > sizeof ch || l->ch_mt > l->ch_size_of - c->ps ||
	    l->ch_size > l->ch_size_of - 1 || l->ch_range > l->ch_size_of - 2)
		return ch_set_error(err, CH_ECORRUPT, "MethodDesc 0x%" PRIx64 ": bad chunk index", md);
	uint64_t chunk = md - back;
	if (as_read(c->a, chunk, ch, l->ch_size_of) != l->ch_size_of)
		return ch_set_error(err, CH_ECORRUPT,
				    "MethodDesc 0x%" PRIx64 ": its chunk is not readable", md);
	/* the MethodDesc lies inside its chunk's (Size + 1) units */
	if (h[l->md_chunk_index] > ch[l->ch_size])
		return ch_set_error(err, CH_ECORRUPT,
				    "MethodDesc 0x%" PRIx64 ": index past its chunk", md);
	uint64_t mt = c->ps == 8 ? rdr_le64(ch + l->ch_mt) : rdr_le32(ch + l->ch_mt);
	const struct clr_type *t = mt ? clr_type_of(c, mt, NULL) : NULL;
	if (!t || t->kind == CLR_KIND_FREE || t->mt != mt)
		return ch_set_error(err, CH_ECORRUPT,
				    "MethodDesc 0x%" PRIx64 ": its chunk's MethodTable is not a type", md);
	out->md = md;
	out->mt = mt;
	out->type = t;
	out->kind = flags & MD_CLASS_MASK;
	if (out->kind == MD_CLASS_ARRAY || out->kind == MD_CLASS_DYNAMIC)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "MethodDesc 0x%" PRIx64 " has no metadata", md);
	uint32_t rem_mask = (1u << l->rem_bits) - 1, range_mask = 0xffffffu >> l->rem_bits;
	uint32_t rid = ((uint32_t)(rdr_le16(ch + l->ch_range) & range_mask) << l->rem_bits) |
		       (flags3 & rem_mask);
	out->token = 0x06000000u | rid;
	const struct md *m = clr_module_md(c, t->module);
	if (!m)
		return ch_set_error(err, CH_ENOTFOUND,
				    "MethodDesc 0x%" PRIx64 ": the metadata of %s is not readable",
				    md, t->module_name ? t->module_name : "its module");
	uint32_t sidx;
	if (t->token >> 24 != MD_TBL_TYPEDEF || rid == 0 || rid > md_rows(m, MD_TBL_METHODDEF) ||
	    !owns_method(m, t->token & 0xffffff, rid) || !md_cell(m, MD_TBL_METHODDEF, rid, 3, &sidx) ||
	    !md_string_valid(m, sidx))
		return ch_set_error(err, CH_ECORRUPT,
				    "MethodDesc 0x%" PRIx64 ": token 0x%08" PRIx32 " is not a method of %s",
				    md, out->token, t->name);
	out->name = md_string(m, sidx);
	return CH_OK;
}

/* Appends "<A, B>" for a generic method's instantiation (none for the
 * generic method definition, whose arguments are its own parameters). */
static void method_args(struct clr *c, const struct clr_mlayout *l, uint64_t md,
			struct clr_sb *b)
{
	uint8_t f[4];
	uint64_t dict;
	if (!l->imd_perinst || as_read(c->a, md + l->imd_flags2, f, 2) != 2 ||
	    (rdr_le16(f) & IMD_KIND_MASK) == IMD_GENERIC_DEFINITION ||
	    as_read(c->a, md + l->imd_nargs, f + 2, 2) != 2 ||
	    !clr_rdptr(c, md + l->imd_perinst, &dict) || !dict)
		return;
	unsigned n = rdr_le16(f + 2);
	if (n == 0 || n > MAX_METHOD_ARGS)
		return;
	char arg[512];
	clr_sb_put(b, "<", 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t th;
		if (!clr_rdptr(c, dict + (uint64_t)i * c->ps, &th) ||
		    !clr_th_name(c, th, arg, sizeof arg))
			snprintf(arg, sizeof arg, "?");
		if (i)
			clr_sb_put(b, ", ", 2);
		clr_sb_str(b, arg);
	}
	clr_sb_put(b, ">", 1);
}

bool clr_method_name(struct clr *c, uint64_t md, char *buf, size_t size)
{
	struct clr_method m;
	if (size)
		buf[0] = '\0';
	if (clr_method_read(c, md, &m, NULL) != CH_OK || !size)
		return false;
	struct clr_sb b = { buf, 0, size };
	clr_sb_str(&b, m.type->name);
	clr_sb_put(&b, ".", 1);
	clr_sb_str(&b, m.name);
	if (m.kind == MD_CLASS_INSTANTIATED)
		method_args(c, layout(c), md, &b);
	return true;
}

/* ---- precodes ---- */

/* The MethodDesc of the precode whose data page is at data: a
 * FixupPrecode's (fixup) or a StubPrecode's of the method kind. */
static uint64_t precode_md(struct clr *c, const struct clr_mlayout *l, uint64_t data,
			   bool fixup)
{
	uint64_t md;
	if (fixup)
		return clr_rdptr(c, data + l->fixup_md, &md) ? md : 0;
	uint8_t type;
	if (as_read(c->a, data + l->stub_type, &type, 1) != 1 ||
	    (type != l->stub_type_val && type != l->pinvoke_type_val))
		return 0;
	return clr_rdptr(c, data + l->stub_secret, &md) ? md : 0;
}

static bool checked(struct clr *c, uint64_t md)
{
	struct clr_method m;
	return md && clr_method_read(c, md, &m, NULL) == CH_OK;
}

/* Where a precode's instructions say its data is: x64 FixupPrecode "jmp
 * [rip+d]; mov r10,[rip+d]" reads its Target (the data page's start),
 * StubPrecode "mov r10,[rip+d]; jmp [rip+d]" its secret parameter; x86
 * the same with absolute addresses (jmp [a]; mov eax,[a] / mov eax,[a];
 * jmp [a]). Returns the data page, 0 when the bytes are neither. */
static uint64_t precode_data(struct clr *c, const struct clr_mlayout *l, uint64_t ip,
			     const uint8_t *k, bool *fixup)
{
	uint64_t data = 0;
	if (c->ps == 8 && k[0] == 0xff && k[1] == 0x25 && k[6] == 0x4c && k[7] == 0x8b &&
	    k[8] == 0x15) {
		*fixup = true;
		data = ip + 6 + (uint64_t)(int64_t)(int32_t)rdr_le32(k + 2);
	} else if (c->ps == 8 && k[0] == 0x4c && k[1] == 0x8b && k[2] == 0x15 && k[7] == 0xff &&
		   k[8] == 0x25) {
		*fixup = false;
		data = ip + 7 + (uint64_t)(int64_t)(int32_t)rdr_le32(k + 3) - l->stub_secret;
	} else if (c->ps == 4 && k[0] == 0xff && k[1] == 0x25 && k[6] == 0xa1) {
		*fixup = true;
		data = rdr_le32(k + 2);
	} else if (c->ps == 4 && k[0] == 0xa1 && k[5] == 0xff && k[6] == 0x25) {
		*fixup = false;
		data = (uint64_t)rdr_le32(k + 1) - l->stub_secret;
	}
	/* the data page follows the code page: one page on */
	uint64_t d = data - ip;
	if (!data || data < ip || d < 0x1000 || d > 0x10000 || (l->page && d != l->page))
		return 0;
	return data;
}

static bool matches(const uint8_t *k, const uint8_t *code, const uint8_t *ign, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!ign[i] && k[i] != code[i])
			return false;
	return true;
}

uint64_t clr_method_from_code(struct clr *c, uint64_t ip)
{
	const struct clr_mlayout *l = layout(c);
	if (!l || !ip)
		return 0;
	uint8_t k[32];
	bool fixup = false;
	if (l->fixup_len && l->stub_len && as_read(c->a, ip, k, sizeof k) == sizeof k) {
		/* the descriptor's templates: any architecture */
		uint64_t md = 0;
		if (matches(k, l->stub_code, l->stub_ign, l->stub_len))
			md = precode_md(c, l, ip + l->page, false);
		else if (matches(k, l->fixup_code, l->fixup_ign, l->fixup_len))
			md = precode_md(c, l, ip + l->page, true);
		return checked(c, md) ? md : 0;
	}
	if (as_read(c->a, ip, k, 16) == 16) {
		uint64_t data = precode_data(c, l, ip, k, &fixup);
		uint64_t md = data ? precode_md(c, l, data, fixup) : 0;
		return checked(c, md) ? md : 0;
	}
	/* The code page is not in the dump: where the page size is known,
	 * the data page may still be; only a MethodDesc that checks out
	 * counts. */
	if (!l->page)
		return 0;
	uint64_t md = precode_md(c, l, ip + l->page, true);
	if (checked(c, md))
		return md;
	md = precode_md(c, l, ip + l->page, false);
	return checked(c, md) ? md : 0;
}

uint64_t clr_code_start(struct clr *c, uint64_t ip, uint64_t md)
{
	unsigned ps = c->ps;
	if (!ip || !md || ip < CLR_CODE_SCAN)
		return 0;
	/* code starts are instruction-aligned (4 bytes at least); a header
	 * is allocated pointer-aligned */
	for (uint64_t x = ip & ~(uint64_t)3; ip - x < CLR_CODE_SCAN; x -= 4) {
		uint64_t hdr, v;
		if (!as_ptrv(c->a, x - ps, &hdr))
			break; /* the code's page ends here */
		if (hdr && !(hdr & (ps - 1)) && as_ptrv(c->a, hdr + 3 * (uint64_t)ps, &v) && v == md)
			return x;
	}
	return clr_r2r_code_start(c, ip, md);
}

uint64_t clr_delegate_method(struct clr *c, uint64_t method_ptr, uint64_t method_ptr_aux)
{
	uint64_t md = clr_method_from_code(c, method_ptr);
	return md ? md : clr_method_from_code(c, method_ptr_aux);
}
