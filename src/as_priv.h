/* as_priv.h - what as.c (lookups) and as_file.c (module files on disk)
 * share. Not a public header. */
#ifndef CLRHEAP_AS_PRIV_H
#define CLRHEAP_AS_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "as.h"
#include "rdr.h"

/* A run of the dump: [va, va+size) at p (inside the mapped dump). */
struct as_chunk {
	uint64_t va, size;
	const uint8_t *p;
};

/* One mapping of a module, for finding the module of an address. */
struct as_seg {
	uint64_t va, size, file_off;
	size_t mod;
};

/* Bytes of a module file that a loader maps read-only: image address
 * addr (ELF p_vaddr, PE RVA) is at file offset off, for size bytes. */
struct as_img_run {
	uint64_t addr, off, size;
	bool writable;
};

enum { AS_FILE_UNTRIED = 0, AS_FILE_OK, AS_FILE_FAILED };

/* A module's file on disk, opened at most once, lazily. state is written
 * under as->lock and read without it; the other fields are set before
 * state becomes AS_FILE_OK and never change afterwards. */
struct as_file {
	_Atomic int state;
	const struct dump_module *mod;
	const uint8_t *map;
	size_t len;
	char *file;    /* the path that matched */
	char *reason;  /* why no file matched */
	bool pe;       /* else ELF */
	int machine;   /* ELF e_machine */
	uint64_t bias; /* va = bias + image address */
	struct as_img_run *runs;
	size_t nruns;
	/* ELF dynamic relocations, sorted by address; built on first use. */
	_Atomic int reloc_state;
	struct as_reloc *relocs;
	size_t nrelocs;
};

/* A relocated word: the loader stores bias + val at image address addr. */
struct as_reloc {
	uint64_t addr, val;
};

struct as {
	struct dump *d;
	unsigned ptr_size;
	bool elf_dump; /* module segments carry NT_FILE file offsets */
	struct as_chunk *ch;
	size_t nch;
	/* The chunk found last, by any thread: only a hint, checked before
	 * use, so a stale value from another thread costs a search, no more. */
	_Atomic size_t hint;
	struct as_seg *segs;
	size_t nsegs;
	struct as_file *mf;
	size_t nmods;
	char **dirs;
	size_t ndirs;
	as_candidates_fn candidates;
	void *candidates_ctx;
	pthread_mutex_t lock;
};

/* The module segment holding va, or NULL. */
const struct as_seg *as_find_seg(const struct as *a, uint64_t va);

/* Bytes contiguous at va (inside segment s) that s's module file can
 * supply, opening the file on first use; *p points at them. 0 when the
 * file is missing, does not match, or va lies in a part of the image the
 * file does not hold as mapped (bss, gaps; writable data unless
 * writable is true). Thread-safe. */
size_t as_file_span(struct as *a, const struct as_seg *s, uint64_t va,
		    bool writable, const uint8_t **p);

/* Applies f's relocations to buf, which holds the n file bytes of va on
 * (for as_read_image). Builds the relocation table on first use. */
void as_file_relocate(struct as *a, struct as_file *f, uint64_t va,
		      uint8_t *buf, size_t n);

/* Unmaps and frees what f holds (not f itself). */
void as_file_release(struct as_file *f);

#endif
