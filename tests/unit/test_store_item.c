/*
 * test_store_item.c - item validation and canonical text.
 *
 * Every case in tests/cases/item/ is parsed against one table, SCHEMA below:
 * hash key "pk" (S), range key "sk" (N); a GSI "ByGk" on "gk" (S) and "gr"
 * (S), a GSI "ByGb" on "gb" (B), an LSI "ByLk" on "lk" (N).  The path gives
 * pk "p1" and sk "7".
 *
 *   valid/<case>/input.json, expected.txt     the exact canonical text
 *   invalid/<case>/input.json, errno          EINVAL or EFBIG
 *   invalid/<case>/message                     (optional) the exact sentence
 *
 * Cases too big for files (long keys, the 400 KB limit) are built here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "item.h"
#include "jsonprefix.h"
#include "schema.h"
#include "cases.h"

static const char SCHEMA[] = "{\"AttributeDefinitions\": ["
			     " {\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
			     " {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"},"
			     " {\"AttributeName\": \"gk\", \"AttributeType\": \"S\"},"
			     " {\"AttributeName\": \"gr\", \"AttributeType\": \"S\"},"
			     " {\"AttributeName\": \"gb\", \"AttributeType\": \"B\"},"
			     " {\"AttributeName\": \"lk\", \"AttributeType\": \"N\"}],"
			     " \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
			     "  {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}],"
			     " \"GlobalSecondaryIndexes\": ["
			     "  {\"IndexName\": \"ByGk\", \"KeySchema\": [{\"AttributeName\": "
			     "\"gk\", \"KeyType\": \"HASH\"},"
			     "   {\"AttributeName\": \"gr\", \"KeyType\": \"RANGE\"}]},"
			     "  {\"IndexName\": \"ByGb\", \"KeySchema\": [{\"AttributeName\": "
			     "\"gb\", \"KeyType\": \"HASH\"}]}],"
			     " \"LocalSecondaryIndexes\": ["
			     "  {\"IndexName\": \"ByLk\", \"KeySchema\": [{\"AttributeName\": "
			     "\"pk\", \"KeyType\": \"HASH\"},"
			     "   {\"AttributeName\": \"lk\", \"KeyType\": \"RANGE\"}]}]}";

/* A second table: binary hash key "id", string range key "rk". */
static const char SCHEMA_B[] =
    "{\"AttributeDefinitions\": [{\"AttributeName\": \"id\", \"AttributeType\": \"B\"},"
    " {\"AttributeName\": \"rk\", \"AttributeType\": \"S\"}],"
    " \"KeySchema\": [{\"AttributeName\": \"id\", \"KeyType\": \"HASH\"},"
    "  {\"AttributeName\": \"rk\", \"KeyType\": \"RANGE\"}]}";

static const struct ddb_key PK = {DDB_TYPE_S, "p1", 2};
static const struct ddb_key SK = {DDB_TYPE_N, "7", 1};

struct fixture {
	struct ddb_schema *s;
	struct ddb_schema *sb;
};

static struct fixture fx;

static int setup(void **state)
{
	struct ddb_err err = DDB_ERR_INIT;

	if (ddb_schema_parse(SCHEMA, strlen(SCHEMA), "Books", 0, &fx.s, &err) ||
	    ddb_schema_parse(SCHEMA_B, strlen(SCHEMA_B), "Blobs", 0, &fx.sb, &err)) {
		print_error("schema: %s\n", err.text);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	ddb_schema_free(fx.s);
	ddb_schema_free(fx.sb);
	return 0;
}

static int parse(const char *text, size_t len, struct ddb_item **out, struct ddb_err *err)
{
	return ddb_item_parse(text, len, fx.s, &PK, &SK, out, err);
}

/* Text the item layer accepts is never refused early by the write-time check. */
static void check_prefix_accepts(const char *text, size_t len, const char *name)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_jsonprefix p;

	ddb_jsonprefix_init(&p);
	if (ddb_jsonprefix_feed(&p, text, len, &err)) {
		print_error("%s: jsonprefix refuses a valid item: %s\n", name, err.text);
		fail();
	}
}

static void one_valid(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT, want = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it, *again;
	const char *text;
	size_t len;

	assert_true(case_read_file(dir, "input.json", &in));
	assert_true(case_read_file(dir, "expected.txt", &want));
	if (parse(in.data, in.len, &it, &err)) {
		print_error("%s: refused: %s\n", name, err.text);
		fail();
	}
	text = ddb_item_text(it, &len);
	if (len != want.len || memcmp(text, want.data, len)) {
		print_error("%s: got\n%.*s\nwant\n%s", name, (int)len, text, want.data);
		fail();
	}
	/* Canonical text is a fixed point. */
	assert_int_equal(parse(text, len, &again, &err), 0);
	assert_int_equal(ddb_item_size(again), ddb_item_size(it));
	assert_memory_equal(ddb_item_text(again, NULL), text, len);
	check_prefix_accepts(in.data, in.len, name);
	check_prefix_accepts(text, len, name);
	ddb_item_free(again);
	ddb_item_free(it);
	ddb_buf_release(&in);
	ddb_buf_release(&want);
}

static int errno_named(const char *name)
{
	if (!strcmp(name, "EINVAL"))
		return EINVAL;
	if (!strcmp(name, "EFBIG"))
		return EFBIG;
	return -1;
}

static void one_invalid(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT, code = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it = NULL;
	int want, rc;

	assert_true(case_read_file(dir, "input.json", &in));
	assert_true(case_read_file(dir, "errno", &code));
	case_chomp(&code);
	want = errno_named(code.data);
	assert_true(want > 0);
	rc = parse(in.data, in.len, &it, &err);
	if (rc != -want || err.code != want || !err.text[0]) {
		print_error("%s: rc %d, want -%s; '%s'\n", name, rc, code.data, err.text);
		fail();
	}
	assert_null(it);
	case_check_message(dir, name, err.text);
	ddb_buf_release(&in);
	ddb_buf_release(&code);
}

static void test_valid_cases(void **state)
{
	assert_true(cases_for_each("item/valid", one_valid) >= 20);
}

static void test_invalid_cases(void **state)
{
	assert_true(cases_for_each("item/invalid", one_invalid) >= 60);
}

/* An item holding attribute "a" as the S value of n copies of c. */
static void big_item(struct ddb_buf *out, const char *attr, size_t n, char c)
{
	ddb_buf_reset(out);
	assert_int_equal(ddb_buf_addf(out, "{\"%s\": {\"S\": \"", attr), 0);
	assert_int_equal(ddb_buf_setlen(out, out->len + n), 0);
	memset(out->data + out->len - n, c, n);
	assert_int_equal(ddb_buf_addstr(out, "\"}}"), 0);
}

static void test_size_limit(void **state)
{
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;
	size_t keys = 2 + 2 + 2 + 2; /* "pk" "p1", "sk" and 7 (2 bytes as a number) */
	size_t n = DDB_ITEM_SIZE_MAX - keys - 3;

	big_item(&text, "big", n, 'x');
	assert_int_equal(parse(text.data, text.len, &it, &err), 0);
	assert_int_equal(ddb_item_size(it), DDB_ITEM_SIZE_MAX);
	ddb_item_free(it);

	big_item(&text, "big", n + 1, 'x');
	assert_int_equal(parse(text.data, text.len, &it, &err), -EFBIG);
	assert_int_equal(err.code, EFBIG);
	assert_string_equal(err.text, "item is 409601 bytes, over DynamoDB's 400 KB limit");
	ddb_buf_release(&text);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *json;
		size_t size;
	} cases[] = {
	    {"", 8},
	    {"{\"a\": {\"S\": \"\\u00e9\"}}", 8 + 1 + 2},
	    {"{\"a\": {\"N\": \"-123.45\"}}", 8 + 1 + 4},
	    {"{\"a\": {\"B\": \"AAEC\"}}", 8 + 1 + 3},
	    {"{\"a\": {\"B\": \"AA==\"}}", 8 + 1 + 1},
	    {"{\"a\": {\"BOOL\": false}, \"b\": {\"NULL\": true}}", 8 + 2 + 2},
	    {"{\"a\": {\"SS\": [\"xy\", \"z\"]}}", 8 + 1 + 3},
	    {"{\"a\": {\"NS\": [\"1\", \"100\"]}}", 8 + 1 + 2 + 2},
	    {"{\"a\": {\"BS\": [\"AQ==\", \"AQI=\"]}}", 8 + 1 + 3},
	    {"{\"a\": {\"L\": []}}", 8 + 1 + 3},
	    {"{\"a\": {\"L\": [{\"S\": \"xy\"}, {\"NULL\": true}]}}", 8 + 1 + 3 + 3 + 2},
	    {"{\"a\": {\"M\": {\"bc\": {\"N\": \"1\"}}}}", 8 + 1 + 3 + 1 + 2 + 2},
	};
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].json, strlen(cases[i].json), &it, &err), 0);
		if (ddb_item_size(it) != cases[i].size) {
			print_error("%s: size %zu, want %zu\n", cases[i].json, ddb_item_size(it),
				    cases[i].size);
			fail();
		}
		ddb_item_free(it);
	}
}

static char *filled(size_t n, char c)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void test_path_key_lengths(void **state)
{
	struct ddb_err err = DDB_ERR_INIT;
	char *long_s = filled(2049, 'k');
	struct ddb_key pk = {DDB_TYPE_S, long_s, 2048};
	struct ddb_key bk = {DDB_TYPE_B, long_s, 2048};
	struct ddb_key rk = {DDB_TYPE_S, long_s, 1024};
	struct ddb_item *it;

	assert_int_equal(ddb_item_parse("", 0, fx.s, &pk, &SK, &it, &err), 0);
	ddb_item_free(it);
	pk.len = 2049;
	assert_int_equal(ddb_item_parse("", 0, fx.s, &pk, &SK, &it, &err), -EINVAL);
	assert_string_equal(
	    err.text, "attribute \"pk\": a partition key is 2049 bytes, over the limit of 2048");

	ddb_err_clear(&err);
	assert_int_equal(ddb_item_parse("", 0, fx.sb, &bk, &rk, &it, &err), 0);
	ddb_item_free(it);
	rk.len = 1025;
	assert_int_equal(ddb_item_parse("", 0, fx.sb, &bk, &rk, &it, NULL), -EINVAL);
	rk.len = 1024;
	bk.len = 2049;
	assert_int_equal(ddb_item_parse("", 0, fx.sb, &bk, &rk, &it, NULL), -EINVAL);
	free(long_s);
}

/* Index keys written in the content obey the same limits as path keys. */
static void test_index_key_lengths(void **state)
{
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;

	big_item(&text, "gk", 2048, 'g');
	assert_int_equal(parse(text.data, text.len, &it, &err), 0);
	ddb_item_free(it);
	big_item(&text, "gk", 2049, 'g');
	assert_int_equal(parse(text.data, text.len, &it, &err), -EINVAL);
	assert_string_equal(
	    err.text, "attribute \"gk\": a partition key is 2049 bytes, over the limit of 2048");
	big_item(&text, "gr", 1024, 'r');
	assert_int_equal(parse(text.data, text.len, &it, NULL), 0);
	ddb_item_free(it);
	big_item(&text, "gr", 1025, 'r');
	assert_int_equal(parse(text.data, text.len, &it, NULL), -EINVAL);
	ddb_buf_release(&text);
}

static void test_path_key_rules(void **state)
{
	struct ddb_key wrong = {DDB_TYPE_N, "1", 1}, empty = {DDB_TYPE_S, "", 0};
	struct ddb_key badnum = {DDB_TYPE_N, "x", 1};
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it = NULL;

	assert_int_equal(ddb_item_parse("", 0, fx.s, &wrong, &SK, &it, &err), -EINVAL);
	assert_string_equal(err.text, "attribute \"pk\": the key must be of type S");
	ddb_err_clear(&err);
	assert_int_equal(ddb_item_parse("", 0, fx.s, &empty, &SK, &it, &err), -EINVAL);
	assert_string_equal(err.text, "attribute \"pk\": a key value must not be empty");
	assert_int_equal(ddb_item_parse("", 0, fx.s, &PK, NULL, &it, NULL), -EINVAL);
	assert_int_equal(ddb_item_parse("", 0, fx.s, &PK, &badnum, &it, NULL), -EINVAL);
	assert_null(it);
}

static void test_key_check(void **state)
{
	struct ddb_key k = {DDB_TYPE_S, "a\xff", 2};
	struct ddb_err err = DDB_ERR_INIT;

	assert_int_equal(ddb_key_check(&k, false, &err), -EINVAL);
	assert_string_equal(err.text, "a string key must be valid UTF-8");
	k.data = "\xed\xa0\x80"; /* an encoded surrogate */
	k.len = 3;
	assert_int_equal(ddb_key_check(&k, false, NULL), -EINVAL);
	k.data = "a\0b";
	assert_int_equal(ddb_key_check(&k, false, NULL), -EINVAL);
	k.data = "\xf0\x9f\x98\x80";
	k.len = 4;
	assert_int_equal(ddb_key_check(&k, true, NULL), 0);
	k.type = DDB_TYPE_B;
	k.data = "\0\xff";
	k.len = 2;
	assert_int_equal(ddb_key_check(&k, true, NULL), 0);
	k.type = DDB_TYPE_N;
	k.data = "1e3";
	k.len = 3;
	assert_int_equal(ddb_key_check(&k, true, NULL), 0);
	k.data = "1e999";
	k.len = 5;
	assert_int_equal(ddb_key_check(&k, true, NULL), -EINVAL);
}

static void test_key_attr(void **state)
{
	static const char text[] = "{\"gk\": {\"S\": \"g\\u00e9\"}, \"lk\": {\"N\": \"1.50\"},"
				   " \"gb\": {\"B\": \"AP8=\"}, \"e\": {\"B\": \"\"}}";
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;
	struct ddb_key k;

	assert_int_equal(parse(text, strlen(text), &it, &err), 0);
	assert_int_equal(ddb_item_key_attr(it, "gk", DDB_TYPE_S, &k), 0);
	assert_int_equal(k.len, 3);
	assert_memory_equal(k.data, "g\xc3\xa9", 3);
	assert_int_equal(ddb_item_key_attr(it, "lk", DDB_TYPE_N, &k), 0);
	assert_int_equal(k.len, 3);
	assert_memory_equal(k.data, "1.5", 3);
	assert_int_equal(ddb_item_key_attr(it, "gb", DDB_TYPE_B, &k), 0);
	assert_int_equal(k.len, 2);
	assert_memory_equal(k.data, "\0\xff", 2);
	assert_int_equal(ddb_item_key_attr(it, "e", DDB_TYPE_B, &k), 0);
	assert_int_equal(k.len, 0);
	assert_int_equal(ddb_item_key_attr(it, "pk", DDB_TYPE_S, &k), 0);
	assert_memory_equal(k.data, "p1", 2);
	assert_int_equal(ddb_item_key_attr(it, "gk", DDB_TYPE_N, &k), -ENOENT);
	assert_int_equal(ddb_item_key_attr(it, "nope", DDB_TYPE_S, &k), -ENOENT);
	ddb_item_free(it);
}

static void test_binary_path_key(void **state)
{
	struct ddb_key id = {DDB_TYPE_B, "\0\x01\xfe", 3}, rk = {DDB_TYPE_S, "r/1", 3};
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *it;
	const char *text;
	size_t len;

	assert_int_equal(
	    ddb_item_parse("{\"id\": {\"B\": \"AA==\"}}", 21, fx.sb, &id, &rk, &it, &err), 0);
	text = ddb_item_text(it, &len);
	assert_string_equal(text,
			    "{\n  \"id\": {\"B\": \"AAH+\"},\n  \"rk\": {\"S\": \"r/1\"}\n}\n");
	assert_int_equal(len, strlen(text));
	assert_int_equal(ddb_item_size(it), 2 + 3 + 2 + 3);
	ddb_item_free(it);
}

static void test_free_null(void **state)
{
	ddb_item_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_cases),	     cmocka_unit_test(test_invalid_cases),
	    cmocka_unit_test(test_size_limit),	     cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_path_key_lengths), cmocka_unit_test(test_index_key_lengths),
	    cmocka_unit_test(test_path_key_rules),   cmocka_unit_test(test_key_check),
	    cmocka_unit_test(test_key_attr),	     cmocka_unit_test(test_binary_path_key),
	    cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
