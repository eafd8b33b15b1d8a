/*
 * entries.h - an item's secondary index entries, and the write-transaction
 * steps that keep every index in step with its items (index layer only).
 */
#ifndef DDB_ENTRIES_H
#define DDB_ENTRIES_H

#include <stdbool.h>
#include "err.h"
#include "item.h"
#include "store.h"

/* One entry with the memory its key components point into. */
struct idx_entry {
	bool present;
	struct store_ix_entry e;
	struct ddb_buf mem[2];		/* the index's own key values */
	struct ddb_buf pk_mem, sk_mem;	/* the item's keys */
};

/*
 * The entry of the item (pk, sk, canonical text) in index d: 0 and *e, 1 if
 * the item lacks a key attribute of d (not in the index), -EINVAL with err
 * if a key attribute has another type or breaks a key rule.  Release *e.
 */
int idx_entry_of(const struct ddb_index_def *d, const struct ddb_key *pk, const struct ddb_key *sk,
		 const char *text, size_t len, struct idx_entry *e, struct ddb_err *err);
void idx_entry_release(struct idx_entry *e);

/* store_txn_item_put / _del that also replace the item's index entries. */
int idx_txn_put(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		const char *text, size_t len, uint64_t ddb_size, int64_t mtime_ns,
		struct ddb_err *err);
int idx_txn_del(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk);

#endif
