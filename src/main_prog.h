/* main_prog.h - progress of clrheap's long walks on stderr (main_prog.c). */
#ifndef CLRHEAP_MAIN_PROG_H
#define CLRHEAP_MAIN_PROG_H

#include <stdbool.h>
#include <stdint.h>

struct prog;

/* NULL when nothing is to be shown: stderr is no terminal and forced
 * (--progress) is not set, or out of memory. On a terminal one line is
 * rewritten in place once a walk has taken 2 s; forced, a plain line is
 * written at most once a second, at each new graph phase, and when a heap
 * walk ends. */
struct prog *prog_open(bool forced);
/* A heap_progress_fn (heap.h); arg is a struct prog. */
void prog_heap(void *arg, bool done, uint64_t objects, uint64_t total_objects, uint64_t bytes,
	       uint64_t total_bytes);
/* graph_opts.progress (graph.h); arg is a struct prog. */
void prog_graph(void *arg, const char *phase, uint64_t done, uint64_t total);
/* Clears the terminal's line; p may be NULL. */
void prog_close(struct prog *p);

#endif
