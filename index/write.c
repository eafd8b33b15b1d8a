/*
 * write.c - item writes as single store transactions.
 *
 * Invariant: an item and everything derived from it (its index entries,
 * entries.c) change in one commit; a move across environments is bracketed
 * by an intent record in the destination's environment, so recovery can
 * always finish it (the source is deleted only if it is still the version
 * that was moved).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "entries.h"
#include "index.h"

struct put_ctx {
	const struct ddb_item *item;
	const struct ddb_key *pk;
	const struct ddb_key *sk;
	int64_t mtime_ns;
	enum idx_put_mode mode;
};

static int put_in_txn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct put_ctx *c = arg;
	struct store_value old;
	const char *text;
	size_t len;
	int rc;

	if (c->mode == IDX_PUT_NEW) {
		rc = store_txn_item_get(txn, c->pk, c->sk, &old);
		if (rc == 0)
			return ddb_err_set(err, EEXIST, "the item exists already");
		if (rc != -ENOENT)
			return rc;
	}
	text = ddb_item_text(c->item, &len);
	return idx_txn_put(txn, c->pk, c->sk, text, len, ddb_item_size(c->item), c->mtime_ns,
			   err);
}

int idx_item_put(struct store_table *t, const struct ddb_item *item, const struct ddb_key *pk,
		 const struct ddb_key *sk, int64_t mtime_ns, enum idx_put_mode mode,
		 struct ddb_err *err)
{
	struct put_ctx c = { item, pk, sk, mtime_ns, mode };

	return store_write(t, pk, put_in_txn, &c, err);
}

struct key_ctx {
	const struct ddb_key *pk;
	const struct ddb_key *sk;
	int64_t mtime_ns;
	uint64_t expect_seq;	/* 0: any version */
	uint64_t journal_id;	/* 0: none */
};

static int delete_in_txn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct key_ctx *c = arg;
	struct store_value old;
	int rc;

	if (c->expect_seq) {
		rc = store_txn_item_get(txn, c->pk, c->sk, &old);
		if (rc == -ENOENT || (rc == 0 && old.meta.seq != c->expect_seq))
			return 0;	/* rewritten since the move began: keep it */
		if (rc)
			return rc;
	}
	rc = idx_txn_del(txn, c->pk, c->sk);
	if (rc == -ENOENT && c->expect_seq)
		return 0;
	if (rc == -ENOENT)
		return ddb_err_set(err, ENOENT, "no such item");
	return rc;
}

int idx_item_delete(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct ddb_err *err)
{
	struct key_ctx c = { .pk = pk, .sk = sk };

	return store_write(t, pk, delete_in_txn, &c, err);
}

static int mtime_in_txn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct key_ctx *c = arg;
	int rc = store_txn_item_set_mtime(txn, c->pk, c->sk, c->mtime_ns);

	if (rc == -ENOENT)
		return ddb_err_set(err, ENOENT, "no such item");
	return rc;
}

int idx_item_set_mtime(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		       int64_t mtime_ns, struct ddb_err *err)
{
	struct key_ctx c = { .pk = pk, .sk = sk, .mtime_ns = mtime_ns };

	return store_write(t, pk, mtime_in_txn, &c, err);
}
