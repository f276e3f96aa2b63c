/* test_clr_facts.c - the built-in runtime facts, a module file opened as
 * a dump (dump_open_image), and the refusals that say what to do: a dump
 * without a GC heap (a crash minidump rebuilt from a real core), Mono,
 * runtimes before .NET 8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "clr_desc.h"
#include "clr_facts.h"
#include "dump.h"
#include "fixture.h"
#include "mkdump.h"

static void test_table(void **state)
{
	(void)state;
	size_t n = clr_facts_count();
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		const struct clr_facts *f = clr_facts_at(i);
		assert_true(strncmp(f->id, "elf:", 4) == 0 || strncmp(f->id, "pe:", 3) == 0);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(f->id, clr_facts_at(k)->id);
		assert_true(f->version[0] >= '8' || f->version[0] == '1');
		assert_true(f->nexports >= 1); /* g_dacTable, in every build */
		for (size_t k = 0; k < f->ndescs; k++) {
			const struct clr_facts_desc *d = &f->descs[k];
			/* The generator kept every byte of the JSON. */
			assert_int_equal(strlen(d->json), d->json_len);
			char name[40];
			clr_facts_json_name(d->json, d->json_len, name, sizeof name);
			assert_string_equal(name, d->json_name);
			uint64_t ptrs[128] = { 0 };
			assert_true(d->nptrs <= 128);
			for (size_t p = 0; p < d->nptrs; p++)
				ptrs[p] = d->ptrs[p].value;
			struct clr_desc *cd;
			struct ch_err err = { 0 };
			assert_int_equal(clr_desc_parse(d->json, d->json_len, ptrs, d->nptrs, &cd, &err),
					 CH_OK);
			clr_desc_close(cd);
		}
		/* .NET 9 and later have a descriptor; .NET 11 also the GC's two. */
		if (strncmp(f->version, "8.", 2) == 0)
			assert_int_equal(f->ndescs, 0);
		else if (strncmp(f->version, "11.", 3) == 0)
			assert_int_equal(f->ndescs, 3);
		else
			assert_int_equal(f->ndescs, 1);
	}
	assert_null(clr_facts_at(n));
}

struct opened {
	struct dump *d;
	struct as *a;
	struct ch_err err;
};

static void open_fixture(struct opened *o, const char *name)
{
	char path[4096];
	fixture_path(path, sizeof path, name);
	memset(o, 0, sizeof *o);
	if (dump_open(path, &o->d, &o->err) != CH_OK || as_open(o->d, &o->a, &o->err) != CH_OK)
		fail_msg("%s", o->err.msg);
}

static void close_fixture(struct opened *o)
{
	as_close(o->a);
	dump_close(o->d);
}

/* The committed heap dump of 10.0.12 lacks the descriptor: the facts give
 * it, and give what the runtime file gives where that file is here. */
static void test_heap_dump_descriptor(void **state)
{
	(void)state;
	struct opened o;
	open_fixture(&o, "visits.heap.dmp");
	struct clr_runtime_info rt;
	assert_int_equal(clr_find_runtime(o.a, &rt, &o.err), CH_OK);
	const struct clr_facts *f = clr_facts_find(rt.module);
	assert_non_null(f);
	assert_string_equal(f->pack, "Microsoft.NETCore.App.Runtime.linux-x64 10.0.12");
	assert_string_equal(rt.file_version, "10.0.1226.42308");
	uint64_t va;
	assert_int_equal(clr_facts_export(o.a, rt.module, "DotNetRuntimeContractDescriptor",
					  &va, &o.err), CH_OK);
	struct clr_desc_raw fr, fl;
	assert_int_equal(clr_desc_read(o.a, rt.module, va, &fr, &o.err), CH_OK);
	assert_true(fr.from_facts);
	assert_int_equal(fr.nptrs, 24);
	assert_int_equal(fr.ptrs[0], 0);
	assert_true(fr.ptrs[9] > rt.module->base); /* FreeObjectMethodTable, in its .bss */
	setenv("CLRHEAP_FACTS", "0", 1);
	assert_null(clr_facts_find(rt.module));
	if (clr_desc_read(o.a, rt.module, va, &fl, &o.err) == CH_OK) {
		assert_false(fl.from_facts);
		assert_int_equal(fl.json_len, fr.json_len);
		assert_memory_equal(fl.json, fr.json, fr.json_len);
		assert_int_equal(fl.nptrs, fr.nptrs);
		assert_memory_equal(fl.ptrs, fr.ptrs, fr.nptrs * sizeof *fr.ptrs);
		clr_desc_raw_free(&fl);
	} else {
		/* No runtime file here: the read names the file it needs. */
		assert_non_null(strstr(o.err.msg, "libcoreclr.so"));
	}
	unsetenv("CLRHEAP_FACTS");
	clr_desc_raw_free(&fr);
	close_fixture(&o);
}

static void test_image_file(void **state)
{
	(void)state;
	uint8_t id[20];
	for (int i = 0; i < 20; i++)
		id[i] = (uint8_t)(0xa0 + i);
	struct mkbuf b = { 0 };
	mk_elf_so(&b, id);
	char *p = mk_tmpfile(b.p, b.len, ".so");
	mk_free(&b);
	struct dump *d;
	struct ch_err err = { 0 };
	assert_int_equal(dump_open_image(p, &d, &err), CH_OK);
	assert_int_equal(dump_format(d), DUMP_FMT_IMAGE);
	size_t n;
	const struct dump_module *m = dump_modules(d, &n);
	assert_int_equal(n, 1);
	assert_true(m->image_file);
	assert_int_equal(m->build_id_len, 20);
	assert_memory_equal(m->build_id, id, 20);
	dump_ranges(d, &n);
	assert_int_equal(n, 0);
	char s[80];
	assert_true(clr_facts_id(m, s, sizeof s));
	assert_string_equal(s, "elf:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
	/* Facts never stand in for the file they are made from. */
	assert_null(clr_facts_find(m));
	dump_close(d);
	/* Not a runtime: facts cannot be made of it. */
	struct clr_facts *f;
	assert_int_not_equal(clr_facts_from_file(p, "", "", "", &f, &err), CH_OK);
	assert_non_null(strstr(err.msg, "no .NET runtime module"));
	unlink(p);
	free(p);
	/* A core file, or no ELF at all, is no module file. */
	char path[4096];
	fixture_path(path, sizeof path, "zoo.heap.dmp");
	assert_int_equal(dump_open_image(path, &d, &err), CH_EFORMAT);
	assert_non_null(strstr(err.msg, "not a shared object"));
	p = mk_tmpfile("hello, world", 12, ".txt");
	assert_int_equal(dump_open_image(p, &d, &err), CH_EFORMAT);
	unlink(p);
	free(p);
}

/* A minidump of mods with memory mem (may be none). */
static struct dump *minidump_of(const struct mk_mmod *mods, size_t nmods,
				const struct mk_mmem *mem, size_t nmem,
				const struct mk_mthread *th, size_t nth, uint32_t platform)
{
	struct mk_mdmp md = { .arch = 9, .platform = platform, .mods = mods, .nmods = nmods,
			      .threads = th, .nthreads = nth, .mem64 = mem, .nmem64 = nmem,
			      .pid = 4242 };
	struct mkbuf b = { 0 };
	mk_minidump(&b, &md, NULL);
	char *p = mk_tmpfile(b.p, b.len, ".dmp");
	mk_free(&b);
	struct dump *d;
	struct ch_err err = { 0 };
	if (dump_open(p, &d, &err) != CH_OK)
		fail_msg("%s", err.msg);
	unlink(p);
	free(p);
	return d;
}

/* A crash minidump as Breakpad writes one of a .NET process: its module
 * list and its threads' stacks, rebuilt from the real heap dump. */
static void test_crash_minidump(void **state)
{
	(void)state;
	struct opened o;
	open_fixture(&o, "visits.heap.dmp");
	size_t nr, nm, nt, len;
	const struct dump_range *r = dump_ranges(o.d, &nr);
	const struct dump_module *m = dump_modules(o.d, &nm);
	const struct dump_thread *t = dump_threads(o.d, &nt);
	const uint8_t *bytes = dump_bytes(o.d, &len);
	struct mk_mmem *mem = calloc(nt, sizeof *mem);
	struct mk_mthread *th = calloc(nt, sizeof *th);
	size_t nmem = 0;
	for (size_t i = 0; i < nt; i++) {
		th[i] = (struct mk_mthread){ t[i].tid, 0, t[i].sp, t[i].ip };
		for (size_t k = 0; k < nr; k++)
			if (t[i].sp - r[k].va < r[k].size) {
				uint64_t n = r[k].va + r[k].size - t[i].sp;
				mem[nmem++] = (struct mk_mmem){ t[i].sp, bytes + r[k].file_off +
								 (t[i].sp - r[k].va),
								 n < 32768 ? n : 32768 };
				break;
			}
	}
	struct mk_mmod *mods = calloc(nm, sizeof *mods);
	for (size_t i = 0; i < nm; i++)
		mods[i] = (struct mk_mmod){ .base = m[i].base, .size = (uint32_t)m[i].size,
					   .name = m[i].path, .bpel = m[i].build_id_len ? m[i].build_id : NULL,
					   .bpel_len = m[i].build_id_len };
	/* Memory ranges must be sorted and apart. */
	for (size_t i = 1; i < nmem; i++)
		for (size_t k = i; k > 0 && mem[k].va < mem[k - 1].va; k--) {
			struct mk_mmem x = mem[k];
			mem[k] = mem[k - 1];
			mem[k - 1] = x;
		}
	for (size_t i = 1; i < nmem; i++)
		if (mem[i - 1].va + mem[i - 1].size > mem[i].va)
			mem[i - 1].size = mem[i].va - mem[i - 1].va;
	struct dump *d = minidump_of(mods, nm, mem, nmem, th, nt, 0x8201);
	free(mem);
	free(th);
	free(mods);
	close_fixture(&o);
	struct as *a;
	struct clr *c;
	struct ch_err err = { 0 };
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	assert_int_not_equal(clr_open(a, &c, &err), CH_OK);
	assert_non_null(strstr(err.msg, "holds no GC heap"));
	assert_non_null(strstr(err.msg, "take a heap or full dump"));
	assert_null(strchr(err.msg, '\n'));
	as_close(a);
	dump_close(d);
}

static void refused_with(const struct mk_mmod *mod, const char *want)
{
	struct dump *d = minidump_of(mod, 1, NULL, 0, NULL, 0, 2);
	struct as *a;
	struct clr *c;
	struct ch_err err = { 0 };
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	assert_int_equal(clr_open(a, &c, &err), CH_EUNSUPPORTED);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
	as_close(a);
	dump_close(d);
}

static void test_runtimes_not_read(void **state)
{
	(void)state;
	struct mk_mmod mono = { .base = 0x180000000, .size = 0x10000,
				.name = "C:\\Game\\MonoBleedingEdge\\EmbedRuntime\\mono-2.0-bdwgc.dll" };
	refused_with(&mono, "Mono runtime (mono-2.0-bdwgc.dll)");
	struct mk_mmod core3 = { .base = 0x180000000, .size = 0x10000, .ver_ms = 0x40000,
				 .ver_ls = 0x1c801b5, /* 4.700.20.437: .NET Core 3.1 */
				 .name = "C:\\Program Files\\dotnet\\shared\\Microsoft.NETCore.App\\3.1.3\\coreclr.dll" };
	refused_with(&core3, "runtime 3.1.3 (.NET Core 3.1.3) is not read");
	struct mk_mmod net6 = { .base = 0x180000000, .size = 0x10000,
				.name = "C:\\Program Files\\dotnet\\shared\\Microsoft.NETCore.App\\6.0.36\\coreclr.dll" };
	refused_with(&net6, "runtime 6.0.36 (.NET 6.0.36) is not read");
	struct mk_mmod fx = { .base = 0x180000000, .size = 0x10000, .ver_ms = 0x40000,
			      .ver_ls = 0x22b00000,
			      .name = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll" };
	refused_with(&fx, ".NET Framework (clr.dll 4.0.8880.0) is not read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_heap_dump_descriptor),
		cmocka_unit_test(test_image_file),
		cmocka_unit_test(test_crash_minidump),
		cmocka_unit_test(test_runtimes_not_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
