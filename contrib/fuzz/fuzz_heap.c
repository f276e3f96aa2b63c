/* fuzz_heap.c - the runtime profile, type system and heap walker over a
 * real fixture dump with bytes overwritten.
 *
 * The dump ($CLRHEAP_FUZZ_DUMP, else $BUILD/dumps/visits.heap.dmp) is
 * mapped once, private and writable (copy-on-write: the file never
 * changes). Each input is a list of 16-byte patches aimed at what the
 * walker trusts: an object (its MethodTable pointer, length, fields), a
 * MethodTable or its EEClass, a heap_segment record, the GC's globals, or
 * any byte of the file. The patches are applied, the dump is opened and
 * walked as `clrheap stat`, `types --fields` and `objects` do (two
 * objects and the statics of one type in 16, chosen by the input's last
 * byte, rendered as JSON), and the bytes are put back.
 *
 * A patch: area (u8), op (u8: bits 0-1 width 1/2/4/8; bits 2-3 what to
 * write: 0 the value, 1 the address of object[value], 2 the old bytes plus
 * the value, 3 the MethodTable of type[value]), index (u32, which object,
 * type or segment; a file offset for area 5), offset (u16, inside it),
 * value (u64). */
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
#include "heap.h"
#include "val.h"

#define PATCH_SIZE 16
#define MAX_PATCHES 8
#define MAX_TYPES 256 /* types whose fields are read per input */
#define MAX_RENDER 2  /* objects of each type rendered as JSON ... */
#define RENDER_EVERY 16 /* ... of one type in 16, chosen by the input */

enum { AREA_OBJECT, AREA_MT, AREA_EECLASS, AREA_SEGMENT, AREA_GC, AREA_FILE,
       AREA_COUNT };

static struct {
	uint8_t *map;         /* the dump, MAP_PRIVATE and writable */
	size_t len;
	struct dump_range *ranges; /* va -> file offset (a copy) */
	size_t nranges;
	uint64_t *objs;       /* every object of the clean walk */
	size_t nobjs, cap;
	uint64_t *mts, *eeclasses; /* the types on the clean heap */
	size_t nmts;
	uint64_t *segs;       /* heap_segment records */
	size_t nsegs;
	uint64_t gc[4];       /* GcDacVars, generation table, heaps, ephemeral segment */
	bool verbose;         /* $CLRHEAP_FUZZ_VERBOSE: one line per input */
} fz;

static bool collect(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)arg; (void)mt; (void)size;
	if (fz.nobjs == fz.cap) {
		fz.cap = fz.cap ? 2 * fz.cap : 4096;
		fz.objs = realloc(fz.objs, fz.cap * sizeof *fz.objs);
		if (!fz.objs)
			abort();
	}
	fz.objs[fz.nobjs++] = obj;
	return true;
}

static void die(const char *what, const struct ch_err *err)
{
	fprintf(stderr, "fuzz_heap: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	char path[4096];
	fuzz_dump_path("visits.heap.dmp", path, sizeof path);
	fz.verbose = getenv("CLRHEAP_FUZZ_VERBOSE") != NULL;
	fz.map = fuzz_map_dump("fuzz_heap", path, &fz.len);
	struct ch_err err = { 0 };
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	if (dump_open_buffer(fz.map, fz.len, path, 0, &d, &err) != CH_OK ||
	    as_open(d, &a, &err) != CH_OK || clr_open(a, &c, &err) != CH_OK ||
	    heap_open(c, &h, &err) != CH_OK)
		die(path, &err);
	const struct dump_range *r = dump_ranges(d, &fz.nranges);
	fz.ranges = malloc(fz.nranges * sizeof *r);
	memcpy(fz.ranges, r, fz.nranges * sizeof *r);
	heap_walk(h, collect, NULL);
	const struct heap_stat_row *rows;
	heap_stat(h, &rows, &fz.nmts, &err);
	fz.mts = calloc(fz.nmts + 1, sizeof *fz.mts);
	fz.eeclasses = calloc(fz.nmts + 1, sizeof *fz.eeclasses);
	for (size_t i = 0; i < fz.nmts; i++) {
		fz.mts[i] = rows[i].mt;
		const struct clr_type *t = clr_type_of(c, rows[i].mt, &err);
		fz.eeclasses[i] = t ? t->eeclass : 0;
	}
	const struct heap_seg *s = heap_segments(h, &fz.nsegs);
	fz.segs = calloc(fz.nsegs + 1, sizeof *fz.segs);
	for (size_t i = 0; i < fz.nsegs; i++)
		fz.segs[i] = s[i].addr;
	const struct clr_gc_info *g = clr_gc(c);
	fz.gc[0] = g->dacvars;
	fz.gc[1] = g->generation_table;
	fz.gc[2] = g->heaps;
	fz.gc[3] = g->ephemeral_segment;
	heap_close(h);
	clr_close(c);
	as_close(a);
	dump_close(d);
	if (!fz.nobjs || !fz.nmts || !fz.nsegs)
		die("the clean dump has no objects", NULL);
	return 0;
}

/* The file offset of va when n bytes there are in the dump. */
static bool va_to_off(uint64_t va, size_t n, size_t *off)
{
	size_t lo = 0, hi = fz.nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fz.ranges[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const struct dump_range *r = &fz.ranges[lo - 1];
	if (va - r->va > r->size || r->size - (va - r->va) < n)
		return false;
	*off = (size_t)(r->file_off + (va - r->va));
	return true;
}

struct undo {
	size_t off;
	uint8_t old[8];
	unsigned n;
};

/* Applies one patch; records the bytes it replaced in *u. */
static bool apply(const uint8_t *p, struct undo *u)
{
	unsigned area = p[0] % AREA_COUNT, width = 1u << (p[1] & 3), what = (p[1] >> 2) & 3;
	uint32_t index;
	uint16_t at;
	uint64_t value, old = 0;
	memcpy(&index, p + 2, 4);
	memcpy(&at, p + 6, 2);
	memcpy(&value, p + 8, 8);
	uint64_t va = 0;
	size_t off;
	switch (area) {
	case AREA_OBJECT: va = fz.objs[index % fz.nobjs] + (at % 256u); break;
	case AREA_MT: va = fz.mts[index % fz.nmts] + (at % 128u); break;
	case AREA_EECLASS: va = fz.eeclasses[index % fz.nmts] + (at % 128u); break;
	case AREA_SEGMENT: va = fz.segs[index % fz.nsegs] + (at % 256u); break;
	case AREA_GC: va = fz.gc[index % 4] + at % 1024u; break;
	}
	if (area == AREA_FILE) {
		off = index % fz.len;
		if (fz.len - off < width)
			return false;
	} else if (!va || !va_to_off(va, width, &off)) {
		return false;
	}
	memcpy(&old, fz.map + off, width);
	switch (what) {
	case 1: value = fz.objs[value % fz.nobjs] + (value >> 56); break;
	case 2: value += old; break;
	case 3: value = fz.mts[value % fz.nmts]; break;
	}
	u->off = off;
	u->n = width;
	memcpy(u->old, fz.map + off, width);
	memcpy(fz.map + off, &value, width);
	return true;
}

/* What the front ends do with a heap: stat, names and fields of every
 * type, the instance index, lookups by address. */
static void walk(struct clr *c, struct heap *h, unsigned sel)
{
	struct ch_err err = { 0 };
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(h, &rows, &n, &err) != CH_OK)
		return;
	char name[512];
	for (size_t i = 0; i < n && i < MAX_TYPES; i++) {
		const struct clr_type *t = clr_type_of(c, rows[n - 1 - i].mt, &err);
		if (!t)
			continue;
		fuzz_sink += strlen(t->name);
		size_t nf, ni;
		const struct clr_field *f = clr_type_fields(c, t, &nf, &ni, &err);
		for (size_t k = 0; f && k < nf; k++) {
			fuzz_sink += strlen(f[k].name) + strlen(f[k].type_name);
			if (f[k].type_th)
				clr_th_name(c, f[k].type_th, name, sizeof name);
		}
		uint64_t gcb, ngcb;
		clr_type_statics(c, t, &gcb, &ngcb);
		if (t->elem_th)
			clr_th_name(c, t->elem_th, name, sizeof name);
	}
	const uint64_t *addrs;
	size_t na;
	if (n && heap_instances(h, rows[n - 1].mt, &addrs, &na, &err) == CH_OK && na) {
		uint64_t obj, mt, size;
		heap_object_at(h, addrs[na / 2] + 8, &obj, &mt, &size);
	}
	/* The values layer: a few objects of every type, and its statics. */
	struct val *v;
	if (val_open(c, &v, &err) == CH_OK) {
		struct val_buf b;
		val_buf_init(&b);
		for (size_t i = sel % RENDER_EVERY; i < n; i += RENDER_EVERY) {
			if (heap_instances(h, rows[i].mt, &addrs, &na, &err) != CH_OK)
				continue;
			for (size_t k = 0; k < na && k < MAX_RENDER; k++) {
				val_buf_reset(&b);
				val_object_json(v, addrs[k * (na / MAX_RENDER + 1) % na], &b, &err);
			}
			const struct clr_type *t = clr_type_of(c, rows[i].mt, &err);
			if (t) {
				val_buf_reset(&b);
				val_statics_json(v, t, &b, &err);
			}
		}
		val_buf_free(&b);
		val_close(v);
	}
	for (size_t i = 0; i < heap_warning_count(h); i++)
		fuzz_sink += strlen(heap_warning(h, i));
	if (fz.verbose) {
		uint64_t objs = 0;
		for (size_t i = 0; i < n; i++)
			objs += rows[i].count;
		printf("  %llu objects of %zu types (clean: %zu), %zu warnings%s%s\n",
		       (unsigned long long)objs, n, fz.nobjs, heap_warning_count(h),
		       heap_warning_count(h) ? ": " : "",
		       heap_warning_count(h) ? heap_warning(h, 0) : "");
	}
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
		err.msg[0] = '\0';
		struct as *a;
		if (as_open(d, &a, &err) == CH_OK) {
			struct clr *c;
			if (clr_open(a, &c, &err) == CH_OK) {
				struct heap *h;
				if (heap_open(c, &h, &err) == CH_OK) {
					walk(c, h, size ? data[size - 1] : 0);
					heap_close(h);
				}
				clr_close(c);
			}
			as_close(a);
		}
		dump_close(d);
	}
	if (fz.verbose && err.msg[0])
		printf("  error: %s\n", err.msg);
	while (nu--)
		memcpy(fz.map + undo[nu].off, undo[nu].old, undo[nu].n);
	return 0;
}
