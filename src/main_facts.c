/* main_facts.c - `clrheap facts`: the built-in runtime facts.
 *
 *   clrheap facts --list                 every build the program knows
 *   clrheap facts FILE [--pack NAME] [--file PATH] [--version V] [--out DIR]
 *                                        the facts of a runtime file, as a
 *                                        facts/ record (JSON into DIR/json/)
 *   clrheap facts --check FILE...        each file's facts against the
 *                                        built-in ones of its build
 */
#include "main_facts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clr_facts.h"

static int facts_fail(const struct ch_err *err)
{
	fprintf(stderr, "clrheap: %s\n", err->msg[0] ? err->msg : ch_status_str(err->status));
	return err->status == CH_EARG ? 2 : 1;
}

static int list(void)
{
	for (size_t i = 0; i < clr_facts_count(); i++) {
		const struct clr_facts *f = clr_facts_at(i);
		printf("%s\t%s\t%s\t%s\n", f->id, f->pack, f->file_version, f->file);
	}
	return 0;
}

static bool write_json(const char *dir, const struct clr_facts_desc *d, struct ch_err *err)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/json", dir);
	if (mkdir(p, 0777) != 0 && errno != EEXIST) {
		ch_set_error(err, CH_EIO, "%s: %s", p, strerror(errno));
		return false;
	}
	snprintf(p, sizeof p, "%s/%s", dir, d->json_name);
	FILE *f = fopen(p, "w");
	if (!f || fwrite(d->json, 1, d->json_len, f) != d->json_len || fputc('\n', f) == EOF) {
		ch_set_error(err, CH_EIO, "%s: %s", p, strerror(errno));
		if (f)
			fclose(f);
		return false;
	}
	if (fclose(f) != 0) {
		ch_set_error(err, CH_EIO, "%s: %s", p, strerror(errno));
		return false;
	}
	return true;
}

static int extract(const char *path, const char *pack, const char *file,
		   const char *version, const char *out)
{
	struct ch_err err = { 0 };
	struct clr_facts *f;
	if (clr_facts_from_file(path, pack, file, version, &f, &err) != CH_OK)
		return facts_fail(&err);
	for (size_t i = 0; out && i < f->ndescs; i++)
		if (!write_json(out, &f->descs[i], &err)) {
			clr_facts_free(f);
			return facts_fail(&err);
		}
	clr_facts_write(f, stdout);
	clr_facts_free(f);
	return 0;
}

/* The record of f as text (malloc'd). */
static char *record(const struct clr_facts *f)
{
	char *p = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&p, &n);
	if (!m)
		return NULL;
	clr_facts_write(f, m);
	fclose(m);
	return p;
}

/* Extracts the facts of path and compares them with the built-in record
 * of the same build: 0 equal, 1 different or unreadable, 3 unknown. */
static int check_one(const char *path)
{
	struct ch_err err = { 0 };
	struct clr_facts *f;
	if (clr_facts_from_file(path, "", "", "", &f, &err) != CH_OK) {
		fprintf(stderr, "clrheap: %s\n", err.msg);
		return 1;
	}
	const struct clr_facts *b = NULL;
	for (size_t i = 0; i < clr_facts_count() && !b; i++)
		if (strcmp(clr_facts_at(i)->id, f->id) == 0)
			b = clr_facts_at(i);
	if (!b) {
		printf("%s: %s has no built-in facts\n", path, f->id);
		clr_facts_free(f);
		return 3;
	}
	clr_facts_free(f);
	/* Again with the built-in record's names of its origin, so that the
	 * two records are compared whole. */
	if (clr_facts_from_file(path, b->pack, b->file, b->version, &f, &err) != CH_OK) {
		fprintf(stderr, "clrheap: %s\n", err.msg);
		return 1;
	}
	char *x = record(f), *y = record(b);
	int rc = x && y && strcmp(x, y) == 0 ? 0 : 1;
	printf("%s: %s %s\n", path, rc ? "DIFFERS from the built-in facts of" : "equals the built-in facts of",
	       b->pack);
	free(x);
	free(y);
	clr_facts_free(f);
	return rc;
}

int main_facts(int argc, char **argv)
{
	const char *pack = "", *file = "", *version = "", *out = NULL, *path = NULL;
	struct ch_err err = { 0 };
	if (argc >= 2 && strcmp(argv[1], "--list") == 0)
		return list();
	if (argc >= 2 && strcmp(argv[1], "--check") == 0) {
		int rc = 0, known = 0;
		for (int i = 2; i < argc; i++) {
			int r = check_one(argv[i]);
			if (r == 1)
				rc = 1;
			known += r == 0;
		}
		printf("%d of %d files have built-in facts equal to their own\n", known, argc - 2);
		return rc;
	}
	for (int i = 1; i < argc; i++) {
		const char **opt = strcmp(argv[i], "--pack") == 0 ? &pack :
				   strcmp(argv[i], "--file") == 0 ? &file :
				   strcmp(argv[i], "--version") == 0 ? &version :
				   strcmp(argv[i], "--out") == 0 ? &out : NULL;
		if (opt && i + 1 < argc)
			*opt = argv[++i];
		else if (argv[i][0] == '-' || path) {
			ch_set_error(&err, CH_EARG, "facts: unexpected argument %s", argv[i]);
			return facts_fail(&err);
		} else
			path = argv[i];
	}
	if (!path) {
		ch_set_error(&err, CH_EARG, "facts: which FILE (libcoreclr.so, coreclr.dll)?");
		return facts_fail(&err);
	}
	return extract(path, pack, file, version, out);
}
