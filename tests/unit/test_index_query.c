/*
 * test_index_query.c - key conditions and limits as views compose them:
 * bounds tighten, BETWEEN with LO > HI and begins_with on numbers are
 * refused, limits take the first N in the order where they appear, and the
 * same resolution works on a level of an index tree.
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
#include "index.h"
#include "query.h"
#include "store_fixture.h"

static const char schema_json[] =
    "{\"KeySchema\":[{\"AttributeName\":\"P\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"K\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"P\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"K\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"C\",\"AttributeType\":\"S\"}],"
    "\"LocalSecondaryIndexes\":[{\"IndexName\":\"ByC\",\"KeySchema\":"
    "[{\"AttributeName\":\"P\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"C\",\"KeyType\":"
    "\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}";

static struct ddb_key P = {DDB_TYPE_S, "p", 1};

static struct ddb_key N(const char *s)
{
	return (struct ddb_key){DDB_TYPE_N, s, strlen(s)};
}

static int setup(void **state)
{
	struct fixture_table *f = fixture_table_setup("query", "Tbl", schema_json);
	struct ddb_err err = DDB_ERR_INIT;
	int i;

	for (i = 1; i <= 20; i++) {
		char ks[8], json[64];
		struct ddb_key sk;
		struct ddb_item *it;

		snprintf(ks, sizeof(ks), "%d", i);
		sk = N(ks);
		snprintf(json, sizeof(json), "{\"C\":{\"S\":\"c%02d\"}}", i % 7);
		assert_int_equal(ddb_item_parse(json, strlen(json), store_table_schema(f->t), &P,
						&sk, &it, &err), 0);
		assert_int_equal(idx_item_put(f->t, it, &P, &sk, 1, IDX_PUT, &err), 0);
		ddb_item_free(it);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_table_teardown(*state);
	return 0;
}

/* Resolves q (on the partition, or on ix) and checks the listing, joined by ','. */
static void expect(struct fixture_table *f, const struct idx_query *q, const struct store_ix_scan *ix,
		   const char *want)
{
	struct idx_range r;
	struct store_cursor *c;
	struct store_entry e;
	char got[512] = "";
	size_t at = 0;

	if (ix)
		assert_int_equal(idx_query_range_ix(f->t, ix, q, &r), 0);
	else
		assert_int_equal(idx_query_range(f->t, &P, q, &r), 0);
	if (!r.empty) {
		if (ix)
			assert_int_equal(store_ix_cursor_open(f->t, ix, &r.r, NULL, &c), 0);
		else
			assert_int_equal(
			    store_cursor_open(f->t, STORE_SCAN_PARTITION, &P, &r.r, NULL, &c), 0);
		while (store_cursor_next(c, &e) == 0)
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%.*s", at ? "," : "",
					       (int)e.key.len, (const char *)e.key.data);
		store_cursor_close(c);
	}
	idx_range_release(&r);
	assert_string_equal(got, want);
}

static void test_bounds(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct idx_query q;
	struct ddb_key k3 = N("3"), k5 = N("5"), k10 = N("10"), k9 = N("9");

	idx_query_init(&q, DDB_TYPE_N);
	assert_int_equal(idx_query_bound(&q, IDX_GE, &k3), 0);
	assert_int_equal(idx_query_bound(&q, IDX_GT, &k5), 0);	/* the narrower wins */
	assert_int_equal(idx_query_bound(&q, IDX_LT, &k10), 0);
	expect(f, &q, NULL, "6,7,8,9");
	assert_true(idx_query_admits(&q, &k9));
	assert_false(idx_query_admits(&q, &k5));
	idx_query_desc(&q);
	expect(f, &q, NULL, "9,8,7,6");
	idx_query_release(&q);

	idx_query_init(&q, DDB_TYPE_N);
	assert_int_equal(idx_query_between(&q, &k10, &k3, &err), -EINVAL);
	assert_int_equal(idx_query_begins_with(&q, &k3, &err), -EINVAL);
	assert_int_equal(idx_query_limit(&q, 0, &err), -EINVAL);
	assert_int_equal(idx_query_between(&q, &k3, &k10, &err), 0);
	expect(f, &q, NULL, "3,4,5,6,7,8,9,10");
	idx_query_release(&q);
}

static void test_limits(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct idx_query q;

	idx_query_init(&q, DDB_TYPE_N);
	idx_query_desc(&q);
	assert_int_equal(idx_query_limit(&q, 2, &err), 0);
	expect(f, &q, NULL, "20,19");	/* .desc/.limit/2: the two largest */
	idx_query_release(&q);

	idx_query_init(&q, DDB_TYPE_N);
	assert_int_equal(idx_query_limit(&q, 2, &err), 0);
	idx_query_desc(&q);
	expect(f, &q, NULL, "2,1");	/* .limit/2/.desc: the two smallest, reversed */
	idx_query_release(&q);

	idx_query_init(&q, DDB_TYPE_N);
	assert_int_equal(idx_query_limit(&q, 50, &err), 0);	/* more than there are */
	assert_int_equal(idx_query_limit(&q, 3, &err), 0);
	expect(f, &q, NULL, "1,2,3");
	idx_query_release(&q);
}

static void test_index_level(void **state)
{
	struct fixture_table *f = *state;
	const struct ddb_schema *s = store_table_schema(f->t);
	struct ddb_key fixed[1] = {P};
	struct store_ix_scan ix = {ddb_schema_index(s, 0)->id, 3,
				   {DDB_TYPE_S, DDB_TYPE_S, DDB_TYPE_N}, 1, fixed, true};
	struct ddb_key c2 = {DDB_TYPE_S, "c02", 3}, pre = {DDB_TYPE_S, "c0", 2};
	struct ddb_err err = DDB_ERR_INIT;
	struct idx_query q;

	idx_query_init(&q, DDB_TYPE_S);
	expect(f, &q, &ix, "c00,c01,c02,c03,c04,c05,c06");
	assert_int_equal(idx_query_bound(&q, IDX_GT, &c2), 0);
	assert_int_equal(idx_query_limit(&q, 2, &err), 0);
	expect(f, &q, &ix, "c03,c04");	/* a limit counts values of the level */
	idx_query_release(&q);
	idx_query_init(&q, DDB_TYPE_S);
	assert_int_equal(idx_query_begins_with(&q, &pre, &err), 0);
	idx_query_desc(&q);
	assert_int_equal(idx_query_limit(&q, 3, &err), 0);
	expect(f, &q, &ix, "c06,c05,c04");
	idx_query_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_level, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
