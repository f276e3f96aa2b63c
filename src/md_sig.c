/* md_sig.c - the leading type of signature blobs (ECMA-335 II.23.2).
 *
 * Signatures are untrusted: every byte is read through an end pointer,
 * nesting is capped, and every loop consumes at least one byte per turn,
 * so a blob of n bytes costs O(n) at most. */
#include <string.h>

#include "md_int.h"

#define SIG_FIELD 0x06
#define SIG_GENERIC 0x10
#define SIG_DEPTH_MAX 64

/* TypeDefOrRefOrSpecEncoded (II.23.2.8) into a token. */
static bool read_tdor(const uint8_t **p, const uint8_t *end, uint32_t *tok)
{
	static const uint8_t tables[3] = { MD_TBL_TYPEDEF, MD_TBL_TYPEREF,
					   MD_TBL_TYPESPEC };
	uint32_t v;
	if (!md_uncompress(p, end, &v) || (v & 3) == 3 || v >> 2 == 0 ||
	    v >> 2 > MD_MAX_ROWS)
		return false;
	*tok = (uint32_t)tables[v & 3] << 24 | v >> 2;
	return true;
}

static bool skip_cmods(const uint8_t **p, const uint8_t *end)
{
	uint32_t tok;
	while (*p < end &&
	       (**p == MD_ELEM_CMOD_REQD || **p == MD_ELEM_CMOD_OPT)) {
		(*p)++;
		if (!read_tdor(p, end, &tok))
			return false;
	}
	return *p < end;
}

static bool skip_type(const uint8_t **p, const uint8_t *end, unsigned depth);

/* A method signature inside FNPTR (II.23.2.1-3). */
static bool skip_method_sig(const uint8_t **p, const uint8_t *end,
			    unsigned depth)
{
	uint32_t n, gen;
	if (*p >= end)
		return false;
	uint8_t conv = *(*p)++;
	if ((conv & SIG_GENERIC) && !md_uncompress(p, end, &gen))
		return false;
	if (!md_uncompress(p, end, &n) || !skip_type(p, end, depth))
		return false; /* count, then the return type */
	for (uint32_t i = 0; i < n; i++) {
		if (*p < end && **p == MD_ELEM_SENTINEL)
			(*p)++;
		if (!skip_type(p, end, depth))
			return false;
	}
	return true;
}

/* Skips one whole Type, custom modifiers included. */
static bool skip_type(const uint8_t **p, const uint8_t *end, unsigned depth)
{
	uint32_t v, n, tok;
	if (depth > SIG_DEPTH_MAX || !skip_cmods(p, end))
		return false;
	uint8_t e = *(*p)++;
	switch (e) {
	case MD_ELEM_VOID: case MD_ELEM_BOOLEAN: case MD_ELEM_CHAR:
	case MD_ELEM_I1: case MD_ELEM_U1: case MD_ELEM_I2: case MD_ELEM_U2:
	case MD_ELEM_I4: case MD_ELEM_U4: case MD_ELEM_I8: case MD_ELEM_U8:
	case MD_ELEM_R4: case MD_ELEM_R8: case MD_ELEM_STRING:
	case MD_ELEM_TYPEDBYREF: case MD_ELEM_I: case MD_ELEM_U:
	case MD_ELEM_OBJECT:
		return true;
	case MD_ELEM_CLASS: case MD_ELEM_VALUETYPE:
		return read_tdor(p, end, &tok);
	case MD_ELEM_VAR: case MD_ELEM_MVAR:
		return md_uncompress(p, end, &v);
	case MD_ELEM_PTR: case MD_ELEM_BYREF: case MD_ELEM_SZARRAY:
		return skip_type(p, end, depth + 1);
	case MD_ELEM_FNPTR:
		return skip_method_sig(p, end, depth + 1);
	case MD_ELEM_ARRAY:
		/* Type rank NumSizes Size* NumLoBounds LoBound* (II.23.2.13) */
		if (!skip_type(p, end, depth + 1) || !md_uncompress(p, end, &v))
			return false;
		for (int k = 0; k < 2; k++) {
			if (!md_uncompress(p, end, &n))
				return false;
			for (uint32_t i = 0; i < n; i++)
				if (!md_uncompress(p, end, &v))
					return false;
		}
		return true;
	case MD_ELEM_GENERICINST:
		if (*p >= end || (**p != MD_ELEM_CLASS &&
				  **p != MD_ELEM_VALUETYPE))
			return false;
		(*p)++;
		/* GenArgCount is at least one (II.23.2.12) */
		if (!read_tdor(p, end, &tok) || !md_uncompress(p, end, &n) || n == 0)
			return false;
		for (uint32_t i = 0; i < n; i++)
			if (!skip_type(p, end, depth + 1))
				return false;
		return true;
	default:
		return false;
	}
}

/* Peeks at the element type of an array, pointer or byref at q. */
static bool peek_inner(const uint8_t *q, const uint8_t *end,
		       struct md_sigtype *out)
{
	if (!skip_cmods(&q, end))
		return false;
	out->inner = *q++;
	if (out->inner == MD_ELEM_CLASS || out->inner == MD_ELEM_VALUETYPE)
		return read_tdor(&q, end, &out->inner_token);
	if (out->inner == MD_ELEM_GENERICINST) {
		if (q >= end)
			return false;
		q++; /* CLASS or VALUETYPE */
		return read_tdor(&q, end, &out->inner_token);
	}
	return true;
}

enum ch_status md_sig_type(const uint8_t **p, const uint8_t *end,
			   struct md_sigtype *out)
{
	memset(out, 0, sizeof(*out));
	/* Check the whole Type first; then decode its head. */
	const uint8_t *q = *p;
	if (!q || !skip_type(&q, end, 0) || !skip_cmods(p, end))
		return CH_ECORRUPT;
	out->elem = *(*p)++;
	switch (out->elem) {
	case MD_ELEM_CLASS: case MD_ELEM_VALUETYPE:
		read_tdor(p, end, &out->token);
		break;
	case MD_ELEM_VAR: case MD_ELEM_MVAR:
		md_uncompress(p, end, &out->index);
		break;
	case MD_ELEM_GENERICINST:
		out->inst_kind = *(*p)++;
		read_tdor(p, end, &out->token);
		md_uncompress(p, end, &out->nargs);
		if (out->nargs == 0)
			return CH_ECORRUPT;
		break;
	case MD_ELEM_PTR: case MD_ELEM_BYREF: case MD_ELEM_SZARRAY:
		peek_inner(*p, end, out);
		break;
	case MD_ELEM_ARRAY:
		q = *p;
		peek_inner(q, end, out);
		skip_type(&q, end, 1);
		md_uncompress(&q, end, &out->index);
		break;
	default:
		break;
	}
	return CH_OK;
}

enum ch_status md_field_sig(const uint8_t *sig, uint32_t len,
			    struct md_sigtype *out)
{
	memset(out, 0, sizeof(*out));
	if (!sig || len < 2 || sig[0] != SIG_FIELD)
		return CH_ECORRUPT;
	const uint8_t *p = sig + 1;
	return md_sig_type(&p, sig + len, out);
}

bool md_sig_skip_array_shape(const uint8_t **p, const uint8_t *end)
{
	uint32_t rank, n, v;
	if (!md_uncompress(p, end, &rank) || !md_uncompress(p, end, &n))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!md_uncompress(p, end, &v))
			return false;
	if (!md_uncompress(p, end, &n))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!md_uncompress(p, end, &v))
			return false;
	return true;
}

bool md_sig_skip_type(const uint8_t **p, const uint8_t *end)
{
	return *p && skip_type(p, end, 0);
}
