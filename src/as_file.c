/* as_file.c - module files on disk, for the pages a dump lacks.
 *
 * A module's file is looked for at the path the dump names, then by its
 * basename in each search folder. It is used only when its identity
 * matches the dump's record of the module (ELF: GNU build-id; PE:
 * TimeDateStamp and SizeOfImage); when the dump records no identity the
 * file is taken as is. as_read serves only bytes a loader maps read-only
 * (ELF PT_LOADs without PF_W, PE headers and sections without MEM_WRITE):
 * a file holds only the initial bytes of writable data, which the process
 * may have changed (and relocated pointers differ), so serving them as
 * memory would be wrong. as_read_image serves those too, on request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as_priv.h"

#define MAX_FILE_PHNUM 1024
#define MAX_FILE_SECTIONS 1024
#define AS_MAX_CANDIDATES 256
#define PF_W 2
#define SCN_MEM_WRITE 0x80000000u

/* What a candidate file turned out to be. */
struct file_id {
	bool elf, pe;
	uint8_t build_id[32];
	size_t build_id_len;
	uint32_t stamp, size;
	uint64_t min_vaddr;
	struct as_img_run *runs;
	size_t nruns;
};

static bool add_run(struct file_id *id, uint64_t addr, uint64_t off,
		    uint64_t size, bool writable, size_t len)
{
	if (off >= len || size == 0)
		return true;
	if (size > len - off)
		size = len - off;
	struct as_img_run *r = realloc(id->runs, (id->nruns + 1) * sizeof *r);
	if (!r)
		return false;
	id->runs = r;
	id->runs[id->nruns++] = (struct as_img_run){ addr, off, size, writable };
	return true;
}

static void elf_build_id(const uint8_t *m, size_t len, uint64_t off,
			 uint64_t size, struct file_id *id)
{
	if (rdr_fits(len, off, size) && !id->build_id_len)
		id->build_id_len = rdr_gnu_build_id(m + off, (size_t)size, id->build_id,
						    sizeof id->build_id);
}

/* ELF64 little-endian files only: what x86_64 and aarch64 processes load. */
static const char *scan_elf(const uint8_t *m, size_t len, struct file_id *id)
{
	if (len < 64 || m[4] != 2 || m[5] != 1)
		return "not a 64-bit little-endian ELF file";
	uint64_t phoff = rdr_le64(m + 0x20);
	unsigned phentsize = rdr_le16(m + 0x36), phnum = rdr_le16(m + 0x38);
	if (phentsize < 56 || phnum > MAX_FILE_PHNUM || phoff > len ||
	    (len - phoff) / phentsize < phnum)
		return "bad ELF program headers";
	id->elf = true;
	id->min_vaddr = UINT64_MAX;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = m + phoff + (size_t)i * phentsize;
		uint32_t type = rdr_le32(ph), flags = rdr_le32(ph + 4);
		uint64_t off = rdr_le64(ph + 8), vaddr = rdr_le64(ph + 16);
		uint64_t filesz = rdr_le64(ph + 32);
		if (type == 1) {
			if (vaddr < id->min_vaddr)
				id->min_vaddr = vaddr;
			if (!add_run(id, vaddr, off, filesz, flags & PF_W, len))
				return "out of memory";
		} else if (type == 4) {
			elf_build_id(m, len, off, filesz, id);
		}
	}
	if (id->min_vaddr == UINT64_MAX)
		return "an ELF file with nothing to load";
	return NULL;
}

static const char *scan_pe(const uint8_t *m, size_t len, struct file_id *id)
{
	if (len < 0x40)
		return "truncated PE file";
	uint32_t lfanew = rdr_le32(m + 0x3c);
	if (!rdr_fits(len, lfanew, 24) || memcmp(m + lfanew, "PE\0\0", 4) != 0)
		return "an MZ file without a PE header";
	const uint8_t *coff = m + lfanew + 4;
	unsigned nsec = rdr_le16(coff + 2), optsz = rdr_le16(coff + 16);
	uint64_t opt = (uint64_t)lfanew + 24;
	if (optsz < 64 || !rdr_fits(len, opt, optsz))
		return "bad PE optional header";
	uint16_t magic = rdr_le16(m + opt);
	if (magic != 0x10b && magic != 0x20b)
		return "bad PE optional header magic";
	id->pe = true;
	id->stamp = rdr_le32(coff + 4);
	id->size = rdr_le32(m + opt + 56);
	uint32_t hdrs = rdr_le32(m + opt + 60);
	uint64_t sec = opt + optsz;
	if (nsec > MAX_FILE_SECTIONS || !rdr_fits(len, sec, (uint64_t)nsec * 40))
		return "PE section table runs past the end of the file";
	if (!add_run(id, 0, 0, hdrs, false, len))
		return "out of memory";
	for (unsigned i = 0; i < nsec; i++) {
		const uint8_t *s = m + sec + 40 * (size_t)i;
		uint32_t vsize = rdr_le32(s + 8), rva = rdr_le32(s + 12);
		uint32_t raw = rdr_le32(s + 16), ptr = rdr_le32(s + 20);
		uint32_t chars = rdr_le32(s + 36);
		uint32_t n = vsize && vsize < raw ? vsize : raw;
		if (!add_run(id, rva, ptr, n, chars & SCN_MEM_WRITE, len))
			return "out of memory";
	}
	return NULL;
}

static void hex(char *out, size_t outsz, const uint8_t *b, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 3 <= outsz; i++)
		k += (size_t)snprintf(out + k, outsz - k, "%02x", b[i]);
	if (!n && outsz)
		snprintf(out, outsz, "none");
}

/* Checks the scanned file against the module's identity in the dump;
 * writes why not into why. */
static bool identity_ok(const struct dump_module *m, const struct file_id *id,
			char *why, size_t whyn)
{
	char want[80], got[80];
	bool dump_pe = m->pe_timestamp || m->pe_size;
	if (id->elf) {
		if (!m->build_id_len && dump_pe) {
			snprintf(why, whyn, "an ELF file, the dump's module is a PE image");
			return false;
		}
		size_t n = m->build_id_len < id->build_id_len ? m->build_id_len : id->build_id_len;
		if (m->build_id_len && (!n || memcmp(m->build_id, id->build_id, n) != 0)) {
			hex(want, sizeof want, m->build_id, m->build_id_len);
			hex(got, sizeof got, id->build_id, id->build_id_len);
			snprintf(why, whyn, "build-id %s, the dump's is %s", got, want);
			return false;
		}
		return true;
	}
	if (!dump_pe && m->build_id_len) {
		snprintf(why, whyn, "a PE file, the dump's module is an ELF image");
		return false;
	}
	if (dump_pe && (id->stamp != m->pe_timestamp || id->size != m->pe_size)) {
		snprintf(why, whyn,
			 "TimeDateStamp 0x%x and SizeOfImage 0x%x, the dump's are 0x%x and 0x%x",
			 id->stamp, id->size, m->pe_timestamp, m->pe_size);
		return false;
	}
	return true;
}

/* Tries one candidate path; on success fills f and returns true, else
 * appends "path: why" to the reason being built. */
static bool try_file(struct as_file *f, const char *path, char *reason,
		     size_t rn)
{
	char why[200];
	size_t used = strlen(reason);
	struct stat st = { 0 };
	void *map = MAP_FAILED;
	struct file_id id;
	memset(&id, 0, sizeof id);
	/* The path comes from the dump: never open what is not a regular
	 * file (opening a FIFO blocks, opening a device can act), and open
	 * without blocking in case it changes in between. */
	int fd = -1;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, sizeof why, "not a regular file of at least 64 bytes");
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, sizeof why, "%s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
		snprintf(why, sizeof why, "not a regular file of at least 64 bytes");
		goto fail;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, sizeof why, "cannot map: %s", strerror(errno));
		goto fail;
	}
	const uint8_t *m = map;
	size_t len = (size_t)st.st_size;
	const char *bad = memcmp(m, "\x7f" "ELF", 4) == 0 ? scan_elf(m, len, &id) :
			  m[0] == 'M' && m[1] == 'Z' ? scan_pe(m, len, &id) :
			  "not an ELF or PE file";
	if (bad) {
		snprintf(why, sizeof why, "%s", bad);
		goto fail;
	}
	if (!identity_ok(f->mod, &id, why, sizeof why))
		goto fail;
	f->file = strdup(path);
	if (!f->file) {
		snprintf(why, sizeof why, "out of memory");
		goto fail;
	}
	close(fd);
	f->map = m;
	f->len = len;
	f->pe = id.pe;
	f->machine = id.elf ? rdr_le16(m + 18) : 0;
	f->bias = id.pe ? f->mod->base : f->mod->base - (id.min_vaddr & ~(uint64_t)0xfff);
	f->runs = id.runs;
	f->nruns = id.nruns;
	return true;
fail:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	free(id.runs);
	snprintf(reason + used, rn - used, "%s%s: %s", used ? "; " : "", path, why);
	return false;
}

/* Finds, checks and maps f's file; called once, under the lock. */
static void open_file(struct as *a, struct as_file *f)
{
	const struct dump_module *m = f->mod;
	char tried[1024] = "";
	bool ok = m->path[0] && try_file(f, m->path, tried, sizeof tried);
	for (size_t i = 0; !ok && i < a->ndirs; i++) {
		char p[4096];
		if (snprintf(p, sizeof p, "%s/%s", a->dirs[i], m->name) >= (int)sizeof p)
			continue;
		if (strcmp(p, m->path) != 0)
			ok = try_file(f, p, tried, sizeof tried);
	}
	size_t ncand = 0, tried_cand = 0;
	/* Candidates are only taken on a matching identity, never as is. */
	bool known = m->build_id_len || m->pe_timestamp || m->pe_size;
	if (!ok && a->candidates && known) {
		char *cand[AS_MAX_CANDIDATES];
		char scratch[256];
		ncand = a->candidates(a->candidates_ctx, m, cand, AS_MAX_CANDIDATES);
		for (size_t i = 0; i < ncand; i++) {
			if (!ok) {
				scratch[0] = '\0';
				ok = try_file(f, cand[i], scratch, sizeof scratch);
				tried_cand++;
			}
			free(cand[i]);
		}
	}
	if (ok) {
		atomic_store_explicit(&f->state, AS_FILE_OK, memory_order_release);
		return;
	}
	char r[1400], also[160] = "";
	if (tried_cand)
		snprintf(also, sizeof also, "; %zu other file%s of that name in .NET installs "
			 "and the NuGet cache do not match either", tried_cand, tried_cand == 1 ? "" : "s");
	snprintf(r, sizeof r, "%s is not wholly in the dump and no file of it matches (%s%s%s)",
		 m->name, tried, also, a->ndirs ? "" : "; no search folder given");
	free(f->reason);
	f->reason = strdup(r);
	atomic_store_explicit(&f->state, AS_FILE_FAILED, memory_order_release);
}

size_t as_file_span(struct as *a, const struct as_seg *s, uint64_t va,
		    bool writable, const uint8_t **p)
{
	struct as_file *f = &a->mf[s->mod];
	int st = atomic_load_explicit(&f->state, memory_order_acquire);
	if (st == AS_FILE_UNTRIED) {
		pthread_mutex_lock(&a->lock);
		if (atomic_load_explicit(&f->state, memory_order_relaxed) == AS_FILE_UNTRIED)
			open_file(a, f);
		pthread_mutex_unlock(&a->lock);
		st = atomic_load_explicit(&f->state, memory_order_acquire);
	}
	if (st != AS_FILE_OK)
		return 0;
	/* A module file opened as itself (dump_open_image) has no process
	 * whose memory its writable data could differ from. */
	writable = writable || f->mod->image_file;
	uint64_t in_seg = va - s->va, lim = s->size - in_seg, off = 0;
	bool found = false;
	if (a->elf_dump && f->pe) {
		/* A PE file in an ELF core, mapped flat or laid out: NT_FILE
		 * gives the file offset; the section holding it decides. */
		off = s->file_off + in_seg;
		if (off < s->file_off)
			return 0;
		for (size_t i = 0; i < f->nruns && !found; i++) {
			const struct as_img_run *r = &f->runs[i];
			if (off - r->off < r->size && (writable || !r->writable)) {
				found = true;
				if (r->off + r->size - off < lim)
					lim = r->off + r->size - off;
			}
		}
	} else {
		/* Image address from the base; the segment (ELF PT_LOAD, PE
		 * section) holding it gives the file offset. In an ELF core
		 * NT_FILE must agree. */
		if (va < f->bias)
			return 0;
		uint64_t addr = va - f->bias;
		for (size_t i = 0; i < f->nruns && !found; i++) {
			const struct as_img_run *r = &f->runs[i];
			if (addr - r->addr < r->size && (writable || !r->writable)) {
				found = true;
				off = r->off + (addr - r->addr);
				if (r->size - (addr - r->addr) < lim)
					lim = r->size - (addr - r->addr);
			}
		}
		if (found && a->elf_dump && off != s->file_off + in_seg)
			return 0;
	}
	if (!found || off >= f->len)
		return 0;
	if (f->len - off < lim)
		lim = f->len - off;
	*p = f->map + off;
	return lim > SIZE_MAX ? SIZE_MAX : (size_t)lim;
}

void as_file_release(struct as_file *f)
{
	if (f->map)
		munmap((void *)f->map, f->len);
	free(f->runs);
	free(f->relocs);
	f->relocs = NULL;
	f->nrelocs = 0;
	atomic_store(&f->reloc_state, 0);
	free(f->file);
	free(f->reason);
	f->map = NULL;
	f->runs = NULL;
	f->file = NULL;
	f->reason = NULL;
	f->nruns = 0;
	f->len = 0;
}
