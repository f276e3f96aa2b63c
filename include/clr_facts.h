/* clr_facts.h - built-in facts about runtime builds.
 *
 * A heap dump lacks the runtime module's read-only data: the exported
 * symbol table, the contract descriptor with its JSON and pointer table,
 * the version string. Without facts those come from the module's file on
 * disk, which the user's machine rarely has. The facts ship that data for
 * every build of the runtime packs we know, keyed by the module's identity
 * (ELF build-id; PE TimeDateStamp and SizeOfImage), so a dump of any of
 * them reads with no runtime file present.
 *
 * The data lives in facts/ as text (one record per build, the descriptor
 * JSON beside it), written by `clrheap facts` from the runtime file itself
 * (contrib/runtime-facts/extract.sh), and is compiled in. */
#ifndef CLRHEAP_CLR_FACTS_H
#define CLRHEAP_CLR_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "as.h"
#include "dump.h"
#include "err.h"

struct clr_facts_export {
	const char *name;
	uint64_t rva;        /* from the module's base */
};

/* An entry of the descriptor's pointer table: a module address (rva from
 * the base, relocated by the loader) or a plain value. */
struct clr_facts_ptr {
	uint64_t value;
	bool rva;
};

/* One contract descriptor: its header's rva, flags, JSON and pointers. */
struct clr_facts_desc {
	uint64_t rva;
	uint32_t flags;
	const char *json;         /* json_len bytes */
	size_t json_len;
	const char *json_name;    /* its file under facts/: json/<hash>.json */
	const struct clr_facts_ptr *ptrs;
	size_t nptrs;
};

struct clr_facts {
	const char *id;           /* "elf:<build-id hex>", "pe:<stamp>:<size>" */
	const char *pack;         /* "Microsoft.NETCore.App.Runtime.linux-x64 10.0.12" */
	const char *file;         /* the module's path inside the pack */
	const char *version;      /* product version: "10.0.12" */
	const char *file_version; /* "10.0.1226.42308" */
	const char *commit;       /* source commit, "" when unknown */
	const struct clr_facts_export *exports;
	size_t nexports;
	/* Every contract descriptor in the image (.NET 9+: the exported
	 * one; .NET 11 also the GC's sub-descriptors), by address. */
	const struct clr_facts_desc *descs;
	size_t ndescs;
};

/* The built-in facts (owned by the program, never freed). */
size_t clr_facts_count(void);
const struct clr_facts *clr_facts_at(size_t i);

/* The identity string of module m ("elf:…" / "pe:…:…") into buf; false
 * when the dump records none. */
bool clr_facts_id(const struct dump_module *m, char *buf, size_t size);

/* The built-in facts of module m's build, or NULL. Disabled (always NULL)
 * when the environment sets CLRHEAP_FACTS=0, to read the module file
 * instead (for comparing the two). */
const struct clr_facts *clr_facts_find(const struct dump_module *m);

/* The address of export `name` of module m: from its facts when known,
 * else from its image (img_find_export: the dump, or the module's file).
 * Returns CH_ENOTFOUND when it has no such export. */
enum ch_status clr_facts_export(struct as *a, const struct dump_module *m,
				const char *name, uint64_t *va,
				struct ch_err *err);

/* Facts read from a runtime file (libcoreclr.so, coreclr.dll): what the
 * reader takes from it when a dump lacks its pages. pack and file name
 * the file's origin (kept as given). Free with clr_facts_free. */
enum ch_status clr_facts_from_file(const char *path, const char *pack,
				   const char *file, const char *version,
				   struct clr_facts **out, struct ch_err *err);
void clr_facts_free(struct clr_facts *f);

/* Writes f as its facts/ record (text, one line per fact). */
void clr_facts_write(const struct clr_facts *f, FILE *out);

/* The name of the JSON file a descriptor is kept in: json/<16 hex>.json,
 * from a hash of its bytes (so builds with the same JSON share one). */
void clr_facts_json_name(const char *json, size_t len, char *buf, size_t size);

#endif
