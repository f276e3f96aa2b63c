/* dump_priv.h - what the dump container backends (dump_elf.c,
 * dump_mdmp.c) share with the common part (dump.c). Not a public header.
 *
 * A backend's parse() fills the arrays of struct dump from the mapped file;
 * dump.c then sorts and checks the ranges, sorts the modules and frees
 * everything in dump_close. */
#ifndef CLRHEAP_DUMP_PRIV_H
#define CLRHEAP_DUMP_PRIV_H

#include "dump.h"
#include "rdr.h"

/* Caps on counts read from untrusted headers: far above anything real,
 * low enough that arrays sized from them stay small. */
#define DUMP_MAX_RANGES   (1u << 24)
#define DUMP_MAX_MODULES  (1u << 16)
#define DUMP_MAX_THREADS  (1u << 16)
#define DUMP_MAX_WARNINGS 32

struct dump;

struct dump_ops {
	const char *name;
	/* Parses d->map into d's ranges, modules, threads and process facts.
	 * Returns CH_OK or a status with a one-line message naming d->path. */
	enum ch_status (*parse)(struct dump *d, struct ch_err *err);
};

struct dump {
	char *path;
	unsigned flags;        /* DUMP_OPEN_* */
	const uint8_t *map;    /* the whole file, PROT_READ */
	size_t len;
	bool borrowed;         /* map is the caller's (dump_open_buffer) */
	const struct dump_ops *ops;

	enum dump_format fmt;
	enum dump_arch arch;
	enum dump_os os;
	unsigned ptr_size;

	struct dump_range *ranges;
	size_t nranges, cap_ranges;
	struct dump_module *mods;
	size_t nmods, cap_mods;
	struct dump_thread *threads;
	size_t nthreads, cap_threads;

	struct dump_process proc;
	uint64_t *auxv;        /* type, value pairs; nauxv pairs */
	size_t nauxv;

	const uint8_t *nt_file; /* ELF: the NT_FILE note, read after the ranges */
	size_t nt_file_len;

	char *warnings[DUMP_MAX_WARNINGS];
	size_t nwarnings;
	size_t dropped_warnings;
};

extern const struct dump_ops dump_elf_ops;
extern const struct dump_ops dump_mdmp_ops;
extern const struct dump_ops dump_img_ops;

/* Appends one element to the growable arrays; return NULL on ENOMEM or
 * when the cap is reached (the caller sets the error). */
struct dump_range *dump_add_range(struct dump *d);
struct dump_module *dump_add_module(struct dump *d);
struct dump_thread *dump_add_thread(struct dump *d);

/* Records a warning (printf-style; kept until dump_close). */
void dump_warn(struct dump *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets m->path to a copy of path (n bytes, need not be terminated) and
 * m->name to its last component ('/' or '\\'). Returns false on ENOMEM. */
bool dump_set_module_path(struct dump_module *m, const char *path, size_t n);

/* Sorts d's ranges by va and checks them against the file: out-of-file
 * and overlapping ranges are errors, or with DUMP_OPEN_LENIENT trimmed
 * with a warning. what names a range's origin ("PT_LOAD", "memory range").
 * Returns CH_OK or CH_ECORRUPT with a message. */
enum ch_status dump_fix_ranges(struct dump *d, const char *what,
			       struct ch_err *err);

/* Copies n bytes of process memory at va from the ranges (which must be
 * sorted). Returns how many leading bytes were present. */
size_t dump_read_va(const struct dump *d, uint64_t va, void *buf, size_t n);

/* Reads the identity of a PE image whose headers are at va in the dump:
 * TimeDateStamp and SizeOfImage. Returns false when absent or not a PE. */
bool dump_pe_identity(const struct dump *d, uint64_t va, uint32_t *stamp,
		      uint32_t *size);

#endif
