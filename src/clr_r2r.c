/* clr_r2r.c - where ahead-of-time (ReadyToRun) code starts, from the image
 * itself: jitted code has a CodeHeader before it (clr_code_start), R2R
 * code a RUNTIME_FUNCTION in the image's table instead.
 *
 * Layouts (src/coreclr/inc/readytorun.h, pal/inc/rt/ntimage.h): the CLI
 * header's ManagedNativeHeader (offset 64) points to READYTORUN_HEADER:
 * u32 signature "RTR", u16 major, u16 minor, u32 flags, u32 section count,
 * then {u32 type, u32 rva, u32 size} sections. RuntimeFunctions (102) is
 * {u32 begin, u32 end, u32 unwind} on x64, {u32 begin, u32 unwind} on the
 * others, sorted by begin. A method's funclets (catch, finally) are
 * runtime functions of their own after its main body; MethodDefEntryPoints
 * (103), a NativeArray indexed by MethodDef rid - 1, gives the main body's
 * index for non-generic methods. Offsets are RVAs: the image runs in the
 * loader's (mapped) layout. */
#include "clr_priv.h"

#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "rdr.h"

#define R2R_SIGNATURE 0x00525452u
#define R2R_SEC_RUNTIME_FUNCTIONS 102u
#define R2R_SEC_METHODDEF_ENTRYPOINTS 103u
#define R2R_FLAG_COMPONENT 0x20u /* code in a composite image elsewhere */
#define R2R_MAX_SECTIONS 64u
#define R2R_MAX_IMAGES 256u
#define R2R_MAX_FUNCLETS 256u    /* runtime functions after a main body */
#define CLI_NATIVE_HEADER 64u
#define MACHINE_AMD64 0x8664u
#define MACHINE_ARM64 0xaa64u

struct clr_r2r {
	uint64_t base;
	bool ok;
	struct md_pe pe;
	uint32_t rf_rva, rf_count, rf_size; /* the RUNTIME_FUNCTION table */
	uint32_t ep_rva, ep_size;           /* MethodDefEntryPoints */
};

/* The tables sit in the image's writable data (beside the import cells
 * the loader fills), which a heap dump may leave out; they never change
 * after load, so the file's bytes serve (as_read_image). */
static bool rd(struct clr *c, const struct clr_r2r *r, uint32_t rva, void *buf, uint32_t n)
{
	size_t off;
	return md_pe_rva_to_off(&r->pe, rva, n, &off) && as_read_image(c->a, r->base + off, buf, n) == n;
}

static bool rd32(struct clr *c, const struct clr_r2r *r, uint32_t rva, uint32_t *v)
{
	uint8_t b[4];
	if (!rd(c, r, rva, b, 4))
		return false;
	*v = rdr_le32(b);
	return true;
}

/* The machine a ReadyToRun image's header names: the real one xor'ed with
 * an OS value (Linux, Apple, FreeBSD, NetBSD; Windows none). */
static uint32_t rf_size(uint16_t machine)
{
	static const uint16_t os[] = { 0, 0x7b79, 0x4644, 0xadc4, 0x1993 };
	for (size_t i = 0; i < sizeof os / sizeof os[0]; i++) {
		uint16_t m = machine ^ os[i];
		if (m == MACHINE_AMD64)
			return 12;
		if (m == MACHINE_ARM64)
			return 8;
	}
	return 0;
}

static void load(struct clr *c, struct clr_r2r *r, uint64_t size)
{
	uint8_t hdr[4096], cli[72], rh[16];
	struct ch_err err = { 0 };
	size_t got = as_read(c->a, r->base, hdr, sizeof hdr);
	if (md_pe_parse_headers(hdr, got, true, size, NULL, &r->pe, &err) != CH_OK ||
	    !rd(c, r, r->pe.cli_rva, cli, sizeof cli))
		return;
	uint32_t nh = rdr_le32(cli + CLI_NATIVE_HEADER);
	uint32_t nsec;
	if (!nh || !rd(c, r, nh, rh, sizeof rh) || rdr_le32(rh) != R2R_SIGNATURE ||
	    (rdr_le32(rh + 8) & R2R_FLAG_COMPONENT) || (nsec = rdr_le32(rh + 12)) > R2R_MAX_SECTIONS)
		return;
	r->rf_size = rf_size(r->pe.machine);
	for (uint32_t i = 0; i < nsec && r->rf_size; i++) {
		uint8_t s[12];
		if (!rd(c, r, nh + 16 + 12 * i, s, sizeof s))
			return;
		uint32_t type = rdr_le32(s), rva = rdr_le32(s + 4), len = rdr_le32(s + 8);
		if (type == R2R_SEC_RUNTIME_FUNCTIONS) {
			r->rf_rva = rva;
			r->rf_count = len / r->rf_size;
		} else if (type == R2R_SEC_METHODDEF_ENTRYPOINTS) {
			r->ep_rva = rva;
			r->ep_size = len;
		}
	}
	r->ok = r->rf_count > 0;
}

/* The image at base, read once (NULL: out of memory or too many). */
static const struct clr_r2r *image(struct clr *c, uint64_t base, uint64_t size)
{
	pthread_mutex_lock(&c->lock);
	struct clr_r2r *r = NULL;
	for (size_t i = 0; i < c->nr2r && !r; i++)
		if (c->r2r[i]->base == base)
			r = c->r2r[i];
	if (!r && c->nr2r < R2R_MAX_IMAGES) {
		struct clr_r2r **grown = realloc(c->r2r, (c->nr2r + 1) * sizeof *grown);
		if (grown) {
			c->r2r = grown;
			r = calloc(1, sizeof *r);
			if (r) {
				r->base = base;
				load(c, r, size);
				c->r2r[c->nr2r++] = r;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void clr_r2r_free(struct clr *c)
{
	for (size_t i = 0; i < c->nr2r; i++)
		free(c->r2r[i]);
	free(c->r2r);
	c->r2r = NULL;
	c->nr2r = 0;
}

/* NativeFormat's variable-length unsigned at *rva (nativeformatreader.h):
 * the low bits of the first byte say how many bytes follow. */
static bool nf_unsigned(struct clr *c, const struct clr_r2r *r, uint32_t *rva, uint32_t *v)
{
	uint8_t b[5];
	if (!rd(c, r, *rva, b, 1))
		return false;
	unsigned n = (b[0] & 1) == 0 ? 1 : (b[0] & 2) == 0 ? 2 : (b[0] & 4) == 0 ? 3
		   : (b[0] & 8) == 0 ? 4 : (b[0] & 16) == 0 ? 5 : 0;
	if (!n || (n > 1 && !rd(c, r, *rva + 1, b + 1, n - 1)))
		return false;
	switch (n) {
	case 1: *v = b[0] >> 1; break;
	case 2: *v = (uint32_t)b[0] >> 2 | (uint32_t)b[1] << 6; break;
	case 3: *v = (uint32_t)b[0] >> 3 | (uint32_t)b[1] << 5 | (uint32_t)b[2] << 13; break;
	case 4: *v = (uint32_t)b[0] >> 4 | (uint32_t)b[1] << 4 | (uint32_t)b[2] << 12 |
		     (uint32_t)b[3] << 20; break;
	default: *v = rdr_le32(b + 1); break;
	}
	*rva += n;
	return true;
}

/* Element i of the NativeArray at r->ep_rva: blocks of 16 elements, each
 * a little tree of offsets (NativeArray::TryGetAt). */
static bool nf_array_at(struct clr *c, const struct clr_r2r *r, uint32_t i, uint32_t *out)
{
	uint32_t base = r->ep_rva, hdr, off;
	if (!nf_unsigned(c, r, &base, &hdr) || i >= hdr >> 2)
		return false;
	unsigned isz = hdr & 3, w = isz == 0 ? 1 : isz == 1 ? 2 : 4;
	uint8_t b[4] = { 0 };
	if (isz > 2 || !rd(c, r, base + w * (i / 16), b, w))
		return false;
	off = base + (w == 1 ? b[0] : w == 2 ? (uint32_t)rdr_le16(b) : rdr_le32(b));
	for (uint32_t bit = 8; bit > 0; bit >>= 1) {
		uint32_t v, next = off;
		if (!nf_unsigned(c, r, &next, &v))
			return false;
		if ((i & bit) && (v & 2)) {
			off += v >> 2;
			continue;
		}
		if (!(i & bit) && (v & 1)) {
			off = next;
			continue;
		}
		if ((v & 3) == 0 && (v >> 2) == (i & 15)) {
			off = next;
			break;
		}
		return false;
	}
	*out = off;
	return true;
}

/* The runtime function MethodDef rid's main body starts (false: none). */
static bool entry_point(struct clr *c, const struct clr_r2r *r, uint32_t rid, uint32_t *index)
{
	uint32_t off, id;
	if (!rid || !r->ep_size || !nf_array_at(c, r, rid - 1, &off) || !nf_unsigned(c, r, &off, &id))
		return false;
	id = id & 1 ? id >> 2 : id >> 1; /* bit 0: fixups precede (not needed here) */
	if (id >= r->rf_count)
		return false;
	*index = id;
	return true;
}

/* The md's MethodDef rid when its module's image is r's, else 0. */
static uint32_t own_rid(struct clr *c, const struct clr_r2r *r, uint64_t md)
{
	struct clr_method m;
	struct ch_err e = { 0 };
	if (!md || clr_method_read(c, md, &m, &e) != CH_OK || !m.type || !m.type->module)
		return 0;
	pthread_mutex_lock(&c->lock);
	struct clr_module *mod = clr_module_get(c, m.type->module);
	bool same = mod && mod->base == r->base;
	pthread_mutex_unlock(&c->lock);
	return same && m.token >> 24 == 0x06 ? m.token & 0xffffff : 0;
}

uint64_t clr_r2r_code_start(struct clr *c, uint64_t ip, uint64_t md)
{
	size_t n;
	const struct dump_module *dm = dump_modules(as_dump(c->a), &n), *hold = NULL;
	for (size_t i = 0; i < n && !hold; i++)
		if (ip >= dm[i].base && ip - dm[i].base < dm[i].size)
			hold = &dm[i];
	if (!hold || ip - hold->base > UINT32_MAX)
		return 0;
	const struct clr_r2r *r = image(c, hold->base, hold->size);
	if (!r || !r->ok)
		return 0;
	uint32_t rva = (uint32_t)(ip - hold->base), lo = 0, hi = r->rf_count, begin, end;
	while (lo < hi) { /* the last function beginning at or below rva */
		uint32_t mid = lo + (hi - lo) / 2;
		if (!rd32(c, r, r->rf_rva + mid * r->rf_size, &begin))
			return 0;
		if (begin <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	uint32_t i = lo - 1, main;
	if (r->rf_size == 12 && (!rd32(c, r, r->rf_rva + i * 12 + 4, &end) || rva >= end))
		return 0; /* between functions */
	/* in a funclet, the method's own body is an earlier function */
	if (entry_point(c, r, own_rid(c, r, md), &main) && main <= i && i - main < R2R_MAX_FUNCLETS)
		i = main;
	if (!rd32(c, r, r->rf_rva + i * r->rf_size, &begin))
		return 0;
	return hold->base + begin;
}
