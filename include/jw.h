/* jw.h - a small JSON writer into a growable buffer (or straight to a FILE).
 *
 * Commas and nesting are tracked for the caller: jw_obj_begin, jw_key,
 * value calls, jw_obj_end. Strings are escaped for valid UTF-8 JSON:
 * control characters as \u00XX, invalid UTF-8 bytes as U+FFFD. An
 * allocation failure sets `oom` and later calls do nothing. */
#ifndef CLRHEAP_JW_H
#define CLRHEAP_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 256

struct jw {
	char *buf;   /* owned; NUL-terminated when len > 0 */
	size_t len, cap;
	bool oom;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

/* Starts an empty writer. Free the buffer with jw_free. */
void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Forgets the content but keeps the buffer, for reuse in loops. */
void jw_reset(struct jw *w);

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *k);
/* Writes a JSON string from len bytes of UTF-8 (invalid bytes -> U+FFFD). */
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Writes a number or literal already formatted as JSON text. */
void jw_raw(struct jw *w, const char *s, size_t len);
/* Writes "0x..." lowercase hex as a JSON string. */
void jw_hex(struct jw *w, uint64_t v);
/* jw_str, or null when s is NULL; jw_hex, or null when v is 0. */
void jw_str_or_null(struct jw *w, const char *s);
void jw_hex_or_null(struct jw *w, uint64_t v);

/* Length of the valid UTF-8 sequence at s (1..4 of the n bytes there), or
 * 0 when it is not valid UTF-8 (overlong, surrogate, past U+10FFFF,
 * truncated). */
size_t jw_utf8_len(const unsigned char *s, size_t n);

/* Appends raw bytes with no JSON bookkeeping (newlines between documents). */
void jw_append(struct jw *w, const char *s, size_t len);

#endif
