/* clr_runtime.c - find the runtime module in a dump and read its version. */
#include "clr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

static bool name_is(const char *name, const char *want)
{
	return strcasecmp(name, want) == 0;
}

const char *clr_flavor_str(enum clr_flavor f)
{
	switch (f) {
	case CLR_FLAVOR_CORE: return "coreclr";
	case CLR_FLAVOR_FRAMEWORK: return "desktop-clr";
	default: return "none";
	}
}

/* "…/Microsoft.NETCore.App/10.0.12/libcoreclr.so" -> "10.0.12" */
static void version_from_path(const char *path, char *out, size_t n)
{
	const char *key = "Microsoft.NETCore.App";
	const char *p = strstr(path, key);
	out[0] = '\0';
	if (!p || (p[strlen(key)] != '/' && p[strlen(key)] != '\\'))
		return;
	p += strlen(key) + 1;
	size_t k = strcspn(p, "/\\");
	if (k == 0 || k >= n || p[k] == '\0')
		return;
	for (size_t i = 0; i < k; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '-' ||
		      (p[i] >= 'a' && p[i] <= 'z')))
			return;
	memcpy(out, p, k);
	out[k] = '\0';
}

/* Reads "@(#)Version 10.0.1226.42308 @Commit: <sha>" from the image. */
static void version_from_sccsid(struct as *a, struct clr_runtime_info *rt)
{
	static const char tag[] = "@(#)Version ";
	uint64_t va;
	char s[160];
	if (!img_find_bytes(a, rt->module, tag, sizeof tag - 1, &va) ||
	    !img_read_cstr(a, va + sizeof tag - 1, s, sizeof s))
		return;
	size_t k = strcspn(s, " ");
	if (k < sizeof rt->file_version) {
		memcpy(rt->file_version, s, k);
		rt->file_version[k] = '\0';
	}
	const char *c = strstr(s, "@Commit: ");
	if (c)
		snprintf(rt->commit, sizeof rt->commit, "%.40s", c + 9);
}

enum ch_status clr_find_runtime(struct as *a, struct clr_runtime_info *rt,
				struct ch_err *err)
{
	size_t n;
	const struct dump_module *mods = dump_modules(as_dump(a), &n);
	memset(rt, 0, sizeof *rt);
	for (size_t i = 0; i < n && !rt->module; i++) {
		const char *nm = mods[i].name;
		if (name_is(nm, "libcoreclr.so") || name_is(nm, "libcoreclr.dylib") ||
		    name_is(nm, "coreclr.dll")) {
			rt->module = &mods[i];
			rt->flavor = CLR_FLAVOR_CORE;
		} else if (name_is(nm, "clr.dll") || name_is(nm, "mscorwks.dll")) {
			rt->module = &mods[i];
			rt->flavor = CLR_FLAVOR_FRAMEWORK;
		}
	}
	if (!rt->module)
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: no .NET runtime module (libcoreclr.so, coreclr.dll, clr.dll) in the dump",
				    dump_path(as_dump(a)));
	const struct dump_module *m = rt->module;
	version_from_path(m->path, rt->product_version, sizeof rt->product_version);
	if (m->version) {
		snprintf(rt->file_version, sizeof rt->file_version, "%u.%u.%u.%u",
			 (unsigned)(m->version >> 48), (unsigned)(m->version >> 32) & 0xffff,
			 (unsigned)(m->version >> 16) & 0xffff, (unsigned)m->version & 0xffff);
	} else {
		version_from_sccsid(a, rt);
	}
	/* Outside a shared framework folder (self-contained apps) the product
	 * version follows from the file version: .NET numbers file builds
	 * patch * 100 + a two-digit counter (8.0.3126 is 8.0.31). */
	unsigned fa, fb, fc;
	if (!rt->product_version[0] && rt->file_version[0] &&
	    sscanf(rt->file_version, "%u.%u.%u", &fa, &fb, &fc) == 3 && fa >= 5 && fc >= 100)
		snprintf(rt->product_version, sizeof rt->product_version, "%u.%u.%u",
			 fa, fb, fc / 100);
	const char *v = rt->product_version[0] ? rt->product_version : rt->file_version;
	if (v[0])
		sscanf(v, "%d.%d", &rt->major, &rt->minor);
	return CH_OK;
}

static size_t dir_len(const char *path)
{
	const char *s1 = strrchr(path, '/'), *s2 = strrchr(path, '\\');
	const char *s = s1 > s2 ? s1 : s2;
	return s ? (size_t)(s - path) : 0;
}

static bool is_framework_name(const char *nm)
{
	static const char *const pre[] = { "System.", "Microsoft.", "mscorlib.",
					   "netstandard.", "WindowsBase.", NULL };
	for (int i = 0; pre[i]; i++)
		if (strncasecmp(nm, pre[i], strlen(pre[i])) == 0)
			return true;
	return false;
}

bool clr_is_managed(struct as *a, const struct dump_module *m)
{
	uint8_t mz[2];
	uint32_t lfanew, sig, cli_rva = 0;
	uint8_t magic[2];
	if (as_read(a, m->base, mz, 2) != 2 || mz[0] != 'M' || mz[1] != 'Z' ||
	    !as_u32(a, m->base + 0x3c, &lfanew) || lfanew > 0x10000 ||
	    !as_u32(a, m->base + lfanew, &sig) || sig != 0x4550 ||
	    as_read(a, m->base + lfanew + 24, magic, 2) != 2)
		return false;
	/* Data directory 14 (CLI header): offset 208 in PE32, 224 in PE32+. */
	unsigned off = (magic[0] | magic[1] << 8) == 0x20b ? 224 : 208;
	return as_u32(a, m->base + lfanew + 24 + off, &cli_rva) && cli_rva != 0;
}

bool clr_is_app_assembly(struct as *a, const struct clr_runtime_info *rt,
			 const struct dump_module *m)
{
	if (!clr_is_managed(a, m))
		return false;
	if (!rt || !rt->module)
		return !is_framework_name(m->name);
	size_t rd = dir_len(rt->module->path), md = dir_len(m->path);
	bool same_dir = rd == md && strncmp(rt->module->path, m->path, rd) == 0;
	bool shared = strstr(rt->module->path, "Microsoft.NETCore.App") != NULL;
	if (same_dir && shared)
		return false; /* a shared framework folder holds no app code */
	return !is_framework_name(m->name);
}
