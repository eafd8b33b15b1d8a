/*
 * test_store_ixtxn.c - secondary index entries in the store: exact figures
 * through put, replace and delete; index levels listed once per value, in
 * key order, merged across environments, forwards and backwards, with
 * bounds and resumption; over-long values (shortened parts); dropping one
 * index's entries; resumable backfill batches.
 */
#include <errno.h>
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

#define ID 7

static const char schema_json[] =
    "{\"KeySchema\":[{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"r\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"h\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"r\",\"AttributeType\":\"N\"}],\"Partitions\":4}";

static int setup(void **state)
{
	*state = fixture_table_setup("ixtxn", "Tbl", schema_json);
	return 0;
}

static int teardown(void **state)
{
	fixture_table_teardown(*state);
	return 0;
}

static struct ddb_key S(const char *s)
{
	return (struct ddb_key){DDB_TYPE_S, s, strlen(s)};
}

static struct ddb_key N(const char *s)
{
	return (struct ddb_key){DDB_TYPE_N, s, strlen(s)};
}

/* A GSI-like entry (color, pk, sk) of index id, in the environment of pk. */
struct op {
	uint32_t id;
	struct ddb_key color, pk, sk;
	uint64_t size;
	bool del;
	int rc;
};

static int op_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct op *o = arg;
	struct store_ix_entry e = {o->id, 3, {o->color, o->pk, o->sk}};

	o->rc = o->del ? store_txn_ix_del(txn, &e) : store_txn_ix_put(txn, &e, o->size);
	return o->rc == -ENOENT ? 0 : o->rc;
}

static int entry(struct fixture_table *f, uint32_t id, const char *color, const char *pk,
		 const char *sk, uint64_t size, bool del)
{
	struct op o = {id, S(color), S(pk), N(sk), size, del, 0};

	assert_int_equal(store_write(f->t, &o.pk, op_fn, &o, NULL), 0);
	return o.rc;
}

/* Lists level lv (fixed values before it) and checks the names, joined by ','. */
static void expect_level(struct fixture_table *f, unsigned lv, const struct ddb_key *fixed,
			 const struct store_range *r, const struct ddb_key *after, const char *want)
{
	struct store_ix_scan ix = {ID, 3, {DDB_TYPE_S, DDB_TYPE_S, DDB_TYPE_N}, lv, fixed, false};
	char got[8192] = "";
	struct store_cursor *c;
	struct store_entry e;
	size_t at = 0;
	int rc;

	assert_int_equal(store_ix_cursor_open(f->t, &ix, r, after, &c), 0);
	while ((rc = store_cursor_next(c, &e)) == 0) {
		/* Long values by their last bytes, where the tests make them differ. */
		size_t skip = e.key.len > 60 ? e.key.len - 12 : 0;

		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s%.*s", at ? "," : "",
				       skip ? "..." : "", (int)(e.key.len - skip),
				       (const char *)e.key.data + skip);
		assert_true(at < sizeof(got));
	}
	assert_int_equal(rc, 1);
	store_cursor_close(c);
	assert_string_equal(got, want);
}

static void test_figures(void **state)
{
	struct fixture_table *f = *state;
	uint64_t items, bytes;

	assert_int_equal(entry(f, ID, "red", "a", "1", 100, false), 0);
	assert_int_equal(entry(f, ID, "red", "b", "1", 50, false), 0);
	assert_int_equal(entry(f, ID + 1, "red", "b", "1", 9, false), 0);
	assert_int_equal(store_ix_stats(f->t, ID, &items, &bytes), 0);
	assert_int_equal(items, 2);
	assert_int_equal(bytes, 150);
	/* Replacing an entry changes its size, not the count. */
	assert_int_equal(entry(f, ID, "red", "a", "1", 70, false), 0);
	assert_int_equal(store_ix_stats(f->t, ID, &items, &bytes), 0);
	assert_int_equal(items, 2);
	assert_int_equal(bytes, 120);
	assert_int_equal(entry(f, ID, "red", "a", "1", 0, true), 0);
	assert_int_equal(entry(f, ID, "red", "a", "1", 0, true), -ENOENT);
	assert_int_equal(entry(f, ID, "blue", "b", "1", 0, true), -ENOENT);
	assert_int_equal(store_ix_stats(f->t, ID, &items, &bytes), 0);
	assert_int_equal(items, 1);
	assert_int_equal(bytes, 50);
	assert_int_equal(store_ix_stats(f->t, ID + 1, &items, &bytes), 0);
	assert_int_equal(items, 1);
}

static void fill_colors(struct fixture_table *f)
{
	static const char *const colors[] = {"red", "blue", "green"};
	char pk[16], sk[16];
	int i, j;

	/* 30 partition keys spread over the 4 environments, each under every color. */
	for (i = 0; i < 30; i++)
		for (j = 0; j < 3; j++) {
			snprintf(pk, sizeof(pk), "p%02d", i);
			snprintf(sk, sizeof(sk), "%d", (i * 7 + j) % 5);
			entry(f, ID, colors[(i + j) % 3], pk, sk, 1, false);
		}
	entry(f, ID + 1, "amber", "p00", "1", 1, false); /* another index */
}

static void test_levels(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_key fixed[2] = {S("red"), S("p03")};
	struct store_range r = {0};
	struct ddb_key lo = S("p10"), hi = S("p13"), after = S("green");

	fill_colors(f);
	expect_level(f, 0, NULL, NULL, NULL, "blue,green,red");
	r.reverse = true;
	expect_level(f, 0, NULL, &r, NULL, "red,green,blue");
	expect_level(f, 0, NULL, &r, &after, "blue");
	r.reverse = false;
	expect_level(f, 0, NULL, NULL, &after, "red");
	/* p03 has j = 0, 1, 2 -> colors red (j=0), blue, green: red holds sk (21 % 5) = 1. */
	expect_level(f, 2, fixed, NULL, NULL, "1");
	r.lo = &lo;
	r.lo_incl = true;
	r.hi = &hi;
	r.hi_incl = false;
	expect_level(f, 1, fixed, &r, NULL, "p10,p11,p12");
	r.reverse = true;
	expect_level(f, 1, fixed, &r, NULL, "p12,p11,p10");
	/* Inclusive upper bound in reverse: entries past the value itself are found. */
	r.hi_incl = true;
	expect_level(f, 1, fixed, &r, NULL, "p13,p12,p11,p10");
}

static void test_long_values(void **state)
{
	struct fixture_table *f = *state;
	char a[400], b[400], c[400];
	char want[2048];

	/* Longer than the part threshold and equal in it: stored shortened, a group. */
	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	memcpy(c, a, sizeof(c));
	a[390] = 'c';
	b[390] = 'a';
	c[390] = 'b';
	a[399] = b[399] = c[399] = '\0';
	entry(f, ID, a, "p1", "1", 1, false);
	entry(f, ID, b, "p2", "1", 1, false);
	entry(f, ID, b, "p3", "1", 1, false);
	entry(f, ID, c, "p4", "1", 1, false);
	entry(f, ID, "short", "p4", "2", 1, false);
	snprintf(want, sizeof(want), "short,...%s,...%s,...%s", b + 387, c + 387, a + 387);
	expect_level(f, 0, NULL, NULL, NULL, want);
	{
		struct ddb_key fixed[1] = {S(b)};

		expect_level(f, 1, fixed, NULL, NULL, "p2,p3");
	}
}

static int drop_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	bool *done = arg;

	return store_txn_ix_drop_some(txn, ID, 5, done);
}

static void test_drop(void **state)
{
	struct fixture_table *f = *state;
	uint64_t items, bytes;
	unsigned i, batches = 0;
	bool done;

	fill_colors(f);
	for (i = 0; i < store_table_env_count(f->t); i++) {
		done = false;
		while (!done) {
			assert_int_equal(store_write_env(f->t, i, drop_fn, &done, NULL), 0);
			batches++;
		}
	}
	assert_true(batches >= 90 / 5);
	expect_level(f, 0, NULL, NULL, NULL, "");
	assert_int_equal(store_ix_stats(f->t, ID, &items, &bytes), 0);
	assert_int_equal(items, 0);
	assert_int_equal(store_ix_stats(f->t, ID + 1, &items, &bytes), 0);
	assert_int_equal(items, 1);
}

struct fill {
	unsigned seen;
	char keys[64][32];
};

static int count_item(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		      const char *text, size_t len, uint64_t ddb_size, void *arg,
		      struct ddb_err *err)
{
	struct fill *c = arg;

	assert_non_null(sk);
	assert_int_equal(ddb_size, 3);
	assert_int_equal(len, 3);
	snprintf(c->keys[c->seen++ % 64], 32, "%.*s/%.*s", (int)pk->len, (const char *)pk->data,
		 (int)sk->len, (const char *)sk->data);
	return 0;
}

struct backfill {
	struct fill fill;
	bool done;
};

static int backfill_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct backfill *b = arg;

	return store_txn_backfill_some(txn, ID, 4, count_item, &b->fill, &b->done, err);
}

static int item_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	const struct ddb_key *k = arg;

	return store_txn_item_put(txn, &k[0], &k[1], "{}\n", 3, 3, 0);
}

static void test_backfill(void **state)
{
	struct fixture_table *f = *state;
	struct backfill b = {{0}, false};
	char pk[16], sk[16];
	unsigned i, calls = 0;

	for (i = 0; i < 40; i++) {
		struct ddb_key k[2];

		snprintf(pk, sizeof(pk), "p%u", i % 10);
		snprintf(sk, sizeof(sk), "%u", i);
		k[0] = S(pk);
		k[1] = N(sk);
		assert_int_equal(store_write(f->t, &k[0], item_fn, k, NULL), 0);
	}
	for (i = 0; i < store_table_env_count(f->t); i++) {
		b.done = false;
		while (!b.done) {
			assert_int_equal(store_write_env(f->t, i, backfill_fn, &b, NULL), 0);
			calls++;
		}
	}
	/* Every item exactly once, in batches of at most 4. */
	assert_int_equal(b.fill.seen, 40);
	assert_true(calls >= 10);
	/* Finished environments stay finished. */
	for (i = 0; i < store_table_env_count(f->t); i++) {
		b.done = false;
		assert_int_equal(store_write_env(f->t, i, backfill_fn, &b, NULL), 0);
		assert_true(b.done);
	}
	assert_int_equal(b.fill.seen, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backfill, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
