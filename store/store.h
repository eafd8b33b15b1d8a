/*
 * store.h - tables and items persisted in partitioned LMDB environments.
 *
 * A data directory holds a catalog (table names, ids, schemas) and, per
 * table, `Partitions` LMDB environments; a partition key always lands in the
 * same one (hash of its encoding), so writers to different partitions commit
 * in parallel and readers never block.  Each item is kept as its canonical
 * text (item.h) with a small header, so a read copies straight from LMDB's
 * map.  Everything here is thread-safe.
 *
 * Memory rules: anything returned through a struct store_value or a
 * struct store_entry is borrowed and lives until the transaction or cursor
 * call that produced it ends; MDB_val never leaves store/.  No function keeps
 * a read transaction open after it returns, except an open cursor (close it
 * before the request that opened it is answered) and a snapshot.
 *
 * Errors: 0 or a negative errno.  -ENOENT, -EEXIST, -ENOTEMPTY as named;
 * -ENOSPC when the disk is full (nothing is changed; works again once space
 * is freed); -EIO for anything LMDB reports that has no better errno (the
 * sentence in err says what).  errors.c is the one place LMDB codes become
 * errnos.
 */
#ifndef DDB_STORE_H
#define DDB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "keycodec.h"
#include "schema.h"

struct store;
struct store_table;
struct store_txn;
struct store_cursor;

struct store_options {
	bool sync;		/* every commit synced before it is acknowledged */
	bool read_only;		/* open everything read-only; writes fail -EROFS */
	/* Sentences worth a line in the daemon's log (a rollback at open); may be NULL. */
	void (*log)(const char *sentence);
	/* Stands in for the kernel's boot id (tests that simulate a power loss); NULL. */
	const char *boot_id;
	/* Commits of an environment between background checkpoints; 0: 64. */
	unsigned ckpt_every;
};

/*
 * Creates datadir if missing (and its parents? no: only the last level),
 * then takes an exclusive flock on datadir/ddbfs.lock without waiting.
 * Returns 0 and the lock's fd (keep it open for the daemon's life), or
 * -EBUSY ("data directory DIR is in use by another ddbfs (pid N)"), or
 * another errno, with err.  Done before daemonizing so a refusal is seen.
 */
int store_lock_datadir(const char *datadir, int *lock_fd, struct ddb_err *err);

/*
 * Opens the store in datadir (already locked).  Recovers what a killed
 * daemon left: removes table directories the catalog no longer names.
 */
int store_open(const char *datadir, const struct store_options *opt, struct store **out,
	       struct ddb_err *err);
/* Closes every environment; all committed data is on disk afterwards. */
void store_close(struct store *st);

/* ---- snapshots ---- */

/*
 * A point-in-time view of every table that has a schema (snapshot.c): items,
 * counts, schemas and index trees as they were when it was taken, however
 * writers go on.  Taking one waits for item writes in flight to commit.
 * Refcounted: take gives one reference.  While alive it pins the pages
 * writers free, so the data files grow with the writes made meanwhile.
 */
struct store_snapshot;
int store_snapshot_take(struct store *st, struct store_snapshot **out, struct ddb_err *err);
void store_snapshot_ref(struct store_snapshot *s);
void store_snapshot_unref(struct store_snapshot *s);
int64_t store_snapshot_taken_ns(const struct store_snapshot *s);
/*
 * Every store call made by this thread from now on reads s (NULL: the live
 * store) and refuses to write (-EROFS).  Set it per request: a thread serves
 * requests for live paths too.
 */
void store_snapshot_use(struct store_snapshot *s);

/* ---- tables ---- */

/* All table names in byte order; free with store_names_free. */
int store_table_names(struct store *st, char ***names, size_t *count);
void store_names_free(char **names, size_t count);

/* A new table without a key schema. -EINVAL (name rule), -EEXIST. */
int store_table_create(struct store *st, const char *name, struct ddb_err *err);

/*
 * A counted reference to a table; release with store_table_put.  The handle
 * stays usable after the table is renamed; after it is dropped its
 * operations fail with -ENOENT.
 */
int store_table_get(struct store *st, const char *name, struct store_table **out);
void store_table_put(struct store_table *t);

/* -ENOENT; -ENOTEMPTY while items remain.  Files are removed once unused. */
int store_table_drop(struct store *st, const char *name, struct ddb_err *err);

/*
 * Renames a table.  If `to` exists and has no items it is replaced (rename(2)
 * onto an empty directory); with items: -ENOTEMPTY.  -ENOENT, -EINVAL.
 */
int store_table_rename(struct store *st, const char *from, const char *to, struct ddb_err *err);

/* Milliseconds since the epoch at which the table (directory) was made. */
int64_t store_table_created_ms(const struct store_table *t);

/*
 * The schema, or NULL while none is set.  Valid as long as the caller holds
 * its table reference, even if the schema is replaced meanwhile.
 */
const struct ddb_schema *store_table_schema(struct store_table *t);

/*
 * Sets or updates the schema from create-table (or describe-table) JSON.
 * The first schema creates the partitions.  -EINVAL, -EPERM (key schema or
 * Partitions changed), -EROFS; err says why.
 */
int store_table_set_schema(struct store_table *t, const char *json, size_t len,
			   struct ddb_err *err);

/* Exact item count and sum of DynamoDB item sizes over all partitions. */
int store_table_stats(struct store_table *t, uint64_t *items, uint64_t *bytes);

/* describe-table JSON for the table under `name`; -ENOENT without schema. */
int store_table_describe(struct store_table *t, const char *name, struct ddb_buf *out);
/*
 * When describe-table's text last changed: the last write of the schema or an
 * index state, or of an item that changed a count or size it shows.
 */
int store_table_describe_mtime(struct store_table *t, const char *name, int64_t *ns);

/* ---- reading items (each call is its own short read transaction) ---- */

struct store_item_meta {
	uint64_t text_len;	/* bytes of canonical text: st_size */
	uint64_t ddb_size;	/* DynamoDB's size of the item */
	int64_t mtime_ns;	/* last write, or as set by utimens */
	uint64_t seq;		/* partition-wide sequence number of the last write */
};

/* sk is NULL for hash-only tables.  -ENOENT. */
int store_item_stat(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct store_item_meta *meta);

/*
 * Copies up to size bytes of the item's text from offset off into dst,
 * straight from the map.  *nread < size only at the end.  meta may be NULL.
 */
int store_item_read(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    uint64_t off, void *dst, size_t size, size_t *nread,
		    struct store_item_meta *meta);

/* Appends the whole text to out. */
int store_item_copy(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct ddb_buf *out, struct store_item_meta *meta);

/* Hash+range tables: 0 if the partition holds at least one item, else -ENOENT. */
int store_partition_exists(struct store_table *t, const struct ddb_key *pk);

/* ---- writing items ---- */

/*
 * Runs fn inside a write transaction on the environment that holds pk, then
 * commits (synced if the store was opened with sync).  If LMDB's map fills
 * up the transaction is aborted, the map grown and fn run again, so fn must
 * not have effects outside the transaction.  fn's non-zero return aborts and
 * is returned.  Also -ENOSPC, -EIO, -EROFS.
 */
typedef int (*store_write_fn)(struct store_txn *txn, void *ctx, struct ddb_err *err);
int store_write(struct store_table *t, const struct ddb_key *pk, store_write_fn fn, void *ctx,
		struct ddb_err *err);

/* Whether two partition keys live in the same environment (one commit). */
bool store_same_env(struct store_table *t, const struct ddb_key *pk1, const struct ddb_key *pk2);

struct store_value {
	const char *text;	/* canonical item text, borrowed until the txn ends */
	size_t text_len;
	struct store_item_meta meta;
};

/* Inside a write transaction.  pk must map to the transaction's environment. */
int store_txn_item_get(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		       struct store_value *out);
/* Inserts or replaces; keeps counts, sizes and the partition list exact. */
int store_txn_item_put(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		       const char *text, size_t text_len, uint64_t ddb_size, int64_t mtime_ns);
/* -ENOENT if absent. */
int store_txn_item_del(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk);
/* Sets the mtime only; -ENOENT. */
int store_txn_item_set_mtime(struct store_txn *txn, const struct ddb_key *pk,
			     const struct ddb_key *sk, int64_t mtime_ns);

/*
 * Intent records for operations that span two environments (a move across
 * partitions): added in the first commit, removed after the last, and
 * replayed by whoever opens the table after a crash in between.
 */
int store_txn_journal_add(struct store_txn *txn, const void *rec, size_t len, uint64_t *id);
int store_txn_journal_del(struct store_txn *txn, uint64_t id);
/* Calls fn for every record of every partition; stops at fn's non-zero return. */
typedef int (*store_journal_fn)(const void *rec, size_t len, uint64_t id, void *ctx);
int store_journal_each(struct store_table *t, store_journal_fn fn, void *ctx);

/*
 * Makes every commit so far of the environment holding pk (all of them if
 * NULL) durable against power loss: a checkpoint (checkpoint.c).
 */
int store_sync(struct store_table *t, const struct ddb_key *pk);

/*
 * The schema in force for this write: read after the transaction began, so
 * a write either sees an index that is being added (and keeps it) or
 * commits before its backfill reads the environment.
 */
const struct ddb_schema *store_txn_schema(struct store_txn *txn);

/* ---- secondary index entries (SPEC section 7) ---- */

/*
 * An index entry is the tuple of its key components in index order:
 * GSI (index hash[, index range], table hash[, table range]); LSI (table
 * hash, index range, table range).  Entries live in the environment of the
 * item they derive from, so they change in the item's commit; a GSI's
 * listing merges all environments.  id is the index's (ddb_index_def.id).
 */
#define STORE_IX_MAX_COMP 4

struct store_ix_entry {
	uint32_t id;
	unsigned ncomp;
	struct ddb_key comp[STORE_IX_MAX_COMP];
};

/* Inserts or replaces; size is what the entry adds to IndexSizeBytes. */
int store_txn_ix_put(struct store_txn *txn, const struct store_ix_entry *e, uint64_t size);
/* -ENOENT if absent. */
int store_txn_ix_del(struct store_txn *txn, const struct store_ix_entry *e);
/* Exact entry count and size of an index over all partitions. */
int store_ix_stats(struct store_table *t, uint32_t id, uint64_t *items, uint64_t *bytes);

/* ---- background index work: one environment, one batch per transaction ---- */

unsigned store_table_env_count(struct store_table *t);
/* store_write on environment i (0 <= i < store_table_env_count). */
int store_write_env(struct store_table *t, unsigned i, store_write_fn fn, void *ctx,
		    struct ddb_err *err);

/* Deletes up to max entries of index id; *done once none is left (figures gone too). */
int store_txn_ix_drop_some(struct store_txn *txn, uint32_t id, size_t max, bool *done);

/*
 * Backfill of index id: calls fn for up to max items after the position
 * saved (in the same commit) by the previous batch; *done at the end, which
 * is remembered too.  fn adds the item's entries.
 */
typedef int (*store_item_fn)(struct store_txn *txn, const struct ddb_key *pk,
			     const struct ddb_key *sk, const char *text, size_t len,
			     uint64_t ddb_size, void *ctx, struct ddb_err *err);
int store_txn_backfill_some(struct store_txn *txn, uint32_t id, size_t max, store_item_fn fn,
			    void *ctx, bool *done, struct ddb_err *err);

/* Indexes with work left: being built (CREATING) or dropped with entries left. */
struct store_ix_job {
	uint32_t id;
	bool drop;		/* else build */
};
int store_table_ix_jobs(struct store_table *t, struct store_ix_job **jobs, size_t *n);
/* Ends a job: a built index becomes ACTIVE, a dropped one is forgotten. */
int store_table_ix_job_done(struct store_table *t, const struct store_ix_job *job,
			    struct ddb_err *err);
/* Whether the index named is ACTIVE (false while CREATING or unknown). */
bool store_table_ix_active(struct store_table *t, uint32_t id);

/* ---- listing: sorted, streamed, resumable ---- */

enum store_scan {
	/*
	 * The table level: a hash-only table's items, or a hash+range table's
	 * partition keys; merged across environments in key order.
	 */
	STORE_SCAN_TABLE,
	/* The items of one partition (hash+range), by sort key. */
	STORE_SCAN_PARTITION,
};

/* Key conditions of a query (SPEC section 6); every bound optional. */
struct store_range {
	const struct ddb_key *lo;
	bool lo_incl;
	const struct ddb_key *hi;
	bool hi_incl;
	const struct ddb_key *prefix;	/* begins_with, S and B only */
	bool reverse;			/* descending (ScanIndexForward=false) */
};

struct store_entry {
	struct ddb_key key;		/* sort key (partition scan) or partition key */
	struct store_item_meta meta;	/* an item's; zero for a partition entry */
};

/*
 * Opens a scan.  pk is the partition for STORE_SCAN_PARTITION (NULL for
 * TABLE); range may be NULL; after, if not NULL, resumes strictly after that
 * key in scan order, so a listing resumed from its last key neither repeats
 * nor skips entries that did not change meanwhile.  Everything passed in is
 * copied.  The cursor holds read transactions: close it within the request.
 */
int store_cursor_open(struct store_table *t, enum store_scan kind, const struct ddb_key *pk,
		      const struct store_range *range, const struct ddb_key *after,
		      struct store_cursor **out);
/*
 * The distinct values of one component of an index's entries, given the
 * components before it (fixed[0..level)), in key order: a directory level
 * of the index tree.  With LSI true every entry shares the first component
 * (the table's hash key), so one environment is read.
 */
struct store_ix_scan {
	uint32_t id;
	unsigned ncomp;
	enum ddb_type type[STORE_IX_MAX_COMP];
	unsigned level;
	const struct ddb_key *fixed;
	bool local;
};
int store_ix_cursor_open(struct store_table *t, const struct store_ix_scan *ix,
			 const struct store_range *range, const struct ddb_key *after,
			 struct store_cursor **out);

/* 0 and the next entry (valid until the next call), 1 at the end, or <0. */
int store_cursor_next(struct store_cursor *c, struct store_entry *out);
void store_cursor_close(struct store_cursor *c);

#endif
