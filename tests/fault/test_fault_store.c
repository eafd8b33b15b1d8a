/*
 * test_fault_store.c - LMDB failures injected with ld --wrap (mdb_txn_commit
 * and mdb_put): a full map is grown and the write retried; a full disk, an
 * I/O error or a damaged database fail the write with the right errno, leave
 * the previous data intact, and later writes work.
 */
#include <errno.h>
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "store.h"
#include "store_fixture.h"

int __real_mdb_txn_commit(MDB_txn *txn);
int __real_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int __wrap_mdb_txn_commit(MDB_txn *txn);
int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);

/* Fail the (skip + 1)-th next call, `times` times in a row, with rc. */
struct fault {
	int rc;
	int skip;
	int times;
	int calls;
};

static struct fault commit_fault, put_fault;

static bool fault_fires(struct fault *f)
{
	f->calls++;
	if (!f->times)
		return false;
	if (f->skip > 0) {
		f->skip--;
		return false;
	}
	f->times--;
	return true;
}

int __wrap_mdb_txn_commit(MDB_txn *txn)
{
	if (fault_fires(&commit_fault)) {
		/* A failed commit frees the transaction, as LMDB's does. */
		mdb_txn_abort(txn);
		return commit_fault.rc;
	}
	return __real_mdb_txn_commit(txn);
}

int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags)
{
	if (fault_fires(&put_fault))
		return put_fault.rc;
	return __real_mdb_put(txn, dbi, key, data, flags);
}

static void arm(struct fault *f, int rc, int skip, int times)
{
	f->rc = rc;
	f->skip = skip;
	f->times = times;
	f->calls = 0;
}

struct fixture {
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
	struct store_table *t;
};

static const char *const schema =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],\"Partitions\":2}";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	arm(&commit_fault, 0, 0, 0);
	arm(&put_fault, 0, 0, 0);
	fixture_dir_make(f->dir, "fault");
	f->st = fixture_store_open(f->dir, false);
	f->t = fixture_table_make(f->st, "Books", schema);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	arm(&commit_fault, 0, 0, 0);
	arm(&put_fault, 0, 0, 0);
	store_table_put(f->t);
	store_close(f->st);
	fixture_dir_remove(f->dir);
	free(f);
	return 0;
}

struct put_ctx {
	struct ddb_key pk, sk;
	const char *text;
	int runs;
};

static int put_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct put_ctx *c = arg;

	c->runs++;
	return store_txn_item_put(txn, &c->pk, &c->sk, c->text, strlen(c->text), strlen(c->text),
				  7);
}

static int put(struct fixture *f, const char *sk, const char *text, int *runs, struct ddb_err *err)
{
	struct put_ctx c = {{DDB_TYPE_S, "p", 1}, {DDB_TYPE_S, sk, strlen(sk)}, text, 0};
	int rc = store_write(f->t, &c.pk, put_fn, &c, err);

	if (runs)
		*runs = c.runs;
	return rc;
}

/* The item's text, or NULL if absent. */
static char *get(struct fixture *f, const char *sk)
{
	struct ddb_key pk = {DDB_TYPE_S, "p", 1}, k = {DDB_TYPE_S, sk, strlen(sk)};
	struct ddb_buf b = DDB_BUF_INIT;

	return store_item_copy(f->t, &pk, &k, &b, NULL) ? NULL : b.data;
}

static void assert_item(struct fixture *f, const char *sk, const char *text)
{
	char *got = get(f, sk);

	if (!text) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
}

static void assert_stats(struct fixture *f, uint64_t items, uint64_t bytes)
{
	uint64_t n, b;

	assert_int_equal(store_table_stats(f->t, &n, &b), 0);
	assert_int_equal(n, items);
	assert_int_equal(b, bytes);
}

/* Writes "a" -> "old\n", the state every failure must leave intact. */
static void base(struct fixture *f)
{
	assert_int_equal(put(f, "a", "old\n", NULL, NULL), 0);
	assert_stats(f, 1, 4);
}

static void test_map_full_at_commit_retries(void **state)
{
	struct fixture *f = *state;
	int runs;

	base(f);
	arm(&commit_fault, MDB_MAP_FULL, 0, 2);
	assert_int_equal(put(f, "a", "new\n", &runs, NULL), 0);
	assert_int_equal(runs, 3);
	assert_item(f, "a", "new\n");
	assert_stats(f, 1, 4);
	assert_int_equal(put(f, "b", "bee\n", &runs, NULL), 0);
	assert_int_equal(runs, 1);
	assert_stats(f, 2, 8);
}

static void test_map_full_at_put_retries(void **state)
{
	struct fixture *f = *state;
	int runs;

	base(f);
	/* The second put of the transaction (the "parts" entry) fills the map. */
	arm(&put_fault, MDB_MAP_FULL, 1, 1);
	assert_int_equal(put(f, "b", "bee\n", &runs, NULL), 0);
	assert_int_equal(runs, 2);
	assert_item(f, "b", "bee\n");
	assert_item(f, "a", "old\n");
	assert_stats(f, 2, 8);
}

static void test_enospc_at_commit(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;

	base(f);
	/* Twice: a full disk is tried again once, after a checkpoint. */
	arm(&commit_fault, ENOSPC, 0, 2);
	assert_int_equal(put(f, "a", "new\n", NULL, &err), -ENOSPC);
	assert_int_equal(err.code, ENOSPC);
	assert_non_null(strstr(err.text, "no space left"));
	assert_item(f, "a", "old\n");
	assert_stats(f, 1, 4);
	/* Space is back: writes work again. */
	assert_int_equal(put(f, "a", "new\n", NULL, NULL), 0);
	assert_item(f, "a", "new\n");
}

/* Space freed since the last checkpoint is pinned until the next one. */
static void test_enospc_once_is_tried_again(void **state)
{
	struct fixture *f = *state;

	base(f);
	arm(&commit_fault, ENOSPC, 0, 1);
	assert_int_equal(put(f, "a", "new\n", NULL, NULL), 0);
	assert_int_equal(commit_fault.calls, 2);
	assert_item(f, "a", "new\n");
	/* EIO is no full disk: not tried again. */
	arm(&commit_fault, EIO, 0, 1);
	assert_int_equal(put(f, "a", "newer\n", NULL, NULL), -EIO);
	assert_item(f, "a", "new\n");
}

static void test_eio_at_put(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;

	base(f);
	arm(&put_fault, EIO, 0, 1);
	assert_int_equal(put(f, "b", "bee\n", NULL, &err), -EIO);
	assert_item(f, "b", NULL);
	assert_item(f, "a", "old\n");
	assert_stats(f, 1, 4);
	assert_int_equal(put(f, "b", "bee\n", NULL, NULL), 0);
	assert_stats(f, 2, 8);
}

/* A fn that ignores the failure of its put still gets its transaction aborted. */
static int swallow_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	put_fn(txn, arg, err);
	return 0;
}

static void test_swallowed_error_aborts(void **state)
{
	struct fixture *f = *state;
	struct put_ctx c = {{DDB_TYPE_S, "p", 1}, {DDB_TYPE_S, "b", 1}, "bee\n", 0};
	struct ddb_err err = DDB_ERR_INIT;

	base(f);
	/* Every put after the item's own fails, in the retry after a checkpoint too. */
	arm(&put_fault, ENOSPC, 1, 1000);
	assert_int_equal(store_write(f->t, &c.pk, swallow_fn, &c, &err), -ENOSPC);
	arm(&put_fault, 0, 0, 0);
	assert_item(f, "b", NULL);
	assert_stats(f, 1, 4);
}

static void test_panic_at_commit(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;

	base(f);
	arm(&commit_fault, MDB_PANIC, 0, 1);
	assert_int_equal(put(f, "a", "new\n", NULL, &err), -EIO);
	assert_int_equal(err.code, EIO);
	assert_non_null(strstr(err.text, "damaged"));
	assert_item(f, "a", "old\n");
}

static void test_catalog_failures(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_table *t;

	arm(&commit_fault, ENOSPC, 0, 1);
	assert_int_equal(store_table_create(f->st, "Authors", &err), -ENOSPC);
	assert_int_equal(store_table_get(f->st, "Authors", &t), -ENOENT);
	arm(&commit_fault, MDB_MAP_FULL, 0, 1);
	assert_int_equal(store_table_create(f->st, "Authors", NULL), 0);
	assert_int_equal(store_table_get(f->st, "Authors", &t), 0);
	arm(&put_fault, EIO, 0, 1);
	assert_int_equal(store_table_set_schema(t, schema, strlen(schema), NULL), -EIO);
	assert_null(store_table_schema(t));
	arm(&commit_fault, EIO, 0, 1);
	assert_int_equal(store_table_rename(f->st, "Authors", "Writers", NULL), -EIO);
	assert_int_equal(store_table_get(f->st, "Writers", &(struct store_table *){NULL}), -ENOENT);
	assert_int_equal(store_table_drop(f->st, "Authors", NULL), 0);
	store_table_put(t);
	assert_int_equal(store_table_get(f->st, "Authors", &t), -ENOENT);
}

static void test_many_growths(void **state)
{
	struct fixture *f = *state;
	int runs;

	base(f);
	arm(&commit_fault, MDB_MAP_FULL, 0, 5);
	assert_int_equal(put(f, "c", "sea\n", &runs, NULL), 0);
	assert_int_equal(runs, 6);
	assert_stats(f, 2, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_map_full_at_commit_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_full_at_put_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc_at_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc_once_is_tried_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eio_at_put, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swallowed_error_aborts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_panic_at_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_catalog_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_growths, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
