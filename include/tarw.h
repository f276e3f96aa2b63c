/* tarw.h - headers of a POSIX tar archive (ustar, with pax extended
 * headers for what ustar cannot hold), written by `clrheap tar`. Pure
 * byte formatting: the caller writes the blocks and the file data. */
#ifndef CLRHEAP_TARW_H
#define CLRHEAP_TARW_H

#include <stddef.h>
#include <stdint.h>

#define TARW_BLOCK 512

struct tarw_entry {
	const char *name;   /* member name; a directory's ends in "/" */
	const char *link;   /* a symlink's target, else NULL */
	char type;          /* '0' file, '5' directory, '2' symlink */
	unsigned mode, uid, gid;
	uint64_t size;      /* bytes of data that follow (files) */
	int64_t mtime;
};

/* The header blocks of e: a pax extended header ('x') first when its name
 * or link is longer than ustar's 100 bytes or its size or time do not fit
 * the octal fields, then the ustar header. Returns a malloc'd buffer of
 * *len bytes (a multiple of TARW_BLOCK; the caller frees it) or NULL when
 * out of memory. */
char *tarw_header(const struct tarw_entry *e, size_t *len);

/* Zero bytes that pad size bytes of data to a whole block. */
size_t tarw_pad(uint64_t size);

/* Sets the checksum of the 512-byte header blk (its chksum field counted
 * as spaces) and returns it. */
unsigned tarw_checksum(char *blk);

/* One pax record "LEN key=value\n" (LEN counts the whole record, its own
 * digits too) into out, which holds cap bytes. Returns its length, or 0
 * when it does not fit. */
size_t tarw_pax_record(char *out, size_t cap, const char *key, const char *value);

#endif
