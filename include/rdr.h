/* rdr.h - bounds-checked little-endian decoding of untrusted bytes.
 *
 * A struct rdr is a cursor over a borrowed buffer. Every read checks its
 * bounds with subtractions (never `off + n > len`, which can wrap); a read
 * past the end returns 0 and sets the sticky `bad` flag, so a parser can
 * decode a whole header and test `bad` once at the end. */
#ifndef CLRHEAP_RDR_H
#define CLRHEAP_RDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rdr {
	const uint8_t *p; /* borrowed; not freed */
	size_t len;
	size_t off;
	bool bad;
};

/* Returns a reader over [p, p+len) positioned at 0. */
static inline struct rdr rdr_make(const void *p, size_t len)
{
	struct rdr r = { (const uint8_t *)p, len, 0, false };
	return r;
}

/* True when n bytes starting at off lie inside a buffer of len bytes. */
static inline bool rdr_fits(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && len - off >= n;
}

/* Writes code point cp as UTF-8 into out (room for 4 bytes assumed);
 * returns the bytes written. */
static inline size_t rdr_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Little-endian loads from memory known to hold enough bytes. */
static inline uint16_t rdr_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t rdr_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4); /* the project builds only for little-endian hosts */
	return v;
}
static inline uint64_t rdr_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and sets
 * bad) when fewer than n remain. */
static inline const uint8_t *rdr_take(struct rdr *r, size_t n)
{
	if (r->bad || !rdr_fits(r->len, r->off, n)) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

static inline uint8_t rdr_u8(struct rdr *r)
{
	const uint8_t *q = rdr_take(r, 1);
	return q ? q[0] : 0;
}
static inline uint16_t rdr_u16(struct rdr *r)
{
	const uint8_t *q = rdr_take(r, 2);
	return q ? rdr_le16(q) : 0;
}
static inline uint32_t rdr_u32(struct rdr *r)
{
	const uint8_t *q = rdr_take(r, 4);
	return q ? rdr_le32(q) : 0;
}
static inline uint64_t rdr_u64(struct rdr *r)
{
	const uint8_t *q = rdr_take(r, 8);
	return q ? rdr_le64(q) : 0;
}
/* Reads a pointer-sized word (4 or 8 bytes). */
static inline uint64_t rdr_ptr(struct rdr *r, unsigned ptr_size)
{
	return ptr_size == 4 ? rdr_u32(r) : rdr_u64(r);
}

/* Moves to absolute offset off; sets bad when off > len. */
static inline void rdr_seek(struct rdr *r, uint64_t off)
{
	if (off > r->len)
		r->bad = true;
	else
		r->off = (size_t)off;
}

static inline void rdr_skip(struct rdr *r, size_t n)
{
	(void)rdr_take(r, n);
}

/* Returns a reader over n bytes at absolute offset off of r's buffer; the
 * result is bad (and empty) when they do not fit. */
static inline struct rdr rdr_sub(const struct rdr *r, uint64_t off, uint64_t n)
{
	if (!rdr_fits(r->len, off, n)) {
		struct rdr b = { r->p, 0, 0, true };
		return b;
	}
	return rdr_make(r->p + off, (size_t)n);
}

/* Copies a NUL-terminated string of at most max bytes starting at absolute
 * offset off into out (size outsz, always terminated). Returns false when no
 * terminator lies inside the buffer within max bytes. */
bool rdr_cstr(const struct rdr *r, uint64_t off, size_t max, char *out,
	      size_t outsz);

/* Returns the length of the NUL-terminated string at absolute offset off,
 * or -1 when no terminator is found within max bytes of the buffer. */
long rdr_strnlen_at(const struct rdr *r, uint64_t off, size_t max);

/* Finds the GNU build-id (NT_GNU_BUILD_ID, owner "GNU") among the ELF
 * notes in the n bytes at p; copies at most max bytes of it to out.
 * Returns its length (0 when absent or the notes are damaged). */
size_t rdr_gnu_build_id(const uint8_t *p, size_t n, uint8_t *out, size_t max);

#endif
