/*
 * test_index_entries.c - an item's index entries: key attributes read back
 * from canonical text, GSI and LSI component order, sparse items, refused
 * types; and every write of the index layer (put, overwrite, delete, move)
 * keeping the entries and their figures exact in the item's commit.
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
#include "entries.h"
#include "index.h"
#include "store_fixture.h"

static const char schema_json[] =
    "{\"KeySchema\":[{\"AttributeName\":\"User\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"Date\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"User\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"Date\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"Score\",\"AttributeType\":\"N\"},"
    "{\"AttributeName\":\"Avatar\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"Pic\",\"AttributeType\":\"B\"}],"
    "\"LocalSecondaryIndexes\":[{\"IndexName\":\"ByScore\",\"KeySchema\":["
    "{\"AttributeName\":\"User\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"Score\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByAvatar\",\"KeySchema\":["
    "{\"AttributeName\":\"Avatar\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"Score\",\"KeyType\":\"RANGE\"}],"
    "\"Projection\":{\"ProjectionType\":\"ALL\"}},"
    "{\"IndexName\":\"ByPic\",\"KeySchema\":[{\"AttributeName\":\"Pic\",\"KeyType\":\"HASH\"}],"
    "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}]}";

static int setup(void **state)
{
	*state = fixture_table_setup("entries", "Bonestorm", schema_json);
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

static const struct ddb_index_def *def(struct fixture_table *f, const char *name)
{
	size_t i;

	for (i = 0; i < ddb_schema_index_count(store_table_schema(f->t)); i++)
		if (!strcmp(ddb_schema_index(store_table_schema(f->t), i)->name, name))
			return ddb_schema_index(store_table_schema(f->t), i);
	fail_msg("no index %s", name);
	return NULL;
}

static struct ddb_item *parse(struct fixture_table *f, const char *user, const char *date,
			      const char *json)
{
	struct ddb_key pk = S(user), sk = S(date);
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it = NULL;

	if (ddb_item_parse(json, strlen(json), store_table_schema(f->t), &pk, &sk, &it, &err))
		fail_msg("parse: %s", err.text);
	return it;
}

static void expect_comp(const struct ddb_key *k, enum ddb_type type, const void *data, size_t len)
{
	assert_int_equal(k->type, type);
	assert_int_equal(k->len, len);
	assert_memory_equal(k->data, data, len);
}

static void test_text_attr(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_item *it = parse(f, "u", "d",
				    "{\"Avatar\":{\"S\":\"Li\\\"on\\n\"},\"Score\":{\"N\":\"08.50\"},"
				    "\"Pic\":{\"B\":\"AAEC\"},\"Tags\":{\"SS\":[\"Avatar\"]},"
				    "\"M\":{\"M\":{\"Avatar\":{\"N\":\"1\"}}}}");
	struct ddb_buf mem = DDB_BUF_INIT;
	struct ddb_key k;
	const char *text;
	size_t len;

	text = ddb_item_text(it, &len);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Avatar", DDB_TYPE_S, &mem, &k), 0);
	expect_comp(&k, DDB_TYPE_S, "Li\"on\n", 6);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Score", DDB_TYPE_N, &mem, &k), 0);
	expect_comp(&k, DDB_TYPE_N, "8.5", 3);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Pic", DDB_TYPE_B, &mem, &k), 0);
	expect_comp(&k, DDB_TYPE_B, "\0\1\2", 3);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Score", DDB_TYPE_S, &mem, &k), -EINVAL);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Nope", DDB_TYPE_S, &mem, &k), -ENOENT);
	/* Names inside values or nested maps are not attributes. */
	assert_int_equal(ddb_item_text_key_attr(text, len, "Tags", DDB_TYPE_S, &mem, &k), -EINVAL);
	assert_int_equal(ddb_item_text_key_attr(text, len, "Li", DDB_TYPE_S, &mem, &k), -ENOENT);
	ddb_buf_release(&mem);
	ddb_item_free(it);
}

static void test_entry_shapes(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_item *it = parse(f, "jim", "2024", "{\"Avatar\":{\"S\":\"Lion\"},\"Score\":{\"N\":\"850\"}}");
	struct ddb_key pk = S("jim"), sk = S("2024");
	struct ddb_err err = DDB_ERR_INIT;
	struct idx_entry e;
	const char *text;
	size_t len;

	text = ddb_item_text(it, &len);
	assert_int_equal(idx_entry_of(def(f, "ByAvatar"), &pk, &sk, text, len, &e, &err), 0);
	assert_int_equal(e.e.ncomp, 4);	/* Avatar, Score, User, Date */
	assert_int_equal(e.e.id, def(f, "ByAvatar")->id);
	expect_comp(&e.e.comp[0], DDB_TYPE_S, "Lion", 4);
	expect_comp(&e.e.comp[1], DDB_TYPE_N, "850", 3);
	expect_comp(&e.e.comp[2], DDB_TYPE_S, "jim", 3);
	expect_comp(&e.e.comp[3], DDB_TYPE_S, "2024", 4);
	idx_entry_release(&e);
	assert_int_equal(idx_entry_of(def(f, "ByScore"), &pk, &sk, text, len, &e, &err), 0);
	assert_int_equal(e.e.ncomp, 3);	/* User, Score, Date */
	expect_comp(&e.e.comp[0], DDB_TYPE_S, "jim", 3);
	expect_comp(&e.e.comp[1], DDB_TYPE_N, "850", 3);
	expect_comp(&e.e.comp[2], DDB_TYPE_S, "2024", 4);
	idx_entry_release(&e);
	/* Sparse: no Pic, no entry. */
	assert_int_equal(idx_entry_of(def(f, "ByPic"), &pk, &sk, text, len, &e, &err), 1);
	assert_false(e.present);
	ddb_item_free(it);
	/* A key attribute of another type (an index added after the item was written). */
	text = "{\n  \"Avatar\": {\"N\": \"3\"},\n  \"Score\": {\"N\": \"1\"}\n}\n";
	assert_int_equal(idx_entry_of(def(f, "ByAvatar"), &pk, &sk, text, strlen(text), &e, &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "Avatar"));
	/* Empty strings cannot be index keys either. */
	text = "{\n  \"Avatar\": {\"S\": \"\"},\n  \"Score\": {\"N\": \"1\"}\n}\n";
	assert_int_equal(idx_entry_of(def(f, "ByAvatar"), &pk, &sk, text, strlen(text), &e, &err),
			 -EINVAL);
}

static uint64_t count(struct fixture_table *f, const char *index)
{
	uint64_t items, bytes;

	assert_int_equal(store_ix_stats(f->t, def(f, index)->id, &items, &bytes), 0);
	return items;
}

/* The distinct Avatars in ByAvatar, joined by ','. */
static void expect_avatars(struct fixture_table *f, const char *want)
{
	struct store_ix_scan ix = {def(f, "ByAvatar")->id, 4,
				   {DDB_TYPE_S, DDB_TYPE_N, DDB_TYPE_S, DDB_TYPE_S}, 0, NULL, false};
	char got[256] = "";
	struct store_cursor *c;
	struct store_entry e;
	size_t at = 0;

	assert_int_equal(store_ix_cursor_open(f->t, &ix, NULL, NULL, &c), 0);
	while (store_cursor_next(c, &e) == 0)
		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%.*s", at ? "," : "",
				       (int)e.key.len, (const char *)e.key.data);
	store_cursor_close(c);
	assert_string_equal(got, want);
}

static void put(struct fixture_table *f, const char *user, const char *date, const char *json)
{
	struct ddb_item *it = parse(f, user, date, json);
	struct ddb_key pk = S(user), sk = S(date);
	struct ddb_err err = DDB_ERR_INIT;

	if (idx_item_put(f->t, it, &pk, &sk, 1, IDX_PUT, &err))
		fail_msg("put: %s", err.text);
	ddb_item_free(it);
}

static void test_writes(void **state)
{
	struct fixture_table *f = *state;
	struct ddb_key pk = S("jim"), sk = S("1"), pk2 = S("zed"), sk2 = S("9");
	struct ddb_err err = DDB_ERR_INIT;

	put(f, "jim", "1", "{\"Avatar\":{\"S\":\"Lion\"},\"Score\":{\"N\":\"850\"}}");
	put(f, "ann", "1", "{\"Avatar\":{\"S\":\"Bear\"},\"Score\":{\"N\":\"10\"}}");
	put(f, "bob", "1", "{\"Score\":{\"N\":\"5\"}}");
	expect_avatars(f, "Bear,Lion");
	assert_int_equal(count(f, "ByAvatar"), 2);
	assert_int_equal(count(f, "ByScore"), 3);
	assert_int_equal(count(f, "ByPic"), 0);
	/* An overwrite moves the entry; the count stays. */
	put(f, "jim", "1", "{\"Avatar\":{\"S\":\"Tiger\"},\"Score\":{\"N\":\"850\"}}");
	expect_avatars(f, "Bear,Tiger");
	assert_int_equal(count(f, "ByAvatar"), 2);
	/* Removing the attribute removes the entry. */
	put(f, "ann", "1", "{\"Score\":{\"N\":\"10\"}}");
	expect_avatars(f, "Tiger");
	assert_int_equal(count(f, "ByAvatar"), 1);
	/* A move (to another environment, most likely) carries the entries. */
	assert_int_equal(idx_item_move(f->t, &pk, &sk, &pk2, &sk2, &err), 0);
	expect_avatars(f, "Tiger");
	assert_int_equal(count(f, "ByAvatar"), 1);
	assert_int_equal(count(f, "ByScore"), 3);
	assert_int_equal(idx_item_delete(f->t, &pk2, &sk2, &err), 0);
	expect_avatars(f, "");
	assert_int_equal(count(f, "ByAvatar"), 0);
	assert_int_equal(count(f, "ByScore"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_text_attr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_shapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
