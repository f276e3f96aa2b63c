/* val.h - values: a field of an object, an element of an array or a static
 * field, decoded and rendered as the text of a value file (the value and
 * one "\n") or as JSON (DESIGN.md §3 and §4).
 *
 * Leaves (primitives, strings, Guid, DateTime, DateTimeOffset, TimeSpan,
 * decimal, enums, Nullable<T>, IPAddress, Uri, Version, F# option and
 * voption, boxed leaves) render as one value; embedded structs as nested
 * objects; arrays and well-known collections (List, Dictionary, HashSet,
 * Queue, Stack, ConcurrentQueue, ConcurrentDictionary, F# list, Map, Set)
 * by their logical content, decoded from their fields by name, or as plain
 * fields when those are not what the decoder expects. References are
 * inlined up to a depth, then written {"$ref":"0x…"}; within one document
 * an object is written out once, where it is nearest the top (the first
 * such place), and is {"$ref":"0x…"} everywhere else. An F# list cell as
 * a document of its own shows its item and a $ref to the rest.
 *
 * How each type renders is planned once per MethodTable and cached, so
 * rendering an object does no allocation beyond the output buffer. A
 * struct val may be used from several threads at once. */
#ifndef CLRHEAP_VAL_H
#define CLRHEAP_VAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clr.h"
#include "err.h"

#define VAL_DEFAULT_DEPTH 3
/* What one JSON document shows of a long string or a big collection (the
 * mount's -o max_string, -o max_items): past it, a string becomes
 * {"$string":"<its first characters>","$length":N} and a collection ends
 * with {"$more":N} (in an object "$more":N), N what was left out. */
#define VAL_DEFAULT_STRING (1u << 20) /* UTF-16 units */
#define VAL_MAX_STRING (1u << 30)
#define VAL_DEFAULT_ITEMS (1u << 20)
#define VAL_MAX_SHOWN_ITEMS (1u << 28)
#define VAL_MAX_DEPTH 64
/* Bytes one document may take: past them it is cut -- nothing more is
 * inlined (references are {"$ref"}), collections end with {"$more":N},
 * the open objects are closed, and the top object gets "$cut":<the cap>. It
 * ends near the cap: what was open when it was reached is finished. */
#define VAL_DEFAULT_DOC ((uint64_t)64 << 20)

/* A growable output buffer. p is NUL-terminated when len > 0. An
 * allocation failure sets oom; later appends do nothing. */
struct val_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void val_buf_init(struct val_buf *b);
void val_buf_free(struct val_buf *b);
/* Forgets the content, keeps the memory. */
void val_buf_reset(struct val_buf *b);

struct val;

/* Opens a value renderer over the runtime c (borrowed; must outlive it).
 * Returns *out (free with val_close) or CH_ENOMEM. */
enum ch_status val_open(struct clr *c, struct val **out, struct ch_err *err);
void val_close(struct val *v);

/* References are inlined to this depth (levels below the top object,
 * which is level 0); capped at VAL_MAX_DEPTH. Set before rendering. */
void val_set_depth(struct val *v, unsigned depth);
/* Sets the caps above (0 keeps the default; larger than the maximum is
 * the maximum). Set before rendering. */
void val_set_limits(struct val *v, uint64_t max_items, uint32_t max_string);
unsigned val_depth(const struct val *v);
/* Sets the document cap above (0 keeps the default). Set before
 * rendering. */
void val_set_doc_limit(struct val *v, uint64_t bytes);

/* The resolver val uses (owned by v), for callers that look types up. */
struct clr_resolver *val_resolver(struct val *v);

/* Where a value lives: `addr` holds its bytes (an object reference for
 * reference types); `th` is its declared type when it is a value type
 * (struct, enum, Nullable), else 0; elem is its CorElementType. */
struct val_slot {
	uint64_t addr;
	uint64_t th;
	uint8_t elem;
};

/* What a slot holds, for a view that shows leaves as files, objects as
 * links and structs as directories. */
enum val_kind {
	VAL_NULL,    /* a null reference (or a Nullable / option without value) */
	VAL_LEAF,    /* a value rendered whole: number, string, Guid, ... */
	VAL_OBJECT,  /* a reference to a non-leaf heap object (*target) */
	VAL_STRUCT,  /* an embedded struct that is not a leaf */
	VAL_BAD,     /* unreadable */
};

/* The JSON document of the heap object at addr (level 0; arrays and
 * collections as {"$addr","$type","$items":[…]}, leaves as
 * {"$addr","$type","$value":…}; an F# list cell as
 * {"$addr","$type","$items":[its item],"$rest":{"$ref":"0x<next cell>"}},
 * without "$rest" for the last cell and with no item for the empty list,
 * so that the documents of every cell show each item once), appended to
 * b without a newline.
 * Returns CH_OK, or an error (unreadable object) with a message in err. */
enum ch_status val_object_json(struct val *v, uint64_t addr, struct val_buf *b,
			       struct ch_err *err);

/* The static fields of type t as one JSON object {"$type":…, fields…}
 * rendered as the fields of a level-0 object; thread-static fields, when
 * the type has some, per thread that has them:
 * "$threads":[{"thread":id,"os_tid":n,"fields":{…}},…]. */
enum ch_status val_statics_json(struct val *v, const struct clr_type *t,
				struct val_buf *b, struct ch_err *err);

/* Slots: instance field f of the object at obj; static field f of type t
 * (false when its statics are not allocated); element i of the array at
 * arr (false when out of range). */
bool val_field_slot(struct val *v, uint64_t obj, const struct clr_field *f,
		    struct val_slot *out);
bool val_static_slot(struct val *v, const struct clr_type *t,
		     const struct clr_field *f, struct val_slot *out);
bool val_elem_slot(struct val *v, uint64_t arr, uint64_t i, struct val_slot *out);
/* Thread-static field f of type t on thread (a Thread*, clr_threads). */
bool val_thread_static_slot(struct val *v, const struct clr_type *t, uint64_t thread,
			    const struct clr_field *f, struct val_slot *out);

/* Classifies a slot; *target (may be NULL) gets the object of VAL_OBJECT. */
enum val_kind val_slot_kind(struct val *v, const struct val_slot *s,
			    uint64_t *target);
/* The slot's value as JSON, its references inlined as for a field of a
 * level-0 object. */
enum ch_status val_slot_json(struct val *v, const struct val_slot *s,
			     struct val_buf *b, struct ch_err *err);
/* The text of the slot's value file: a leaf's plain text ("null" for
 * null), otherwise its JSON; then "\n". */
enum ch_status val_slot_text(struct val *v, const struct val_slot *s,
			     struct val_buf *b, struct ch_err *err);

/* The name of instance field i of type t as JSON and the view show it
 * (val_field_names over t's instance fields). NULL when t has no field i.
 * Owned by v. */
const char *val_field_name(struct val *v, const struct clr_type *t, size_t i);

/* ---- field names (val_name.c): the one rule JSON and the view share ---- */

/* The clean name of a raw field name: `<Name>k__BackingField` and F#'s
 * `Name@` are `Name`, any other name is itself. Returns where it starts
 * in raw (it is not NUL-terminated) and its length in *len. */
const char *val_clean_name(const char *raw, size_t *len);

/* The names of n fields (raw[i] not NULL): each field's clean name, but
 * where the clean names of two or more fields are equal those fields keep
 * their raw names, as does a field whose clean name is another field's
 * raw name (so two fields show one name only when their raw names are
 * equal). names[i] is raw[i] itself where that is the name, else
 * a malloc'd string (free them with val_free_names). O(n log n) whatever
 * the names. Returns false when out of memory (names[i] are then raw[i]:
 * nothing to free). */
bool val_field_names(const char *const *raw, size_t n, const char **names);
void val_free_names(const char *const *raw, const char **names, size_t n);

/* ---- leaf formatting (val_leaf.c), exposed for tests ---- */

/* Shortest text that reads back to the same bits, as .NET's
 * ToString("R"): "0.1", "1E+21", "-0", "5E-324". out holds 32 bytes.
 * Non-finite values give "NaN", "Infinity", "-Infinity". Returns the
 * length. */
size_t val_fmt_double(double d, char *out);
size_t val_fmt_float(float f, char *out);
/* decimal from its fields (flags, hi32, lo64) with its scale kept:
 * "12.50", "-0.001", "79228162514264337593543950335". out holds 40. */
size_t val_fmt_decimal(uint32_t flags, uint32_t hi32, uint64_t lo64, char *out);
/* DateTime from _dateData as ToString("o") (a Local one without offset). */
size_t val_fmt_datetime(uint64_t date_data, char *out);
/* DateTimeOffset from its UTC ticks and offset in minutes. */
size_t val_fmt_dto(uint64_t utc_date_data, int32_t offset_minutes, char *out);
/* TimeSpan as ToString("c"): "-1.02:03:04.5000000". */
size_t val_fmt_timespan(int64_t ticks, char *out);
/* Guid as ToString(): 16 bytes as the runtime stores them. */
size_t val_fmt_guid(const uint8_t g[16], char *out);
/* IPv4 (4 bytes in network order) and IPv6 (8 groups, scope 0 for none)
 * as IPAddress.ToString(). out holds 64. */
size_t val_fmt_ipv4(const uint8_t b[4], char *out);
size_t val_fmt_ipv6(const uint16_t g[8], uint32_t scope, char *out);

/* UTF-16 (n code units, little-endian bytes) to UTF-8, an unpaired
 * surrogate as U+FFFD; json adds quotes and escapes. Appends to b. */
void val_utf16(struct val_buf *b, const uint8_t *s, size_t n, bool json);

#endif
