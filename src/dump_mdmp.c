/* dump_mdmp.c - Windows minidumps (MDMP), as dbghelp, Breakpad and
 * Crashpad write them: SystemInfo, ModuleList, ThreadList, MemoryList,
 * Memory64List and MiscInfo. Every directory entry must lie inside the
 * file, every count fit its stream; anything else is refused with one
 * line naming the stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_priv.h"

#define MDMP_VERSION     0xa793
#define HEADER_SIZE      32
#define DIRENT_SIZE      12
#define MAX_STREAMS      4096
#define MODULE_SIZE      108
#define THREAD_SIZE      48
#define MEMDESC_SIZE     16
#define MAX_NAME_BYTES   (32u << 10)

enum stream_type {
	S_THREAD_LIST = 3, S_MODULE_LIST = 4, S_MEMORY_LIST = 5,
	S_SYSTEM_INFO = 7, S_MEMORY64_LIST = 9, S_MISC_INFO = 15,
};

#define CV_RSDS 0x53445352u /* "RSDS" */
#define CV_NB10 0x3031424eu /* "NB10" */
#define CV_BPEL 0x4270454cu /* Breakpad's ELF build-id record */
#define VS_FFI_SIGNATURE 0xfeef04bdu

struct stream {
	uint32_t type, size, rva;
	int index;
};

/* Where sp and ip sit in each CONTEXT layout, and its least size. */
struct ctx_layout {
	unsigned sp, ip, width, need;
};

static bool ctx_layout_for(enum dump_arch a, struct ctx_layout *l)
{
	switch (a) {
	case DUMP_ARCH_X86: *l = (struct ctx_layout){ 196, 184, 4, 200 }; return true;
	case DUMP_ARCH_X86_64: *l = (struct ctx_layout){ 0x98, 0xf8, 8, 0x100 }; return true;
	case DUMP_ARCH_ARM64: *l = (struct ctx_layout){ 0x100, 0x108, 8, 0x110 }; return true;
	case DUMP_ARCH_ARM: *l = (struct ctx_layout){ 56, 64, 4, 68 }; return true;
	case DUMP_ARCH_UNKNOWN: break;
	}
	return false;
}

static const char *stream_name(uint32_t type)
{
	switch (type) {
	case S_THREAD_LIST: return "ThreadList";
	case S_MODULE_LIST: return "ModuleList";
	case S_MEMORY_LIST: return "MemoryList";
	case S_SYSTEM_INFO: return "SystemInfo";
	case S_MEMORY64_LIST: return "Memory64List";
	case S_MISC_INFO: return "MiscInfo";
	}
	return "stream";
}

/* Reads the MINIDUMP_STRING at rva into m's path (UTF-16LE to UTF-8; an
 * unpaired surrogate becomes U+FFFD; a NUL ends the name). */
static enum ch_status read_name(struct dump *d, uint32_t rva, size_t idx,
				struct dump_module *m, struct ch_err *err)
{
	if (!rdr_fits(d->len, rva, 4))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: module %zu's name at RVA 0x%x is outside the file",
				    d->path, idx, rva);
	uint32_t bytes = rdr_le32(d->map + rva);
	if (bytes > MAX_NAME_BYTES || !rdr_fits(d->len, (uint64_t)rva + 4, bytes))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: module %zu's name (%u bytes at RVA 0x%x) runs past the end of the file",
				    d->path, idx, bytes, rva);
	const uint8_t *p = d->map + rva + 4;
	size_t units = bytes / 2;
	char *out = malloc(units * 3 + 1);
	if (!out)
		return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
	size_t k = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = rdr_le16(p + 2 * i);
		if (c == 0)
			break;
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units) {
			uint32_t lo = rdr_le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		k += rdr_put_utf8(out + k, c); /* 4 bytes only for a pair of units */
	}
	bool ok = dump_set_module_path(m, out, k);
	free(out);
	return ok ? CH_OK : ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
}

/* Reads the count of a list stream and checks the entries fit. Some
 * writers pad the 4-byte count to 8; that is accepted. Returns the offset
 * of the first entry in *first. */
static enum ch_status list_count(struct dump *d, const struct stream *s,
				 size_t entsize, size_t cap, uint32_t *count,
				 size_t *first, struct ch_err *err)
{
	if (s->size < 4)
		return ch_set_error(err, CH_ECORRUPT, "%s: %s stream of %u bytes is too small",
				    d->path, stream_name(s->type), s->size);
	uint32_t n = rdr_le32(d->map + s->rva);
	size_t room = (s->size - 4) / entsize;
	if (n > room || n > cap)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: %s claims %u entries but its stream of %u bytes holds %zu",
				    d->path, stream_name(s->type), n, s->size, room);
	*first = s->size >= 8 && s->size - 8 == (size_t)n * entsize ? 8 : 4;
	*count = n;
	return CH_OK;
}

static void parse_codeview(struct dump *d, struct dump_module *m, uint32_t size,
			   uint32_t rva)
{
	if (size < 4)
		return;
	if (!rdr_fits(d->len, rva, size)) {
		dump_warn(d, "CodeView record of %s runs past the end of the file", m->name);
		return;
	}
	const uint8_t *p = d->map + rva;
	uint32_t sig = rdr_le32(p);
	if (sig == CV_RSDS && size >= 24) {
		memcpy(m->build_id, p + 4, 20);
		m->build_id_len = 20;
	} else if (sig == CV_NB10 && size >= 16) {
		memcpy(m->build_id, p + 8, 8);
		m->build_id_len = 8;
	} else if (sig == CV_BPEL && size > 4) {
		size_t n = size - 4 < sizeof m->build_id ? size - 4 : sizeof m->build_id;
		memcpy(m->build_id, p + 4, n);
		m->build_id_len = n;
	}
}

static enum ch_status parse_modules(struct dump *d, const struct stream *s,
				    struct ch_err *err)
{
	uint32_t n;
	size_t first;
	enum ch_status rc = list_count(d, s, MODULE_SIZE, DUMP_MAX_MODULES, &n, &first, err);
	for (uint32_t i = 0; rc == CH_OK && i < n; i++) {
		const uint8_t *e = d->map + s->rva + first + (size_t)i * MODULE_SIZE;
		struct dump_module *m = dump_add_module(d);
		if (!m)
			return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
		m->base = rdr_le64(e);
		m->size = rdr_le32(e + 8);
		m->pe_checksum = rdr_le32(e + 12);
		m->pe_timestamp = rdr_le32(e + 16);
		m->pe_size = (uint32_t)m->size;
		if (m->size > UINT64_MAX - m->base)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: module %u at 0x%llx of %llu bytes wraps the address space",
					    d->path, i, (unsigned long long)m->base,
					    (unsigned long long)m->size);
		rc = read_name(d, rdr_le32(e + 20), i, m, err);
		if (rc != CH_OK)
			return rc;
		const uint8_t *vs = e + 24;
		if (rdr_le32(vs) == VS_FFI_SIGNATURE)
			m->version = (uint64_t)rdr_le32(vs + 8) << 32 | rdr_le32(vs + 12);
		parse_codeview(d, m, rdr_le32(e + 76), rdr_le32(e + 80));
		m->segs = calloc(1, sizeof *m->segs);
		if (!m->segs)
			return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
		m->segs[0] = (struct dump_segment){ m->base, m->size, 0 };
		m->nsegs = 1;
	}
	return rc;
}

static enum ch_status parse_threads(struct dump *d, const struct stream *s,
				    struct ch_err *err)
{
	uint32_t n;
	size_t first;
	enum ch_status rc = list_count(d, s, THREAD_SIZE, DUMP_MAX_THREADS, &n, &first, err);
	struct ctx_layout l = { 0, 0, 0, 0 };
	bool have_layout = ctx_layout_for(d->arch, &l);
	size_t bad_ctx = 0;
	for (uint32_t i = 0; rc == CH_OK && i < n; i++) {
		const uint8_t *e = d->map + s->rva + first + (size_t)i * THREAD_SIZE;
		struct dump_thread *t = dump_add_thread(d);
		if (!t)
			return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
		t->tid = rdr_le32(e);
		t->teb = rdr_le64(e + 16);
		uint32_t csize = rdr_le32(e + 40), crva = rdr_le32(e + 44);
		if (!have_layout)
			continue;
		if (csize < l.need || !rdr_fits(d->len, crva, csize)) {
			bad_ctx++;
			continue;
		}
		const uint8_t *c = d->map + crva;
		t->sp = l.width == 8 ? rdr_le64(c + l.sp) : rdr_le32(c + l.sp);
		t->ip = l.width == 8 ? rdr_le64(c + l.ip) : rdr_le32(c + l.ip);
	}
	if (bad_ctx)
		dump_warn(d, "%zu threads have a missing or short register context", bad_ctx);
	return rc;
}

static enum ch_status parse_memory(struct dump *d, const struct stream *s,
				   struct ch_err *err)
{
	uint32_t n;
	size_t first;
	enum ch_status rc = list_count(d, s, MEMDESC_SIZE, DUMP_MAX_RANGES, &n, &first, err);
	for (uint32_t i = 0; rc == CH_OK && i < n; i++) {
		const uint8_t *e = d->map + s->rva + first + (size_t)i * MEMDESC_SIZE;
		struct dump_range *r = dump_add_range(d);
		if (!r)
			return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
		r->va = rdr_le64(e);
		r->size = rdr_le32(e + 8);
		r->file_off = rdr_le32(e + 12);
	}
	return rc;
}

static enum ch_status parse_memory64(struct dump *d, const struct stream *s,
				     struct ch_err *err)
{
	if (s->size < 16)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: Memory64List stream of %u bytes is too small",
				    d->path, s->size);
	const uint8_t *p = d->map + s->rva;
	uint64_t n = rdr_le64(p), off = rdr_le64(p + 8);
	uint64_t room = (s->size - 16) / MEMDESC_SIZE;
	if (n > room || n > DUMP_MAX_RANGES)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: Memory64List claims %llu ranges but its stream of %u bytes holds %llu",
				    d->path, (unsigned long long)n, s->size,
				    (unsigned long long)room);
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = p + 16 + i * MEMDESC_SIZE;
		struct dump_range *r = dump_add_range(d);
		if (!r)
			return ch_set_error(err, CH_ENOMEM, "%s: out of memory", d->path);
		r->va = rdr_le64(e);
		r->size = rdr_le64(e + 8);
		r->file_off = off;
		if (r->size > UINT64_MAX - off)
			return ch_set_error(err, CH_ECORRUPT,
					    "%s: Memory64List range %llu: file offsets overflow",
					    d->path, (unsigned long long)i);
		off += r->size; /* data follows back to back from BaseRva */
	}
	return CH_OK;
}

static enum ch_status parse_sysinfo(struct dump *d, const struct stream *s,
				    struct ch_err *err)
{
	if (s->size < 32)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: SystemInfo stream of %u bytes is too small",
				    d->path, s->size);
	const uint8_t *p = d->map + s->rva;
	uint16_t arch = rdr_le16(p);
	uint32_t platform = rdr_le32(p + 20);
	switch (arch) {
	case 0: d->arch = DUMP_ARCH_X86; break;
	case 9: d->arch = DUMP_ARCH_X86_64; break;
	case 5: d->arch = DUMP_ARCH_ARM; break;
	case 12: case 0x8003: d->arch = DUMP_ARCH_ARM64; break;
	default:
		dump_warn(d, "unknown processor architecture %u", arch);
		d->arch = DUMP_ARCH_UNKNOWN;
	}
	switch (platform) {
	case 0: case 1: case 2: d->os = DUMP_OS_WINDOWS; break;
	case 0x8101: d->os = DUMP_OS_MACOS; break;
	case 0x8201: case 0x8203: d->os = DUMP_OS_LINUX; break; /* Linux, Android */
	default: d->os = DUMP_OS_UNKNOWN;
	}
	d->ptr_size = d->arch == DUMP_ARCH_X86 || d->arch == DUMP_ARCH_ARM ? 4 : 8;
	return CH_OK;
}

static void parse_misc(struct dump *d, const struct stream *s)
{
	if (s->size < 24)
		return;
	const uint8_t *p = d->map + s->rva;
	uint32_t flags = rdr_le32(p + 4);
	if (flags & 1)
		d->proc.pid = rdr_le32(p + 8);
	if (flags & 2) {
		d->proc.create_time = rdr_le32(p + 12);
		d->proc.user_time = rdr_le32(p + 16);
		d->proc.kernel_time = rdr_le32(p + 20);
	}
}

static enum ch_status parse(struct dump *d, struct ch_err *err)
{
	d->fmt = DUMP_FMT_MDMP;
	d->ptr_size = 8;
	if (d->len < HEADER_SIZE)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: truncated minidump header (%zu of %u bytes)",
				    d->path, d->len, HEADER_SIZE);
	const uint8_t *h = d->map;
	uint32_t version = rdr_le32(h + 4), count = rdr_le32(h + 8), dir = rdr_le32(h + 12);
	if ((version & 0xffff) != MDMP_VERSION)
		return ch_set_error(err, CH_EFORMAT,
				    "%s: minidump version 0x%x, expected 0x%x in its low 16 bits",
				    d->path, version, MDMP_VERSION);
	if (count > MAX_STREAMS)
		return ch_set_error(err, CH_ECORRUPT, "%s: %u streams in the minidump directory (at most %u)",
				    d->path, count, MAX_STREAMS);
	if (!rdr_fits(d->len, dir, (uint64_t)count * DIRENT_SIZE))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: minidump directory (%u entries at RVA 0x%x) runs past the end of the file (%zu bytes): truncated or corrupt",
				    d->path, count, dir, d->len);
	/* The streams read here, by type; the first of each type wins. */
	static const uint32_t order[] = { S_SYSTEM_INFO, S_MISC_INFO, S_MODULE_LIST,
					  S_THREAD_LIST, S_MEMORY_LIST, S_MEMORY64_LIST };
	struct stream found[6];
	memset(found, 0, sizeof found);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = h + dir + (size_t)i * DIRENT_SIZE;
		struct stream s = { rdr_le32(e), rdr_le32(e + 4), rdr_le32(e + 8), (int)i };
		if (s.type == 0) /* UnusedStream */
			continue;
		if (!rdr_fits(d->len, s.rva, s.size)) {
			if (!(d->flags & DUMP_OPEN_LENIENT))
				return ch_set_error(err, CH_ECORRUPT,
						    "%s: stream %u (type 0x%x, %u bytes at RVA 0x%x) runs past the end of the file (%zu bytes)",
						    d->path, i, s.type, s.size, s.rva, d->len);
			dump_warn(d, "stream %u (type 0x%x) runs past the end of the file; skipped",
				  i, s.type);
			continue;
		}
		for (size_t k = 0; k < 6; k++) {
			if (order[k] != s.type)
				continue;
			if (found[k].type)
				dump_warn(d, "a second %s stream; the first is used",
					  stream_name(s.type));
			else
				found[k] = s;
		}
	}
	if (!found[0].type)
		dump_warn(d, "no SystemInfo stream: architecture unknown");
	enum ch_status rc = CH_OK;
	for (size_t k = 0; k < 6 && rc == CH_OK; k++) {
		const struct stream *s = &found[k];
		if (!s->type)
			continue;
		switch (s->type) {
		case S_SYSTEM_INFO: rc = parse_sysinfo(d, s, err); break;
		case S_MISC_INFO: parse_misc(d, s); break;
		case S_MODULE_LIST: rc = parse_modules(d, s, err); break;
		case S_THREAD_LIST: rc = parse_threads(d, s, err); break;
		case S_MEMORY_LIST: rc = parse_memory(d, s, err); break;
		case S_MEMORY64_LIST: rc = parse_memory64(d, s, err); break;
		}
	}
	if (rc == CH_OK)
		rc = dump_fix_ranges(d, "memory range", err);
	return rc;
}

const struct dump_ops dump_mdmp_ops = { "minidump", parse };
