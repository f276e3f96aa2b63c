/* main_threads.c - `clrheap threads DUMP [--json]`: the runtime's managed
 * threads (thr.h) as a table in the manner of SOS !threads. */
#include "main_threads.h"

#include <inttypes.h>
#include <stdio.h>

#include "jw.h"
#include "thr.h"

/* An address in the dump's pointer width, or "-" padded for 0. */
static void addr(char *buf, size_t size, uint64_t v, unsigned ps)
{
	if (v)
		snprintf(buf, size, "%0*" PRIx64, (int)(2 * ps), v);
	else
		snprintf(buf, size, "%-*s", (int)(2 * ps), "-");
}

static void table(const struct thr_list *l, unsigned ps)
{
	const struct clr_thread_store *s = thr_store(l);
	size_t n;
	const struct thr_thread *t = thr_threads(l, &n);
	if (s->counts)
		printf("ThreadCount:      %u\nUnstartedThread:  %u\nBackgroundThread: %u\n"
		       "PendingThread:    %u\nDeadThread:       %u\n",
		       s->count, s->unstarted, s->background, s->pending, s->dead);
	else
		printf("ThreadCount:      %zu (the ThreadStore's counts are unreadable)\n", n);
	int w = (int)(2 * ps);
	printf(" DBG    ID     OSID %-*s    State GC Mode     %-*s Lock %-*s %-*s %-*s Exception\n",
	       w, "ThreadOBJ", 2 * w + 1, "GC Alloc Context", 2 * w + 1, "Stack Base:Limit",
	       w, "Thread", 0, "");
	for (size_t i = 0; i < n; i++) {
		char dbg[16], th[24], obj[24], ex[24], ap[24], al[24], sb[24], sl[24], flags[160];
		if (t[i].dump_index >= 0)
			snprintf(dbg, sizeof dbg, "%ld", t[i].dump_index % 100000);
		else
			snprintf(dbg, sizeof dbg, "XXXX");
		addr(th, sizeof th, t[i].addr, ps);
		addr(obj, sizeof obj, t[i].object, ps);
		addr(ex, sizeof ex, t[i].exception, ps);
		snprintf(ap, sizeof ap, "%0*" PRIx64, w, t[i].alloc.ptr);
		snprintf(al, sizeof al, "%0*" PRIx64, w, t[i].alloc.limit);
		snprintf(sb, sizeof sb, "%0*" PRIx64, w, t[i].stack_base);
		snprintf(sl, sizeof sl, "%0*" PRIx64, w, t[i].stack_limit);
		char lock[16];
		if (t[i].have_lock_count)
			snprintf(lock, sizeof lock, "%u", t[i].lock_count);
		else
			snprintf(lock, sizeof lock, "-");
		printf("%4s %5u %8" PRIu64 " %s %8" PRIx32 " %-11s %s:%s %4s %s:%s %s %s",
		       dbg, t[i].managed_id, t[i].os_id, th, t[i].state,
		       t[i].cooperative ? "Cooperative" : "Preemptive", ap, al, lock, sb, sl, obj, ex);
		if (t[i].exception_type)
			printf(" %s", t[i].exception_type);
		thr_flags_str(t[i].flags, flags, sizeof flags);
		if (flags[0])
			printf(" (%s)", flags);
		if (t[i].name)
			printf(" \"%s\"", t[i].name);
		putchar('\n');
	}
}

int main_threads(struct clr *c, const char *dump_path, bool json, struct ch_err *err)
{
	struct thr_list *l;
	if (thr_open(c, &l, err) != CH_OK)
		return -1;
	if (json) {
		struct jw w;
		jw_init(&w);
		thr_list_json(l, &w);
		if (w.oom) {
			jw_free(&w);
			thr_close(l);
			ch_set_error(err, CH_ENOMEM, "out of memory writing JSON");
			return -1;
		}
		printf("%s\n", w.buf);
		jw_free(&w);
	} else {
		table(l, clr_ptr_size(c));
	}
	if (thr_warning(l))
		fprintf(stderr, "clrheap: warning: %s\n", thr_warning(l));
	(void)dump_path;
	thr_close(l);
	return 0;
}
