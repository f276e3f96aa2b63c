/* fsv_roots.c - roots/ (the GC handle table, read by graph_handles) and
 * modules/ (the managed assemblies of the dump). */
#include "fsv_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fsv_handle_kind_name(unsigned kind)
{
	return graph_handle_kind_name(kind);
}

void fsv_roots(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->roots_done) {
		struct ch_err err = { 0 };
		if (graph_handles(v->c, &v->handles, &v->nhandles, &err) != CH_OK) {
			v->handles = NULL;
			v->nhandles = 0;
		}
		v->roots_done = true;
	}
	pthread_mutex_unlock(&v->lock);
}

size_t fsv_handles_of(struct fsv *v, unsigned kind, size_t *from)
{
	fsv_roots(v);
	size_t i = 0;
	while (i < v->nhandles && v->handles[i].kind < kind)
		i++;
	size_t k = i;
	while (k < v->nhandles && v->handles[k].kind == kind)
		k++;
	*from = i;
	return k - i;
}

size_t fsv_handle_count(struct fsv *v, unsigned kind)
{
	size_t from;
	return fsv_handles_of(v, kind, &from);
}

/* ---- modules ---- */

void fsv_modules(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (v->mods_done) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	v->mods_done = true;
	size_t n;
	const struct dump_module *m = dump_modules(v->d, &n);
	const struct dump_module **keep = calloc(n ? n : 1, sizeof *keep);
	char **names = calloc(n ? n : 1, sizeof *names);
	size_t k = 0;
	for (size_t i = 0; keep && names && i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(keep[j]->path, m[i].path) == 0;
		if (seen || !clr_is_managed(v->a, &m[i]))
			continue;
		char name[FSV_NAME_MAX + 1], tmp[FSV_NAME_MAX + 24];
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(keep[j]->name, m[i].name) == 0;
		if (dup)
			snprintf(tmp, sizeof tmp, "%s#%" PRIx64, m[i].name, m[i].base);
		else
			snprintf(tmp, sizeof tmp, "%s", m[i].name);
		fsv_escape_name(tmp, name);
		if (!(names[k] = strdup(name)))
			break;
		keep[k++] = &m[i];
	}
	v->mods = keep;
	v->modnames = names;
	v->nmods = keep && names ? k : 0;
	pthread_mutex_unlock(&v->lock);
}
