/* main_mount.c - `mount.clrheap DUMP MOUNTPOINT [-o OPTIONS]`. The
 * filesystem itself is not built yet: this front end checks its arguments
 * and the dump, and says so. */
#include <stdio.h>
#include <string.h>

#include "as.h"
#include "dump.h"

int main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs("usage: mount.clrheap DUMP MOUNTPOINT [-o OPTIONS]\n", argc < 3 ? stderr : stdout);
		return argc < 3 ? 2 : 0;
	}
	struct ch_err err = { 0 };
	struct dump *d = NULL;
	if (dump_open(argv[1], &d, &err) != CH_OK) {
		fprintf(stderr, "mount.clrheap: %s\n", err.msg);
		return 1;
	}
	dump_close(d);
	fprintf(stderr, "mount.clrheap: the filesystem is not available in this build\n");
	return 1;
}
