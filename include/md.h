/* md.h - ECMA-335 metadata of one module, read from untrusted bytes.
 *
 * Two parts:
 * - md_pe_*: the PE/COFF headers of a managed image (PE32 and PE32+), in
 *   FILE layout (the .dll as on disk) or MAPPED layout (sections placed at
 *   their RVAs, as the loader maps them); finds the CLI header and the
 *   metadata root and translates RVAs to buffer offsets.
 * - md_*: the metadata itself (ECMA-335 Partition II, chapter 24): the root,
 *   its streams (#~ or #-, #Strings, #US, #Blob, #GUID) and every table of
 *   chapter 22, with decoders for the rows the type system needs.
 *
 * An open struct md is immutable: every accessor may be called from several
 * threads at once. Strings and blobs returned are pointers into the buffer
 * given to md_open, valid until md_close (and as long as that buffer lives).
 *
 * Row ids (rid) are 1-based as in ECMA-335; a token is (table << 24) | rid,
 * so a TypeDef token is 0x02xxxxxx. A nil coded index decodes to token 0. */
#ifndef CLRHEAP_MD_H
#define CLRHEAP_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- PE/COFF ---------------------------------------------------------- */

#define MD_PE_MAX_SECTIONS 96 /* the Windows loader's own limit */

struct md_pe_section {
	uint32_t va, vsize;        /* where it is mapped, relative to base */
	uint32_t raw_off, raw_size; /* where its bytes are in the file */
};

/* The headers of a managed PE image, as md_pe_parse found them. */
struct md_pe {
	bool valid;
	bool mapped;        /* offsets are RVAs (loader layout) */
	bool is_pe32plus;   /* optional header magic 0x20b (else 0x10b) */
	uint16_t machine;   /* IMAGE_FILE_HEADER.Machine (ReadyToRun images
			       xor it with an OS value: 0xfd1d = Linux x64) */
	uint32_t timestamp; /* IMAGE_FILE_HEADER.TimeDateStamp */
	uint32_t size_of_image;
	uint32_t size_of_headers;
	uint64_t image_base;
	uint32_t cli_rva, cli_size;  /* data directory 14 */
	uint32_t md_rva, md_size;    /* metadata root, from the CLI header */
	uint32_t cor_flags;          /* CLI header Flags (1 = IL only) */
	uint16_t nsections;
	struct md_pe_section sect[MD_PE_MAX_SECTIONS];
	size_t len;                  /* the buffer length parsed */
};

/* Parses the PE headers of img (len bytes; mapped selects the layout) into
 * *out and finds the metadata root through the CLI header. Returns CH_OK;
 * CH_EFORMAT when img is not a PE image or has no CLI header (native DLL);
 * CH_ECORRUPT when a header or the metadata range lies outside img. name
 * (may be NULL) is used in the message set in err. Nothing is allocated. */
enum ch_status md_pe_parse(const uint8_t *img, size_t len, bool mapped,
			   const char *name, struct md_pe *out,
			   struct ch_err *err);

/* Parses only the headers up to the section table from hdr (len bytes, the
 * start of an image whose whole length is image_len), for callers that
 * read the rest of the image piecemeal (from a dump). Sets cli_rva and
 * cli_size but not md_rva/md_size; md_pe_rva_to_off then translates within
 * image_len. Returns as md_pe_parse. */
enum ch_status md_pe_parse_headers(const uint8_t *hdr, size_t len,
				   bool mapped, uint64_t image_len,
				   const char *name, struct md_pe *out,
				   struct ch_err *err);

/* Translates [rva, rva+n) to an offset in the parsed buffer. Returns false
 * when the range is not wholly backed by bytes of the buffer (outside every
 * section, in a section's zero-filled tail in file layout, past len). */
bool md_pe_rva_to_off(const struct md_pe *pe, uint32_t rva, uint32_t n,
		      size_t *off);

/* ---- metadata --------------------------------------------------------- */

/* Table numbers of ECMA-335 II.22 (the high byte of a token). */
enum md_table {
	MD_TBL_MODULE = 0x00, MD_TBL_TYPEREF = 0x01, MD_TBL_TYPEDEF = 0x02,
	MD_TBL_FIELDPTR = 0x03, MD_TBL_FIELD = 0x04, MD_TBL_METHODPTR = 0x05,
	MD_TBL_METHODDEF = 0x06, MD_TBL_PARAMPTR = 0x07, MD_TBL_PARAM = 0x08,
	MD_TBL_INTERFACEIMPL = 0x09, MD_TBL_MEMBERREF = 0x0a,
	MD_TBL_CONSTANT = 0x0b, MD_TBL_CUSTOMATTRIBUTE = 0x0c,
	MD_TBL_FIELDMARSHAL = 0x0d, MD_TBL_DECLSECURITY = 0x0e,
	MD_TBL_CLASSLAYOUT = 0x0f, MD_TBL_FIELDLAYOUT = 0x10,
	MD_TBL_STANDALONESIG = 0x11, MD_TBL_EVENTMAP = 0x12,
	MD_TBL_EVENTPTR = 0x13, MD_TBL_EVENT = 0x14, MD_TBL_PROPERTYMAP = 0x15,
	MD_TBL_PROPERTYPTR = 0x16, MD_TBL_PROPERTY = 0x17,
	MD_TBL_METHODSEMANTICS = 0x18, MD_TBL_METHODIMPL = 0x19,
	MD_TBL_MODULEREF = 0x1a, MD_TBL_TYPESPEC = 0x1b, MD_TBL_IMPLMAP = 0x1c,
	MD_TBL_FIELDRVA = 0x1d, MD_TBL_ENCLOG = 0x1e, MD_TBL_ENCMAP = 0x1f,
	MD_TBL_ASSEMBLY = 0x20, MD_TBL_ASSEMBLYPROCESSOR = 0x21,
	MD_TBL_ASSEMBLYOS = 0x22, MD_TBL_ASSEMBLYREF = 0x23,
	MD_TBL_ASSEMBLYREFPROCESSOR = 0x24, MD_TBL_ASSEMBLYREFOS = 0x25,
	MD_TBL_FILE = 0x26, MD_TBL_EXPORTEDTYPE = 0x27,
	MD_TBL_MANIFESTRESOURCE = 0x28, MD_TBL_NESTEDCLASS = 0x29,
	MD_TBL_GENERICPARAM = 0x2a, MD_TBL_METHODSPEC = 0x2b,
	MD_TBL_GENERICPARAMCONSTRAINT = 0x2c,
	MD_TBL_COUNT = 0x2d, /* tables this reader knows the layout of */
};

/* CorElementType (ECMA-335 II.23.1.16). */
enum md_elem {
	MD_ELEM_END = 0x00, MD_ELEM_VOID = 0x01, MD_ELEM_BOOLEAN = 0x02,
	MD_ELEM_CHAR = 0x03, MD_ELEM_I1 = 0x04, MD_ELEM_U1 = 0x05,
	MD_ELEM_I2 = 0x06, MD_ELEM_U2 = 0x07, MD_ELEM_I4 = 0x08,
	MD_ELEM_U4 = 0x09, MD_ELEM_I8 = 0x0a, MD_ELEM_U8 = 0x0b,
	MD_ELEM_R4 = 0x0c, MD_ELEM_R8 = 0x0d, MD_ELEM_STRING = 0x0e,
	MD_ELEM_PTR = 0x0f, MD_ELEM_BYREF = 0x10, MD_ELEM_VALUETYPE = 0x11,
	MD_ELEM_CLASS = 0x12, MD_ELEM_VAR = 0x13, MD_ELEM_ARRAY = 0x14,
	MD_ELEM_GENERICINST = 0x15, MD_ELEM_TYPEDBYREF = 0x16,
	MD_ELEM_I = 0x18, MD_ELEM_U = 0x19, MD_ELEM_FNPTR = 0x1b,
	MD_ELEM_OBJECT = 0x1c, MD_ELEM_SZARRAY = 0x1d, MD_ELEM_MVAR = 0x1e,
	MD_ELEM_CMOD_REQD = 0x1f, MD_ELEM_CMOD_OPT = 0x20,
	MD_ELEM_INTERNAL = 0x21, MD_ELEM_SENTINEL = 0x41,
	MD_ELEM_PINNED = 0x45,
};

/* Field attributes used by callers (ECMA-335 II.23.1.5). */
#define MD_FIELD_STATIC  0x0010u
#define MD_FIELD_LITERAL 0x0040u
/* TypeDef attribute: the visibility mask; values 2..7 mean nested. */
#define MD_TYPE_VISIBILITY_MASK 0x7u
#define MD_TYPE_INTERFACE 0x20u

struct md;

/* md_open flags. */
#define MD_OPEN_OWN 0x1u /* md_close frees buf with free() */

/* Opens the metadata root at buf (len bytes: the metadata as the CLI header
 * delimits it). Checks the root, the stream headers and the table stream's
 * header, row counts and table extents; rows are read on demand, nothing is
 * allocated per row. name (copied; may be NULL) names the module in
 * messages. buf is borrowed unless flags has MD_OPEN_OWN; it must outlive
 * the md. Returns CH_OK and *out (free with md_close); CH_EFORMAT when buf
 * is not metadata; CH_ECORRUPT/CH_EUNSUPPORTED/CH_ENOMEM with a message in
 * err. On failure with MD_OPEN_OWN, buf is freed too. */
enum ch_status md_open(const uint8_t *buf, size_t len, const char *name,
		       unsigned flags, struct md **out, struct ch_err *err);

/* Parses a PE image (see md_pe_parse) and opens its metadata. img is
 * borrowed and must outlive the md. pe_out (may be NULL) receives the
 * headers. Returns as md_pe_parse and md_open. */
enum ch_status md_open_pe(const uint8_t *img, size_t len, bool mapped,
			  const char *name, struct md **out,
			  struct md_pe *pe_out, struct ch_err *err);

/* Frees m (and its buffer when opened with MD_OPEN_OWN). NULL is fine. */
void md_close(struct md *m);

/* The name given at open ("metadata" when none); owned by m. */
const char *md_name(const struct md *m);
/* The root's version string ("v4.0.30319"); owned by m. */
const char *md_version(const struct md *m);
/* True when the tables stream is "#-" (uncompressed, may hold Ptr tables). */
bool md_uncompressed(const struct md *m);
/* The table stream's HeapSizes byte as found (0x01 strings, 0x02 guids,
 * 0x04 blobs wide; 0x40 extra data follows the row counts). */
uint8_t md_heap_sizes(const struct md *m);

/* Row count of table t (0 for an absent or unknown table). */
uint32_t md_rows(const struct md *m, unsigned t);
/* Width in bytes of one row of table t (0 for unknown tables). */
uint32_t md_row_size(const struct md *m, unsigned t);
/* Offset of table t from the start of the metadata root. */
size_t md_table_offset(const struct md *m, unsigned t);

/* Reads column col of row rid of table t into *val: a heap offset for
 * heap columns, a rid for simple indexes, a token ((table << 24) | rid, 0
 * when nil) for coded indexes, the value for constant columns. Returns
 * false for a bad table, rid or column, or a coded index with a bad tag. */
bool md_cell(const struct md *m, unsigned t, uint32_t rid, unsigned col,
	     uint32_t *val);

/* ---- heaps ---- */

/* The NUL-terminated string at #Strings offset idx; "" when idx is out of
 * the heap (never reads outside it). O(1). Owned by m. */
const char *md_string(const struct md *m, uint32_t idx);
/* True when idx is a valid #Strings offset. */
bool md_string_valid(const struct md *m, uint32_t idx);

/* The #Blob item at offset idx, its compressed length decoded and checked;
 * *len receives its length. Returns NULL (and *len = 0) for a bad index or
 * length. Owned by m. */
const uint8_t *md_blob(const struct md *m, uint32_t idx, uint32_t *len);

/* Copies the 16-byte GUID with 1-based #GUID index idx; false when out of
 * range (out is zeroed). */
bool md_guid(const struct md *m, uint32_t idx, uint8_t out[16]);

/* The #US item at offset idx: UTF-16LE code units; *nchars receives their
 * count (the trailing flag byte is not included). NULL when bad. */
const uint8_t *md_user_string(const struct md *m, uint32_t idx,
			      uint32_t *nchars);

/* Decodes an ECMA-335 compressed unsigned integer (II.23.2) at *p (< end)
 * into *v and advances *p. Returns false when truncated or malformed. */
bool md_uncompress(const uint8_t **p, const uint8_t *end, uint32_t *v);

/* ---- rows ---- */

struct md_typedef {
	uint32_t flags;
	const char *name;  /* raw, with any `N arity suffix */
	const char *ns;    /* "" for nested types */
	uint32_t extends;  /* TypeDefOrRef token, 0 when none */
	uint32_t field_first, field_count;   /* positions in the field list */
	uint32_t method_first, method_count; /* positions in the method list */
};

struct md_typeref {
	uint32_t scope;    /* ResolutionScope token (Module, ModuleRef,
			      AssemblyRef or TypeRef for nested), 0 if nil */
	const char *name;
	const char *ns;
};

struct md_field {
	uint16_t flags;
	const char *name;
	const uint8_t *sig; /* signature blob, starting with 0x06 */
	uint32_t sig_len;
};

struct md_generic_param {
	uint16_t number;
	uint16_t flags;
	uint32_t owner;    /* TypeDef or MethodDef token */
	const char *name;
};

struct md_constant {
	uint8_t type;      /* an MD_ELEM_* (CLASS means a null reference) */
	uint32_t parent;   /* Field, Param or Property token */
	const uint8_t *value;
	uint32_t value_len;
};

struct md_assembly {
	const char *name;
	const char *culture;
	uint16_t major, minor, build, revision;
	uint32_t flags;
};

/* Each decoder below returns CH_OK and fills *out, CH_ENOTFOUND for a rid
 * outside the table, or CH_ECORRUPT when the row contradicts the rest of
 * the metadata (a list running backwards or past its table). */
enum ch_status md_typedef(const struct md *m, uint32_t rid,
			  struct md_typedef *out);
enum ch_status md_typeref(const struct md *m, uint32_t rid,
			  struct md_typeref *out);
/* rid is a Field rid; see md_field_rid for positions in a field list. */
enum ch_status md_field(const struct md *m, uint32_t rid,
			struct md_field *out);
enum ch_status md_generic_param(const struct md *m, uint32_t rid,
				struct md_generic_param *out);
enum ch_status md_constant(const struct md *m, uint32_t rid,
			   struct md_constant *out);
/* The Assembly row (CH_ENOTFOUND for a module that is not an assembly). */
enum ch_status md_assembly(const struct md *m, struct md_assembly *out);
enum ch_status md_assembly_ref(const struct md *m, uint32_t rid,
			       struct md_assembly *out);
/* The Module row's name ("" when missing). */
const char *md_module_name(const struct md *m);

/* Returns the Field rid at position pos of the field list: pos itself
 * unless the metadata has a FieldPtr table (uncompressed "#-" metadata),
 * then FieldPtr[pos]. 0 when out of range. */
uint32_t md_field_rid(const struct md *m, uint32_t pos);

/* The fields of TypeDef rid are list positions [*first, *first + *count),
 * i.e. from its FieldList to the next TypeDef's FieldList (or the end). */
enum ch_status md_typedef_fields(const struct md *m, uint32_t rid,
				 uint32_t *first, uint32_t *count);

/* The TypeDef that declares field list position pos: a binary search of
 * the FieldList column, a scan when it is not in order (corrupt
 * metadata); 0 when none. */
uint32_t md_field_owner(const struct md *m, uint32_t pos);

/* The Extends token of TypeDef rid (0 when none or rid is bad). */
uint32_t md_typedef_extends(const struct md *m, uint32_t rid);

/* The enclosing TypeDef rid of nested TypeDef rid, 0 when not nested.
 * O(log n): a binary search of NestedClass, which writers sort; when it is
 * not sorted, of an index of it built on first use (4 bytes per row). */
uint32_t md_enclosing(const struct md *m, uint32_t rid);

/* Name flags for md_typedef_name / md_typeref_name. */
#define MD_NAME_NO_ARITY 0x1u /* drop the `N suffix of each part */
#define MD_NAME_NO_NS    0x2u /* leave the namespace out */

/* Writes the full name of TypeDef rid, "Ns.Outer+Inner", into buf (size
 * bytes, always terminated when size > 0). Returns CH_OK; CH_ENOMEM when
 * truncated; CH_ENOTFOUND for a bad rid; CH_ECORRUPT for a nesting cycle
 * or nesting deeper than 64. */
enum ch_status md_typedef_name(const struct md *m, uint32_t rid,
			       unsigned flags, char *buf, size_t size);
/* The same for TypeRef rid, following TypeRef resolution scopes for
 * nested types. */
enum ch_status md_typeref_name(const struct md *m, uint32_t rid,
			       unsigned flags, char *buf, size_t size);

/* Length of name without a trailing `N arity suffix (N all digits); the
 * arity itself goes to *arity (may be NULL; 0 when there is none). */
size_t md_name_arity(const char *name, uint32_t *arity);

/* Finds the TypeDef named ns.name (top-level types only; name raw, with
 * arity). Linear in the TypeDef count: for rare lookups. 0 if none. */
uint32_t md_find_typedef(const struct md *m, const char *ns,
			 const char *name);

/* Generic parameters of owner (a TypeDef or MethodDef token): the count,
 * and the name of parameter number i (NULL when there is none). O(log n),
 * as md_enclosing. */
uint32_t md_generic_param_count(const struct md *m, uint32_t owner);
const char *md_generic_param_name(const struct md *m, uint32_t owner,
				  uint32_t i);

/* The Constant row whose parent is token (a Field, Param or Property
 * token): CH_OK and *out, or CH_ENOTFOUND. O(log n), as md_enclosing. */
enum ch_status md_constant_of(const struct md *m, uint32_t token,
			      struct md_constant *out);

/* ---- signatures ---- */

/* The leading type of a field signature (or of any Type in a blob). */
struct md_sigtype {
	uint8_t elem;      /* MD_ELEM_*, after custom modifiers */
	uint32_t token;    /* CLASS/VALUETYPE: the TypeDefOrRef token;
			      GENERICINST: the generic type's token */
	uint8_t inst_kind; /* GENERICINST: CLASS or VALUETYPE */
	uint32_t nargs;    /* GENERICINST: number of type arguments */
	uint32_t index;    /* VAR/MVAR: the parameter number; ARRAY: rank */
	uint8_t inner;     /* SZARRAY/ARRAY/PTR/BYREF: the element's elem */
	uint32_t inner_token; /* ... and its token when CLASS/VALUETYPE or
				 the generic type's when GENERICINST */
};

/* Decodes a field signature (0x06, custom modifiers, Type) into *out.
 * Returns CH_OK or CH_ECORRUPT for a malformed or truncated blob. */
enum ch_status md_field_sig(const uint8_t *sig, uint32_t len,
			    struct md_sigtype *out);

/* Checks the whole Type at *p (< end; nesting capped at 64) and decodes
 * its head into *out. *p advances past the head only: for GENERICINST
 * past the generic type and argument count (the arguments follow), for
 * SZARRAY/ARRAY/PTR/BYREF to the element Type, for FNPTR to the method
 * signature; so a caller can decode what follows with another call.
 * Returns CH_OK or CH_ECORRUPT (then *p is unspecified). */
enum ch_status md_sig_type(const uint8_t **p, const uint8_t *end,
			   struct md_sigtype *out);

/* Skips an ArrayShape (II.23.2.13: rank, sizes, lower bounds) at *p
 * (< end), as it follows the element Type of an ARRAY. Returns false when
 * it is truncated or malformed. */
bool md_sig_skip_array_shape(const uint8_t **p, const uint8_t *end);

/* Moves *p (< end) past one whole Type, custom modifiers and nested types
 * included (nesting capped at 64). Returns false when it is truncated or
 * malformed (then *p is unspecified). */
bool md_sig_skip_type(const uint8_t **p, const uint8_t *end);

/* ---- enums ---- */

struct md_enum_member {
	uint32_t field;    /* Field rid */
	const char *name;
	uint8_t type;      /* the Constant's MD_ELEM_* */
	uint64_t bits;     /* the value, zero-extended from its width */
};

/* The underlying MD_ELEM_* of enum TypeDef rid (the type of its instance
 * field value__); 0 when rid is not an enum-shaped type. */
uint8_t md_enum_underlying(const struct md *m, uint32_t rid);

/* Lists the members of enum TypeDef rid (its static literal fields with a
 * Constant) into out[0..max); returns how many there are (may be > max:
 * call again with a bigger array). */
size_t md_enum_members(const struct md *m, uint32_t rid,
		       struct md_enum_member *out, size_t max);

#endif
