/* dump.h - the dump container layer: probe and open an ELF core (createdump,
 * gcore) or a Windows minidump (MDMP) and expose its memory ranges, modules
 * and threads. One struct dump_ops per format lives behind struct dump.
 *
 * The file is mapped read-only with mmap and never written. All data handed
 * out (ranges, modules, threads) is owned by the struct dump and lives until
 * dump_close. */
#ifndef CLRHEAP_DUMP_H
#define CLRHEAP_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* DUMP_FMT_IMAGE: no dump at all, one module file (dump_open_image). */
enum dump_format { DUMP_FMT_ELF = 1, DUMP_FMT_MDMP = 2, DUMP_FMT_IMAGE = 3 };
enum dump_arch { DUMP_ARCH_UNKNOWN = 0, DUMP_ARCH_X86_64, DUMP_ARCH_X86,
		 DUMP_ARCH_ARM64, DUMP_ARCH_ARM };
enum dump_os { DUMP_OS_UNKNOWN = 0, DUMP_OS_LINUX, DUMP_OS_WINDOWS,
	       DUMP_OS_MACOS };

/* A run of process memory present in the file: [va, va+size) is at
 * [file_off, file_off+size) of the mapped dump. Ranges are sorted by va and
 * do not overlap (dump_open rejects or trims overlaps). */
struct dump_range {
	uint64_t va;
	uint64_t size;
	uint64_t file_off;
};

/* One file mapping of a module: [va, va+size) came from file offset
 * file_off of the module's file (ELF NT_FILE entries). For minidump modules
 * there is one segment covering the whole image with file_off = 0 (the
 * image is laid out by sections; the address-space layer translates). */
struct dump_segment {
	uint64_t va;
	uint64_t size;
	uint64_t file_off;
};

/* One mapped image of a file. In ELF cores a file mapped at several
 * places far apart (a .NET assembly mapped flat and laid out) gives one
 * module per place, with the same path; modules are sorted by base. */
struct dump_module {
	char *path;        /* as the dump names it (NT_FILE path, MDMP name) */
	const char *name;  /* basename inside path */
	uint64_t base;     /* lowest mapped address (the image base) */
	uint64_t size;     /* highest mapped end minus base */
	struct dump_segment *segs;
	size_t nsegs;
	/* ELF: the GNU build-id (from the image's notes in the dump). MDMP:
	 * CodeView RSDS: the 16 GUID bytes as stored, then the age (LE u32);
	 * NB10: timestamp, age; Breakpad BpEL: the ELF build-id. */
	uint8_t build_id[32];
	size_t build_id_len;  /* 0 when unknown */
	uint32_t pe_timestamp, pe_size; /* PE TimeDateStamp, SizeOfImage (MDMP,
					 * or a PE image's headers in an ELF core); 0 = unknown */
	uint32_t pe_checksum; /* MDMP: CheckSum */
	/* ELF cores: a PE file mapped as is (address - base = file offset),
	 * not laid out by sections; .NET on Linux maps IL-only assemblies so
	 * (and every assembly once so, besides its laid-out image). */
	bool pe_flat;
	bool image_file;   /* dump_open_image: the module is the file itself */
	uint64_t version;  /* MDMP VS_FIXEDFILEINFO: file version MS<<32|LS; 0 = unknown */
};

struct dump_thread {
	uint32_t tid;
	uint64_t sp, ip; /* 0 when the dump does not say */
	uint64_t teb;    /* MDMP: the TEB address; 0 elsewhere */
};

/* What the dump says about the process; zero / empty where it is silent. */
struct dump_process {
	uint32_t pid;
	char name[17];        /* ELF NT_PRPSINFO pr_fname */
	char args[81];        /* ELF NT_PRPSINFO pr_psargs (command line, cut) */
	uint32_t create_time; /* MDMP MiscInfo: seconds since 1970 */
	uint32_t user_time, kernel_time; /* MDMP MiscInfo: seconds */
};

struct dump;

/* Flags for dump_open_flags. */
enum {
	/* Trim PT_LOAD / memory ranges that run past the end of the file or
	 * overlap an earlier one, recording a warning, instead of refusing
	 * the dump: for reading what is left of a truncated copy. */
	DUMP_OPEN_LENIENT = 1,
};

/* Opens path read-only, probes its format and parses it. Returns the dump
 * in *out (free with dump_close), or a status with a one-line message in
 * err naming path and what was wrong. */
enum ch_status dump_open(const char *path, struct dump **out,
			 struct ch_err *err);
/* Like dump_open, with DUMP_OPEN_* flags. dump_open(p, o, e) is
 * dump_open_flags(p, 0, o, e): out-of-file or overlapping ranges are
 * CH_ECORRUPT. */
enum ch_status dump_open_flags(const char *path, unsigned flags,
			       struct dump **out, struct ch_err *err);
/* Like dump_open_flags, over the len bytes at buf instead of a file: buf
 * is borrowed (never written, never freed) and must outlive the dump; name
 * stands for the file in messages. For fuzzing, and for callers that hold
 * the bytes already. */
enum ch_status dump_open_buffer(const void *buf, size_t len, const char *name,
				unsigned flags, struct dump **out,
				struct ch_err *err);
/* Opens a module file (a shared object or a DLL, e.g. libcoreclr.so of a
 * runtime pack) as if it were a dump of a process that loaded it and kept
 * none of its memory: no ranges, one module whose pages all come from the
 * file (its path), at a fixed base (PE: its preferred ImageBase, so
 * unrelocated pointers read right). For reading what a runtime file holds
 * through the same code that reads dumps. Returns CH_EFORMAT when path is
 * no ELF shared object or PE image. */
enum ch_status dump_open_image(const char *path, struct dump **out,
			       struct ch_err *err);
/* Frees d and unmaps the file (a borrowed buffer is left alone); NULL is a
 * no-op. */
void dump_close(struct dump *d);

const char *dump_path(const struct dump *d);
enum dump_format dump_format(const struct dump *d);
enum dump_arch dump_arch(const struct dump *d);
enum dump_os dump_os(const struct dump *d);
unsigned dump_ptr_size(const struct dump *d); /* 4 or 8 */

/* The whole mapped file; ranges' file_off index into it. */
const uint8_t *dump_bytes(const struct dump *d, size_t *len);

const struct dump_range *dump_ranges(const struct dump *d, size_t *n);
const struct dump_module *dump_modules(const struct dump *d, size_t *n);
const struct dump_thread *dump_threads(const struct dump *d, size_t *n);

/* The process facts (never NULL; owned by d). */
const struct dump_process *dump_process(const struct dump *d);

/* Looks type up in the ELF auxiliary vector (NT_AUXV); returns false when
 * the dump has no such entry (always false for minidumps). */
bool dump_auxv(const struct dump *d, uint64_t type, uint64_t *val);

/* Warnings recorded while parsing (a range trimmed in lenient mode, a
 * note or stream skipped); each one line naming the file. Owned by d. */
const char *const *dump_warnings(const struct dump *d, size_t *n);

/* Static names: "elf", "minidump"; "x86_64", "x86", ...; "linux", ... */
const char *dump_format_str(enum dump_format f);
const char *dump_arch_str(enum dump_arch a);
const char *dump_os_str(enum dump_os o);

#endif
