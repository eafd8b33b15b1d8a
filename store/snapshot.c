/*
 * snapshot.c - point-in-time views of the whole store (store.h).
 *
 * A snapshot is one LMDB read transaction per environment (the catalog and
 * every partition of every table that has a schema), all begun while no
 * item write can commit: each table's `life` lock is held for writing while
 * its transactions begin, and catalog changes are held off by cat_lock.  So
 * a move between environments (two commits, move.c) is seen before, after,
 * or at worst under both names, never under neither; and a table is seen
 * with the schema and index states it had.
 *
 * A thread that has called store_snapshot_use(s) sees s in every store
 * read: store_env_read_begin hands out the snapshot's transaction instead
 * of a new one, and table lookups, names, schemas and index states answer
 * as of s.  LMDB lets a read transaction of an MDB_NOTLS environment move
 * between threads but not be used by two at once, so a recursive mutex makes
 * the users of one snapshot take turns.  Between uses the snapshot holds no
 * lock, so maps still grow (mdb_env_set_mapsize remaps; an idle read
 * transaction keeps only page numbers, and no cursor outlives a use).
 *
 * Cost: while a snapshot lives, LMDB cannot reuse the pages that writers
 * free, so the data files grow with the writes made meanwhile.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store_int.h"

struct snap_table {
	char *name;
	struct store_table *t;		/* referenced */
	const struct ddb_schema *schema; /* as of the snapshot; lives as long as t */
	MDB_txn **txn;			/* one per environment of t */
	unsigned nenv;
	uint32_t *active;		/* ids of the indexes ACTIVE then */
	size_t nactive;
};

struct store_snapshot {
	struct store *st;
	atomic_uint refs;
	pthread_mutex_t use;		/* recursive: one thread at a time */
	MDB_txn *catalog;
	struct snap_table *v;		/* by name */
	size_t n;
	int64_t taken_ns;
};

static _Thread_local struct store_snapshot *current;

static void table_release(struct snap_table *x)
{
	unsigned i;

	for (i = 0; i < x->nenv; i++)
		if (x->txn[i])
			mdb_txn_abort(x->txn[i]);
	free(x->txn);
	free(x->active);
	free(x->name);
	store_table_put(x->t);
}

static void snapshot_free(struct store_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		table_release(&s->v[i]);
	free(s->v);
	if (s->catalog)
		mdb_txn_abort(s->catalog);
	pthread_mutex_destroy(&s->use);
	free(s);
}

/* The active index ids of t, under t->lock. */
static int copy_active(struct snap_table *x, struct store_table *t)
{
	size_t i;

	x->active = calloc(t->ix.n ? t->ix.n : 1, sizeof(*x->active));
	if (!x->active)
		return -ENOMEM;
	for (i = 0; i < t->ix.n; i++)
		if (t->ix.v[i].active)
			x->active[x->nactive++] = t->ix.v[i].id;
	return 0;
}

/* Begins x's transactions with t's writers held off; t is referenced. */
static int table_take(struct snap_table *x, struct store_table *t, const char *name,
		      struct ddb_err *err)
{
	unsigned i;
	int rc = 0;

	x->t = t;
	x->name = strdup(name);
	if (!x->name)
		return -ENOMEM;
	pthread_rwlock_wrlock(&t->life);
	pthread_mutex_lock(&t->lock);
	x->schema = t->schema;
	x->nenv = t->nenv;
	rc = copy_active(x, t);
	pthread_mutex_unlock(&t->lock);
	x->txn = calloc(x->nenv ? x->nenv : 1, sizeof(*x->txn));
	if (!x->txn && !rc)
		rc = -ENOMEM;
	for (i = 0; !rc && i < x->nenv; i++) {
		rc = mdb_txn_begin(t->envs[i]->env, NULL, MDB_RDONLY, &x->txn[i]);
		if (rc)
			rc = store_mdb_err(rc, err, "starting a snapshot's read transaction");
	}
	pthread_rwlock_unlock(&t->life);
	return rc;
}

int store_snapshot_take(struct store *st, struct store_snapshot **out, struct ddb_err *err)
{
	struct store_snapshot *s = calloc(1, sizeof(*s)), *was = current;
	pthread_mutexattr_t attr;
	struct timespec ts;
	char **names = NULL;
	size_t count = 0, i;
	int rc;

	if (!s)
		return -ENOMEM;
	s->st = st;
	atomic_init(&s->refs, 1);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->use, &attr);
	pthread_mutexattr_destroy(&attr);
	clock_gettime(CLOCK_REALTIME, &ts);
	s->taken_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

	current = NULL;	/* taken from the live store */
	pthread_mutex_lock(&st->cat_lock);
	rc = mdb_txn_begin(st->catalog->env, NULL, MDB_RDONLY, &s->catalog);
	if (rc)
		rc = store_mdb_err(rc, err, "starting a snapshot's read transaction");
	if (!rc)
		rc = store_table_names(st, &names, &count);
	if (!rc) {
		s->v = calloc(count ? count : 1, sizeof(*s->v));
		if (!s->v)
			rc = -ENOMEM;
	}
	for (i = 0; !rc && i < count; i++) {
		struct store_table *t;

		if (store_table_get(st, names[i], &t))
			continue;
		if (!store_table_schema(t)) {
			store_table_put(t);	/* nothing committed in it yet */
			continue;
		}
		rc = table_take(&s->v[s->n++], t, names[i], err);
	}
	pthread_mutex_unlock(&st->cat_lock);
	current = was;
	store_names_free(names, count);
	if (rc) {
		snapshot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_snapshot_ref(struct store_snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void store_snapshot_unref(struct store_snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		snapshot_free(s);
}

int64_t store_snapshot_taken_ns(const struct store_snapshot *s)
{
	return s->taken_ns;
}

void store_snapshot_use(struct store_snapshot *s)
{
	current = s;
}

/* ---- what the rest of store/ asks while a thread uses a snapshot ---- */

static struct snap_table *find_table(struct store_snapshot *s, const struct store_table *t)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].t == t)
			return &s->v[i];
	return NULL;
}

/* The snapshot's transaction on e, or NULL (no snapshot in use, or e is not in it). */
static MDB_txn *snap_txn(const struct store_env *e)
{
	size_t i;
	unsigned j;

	if (!current)
		return NULL;
	if (e == current->st->catalog)
		return current->catalog;
	for (i = 0; i < current->n; i++)
		for (j = 0; j < current->v[i].nenv; j++)
			if (current->v[i].t->envs[j] == e)
				return current->v[i].txn[j];
	return NULL;
}

bool store_snapshot_read_begin(struct store_env *e, MDB_txn **txn)
{
	MDB_txn *x = snap_txn(e);

	if (!x)
		return false;
	pthread_mutex_lock(&current->use);
	pthread_rwlock_rdlock(&e->grow);
	*txn = x;
	return true;
}

bool store_snapshot_read_end(struct store_env *e, MDB_txn *txn)
{
	if (!txn || snap_txn(e) != txn)
		return false;
	pthread_rwlock_unlock(&e->grow);
	pthread_mutex_unlock(&current->use);
	return true;
}

bool store_snapshot_active(void)
{
	return current != NULL;
}

bool store_snapshot_table_get(const char *name, struct store_table **out)
{
	size_t i;

	for (i = 0; i < current->n; i++) {
		if (!strcmp(current->v[i].name, name)) {
			pthread_mutex_lock(&current->st->reg_lock);
			current->v[i].t->refs++;
			pthread_mutex_unlock(&current->st->reg_lock);
			*out = current->v[i].t;
			return true;
		}
	}
	return false;
}

int store_snapshot_table_names(char ***names, size_t *count)
{
	char **v = calloc(current->n ? current->n : 1, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < current->n; i++) {
		v[i] = strdup(current->v[i].name);
		if (!v[i]) {
			store_names_free(v, i);
			return -ENOMEM;
		}
	}
	*names = v;
	*count = current->n;
	return 0;
}

bool store_snapshot_schema(const struct store_table *t, const struct ddb_schema **schema)
{
	struct snap_table *x = current ? find_table(current, t) : NULL;

	if (x)
		*schema = x->schema;
	return x != NULL;
}

bool store_snapshot_ix_active(const struct store_table *t, uint32_t id, bool *active)
{
	struct snap_table *x = current ? find_table(current, t) : NULL;
	size_t i;

	if (!x)
		return false;
	*active = false;
	for (i = 0; i < x->nactive; i++)
		if (x->active[i] == id)
			*active = true;
	return true;
}
