/*
 * ops.c - the FUSE operations table and nothing else: each handler resolves
 * its path, calls the do_* function that holds the logic, and returns its
 * errno.  Every request is answered exactly once, by libfuse, from that
 * return value.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>
#include "fs_int.h"
#include "ops.h"

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

static void *ddb_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Open-unlinked files must not be renamed to .fuse_hidden*: that would move items. */
	cfg->hard_remove = 1;
	cfg->use_ino = 0;
	/*
	 * Names and attributes are cached for a second: whatever changes
	 * them behind the kernel's back (a commit makes the item canonical
	 * text and changes .schema) invalidates them first (attr.c).
	 */
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	return fs_get();
}

/*
 * Asked with a handle (lseek to the end), a read handle
 * answers for the text it holds.  With hard_remove, libfuse passes a NULL
 * path for a file unlinked (or renamed over) while open; a write handle then
 * answers for the name it was opened under.
 */
static int ddb_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	if (fi && fs_file_stat(file_of(fi), st))
		return 0;
	if (!path && fi)
		path = fs_file_path(file_of(fi));
	if (!path)
		return -ENOENT;
	return WITH_NODE(path, n, do_getattr(fs_, &n, st));
}

static int open_common(const char *path, struct fuse_file_info *fi, bool create)
{
	struct fs_file *f = NULL;
	enum fs_kind kind = FS_ROOT;
	int rc = WITH_NODE(path, n, (kind = n.kind, do_open(fs_, &n, fi->flags, create, &f)));

	if (rc)
		return rc;
	fi->fh = (uint64_t)(uintptr_t)f;
	/*
	 * Generated files change size between stat and read: read until EOF.
	 * Items too: the kernel keeps one page cache and one size per name,
	 * which a concurrent writer truncates (O_TRUNC) and fills with text
	 * not committed yet, so a cached read could mix versions or stop
	 * short.  Direct I/O reads each handle's own text (file.c); shared
	 * mmap is then refused (ENODEV), private mmap works.
	 */
	fi->direct_io = kind == FS_ERRORS || kind == FS_SCHEMA || kind == FS_ITEM;
	return 0;
}

static int ddb_open(const char *path, struct fuse_file_info *fi)
{
	return open_common(path, fi, false);
}

static int ddb_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_common(path, fi, true);
}

static int ddb_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	return do_read(file_of(fi), buf, size, off);
}

static int ddb_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	return do_write(file_of(fi), buf, size, off);
}

static int ddb_flush(const char *path, struct fuse_file_info *fi)
{
	return do_flush(file_of(fi));
}

static int ddb_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return do_fsync(file_of(fi));
}

static int ddb_release(const char *path, struct fuse_file_info *fi)
{
	do_release(file_of(fi));
	return 0;
}

static int ddb_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	if (fi)
		return do_ftruncate(file_of(fi), size);
	return WITH_NODE(path, n, do_truncate(fs_, &n, size));
}

static int64_t mtime_from(const struct timespec tv[2], bool *omit)
{
	*omit = tv && tv[1].tv_nsec == UTIME_OMIT;
	if (!tv || tv[1].tv_nsec == UTIME_NOW)
		return fs_now_ns();
	return (int64_t)tv[1].tv_sec * 1000000000 + tv[1].tv_nsec;
}

static int ddb_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	bool omit;
	int64_t ns = mtime_from(tv, &omit);

	if (omit)
		return WITH_NODE(path, n, do_getattr(fs_, &n, &(struct stat){ 0 }));
	if (fi)
		return do_futimens(file_of(fi), ns);
	return WITH_NODE(path, n, do_utimens(fs_, &n, ns));
}

/* Modes and owners are fixed (SPEC 3); accepting them lets cp -a and rsync -a work. */
static int ddb_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (fs_get()->read_only)
		return -EROFS;
	return WITH_NODE(path, n, fs_node_read_only(&n) ? -EROFS
						 : do_getattr(fs_, &n, &(struct stat){ 0 }));
}

static int ddb_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	return ddb_chmod(path, 0, fi);
}

static int ddb_mkdir(const char *path, mode_t mode)
{
	return WITH_NODE(path, n, do_mkdir(fs_, &n));
}

static int ddb_rmdir(const char *path)
{
	return WITH_NODE(path, n, do_rmdir(fs_, &n));
}

static int ddb_unlink(const char *path)
{
	return WITH_NODE(path, n, do_unlink(fs_, &n));
}

static int ddb_rename(const char *from, const char *to, unsigned int flags)
{
	struct ddbfs *fs = fs_get();
	struct fs_node a, b;
	int rc = fs_node_resolve(fs, from, &a);
	int rc2 = fs_node_resolve(fs, to, &b);

	if (!rc)
		rc = rc2;
	if (!rc)
		rc = do_rename(fs, &a, &b, flags);
	fs_node_release(&a);
	fs_node_release(&b);
	store_snapshot_use(NULL);
	return rc;
}

static int ddb_link(const char *from, const char *to)
{
	return -EPERM;	/* an item has exactly one key */
}

static int ddb_symlink(const char *target, const char *path)
{
	return -EPERM;
}

static int ddb_readlink(const char *path, char *buf, size_t size)
{
	return WITH_NODE(path, n, do_readlink(fs_, &n, buf, size));
}

static int ddb_opendir(const char *path, struct fuse_file_info *fi)
{
	struct fs_dir *d = NULL;
	int rc = WITH_NODE(path, n, do_opendir(fs_, &n, &d));

	if (!rc)
		fi->fh = (uint64_t)(uintptr_t)d;
	return rc;
}

static int ddb_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	return do_readdir(fs_get(), (struct fs_dir *)(uintptr_t)fi->fh, buf, fill, off,
			  flags & FUSE_READDIR_PLUS);
}

static int ddb_releasedir(const char *path, struct fuse_file_info *fi)
{
	do_releasedir((struct fs_dir *)(uintptr_t)fi->fh);
	return 0;
}

static int ddb_statfs(const char *path, struct statvfs *st)
{
	if (statvfs(ops_datadir, st))
		return -errno;
	st->f_namemax = 255;
	return 0;
}

static const struct fuse_operations ddb_ops = {
	.init = ddb_init,
	.getattr = ddb_getattr,
	.open = ddb_open,
	.create = ddb_create,
	.read = ddb_read,
	.write = ddb_write,
	.flush = ddb_flush,
	.fsync = ddb_fsync,
	.release = ddb_release,
	.truncate = ddb_truncate,
	.utimens = ddb_utimens,
	.chmod = ddb_chmod,
	.chown = ddb_chown,
	.mkdir = ddb_mkdir,
	.rmdir = ddb_rmdir,
	.unlink = ddb_unlink,
	.rename = ddb_rename,
	.link = ddb_link,
	.symlink = ddb_symlink,
	.readlink = ddb_readlink,
	.opendir = ddb_opendir,
	.readdir = ddb_readdir,
	.releasedir = ddb_releasedir,
	.statfs = ddb_statfs,
};

const struct fuse_operations *ddbfs_operations(const char *datadir)
{
	ops_datadir = datadir;
	return &ddb_ops;
}
