/* md.c - opening metadata: the root, its stream headers, and the heaps
 * (#Strings, #Blob, #GUID, #US). ECMA-335 II.24.2. */
#include <stdio.h>
#include <stdlib.h>

#include "md_int.h"
#include "rdr.h"

#define MD_ROOT_MAGIC 0x424a5342u /* "BSJB" */
#define MD_VERSION_MAX 256u       /* II.24.2.1: at most 255 + NUL */
#define MD_STREAM_NAME_MAX 32u    /* II.24.2.2: at most 32 with NUL */
#define MD_STREAMS_MAX 64u

/* One stream header: where it is and whether it fits. */
struct stream {
	uint32_t off, size;
	bool seen;
};

static enum ch_status bad(struct md *m, struct ch_err *err,
			  enum ch_status st, const char *what)
{
	return ch_set_error(err, st, "%s: metadata: %s", m->name, what);
}

/* Reads the stream headers and records the ones this reader uses. */
static enum ch_status read_streams(struct md *m, struct rdr *r,
				   struct stream *tabs, struct ch_err *err)
{
	struct stream strs = { 0 }, blob = { 0 }, guid = { 0 }, us = { 0 };
	bool have_tables = false;
	rdr_skip(r, 2); /* flags */
	uint16_t n = rdr_u16(r);
	if (r->bad)
		return bad(m, err, CH_ECORRUPT, "root ends before its stream "
				   "count");
	if (n > MD_STREAMS_MAX)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: metadata: %u streams (at most %u)",
				    m->name, n, MD_STREAMS_MAX);
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = rdr_u32(r), size = rdr_u32(r);
		char name[MD_STREAM_NAME_MAX];
		if (r->bad || !rdr_cstr(r, r->off, MD_STREAM_NAME_MAX, name,
					sizeof(name)))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata: stream header %u "
					    "runs past the metadata", m->name,
					    i);
		/* The name is padded with NULs to a 4-byte boundary. */
		rdr_skip(r, (strlen(name) + 4) & ~(size_t)3);
		if (r->bad)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata: stream header %u "
					    "runs past the metadata", m->name,
					    i);
		if (!rdr_fits(m->len, off, size))
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata: stream %s (offset "
					    "0x%x, %u bytes) runs past the "
					    "metadata (%zu bytes)", m->name,
					    name, off, size, m->len);
		struct stream s = { off, size, true };
		struct stream *dst = NULL;
		if (!strcmp(name, "#~") || !strcmp(name, "#-")) {
			if (have_tables)
				return bad(m, err, CH_ECORRUPT,
					   "two table streams");
			have_tables = true;
			m->uncompressed = name[1] == '-';
			dst = tabs;
		} else if (!strcmp(name, "#Strings")) {
			dst = &strs;
		} else if (!strcmp(name, "#Blob")) {
			dst = &blob;
		} else if (!strcmp(name, "#GUID")) {
			dst = &guid;
		} else if (!strcmp(name, "#US")) {
			dst = &us;
		} else if (!strcmp(name, "#JTD")) {
			m->minimal_delta = true; /* EnC delta: wide indexes */
		}
		/* The first of two same-named heaps wins. */
		if (dst && !dst->seen)
			*dst = s;
	}
	if (!have_tables)
		return bad(m, err, CH_EFORMAT, "no #~ or #- table stream");
	m->strings = (struct md_heap){ m->buf + strs.off, strs.size };
	m->blob = (struct md_heap){ m->buf + blob.off, blob.size };
	m->guid = (struct md_heap){ m->buf + guid.off, guid.size };
	m->us = (struct md_heap){ m->buf + us.off, us.size };
	/* Cut #Strings after its last NUL: then every offset inside it has a
	 * terminator inside it, and md_string is one comparison. */
	while (m->strings.size && m->strings.p[m->strings.size - 1] != 0)
		m->strings.size--;
	return CH_OK;
}

static enum ch_status md_open_inner(struct md *m, struct ch_err *err)
{
	struct rdr r = rdr_make(m->buf, m->len);
	uint32_t magic = rdr_u32(&r);
	if (r.bad || magic != MD_ROOT_MAGIC)
		return bad(m, err, CH_EFORMAT,
			   "no BSJB signature at the metadata root");
	rdr_skip(&r, 8); /* major, minor, reserved */
	uint32_t vlen = rdr_u32(&r);
	if (r.bad)
		return bad(m, err, CH_ECORRUPT, "root header truncated");
	if (vlen > MD_VERSION_MAX || !rdr_fits(m->len, r.off, vlen))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: metadata: version string length %u "
				    "is too long or runs past the metadata",
				    m->name, vlen);
	size_t k = 0;
	while (k < vlen && k + 1 < sizeof(m->version) && m->buf[r.off + k])
		k++;
	memcpy(m->version, m->buf + r.off, k);
	m->version[k] = '\0';
	rdr_skip(&r, vlen);

	struct stream tabs = { 0 };
	enum ch_status st = read_streams(m, &r, &tabs, err);
	if (st != CH_OK)
		return st;
	return md_tables_init(m, tabs.off, tabs.size, err);
}

enum ch_status md_open(const uint8_t *buf, size_t len, const char *name,
		       unsigned flags, struct md **out, struct ch_err *err)
{
	*out = NULL;
	struct md *m = calloc(1, sizeof(*m));
	if (!m) {
		if (flags & MD_OPEN_OWN)
			free((void *)buf);
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory",
				    name ? name : "metadata");
	}
	m->buf = buf;
	m->len = len;
	m->own = flags & MD_OPEN_OWN;
	snprintf(m->name, sizeof(m->name), "%s",
		 name && *name ? name : "metadata");
	enum ch_status st = md_open_inner(m, err);
	if (st != CH_OK) {
		md_close(m);
		return st;
	}
	*out = m;
	return CH_OK;
}

enum ch_status md_open_pe(const uint8_t *img, size_t len, bool mapped,
			  const char *name, struct md **out,
			  struct md_pe *pe_out, struct ch_err *err)
{
	*out = NULL;
	struct md_pe local, *pe = pe_out ? pe_out : &local;
	enum ch_status st = md_pe_parse(img, len, mapped, name, pe, err);
	if (st != CH_OK)
		return st;
	size_t off;
	/* md_pe_parse checked that the range translates. */
	if (!md_pe_rva_to_off(pe, pe->md_rva, pe->md_size, &off))
		return ch_set_error(err, CH_ECORRUPT, "%s: metadata is not "
				    "inside the image", name ? name : "image");
	return md_open(img + off, pe->md_size, name, 0, out, err);
}

void md_close(struct md *m)
{
	if (!m)
		return;
	if (m->own)
		free((void *)m->buf);
	for (unsigned i = 0; i < MD_SK_COUNT; i++)
		free(atomic_load(&m->index[i]));
	free(m);
}

const char *md_name(const struct md *m)
{
	return m->name;
}

const char *md_version(const struct md *m)
{
	return m->version;
}

bool md_uncompressed(const struct md *m)
{
	return m->uncompressed;
}

uint8_t md_heap_sizes(const struct md *m)
{
	return m->heap_sizes;
}

bool md_string_valid(const struct md *m, uint32_t idx)
{
	return idx < m->strings.size;
}

const char *md_string(const struct md *m, uint32_t idx)
{
	if (idx >= m->strings.size)
		return "";
	return (const char *)m->strings.p + idx;
}

bool md_uncompress(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	const uint8_t *q = *p;
	if (q >= end)
		return false;
	size_t left = (size_t)(end - q);
	if ((q[0] & 0x80) == 0) {
		*v = q[0];
		*p = q + 1;
	} else if ((q[0] & 0xc0) == 0x80) {
		if (left < 2)
			return false;
		*v = (uint32_t)(q[0] & 0x3f) << 8 | q[1];
		*p = q + 2;
	} else if ((q[0] & 0xe0) == 0xc0) {
		if (left < 4)
			return false;
		*v = (uint32_t)(q[0] & 0x1f) << 24 | (uint32_t)q[1] << 16 |
		     (uint32_t)q[2] << 8 | q[3];
		*p = q + 4;
	} else {
		return false;
	}
	return true;
}

/* The item of a length-prefixed heap (#Blob, #US) at offset idx. */
static const uint8_t *heap_item(const struct md_heap *h, uint32_t idx,
				uint32_t *len)
{
	*len = 0;
	if (idx >= h->size)
		return NULL;
	const uint8_t *p = h->p + idx, *end = h->p + h->size;
	uint32_t n;
	if (!md_uncompress(&p, end, &n) || (size_t)(end - p) < n)
		return NULL;
	*len = n;
	return p;
}

const uint8_t *md_blob(const struct md *m, uint32_t idx, uint32_t *len)
{
	return heap_item(&m->blob, idx, len);
}

const uint8_t *md_user_string(const struct md *m, uint32_t idx,
			      uint32_t *nchars)
{
	uint32_t n;
	const uint8_t *p = heap_item(&m->us, idx, &n);
	*nchars = p ? n / 2 : 0;
	return p;
}

bool md_guid(const struct md *m, uint32_t idx, uint8_t out[16])
{
	memset(out, 0, 16);
	if (idx == 0 || !rdr_fits(m->guid.size, (uint64_t)(idx - 1) * 16, 16))
		return false;
	memcpy(out, m->guid.p + (size_t)(idx - 1) * 16, 16);
	return true;
}
