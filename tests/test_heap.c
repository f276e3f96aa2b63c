/* test_heap.c - the heap walker on real dumps, and on copies of them with
 * bytes overwritten: a garbage MethodTable, a looping segment list, an
 * array length running past its segment, a zeroed object. Each damage
 * ends one segment's walk with a warning; nothing crashes or hangs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clr_fixture.h"

struct count {
	uint64_t n, bytes, last, target_mt, target_n, first_in_seg;
	bool ordered;
};

static bool count_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	struct count *c = arg;
	c->ordered &= obj > c->last || c->n == 0 || obj < c->first_in_seg;
	c->last = obj;
	c->n++;
	c->bytes += size;
	if (mt == c->target_mt)
		c->target_n++;
	return true;
}

static void test_walk_matches_stat(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	const struct heap_stat_row *rows;
	size_t n;
	assert_int_equal(heap_stat(f.h, &rows, &n, &f.err), CH_OK);
	uint64_t objs = 0, bytes = 0;
	for (size_t i = 0; i < n; i++) {
		objs += rows[i].count;
		bytes += rows[i].bytes;
		if (i)
			assert_true(rows[i - 1].bytes <= rows[i].bytes);
	}
	struct count c = { .ordered = true };
	c.target_mt = fx_mt(&f, "Bugfree.Spo.Analytics.Cli.Domain+Visit");
	assert_int_equal(heap_walk(f.h, count_cb, &c), CH_OK);
	assert_int_equal(c.n, objs);
	assert_int_equal(c.bytes, bytes);
	assert_int_equal(c.target_n, 2000);
	assert_int_equal(heap_warning_count(f.h), 0);
	fx_close(&f);
}

/* What heap_set_progress's hook was told; the stat walk tells it from
 * several threads. */
struct told {
	pthread_mutex_t lock;
	unsigned calls, dones;
	uint64_t objs, total_objs, bytes, total_bytes;
	bool backwards, over;
};

static void told_cb(void *arg, bool done, uint64_t objs, uint64_t total_objs, uint64_t bytes,
		    uint64_t total_bytes)
{
	struct told *t = arg;
	pthread_mutex_lock(&t->lock);
	t->calls++;
	t->over |= bytes > total_bytes;
	if (done) {
		t->dones++;
		t->objs = objs;
		t->total_objs = total_objs;
	} else {
		t->backwards |= bytes < t->bytes;
	}
	t->bytes = bytes;
	t->total_bytes = total_bytes;
	pthread_mutex_unlock(&t->lock);
}

/* Each whole-heap walk ends with one done call counting every object and
 * every segment byte; a walk's bytes never go back; stat's count is the
 * total of the walks after it. */
static void test_progress(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	size_t ns;
	const struct heap_seg *segs = heap_segments(f.h, &ns);
	uint64_t seg_bytes = 0;
	for (size_t i = 0; i < ns; i++)
		seg_bytes += segs[i].end - segs[i].start;
	struct told t = { .lock = PTHREAD_MUTEX_INITIALIZER };
	heap_set_progress(f.h, told_cb, &t);
	const struct heap_stat_row *rows;
	size_t n;
	assert_int_equal(heap_stat(f.h, &rows, &n, &f.err), CH_OK);
	uint64_t objs = 0;
	for (size_t i = 0; i < n; i++)
		objs += rows[i].count;
	assert_int_equal(t.dones, 1);
	assert_int_equal(t.objs, objs);
	assert_int_equal(t.total_objs, 0);
	assert_int_equal(t.bytes, seg_bytes);
	assert_int_equal(t.total_bytes, seg_bytes);
	assert_false(t.over);
	t = (struct told){ .lock = PTHREAD_MUTEX_INITIALIZER };
	struct count c = { .ordered = true };
	assert_int_equal(heap_walk(f.h, count_cb, &c), CH_OK);
	assert_int_equal(t.dones, 1);
	assert_true(t.calls > 1);
	assert_int_equal(t.objs, c.n);
	assert_int_equal(t.total_objs, objs);
	assert_int_equal(t.bytes, seg_bytes);
	assert_false(t.backwards);
	assert_false(t.over);
	/* a walk of one segment is no whole-heap walk */
	t = (struct told){ .lock = PTHREAD_MUTEX_INITIALIZER };
	assert_int_equal(heap_walk_segment(f.h, 0, count_cb, &c), CH_OK);
	assert_int_equal(t.calls, 0);
	fx_close(&f);
}

/* Copies build/dumps/NAME to a temporary file; returns its path. */
static void copy_fixture(const char *name, char *out, size_t n)
{
	char src[4096];
	fixture_path(src, sizeof src, name);
	snprintf(out, n, "/tmp/clrheap-test-XXXXXX");
	int to = mkstemp(out);
	int from = open(src, O_RDONLY);
	assert_true(to >= 0 && from >= 0);
	struct stat st;
	assert_int_equal(fstat(from, &st), 0);
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t k = copy_file_range(from, NULL, to, NULL, (size_t)left, 0);
		assert_true(k > 0);
		left -= k;
	}
	close(from);
	close(to);
}

/* Writes n bytes at virtual address va of the dump copy at path. */
static void patch(struct dump *d, const char *path, uint64_t va, const void *b, size_t n)
{
	size_t nr;
	const struct dump_range *r = dump_ranges(d, &nr);
	for (size_t i = 0; i < nr; i++) {
		if (va >= r[i].va && va - r[i].va + n <= r[i].size) {
			int fd = open(path, O_WRONLY);
			assert_true(fd >= 0);
			assert_int_equal(pwrite(fd, b, n, (off_t)(r[i].file_off + (va - r[i].va))),
					 (ssize_t)n);
			close(fd);
			return;
		}
	}
	fail_msg("0x%llx is not in the dump", (unsigned long long)va);
}

struct pick {
	uint64_t mt, obj, skip;
	uint64_t before; /* objects walked before obj */
	uint64_t n;
};

static bool pick_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct pick *p = arg;
	if (!p->obj && mt == p->mt && p->skip-- == 0) {
		p->obj = obj;
		p->before = p->n;
	}
	p->n++;
	return true;
}

/* Finds the skip-th object of type name in the original dump. */
static struct pick find_obj(const char *dump, const char *name, uint64_t skip)
{
	struct fx f;
	fx_open(&f, dump);
	struct pick p = { .mt = fx_mt(&f, name), .skip = skip };
	assert_true(p.mt != 0);
	heap_walk(f.h, pick_cb, &p);
	assert_true(p.obj != 0);
	fx_close(&f);
	return p;
}

static bool has_warning(struct heap *h, const char *what)
{
	for (size_t i = 0; i < heap_warning_count(h); i++)
		if (strstr(heap_warning(h, i), what))
			return true;
	return false;
}

static void damage_and_walk(const char *dump, const char *type, uint64_t skip,
			    uint64_t at, const void *bytes, size_t n,
			    const char *warning)
{
	struct pick p = find_obj(dump, type, skip);
	char path[64];
	copy_fixture(dump, path, sizeof path);
	struct fx f;
	fx_open(&f, path);
	patch(f.d, path, p.obj + at, bytes, n);
	fx_close(&f);
	fx_open(&f, path);
	struct count c = { .ordered = true };
	assert_int_equal(heap_walk(f.h, count_cb, &c), CH_OK);
	if (!has_warning(f.h, warning))
		fail_msg("no warning '%s' (%zu warnings)", warning, heap_warning_count(f.h));
	/* Everything before the damage is still shown. */
	assert_true(c.n >= p.before);
	assert_true(c.n < p.n);
	fx_close(&f);
	unlink(path);
}

static void test_garbage_mt(void **state)
{
	(void)state;
	const uint64_t garbage = 0x00005555deadbee8ull;
	damage_and_walk("visits.heap.dmp", "Bugfree.Spo.Analytics.Cli.Domain+Visit", 1000,
			0, &garbage, 8, "invalid MethodTable");
}

static void test_array_length_past_segment(void **state)
{
	(void)state;
	const uint32_t huge = 0x7fffffff;
	damage_and_walk("visits.heap.dmp", "System.String", 500, 8, &huge, 4,
			"runs past the end");
}

static void test_zeroed_object(void **state)
{
	(void)state;
	/* A zeroed MT is skipped as allocation slack; the next word is the
	 * object's own field, not a MethodTable, so the segment ends there. */
	uint8_t zero[16] = { 0 };
	damage_and_walk("visits.heap.dmp", "Bugfree.Spo.Analytics.Cli.Domain+Visit", 10,
			0, zero, 8, "zeroed memory");
}

/* A MethodTable word holding only tag bits (found by fuzzing: the walk
 * took it for zeroed memory, skipped no bytes and looped forever). */
static void test_tag_bits_only(void **state)
{
	(void)state;
	const uint64_t one = 1;
	alarm(60);
	damage_and_walk("visits.heap.dmp", "Bugfree.Spo.Analytics.Cli.Domain+Visit", 10,
			0, &one, 8, "zeroed memory");
	alarm(0);
}

static void test_segment_loop(void **state)
{
	(void)state;
	char path[64];
	copy_fixture("zoo.heap.dmp", path, sizeof path);
	struct fx f;
	fx_open(&f, path);
	size_t nseg;
	const struct heap_seg *s = heap_segments(f.h, &nseg);
	uint64_t seg = s[0].addr;
	size_t before = nseg;
	patch(f.d, path, seg + 6 * 8, &seg, 8); /* next -> itself */
	fx_close(&f);
	fx_open(&f, path);
	heap_segments(f.h, &nseg);
	assert_true(nseg <= before);
	assert_true(has_warning(f.h, "loops"));
	struct count c = { .ordered = true };
	assert_int_equal(heap_walk(f.h, count_cb, &c), CH_OK);
	fx_close(&f);
	unlink(path);
}

/* A segment with bad bounds is skipped, but the list through it must end
 * too: here it points back to itself (found by fuzzing: the walk used to
 * loop forever). */
static void test_segment_loop_bad_bounds(void **state)
{
	(void)state;
	char path[64];
	copy_fixture("visits.heap.dmp", path, sizeof path);
	struct fx f;
	fx_open(&f, path);
	size_t nseg;
	const struct heap_seg *s = heap_segments(f.h, &nseg);
	uint64_t seg = s[0].addr, low = 0x1000;
	patch(f.d, path, seg + 4 * 8, &low, 8); /* mem: bounds [0x1000, end) */
	patch(f.d, path, seg + 6 * 8, &seg, 8); /* next -> itself */
	fx_close(&f);
	alarm(60);
	fx_open(&f, path);
	alarm(0);
	assert_true(has_warning(f.h, "has bounds"));
	assert_true(has_warning(f.h, "loops"));
	heap_segments(f.h, &nseg);
	for (size_t i = 0; i < nseg; i++)
		assert_int_not_equal(heap_segments(f.h, &nseg)[i].addr, seg);
	fx_close(&f);
	unlink(path);
}

static bool collect_cb(void *arg, uint64_t obj, uint64_t mt, uint64_t size)
{
	(void)size;
	struct pick *p = arg;
	if (mt == p->mt) {
		if (p->n == 0)
			p->obj = obj;
		p->n++;
		p->before = obj; /* the last one */
	}
	return true;
}

static void test_instance_index(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, "visits.heap.dmp");
	uint64_t mt = fx_mt(&f, "Bugfree.Spo.Analytics.Cli.Domain+Visit");
	const uint64_t *a;
	size_t n;
	assert_int_equal(heap_instances(f.h, mt, &a, &n, &f.err), CH_OK);
	assert_int_equal(n, 2000);
	struct pick p = { .mt = mt };
	heap_walk(f.h, collect_cb, &p);
	assert_int_equal(a[0], p.obj);
	assert_int_equal(a[n - 1], p.before);
	for (size_t i = 1; i < n; i++)
		assert_true(a[i - 1] < a[i]);
	/* Every type's list has its stat count; unknown MTs have none. */
	const struct heap_stat_row *rows;
	size_t nr;
	heap_stat(f.h, &rows, &nr, &f.err);
	for (size_t i = 0; i < nr; i++) {
		assert_int_equal(heap_instances(f.h, rows[i].mt, &a, &n, &f.err), CH_OK);
		assert_int_equal(n, rows[i].count);
	}
	assert_int_equal(heap_instances(f.h, 0x1234, &a, &n, &f.err), CH_OK);
	assert_int_equal(n, 0);
	/* Every byte of a Visit resolves to it; the byte after it does not. */
	assert_int_equal(heap_instances(f.h, mt, &a, &n, &f.err), CH_OK);
	const struct clr_type *t = clr_type_of(f.c, mt, &f.err);
	for (size_t i = 0; i < n; i += 97) {
		for (uint64_t off = 0; off < t->base_size; off += 7) {
			uint64_t obj, omt, size;
			assert_true(heap_object_at(f.h, a[i] + off, &obj, &omt, &size));
			assert_int_equal(obj, a[i]);
			assert_int_equal(omt, mt);
			assert_int_equal(size, t->base_size);
		}
		uint64_t obj, omt, size;
		if (heap_object_at(f.h, a[i] + t->base_size, &obj, &omt, &size))
			assert_int_equal(obj, a[i] + t->base_size);
	}
	uint64_t o2, m2, s2;
	assert_false(heap_object_at(f.h, 0x10, &o2, &m2, &s2));
	assert_false(heap_object_at(f.h, UINT64_MAX - 8, &o2, &m2, &s2));
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_matches_stat),
		cmocka_unit_test(test_instance_index),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_garbage_mt),
		cmocka_unit_test(test_array_length_past_segment),
		cmocka_unit_test(test_zeroed_object),
		cmocka_unit_test(test_tag_bits_only),
		cmocka_unit_test(test_segment_loop),
		cmocka_unit_test(test_segment_loop_bad_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
