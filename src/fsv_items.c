/* fsv_items.c - objects/<addr>/.items/: a collection's logical items
 * (val_items.h), in the order its JSON shows them.
 *
 *   .items/<key>    a map with string keys: the value of that key (a value
 *                   file, a link, a directory); the key is escaped as a
 *                   type name is (fsv_escape_name)
 *   .items/<i>/     any other map: item i as a directory of its key and
 *                   value
 *   .items/<i>      a list or set: item i
 *
 * A pair directory's inode number says which collection (an id interned
 * per mount, as slot shapes are) and which item. A walk that stopped
 * (a full readdir buffer, a lookup by index) is kept, a few per mount, so
 * that a listing resumes where it stopped and reading items in order costs
 * O(1) each, also for linked collections; any other position is reached
 * by walking from the start. */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "val_items.h"

#define NCURSORS 8
#define MAX_COLLS 65535u  /* collections with pair directories, per mount */
#define PAIR_INDEX_BITS 32

/* A walk kept for later: its next item is item `next`; when pending, that
 * item was taken from the walk already (key, val). */
struct cursor {
	struct val_items *w;
	uint64_t next;
	bool pending;
	struct val_slot key, val;
};

struct fsv_itab {
	pthread_mutex_t lock;
	struct cursor cur[NCURSORS];
	unsigned victim;
	uint64_t *colls;          /* id - 1 -> collection */
	size_t ncolls, colls_cap;
	uint32_t *slot;           /* open addressing: id */
	size_t slot_cap;
};

static struct fsv_itab *itab(struct fsv *v)
{
	pthread_mutex_lock(&v->lock);
	if (!v->itab) {
		struct fsv_itab *t = calloc(1, sizeof *t);
		if (t) {
			pthread_mutex_init(&t->lock, NULL);
			v->itab = t;
		}
	}
	struct fsv_itab *t = v->itab;
	pthread_mutex_unlock(&v->lock);
	return t;
}

void fsvi_close(struct fsv *v)
{
	struct fsv_itab *t = v->itab;
	if (!t)
		return;
	for (unsigned i = 0; i < NCURSORS; i++)
		val_items_close(t->cur[i].w);
	free(t->colls);
	free(t->slot);
	pthread_mutex_destroy(&t->lock);
	free(t);
	v->itab = NULL;
}

/* ---- collection ids ---- */

static size_t coll_hash(uint64_t obj, size_t cap)
{
	return (size_t)(((obj >> 3) * 0x9e3779b97f4a7c15ULL) >> 24) & (cap - 1);
}

/* The id of obj (1..MAX_COLLS), interned on first use; 0 when the table is
 * full. */
static uint32_t coll_id(struct fsv *v, uint64_t obj)
{
	struct fsv_itab *t = itab(v);
	uint32_t id = 0;
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	if (!t->slot_cap) {
		t->slot = calloc(256, sizeof *t->slot);
		t->slot_cap = t->slot ? 256 : 0;
	}
	for (size_t k = t->slot_cap ? coll_hash(obj, t->slot_cap) : 0; t->slot_cap && t->slot[k];
	     k = (k + 1) & (t->slot_cap - 1))
		if (t->colls[t->slot[k] - 1] == obj) {
			id = t->slot[k];
			goto done;
		}
	if (!t->slot_cap || t->ncolls >= MAX_COLLS)
		goto done;
	if (t->ncolls == t->colls_cap) {
		size_t ncap = t->colls_cap ? 2 * t->colls_cap : 64;
		uint64_t *nc = realloc(t->colls, ncap * sizeof *nc);
		if (!nc)
			goto done;
		t->colls = nc;
		t->colls_cap = ncap;
	}
	if (2 * (t->ncolls + 1) > t->slot_cap) {
		size_t ncap = 2 * t->slot_cap;
		uint32_t *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			goto done;
		for (size_t i = 0; i < t->ncolls; i++) {
			size_t k = coll_hash(t->colls[i], ncap);
			while (ns[k])
				k = (k + 1) & (ncap - 1);
			ns[k] = (uint32_t)(i + 1);
		}
		free(t->slot);
		t->slot = ns;
		t->slot_cap = ncap;
	}
	t->colls[t->ncolls++] = obj;
	id = (uint32_t)t->ncolls;
	size_t k = coll_hash(obj, t->slot_cap);
	while (t->slot[k])
		k = (k + 1) & (t->slot_cap - 1);
	t->slot[k] = id;
done:
	pthread_mutex_unlock(&t->lock);
	return id;
}

static uint64_t coll_of(struct fsv *v, uint32_t id)
{
	struct fsv_itab *t = itab(v);
	uint64_t obj = 0;
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	if (id >= 1 && id <= t->ncolls)
		obj = t->colls[id - 1];
	pthread_mutex_unlock(&t->lock);
	return obj;
}

/* ---- walks, kept ---- */

/* A walk of obj whose next item is item i (c->pending: c->key/val is it):
 * the kept one nearest before i, else a new one. False when obj has no
 * items or no item i. */
static bool take(struct fsv *v, uint64_t obj, uint64_t i, struct cursor *c)
{
	struct fsv_itab *t = itab(v);
	memset(c, 0, sizeof *c);
	if (t) {
		pthread_mutex_lock(&t->lock);
		int best = -1;
		for (int k = 0; k < NCURSORS; k++) {
			struct cursor *e = &t->cur[k];
			if (e->w && val_items_obj(e->w) == obj && e->next <= i &&
			    (best < 0 || e->next > t->cur[best].next))
				best = k;
		}
		if (best >= 0) {
			*c = t->cur[best];
			memset(&t->cur[best], 0, sizeof t->cur[best]);
		}
		pthread_mutex_unlock(&t->lock);
	}
	if (!c->w && !(c->w = val_items_open(v->val, obj)))
		return false;
	if (c->pending && c->next < i) {
		c->pending = false;
		c->next++;
	}
	if (!c->pending && val_items_pos(c->w) != i) {
		if (!val_items_seek(c->w, i)) {
			val_items_close(c->w);
			c->w = NULL;
			return false;
		}
	}
	c->next = i;
	return true;
}

/* Keeps c for later (or frees it when it cannot be kept). */
static void keep(struct fsv *v, struct cursor *c)
{
	struct fsv_itab *t = itab(v);
	if (!t) {
		val_items_close(c->w);
		return;
	}
	pthread_mutex_lock(&t->lock);
	unsigned k = 0;
	while (k < NCURSORS && t->cur[k].w)
		k++;
	if (k == NCURSORS) {
		k = t->victim++ % NCURSORS;
		val_items_close(t->cur[k].w);
	}
	t->cur[k] = *c;
	pthread_mutex_unlock(&t->lock);
	c->w = NULL;
}

/* The item c's walk is at: 1 (in *key, *val; the walk moves on), 0 at the
 * end, -1 on damage. */
static int item(struct cursor *c, struct val_slot *key, struct val_slot *val)
{
	if (c->pending) {
		c->pending = false;
		*key = c->key;
		*val = c->val;
		return 1;
	}
	return val_items_next(c->w, key, val);
}

/* ---- names and nodes ---- */

/* The file name of a string key: its text, escaped. False when the key
 * cannot be read. */
static bool key_name(struct fsv *v, const struct val_slot *key, char *out)
{
	struct val_buf b = { 0 };
	bool ok = fsvv_text(v, key, &b) && b.len > 0 && b.p[b.len - 1] == '\n';
	if (ok) {
		b.p[--b.len] = '\0';
		fsv_escape_name(b.p, out);
	}
	val_buf_free(&b);
	return ok;
}

static mode_t slot_mode(struct fsv *v, const struct val_slot *s)
{
	enum val_kind k = fsvv_kind(v, s, NULL, NULL);
	return k == VAL_STRUCT ? S_IFDIR : k == VAL_OBJECT ? S_IFLNK : S_IFREG;
}

/* The node of item i of the collection whose walk is w. */
static uint64_t item_ino(struct fsv *v, const struct val_items *w, uint64_t i,
			 const struct val_slot *val, mode_t *mode)
{
	if (val_items_pairs(w) && !val_items_by_key(w)) {
		uint32_t id = coll_id(v, val_items_obj(w));
		*mode = S_IFDIR;
		return id && i < (UINT64_C(1) << PAIR_INDEX_BITS) ?
			fsv_ino(FK_PAIR, (uint64_t)id << PAIR_INDEX_BITS | i) : 0;
	}
	*mode = slot_mode(v, val);
	return fsv_slot_ino(v, val, FSV_UNDER_ITEMS, 3);
}

bool fsvi_has(struct fsv *v, uint64_t obj)
{
	struct val_items *w = val_items_open(v->val, obj);
	val_items_close(w);
	return w != NULL;
}

int fsvi_lookup(struct fsv *v, uint64_t obj, const char *name, uint64_t *ino)
{
	struct cursor c;
	struct val_slot key, val;
	mode_t mode;
	uint64_t i;
	int r;
	if (!take(v, obj, 0, &c))
		return -ENOENT;
	if (val_items_by_key(c.w)) {
		/* by key: the first item of that name */
		char kn[FSV_NAME_MAX + 1];
		while ((r = item(&c, &key, &val)) == 1)
			if (key_name(v, &key, kn) && strcmp(kn, name) == 0)
				break;
		val_items_close(c.w);
		if (r != 1)
			return -ENOENT;
		*ino = fsv_slot_ino(v, &val, FSV_UNDER_ITEMS, 3);
		return *ino ? 0 : -EOVERFLOW;
	}
	keep(v, &c);
	if (!fsv_parse_index(name, UINT64_MAX, &i) || !take(v, obj, i, &c))
		return -ENOENT;
	r = item(&c, &key, &val);
	if (r == 1) {
		*ino = item_ino(v, c.w, i, &val, &mode);
		c.next = i + 1;
		keep(v, &c);
		return *ino ? 0 : -EOVERFLOW;
	}
	val_items_close(c.w);
	return -ENOENT;
}

int fsvi_list(struct fsv *v, uint64_t obj, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	struct cursor c;
	struct val_slot key, val;
	char name[FSV_NAME_MAX + 1];
	if (!take(v, obj, pos, &c))
		return 0;
	bool by_key = val_items_by_key(c.w);
	for (uint64_t i = pos;; i++) {
		int r = item(&c, &key, &val);
		if (r != 1)
			break; /* the end, or damage: the listing ends there */
		mode_t mode;
		uint64_t ino = item_ino(v, c.w, i, &val, &mode);
		if (!ino) {
			val_items_close(c.w);
			return -EOVERFLOW;
		}
		if (!by_key)
			snprintf(name, sizeof name, "%" PRIu64, i);
		else if (!key_name(v, &key, name))
			continue; /* an unreadable key has no name */
		if (!fn(arg, name, ino, mode, i + 3)) {
			/* full: keep the walk, this item first */
			c.pending = true;
			c.key = key;
			c.val = val;
			c.next = i;
			keep(v, &c);
			return 0;
		}
	}
	val_items_close(c.w);
	return 0;
}

/* ---- pair directories ---- */

static bool pair_item(struct fsv *v, uint64_t pl, struct val_slot *key, struct val_slot *val)
{
	uint64_t obj = coll_of(v, (uint32_t)(pl >> PAIR_INDEX_BITS));
	uint64_t i = pl & ((UINT64_C(1) << PAIR_INDEX_BITS) - 1);
	struct cursor c;
	if (!obj || !take(v, obj, i, &c))
		return false;
	bool ok = val_items_pairs(c.w) && !val_items_by_key(c.w) && item(&c, key, val) == 1;
	if (ok) {
		c.next = i + 1;
		keep(v, &c);
	} else {
		val_items_close(c.w);
	}
	return ok;
}

bool fsvi_pair(struct fsv *v, uint64_t pl, uint64_t *obj)
{
	/* only this mount's listings make these numbers: the collection is
	 * checked here, the item when its key or value is looked up (so that
	 * readdirplus of a long list costs no walk per entry) */
	*obj = coll_of(v, (uint32_t)(pl >> PAIR_INDEX_BITS));
	return *obj != 0;
}

int fsvi_pair_lookup(struct fsv *v, uint64_t pl, const char *name, uint64_t *ino)
{
	struct val_slot key, val;
	bool is_key = strcmp(name, "key") == 0;
	if ((!is_key && strcmp(name, "value") != 0) || !pair_item(v, pl, &key, &val))
		return -ENOENT;
	*ino = fsv_slot_ino(v, is_key ? &key : &val, FSV_UNDER_ITEMS, 4);
	return *ino ? 0 : -EOVERFLOW;
}

int fsvi_pair_list(struct fsv *v, uint64_t pl, uint64_t pos, fsvi_fill_fn fn, void *arg)
{
	struct val_slot s[2];
	static const char *const names[2] = { "key", "value" };
	if (!pair_item(v, pl, &s[0], &s[1]))
		return 0;
	for (uint64_t i = pos; i < 2; i++) {
		uint64_t ino = fsv_slot_ino(v, &s[i], FSV_UNDER_ITEMS, 4);
		if (!ino)
			return -EOVERFLOW;
		if (!fn(arg, names[i], ino, slot_mode(v, &s[i]), i + 3))
			return 0;
	}
	return 0;
}
