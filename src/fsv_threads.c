/* fsv_threads.c - threads/: a folder per managed thread of the runtime's
 * ThreadStore (thr.h), named by its OS id, or `managed-<id>` for one that
 * has none (not started, or gone). In each: thread.json, the links
 * `thread` (its System.Threading.Thread) and `exception` (its last thrown
 * exception), and stack.tsv, every word of the stack range the graph
 * scans for roots (graph_stack_span) that holds the address of an
 * object, like SOS !dso. Node payloads are
 * the thread's index in the list, which never changes once read. */
#include "fsv_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name; enum fsv_kind kind; mode_t mode; } thr_ents[] = {
	{ "thread.json", FK_THR_JSON, S_IFREG }, { "thread", FK_THR_OBJECT, S_IFLNK },
	{ "exception", FK_THR_EXC, S_IFLNK }, { "stack.tsv", FK_THR_STACK, S_IFREG },
};
#define NTHR (sizeof thr_ents / sizeof thr_ents[0])

/* The thread list, read once; NULL when the runtime has none we can read. */
static const struct thr_thread *list(struct fsv *v, size_t *n)
{
	pthread_mutex_lock(&v->lock);
	if (!v->thr_done) {
		struct ch_err err = { 0 };
		v->thr_done = true;
		if (thr_open(v->c, &v->thr, &err) != CH_OK)
			v->thr = NULL;
	}
	pthread_mutex_unlock(&v->lock);
	*n = 0;
	return v->thr ? thr_threads(v->thr, n) : NULL;
}

static void thread_name(const struct thr_thread *t, char *buf, size_t size)
{
	if (t->os_id)
		snprintf(buf, size, "%" PRIu64, t->os_id);
	else
		snprintf(buf, size, "managed-%" PRIu32, t->managed_id);
}

/* Whether addr starts a live-or-dead object on the heap (not free space). */
static bool is_object(struct fsv *v, uint64_t addr, uint64_t *mt)
{
	uint64_t obj, size;
	return heap_object_at(v->h, addr, &obj, mt, &size) && obj == addr &&
	       *mt != clr_free_mt(v->c);
}

int fsvt_node(struct fsv *v, struct fsv_node *n)
{
	size_t nt;
	const struct thr_thread *t = list(v, &nt);
	uint64_t mt;
	if (!t || n->pl >= nt)
		return -ENOENT;
	t += n->pl;
	switch (n->kind) {
	case FK_THR: case FK_THR_JSON:
		return 0;
	case FK_THR_STACK:
		return t->dump_index >= 0 ? 0 : -ENOENT;
	case FK_THR_OBJECT: case FK_THR_EXC:
		n->target = n->kind == FK_THR_OBJECT ? t->object : t->exception;
		return n->target && is_object(v, n->target, &mt) ? 0 : -ENOENT;
	default:
		return -ENOENT;
	}
}

int fsvt_lookup(struct fsv *v, const struct fsv_node *dir, const char *name, uint64_t *ino)
{
	size_t nt;
	const struct thr_thread *t = list(v, &nt);
	char buf[64];
	if (dir->kind == FK_THREADS) {
		for (size_t i = 0; i < nt; i++) {
			thread_name(&t[i], buf, sizeof buf);
			if (strcmp(buf, name) == 0) {
				*ino = fsv_ino(FK_THR, i);
				return 0;
			}
		}
		return -ENOENT;
	}
	if (dir->kind != FK_THR)
		return -ENOTDIR;
	for (size_t i = 0; i < NTHR; i++)
		if (strcmp(thr_ents[i].name, name) == 0) {
			struct fsv_node n = { .kind = thr_ents[i].kind, .pl = dir->pl };
			if (fsvt_node(v, &n))
				return -ENOENT;
			*ino = fsv_ino(thr_ents[i].kind, dir->pl);
			return 0;
		}
	return -ENOENT;
}

int fsvt_list(struct fsv *v, const struct fsv_node *dir, uint64_t pos, fsvi_fill_fn fn,
	      void *arg)
{
	size_t nt;
	const struct thr_thread *t = list(v, &nt);
	char buf[64];
	if (dir->kind == FK_THREADS) {
		for (uint64_t i = pos; i < nt; i++) {
			thread_name(&t[i], buf, sizeof buf);
			if (!fn(arg, buf, fsv_ino(FK_THR, i), S_IFDIR, i + 3))
				return 0;
		}
		return 0;
	}
	if (dir->kind != FK_THR)
		return -ENOTDIR;
	for (uint64_t i = pos; i < NTHR; i++) {
		struct fsv_node n = { .kind = thr_ents[i].kind, .pl = dir->pl };
		if (!fsvt_node(v, &n) &&
		    !fn(arg, thr_ents[i].name, fsv_ino(thr_ents[i].kind, dir->pl), thr_ents[i].mode, i + 3))
			return 0;
	}
	return 0;
}

/* stack.tsv: the words from the thread's stack pointer to the end of the
 * memory the dump holds there, the range the graph scans for roots. */
static int render_stack(struct fsv *v, const struct thr_thread *t, struct val_buf *b)
{
	size_t nth;
	const struct dump_thread *th = dump_threads(v->d, &nth);
	if (t->dump_index < 0 || (size_t)t->dump_index >= nth)
		return -ENOENT;
	uint64_t sp;
	const uint8_t *p;
	size_t span = graph_stack_span(v->a, &th[t->dump_index], v->ps, &sp, &p);
	size_t nseg;
	const struct heap_seg *seg = heap_segments(v->h, &nseg);
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].start < lo)
			lo = seg[i].start;
		if (seg[i].end > hi)
			hi = seg[i].end;
	}
	fsv_buf_str(b, "slot\tobject\ttype\n");
	for (size_t at = 0; span >= v->ps && at <= span - v->ps; at += v->ps) {
		uint64_t w = 0, mt;
		memcpy(&w, p + at, v->ps);
		if (w < lo || w >= hi || !is_object(v, w, &mt))
			continue;
		const struct clr_type *ty = clr_type_of(v->c, mt, NULL);
		fsv_buf_printf(b, "0x%" PRIx64 "\t0x%" PRIx64 "\t%s\n", sp + at, w,
			       ty && ty->name ? ty->name : "?");
	}
	return 0;
}

int fsvt_render(struct fsv *v, const struct fsv_node *n, struct val_buf *b)
{
	size_t nt;
	const struct thr_thread *t = list(v, &nt);
	if (!t || n->pl >= nt)
		return -ENOENT;
	t += n->pl;
	if (n->kind == FK_THR_STACK)
		return render_stack(v, t, b);
	struct jw w;
	jw_init(&w);
	thr_thread_json(t, &w);
	if (!w.oom)
		fsv_buf_put(b, w.buf, w.len);
	fsv_buf_str(b, "\n");
	bool oom = w.oom;
	jw_free(&w);
	return oom ? -ENOMEM : 0;
}
