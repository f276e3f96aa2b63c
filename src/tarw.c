/* tarw.c - ustar headers, with a pax extended header in front where a
 * name, link, size or time does not fit (POSIX.1-2001 pax format; GNU
 * tar and Python's tarfile read it). */
#include "tarw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_LEN 100
#define OCTAL11_MAX UINT64_C(077777777777) /* 11 octal digits */

size_t tarw_pad(uint64_t size)
{
	return (size_t)((TARW_BLOCK - size % TARW_BLOCK) % TARW_BLOCK);
}

/* Writes v as width-1 octal digits and a NUL into field f. */
static void octal(char *f, size_t width, uint64_t v)
{
	f[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
}

unsigned tarw_checksum(char *blk)
{
	memset(blk + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < TARW_BLOCK; i++)
		sum += (unsigned char)blk[i];
	/* six digits, NUL, space: what GNU tar writes */
	octal(blk + 148, 7, sum);
	blk[155] = ' ';
	return sum;
}

static size_t digits(size_t n)
{
	size_t d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

size_t tarw_pax_record(char *out, size_t cap, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
	size_t d = digits(body);
	if (digits(body + d) != d) /* one more digit once it counts itself */
		d++;
	size_t len = body + d;
	if (len + 1 > cap)
		return 0;
	snprintf(out, cap, "%zu %s=%s\n", len, key, value);
	return len;
}

/* One ustar header block for name (cut to 100 bytes: a pax record holds
 * the whole of it). */
static void ustar(char *blk, const char *name, const char *link, char type,
		  unsigned mode, unsigned uid, unsigned gid, uint64_t size, int64_t mtime)
{
	memset(blk, 0, TARW_BLOCK);
	size_t n = strlen(name);
	memcpy(blk, name, n < NAME_LEN ? n : NAME_LEN);
	octal(blk + 100, 8, mode & 07777);
	octal(blk + 108, 8, uid & 07777777);
	octal(blk + 116, 8, gid & 07777777);
	octal(blk + 124, 12, size > OCTAL11_MAX ? 0 : size);
	octal(blk + 136, 12, mtime < 0 || (uint64_t)mtime > OCTAL11_MAX ? 0 : (uint64_t)mtime);
	blk[156] = type;
	if (link) {
		n = strlen(link);
		memcpy(blk + 157, link, n < NAME_LEN ? n : NAME_LEN);
	}
	memcpy(blk + 257, "ustar", 6);
	memcpy(blk + 263, "00", 2);
	octal(blk + 329, 8, 0);
	octal(blk + 337, 8, 0);
	tarw_checksum(blk);
}

char *tarw_header(const struct tarw_entry *e, size_t *len)
{
	size_t nlen = strlen(e->name), llen = e->link ? strlen(e->link) : 0;
	bool big = e->size > OCTAL11_MAX;
	bool odd_time = e->mtime < 0 || (uint64_t)e->mtime > OCTAL11_MAX;
	bool pax = nlen > NAME_LEN || llen > NAME_LEN || big || odd_time;
	size_t cap = nlen + llen + 128; /* the records */
	char *rec = NULL;
	size_t rlen = 0;
	if (pax) {
		if (!(rec = malloc(cap)))
			return NULL;
		char num[32];
		if (nlen > NAME_LEN)
			rlen += tarw_pax_record(rec + rlen, cap - rlen, "path", e->name);
		if (llen > NAME_LEN)
			rlen += tarw_pax_record(rec + rlen, cap - rlen, "linkpath", e->link);
		if (big) {
			snprintf(num, sizeof num, "%" PRIu64, e->size);
			rlen += tarw_pax_record(rec + rlen, cap - rlen, "size", num);
		}
		if (odd_time) {
			snprintf(num, sizeof num, "%" PRId64, e->mtime);
			rlen += tarw_pax_record(rec + rlen, cap - rlen, "mtime", num);
		}
	}
	size_t total = TARW_BLOCK + (pax ? TARW_BLOCK + rlen + tarw_pad(rlen) : 0);
	char *out = calloc(1, total);
	if (!out) {
		free(rec);
		return NULL;
	}
	char *p = out;
	if (pax) {
		/* named like GNU tar's: PaxHeaders/ and the base name */
		char pname[NAME_LEN + 1];
		const char *base = e->name + nlen;
		while (base > e->name && base[-1] == '/')
			base--;
		while (base > e->name && base[-1] != '/')
			base--;
		snprintf(pname, sizeof pname, "PaxHeaders/%s", base);
		ustar(p, pname, NULL, 'x', 0644, e->uid, e->gid, rlen, odd_time ? 0 : e->mtime);
		memcpy(p + TARW_BLOCK, rec, rlen);
		p += TARW_BLOCK + rlen + tarw_pad(rlen);
	}
	ustar(p, e->name, e->link, e->type, e->mode, e->uid, e->gid, e->size, e->mtime);
	free(rec);
	*len = total;
	return out;
}
