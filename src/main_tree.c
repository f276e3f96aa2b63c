/* main_tree.c - the mount's tree without FUSE:
 *
 *   clrheap ls DUMP [PATH...] [-l] [-U] [-d]
 *   clrheap cat DUMP PATH...
 *   clrheap readlink DUMP PATH...
 *   clrheap find DUMP [PATH...] [-name GLOB] [-type f|d|l] [-mindepth N] [-maxdepth N] [-print0]
 *   clrheap tar DUMP [PATH...] > out.tar
 *
 * Same view code (fsv_) as mount.clrheap, so the same bytes: paths are
 * resolved as the kernel resolves them on the mount (fsv_resolve), the
 * options that shape the tree are the mount's (-o depth=N,search=DIR, or
 * --depth N --search DIR as the other commands take them). find and tar
 * never follow symlinks (like find without -L): the tree has cycles
 * through them. Directories are walked with an explicit stack, read a
 * chunk at a time, so neither depth nor a million entries costs more than
 * a few kilobytes per level. */
#include "main_tree_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "as.h"
#include "clr.h"
#include "dump.h"
#include "fsv.h"
#include "heap.h"
#include "val.h"

static const struct {
	const char *cmd, *args, *what;
} cmds[] = {
	{ "ls", "DUMP [PATH...] [-l] [-U] [-d]",
	  "Lists directories of the mount's tree, dot files too, sorted bytewise\n"
	  "(like LC_ALL=C ls -A); -U (or -f): in the mount's readdir order;\n"
	  "-l: long format (like ls -Aln --time-style=long-iso); -d: a directory\n"
	  "itself, not its entries." },
	{ "cat", "DUMP PATH...", "Writes the files' bytes, as cat does on the mount." },
	{ "readlink", "DUMP PATH...", "Prints the target of each symlink." },
	{ "find", "DUMP [PATH...] [-name GLOB] [-type f|d|l] [-mindepth N] [-maxdepth N] [-print0]",
	  "Walks the tree like GNU find on the mount (symlinks are not followed):\n"
	  "one line per entry, PATH/child, in readdir order. PATH defaults to \".\"." },
	{ "tar", "DUMP [PATH...] > out.tar",
	  "Writes the subtrees as a POSIX (pax) tar archive: files, directories and\n"
	  "symlinks as they are, streamed files (instances.jsonl) read to their end." },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const char tree_opts[] =
	"Options that shape the tree, as the mount takes them:\n"
	"  -o depth=N,max_items=N,max_string=N,search=DIR,cache=MB\n"
	"  --depth N  --max-items N  --max-string N  --search DIR\n";

bool main_tree_is_cmd(const char *cmd)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmd, cmds[i].cmd) == 0)
			return true;
	return false;
}

void main_tree_usage(const char *cmd, FILE *f)
{
	for (size_t i = 0; i < NCMDS; i++) {
		if (cmd && strcmp(cmd, cmds[i].cmd) != 0)
			continue;
		fprintf(f, "%s clrheap %s %s\n", cmd ? "usage:" : "      ", cmds[i].cmd, cmds[i].args);
		if (cmd)
			fprintf(f, "%s\n%s", cmds[i].what, tree_opts);
	}
}

static int usage_error(struct tree *t, const char *fmt, const char *arg)
{
	fputs("clrheap: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	main_tree_usage(t->cmd, stderr);
	return 2;
}

/* A path that failed: one line like coreutils', and exit 1 at the end. */
void main_tree_path_error(struct tree *t, const char *path, int neg_errno)
{
	fprintf(stderr, "clrheap: %s: %s: %s\n", t->cmd, path, strerror(-neg_errno));
	t->rc = 1;
}

/* ---- the command line ---- */

static bool number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *s == '-' || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* One tree option, name=value (from -o, or a long option). NULL when
 * taken, else the message of what was wrong. */
static const char *tree_opt(struct tree *t, const char *name, const char *val)
{
	unsigned long n;
	if (strcmp(name, "depth") == 0) {
		if (!val || !number(val, VAL_MAX_DEPTH, &n))
			return "depth takes a number from 0 to 64";
		t->fo.depth = (unsigned)n;
	} else if (strcmp(name, "max_items") == 0) {
		if (!val || !number(val, VAL_MAX_SHOWN_ITEMS, &n) || n == 0)
			return "max_items takes a number from 1 to 1048576";
		t->fo.max_items = n;
	} else if (strcmp(name, "max_string") == 0) {
		if (!val || !number(val, VAL_MAX_STRING, &n) || n == 0)
			return "max_string takes a number from 1 to 1048576";
		t->fo.max_string = (uint32_t)n;
	} else if (strcmp(name, "cache") == 0) {
		if (!val || !number(val, 1u << 20, &n) || n == 0)
			return "cache takes megabytes, 1 or more";
		t->fo.cache_bytes = (size_t)n << 20;
	} else if (strcmp(name, "search") == 0) {
		if (!val || !*val)
			return "search takes a folder";
		if (t->nsearch == MAX_SEARCH)
			return "too many search folders";
		t->search[t->nsearch++] = val;
	} else if (strcmp(name, "ro") != 0 && strcmp(name, "allow_other") != 0) {
		return "unknown option";
	}
	return NULL;
}

/* A comma-separated -o list; its strings stay in argv (search=DIR). */
static bool opt_list(struct tree *t, char *list)
{
	for (char *save = NULL, *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq)
			*eq = '\0';
		const char *msg = tree_opt(t, o, eq ? eq + 1 : NULL);
		if (msg) {
			fprintf(stderr, "clrheap: -o %s: %s\n", o, msg);
			return false;
		}
	}
	return true;
}

static int parse(struct tree *t, int argc, char **argv)
{
	static const struct { const char *opt, *name; } longs[] = {
		{ "--depth", "depth" }, { "--max-items", "max_items" },
		{ "--max-string", "max_string" }, { "--search", "search" },
	};
	bool find = strcmp(t->cmd, "find") == 0, ls = strcmp(t->cmd, "ls") == 0;
	unsigned long n;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		char *s = argv[i];
		bool more = i + 1 < argc, word = dashdash, taken = false;
		for (size_t k = 0; k < sizeof longs / sizeof longs[0] && !word && !taken; k++) {
			if (strcmp(s, longs[k].opt) != 0)
				continue;
			if (!more)
				return usage_error(t, "%s needs a value", s);
			const char *msg = tree_opt(t, longs[k].name, argv[++i]);
			if (msg)
				return usage_error(t, "%s", msg);
			taken = true;
		}
		if (word || taken) {
			/* after "--" every word is a path */
		} else if (strcmp(s, "--") == 0) {
			dashdash = true;
			continue;
		} else if (strcmp(s, "-o") == 0 && more) {
			if (!opt_list(t, argv[++i]))
				return 2;
		} else if (strncmp(s, "-o", 2) == 0 && s[2]) {
			if (!opt_list(t, s + 2))
				return 2;
		} else if (ls && (strcmp(s, "-l") == 0 || strcmp(s, "-f") == 0 ||
				  strcmp(s, "-U") == 0 || strcmp(s, "-d") == 0)) {
			t->longfmt |= s[1] == 'l';
			t->unsorted |= s[1] == 'f' || s[1] == 'U';
			t->dir_itself |= s[1] == 'd';
		} else if (find && strcmp(s, "-name") == 0 && more) {
			t->name = argv[++i];
		} else if (find && strcmp(s, "-type") == 0 && more) {
			const char *ty = argv[++i];
			if ((ty[0] != 'f' && ty[0] != 'd' && ty[0] != 'l') || ty[1])
				return usage_error(t, "-type takes f, d or l, not %s", ty);
			t->type = ty[0];
		} else if (find && (strcmp(s, "-maxdepth") == 0 || strcmp(s, "-mindepth") == 0) && more) {
			if (!number(argv[++i], INT_MAX, &n))
				return usage_error(t, "%s takes a number", s);
			*(s[2] == 'a' ? &t->maxdepth : &t->mindepth) = (long)n;
		} else if (find && (strcmp(s, "-print0") == 0 || strcmp(s, "-print") == 0)) {
			t->print0 = s[6] == '0';
		} else if (s[0] == '-' && s[1]) {
			return usage_error(t, "unknown option %s", s);
		} else {
			word = true;
		}
		if (!word)
			continue;
		if (!t->dump_path)
			t->dump_path = s;
		else
			t->paths[t->npaths++] = s;
	}
	if (!t->dump_path)
		return usage_error(t, "%s: which DUMP?", t->cmd);
	bool needs = strcmp(t->cmd, "cat") == 0 || strcmp(t->cmd, "readlink") == 0;
	if (needs && t->npaths == 0)
		return usage_error(t, "%s: which PATH?", t->cmd);
	if (t->npaths == 0)
		t->paths[t->npaths++] = ls ? "" : ".";
	return 0;
}

/* Opens the dump down to the view, as mount.clrheap does: the same
 * dump_path, owner and time, so dump.json, README.txt and ls -l agree. */
static enum ch_status open_tree(struct tree *t)
{
	if (!realpath(t->dump_path, t->real))
		return ch_set_error(&t->err, CH_EIO, "%s: %s", t->dump_path, strerror(errno));
	enum ch_status st = dump_open(t->real, &t->d, &t->err);
	if (st == CH_OK)
		st = as_open(t->d, &t->a, &t->err);
	for (int i = 0; st == CH_OK && i < t->nsearch; i++) {
		char dir[PATH_MAX];
		if (!realpath(t->search[i], dir))
			return ch_set_error(&t->err, CH_EIO, "search=%s: %s", t->search[i], strerror(errno));
		if ((st = as_add_search_dir(t->a, dir)) != CH_OK)
			ch_set_error(&t->err, st, "out of memory");
	}
	if (st == CH_OK)
		st = clr_open(t->a, &t->c, &t->err);
	if (st == CH_OK)
		st = heap_open(t->c, &t->h, &t->err);
	if (st != CH_OK)
		return st;
	struct stat sb;
	if (stat(t->real, &sb) == 0)
		t->fo.mtime = sb.st_mtime;
	t->fo.uid = getuid();
	t->fo.gid = getgid();
	t->fo.dump_path = t->real;
	return fsv_open(t->h, &t->fo, &t->v, &t->err);
}

/* ---- reading files and listing directories ---- */

/* Copies file ino to out (to its end: streamed files too). 0 or -errno;
 * -EPIPE when writing failed. */
int main_tree_copy(struct tree *t, uint64_t ino, FILE *out, uint64_t *copied)
{
	struct fsv_file *f;
	bool stream;
	int r = fsv_open_file(t->v, ino, &f, &stream);
	if (r)
		return r;
	char *buf = malloc(IOBUF);
	uint64_t off = 0;
	if (!buf)
		r = -ENOMEM;
	while (buf) {
		ssize_t n = fsv_read(t->v, f, buf, IOBUF, off);
		if (n <= 0) {
			r = (int)n;
			break;
		}
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			r = -EPIPE;
			break;
		}
		off += (uint64_t)n;
	}
	free(buf);
	fsv_release(t->v, f);
	if (copied)
		*copied = off;
	return r;
}

static bool chunk_fill(void *arg, const char *name, uint64_t ino, mode_t mode,
		       const struct stat *st, uint64_t next)
{
	(void)st;
	struct chunk *c = arg;
	if (c->n == CHUNK)
		return false;
	c->next = next;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return true;
	struct ent *e = &c->e[c->n++];
	snprintf(e->name, sizeof e->name, "%s", name);
	e->ino = ino;
	e->mode = mode & S_IFMT;
	return true;
}

/* Reads the next chunk of directory ino into c (c->end once none is left). */
int main_tree_chunk(struct tree *t, uint64_t ino, struct chunk *c)
{
	uint64_t from = c->next;
	c->n = c->i = 0;
	int r = fsv_readdir(t->v, ino, from, false, chunk_fill, c);
	c->end = r != 0 || c->n < CHUNK;
	return r;
}


/* ---- ls ---- */

struct lent {
	char *name;        /* the path as given (arguments) or the entry name */
	uint64_t ino;
	struct stat st;
	char *link;        /* -l: a symlink's target */
};

struct llist {
	struct lent *e;
	size_t n, cap;
};

static bool ll_add(struct llist *l, const char *name, const struct stat *st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lent *e = realloc(l->e, cap * sizeof *e);
		if (!e)
			return false;
		l->e = e;
		l->cap = cap;
	}
	struct lent *e = &l->e[l->n];
	memset(e, 0, sizeof *e);
	if (!(e->name = strdup(name)))
		return false;
	e->ino = st->st_ino;
	e->st = *st;
	l->n++;
	return true;
}

static void ll_free(struct llist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].name);
		free(l->e[i].link);
	}
	free(l->e);
	memset(l, 0, sizeof *l);
}

static int lent_cmp(const void *x, const void *y)
{
	const struct lent *a = x, *b = y;
	return strcmp(a->name, b->name);
}

static size_t width_u(uint64_t v)
{
	size_t w = 1;
	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static void mode_str(mode_t m, char *s)
{
	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		s[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	s[10] = '\0';
}

/* Prints l: names, or with -l the lines of `ls -ln --time-style=long-iso`
 * (total, then columns as wide as their widest value). */
static void ll_print(struct tree *t, struct llist *l, bool total)
{
	if (!t->unsorted && l->n > 1) /* an empty list has no array */
		qsort(l->e, l->n, sizeof *l->e, lent_cmp);
	if (!t->longfmt) {
		for (size_t i = 0; i < l->n; i++)
			printf("%s\n", l->e[i].name);
		return;
	}
	size_t wl = 1, wu = 1, wg = 1, ws = 1;
	uint64_t blocks = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct stat *s = &l->e[i].st;
		wl = width_u(s->st_nlink) > wl ? width_u(s->st_nlink) : wl;
		wu = width_u(s->st_uid) > wu ? width_u(s->st_uid) : wu;
		wg = width_u(s->st_gid) > wg ? width_u(s->st_gid) : wg;
		ws = width_u((uint64_t)s->st_size) > ws ? width_u((uint64_t)s->st_size) : ws;
		blocks += (uint64_t)s->st_blocks;
	}
	if (total)
		printf("total %" PRIu64 "\n", (blocks + 1) / 2); /* 1K blocks, rounded up */
	for (size_t i = 0; i < l->n; i++) {
		const struct lent *e = &l->e[i];
		char m[11], when[32];
		struct tm tm;
		time_t tt = e->st.st_mtime;
		mode_str(e->st.st_mode, m);
		if (!localtime_r(&tt, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm))
			snprintf(when, sizeof when, "?");
		printf("%s %*ju %*ju %*ju %*jd %s %s", m, (int)wl, (uintmax_t)e->st.st_nlink,
		       (int)wu, (uintmax_t)e->st.st_uid, (int)wg, (uintmax_t)e->st.st_gid,
		       (int)ws, (intmax_t)e->st.st_size, when, e->name);
		if (e->link)
			printf(" -> %s", e->link);
		putchar('\n');
	}
}

/* With -l: a symlink's target. */
static void ll_links(struct tree *t, struct llist *l)
{
	char target[PATH_MAX];
	for (size_t i = 0; t->longfmt && i < l->n; i++)
		if (S_ISLNK(l->e[i].st.st_mode) &&
		    fsv_readlink(t->v, l->e[i].ino, target, sizeof target) == 0)
			l->e[i].link = strdup(target);
}

/* The entries of directory ino (with -l their full attributes, looked
 * up as the kernel would). */
static int ls_read(struct tree *t, uint64_t ino, struct llist *l)
{
	struct chunk *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	int r = 0;
	while (!c->end && r == 0) {
		if ((r = main_tree_chunk(t, ino, c)) != 0)
			break;
		for (size_t i = 0; i < c->n && r == 0; i++) {
			struct stat st;
			memset(&st, 0, sizeof st);
			st.st_ino = c->e[i].ino;
			st.st_mode = c->e[i].mode;
			if (t->longfmt && (r = fsv_lookup(t->v, ino, c->e[i].name, &st)) != 0)
				break;
			if (!ll_add(l, c->e[i].name, &st))
				r = -ENOMEM;
		}
	}
	free(c);
	ll_links(t, l);
	return r;
}

static int path_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmd_ls(struct tree *t)
{
	struct llist files = { 0 };
	struct stat *st = calloc((size_t)t->npaths, sizeof *st);
	bool *ok = calloc((size_t)t->npaths, sizeof *ok);
	if (!st || !ok) {
		free(st);
		free(ok);
		fputs("clrheap: out of memory\n", stderr);
		return 1;
	}
	/* like ls: arguments sorted too (not with -U), symlinks among them
	 * followed unless -l or -d; files first, then each directory */
	if (!t->unsorted)
		qsort(t->paths, (size_t)t->npaths, sizeof *t->paths, path_cmp);
	for (int i = 0; i < t->npaths; i++) {
		int r = fsv_resolve(t->v, t->paths[i], !t->longfmt && !t->dir_itself, &st[i]);
		if (r) {
			main_tree_path_error(t, t->paths[i], r);
			continue;
		}
		ok[i] = true;
		if ((!S_ISDIR(st[i].st_mode) || t->dir_itself) && !ll_add(&files, t->paths[i], &st[i]))
			main_tree_path_error(t, t->paths[i], -ENOMEM);
	}
	ll_links(t, &files);
	ll_print(t, &files, false);
	bool printed = files.n > 0;
	ll_free(&files);
	for (int i = 0; i < t->npaths; i++) {
		if (!ok[i] || !S_ISDIR(st[i].st_mode) || t->dir_itself)
			continue;
		struct llist l = { 0 };
		int r = ls_read(t, st[i].st_ino, &l);
		if (printed)
			putchar('\n');
		if (t->npaths > 1)
			printf("%s:\n", t->paths[i]);
		ll_print(t, &l, true);
		ll_free(&l);
		printed = true;
		if (r)
			main_tree_path_error(t, t->paths[i], r);
	}
	free(st);
	free(ok);
	return t->rc;
}

/* ---- cat, readlink ---- */

static int cmd_cat(struct tree *t)
{
	for (int i = 0; i < t->npaths; i++) {
		struct stat st;
		int r = fsv_resolve(t->v, t->paths[i], true, &st);
		if (r == 0 && S_ISDIR(st.st_mode))
			r = -EISDIR;
		if (r == 0)
			r = main_tree_copy(t, st.st_ino, stdout, NULL);
		if (r == -EPIPE)
			return 1;
		if (r)
			main_tree_path_error(t, t->paths[i], r);
	}
	return t->rc;
}

static int cmd_readlink(struct tree *t)
{
	char target[PATH_MAX];
	for (int i = 0; i < t->npaths; i++) {
		struct stat st;
		int r = fsv_resolve(t->v, t->paths[i], false, &st);
		if (r == 0 && !S_ISLNK(st.st_mode))
			r = -EINVAL; /* what readlink(2) says of a non-link */
		if (r == 0)
			r = fsv_readlink(t->v, st.st_ino, target, sizeof target);
		if (r)
			main_tree_path_error(t, t->paths[i], r);
		else
			printf("%s\n", target);
	}
	return t->rc;
}

/* ---- the commands ---- */

int main_tree(int argc, char **argv)
{
	struct tree *t = calloc(1, sizeof *t);
	if (!t) {
		fputs("clrheap: out of memory\n", stderr);
		return 1;
	}
	t->cmd = argv[0];
	t->maxdepth = -1;
	fsv_opts_init(&t->fo);
	int rc = (t->paths = calloc((size_t)argc + 1, sizeof *t->paths)) ? parse(t, argc, argv) : 1;
	if (rc == 0 && open_tree(t) != CH_OK) {
		fprintf(stderr, "clrheap: %s\n", t->err.msg[0] ? t->err.msg : ch_status_str(t->err.status));
		rc = 1;
	} else if (rc == 0) {
		static char obuf[IOBUF];
		setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
		rc = strcmp(t->cmd, "ls") == 0 ? cmd_ls(t) :
		     strcmp(t->cmd, "cat") == 0 ? cmd_cat(t) :
		     strcmp(t->cmd, "readlink") == 0 ? cmd_readlink(t) :
		     strcmp(t->cmd, "find") == 0 ? main_tree_find(t) : main_tree_tar(t);
		if (fflush(stdout) != 0 && rc == 0) {
			fprintf(stderr, "clrheap: %s: writing the output: %s\n", t->cmd, strerror(errno));
			rc = 1;
		}
	}
	fsv_close(t->v);
	heap_close(t->h);
	clr_close(t->c);
	as_close(t->a);
	dump_close(t->d);
	free(t->paths);
	free(t);
	return rc;
}
