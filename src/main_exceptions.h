/* main_exceptions.h - clrheap's exceptions command (main_exceptions.c). */
#ifndef CLRHEAP_MAIN_EXCEPTIONS_H
#define CLRHEAP_MAIN_EXCEPTIONS_H

#include <stdbool.h>

#include "err.h"
#include "heap.h"

/* Prints every exception object of h's heap to stdout (only those whose
 * type is or derives from base, when base is not NULL): each in the shape
 * of SOS !pe, a blank line between them, or with json one JSON document
 * (exc_list_json). Returns 0, or -1 with a message in err. */
int main_exceptions(struct heap *h, const char *base, bool json, struct ch_err *err);

#endif
