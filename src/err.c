/* err.c - error recording shared by every module. */
#include "err.h"

#include <stdio.h>
#include <string.h>

enum ch_status ch_set_error(struct ch_err *e, enum ch_status status,
			    const char *fmt, ...)
{
	if (!e)
		return status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->status = status;
	return status;
}

void ch_clear_error(struct ch_err *e)
{
	if (!e)
		return;
	e->status = CH_OK;
	e->msg[0] = '\0';
}

const char *ch_status_str(enum ch_status status)
{
	switch (status) {
	case CH_OK: return "ok";
	case CH_EIO: return "i/o error";
	case CH_EFORMAT: return "unknown format";
	case CH_ECORRUPT: return "corrupt input";
	case CH_EUNSUPPORTED: return "unsupported";
	case CH_ENOTFOUND: return "not found";
	case CH_ENOMEM: return "out of memory";
	case CH_EARG: return "bad argument";
	}
	return "unknown error";
}
