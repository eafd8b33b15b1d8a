/*
 * test_store_snapshot.c - point-in-time views (store_snapshot_*): a thread
 * that uses one reads items, counts, table names and schemas as they were,
 * cannot write, and shares it safely with other threads; the snapshot keeps
 * a dropped table readable and survives the growth of a map.
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
#include <cmocka.h>
#include "store.h"
#include "store_fixture.h"

static const char *const schema_hr =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"Partitions\":4}";

static const char *const schema_hr_gsi =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"c\",\"AttributeType\":\"S\"}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByC\",\"KeySchema\":"
    "[{\"AttributeName\":\"c\",\"KeyType\":\"HASH\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}}],\"Partitions\":4}";

static int setup(void **state)
{
	*state = fixture_table_setup("snap", "Books", schema_hr);
	return 0;
}

static int teardown(void **state)
{
	store_snapshot_use(NULL);
	fixture_table_teardown(*state);
	return 0;
}

static void assert_text(struct store_table *t, const char *pk, const char *sk, const char *want)
{
	char *got = fixture_read(t, pk, sk);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void assert_items(struct store_table *t, uint64_t want)
{
	uint64_t items, bytes;

	assert_int_equal(store_table_stats(t, &items, &bytes), 0);
	assert_int_equal(items, want);
}

static struct store_snapshot *take(struct store *st)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct store_snapshot *s = NULL;

	if (store_snapshot_take(st, &s, &err)) {
		print_error("snapshot refused: %s\n", err.text);
		fail();
	}
	return s;
}

/* Writes after the snapshot are invisible through it and visible without it. */
static void test_point_in_time(void **state)
{
	struct fixture_table *f = *state;
	struct store_snapshot *s;

	assert_int_equal(fixture_put(f->t, "a", "1", "old a\n", 6), 0);
	assert_int_equal(fixture_put(f->t, "b", "2", "b\n", 2), 0);
	s = take(f->st);
	assert_int_equal(fixture_put(f->t, "a", "1", "new a\n", 6), 0);
	assert_int_equal(fixture_del(f->t, "b", "2"), 0);
	assert_int_equal(fixture_put(f->t, "c", "3", "c\n", 2), 0);

	store_snapshot_use(s);
	assert_text(f->t, "a", "1", "old a\n");
	assert_text(f->t, "b", "2", "b\n");
	assert_text(f->t, "c", "3", NULL);
	assert_items(f->t, 2);
	/* Nothing is written through a snapshot. */
	assert_int_equal(fixture_put(f->t, "d", "4", "d\n", 2), -EROFS);
	store_snapshot_use(NULL);

	assert_text(f->t, "a", "1", "new a\n");
	assert_text(f->t, "b", "2", NULL);
	assert_items(f->t, 2);
	assert_text(f->t, "d", "4", NULL);
	store_snapshot_unref(s);
}

/* Tables made, dropped or re-schemed later: the snapshot answers as of then. */
static void test_tables_and_schemas(void **state)
{
	struct fixture_table *f = *state;
	struct store_table *t, *gone = fixture_table_make(f->st, "Gone", schema_hr);
	struct ddb_err err = DDB_ERR_INIT;
	struct store_snapshot *s;
	char **names;
	size_t n;

	assert_int_equal(fixture_put(gone, "g", "1", "kept\n", 5), 0);
	s = take(f->st);
	store_table_put(fixture_table_make(f->st, "Later", schema_hr));
	assert_int_equal(store_table_set_schema(f->t, schema_hr_gsi, strlen(schema_hr_gsi), &err), 0);
	assert_int_equal(fixture_del(gone, "g", "1"), 0);
	assert_int_equal(store_table_drop(f->st, "Gone", &err), 0);

	store_snapshot_use(s);
	assert_int_equal(store_table_names(f->st, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "Books");
	assert_string_equal(names[1], "Gone");
	store_names_free(names, n);
	assert_int_equal(store_table_get(f->st, "Later", &t), -ENOENT);
	assert_int_equal(store_table_get(f->st, "Gone", &t), 0);
	assert_ptr_equal(t, gone);
	assert_text(t, "g", "1", "kept\n");
	store_table_put(t);
	assert_int_equal(ddb_schema_index_count(store_table_schema(f->t)), 0);
	store_snapshot_use(NULL);

	assert_int_equal(ddb_schema_index_count(store_table_schema(f->t)), 1);
	assert_int_equal(store_table_get(f->st, "Gone", &t), -ENOENT);
	store_table_put(gone);
	store_snapshot_unref(s);	/* the last reference: Gone's files go now */
}

/* Writers double the map several times while the snapshot is held. */
static void test_map_growth(void **state)
{
	struct fixture_table *f = *state;
	size_t len = 100 * 1024;
	char *text = malloc(len + 1), sk[16];
	struct store_snapshot *s;
	int i;

	assert_int_equal(fixture_put(f->t, "p", "0", "before\n", 7), 0);
	s = take(f->st);
	memset(text, 'x', len);
	text[len] = '\0';
	for (i = 1; i <= 800; i++) {
		snprintf(sk, sizeof(sk), "%d", i);
		assert_int_equal(fixture_put(f->t, "p", sk, text, len), 0);
	}
	assert_int_equal(fixture_put(f->t, "p", "0", "after\n", 6), 0);
	store_snapshot_use(s);
	assert_text(f->t, "p", "0", "before\n");
	assert_text(f->t, "p", "800", NULL);
	assert_items(f->t, 1);
	store_snapshot_use(NULL);
	assert_text(f->t, "p", "0", "after\n");
	free(text);
	store_snapshot_unref(s);
}

struct reader {
	struct fixture_table *f;
	struct store_snapshot *s;
	int bad;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int i;

	store_snapshot_use(r->s);
	for (i = 0; i < 2000; i++) {
		char *got = fixture_read(r->f->t, "a", "1");

		r->bad += !got || strcmp(got, "v0\n");
		free(got);
	}
	store_snapshot_use(NULL);
	return NULL;
}

/* Threads share one snapshot while a writer changes what it shows. */
static void test_shared_by_threads(void **state)
{
	struct fixture_table *f = *state;
	struct reader r[3];
	pthread_t th[3];
	char text[16];
	int i;

	assert_int_equal(fixture_put(f->t, "a", "1", "v0\n", 3), 0);
	r[0] = (struct reader){ f, take(f->st), 0 };
	r[1] = r[2] = r[0];
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &r[i]), 0);
	for (i = 1; i < 300; i++) {
		snprintf(text, sizeof(text), "v%d\n", i);
		assert_int_equal(fixture_put(f->t, "a", "1", text, strlen(text)), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	store_snapshot_unref(r[0].s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_point_in_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_and_schemas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_by_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
