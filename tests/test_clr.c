/* test_clr.c - the runtime profile and type system on real .NET dumps:
 * GC mode detection, well-known MethodTables, ClrMD-style names, field
 * layouts with inheritance, statics (.NET 8's DomainLocalModule scheme
 * too), loaded types without instances, generic structs whose exact
 * instantiation has no MethodTable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_fixture.h"
#include "md.h"
#include "mkdump.h"
#include "val.h"

static void test_gc_modes(void **state)
{
	(void)state;
	static const struct { const char *dump; bool server, regions; unsigned heaps; } cases[] = {
		{ "zoo.heap.dmp", false, true, 1 },
		{ "zoo.full.dmp", false, true, 1 },
		{ "zoo-svr.heap.dmp", true, true, 2 },
		{ "zoo-seg.heap.dmp", false, false, 1 },
		{ "zoo-net9.full.dmp", false, true, 1 },
		{ "zoo-net8.full.dmp", false, true, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx f;
		fx_open(&f, cases[i].dump);
		const struct clr_gc_info *g = clr_gc(f.c);
		assert_int_equal(g->server, cases[i].server);
		assert_int_equal(g->regions, cases[i].regions);
		assert_int_equal(g->nheaps, cases[i].heaps);
		assert_int_equal(g->ngenerations, 5);
		assert_int_equal(g->major, 2);
		size_t nseg;
		const struct heap_seg *s = heap_segments(f.h, &nseg);
		assert_true(nseg >= 4);
		bool loh = false, poh = false, frozen = false;
		for (size_t k = 0; k < nseg; k++) {
			assert_true(s[k].start <= s[k].end);
			loh |= s[k].gen == HEAP_LOH;
			poh |= s[k].gen == HEAP_POH;
			frozen |= s[k].gen == HEAP_FROZEN;
		}
		assert_true(loh && poh && frozen);
		fx_close(&f);
	}
}

static void test_runtime_and_wellknown(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	const struct clr_runtime_info *rt = clr_runtime(f.c);
	assert_int_equal(rt->major, 10);
	assert_string_equal(rt->module->name, "libcoreclr.so");
	assert_int_equal(clr_ptr_size(f.c), 8);
	assert_int_equal(clr_min_obj_size(f.c), 24);
	const struct clr_type *s = clr_type_of(f.c, clr_string_mt(f.c), &f.err);
	assert_non_null(s);
	assert_string_equal(s->name, "System.String");
	assert_int_equal(s->kind, CLR_KIND_STRING);
	assert_int_equal(s->component_size, 2);
	assert_int_equal(s->base_size, 22);
	const struct clr_type *o = clr_type_of(f.c, clr_object_mt(f.c), &f.err);
	assert_string_equal(o->name, "System.Object");
	const struct clr_type *fr = clr_type_of(f.c, clr_free_mt(f.c), &f.err);
	assert_int_equal(fr->kind, CLR_KIND_FREE);
	/* Not a MethodTable: fails with a message, never crashes. */
	assert_null(clr_type_of(f.c, 0, &f.err));
	assert_null(clr_type_of(f.c, 0x10, &f.err));
	assert_null(clr_type_of(f.c, clr_string_mt(f.c) + 8, &f.err));
	assert_non_null(strstr(f.err.msg, "MethodTable"));
	fx_close(&f);
}

static void test_names(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	static const char *const names[] = {
		"Zoo.Duo<System.String, Zoo.Duo<System.Int32, System.Int32>>",
		"Zoo.Box<System.Nullable<System.Int32>>",
		"Zoo.Holder+Nested+MoreNested",
		"Zoo.Animal[][]",
		"System.Int32[,]",
		"System.Collections.Generic.Dictionary<System.String, System.Int32>",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		uint64_t mt = fx_mt(&f, names[i]);
		if (!mt)
			fail_msg("no type named %s on the heap", names[i]);
		const struct clr_type *t = clr_type_of(f.c, mt, &f.err);
		char buf[512];
		assert_true(clr_th_name(f.c, mt, buf, sizeof buf));
		assert_string_equal(buf, t->name);
	}
	const struct clr_type *jag = clr_type_of(f.c, fx_mt(&f, "Zoo.Animal[][]"), &f.err);
	assert_int_equal(jag->kind, CLR_KIND_ARRAY);
	assert_true(jag->sz_array);
	const struct clr_type *md = clr_type_of(f.c, fx_mt(&f, "System.Int32[,]"), &f.err);
	assert_int_equal(md->rank, 2);
	assert_false(md->sz_array);
	assert_int_equal(md->elem_type, MD_ELEM_I4);
	const struct clr_type *dict = clr_type_of(f.c, fx_mt(&f,
		"System.Collections.Generic.Dictionary<System.String, System.Int32>"), &f.err);
	assert_int_equal(dict->ntype_args, 2);
	assert_string_equal(dict->module_name, "System.Private.CoreLib.dll");
	fx_close(&f);
}

static const struct clr_field *field(const struct clr_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static void test_fields_inheritance(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	uint64_t mt = fx_mt(&f, "Zoo.Puppy");
	assert_true(mt != 0);
	const struct clr_type *t = clr_type_of(f.c, mt, &f.err);
	size_t n, ninst;
	const struct clr_field *fl = clr_type_fields(f.c, t, &n, &ninst, &f.err);
	assert_non_null(fl);
	assert_int_equal(ninst, 6);
	/* Base class fields first: Animal's, then Dog's, then Puppy's. */
	static const char *const order[] = { "Name", "Legs", "id", "Breed", "GoodBoy", "AgeWeeks" };
	for (size_t k = 0; k < 3; k++)
		assert_non_null(field(fl, 3, order[k]));
	for (size_t k = 3; k < 5; k++)
		assert_non_null(field(fl + 3, 2, order[k]));
	assert_string_equal(fl[5].name, "AgeWeeks");
	const struct clr_field *id = field(fl, n, "id");
	assert_int_equal(id->elem, MD_ELEM_VALUETYPE);
	assert_string_equal(id->type_name, "System.Guid");
	const struct clr_field *name = field(fl, n, "Name");
	assert_int_equal(name->elem, MD_ELEM_CLASS);
	assert_string_equal(name->type_name, "System.String");
	assert_int_equal(name->flags & CLR_FIELD_STATIC, 0);
	/* Offsets lie inside the object and do not overlap the header. */
	for (size_t k = 0; k < ninst; k++)
		assert_true(fl[k].offset + 8 + 1 <= t->base_size);
	/* The generic list's fields, types substituted with its arguments. */
	uint64_t lmt = fx_mt(&f, "System.Collections.Generic.List<System.String>");
	assert_true(lmt != 0);
	const struct clr_type *l = clr_type_of(f.c, lmt, &f.err);
	const struct clr_field *lf = clr_type_fields(f.c, l, &n, &ninst, &f.err);
	assert_non_null(lf);
	const struct clr_field *items = field(lf, ninst, "_items");
	assert_non_null(items);
	assert_string_equal(items->type_name, "System.String[]");
	assert_non_null(field(lf, ninst, "_size"));
	fx_close(&f);
}

/* Statics of a type with no instances, found through its module's map. */
static void test_statics_holder(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	uint64_t visit = fx_mt(&f, "Bugfree.Spo.Analytics.Cli.Domain+Visit");
	assert_true(visit != 0);
	/* F# keeps a module's let-bound values in its file's startup class. */
	uint64_t agents = clr_find_type(f.c, "<StartupCode$visits>.$Agents", &visit, 1);
	assert_true(agents != 0);
	const struct clr_type *t = clr_type_of(f.c, agents, &f.err);
	size_t n, ninst;
	const struct clr_field *fl = clr_type_fields(f.c, t, &n, &ninst, &f.err);
	assert_non_null(fl);
	const struct clr_field *v = field(fl, n, "visitor@16");
	assert_non_null(v);
	assert_true(v->flags & CLR_FIELD_STATIC);
	assert_non_null(strstr(v->type_name, "MailboxProcessor<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>"));
	uint64_t gc, ngc;
	clr_type_statics(f.c, t, &gc, &ngc);
	assert_true(gc != 0);
	/* The static holds the one MailboxProcessor<VisitorMessage> instance. */
	uint64_t ref;
	assert_true(as_u64(f.a, gc + v->offset, &ref));
	uint64_t mt;
	assert_true(as_u64(f.a, ref, &mt));
	const struct clr_type *mp = clr_type_of(f.c, mt & clr_mt_mask(f.c), &f.err);
	assert_non_null(mp);
	assert_string_equal(mp->name,
		"Microsoft.FSharp.Control.FSharpMailboxProcessor<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>");
	assert_int_equal(clr_find_type(f.c, "No.Such.Type", &visit, 1), 0);
	fx_close(&f);
}

/* Primitive statics live at the non-GC statics base plus their offset; the
 * zoo's truth says Counter is 42. .NET 9 reads through the same scheme. */
static void test_primitive_static(void **state)
{
	(void)state;
	static const char *const dumps[] = { "zoo.heap.dmp", "zoo-net9.full.dmp", "zoo-svr.heap.dmp" };
	for (size_t i = 0; i < 3; i++) {
		struct fx f;
		fx_open(&f, dumps[i]);
		uint64_t dog = fx_mt(&f, "Zoo.Dog");
		uint64_t mt = clr_find_type(f.c, "Zoo.Statics", &dog, 1);
		if (!mt)
			fail_msg("%s: no Zoo.Statics", dumps[i]);
		const struct clr_type *t = clr_type_of(f.c, mt, &f.err);
		size_t n;
		const struct clr_field *fl = clr_type_fields(f.c, t, &n, NULL, &f.err);
		assert_non_null(fl);
		const struct clr_field *counter = field(fl, n, "Counter");
		assert_non_null(counter);
		assert_int_equal(counter->elem, MD_ELEM_I4);
		uint64_t gc, ngc;
		clr_type_statics(f.c, t, &gc, &ngc);
		uint32_t v;
		assert_true(ngc && as_u32(f.a, ngc + counter->offset, &v));
		assert_int_equal(v, 42);
		fx_close(&f);
	}
}

/* .NET 8 has no contract descriptor: the built-in table names its types
 * and reads their instance fields. */
static void test_net8_profile(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo-net8.full.dmp");
	assert_int_equal(clr_runtime(f.c)->major, 8);
	const struct clr_type *s = clr_type_of(f.c, clr_string_mt(f.c), &f.err);
	assert_string_equal(s->name, "System.String");
	const struct clr_type *o = clr_type_of(f.c, clr_object_mt(f.c), &f.err);
	assert_string_equal(o->name, "System.Object");
	uint64_t mt = fx_mt(&f, "Zoo.Duo<System.String, Zoo.Duo<System.Int32, System.Int32>>");
	assert_true(mt != 0);
	const struct clr_type *md = clr_type_of(f.c, fx_mt(&f, "System.Int32[,]"), &f.err);
	assert_non_null(md);
	assert_int_equal(md->rank, 2);
	/* Instance fields: EEClass counts are DWORDs after its fixed part. */
	size_t n, ninst;
	const struct clr_type *pup = clr_type_of(f.c, fx_mt(&f, "Zoo.Puppy"), &f.err);
	const struct clr_field *fl = clr_type_fields(f.c, pup, &n, &ninst, &f.err);
	assert_non_null(fl);
	assert_int_equal(ninst, 6);
	assert_string_equal(fl[5].name, "AgeWeeks");
	assert_string_equal(field(fl, n, "id")->type_name, "System.Guid");
	fx_close(&f);
}

/* The loaded generic instantiation named name among module's. */
struct inst_find {
	struct clr *c;
	const char *name;
	uint64_t mt;
};

static bool inst_cb(void *arg, uint64_t mt)
{
	struct inst_find *x = arg;
	const struct clr_type *t = clr_type_of(x->c, mt, NULL);
	if (t && strcmp(t->name, x->name) == 0) {
		x->mt = mt;
		return false;
	}
	return true;
}

static const struct clr_type *inst_type(struct fx *f, uint64_t module, const char *name)
{
	struct clr_resolver *r;
	struct inst_find x = { f->c, name, 0 };
	assert_int_equal(clr_resolver_open(f->c, &r, &f->err), CH_OK);
	clr_resolver_add_module(r, module);
	clr_module_param_types(r, module, inst_cb, &x);
	clr_resolver_close(r);
	if (!x.mt)
		fail_msg("no loaded %s", name);
	return clr_type_of(f->c, x.mt, &f->err);
}

/* The name of the object the reference at va points to. */
static const char *ref_type(struct fx *f, uint64_t va)
{
	uint64_t obj, mt;
	if (!as_u64(f->a, va, &obj) || !obj || !as_u64(f->a, obj, &mt))
		return "?";
	const struct clr_type *t = clr_type_of(f->c, mt & clr_mt_mask(f->c), NULL);
	return t ? t->name : "?";
}

static uint32_t static_u32(struct fx *f, uint64_t base, const struct clr_field *fl, size_t n,
			   const char *name)
{
	uint32_t v = 0xdeadbeef;
	const struct clr_field *x = field(fl, n, name);
	assert_non_null(x);
	assert_true(base && as_u32(f->a, base + x->offset, &v));
	return v;
}

/* .NET 8 statics, on Linux and Windows, against the zoo's truth: the
 * module's DomainLocalModule (Zoo.Statics), the dynamic entries of generic
 * instantiations (Zoo.Registry<T>; the shared canonical one has none), and
 * each thread's ThreadLocalModule (thread statics of threads 1 and 4
 * only). A pointer that leads nowhere gives no base, never a crash. */
static void test_net8_statics(void **state)
{
	(void)state;
	static const char *const dumps[] = { "zoo-net8.full.dmp", "zoo-net8-win-x64.full.dmp" };
	for (size_t i = 0; i < 2; i++) {
		struct fx f;
		fx_open(&f, dumps[i]);
		assert_true(clr_statics_supported(f.c));
		uint64_t dog = fx_mt(&f, "Zoo.Dog");
		const struct clr_type *st = clr_type_of(f.c, clr_find_type(f.c, "Zoo.Statics", &dog, 1), &f.err);
		assert_non_null(st);
		size_t n;
		const struct clr_field *fl = clr_type_fields(f.c, st, &n, NULL, &f.err);
		assert_non_null(fl);
		uint64_t gc, ngc;
		clr_type_statics(f.c, st, &gc, &ngc);
		assert_int_equal(static_u32(&f, ngc, fl, n, "Counter"), 42);
		assert_string_equal(ref_type(&f, gc + field(fl, n, "Pet")->offset), "Zoo.Dog");

		const struct clr_type *ri = inst_type(&f, st->module, "Zoo.Registry<System.Int32>");
		const struct clr_type *ra = inst_type(&f, st->module, "Zoo.Registry<Zoo.Animal>");
		const struct clr_type *rc = inst_type(&f, st->module, "Zoo.Registry<System.__Canon>");
		const struct clr_field *rf = clr_type_fields(f.c, ri, &n, NULL, &f.err);
		assert_non_null(rf);
		clr_type_statics(f.c, ri, &gc, &ngc);
		assert_int_equal(static_u32(&f, ngc, rf, n, "Count"), 3);
		assert_int_equal(static_u32(&f, ngc, rf, n, "Last"), 33);
		rf = clr_type_fields(f.c, ra, &n, NULL, &f.err);
		assert_non_null(rf);
		clr_type_statics(f.c, ra, &gc, &ngc);
		assert_int_equal(static_u32(&f, ngc, rf, n, "Count"), 1);
		assert_string_equal(ref_type(&f, gc + field(rf, n, "Last")->offset), "Zoo.Animal");
		clr_type_statics(f.c, rc, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);

		struct clr_thread th[64];
		size_t nth = clr_threads(f.c, th, 64), seen = 0;
		assert_true(nth >= 3); /* 4 on Linux, 3 under Wine */
		fl = clr_type_fields(f.c, st, &n, NULL, &f.err);
		for (size_t k = 0; k < nth; k++) {
			clr_thread_statics(f.c, st, th[k].addr, &gc, &ngc);
			if (th[k].id != 1 && th[k].id != 4) {
				assert_int_equal(gc | ngc, 0);
				continue;
			}
			seen++;
			assert_int_equal(static_u32(&f, ngc, fl, n, "PerThreadInt"), th[k].id == 1 ? 1 : 2);
			assert_string_equal(ref_type(&f, gc + field(fl, n, "PerThread")->offset), "System.String");
		}
		assert_int_equal(seen, 2);

		clr_thread_statics(f.c, st, 0x10, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);
		struct clr_type bad = *st;
		bad.module = 0x10;
		clr_type_statics(f.c, &bad, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);
		bad = *ra;
		bad.mt += 8; /* its GenericsStaticsInfo does not point back */
		clr_type_statics(f.c, &bad, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);
		bad = *st;
		bad.flags |= 0x2; /* Reflection.Emit's dynamic statics: not read */
		clr_type_statics(f.c, &bad, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);
		clr_thread_statics(f.c, &bad, th[0].addr, &gc, &ngc);
		assert_int_equal(gc | ngc, 0);
		fx_close(&f);
	}
}

/* An EEClass whose instance field count exceeds the instance's bytes is
 * refused, not followed into other types' FieldDescs (found by fuzzing:
 * System.Int64 with 10,053 fields made the values layer take seconds).
 * The count's place is found by trying each 16-bit word of the Visit
 * type's EEClass that holds its field count, in a copy of the dump. */
static void test_field_count_past_size(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	uint64_t mt = fx_mt(&f, "Bugfree.Spo.Analytics.Cli.Domain+Visit");
	const struct clr_type *t = clr_type_of(f.c, mt, &f.err);
	size_t n, ninst, len, nr;
	assert_non_null(clr_type_fields(f.c, t, &n, &ninst, &f.err));
	const uint8_t *bytes = dump_bytes(f.d, &len);
	const struct dump_range *r = dump_ranges(f.d, &nr);
	uint64_t foff = 0;
	for (size_t i = 0; i < nr; i++)
		if (t->eeclass >= r[i].va && t->eeclass - r[i].va + 128 <= r[i].size)
			foff = r[i].file_off + (t->eeclass - r[i].va);
	assert_true(foff != 0);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, bytes, len);
	bool refused = false;
	for (size_t off = 0; off < 128 && !refused; off += 2) {
		uint16_t was;
		memcpy(&was, copy + foff + off, 2);
		if (was != ninst)
			continue;
		const uint16_t many = 0x7000;
		memcpy(copy + foff + off, &many, 2);
		struct dump *d;
		struct as *a;
		struct clr *c;
		struct ch_err err = { 0 };
		assert_int_equal(dump_open_buffer(copy, len, "copy", 0, &d, &err), CH_OK);
		assert_int_equal(as_open(d, &a, &err), CH_OK);
		if (clr_open(a, &c, &err) == CH_OK) {
			const struct clr_type *u = clr_type_of(c, mt, &err);
			if (u && !clr_type_fields(c, u, &n, NULL, &err))
				refused = strstr(err.msg, "instance fields in") != NULL;
			clr_close(c);
		}
		as_close(a);
		dump_close(d);
		memcpy(copy + foff + off, &was, 2);
	}
	assert_true(refused);
	free(copy);
	fx_close(&f);
}

/* A runtime module whose size the dump gives as 2^46 bytes, nearly all
 * holes: the search for its version string stops after IMG_MAX_SCAN bytes
 * instead of stepping through every page (found by fuzzing: minutes). */
static void test_runtime_huge_module(void **state)
{
	(void)state;
	static uint8_t page[4096];
	const uint64_t base = 0x7f0000000000ull;
	struct mk_load loads[] = { { base, page, sizeof page } };
	struct mk_file files[] = { { base, base + (1ull << 46), 0, "/nonexistent/libcoreclr.so" } };
	struct mk_core core = { .loads = loads, .nloads = 1, .files = files, .nfiles = 1 };
	struct mkbuf b = { 0 };
	mk_elf_core(&b, &core, NULL);
	struct dump *d;
	struct as *a;
	struct ch_err err = { 0 };
	assert_int_equal(dump_open_buffer(b.p, b.len, "huge", 0, &d, &err), CH_OK);
	assert_int_equal(as_open(d, &a, &err), CH_OK);
	struct clr_runtime_info rt;
	alarm(30);
	assert_int_equal(clr_find_runtime(a, &rt, &err), CH_OK);
	alarm(0);
	assert_string_equal(rt.file_version, "");
	as_close(a);
	dump_close(d);
	mk_free(&b);
}

/* Which managed modules are the app's: a real image (the zoo's zoo.dll)
 * under other paths. A shared framework folder (any framework beside the
 * runtime's) holds none; System.* and Microsoft.* elsewhere (an SDK's
 * compiler, a tool's own libraries) are app code; a self-contained app's
 * folder holds the framework too. */
static void test_app_assemblies(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "zoo.heap.dmp");
	struct clr_runtime_info rt;
	assert_int_equal(clr_find_runtime(f.a, &rt, &f.err), CH_OK);
	size_t n;
	const struct dump_module *mods = dump_modules(f.d, &n), *zoo = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(mods[i].name, "zoo.dll") == 0)
			zoo = &mods[i];
	assert_non_null(zoo);
	assert_true(clr_is_app_assembly(f.a, &rt, zoo));
	static const struct { const char *rt, *path; bool app; } cases[] = {
		{ "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so",
		  "/usr/share/dotnet/shared/Microsoft.AspNetCore.App/10.0.12/Microsoft.AspNetCore.dll", false },
		{ "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so",
		  "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Linq.dll", false },
		{ "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so",
		  "/usr/share/dotnet/sdk/10.0.401/Roslyn/bincore/Microsoft.CodeAnalysis.dll", true },
		{ "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so",
		  "/usr/share/dotnet/sdk/10.0.401/System.CommandLine.dll", true },
		{ "/app/libcoreclr.so", "/app/System.Linq.dll", false },
		{ "/app/libcoreclr.so", "/app/plugins/System.Text.Json.dll", true },
		{ "/app/libcoreclr.so", "/app/zoo.dll", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dump_module rm = *rt.module, m = *zoo;
		rm.path = (char *)cases[i].rt;
		m.path = (char *)cases[i].path;
		m.name = strrchr(m.path, '/') + 1;
		struct clr_runtime_info r2 = rt;
		r2.module = &rm;
		if (clr_is_app_assembly(f.a, &r2, &m) != cases[i].app)
			fail_msg("%s (runtime %s): want %s", cases[i].path, cases[i].rt,
				 cases[i].app ? "app" : "framework");
	}
	fx_close(&f);
}

/* ---- generic structs without a MethodTable (the generics fixture) ---- */

/* Value-type instantiations that only live inside instances of generic
 * classes over reference types: the runtime loaded their canonical form
 * only. Each resolves to a type of its own name laid out as the canonical
 * one; the controls (unshared) resolve to their loaded MethodTables. */
static const struct {
	const char *holder, *field, *exact, *canon;
} generic_fields[] = {
	{ "Gen.Box<System.String>", "P", "Gen.Pair<System.String>", "Gen.Pair<System.__Canon>" },
	{ "Gen.Box<Gen.Animal>", "P", "Gen.Pair<Gen.Animal>", "Gen.Pair<System.__Canon>" },
	{ "Gen.Outer<System.String>", "In", "Gen.Outer<System.String>+Inner",
	  "Gen.Outer<System.__Canon>+Inner" },
	{ "Gen.Mix<System.String>", "D", "Gen.Duo<System.String, System.Int32>",
	  "Gen.Duo<System.__Canon, System.Int32>" },
	{ "Gen.Mix<System.String>", "E", "Gen.Duo<System.Int64, System.String>",
	  "Gen.Duo<System.Int64, System.__Canon>" },
	{ "Gen.Deep<Gen.Animal>", "W", "Gen.Wrap<Gen.Animal>", "Gen.Wrap<System.__Canon>" },
	{ "Gen.Nest<System.String>", "P", "Gen.Pair<Gen.Duo<System.String, System.Int32>>",
	  "Gen.Pair<Gen.Duo<System.__Canon, System.Int32>>" },
	{ "Gen.Moody<System.String>", "L", "Gen.Moody<System.String>+Level",
	  "Gen.Moody<System.__Canon>+Level" },
	{ "Gen.Maybe<System.String>", "Some", "System.Nullable<Gen.Cell<System.String>>",
	  "System.Nullable<Gen.Cell<System.__Canon>>" },
	{ "Gen.Box<System.Int32>", "P", "Gen.Pair<System.Int32>", NULL },
	{ "Gen.Outer<System.Int32>", "In", "Gen.Outer<System.Int32>+Inner", NULL },
};

static void test_generic_struct_layout(void **state)
{
	(void)state;
	struct fx f;
	struct clr_resolver *r;
	fx_open(&f, "generics.heap.dmp");
	assert_int_equal(clr_resolver_open(f.c, &r, &f.err), CH_OK);
	for (size_t i = 0; i < sizeof generic_fields / sizeof generic_fields[0]; i++) {
		const char *want = generic_fields[i].exact, *canon = generic_fields[i].canon;
		uint64_t mt = fx_mt(&f, generic_fields[i].holder);
		assert_true(mt != 0);
		const struct clr_type *h = clr_type_of(f.c, mt, &f.err);
		size_t n, ninst;
		const struct clr_field *fl = clr_type_fields(f.c, h, &n, &ninst, &f.err);
		assert_non_null(fl);
		const struct clr_field *fd = field(fl, ninst, generic_fields[i].field);
		assert_non_null(fd);
		assert_string_equal(fd->type_name, want);
		uint64_t th = clr_resolve_field(r, fd);
		const struct clr_type *t = th ? clr_type_of(f.c, th, &f.err) : NULL;
		if (!t)
			fail_msg("%s.%s: %s not resolved", generic_fields[i].holder,
				 generic_fields[i].field, want);
		assert_string_equal(t->name, want);
		if (!canon) { /* loaded: the MethodTable itself */
			assert_true(t->canon_mt == th);
			continue;
		}
		/* no MethodTable has these arguments; the canonical one is loaded */
		assert_true(t->canon_mt != th);
		assert_int_equal(clr_resolve_generic(r, t->canon_mt, t->type_args, t->ntype_args, 0), 0);
		const struct clr_type *ct = clr_type_of(f.c, t->canon_mt, &f.err);
		assert_non_null(ct);
		assert_string_equal(ct->name, canon);
		assert_int_equal(t->kind, ct->kind);
		assert_int_equal(t->base_size, ct->base_size);
		/* the canonical FieldDescs, named and typed for the exact arguments */
		size_t sn, sinst, cn, cinst;
		const struct clr_field *sf = clr_type_fields(f.c, t, &sn, &sinst, &f.err);
		const struct clr_field *cf = clr_type_fields(f.c, ct, &cn, &cinst, &f.err);
		assert_non_null(sf);
		assert_non_null(cf);
		assert_int_equal(sinst, cinst);
		for (size_t k = 0; k < sinst; k++) {
			assert_string_equal(sf[k].name, cf[k].name);
			assert_int_equal(sf[k].offset, cf[k].offset);
			assert_int_equal(sf[k].elem, cf[k].elem);
			assert_true(sf[k].decl_mt == th);
		}
		/* the runtime's auto layout, references first: First, Second,
		 * Count, Flag */
		if (strcmp(want, "Gen.Pair<System.String>") == 0) {
			static const uint32_t off[] = { 0, 16, 8, 20 };
			assert_int_equal(sinst, 4);
			for (size_t k = 0; k < 4; k++)
				assert_int_equal(sf[k].offset, off[k]);
			assert_string_equal(sf[2].type_name, "System.String");
		}
	}
	clr_resolver_close(r);
	fx_close(&f);
}


/* Every object of the generics fixture renders as its truth line: the
 * fields of the structs that have no MethodTable included. */
static void test_generic_struct_values(void **state)
{
	(void)state;
	struct fx f;
	struct val *v;
	char path[4096];
	fx_open(&f, "generics.heap.dmp");
	assert_int_equal(val_open(f.c, &v, &f.err), CH_OK);
	fixture_path(path, sizeof path, "generics.truth.json");
	FILE *fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: missing fixture", path);
	struct val_buf b;
	val_buf_init(&b);
	char line[8192];
	unsigned checked = 0;
	while (fgets(line, sizeof line, fp)) {
		if (strncmp(line, "{\"$addr\":\"0x", 12) != 0)
			continue;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == ','))
			line[--n] = '\0';
		uint64_t addr = strtoull(line + 12, NULL, 16);
		val_buf_reset(&b);
		assert_int_equal(val_object_json(v, addr, &b, &f.err), CH_OK);
		if (strcmp(b.p, line) != 0)
			fail_msg("0x%llx:\n  want %s\n  got  %s", (unsigned long long)addr, line, b.p);
		checked++;
	}
	fclose(fp);
	assert_int_equal(checked, 13);
	val_buf_free(&b);
	val_close(v);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_assemblies),
		cmocka_unit_test(test_gc_modes),
		cmocka_unit_test(test_runtime_and_wellknown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fields_inheritance),
		cmocka_unit_test(test_statics_holder),
		cmocka_unit_test(test_primitive_static),
		cmocka_unit_test(test_net8_profile),
		cmocka_unit_test(test_net8_statics),
		cmocka_unit_test(test_runtime_huge_module),
		cmocka_unit_test(test_field_count_past_size),
		cmocka_unit_test(test_generic_struct_layout),
		cmocka_unit_test(test_generic_struct_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
