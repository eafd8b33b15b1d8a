/*
 * fs_int.h - what the FUSE layer's files share.
 *
 * Every operation resolves its path into a struct fs_node (node.c), then a
 * do_* function acts on that node and returns 0 or a negative errno; ops.c
 * is the thin table that calls them.  Input errors carry a sentence that is
 * logged with the path and kept in .errors (errlog.h).
 */
#ifndef DDB_FS_INT_H
#define DDB_FS_INT_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "buf.h"
#include "err.h"
#include "index.h"
#include "query.h"
#include "keycodec.h"
#include "scratch.h"
#include "store.h"

struct fs_open_files;
struct fs_snapshots;
struct fs_inodes;

struct ddbfs {
	struct store *store;
	struct scratch *scratch;
	struct fs_open_files *open_files;
	struct idx_worker *indexer;	/* NULL when read-only */
	struct fs_snapshots *snapshots;
	struct fs_inodes *inodes;	/* the kernel's inode numbers (inode.h) */
	struct fuse_session *se;	/* for invalidations; NULL once serving ended */
	uid_t uid;
	gid_t gid;
	bool read_only;
	int64_t mount_ns;
};

/* The daemon's state, set once before serving starts. */
struct ddbfs *fs_get(void);
void fs_set(struct ddbfs *fs);

enum fs_kind {
	FS_ROOT,		/* the mount point */
	FS_ERRORS,		/* /.errors */
	FS_TABLE,		/* /T (table may be absent: t == NULL) */
	FS_SCHEMA,		/* /T/.schema */
	FS_PARTITION,		/* /T/<pk> of a hash+range table */
	FS_ITEM,		/* /T/<pk> (hash-only) or /T/<pk>/<sk> */
	FS_SCRATCH,		/* anything held in memory (scratch.h) */
	FS_VIEW,		/* a range-query view under a partition (node_view.c) */
	FS_INDEX,		/* a directory of an index tree (node_index.c) */
	FS_INDEX_LINK,		/* a leaf of an index tree: a symlink to the item */
	FS_SNAPSHOTS,		/* /.snapshot */
	FS_SNAPSHOT,		/* /.snapshot/NAME (snap NULL if none): a root as of then */
};

#define SNAPSHOT_DIR ".snapshot"

/* Where in an index tree a node is (node_index.c). */
struct fs_ix {
	const struct ddb_index_def *def;	/* NULL: the .index directory itself */
	bool missing;				/* names no index: absent, not writable */
	bool local;				/* LSI: under a partition */
	struct store_ix_scan scan;		/* scan.level: the component listed */
	struct ddb_key keys[STORE_IX_MAX_COMP];	/* scan.fixed, then the leaf's */
	struct ddb_buf mem[STORE_IX_MAX_COMP];
	int depth;				/* names below the table (GSI) or partition */
};

struct fs_node {
	enum fs_kind kind;
	const char *path;		/* as given: "/T/pk/sk" */
	const char *name;		/* last component */
	char table_name[DDB_NAME_MAX + 1];
	struct store_table *t;		/* referenced; NULL at the root or if absent */
	const struct ddb_schema *schema;	/* NULL while the table has none */
	bool has_pk, has_sk;
	struct ddb_key pk, sk;
	struct ddb_buf pk_mem, sk_mem;
	struct idx_query *query;	/* FS_VIEW, and items reached through one; owned */
	bool view_complete;		/* FS_VIEW: not stopped inside an operator */
	bool via_view;			/* an item reached through a view: read-only */
	bool view_miss;			/* ...that the view does not hold: absent */
	struct fs_ix *ix;		/* FS_INDEX, FS_INDEX_LINK; owned */
	struct store_snapshot *snap;	/* referenced: the path is under .snapshot/NAME */
};

/*
 * Resolves path.  Returns 0 (the node may still not exist: resolution only
 * classifies), -ENOENT when a parent is missing, -ENAMETOOLONG, -ENOTDIR.
 * Always release the node, even on failure.  A path under .snapshot/NAME
 * makes this thread read that snapshot until the next resolve or
 * store_snapshot_use(NULL), which every request does before it answers.
 */
int fs_node_resolve(struct ddbfs *fs, const char *path, struct fs_node *n);
void fs_node_release(struct fs_node *n);
/* Views and what is reached through them cannot be written (EROFS). */
bool fs_node_read_only(const struct fs_node *n);
/*
 * Seconds the kernel may trust what it was told of n.  A commit to an
 * item's own name invalidates it, so a second.  Views and index trees show
 * what commits to other names change, so a tenth of a second: long enough
 * for a listing and the reads that follow it, short enough that nobody
 * waits on a stale size.  .schema and .errors change with every commit:
 * never.
 */
double fs_node_timeout(const struct fs_node *n);

/* node_view.c: comp[i..k) follow a partition and comp[i] names a view operator. */
bool fs_is_view_name(const char *name);
int fs_view_resolve(struct fs_node *n, char **comp, int i, int k);
/* Applies the operator comp[*i] to n->query and moves past its values; 1 if they are missing. */
int fs_view_step(struct fs_node *n, char **comp, int *i, int k);
/* node_index.c: comp[i] is ".index" under a table (i == 1) or a partition (i == 2). */
int fs_index_resolve(struct fs_node *n, char **comp, int i, int k);
void fs_index_release(struct fs_node *n);
int fs_index_getattr(struct ddbfs *fs, struct fs_node *n, struct stat *st);
int do_readlink(struct ddbfs *fs, struct fs_node *n, char *buf, size_t size);
/* The symlink target of the leaf `name` listed in index directory n. */
int fs_index_link_target(const struct fs_node *n, const struct ddb_key *leaf, struct ddb_buf *out);
/* Lists the names of the indexes under n (the .index directory itself), after `after`. */
typedef bool (*fs_name_fn)(const char *name, void *ctx);
void fs_index_names(const struct fs_node *n, const char *after, fs_name_fn fn, void *ctx);

/* The path relative to the mount point, for messages ("Books/x"). */
const char *fs_node_display(const struct fs_node *n);

/* attr.c */
int do_getattr(struct ddbfs *fs, struct fs_node *n, struct stat *st);
void fs_fill_dir_stat(struct ddbfs *fs, struct stat *st, int64_t mtime_ns);
void fs_fill_file_stat(struct ddbfs *fs, struct stat *st, uint64_t size, int64_t mtime_ns);
int64_t fs_now_ns(void);
/*
 * The kernel's cached attributes of path are stale: a commit changed them
 * (.schema's too, but the kernel never caches it: fs_node_timeout).
 * Called before the request that changed them is answered, from FLUSH,
 * RELEASE, RENAME or UNLINK handlers, where the kernel holds no page of
 * these files (items use direct I/O), so the notification cannot wait on
 * the request itself.
 */
void fs_attr_changed(struct ddbfs *fs, const char *path);

/* file.c */
struct fs_file;
int do_open(struct ddbfs *fs, struct fs_node *n, int flags, bool create, struct fs_file **out);
int do_read(struct fs_file *f, char *buf, size_t size, off_t off);
int do_write(struct fs_file *f, const char *buf, size_t size, off_t off);
int do_flush(struct fs_file *f);
int do_fsync(struct fs_file *f);
int do_ftruncate(struct fs_file *f, off_t size);
int do_futimens(struct fs_file *f, int64_t mtime_ns);
void do_release(struct fs_file *f);
/*
 * Releases every handle still open, as do_release would (pending writes
 * commit).  At exit: the kernel drops the RELEASE of files closed just
 * before the unmount (after a lazy one, or whenever the daemon lags).
 * Needs the store open.
 */
void fs_open_files_release_all(struct ddbfs *fs);
/* The path f was opened under (relative to the mount, as resolved); lives as long as f. */
const char *fs_file_path(const struct fs_file *f);
/* A read handle on an item: fills st for the text it holds (as of its open) and says true. */
bool fs_file_stat(struct fs_file *f, struct stat *st);
void fs_file_set_ino(struct fs_file *f, uint64_t ino);
/*
 * Answers stat for inode number ino from a read handle open on it, for a
 * file whose name is gone (the kernel asks fstat's GETATTR by number only).
 */
bool fs_open_files_stat_ino(struct ddbfs *fs, uint64_t ino, struct stat *st);
/* An open, written file at path, if any: its size wins over the store's. */
bool fs_open_file_size(struct ddbfs *fs, const char *path, uint64_t *size);
/*
 * futimens() reaches us by path, without the handle: an item still being
 * written takes the time at its commit.  True if such a handle exists.
 */
bool fs_open_file_set_mtime(struct ddbfs *fs, const char *path, int64_t mtime_ns);
/*
 * `: > item` and `touch new` commit at the final release, which the kernel
 * sends after close() returns; an open for reading right after waits
 * (briefly) for such a handle, so it reads what the close made.  Writers
 * that have written are never waited for, nor is stat.
 */
void fs_open_files_settle(struct ddbfs *fs, const char *path);
int fs_open_files_new(struct fs_open_files **out);
void fs_open_files_free(struct fs_open_files *of);

/* schema_commit.c */
int fs_table_set_schema(struct ddbfs *fs, struct fs_node *n, const char *json, size_t len,
			struct ddb_err *err);

/* namespace.c */
int do_mkdir(struct ddbfs *fs, struct fs_node *n);
int do_rmdir(struct ddbfs *fs, struct fs_node *n);
int do_unlink(struct ddbfs *fs, struct fs_node *n);
int do_rename(struct ddbfs *fs, struct fs_node *from, struct fs_node *to, unsigned flags);
int do_truncate(struct ddbfs *fs, struct fs_node *n, off_t size);
int do_utimens(struct ddbfs *fs, struct fs_node *n, int64_t mtime_ns);
/* Parses text as the item at node n (hash/range keys from the path). */
int fs_item_parse(struct fs_node *n, const char *text, size_t len, struct ddb_item **out,
		  struct ddb_err *err);

/* dir.c */
struct fs_dir;
/* Offers one directory entry, resumable after offset off; true once the reply is full. */
typedef bool (*fs_fill_fn)(void *ctx, const char *name, const struct stat *st, off_t off);
int do_opendir(struct ddbfs *fs, struct fs_node *n, struct fs_dir **out);
int do_readdir(struct ddbfs *fs, struct fs_dir *d, fs_fill_fn fill, void *ctx, off_t off);
/* fs_node_timeout of the directory: its entries' too. */
double fs_dir_timeout(const struct fs_dir *d);
void do_releasedir(struct fs_dir *d);

/* Logs an input error (err->code set) for node n and returns -err->code. */
int fs_report(const struct fs_node *n, const struct ddb_err *err);

#endif
