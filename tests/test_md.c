/* test_md.c - the metadata reader on real assemblies of the installed .NET
 * 10.0.12 runtime: System.Private.CoreLib.dll (PE32+, file and mapped
 * layout), System.Collections.dll, and the PE32 reference assembly of
 * System.Collections. test_md_bad.c corrupts copies of their bytes.
 *
 * Expected values were printed by System.Reflection.Metadata (.NET's own
 * reader) from the same files, including FNV-1a hashes over one text line
 * per row of TypeDef, NestedClass, Field, GenericParam and Constant.
 * The facts belong to runtime 10.0.12: where it is not installed, the
 * tests say so and are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_fixture.h"

/* ---- PE ---- */

static void test_pe_file_and_mapped(void **state)
{
	(void)state;
	NEED_FILES();
	struct md_pe pe;
	struct ch_err err = { 0 };
	size_t off;
	for (int mapped = 0; mapped < 2; mapped++) {
		const uint8_t *img = mapped ? corelib.mapped : corelib.bytes;
		size_t len = mapped ? corelib.mapped_len : corelib.len;
		assert_int_equal(md_pe_parse(img, len, mapped, "corelib", &pe,
					     &err), CH_OK);
		assert_int_equal(pe.machine, 0xfd1d); /* R2R, Linux x64 */
		assert_int_equal(pe.timestamp, 0x9ae0f223);
		assert_int_equal(pe.size_of_image, 0xf28800);
		assert_true(pe.is_pe32plus);
		assert_int_equal(pe.md_rva, 0x81faf0);
		assert_int_equal(pe.md_size, 0x32fe40);
		assert_true(md_pe_rva_to_off(&pe, pe.md_rva, pe.md_size, &off));
		/* SRM's MetadataStartOffset for the file layout */
		assert_int_equal(off, mapped ? 0x81faf0 : 0x80faf0);
		assert_false(md_pe_rva_to_off(&pe, pe.size_of_image, 1, &off));
		assert_true(md_pe_rva_to_off(&pe, 0x3c, 4, &off)); /* headers */
		assert_int_equal(off, 0x3c);
		assert_true(mapped == md_pe_rva_to_off(&pe, 0,
						       pe.size_of_headers + 1,
						       &off));
	}
	md_close(NULL);
	assert_int_equal(md_pe_parse(coll_ref.bytes, coll_ref.len, false,
				     "ref", &pe, &err), CH_OK);
	assert_false(pe.is_pe32plus);
	assert_int_equal(pe.machine, 0x14c);
	assert_int_equal(pe.timestamp, 0x8d435f59);
	assert_int_equal(pe.size_of_image, 0x12000);
	assert_int_equal(pe.md_rva, 0x29f8);
	assert_int_equal(pe.md_size, 0x9a40);
}

static void test_open_pe_both_layouts(void **state)
{
	(void)state;
	NEED_FILES();
	struct image *ims[] = { &coll, &coll_ref };
	for (int i = 0; i < 2; i++) {
		for (int mapped = 0; mapped < 2; mapped++) {
			struct md *m;
			struct ch_err err = { 0 };
			const struct image *im = ims[i];
			assert_int_equal(md_open_pe(mapped ? im->mapped
							   : im->bytes,
						    mapped ? im->mapped_len
							   : im->len,
						    mapped, "x", &m, NULL,
						    &err), CH_OK);
			assert_string_equal(md_module_name(m),
					    "System.Collections.dll");
			struct md_assembly a;
			assert_int_equal(md_assembly(m, &a), CH_OK);
			assert_string_equal(a.name, "System.Collections");
			assert_int_equal(a.major, 10);
			if (i == 0)
				check_hashes(m, coll_hashes);
			md_close(m);
		}
	}
}

/* ---- root, streams, tables ---- */

static void test_root_and_tables(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	assert_string_equal(md_version(m), "v4.0.30319");
	assert_false(md_uncompressed(m));
	assert_int_equal(md_heap_sizes(m), 0x05); /* wide strings, blobs */
	/* table, rows, row size, offset from the root (SRM) */
	static const uint32_t want[][4] = {
		{ 0x00, 1, 12, 248 }, { 0x02, 2760, 18, 260 },
		{ 0x04, 9296, 10, 49940 }, { 0x06, 41564, 20, 142900 },
		{ 0x08, 66742, 8, 974180 }, { 0x09, 2147, 4, 1508116 },
		{ 0x0a, 8216, 12, 1516704 }, { 0x0b, 3792, 10, 1615296 },
		{ 0x0c, 27152, 12, 1653216 }, { 0x0d, 158, 8, 1979040 },
		{ 0x0f, 153, 8, 1980304 }, { 0x10, 143, 6, 1981528 },
		{ 0x11, 3587, 4, 1982386 }, { 0x12, 12, 4, 1996734 },
		{ 0x14, 32, 8, 1996782 }, { 0x15, 1056, 4, 1997038 },
		{ 0x17, 5490, 10, 2001262 }, { 0x18, 6040, 6, 2056162 },
		{ 0x19, 4120, 10, 2092402 }, { 0x1a, 4, 4, 2133602 },
		{ 0x1b, 2246, 4, 2133618 }, { 0x1c, 491, 12, 2142602 },
		{ 0x1d, 150, 6, 2148494 }, { 0x20, 1, 28, 2149394 },
		{ 0x28, 4, 14, 2149422 }, { 0x29, 917, 4, 2149478 },
		{ 0x2a, 4159, 12, 2153146 }, { 0x2b, 4912, 8, 2203054 },
		{ 0x2c, 1979, 4, 2242350 },
	};
	unsigned k = 0;
	for (unsigned t = 0; t < MD_TBL_COUNT; t++) {
		if (k < sizeof(want) / sizeof(want[0]) && want[k][0] == t) {
			assert_int_equal(md_rows(m, t), want[k][1]);
			assert_int_equal(md_row_size(m, t), want[k][2]);
			assert_int_equal(md_table_offset(m, t), want[k][3]);
			k++;
		} else {
			assert_int_equal(md_rows(m, t), 0);
		}
	}
	assert_int_equal(md_rows(m, 0x3f), 0);
	uint32_t v;
	assert_false(md_cell(m, MD_TBL_TYPEDEF, 0, 0, &v));
	assert_false(md_cell(m, MD_TBL_TYPEDEF, 2761, 0, &v));
	assert_false(md_cell(m, MD_TBL_TYPEDEF, 1, 6, &v));
	assert_true(md_cell(m, MD_TBL_TYPEDEF, 2649, 3, &v));
	assert_int_equal(v >> 24, MD_TBL_TYPEDEF); /* List`1 : Object */
	assert_int_equal(md_typedef_extends(m, 2649), v);
	char name[256];
	assert_int_equal(md_typedef_name(m, v & 0xffffff, 0, name,
					 sizeof(name)), CH_OK);
	assert_string_equal(name, "System.Object");
	assert_int_equal(md_typedef_extends(m, 1), 0); /* <Module> */
	md_close(m);

	m = open_meta(&coll_ref);
	assert_int_equal(md_rows(m, MD_TBL_TYPEREF), 74);
	assert_int_equal(md_row_size(m, MD_TBL_METHODDEF), 14);
	assert_int_equal(md_table_offset(m, MD_TBL_METHODDEF), 1520);
	assert_int_equal(md_typeref_name(m, 5, 0, name, sizeof(name)), CH_OK);
	assert_string_equal(name,
			    "System.Diagnostics.DebuggableAttribute+DebuggingModes");
	md_close(m);
}

static void test_all_rows_match_reference(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	check_hashes(m, corelib_hashes);
	md_close(m);
	/* and from the mapped layout */
	struct ch_err err = { 0 };
	assert_int_equal(md_open_pe(corelib.mapped, corelib.mapped_len, true,
				    "corelib", &m, NULL, &err), CH_OK);
	check_hashes(m, corelib_hashes);
	md_close(m);
}

static void test_first_typedefs(void **state)
{
	(void)state;
	NEED_FILES();
	static const char *const names[] = {
		"<Module>", "<>f__AnonymousType0`2", "Interop",
		"Interop+Globalization", "Interop+Globalization+ResultCode",
		"Interop+Globalization+TimeZoneDisplayNameType", "Interop+BOOL",
		"Interop+Kernel32", "Interop+HostPolicy",
		"Interop+HostPolicy+corehost_resolve_component_dependencies_result_fn",
		"Interop+HostPolicy+corehost_error_writer_fn",
		"Interop+Advapi32", "Interop+Advapi32+ActivityControl",
		"Interop+Advapi32+EVENT_FILTER_DESCRIPTOR", "Interop+Error",
		"Interop+ErrorInfo", "Interop+Sys", "Interop+Sys+AccessMode",
		"Interop+Sys+UnixFileSystemTypes",
		"Interop+Sys+LockOperations",
	};
	static const uint32_t fields[][2] = {
		{ 0, 0 }, { 1, 2 }, { 0, 0 }, { 0, 0 }, { 3, 6 }, { 9, 7 },
		{ 16, 3 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 },
		{ 19, 6 }, { 25, 3 }, { 28, 86 }, { 114, 2 }, { 116, 2 },
		{ 118, 5 }, { 123, 111 }, { 234, 5 },
	};
	struct md *m = open_meta(&corelib);
	char buf[256];
	for (uint32_t i = 0; i < 20; i++) {
		uint32_t first, count;
		assert_int_equal(md_typedef_name(m, i + 1, 0, buf, sizeof(buf)),
				 CH_OK);
		assert_string_equal(buf, names[i]);
		assert_int_equal(md_typedef_fields(m, i + 1, &first, &count),
				 CH_OK);
		assert_int_equal(count, fields[i][1]);
		if (count)
			assert_int_equal(first, fields[i][0]);
	}
	struct md_typedef td;
	assert_int_equal(md_typedef(m, 5, &td), CH_OK);
	assert_int_equal(td.flags, 0x105);
	assert_string_equal(td.name, "ResultCode");
	assert_string_equal(td.ns, "");
	assert_int_equal(md_typedef(m, 0, &td), CH_ENOTFOUND);
	assert_int_equal(md_typedef(m, 2761, &td), CH_ENOTFOUND);
	/* NO_NS, NO_ARITY and truncation */
	assert_int_equal(md_typedef_name(m, 2611, 0, buf, sizeof(buf)), CH_OK);
	assert_string_equal(buf,
			    "System.Collections.Generic.Dictionary`2+Entry");
	assert_int_equal(md_typedef_name(m, 2611, MD_NAME_NO_ARITY, buf,
					 sizeof(buf)), CH_OK);
	assert_string_equal(buf, "System.Collections.Generic.Dictionary+Entry");
	assert_int_equal(md_typedef_name(m, 2611, MD_NAME_NO_NS, buf,
					 sizeof(buf)), CH_OK);
	assert_string_equal(buf, "Dictionary`2+Entry");
	assert_int_equal(md_typedef_name(m, 2611, 0, buf, 10), CH_ENOMEM);
	assert_string_equal(buf, "System.Co");
	assert_int_equal(md_typedef_name(m, 2611, 0, buf, 0), CH_ENOMEM);
	assert_int_equal(md_enclosing(m, 2611), 2608);
	assert_int_equal(md_enclosing(m, 2608), 0);
	md_close(m);
}

/* ---- fields, generics, constants, enums, signatures ---- */

struct want_field {
	const char *name;
	uint16_t flags;
	uint8_t elem;
};

static void check_fields(const struct md *m, const char *ns,
			 const char *name, uint32_t rid,
			 const struct want_field *w, uint32_t n)
{
	uint32_t first, count;
	assert_int_equal(md_find_typedef(m, ns, name), rid);
	assert_int_equal(md_typedef_fields(m, rid, &first, &count), CH_OK);
	assert_int_equal(count, n);
	for (uint32_t i = 0; i < n; i++) {
		struct md_field f;
		struct md_sigtype st;
		uint32_t frid = md_field_rid(m, first + i);
		assert_int_equal(md_field(m, frid, &f), CH_OK);
		assert_string_equal(f.name, w[i].name);
		assert_int_equal(f.flags, w[i].flags);
		assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
		assert_int_equal(st.elem, w[i].elem);
		assert_int_equal(md_field_owner(m, first + i), rid);
	}
}

static void test_fields(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	static const struct want_field list[] = {
		{ "_items", 0x3, MD_ELEM_SZARRAY }, { "_size", 0x3, MD_ELEM_I4 },
		{ "_version", 0x3, MD_ELEM_I4 },
		{ "s_emptyArray", 0x31, MD_ELEM_SZARRAY },
	};
	check_fields(m, "System.Collections.Generic", "List`1", 2649, list, 4);
	static const struct want_field guid[] = {
		{ "Empty", 0x36, MD_ELEM_VALUETYPE }, { "_a", 0x21, MD_ELEM_I4 },
		{ "_b", 0x21, MD_ELEM_I2 }, { "_c", 0x21, MD_ELEM_I2 },
		{ "_d", 0x21, MD_ELEM_U1 }, { "_e", 0x21, MD_ELEM_U1 },
		{ "_f", 0x21, MD_ELEM_U1 }, { "_g", 0x21, MD_ELEM_U1 },
		{ "_h", 0x21, MD_ELEM_U1 }, { "_i", 0x21, MD_ELEM_U1 },
		{ "_j", 0x21, MD_ELEM_U1 }, { "_k", 0x21, MD_ELEM_U1 },
	};
	check_fields(m, "System", "Guid", 271, guid, 12);
	static const struct want_field dt[] = {
		{ "MinValue", 0x36, MD_ELEM_VALUETYPE },
		{ "MaxValue", 0x36, MD_ELEM_VALUETYPE },
		{ "UnixEpoch", 0x36, MD_ELEM_VALUETYPE },
		{ "_dateData", 0x23, MD_ELEM_U8 },
	};
	check_fields(m, "System", "DateTime", 210, dt, 4);
	static const struct want_field dec[] = {
		{ "Zero", 0x36, MD_ELEM_VALUETYPE },
		{ "One", 0x36, MD_ELEM_VALUETYPE },
		{ "MinusOne", 0x36, MD_ELEM_VALUETYPE },
		{ "MaxValue", 0x36, MD_ELEM_VALUETYPE },
		{ "MinValue", 0x36, MD_ELEM_VALUETYPE },
		{ "AdditiveIdentity", 0x31, MD_ELEM_VALUETYPE },
		{ "MultiplicativeIdentity", 0x31, MD_ELEM_VALUETYPE },
		{ "NegativeOne", 0x31, MD_ELEM_VALUETYPE },
		{ "_flags", 0x21, MD_ELEM_I4 }, { "_hi32", 0x21, MD_ELEM_U4 },
		{ "_lo64", 0x21, MD_ELEM_U8 },
	};
	check_fields(m, "System", "Decimal", 68, dec, 11);
	static const struct want_field str[] = {
		{ "Empty", 0x36, MD_ELEM_STRING },
		{ "_stringLength", 0xa1, MD_ELEM_I4 },
		{ "_firstChar", 0x81, MD_ELEM_CHAR },
	};
	check_fields(m, "System", "String", 138, str, 3);
	assert_int_equal(md_find_typedef(m, "System", "NoSuchType"), 0);
	/* nested types are not found by their bare name */
	assert_int_equal(md_find_typedef(m, "", "Entry"), 0);

	/* signatures: Decimal.Zero is VALUETYPE Decimal itself */
	struct md_field f;
	struct md_sigtype st;
	assert_int_equal(md_field(m, 399, &f), CH_OK);
	assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
	assert_int_equal(st.token, 0x02000000 | 68);
	/* List`1._items: T[] */
	assert_int_equal(md_field(m, 9099, &f), CH_OK);
	assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
	assert_int_equal(st.inner, MD_ELEM_VAR);
	/* Dictionary`2._entries: Entry<TKey,TValue>[] */
	assert_int_equal(md_field(m, 9040, &f), CH_OK);
	assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
	assert_int_equal(st.elem, MD_ELEM_SZARRAY);
	assert_int_equal(st.inner, MD_ELEM_GENERICINST);
	assert_int_equal(st.inner_token, 0x02000000 | 2611);
	/* Dictionary`2._comparer: IEqualityComparer<TKey> */
	assert_int_equal(md_field(m, 9046, &f), CH_OK);
	assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
	assert_int_equal(st.elem, MD_ELEM_GENERICINST);
	assert_int_equal(st.inst_kind, MD_ELEM_CLASS);
	assert_int_equal(st.nargs, 1);
	assert_int_equal(st.token >> 24, MD_TBL_TYPEDEF);
	char buf[256];
	assert_int_equal(md_typedef_name(m, st.token & 0xffffff, 0, buf,
					 sizeof(buf)), CH_OK);
	assert_string_equal(buf,
			    "System.Collections.Generic.IEqualityComparer`1");
	/* Span`1._reference: ref T */
	assert_int_equal(md_field(m, 1369, &f), CH_OK);
	assert_int_equal(md_field_sig(f.sig, f.sig_len, &st), CH_OK);
	assert_int_equal(st.elem, MD_ELEM_BYREF);
	assert_int_equal(st.inner, MD_ELEM_VAR);
	assert_int_equal(md_field(m, 0, &f), CH_ENOTFOUND);
	assert_int_equal(md_field(m, 9297, &f), CH_ENOTFOUND);
	assert_int_equal(md_field_rid(m, 9297), 0);
	assert_int_equal(md_field_owner(m, 9297), 0);
	md_close(m);
}

static void test_generics_and_enums(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	uint32_t dict = 0x02000000 | 2608, entry = 0x02000000 | 2611;
	assert_int_equal(md_generic_param_count(m, dict), 2);
	assert_string_equal(md_generic_param_name(m, entry, 0), "TKey");
	assert_string_equal(md_generic_param_name(m, entry, 1), "TValue");
	assert_null(md_generic_param_name(m, entry, 2));
	assert_string_equal(md_generic_param_name(m, 0x02000000 | 2649, 0),
			    "T");
	assert_int_equal(md_generic_param_count(m, 0x02000000 | 271), 0);
	assert_int_equal(md_generic_param_count(m, 0x04000001), 0);
	struct md_generic_param gp;
	assert_int_equal(md_generic_param(m, 997, &gp), CH_OK);
	assert_int_equal(gp.owner, 0x02000000 | 2649);
	assert_string_equal(gp.name, "T");
	uint32_t arity;
	assert_int_equal(md_name_arity("List`1", &arity), 4);
	assert_int_equal(arity, 1);
	assert_int_equal(md_name_arity("Dictionary`12", &arity), 10);
	assert_int_equal(arity, 12);
	assert_int_equal(md_name_arity("Plain", &arity), 5);
	assert_int_equal(arity, 0);
	assert_int_equal(md_name_arity("Odd`", &arity), 4);
	assert_int_equal(md_name_arity("Odd`x1", &arity), 6);
	assert_int_equal(md_name_arity("Big`99999999999", &arity), 15);
	assert_int_equal(arity, 0);
	assert_int_equal(md_name_arity("`2", NULL), 0);

	/* System.AttributeTargets: int enum, 16 members, All = 0x7fff */
	uint32_t at = md_find_typedef(m, "System", "AttributeTargets");
	assert_int_equal(at, 191);
	assert_int_equal(md_enum_underlying(m, at), MD_ELEM_I4);
	struct md_enum_member mem[32];
	assert_int_equal(md_enum_members(m, at, mem, 32), 16);
	assert_string_equal(mem[0].name, "Assembly");
	assert_int_equal(mem[0].bits, 1);
	assert_int_equal(mem[0].field, 805);
	assert_int_equal(mem[0].type, MD_ELEM_I4);
	assert_string_equal(mem[15].name, "All");
	assert_int_equal(mem[15].bits, 0x7fff);
	assert_int_equal(md_enum_members(m, at, mem, 2), 16); /* count only */
	uint32_t dow = md_find_typedef(m, "System", "DayOfWeek");
	assert_int_equal(md_enum_members(m, dow, mem, 32), 7);
	assert_string_equal(mem[6].name, "Saturday");
	assert_int_equal(mem[6].bits, 6);
	/* not enums */
	assert_int_equal(md_enum_underlying(m, 271), 0);
	assert_int_equal(md_enum_members(m, 271, mem, 32), 0);
	assert_int_equal(md_enum_underlying(m, 0), 0);
	struct md_constant c;
	assert_int_equal(md_constant_of(m, 0x04000000 | 820, &c), CH_OK);
	assert_int_equal(c.value_len, 4);
	assert_int_equal(md_constant_of(m, 0x04000000 | 804, &c),
			 CH_ENOTFOUND);
	assert_int_equal(md_constant_of(m, 0x02000001, &c), CH_ENOTFOUND);
	md_close(m);
}

static void test_heaps(void **state)
{
	(void)state;
	NEED_FILES();
	struct md *m = open_meta(&corelib);
	uint32_t len, n;
	assert_string_equal(md_string(m, 0), "");
	assert_string_equal(md_string(m, 0xffffffff), "");
	assert_false(md_string_valid(m, 0xffffffff));
	assert_true(md_string_valid(m, 1));
	assert_non_null(md_blob(m, 0, &len));
	assert_int_equal(len, 0);
	assert_null(md_blob(m, 0xffffffff, &len));
	assert_int_equal(len, 0);
	uint8_t g[16];
	static const uint8_t mvid[16] = { 0xd3, 0x0a, 0x3d, 0x47, 0x1b, 0x44,
		0xee, 0x4f, 0xa0, 0x0f, 0x67, 0xc0, 0x3e, 0xb1, 0xe2, 0xb3 };
	assert_true(md_guid(m, 1, g));
	assert_memory_equal(g, mvid, 16);
	assert_false(md_guid(m, 0, g));
	assert_false(md_guid(m, 2, g));
	assert_false(md_guid(m, 0x10000001, g));
	const uint8_t *us = md_user_string(m, 1, &n);
	assert_non_null(us);
	assert_true(n > 0);
	assert_null(md_user_string(m, 0xfffffff0, &n));
	assert_string_equal(md_module_name(m), "System.Private.CoreLib.dll");
	assert_string_equal(md_name(m), "test");
	assert_int_equal(md_field_owner(m, 0), 0);
	struct md_assembly a;
	assert_int_equal(md_assembly(m, &a), CH_OK);
	assert_string_equal(a.name, "System.Private.CoreLib");
	assert_int_equal(a.major, 10);
	assert_int_equal(a.minor, 0);
	assert_int_equal(md_assembly_ref(m, 1, &a), CH_ENOTFOUND);
	md_close(m);

	/* compressed integers, the examples of ECMA-335 II.23.2 */
	static const struct { uint8_t b[4]; unsigned n; uint32_t v; } ex[] = {
		{ { 0x03 }, 1, 0x03 }, { { 0x7f }, 1, 0x7f },
		{ { 0x80, 0x80 }, 2, 0x80 }, { { 0xae, 0x57 }, 2, 0x2e57 },
		{ { 0xbf, 0xff }, 2, 0x3fff },
		{ { 0xc0, 0x00, 0x40, 0x00 }, 4, 0x4000 },
		{ { 0xdf, 0xff, 0xff, 0xff }, 4, 0x1fffffff },
	};
	for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		const uint8_t *p = ex[i].b;
		uint32_t v;
		assert_true(md_uncompress(&p, ex[i].b + ex[i].n, &v));
		assert_int_equal(v, ex[i].v);
		assert_ptr_equal(p, ex[i].b + ex[i].n);
		p = ex[i].b; /* one byte short */
		assert_false(ex[i].n > 1 &&
			     md_uncompress(&p, ex[i].b + ex[i].n - 1, &v));
	}
	const uint8_t bad[4] = { 0xe0, 0, 0, 0 }, *p = bad;
	uint32_t v;
	assert_false(md_uncompress(&p, bad + 4, &v));
	assert_false(md_uncompress(&p, bad, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pe_file_and_mapped),
		cmocka_unit_test(test_open_pe_both_layouts),
		cmocka_unit_test(test_root_and_tables),
		cmocka_unit_test(test_all_rows_match_reference),
		cmocka_unit_test(test_first_typedefs),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_generics_and_enums),
		cmocka_unit_test(test_heaps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
