/* test_val_enum.c - which name an enum value gets where members share a
 * value: .NET sorts an enum's members by value with Array.Sort (an
 * introsort, not stable) from metadata order, then a plain enum takes the
 * first of equal values, a [Flags] enum the last (zero: the first). The
 * members come from CoreLib's real metadata in the zoo dump; the expected
 * orders are Enum.GetNames of .NET 10, the names what ToString printed.
 * Past 32 members .NET finds a value by binary search, and a [Flags] enum
 * may have more than 64 members: those two run on members made here. */
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
#include "../src/val_priv.h"

static struct fx fx;
static const struct md *corelib;

static int setup(void **state)
{
	(void)state;
	fx_open(&fx, "zoo.heap.dmp");
	const struct clr_type *t = clr_type_of(fx.c, fx_mt(&fx, "System.String"), NULL);
	corelib = t ? clr_module_md(fx.c, t->module) : NULL;
	return corelib ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fx_close(&fx);
	return 0;
}

/* en gets the members of ns.name in .NET's order (bits masked to 32). */
static void load(struct enum_info *en, const char *ns, const char *name, bool flags)
{
	uint32_t rid = md_find_typedef(corelib, ns, name);
	assert_int_not_equal(rid, 0);
	struct md_enum_member tmp[64];
	size_t n = md_enum_members(corelib, rid, tmp, 64);
	assert_true(n > 0 && n <= 64);
	en->m = calloc(n, sizeof *en->m);
	assert_non_null(en->m);
	for (size_t i = 0; i < n; i++)
		en->m[i] = (struct enum_member){ tmp[i].bits & 0xffffffffu, tmp[i].name };
	en->n = n;
	en->flags = flags;
	val_enum_sort(en->m, n);
}

static void order_is(const struct enum_info *en, const char *want)
{
	char got[2048] = "";
	for (size_t i = 0; i < en->n; i++) {
		if (i)
			strcat(got, ",");
		strcat(got, en->m[i].name);
	}
	assert_string_equal(got, want);
}

static void name_is(const struct enum_info *en, uint64_t bits, const char *want)
{
	const struct enum_member *m = val_enum_find(en, bits);
	assert_non_null(m);
	assert_string_equal(m->name, want);
}

/* 24 members: past the insertion-sort threshold, so the partition's
 * order of equal values shows (NewSlot before VtableLayoutMask). */
static void test_method_attributes(void **state)
{
	(void)state;
	struct enum_info en;
	load(&en, "System.Reflection", "MethodAttributes", true);
	order_is(&en, "PrivateScope,ReuseSlot,Private,FamANDAssem,Assembly,Family,FamORAssem,"
		      "Public,MemberAccessMask,UnmanagedExport,Static,Final,Virtual,HideBySig,"
		      "NewSlot,VtableLayoutMask,CheckAccessOnOverride,Abstract,SpecialName,"
		      "RTSpecialName,PinvokeImpl,HasSecurity,RequireSecObject,ReservedMask");
	name_is(&en, 0x100, "VtableLayoutMask");
	name_is(&en, 0, "PrivateScope");
	free(en.m);
}

static void test_type_attributes(void **state)
{
	(void)state;
	struct enum_info en;
	load(&en, "System.Reflection", "TypeAttributes", true);
	order_is(&en, "NotPublic,AutoLayout,AnsiClass,Class,Public,NestedPublic,NestedPrivate,"
		      "NestedFamily,NestedAssembly,NestedFamANDAssem,VisibilityMask,NestedFamORAssem,"
		      "SequentialLayout,ExplicitLayout,LayoutMask,Interface,ClassSemanticsMask,"
		      "Abstract,Sealed,SpecialName,RTSpecialName,Import,Serializable,WindowsRuntime,"
		      "UnicodeClass,AutoClass,StringFormatMask,CustomFormatClass,HasSecurity,"
		      "ReservedMask,BeforeFieldInit,CustomFormatMask");
	name_is(&en, 0, "NotPublic");
	free(en.m);
}

/* plain enums: the first of equal values */
static void test_plain(void **state)
{
	(void)state;
	struct enum_info en;
	load(&en, "System.Reflection", "MethodImplAttributes", false);
	order_is(&en, "IL,Managed,Native,OPTIL,CodeTypeMask,Runtime,ManagedMask,Unmanaged,"
		      "NoInlining,ForwardRef,Synchronized,NoOptimization,PreserveSig,"
		      "AggressiveInlining,AggressiveOptimization,InternalCall,Async,MaxMethodImplVal");
	name_is(&en, 0, "IL");
	name_is(&en, 3, "CodeTypeMask");
	free(en.m);
	load(&en, "System", "LoaderOptimization", false);
	order_is(&en, "NotSpecified,SingleDomain,MultiDomain,DomainMask,MultiDomainHost,"
		      "DisallowBindings");
	name_is(&en, 3, "DomainMask");
	assert_null(val_enum_find(&en, 5));
	free(en.m);
}

/* n members in sorted order, named m<index>: bits 0, 1, ..., with dup
 * given to two members (dup >= n: none twice) */
static void made(struct enum_info *en, size_t n, uint64_t dup, bool flags)
{
	static char names[128][24];
	en->m = calloc(n, sizeof *en->m);
	assert_non_null(en->m);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "m%zu", i);
		en->m[i] = (struct enum_member){ i <= dup ? i : i - 1, names[i] };
	}
	en->n = n;
	en->flags = flags;
}

/* 40 members, 20 twice: .NET's BinarySearch meets the second (lo 0, hi 39:
 * 19, 29, 24, 21), where IndexOf (32 members or fewer) takes the first */
static void test_binary_search(void **state)
{
	(void)state;
	struct enum_info en;
	made(&en, 40, 20, false);
	assert_int_equal(en.m[20].bits, 20);
	assert_int_equal(en.m[21].bits, 20);
	assert_ptr_equal(val_enum_find(&en, 20), &en.m[21]);
	assert_ptr_equal(val_enum_find(&en, 0), &en.m[0]);
	assert_ptr_equal(val_enum_find(&en, 38), &en.m[39]);
	assert_null(val_enum_find(&en, 39));
	en.n = 32;
	assert_ptr_equal(val_enum_find(&en, 20), &en.m[20]);
	free(en.m);
}

/* A [Flags] value of 71 members, as Roslyn's BinaryOperatorKind (Int,
 * Lifted): the members that make it up, however many there are. */
static void test_flags_many(void **state)
{
	(void)state;
	struct enum_info en;
	made(&en, 71, 1000, true);
	en.m[70].bits = 0x10000;
	uint64_t used[(VAL_ENUM_MAX + 63) / 64];
	assert_null(val_enum_find(&en, 0x10005));
	assert_true(val_enum_split(&en, 0x10005, used));
	assert_int_equal(used[0], (uint64_t)1 << 5);
	assert_int_equal(used[1], (uint64_t)1 << (70 - 64));
	assert_false(val_enum_split(&en, 0x20000, used));
	en.flags = false;
	assert_false(val_enum_split(&en, 0x10005, used));
	free(en.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_attributes),
		cmocka_unit_test(test_type_attributes),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_binary_search),
		cmocka_unit_test(test_flags_many),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
