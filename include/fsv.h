/* fsv.h - the view: the tree of DESIGN.md §3 (types, objects, fields,
 * roots, modules) over an open heap, as nodes with computed inode numbers.
 *
 * The node API below knows nothing of FUSE: it answers lookup, getattr,
 * readdir, readlink, open and read on 64-bit inode numbers, so the unit
 * tests drive it without a mount. fsv_fuse_ops() adapts it to libfuse's
 * low-level API. Every call is safe from several threads at once; answers
 * are deterministic (the dump never changes), so concurrent readers see the
 * same bytes.
 *
 * Inode numbers are computed, not stored: the high 16 bits say what a
 * node is (its "shape"), the low 48 bits where (an object or slot address,
 * a type or module index). A directory of a million instances or array
 * elements is listed from the heap's own index with nothing kept per
 * entry. */
#ifndef CLRHEAP_FSV_H
#define CLRHEAP_FSV_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"
#include "heap.h"

#define FSV_ROOT_INO 1u        /* FUSE_ROOT_ID */
#define FSV_NAME_MAX 255       /* bytes of one file name */
#define FSV_DEFAULT_DEPTH 3    /* references inlined in JSON */
#define FSV_DEFAULT_CACHE (64u << 20) /* bytes of rendered files kept */

struct fsv_opts {
	unsigned depth;          /* JSON reference depth */
	uint64_t max_items;      /* elements one JSON collection shows (0: default) */
	uint32_t max_string;     /* characters one JSON string shows (0: default) */
	size_t cache_bytes;      /* budget of the render cache */
	const char *dump_path;   /* shown in dump.json and README.txt */
	unsigned uid, gid;       /* owner of every node */
	int64_t mtime;           /* time of every node (the dump's mtime) */
	unsigned max_read;       /* -o max_read=N given to libfuse, else 0 */
	/* -o baseline=: the heap of an earlier dump (borrowed, outlives the
	 * view); with it the root gains diff.tsv and each type diff.json,
	 * the change from it to this heap. NULL: neither exists. */
	struct heap *baseline;
	/* told of each build that took a second or more (the heap walk, the
	 * per-type index, the graph): one line without a newline; NULL: none */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

/* Defaults: depth 3, a 64 MB cache, owner and time 0. */
void fsv_opts_init(struct fsv_opts *o);

struct fsv;

/* Opens the view over h (borrowed; must outlive it). Cheap: nothing is
 * walked until a node that needs it is asked for (types/ and stat.tsv walk
 * the heap once; instances/ builds the heap's per-type index). Returns *out
 * (free with fsv_close) or a status with a message in err. */
enum ch_status fsv_open(struct heap *h, const struct fsv_opts *o,
			struct fsv **out, struct ch_err *err);
void fsv_close(struct fsv *v);

/* ---- the node API: 0 or a negative errno ------------------------------ */

/* The child name of directory parent: fills *st (st_ino is the child's
 * inode number). -ENOENT when there is none, -ENOTDIR when parent is not
 * a directory. */
int fsv_lookup(struct fsv *v, uint64_t parent, const char *name, struct stat *st);

/* The attributes of ino; st_size is exact for files (rendered once and
 * cached), 0 for streamed files. */
int fsv_getattr(struct fsv *v, uint64_t ino, struct stat *st);

/* The target of symlink ino into buf (NUL-terminated, cut to size). */
int fsv_readlink(struct fsv *v, uint64_t ino, char *buf, size_t size);

/* Called for each entry of a directory: its name, attributes (st is NULL
 * when plus was not asked for, or when they would cost a render; only
 * st_ino and the file type are then set in *ino_mode) and the offset that
 * resumes after it. Return false when the caller's buffer is full (the
 * entry was not taken). */
typedef bool (*fsv_fill_fn)(void *arg, const char *name, uint64_t ino,
			    mode_t mode, const struct stat *st, uint64_t next);

/* Lists directory ino from offset off (0 = the start; else a `next` given
 * to fn). With plus, attributes are computed for entries whose
 * attributes are cheap. Costs O(entries listed), whatever off is. */
int fsv_readdir(struct fsv *v, uint64_t ino, uint64_t off, bool plus,
		fsv_fill_fn fn, void *arg);

struct fsv_file;

/* Opens file ino for reading. *stream is set for files read like /proc
 * files (size 0, rendered as they are read: instances.jsonl). Free with
 * fsv_release. */
int fsv_open_file(struct fsv *v, uint64_t ino, struct fsv_file **out, bool *stream);

/* Reads up to size bytes at off into buf; returns the count (0 at end of
 * file) or a negative errno. Safe on one file from several threads. */
ssize_t fsv_read(struct fsv *v, struct fsv_file *f, char *buf, size_t size,
		 uint64_t off);
void fsv_release(struct fsv *v, struct fsv_file *f);

/* Resolves path (relative to the root; a leading "/" is the root too) as
 * the kernel would on the mount: "." and ".." on the directories walked,
 * symlinks on the way followed (at most FSV_MAX_LINKS), the last one too
 * when follow is set or the path ends in "/". Fills *st with the node's
 * attributes (st_ino its inode). Returns 0 or -ENOENT, -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG, -ENOMEM, -EIO. */
#define FSV_MAX_LINKS 40
int fsv_resolve(struct fsv *v, const char *path, bool follow, struct stat *st);

/* The libfuse low-level operations; userdata is the struct fsv. Every
 * write operation answers EROFS. */
const struct fuse_lowlevel_ops *fsv_fuse_ops(void);

/* Seconds the kernel may keep entries and attributes (the dump never
 * changes). */
double fsv_timeout(void);

/* ---- naming rules, exposed for tests ---------------------------------- */

/* A name made safe as one file name: '/' written %2F; a result longer than
 * FSV_NAME_MAX bytes is cut (on a UTF-8 boundary) and ends in '~' and 16
 * hex digits of a hash of the whole name. out holds FSV_NAME_MAX + 1
 * bytes. Returns the length. */
size_t fsv_escape_name(const char *name, char *out);

/* The directory name of a type under types/: its escaped name, with
 * "#<mt>" appended first when dup (a second type of that name). */
size_t fsv_type_dirname(const char *name, uint64_t mt, bool dup, char *out);

/* File names for n fields with raw names raw[0..n): their names as JSON
 * shows them (val_field_names: clean names, where two clean names clash
 * those fields keep their raw names); a name still taken gets "#2", "#3"…
 * on its later uses; each escaped as a file name. O(n log n). names[i]
 * gets a malloc'd string (free each and the array with fsv_free_names).
 * Returns false when out of memory. */
bool fsv_field_names(const char *const *raw, size_t n, char ***names);
void fsv_free_names(char **names, size_t n);

/* Inode numbers: shape (16 bits) and payload (48 bits). */
#define FSV_PAYLOAD_BITS 48
#define FSV_PAYLOAD_MAX ((UINT64_C(1) << FSV_PAYLOAD_BITS) - 1)
static inline uint64_t fsv_ino(unsigned shape, uint64_t payload)
{
	return ((uint64_t)shape << FSV_PAYLOAD_BITS) | (payload & FSV_PAYLOAD_MAX);
}
static inline unsigned fsv_ino_shape(uint64_t ino)
{
	return (unsigned)(ino >> FSV_PAYLOAD_BITS);
}
static inline uint64_t fsv_ino_payload(uint64_t ino)
{
	return ino & FSV_PAYLOAD_MAX;
}

#endif
