/* img.h - native module images read through the address space: find an
 * exported symbol of an ELF shared object or a PE DLL, and find strings in
 * an image. Used by the runtime profile to locate the runtime's globals.
 *
 * Everything is read with as_read, so pages missing from the dump come from
 * the module's file on disk when the address space can find it. */
#ifndef CLRHEAP_IMG_H
#define CLRHEAP_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "as.h"
#include "dump.h"
#include "err.h"

/* Finds the exported symbol `name` of module m (ELF: .dynsym through
 * DT_GNU_HASH or DT_HASH; PE: the export directory). On success stores its
 * virtual address in *va. Returns CH_ENOTFOUND when the module does not
 * export it, CH_ECORRUPT/CH_ENOTFOUND with a message in err when the image
 * cannot be read (naming the missing file where the address space knows). */
enum ch_status img_find_export(struct as *a, const struct dump_module *m,
			       const char *name, uint64_t *va,
			       struct ch_err *err);

/* At most this many bytes of an image are searched by img_find_bytes
 * (libcoreclr.so is ~7 MB; a larger size is damage). */
#define IMG_MAX_SCAN (256ull << 20)

/* Searches the module's image (with its initial writable data, see
 * as_read_image) for the first occurrence of the byte
 * string needle (len bytes, len <= 256); stores the address in *va.
 * Returns false when absent or unreadable. Reads at most the module's
 * size, and at most IMG_MAX_SCAN bytes. */
bool img_find_bytes(struct as *a, const struct dump_module *m,
		    const void *needle, size_t len, uint64_t *va);

/* Reads a NUL-terminated string of at most max-1 bytes of a module image
 * (as_read_image) at va into out (size max). Returns false when no terminator was found or va is absent. */
bool img_read_cstr(struct as *a, uint64_t va, char *out, size_t max);

#endif
