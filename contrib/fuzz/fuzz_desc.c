/* fuzz_desc.c - the contract descriptor's JSON (jansson underneath): parse
 * it against a fixed pointer table and look up what clr_open asks for. */
#include <string.h>

#include "clr_desc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[][2] = {
		{ "MethodTable", "BaseSize" }, { "MethodTable", "MTFlags" },
		{ "Thread", "Id" }, { "GCHeap", "!" }, { "", "" }, { "Module", "!" },
	};
	static const char *const globals[] = {
		"FreeObjectMethodTable", "Architecture", "GCHeapType", "",
		"ObjectHeaderSize", "OperatingSystem",
	};
	uint64_t ptrs[64];
	for (size_t i = 0; i < 64; i++)
		ptrs[i] = 0x7f0000001000ull + 8 * i;
	struct clr_desc *d;
	struct ch_err err = { 0 };
	if (clr_desc_parse((const char *)data, size, ptrs, 64, &d, &err) != CH_OK)
		return 0;
	uint32_t v32;
	uint64_t v64;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		fuzz_sink += clr_desc_offset(d, types[i][0], types[i][1], &v32);
		fuzz_sink += clr_desc_size(d, types[i][0], &v32);
	}
	for (size_t i = 0; i < sizeof globals / sizeof *globals; i++) {
		fuzz_sink += clr_desc_global(d, globals[i], &v64);
		const char *s = clr_desc_global_str(d, globals[i]);
		fuzz_sink += s ? strlen(s) : 0;
	}
	fuzz_sink += (size_t)clr_desc_contract(d, "GC") + clr_desc_address(d);
	size_t t, f, g;
	clr_desc_counts(d, &t, &f, &g);
	clr_desc_close(d);
	return 0;
}
