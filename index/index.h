/*
 * index.h - every item write goes through here, so secondary indexes (and,
 * later, stream records) change in the same LMDB commit as the item.
 *
 * The FUSE layer validates an item (item.h) and hands it over; this layer
 * runs the store transaction that replaces the old item, and updates the
 * index entries derived from old and new images (entries.h) in it.  A move between partitions that
 * live in different environments is made crash-safe with an intent record
 * (store journal) replayed by idx_table_recover.
 */
#ifndef DDB_INDEX_H
#define DDB_INDEX_H

#include <stdint.h>
#include "err.h"
#include "item.h"
#include "store.h"

enum idx_put_mode {
	IDX_PUT,		/* insert or replace */
	IDX_PUT_NEW,		/* attribute_not_exists: -EEXIST if present */
};

/*
 * Stores item under (pk, sk) with the given mtime.  The item must have been
 * parsed with the table's current schema and these keys.  Returns 0,
 * -EEXIST (IDX_PUT_NEW), or the store's errors, with err.
 */
int idx_item_put(struct store_table *t, const struct ddb_item *item, const struct ddb_key *pk,
		 const struct ddb_key *sk, int64_t mtime_ns, enum idx_put_mode mode,
		 struct ddb_err *err);

/* Deletes (pk, sk); -ENOENT if absent. */
int idx_item_delete(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct ddb_err *err);

/*
 * Moves an item to another key, rewriting its key attributes (the path
 * wins), replacing any item at the destination.  Atomic within one
 * environment; across environments the destination is committed first with
 * an intent record, so a crash leaves either the old state or, after
 * recovery, the new one, never neither.  -ENOENT if the source is absent.
 */
int idx_item_move(struct store_table *t, const struct ddb_key *from_pk,
		  const struct ddb_key *from_sk, const struct ddb_key *to_pk,
		  const struct ddb_key *to_sk, struct ddb_err *err);

/* Sets an item's mtime (utimens). -ENOENT. */
int idx_item_set_mtime(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		       int64_t mtime_ns, struct ddb_err *err);

/* Finishes moves a crash interrupted.  Call once per table after opening. */
int idx_table_recover(struct store_table *t, struct ddb_err *err);

/*
 * The background worker (worker.c) that builds indexes added to tables
 * with items (CREATING until done, then ACTIVE) and deletes the entries of
 * dropped ones, resuming after a restart.  Kick it after a schema change.
 * log receives a sentence for anything the user should know.
 */
struct idx_worker;
typedef void (*idx_log_fn)(const char *sentence);
int idx_worker_start(struct store *st, idx_log_fn log, struct idx_worker **out);
void idx_worker_kick(struct idx_worker *w);
void idx_worker_stop(struct idx_worker *w);

#endif
