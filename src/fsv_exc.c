/* fsv_exc.c - exceptions/: <addr>.txt for every exception object on the
 * heap (its !pe text, exc.h) and by-type.tsv (how many of each type), from
 * the list exc_open finds once, on first use. */
#include "fsv_priv.h"

#include <errno.h>
#include <string.h>

#include "exc.h"

static struct exc_list *excs(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->exc_done) {
		struct ch_err err = { 0 };
		double t0 = fsv_now();
		v->exc_done = true;
		if (exc_open(v->h, &v->exc, &err) != CH_OK)
			v->exc = NULL;
		fsv_log_slow(v, t0, "exceptions/: the exception objects found");
	}
	pthread_mutex_unlock(&v->lock);
	return v->exc;
}

bool fsve_is_exception(struct fsv *v, const struct clr_type *t)
{
	return clr_type_derives(v->c, t, "System.Exception");
}

void fsve_close(struct fsv *v)
{
	exc_close(v->exc);
}

int fsve_node(struct fsv *v, struct fsv_node *n)
{
	struct exc_list *l = excs(v);
	return l && exc_find(l, n->pl) ? 0 : -ENOENT;
}

int fsve_lookup(struct fsv *v, const char *name, uint64_t *ino)
{
	if (strcmp(name, "by-type.tsv") == 0) {
		*ino = fsv_ino(0, FK_EXC_BY_TYPE);
		return 0;
	}
	/* <addr>.txt, the address as exceptions/ lists it */
	size_t len = strlen(name);
	char hex[24];
	uint64_t addr;
	bool canonical;
	if (len < 5 || len - 4 >= sizeof hex || strcmp(name + len - 4, ".txt") != 0)
		return -ENOENT;
	memcpy(hex, name, len - 4);
	hex[len - 4] = '\0';
	struct exc_list *l = excs(v);
	if (!l || !fsv_parse_addr(hex, v->hexw, &addr, &canonical) || !canonical ||
	    !exc_find(l, addr))
		return -ENOENT;
	*ino = fsv_ino(FK_EXC_TXT, addr);
	return 0;
}

int fsve_list(struct fsv *v, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	struct exc_list *l = excs(v);
	size_t n = 0;
	const struct exc_exception *e = l ? exc_all(l, &n) : NULL;
	if (pos == 0 && !fn(arg, "by-type.tsv", fsv_ino(0, FK_EXC_BY_TYPE), S_IFREG, 3))
		return 0;
	for (uint64_t i = pos ? pos - 1 : 0; i < n; i++) { /* entry i + 1 */
		char name[32];
		size_t k = fsv_fmt_addr(v, e[i].addr, name);
		memcpy(name + k, ".txt", 5);
		if (!fn(arg, name, fsv_ino(FK_EXC_TXT, e[i].addr), S_IFREG, i + 4))
			return 0;
	}
	return 0;
}

static void to_buf(void *arg, const char *p, size_t n)
{
	fsv_buf_put(arg, p, n);
}

int fsve_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	struct exc_list *l = excs(v);
	if (!l)
		return -EIO;
	if (n->kind == FK_EXC_BY_TYPE) {
		exc_by_type_tsv(l, to_buf, b);
		return 0;
	}
	const struct exc_exception *e = exc_find(l, n->pl);
	if (!e)
		return -ENOENT;
	exc_text(l, e, to_buf, b);
	return 0;
}
