/*
 * namespace.c - operations on names: mkdir, rmdir, unlink, rename,
 * truncate and utimens by path.
 *
 * Each decides by the kinds of the nodes involved (node.c).  A rename that
 * lands on an item commits the moved content as that item (how sed -i,
 * editors and rsync save), and a rename between tables or of a partition
 * with items answers EXDEV so mv falls back to copying, which validates
 * every item against its new table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "errlog.h"
#include "fs_int.h"
#include "snapshots.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const struct ddb_key *sk_of(const struct fs_node *n)
{
	return n->has_sk ? &n->sk : NULL;
}

static bool partition_has_items(const struct fs_node *n)
{
	return store_partition_exists(n->t, &n->pk) == 0;
}

static int mkdir_table(struct ddbfs *fs, struct fs_node *n)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (n->t)
		return -EEXIST;
	rc = store_table_create(fs->store, n->table_name, &err);
	if (rc && err.code && rc != -EEXIST)
		return fs_report(n, &err);
	return rc;
}

static int refuse(const struct fs_node *n, int code, const char *why)
{
	struct ddb_err err = DDB_ERR_INIT;

	ddb_err_set(&err, code, "%s", why);
	return fs_report(n, &err);
}

/* mkdir .snapshot/NAME takes a snapshot (a read-only mount may too); rmdir drops it. */
static int snapshot_mkdir(struct ddbfs *fs, struct fs_node *n)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (n->snap)
		return -EEXIST;
	if (n->name[0] == '.')
		return refuse(n, EINVAL, "a snapshot name cannot start with '.'");
	rc = fs_snapshots_take(fs->snapshots, fs->store, n->name, &err);
	if (rc && err.code)
		return fs_report(n, &err);
	if (!rc)
		errlog_info("snapshot %s taken", n->name);
	return rc;
}

int do_mkdir(struct ddbfs *fs, struct fs_node *n)
{
	if (n->kind == FS_SNAPSHOT)
		return snapshot_mkdir(fs, n);
	if (fs->read_only || fs_node_read_only(n))
		return -EROFS;
	switch (n->kind) {
	case FS_TABLE:
		return mkdir_table(fs, n);
	case FS_PARTITION:
		if (partition_has_items(n))
			return -EEXIST;
		return scratch_mkdir(fs->scratch, n->path);
	case FS_ITEM:
		return refuse(n, EPERM, n->has_sk ? "sort keys name items, which are files"
				     : "in a hash-only table items are files, not directories");
	case FS_SCRATCH:
		if (!n->t && !n->table_name[0] && !strchr(n->path + 1, '/'))
			return refuse(n, EINVAL, "a table name cannot start with '.'");
		return scratch_mkdir(fs->scratch, n->path);
	default:
		return -EEXIST;
	}
}

static int rmdir_table(struct ddbfs *fs, struct fs_node *n)
{
	struct ddb_err err = DDB_ERR_INIT;
	char dir[DDB_NAME_MAX + 2];
	int rc;

	if (!n->t)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "/%s", n->table_name);
	if (scratch_has_children(fs->scratch, dir))
		return -ENOTEMPTY;
	rc = store_table_drop(fs->store, n->table_name, &err);
	if (rc == 0)
		scratch_remove_tree(fs->scratch, dir);
	return rc;
}

int do_rmdir(struct ddbfs *fs, struct fs_node *n)
{
	if (n->kind == FS_SNAPSHOT)
		return fs_snapshots_drop(fs->snapshots, n->name);
	if (fs->read_only || fs_node_read_only(n))
		return -EROFS;
	switch (n->kind) {
	case FS_ROOT:
		return -EBUSY;
	case FS_TABLE:
		return rmdir_table(fs, n);
	case FS_PARTITION:
		if (partition_has_items(n))
			return -ENOTEMPTY;
		return scratch_rmdir(fs->scratch, n->path);
	case FS_SCRATCH:
		return scratch_rmdir(fs->scratch, n->path);
	default:
		return -ENOTDIR;
	}
}

/*
 * After its last item goes, a partition directory stays (held in memory)
 * until it is removed, as a directory does on a disk: `rm -r` empties it and
 * then removes it.  An empty one is not kept across a remount (SPEC 3).
 */
static void keep_emptied_partition(struct ddbfs *fs, const struct fs_node *n)
{
	char dir[4096];
	size_t len;

	if (!n->has_sk || partition_has_items(n))
		return;
	len = (size_t)(n->name - n->path);
	if (len < 2 || len > sizeof(dir))
		return;
	memcpy(dir, n->path, len - 1);
	dir[len - 1] = '\0';
	scratch_mkdir(fs->scratch, dir);
}

static int unlink_item(struct ddbfs *fs, struct fs_node *n)
{
	int rc = idx_item_delete(n->t, &n->pk, sk_of(n), NULL);

	if (!rc)
		keep_emptied_partition(fs, n);
	return rc;
}

/* After rc == 0: what the kernel caches of `to` is stale (.schema it never caches). */
static int item_changed(struct ddbfs *fs, const struct fs_node *to, int rc)
{
	if (!rc && to && to->kind != FS_SCRATCH)
		fs_attr_changed(fs, to->path);
	return rc;
}

int do_unlink(struct ddbfs *fs, struct fs_node *n)
{
	if (fs->read_only || fs_node_read_only(n))
		return -EROFS;
	switch (n->kind) {
	case FS_ITEM:
		return unlink_item(fs, n);
	case FS_SCHEMA:
		/* The schema lives as long as its table; this lets `rm -r` work. */
		return n->schema ? 0 : -ENOENT;
	case FS_SCRATCH:
		return scratch_unlink(fs->scratch, n->path);
	case FS_ERRORS:
		return -EPERM;
	default:
		return -EISDIR;
	}
}

/* A held file's bytes become the item (or schema) at `to`; the file goes. */
static int rename_scratch_onto(struct ddbfs *fs, struct fs_node *from, struct fs_node *to)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_item *item = NULL;
	int64_t mtime;
	int rc = scratch_copy(fs->scratch, from->path, &text, &mtime);

	if (rc)
		goto out;
	if (to->kind == FS_SCHEMA) {
		rc = fs_table_set_schema(fs, to, text.data ? text.data : "", text.len, &err);
	} else {
		rc = fs_item_parse(to, text.data ? text.data : "", text.len, &item, &err);
		if (!rc)
			rc = idx_item_put(to->t, item, &to->pk, sk_of(to), mtime, IDX_PUT, &err);
	}
	if (!rc)
		scratch_unlink(fs->scratch, from->path);
	else if (err.code)
		rc = fs_report(to, &err);
out:
	ddb_item_free(item);
	ddb_buf_release(&text);
	return rc;
}

/* An item renamed to a name that is not a key becomes plain bytes. */
static int rename_item_to_scratch(struct ddbfs *fs, struct fs_node *from, struct fs_node *to)
{
	struct ddb_buf text = DDB_BUF_INIT;
	struct store_item_meta meta;
	int rc = store_item_copy(from->t, &from->pk, sk_of(from), &text, &meta);

	if (!rc)
		rc = scratch_put(fs->scratch, to->path, text.data, text.len, meta.mtime_ns);
	if (!rc)
		rc = unlink_item(fs, from);
	ddb_buf_release(&text);
	return rc;
}

static bool same_table(const struct fs_node *a, const struct fs_node *b)
{
	return a->t && a->t == b->t;
}

static int rename_item(struct ddbfs *fs, struct fs_node *from, struct fs_node *to)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (to->kind == FS_SCRATCH)
		return same_table(from, to) || !to->t ? rename_item_to_scratch(fs, from, to)
						      : -EXDEV;
	if (to->kind != FS_ITEM)
		return -EXDEV;
	if (!same_table(from, to))
		return -EXDEV;	/* mv copies, checking each item against its new table */
	rc = idx_item_move(from->t, &from->pk, sk_of(from), &to->pk, sk_of(to), &err);
	if (rc && err.code && rc != -ENOENT)
		return fs_report(to, &err);
	if (!rc)
		keep_emptied_partition(fs, from);
	return rc;
}

static int rename_table(struct ddbfs *fs, struct fs_node *from, struct fs_node *to)
{
	struct ddb_err err = DDB_ERR_INIT;
	char a[DDB_NAME_MAX + 2], b[DDB_NAME_MAX + 2];
	int rc;

	if (!from->t)
		return -ENOENT;
	rc = store_table_rename(fs->store, from->table_name, to->table_name, &err);
	if (rc && err.code && rc != -ENOTEMPTY && rc != -ENOENT)
		return fs_report(to, &err);
	if (rc)
		return rc;
	snprintf(a, sizeof(a), "/%s", from->table_name);
	snprintf(b, sizeof(b), "/%s", to->table_name);
	scratch_remove_tree(fs->scratch, b);
	/* Held items, empty partitions and scratch files follow the table. */
	scratch_rename(fs->scratch, a, b);
	scratch_rename_children(fs->scratch, a, b);
	return 0;
}

static int rename_scratch(struct ddbfs *fs, struct fs_node *from, struct fs_node *to)
{
	struct scratch_stat st;
	int rc = scratch_stat(fs->scratch, from->path, &st);

	if (rc)
		return rc;
	if (!st.is_dir && (to->kind == FS_ITEM || to->kind == FS_SCHEMA))
		return rename_scratch_onto(fs, from, to);
	if (to->kind == FS_SCRATCH || (st.is_dir && to->kind == FS_PARTITION &&
				       !partition_has_items(to)))
		return scratch_rename(fs->scratch, from->path, to->path);
	return st.is_dir ? -EXDEV : -EISDIR;
}

int do_rename(struct ddbfs *fs, struct fs_node *from, struct fs_node *to, unsigned flags)
{
	struct stat st;

	if (fs->read_only || fs_node_read_only(from) || fs_node_read_only(to))
		return -EROFS;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && do_getattr(fs, to, &st) == 0)
		return -EEXIST;
	switch (from->kind) {
	case FS_TABLE:
		return to->kind == FS_TABLE ? rename_table(fs, from, to) : -EXDEV;
	case FS_ITEM:
		return item_changed(fs, to, rename_item(fs, from, to));
	case FS_SCRATCH:
		return item_changed(fs, to, rename_scratch(fs, from, to));
	case FS_PARTITION:
		if (partition_has_items(from))
			return -EXDEV;
		if (to->kind != FS_PARTITION && to->kind != FS_SCRATCH)
			return -EXDEV;
		return scratch_rename(fs->scratch, from->path, to->path);
	default:
		return -EPERM;
	}
}

static int truncate_item(struct ddbfs *fs, struct fs_node *n, off_t size)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_item *item = NULL;
	struct store_item_meta meta;
	int rc = store_item_copy(n->t, &n->pk, sk_of(n), &text, &meta);

	if (!rc && (uint64_t)size == text.len)
		goto out;	/* nothing changes, not even the mtime */
	if (!rc)
		rc = ddb_buf_setlen(&text, (size_t)size);
	if (!rc)
		rc = fs_item_parse(n, text.data ? text.data : "", text.len, &item, &err);
	if (!rc)
		rc = idx_item_put(n->t, item, &n->pk, sk_of(n), fs_now_ns(), IDX_PUT, &err);
	if (rc && err.code)
		rc = fs_report(n, &err);
out:
	ddb_item_free(item);
	ddb_buf_release(&text);
	return rc;
}

int do_truncate(struct ddbfs *fs, struct fs_node *n, off_t size)
{
	if (fs->read_only || fs_node_read_only(n))
		return -EROFS;
	if (size < 0)
		return -EINVAL;
	switch (n->kind) {
	case FS_ITEM:
		return truncate_item(fs, n, size);
	case FS_SCRATCH:
		return scratch_truncate(fs->scratch, n->path, size);
	case FS_SCHEMA:
		return n->schema ? 0 : -ENOENT;
	case FS_ERRORS:
		return -EACCES;
	default:
		return -EISDIR;
	}
}

int do_utimens(struct ddbfs *fs, struct fs_node *n, int64_t mtime_ns)
{
	struct stat st;

	if (fs->read_only || fs_node_read_only(n))
		return -EROFS;
	switch (n->kind) {
	case FS_ITEM:
		if (fs_open_file_set_mtime(fs, n->path, mtime_ns))
			return 0;
		return idx_item_set_mtime(n->t, &n->pk, sk_of(n), mtime_ns, NULL);
	case FS_SCRATCH:
		return scratch_set_mtime(fs->scratch, n->path, mtime_ns);
	default:
		/* Directory and .schema times are derived; accept what rsync sets. */
		return do_getattr(fs, n, &st);
	}
}
