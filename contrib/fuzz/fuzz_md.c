/* fuzz_md.c - the PE/COFF and ECMA-335 metadata reader: md_pe_parse in
 * file and mapped layout (or a bare metadata root starting "BSJB"), then
 * every decoder the type system uses, over every row. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "md.h"

#define MAX_ROWS 4096 /* rows read per table */

/* Decodes a field signature, then every Type nested in it. */
static void walk_sig(const uint8_t *sig, uint32_t len)
{
	struct md_sigtype t;
	md_field_sig(sig, len, &t);
	if (!sig || len < 2)
		return;
	const uint8_t *p = sig + 1, *end = sig + len;
	for (int i = 0; i < 64 && p < end; i++)
		if (md_sig_type(&p, end, &t) != CH_OK)
			break;
}

static void walk_typedef(const struct md *m, uint32_t rid)
{
	char name[1024];
	struct md_typedef td;
	if (md_typedef(m, rid, &td) != CH_OK)
		return;
	fuzz_sink += strlen(td.name) + strlen(td.ns) + md_name_arity(td.name, NULL);
	md_typedef_name(m, rid, 0, name, sizeof name);
	md_typedef_name(m, rid, MD_NAME_NO_ARITY | MD_NAME_NO_NS, name, 16);
	fuzz_sink += md_enclosing(m, rid) + md_typedef_extends(m, rid);
	uint32_t tok = (MD_TBL_TYPEDEF << 24) | rid;
	uint32_t ng = md_generic_param_count(m, tok);
	for (uint32_t i = 0; i <= ng && i < 64; i++)
		fuzz_sink += md_generic_param_name(m, tok, i) != NULL;
	struct md_enum_member em[8];
	fuzz_sink += md_enum_underlying(m, rid) + md_enum_members(m, rid, em, 8);
	uint32_t first, count;
	if (md_typedef_fields(m, rid, &first, &count) != CH_OK)
		return;
	for (uint32_t i = 0; i < count && i < MAX_ROWS; i++) {
		uint32_t frid = md_field_rid(m, first + i);
		struct md_field f;
		struct md_constant c;
		fuzz_sink += md_field_owner(m, first + i);
		if (md_field(m, frid, &f) != CH_OK)
			continue;
		fuzz_sink += strlen(f.name);
		walk_sig(f.sig, f.sig_len);
		if (md_constant_of(m, (MD_TBL_FIELD << 24) | frid, &c) == CH_OK)
			fuzz_sink += c.value_len;
	}
}

static void walk(const struct md *m)
{
	char name[1024];
	fuzz_sink += strlen(md_name(m)) + strlen(md_version(m)) +
		     strlen(md_module_name(m)) + md_uncompressed(m) + md_heap_sizes(m);
	for (unsigned t = 0; t < MD_TBL_COUNT + 2; t++) {
		uint32_t rows = md_rows(m, t), v;
		fuzz_sink += md_row_size(m, t) + md_table_offset(m, t);
		for (uint32_t r = 0; r <= rows + 1 && r < MAX_ROWS; r++)
			for (unsigned col = 0; col < 7; col++)
				fuzz_sink += md_cell(m, t, r, col, &v);
	}
	uint32_t n = md_rows(m, MD_TBL_TYPEDEF);
	for (uint32_t rid = 0; rid <= n + 1 && rid < MAX_ROWS; rid++)
		walk_typedef(m, rid);
	n = md_rows(m, MD_TBL_TYPEREF);
	for (uint32_t rid = 0; rid <= n + 1 && rid < MAX_ROWS; rid++) {
		struct md_typeref tr;
		if (md_typeref(m, rid, &tr) == CH_OK)
			fuzz_sink += strlen(tr.name) + strlen(tr.ns);
		md_typeref_name(m, rid, 0, name, sizeof name);
	}
	n = md_rows(m, MD_TBL_GENERICPARAM);
	for (uint32_t rid = 1; rid <= n && rid < MAX_ROWS; rid++) {
		struct md_generic_param gp;
		md_generic_param(m, rid, &gp);
	}
	n = md_rows(m, MD_TBL_CONSTANT);
	for (uint32_t rid = 1; rid <= n && rid < MAX_ROWS; rid++) {
		struct md_constant c;
		md_constant(m, rid, &c);
	}
	struct md_assembly as;
	md_assembly(m, &as);
	n = md_rows(m, MD_TBL_ASSEMBLYREF);
	for (uint32_t rid = 1; rid <= n && rid < MAX_ROWS; rid++)
		md_assembly_ref(m, rid, &as);
	fuzz_sink += md_find_typedef(m, "System", "Object");
	uint8_t g[16];
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t len, nch;
		fuzz_sink += md_string_valid(m, i * 7) + md_guid(m, i, g);
		fuzz_sink += md_blob(m, i * 3, &len) != NULL;
		fuzz_sink += md_user_string(m, 1 + i * 5, &nch) != NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md *m;
	struct md_pe pe;
	struct ch_err err = { 0 };
	if (size >= 4 && memcmp(data, "BSJB", 4) == 0) {
		if (md_open(data, size, "fuzz", 0, &m, &err) == CH_OK) {
			walk(m);
			md_close(m);
		}
		return 0;
	}
	for (int mapped = 0; mapped < 2; mapped++) {
		md_pe_parse_headers(data, size, mapped, size, "fuzz", &pe, &err);
		if (md_open_pe(data, size, mapped, "fuzz", &m, &pe, &err) != CH_OK)
			continue;
		size_t off;
		fuzz_sink += md_pe_rva_to_off(&pe, pe.cli_rva, pe.cli_size, &off);
		walk(m);
		md_close(m);
	}
	return 0;
}
