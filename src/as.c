/* as.c - the address space: virtual address -> bytes of the mapped dump,
 * by binary search over its sorted ranges, after a check of the range hit
 * last (heap walks read neighbouring addresses millions of times). Where the dump lacks a module's pages they are read from the
 * module's file (as_file.c decides which file and which of its bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_priv.h"

static int seg_cmp(const void *a, const void *b)
{
	const struct as_seg *x = a, *y = b;
	return x->va < y->va ? -1 : x->va > y->va;
}

/* Merges ranges that are contiguous both in memory and in the file, so
 * that zero-copy spans cover them as one. */
static enum ch_status build_chunks(struct as *a, struct ch_err *err)
{
	size_t n, len;
	const struct dump_range *r = dump_ranges(a->d, &n);
	const uint8_t *map = dump_bytes(a->d, &len);
	a->ch = malloc((n ? n : 1) * sizeof *a->ch);
	if (!a->ch)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", dump_path(a->d));
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		struct as_chunk *p = w ? &a->ch[w - 1] : NULL;
		if (p && p->va + p->size == r[i].va &&
		    p->p + p->size == map + r[i].file_off) {
			p->size += r[i].size;
			continue;
		}
		a->ch[w++] = (struct as_chunk){ r[i].va, r[i].size, map + r[i].file_off };
	}
	a->nch = w;
	return CH_OK;
}

static enum ch_status build_segs(struct as *a, struct ch_err *err)
{
	size_t nmods;
	const struct dump_module *m = dump_modules(a->d, &nmods);
	size_t total = 0;
	for (size_t i = 0; i < nmods; i++)
		total += m[i].nsegs;
	a->mf = calloc(nmods ? nmods : 1, sizeof *a->mf);
	a->segs = malloc((total ? total : 1) * sizeof *a->segs);
	if (!a->mf || !a->segs)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", dump_path(a->d));
	a->nmods = nmods;
	for (size_t i = 0; i < nmods; i++) {
		a->mf[i].mod = &m[i];
		for (size_t k = 0; k < m[i].nsegs; k++) {
			const struct dump_segment *s = &m[i].segs[k];
			if (s->size == 0 || s->size > UINT64_MAX - s->va)
				continue;
			a->segs[a->nsegs++] = (struct as_seg){ s->va, s->size, s->file_off, i };
		}
	}
	qsort(a->segs, a->nsegs, sizeof *a->segs, seg_cmp);
	return CH_OK;
}

enum ch_status as_open(struct dump *d, struct as **out, struct ch_err *err)
{
	*out = NULL;
	struct as *a = calloc(1, sizeof *a);
	if (!a)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", dump_path(d));
	a->d = d;
	a->ptr_size = dump_ptr_size(d);
	a->elf_dump = dump_format(d) == DUMP_FMT_ELF;
	pthread_mutex_init(&a->lock, NULL);
	enum ch_status rc = build_chunks(a, err);
	if (rc == CH_OK)
		rc = build_segs(a, err);
	if (rc != CH_OK) {
		as_close(a);
		return rc;
	}
	*out = a;
	return CH_OK;
}

void as_close(struct as *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nmods; i++)
		as_file_release(&a->mf[i]);
	for (size_t i = 0; i < a->ndirs; i++)
		free(a->dirs[i]);
	free(a->dirs);
	free(a->mf);
	free(a->segs);
	free(a->ch);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

enum ch_status as_add_search_dir(struct as *a, const char *dir)
{
	char **nd = realloc(a->dirs, (a->ndirs + 1) * sizeof *nd);
	if (!nd)
		return CH_ENOMEM;
	a->dirs = nd;
	if (!(a->dirs[a->ndirs] = strdup(dir)))
		return CH_ENOMEM;
	a->ndirs++;
	/* Files not found before may be found now. */
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nmods; i++)
		if (atomic_load(&a->mf[i].state) == AS_FILE_FAILED) {
			as_file_release(&a->mf[i]);
			atomic_store(&a->mf[i].state, AS_FILE_UNTRIED);
		}
	pthread_mutex_unlock(&a->lock);
	return CH_OK;
}

void as_set_candidates(struct as *a, as_candidates_fn fn, void *ctx)
{
	pthread_mutex_lock(&a->lock);
	a->candidates = fn;
	a->candidates_ctx = ctx;
	for (size_t i = 0; i < a->nmods; i++)
		if (atomic_load(&a->mf[i].state) == AS_FILE_FAILED) {
			as_file_release(&a->mf[i]);
			atomic_store(&a->mf[i].state, AS_FILE_UNTRIED);
		}
	pthread_mutex_unlock(&a->lock);
}

/* The dump chunk holding va, or NULL. */
static inline const struct as_chunk *find_chunk(struct as *a, uint64_t va)
{
	size_t h = atomic_load_explicit(&a->hint, memory_order_relaxed);
	if (h < a->nch && va - a->ch[h].va < a->ch[h].size)
		return &a->ch[h];
	size_t lo = 0, hi = a->nch;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->ch[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || va - a->ch[lo - 1].va >= a->ch[lo - 1].size)
		return NULL;
	atomic_store_explicit(&a->hint, lo - 1, memory_order_relaxed);
	return &a->ch[lo - 1];
}

const struct as_seg *as_find_seg(const struct as *a, uint64_t va)
{
	size_t lo = 0, hi = a->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->segs[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Segments of different modules do not overlap in practice; look
	 * back a little in case a hostile dump made them. */
	for (size_t i = lo, k = 0; i > 0 && k < 4; i--, k++)
		if (va - a->segs[i - 1].va < a->segs[i - 1].size)
			return &a->segs[i - 1];
	return NULL;
}

/* Bytes contiguous at va: from the dump, else from a module file
 * (including its writable data when image is true). */
static size_t span_at(struct as *a, uint64_t va, bool image, const uint8_t **p)
{
	const struct as_chunk *c = find_chunk(a, va);
	if (c) {
		uint64_t off = va - c->va;
		*p = c->p + off;
		uint64_t n = c->size - off;
		return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
	}
	if (!a->nsegs)
		return 0;
	const struct as_seg *s = as_find_seg(a, va);
	return s ? as_file_span(a, s, va, image, p) : 0;
}

/* Copies what is contiguous from va on, chunk by chunk. In image mode,
 * bytes from a module file may be writable data, relocated as the loader
 * would have done. */
static size_t read_loop(struct as *a, uint64_t va, void *buf, size_t n, bool image)
{
	uint8_t *out = buf;
	size_t done = 0;
	while (done < n) {
		uint64_t at = va + done;
		if (at < va)
			break; /* wrapped past the top of the address space */
		const uint8_t *p;
		size_t k;
		const struct as_seg *s = NULL;
		const struct as_chunk *c = find_chunk(a, at);
		if (c) {
			p = c->p + (at - c->va);
			k = c->size - (at - c->va) > n - done ? n - done :
			    (size_t)(c->size - (at - c->va));
		} else {
			s = a->nsegs ? as_find_seg(a, at) : NULL;
			k = s ? as_file_span(a, s, at, image, &p) : 0;
		}
		if (!k)
			break;
		if (k > n - done)
			k = n - done;
		memcpy(out + done, p, k);
		if (s && image)
			as_file_relocate(a, &a->mf[s->mod], at, out + done, k);
		done += k;
	}
	return done;
}

size_t as_read(struct as *a, uint64_t va, void *buf, size_t n)
{
	const struct as_chunk *c = find_chunk(a, va);
	if (c && c->size - (va - c->va) >= n) {
		memcpy(buf, c->p + (va - c->va), n);
		return n;
	}
	return read_loop(a, va, buf, n, false);
}

size_t as_read_image(struct as *a, uint64_t va, void *buf, size_t n)
{
	return read_loop(a, va, buf, n, true);
}

const uint8_t *as_ptr(struct as *a, uint64_t va, size_t n)
{
	const struct as_chunk *c = find_chunk(a, va);
	if (c)
		return c->size - (va - c->va) >= n ? c->p + (va - c->va) : NULL;
	const uint8_t *p;
	size_t k = span_at(a, va, false, &p);
	return k && k >= n ? p : NULL;
}

size_t as_span(struct as *a, uint64_t va, const uint8_t **p)
{
	*p = NULL;
	return span_at(a, va, false, p);
}

bool as_u32(struct as *a, uint64_t va, uint32_t *v)
{
	uint8_t b[4];
	if (as_read(a, va, b, 4) != 4)
		return false;
	*v = rdr_le32(b);
	return true;
}

bool as_u64(struct as *a, uint64_t va, uint64_t *v)
{
	uint8_t b[8];
	if (as_read(a, va, b, 8) != 8)
		return false;
	*v = rdr_le64(b);
	return true;
}

bool as_ptrv(struct as *a, uint64_t va, uint64_t *v)
{
	if (a->ptr_size == 4) {
		uint32_t x;
		if (!as_u32(a, va, &x))
			return false;
		*v = x;
		return true;
	}
	return as_u64(a, va, v);
}

const char *as_missing_reason(struct as *a, uint64_t va)
{
	static _Thread_local char buf[600];
	if (find_chunk(a, va))
		return NULL;
	const struct as_seg *s = a->nsegs ? as_find_seg(a, va) : NULL;
	if (!s) {
		snprintf(buf, sizeof buf,
			 "0x%llx is in no memory range of the dump and in no module",
			 (unsigned long long)va);
		return buf;
	}
	const uint8_t *p;
	if (as_file_span(a, s, va, false, &p))
		return NULL;
	struct as_file *f = &a->mf[s->mod];
	if (atomic_load_explicit(&f->state, memory_order_acquire) != AS_FILE_OK)
		return f->reason ? f->reason : "module file not opened";
	bool w = as_file_span(a, s, va, true, &p) != 0;
	snprintf(buf, sizeof buf,
		 "0x%llx is not in the dump and lies in %s of %s (%s)%s",
		 (unsigned long long)va,
		 w ? "writable data" : "a part not mapped from the file",
		 f->mod->name, f->file,
		 w ? ": its file holds only the initial bytes" : "");
	return buf;
}

struct dump *as_dump(struct as *a)
{
	return a->d;
}

unsigned as_ptr_size(const struct as *a)
{
	return a->ptr_size;
}
