/* rdr.c - the out-of-line parts of the byte reader. */
#include "rdr.h"

long rdr_strnlen_at(const struct rdr *r, uint64_t off, size_t max)
{
	if (off >= r->len)
		return -1;
	size_t avail = r->len - (size_t)off;
	if (avail > max)
		avail = max;
	const uint8_t *z = memchr(r->p + off, 0, avail);
	return z ? (long)(z - (r->p + off)) : -1;
}

bool rdr_cstr(const struct rdr *r, uint64_t off, size_t max, char *out,
	      size_t outsz)
{
	if (outsz == 0)
		return false;
	out[0] = '\0';
	long n = rdr_strnlen_at(r, off, max);
	if (n < 0)
		return false;
	size_t k = (size_t)n < outsz - 1 ? (size_t)n : outsz - 1;
	memcpy(out, r->p + off, k);
	out[k] = '\0';
	return true;
}

size_t rdr_gnu_build_id(const uint8_t *p, size_t n, uint8_t *out, size_t max)
{
	struct rdr r = rdr_make(p, n);
	while (!r.bad && r.off < r.len) {
		uint32_t namesz = rdr_u32(&r), descsz = rdr_u32(&r), type = rdr_u32(&r);
		const uint8_t *name = rdr_take(&r, namesz);
		rdr_skip(&r, (4 - namesz % 4) % 4);
		const uint8_t *desc = rdr_take(&r, descsz);
		rdr_skip(&r, (4 - descsz % 4) % 4);
		if (desc && name && type == 3 && namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
		    descsz) {
			size_t k = descsz < max ? descsz : max;
			memcpy(out, desc, k);
			return k;
		}
	}
	return 0;
}
