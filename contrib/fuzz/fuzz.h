/* fuzz.h - what every fuzz target in this folder shares. A target is one
 * .c file defining LLVMFuzzerTestOneInput (and, when it needs set-up,
 * LLVMFuzzerInitialize); it links either with libFuzzer (make fuzz) or with
 * replay.c, a plain main that runs it over a corpus (make check). */
#ifndef CLRHEAP_FUZZ_H
#define CLRHEAP_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs one input; always returns 0. Must not leak, crash or hang. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up (argc/argv as main got them); returns 0. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Results are summed here so the compiler cannot drop the reads behind
 * them. */
static volatile size_t fuzz_sink __attribute__((unused));

/* The fixture dump a target reads: $CLRHEAP_FUZZ_DUMP, else
 * $BUILD/dumps/<fallback> (BUILD defaults to build). */
static __attribute__((unused)) void fuzz_dump_path(const char *fallback, char *path, size_t size)
{
	const char *p = getenv("CLRHEAP_FUZZ_DUMP"), *b = getenv("BUILD");
	if (p && *p)
		snprintf(path, size, "%s", p);
	else
		snprintf(path, size, "%s/dumps/%s", b && *b ? b : "build", fallback);
}

/* Maps path private and writable (copy-on-write: the file never changes);
 * *len gets its size. Exits with a message naming target when it cannot. */
static __attribute__((unused)) uint8_t *fuzz_map_dump(const char *target, const char *path,
						       size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *m = MAP_FAILED;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		*len = (size_t)st.st_size;
		m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	}
	if (fd >= 0)
		close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "%s: %s: cannot map the dump\n", target, path);
		exit(1);
	}
	return m;
}

#endif
