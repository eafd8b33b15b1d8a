/*
 * passthrough_ll.c - the FUSE limit of bench/run-compare.sh for ddbfs's
 * low-level API: a minimal passthrough filesystem over a backing directory,
 * speaking libfuse3's low-level protocol with the options ddbfs uses
 * (fs/main.c, fs/ops.c).  passthrough.c is the same limit through the
 * high-level API; this one pays no path lookups in libfuse, only the FUSE
 * round trips and a syscall on the backing filesystem each.
 *
 * Usage: passthrough_ll [FUSE options] BACKING_DIR MOUNTPOINT
 *
 * Mirrored from ddbfs's ddb_init(), entry_of(), open_handle(),
 * readdir_common() (fs/ops.c) and serve() (fs/main.c): entry_timeout and attr_timeout 1.0 on every entry and attribute
 * reply (ddbfs's STABLE_TIMEOUT), negative lookups answered with ENOENT
 * (nothing cached), FUSE_CAP_ATOMIC_O_TRUNC, direct_io on regular files,
 * noflush on files opened O_RDONLY, READDIRPLUS at libfuse's default (on,
 * with the kernel's auto mode, because readdirplus is implemented) counting
 * a lookup per entry but "." and "..", the multithreaded session loop with
 * clone_fd, max_threads and max_idle_threads taken from the command line as
 * ddbfs takes them (so libfuse's defaults).
 *
 * Inodes as in libfuse's example/passthrough_ll.c: each an O_PATH
 * descriptor of the backing object, one per (st_dev, st_ino) so hard links
 * share it, counted by the kernel's lookups and freed at FORGET; the node id
 * is its address.  Everything is done with *at() calls relative to those
 * descriptors; what O_PATH cannot do (open, truncate, chmod, utimens) goes
 * through /proc/self/fd/N.  Attributes keep the backing st_ino.  No links,
 * symlinks, mknod or xattrs: ddbfs has none either, and the benchmark's
 * trees have none.
 */
#define FUSE_USE_VERSION 314	/* as ddbfs (fs/fs_int.h): fuse_loop_cfg_* */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>
#include "loop_cfg.h"

#define TIMEOUT 1.0	/* ddbfs's STABLE_TIMEOUT, for entries and attributes */

struct inode {
	int fd;		/* O_PATH */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;
	struct inode *next;	/* hash chain */
};

/*
 * A fixed table keeps chains short up to a few hundred thousand inodes,
 * more than the benchmark's trees.  The root is not in it: the kernel never
 * looks it up nor forgets it.
 */
#define BUCKETS 65536
static struct {
	struct inode root;
	pthread_mutex_t lock;	/* the table and every nlookup */
	struct inode *table[BUCKETS];
} pt = { .root = { .fd = -1 }, .lock = PTHREAD_MUTEX_INITIALIZER };

static struct inode *inode_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &pt.root : (struct inode *)(uintptr_t)ino;
}

static struct inode **bucket(dev_t dev, ino_t ino)
{
	return &pt.table[((ino * 0x9e3779b97f4a7c15ull) ^ dev) % BUCKETS];
}

/*
 * The inode of fd (of st), its lookup count one more: an existing one for
 * the same file (fd closed then), or a new one that owns fd.  NULL when out
 * of memory, fd closed.
 */
static struct inode *remember(int fd, const struct stat *st)
{
	struct inode **b = bucket(st->st_dev, st->st_ino), *in;

	pthread_mutex_lock(&pt.lock);
	for (in = *b; in; in = in->next)
		if (in->dev == st->st_dev && in->ino == st->st_ino)
			break;
	if (in) {
		in->nlookup++;
		close(fd);
	} else if ((in = calloc(1, sizeof(*in)))) {
		*in = (struct inode){ fd, st->st_dev, st->st_ino, 1, *b };
		*b = in;
	} else {
		close(fd);
	}
	pthread_mutex_unlock(&pt.lock);
	return in;
}

static void forget(fuse_ino_t ino, uint64_t nlookup)
{
	struct inode *in = inode_of(ino), **p;

	if (in == &pt.root)
		return;
	pthread_mutex_lock(&pt.lock);
	in->nlookup -= nlookup < in->nlookup ? nlookup : in->nlookup;
	if (!in->nlookup) {
		for (p = bucket(in->dev, in->ino); *p != in; p = &(*p)->next)
			;
		*p = in->next;
		close(in->fd);
		free(in);
	}
	pthread_mutex_unlock(&pt.lock);
}

/* What the kernel did not forget before the unmount, for valgrind's sake. */
static void forget_all(void)
{
	size_t i;

	for (i = 0; i < BUCKETS; i++) {
		while (pt.table[i]) {
			struct inode *in = pt.table[i];

			pt.table[i] = in->next;
			close(in->fd);
			free(in);
		}
	}
}

/* "/proc/self/fd/N": reopens an O_PATH descriptor for what O_PATH refuses. */
static char *proc_path(char buf[static 32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* Looks name up in parent and counts the kernel's lookup; 0 or an errno. */
static int entry_of(fuse_ino_t parent, const char *name, struct fuse_entry_param *e)
{
	int fd = openat(inode_of(parent)->fd, name, O_PATH | O_NOFOLLOW), err;
	struct inode *in;

	memset(e, 0, sizeof(*e));
	if (fd < 0)
		return errno;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		err = errno;
		close(fd);
		return err;
	}
	in = remember(fd, &e->attr);
	if (!in)
		return ENOMEM;
	e->ino = (fuse_ino_t)(uintptr_t)in;
	e->entry_timeout = e->attr_timeout = TIMEOUT;
	return 0;
}

/*
 * LOOKUP, and the reply of MKDIR.  As ddbfs: an entry the kernel did not get
 * (interrupted) was not counted.
 */
static void reply_entry(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err = entry_of(parent, name, &e);

	if (err)
		fuse_reply_err(req, err);
	else if (fuse_reply_entry(req, &e))
		forget(e.ino, 1);
}

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void pt_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget(ino, nlookup);
	fuse_reply_none(req);
}

static void pt_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (fstatat(inode_of(ino)->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

static struct timespec time_to_set(const struct timespec *t, int to_set, int set, int now)
{
	if (to_set & now)
		return (struct timespec){ .tv_nsec = UTIME_NOW };
	if (to_set & set)
		return *t;
	return (struct timespec){ .tv_nsec = UTIME_OMIT };
}

static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct inode *in = inode_of(ino);
	int fd = fi ? (int)fi->fh : -1, rc = 0;
	char proc[32];

	proc_path(proc, in->fd);
	if (to_set & FUSE_SET_ATTR_MODE)
		rc = fd >= 0 ? fchmod(fd, attr->st_mode) : chmod(proc, attr->st_mode);
	if (!rc && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		rc = fchownat(in->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	}
	if (!rc && (to_set & FUSE_SET_ATTR_SIZE))
		rc = fd >= 0 ? ftruncate(fd, attr->st_size) : truncate(proc, attr->st_size);
	if (!rc && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME |
			      FUSE_SET_ATTR_MTIME_NOW))) {
		struct timespec tv[2] = {
			time_to_set(&attr->st_atim, to_set, FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_ATIME_NOW),
			time_to_set(&attr->st_mtim, to_set, FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_MTIME_NOW),
		};

		rc = fd >= 0 ? futimens(fd, tv) : utimensat(AT_FDCWD, proc, tv, 0);
	}
	if (rc)
		fuse_reply_err(req, errno);
	else
		pt_getattr(req, ino, fi);
}

static void pt_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	if (mkdirat(inode_of(parent)->fd, name, mode))
		fuse_reply_err(req, errno);
	else
		reply_entry(req, parent, name);
}

static void pt_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(inode_of(parent)->fd, name, 0) ? errno : 0);
}

static void pt_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(inode_of(parent)->fd, name, AT_REMOVEDIR) ? errno : 0);
}

static void pt_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	int rc = renameat2(inode_of(parent)->fd, name, inode_of(newparent)->fd, newname, flags);

	fuse_reply_err(req, rc ? errno : 0);
}

/* As ddbfs's open_handle(): direct I/O, and no FLUSH round trip for readers. */
static void set_io(struct fuse_file_info *fi, int fd)
{
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	fi->noflush = (fi->flags & O_ACCMODE) == O_RDONLY;
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char proc[32];
	int fd = open(proc_path(proc, inode_of(ino)->fd), fi->flags & ~O_NOFOLLOW);

	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	set_io(fi, fd);
	if (fuse_reply_open(req, fi))
		close(fd);
}

static void pt_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	int fd = openat(inode_of(parent)->fd, name, (fi->flags | O_CREAT) & ~O_NOFOLLOW, mode);
	struct fuse_entry_param e;
	int err;

	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = entry_of(parent, name, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	set_io(fi, fd);
	if (fuse_reply_create(req, &e, fi)) {
		close(fd);
		forget(e.ino, 1);
	}
}

/* As ddbfs: into a buffer and out with fuse_reply_buf (no splice). */
static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void pt_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	ssize_t n = pwrite((int)fi->fh, buf, size, off);

	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)n);
}

/* Writers still come here (noflush is for readers): one round trip, nothing to do. */
static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int rc = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);

	fuse_reply_err(req, rc ? errno : 0);
}

static void pt_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

struct pt_dir {
	DIR *dp;
	struct dirent *entry;	/* read but not sent yet (the reply was full) */
	off_t offset;
};

static void pt_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int fd = openat(inode_of(ino)->fd, ".", O_RDONLY | O_DIRECTORY), err;
	struct pt_dir *d;

	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->dp = fdopendir(fd))) {
		err = d ? errno : ENOMEM;
		close(fd);
		free(d);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		closedir(d->dp);
		free(d);
	}
}

static int is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi, int plus)
{
	struct pt_dir *d = (struct pt_dir *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e = { 0 };
		const char *name;
		size_t need;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		name = d->entry->d_name;
		next = telldir(d->dp);
		need = plus ? fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0)
			    : fuse_add_direntry(req, NULL, 0, name, NULL, 0);
		if (need > size - used)
			break;
		/* Counted only once it surely fits: the kernel takes every entry sent. */
		if (plus && !is_dot(name)) {
			err = entry_of(ino, name, &e);
			if (err == ENOENT) {	/* removed since readdir(3): skip it */
				d->entry = NULL;
				d->offset = next;
				err = 0;
				continue;
			}
			if (err)
				break;
		} else {
			e.attr.st_ino = d->entry->d_ino;
			e.attr.st_mode = (mode_t)d->entry->d_type << 12;
		}
		if (plus)
			fuse_add_direntry_plus(req, buf + used, size - used, name, &e, next);
		else
			fuse_add_direntry(req, buf + used, size - used, name, &e.attr, next);
		used += need;
		d->entry = NULL;
		d->offset = next;
	}
	/* Entries already counted as lookups must reach the kernel. */
	if (err && !used)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, 0);
}

static void pt_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, 1);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pt_dir *d = (struct pt_dir *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void pt_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	if (fstatvfs(inode_of(ino)->fd, &st))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &st);
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init = pt_init,
	.lookup = reply_entry,
	.forget = pt_forget,
	.forget_multi = pt_forget_multi,
	.getattr = pt_getattr,
	.setattr = pt_setattr,
	.mkdir = pt_mkdir,
	.unlink = pt_unlink,
	.rmdir = pt_rmdir,
	.rename = pt_rename,
	.open = pt_open,
	.create = pt_create,
	.read = pt_read,
	.write = pt_write,
	.flush = pt_flush,
	.fsync = pt_fsync,
	.release = pt_release,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.readdirplus = pt_readdirplus,
	.releasedir = pt_releasedir,
	.statfs = pt_statfs,
};

static int pt_opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	char **backing = data;

	if (key == FUSE_OPT_KEY_NONOPT && !*backing) {
		*backing = strdup(arg);
		return *backing ? 0 : -1;
	}
	return 1;
}

/* As ddbfs's serve(): the multithreaded loop unless -s. */
static int serve(struct fuse_session *se, const struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (opts->singlethread)
		return fuse_session_loop(se);
	cfg = pt_loop_cfg(opts);
	if (!cfg)
		return -ENOMEM;
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts = { 0 };
	struct fuse_session *se = NULL;
	char *backing = NULL;
	struct stat st;
	int rc = 1;

	if (fuse_opt_parse(&args, &backing, NULL, pt_opt_proc) ||
	    fuse_parse_cmdline(&args, &opts))
		goto out;
	if (!backing || !opts.mountpoint) {
		fprintf(stderr, "usage: %s [FUSE options] BACKING_DIR MOUNTPOINT\n", argv[0]);
		goto out;
	}
	pt.root.fd = open(backing, O_PATH | O_DIRECTORY);
	if (pt.root.fd < 0 || fstat(pt.root.fd, &st)) {
		fprintf(stderr, "passthrough_ll: %s: %s\n", backing, strerror(errno));
		goto out;
	}
	pt.root.dev = st.st_dev;
	pt.root.ino = st.st_ino;
	pt.root.nlookup = 1;
	fprintf(stderr,
		"passthrough_ll: mirrored from ddbfs: low-level API, entry_timeout=1 "
		"attr_timeout=1 negative: none (ENOENT), direct_io, noflush for readers, "
		"ATOMIC_O_TRUNC, readdirplus (libfuse default, a lookup per entry), "
		"%s clone_fd=%u max_threads=%u max_idle_threads=%s\n",
		opts.singlethread ? "single-threaded loop" : "multithreaded loop", opts.clone_fd,
		opts.max_threads,
		opts.max_idle_threads == UINT_MAX ? "unset (libfuse default)" : "set");
	se = fuse_session_new(&args, &pt_ops, sizeof(pt_ops), NULL);
	if (!se)
		goto out;
	if (fuse_session_mount(se, opts.mountpoint))
		goto out_destroy;
	if (fuse_daemonize(opts.foreground))
		goto out_unmount;
	if (fuse_set_signal_handlers(se))
		goto out_unmount;
	rc = serve(se, &opts) ? 1 : 0;
	fuse_remove_signal_handlers(se);
out_unmount:
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
out:
	forget_all();
	if (pt.root.fd >= 0)
		close(pt.root.fd);
	free(opts.mountpoint);
	free(backing);
	fuse_opt_free_args(&args);
	return rc;
}
