/* exc.h - every exception object on the heap, as SOS !pe shows one: its
 * type, message (_message), HResult (_HResult), inner exception
 * (_innerException) and the stack trace the runtime recorded in
 * _stackTrace while it was thrown, each frame's MethodDesc resolved to
 * "Ns.Type.Method". An object is an exception when its MethodTable's
 * parent chain reaches System.Exception's MethodTable. Read once by
 * exc_open; immutable afterwards. */
#ifndef CLRHEAP_EXC_H
#define CLRHEAP_EXC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "heap.h"
#include "jw.h"

/* One StackTraceElement (clrex.h): ip, sp, MethodDesc*, flags. */
struct exc_raw_frame {
	uint64_t ip, sp, md;
	uint32_t flags;
};

/* Decodes the payload of a stack trace byte[] (p, len: the array's data)
 * into out[0..max): the header (.NET 9+: u32 count, u32 keep-alive count,
 * Thread*; before: size_t count, Thread*) then 4-pointer elements. v9:
 * the 9+ header. *n gets the frames decoded. Returns CH_OK, or CH_ECORRUPT
 * when the header claims more frames than the bytes hold or than max (the
 * frames that fit are decoded). */
enum ch_status exc_decode_frames(const uint8_t *p, size_t len, unsigned ps, bool v9,
				 struct exc_raw_frame *out, size_t max, size_t *n);

struct exc_frame {
	uint64_t ip, sp, md;
	uint64_t code;       /* the start of the method's code holding ip, 0 unknown (clr_code_start) */
	uint32_t flags;
	const char *method;  /* "Ns.Type.Method", NULL when md does not resolve */
	const char *module;  /* the method's module file name, NULL when unknown */
};

/* Decodes the stack trace object st (an exception's _stackTrace: a byte[],
 * or an object[] whose element 0 is one) into *out (malloc'd; free with
 * exc_frames_free) and *n, each frame's MethodDesc named. A trace that
 * cannot be read, or only in part, gives the frames read and *warning
 * saying why (static text; NULL when none). CH_OK, or CH_ENOMEM. */
enum ch_status exc_read_frames(struct clr *c, uint64_t st, struct exc_frame **out, size_t *n,
			       const char **warning);
/* Frees what exc_read_frames made; NULL is a no-op. */
void exc_frames_free(struct exc_frame *f, size_t n);
/* f as !pe names it, into buf (cut to size): "module!Ns.Type.Method+0x74"
 * (no module or offset where unknown), or "<unknown method, MethodDesc
 * …>". */
void exc_frame_name(const struct exc_frame *f, char *buf, size_t size);

struct exc_exception {
	uint64_t addr;
	uint64_t mt;
	const char *type;       /* owned by the runtime context */
	const char *message;    /* _message as UTF-8, NULL when null */
	int32_t hresult;
	uint64_t inner;         /* _innerException, 0 when none */
	const char *inner_type; /* its type, NULL when none */
	uint64_t stack_trace;   /* the _stackTrace object, 0 when none */
	const char *stack_string; /* _stackTraceString, NULL when null */
	const struct exc_frame *frames;
	size_t nframes;
	const char *warning;    /* why the stack trace's decode ended early, or NULL */
};

struct exc_list;

/* Finds every exception object of h's heap (h borrowed; must outlive the
 * list; at most a million). CH_OK also when there are none (a damaged
 * stack trace is a warning on its exception, not an error); the heap's
 * status when its per-type index cannot be built; CH_ENOMEM; message in
 * err. */
enum ch_status exc_open(struct heap *h, struct exc_list **out, struct ch_err *err);
/* Frees l; NULL is a no-op. */
void exc_close(struct exc_list *l);
/* The exceptions in address order (owned by l). */
const struct exc_exception *exc_all(const struct exc_list *l, size_t *n);
/* The exception at addr, or NULL. */
const struct exc_exception *exc_find(const struct exc_list *l, uint64_t addr);
/* True when e's type or one of its base types is named base. */
bool exc_is_a(const struct exc_list *l, const struct exc_exception *e, const char *base);

typedef void (*exc_out_fn)(void *arg, const char *p, size_t n);
/* e in the shape of SOS !pe: Exception object, type, Message,
 * InnerException, StackTrace (generated) with SP, IP and module!method,
 * StackTraceString, HResult. */
void exc_text(const struct exc_list *l, const struct exc_exception *e, exc_out_fn out, void *arg);
/* exceptions/by-type.tsv: count and type, header line, most common first
 * (then by name). */
void exc_by_type_tsv(const struct exc_list *l, exc_out_fn out, void *arg);
/* e as one JSON object: address, type, message, hresult (a number),
 * hresult_hex, inner, inner_type, stack_trace (the object), frames
 * [{ip, sp, method_desc, method, module}], warning. */
void exc_json(const struct exc_exception *e, struct jw *w);
/* {"exceptions":[exc_json…]}, only those that are a base when it is not
 * NULL. */
void exc_list_json(const struct exc_list *l, const char *base, struct jw *w);

#endif
