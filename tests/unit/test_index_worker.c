/*
 * test_index_worker.c - the background index builder against a real store:
 * an index added to a populated table is CREATING, then ACTIVE with exactly
 * the items that carry its key (sparse, wrong types left out); writes made
 * meanwhile are kept; a dropped index's entries are deleted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "index.h"
#include "store_fixture.h"

#define BASE                                                                                       \
	"\"KeySchema\":[{\"AttributeName\":\"P\",\"KeyType\":\"HASH\"},"                          \
	"{\"AttributeName\":\"K\",\"KeyType\":\"RANGE\"}],"                                        \
	"\"AttributeDefinitions\":[{\"AttributeName\":\"P\",\"AttributeType\":\"S\"},"            \
	"{\"AttributeName\":\"K\",\"AttributeType\":\"N\"}"

static const char plain[] = "{" BASE "]}";
static const char with_gsi[] =
    "{" BASE ",{\"AttributeName\":\"C\",\"AttributeType\":\"S\"}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByC\",\"KeySchema\":"
    "[{\"AttributeName\":\"C\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}";

static int logged;

static void count_log(const char *sentence)
{
	logged++;
}

static void put(struct store_table *t, const char *p, int k, const char *json)
{
	char ks[16];
	struct ddb_key pk = {DDB_TYPE_S, p, strlen(p)}, sk = {DDB_TYPE_N, ks, 0};
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;

	snprintf(ks, sizeof(ks), "%d", k);
	sk.len = strlen(ks);
	if (ddb_item_parse(json, strlen(json), store_table_schema(t), &pk, &sk, &it, &err))
		fail_msg("parse: %s", err.text);
	if (idx_item_put(t, it, &pk, &sk, 1, IDX_PUT, &err))
		fail_msg("put: %s", err.text);
	ddb_item_free(it);
}

static uint32_t index_id(struct store_table *t)
{
	const struct ddb_schema *s = store_table_schema(t);

	assert_int_equal(ddb_schema_index_count(s), 1);
	return ddb_schema_index(s, 0)->id;
}

static void wait_active(struct store_table *t, uint32_t id)
{
	int i;

	for (i = 0; i < 1000 && !store_table_ix_active(t, id); i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	assert_true(store_table_ix_active(t, id));
}

static void test_build_and_drop(void **state)
{
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
	struct store_table *t;
	struct idx_worker *w;
	struct ddb_err err = DDB_ERR_INIT;
	uint64_t items, bytes;
	uint32_t id;
	int i;

	fixture_dir_make(dir, "worker");
	st = fixture_store_open(dir, false);
	t = fixture_table_make(st, "Tbl", plain);
	for (i = 0; i < 500; i++) {
		char json[64];

		if (i % 4 == 0)
			snprintf(json, sizeof(json), "{\"V\":{\"N\":\"%d\"}}", i);	  /* sparse */
		else if (i % 4 == 1)
			snprintf(json, sizeof(json), "{\"C\":{\"N\":\"%d\"}}", i);	  /* wrong type */
		else
			snprintf(json, sizeof(json), "{\"C\":{\"S\":\"c%d\"}}", i % 3);
		put(t, i % 2 ? "odd" : "even", i, json);
	}
	assert_int_equal(idx_worker_start(st, count_log, &w), 0);
	assert_int_equal(store_table_set_schema(t, with_gsi, strlen(with_gsi), &err), 0);
	id = index_id(t);
	idx_worker_kick(w);
	put(t, "late", 1, "{\"C\":{\"S\":\"new\"}}");	/* written while it builds */
	wait_active(t, id);
	assert_int_equal(store_ix_stats(t, id, &items, &bytes), 0);
	assert_int_equal(items, 250 + 1);
	assert_true(bytes > 0);
	assert_int_equal(logged, 1);	/* the 125 items of another type, in one sentence */
	/* Dropping the index deletes its entries in the background. */
	assert_int_equal(store_table_set_schema(t, plain, strlen(plain), &err), 0);
	idx_worker_kick(w);
	for (i = 0; i < 1000; i++) {
		struct store_ix_job *jobs;
		size_t n;

		assert_int_equal(store_table_ix_jobs(t, &jobs, &n), 0);
		free(jobs);
		if (!n)
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	assert_int_equal(store_ix_stats(t, id, &items, &bytes), 0);
	assert_int_equal(items, 0);
	idx_worker_stop(w);
	store_table_put(t);
	store_close(st);
	fixture_dir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_and_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
