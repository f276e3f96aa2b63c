/* main_mount.c - `mount.clrheap DUMP MOUNTPOINT [-o OPTIONS]`: mounts the
 * managed heap of a .NET dump read-only with libfuse3.
 *
 * Called as mount(8) calls a helper (`mount -t clrheap DUMP DIR` and
 * fstab lines run /sbin/mount.clrheap SPEC DIR [-sfnv] [-o OPTIONS]), or by
 * hand. The dump is opened and checked before anything is mounted, so a
 * dump that cannot be read is reported with a non-zero exit; the process
 * goes to the background only once the mount is in place. With -o
 * baseline=A.dmp a second dump is opened the same way, and the mount shows
 * what each type gained or lost from it (diff.tsv, types/<T>/diff.json). */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fsv.h"
#include "heap.h"
#include "val.h"
#include "version.h"

#define MAX_SEARCH 16

struct mnt {
	const char *spec, *dir;
	char dump_path[PATH_MAX];
	bool foreground, debug;
	char *search[MAX_SEARCH];
	int nsearch;
	struct fsv_opts fo;
	struct fuse_args args;  /* what goes to libfuse */
	char *fuse_opts;        /* -o list for libfuse, comma-separated */
	struct dump *d;
	struct as *a;
	struct clr *c;
	struct heap *h;
	struct fsv *v;
	/* -o baseline=: the earlier dump, opened as the first one is */
	char *base_spec;
	char base_path[PATH_MAX];
	struct dump *bd;
	struct as *ba;
	struct clr *bc;
	struct heap *bh;
	struct fuse_session *se;
	struct ch_err err;
};

static void usage(FILE *f)
{
	fputs("usage: mount.clrheap DUMP MOUNTPOINT [-f] [-d] [-o OPTIONS]\n"
	      "Mounts the managed heap of a .NET process dump read-only.\n"
	      "  -f                 stay in the foreground\n"
	      "  -d                 debug: print every request (implies -f)\n"
	      "  -o ro              always (the filesystem is read-only)\n"
	      "  -o depth=N         references inlined in JSON (default 3, at most 64)\n"
	      "  -o max_items=N     elements of one collection shown in JSON (default 1048576)\n"
	      "  -o max_string=N    characters of one string shown in JSON (default 1048576)\n"
	      "  -o search=DIR      folder searched for module files the dump lacks\n"
	      "  -o baseline=FILE   an earlier dump: adds diff.tsv and types/<T>/diff.json,\n"
	      "                     what each type gained or lost from FILE to DUMP\n"
	      "  -o cache=MB        memory for rendered files (default 64)\n"
	      "  -o allow_other     let other users read the mount\n"
	      "  other -o options go to libfuse (see mount.fuse3(8))\n"
	      "Unmount with: fusermount3 -u MOUNTPOINT (or umount MOUNTPOINT)\n"
	      "Exit status: 0 mounted (with -f: unmounted cleanly), 1 bad input (a dump\n"
	      "that cannot be read) or a failed mount, 2 usage.\n"
	      "Without FUSE the same tree: clrheap ls|cat|readlink|find|tar DUMP PATH\n", f);
}

static bool add_fuse_opt(struct mnt *m, const char *o, size_t len)
{
	size_t old = m->fuse_opts ? strlen(m->fuse_opts) : 0;
	char *n = realloc(m->fuse_opts, old + len + 2);
	if (!n)
		return false;
	if (old)
		n[old++] = ',';
	memcpy(n + old, o, len);
	n[old + len] = '\0';
	m->fuse_opts = n;
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || v > max)
		return false;
	*out = v;
	return true;
}

/* One -o list: ours are taken, mount(8)'s own are dropped (rw too: mount
 * passes it by default, and the mount is read-only whatever is asked), the
 * rest goes to libfuse. */
static bool parse_opts(struct mnt *m, const char *list)
{
	static const char *const dropped[] = {
		"ro", "rw", "defaults", "auto", "noauto", "user", "users", "nouser",
		"owner", "group", "nofail", "_netdev",
	};
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char o[PATH_MAX + 16];
		if (len >= sizeof o) {
			fprintf(stderr, "mount.clrheap: option too long: %.40s...\n", p);
			return false;
		}
		memcpy(o, p, len);
		o[len] = '\0';
		p += len + (e != NULL);
		bool drop = len == 0 || strncmp(o, "x-", 2) == 0 || strncmp(o, "comment=", 8) == 0;
		for (size_t i = 0; i < sizeof dropped / sizeof dropped[0] && !drop; i++)
			drop = strcmp(o, dropped[i]) == 0;
		unsigned long n;
		if (drop) {
			continue;
		} else if (strncmp(o, "depth=", 6) == 0) {
			if (!parse_uint(o + 6, VAL_MAX_DEPTH, &n)) {
				fprintf(stderr, "mount.clrheap: depth=%s: a number from 0 to %d\n", o + 6, VAL_MAX_DEPTH);
				return false;
			}
			m->fo.depth = (unsigned)n;
		} else if (strncmp(o, "max_items=", 10) == 0) {
			if (!parse_uint(o + 10, VAL_MAX_SHOWN_ITEMS, &n) || n == 0) {
				fprintf(stderr, "mount.clrheap: max_items=%s: a number from 1 to %u\n",
					o + 10, VAL_MAX_SHOWN_ITEMS);
				return false;
			}
			m->fo.max_items = n;
		} else if (strncmp(o, "max_string=", 11) == 0) {
			if (!parse_uint(o + 11, VAL_MAX_STRING, &n) || n == 0) {
				fprintf(stderr, "mount.clrheap: max_string=%s: a number from 1 to %u\n",
					o + 11, VAL_MAX_STRING);
				return false;
			}
			m->fo.max_string = (uint32_t)n;
		} else if (strncmp(o, "cache=", 6) == 0) {
			if (!parse_uint(o + 6, 1u << 20, &n) || n == 0) {
				fprintf(stderr, "mount.clrheap: cache=%s: megabytes, 1 or more\n", o + 6);
				return false;
			}
			m->fo.cache_bytes = (size_t)n << 20;
		} else if (strncmp(o, "search=", 7) == 0) {
			char real[PATH_MAX];
			if (m->nsearch == MAX_SEARCH) {
				fprintf(stderr, "mount.clrheap: more than %d search folders\n", MAX_SEARCH);
				return false;
			}
			if (!realpath(o + 7, real)) {
				fprintf(stderr, "mount.clrheap: search=%s: %s\n", o + 7, strerror(errno));
				return false;
			}
			if (!(m->search[m->nsearch++] = strdup(real)))
				return false;
		} else if (strncmp(o, "baseline=", 9) == 0) {
			if (!o[9]) {
				fprintf(stderr, "mount.clrheap: baseline=: which dump?\n");
				return false;
			}
			free(m->base_spec);
			if (!(m->base_spec = strdup(o + 9)))
				return false;
		} else if (strncmp(o, "max_read=", 9) == 0) {
			/* libfuse's, but init must ask for the same (fsv_fuse.c) */
			if (!parse_uint(o + 9, UINT32_MAX, &n)) {
				fprintf(stderr, "mount.clrheap: max_read=%s: a number of bytes\n", o + 9);
				return false;
			}
			m->fo.max_read = (unsigned)n;
			if (!add_fuse_opt(m, o, len))
				return false;
		} else if (!add_fuse_opt(m, o, len)) {
			return false;
		}
	}
	return true;
}

/* Parses argv; false (after a message) on a bad command line. */
static bool parse_args(struct mnt *m, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-o") == 0 && i + 1 < argc) {
			if (!parse_opts(m, argv[++i]))
				return false;
		} else if (strncmp(s, "-o", 2) == 0 && s[2]) {
			if (!parse_opts(m, s + 2))
				return false;
		} else if (strcmp(s, "-f") == 0) {
			m->foreground = true;
		} else if (strcmp(s, "-d") == 0) {
			m->debug = m->foreground = true;
		} else if (strcmp(s, "-s") == 0 || strcmp(s, "-n") == 0 || strcmp(s, "-v") == 0) {
			/* mount(8): sloppy, no mtab, verbose */
		} else if (strcmp(s, "-t") == 0 && i + 1 < argc) {
			i++; /* mount(8) names the type: it is ours */
		} else if (s[0] == '-' && s[1]) {
			fprintf(stderr, "mount.clrheap: unknown option %s\n", s);
			return false;
		} else if (!m->spec) {
			m->spec = s;
		} else if (!m->dir) {
			m->dir = s;
		} else {
			fprintf(stderr, "mount.clrheap: unexpected argument %s\n", s);
			return false;
		}
	}
	if (!m->spec || !m->dir) {
		fprintf(stderr, "mount.clrheap: need DUMP and MOUNTPOINT\n");
		return false;
	}
	return true;
}

/* Builds that took a second or more: on stderr in the foreground (-f,
 * -d), else to syslog, where a daemon's messages go. */
static void log_line(void *arg, const char *line)
{
	const struct mnt *m = arg;
	if (m->foreground)
		fprintf(stderr, "mount.clrheap: %s\n", line);
	else
		syslog(LOG_INFO, "%s", line);
}

/* Opens the dump at spec (its full path into path) down to the heap,
 * with the search folders; every failure is one line in m->err. */
static enum ch_status open_heap(struct mnt *m, const char *spec, char *path, struct dump **d,
				struct as **a, struct clr **c, struct heap **h)
{
	if (!realpath(spec, path))
		return ch_set_error(&m->err, CH_EIO, "%s: %s", spec, strerror(errno));
	enum ch_status st = dump_open(path, d, &m->err);
	if (st == CH_OK)
		st = as_open(*d, a, &m->err);
	for (int i = 0; st == CH_OK && i < m->nsearch; i++)
		if ((st = as_add_search_dir(*a, m->search[i])) != CH_OK)
			ch_set_error(&m->err, st, "out of memory");
	if (st == CH_OK)
		st = clr_open(*a, c, &m->err);
	if (st == CH_OK)
		st = heap_open(*c, h, &m->err);
	return st;
}

/* Opens the dump, and the baseline when one is given, then the view;
 * every failure is one line in m->err (a baseline's names its file). */
static enum ch_status open_dump(struct mnt *m)
{
	enum ch_status st = open_heap(m, m->spec, m->dump_path, &m->d, &m->a, &m->c, &m->h);
	if (st == CH_OK && m->base_spec) {
		st = open_heap(m, m->base_spec, m->base_path, &m->bd, &m->ba, &m->bc, &m->bh);
		if (st != CH_OK) {
			bool named = strstr(m->err.msg, m->base_spec) ||
				     (m->base_path[0] && strstr(m->err.msg, m->base_path));
			char msg[sizeof m->err.msg];
			snprintf(msg, sizeof msg, "%s", m->err.msg);
			ch_set_error(&m->err, st, "baseline%s%s: %s", named ? "" : " ",
				     named ? "" : m->base_spec, msg);
		}
		m->fo.baseline = m->bh;
	}
	if (st == CH_OK) {
		struct stat sb;
		if (stat(m->dump_path, &sb) == 0)
			m->fo.mtime = sb.st_mtime;
		m->fo.uid = getuid();
		m->fo.gid = getgid();
		m->fo.dump_path = m->dump_path;
		m->fo.log = log_line;
		m->fo.log_arg = m;
		st = fsv_open(m->h, &m->fo, &m->v, &m->err);
	}
	return st;
}

/* fsname= with the option separators of the path escaped. */
static bool add_fsname(struct mnt *m)
{
	char o[2 * PATH_MAX + 16];
	size_t k = (size_t)snprintf(o, sizeof o, "fsname=");
	for (const char *p = m->dump_path; *p && k + 3 < sizeof o; p++) {
		if (*p == ',' || *p == '\\')
			o[k++] = '\\';
		o[k++] = *p;
	}
	o[k] = '\0';
	return add_fuse_opt(m, o, k);
}

static int run(struct mnt *m)
{
	if (!add_fuse_opt(m, "ro,default_permissions,subtype=clrheap", 38) || !add_fsname(m) ||
	    fuse_opt_add_arg(&m->args, "mount.clrheap") ||
	    (m->debug && fuse_opt_add_arg(&m->args, "-d")) ||
	    fuse_opt_add_arg(&m->args, "-o") || fuse_opt_add_arg(&m->args, m->fuse_opts)) {
		fprintf(stderr, "mount.clrheap: out of memory\n");
		return 1;
	}
	const struct fuse_lowlevel_ops *ops = fsv_fuse_ops();
	m->se = fuse_session_new(&m->args, ops, sizeof *ops, m->v);
	if (!m->se)
		return 1; /* libfuse said why */
	if (fuse_set_signal_handlers(m->se) != 0)
		return 1;
	if (fuse_session_mount(m->se, m->dir) != 0) {
		fuse_remove_signal_handlers(m->se);
		return 1;
	}
	/* mounted: only now leave the terminal */
	int rc = 1;
	if (fuse_daemonize(m->foreground) == 0) {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();
		if (cfg) {
			fuse_loop_cfg_set_clone_fd(cfg, 0);
			fuse_loop_cfg_set_idle_threads(cfg, 8);
			rc = fuse_session_loop_mt(m->se, cfg) < 0;
			fuse_loop_cfg_destroy(cfg);
		}
	}
	fuse_session_unmount(m->se);
	fuse_remove_signal_handlers(m->se);
	return rc;
}

int main(int argc, char **argv)
{
	struct mnt m;
	memset(&m, 0, sizeof m);
	fsv_opts_init(&m.fo);
	m.args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("mount.clrheap %s\n", CLRHEAP_VERSION);
		return 0;
	}
	if (!parse_args(&m, argc, argv)) {
		usage(stderr);
		for (int i = 0; i < m.nsearch; i++)
			free(m.search[i]);
		free(m.fuse_opts);
		free(m.base_spec);
		return 2;
	}
	int rc;
	if (open_dump(&m) != CH_OK) {
		fprintf(stderr, "mount.clrheap: %s\n", m.err.msg[0] ? m.err.msg : ch_status_str(m.err.status));
		rc = 1;
	} else {
		rc = run(&m);
	}
	if (m.se)
		fuse_session_destroy(m.se);
	fsv_close(m.v);
	heap_close(m.bh);
	clr_close(m.bc);
	as_close(m.ba);
	dump_close(m.bd);
	free(m.base_spec);
	heap_close(m.h);
	clr_close(m.c);
	as_close(m.a);
	dump_close(m.d);
	fuse_opt_free_args(&m.args);
	free(m.fuse_opts);
	for (int i = 0; i < m.nsearch; i++)
		free(m.search[i]);
	return rc;
}
