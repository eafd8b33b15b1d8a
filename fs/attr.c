/*
 * attr.c - stat(2) for every kind of name.
 *
 * Sizes are exact (an item's canonical text, .schema's rendering), so cat,
 * head -c, mmap and rsync see whole files.  Ownership is the mounting user's;
 * files are 0644 and directories 0755.
 *
 * The kernel caches attributes for a second (ops.c), so whatever changes
 * them behind its back says so here before it answers: a commit rewrites
 * the item as canonical text (not the bytes the kernel saw written) and
 * changes its table's .schema (counts and sizes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "errlog.h"
#include "fs_int.h"
#include "inode.h"

int64_t fs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void fs_attr_changed(struct ddbfs *fs, const char *path)
{
	uint64_t ino;

	/* No number: the kernel holds nothing for path, which is fine. */
	if (fs->se && (ino = fs_inodes_find(fs->inodes, path)))
		fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);
}

static void set_times(struct stat *st, int64_t ns)
{
	st->st_mtim.tv_sec = ns / 1000000000;
	st->st_mtim.tv_nsec = ns % 1000000000;
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
}

void fs_fill_dir_stat(struct ddbfs *fs, struct stat *st, int64_t mtime_ns)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	set_times(st, mtime_ns);
}

void fs_fill_file_stat(struct ddbfs *fs, struct stat *st, uint64_t size, int64_t mtime_ns)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	set_times(st, mtime_ns);
}

static int64_t table_ns(const struct fs_node *n)
{
	return store_table_created_ms(n->t) * 1000000;
}

static int getattr_scratch(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	struct scratch_stat ss;
	int rc = scratch_stat(fs->scratch, n->path, &ss);

	if (rc)
		return rc;
	if (ss.is_dir)
		fs_fill_dir_stat(fs, st, ss.mtime_ns);
	else
		fs_fill_file_stat(fs, st, ss.size, ss.mtime_ns);
	return 0;
}

static int getattr_schema(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	struct ddb_buf text = DDB_BUF_INIT;
	int64_t mtime_ns;
	uint64_t size;
	int rc;

	if (!n->schema && fs_open_file_size(fs, n->path, &size)) {
		fs_fill_file_stat(fs, st, size, fs_now_ns());
		return 0;	/* being written for the first time */
	}
	if (!n->schema)
		return -ENOENT;
	rc = store_table_describe(n->t, n->table_name, &text);
	if (!rc)
		rc = store_table_describe_mtime(n->t, n->table_name, &mtime_ns);
	if (!rc)
		fs_fill_file_stat(fs, st, text.len, mtime_ns);
	ddb_buf_release(&text);
	return rc;
}

static int getattr_item(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	struct store_item_meta meta;
	uint64_t size;
	int rc;

	if (n->view_miss)
		return -ENOENT;
	if (fs_open_file_size(fs, n->path, &size)) {
		fs_fill_file_stat(fs, st, size, fs_now_ns());
		return 0;
	}
	rc = store_item_stat(n->t, &n->pk, n->has_sk ? &n->sk : NULL, &meta);
	if (!rc)
		fs_fill_file_stat(fs, st, meta.text_len, meta.mtime_ns);
	if (!rc && n->via_view)
		st->st_mode = S_IFREG | 0444;
	return rc;
}

static int getattr_partition(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	struct fs_node part = *n;	/* shares n's memory; not released */
	int rc = store_partition_exists(n->t, &n->pk);

	if (rc == 0)
		fs_fill_dir_stat(fs, st, table_ns(n));
	if (rc != -ENOENT)
		return rc;
	/* A held (empty) partition directory: its path is the view's first two names. */
	part.kind = FS_SCRATCH;
	if (n->kind == FS_VIEW) {
		char dir[4096];
		const char *slash = strchr(n->path + 1, '/');

		slash = slash ? strchr(slash + 1, '/') : NULL;
		if (!slash || (size_t)(slash - n->path) >= sizeof(dir))
			return -ENOENT;
		memcpy(dir, n->path, (size_t)(slash - n->path));
		dir[slash - n->path] = '\0';
		part.path = dir;
		return getattr_scratch(fs, &part, st);
	}
	return getattr_scratch(fs, &part, st);
}

int do_getattr(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	int rc;

	switch (n->kind) {
	case FS_ROOT:
	case FS_SNAPSHOTS:
		fs_fill_dir_stat(fs, st, fs->mount_ns);
		return 0;
	case FS_SNAPSHOT:
		if (!n->snap)
			return -ENOENT;
		fs_fill_dir_stat(fs, st, store_snapshot_taken_ns(n->snap));
		return 0;
	case FS_ERRORS:
		fs_fill_file_stat(fs, st, errlog_size(), fs_now_ns());
		return 0;
	case FS_TABLE:
		if (!n->t)
			return -ENOENT;
		fs_fill_dir_stat(fs, st, table_ns(n));
		return 0;
	case FS_SCHEMA:
		return getattr_schema(fs, n, st);
	case FS_PARTITION:
		return getattr_partition(fs, n, st);
	case FS_VIEW:
		rc = getattr_partition(fs, n, st);
		if (!rc)
			st->st_mode = S_IFDIR | 0555;
		return rc;
	case FS_ITEM:
		return getattr_item(fs, n, st);
	case FS_SCRATCH:
		return getattr_scratch(fs, n, st);
	case FS_INDEX:
	case FS_INDEX_LINK:
		return fs_index_getattr(fs, n, st);
	}
	return -ENOENT;
}
