/* clr_desc.c - read and parse the runtime's contract descriptor. */
#include "clr_desc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "clr_facts.h"
#include "img.h"
#include "rdr.h"

#define DESC_MAX_JSON (8u << 20)  /* the .NET 10 descriptor is ~10 KB */
#define DESC_MAX_PTRS 4096
#define DESC_MAX_NAME 128

struct entry {
	UT_hash_handle hh;
	uint64_t value;
	bool is_num;
	char *str;   /* string globals */
	char key[];  /* "Type.Field", "Type.!", "Global", "contract:Name" */
};

struct clr_desc {
	struct entry *map;
	size_t ntypes, nfields, nglobals;
	uint64_t address;
	bool from_facts;
};

static void put(struct clr_desc *d, const char *key, uint64_t v, bool is_num,
		const char *str, bool *oom)
{
	size_t k = strlen(key);
	struct entry *e;
	HASH_FIND(hh, d->map, key, k, e);
	if (e) /* a duplicate key: first one wins */
		return;
	e = calloc(1, sizeof *e + k + 1);
	if (!e || (str && !(e->str = strdup(str)))) {
		free(e);
		*oom = true;
		return;
	}
	memcpy(e->key, key, k + 1);
	e->value = v;
	e->is_num = is_num;
	HASH_ADD(hh, d->map, key[0], k, e);
}

/* A number in the descriptor: a JSON integer or a string "0x1f" / "12". */
static bool num_of(json_t *j, uint64_t *v)
{
	if (json_is_integer(j)) {
		*v = (uint64_t)json_integer_value(j);
		return true;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;
		if (!*s)
			return false;
		*v = strtoull(s, &end, 0);
		return *end == '\0';
	}
	return false;
}

static void parse_types(struct clr_desc *d, json_t *types, bool *oom)
{
	const char *tname;
	json_t *fields;
	char key[2 * DESC_MAX_NAME + 2];
	json_object_foreach(types, tname, fields) {
		if (!json_is_object(fields) || strlen(tname) > DESC_MAX_NAME)
			continue;
		d->ntypes++;
		const char *fname;
		json_t *fv;
		json_object_foreach(fields, fname, fv) {
			uint64_t off;
			if (strlen(fname) > DESC_MAX_NAME)
				continue;
			/* a field is an offset, or [offset, "type"] */
			json_t *o = json_is_array(fv) ? json_array_get(fv, 0) : fv;
			if (!o || !num_of(o, &off))
				continue;
			snprintf(key, sizeof key, "%s.%s", tname, fname);
			put(d, key, off, true, NULL, oom);
			if (strcmp(fname, "!") != 0)
				d->nfields++;
		}
	}
}

/* A global is a value, [value, "type"], [[index], "type"] or [index]-style
 * indirection into the pointer data. */
static void parse_globals(struct clr_desc *d, json_t *globals,
			  const uint64_t *ptrdata, size_t nptr, bool *oom)
{
	const char *name;
	json_t *gv;
	json_object_foreach(globals, name, gv) {
		if (strlen(name) > DESC_MAX_NAME)
			continue;
		json_t *v = gv, *type = NULL;
		if (json_is_array(gv)) {
			v = json_array_get(gv, 0);
			type = json_array_get(gv, 1);
		}
		if (!v)
			continue;
		uint64_t x;
		if (json_is_array(v)) { /* [index]: through the pointer data */
			json_t *ix = json_array_get(v, 0);
			if (!json_is_integer(ix) || json_integer_value(ix) < 0 ||
			    (uint64_t)json_integer_value(ix) >= nptr)
				continue;
			put(d, name, ptrdata[json_integer_value(ix)], true, NULL, oom);
		} else if (type && json_is_string(type) &&
			   strcmp(json_string_value(type), "string") == 0 &&
			   json_is_string(v)) {
			put(d, name, 0, false, json_string_value(v), oom);
		} else if (num_of(v, &x)) {
			put(d, name, x, true, NULL, oom);
		} else if (json_is_string(v)) {
			put(d, name, 0, false, json_string_value(v), oom);
		} else {
			continue;
		}
		d->nglobals++;
	}
}

enum ch_status clr_desc_parse(const char *json, size_t len,
			      const uint64_t *ptrdata, size_t nptr,
			      struct clr_desc **out, struct ch_err *err)
{
	*out = NULL;
	if (len > DESC_MAX_JSON)
		return ch_set_error(err, CH_ECORRUPT,
				    "contract descriptor of %zu bytes is too large", len);
	/* The runtime stores the JSON with its terminating NUL counted. */
	while (len > 0 && json[len - 1] == '\0')
		len--;
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return ch_set_error(err, CH_ECORRUPT,
				    "contract descriptor JSON: %s at line %d column %d",
				    je.text, je.line, je.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return ch_set_error(err, CH_ECORRUPT,
				    "contract descriptor JSON is not an object");
	}
	struct clr_desc *d = calloc(1, sizeof *d);
	if (!d) {
		json_decref(root);
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	bool oom = false;
	json_t *types = json_object_get(root, "types");
	json_t *globals = json_object_get(root, "globals");
	json_t *contracts = json_object_get(root, "contracts");
	json_t *subs = json_object_get(root, "subDescriptors");
	if (json_is_object(types))
		parse_types(d, types, &oom);
	if (json_is_object(globals))
		parse_globals(d, globals, ptrdata, nptr, &oom);
	if (json_is_object(contracts)) {
		const char *name;
		json_t *cv;
		char key[DESC_MAX_NAME + 16];
		json_object_foreach(contracts, name, cv) {
			/* a version is a number (9, 10) or "c<number>" (11) */
			const char *s = json_is_string(cv) ? json_string_value(cv) : NULL;
			char *end;
			uint64_t ver;
			if (json_is_integer(cv))
				ver = (uint64_t)json_integer_value(cv);
			else if (s && s[0] == 'c' && s[1] >= '0' && s[1] <= '9' &&
				 (ver = strtoull(s + 1, &end, 10), *end == '\0'))
				;
			else
				continue;
			if (strlen(name) > DESC_MAX_NAME)
				continue;
			snprintf(key, sizeof key, "contract:%s", name);
			put(d, key, ver, true, NULL, &oom);
		}
	}
	if (json_is_object(subs)) { /* "GC": [[index], "pointer"] */
		const char *name;
		json_t *sv;
		char key[DESC_MAX_NAME + 16];
		json_object_foreach(subs, name, sv) {
			json_t *ix = json_array_get(json_array_get(sv, 0), 0);
			if (!json_is_integer(ix) || json_integer_value(ix) < 0 ||
			    (uint64_t)json_integer_value(ix) >= nptr || strlen(name) > DESC_MAX_NAME)
				continue;
			snprintf(key, sizeof key, "sub:%s", name);
			put(d, key, ptrdata[json_integer_value(ix)], true, NULL, &oom);
		}
	}
	json_decref(root);
	if (oom) {
		clr_desc_close(d);
		return ch_set_error(err, CH_ENOMEM, "out of memory parsing the contract descriptor");
	}
	*out = d;
	return CH_OK;
}

void clr_desc_raw_free(struct clr_desc_raw *raw)
{
	free(raw->json);
	free(raw->ptrs);
	memset(raw, 0, sizeof *raw);
}

/* The descriptor at va from the facts of m's build, when they hold one. */
static bool raw_from_facts(const struct dump_module *m, uint64_t va,
			   struct clr_desc_raw *raw, bool *oom)
{
	const struct clr_facts *f = clr_facts_find(m);
	const struct clr_facts_desc *fd = NULL;
	for (size_t i = 0; f && i < f->ndescs && !fd; i++)
		if (va - m->base == f->descs[i].rva)
			fd = &f->descs[i];
	if (!fd)
		return false;
	raw->json = malloc(fd->json_len ? fd->json_len : 1);
	raw->ptrs = calloc(fd->nptrs ? fd->nptrs : 1, sizeof *raw->ptrs);
	if (!raw->json || !raw->ptrs) {
		clr_desc_raw_free(raw);
		*oom = true;
		return false;
	}
	memcpy(raw->json, fd->json, fd->json_len);
	raw->json_len = fd->json_len;
	for (size_t i = 0; i < fd->nptrs; i++)
		raw->ptrs[i] = fd->ptrs[i].value + (fd->ptrs[i].rva ? m->base : 0);
	raw->nptrs = fd->nptrs;
	raw->flags = fd->flags;
	raw->from_facts = true;
	return true;
}

enum ch_status clr_desc_read(struct as *a, const struct dump_module *m,
			     uint64_t va, struct clr_desc_raw *raw,
			     struct ch_err *err)
{
	const char *dp = dump_path(as_dump(a));
	bool oom = false;
	memset(raw, 0, sizeof *raw);
	if (raw_from_facts(m, va, raw, &oom))
		return CH_OK;
	if (oom)
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	/* Heap dumps lack the descriptor's pages (.data, .rodata); they do
	 * not change after load, so the module file's bytes, relocated as
	 * the loader did, are the same (as_read_image). */
	uint8_t h[40];
	if (as_read_image(a, va, h, 16) != 16) {
		const char *why = as_missing_reason(a, va);
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: contract descriptor at 0x%" PRIx64 " is missing%s%s",
				    dp, va, why ? ": " : "", why ? why : "");
	}
	if (memcmp(h, "DNCCDAC", 8) != 0)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: contract descriptor at 0x%" PRIx64 " has a bad magic",
				    dp, va);
	uint32_t flags = rdr_le32(h + 8), size = rdr_le32(h + 12);
	unsigned ps = (flags & 2) ? 4 : 8;
	if (as_read_image(a, va + 16, h + 16, 2 * ps + 8) != 2 * ps + 8)
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: contract descriptor at 0x%" PRIx64 " is cut short",
				    dp, va);
	uint64_t json_va = ps == 4 ? rdr_le32(h + 16) : rdr_le64(h + 16);
	uint32_t nptr = rdr_le32(h + 16 + ps);
	uint64_t ptr_va = ps == 4 ? rdr_le32(h + 24 + ps) : rdr_le64(h + 24 + ps);
	if (size == 0 || size > DESC_MAX_JSON || nptr > DESC_MAX_PTRS)
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: contract descriptor sizes out of range (json %u, pointers %u)",
				    dp, size, nptr);
	if (json_va == 0 || (nptr && ptr_va == 0))
		return ch_set_error(err, CH_ECORRUPT,
				    "%s: contract descriptor pointers are not relocated", dp);
	raw->json = malloc(size);
	raw->ptrs = calloc(nptr ? nptr : 1, sizeof *raw->ptrs);
	if (!raw->json || !raw->ptrs) {
		clr_desc_raw_free(raw);
		return ch_set_error(err, CH_ENOMEM, "out of memory");
	}
	if (as_read_image(a, json_va, raw->json, size) != size) {
		const char *why = as_missing_reason(a, json_va);
		clr_desc_raw_free(raw);
		return ch_set_error(err, CH_ENOTFOUND,
				    "%s: contract descriptor JSON at 0x%" PRIx64 " is missing%s%s",
				    dp, json_va, why ? ": " : "", why ? why : "");
	}
	for (uint32_t i = 0; i < nptr; i++) {
		uint8_t b[8];
		if (as_read_image(a, ptr_va + (uint64_t)i * ps, b, ps) != ps) {
			clr_desc_raw_free(raw);
			return ch_set_error(err, CH_ENOTFOUND,
					    "%s: contract descriptor pointer data is missing", dp);
		}
		raw->ptrs[i] = ps == 4 ? rdr_le32(b) : rdr_le64(b);
	}
	raw->json_len = size;
	raw->nptrs = nptr;
	raw->flags = flags;
	return CH_OK;
}

enum ch_status clr_desc_open(struct as *a, const struct dump_module *rt,
			     struct clr_desc **out, struct ch_err *err)
{
	const char *dp = dump_path(as_dump(a));
	uint64_t va;
	struct clr_desc_raw raw;
	*out = NULL;
	enum ch_status st = clr_facts_export(a, rt, "DotNetRuntimeContractDescriptor",
					     &va, err);
	if (st == CH_OK)
		st = clr_desc_read(a, rt, va, &raw, err);
	if (st != CH_OK)
		return st;
	st = clr_desc_parse(raw.json, raw.json_len, raw.ptrs, raw.nptrs, out, err);
	bool facts = raw.from_facts;
	clr_desc_raw_free(&raw);
	if (st != CH_OK) {
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg);
		return ch_set_error(err, st, "%s: %s", dp, m);
	}
	(*out)->address = va;
	(*out)->from_facts = facts;
	return CH_OK;
}

bool clr_desc_from_facts(const struct clr_desc *d)
{
	return d->from_facts;
}

void clr_desc_close(struct clr_desc *d)
{
	if (!d)
		return;
	struct entry *e, *t;
	HASH_ITER(hh, d->map, e, t) {
		HASH_DEL(d->map, e);
		free(e->str);
		free(e);
	}
	free(d);
}

static const struct entry *find(const struct clr_desc *d, const char *key)
{
	struct entry *e;
	HASH_FIND(hh, d->map, key, strlen(key), e);
	return e;
}

bool clr_desc_offset(const struct clr_desc *d, const char *type,
		     const char *field, uint32_t *off)
{
	char key[2 * DESC_MAX_NAME + 2];
	if (!d || snprintf(key, sizeof key, "%s.%s", type, field) >= (int)sizeof key)
		return false;
	const struct entry *e = find(d, key);
	if (!e || !e->is_num || e->value > UINT32_MAX)
		return false;
	*off = (uint32_t)e->value;
	return true;
}

bool clr_desc_size(const struct clr_desc *d, const char *type, uint32_t *size)
{
	return clr_desc_offset(d, type, "!", size);
}

bool clr_desc_global(const struct clr_desc *d, const char *name, uint64_t *v)
{
	const struct entry *e = d ? find(d, name) : NULL;
	if (!e || !e->is_num)
		return false;
	*v = e->value;
	return true;
}

const char *clr_desc_global_str(const struct clr_desc *d, const char *name)
{
	const struct entry *e = d ? find(d, name) : NULL;
	return e && !e->is_num ? e->str : NULL;
}

bool clr_desc_sub(const struct clr_desc *d, const char *name, uint64_t *var)
{
	char key[DESC_MAX_NAME + 16];
	snprintf(key, sizeof key, "sub:%s", name);
	const struct entry *e = d ? find(d, key) : NULL;
	if (!e || !e->is_num || !e->value)
		return false;
	*var = e->value;
	return true;
}

int clr_desc_contract(const struct clr_desc *d, const char *name)
{
	char key[DESC_MAX_NAME + 16];
	snprintf(key, sizeof key, "contract:%s", name);
	const struct entry *e = d ? find(d, key) : NULL;
	return e && e->value <= 1000 ? (int)e->value : -1;
}

void clr_desc_counts(const struct clr_desc *d, size_t *types, size_t *fields,
		     size_t *globals)
{
	*types = d->ntypes;
	*fields = d->nfields;
	*globals = d->nglobals;
}

uint64_t clr_desc_address(const struct clr_desc *d)
{
	return d->address;
}
