/*
 * ixtxn.c - secondary index entries in a partition environment: writing
 * them in an item's transaction, their figures, dropping an index's entries
 * and walking a partition's items to backfill a new index.
 *
 * An entry's LMDB key is the index id (4 bytes, big-endian) followed by one
 * key part per component (keycodec.h), each with threshold
 * store_ix_part_t(ncomp) so the whole key fits LMDB's 511 bytes.  Its value
 * is a record: u16 version, u16 ncomp, u32 pad, u64 size, then per
 * component a u32 length and the full encoding, so a reader checks shortened
 * parts against the full keys and sorts a group by them.
 *
 * Key invariant: in every committed state "meta" holds, per index id, the
 * exact count and size of that index's entries in this environment.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

#define IX_REC_VERSION 1

struct ix_rec_hdr {
	uint16_t version;
	uint16_t ncomp;
	uint32_t pad;
	uint64_t size;
};

/* Per index and environment, in "meta" under "ix" + be32 id. */
struct ix_figures {
	uint64_t items;
	uint64_t bytes;
};

size_t store_ix_part_t(unsigned ncomp)
{
	return (DDB_STORE_KEY_MAX - sizeof(uint32_t)) / ncomp - DDB_KEY_HASH_LEN;
}

int store_ix_prefix(struct ddb_buf *out, uint32_t id)
{
	uint32_t be = htobe32(id);

	return ddb_buf_add(out, &be, sizeof(be));
}

bool store_ix_rec_parse(const MDB_val *v, unsigned *ncomp, const uint8_t *full[], size_t len[])
{
	const uint8_t *p = v->mv_data, *end = p + v->mv_size;
	struct ix_rec_hdr h;
	uint32_t l;
	unsigned i;

	if (v->mv_size < sizeof(h))
		return false;
	memcpy(&h, p, sizeof(h));
	if (h.version != IX_REC_VERSION || !h.ncomp || h.ncomp > STORE_IX_MAX_COMP)
		return false;
	p += sizeof(h);
	for (i = 0; i < h.ncomp; i++) {
		if ((size_t)(end - p) < sizeof(l))
			return false;
		memcpy(&l, p, sizeof(l));
		p += sizeof(l);
		if ((size_t)(end - p) < l)
			return false;
		full[i] = p;
		len[i] = l;
		p += l;
	}
	*ncomp = h.ncomp;
	return p == end;
}

/* An entry's LMDB key and the full encodings of its components. */
struct ix_keys {
	struct ddb_buf key;
	struct ddb_buf full[STORE_IX_MAX_COMP];
	unsigned ncomp;
};

static void ix_keys_release(struct ix_keys *k)
{
	unsigned i;

	ddb_buf_release(&k->key);
	for (i = 0; i < STORE_IX_MAX_COMP; i++)
		ddb_buf_release(&k->full[i]);
}

static int ix_keys_build(struct ix_keys *k, const struct store_ix_entry *e)
{
	size_t t;
	unsigned i;
	int rc;

	memset(k, 0, sizeof(*k));
	if (e->ncomp < 2 || e->ncomp > STORE_IX_MAX_COMP)
		return -EINVAL;
	k->ncomp = e->ncomp;
	t = store_ix_part_t(e->ncomp);
	rc = store_ix_prefix(&k->key, e->id);
	for (i = 0; !rc && i < e->ncomp; i++) {
		rc = ddb_keycodec_part(&k->key, &e->comp[i], t, NULL);
		if (!rc)
			rc = ddb_keycodec_encode(&k->full[i], &e->comp[i]);
	}
	if (rc)
		ix_keys_release(k);
	return rc;
}

/* 0 if v is the record of exactly k's entry, 1 if another (a hash collision), <0. */
static int ix_rec_match(const MDB_val *v, const struct ix_keys *k, struct ix_rec_hdr *h)
{
	const uint8_t *full[STORE_IX_MAX_COMP];
	size_t len[STORE_IX_MAX_COMP];
	unsigned n, i;

	if (!store_ix_rec_parse(v, &n, full, len))
		return -EIO;
	memcpy(h, v->mv_data, sizeof(*h));
	if (n != k->ncomp)
		return 1;
	for (i = 0; i < n; i++)
		if (len[i] != k->full[i].len || (len[i] && memcmp(full[i], k->full[i].data, len[i])))
			return 1;
	return 0;
}

static void figures_key(uint8_t key[6], uint32_t id)
{
	uint32_t be = htobe32(id);

	key[0] = 'i';
	key[1] = 'x';
	memcpy(key + 2, &be, sizeof(be));
}

/* Keeps the transaction's net change per index, for store_txn_figures_changed. */
static void note_delta(struct store_txn *tx, uint32_t id, int64_t items, int64_t bytes)
{
	unsigned i;

	for (i = 0; i < tx->n_ix_delta && tx->ix_delta[i].id != id; i++)
		;
	if (i == STORE_IX_DELTA_MAX) {
		tx->figures_changed = true;	/* cannot happen; be safe */
		return;
	}
	if (i == tx->n_ix_delta)
		tx->ix_delta[tx->n_ix_delta++] = (struct store_ix_delta){ id, 0, 0 };
	tx->ix_delta[i].items += items;
	tx->ix_delta[i].bytes += bytes;
}

bool store_txn_figures_changed(const struct store_txn *tx)
{
	unsigned i;

	for (i = 0; i < tx->n_ix_delta; i++)
		if (tx->ix_delta[i].items || tx->ix_delta[i].bytes)
			return true;
	return tx->figures_changed;
}

static int figures_adjust(struct store_txn *tx, uint32_t id, int64_t items, int64_t bytes)
{
	uint8_t kb[6];
	MDB_val k = {sizeof(kb), kb}, v;
	struct ix_figures f = {0, 0};
	int rc;

	figures_key(kb, id);
	rc = store_txn_check(tx, mdb_get(tx->txn, tx->env->dbi[STORE_META], &k, &v));
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc && v.mv_size == sizeof(f))
		memcpy(&f, v.mv_data, sizeof(f));
	f.items += (uint64_t)items;
	f.bytes += (uint64_t)bytes;
	note_delta(tx, id, items, bytes);
	v.mv_size = sizeof(f);
	v.mv_data = &f;
	return store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_META], &k, &v, 0));
}

/*
 * Builds e's keys (released by the caller, also on failure) and looks the
 * entry up: 0 with its header, -ENOENT if absent, 1 if another entry's
 * shortened key collides with it, or <0.
 */
static int ix_lookup(struct store_txn *tx, const struct store_ix_entry *e, struct ix_keys *k,
		     MDB_val *key, struct ix_rec_hdr *old)
{
	MDB_val v;
	int rc;

	rc = ix_keys_build(k, e);
	if (rc)
		return rc;
	key->mv_size = k->key.len;
	key->mv_data = k->key.data;
	rc = store_txn_check(tx, mdb_get(tx->txn, tx->env->dbi[STORE_IXENT], key, &v));
	return rc ? rc : ix_rec_match(&v, k, old);
}

int store_txn_ix_put(struct store_txn *tx, const struct store_ix_entry *e, uint64_t size)
{
	struct ix_rec_hdr h = {IX_REC_VERSION, 0, 0, size}, old;
	struct ix_keys k;
	MDB_val key, v;
	uint32_t l;
	uint8_t *p;
	int64_t items = 1, bytes = (int64_t)size;
	unsigned i;
	int rc;

	rc = ix_lookup(tx, e, &k, &key, &old);
	if (!rc) {
		items = 0;
		bytes -= (int64_t)old.size;
	} else if (rc != -ENOENT) {
		goto out_keys; /* 1, a 128-bit collision: refuse, as items do */
	}
	h.ncomp = (uint16_t)k.ncomp;
	v.mv_size = sizeof(h);
	for (i = 0; i < k.ncomp; i++)
		v.mv_size += sizeof(l) + k.full[i].len;
	rc = store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_IXENT], &key, &v, MDB_RESERVE));
	if (rc)
		goto out_keys;
	p = v.mv_data;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (i = 0; i < k.ncomp; i++) {
		l = (uint32_t)k.full[i].len;
		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
		memcpy(p, k.full[i].data, l);
		p += l;
	}
	rc = figures_adjust(tx, e->id, items, bytes);
out_keys:
	ix_keys_release(&k);
	return rc == 1 ? -EIO : rc;
}

int store_txn_ix_del(struct store_txn *tx, const struct store_ix_entry *e)
{
	struct ix_rec_hdr old;
	struct ix_keys k;
	MDB_val key;
	int rc;

	rc = ix_lookup(tx, e, &k, &key, &old);
	if (rc == 1)
		rc = -ENOENT;
	if (!rc)
		rc = store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_IXENT], &key, NULL));
	if (!rc)
		rc = figures_adjust(tx, e->id, -1, -(int64_t)old.size);
	ix_keys_release(&k);
	return rc;
}

struct ix_sum {
	uint8_t key[6];
	uint64_t items, bytes;
};

static int add_ix_figures(struct store_env *e, MDB_txn *txn, void *ctx)
{
	struct ix_sum *sum = ctx;
	MDB_val k = {sizeof(sum->key), sum->key}, v;
	struct ix_figures f;
	int rc = mdb_get(txn, e->dbi[STORE_META], &k, &v);

	if (!rc && v.mv_size == sizeof(f)) {
		memcpy(&f, v.mv_data, sizeof(f));
		sum->items += f.items;
		sum->bytes += f.bytes;
	}
	return rc;
}

int store_ix_stats(struct store_table *t, uint32_t id, uint64_t *items, uint64_t *bytes)
{
	struct ix_sum sum = {{0}, 0, 0};
	int rc;

	figures_key(sum.key, id);
	rc = store_table_read_each(t, add_ix_figures, &sum);
	*items = sum.items;
	*bytes = sum.bytes;
	return rc;
}

/* ---- background work ---- */

unsigned store_table_env_count(struct store_table *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->schema ? t->nenv : 0;
	pthread_mutex_unlock(&t->lock);
	return n;
}

int store_write_env(struct store_table *t, unsigned i, store_write_fn fn, void *ctx,
		    struct ddb_err *err)
{
	struct store_txn tx = {0};
	int rc;

	if (t->st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	pthread_rwlock_rdlock(&t->life);
	if (t->dropped || i >= store_table_env_count(t)) {
		rc = ddb_err_set(err, ENOENT, "the table no longer exists");
	} else {
		tx.t = t;
		tx.part = i;
		tx.has_range = ddb_schema_has_range(store_table_schema(t));
		rc = store_env_write(t->envs[i], &tx, fn, ctx, err);
	}
	pthread_rwlock_unlock(&t->life);
	return rc;
}

const struct ddb_schema *store_txn_schema(struct store_txn *tx)
{
	return tx->t ? store_table_schema(tx->t) : NULL;
}

static void progress_key(uint8_t key[6], uint32_t id)
{
	figures_key(key, id);
	key[0] = 'b';
	key[1] = 'f';
}

int store_txn_ix_drop_some(struct store_txn *tx, uint32_t id, size_t max, bool *done)
{
	struct ddb_buf prefix = DDB_BUF_INIT;
	uint8_t kb[6];
	MDB_val k, v, mk = {sizeof(kb), kb};
	MDB_cursor *cur;
	size_t n = 0;
	int rc;

	*done = false;
	rc = store_ix_prefix(&prefix, id);
	if (rc)
		return rc;
	rc = store_txn_check(tx, mdb_cursor_open(tx->txn, tx->env->dbi[STORE_IXENT], &cur));
	if (rc)
		goto out_prefix;
	for (; n < max; n++) {
		k.mv_size = prefix.len;
		k.mv_data = prefix.data;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND || (!rc && (k.mv_size < prefix.len ||
						   memcmp(k.mv_data, prefix.data, prefix.len)))) {
			rc = 0;
			*done = true;
			break;
		}
		if (!rc)
			rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	rc = store_txn_check(tx, rc);
	if (!rc && *done) {
		figures_key(kb, id);
		rc = store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_META], &mk, NULL));
		if (rc == -ENOENT)
			rc = 0;
		progress_key(kb, id);
		if (!rc)
			rc = store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_META], &mk, NULL));
		if (rc == -ENOENT)
			rc = 0;
	}
out_prefix:
	ddb_buf_release(&prefix);
	return rc;
}

/* Decodes an item record's keys and hands the item to fn. */
static int backfill_item(struct store_txn *tx, const MDB_val *v, const struct ddb_schema *s,
			 store_item_fn fn, void *ctx, struct ddb_err *err)
{
	struct ddb_buf pkm = DDB_BUF_INIT, skm = DDB_BUF_INIT;
	struct ddb_key pk, sk;
	struct store_rec_hdr h;
	const uint8_t *pkf, *skf;
	const char *text;
	size_t used;
	int rc;

	if (!store_rec_parse(v, &h, &pkf, &skf, &text))
		return -EIO;
	pk.type = ddb_schema_hash(s).type;
	rc = ddb_keycodec_decode(pkf, h.pk_len, pk.type, &pkm, &used);
	if (!rc && h.sk_len) {
		sk.type = ddb_schema_range(s).type;
		rc = ddb_keycodec_decode(skf, h.sk_len, sk.type, &skm, &used);
	}
	if (rc)
		goto out;
	pk.data = pkm.data ? pkm.data : "";
	pk.len = pkm.len;
	sk.data = skm.data ? skm.data : "";
	sk.len = skm.len;
	rc = fn(tx, &pk, h.sk_len ? &sk : NULL, text, h.text_len, h.ddb_size, ctx, err);
out:
	ddb_buf_release(&pkm);
	ddb_buf_release(&skm);
	return rc == -EINVAL ? -EIO : rc;
}

int store_txn_backfill_some(struct store_txn *tx, uint32_t id, size_t max, store_item_fn fn,
			    void *ctx, bool *done, struct ddb_err *err)
{
	const struct ddb_schema *s = store_txn_schema(tx);
	struct ddb_buf resume = DDB_BUF_INIT;
	uint8_t kb[6];
	MDB_val mk = {sizeof(kb), kb}, k, v;
	MDB_cursor *cur;
	MDB_cursor_op op;
	size_t n = 0;
	int rc, mrc;

	*done = false;
	progress_key(kb, id);
	rc = store_txn_check(tx, mdb_get(tx->txn, tx->env->dbi[STORE_META], &mk, &v));
	if (!rc && v.mv_size == 1) {
		*done = true; /* 1 byte: finished earlier */
		return 0;
	}
	if (!rc && v.mv_size > 1)
		rc = ddb_buf_add(&resume, (const char *)v.mv_data + 1, v.mv_size - 1);
	if (rc && rc != -ENOENT)
		goto out_resume;
	rc = store_txn_check(tx, mdb_cursor_open(tx->txn, tx->env->dbi[STORE_ITEMS], &cur));
	if (rc)
		goto out_resume;
	k.mv_size = resume.len;
	k.mv_data = resume.data;
	op = resume.len ? MDB_SET_RANGE : MDB_FIRST;
	mrc = mdb_cursor_get(cur, &k, &v, op);
	/* The saved key itself was done by the previous batch. */
	if (!mrc && resume.len && k.mv_size == resume.len &&
	    !memcmp(k.mv_data, resume.data, k.mv_size))
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	ddb_buf_reset(&resume);
	for (; !mrc && !rc && n < max; n++) {
		rc = backfill_item(tx, &v, s, fn, ctx, err);
		if (rc)
			break;
		ddb_buf_reset(&resume);
		rc = ddb_buf_addch(&resume, 'p');
		if (!rc)
			rc = ddb_buf_add(&resume, k.mv_data, k.mv_size);
		if (!rc)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (!rc && mrc == MDB_NOTFOUND) {
		*done = true;
		ddb_buf_reset(&resume);
		rc = ddb_buf_addch(&resume, 'd');
	} else if (!rc && mrc) {
		rc = store_txn_check(tx, mrc);
	}
	if (!rc && resume.len) {
		v.mv_size = resume.len;
		v.mv_data = resume.data;
		rc = store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_META], &mk, &v, 0));
	}
out_resume:
	ddb_buf_release(&resume);
	return rc;
}
