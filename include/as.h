/* as.h - the address space: virtual address -> bytes.
 *
 * Built on an open dump: its ranges, sorted, searched by binary search.
 * Where the dump lacks a module's pages, they can be read from the module's
 * file on disk (the path the dump names, or a file of the same name in a
 * search directory) once its identity (ELF build-id, PE timestamp+size) has
 * been checked to match. Files are mapped read-only and lazily. */
#ifndef CLRHEAP_AS_H
#define CLRHEAP_AS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump.h"
#include "err.h"

struct as;

/* Builds the address space of d (borrowed: d must outlive it). Returns the
 * space in *out (free with as_close) or a status with a message in err. */
enum ch_status as_open(struct dump *d, struct as **out, struct ch_err *err);
void as_close(struct as *a);

/* Adds a directory searched for module files by basename (like a symbol
 * path); may be called several times. Returns CH_ENOMEM on failure. */
enum ch_status as_add_search_dir(struct as *a, const char *dir);

/* Copies up to n bytes at va into buf. Returns how many leading bytes were
 * available (< n is a partial read: the bytes at va+ret are absent). Reads
 * from the dump first, then from module files on disk. Thread-safe. */
size_t as_read(struct as *a, uint64_t va, void *buf, size_t n);

/* Zero-copy: returns a pointer to n contiguous bytes at va when they lie
 * inside one range of the dump (or one mapped module file), else NULL.
 * The pointer lives until as_close. */
const uint8_t *as_ptr(struct as *a, uint64_t va, size_t n);

/* Returns how many bytes starting at va are contiguous in one range (0
 * when va is absent), and the pointer to them in *p. For walking big runs
 * without per-object lookups. */
size_t as_span(struct as *a, uint64_t va, const uint8_t **p);

/* Convenience: little-endian loads. Return false on a short read. */
bool as_u32(struct as *a, uint64_t va, uint32_t *v);
bool as_u64(struct as *a, uint64_t va, uint64_t *v);
bool as_ptrv(struct as *a, uint64_t va, uint64_t *v); /* pointer size of the dump */

/* Why the last module-file fallback failed for va's module (a missing file,
 * a build-id mismatch), or NULL; for error messages. */
const char *as_missing_reason(struct as *a, uint64_t va);

/* The dump this space reads. */
struct dump *as_dump(struct as *a);
unsigned as_ptr_size(const struct as *a);

#endif
