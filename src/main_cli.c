/* main_cli.c - `clrheap`: the engine without FUSE.
 *
 *   clrheap info DUMP [--json] [--search DIR]
 *   clrheap stat DUMP [--json] [--search DIR]
 *   clrheap types DUMP [--fields NAME] [--search DIR]
 *
 * Every failure prints one line on stderr and exits non-zero. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "heap.h"
#include "jw.h"

#define MAX_SEARCH 16

struct cli {
	const char *cmd;
	const char *dump_path;
	bool json;
	const char *fields; /* types --fields NAME */
	const char *search[MAX_SEARCH];
	int nsearch;
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct ch_err err;
};

static void usage(FILE *f)
{
	fputs("usage: clrheap info DUMP [--json] [--search DIR]\n"
	      "       clrheap stat DUMP [--json] [--search DIR]\n"
	      "       clrheap types DUMP [--fields NAME] [--search DIR]\n"
	      "Reads the managed heap of a .NET process dump without the DAC.\n",
	      f);
}

static int fail(struct cli *c)
{
	fprintf(stderr, "clrheap: %s\n", c->err.msg[0] ? c->err.msg :
		ch_status_str(c->err.status));
	return c->err.status == CH_EARG ? 2 : 1;
}

/* Parses argv into c; returns false (with a message) on a bad command line. */
static bool parse_args(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return false;
	c->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--json") == 0) {
			c->json = true;
		} else if (strcmp(s, "--fields") == 0 && i + 1 < argc) {
			c->fields = argv[++i];
		} else if (strcmp(s, "--search") == 0 && i + 1 < argc) {
			if (c->nsearch == MAX_SEARCH) {
				ch_set_error(&c->err, CH_EARG, "too many --search folders");
				return false;
			}
			c->search[c->nsearch++] = argv[++i];
		} else if (s[0] == '-' && s[1] != '\0') {
			ch_set_error(&c->err, CH_EARG, "unknown option %s", s);
			return false;
		} else if (!c->dump_path) {
			c->dump_path = s;
		} else {
			ch_set_error(&c->err, CH_EARG, "unexpected argument %s", s);
			return false;
		}
	}
	if (!c->dump_path) {
		ch_set_error(&c->err, CH_EARG, "%s: which DUMP?", c->cmd);
		return false;
	}
	return true;
}

static enum ch_status open_dump(struct cli *c)
{
	enum ch_status st = dump_open(c->dump_path, &c->d, &c->err);
	if (st != CH_OK)
		return st;
	st = as_open(c->d, &c->a, &c->err);
	for (int i = 0; st == CH_OK && i < c->nsearch; i++)
		st = as_add_search_dir(c->a, c->search[i]);
	return st;
}

static int cmd_info(struct cli *c)
{
	struct clr_runtime_info rt;
	enum ch_status rst = clr_find_runtime(c->a, &rt, &c->err);
	size_t nth, nmod, nrange;
	dump_threads(c->d, &nth);
	const struct dump_module *mods = dump_modules(c->d, &nmod);
	const struct dump_range *ranges = dump_ranges(c->d, &nrange);
	uint64_t mem = 0;
	for (size_t i = 0; i < nrange; i++)
		mem += ranges[i].size;

	if (c->json) {
		struct jw w;
		jw_init(&w);
		jw_obj_begin(&w);
		jw_key(&w, "file"); jw_str(&w, c->dump_path);
		jw_key(&w, "format"); jw_str(&w, dump_format_str(dump_format(c->d)));
		jw_key(&w, "arch"); jw_str(&w, dump_arch_str(dump_arch(c->d)));
		jw_key(&w, "os"); jw_str(&w, dump_os_str(dump_os(c->d)));
		jw_key(&w, "pointer_size"); jw_u64(&w, dump_ptr_size(c->d));
		jw_key(&w, "threads"); jw_u64(&w, nth);
		jw_key(&w, "modules"); jw_u64(&w, nmod);
		jw_key(&w, "memory_ranges"); jw_u64(&w, nrange);
		jw_key(&w, "memory_bytes"); jw_u64(&w, mem);
		jw_key(&w, "runtime");
		if (rst == CH_OK) {
			jw_obj_begin(&w);
			jw_key(&w, "flavor"); jw_str(&w, clr_flavor_str(rt.flavor));
			jw_key(&w, "module"); jw_str(&w, rt.module->path);
			jw_key(&w, "base"); jw_hex(&w, rt.module->base);
			jw_key(&w, "version"); jw_str(&w, rt.product_version);
			jw_key(&w, "file_version"); jw_str(&w, rt.file_version);
			jw_key(&w, "commit"); jw_str(&w, rt.commit);
			jw_obj_end(&w);
		} else {
			jw_null(&w);
		}
		jw_key(&w, "app_assemblies");
		jw_arr_begin(&w);
		for (size_t i = 0; i < nmod; i++) {
			if (!clr_is_app_assembly(c->a, rst == CH_OK ? &rt : NULL, &mods[i]))
				continue;
			jw_obj_begin(&w);
			jw_key(&w, "path"); jw_str(&w, mods[i].path);
			jw_key(&w, "base"); jw_hex(&w, mods[i].base);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		if (w.oom) {
			jw_free(&w);
			ch_set_error(&c->err, CH_ENOMEM, "out of memory writing JSON");
			return fail(c);
		}
		puts(w.buf);
		jw_free(&w);
	} else {
		printf("file:           %s\n", c->dump_path);
		printf("format:         %s\n", dump_format_str(dump_format(c->d)));
		printf("arch:           %s\n", dump_arch_str(dump_arch(c->d)));
		printf("os:             %s\n", dump_os_str(dump_os(c->d)));
		printf("pointer size:   %u\n", dump_ptr_size(c->d));
		printf("threads:        %zu\n", nth);
		printf("modules:        %zu\n", nmod);
		printf("memory:         %zu ranges, %" PRIu64 " bytes\n", nrange, mem);
		if (rst == CH_OK) {
			printf("runtime:        %s %s (file version %s%s%.12s) %s at 0x%" PRIx64 "\n",
			       clr_flavor_str(rt.flavor),
			       rt.product_version[0] ? rt.product_version : "?",
			       rt.file_version[0] ? rt.file_version : "?",
			       rt.commit[0] ? ", commit " : "", rt.commit,
			       rt.module->path, rt.module->base);
		} else {
			printf("runtime:        none (%s)\n", c->err.msg);
		}
		printf("app assemblies:\n");
		for (size_t i = 0; i < nmod; i++)
			if (clr_is_app_assembly(c->a, rst == CH_OK ? &rt : NULL, &mods[i]))
				printf("  0x%016" PRIx64 "  %s\n", mods[i].base, mods[i].path);
	}
	return rst == CH_OK ? 0 : 1;
}

/* Opens the runtime and the heap on top of the dump. */
static enum ch_status open_heap(struct cli *c)
{
	enum ch_status st = clr_open(c->a, &c->c, &c->err);
	if (st == CH_OK)
		st = heap_open(c->c, &c->h, &c->err);
	return st;
}

static void print_warnings(struct cli *c)
{
	size_t n = heap_warning_count(c->h);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "clrheap: warning: %s: %s\n", c->dump_path, heap_warning(c->h, i));
}

static int cmd_stat(struct cli *c)
{
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(c->h, &rows, &n, &c->err) != CH_OK)
		return fail(c);
	uint64_t objs = 0, bytes = 0;
	char name[64];
	struct jw w;
	jw_init(&w);
	if (c->json) {
		jw_obj_begin(&w);
		jw_key(&w, "types");
		jw_arr_begin(&w);
	} else {
		printf("mt\tcount\ttotal_size\ttype\n");
	}
	for (size_t i = 0; i < n; i++) {
		const struct clr_type *t = clr_type_of(c->c, rows[i].mt, NULL);
		const char *tn = t ? t->name : name;
		if (!t)
			snprintf(name, sizeof name, "<invalid 0x%" PRIx64 ">", rows[i].mt);
		objs += rows[i].count;
		bytes += rows[i].bytes;
		if (c->json) {
			jw_obj_begin(&w);
			jw_key(&w, "mt"); jw_hex(&w, rows[i].mt);
			jw_key(&w, "count"); jw_u64(&w, rows[i].count);
			jw_key(&w, "total_size"); jw_u64(&w, rows[i].bytes);
			jw_key(&w, "type"); jw_str(&w, tn);
			jw_obj_end(&w);
			fwrite(w.buf, 1, w.len, stdout);
			jw_reset(&w);
			w.need_comma[1] = true; /* still inside the array */
			w.depth = 2;
		} else {
			printf("%016" PRIx64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\n", rows[i].mt,
			       rows[i].count, rows[i].bytes, tn);
		}
	}
	if (c->json) {
		jw_arr_end(&w);
		jw_key(&w, "objects"); jw_u64(&w, objs);
		jw_key(&w, "bytes"); jw_u64(&w, bytes);
		jw_key(&w, "types_count"); jw_u64(&w, n);
		jw_obj_end(&w);
		fwrite(w.buf, 1, w.len, stdout);
		putchar('\n');
	} else {
		printf("Total %" PRIu64 " objects, %" PRIu64 " bytes, %zu types\n", objs, bytes, n);
	}
	jw_free(&w);
	print_warnings(c);
	return 0;
}

static const char *elem_str(uint8_t e)
{
	static const char *const n[] = {
		[0x02] = "bool", [0x03] = "char", [0x04] = "i1", [0x05] = "u1",
		[0x06] = "i2", [0x07] = "u2", [0x08] = "i4", [0x09] = "u4",
		[0x0a] = "i8", [0x0b] = "u8", [0x0c] = "r4", [0x0d] = "r8",
		[0x0e] = "string", [0x0f] = "ptr", [0x11] = "valuetype",
		[0x12] = "class", [0x18] = "i", [0x19] = "u", [0x1c] = "object",
	};
	return e < sizeof n / sizeof n[0] && n[e] ? n[e] : "?";
}

/* types: every type on the heap, or one type's field layout. */
static int cmd_types(struct cli *c)
{
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(c->h, &rows, &n, &c->err) != CH_OK)
		return fail(c);
	if (!c->fields) {
		printf("mt\tcount\tkind\ttype\n");
		for (size_t i = 0; i < n; i++) {
			const struct clr_type *t = clr_type_of(c->c, rows[i].mt, NULL);
			if (t)
				printf("%016" PRIx64 "\t%" PRIu64 "\t%d\t%s\n", t->mt,
				       rows[i].count, (int)t->kind, t->name);
		}
		return 0;
	}
	uint64_t *mts = calloc(n ? n : 1, sizeof *mts);
	if (!mts) {
		ch_set_error(&c->err, CH_ENOMEM, "out of memory");
		return fail(c);
	}
	for (size_t i = 0; i < n; i++)
		mts[i] = rows[i].mt;
	uint64_t mt = clr_find_type(c->c, c->fields, mts, n);
	free(mts);
	if (!mt) {
		ch_set_error(&c->err, CH_ENOTFOUND, "%s: no loaded type named %s",
			     c->dump_path, c->fields);
		return fail(c);
	}
	const struct clr_type *t = clr_type_of(c->c, mt, &c->err);
	size_t nf, ninst;
	const struct clr_field *f = t ? clr_type_fields(c->c, t, &nf, &ninst, &c->err) : NULL;
	if (!f && (!t || c->err.status != CH_OK))
		return fail(c);
	uint64_t gcb, ngcb;
	clr_type_statics(c->c, t, &gcb, &ngcb);
	printf("# %s  mt 0x%" PRIx64 "  base size %u  module %s\n", t->name, t->mt,
	       t->base_size, t->module_name ? t->module_name : "?");
	printf("offset\telem\ttype\tattr\tname\n");
	for (size_t i = 0; i < nf; i++) {
		bool st = f[i].flags & CLR_FIELD_STATIC;
		printf("0x%x\t%s\t%s\t%s\t%s\n", f[i].offset, elem_str(f[i].elem),
		       f[i].type_name, st ? (f[i].flags & CLR_FIELD_THREAD ? "threadstatic" : "static")
		       : "instance", f[i].name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (!parse_args(&c, argc, argv)) {
		if (c.err.msg[0])
			fprintf(stderr, "clrheap: %s\n", c.err.msg);
		usage(stderr);
		return 2;
	}
	int rc;
	bool info = strcmp(c.cmd, "info") == 0, stat = strcmp(c.cmd, "stat") == 0;
	bool types = strcmp(c.cmd, "types") == 0;
	if (!info && !stat && !types) {
		fprintf(stderr, "clrheap: unknown command %s\n", c.cmd);
		usage(stderr);
		return 2;
	}
	if (open_dump(&c) != CH_OK)
		rc = fail(&c);
	else if (info)
		rc = cmd_info(&c);
	else if (open_heap(&c) != CH_OK)
		rc = fail(&c);
	else if (stat)
		rc = cmd_stat(&c);
	else
		rc = cmd_types(&c);
	heap_close(c.h);
	clr_close(c.c);
	as_close(c.a);
	dump_close(c.d);
	return rc;
}
