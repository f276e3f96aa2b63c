/* fuzz_thr.c - the managed threads (thr_open) over a real fixture dump
 * with bytes overwritten.
 *
 * The dump ($CLRHEAP_FUZZ_DUMP, else $BUILD/dumps/zoo.heap.dmp) is mapped
 * once, private and writable. Each input is a list of 16-byte patches
 * aimed at what the thread walk trusts: a runtime Thread (its ids, state,
 * list link, handles), the ThreadStore (its list head and counts), a
 * Thread object or any byte of the file. Then the dump is opened,
 * thr_open reads its threads and thr_list_json renders them, and the bytes
 * are put back. $CLRHEAP_FUZZ_VERBOSE prints what each input did.
 *
 * A patch: area (u8), width (u8: bits 0-1 give 1/2/4/8 bytes; bit 2: the
 * value is the address of thread[value] plus value >> 56), index (u32: which
 * thread; a file offset for the file area), offset (u16, inside it), value
 * (u64). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fuzz.h"
#include "thr.h"

#define PATCH_SIZE 16
#define MAX_PATCHES 8
#define MAX_THR 64

enum { AREA_THREAD, AREA_STORE, AREA_OBJECT, AREA_FILE, AREA_COUNT };

static struct {
	uint8_t *map;
	size_t len;
	struct dump_range *ranges;
	size_t nranges;
	uint64_t th[MAX_THR], obj[MAX_THR], store;
	size_t nth;
	bool verbose;         /* $CLRHEAP_FUZZ_VERBOSE: one line per input */
} fz;

static void die(const char *what, const struct ch_err *err)
{
	fprintf(stderr, "fuzz_thr: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	char path[4096];
	fuzz_dump_path("zoo.heap.dmp", path, sizeof path);
	fz.verbose = getenv("CLRHEAP_FUZZ_VERBOSE") != NULL;
	fz.map = fuzz_map_dump("fuzz_thr", path, &fz.len);
	struct ch_err err = { 0 };
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct thr_list *l;
	if (dump_open_buffer(fz.map, fz.len, path, 0, &d, &err) != CH_OK ||
	    as_open(d, &a, &err) != CH_OK || clr_open(a, &c, &err) != CH_OK ||
	    thr_open(c, &l, &err) != CH_OK)
		die(path, &err);
	const struct dump_range *r = dump_ranges(d, &fz.nranges);
	fz.ranges = malloc(fz.nranges * sizeof *r);
	if (!fz.ranges)
		die("out of memory", NULL);
	memcpy(fz.ranges, r, fz.nranges * sizeof *r);
	size_t n;
	const struct thr_thread *t = thr_threads(l, &n);
	for (size_t i = 0; i < n && fz.nth < MAX_THR; i++, fz.nth++) {
		fz.th[fz.nth] = t[i].addr;
		fz.obj[fz.nth] = t[i].object ? t[i].object : t[i].addr;
	}
	fz.store = thr_store(l)->addr;
	thr_close(l);
	clr_close(c);
	as_close(a);
	dump_close(d);
	if (!fz.nth || !fz.store)
		die("the clean dump has no threads", NULL);
	return 0;
}

/* The file offset of va when n bytes there are in the dump. */
static bool va_to_off(uint64_t va, size_t n, size_t *off)
{
	for (size_t i = 0; i < fz.nranges; i++) {
		const struct dump_range *r = &fz.ranges[i];
		if (va >= r->va && va - r->va <= r->size && r->size - (va - r->va) >= n) {
			*off = (size_t)(r->file_off + (va - r->va));
			return true;
		}
	}
	return false;
}

struct undo {
	size_t off;
	uint8_t old[8];
	unsigned n;
};

static bool apply(const uint8_t *p, struct undo *u)
{
	unsigned area = p[0] % AREA_COUNT, width = 1u << (p[1] & 3);
	uint32_t index;
	uint16_t at;
	uint64_t value, va = 0;
	size_t off;
	memcpy(&index, p + 2, 4);
	memcpy(&at, p + 6, 2);
	memcpy(&value, p + 8, 8);
	if (p[1] & 4)
		value = fz.th[value % fz.nth] + (value >> 56);
	switch (area) {
	case AREA_THREAD: va = fz.th[index % fz.nth] + at % 0x800u; break;
	case AREA_STORE: va = fz.store + at % 256u; break;
	case AREA_OBJECT: va = fz.obj[index % fz.nth] + at % 128u; break;
	}
	if (area == AREA_FILE) {
		off = index % fz.len;
		if (fz.len - off < width)
			return false;
	} else if (!va_to_off(va, width, &off)) {
		return false;
	}
	u->off = off;
	u->n = width;
	memcpy(u->old, fz.map + off, width);
	memcpy(fz.map + off, &value, width);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.map)
		LLVMFuzzerInitialize(NULL, NULL);
	struct undo undo[MAX_PATCHES];
	size_t nu = 0;
	for (size_t i = 0; i + PATCH_SIZE <= size && nu < MAX_PATCHES; i += PATCH_SIZE)
		if (apply(data + i, &undo[nu]))
			nu++;
	struct ch_err err = { 0 };
	struct dump *d;
	if (dump_open_buffer(fz.map, fz.len, "fuzz.dmp", DUMP_OPEN_LENIENT, &d, &err) == CH_OK) {
		struct as *a;
		if (as_open(d, &a, &err) == CH_OK) {
			struct clr *c;
			if (clr_open(a, &c, &err) == CH_OK) {
				struct thr_list *l;
				if (thr_open(c, &l, &err) == CH_OK) {
					struct jw w;
					jw_init(&w);
					thr_list_json(l, &w);
					fuzz_sink += w.len;
					if (fz.verbose) {
						size_t n;
						thr_threads(l, &n);
						printf("  %zu threads%s%s\n", n, thr_warning(l) ? ": " : "",
						       thr_warning(l) ? thr_warning(l) : "");
					}
					jw_free(&w);
					thr_close(l);
				}
				clr_close(c);
			}
			as_close(a);
		}
		dump_close(d);
	}
	if (fz.verbose && err.status != CH_OK)
		printf("  error: %s\n", err.msg);
	while (nu--)
		memcpy(fz.map + undo[nu].off, undo[nu].old, undo[nu].n);
	return 0;
}
