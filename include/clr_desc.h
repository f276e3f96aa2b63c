/* clr_desc.h - the runtime's contract descriptor (.NET 9 and later):
 * the exported DotNetRuntimeContractDescriptor, whose JSON names the
 * runtime's types with their field offsets, and its globals.
 *
 * The JSON is untrusted input and is parsed with jansson. */
#ifndef CLRHEAP_CLR_DESC_H
#define CLRHEAP_CLR_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "as.h"
#include "dump.h"
#include "err.h"

struct clr_desc;

/* Reads the descriptor exported by the runtime module rt: header, JSON
 * (from the dump, or the module file on disk when the dump lacks it) and
 * pointer data. Returns CH_ENOTFOUND when the runtime exports none (older
 * runtimes), another status with a message in err when it is damaged. */
enum ch_status clr_desc_open(struct as *a, const struct dump_module *rt,
			     struct clr_desc **out, struct ch_err *err);

/* The parts of one descriptor as the runtime holds them. */
struct clr_desc_raw {
	uint32_t flags;      /* 1 = present; 2 = 32-bit pointers */
	char *json;          /* json_len bytes, not NUL-terminated */
	size_t json_len;
	uint64_t *ptrs;      /* the pointer data, as addresses in the dump */
	size_t nptrs;
	bool from_facts;     /* taken from the build's built-in facts */
};

/* Reads the descriptor whose header is at va inside module m (the main
 * one, or a sub-descriptor such as the GC's): from the built-in facts of
 * m's build when they hold one at that address, else from the dump, or
 * m's file for what the dump lacks. Free raw with clr_desc_raw_free. */
enum ch_status clr_desc_read(struct as *a, const struct dump_module *m,
			     uint64_t va, struct clr_desc_raw *raw,
			     struct ch_err *err);
void clr_desc_raw_free(struct clr_desc_raw *raw);

/* True when d was read from built-in facts, not from the dump or a file. */
bool clr_desc_from_facts(const struct clr_desc *d);

/* Parses a descriptor from its JSON text (len bytes, need not be
 * NUL-terminated) and pointer data (nptr values, copied). For tests and
 * for callers that found the bytes themselves. */
enum ch_status clr_desc_parse(const char *json, size_t len,
			      const uint64_t *ptrdata, size_t nptr,
			      struct clr_desc **out, struct ch_err *err);
void clr_desc_close(struct clr_desc *d);

/* Offset of field `field` of runtime type `type`; false when absent. */
bool clr_desc_offset(const struct clr_desc *d, const char *type,
		     const char *field, uint32_t *off);
/* Size ("!") of runtime type `type`; false when not given. */
bool clr_desc_size(const struct clr_desc *d, const char *type, uint32_t *size);
/* Value of global `name` (literal, or resolved through the pointer data:
 * then it is the address of the runtime variable). false when absent or
 * not a number. */
bool clr_desc_global(const struct clr_desc *d, const char *name, uint64_t *v);
/* Text of a string global ("x64" for Architecture), or NULL. */
const char *clr_desc_global_str(const struct clr_desc *d, const char *name);
/* The address of the runtime's pointer to sub-descriptor `name` (.NET 11
 * has "GC": the GC's own descriptor, read with clr_desc_read); false when
 * the descriptor names none. */
bool clr_desc_sub(const struct clr_desc *d, const char *name, uint64_t *var);
/* Version of contract `name` (1 for .NET 11's "c1"), or -1 when the
 * runtime does not list it. */
int clr_desc_contract(const struct clr_desc *d, const char *name);
/* Counts: types, fields, globals (for `clrheap info`). */
void clr_desc_counts(const struct clr_desc *d, size_t *types, size_t *fields,
		     size_t *globals);
/* The descriptor's address in the dump (0 when parsed from text). */
uint64_t clr_desc_address(const struct clr_desc *d);

#endif
