/*
 * store.c - the data directory: its lock, opening and closing the store, and
 * the registry of tables (create, look up, rename, drop).
 *
 * Key invariant: a table is in st->tables from the moment the catalog names
 * it until its last reference is released; the store itself holds one
 * reference while the catalog names it.  A dropped table's files are removed
 * when that last reference goes, so a handle in use never sees its
 * environments closed under it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store_int.h"

int store_lock_datadir(const char *datadir, int *lock_fd, struct ddb_err *err)
{
	char path[4096], pid[32];
	ssize_t n;
	int fd;

	if (mkdir(datadir, 0755) && errno != EEXIST)
		return store_sys_err(errno, err, "cannot create data directory", datadir);
	snprintf(path, sizeof(path), "%s/ddbfs.lock", datadir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return store_sys_err(errno, err, "cannot open", path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		close(fd);
		if (e != EWOULDBLOCK)
			return store_sys_err(e, err, "cannot lock", path);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return ddb_err_set(err, EBUSY,
				   "data directory %s is in use by another ddbfs (pid %s)", datadir,
				   pid[0] ? pid : "unknown");
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		int e = errno;

		close(fd);
		return store_sys_err(e, err, "cannot write", path);
	}
	*lock_fd = fd;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void table_remove_files(struct store *st, uint64_t id)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/tables/%llu", st->datadir, (unsigned long long)id);
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void table_free(struct store_table *t)
{
	size_t i;

	for (i = 0; i < t->nenv; i++)
		store_env_close(t->envs[i]);
	if (t->dropped && !t->st->opt.read_only)
		table_remove_files(t->st, t->id);
	ddb_schema_free((struct ddb_schema *)t->schema);
	for (i = 0; i < t->nold; i++)
		ddb_schema_free(t->old[i]);
	free(t->old);
	store_ix_set_release(&t->ix);
	free(t->envs);
	free(t->name);
	pthread_rwlock_destroy(&t->life);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static struct store_table *table_new(struct store *st, const char *name, uint64_t id,
				     int64_t created_ms)
{
	struct store_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->name = strdup(name);
	if (!t->name) {
		free(t);
		return NULL;
	}
	t->st = st;
	t->id = id;
	t->created_ms = created_ms;
	t->refs = 1;
	pthread_rwlock_init(&t->life, NULL);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

/* The live table of that name, or NULL; under reg_lock. */
static struct store_table *table_find(struct store *st, const char *name)
{
	struct store_table *t;

	for (t = st->tables; t; t = t->next)
		if (!t->dropped && !strcmp(t->name, name))
			return t;
	return NULL;
}

char *store_table_name_dup(struct store_table *t)
{
	char *name;

	pthread_mutex_lock(&t->st->reg_lock);
	name = t->dropped ? NULL : strdup(t->name);
	pthread_mutex_unlock(&t->st->reg_lock);
	return name;
}

static int table_load(const char *name, const struct store_cat_rec *rec, void *ctx,
		      struct ddb_err *err)
{
	struct store *st = ctx;
	struct ddb_schema *s = NULL;
	struct store_table *t;
	int rc = 0;

	t = table_new(st, name, rec->id, rec->created_ms);
	if (!t)
		return -ENOMEM;
	if (rec->schema)
		rc = ddb_schema_parse(rec->schema, strlen(rec->schema), name, rec->created_ms, &s,
				      err);
	if (!rc && s) {
		bool changed;

		/* Numbers indexes a record from before numbering lacks (kept at their build). */
		rc = store_ix_set_copy(&t->ix, &rec->ix);
		if (!rc)
			rc = store_ix_set_update(&t->ix, s, false, &changed);
	}
	if (!rc && s)
		rc = store_table_attach_schema(t, s, err);
	if (rc) {
		ddb_err_prefix(err, "table %s", name);
		ddb_schema_free(s);
		table_free(t);
		return rc;
	}
	t->next = st->tables;
	st->tables = t;
	return 0;
}

static bool table_id_named(struct store *st, uint64_t id)
{
	struct store_table *t;

	for (t = st->tables; t; t = t->next)
		if (t->id == id)
			return true;
	return false;
}

/* Removes tables/<id> directories the catalog does not name (a drop cut short). */
static void remove_orphans(struct store *st)
{
	char path[4096], *end;
	struct dirent *de;
	unsigned long long id;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/tables", st->datadir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		id = strtoull(de->d_name, &end, 10);
		if (!*end && !table_id_named(st, id))
			table_remove_files(st, id);
	}
	closedir(dir);
}

int store_open(const char *datadir, const struct store_options *opt, struct store **out,
	       struct ddb_err *err)
{
	struct store *st;
	char path[4096];
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->datadir = strdup(datadir);
	if (!st->datadir) {
		free(st);
		return -ENOMEM;
	}
	st->opt = *opt;
	pthread_mutex_init(&st->cat_lock, NULL);
	pthread_mutex_init(&st->reg_lock, NULL);
	snprintf(path, sizeof(path), "%s/tables", datadir);
	if (!opt->read_only && mkdir(path, 0755) && errno != EEXIST) {
		rc = store_sys_err(errno, err, "cannot create", path);
		goto out_close;
	}
	rc = store_catalog_open(st, err);
	if (!rc)
		rc = store_catalog_each(st, table_load, st, err);
	if (rc)
		goto out_close;
	if (!opt->read_only)
		remove_orphans(st);
	*out = st;
	return 0;

out_close:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	struct store_table *t, *next;

	if (!st)
		return;
	/* Handles still held at this point are the caller's bug; free them anyway. */
	for (t = st->tables; t; t = next) {
		next = t->next;
		table_free(t);
	}
	store_env_close(st->catalog);
	pthread_mutex_destroy(&st->cat_lock);
	pthread_mutex_destroy(&st->reg_lock);
	free(st->datadir);
	free(st);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_table_names(struct store *st, char ***names, size_t *count)
{
	struct store_table *t;
	char **v = NULL, **nv;
	size_t n = 0;
	int rc = 0;

	if (store_snapshot_active())
		return store_snapshot_table_names(names, count);
	pthread_mutex_lock(&st->reg_lock);
	for (t = st->tables; t && !rc; t = t->next) {
		if (t->dropped)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv)
			v = nv;
		if (!nv || !(v[n++] = strdup(t->name)))
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&st->reg_lock);
	if (rc) {
		store_names_free(v, nv ? n - 1 : n);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*count = n;
	return 0;
}

void store_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
}

int store_table_get(struct store *st, const char *name, struct store_table **out)
{
	struct store_table *t;

	if (store_snapshot_active()) {
		if (!store_snapshot_table_get(name, out))
			return -ENOENT;
		return 0;
	}
	pthread_mutex_lock(&st->reg_lock);
	t = table_find(st, name);
	if (t)
		t->refs++;
	pthread_mutex_unlock(&st->reg_lock);
	if (!t)
		return -ENOENT;
	*out = t;
	return 0;
}

void store_table_put(struct store_table *t)
{
	struct store *st;
	struct store_table **pp;
	bool last;

	if (!t)
		return;
	st = t->st;
	pthread_mutex_lock(&st->reg_lock);
	last = --t->refs == 0;
	if (last) {
		for (pp = &st->tables; *pp != t; pp = &(*pp)->next)
			;
		*pp = t->next;
	}
	pthread_mutex_unlock(&st->reg_lock);
	if (last)
		table_free(t);
}

struct create_ctx {
	const char *name;
	struct store_cat_rec rec;
};

static int create_in_catalog(struct store_txn *tx, void *arg, struct ddb_err *err)
{
	struct create_ctx *c = arg;
	struct store_cat_rec old;
	int rc;

	rc = store_catalog_get(tx, c->name, &old);
	if (!rc) {
		store_cat_rec_release(&old);
		return ddb_err_set(err, EEXIST, "table %s already exists", c->name);
	}
	if (rc != -ENOENT)
		return rc;
	rc = store_catalog_next_id(tx, &c->rec.id);
	return rc ? rc : store_catalog_put(tx, c->name, &c->rec);
}

int store_table_create(struct store *st, const char *name, struct ddb_err *err)
{
	struct create_ctx c = {name, {.schema = NULL}};
	struct store_txn tx = {0};
	struct store_table *t;
	struct timespec ts;
	int rc;

	if (!ddb_table_name_valid(name))
		return ddb_err_set(err, EINVAL, "invalid table name \"%s\"", name);
	if (st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	clock_gettime(CLOCK_REALTIME, &ts);
	c.rec.created_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&st->cat_lock);
	rc = store_env_write(st->catalog, &tx, create_in_catalog, &c, err);
	if (rc)
		goto out_unlock;
	t = table_new(st, name, c.rec.id, c.rec.created_ms);
	if (!t) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	pthread_mutex_lock(&st->reg_lock);
	t->next = st->tables;
	st->tables = t;
	pthread_mutex_unlock(&st->reg_lock);
out_unlock:
	pthread_mutex_unlock(&st->cat_lock);
	return rc;
}

/* True if no partition holds an item; *rc tells whether that could be read. */
bool store_table_is_empty(struct store_table *t, int *rc)
{
	uint64_t items, bytes;

	*rc = store_table_stats(t, &items, &bytes);
	return !*rc && items == 0;
}

/*
 * Marks t dropped (lookups no longer find it); the caller then gives up the
 * store's reference, and the files go with the last one.  Called with
 * t->life held for writing, after the catalog stopped naming it.
 */
static void table_unname(struct store_table *t)
{
	pthread_mutex_lock(&t->st->reg_lock);
	t->dropped = true;
	pthread_mutex_unlock(&t->st->reg_lock);
}

struct rename_ctx {
	const char *from, *to;
};

static int drop_in_catalog(struct store_txn *tx, void *arg, struct ddb_err *err)
{
	struct rename_ctx *c = arg;

	return store_catalog_del(tx, c->from);
}

/* With t->life held for writing: -ENOTEMPTY unless t has no items. */
static int table_check_empty(struct store_table *t, const char *name, struct ddb_err *err)
{
	int rc;

	if (store_table_is_empty(t, &rc))
		return 0;
	return rc ? rc : ddb_err_set(err, ENOTEMPTY, "table %s is not empty", name);
}

int store_table_drop(struct store *st, const char *name, struct ddb_err *err)
{
	struct rename_ctx c = {name, NULL};
	struct store_txn tx = {0};
	struct store_table *t;
	int rc;

	if (st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	pthread_mutex_lock(&st->cat_lock);
	rc = store_table_get(st, name, &t);
	if (rc) {
		rc = ddb_err_set(err, ENOENT, "no table %s", name);
		goto out_unlock;
	}
	pthread_rwlock_wrlock(&t->life);
	rc = table_check_empty(t, name, err);
	if (!rc)
		rc = store_env_write(st->catalog, &tx, drop_in_catalog, &c, err);
	if (!rc)
		table_unname(t);
	pthread_rwlock_unlock(&t->life);
	if (!rc)
		store_table_put(t); /* the store's reference */
	store_table_put(t);
out_unlock:
	pthread_mutex_unlock(&st->cat_lock);
	return rc;
}

static int rename_in_catalog(struct store_txn *tx, void *arg, struct ddb_err *err)
{
	struct rename_ctx *c = arg;
	struct store_cat_rec rec;
	int rc;

	rc = store_catalog_get(tx, c->from, &rec);
	if (rc)
		return rc;
	rc = store_catalog_del(tx, c->from);
	if (!rc)
		rc = store_catalog_put(tx, c->to, &rec); /* replaces an empty target */
	store_cat_rec_release(&rec);
	return rc;
}

/* Under cat_lock, with both references held; target may be NULL. */
static int rename_locked(struct store_table *t, struct store_table *target, struct rename_ctx *c,
			 struct ddb_err *err)
{
	struct store_txn tx = {0};
	char *name = strdup(c->to);
	int rc;

	if (!name)
		return -ENOMEM;
	if (target) {
		pthread_rwlock_wrlock(&target->life);
		rc = table_check_empty(target, c->to, err);
		if (rc)
			goto out_unlock;
	}
	rc = store_env_write(t->st->catalog, &tx, rename_in_catalog, c, err);
	if (rc)
		goto out_unlock;
	if (target)
		table_unname(target);
	pthread_mutex_lock(&t->st->reg_lock);
	free(t->name);
	t->name = name;
	name = NULL;
	pthread_mutex_unlock(&t->st->reg_lock);
out_unlock:
	if (target)
		pthread_rwlock_unlock(&target->life);
	free(name);
	return rc;
}

int store_table_rename(struct store *st, const char *from, const char *to, struct ddb_err *err)
{
	struct rename_ctx c = {from, to};
	struct store_table *t, *target = NULL;
	int rc;

	if (!ddb_table_name_valid(to))
		return ddb_err_set(err, EINVAL, "invalid table name \"%s\"", to);
	if (st->opt.read_only)
		return ddb_err_set(err, EROFS, "the store is read-only");
	pthread_mutex_lock(&st->cat_lock);
	rc = store_table_get(st, from, &t);
	if (rc) {
		rc = ddb_err_set(err, ENOENT, "no table %s", from);
		goto out_unlock;
	}
	if (strcmp(from, to)) {
		if (store_table_get(st, to, &target))
			target = NULL;
		rc = rename_locked(t, target, &c, err);
		if (!rc && target)
			store_table_put(target); /* the store's reference */
		store_table_put(target);
	}
	store_table_put(t);
out_unlock:
	pthread_mutex_unlock(&st->cat_lock);
	return rc;
}
