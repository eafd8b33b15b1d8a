/*
 * partition.c - one LMDB environment (a table's partition or the catalog):
 * opening, transactions, and growing the map when it fills up.
 *
 * Key invariant: every transaction holds the environment's grow lock for
 * reading while it is open; mdb_env_set_mapsize runs only under the lock held
 * for writing, so no transaction is live when the map is resized (LMDB's
 * rule).  Two kinds of read transaction are idle between uses and hold it
 * only while used: snapshots' and checkpoints' pins.  LMDB 0.9 refuses a
 * resize only under a live write transaction; an idle reader keeps page
 * numbers, not addresses.  A write that hits MDB_MAP_FULL (from a put or from the commit) is
 * aborted, the map doubled and the whole write run again: there is no cap but
 * the disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "hash.h"
#include "store_int.h"

/*
 * A partition's figures ("meta", store_int.h) are kept in the main database:
 * every commit rewrites its page anyway, since it holds the other
 * databases' roots, so a put writes one page fewer than with a database of
 * their own.  Stores made before keep them in the named database "meta";
 * they move over, in the transaction that opens the databases, and that
 * database is dropped.  A read-only mount reads them where they are.
 */
static int open_meta(struct store_env *e, MDB_txn *txn, MDB_dbi *out)
{
	MDB_cursor *c;
	MDB_dbi old;
	MDB_val k, v;
	int rc = mdb_dbi_open(txn, NULL, 0, out);

	if (!rc)
		rc = mdb_dbi_open(txn, "meta", 0, &old);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (e->read_only) {
		*out = old;
		return 0;
	}
	rc = mdb_cursor_open(txn, old, &c);
	if (rc)
		return rc;
	while (!(rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) && !(rc = mdb_put(txn, *out, &k, &v, 0)))
		;
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? mdb_drop(txn, old, 1) : rc;
}

/*
 * The store's layout, recorded in the main database of every environment
 * (catalog and partitions): 2 since a partition's figures moved there (no
 * record: a store made before, which open_meta converts).  A daemon refuses
 * an environment made by a newer one rather than misread it.
 */
#define STORE_FORMAT 2u

static int format_check(struct store_env *e, MDB_txn *txn, struct ddb_err *err)
{
	MDB_val k = {6, "format"}, v;
	uint32_t have = 0, want = STORE_FORMAT;
	MDB_dbi main;
	int rc = mdb_dbi_open(txn, NULL, 0, &main);

	if (!rc)
		rc = mdb_get(txn, main, &k, &v);
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_err(rc, err, "reading the store's format");
	if (!rc && v.mv_size == sizeof(have))
		memcpy(&have, v.mv_data, sizeof(have));
	else if (!rc)
		have = UINT32_MAX;
	if (have > STORE_FORMAT)
		return ddb_err_set(err, EIO,
				   "made by a newer ddbfs (store format %u; this one reads up to %u)",
				   have, STORE_FORMAT);
	if (e->read_only || have == STORE_FORMAT)
		return 0;
	v.mv_size = sizeof(want);
	v.mv_data = &want;
	rc = mdb_put(txn, main, &k, &v, 0);
	return rc ? store_mdb_err(rc, err, "recording the store's format") : 0;
}

/* Opens the named databases; a NULL name is the partition's figures (open_meta). */
static int env_open_dbis(struct store_env *e, const char *const *names, unsigned ndbi,
			 struct ddb_err *err)
{
	unsigned flags = e->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	unsigned i;
	int rc;

	rc = mdb_txn_begin(e->env, NULL, e->read_only ? MDB_RDONLY : 0, &txn);
	if (rc)
		return store_mdb_err(rc, err, "opening databases");
	for (i = 0; i < ndbi; i++) {
		if (names[i])
			rc = mdb_dbi_open(txn, names[i], flags, &e->dbi[i]);
		else
			rc = open_meta(e, txn, &e->dbi[i]);
		if (rc) {
			mdb_txn_abort(txn);
			return store_mdb_err(rc, err, "opening databases");
		}
	}
	rc = format_check(e, txn, err);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* Committing, even read-only, keeps the handles for later transactions. */
	rc = mdb_txn_commit(txn);
	return store_mdb_err(rc, err, "opening databases");
}

static int env_configure(MDB_env *env)
{
	int rc = mdb_env_set_maxdbs(env, 16);

	if (!rc)
		rc = mdb_env_set_maxreaders(env, 1024);
	if (!rc)
		rc = mdb_env_set_mapsize(env, STORE_MAP_INITIAL);
	return rc;
}

/*
 * Opens (creating unless read-only) the environment in directory path with
 * the named databases names[0..ndbi).
 */
int store_env_open(const char *path, const struct store_options *opt, const char *const *names,
		   unsigned ndbi, struct store_env **out, struct ddb_err *err)
{
	unsigned flags = MDB_NOTLS;
	struct store_env *e;
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	if (opt->read_only)
		flags |= MDB_RDONLY;
	/* Until the first checkpoint (checkpoint.c) takes over: data pages
	 * synced at commit, so a power loss can lose the last commits, never
	 * consistency. */
	else if (!opt->sync)
		flags |= MDB_NOMETASYNC;
	if (!opt->read_only && mkdir(path, 0755) && errno != EEXIST)
		return store_sys_err(errno, err, "cannot create", path);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->read_only = opt->read_only;
	pthread_rwlock_init(&e->grow, NULL);
	pthread_mutex_init(&e->idle_lock, NULL);
	store_env_queue_init(e);
	rc = mdb_env_create(&e->env);
	if (rc)
		goto out_free;
	rc = env_configure(e->env);
	if (rc)
		goto out_close;
	rc = store_ckpt_recover(path, opt, err);
	if (rc)
		goto out_close_err;
	rc = mdb_env_open(e->env, path, flags, 0644);
	if (rc)
		goto out_close;
	mdb_env_info(e->env, &info);
	e->mapsize = info.me_mapsize;
	if (!mdb_env_stat(e->env, &st))
		e->psize = st.ms_psize;
	rc = env_open_dbis(e, names, ndbi, err);
	if (rc)
		ddb_err_prefix(err, "%s", path);
	if (!rc && !e->read_only)
		rc = store_ckpt_start(e, path, opt, err);
	if (rc)
		goto out_close_err;
	*out = e;
	return 0;

out_close:
	rc = store_mdb_err(rc, err, path);
out_close_err:
	mdb_env_close(e->env);
	pthread_rwlock_destroy(&e->grow);
	pthread_mutex_destroy(&e->idle_lock);
	store_env_queue_destroy(e);
	free(e);
	return rc;
out_free:
	pthread_rwlock_destroy(&e->grow);
	pthread_mutex_destroy(&e->idle_lock);
	store_env_queue_destroy(e);
	free(e);
	return store_mdb_err(rc, err, path);
}

void store_env_close(struct store_env *e)
{
	if (!e)
		return;
	store_ckpt_stop(e);
	while (e->nidle)
		mdb_txn_abort(e->idle[--e->nidle]);
	mdb_env_close(e->env);
	pthread_rwlock_destroy(&e->grow);
	pthread_mutex_destroy(&e->idle_lock);
	store_env_queue_destroy(e);
	free(e);
}

/* A short read-only transaction; end it with store_env_read_end. */
int store_env_read_begin(struct store_env *e, MDB_txn **txn, struct ddb_err *err)
{
	int rc;

	if (store_snapshot_read_begin(e, txn))
		return 0;
	pthread_rwlock_rdlock(&e->grow);
	*txn = NULL;
	pthread_mutex_lock(&e->idle_lock);
	if (e->nidle)
		*txn = e->idle[--e->nidle];
	pthread_mutex_unlock(&e->idle_lock);
	if (*txn && mdb_txn_renew(*txn)) {
		mdb_txn_abort(*txn);
		*txn = NULL;
	}
	rc = *txn ? 0 : mdb_txn_begin(e->env, NULL, MDB_RDONLY, txn);
	if (rc) {
		pthread_rwlock_unlock(&e->grow);
		return store_mdb_err(rc, err, "starting a read transaction");
	}
	return 0;
}

void store_env_read_end(struct store_env *e, MDB_txn *txn)
{
	if (store_snapshot_read_end(e, txn))
		return;
	/* Reset: the snapshot is let go now, as an abort would. */
	mdb_txn_reset(txn);
	pthread_mutex_lock(&e->idle_lock);
	if (e->nidle < STORE_IDLE_READERS) {
		e->idle[e->nidle++] = txn;
		txn = NULL;
	}
	pthread_mutex_unlock(&e->idle_lock);
	if (txn)
		mdb_txn_abort(txn);
	pthread_rwlock_unlock(&e->grow);
}

/* The partition's figures as of txn (zero before the first write). */
int store_env_meta(struct store_env *e, MDB_txn *txn, struct store_pmeta *m)
{
	MDB_val k = {5, "stats"}, v;
	int rc = mdb_get(txn, e->dbi[STORE_META], &k, &v);

	memset(m, 0, sizeof(*m));
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (v.mv_size != sizeof(*m))
		return MDB_CORRUPTED;
	memcpy(m, v.mv_data, sizeof(*m));
	return 0;
}

static const char *const partition_dbis[] = {"items", "parts", NULL, "journal", "index"};

/*
 * Opens the table's n partition environments (tables/<id>/pNN), creating
 * them unless read-only.  Called with t->lock held, once per table.
 */
int store_partitions_open(struct store_table *t, unsigned n, struct ddb_err *err)
{
	struct store_env **envs;
	char path[4096];
	unsigned i;
	int rc = 0;

	envs = calloc(n, sizeof(*envs));
	if (!envs)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/tables/%llu", t->st->datadir, (unsigned long long)t->id);
	if (!t->st->opt.read_only && mkdir(path, 0755) && errno != EEXIST)
		rc = store_sys_err(errno, err, "cannot create", path);
	for (i = 0; i < n && !rc; i++) {
		snprintf(path, sizeof(path), "%s/tables/%llu/p%02u", t->st->datadir,
			 (unsigned long long)t->id, i);
		rc = store_env_open(path, &t->st->opt, partition_dbis, STORE_MAX_DBI, &envs[i], err);
	}
	if (rc) {
		for (i = 0; i < n; i++)
			store_env_close(envs[i]);
		free(envs);
		return rc;
	}
	t->envs = envs;
	t->nenv = n;
	return 0;
}

/* The partition of pk: the hash of its full encoding, modulo the count. */
static unsigned partition_index(unsigned nenv, const struct ddb_key *pk, int *rc)
{
	struct ddb_buf enc = DDB_BUF_INIT;
	unsigned i = 0;

	*rc = ddb_keycodec_encode(&enc, pk);
	if (!*rc)
		i = (unsigned)(ddb_hash64(enc.data, enc.len) % nenv);
	ddb_buf_release(&enc);
	return i;
}

/*
 * The environment holding pk, with the schema current at this moment.
 * -ENOENT if the table has no schema yet or was dropped.
 */
int store_table_env(struct store_table *t, const struct ddb_key *pk, struct store_env **env,
		    const struct ddb_schema **schema, unsigned *part)
{
	unsigned i, n;
	int rc;

	pthread_mutex_lock(&t->lock);
	/* Partitions may exist before the schema is committed: not usable yet. */
	n = t->schema ? t->nenv : 0;
	if (schema)
		*schema = t->schema;
	pthread_mutex_unlock(&t->lock);
	if (!n)
		return -ENOENT;
	i = partition_index(n, pk, &rc);
	if (rc)
		return rc;
	/* envs never changes once set, so it may be read unlocked. */
	*env = t->envs[i];
	if (part)
		*part = i;
	return 0;
}

bool store_same_env(struct store_table *t, const struct ddb_key *pk1, const struct ddb_key *pk2)
{
	struct store_env *e1, *e2;

	if (store_table_env(t, pk1, &e1, NULL, NULL) || store_table_env(t, pk2, &e2, NULL, NULL))
		return false;
	return e1 == e2;
}

int store_sync(struct store_table *t, const struct ddb_key *pk)
{
	struct store_env *e;
	unsigned i, n;
	int rc = 0;

	if (pk) {
		rc = store_table_env(t, pk, &e, NULL, NULL);
		return rc ? rc : store_env_checkpoint(e);
	}
	pthread_mutex_lock(&t->lock);
	n = t->nenv;
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n && !rc; i++)
		rc = store_env_checkpoint(t->envs[i]);
	return rc;
}

int store_table_read_each(struct store_table *t, store_env_read_fn fn, void *ctx)
{
	MDB_txn *txn;
	unsigned i, n;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	n = t->nenv;
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n && !rc; i++) {
		rc = store_env_read_begin(t->envs[i], &txn, NULL);
		if (rc)
			break;
		rc = fn(t->envs[i], txn, ctx);
		store_env_read_end(t->envs[i], txn);
		rc = rc == MDB_NOTFOUND ? 0 : store_mdb_errno(rc);
	}
	return rc;
}

static int newest_change(struct store_env *e, MDB_txn *txn, void *ctx)
{
	MDB_val k = {sizeof(STORE_META_CHANGED) - 1, STORE_META_CHANGED}, v;
	int64_t *ns = ctx, one;
	int rc = mdb_get(txn, e->dbi[STORE_META], &k, &v);

	if (!rc && v.mv_size == sizeof(one)) {
		memcpy(&one, v.mv_data, sizeof(one));
		if (one > *ns)
			*ns = one;
	}
	return rc;
}

int store_table_figures_changed_ns(struct store_table *t, int64_t *ns)
{
	*ns = 0;
	return store_table_read_each(t, newest_change, ns);
}

struct figures_sum {
	uint64_t items, bytes;
};

static int add_figures(struct store_env *e, MDB_txn *txn, void *ctx)
{
	struct figures_sum *sum = ctx;
	struct store_pmeta m;
	int rc = store_env_meta(e, txn, &m);

	sum->items += m.items;
	sum->bytes += m.bytes;
	return rc;
}

/* Exact item count and bytes, summed over the partitions' meta records. */
int store_table_stats(struct store_table *t, uint64_t *items, uint64_t *bytes)
{
	struct figures_sum sum = {0, 0};
	int rc = store_table_read_each(t, add_figures, &sum);

	*items = sum.items;
	*bytes = sum.bytes;
	return rc;
}
