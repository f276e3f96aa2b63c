/* fsv_fuse.c - the node API as libfuse low-level operations. The one
 * place that turns the view's answers into FUSE replies (negative errno
 * to fuse_reply_err). Every write answers EROFS; the mount itself is
 * read-only too (main_mount.c passes -o ro). */
#include "fsv_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

/* The dump never changes: the kernel may keep what it learnt for a year. */
#define TIMEOUT (365.0 * 24 * 3600)

double fsv_timeout(void)
{
	return TIMEOUT;
}

static struct fsv *fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fsv *v = userdata;
	/* libfuse wants init to ask for the max_read its options set */
	if (v->o.max_read)
		conn->max_read = v->o.max_read;
	unsigned want = FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO |
			FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_PARALLEL_DIROPS |
			FUSE_CAP_ASYNC_READ;
	conn->want |= want & conn->capable;
	/* nothing changes, so nothing needs invalidating */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof e);
	int r = fsv_lookup(fs(req), parent, name, &e.attr);
	if (r == -ENOENT) {
		/* a negative entry the kernel keeps as long as a positive one */
		memset(&e, 0, sizeof e);
		e.entry_timeout = TIMEOUT;
		fuse_reply_entry(req, &e);
		return;
	}
	if (r) {
		fuse_reply_err(req, -r);
		return;
	}
	e.ino = e.attr.st_ino;
	e.attr_timeout = e.entry_timeout = TIMEOUT;
	fuse_reply_entry(req, &e);
}

/* Inode numbers are computed: nothing to forget. */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	(void)count;
	(void)f;
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	int r = fsv_getattr(fs(req), ino, &st);
	if (r)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX];
	int r = fsv_readlink(fs(req), ino, buf, sizeof buf);
	if (r)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, buf);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r = fsv_getattr(fs(req), ino, &st);
	if (r) {
		fuse_reply_err(req, -r);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* listings never change: the kernel may cache them */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

struct rdbuf {
	fuse_req_t req;
	char *buf;
	size_t size, len;
	bool plus;
};

static bool fill(void *arg, const char *name, uint64_t ino, mode_t mode,
		 const struct stat *st, uint64_t next)
{
	struct rdbuf *b = arg;
	size_t rem = b->size - b->len, need;
	if (b->plus) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof e);
		if (st) {
			e.ino = ino;
			e.attr = *st;
			e.attr_timeout = e.entry_timeout = TIMEOUT;
		} else {
			/* no attributes: the kernel looks the entry up when needed */
			e.attr.st_ino = ino;
			e.attr.st_mode = mode;
		}
		need = fuse_add_direntry_plus(b->req, b->buf + b->len, rem, name, &e, (off_t)next);
	} else {
		struct stat s;
		memset(&s, 0, sizeof s);
		s.st_ino = ino;
		s.st_mode = mode;
		need = fuse_add_direntry(b->req, b->buf + b->len, rem, name, &s, (off_t)next);
	}
	if (need > rem)
		return false;
	b->len += need;
	return true;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct rdbuf b = { req, malloc(size ? size : 1), size, 0, plus };
	if (!b.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	int r = fsv_readdir(fs(req), ino, (uint64_t)off, plus, fill, &b);
	if (r && b.len == 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, b.buf, b.len);
	free(b.buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_TRUNC | O_CREAT))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct fsv_file *f;
	bool stream;
	int r = fsv_open_file(fs(req), ino, &f, &stream);
	if (r) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	if (stream)
		fi->direct_io = 1; /* size 0, read to end of file, like /proc */
	else
		fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		fsv_release(fs(req), f); /* the open was interrupted */
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ssize_t n = fsv_read(fs(req), (struct fsv_file *)(uintptr_t)fi->fh, buf, size,
			     off < 0 ? 0 : (uint64_t)off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fsv_release(fs(req), (struct fsv_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct statvfs s;
	size_t len = 0;
	dump_bytes(fs(req)->d, &len);
	memset(&s, 0, sizeof s);
	s.f_bsize = s.f_frsize = 4096;
	s.f_blocks = (fsblkcnt_t)((len + 4095) / 4096);
	s.f_namemax = FSV_NAME_MAX;
	s.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &s);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct stat st;
	int r = fsv_getattr(fs(req), ino, &st);
	if (!r && (mask & W_OK))
		r = -EROFS;
	fuse_reply_err(req, -r);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	(void)ino;
	(void)name;
	(void)size;
	fuse_reply_err(req, ENODATA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

/* ---- every write: EROFS ---- */

static void erofs(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)ino; (void)attr; (void)to_set; (void)fi;
	erofs(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	(void)parent; (void)name; (void)mode; (void)rdev;
	erofs(req);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent; (void)name; (void)mode;
	erofs(req);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent; (void)name;
	erofs(req);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link; (void)parent; (void)name;
	erofs(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent; (void)name; (void)newparent; (void)newname; (void)flags;
	erofs(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino; (void)newparent; (void)newname;
	erofs(req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	(void)ino; (void)buf; (void)size; (void)off; (void)fi;
	erofs(req);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent; (void)name; (void)mode; (void)fi;
	erofs(req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	(void)ino; (void)name; (void)value; (void)size; (void)flags;
	erofs(req);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino; (void)name;
	erofs(req);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	(void)ino; (void)mode; (void)offset; (void)length; (void)fi;
	erofs(req);
}

static const struct fuse_lowlevel_ops ops = {
	.init		= op_init,
	.lookup		= op_lookup,
	.forget		= op_forget,
	.forget_multi	= op_forget_multi,
	.getattr	= op_getattr,
	.readlink	= op_readlink,
	.opendir	= op_opendir,
	.readdir	= op_readdir,
	.readdirplus	= op_readdirplus,
	.releasedir	= op_releasedir,
	.open		= op_open,
	.read		= op_read,
	.release	= op_release,
	.flush		= op_flush,
	.statfs		= op_statfs,
	.access		= op_access,
	.getxattr	= op_getxattr,
	.listxattr	= op_listxattr,
	.setattr	= op_setattr,
	.mknod		= op_mknod,
	.mkdir		= op_mkdir,
	.unlink		= op_unlink,
	.rmdir		= op_unlink,
	.symlink	= op_symlink,
	.rename		= op_rename,
	.link		= op_link,
	.write		= op_write,
	.create		= op_create,
	.setxattr	= op_setxattr,
	.removexattr	= op_removexattr,
	.fallocate	= op_fallocate,
};

const struct fuse_lowlevel_ops *fsv_fuse_ops(void)
{
	return &ops;
}
