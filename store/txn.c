/*
 * txn.c - items in a partition: the record format, write transactions
 * (put, delete, mtime, journal) and the short read transactions that serve
 * stat and read.
 *
 * An item's LMDB key is its key part(s) (keycodec.h); its value is a fixed
 * header, the full pk and sk encodings and the canonical text, so a read
 * copies the text straight from the map and a shortened key is checked
 * against the full one (a mismatch is a hash collision: treated as absent).
 *
 * Key invariant: in every committed state a partition's "meta" record holds
 * the exact item count and byte sum of its "items", and "parts" holds an
 * entry for exactly the partition keys that have items; each write keeps
 * them so in the same transaction.  A "parts" entry is written only when its
 * partition key gets its first item and removed when a delete leaves none,
 * so other puts leave that database's pages alone (with a few hundred
 * partition keys per environment it is two pages deep).  Its count field is
 * unused: stores made before kept a count there.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

/* An item's LMDB key and the full encodings of its keys. */
struct item_keys {
	struct ddb_buf key;
	struct ddb_buf pk;
	struct ddb_buf sk;
	size_t pk_part_len; /* the key's prefix that is the "parts" key */
};

int store_items_key(struct ddb_buf *key, const struct ddb_key *pk, const struct ddb_key *sk,
		    bool has_range)
{
	int rc;

	if (!has_range)
		return ddb_keycodec_part(key, pk, DDB_HASH_ONLY_T, NULL);
	rc = ddb_keycodec_part(key, pk, DDB_PK_PART_T, NULL);
	return rc ? rc : ddb_keycodec_part(key, sk, DDB_SK_PART_T, NULL);
}

static void keys_release(struct item_keys *k)
{
	ddb_buf_release(&k->key);
	ddb_buf_release(&k->pk);
	ddb_buf_release(&k->sk);
}

static int keys_build(struct item_keys *k, const struct ddb_key *pk, const struct ddb_key *sk,
		      bool has_range)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if (has_range != (sk != NULL))
		return -EINVAL;
	rc = store_items_key(&k->key, pk, sk, has_range);
	if (!rc && has_range)
		rc = ddb_keycodec_part(&k->pk, pk, DDB_PK_PART_T, NULL);
	if (!rc) {
		k->pk_part_len = k->pk.len;
		ddb_buf_reset(&k->pk);
	}
	if (!rc)
		rc = ddb_keycodec_encode(&k->pk, pk);
	if (!rc && sk)
		rc = ddb_keycodec_encode(&k->sk, sk);
	if (rc)
		keys_release(k);
	return rc;
}

/* Splits a stored record; false if it is malformed. */
bool store_rec_parse(const MDB_val *v, struct store_rec_hdr *h, const uint8_t **pk,
		     const uint8_t **sk, const char **text)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size < sizeof(*h))
		return false;
	memcpy(h, p, sizeof(*h));
	if (h->version != STORE_REC_VERSION ||
	    v->mv_size - sizeof(*h) != (uint64_t)h->pk_len + h->sk_len + h->text_len)
		return false;
	*pk = p + sizeof(*h);
	*sk = *pk + h->pk_len;
	*text = (const char *)*sk + h->sk_len;
	return true;
}

static bool same_bytes(const uint8_t *a, size_t alen, const struct ddb_buf *b)
{
	return alen == b->len && (!alen || !memcmp(a, b->data, alen));
}

/*
 * Looks the item up: 0 with its header and text, MDB_NOTFOUND if absent,
 * 1 if another item's shortened key collides with it, or an LMDB error.
 */
static int rec_lookup(MDB_txn *txn, struct store_env *e, const struct item_keys *k, MDB_val *v,
		      struct store_rec_hdr *h, const char **text)
{
	MDB_val key = {k->key.len, k->key.data};
	const uint8_t *pk, *sk;
	int rc;

	rc = mdb_get(txn, e->dbi[STORE_ITEMS], &key, v);
	if (rc)
		return rc;
	if (!store_rec_parse(v, h, &pk, &sk, text))
		return MDB_CORRUPTED;
	if (!same_bytes(pk, h->pk_len, &k->pk) || !same_bytes(sk, h->sk_len, &k->sk))
		return 1;
	return 0;
}

static void meta_from_hdr(const struct store_rec_hdr *h, struct store_item_meta *m)
{
	m->text_len = h->text_len;
	m->ddb_size = h->ddb_size;
	m->mtime_ns = h->mtime_ns;
	m->seq = h->seq;
}

/* ---- write transactions ---- */

int store_write(struct store_table *t, const struct ddb_key *pk, store_write_fn fn, void *ctx,
		struct ddb_err *err)
{
	const struct ddb_schema *s;
	struct store_txn tx = {0};
	struct store_env *e;
	int rc;

	if (t->st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	/* Drop and replace wait for writers, so no item lands in a dropped table. */
	pthread_rwlock_rdlock(&t->life);
	if (t->dropped) {
		rc = ddb_err_set(err, ENOENT, "the table no longer exists");
		goto out_unlock;
	}
	rc = store_table_env(t, pk, &e, &s, &tx.part);
	if (rc == -ENOENT)
		rc = ddb_err_set(err, ENOENT, "the table has no key schema");
	else if (rc)
		rc = ddb_err_set(err, -rc, "invalid partition key");
	if (rc)
		goto out_unlock;
	tx.t = t;
	tx.has_range = ddb_schema_has_range(s);
	rc = store_env_write(e, &tx, fn, ctx, err);
out_unlock:
	pthread_rwlock_unlock(&t->life);
	return rc;
}

/* Builds the keys of an item of this transaction; -EXDEV if pk lives elsewhere. */
static int txn_keys(struct store_txn *tx, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct item_keys *k)
{
	struct store_env *e;
	int rc;

	rc = store_table_env(tx->t, pk, &e, NULL, NULL);
	if (rc)
		return rc;
	if (e != tx->env)
		return -EXDEV;
	return keys_build(k, pk, sk, tx->has_range);
}

static int meta_get(struct store_txn *tx, struct store_pmeta *m)
{
	return store_txn_check(tx, store_env_meta(tx->env, tx->txn, m));
}

static int meta_put(struct store_txn *tx, struct store_pmeta *m)
{
	MDB_val k = {5, "stats"}, v = {sizeof(*m), m};
	struct store_pmeta old;

	if (!meta_get(tx, &old) && (old.items != m->items || old.bytes != m->bytes))
		tx->figures_changed = true;
	return store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_META], &k, &v, 0));
}

/* The "parts" entry of k's partition key, once an item was added under it. */
static int parts_add(struct store_txn *tx, const struct item_keys *k)
{
	MDB_dbi dbi = tx->env->dbi[STORE_PARTS];
	MDB_val key = {k->pk_part_len, k->key.data}, v;
	uint64_t unused = 0;
	int rc;

	rc = store_txn_check(tx, mdb_get(tx->txn, dbi, &key, &v));
	if (rc != -ENOENT)
		return rc;
	v.mv_size = sizeof(unused) + k->pk.len;
	rc = store_txn_check(tx, mdb_put(tx->txn, dbi, &key, &v, MDB_RESERVE));
	if (rc)
		return rc;
	memcpy(v.mv_data, &unused, sizeof(unused));
	memcpy((uint8_t *)v.mv_data + sizeof(unused), k->pk.data, k->pk.len);
	return 0;
}

/* Removes the "parts" entry of k's partition key once no item is left under it. */
static int parts_drop_if_empty(struct store_txn *tx, const struct item_keys *k)
{
	MDB_val key = {k->pk_part_len, k->key.data}, v;
	MDB_cursor *c;
	bool left;
	int rc;

	rc = store_txn_check(tx, mdb_cursor_open(tx->txn, tx->env->dbi[STORE_ITEMS], &c));
	if (rc)
		return rc;
	/* Encodings are self-delimiting: a key under the prefix is this partition key's. */
	rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
	left = !rc && key.mv_size >= k->pk_part_len &&
	       !memcmp(key.mv_data, k->key.data, k->pk_part_len);
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return store_txn_check(tx, rc);
	if (left)
		return 0;
	key.mv_size = k->pk_part_len;
	key.mv_data = k->key.data;
	return store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_PARTS], &key, NULL));
}

int store_txn_item_get(struct store_txn *tx, const struct ddb_key *pk, const struct ddb_key *sk,
		       struct store_value *out)
{
	struct store_rec_hdr h;
	struct item_keys k;
	const char *text;
	MDB_val v;
	int rc;

	rc = txn_keys(tx, pk, sk, &k);
	if (rc)
		return rc;
	rc = rec_lookup(tx->txn, tx->env, &k, &v, &h, &text);
	keys_release(&k);
	if (rc == 1)
		return -ENOENT;
	if (rc)
		return store_txn_check(tx, rc);
	out->text = text;
	out->text_len = h.text_len;
	meta_from_hdr(&h, &out->meta);
	return 0;
}

/* Writes a record under k's key, reserving the space and filling it in place. */
static int rec_write(struct store_txn *tx, const struct item_keys *k, const struct store_rec_hdr *h,
		     const char *text)
{
	MDB_val key = {k->key.len, k->key.data}, v;
	uint8_t *p;
	int rc;

	v.mv_size = sizeof(*h) + k->pk.len + k->sk.len + h->text_len;
	rc =
	    store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_ITEMS], &key, &v, MDB_RESERVE));
	if (rc)
		return rc;
	p = v.mv_data;
	memcpy(p, h, sizeof(*h));
	p += sizeof(*h);
	memcpy(p, k->pk.data, k->pk.len);
	p += k->pk.len;
	if (k->sk.len)
		memcpy(p, k->sk.data, k->sk.len);
	p += k->sk.len;
	if (h->text_len)
		memcpy(p, text, h->text_len);
	return 0;
}

/* The old item under k, if any, leaves the partition's figures. */
static int put_forget_old(struct store_txn *tx, const struct item_keys *k, struct store_pmeta *m,
			  bool *existed)
{
	struct store_rec_hdr h;
	const char *text;
	MDB_val v;
	int rc;

	rc = rec_lookup(tx->txn, tx->env, k, &v, &h, &text);
	*existed = rc == 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc == 1)
		return -EIO; /* a 128-bit hash collision: refuse rather than overwrite */
	if (rc)
		return store_txn_check(tx, rc);
	m->items--;
	m->bytes -= h.ddb_size;
	return 0;
}

int store_txn_item_put(struct store_txn *tx, const struct ddb_key *pk, const struct ddb_key *sk,
		       const char *text, size_t text_len, uint64_t ddb_size, int64_t mtime_ns)
{
	struct store_rec_hdr h = {0};
	struct store_pmeta m;
	struct item_keys k;
	bool existed;
	int rc;

	rc = txn_keys(tx, pk, sk, &k);
	if (rc)
		return rc;
	rc = meta_get(tx, &m);
	if (!rc)
		rc = put_forget_old(tx, &k, &m, &existed);
	if (rc)
		goto out_keys;
	h.version = STORE_REC_VERSION;
	h.pk_len = (uint32_t)k.pk.len;
	h.sk_len = (uint32_t)k.sk.len;
	h.text_len = text_len;
	h.ddb_size = ddb_size;
	h.mtime_ns = mtime_ns;
	h.seq = m.next_seq++;
	m.items++;
	m.bytes += ddb_size;
	rc = rec_write(tx, &k, &h, text);
	if (!rc && tx->has_range && !existed)
		rc = parts_add(tx, &k);
	if (!rc)
		rc = meta_put(tx, &m);
out_keys:
	keys_release(&k);
	return rc;
}

/*
 * Finds an existing item of this transaction for a change: its keys (which
 * the caller releases), its partition's figures, its header and its text,
 * borrowed from the map.  -ENOENT if there is no such item.
 */
static int txn_item_find(struct store_txn *tx, const struct ddb_key *pk, const struct ddb_key *sk,
			 struct item_keys *k, struct store_pmeta *m, struct store_rec_hdr *h,
			 const char **text)
{
	MDB_val v;
	int rc;

	rc = txn_keys(tx, pk, sk, k);
	if (rc)
		return rc;
	rc = meta_get(tx, m);
	if (!rc)
		rc = rec_lookup(tx->txn, tx->env, k, &v, h, text);
	if (rc) {
		keys_release(k);
		return rc == 1 ? -ENOENT : store_txn_check(tx, rc);
	}
	return 0;
}

int store_txn_item_del(struct store_txn *tx, const struct ddb_key *pk, const struct ddb_key *sk)
{
	struct store_rec_hdr h;
	struct store_pmeta m;
	struct item_keys k;
	const char *text;
	MDB_val key;
	int rc;

	rc = txn_item_find(tx, pk, sk, &k, &m, &h, &text);
	if (rc)
		return rc;
	key.mv_size = k.key.len;
	key.mv_data = k.key.data;
	rc = store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_ITEMS], &key, NULL));
	m.items--;
	m.bytes -= h.ddb_size;
	m.next_seq++;
	if (!rc && tx->has_range)
		rc = parts_drop_if_empty(tx, &k);
	if (!rc)
		rc = meta_put(tx, &m);
	keys_release(&k);
	return rc;
}

int store_txn_item_set_mtime(struct store_txn *tx, const struct ddb_key *pk,
			     const struct ddb_key *sk, int64_t mtime_ns)
{
	struct store_rec_hdr h;
	struct store_pmeta m;
	struct item_keys k;
	const char *text;
	char *copy = NULL;
	int rc;

	rc = txn_item_find(tx, pk, sk, &k, &m, &h, &text);
	if (rc)
		return rc;
	/* The put may overwrite the page the old text lives in: copy it first. */
	copy = malloc(h.text_len + 1);
	if (!copy) {
		rc = -ENOMEM;
		goto out_keys;
	}
	memcpy(copy, text, h.text_len);
	h.mtime_ns = mtime_ns;
	h.seq = m.next_seq++;
	rc = rec_write(tx, &k, &h, copy);
	if (!rc)
		rc = meta_put(tx, &m);
	free(copy);
out_keys:
	keys_release(&k);
	return rc;
}

/* ---- journal ---- */

int store_txn_journal_add(struct store_txn *tx, const void *rec, size_t len, uint64_t *id)
{
	struct store_pmeta m;
	uint64_t be;
	MDB_val k = {sizeof(be), &be}, v = {len, (void *)rec};
	int rc;

	rc = meta_get(tx, &m);
	if (rc)
		return rc;
	*id = ++m.next_journal;
	be = htobe64(*id); /* big-endian, so records replay in order */
	rc = store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_JOURNAL], &k, &v, 0));
	return rc ? rc : meta_put(tx, &m);
}

int store_txn_journal_del(struct store_txn *tx, uint64_t id)
{
	uint64_t be = htobe64(id);
	MDB_val k = {sizeof(be), &be};

	return store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_JOURNAL], &k, NULL));
}

/*
 * Calls fn on every record of e's database dbi, in key order, in one read
 * transaction, until fn returns non-zero.  Returns fn's non-zero value, 0
 * at the end, or the negative errno of an LMDB failure, with a sentence
 * saying it happened while `what`.
 */
int store_env_walk(struct store_env *e, unsigned dbi, store_walk_fn fn, void *ctx, const char *what,
		   struct ddb_err *err)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, fn_rc = 0, op = MDB_FIRST;

	rc = store_env_read_begin(e, &txn, err);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, e->dbi[dbi], &cur);
	if (rc)
		goto out_txn;
	while (!(rc = mdb_cursor_get(cur, &k, &v, op))) {
		op = MDB_NEXT;
		fn_rc = fn(&k, &v, ctx, err);
		if (fn_rc)
			break;
	}
	mdb_cursor_close(cur);
out_txn:
	store_env_read_end(e, txn);
	if (fn_rc)
		return fn_rc;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(rc, err, what);
}

struct journal_walk {
	store_journal_fn fn;
	void *ctx;
};

static int journal_rec(const MDB_val *k, const MDB_val *v, void *ctx, struct ddb_err *err)
{
	struct journal_walk *w = ctx;
	uint64_t be;

	if (k->mv_size != sizeof(be))
		return store_mdb_errno(MDB_CORRUPTED);
	memcpy(&be, k->mv_data, sizeof(be));
	return w->fn(v->mv_data, v->mv_size, be64toh(be), w->ctx);
}

int store_journal_each(struct store_table *t, store_journal_fn fn, void *ctx)
{
	struct journal_walk w = {fn, ctx};
	unsigned i, n;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	n = t->nenv;
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n && !rc; i++)
		rc = store_env_walk(t->envs[i], STORE_JOURNAL, journal_rec, &w,
				    "reading the journal", NULL);
	return rc;
}

/* ---- reads: each its own short read transaction ---- */

typedef int (*item_reader)(const struct store_rec_hdr *h, const char *text, void *ctx);

static int item_read(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		     item_reader fn, void *ctx, struct store_item_meta *meta)
{
	const struct ddb_schema *s;
	struct store_rec_hdr h;
	struct store_env *e;
	struct item_keys k;
	const char *text;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	rc = store_table_env(t, pk, &e, &s, NULL);
	if (!rc)
		rc = keys_build(&k, pk, sk, ddb_schema_has_range(s));
	if (rc)
		return rc;
	rc = store_env_read_begin(e, &txn, NULL);
	if (rc)
		goto out_keys;
	rc = rec_lookup(txn, e, &k, &v, &h, &text);
	if (rc == 1)
		rc = -ENOENT;
	else if (rc)
		rc = store_mdb_errno(rc);
	else
		rc = fn ? fn(&h, text, ctx) : 0;
	if (!rc && meta)
		meta_from_hdr(&h, meta);
	store_env_read_end(e, txn);
out_keys:
	keys_release(&k);
	return rc;
}

int store_item_stat(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct store_item_meta *meta)
{
	return item_read(t, pk, sk, NULL, NULL, meta);
}

struct read_ctx {
	uint64_t off;
	void *dst;
	size_t size;
	size_t *nread;
};

static int read_range(const struct store_rec_hdr *h, const char *text, void *arg)
{
	struct read_ctx *c = arg;
	size_t n = 0;

	if (c->off < h->text_len)
		n = h->text_len - c->off < c->size ? (size_t)(h->text_len - c->off) : c->size;
	if (n)
		memcpy(c->dst, text + c->off, n);
	*c->nread = n;
	return 0;
}

int store_item_read(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    uint64_t off, void *dst, size_t size, size_t *nread,
		    struct store_item_meta *meta)
{
	struct read_ctx c = {off, dst, size, nread};

	return item_read(t, pk, sk, read_range, &c, meta);
}

static int read_all(const struct store_rec_hdr *h, const char *text, void *out)
{
	return ddb_buf_add(out, text, h->text_len);
}

int store_item_copy(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk,
		    struct ddb_buf *out, struct store_item_meta *meta)
{
	return item_read(t, pk, sk, read_all, out, meta);
}

int store_partition_exists(struct store_table *t, const struct ddb_key *pk)
{
	struct ddb_buf part = DDB_BUF_INIT;
	const struct ddb_schema *s;
	struct store_env *e;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	rc = store_table_env(t, pk, &e, &s, NULL);
	if (rc)
		return rc;
	if (!ddb_schema_has_range(s))
		return -EINVAL;
	rc = ddb_keycodec_part(&part, pk, DDB_PK_PART_T, NULL);
	if (!rc)
		rc = store_env_read_begin(e, &txn, NULL);
	if (rc)
		goto out_part;
	k.mv_size = part.len;
	k.mv_data = part.data;
	rc = store_mdb_errno(mdb_get(txn, e->dbi[STORE_PARTS], &k, &v));
	store_env_read_end(e, txn);
out_part:
	ddb_buf_release(&part);
	return rc;
}
