/* fuzz_dump.h - the body of the two container targets (fuzz_elf.c,
 * fuzz_mdmp.c): open the input as a dump, strictly and leniently, and read
 * everything the container and address-space layers offer. */
#ifndef CLRHEAP_FUZZ_DUMP_H
#define CLRHEAP_FUZZ_DUMP_H

#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fuzz.h"

#define FUZZ_MAX_READS 256 /* ranges and modules read per input */

static void fuzz_space(struct dump *d)
{
	struct as *a;
	struct ch_err err = { 0 };
	if (as_open(d, &a, &err) != CH_OK)
		return;
	uint8_t buf[64];
	size_t n;
	const struct dump_range *r = dump_ranges(d, &n);
	for (size_t i = 0; i < n && i < FUZZ_MAX_READS; i++) {
		as_read(a, r[i].va, buf, sizeof buf);
		as_read(a, r[i].va + r[i].size - 8, buf, 16); /* across the end */
		const uint8_t *p;
		as_span(a, r[i].va, &p);
		fuzz_sink += as_missing_reason(a, r[i].va + r[i].size) != NULL;
	}
	const struct dump_module *m = dump_modules(d, &n);
	for (size_t i = 0; i < n && i < FUZZ_MAX_READS; i++) {
		as_read(a, m[i].base, buf, sizeof buf);
		fuzz_sink += as_missing_reason(a, m[i].base) != NULL;
		clr_is_managed(a, &m[i]);
	}
	struct clr_runtime_info rt;
	if (clr_find_runtime(a, &rt, &err) == CH_OK && rt.module)
		clr_is_app_assembly(a, &rt, rt.module);
	as_close(a);
}

/* Opens data (with its first bytes forced to magic, so that mutations
 * stay in one format) and reads all of it. */
static void fuzz_dump(const uint8_t *data, size_t size, const char magic[4])
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	memcpy(buf, magic, size < 4 ? size : 4);
	for (unsigned flags = 0; flags <= DUMP_OPEN_LENIENT; flags++) {
		struct dump *d;
		struct ch_err err = { 0 };
		if (dump_open_buffer(buf, size, "fuzz", flags, &d, &err) != CH_OK)
			continue;
		size_t n;
		const struct dump_module *m = dump_modules(d, &n);
		for (size_t i = 0; i < n; i++)
			fuzz_sink += strlen(m[i].path) + strlen(m[i].name);
		const char *const *w = dump_warnings(d, &n);
		for (size_t i = 0; i < n; i++)
			fuzz_sink += strlen(w[i]);
		const struct dump_process *pr = dump_process(d);
		fuzz_sink += strlen(pr->name) + strlen(pr->args);
		uint64_t v;
		dump_auxv(d, 6, &v);
		dump_threads(d, &n);
		fuzz_space(d);
		dump_close(d);
	}
	free(buf);
}

#endif
