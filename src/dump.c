/* dump.c - the dump container layer: open and map the file, probe its
 * format, hand it to a backend (dump_elf.c, dump_mdmp.c), then sort and
 * check what the backend found. Accessors and the helpers the backends
 * share live here too. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_priv.h"

/* Grows a dump array by one element (doubling), up to cap elements. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t elem, size_t max)
{
	if (*n >= max)
		return NULL;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		if (nc > max)
			nc = max;
		void *p = realloc(*arr, nc * elem);
		if (!p)
			return NULL;
		*arr = p;
		*cap = nc;
	}
	void *e = (char *)*arr + *n * elem;
	memset(e, 0, elem);
	(*n)++;
	return e;
}

struct dump_range *dump_add_range(struct dump *d)
{
	return grow((void **)&d->ranges, &d->nranges, &d->cap_ranges,
		    sizeof *d->ranges, DUMP_MAX_RANGES);
}

struct dump_module *dump_add_module(struct dump *d)
{
	return grow((void **)&d->mods, &d->nmods, &d->cap_mods,
		    sizeof *d->mods, DUMP_MAX_MODULES);
}

struct dump_thread *dump_add_thread(struct dump *d)
{
	return grow((void **)&d->threads, &d->nthreads, &d->cap_threads,
		    sizeof *d->threads, DUMP_MAX_THREADS);
}

void dump_warn(struct dump *d, const char *fmt, ...)
{
	if (d->nwarnings == DUMP_MAX_WARNINGS) {
		d->dropped_warnings++;
		return;
	}
	char buf[512];
	int k = snprintf(buf, sizeof buf, "%s: ", d->path);
	va_list ap;
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < sizeof buf)
		vsnprintf(buf + k, sizeof buf - (size_t)k, fmt, ap);
	va_end(ap);
	char *s = strdup(buf);
	if (s)
		d->warnings[d->nwarnings++] = s;
}

bool dump_set_module_path(struct dump_module *m, const char *path, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return false;
	memcpy(p, path, n);
	p[n] = '\0';
	free(m->path);
	m->path = p;
	const char *base = p;
	for (const char *q = p; *q; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	m->name = base;
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const struct dump_range *x = a, *y = b;
	if (x->va != y->va)
		return x->va < y->va ? -1 : 1;
	if (x->file_off != y->file_off)
		return x->file_off < y->file_off ? -1 : 1;
	return 0;
}

enum ch_status dump_fix_ranges(struct dump *d, const char *what,
			       struct ch_err *err)
{
	bool lenient = d->flags & DUMP_OPEN_LENIENT;
	size_t cut = 0;
	uint64_t lost = 0;
	/* Out of the file, or wrapping the address space. */
	for (size_t i = 0; i < d->nranges; i++) {
		struct dump_range *r = &d->ranges[i];
		if (r->size > UINT64_MAX - r->va)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: %s at 0x%llx of %llu bytes wraps the address space",
					    d->path, what, (unsigned long long)r->va,
					    (unsigned long long)r->size);
		if (rdr_fits(d->len, r->file_off, r->size))
			continue;
		if (!lenient)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: %s at 0x%llx (%llu bytes at file offset 0x%llx) runs past the end of the file (%zu bytes): truncated dump",
					    d->path, what, (unsigned long long)r->va,
					    (unsigned long long)r->size,
					    (unsigned long long)r->file_off, d->len);
		uint64_t keep = r->file_off < d->len ? d->len - r->file_off : 0;
		lost += r->size - keep;
		r->size = keep;
		cut++;
	}
	if (cut)
		dump_warn(d, "%zu %s ranges run past the end of the file; %llu bytes of memory are missing (truncated dump)",
			  cut, what, (unsigned long long)lost);

	bool sorted = true;
	for (size_t i = 1; i < d->nranges && sorted; i++)
		sorted = range_cmp(&d->ranges[i - 1], &d->ranges[i]) <= 0;
	if (!sorted)
		qsort(d->ranges, d->nranges, sizeof *d->ranges, range_cmp);

	/* Drop empty ranges and exact duplicates; refuse or trim overlaps. */
	size_t w = 0, dups = 0, overl = 0;
	for (size_t i = 0; i < d->nranges; i++) {
		struct dump_range r = d->ranges[i];
		if (r.size == 0)
			continue;
		if (w > 0) {
			struct dump_range *p = &d->ranges[w - 1];
			uint64_t pend = p->va + p->size;
			if (r.va == p->va && r.size == p->size) {
				dups++;
				continue;
			}
			if (r.va < pend) {
				if (!lenient)
					return ch_set_error(err, CH_ECORRUPT,
							    "%s: %s at 0x%llx overlaps the one at 0x%llx-0x%llx",
							    d->path, what,
							    (unsigned long long)r.va,
							    (unsigned long long)p->va,
							    (unsigned long long)pend);
				overl++;
				uint64_t skip = pend - r.va;
				if (skip >= r.size)
					continue;
				r.va += skip;
				r.file_off += skip;
				r.size -= skip;
			}
		}
		d->ranges[w++] = r;
	}
	d->nranges = w;
	if (dups)
		dump_warn(d, "%zu %s ranges listed twice; kept one of each", dups, what);
	if (overl)
		dump_warn(d, "%zu %s ranges overlap an earlier one; trimmed", overl, what);
	return CH_OK;
}

size_t dump_read_va(const struct dump *d, uint64_t va, void *buf, size_t n)
{
	size_t done = 0;
	uint8_t *out = buf;
	while (done < n) {
		uint64_t at = va + done;
		if (at < va)
			break;
		size_t lo = 0, hi = d->nranges;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (d->ranges[mid].va <= at)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			break;
		const struct dump_range *r = &d->ranges[lo - 1];
		if (at - r->va >= r->size)
			break;
		uint64_t avail = r->size - (at - r->va);
		size_t k = n - done < avail ? n - done : (size_t)avail;
		memcpy(out + done, d->map + r->file_off + (at - r->va), k);
		done += k;
	}
	return done;
}

bool dump_pe_identity(const struct dump *d, uint64_t va, uint32_t *stamp,
		      uint32_t *size)
{
	uint8_t h[0x40];
	if (dump_read_va(d, va, h, sizeof h) != sizeof h || h[0] != 'M' || h[1] != 'Z')
		return false;
	uint32_t lfanew = rdr_le32(h + 0x3c);
	if (lfanew > 0x10000)
		return false;
	uint8_t nt[0x58];
	if (dump_read_va(d, va + lfanew, nt, sizeof nt) != sizeof nt ||
	    memcmp(nt, "PE\0\0", 4) != 0)
		return false;
	uint16_t magic = rdr_le16(nt + 24);
	if (magic != 0x10b && magic != 0x20b)
		return false;
	*stamp = rdr_le32(nt + 8);
	*size = rdr_le32(nt + 24 + 56); /* SizeOfImage: same offset in PE32 and PE32+ */
	return true;
}

static int module_cmp(const void *a, const void *b)
{
	const struct dump_module *x = a, *y = b;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return strcmp(x->path, y->path);
}

static enum ch_status map_file(struct dump *d, struct ch_err *err)
{
	/* O_NONBLOCK: a FIFO named as the dump is refused below, not waited on. */
	int fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ch_set_error(err, CH_EIO, "%s: %s", d->path, strerror(errno));
	struct stat st;
	enum ch_status rc = CH_OK;
	if (fstat(fd, &st) != 0)
		rc = ch_set_error(err, CH_EIO, "%s: %s", d->path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		rc = ch_set_error(err, CH_EFORMAT,
				  "%s: is a directory, not a dump file", d->path);
	else if (!S_ISREG(st.st_mode))
		rc = ch_set_error(err, CH_EFORMAT,
				  "%s: not a regular file (a device, pipe or socket), not a dump file",
				  d->path);
	else if (st.st_size == 0)
		rc = ch_set_error(err, CH_EFORMAT, "%s: empty file (0 bytes), not a dump",
				  d->path);
	else if ((uint64_t)st.st_size > SIZE_MAX)
		rc = ch_set_error(err, CH_EUNSUPPORTED, "%s: too large to map", d->path);
	if (rc != CH_OK) {
		close(fd);
		return rc;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return ch_set_error(err, CH_EIO, "%s: cannot map: %s", d->path, strerror(e));
	d->map = p;
	d->len = (size_t)st.st_size;
	return CH_OK;
}

/* Picks the backend by the first bytes. */
static enum ch_status probe(struct dump *d, struct ch_err *err)
{
	const uint8_t *m = d->map;
	if (d->len >= 4 && memcmp(m, "\x7f" "ELF", 4) == 0) {
		d->ops = &dump_elf_ops;
		return CH_OK;
	}
	if (d->len >= 4 && memcmp(m, "MDMP", 4) == 0) {
		d->ops = &dump_mdmp_ops;
		return CH_OK;
	}
	char hex[16] = "", txt[8] = "";
	size_t n = d->len < 4 ? d->len : 4, k = 0;
	for (size_t i = 0; i < n; i++) {
		k += (size_t)snprintf(hex + k, sizeof hex - k, "%s%02x", i ? " " : "", m[i]);
		txt[i] = m[i] >= 0x20 && m[i] < 0x7f ? (char)m[i] : '.';
	}
	txt[n] = '\0';
	if (d->len < 4)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: too short to be a dump (%zu bytes: %s): not an ELF core or a minidump",
				    d->path, d->len, hex);
	return ch_set_error(err, CH_EFORMAT,
			    "%s: not an ELF core or a minidump (magic %s \"%s\")",
			    d->path, hex, txt);
}

/* Allocates a dump named name, with flags. */
static struct dump *dump_new(const char *name, unsigned flags, struct ch_err *err)
{
	struct dump *d = calloc(1, sizeof *d);
	if (!d || !(d->path = strdup(name))) {
		free(d);
		ch_set_error(err, CH_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	d->flags = flags;
	return d;
}

/* Probes and parses d's bytes; on success sorts the modules and hands d
 * out, on failure frees it. */
static enum ch_status dump_finish(struct dump *d, enum ch_status rc,
				  struct dump **out, struct ch_err *err)
{
	if (rc == CH_OK && !d->ops)
		rc = probe(d, err);
	if (rc == CH_OK)
		rc = d->ops->parse(d, err);
	if (rc != CH_OK) {
		dump_close(d);
		return rc;
	}
	if (d->nmods > 1)
		qsort(d->mods, d->nmods, sizeof *d->mods, module_cmp);
	*out = d;
	return CH_OK;
}

enum ch_status dump_open_flags(const char *path, unsigned flags,
			       struct dump **out, struct ch_err *err)
{
	*out = NULL;
	if (!path || !*path)
		return ch_set_error(err, CH_EARG, "no dump file named");
	struct dump *d = dump_new(path, flags, err);
	if (!d)
		return CH_ENOMEM;
	return dump_finish(d, map_file(d, err), out, err);
}

enum ch_status dump_open_buffer(const void *buf, size_t len, const char *name,
				unsigned flags, struct dump **out,
				struct ch_err *err)
{
	*out = NULL;
	struct dump *d = dump_new(name && *name ? name : "buffer", flags, err);
	if (!d)
		return CH_ENOMEM;
	d->map = buf;
	d->len = len;
	d->borrowed = true;
	enum ch_status rc = CH_OK;
	if (!buf || len == 0)
		rc = ch_set_error(err, CH_EFORMAT, "%s: empty file (0 bytes), not a dump",
				  d->path);
	return dump_finish(d, rc, out, err);
}

enum ch_status dump_open_image(const char *path, struct dump **out,
			       struct ch_err *err)
{
	*out = NULL;
	if (!path || !*path)
		return ch_set_error(err, CH_EARG, "no module file named");
	struct dump *d = dump_new(path, 0, err);
	if (!d)
		return CH_ENOMEM;
	d->ops = &dump_img_ops;
	return dump_finish(d, map_file(d, err), out, err);
}

enum ch_status dump_open(const char *path, struct dump **out, struct ch_err *err)
{
	return dump_open_flags(path, 0, out, err);
}

void dump_close(struct dump *d)
{
	if (!d)
		return;
	if (d->map && !d->borrowed)
		munmap((void *)d->map, d->len);
	for (size_t i = 0; i < d->nmods; i++) {
		free(d->mods[i].path);
		free(d->mods[i].segs);
	}
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->mods);
	free(d->ranges);
	free(d->threads);
	free(d->auxv);
	free(d->path);
	free(d);
}

const char *dump_path(const struct dump *d) { return d->path; }
enum dump_format dump_format(const struct dump *d) { return d->fmt; }
enum dump_arch dump_arch(const struct dump *d) { return d->arch; }
enum dump_os dump_os(const struct dump *d) { return d->os; }
unsigned dump_ptr_size(const struct dump *d) { return d->ptr_size; }

const uint8_t *dump_bytes(const struct dump *d, size_t *len)
{
	*len = d->len;
	return d->map;
}

const struct dump_range *dump_ranges(const struct dump *d, size_t *n)
{
	*n = d->nranges;
	return d->ranges;
}

const struct dump_module *dump_modules(const struct dump *d, size_t *n)
{
	*n = d->nmods;
	return d->mods;
}

const struct dump_thread *dump_threads(const struct dump *d, size_t *n)
{
	*n = d->nthreads;
	return d->threads;
}

const struct dump_process *dump_process(const struct dump *d)
{
	return &d->proc;
}

bool dump_auxv(const struct dump *d, uint64_t type, uint64_t *val)
{
	for (size_t i = 0; i < d->nauxv; i++) {
		if (d->auxv[2 * i] == type) {
			*val = d->auxv[2 * i + 1];
			return true;
		}
	}
	return false;
}

const char *const *dump_warnings(const struct dump *d, size_t *n)
{
	*n = d->nwarnings;
	return (const char *const *)d->warnings;
}

const char *dump_format_str(enum dump_format f)
{
	switch (f) {
	case DUMP_FMT_IMAGE: return "image";
	case DUMP_FMT_ELF: return "elf";
	case DUMP_FMT_MDMP: return "minidump";
	}
	return "unknown";
}

const char *dump_arch_str(enum dump_arch a)
{
	switch (a) {
	case DUMP_ARCH_X86_64: return "x86_64";
	case DUMP_ARCH_X86: return "x86";
	case DUMP_ARCH_ARM64: return "arm64";
	case DUMP_ARCH_ARM: return "arm";
	case DUMP_ARCH_UNKNOWN: break;
	}
	return "unknown";
}

const char *dump_os_str(enum dump_os o)
{
	switch (o) {
	case DUMP_OS_LINUX: return "linux";
	case DUMP_OS_WINDOWS: return "windows";
	case DUMP_OS_MACOS: return "macos";
	case DUMP_OS_UNKNOWN: break;
	}
	return "unknown";
}
