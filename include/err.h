/* err.h - the project's one error enum and the message kept beside it.
 *
 * Every module context embeds a struct ch_err. A failing call records a
 * status and a one-line message (naming the file and what was wrong) and
 * returns the status; front ends print the message and exit non-zero. */
#ifndef CLRHEAP_ERR_H
#define CLRHEAP_ERR_H

#include <stdarg.h>

enum ch_status {
	CH_OK = 0,
	CH_EIO,          /* the operating system refused: open, mmap, read */
	CH_EFORMAT,      /* not a format we read (wrong magic, unknown kind) */
	CH_ECORRUPT,     /* the input contradicts itself or runs out of bounds */
	CH_EUNSUPPORTED, /* valid, but a case this program does not handle */
	CH_ENOTFOUND,    /* a thing looked up is not there */
	CH_ENOMEM,       /* an allocation failed or a size cap was hit */
	CH_EARG,         /* the caller asked for something impossible */
};

struct ch_err {
	enum ch_status status;
	char msg[512];
};

/* Records status and a printf-style message in e (may be NULL); returns
 * status so callers can write `return ch_set_error(...)`. The message of an
 * earlier error is replaced. */
enum ch_status ch_set_error(struct ch_err *e, enum ch_status status,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears e to CH_OK with an empty message. */
void ch_clear_error(struct ch_err *e);

/* Returns a static, human name for status ("corrupt input", ...). */
const char *ch_status_str(enum ch_status status);

#endif
