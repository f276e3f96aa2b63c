/* csv.h - JSON documents of one type as RFC 4180 CSV rows, for loading
 * into a database (sqlite3 .import, PostgreSQL \copy ... csv header).
 *
 * Columns: "$addr" first, then every leaf of the documents flattened with
 * dotted names (an embedded struct's or inlined object's fields as
 * "Customer.Name"), in the order they first appear. An array (a
 * collection's items) is one cell holding its JSON text; a cut string
 * ({"$string": ..., "$length": N}) its text; a string its characters;
 * numbers and booleans as JSON writes them; null and a missing leaf an
 * empty cell. "$type" is left out (one type per file). A field that is
 * null in every document where it is not an object gets no column of its
 * own when other documents give it dotted ones.
 *
 * Two passes: csv_learn every document (the column set), then csv_header
 * and csv_row each again. */
#ifndef CLRHEAP_CSV_H
#define CLRHEAP_CSV_H

#include <stddef.h>

#include "err.h"

/* At most this many columns (a document wider than that is cut, with a
 * warning kept on the context). */
#define CSV_MAX_COLUMNS 4096

struct csv;

typedef void (*csv_out_fn)(void *arg, const char *p, size_t n);

/* CH_OK and *out (free with csv_close), or CH_ENOMEM. */
enum ch_status csv_open(struct csv **out, struct ch_err *err);
void csv_close(struct csv *x);

/* Learns the columns of one JSON document (an object) of len bytes.
 * CH_EARG when it is not a JSON object as val writes it (the columns it
 * named before the fault stay learned), CH_ENOMEM; message in err. */
enum ch_status csv_learn(struct csv *x, const char *json, size_t len, struct ch_err *err);

/* Fixes the columns (after the last csv_learn) and writes the header
 * line. */
enum ch_status csv_header(struct csv *x, csv_out_fn out, void *arg, struct ch_err *err);

/* Writes one document as a row of the columns (leaves no column was
 * learned for are left out). Errors as csv_learn's. */
enum ch_status csv_row(struct csv *x, const char *json, size_t len, csv_out_fn out, void *arg,
		       struct ch_err *err);

/* How many columns the header has (0 before csv_header). */
size_t csv_columns(const struct csv *x);

/* Why some columns were left out ("" when none). */
const char *csv_warning(const struct csv *x);

#endif
