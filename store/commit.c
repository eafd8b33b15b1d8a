/*
 * commit.c - write transactions on one environment, batched.
 *
 * LMDB lets one write transaction run per environment, and with -o sync
 * each commit ends in an fdatasync, so writers to one environment would take
 * turns at the disk.  Instead they queue: the first to find no
 * commit running leads, takes everything queued (its own request
 * included), runs each request's function in a nested transaction of one
 * parent, and commits the parent once.  A request that fails has its child
 * aborted and leaves the rest alone; the parent's commit decides for all
 * the others.  Writers arriving meanwhile queue for the next leader, so no
 * leader ever runs more than one batch.  A lone writer commits as before,
 * without nesting.
 *
 * Map growth: any request that hits MDB_MAP_FULL gets 1 and its own thread
 * grows the map (under the grow lock, with no transaction open) and queues
 * again, so its function may run several times, as before batching.
 */
#include <errno.h>
#include <time.h>
#include "store_int.h"

/* Enough doublings to reach any address space; a guard, not a limit. */
#define STORE_GROW_ATTEMPTS 40

struct commit_req {
	struct store_txn *tx;
	store_txn_fn fn;
	void *ctx;
	struct ddb_err *err;
	size_t seen;		/* the map size it ran under */
	int rc;			/* 0, -errno, or 1: the map is full */
	bool done;
	struct commit_req *next;
};

void store_env_queue_init(struct store_env *e)
{
	pthread_mutex_init(&e->queue_lock, NULL);
	pthread_cond_init(&e->queue_done, NULL);
}

void store_env_queue_destroy(struct store_env *e)
{
	pthread_cond_destroy(&e->queue_done);
	pthread_mutex_destroy(&e->queue_lock);
}

/* Taking the leader's place makes every writer queue until resumed. */
void store_env_writers_pause(struct store_env *e)
{
	pthread_mutex_lock(&e->queue_lock);
	while (e->committing)
		pthread_cond_wait(&e->queue_done, &e->queue_lock);
	e->committing = true;
	pthread_mutex_unlock(&e->queue_lock);
}

void store_env_writers_resume(struct store_env *e)
{
	pthread_mutex_lock(&e->queue_lock);
	e->committing = false;
	pthread_cond_broadcast(&e->queue_done);
	pthread_mutex_unlock(&e->queue_lock);
}

/*
 * Records an LMDB failure inside a write transaction (the first one wins) and
 * returns it as a negative errno.  MDB_NOTFOUND is an answer, not a failure.
 */
int store_txn_check(struct store_txn *tx, int rc)
{
	if (rc && rc != MDB_NOTFOUND && !tx->mdb_rc)
		tx->mdb_rc = rc;
	return store_mdb_errno(rc);
}

/*
 * When describe-table's figures of an environment last changed, so .schema's
 * mtime moves exactly when its text does and rsync's quick check copies it
 * then, and only then.
 */
static int put_changed(struct store_txn *tx)
{
	MDB_val k = {sizeof(STORE_META_CHANGED) - 1, STORE_META_CHANGED};
	struct timespec ts;
	int64_t ns;
	MDB_val v = {sizeof(ns), &ns};

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_META], &k, &v, 0));
}

static int commit_rc(struct store_env *e, int rc, struct ddb_err *err)
{
	if (rc == MDB_MAP_FULL)
		return 1;
	if (rc == EIO && store_env_disk_full(e->env))
		rc = ENOSPC;
	return store_mdb_err(rc, err, "commit");
}

/*
 * Runs r's function in txn (begun by the caller).  Returns 0 with txn still
 * open for the caller to commit; otherwise txn is aborted and the result is
 * 1 (map full) or a negative errno.
 */
static int run_fn(struct store_env *e, struct commit_req *r, MDB_txn *txn)
{
	struct store_txn *tx = r->tx;
	int rc;

	tx->txn = txn;
	tx->env = e;
	tx->mdb_rc = 0;
	tx->figures_changed = false;
	tx->n_ix_delta = 0;
	rc = r->fn(tx, r->ctx, r->err);
	if (!rc && store_txn_figures_changed(tx))
		rc = put_changed(tx);
	if (tx->mdb_rc == MDB_MAP_FULL) {
		mdb_txn_abort(txn);
		return 1;
	}
	if (rc || tx->mdb_rc) {
		mdb_txn_abort(txn);
		return rc ? rc : store_mdb_err(tx->mdb_rc, r->err, "writing");
	}
	return 0;
}

/* One request, no nesting: the path of every write that finds no company. */
static void run_alone(struct store_env *e, struct commit_req *r)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(e->env, NULL, 0, &txn);

	if (rc)
		r->rc = store_mdb_err(rc, r->err, "starting a write transaction");
	else if (!(r->rc = run_fn(e, r, txn)))
		r->rc = commit_rc(e, mdb_txn_commit(txn), r->err);
}

/* Several requests, each in a child of one transaction committed once. */
static void run_nested(struct store_env *e, struct commit_req *batch)
{
	struct commit_req *r;
	MDB_txn *parent, *child;
	int rc = mdb_txn_begin(e->env, NULL, 0, &parent);

	if (rc) {
		for (r = batch; r; r = r->next)
			r->rc = store_mdb_err(rc, r->err, "starting a write transaction");
		return;
	}
	for (r = batch; r; r = r->next) {
		rc = mdb_txn_begin(e->env, parent, 0, &child);
		if (rc) {
			r->rc = store_mdb_err(rc, r->err, "starting a write transaction");
			continue;
		}
		r->rc = run_fn(e, r, child);
		if (!r->rc)
			r->rc = commit_rc(e, mdb_txn_commit(child), r->err);
	}
	/* Whatever the children did, only this makes any of it durable. */
	rc = mdb_txn_commit(parent);
	for (r = batch; r; r = r->next)
		if (!r->rc && rc)
			r->rc = commit_rc(e, rc, r->err);
}

static void run_batch(struct store_env *e, struct commit_req *batch)
{
	struct commit_req *r;
	size_t seen;

	pthread_rwlock_rdlock(&e->grow);
	seen = e->mapsize;
	if (batch->next)
		run_nested(e, batch);
	else
		run_alone(e, batch);
	/* Still the only writer: the next commit's pages get their room. */
	store_env_reserve(e);
	store_ckpt_note_commit(e);
	pthread_rwlock_unlock(&e->grow);
	for (r = batch; r; r = r->next)
		r->seen = seen;
}

/* Queues r and returns once a leader (maybe this thread) has run it. */
static void commit_queued(struct store_env *e, struct commit_req *r)
{
	struct commit_req *batch, *next, **tail;

	pthread_mutex_lock(&e->queue_lock);
	for (tail = &e->queue; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	while (!r->done) {
		if (e->committing) {
			pthread_cond_wait(&e->queue_done, &e->queue_lock);
			continue;
		}
		e->committing = true;
		batch = e->queue;
		e->queue = NULL;
		pthread_mutex_unlock(&e->queue_lock);
		run_batch(e, batch);
		pthread_mutex_lock(&e->queue_lock);
		for (; batch; batch = next) {
			next = batch->next;	/* done lets its owner free it */
			batch->done = true;
		}
		e->committing = false;
		pthread_cond_broadcast(&e->queue_done);
	}
	pthread_mutex_unlock(&e->queue_lock);
}

/* Doubles the map unless another writer already grew it past `seen`. */
static int env_grow(struct store_env *e, size_t seen, struct ddb_err *err)
{
	int rc = 0;

	pthread_rwlock_wrlock(&e->grow);
	if (e->mapsize == seen) {
		rc = mdb_env_set_mapsize(e->env, seen * 2);
		if (!rc)
			e->mapsize = seen * 2;
	}
	pthread_rwlock_unlock(&e->grow);
	return store_mdb_err(rc, err, "growing the database map");
}

/*
 * Runs fn in a write transaction and commits it, growing the map and running
 * fn again as often as the map fills up.  fn's sentence is only kept from the
 * attempt whose result is returned.
 */
int store_env_write(struct store_env *e, struct store_txn *tx, store_txn_fn fn, void *ctx,
		    struct ddb_err *err)
{
	struct ddb_err local;
	struct commit_req r;
	int attempt, rc = 1;
	bool unpinned = false;

	if (e->read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	if (store_snapshot_active())
		return ddb_err_set(err, EROFS, "a snapshot is read-only");
	for (attempt = 0; attempt < STORE_GROW_ATTEMPTS; attempt++) {
		ddb_err_clear(&local);
		r = (struct commit_req){ .tx = tx, .fn = fn, .ctx = ctx, .err = &local };
		commit_queued(e, &r);
		store_ckpt_throttle(e);
		rc = r.rc;
		/* A full disk may be pages freed since the last checkpoint, which
		 * it pins (checkpoint.c): a new one lets LMDB reuse them. */
		if (rc == -ENOSPC && e->ckpt && !unpinned) {
			unpinned = true;
			if (!store_env_checkpoint(e))
				continue;
		}
		if (rc != 1)
			break;
		rc = env_grow(e, r.seen, &local);
		if (rc)
			break;
		rc = 1;
	}
	if (rc == 1)
		rc = store_mdb_err(MDB_MAP_FULL, &local, "writing");
	if (rc && local.code)
		ddb_err_set(err, local.code, "%s", local.text);
	return rc;
}
