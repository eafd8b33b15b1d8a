/*
 * test_store_reserve.c - the zero-filled room ahead of LMDB's last page
 * (store/reserve.c): the data file grows in a few steps of real blocks, not
 * one page at a time, and the zeros never land on a page LMDB wrote.  Only
 * stores whose every commit is synced keep the room (-o sync).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "store.h"
#include "store_fixture.h"

#define PUTS 3000
#define TEXT 300

static const char *const schema_one_env =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"Partitions\":1}";

static void data_file_stat(const char *dir, struct stat *st)
{
	char path[FIXTURE_DIR_MAX + 64];

	assert_true(fixture_partition_file(dir, "data.mdb", path, sizeof(path)));
	assert_int_equal(stat(path, st), 0);
}

static void text_for(int i, char *text)
{
	memset(text, 'a' + i % 26, TEXT);
	snprintf(text, TEXT, "%d", i);
	text[strlen(text)] = '-';
	text[TEXT] = '\0';
}

static void test_file_grows_in_steps_of_real_zeros(void **state)
{
	struct store_options synced = { .sync = true };
	struct fixture_table *f = calloc(1, sizeof(*f));
	char sk[32], text[TEXT + 1], *got, dir[FIXTURE_DIR_MAX];
	off_t last = -1;
	int i, sizes = 0;
	struct stat st;

	(void)state;
	assert_non_null(f);
	fixture_dir_make(f->dir, "reserve");
	f->st = fixture_store_open_with(f->dir, &synced);
	f->t = fixture_table_make(f->st, "Reserve", schema_one_env);
	for (i = 0; i < PUTS; i++) {
		snprintf(sk, sizeof(sk), "%d", i);
		text_for(i, text);
		assert_int_equal(fixture_put(f->t, i % 2 ? "odd" : "even", sk, text, TEXT), 0);
		data_file_stat(f->dir, &st);
		if (st.st_size != last) {
			sizes++;
			last = st.st_size;
		}
	}
	/* About 1 MB of items: without the room, one size per new page (hundreds). */
	assert_true(st.st_size >= 256 << 10);
	assert_in_range(sizes, 1, 12);
	/* Written zeros, not holes or unwritten extents: the blocks exist. */
	assert_true((off_t)st.st_blocks * 512 >= st.st_size);

	/* The zeros never overwrote an item: all of them, after a reopen. */
	memcpy(dir, f->dir, sizeof(dir));
	store_table_put(f->t);
	store_close(f->st);
	f->st = fixture_store_open_with(dir, &synced);
	assert_int_equal(store_table_get(f->st, "Reserve", &f->t), 0);
	for (i = 0; i < PUTS; i++) {
		snprintf(sk, sizeof(sk), "%d", i);
		text_for(i, text);
		got = fixture_read(f->t, i % 2 ? "odd" : "even", sk);
		assert_non_null(got);
		assert_string_equal(got, text);
		free(got);
	}
	fixture_table_teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_grows_in_steps_of_real_zeros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
