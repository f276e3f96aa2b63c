/* insp_priv.h - what the inspections (insp.c, insp_coll.c) share. */
#ifndef CLRHEAP_INSP_PRIV_H
#define CLRHEAP_INSP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "insp.h"
#include "val.h"

/* MethodTable::enum_flag_HasFinalizer (dotnet/runtime
 * src/coreclr/vm/methodtable.h; ClrMD's MethodTableFlags.HasFinalizer). */
#define INSP_MTF_HAS_FINALIZER 0x00100000u

struct insp {
	struct heap *h;
	struct clr *c;
	struct as *a;
	unsigned ps;
	struct graph *g;
	bool own_graph, graph_failed;
	struct val *v;        /* opened for the collections' items */
	bool handles_done;
	struct graph_handle *handles;
	size_t nhandles;
	struct ch_err err;
};

/* One output line, printf style, through out. False when out of memory. */
bool insp_printf(insp_out_fn out, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void insp_puts(insp_out_fn out, void *arg, const char *s);
/* The type name of mt ("<unknown type 0x…>" into buf when unreadable). */
const char *insp_type_name(struct insp *x, uint64_t mt, char *buf, size_t size);
/* The graph (built on first call); NULL with the message on x. */
struct graph *insp_graph(struct insp *x);
/* The GC handles and finalizer queue, read once (may be empty). */
const struct graph_handle *insp_handles(struct insp *x, size_t *n);
/* The rows of heap_stat, or NULL with the message on x. */
const struct heap_stat_row *insp_stat(struct insp *x, size_t *n);
/* Sets CH_ENOMEM on x and returns it. */
enum ch_status insp_oom(struct insp *x);

/* insp_coll.c */
enum ch_status insp_empty_colls(struct insp *x, size_t limit, insp_out_fn out, void *arg);
enum ch_status insp_sparse_arrays(struct insp *x, size_t limit, insp_out_fn out, void *arg);
enum ch_status insp_finalizable(struct insp *x, size_t limit, insp_out_fn out, void *arg);
enum ch_status insp_fragmentation(struct insp *x, size_t limit, insp_out_fn out, void *arg);

#endif
