/*
 * ops.c - the FUSE low-level operations: each handler turns the kernel's
 * inode numbers into a path (inode.c), resolves it, calls the do_*
 * function that holds the logic, and replies exactly once.
 *
 * Speaking the low-level protocol, rather than letting libfuse's path API
 * do it, buys three things: how long the kernel may trust an answer is
 * chosen per name (fs_node_timeout: views, index trees, .schema and .errors
 * change without a commit to their own name); memory bounded by
 * configuration (inode.h); and files opened for reading skip the FLUSH
 * round trip at close.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include "fs_int.h"
#include "inode.h"
#include "ops.h"

#define DOT_INO 0xffffffffu	/* "unknown": readdir(3) would hide inode 0 */

static const char *ops_datadir;

#define WITH_NODE(path, n, expr)                                                                   \
	({                                                                                         \
		struct ddbfs *fs_ = fs_get();                                                      \
		struct fs_node n;                                                                  \
		int rc_ = fs_node_resolve(fs_, path, &n);                                          \
		if (!rc_)                                                                          \
			rc_ = (expr);                                                              \
		fs_node_release(&n);                                                               \
		store_snapshot_use(NULL);                                                          \
		rc_;                                                                               \
	})

static struct fs_file *file_of(const struct fuse_file_info *fi)
{
	return (struct fs_file *)(uintptr_t)fi->fh;
}

static void reply_rc(fuse_req_t req, int rc)
{
	fuse_reply_err(req, rc < 0 ? -rc : rc);
}

/* The path of ino (and its child name), or NULL after replying the error. */
static char *path_or_reply(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	int err;
	char *path = fs_inodes_path(fs_get()->inodes, ino, name, &err);

	if (!path)
		fuse_reply_err(req, err);
	return path;
}

/*
 * The path of ino, or for a file unlinked (or renamed over) while open, the
 * name its handle was opened under.  NULL with *err set if neither.
 */
static char *handle_path(fuse_ino_t ino, struct fuse_file_info *fi, int *err)
{
	char *path = fs_inodes_path(fs_get()->inodes, ino, NULL, err);

	if (!path && fi && *err == ESTALE) {
		path = strdup(fs_file_path(file_of(fi)));
		*err = ENOMEM;
	}
	return path;
}

static char *handle_path_or_reply(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int err;
	char *path = handle_path(ino, fi, &err);

	if (!path)
		fuse_reply_err(req, err);
	return path;
}

/* Stats path for an entry reply and counts the kernel's lookup of (parent, name). */
static int entry_of(fuse_ino_t parent, const char *name, const char *path,
		    struct fuse_entry_param *e)
{
	double timeout = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = WITH_NODE(path, n, (timeout = fs_node_timeout(&n), do_getattr(fs_, &n, &e->attr)));
	if (rc)
		return rc;
	e->ino = fs_inodes_remember(fs_get()->inodes, parent, name, S_ISDIR(e->attr.st_mode));
	if (!e->ino)
		return -ENOMEM;
	e->attr.st_ino = e->ino;
	e->entry_timeout = e->attr_timeout = timeout;
	return 0;
}

static void reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	if (fuse_reply_entry(req, e))	/* interrupted: the kernel did not count it */
		fs_inodes_forget(fs_get()->inodes, e->ino, 1);
}

/* Replies the entry of (parent, name) after an operation that made it. */
static void reply_new_entry(fuse_req_t req, fuse_ino_t parent, const char *name, const char *path)
{
	struct fuse_entry_param e;
	int rc = entry_of(parent, name, path, &e);

	if (rc)
		reply_rc(req, rc);
	else
		reply_entry(req, &e);
}

static void ddb_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void ddb_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char *path = path_or_reply(req, parent, name);

	if (path)
		reply_new_entry(req, parent, name, path);
	free(path);
}

static void ddb_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_inodes_forget(fs_get()->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void ddb_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		fs_inodes_forget(fs_get()->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* A read handle on an item answers for the text it holds (lseek to its end). */
static void ddb_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	double timeout = 0;
	struct stat st;
	char *path;
	int rc;

	if (fi && fs_file_stat(file_of(fi), &st)) {
		st.st_ino = ino;
		fuse_reply_attr(req, &st, 0);
		return;
	}
	path = handle_path(ino, fi, &rc);
	if (!path && rc == ESTALE && fs_open_files_stat_ino(fs_get(), ino, &st)) {
		/* fstat of a descriptor whose name was removed: its handle answers. */
		st.st_ino = ino;
		fuse_reply_attr(req, &st, 0);
		return;
	}
	if (!path) {
		fuse_reply_err(req, rc);
		return;
	}
	rc = WITH_NODE(path, n, (timeout = fs_node_timeout(&n), do_getattr(fs_, &n, &st)));
	free(path);
	if (rc) {
		reply_rc(req, rc);
		return;
	}
	st.st_ino = ino;
	fuse_reply_attr(req, &st, timeout);
}

/* Modes and owners are fixed (SPEC 3); accepting them lets cp -a and rsync -a work. */
static int accept_owner_change(const char *path)
{
	if (fs_get()->read_only)
		return -EROFS;
	return WITH_NODE(path, n, fs_node_read_only(&n) ? -EROFS
						 : do_getattr(fs_, &n, &(struct stat){ 0 }));
}

static int set_mtime(const char *path, const struct stat *attr, int to_set,
		     struct fuse_file_info *fi)
{
	int64_t ns;

	/* Only the access time: nothing to keep, but the name must exist. */
	if (!(to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)))
		return WITH_NODE(path, n, do_getattr(fs_, &n, &(struct stat){ 0 }));
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		ns = fs_now_ns();
	else
		ns = (int64_t)attr->st_mtim.tv_sec * 1000000000 + attr->st_mtim.tv_nsec;
	if (fi)
		return do_futimens(file_of(fi), ns);
	return WITH_NODE(path, n, do_utimens(fs_, &n, ns));
}

static void ddb_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	char *path = handle_path_or_reply(req, ino, fi);
	int rc = 0;

	if (!path)
		return;
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		rc = accept_owner_change(path);
	if (!rc && (to_set & FUSE_SET_ATTR_SIZE))
		rc = fi ? do_ftruncate(file_of(fi), attr->st_size)
			: WITH_NODE(path, n, do_truncate(fs_, &n, attr->st_size));
	if (!rc && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME |
			      FUSE_SET_ATTR_MTIME_NOW)))
		rc = set_mtime(path, attr, to_set, fi);
	free(path);
	if (rc)
		reply_rc(req, rc);
	else
		ddb_getattr(req, ino, fi);
}

static void ddb_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char *path = path_or_reply(req, ino, NULL);
	char buf[PATH_MAX + 1];
	int rc;

	if (!path)
		return;
	rc = WITH_NODE(path, n, do_readlink(fs_, &n, buf, sizeof(buf)));
	free(path);
	if (rc)
		reply_rc(req, rc);
	else
		fuse_reply_readlink(req, buf);
}

static void ddb_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	char *path = path_or_reply(req, parent, name);
	int rc;

	if (!path)
		return;
	rc = WITH_NODE(path, n, do_mkdir(fs_, &n));
	if (rc)
		reply_rc(req, rc);
	else
		reply_new_entry(req, parent, name, path);
	free(path);
}

static void remove_common(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	char *path = path_or_reply(req, parent, name);
	int rc;

	if (!path)
		return;
	rc = WITH_NODE(path, n, dir ? do_rmdir(fs_, &n) : do_unlink(fs_, &n));
	free(path);
	if (!rc)
		fs_inodes_unlink(fs_get()->inodes, parent, name);
	reply_rc(req, rc);
}

static void ddb_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, false);
}

static void ddb_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_common(req, parent, name, true);
}

static void ddb_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		       const char *newname, unsigned int flags)
{
	struct ddbfs *fs = fs_get();
	char *from = path_or_reply(req, parent, name), *to = NULL;
	struct fs_node a, b;
	int rc, rc2;

	if (!from)
		return;
	to = path_or_reply(req, newparent, newname);
	if (!to) {
		free(from);
		return;
	}
	rc = fs_node_resolve(fs, from, &a);
	rc2 = fs_node_resolve(fs, to, &b);
	if (!rc)
		rc = rc2;
	if (!rc)
		rc = do_rename(fs, &a, &b, flags);
	fs_node_release(&a);
	fs_node_release(&b);
	store_snapshot_use(NULL);
	/* do_rename refuses RENAME_EXCHANGE. */
	if (!rc)
		rc = fs_inodes_rename(fs->inodes, parent, name, newparent, newname);
	free(from);
	free(to);
	reply_rc(req, rc);
}

/* An item has exactly one key: no second name, no symlink, no device. */
static void ddb_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EPERM);
}

static void ddb_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EPERM);
}

/* Items and .schema are read with direct I/O: see open_handle. */
static bool direct_io_kind(enum fs_kind kind)
{
	return kind == FS_ERRORS || kind == FS_SCHEMA || kind == FS_ITEM;
}

/*
 * Opens path; on success fills fi.  Generated files change size between
 * stat and read: read until EOF.  Items too: the kernel keeps one page
 * cache and one size per name, which a concurrent writer truncates
 * (O_TRUNC) and fills with text not committed yet, so a cached read could
 * mix versions or stop short.  Direct I/O reads each handle's own text
 * (file.c); shared mmap is then refused (ENODEV), private mmap works.
 */
static int open_handle(const char *path, struct fuse_file_info *fi, bool create)
{
	struct fs_file *f = NULL;
	enum fs_kind kind = FS_ROOT;
	int rc = WITH_NODE(path, n, (kind = n.kind, do_open(fs_, &n, fi->flags, create, &f)));

	if (rc)
		return rc;
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->direct_io = direct_io_kind(kind);
	/* A reader has nothing to commit at close. */
	fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
	return 0;
}

static void ddb_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct fuse_file_info fi = { .flags = O_WRONLY | O_CREAT | O_EXCL };
	char *path;
	int rc;

	if (!S_ISREG(mode)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	path = path_or_reply(req, parent, name);
	if (!path)
		return;
	rc = open_handle(path, &fi, true);
	if (!rc)
		do_release(file_of(&fi));
	if (rc)
		reply_rc(req, rc);
	else
		reply_new_entry(req, parent, name, path);
	free(path);
}

static void ddb_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char *path = path_or_reply(req, ino, NULL);
	int rc;

	if (!path)
		return;
	rc = open_handle(path, fi, false);
	free(path);
	if (rc) {
		reply_rc(req, rc);
		return;
	}
	fs_file_set_ino(file_of(fi), ino);
	if (fuse_reply_open(req, fi))
		do_release(file_of(fi));
}

static void ddb_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		       struct fuse_file_info *fi)
{
	char *path = path_or_reply(req, parent, name);
	struct fuse_entry_param e;
	int rc;

	if (!path)
		return;
	rc = open_handle(path, fi, true);
	if (!rc) {
		rc = entry_of(parent, name, path, &e);
		if (rc)
			do_release(file_of(fi));
		else
			fs_file_set_ino(file_of(fi), e.ino);
	}
	free(path);
	if (rc) {
		reply_rc(req, rc);
	} else if (fuse_reply_create(req, &e, fi)) {
		do_release(file_of(fi));
		fs_inodes_forget(fs_get()->inodes, e.ino, 1);
	}
}

static void ddb_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	int n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = do_read(file_of(fi), buf, size, off);
	if (n < 0)
		reply_rc(req, n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void ddb_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	int n = do_write(file_of(fi), buf, size, off);

	if (n < 0)
		reply_rc(req, n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void ddb_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	reply_rc(req, do_flush(file_of(fi)));
}

static void ddb_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	reply_rc(req, do_fsync(file_of(fi)));
}

static void ddb_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	do_release(file_of(fi));
	fuse_reply_err(req, 0);
}

static void ddb_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char *path = path_or_reply(req, ino, NULL);
	struct fs_dir *d = NULL;
	int rc;

	if (!path)
		return;
	rc = WITH_NODE(path, n, do_opendir(fs_, &n, &d));
	free(path);
	if (rc) {
		reply_rc(req, rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi))
		do_releasedir(d);
}

/* One READDIR(PLUS) reply being filled. */
struct dir_reply {
	fuse_req_t req;
	fuse_ino_t dir;
	char *buf;
	size_t size, used;
	bool plus;
	double timeout;		/* the entries': the directory's */
};

static bool is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* The generated files among the names a directory lists are never cached (fs_node_timeout). */
static double listed_timeout(const struct dir_reply *r, const char *name)
{
	return !strcmp(name, ".schema") || !strcmp(name, ".errors") ? 0 : r->timeout;
}

static bool fill_entry(void *ctx, const char *name, const struct stat *st, off_t off)
{
	struct dir_reply *r = ctx;
	size_t room = r->size - r->used, need;
	struct fuse_entry_param e = { .attr = *st };

	if (!r->plus) {
		need = fuse_add_direntry(r->req, NULL, 0, name, NULL, 0);
		if (need > room)
			return true;
		e.attr.st_ino = DOT_INO;
		fuse_add_direntry(r->req, r->buf + r->used, room, name, &e.attr, off);
		r->used += need;
		return false;
	}
	need = fuse_add_direntry_plus(r->req, NULL, 0, name, NULL, 0);
	if (need > room)
		return true;
	/* Counted only once it surely fits: the kernel takes every entry sent. */
	if (is_dot(name)) {
		e.attr.st_ino = DOT_INO;
	} else {
		e.ino = fs_inodes_remember(fs_get()->inodes, r->dir, name, S_ISDIR(st->st_mode));
		e.attr.st_ino = e.ino ? e.ino : DOT_INO;
		e.entry_timeout = e.attr_timeout = listed_timeout(r, name);
	}
	fuse_add_direntry_plus(r->req, r->buf + r->used, room, name, &e, off);
	r->used += need;
	return false;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi, bool plus)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	struct dir_reply r = { req, ino, malloc(size), size, 0, plus, fs_dir_timeout(d) };
	int rc;

	if (!r.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = do_readdir(fs_get(), d, fill_entry, &r, off);
	/* Entries already counted as lookups must reach the kernel. */
	if (rc && !r.used)
		reply_rc(req, rc);
	else
		fuse_reply_buf(req, r.buf, r.used);
	free(r.buf);
}

static void ddb_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, false);
}

static void ddb_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			    struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, true);
}

static void ddb_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	do_releasedir((struct fs_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void ddb_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	if (statvfs(ops_datadir, &st)) {
		fuse_reply_err(req, errno);
		return;
	}
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

static const struct fuse_lowlevel_ops ddb_ops = {
	.init = ddb_init,
	.lookup = ddb_lookup,
	.forget = ddb_forget,
	.forget_multi = ddb_forget_multi,
	.getattr = ddb_getattr,
	.setattr = ddb_setattr,
	.readlink = ddb_readlink,
	.mknod = ddb_mknod,
	.mkdir = ddb_mkdir,
	.unlink = ddb_unlink,
	.rmdir = ddb_rmdir,
	.symlink = ddb_symlink,
	.rename = ddb_rename,
	.link = ddb_link,
	.open = ddb_open,
	.create = ddb_create,
	.read = ddb_read,
	.write = ddb_write,
	.flush = ddb_flush,
	.fsync = ddb_fsync,
	.release = ddb_release,
	.opendir = ddb_opendir,
	.readdir = ddb_readdir,
	.readdirplus = ddb_readdirplus,
	.releasedir = ddb_releasedir,
	.statfs = ddb_statfs,
};

const struct fuse_lowlevel_ops *ddbfs_operations(const char *datadir)
{
	ops_datadir = datadir;
	return &ddb_ops;
}
