/* main_threads.h - clrheap's threads command (main_threads.c). */
#ifndef CLRHEAP_MAIN_THREADS_H
#define CLRHEAP_MAIN_THREADS_H

#include <stdbool.h>

#include "clr.h"
#include "err.h"

/* Prints the managed threads of c's runtime to stdout: a table like SOS
 * !threads, or with json one JSON document (thr_list_json). A damaged
 * thread list is a warning on stderr naming dump_path. Returns 0, or -1
 * with a message in err. */
int main_threads(struct clr *c, const char *dump_path, bool json, struct ch_err *err);

#endif
