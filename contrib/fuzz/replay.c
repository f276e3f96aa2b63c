/* replay.c - runs a fuzz target over files and folders of inputs without
 * libFuzzer, so `make check` (and `make asan check`) replays the committed
 * corpus with the normal compiler:
 *
 *   build/fuzz/replay_elf contrib/fuzz/corpus/elf [FILE|DIR]...
 *
 * Each input is read into a buffer of exactly its size (so a sanitizer
 * build catches a read one byte past it). Prints one line per argument
 * and exits non-zero when an argument cannot be read. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Runs the target on the file at path; false when it cannot be read. */
static bool run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return false;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		perror(path);
		fclose(f);
		return false;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	bool ok = buf && fread(buf, 1, n, f) == n;
	fclose(f);
	if (ok && getenv("CLRHEAP_FUZZ_VERBOSE"))
		printf("%s\n", path);
	if (ok)
		LLVMFuzzerTestOneInput(buf, n);
	else
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	return ok;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order; returns how many ran, or
 * -1 when dir or one of its files cannot be read. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **p = realloc(names, cap * sizeof *names);
			if (!p)
				abort();
			names = p;
		}
		size_t k = strlen(dir) + strlen(e->d_name) + 2;
		if (!(names[n] = malloc(k)))
			abort();
		snprintf(names[n++], k, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	long ran = 0;
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			ok &= run_file(names[i]);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	return ok ? ran : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			long n = run_dir(argv[i]);
			if (n < 0)
				rc = 1;
			else
				printf("%s: %ld inputs\n", argv[i], n);
		} else if (run_file(argv[i])) {
			printf("%s: 1 input\n", argv[i]);
		} else {
			rc = 1;
		}
	}
	return rc;
}
