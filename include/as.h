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
 * path), after the path the dump names; may be called several times.
 * Modules whose file was not found are looked for again. Call it before
 * reading from several threads. Returns CH_ENOMEM on failure. */
enum ch_status as_add_search_dir(struct as *a, const char *dir);

/* Where else a module's file may be: fn writes up to max malloc'd paths
 * into paths (the address space frees them) and returns how many. Called
 * with the address space locked, for a module whose file was not found at
 * its path or in the search folders; candidates whose identity does not
 * match are passed over. The runtime profile sets one that knows where
 * .NET runtimes are installed. */
typedef size_t (*as_candidates_fn)(void *ctx, const struct dump_module *m,
				   char **paths, size_t max);
void as_set_candidates(struct as *a, as_candidates_fn fn, void *ctx);

/* Copies up to n bytes at va into buf. Returns how many leading bytes were
 * available (< n is a partial read: the bytes at va+ret are absent). Reads
 * from the dump first, then from module files on disk (only what their
 * loader maps read-only: code, constants, headers). Thread-safe, as are
 * every read function below. */
size_t as_read(struct as *a, uint64_t va, void *buf, size_t n);

/* Like as_read, but where the dump lacks bytes of a module's writable
 * data (ELF PF_W segments, PE MEM_WRITE sections), supplies them from the
 * module's file as the loader left them: file bytes, with the ELF dynamic
 * relocations the module resolves itself applied (RELATIVE, RELR, its own
 * symbols). For data that does not change after load: a version string in
 * .data, the runtime's contract descriptor and its pointer table (createdump
 * heap dumps omit libcoreclr's .data.rel.ro and .data). Pointers to other
 * modules' symbols and PE base relocations are not applied. Returns how
 * many leading bytes were available. */
size_t as_read_image(struct as *a, uint64_t va, void *buf, size_t n);

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

/* Why as_read cannot supply va: the module file is missing or does not
 * match (naming each file tried), va lies in writable data or a gap of
 * the module, or in no module at all. NULL when va is readable. The
 * string lives until the next call in the same thread. */
const char *as_missing_reason(struct as *a, uint64_t va);

/* The dump this space reads. */
struct dump *as_dump(struct as *a);
unsigned as_ptr_size(const struct as *a);

#endif
