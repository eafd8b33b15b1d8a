/*
 * passthrough.c - the FUSE limit of bench/run-compare.sh (issue 7): a
 * minimal passthrough filesystem over a backing directory, libfuse3's
 * high-level API, with the libfuse options ddbfs used through that API up
 * to 8669fa5 (ddbfs speaks the low-level API since 6acf8f8: its twin is
 * passthrough_ll.c, which needs a descriptor per inode).
 * Whatever ddbfs does on top of this (validating, rendering, committing to
 * LMDB), it pays the same FUSE round trips; this pays them and a syscall on
 * tmpfs each, and nothing else.
 *
 * Usage: passthrough [FUSE options] [-o cached|-o attr0] BACKING_DIR MOUNTPOINT
 *
 * Mirrored from ddbfs's init() and serve(): entry_timeout 1.0,
 * attr_timeout 1.0 (ddbfs since 49c62fe; 0 before), negative_timeout 0,
 * use_ino 0, hard_remove 1,
 * FUSE_CAP_ATOMIC_O_TRUNC, direct_io on regular files (ddbfs serves items
 * with direct I/O), READDIRPLUS with attributes (libfuse's default
 * readdirplus=auto, filled with FUSE_FILL_DIR_PLUS as ddbfs's readdir does),
 * the multithreaded loop with clone_fd, max_threads and max_idle_threads
 * taken from the command line as ddbfs takes them (so libfuse's defaults).
 *
 * -o cached is the other end: what a passthrough may do with kernel caching
 * because nothing changes its files behind the kernel's back (entry,
 * attribute and negative timeouts of 1 s, the page cache with keep_cache,
 * no direct I/O).
 *
 * -o attr0 sets attr_timeout 0, as ddbfs had it up to 8cccff9 (the first
 * recorded run of bench/run-compare.sh, bench/RESULTS.md, used that).
 */
#define FUSE_USE_VERSION 314	/* as ddbfs (fs/fs_int.h): fuse_loop_cfg_* */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>
#include "loop_cfg.h"

struct pt {
	int root;	/* the backing directory */
	int cached;	/* -o cached */
	int attr0;	/* -o attr0 */
};

struct pt_cli {
	char *backing;
	int cached;
	int attr0;
};

static const struct fuse_opt pt_opts[] = {
	{ "cached", offsetof(struct pt_cli, cached), 1 },
	{ "attr0", offsetof(struct pt_cli, attr0), 1 },
	FUSE_OPT_END,
};

static struct pt *pt_get(void)
{
	return fuse_get_context()->private_data;
}

/* "/a/b" -> "a/b" relative to the backing directory, "/" -> "." */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int fd_of(const struct fuse_file_info *fi)
{
	return (int)fi->fh;
}

static void *pt_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct pt *pt = pt_get();

	conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	cfg->hard_remove = 1;
	cfg->use_ino = 0;
	if (pt->cached) {
		cfg->entry_timeout = 1.0;
		cfg->attr_timeout = 1.0;
		cfg->negative_timeout = 1.0;
	} else {
		cfg->entry_timeout = 1.0;
		cfg->attr_timeout = pt->attr0 ? 0 : 1.0;
		cfg->negative_timeout = 0;
	}
	return pt;
}

static int pt_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc = fi ? fstat(fd_of(fi), st)
		    : fstatat(pt_get()->root, rel(path), st, AT_SYMLINK_NOFOLLOW);

	return rc ? -errno : 0;
}

static void set_io(struct fuse_file_info *fi)
{
	if (pt_get()->cached)
		fi->keep_cache = 1;
	else
		fi->direct_io = 1;
}

static int pt_open(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(pt_get()->root, rel(path), fi->flags & ~O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	set_io(fi);
	return 0;
}

static int pt_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd = openat(pt_get()->root, rel(path), fi->flags | O_CREAT, mode);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	set_io(fi);
	return 0;
}

static int pt_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pread(fd_of(fi), buf, size, off);

	return n < 0 ? -errno : (int)n;
}

static int pt_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ssize_t n = pwrite(fd_of(fi), buf, size, off);

	return n < 0 ? -errno : (int)n;
}

/* As libfuse's example: close a duplicate so close()'s errors reach close(). */
static int pt_flush(const char *path, struct fuse_file_info *fi)
{
	int fd = dup(fd_of(fi));

	if (fd < 0)
		return -errno;
	return close(fd) ? -errno : 0;
}

static int pt_release(const char *path, struct fuse_file_info *fi)
{
	close(fd_of(fi));
	return 0;
}

static int pt_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	int rc = datasync ? fdatasync(fd_of(fi)) : fsync(fd_of(fi));

	return rc ? -errno : 0;
}

static int pt_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd, rc;

	if (fi)
		return ftruncate(fd_of(fi), size) ? -errno : 0;
	fd = openat(pt_get()->root, rel(path), O_WRONLY);
	if (fd < 0)
		return -errno;
	rc = ftruncate(fd, size) ? -errno : 0;
	close(fd);
	return rc;
}

static int pt_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	int rc = fi ? futimens(fd_of(fi), tv)
		    : utimensat(pt_get()->root, rel(path), tv, AT_SYMLINK_NOFOLLOW);

	return rc ? -errno : 0;
}

static int pt_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int rc = fi ? fchmod(fd_of(fi), mode) : fchmodat(pt_get()->root, rel(path), mode, 0);

	return rc ? -errno : 0;
}

static int pt_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	int rc = fi ? fchown(fd_of(fi), uid, gid)
		    : fchownat(pt_get()->root, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);

	return rc ? -errno : 0;
}

static int pt_mkdir(const char *path, mode_t mode)
{
	return mkdirat(pt_get()->root, rel(path), mode) ? -errno : 0;
}

static int pt_rmdir(const char *path)
{
	return unlinkat(pt_get()->root, rel(path), AT_REMOVEDIR) ? -errno : 0;
}

static int pt_unlink(const char *path)
{
	return unlinkat(pt_get()->root, rel(path), 0) ? -errno : 0;
}

static int pt_rename(const char *from, const char *to, unsigned int flags)
{
	int root = pt_get()->root;

	return renameat2(root, rel(from), root, rel(to), flags) ? -errno : 0;
}

static int pt_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(pt_get()->root, rel(path), buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

struct pt_dir {
	DIR *dp;
	struct dirent *entry;
	off_t offset;
};

static int pt_opendir(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(pt_get()->root, rel(path), O_RDONLY | O_DIRECTORY);
	struct pt_dir *d;

	if (fd < 0)
		return -errno;
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->dp = fdopendir(fd);
	if (!d->dp) {
		int e = errno;

		close(fd);
		free(d);
		return -e;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* libfuse's example passthrough.c's loop, with attributes for READDIRPLUS. */
static int pt_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct pt_dir *d = (struct pt_dir *)(uintptr_t)fi->fh;
	int plus = (flags & FUSE_READDIR_PLUS) != 0;

	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct stat st;
		enum fuse_fill_dir_flags fill_flags = 0;
		off_t next;

		if (!d->entry) {
			d->entry = readdir(d->dp);
			if (!d->entry)
				break;
		}
		memset(&st, 0, sizeof(st));
		if (plus && fstatat(dirfd(d->dp), d->entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			fill_flags |= FUSE_FILL_DIR_PLUS;
		} else {
			st.st_ino = d->entry->d_ino;
			st.st_mode = (mode_t)d->entry->d_type << 12;
		}
		next = telldir(d->dp);
		if (fill(buf, d->entry->d_name, &st, next, fill_flags))
			break;
		d->entry = NULL;
		d->offset = next;
	}
	return 0;
}

static int pt_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct pt_dir *d = (struct pt_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	return 0;
}

static int pt_statfs(const char *path, struct statvfs *st)
{
	return fstatvfs(pt_get()->root, st) ? -errno : 0;
}

static const struct fuse_operations pt_ops = {
	.init = pt_init,
	.getattr = pt_getattr,
	.open = pt_open,
	.create = pt_create,
	.read = pt_read,
	.write = pt_write,
	.flush = pt_flush,
	.fsync = pt_fsync,
	.release = pt_release,
	.truncate = pt_truncate,
	.utimens = pt_utimens,
	.chmod = pt_chmod,
	.chown = pt_chown,
	.mkdir = pt_mkdir,
	.rmdir = pt_rmdir,
	.unlink = pt_unlink,
	.rename = pt_rename,
	.readlink = pt_readlink,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.releasedir = pt_releasedir,
	.statfs = pt_statfs,
};

static int pt_opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct pt_cli *cli = data;

	if (key == FUSE_OPT_KEY_NONOPT && !cli->backing) {
		cli->backing = strdup(arg);
		return cli->backing ? 0 : -1;
	}
	return 1;
}

/* As ddbfs's serve(): the multithreaded loop unless -s. */
static int serve(struct fuse *f, const struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (opts->singlethread)
		return fuse_loop(f);
	cfg = pt_loop_cfg(opts);
	if (!cfg)
		return -ENOMEM;
	rc = fuse_loop_mt(f, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts = { 0 };
	struct pt_cli cli = { 0 };
	struct pt pt = { .root = -1 };
	struct fuse *f = NULL;
	int rc = 1;

	if (fuse_opt_parse(&args, &cli, pt_opts, pt_opt_proc) ||
	    fuse_parse_cmdline(&args, &opts))
		goto out;
	if (!cli.backing || !opts.mountpoint) {
		fprintf(stderr, "usage: %s [FUSE options] [-o cached|attr0] BACKING_DIR MOUNTPOINT\n",
			argv[0]);
		goto out;
	}
	pt.root = open(cli.backing, O_RDONLY | O_DIRECTORY);
	if (pt.root < 0) {
		fprintf(stderr, "passthrough: %s: %s\n", cli.backing, strerror(errno));
		goto out;
	}
	pt.cached = cli.cached;
	pt.attr0 = cli.attr0;
	fprintf(stderr,
		"passthrough: mirrored from ddbfs: use_ino=0 hard_remove=1 ATOMIC_O_TRUNC "
		"readdirplus(auto, FILL_DIR_PLUS) %s clone_fd=%u max_threads=%u "
		"max_idle_threads=%s; %s\n",
		opts.singlethread ? "single-threaded loop" : "multithreaded loop", opts.clone_fd,
		opts.max_threads,
		opts.max_idle_threads == UINT_MAX ? "unset (libfuse default)" : "set",
		pt.cached ? "NOT mirrored (-o cached): entry/attr/negative_timeout=1 keep_cache, no direct_io"
			  : pt.attr0 ? "entry_timeout=1 attr_timeout=0 (-o attr0) negative_timeout=0 direct_io"
				     : "entry_timeout=1 attr_timeout=1 negative_timeout=0 direct_io");
	f = fuse_new(&args, &pt_ops, sizeof(pt_ops), &pt);
	if (!f)
		goto out;
	if (fuse_mount(f, opts.mountpoint))
		goto out_destroy;
	if (fuse_daemonize(opts.foreground))
		goto out_unmount;
	if (fuse_set_signal_handlers(fuse_get_session(f)))
		goto out_unmount;
	rc = serve(f, &opts) ? 1 : 0;
	fuse_remove_signal_handlers(fuse_get_session(f));
out_unmount:
	fuse_unmount(f);
out_destroy:
	fuse_destroy(f);
out:
	if (pt.root >= 0)
		close(pt.root);
	free(opts.mountpoint);
	free(cli.backing);
	fuse_opt_free_args(&args);
	return rc;
}
