/* main_cli.c - `clrheap`: the engine without FUSE.
 *
 *   clrheap info DUMP [--json] [--search DIR]
 *   clrheap stat DUMP [--json] [--search DIR]
 *   clrheap types DUMP [--fields NAME] [--search DIR]
 *   clrheap objects DUMP --type NAME|--all [--depth N] [--max-items N] [--max-string N] [--search DIR]
 *   clrheap objects DUMP --type NAME --csv [...]   the same as CSV rows (csv.h)
 *   clrheap show DUMP ADDR [--depth N] [--max-items N] [--max-string N] [--search DIR]
 *   clrheap statics DUMP --type NAME [--depth N] [--search DIR]
 *   clrheap refs|referrers|gcroot|retained ...   the object graph (main_graph.c)
 *   clrheap threads DUMP [--json] [--search DIR]   managed threads (main_threads.c)
 *   clrheap async DUMP [--json] [--search DIR]     async state machines and their chains
 *   clrheap exceptions DUMP [--type T] [--json]   exception objects, like !pe (main_exceptions.c)
 *   clrheap facts ...   built-in runtime facts (main_facts.c)
 *   clrheap ls|cat|readlink|find|tar DUMP [PATH...]   the mount's tree (main_tree.c)
 *   clrheap help [COMMAND], clrheap --version
 *
 * Every failure prints one line on stderr; exit status 0 success, 1 bad
 * input (a dump or path that cannot be read), 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "heap.h"
#include "asy.h"
#include "csv.h"
#include "jw.h"
#include "main_facts.h"
#include "main_graph.h"
#include "main_threads.h"
#include "main_exceptions.h"
#include "main_inspect.h"
#include "main_prog.h"
#include "main_tree.h"
#include "val.h"
#include "version.h"

#define MAX_SEARCH 16

struct cli {
	const char *cmd;
	const char *dump_path;
	bool json;
	const char *fields; /* types --fields NAME */
	const char *type;   /* objects/statics --type NAME */
	const char *addr;   /* show ADDR */
	unsigned depth;
	bool depth_set;
	uint64_t max_items;
	uint32_t max_string;
	bool all;           /* objects --all, refs --all, retained --all */
	bool csv;           /* objects --csv */
	size_t limit;       /* inspect --limit N */
	bool no_stack_roots, no_static_roots;
	bool paths, no_retained; /* diff --paths, diff --no-retained */
	bool progress;      /* --progress: lines on stderr even when not a terminal */
	struct prog *prog;
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
	      "       clrheap objects DUMP --type NAME|--all [--depth N] [--max-items N] [--max-string N] [--search DIR]\n"
	      "       clrheap objects DUMP --type NAME --csv [--depth N] [--max-items N] [--max-string N] [--search DIR]\n"
	      "       clrheap show DUMP ADDR [--depth N] [--max-items N] [--max-string N] [--search DIR]\n"
	      "       clrheap statics DUMP --type NAME [--depth N] [--search DIR]\n"
	      "       clrheap refs DUMP ADDR|--all [--search DIR]\n"
	      "       clrheap referrers DUMP ADDR [--search DIR]\n"
	      "       clrheap gcroot DUMP ADDR [--json] [--search DIR]\n"
	      "       clrheap retained DUMP [ADDR|--all] [--no-stack-roots] [--no-static-roots] [--search DIR]\n"
	      "       clrheap threads DUMP [--json] [--search DIR]\n"
	      "       clrheap async DUMP [--json] [--search DIR]\n"
	      "       clrheap exceptions DUMP [--type T] [--json] [--search DIR]\n"
	      "       clrheap inspect DUMP [NAME] [--limit N] [--search DIR]\n"
	      "       clrheap diff DUMP_A DUMP_B [--paths] [--no-retained] [--json] [--search DIR]\n"
	      "       clrheap facts --list | FILE [--pack NAME --file PATH --version V --out DIR] | --check FILE...\n"
	      , f);
	main_tree_usage(NULL, f);
	fputs("       clrheap help [COMMAND] | --version\n"
	      "--progress: the heap walks' and graph's progress on stderr (always on a terminal)\n"
	      "Reads the managed heap of a .NET process dump without the DAC.\n"
	      "Exit status: 0 success, 1 bad input, 2 usage.\n", f);
}

static int fail(struct cli *c)
{
	fprintf(stderr, "clrheap: %s\n", c->err.msg[0] ? c->err.msg :
		ch_status_str(c->err.status));
	return c->err.status == CH_EARG ? 2 : 1;
}

/* Parses argv into c; returns false (with a message) on a bad command line. */
/* The number arg of option opt, from lo to hi (else an error on c). */
static bool arg_number(struct cli *c, const char *opt, const char *arg, unsigned long lo,
		       unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(arg, &end, 10);
	if (*end || end == arg || errno || x < lo || x > hi) {
		ch_set_error(&c->err, CH_EARG, "%s takes %lu..%lu", opt, lo, hi);
		return false;
	}
	*out = x;
	return true;
}

static bool is_graph_cmd(const char *cmd)
{
	return strcmp(cmd, "refs") == 0 || strcmp(cmd, "referrers") == 0 ||
	       strcmp(cmd, "gcroot") == 0 || strcmp(cmd, "retained") == 0;
}

static bool parse_args(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return false;
	c->cmd = argv[1];
	unsigned long n;
	for (int i = 2; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--json") == 0) {
			c->json = true;
		} else if (strcmp(s, "--fields") == 0 && i + 1 < argc) {
			c->fields = argv[++i];
		} else if (strcmp(s, "--all") == 0) {
			c->all = true;
		} else if (strcmp(s, "--csv") == 0 && strcmp(c->cmd, "objects") == 0) {
			c->csv = true;
		} else if (strcmp(s, "--paths") == 0 && strcmp(c->cmd, "diff") == 0) {
			c->paths = true;
		} else if (strcmp(s, "--no-retained") == 0 && strcmp(c->cmd, "diff") == 0) {
			c->no_retained = true;
		} else if (strcmp(s, "--progress") == 0) {
			c->progress = true;
		} else if (strcmp(s, "--no-stack-roots") == 0) {
			c->no_stack_roots = true;
		} else if (strcmp(s, "--no-static-roots") == 0) {
			c->no_static_roots = true;
		} else if (strcmp(s, "--type") == 0 && i + 1 < argc) {
			c->type = argv[++i];
		} else if (strcmp(s, "--depth") == 0 && i + 1 < argc) {
			if (!arg_number(c, s, argv[++i], 0, VAL_MAX_DEPTH, &n))
				return false;
			c->depth = (unsigned)n;
			c->depth_set = true;
		} else if (strcmp(s, "--max-items") == 0 && i + 1 < argc) {
			if (!arg_number(c, s, argv[++i], 1, VAL_MAX_SHOWN_ITEMS, &n))
				return false;
			c->max_items = n;
		} else if (strcmp(s, "--max-string") == 0 && i + 1 < argc) {
			if (!arg_number(c, s, argv[++i], 1, VAL_MAX_STRING, &n))
				return false;
			c->max_string = (uint32_t)n;
		} else if (strcmp(s, "--limit") == 0 && i + 1 < argc) {
			if (!arg_number(c, s, argv[++i], 0, 100000000, &n))
				return false;
			c->limit = n;
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
		} else if (!c->addr && (strcmp(c->cmd, "show") == 0 || is_graph_cmd(c->cmd) ||
					strcmp(c->cmd, "inspect") == 0 || strcmp(c->cmd, "diff") == 0)) {
			c->addr = s;
		} else {
			ch_set_error(&c->err, CH_EARG, "unexpected argument %s", s);
			return false;
		}
	}
	if (!c->dump_path) {
		ch_set_error(&c->err, CH_EARG, "%s: which DUMP?", c->cmd);
		return false;
	}
	if (((strcmp(c->cmd, "objects") == 0 && !c->all) || strcmp(c->cmd, "statics") == 0) &&
	    !c->type) {
		ch_set_error(&c->err, CH_EARG, "%s: which --type NAME?", c->cmd);
		return false;
	}
	if (c->csv && c->all) {
		ch_set_error(&c->err, CH_EARG, "objects: --csv is for one --type NAME, not --all");
		return false;
	}
	if (strcmp(c->cmd, "show") == 0 && !c->addr) {
		ch_set_error(&c->err, CH_EARG, "show: which ADDR?");
		return false;
	}
	bool any = strcmp(c->cmd, "retained") == 0 || (strcmp(c->cmd, "refs") == 0 && c->all);
	if (is_graph_cmd(c->cmd) && !any && !c->addr) {
		ch_set_error(&c->err, CH_EARG, "%s: which ADDR?", c->cmd);
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

/* Whether module i is one of the app's assemblies, listed once: a file
 * mapped twice (a PE image and a flat copy) has two module entries. */
static bool app_assembly(struct cli *c, const struct clr_runtime_info *rt,
			 const struct dump_module *mods, size_t i)
{
	if (!clr_is_app_assembly(c->a, rt, &mods[i]))
		return false;
	for (size_t j = 0; j < i; j++)
		if (strcmp(mods[j].path, mods[i].path) == 0 && clr_is_app_assembly(c->a, rt, &mods[j]))
			return false;
	return true;
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
			if (!app_assembly(c, rst == CH_OK ? &rt : NULL, mods, i))
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
			if (app_assembly(c, rst == CH_OK ? &rt : NULL, mods, i))
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
	if (st == CH_OK && (c->prog = prog_open(c->progress)))
		heap_set_progress(c->h, prog_heap, c->prog);
	return st;
}

static void print_module_warning(void *arg, const char *msg)
{
	fprintf(stderr, "clrheap: warning: %s: %s\n", (const char *)arg, msg);
}

static void print_warnings(struct cli *c)
{
	size_t n = heap_warning_count(c->h);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "clrheap: warning: %s: %s\n", c->dump_path, heap_warning(c->h, i));
	clr_module_warnings(c->c, print_module_warning, (void *)c->dump_path);
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

/* ---- objects, show, statics ---- */

struct objects_walk {
	struct cli *c;
	struct val *v;
	struct val_buf b;
	uint64_t cache_mt[256];  /* MethodTables seen, direct-mapped */
	bool cache_hit[256];
	uint64_t count;
	enum ch_status st;
	struct csv *csv;         /* objects --csv: learning, then writing rows */
	bool csv_rows;
};

static void csv_stdout(void *arg, const char *p, size_t n)
{
	(void)arg;
	fwrite(p, 1, n, stdout);
}

static bool objects_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct objects_walk *w = arg;
	size_t k = (size_t)(mt >> 3) & 255;
	if (w->cache_mt[k] != mt) {
		const struct clr_type *t = clr_type_of(w->c->c, mt, NULL);
		w->cache_mt[k] = mt;
		w->cache_hit[k] = t && (w->c->all || strcmp(t->name, w->c->type) == 0);
	}
	if (!w->cache_hit[k])
		return true;
	val_buf_reset(&w->b);
	w->st = val_object_json(w->v, obj, &w->b, &w->c->err);
	if (w->st != CH_OK)
		return false;
	if (w->csv) {
		w->st = w->csv_rows ? csv_row(w->csv, w->b.p, w->b.len, csv_stdout, NULL, &w->c->err)
				    : csv_learn(w->csv, w->b.p, w->b.len, &w->c->err);
		w->count++;
		return w->st == CH_OK;
	}
	w->b.p[w->b.len++] = '\n'; /* vb keeps one spare byte for the NUL */
	if (fwrite(w->b.p, 1, w->b.len, stdout) != w->b.len) {
		w->st = ch_set_error(&w->c->err, CH_EIO, "writing the output failed");
		return false;
	}
	w->count++;
	return true;
}

static enum ch_status open_val(struct cli *c, struct val **v)
{
	enum ch_status st = val_open(c->c, v, &c->err);
	if (st == CH_OK) {
		/* --all writes every object as its own line, so by default none is
		 * inlined in another's: a heap of objects each referring to many
		 * (a compiler's symbols) made each line hold thousands of others */
		val_set_depth(*v, c->depth_set ? c->depth : c->all ? 0 : VAL_DEFAULT_DEPTH);
		val_set_limits(*v, c->max_items, c->max_string);
	}
	return st;
}

/* objects: every instance of one type, one JSON document a line. */
static int cmd_objects(struct cli *c)
{
	struct objects_walk *w = calloc(1, sizeof *w);
	if (!w) {
		ch_set_error(&c->err, CH_ENOMEM, "out of memory");
		return fail(c);
	}
	w->c = c;
	val_buf_init(&w->b);
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	int rc = 0;
	if (open_val(c, &w->v) != CH_OK || (c->csv && csv_open(&w->csv, &c->err) != CH_OK)) {
		rc = fail(c);
	} else {
		heap_walk(c->h, objects_cb, w);
		if (w->csv && w->st == CH_OK && w->count) {
			/* the columns are known: the header, then every row again */
			w->st = csv_header(w->csv, csv_stdout, NULL, &c->err);
			w->csv_rows = true;
			w->count = 0;
			if (w->st == CH_OK)
				heap_walk(c->h, objects_cb, w);
			if (w->st == CH_OK && csv_warning(w->csv)[0])
				fprintf(stderr, "clrheap: %s: %s\n", c->dump_path, csv_warning(w->csv));
		}
		if (fflush(stdout) != 0 && w->st == CH_OK)
			w->st = ch_set_error(&c->err, CH_EIO, "writing the output failed");
		if (w->st == CH_OK && w->count == 0 && !c->all)
			w->st = ch_set_error(&c->err, CH_ENOTFOUND, "%s: no objects of type %s on the heap",
					     c->dump_path, c->type);
		if (w->st != CH_OK)
			rc = fail(c);
		else
			print_warnings(c);
	}
	val_close(w->v);
	val_buf_free(&w->b);
	csv_close(w->csv);
	free(w);
	return rc;
}

struct find_obj {
	uint64_t addr, found;
};

static bool find_obj_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)mt;
	struct find_obj *f = arg;
	if (f->addr >= obj && f->addr - obj < size) {
		f->found = obj;
		return false;
	}
	return obj <= f->addr;
}

/* show: the object at (or around) ADDR. */
static int cmd_show(struct cli *c)
{
	char *end;
	uint64_t addr = strtoull(c->addr, &end, 16);
	if (*end || end == c->addr) {
		ch_set_error(&c->err, CH_EARG, "show: %s is not a hex address", c->addr);
		return fail(c);
	}
	struct find_obj f = { addr, 0 };
	size_t nseg;
	const struct heap_seg *segs = heap_segments(c->h, &nseg);
	for (size_t i = 0; i < nseg && !f.found; i++)
		if (addr >= segs[i].start && addr < segs[i].end)
			heap_walk_segment(c->h, i, find_obj_cb, &f);
	if (!f.found) {
		ch_set_error(&c->err, CH_ENOTFOUND, "%s: no object at 0x%" PRIx64, c->dump_path, addr);
		return fail(c);
	}
	struct val *v;
	if (open_val(c, &v) != CH_OK)
		return fail(c);
	struct val_buf b;
	val_buf_init(&b);
	int rc = 0;
	if (val_object_json(v, f.found, &b, &c->err) != CH_OK)
		rc = fail(c);
	else
		puts(b.p);
	val_buf_free(&b);
	val_close(v);
	return rc;
}

struct find_inst {
	struct cli *c;
	uint64_t found;
};

static bool find_inst_cb(void *arg, uint64_t mt)
{
	struct find_inst *f = arg;
	const struct clr_type *t = clr_type_of(f->c->c, mt, NULL);
	if (t && strcmp(t->name, f->c->type) == 0) {
		f->found = mt;
		return false;
	}
	return true;
}

/* statics: a type's static fields, as one JSON object. */
static int cmd_statics(struct cli *c)
{
	const struct heap_stat_row *rows;
	size_t n;
	if (heap_stat(c->h, &rows, &n, &c->err) != CH_OK)
		return fail(c);
	uint64_t *mts = calloc(n ? n : 1, sizeof *mts);
	if (!mts) {
		ch_set_error(&c->err, CH_ENOMEM, "out of memory");
		return fail(c);
	}
	for (size_t i = 0; i < n; i++)
		mts[i] = rows[i].mt;
	uint64_t mt = clr_find_type(c->c, c->type, mts, n);
	free(mts);
	struct val *v;
	if (open_val(c, &v) != CH_OK)
		return fail(c);
	if (!mt) { /* a generic instantiation: the modules' instantiated types */
		struct find_inst f = { c, 0 };
		size_t nm;
		for (size_t i = 0; i < n; i++) { /* modules with objects on the heap */
			const struct clr_type *t = clr_type_of(c->c, rows[i].mt, NULL);
			if (t && t->kind != CLR_KIND_ARRAY)
				clr_resolver_add_module(val_resolver(v), t->module);
		}
		const uint64_t *mods = clr_resolver_modules(val_resolver(v), &nm);
		for (size_t i = 0; i < nm && !f.found; i++)
			clr_module_param_types(val_resolver(v), mods[i], find_inst_cb, &f);
		mt = f.found;
	}
	const struct clr_type *t = mt ? clr_type_of(c->c, mt, &c->err) : NULL;
	if (!t) {
		if (!mt)
			ch_set_error(&c->err, CH_ENOTFOUND, "%s: no loaded type named %s",
				     c->dump_path, c->type);
		val_close(v);
		return fail(c);
	}
	struct val_buf b;
	val_buf_init(&b);
	int rc = 0;
	if (val_statics_json(v, t, &b, &c->err) != CH_OK)
		rc = fail(c);
	else
		puts(b.p);
	val_buf_free(&b);
	val_close(v);
	return rc;
}

/* threads needs the runtime, not the heap: it reads dumps without one. */
static int cmd_threads(struct cli *c)
{
	if (clr_open(c->a, &c->c, &c->err) != CH_OK ||
	    main_threads(c->c, c->dump_path, c->json, &c->err) != 0)
		return fail(c);
	return 0;
}

static void out_stdout(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

/* async: the chains as !dumpasync --coalesce prints them, or every box. */
static int cmd_async(struct cli *c)
{
	struct asy_list *l;
	if (asy_open(c->h, &l, &c->err) != CH_OK)
		return fail(c);
	if (c->json) {
		struct jw w;
		jw_init(&w);
		asy_list_json(l, &w);
		if (!w.oom)
			printf("%s\n", w.buf);
		jw_free(&w);
	} else {
		asy_chains_text(l, out_stdout, stdout);
	}
	asy_close(l);
	return 0;
}

/* inspect: the inspections (insp.h); diff: the second dump is in addr. */
static int cmd_inspect(struct cli *c, bool diff)
{
	if (diff && !c->addr) {
		ch_set_error(&c->err, CH_EARG, "diff: which second DUMP?");
		return fail(c);
	}
	struct main_diff_args da = { c->addr, c->json, c->paths, !c->no_retained,
				     { .no_stack_roots = c->no_stack_roots,
				       .no_static_roots = c->no_static_roots,
				       .progress = c->prog ? prog_graph : NULL, .progress_arg = c->prog },
				     c->progress };
	if (c->paths && c->no_retained) {
		ch_set_error(&c->err, CH_EARG, "diff: --paths needs the retained bytes");
		return fail(c);
	}
	if (diff ? main_diff(c->h, &da, &c->err) != 0
		 : main_inspect(c->h, c->addr, c->limit, &c->err) != 0)
		return fail(c);
	print_warnings(c);
	return 0;
}

static int cmd_graph(struct cli *c)
{
	struct main_graph_args a = { c->cmd, c->dump_path, c->addr, c->all, c->json,
				     c->no_stack_roots, c->no_static_roots, c->prog };
	if (main_graph(&a, c->h, &c->err) != 0)
		return fail(c);
	print_warnings(c);
	return 0;
}

/* help [COMMAND]: the usage lines of COMMAND (all of them without one);
 * 2 for a command that does not exist. */
static int help(const char *cmd)
{
	if (!cmd || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (main_tree_is_cmd(cmd)) {
		main_tree_usage(cmd, stdout);
		return 0;
	}
	char *text = NULL, want[64];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return 1;
	usage(m);
	fclose(m);
	snprintf(want, sizeof want, "clrheap %s ", cmd);
	bool found = false;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *at = strstr(l, want);
		if (!at || (at != l && at[-1] != ' '))
			continue;
		printf("%s %s\n", found ? "      " : "usage:", at);
		found = true;
	}
	free(text);
	if (!found) {
		fprintf(stderr, "clrheap: help: no command %s\n", cmd);
		usage(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("clrheap %s\n", CLRHEAP_VERSION);
		return 0;
	}
	if (argc >= 3 && (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0))
		return help(argv[1]);
	if (argc >= 2 && strcmp(argv[1], "help") == 0)
		return help(argc >= 3 ? argv[2] : NULL);
	if (argc >= 2 && strcmp(argv[1], "facts") == 0)
		return main_facts(argc - 1, argv + 1);
	if (argc >= 2 && main_tree_is_cmd(argv[1]))
		return main_tree(argc - 1, argv + 1);
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
	bool objects = strcmp(c.cmd, "objects") == 0, show = strcmp(c.cmd, "show") == 0;
	bool statics = strcmp(c.cmd, "statics") == 0;
	bool graph = is_graph_cmd(c.cmd);
	bool threads = strcmp(c.cmd, "threads") == 0, async = strcmp(c.cmd, "async") == 0;
	bool inspect = strcmp(c.cmd, "inspect") == 0, diff = strcmp(c.cmd, "diff") == 0;
	bool exceptions = strcmp(c.cmd, "exceptions") == 0;
	if (!info && !stat && !types && !objects && !show && !statics && !graph && !threads &&
	    !async && !inspect && !diff && !exceptions) {
		fprintf(stderr, "clrheap: unknown command %s\n", c.cmd);
		usage(stderr);
		return 2;
	}
	if (open_dump(&c) != CH_OK)
		rc = fail(&c);
	else if (info)
		rc = cmd_info(&c);
	else if (threads)
		rc = cmd_threads(&c);
	else if (open_heap(&c) != CH_OK)
		rc = fail(&c);
	else if (stat)
		rc = cmd_stat(&c);
	else if (objects)
		rc = cmd_objects(&c);
	else if (show)
		rc = cmd_show(&c);
	else if (statics)
		rc = cmd_statics(&c);
	else if (graph)
		rc = cmd_graph(&c);
	else if (async)
		rc = cmd_async(&c);
	else if (exceptions)
		rc = main_exceptions(c.h, c.type, c.json, &c.err) != 0 ? fail(&c) : 0;
	else if (inspect || diff)
		rc = cmd_inspect(&c, diff);
	else
		rc = cmd_types(&c);
	prog_close(c.prog);
	heap_close(c.h);
	clr_close(c.c);
	as_close(c.a);
	dump_close(c.d);
	return rc;
}
