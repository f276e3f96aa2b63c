/* clr_runtime.c - find the runtime module in a dump and read its version. */
#include "clr.h"
#include "clr_priv.h"

#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_facts.h"
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

/* The descriptor's RuntimeProductVersionString ("11.0.0"), if any. */
static void version_from_desc(struct as *a, struct clr_runtime_info *rt)
{
	struct clr_desc *d;
	struct ch_err e = { 0 };
	if (clr_desc_open(a, rt->module, &d, &e) != CH_OK)
		return;
	const char *pv = clr_desc_global_str(d, "RuntimeProductVersionString");
	if (pv && strlen(pv) < sizeof rt->product_version)
		snprintf(rt->product_version, sizeof rt->product_version, "%s", pv);
	clr_desc_close(d);
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

/* Adds the files matching pattern dir + "/" + tail to paths. */
static size_t glob_add(const char *dir, const char *tail, char **paths, size_t n,
		       size_t max)
{
	char pat[4096];
	glob_t g;
	if (!dir || !*dir || n >= max ||
	    snprintf(pat, sizeof pat, "%s/%s", dir, tail) >= (int)sizeof pat)
		return n;
	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < max; i++)
			if ((paths[n] = strdup(g.gl_pathv[i])))
				n++;
		globfree(&g);
	}
	return n;
}

size_t clr_runtime_candidates(void *ctx, const struct dump_module *m,
			      char **paths, size_t max)
{
	(void)ctx;
	const char *nm = m->name;
	char tail[512];
	size_t n = 0;
	/* Names are globbed: keep to plain file names. */
	if (!*nm || strlen(nm) > 200 || strpbrk(nm, "*?[]\\/"))
		return 0;
	const char *home = getenv("HOME");
	char hd[4096] = "", nuget[4096] = "";
	if (home && *home) {
		snprintf(hd, sizeof hd, "%s/.dotnet", home);
		snprintf(nuget, sizeof nuget, "%s/.nuget/packages", home);
	}
	const char *np = getenv("NUGET_PACKAGES");
	const char *roots[] = { getenv("DOTNET_ROOT"), "/usr/share/dotnet", "/usr/lib/dotnet",
				"/usr/lib64/dotnet", "/opt/dotnet", hd };
	snprintf(tail, sizeof tail, "shared/Microsoft.NETCore.App/*/%s", nm);
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
		n = glob_add(roots[i], tail, paths, n, max);
	const char *caches[] = { np, nuget };
	for (size_t i = 0; i < 2; i++) {
		snprintf(tail, sizeof tail,
			 "microsoft.netcore.app.runtime.*/*/runtimes/*/native/%s", nm);
		n = glob_add(caches[i], tail, paths, n, max);
		snprintf(tail, sizeof tail,
			 "microsoft.netcore.app.runtime.*/*/runtimes/*/lib/*/%s", nm);
		n = glob_add(caches[i], tail, paths, n, max);
	}
	return n;
}

enum ch_status clr_find_runtime(struct as *a, struct clr_runtime_info *rt,
				struct ch_err *err)
{
	size_t n;
	const struct dump_module *mods = dump_modules(as_dump(a), &n);
	memset(rt, 0, sizeof *rt);
	/* Module files missing at their dump paths may be in a .NET install. */
	as_set_candidates(a, clr_runtime_candidates, NULL);
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
	if (!rt->module) {
		for (size_t i = 0; i < n; i++)
			if (strncasecmp(mods[i].name, "mono", 4) == 0 ||
			    strncasecmp(mods[i].name, "libmono", 7) == 0)
				return ch_set_error(err, CH_EUNSUPPORTED,
						    "%s: the process ran the Mono runtime (%s), whose heap "
						    "is not read: only CoreCLR (.NET 8 and later)",
						    dump_path(as_dump(a)), mods[i].name);
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: no .NET runtime module (libcoreclr.so, coreclr.dll, clr.dll) in the dump",
				    dump_path(as_dump(a)));
	}
	const struct dump_module *m = rt->module;
	version_from_path(m->path, rt->product_version, sizeof rt->product_version);
	const struct clr_facts *f = clr_facts_find(m);
	if (f && f->file_version[0]) {
		/* A known build: no need to search its image for the string. */
		snprintf(rt->file_version, sizeof rt->file_version, "%s", f->file_version);
		snprintf(rt->commit, sizeof rt->commit, "%s", f->commit);
		if (!rt->product_version[0])
			snprintf(rt->product_version, sizeof rt->product_version, "%s", f->version);
	} else if (m->version) {
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
	/* .NET 11 numbers its files otherwise (11.0.26.53018 is 11.0.0) but
	 * names its version in the contract descriptor. */
	if (!rt->product_version[0])
		version_from_desc(a, rt);
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
	const char *rp = rt->module->path;
	size_t rd = dir_len(rp), md = dir_len(m->path);
	bool same_dir = rd == md && strncmp(rp, m->path, rd) == 0;
	const char *sh = strstr(rp, "Microsoft.NETCore.App");
	if (sh && sh > rp) {
		/* <root>/shared/<framework>/<version>/: every framework there
		 * (ASP.NET Core's too) holds no app code */
		size_t root = (size_t)(sh - rp);
		return !(strncmp(rp, m->path, root) == 0 && dir_len(m->path) > root);
	}
	/* self-contained: the runtime's own folder holds the framework too;
	 * elsewhere (an SDK's compiler, say) a System.* name is app code */
	return !(same_dir && is_framework_name(m->name));
}

enum ch_status clr_runtime_supported(struct as *a, const struct clr_runtime_info *rt,
				     struct ch_err *err)
{
	const char *dp = dump_path(as_dump(a));
	const char *v = rt->product_version[0] ? rt->product_version : rt->file_version;
	if (rt->flavor == CLR_FLAVOR_FRAMEWORK)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: .NET Framework (%s%s%s) is not read: only .NET 8 and later",
				    dp, rt->module->name, v[0] ? " " : "", v);
	if (rt->major > 0 && rt->major < 8)
		return ch_set_error(err, CH_EUNSUPPORTED,
				    "%s: runtime %s (%s %s) is not read: only .NET 8 and later",
				    dp, v, rt->major < 4 ? ".NET Core" : ".NET", v);
	return CH_OK;
}

enum ch_status clr_runtime_no_heap(struct as *a, struct ch_err *err)
{
	struct dump *d = as_dump(a);
	size_t n;
	dump_ranges(d, &n);
	uint64_t bytes = clr_runtime_memory_bytes(a);
	return ch_set_error(err, CH_ENOTFOUND,
			    "%s: the dump holds no GC heap (%" PRIu64 " bytes of memory in %zu ranges: "
			    "a crash minidump, or a createdump --normal or --triage dump); take a heap "
			    "or full dump (createdump --withheap or --full, dotnet-dump collect --type "
			    "Heap or Full, DOTNET_DbgMiniDumpType=2 or 4; on Windows procdump -ma)",
			    dump_path(d), bytes, n);
}

uint64_t clr_runtime_memory_bytes(struct as *a)
{
	size_t n;
	const struct dump_range *r = dump_ranges(as_dump(a), &n);
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += r[i].size;
	return bytes;
}

enum ch_status clr_runtime_file_needed(struct as *a, const struct clr_runtime_info *rt,
				       const char *detail, struct ch_err *err)
{
	const struct dump_module *m = rt->module;
	char id[80] = "no identity recorded";
	const char *why = NULL;
	clr_facts_id(m, id, sizeof id);
	/* The reason the module's file was not taken, from any page of it
	 * the dump lacks. */
	for (size_t i = 0; i < m->nsegs && !why; i++)
		why = as_missing_reason(a, m->segs[i].va);
	const char *v = rt->product_version[0] ? rt->product_version :
			rt->file_version[0] ? rt->file_version : "of unknown version";
	const char *off = getenv("CLRHEAP_FACTS");
	if (off && strcmp(off, "0") == 0)
		detail = "built-in facts turned off by CLRHEAP_FACTS=0";
	/* What to do comes first: the reason, with its paths, may be cut. */
	return ch_set_error(err, CH_ENOTFOUND,
			    "%s: runtime %s (%s, %s) is not one of the %zu builds with built-in facts "
			    "and the dump lacks part of it (%s): pass the folder holding that %s (from "
			    "the machine the dump came from, or the runtime pack of that version) with "
			    "--search DIR (mount: -o search=DIR)%s%s",
			    dump_path(as_dump(a)), v, m->name, id, clr_facts_count(), detail,
			    m->name, why ? "; " : "", why ? why : "");
}
