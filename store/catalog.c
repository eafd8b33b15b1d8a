/*
 * catalog.c - table definitions: the catalog environment (name -> id,
 * creation time, schema) and setting and describing a table's schema.
 *
 * Key invariant: the catalog is the truth about which tables exist; a
 * table's files (tables/<id>/) are created before the catalog names them
 * and removed after it stops naming them, so a crash leaves at worst
 * unnamed directories, which store_open removes.  A record is JSON:
 * {"id": N, "created_ms": M, "changed_ms": C (last write of the record),
 * "schema": "<normalised create-table JSON>" or
 * null, "ix": index numbers and states (ixstate.c)}; the schema is kept as
 * a string so its numbers survive byte for byte (jansson would turn them
 * into doubles).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store_int.h"

static const char *const catalog_dbis[] = {"tables", "meta"};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Opens DATADIR/catalog.  A read-only store on a fresh data directory still
 * needs one to read, so it is created first, empty.
 */
int store_catalog_open(struct store *st, struct ddb_err *err)
{
	struct store_options rw = st->opt;
	struct store_options synced = st->opt;
	char path[4096], data[4200];
	int rc;

	snprintf(path, sizeof(path), "%s/catalog", st->datadir);
	snprintf(data, sizeof(data), "%s/data.mdb", path);
	if (st->opt.read_only && access(data, F_OK)) {
		rw.read_only = false;
		rc = store_env_open(path, &rw, catalog_dbis, 2, &st->catalog, err);
		if (rc)
			return rc;
		store_env_close(st->catalog);
		st->catalog = NULL;
	}
	/* Catalog commits are rare, and the partitions' recovery and index
	 * states rely on them: each is durable when acknowledged. */
	synced.sync = true;
	return store_env_open(path, &synced, catalog_dbis, 2, &st->catalog, err);
}

static int rec_decode(const MDB_val *v, struct store_cat_rec *rec)
{
	json_t *root, *schema;
	int rc = -EIO;

	memset(rec, 0, sizeof(*rec));
	root = json_loadb(v->mv_data, v->mv_size, 0, NULL);
	if (!root)
		return -EIO;
	schema = json_object_get(root, "schema");
	if (!json_is_integer(json_object_get(root, "id")))
		goto out_root;
	rec->id = (uint64_t)json_integer_value(json_object_get(root, "id"));
	rec->created_ms = json_integer_value(json_object_get(root, "created_ms"));
	rec->changed_ms = json_integer_value(json_object_get(root, "changed_ms"));
	rc = store_ix_set_from_json(json_object_get(root, "ix"), &rec->ix);
	if (!rc && json_is_string(schema)) {
		rec->schema = strdup(json_string_value(schema));
		if (!rec->schema)
			rc = -ENOMEM;
	}
out_root:
	json_decref(root);
	return rc;
}

static char *rec_encode(const struct store_cat_rec *rec)
{
	json_t *root, *ix = store_ix_set_to_json(&rec->ix);
	char *text;

	if (!ix)
		return NULL;
	root = json_pack("{s:I, s:I, s:I, s:o, s:o}", "id", (json_int_t)rec->id, "created_ms",
			 (json_int_t)rec->created_ms, "changed_ms", (json_int_t)rec->changed_ms, "schema",
			 rec->schema ? json_string(rec->schema) : json_null(), "ix", ix);
	if (!root)
		return NULL;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

void store_cat_rec_release(struct store_cat_rec *rec)
{
	free(rec->schema);
	rec->schema = NULL;
	store_ix_set_release(&rec->ix);
}

struct catalog_walk {
	store_cat_fn fn;
	void *ctx;
};

static int catalog_rec(const MDB_val *k, const MDB_val *v, void *ctx, struct ddb_err *err)
{
	struct catalog_walk *w = ctx;
	struct store_cat_rec rec = {0};
	char *name = strndup(k->mv_data, k->mv_size);
	int rc;

	if (!name)
		rc = -ENOMEM;
	else if (rec_decode(v, &rec))
		rc = ddb_err_set(err, EIO, "catalog record of table %s is damaged", name);
	else
		rc = w->fn(name, &rec, w->ctx, err);
	store_cat_rec_release(&rec);
	free(name);
	return rc;
}

/* Calls fn for every table the catalog names, in name order. */
int store_catalog_each(struct store *st, store_cat_fn fn, void *ctx, struct ddb_err *err)
{
	struct catalog_walk w = {fn, ctx};

	return store_env_walk(st->catalog, STORE_CAT_TABLES, catalog_rec, &w, "reading the catalog",
			      err);
}

int store_catalog_get(struct store_txn *tx, const char *name, struct store_cat_rec *rec)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc;

	rc = store_txn_check(tx, mdb_get(tx->txn, tx->env->dbi[STORE_CAT_TABLES], &k, &v));
	return rc ? rc : rec_decode(&v, rec);
}

int store_catalog_put(struct store_txn *tx, const char *name, const struct store_cat_rec *rec)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	struct store_cat_rec now = *rec;
	struct timespec ts;
	char *text;
	int rc;

	/* Every write changes what describe-table shows (schema, index states). */
	clock_gettime(CLOCK_REALTIME, &ts);
	now.changed_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	text = rec_encode(&now);
	if (!text)
		return -ENOMEM;
	v.mv_size = strlen(text);
	v.mv_data = text;
	rc = store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_CAT_TABLES], &k, &v, 0));
	free(text);
	return rc;
}

int store_catalog_del(struct store_txn *tx, const char *name)
{
	MDB_val k = {strlen(name), (void *)name};

	return store_txn_check(tx, mdb_del(tx->txn, tx->env->dbi[STORE_CAT_TABLES], &k, NULL));
}

/* Allocates the next table id (ids are never reused: directories are named by them). */
int store_catalog_next_id(struct store_txn *tx, uint64_t *id)
{
	MDB_val k = {7, "next_id"}, v;
	uint64_t next = 1;
	int rc;

	rc = store_txn_check(tx, mdb_get(tx->txn, tx->env->dbi[STORE_CAT_META], &k, &v));
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc && v.mv_size == sizeof(next))
		memcpy(&next, v.mv_data, sizeof(next));
	*id = next++;
	v.mv_size = sizeof(next);
	v.mv_data = &next;
	return store_txn_check(tx, mdb_put(tx->txn, tx->env->dbi[STORE_CAT_META], &k, &v, 0));
}

/* ---- schema ---- */

int64_t store_table_created_ms(const struct store_table *t)
{
	return t->created_ms;
}

const struct ddb_schema *store_table_schema(struct store_table *t)
{
	const struct ddb_schema *s;

	if (store_snapshot_schema(t, &s))
		return s;
	pthread_mutex_lock(&t->lock);
	s = t->schema;
	pthread_mutex_unlock(&t->lock);
	return s;
}

struct schema_ctx {
	const char *name;
	uint64_t id;
	const char *json;		/* NULL: keep the schema */
	const struct store_ix_set *ix;
};

static int schema_save(struct store_txn *tx, void *arg, struct ddb_err *err)
{
	struct schema_ctx *c = arg;
	struct store_cat_rec rec;
	int rc;

	rc = store_catalog_get(tx, c->name, &rec);
	if (rc == -ENOENT)
		return ddb_err_set(err, ENOENT, "table %s no longer exists", c->name);
	if (rc)
		return rc;
	store_ix_set_release(&rec.ix);
	if (rec.id != c->id) {
		store_cat_rec_release(&rec);
		return ddb_err_set(err, ENOENT, "table %s no longer exists", c->name);
	}
	if (c->json) {
		free(rec.schema);
		rec.schema = (char *)c->json;
	}
	rec.ix = *c->ix;
	rc = store_catalog_put(tx, c->name, &rec);
	if (c->json)
		rec.schema = NULL;
	memset(&rec.ix, 0, sizeof(rec.ix));
	store_cat_rec_release(&rec);
	return rc;
}

/*
 * Makes s the table's schema (taking ownership), opening the partitions the
 * first time.  The superseded schema stays alive until the table is freed.
 * Called with t->lock held.
 */
int store_table_attach_schema(struct store_table *t, struct ddb_schema *s, struct ddb_err *err)
{
	struct ddb_schema **old;
	int rc;

	if (!t->envs) {
		rc = store_partitions_open(t, ddb_schema_partitions(s), err);
		if (rc)
			return rc;
	}
	if (t->schema) {
		old = realloc(t->old, (t->nold + 1) * sizeof(*old));
		if (!old)
			return -ENOMEM;
		t->old = old;
		t->old[t->nold++] = (struct ddb_schema *)t->schema;
	}
	t->schema = s;
	return 0;
}

/* Checks, creates the partitions, persists, then publishes; t->lock held. */
static int schema_apply_checked(struct store_table *t, struct ddb_schema *s, struct schema_ctx *c,
				struct ddb_err *err)
{
	struct store_txn tx = {0};
	struct ddb_schema **old;
	int rc;

	if (t->schema) {
		rc = ddb_schema_check_update(t->schema, s, err);
		if (rc)
			return rc;
		/* Reserve the slot now: nothing may fail after the commit. */
		old = realloc(t->old, (t->nold + 1) * sizeof(*old));
		if (!old)
			return -ENOMEM;
		t->old = old;
	} else if (!t->envs) {
		/* Partitions first, then the catalog: a crash leaves unnamed files at worst. */
		rc = store_partitions_open(t, ddb_schema_partitions(s), err);
		if (rc)
			return rc;
	}
	rc = store_env_write(t->st->catalog, &tx, schema_save, c, err);
	return rc ? rc : store_table_attach_schema(t, s, err);
}

/* Numbers the indexes of s, then applies it. */
static int schema_apply_locked(struct store_table *t, struct ddb_schema *s, struct schema_ctx *c,
			       struct ddb_err *err)
{
	struct store_ix_set ix;
	bool changed;
	int rc;

	/* Indexes of the first schema start ACTIVE: items arrive only after it. */
	rc = store_ix_set_copy(&ix, &t->ix);
	if (!rc)
		rc = store_ix_set_update(&ix, s, !t->schema, &changed);
	if (rc)
		return rc;
	c->ix = &ix;
	rc = schema_apply_checked(t, s, c, err);
	if (rc) {
		store_ix_set_release(&ix);
		return rc;
	}
	store_ix_set_release(&t->ix);
	t->ix = ix;
	return 0;
}

static int schema_apply(struct store_table *t, struct ddb_schema *s, const char *name,
			struct ddb_err *err)
{
	struct ddb_buf json = DDB_BUF_INIT;
	struct schema_ctx c = {name, t->id, NULL, NULL};
	int rc;

	rc = ddb_schema_to_json(s, &json);
	if (rc)
		goto out_json;
	c.json = json.data;
	pthread_mutex_lock(&t->lock);
	rc = schema_apply_locked(t, s, &c, err);
	pthread_mutex_unlock(&t->lock);
out_json:
	ddb_buf_release(&json);
	return rc;
}

int store_table_set_schema(struct store_table *t, const char *json, size_t len, struct ddb_err *err)
{
	struct ddb_schema *s;
	char *name;
	int rc;

	if (t->st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	pthread_mutex_lock(&t->st->cat_lock);
	name = store_table_name_dup(t);
	if (!name) {
		rc = ddb_err_set(err, ENOENT, "the table no longer exists");
		goto out_unlock;
	}
	rc = ddb_schema_parse(json, len, name, now_ms(), &s, err);
	if (rc)
		goto out_name;
	rc = schema_apply(t, s, name, err);
	if (rc)
		ddb_schema_free(s);
out_name:
	free(name);
out_unlock:
	pthread_mutex_unlock(&t->st->cat_lock);
	return rc;
}

/* ---- index jobs ---- */

int store_table_ix_jobs(struct store_table *t, struct store_ix_job **jobs, size_t *n)
{
	struct store_ix_job *v;
	size_t i, k = 0;

	pthread_mutex_lock(&t->lock);
	v = calloc(t->ix.n + t->ix.ndrop + 1, sizeof(*v));
	for (i = 0; v && i < t->ix.n; i++)
		if (!t->ix.v[i].active)
			v[k++] = (struct store_ix_job){t->ix.v[i].id, false};
	for (i = 0; v && i < t->ix.ndrop; i++)
		v[k++] = (struct store_ix_job){t->ix.drop[i], true};
	pthread_mutex_unlock(&t->lock);
	if (!v)
		return -ENOMEM;
	*jobs = v;
	*n = k;
	return 0;
}

bool store_table_ix_active(struct store_table *t, uint32_t id)
{
	bool active = false;
	size_t i;

	if (store_snapshot_ix_active(t, id, &active))
		return active;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->ix.n; i++)
		if (t->ix.v[i].id == id)
			active = t->ix.v[i].active;
	pthread_mutex_unlock(&t->lock);
	return active;
}

static void job_apply(struct store_ix_set *x, const struct store_ix_job *job)
{
	size_t i, k = 0;

	for (i = 0; !job->drop && i < x->n; i++)
		if (x->v[i].id == job->id)
			x->v[i].active = true;
	for (i = 0; job->drop && i < x->ndrop; i++)
		if (x->drop[i] != job->id)
			x->drop[k++] = x->drop[i];
	if (job->drop)
		x->ndrop = k;
}

int store_table_ix_job_done(struct store_table *t, const struct store_ix_job *job,
			    struct ddb_err *err)
{
	struct schema_ctx c = {NULL, t->id, NULL, NULL};
	struct store_txn tx = {0};
	struct store_ix_set ix;
	char *name;
	int rc;

	/* The entries the job wrote must survive a power loss before the
	 * catalog, durable at once, says the index is built (or gone). */
	rc = store_sync(t, NULL);
	if (rc)
		return ddb_err_set(err, -rc, "syncing the table's partitions");
	pthread_mutex_lock(&t->st->cat_lock);
	name = store_table_name_dup(t);
	if (!name) {
		rc = ddb_err_set(err, ENOENT, "the table no longer exists");
		goto out_unlock;
	}
	c.name = name;
	pthread_mutex_lock(&t->lock);
	rc = store_ix_set_copy(&ix, &t->ix);
	if (!rc) {
		job_apply(&ix, job);
		c.ix = &ix;
		rc = store_env_write(t->st->catalog, &tx, schema_save, &c, err);
		if (rc) {
			store_ix_set_release(&ix);
		} else {
			store_ix_set_release(&t->ix);
			t->ix = ix;
		}
	}
	pthread_mutex_unlock(&t->lock);
	free(name);
out_unlock:
	pthread_mutex_unlock(&t->st->cat_lock);
	return rc;
}

/* ---- describe ---- */

static const char *ix_status(struct store_table *t, uint32_t id)
{
	return store_table_ix_active(t, id) ? "ACTIVE" : "CREATING";
}

/* When the catalog record of table `name` was last written (0 if never or unknown). */
static int64_t record_changed_ms(struct store_table *t, const char *name)
{
	struct store_cat_rec rec = {0};
	MDB_val k = {strlen(name), (void *)name}, v;
	MDB_txn *txn;
	int64_t ms = 0;

	if (store_env_read_begin(t->st->catalog, &txn, NULL))
		return 0;
	if (!mdb_get(txn, t->st->catalog->dbi[STORE_CAT_TABLES], &k, &v) && !rec_decode(&v, &rec))
		ms = rec.changed_ms;
	store_env_read_end(t->st->catalog, txn);
	store_cat_rec_release(&rec);
	return ms;
}

int store_table_describe_mtime(struct store_table *t, const char *name, int64_t *ns)
{
	int64_t ms = record_changed_ms(t, name);
	int rc = store_table_figures_changed_ns(t, ns);

	if (ms < t->created_ms)
		ms = t->created_ms;
	if (*ns < ms * 1000000)
		*ns = ms * 1000000;
	return rc;
}

int store_table_describe(struct store_table *t, const char *name, struct ddb_buf *out)
{
	const struct ddb_schema *s = store_table_schema(t);
	struct ddb_index_stats *ix = NULL;
	struct ddb_table_stats stats = {0};
	size_t i;
	int rc;

	if (!s)
		return -ENOENT;
	rc = store_table_stats(t, &stats.item_count, &stats.size_bytes);
	if (rc)
		return rc;
	stats.nindex = ddb_schema_index_count(s);
	if (stats.nindex) {
		ix = calloc(stats.nindex, sizeof(*ix));
		if (!ix)
			return -ENOMEM;
		for (i = 0; !rc && i < stats.nindex; i++) {
			ix[i].name = ddb_schema_index(s, i)->name;
			ix[i].status = ix_status(t, ddb_schema_index(s, i)->id);
			rc = store_ix_stats(t, ddb_schema_index(s, i)->id, &ix[i].item_count,
					    &ix[i].size_bytes);
		}
	}
	stats.index = ix;
	if (!rc)
		rc = ddb_schema_describe(s, name, &stats, out);
	free(ix);
	return rc;
}
