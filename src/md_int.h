/* md_int.h - the inside of struct md, shared by the md_*.c files only. */
#ifndef CLRHEAP_MD_INT_H
#define CLRHEAP_MD_INT_H

#include <stdatomic.h>

#include "md.h"

#define MD_MAX_COLS 9
#define MD_MAX_ROWS 0x00ffffffu /* a rid must fit a token's 24 bits */
#define MD_ALL_TABLES 64

/* Column kinds of the schema (ECMA-335 II.22). */
enum md_col_kind {
	MD_COL_U8,    /* one byte, then one byte of padding */
	MD_COL_U16,
	MD_COL_U32,
	MD_COL_STR,   /* #Strings offset */
	MD_COL_GUID,  /* #GUID index */
	MD_COL_BLOB,  /* #Blob offset */
	MD_COL_IDX,   /* rid of table arg */
	MD_COL_LIST,  /* rid of table arg, or of its Ptr table (arg - 1) */
	MD_COL_CODED, /* coded index of kind arg */
};

/* Coded index kinds (II.24.2.6). */
enum md_coded {
	MD_CI_TYPEDEFORREF, MD_CI_HASCONSTANT, MD_CI_HASCUSTOMATTRIBUTE,
	MD_CI_HASFIELDMARSHAL, MD_CI_HASDECLSECURITY, MD_CI_MEMBERREFPARENT,
	MD_CI_HASSEMANTICS, MD_CI_METHODDEFORREF, MD_CI_MEMBERFORWARDED,
	MD_CI_IMPLEMENTATION, MD_CI_CUSTOMATTRIBUTETYPE,
	MD_CI_RESOLUTIONSCOPE, MD_CI_TYPEORMETHODDEF, MD_CI_COUNT,
};

struct md_col {
	uint8_t kind, arg;
	uint8_t off, width;
};

struct md_tbl {
	size_t off;        /* from the metadata root */
	uint32_t rows;
	uint32_t row_size;
	uint8_t ncols;
	struct md_col col[MD_MAX_COLS];
};

struct md_heap {
	const uint8_t *p;
	uint32_t size;
};

/* Lazily computed facts (benign races: every thread computes the same). */
enum md_lazy { MD_LAZY_UNKNOWN, MD_LAZY_YES, MD_LAZY_NO };
enum md_sorted_key {
	MD_SK_NESTED, MD_SK_CONSTANT, MD_SK_GENERICPARAM, MD_SK_FIELDLIST,
	MD_SK_COUNT,
};

struct md {
	const uint8_t *buf;
	size_t len;
	bool own;
	bool uncompressed;  /* "#-" */
	bool minimal_delta; /* "#JTD" present: every index is 4 bytes */
	uint8_t heap_sizes;
	uint64_t valid_mask, sorted_mask;
	struct md_heap strings, blob, guid, us;
	struct md_tbl tbl[MD_TBL_COUNT];
	_Atomic uint8_t sorted[MD_SK_COUNT];
	/* For a column found unsorted: its rids ordered by value, built on
	 * first use (md_find_rows) and freed by md_close. */
	uint32_t *_Atomic index[MD_SK_COUNT];
	char name[256];
	char version[256];
};

/* md_tables.c: reads the table stream header at tab (size bytes, at offset
 * tab_off from the root) and lays out every table. */
enum ch_status md_tables_init(struct md *m, size_t tab_off, uint32_t size,
			      struct ch_err *err);

/* The raw value of a cell (heap offset, rid, or undecoded coded index);
 * false when t, rid or col is out of range. */
bool md_raw(const struct md *m, unsigned t, uint32_t rid, unsigned col,
	    uint32_t *val);

/* Decodes raw coded index v of kind ci into a token; false for a bad tag. */
bool md_coded_token(unsigned ci, uint32_t v, uint32_t *token);

/* Encodes token as a raw coded index of kind ci; false when the token's
 * table is not one ci can point to. */
bool md_coded_raw(unsigned ci, uint32_t token, uint32_t *raw);

/* The rows of table t whose column col holds raw value key, as found by
 * md_find_rows: the i-th is md_found_rid(f, i), i < f->n. */
struct md_found {
	const uint32_t *perm; /* NULL: rids lo .. lo + n - 1 */
	uint32_t lo, n;
};

static inline uint32_t md_found_rid(const struct md_found *f, uint32_t i)
{
	return f->perm ? f->perm[f->lo + i] : f->lo + i;
}

/* Finds the rows of table t whose column col holds key: a binary search
 * over the table when the column is sorted (as writers emit it; checked
 * once, cached under sk), else over an index of the column built on first
 * use. Without memory for that index, every row is a candidate: callers
 * check each row's key either way. */
void md_find_rows(const struct md *m, unsigned t, unsigned col, unsigned sk,
		  uint32_t key, struct md_found *f);

/* True when column col of table t is non-decreasing (cached under sk). */
bool md_col_sorted(const struct md *m, unsigned t, unsigned col,
		   unsigned sk);

#endif
