/* clr.h - the runtime profile: which .NET runtime a dump holds and where
 * its globals are, read without the DAC. */
#ifndef CLRHEAP_CLR_H
#define CLRHEAP_CLR_H

#include <stdbool.h>
#include <stdint.h>

#include "as.h"
#include "dump.h"
#include "err.h"

enum clr_flavor {
	CLR_FLAVOR_NONE = 0,
	CLR_FLAVOR_CORE,      /* .NET Core / .NET 5+: libcoreclr.so, coreclr.dll */
	CLR_FLAVOR_FRAMEWORK, /* .NET Framework 4.x: clr.dll */
};

struct clr_runtime_info {
	const struct dump_module *module; /* the runtime module (borrowed) */
	enum clr_flavor flavor;
	int major, minor;          /* 0 when unknown */
	char file_version[48];     /* "10.0.1226.42308", "" when unknown */
	char product_version[32];  /* "10.0.12", from the install path; "" when unknown */
	char commit[48];           /* source commit from the version string */
};

/* Finds the runtime module among d's modules and reads its version (from
 * the "@(#)Version" string of libcoreclr, or the minidump's file version).
 * Returns CH_ENOTFOUND with a message when the dump holds no .NET runtime. */
enum ch_status clr_find_runtime(struct as *a, struct clr_runtime_info *out,
				struct ch_err *err);

/* True when module m is a managed assembly: a PE image whose CLI header
 * directory is set (read from the dump, or from the file on disk). */
bool clr_is_managed(struct as *a, const struct dump_module *m);

/* True when module m is a managed assembly of the app itself, not part of
 * the runtime's framework (by folder, then by name). */
bool clr_is_app_assembly(struct as *a, const struct clr_runtime_info *rt,
			 const struct dump_module *m);

const char *clr_flavor_str(enum clr_flavor f);

#endif
