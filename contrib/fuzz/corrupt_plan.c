/* corrupt_plan.c - plans the damage tests/e2e/t_corrupt.sh does to a copy
 * of a real fixture dump. It walks the clean dump, picks real targets (an
 * object in the middle of the fullest segment, a string, an array, a
 * segment record, the ELF headers) and prints one case a line:
 *
 *   NAME  OP  OFFSET  ARG  MUST_SHOW  TYPE  WHAT
 *
 * OP is "patch" (write ARG, hex bytes, at file OFFSET), "fill" (ARG is
 * COUNT:BYTE) or "cut" (keep the first OFFSET bytes). MUST_SHOW is how many
 * objects the walk must still show: every object of every other segment
 * and every object before the damage in its own (0 when the dump cannot be
 * opened any more). TYPE names the type of the damaged object ("-" when
 * none), WHAT says what was done. The first line is "# total N".
 *
 *   corrupt_plan DUMP
 *
 * `corrupt_plan --minidump DUMP OUT` writes the dump again as a minidump
 * (tests/mkdump.h), so the minidump reader meets the same damage.
 *
 * `corrupt_plan --lenient DUMP` opens a damaged dump as DUMP_OPEN_LENIENT
 * does (ranges past the end of a truncated file trimmed) and prints how
 * many objects the heap walk shows, or fails with the error. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "heap.h"
#include "mkdump.h"
#include "rdr.h"

#define MT_BASE_SIZE 4 /* MethodTable: u32 m_BaseSize (docs/RUNTIME.md) */
#define SEG_NEXT 6     /* heap_segment: the 7th pointer is next (heap.c) */
#define SEG_MEM 4      /* ... the 5th, mem: the first object */

static struct dump *d;
static struct clr *c;
static struct heap *h;
static const struct heap_seg *segs;
static size_t nsegs;
static uint64_t *seg_count; /* objects per segment */
static uint64_t total;
static unsigned ps; /* the dump's pointer size: the width of a pointer patch */

static bool file_off(uint64_t va, size_t n, uint64_t *off)
{
	size_t nr;
	const struct dump_range *r = dump_ranges(d, &nr);
	for (size_t i = 0; i < nr; i++)
		if (va >= r[i].va && va - r[i].va <= r[i].size && r[i].size - (va - r[i].va) >= n) {
			*off = r[i].file_off + (va - r[i].va);
			return true;
		}
	return false;
}

static void hexle(char *out, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

/* Prints a patch of n bytes of v at va (skipped when va is not in the file). */
static void patch(const char *name, uint64_t va, uint64_t v, unsigned n,
		  uint64_t must, const char *type, const char *what)
{
	uint64_t off;
	char hex[17];
	if (!file_off(va, n, &off))
		return;
	hexle(hex, v, n);
	printf("%s\tpatch\t%" PRIu64 "\t%s\t%" PRIu64 "\t%s\t%s\n", name, off, hex, must,
	       type ? type : "-", what);
}

static void patch_file(const char *name, uint64_t off, uint64_t v, unsigned n,
		       const char *what)
{
	char hex[17];
	hexle(hex, v, n);
	printf("%s\tpatch\t%" PRIu64 "\t%s\t0\t-\t%s\n", name, off, hex, what);
}

/* ---- picking objects ---- */

struct pick {
	size_t seg;
	uint64_t n;              /* objects so far in this segment */
	uint64_t mid_at;         /* index of the middle object */
	uint64_t obj, mt, size, before; /* the first object at or after mid_at ... */
	uint64_t str, str_before;       /* ... the first string after it */
	uint64_t arr, arr_before;       /* ... the first pointer array after it */
	uint64_t page, page_before;     /* the first 4 KB page start after obj */
};

static bool pick_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	struct pick *p = arg;
	if (p->n >= p->mid_at) {
		const struct clr_type *t = clr_type_of(c, mt, NULL);
		if (!p->obj && t && t->kind == CLR_KIND_CLASS) {
			p->obj = obj;
			p->mt = mt;
			p->size = size;
			p->before = p->n;
		}
		if (!p->str && t && t->kind == CLR_KIND_STRING && size > 32) {
			p->str = obj;
			p->str_before = p->n;
		}
		if (!p->arr && t && t->kind == CLR_KIND_ARRAY && t->component_size == ps) {
			p->arr = obj;
			p->arr_before = p->n;
		}
		uint64_t pg = (obj + 4095) & ~4095ull;
		if (p->obj && !p->page && pg > p->obj && pg < segs[p->seg].end) {
			/* objects reaching into the page are damaged too */
			p->page = pg;
			p->page_before = p->n;
		}
		if (p->page == obj + size) /* ends exactly at the page */
			p->page_before = p->n + 1;
	}
	p->n++;
	return true;
}

static bool count_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)obj; (void)mt; (void)size;
	(*(uint64_t *)arg)++;
	return true;
}

static const char *type_name(uint64_t mt)
{
	const struct clr_type *t = clr_type_of(c, mt, NULL);
	return t ? t->name : "-";
}

/* ---- the cases ---- */

static void object_cases(void)
{
	size_t s = 0;
	for (size_t i = 1; i < nsegs; i++)
		if (seg_count[i] > seg_count[s])
			s = i;
	struct pick p = { .seg = s, .mid_at = seg_count[s] / 2 };
	heap_walk_segment(h, s, pick_cb, &p);
	uint64_t others = total - seg_count[s];
	const char *tn = type_name(p.mt);
	if (p.obj) {
		uint64_t m = others + p.before;
		patch("mt-garbage", p.obj, ps == 8 ? 0x00005555deadbee8ull : 0x5eadbee8u, ps, m, tn,
		      "MethodTable pointer of an object := garbage");
		patch("mt-unmapped", p.obj, ps == 8 ? 0xffff800000001000ull : 0xfffe1000u, ps, m, tn,
		      "MethodTable pointer := a kernel address");
		patch("mt-into-heap", p.obj, p.obj + 16, ps, m, tn,
		      "MethodTable pointer := an address inside the heap");
		patch("mt-zero", p.obj, 0, ps, m, tn, "MethodTable pointer := 0");
		patch("mt-other-object", p.obj, p.obj, ps, m, tn,
		      "MethodTable pointer := the object itself");
	}
	if (p.str) {
		uint64_t m = others + p.str_before;
		patch("string-negative", p.str + ps, 0x80000000u, 4, m, "System.String",
		      "string length := 0x80000000 (negative)");
		patch("string-minus-one", p.str + ps, 0xffffffffu, 4, m, "System.String",
		      "string length := -1");
		uint64_t past = (segs[s].end - p.str) / 2 + 16;
		if (past < 0x7fffffff)
			patch("string-past-segment", p.str + ps, past, 4, m, "System.String",
			      "string length := 16 chars past the end of its segment");
	}
	if (p.arr) {
		uint64_t m = others + p.arr_before;
		const char *at = type_name(0);
		uint64_t amt;
		if (as_u64(clr_as(c), p.arr, &amt))
			at = type_name(amt & clr_mt_mask(c));
		patch("array-huge", p.arr + ps, 0x7fffffff, 4, m, at,
		      "array length := 0x7fffffff");
		if (ps == 8)
			patch("array-huge64", p.arr + 8, 0x0000ffffffffffffull, 8, m, at,
			      "array length (64 bits) := 2^48-1");
	}
	uint64_t off;
	if (p.page && file_off(p.page, 4096, &off)) {
		printf("page-zeroed\tfill\t%" PRIu64 "\t4096:0\t%" PRIu64 "\t-\t"
		       "a 4 KB heap page zeroed\n", off, others + p.page_before);
		printf("page-garbage\tfill\t%" PRIu64 "\t4096:165\t%" PRIu64 "\t-\t"
		       "a 4 KB heap page filled with 0xa5\n", off, others + p.page_before);
		printf("page-ones\tfill\t%" PRIu64 "\t4096:255\t%" PRIu64 "\t-\t"
		       "a 4 KB heap page filled with 0xff\n", off, others + p.page_before);
	}
	/* Every instance of a type: its MethodTable's base size. */
	if (p.obj) {
		uint64_t n = 0;
		const struct heap_stat_row *rows;
		size_t nr;
		struct ch_err err;
		if (heap_stat(h, &rows, &nr, &err) == CH_OK)
			for (size_t i = 0; i < nr; i++)
				if (rows[i].mt == p.mt)
					n = rows[i].count;
		(void)n;
		patch("mt-base-size-huge", p.mt + MT_BASE_SIZE, 0xfffffff0u, 4, 0, tn,
		      "base size of the object's type := 0xfffffff0");
		patch("mt-base-size-zero", p.mt + MT_BASE_SIZE, 0, 4, 0, tn,
		      "base size of the object's type := 0");
		const struct clr_type *t = clr_type_of(c, p.mt, NULL);
		if (t && t->eeclass && file_off(t->eeclass, 64, &off))
			printf("eeclass-garbage\tfill\t%" PRIu64 "\t64:65\t0\t%s\t"
			       "the first 64 bytes of its EEClass := 0x41\n", off, tn);
	}
}

/* True when segments i and j are surely on different segment lists (of
 * another heap or generation). The ephemeral segment of segments mode is
 * on generation 2's list, and a frozen one on any. */
static bool other_list(size_t i, size_t j)
{
	enum heap_gen a = segs[i].gen, b = segs[j].gen;
	if (segs[i].heap != segs[j].heap)
		return true;
	if (a == HEAP_FROZEN || b == HEAP_FROZEN)
		return false;
	if (a == HEAP_EPHEMERAL)
		a = HEAP_GEN2;
	if (b == HEAP_EPHEMERAL)
		b = HEAP_GEN2;
	return a != b;
}

static void segment_cases(void)
{
	uint64_t s0 = segs[0].addr;
	/* Segments of other lists (generation, heap) are still shown. */
	uint64_t keep = 0;
	for (size_t i = 0; i < nsegs; i++)
		if (i == 0 || other_list(i, 0))
			keep += seg_count[i];
	patch("segment-loop-self", s0 + SEG_NEXT * ps, s0, ps, keep, NULL,
	      "a segment's next := itself");
	patch("segment-next-garbage", s0 + SEG_NEXT * ps, 0x10, ps, keep, NULL,
	      "a segment's next := 0x10 (not in the dump)");
	for (size_t i = 1; i < nsegs; i++) {
		if (!other_list(i, i - 1) && segs[i].gen == segs[i - 1].gen) {
			uint64_t k = 0;
			for (size_t j = 0; j < nsegs; j++)
				if (j <= i || other_list(j, i))
					k += seg_count[j];
			patch("segment-loop-back", segs[i].addr + SEG_NEXT * ps, segs[i - 1].addr,
			      ps, k, NULL, "a segment's next := the one before it");
			break;
		}
	}
	patch("segment-start-past-end", s0 + SEG_MEM * ps, segs[0].end + 0x1000, ps,
	      total - seg_count[0], NULL, "a segment's first object := past its end");
	patch("segment-huge", s0 + SEG_MEM * ps, 0x1000, ps, total - seg_count[0], NULL,
	      "a segment's first object := 0x1000 (a segment of most of the address space)");
	const struct clr_gc_info *g = clr_gc(c);
	if (!g->server)
		patch("generation-garbage",
		      g->generation_table + (uint64_t)g->gen_off_start_segment, 0x4141414141414140ull,
		      ps, 0, NULL, "generation 0's first segment := garbage");
}

static void container_cases(void)
{
	size_t len;
	const uint8_t *f = dump_bytes(d, &len);
	uint64_t phoff = rdr_le64(f + 0x20), note = 0, note_len = 0, load = 0, heap_load = 0;
	unsigned phnum = rdr_le16(f + 0x38);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + 56 * (uint64_t)i;
		uint64_t va = rdr_le64(ph + 16), sz = rdr_le64(ph + 32);
		if (rdr_le32(ph) == 4) {
			note = phoff + 56 * (uint64_t)i;
			note_len = rdr_le64(ph + 32);
		} else if (rdr_le32(ph) == 1 && !load) {
			load = phoff + 56 * (uint64_t)i;
		}
		if (rdr_le32(ph) == 1 && nsegs && segs[0].start >= va && segs[0].start - va < sz)
			heap_load = phoff + 56 * (uint64_t)i;
	}
	/* longest first, so a script can truncate one copy step by step */
	uint64_t cuts[] = { len - 1, len - 4096, 3 * (len / 4), len / 2, len / 4,
			    note ? rdr_le64(f + note + 8) + note_len / 2 : 0,
			    phoff + 56 * (uint64_t)phnum / 2, 64, 63, 1 };
	static const char *const cut_names[] = {
		"cut-last-byte", "cut-last-page", "cut-at-75%", "cut-at-50%", "cut-at-25%",
		"cut-in-notes", "cut-in-phdrs", "cut-at-64", "cut-at-63", "cut-at-1" };
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
		if (cuts[i] > 0 && cuts[i] < len)
			printf("%s\tcut\t%" PRIu64 "\t-\t0\t-\ttruncated to %" PRIu64 " bytes\n",
			       cut_names[i], cuts[i], cuts[i]);
	patch_file("elf-class32", 4, 1, 1, "EI_CLASS := 32-bit");
	patch_file("elf-bigendian", 5, 2, 1, "EI_DATA := big-endian");
	patch_file("elf-machine", 18, 3, 2, "e_machine := i386");
	patch_file("elf-type", 16, 2, 2, "e_type := ET_EXEC");
	patch_file("elf-phoff", 0x20, ~0ull, 8, "e_phoff := 2^64-1");
	patch_file("elf-phnum-zero", 0x38, 0, 2, "e_phnum := 0");
	patch_file("elf-phnum-xnum", 0x38, 0xffff, 2, "e_phnum := PN_XNUM without sections");
	patch_file("elf-phentsize", 0x36, 8, 2, "e_phentsize := 8");
	if (note) {
		patch_file("note-size-huge", note + 32, ~0ull >> 1, 8, "PT_NOTE p_filesz := 2^63-1");
		patch_file("note-offset-past", note + 8, len + 1, 8, "PT_NOTE p_offset := past the end");
		/* the first note's namesz and descsz */
		uint64_t no = rdr_le64(f + note + 8);
		patch_file("note-namesz", no, 0xfffffff0u, 4, "first note's namesz := 0xfffffff0");
		patch_file("note-descsz", no + 4, 0xfffffff0u, 4, "first note's descsz := 0xfffffff0");
	}
	if (load) {
		patch_file("load-offset-past", load + 8, len, 8, "a PT_LOAD's p_offset := the file size");
		patch_file("load-vaddr-wrap", load + 16, ~0ull - 100, 8, "a PT_LOAD's p_vaddr wraps");
	}
	if (heap_load) {
		uint64_t keep = 0;
		printf("heap-range-dropped\tpatch\t%" PRIu64 "\t00000000\t%" PRIu64 "\t-\t"
		       "the PT_LOAD holding the first heap segment := PT_NULL\n", heap_load, keep);
	}
}

/* Writes the dump at in again as a minidump (all its memory in a
 * Memory64List, its modules with their build-ids and PE identities, its
 * threads): the same process in the other container format. */
static int to_minidump(const char *in, const char *out)
{
	struct ch_err err = { 0 };
	if (dump_open(in, &d, &err) != CH_OK) {
		fprintf(stderr, "corrupt_plan: %s\n", err.msg);
		return 1;
	}
	size_t nr, nm, nt, len;
	const struct dump_range *r = dump_ranges(d, &nr);
	const struct dump_module *m = dump_modules(d, &nm);
	const struct dump_thread *t = dump_threads(d, &nt);
	const uint8_t *bytes = dump_bytes(d, &len);
	struct mk_mmem *mem = calloc(nr + 1, sizeof *mem);
	struct mk_mmod *mods = calloc(nm + 1, sizeof *mods);
	struct mk_mthread *th = calloc(nt + 1, sizeof *th);
	for (size_t i = 0; i < nr; i++)
		mem[i] = (struct mk_mmem){ r[i].va, bytes + r[i].file_off, r[i].size };
	for (size_t i = 0; i < nm; i++) {
		mods[i] = (struct mk_mmod){ .base = m[i].base, .size = (uint32_t)m[i].size,
					   .stamp = m[i].pe_timestamp, .name = m[i].path };
		if (m[i].build_id_len) {
			mods[i].bpel = m[i].build_id;
			mods[i].bpel_len = m[i].build_id_len;
		}
	}
	for (size_t i = 0; i < nt; i++)
		th[i] = (struct mk_mthread){ t[i].tid, 0, t[i].sp, t[i].ip };
	struct mk_mdmp md = { .arch = 9, .platform = 0x8201, .mods = mods, .nmods = nm,
			      .threads = th, .nthreads = nt, .mem64 = mem, .nmem64 = nr,
			      .pid = dump_process(d)->pid };
	struct mkbuf b = { 0 };
	mk_minidump(&b, &md, NULL);
	FILE *f = fopen(out, "wb");
	int rc = !f || fwrite(b.p, 1, b.len, f) != b.len;
	if (f && fclose(f) != 0)
		rc = 1;
	if (rc)
		perror(out);
	mk_free(&b);
	free(mem);
	free(mods);
	free(th);
	dump_close(d);
	return rc;
}

/* Minidump damage: the header, the stream directory and each list's
 * count, and the first memory descriptor. */
static void mdmp_cases(void)
{
	size_t len;
	const uint8_t *f = dump_bytes(d, &len);
	uint32_t nstreams = rdr_le32(f + 8), dir = rdr_le32(f + 12);
	uint64_t cuts[] = { len - 1, len / 2, len / 4, (uint64_t)dir + 6, 31, 3 };
	static const char *const cut_names[] = { "cut-last-byte", "cut-at-50%",
		"cut-at-25%", "cut-in-directory", "cut-in-header", "cut-at-3" };
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
		if (cuts[i] > 0 && cuts[i] < len)
			printf("%s\tcut\t%" PRIu64 "\t-\t0\t-\ttruncated to %" PRIu64 " bytes\n",
			       cut_names[i], cuts[i], cuts[i]);
	patch_file("mdmp-streams-huge", 8, 0xffffffffu, 4, "NumberOfStreams := 2^32-1");
	patch_file("mdmp-dir-past", 12, (uint32_t)len, 4, "StreamDirectoryRva := the file size");
	for (uint32_t i = 0; i < nstreams && dir + 12 * (uint64_t)(i + 1) <= len; i++) {
		const uint8_t *e = f + dir + 12 * (uint64_t)i;
		uint32_t type = rdr_le32(e), size = rdr_le32(e + 4), rva = rdr_le32(e + 8);
		char name[64];
		if (type == 0) /* UnusedStream: padding, and one case name per stream */
			continue;
		snprintf(name, sizeof name, "mdmp-stream%u-size", type);
		patch_file(name, dir + 12 * (uint64_t)i + 4, 0xfffffff0u, 4, "a stream's DataSize := 0xfffffff0");
		snprintf(name, sizeof name, "mdmp-stream%u-rva", type);
		patch_file(name, dir + 12 * (uint64_t)i + 8, (uint32_t)len - 2, 4, "a stream's Rva := 2 bytes before the end");
		if (size >= 4 && (type == 3 || type == 4 || type == 5)) {
			snprintf(name, sizeof name, "mdmp-stream%u-count", type);
			patch_file(name, rva, 0x7fffffffu, 4, "a list's count := 2^31-1");
		}
		if (type == 9 && size >= 32) { /* Memory64List: count, base rva, descriptors */
			patch_file("mdmp-mem64-count", rva, ~0ull, 8, "Memory64List count := 2^64-1");
			patch_file("mdmp-mem64-base", rva + 8, len - 16, 8, "Memory64List BaseRva := near the end");
			patch_file("mdmp-mem64-size", rva + 24, ~0ull >> 4, 8, "first range's size := 2^60-1");
			patch_file("mdmp-mem64-wrap", rva + 16, ~0ull - 4096, 8, "first range's address wraps");
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--minidump") == 0)
		return to_minidump(argv[2], argv[3]);
	bool lenient = argc == 3 && strcmp(argv[1], "--lenient") == 0;
	if (argc != 2 && !lenient) {
		fprintf(stderr, "usage: corrupt_plan DUMP\n"
			"       corrupt_plan --lenient DUMP  (objects of a damaged dump, opened leniently)\n"
			"       corrupt_plan --minidump DUMP OUT  (the dump rewritten as a minidump)\n");
		return 2;
	}
	struct ch_err err = { 0 };
	struct as *a;
	if (dump_open_flags(argv[argc - 1], lenient ? DUMP_OPEN_LENIENT : 0, &d, &err) != CH_OK ||
	    as_open(d, &a, &err) != CH_OK ||
	    clr_open(a, &c, &err) != CH_OK || heap_open(c, &h, &err) != CH_OK) {
		fprintf(stderr, "corrupt_plan: %s\n", err.msg);
		return 1;
	}
	segs = heap_segments(h, &nsegs);
	ps = clr_ptr_size(c);
	if (lenient) { /* the count heap_stat gives: what `clrheap stat` would show */
		const struct heap_stat_row *rows;
		size_t n;
		if (heap_stat(h, &rows, &n, &err) != CH_OK) {
			fprintf(stderr, "corrupt_plan: %s\n", err.msg);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			total += rows[i].count;
		printf("%" PRIu64 "\n", total);
		return 0;
	}
	seg_count = calloc(nsegs + 1, sizeof *seg_count);
	for (size_t i = 0; i < nsegs; i++) {
		heap_walk_segment(h, i, count_cb, &seg_count[i]);
		total += seg_count[i];
	}
	printf("# total %" PRIu64 "\n", total);
	if (nsegs)
		object_cases();
	if (nsegs)
		segment_cases();
	if (dump_format(d) == DUMP_FMT_ELF)
		container_cases();
	else
		mdmp_cases();
	free(seg_count);
	heap_close(h);
	clr_close(c);
	as_close(a);
	dump_close(d);
	return 0;
}
