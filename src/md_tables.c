/* md_tables.c - the #~ / #- table stream: its header, the schema of every
 * ECMA-335 table, column widths, and reading cells.
 *
 * Column widths depend on the module: a heap index is 4 bytes when its
 * HeapSizes bit is set; a simple index is 4 bytes when the target table
 * has 2^16 rows or more; a coded index is 4 bytes when some table it can
 * point to has 2^(16 - tag bits) rows or more (II.24.2.6). Every table is
 * laid out, decoded or not, so the offsets of the ones after it are right. */
#include <stdlib.h>

#include "md_int.h"
#include "rdr.h"

struct coded_def {
	uint8_t bits, n;
	uint8_t t[22]; /* 0xff: a tag value with no table */
};

#define NONE 0xff
static const struct coded_def coded[MD_CI_COUNT] = {
	[MD_CI_TYPEDEFORREF] = { 2, 3, { 0x02, 0x01, 0x1b } },
	[MD_CI_HASCONSTANT] = { 2, 3, { 0x04, 0x08, 0x17 } },
	[MD_CI_HASCUSTOMATTRIBUTE] = { 5, 22, {
		0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x00, 0x0e, 0x17,
		0x14, 0x11, 0x1a, 0x1b, 0x20, 0x23, 0x26, 0x27, 0x28, 0x2a,
		0x2c, 0x2b } },
	[MD_CI_HASFIELDMARSHAL] = { 1, 2, { 0x04, 0x08 } },
	[MD_CI_HASDECLSECURITY] = { 2, 3, { 0x02, 0x06, 0x20 } },
	[MD_CI_MEMBERREFPARENT] = { 3, 5, { 0x02, 0x01, 0x1a, 0x06, 0x1b } },
	[MD_CI_HASSEMANTICS] = { 1, 2, { 0x14, 0x17 } },
	[MD_CI_METHODDEFORREF] = { 1, 2, { 0x06, 0x0a } },
	[MD_CI_MEMBERFORWARDED] = { 1, 2, { 0x04, 0x06 } },
	[MD_CI_IMPLEMENTATION] = { 2, 3, { 0x26, 0x23, 0x27 } },
	[MD_CI_CUSTOMATTRIBUTETYPE] = { 3, 5, { NONE, NONE, 0x06, 0x0a,
						NONE } },
	[MD_CI_RESOLUTIONSCOPE] = { 2, 4, { 0x00, 0x1a, 0x23, 0x01 } },
	[MD_CI_TYPEORMETHODDEF] = { 1, 2, { 0x02, 0x06 } },
};

struct col_def {
	uint8_t kind, arg;
};
struct table_def {
	uint8_t n;
	struct col_def c[MD_MAX_COLS];
};

#define U8 { MD_COL_U8, 0 }
#define U16 { MD_COL_U16, 0 }
#define U32 { MD_COL_U32, 0 }
#define STR { MD_COL_STR, 0 }
#define GUID { MD_COL_GUID, 0 }
#define BLOB { MD_COL_BLOB, 0 }
#define IDX(t) { MD_COL_IDX, t }
#define LIST(t) { MD_COL_LIST, t }
#define CI(k) { MD_COL_CODED, MD_CI_##k }

/* ECMA-335 II.22, in table-number order (the Ptr and EnC tables are the
 * ones the spec leaves out but uncompressed metadata may hold). */
static const struct table_def schema[MD_TBL_COUNT] = {
	[0x00] = { 5, { U16, STR, GUID, GUID, GUID } },       /* Module */
	[0x01] = { 3, { CI(RESOLUTIONSCOPE), STR, STR } },    /* TypeRef */
	[0x02] = { 6, { U32, STR, STR, CI(TYPEDEFORREF), LIST(0x04),
			LIST(0x06) } },                       /* TypeDef */
	[0x03] = { 1, { IDX(0x04) } },                        /* FieldPtr */
	[0x04] = { 3, { U16, STR, BLOB } },                   /* Field */
	[0x05] = { 1, { IDX(0x06) } },                        /* MethodPtr */
	[0x06] = { 6, { U32, U16, U16, STR, BLOB, LIST(0x08) } }, /* Method */
	[0x07] = { 1, { IDX(0x08) } },                        /* ParamPtr */
	[0x08] = { 3, { U16, U16, STR } },                    /* Param */
	[0x09] = { 2, { IDX(0x02), CI(TYPEDEFORREF) } },      /* InterfaceImpl */
	[0x0a] = { 3, { CI(MEMBERREFPARENT), STR, BLOB } },   /* MemberRef */
	[0x0b] = { 3, { U8, CI(HASCONSTANT), BLOB } },        /* Constant */
	[0x0c] = { 3, { CI(HASCUSTOMATTRIBUTE), CI(CUSTOMATTRIBUTETYPE),
			BLOB } },                             /* CustomAttribute */
	[0x0d] = { 2, { CI(HASFIELDMARSHAL), BLOB } },        /* FieldMarshal */
	[0x0e] = { 3, { U16, CI(HASDECLSECURITY), BLOB } },   /* DeclSecurity */
	[0x0f] = { 3, { U16, U32, IDX(0x02) } },              /* ClassLayout */
	[0x10] = { 2, { U32, IDX(0x04) } },                   /* FieldLayout */
	[0x11] = { 1, { BLOB } },                             /* StandAloneSig */
	[0x12] = { 2, { IDX(0x02), LIST(0x14) } },            /* EventMap */
	[0x13] = { 1, { IDX(0x14) } },                        /* EventPtr */
	[0x14] = { 3, { U16, STR, CI(TYPEDEFORREF) } },       /* Event */
	[0x15] = { 2, { IDX(0x02), LIST(0x17) } },            /* PropertyMap */
	[0x16] = { 1, { IDX(0x17) } },                        /* PropertyPtr */
	[0x17] = { 3, { U16, STR, BLOB } },                   /* Property */
	[0x18] = { 3, { U16, IDX(0x06), CI(HASSEMANTICS) } }, /* MethodSemantics */
	[0x19] = { 3, { IDX(0x02), CI(METHODDEFORREF),
			CI(METHODDEFORREF) } },               /* MethodImpl */
	[0x1a] = { 1, { STR } },                              /* ModuleRef */
	[0x1b] = { 1, { BLOB } },                             /* TypeSpec */
	[0x1c] = { 4, { U16, CI(MEMBERFORWARDED), STR, IDX(0x1a) } }, /* ImplMap */
	[0x1d] = { 2, { U32, IDX(0x04) } },                   /* FieldRVA */
	[0x1e] = { 2, { U32, U32 } },                         /* EncLog */
	[0x1f] = { 1, { U32 } },                              /* EncMap */
	[0x20] = { 9, { U32, U16, U16, U16, U16, U32, BLOB, STR, STR } },
							      /* Assembly */
	[0x21] = { 1, { U32 } },                      /* AssemblyProcessor */
	[0x22] = { 3, { U32, U32, U32 } },            /* AssemblyOS */
	[0x23] = { 9, { U16, U16, U16, U16, U32, BLOB, STR, STR, BLOB } },
							      /* AssemblyRef */
	[0x24] = { 2, { U32, IDX(0x23) } },           /* AssemblyRefProcessor */
	[0x25] = { 4, { U32, U32, U32, IDX(0x23) } }, /* AssemblyRefOS */
	[0x26] = { 3, { U32, STR, BLOB } },                   /* File */
	[0x27] = { 5, { U32, U32, STR, STR, CI(IMPLEMENTATION) } },
							      /* ExportedType */
	[0x28] = { 4, { U32, U32, STR, CI(IMPLEMENTATION) } },
							      /* ManifestResource */
	[0x29] = { 2, { IDX(0x02), IDX(0x02) } },             /* NestedClass */
	[0x2a] = { 4, { U16, U16, CI(TYPEORMETHODDEF), STR } }, /* GenericParam */
	[0x2b] = { 2, { CI(METHODDEFORREF), BLOB } },         /* MethodSpec */
	[0x2c] = { 2, { IDX(0x2a), CI(TYPEDEFORREF) } },
						      /* GenericParamConstraint */
};

static unsigned idx_width(const struct md *m, unsigned t)
{
	return !m->minimal_delta && m->tbl[t].rows < 0x10000 ? 2 : 4;
}

static unsigned coded_width(const struct md *m, unsigned ci)
{
	if (m->minimal_delta)
		return 4;
	const struct coded_def *d = &coded[ci];
	uint32_t limit = 1u << (16 - d->bits);
	for (unsigned i = 0; i < d->n; i++)
		if (d->t[i] != NONE && m->tbl[d->t[i]].rows >= limit)
			return 4;
	return 2;
}

static unsigned col_width(const struct md *m, const struct col_def *c)
{
	switch (c->kind) {
	case MD_COL_U8:
	case MD_COL_U16:
		return 2;
	case MD_COL_U32:
		return 4;
	case MD_COL_STR:
		return m->heap_sizes & 0x01 ? 4 : 2;
	case MD_COL_GUID:
		return m->heap_sizes & 0x02 ? 4 : 2;
	case MD_COL_BLOB:
		return m->heap_sizes & 0x04 ? 4 : 2;
	case MD_COL_IDX:
		return idx_width(m, c->arg);
	case MD_COL_LIST: {
		/* The list may index the Ptr table (arg - 1) instead. */
		unsigned a = idx_width(m, c->arg), b = idx_width(m, c->arg - 1u);
		return a > b ? a : b;
	}
	default:
		return coded_width(m, c->arg);
	}
}

enum ch_status md_tables_init(struct md *m, size_t tab_off, uint32_t size,
			      struct ch_err *err)
{
	struct rdr r = rdr_make(m->buf + tab_off, size);
	rdr_skip(&r, 6); /* reserved, major, minor */
	m->heap_sizes = rdr_u8(&r);
	rdr_skip(&r, 1);
	m->valid_mask = rdr_u64(&r);
	m->sorted_mask = rdr_u64(&r);
	if (r.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: metadata table stream too short for "
				    "its header (%u bytes)", m->name, size);
	for (unsigned i = 0; i < MD_ALL_TABLES; i++) {
		if (!(m->valid_mask >> i & 1))
			continue;
		uint32_t n = rdr_u32(&r);
		if (r.bad)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata row counts run past "
					    "the table stream (%u bytes)",
					    m->name, size);
		if (n > MD_MAX_ROWS)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata table 0x%02x claims "
					    "%u rows (at most %u)", m->name,
					    i, n, MD_MAX_ROWS);
		/* Tables past the known ones come after them in the
		 * stream, so the known ones can still be read. */
		if (i < MD_TBL_COUNT)
			m->tbl[i].rows = n;
	}
	if (m->heap_sizes & 0x40)
		rdr_skip(&r, 4); /* "extra data", honoured by the runtime */
	if (r.bad)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: metadata table stream ends in its "
				    "header (%u bytes)", m->name, size);

	uint64_t off = r.off;
	for (unsigned t = 0; t < MD_TBL_COUNT; t++) {
		struct md_tbl *tb = &m->tbl[t];
		const struct table_def *d = &schema[t];
		unsigned w = 0;
		tb->ncols = d->n;
		for (unsigned c = 0; c < d->n; c++) {
			unsigned cw = col_width(m, &d->c[c]);
			tb->col[c].kind = d->c[c].kind;
			tb->col[c].arg = d->c[c].arg;
			tb->col[c].off = (uint8_t)w;
			tb->col[c].width = (uint8_t)cw;
			w += cw;
		}
		tb->row_size = w;
		tb->off = tab_off + (size_t)off;
		/* rows < 2^24 and w < 64, so this cannot overflow. */
		uint64_t bytes = (uint64_t)tb->rows * w;
		if (bytes > size - off)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: metadata table 0x%02x (%u rows "
					    "of %u bytes) runs past the table "
					    "stream (%u bytes)", m->name, t,
					    tb->rows, w, size);
		off += bytes;
	}
	return CH_OK;
}

bool md_raw(const struct md *m, unsigned t, uint32_t rid, unsigned col,
	    uint32_t *val)
{
	if (t >= MD_TBL_COUNT || rid == 0 || rid > m->tbl[t].rows ||
	    col >= m->tbl[t].ncols)
		return false;
	const struct md_tbl *tb = &m->tbl[t];
	/* Table extents were checked at open: the cell lies in the buffer. */
	const uint8_t *p = m->buf + tb->off + (size_t)(rid - 1) * tb->row_size +
			   tb->col[col].off;
	*val = tb->col[col].width == 2 ? rdr_le16(p) : rdr_le32(p);
	return true;
}

bool md_coded_token(unsigned ci, uint32_t v, uint32_t *token)
{
	const struct coded_def *d = &coded[ci];
	uint32_t tag = v & ((1u << d->bits) - 1);
	uint32_t rid = v >> d->bits;
	if (tag >= d->n || d->t[tag] == NONE)
		return false;
	*token = rid ? (uint32_t)d->t[tag] << 24 | rid : 0;
	return true;
}

bool md_coded_raw(unsigned ci, uint32_t token, uint32_t *raw)
{
	const struct coded_def *d = &coded[ci];
	uint32_t rid = token & MD_MAX_ROWS;
	for (unsigned i = 0; i < d->n; i++) {
		if (d->t[i] != NONE && d->t[i] == token >> 24) {
			*raw = rid << d->bits | i;
			return true;
		}
	}
	return false;
}

bool md_cell(const struct md *m, unsigned t, uint32_t rid, unsigned col,
	     uint32_t *val)
{
	uint32_t v;
	if (!md_raw(m, t, rid, col, &v))
		return false;
	switch (m->tbl[t].col[col].kind) {
	case MD_COL_U8:
		*val = v & 0xff;
		return true;
	case MD_COL_CODED:
		return md_coded_token(m->tbl[t].col[col].arg, v, val);
	default:
		*val = v;
		return true;
	}
}

bool md_col_sorted(const struct md *m, unsigned t, unsigned col,
		   unsigned sk)
{
	struct md *mm = (struct md *)m; /* only the atomic cache changes */
	uint8_t s = atomic_load_explicit(&mm->sorted[sk],
					 memory_order_relaxed);
	if (s != MD_LAZY_UNKNOWN)
		return s == MD_LAZY_YES;
	uint32_t prev = 0, v;
	bool ok = true;
	for (uint32_t rid = 1; rid <= m->tbl[t].rows; rid++) {
		if (!md_raw(m, t, rid, col, &v) || v < prev) {
			ok = false;
			break;
		}
		prev = v;
	}
	atomic_store_explicit(&mm->sorted[sk], ok ? MD_LAZY_YES : MD_LAZY_NO,
			      memory_order_relaxed);
	return ok;
}

/* The value of column col in the row that is the i-th in order: row i
 * itself, or perm[i - 1]. */
static uint32_t key_at(const struct md *m, unsigned t, unsigned col,
		       const uint32_t *perm, uint32_t i)
{
	uint32_t v = 0;
	md_raw(m, t, perm ? perm[i - 1] : i, col, &v);
	return v;
}

/* First position in [1, rows] whose value is >= key (> key when upper),
 * rows + 1 when none; the order is sorted. */
static uint32_t bound(const struct md *m, unsigned t, unsigned col,
		      const uint32_t *perm, uint32_t key, bool upper)
{
	uint32_t lo = 1, hi = m->tbl[t].rows + 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t v = key_at(m, t, col, perm, mid);
		if (v < key || (upper && v == key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The rids of table t ordered by column col (then by rid); NULL when out
 * of memory. Built once; a thread that loses the race frees its copy. */
static const uint32_t *column_index(const struct md *m, unsigned t,
				    unsigned col, unsigned sk)
{
	struct md *mm = (struct md *)m; /* only the atomic cache changes */
	uint32_t *ix = atomic_load_explicit(&mm->index[sk],
					    memory_order_acquire);
	if (ix)
		return ix;
	uint32_t n = m->tbl[t].rows; /* < 2^24: the sizes cannot overflow */
	uint64_t *pairs = malloc((size_t)n * sizeof(*pairs) + 1);
	ix = malloc((size_t)n * sizeof(*ix) + 1);
	if (!pairs || !ix) {
		free(pairs);
		free(ix);
		return NULL;
	}
	for (uint32_t r = 1; r <= n; r++)
		pairs[r - 1] = (uint64_t)key_at(m, t, col, NULL, r) << 32 | r;
	qsort(pairs, n, sizeof(*pairs), cmp_u64);
	for (uint32_t i = 0; i < n; i++)
		ix[i] = (uint32_t)pairs[i];
	free(pairs);
	uint32_t *expected = NULL;
	if (!atomic_compare_exchange_strong(&mm->index[sk], &expected, ix)) {
		free(ix);
		return expected;
	}
	return ix;
}

void md_find_rows(const struct md *m, unsigned t, unsigned col, unsigned sk,
		  uint32_t key, struct md_found *f)
{
	f->perm = NULL;
	if (!md_col_sorted(m, t, col, sk)) {
		f->perm = column_index(m, t, col, sk);
		if (!f->perm) {
			f->lo = 1;
			f->n = m->tbl[t].rows;
			return;
		}
	}
	uint32_t a = bound(m, t, col, f->perm, key, false);
	uint32_t b = bound(m, t, col, f->perm, key, true);
	/* positions are 1-based; perm is indexed from 0 */
	f->lo = f->perm ? a - 1 : a;
	f->n = b - a;
}

uint32_t md_rows(const struct md *m, unsigned t)
{
	return t < MD_TBL_COUNT ? m->tbl[t].rows : 0;
}

uint32_t md_row_size(const struct md *m, unsigned t)
{
	return t < MD_TBL_COUNT ? m->tbl[t].row_size : 0;
}

size_t md_table_offset(const struct md *m, unsigned t)
{
	return t < MD_TBL_COUNT ? m->tbl[t].off : 0;
}
