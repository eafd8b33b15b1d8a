/*
 * store_fixture.c - temporary data directories and the store calls every
 * LMDB-backed test starts with.  Directories go under /tmp, named after
 * the test, so one left behind by a crash says where it came from.
 */
#include <ftw.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "store_fixture.h"

void fixture_dir_make(char dir[FIXTURE_DIR_MAX], const char *tag)
{
	int n = snprintf(dir, FIXTURE_DIR_MAX, "/tmp/ddbfs-%s-XXXXXX", tag);

	assert_true(n > 0 && n < FIXTURE_DIR_MAX);
	assert_non_null(mkdtemp(dir));
}

bool fixture_partition_file(const char *dir, const char *file, char *out, size_t len)
{
	char pattern[FIXTURE_DIR_MAX + 64];
	glob_t g;
	bool ok;

	snprintf(pattern, sizeof(pattern), "%s/tables/*/p00/%s", dir, file);
	if (glob(pattern, 0, NULL, &g))
		return false;
	ok = g.gl_pathc == 1 && (size_t)snprintf(out, len, "%s", g.gl_pathv[0]) < len;
	globfree(&g);
	return ok;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void fixture_dir_remove(const char *dir)
{
	/* Depth first, so each directory is empty by the time it is removed. */
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct store *fixture_store_open_with(const char *dir, const struct store_options *opt)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct store *st = NULL;
	int rc = store_open(dir, opt, &st, &err);

	if (rc)
		fail_msg("store_open: %d %s", rc, err.text);
	return st;
}

struct store *fixture_store_open(const char *dir, bool read_only)
{
	struct store_options opt = { .read_only = read_only };

	return fixture_store_open_with(dir, &opt);
}

struct store_table *fixture_table_make(struct store *st, const char *name, const char *schema)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t;

	assert_int_equal(store_table_create(st, name, &err), 0);
	assert_int_equal(store_table_get(st, name, &t), 0);
	if (schema && store_table_set_schema(t, schema, strlen(schema), &err))
		fail_msg("set_schema: %s", err.text);
	return t;
}

struct fixture_table *fixture_table_setup(const char *tag, const char *name, const char *schema)
{
	struct fixture_table *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_dir_make(f->dir, tag);
	f->st = fixture_store_open(f->dir, false);
	f->t = fixture_table_make(f->st, name, schema);
	return f;
}

void fixture_table_teardown(struct fixture_table *f)
{
	store_table_put(f->t);
	store_close(f->st);
	fixture_dir_remove(f->dir);
	free(f);
}

/* ---- items of an S/N (or hash-only S) table ---- */

struct put_ctx {
	const struct ddb_key *pk, *sk;
	const char *text;
	size_t len;
	uint64_t size;
	int64_t mtime;
	bool del;
};

static int put_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct put_ctx *c = arg;

	if (c->del)
		return store_txn_item_del(txn, c->pk, c->sk);
	return store_txn_item_put(txn, c->pk, c->sk, c->text, c->len, c->size, c->mtime);
}

int fixture_put(struct store_table *t, const char *pk, const char *sk, const char *text,
	       uint64_t size)
{
	struct ddb_key k1 = {DDB_TYPE_S, pk, strlen(pk)};
	struct ddb_key k2 = {DDB_TYPE_N, sk, sk ? strlen(sk) : 0};
	struct put_ctx c = {&k1, sk ? &k2 : NULL, text, strlen(text), size, 42, false};

	return store_write(t, &k1, put_fn, &c, NULL);
}

int fixture_del(struct store_table *t, const char *pk, const char *sk)
{
	struct ddb_key k1 = {DDB_TYPE_S, pk, strlen(pk)};
	struct ddb_key k2 = {DDB_TYPE_N, sk, sk ? strlen(sk) : 0};
	struct put_ctx c = {&k1, sk ? &k2 : NULL, NULL, 0, 0, 0, true};

	return store_write(t, &k1, put_fn, &c, NULL);
}

char *fixture_read(struct store_table *t, const char *pk, const char *sk)
{
	struct ddb_key k1 = {DDB_TYPE_S, pk, strlen(pk)};
	struct ddb_key k2 = {DDB_TYPE_N, sk, sk ? strlen(sk) : 0};
	struct ddb_buf b = DDB_BUF_INIT;

	if (store_item_copy(t, &k1, sk ? &k2 : NULL, &b, NULL))
		return NULL;
	return b.data ? b.data : strdup("");
}
