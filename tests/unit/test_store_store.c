/*
 * test_store_store.c - tables and items against real LMDB in a temporary
 * data directory: the catalog, schemas, exact counts and sizes, reads at
 * offsets, persistence, locking, dropping, read-only mode, map growth, and
 * stores made by an older layout (a partition's figures in a named database).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <lmdb.h>
#include "store.h"
#include "store_fixture.h"

struct fixture {
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
	int lock_fd;
};

static const char *const schema_hr =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"Partitions\":4}";

static const char *const schema_h =
    "{\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
    "\"Partitions\":3}";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ddb_err err = DDB_ERR_INIT;

	fixture_dir_make(f->dir, "store");
	assert_int_equal(store_lock_datadir(f->dir, &f->lock_fd, &err), 0);
	f->st = fixture_store_open(f->dir, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	close(f->lock_fd);
	fixture_dir_remove(f->dir);
	free(f);
	return 0;
}

static void fx_reopen(struct fixture *f, bool read_only)
{
	store_close(f->st);
	f->st = NULL;
	f->st = fixture_store_open(f->dir, read_only);
}

static void assert_stats(struct store_table *t, uint64_t items, uint64_t bytes)
{
	uint64_t n, b;

	assert_int_equal(store_table_stats(t, &n, &b), 0);
	assert_int_equal(n, items);
	assert_int_equal(b, bytes);
}

static void test_lock_refused(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	char pid[32];
	int fd = -1;

	assert_int_equal(store_lock_datadir(f->dir, &fd, &err), -EBUSY);
	assert_int_equal(err.code, EBUSY);
	snprintf(pid, sizeof(pid), "(pid %ld)", (long)getpid());
	assert_non_null(strstr(err.text, "in use by another ddbfs"));
	assert_non_null(strstr(err.text, pid));
}

static void test_tables(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t;
	char **names;
	size_t n;

	assert_int_equal(store_table_create(f->st, "Books", &err), 0);
	assert_int_equal(store_table_create(f->st, "Books", &err), -EEXIST);
	assert_int_equal(store_table_create(f->st, "ab", NULL), -EINVAL);
	assert_int_equal(store_table_create(f->st, ".abc", NULL), -EINVAL);
	assert_int_equal(store_table_create(f->st, "Authors", NULL), 0);
	assert_int_equal(store_table_create(f->st, "Zebra", NULL), 0);
	assert_int_equal(store_table_names(f->st, &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "Authors");
	assert_string_equal(names[1], "Books");
	assert_string_equal(names[2], "Zebra");
	store_names_free(names, n);

	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_true(store_table_created_ms(t) > 1600000000000LL);
	assert_null(store_table_schema(t));
	assert_int_equal(store_table_rename(f->st, "Books", "Novels", NULL), 0);
	assert_int_equal(store_table_get(f->st, "Books", &(struct store_table *){NULL}), -ENOENT);
	assert_int_equal(store_table_set_schema(t, schema_hr, strlen(schema_hr), &err), 0);
	assert_non_null(store_table_schema(t));
	store_table_put(t);
	assert_int_equal(store_table_rename(f->st, "Nope", "Other", NULL), -ENOENT);
	assert_int_equal(store_table_rename(f->st, "Novels", "x", NULL), -EINVAL);

	assert_int_equal(store_table_drop(f->st, "Zebra", NULL), 0);
	assert_int_equal(store_table_drop(f->st, "Zebra", NULL), -ENOENT);
	fx_reopen(f, false);
	assert_int_equal(store_table_names(f->st, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "Authors");
	assert_string_equal(names[1], "Novels");
	store_names_free(names, n);
	assert_int_equal(store_table_get(f->st, "Novels", &t), 0);
	assert_non_null(store_table_schema(t));
	assert_true(ddb_schema_has_range(store_table_schema(t)));
	store_table_put(t);
}

static void test_rename_replace(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *a = fixture_table_make(f->st, "Aaa", schema_hr);
	struct store_table *b = fixture_table_make(f->st, "Bbb", schema_hr);
	struct store_table *c;

	assert_int_equal(fixture_put(a, "x", "1", "a\n", 10), 0);
	assert_int_equal(fixture_put(b, "y", "2", "b\n", 10), 0);
	/* A target with items is refused, like rename(2) onto a full directory. */
	assert_int_equal(store_table_rename(f->st, "Aaa", "Bbb", &err), -ENOTEMPTY);
	assert_int_equal(err.code, ENOTEMPTY);
	assert_int_equal(fixture_del(b, "y", "2"), 0);
	assert_int_equal(store_table_rename(f->st, "Aaa", "Bbb", NULL), 0);
	/* The replaced handle is dropped; the renamed one keeps working. */
	assert_int_equal(fixture_put(b, "y", "2", "b\n", 10), -ENOENT);
	assert_int_equal(fixture_put(a, "z", "3", "c\n", 10), 0);
	assert_int_equal(store_table_get(f->st, "Bbb", &c), 0);
	assert_ptr_equal(c, a);
	assert_stats(c, 2, 20);
	store_table_put(c);
	store_table_put(a);
	store_table_put(b);
	fx_reopen(f, false);
	assert_int_equal(store_table_get(f->st, "Bbb", &c), 0);
	assert_stats(c, 2, 20);
	store_table_put(c);
	assert_int_equal(store_table_get(f->st, "Aaa", &c), -ENOENT);
}

static void test_schema(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t = fixture_table_make(f->st, "Books", NULL);
	const struct ddb_schema *s1;
	struct ddb_buf d = DDB_BUF_INIT;

	assert_int_equal(store_table_describe(t, "Books", &d), -ENOENT);
	assert_int_equal(store_table_set_schema(t, "{", 1, &err), -EINVAL);
	ddb_err_clear(&err);
	assert_int_equal(store_table_set_schema(t, schema_hr, strlen(schema_hr), &err), 0);
	s1 = store_table_schema(t);
	assert_int_equal(ddb_schema_partitions(s1), 4);
	/* The same schema again is fine; a different key schema is not. */
	assert_int_equal(store_table_set_schema(t, schema_hr, strlen(schema_hr), &err), 0);
	assert_int_equal(store_table_set_schema(t, schema_h, strlen(schema_h), &err), -EPERM);
	assert_int_equal(err.code, EPERM);
	/* The superseded schema stays valid while the reference is held. */
	assert_int_equal(ddb_schema_partitions(s1), 4);
	assert_int_equal(fixture_put(t, "p", "1", "hello\n", 7), 0);
	assert_int_equal(store_table_describe(t, "Books", &d), 0);
	assert_non_null(strstr(d.data, "\"ItemCount\": 1"));
	assert_non_null(strstr(d.data, "\"TableName\": \"Books\""));
	ddb_buf_release(&d);
	store_table_put(t);
	fx_reopen(f, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_int_equal(ddb_schema_partitions(store_table_schema(t)), 4);
	assert_int_equal(store_table_set_schema(t, schema_h, strlen(schema_h), &err), -EPERM);
	store_table_put(t);
}

static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "moby", 4}, sk = {DDB_TYPE_N, "1851", 4};
	struct store_item_meta m;
	char *text;

	assert_int_equal(store_item_stat(t, &pk, &sk, &m), -ENOENT);
	assert_int_equal(store_partition_exists(t, &pk), -ENOENT);
	assert_int_equal(fixture_put(t, "moby", "1851", "{\n  \"a\": 1\n}\n", 100), 0);
	assert_int_equal(fixture_put(t, "moby", "1852", "two\n", 50), 0);
	assert_int_equal(fixture_put(t, "other", "1", "three\n", 7), 0);
	assert_stats(t, 3, 157);
	assert_int_equal(store_item_stat(t, &pk, &sk, &m), 0);
	assert_int_equal(m.text_len, 13);
	assert_int_equal(m.ddb_size, 100);
	assert_int_equal(m.mtime_ns, 42);
	assert_int_equal(store_partition_exists(t, &pk), 0);
	text = fixture_read(t, "moby", "1851");
	assert_string_equal(text, "{\n  \"a\": 1\n}\n");
	free(text);

	/* Overwrite: counts stay, bytes follow, seq advances. */
	assert_int_equal(fixture_put(t, "moby", "1851", "new text\n", 30), 0);
	assert_stats(t, 3, 87);
	text = fixture_read(t, "moby", "1851");
	assert_string_equal(text, "new text\n");
	free(text);
	assert_int_equal(store_item_stat(t, &pk, &sk, &m), 0);
	assert_true(m.seq >= 1);

	assert_int_equal(fixture_del(t, "moby", "1851"), 0);
	assert_int_equal(fixture_del(t, "moby", "1851"), -ENOENT);
	assert_stats(t, 2, 57);
	assert_int_equal(store_partition_exists(t, &pk), 0);
	assert_int_equal(fixture_del(t, "moby", "1852"), 0);
	assert_int_equal(store_partition_exists(t, &pk), -ENOENT);
	assert_null(fixture_read(t, "moby", "1852"));
	assert_stats(t, 1, 7);
	store_table_put(t);
}

static void test_hash_only(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Users", schema_h);
	struct ddb_key pk = {DDB_TYPE_S, "u1", 2};
	struct store_item_meta m;
	char *text;

	assert_int_equal(fixture_put(t, "u1", NULL, "one\n", 4), 0);
	assert_int_equal(fixture_put(t, "u2", NULL, "two\n", 4), 0);
	assert_int_equal(store_item_stat(t, &pk, NULL, &m), 0);
	assert_int_equal(m.text_len, 4);
	text = fixture_read(t, "u2", NULL);
	assert_string_equal(text, "two\n");
	free(text);
	assert_int_equal(store_partition_exists(t, &pk), -EINVAL);
	/* A sort key on a hash-only table is a caller error. */
	assert_int_equal(fixture_put(t, "u1", "1", "x\n", 2), -EINVAL);
	assert_stats(t, 2, 8);
	store_table_put(t);
}

static void test_read_offsets(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "p", 1}, sk = {DDB_TYPE_N, "7", 1};
	struct store_item_meta m;
	char buf[16];
	size_t n;

	assert_int_equal(fixture_put(t, "p", "7", "0123456789", 10), 0);
	assert_int_equal(store_item_read(t, &pk, &sk, 0, buf, 4, &n, &m), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(m.text_len, 10);
	assert_int_equal(store_item_read(t, &pk, &sk, 7, buf, 16, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "789", 3);
	assert_int_equal(store_item_read(t, &pk, &sk, 10, buf, 16, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_item_read(t, &pk, &sk, 1000, buf, 16, &n, NULL), 0);
	assert_int_equal(n, 0);
	store_table_put(t);
}

struct mtime_ctx {
	const struct ddb_key *pk, *sk;
	struct store_value v;
};

static int mtime_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct mtime_ctx *c = arg;
	int rc = store_txn_item_set_mtime(txn, c->pk, c->sk, 123456789);

	return rc ? rc : store_txn_item_get(txn, c->pk, c->sk, &c->v);
}

static void test_set_mtime(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "p", 1}, sk = {DDB_TYPE_N, "7", 1};
	struct ddb_key other = {DDB_TYPE_N, "8", 1};
	struct mtime_ctx c = {&pk, &sk, {0}};
	struct store_item_meta m;
	char *text;

	assert_int_equal(fixture_put(t, "p", "7", "text\n", 5), 0);
	assert_int_equal(store_write(t, &pk, mtime_fn, &c, NULL), 0);
	assert_int_equal(c.v.meta.mtime_ns, 123456789);
	assert_int_equal(store_item_stat(t, &pk, &sk, &m), 0);
	assert_int_equal(m.mtime_ns, 123456789);
	assert_int_equal(m.ddb_size, 5);
	text = fixture_read(t, "p", "7");
	assert_string_equal(text, "text\n");
	free(text);
	c.sk = &other;
	assert_int_equal(store_write(t, &pk, mtime_fn, &c, NULL), -ENOENT);
	assert_stats(t, 1, 5);
	store_table_put(t);
}

struct failing_ctx {
	const struct ddb_key *pk, *sk;
};

static int failing_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct failing_ctx *c = arg;

	store_txn_item_put(txn, c->pk, c->sk, "x\n", 2, 2, 0);
	return ddb_err_set(err, EINVAL, "refused");
}

static void test_fn_error_aborts(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "p", 1}, sk = {DDB_TYPE_N, "1", 1};
	struct failing_ctx c = {&pk, &sk};
	struct ddb_err err = DDB_ERR_INIT;

	assert_int_equal(store_write(t, &pk, failing_fn, &c, &err), -EINVAL);
	assert_string_equal(err.text, "refused");
	assert_stats(t, 0, 0);
	assert_int_equal(store_item_stat(t, &pk, &sk, &(struct store_item_meta){0}), -ENOENT);
	store_table_put(t);
}

struct journal_ctx {
	const struct ddb_key *pk;
	uint64_t id;
	int seen;
	char last[16];
};

static int journal_add_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct journal_ctx *c = arg;

	return store_txn_journal_add(txn, "intent", 6, &c->id);
}

static int journal_del_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct journal_ctx *c = arg;

	return store_txn_journal_del(txn, c->id);
}

static int journal_count(const void *rec, size_t len, uint64_t id, void *arg)
{
	struct journal_ctx *c = arg;

	c->seen++;
	memcpy(c->last, rec, len < 15 ? len : 15);
	return 0;
}

static void test_journal(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "p", 1};
	struct journal_ctx c = {&pk, 0, 0, {0}};

	assert_int_equal(store_write(t, &pk, journal_add_fn, &c, NULL), 0);
	assert_true(c.id > 0);
	store_table_put(t);
	fx_reopen(f, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_int_equal(store_journal_each(t, journal_count, &c), 0);
	assert_int_equal(c.seen, 1);
	assert_string_equal(c.last, "intent");
	assert_int_equal(store_write(t, &pk, journal_del_fn, &c, NULL), 0);
	assert_int_equal(store_write(t, &pk, journal_del_fn, &c, NULL), -ENOENT);
	c.seen = 0;
	assert_int_equal(store_journal_each(t, journal_count, &c), 0);
	assert_int_equal(c.seen, 0);
	store_table_put(t);
}

static void test_persistence(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct ddb_key pk = {DDB_TYPE_S, "a", 1}, sk = {DDB_TYPE_N, "2", 1};
	struct store_item_meta m;
	char *text;

	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), 0);
	assert_int_equal(fixture_put(t, "a", "2", "two\n", 22), 0);
	assert_int_equal(store_sync(t, NULL), 0);
	assert_int_equal(store_sync(t, &pk), 0);
	store_table_put(t);
	fx_reopen(f, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_stats(t, 2, 33);
	text = fixture_read(t, "a", "2");
	assert_string_equal(text, "two\n");
	free(text);
	assert_int_equal(store_item_stat(t, &pk, &sk, &m), 0);
	assert_int_equal(m.ddb_size, 22);
	/* Sequence numbers keep growing across a reopen. */
	assert_int_equal(fixture_put(t, "a", "3", "three\n", 1), 0);
	sk.data = "3";
	assert_int_equal(store_item_stat(t, &pk, &sk, &m), 0);
	assert_int_equal(m.seq, 2);
	store_table_put(t);
}

static bool exists(const char *dir, const char *rel)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &sb) == 0;
}

static void test_drop_files(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	struct store_table *u = fixture_table_make(f->st, "Other", schema_h);
	char path[256];

	assert_true(exists(f->dir, "tables/1/p00/data.mdb"));
	assert_true(exists(f->dir, "tables/1/p03/data.mdb"));
	assert_false(exists(f->dir, "tables/1/p04"));
	assert_true(exists(f->dir, "tables/2/p02/data.mdb"));
	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), 0);
	assert_int_equal(store_table_drop(f->st, "Books", &err), -ENOTEMPTY);
	assert_int_equal(fixture_del(t, "a", "1"), 0);
	assert_int_equal(store_table_drop(f->st, "Books", &err), 0);
	/* Still referenced: the files stay until the handle goes. */
	assert_true(exists(f->dir, "tables/1/p00/data.mdb"));
	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), -ENOENT);
	store_table_put(t);
	assert_false(exists(f->dir, "tables/1"));
	/* A directory the catalog does not name (a crash mid-drop) goes at open. */
	store_table_put(u);
	snprintf(path, sizeof(path), "%s/tables/77", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	fx_reopen(f, false);
	assert_false(exists(f->dir, "tables/77"));
	assert_true(exists(f->dir, "tables/2/p00/data.mdb"));
	/* Ids are not reused. */
	t = fixture_table_make(f->st, "Books", schema_hr);
	assert_true(exists(f->dir, "tables/3/p00/data.mdb"));
	store_table_put(t);
}

static void test_read_only(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	char *text;

	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), 0);
	store_table_put(t);
	fx_reopen(f, true);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	text = fixture_read(t, "a", "1");
	assert_string_equal(text, "one\n");
	free(text);
	assert_int_equal(fixture_put(t, "a", "2", "two\n", 1), -EROFS);
	assert_int_equal(store_table_set_schema(t, schema_hr, strlen(schema_hr), &err), -EROFS);
	assert_int_equal(store_table_create(f->st, "New1", &err), -EROFS);
	assert_int_equal(store_table_drop(f->st, "Books", &err), -EROFS);
	assert_int_equal(store_table_rename(f->st, "Books", "B2b", &err), -EROFS);
	assert_stats(t, 1, 11);
	store_table_put(t);
}

/* A write transaction on the environment in dir with raw LMDB, and its main DB. */
static MDB_txn *raw_begin(const char *dir, MDB_dbi *main)
{
	MDB_env *env;
	MDB_txn *txn;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, main), 0);
	return txn;
}

static void raw_commit(MDB_txn *txn)
{
	MDB_env *env = mdb_txn_env(txn);

	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Sets (0: removes) the "format" record of the environment in dir with raw LMDB; returns the old one (0: none). */
static uint32_t set_format(const char *dir, uint32_t format)
{
	MDB_val k = {6, "format"}, v;
	uint32_t old = 0;
	MDB_dbi main;
	MDB_txn *txn = raw_begin(dir, &main);

	if (!mdb_get(txn, main, &k, &v)) {
		assert_int_equal(v.mv_size, sizeof(old));
		memcpy(&old, v.mv_data, sizeof(old));
	}
	v.mv_size = sizeof(format);
	v.mv_data = &format;
	if (format)
		assert_int_equal(mdb_put(txn, main, &k, &v, 0), 0);
	else if (old)
		assert_int_equal(mdb_del(txn, main, &k, NULL), 0);
	raw_commit(txn);
	return old;
}

/* The named databases of a partition (store/partition.c); the rest of the main DB is figures. */
static bool is_db_name(const MDB_val *k)
{
	static const char *const names[] = {"items", "parts", "meta", "journal", "index"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (k->mv_size == strlen(names[i]) && !memcmp(k->mv_data, names[i], k->mv_size))
			return true;
	return false;
}

/*
 * Opens the environment in dir with raw LMDB and, if legacy, moves the
 * figures from the main DB into a named database "meta", as stores made
 * before 2026-11-22 kept them.  Returns whether "meta" exists and whether
 * the main DB holds "stats", as bit 1 and bit 0.
 */
static int meta_layout(const char *dir, bool legacy)
{
	MDB_val keys[16], vals[16], k, v;
	MDB_dbi main, meta;
	MDB_txn *txn = raw_begin(dir, &main);
	MDB_cursor *c;
	size_t n = 0, i;
	int found = 0, rc;

	assert_int_equal(mdb_cursor_open(txn, main, &c), 0);
	while (!mdb_cursor_get(c, &k, &v, MDB_NEXT) && n < 16) {
		if (is_db_name(&k))
			continue;
		keys[n] = k;
		vals[n++] = v;
	}
	mdb_cursor_close(c);
	for (i = 0; legacy && i < n; i++) {
		/* The old layout had no format record, and its figures in "meta". */
		if (keys[i].mv_size != 6 || memcmp(keys[i].mv_data, "format", 6)) {
			assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
			assert_int_equal(mdb_put(txn, meta, &keys[i], &vals[i], 0), 0);
		}
		assert_int_equal(mdb_del(txn, main, &keys[i], NULL), 0);
	}
	k.mv_size = 5;
	k.mv_data = "stats";
	if (!mdb_get(txn, main, &k, &v))
		found |= 1;
	rc = mdb_dbi_open(txn, "meta", 0, &meta);
	assert_true(rc == 0 || rc == MDB_NOTFOUND);
	if (!rc)
		found |= 2;
	raw_commit(txn);
	return found;
}

static void test_legacy_meta_moves(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	char env[FIXTURE_DIR_MAX + 32];
	int i, layout, with_stats = 0;

	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), 0);
	assert_int_equal(fixture_put(t, "b", "2", "two\n", 22), 0);
	assert_int_equal(fixture_put(t, "c", "3", "three\n", 33), 0);
	store_table_put(t);
	store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 4; i++) {
		snprintf(env, sizeof(env), "%s/tables/1/p%02d", f->dir, i);
		layout = meta_layout(env, false); /* this layout: in the main DB */
		assert_int_equal(layout & 2, 0);
		with_stats += layout & 1;
		meta_layout(env, true);
		assert_int_equal(meta_layout(env, false), layout ? 2 : 0); /* the old one: "meta" */
	}
	assert_true(with_stats >= 2); /* three keys over four environments */
	/* Read-only: read where they are, nothing moved. */
	f->st = fixture_store_open(f->dir, true);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_stats(t, 3, 66);
	store_table_put(t);
	store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 4; i++) {
		snprintf(env, sizeof(env), "%s/tables/1/p%02d", f->dir, i);
		assert_int_equal(meta_layout(env, false) & 1, 0);
	}
	/* Read-write: moved once, and the old database is gone. */
	f->st = fixture_store_open(f->dir, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_stats(t, 3, 66);
	assert_int_equal(fixture_put(t, "d", "4", "four\n", 44), 0);
	assert_int_equal(fixture_del(t, "a", "1"), 0);
	assert_stats(t, 3, 99);
	store_table_put(t);
	fx_reopen(f, false);
	store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 4; i++) {
		snprintf(env, sizeof(env), "%s/tables/1/p%02d", f->dir, i);
		layout = meta_layout(env, false);
		assert_int_equal(layout & 2, 0);
		with_stats -= layout & 1;
	}
	assert_true(with_stats <= 0); /* every figure moved back; "d" may have added one */
	assert_int_equal(set_format(env, 2), 2); /* recorded by the read-write mount */
	f->st = fixture_store_open(f->dir, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_stats(t, 3, 99);
	store_table_put(t);
}

/*
 * A store made by a newer daemon is refused, not misread, whichever
 * environment says so (a partition, the catalog); a store made before the
 * record gets it at its first read-write mount.
 */
static void test_newer_format_refused(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Books", schema_hr);
	static const char *const envs[] = {"tables/1/p02", "catalog"};
	char env[FIXTURE_DIR_MAX + 32];

	assert_int_equal(fixture_put(t, "a", "1", "one\n", 11), 0);
	store_table_put(t);
	store_close(f->st);
	f->st = NULL;
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		char want[64];

		snprintf(env, sizeof(env), "%s/%s", f->dir, envs[i]);
		snprintf(want, sizeof(want), "%s: made by a newer ddbfs (store format 3", envs[i]);
		assert_int_equal(set_format(env, 3), 2);
		for (int ro = 0; ro < 2; ro++) {
			struct store_options opt = {.read_only = ro};
			struct ddb_err err = DDB_ERR_INIT;
			struct store *st = NULL;

			assert_int_equal(store_open(f->dir, &opt, &st, &err), -EIO);
			assert_null(st);
			assert_non_null(strstr(err.text, want));
		}
		assert_int_equal(set_format(env, 0), 3);
		fx_reopen(f, true);
		store_close(f->st);
		f->st = NULL;
		assert_int_equal(set_format(env, 0), 0); /* a read-only mount writes nothing */
		fx_reopen(f, false);
		store_close(f->st);
		f->st = NULL;
		assert_int_equal(set_format(env, 2), 2);
	}
	f->st = fixture_store_open(f->dir, false);
	assert_int_equal(store_table_get(f->st, "Books", &t), 0);
	assert_stats(t, 1, 11);
	store_table_put(t);
}

static void test_read_only_fresh(void **state)
{
	struct fixture *f = *state;
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
	char **names;
	size_t n;

	fixture_dir_make(dir, "store-ro");
	st = fixture_store_open(dir, true);
	assert_int_equal(store_table_names(st, &names, &n), 0);
	assert_int_equal(n, 0);
	store_names_free(names, n);
	store_close(st);
	fixture_dir_remove(dir);
	(void)f;
}

/* 800 items of 100 KB: more than the initial 64 MiB map of one environment. */
static void test_map_growth(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Big", schema_hr);
	size_t len = 100 * 1024;
	char *text = malloc(len + 1), sk[16], *back;
	struct store_item_meta m;
	int i;

	memset(text, 'x', len);
	text[len] = '\0';
	for (i = 0; i < 800; i++) {
		snprintf(sk, sizeof(sk), "%d", i + 1);
		text[0] = (char)('a' + i % 26);
		assert_int_equal(fixture_put(t, "onepartition", sk, text, len), 0);
	}
	assert_stats(t, 800, 800 * (uint64_t)len);
	store_table_put(t);
	fx_reopen(f, false);
	assert_int_equal(store_table_get(f->st, "Big", &t), 0);
	back = fixture_read(t, "onepartition", "800");
	assert_non_null(back);
	assert_int_equal(strlen(back), len);
	assert_int_equal(back[0], 'a' + 799 % 26);
	free(back);
	assert_int_equal(fixture_put(t, "onepartition", "801", text, len), 0);
	assert_int_equal(store_item_stat(t, &(struct ddb_key){DDB_TYPE_S, "onepartition", 12},
					 &(struct ddb_key){DDB_TYPE_N, "801", 3}, &m),
			 0);
	assert_int_equal(m.text_len, len);
	free(text);
	store_table_put(t);
}

struct worker {
	struct store_table *t;
	int id;
	volatile int *stop;
	int rc;
};

static void *writer_main(void *arg)
{
	struct worker *w = arg;
	size_t len = 300 * 1024;
	char *text = malloc(len + 1), sk[32];
	int i;

	memset(text, 'w', len);
	text[len] = '\0';
	for (i = 0; i < 60 && !w->rc; i++) {
		snprintf(sk, sizeof(sk), "%d", w->id * 1000 + i);
		w->rc = fixture_put(w->t, "hot", sk, text, len);
	}
	free(text);
	return NULL;
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;
	struct ddb_key pk = {DDB_TYPE_S, "hot", 3};
	struct store_cursor *c;
	struct store_entry e;
	uint64_t n, b;

	while (!*w->stop && !w->rc) {
		w->rc = store_cursor_open(w->t, STORE_SCAN_PARTITION, &pk, NULL, NULL, &c);
		if (w->rc)
			break;
		while ((w->rc = store_cursor_next(c, &e)) == 0)
			;
		w->rc = w->rc == 1 ? 0 : w->rc;
		store_cursor_close(c);
		if (!w->rc)
			w->rc = store_table_stats(w->t, &n, &b);
	}
	return NULL;
}

/* Writers grow one environment's map while a reader scans it. */
static void test_concurrent_growth(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = fixture_table_make(f->st, "Hot", schema_hr);
	struct worker w[5];
	pthread_t th[5];
	volatile int stop = 0;
	int i;

	for (i = 0; i < 5; i++) {
		w[i] = (struct worker){t, i, &stop, 0};
		assert_int_equal(
		    pthread_create(&th[i], NULL, i < 4 ? writer_main : reader_main, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	stop = 1;
	pthread_join(th[4], NULL);
	for (i = 0; i < 5; i++)
		assert_int_equal(w[i].rc, 0);
	assert_stats(t, 240, 240 * 300 * 1024);
	store_table_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lock_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_offsets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_mtime, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fn_error_aborts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_meta_moves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_format_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_growth, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
