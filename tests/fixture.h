/* fixture.h - where unit tests find the real fixture dumps: $FIXTURE_DIR,
 * else $BUILD/dumps, else build/dumps (tests/run.sh decompresses them
 * there first). A missing fixture fails the test: it is never skipped. */
#ifndef CLRHEAP_TEST_FIXTURE_H
#define CLRHEAP_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

static inline void fixture_path(char *out, size_t n, const char *name)
{
	const char *dir = getenv("FIXTURE_DIR");
	const char *build = getenv("BUILD");
	if (dir && *dir)
		snprintf(out, n, "%s/%s", dir, name);
	else
		snprintf(out, n, "%s/dumps/%s", build && *build ? build : "build", name);
}

#endif
