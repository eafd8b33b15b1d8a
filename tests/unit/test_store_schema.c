/*
 * test_store_schema.c - create-table JSON in, describe-table out.
 *
 * Cases in tests/cases/schema/, all for a table named "Books", parsed with
 * NOW as the time:
 *   valid/<case>/input.json, expected.json     expected.json: ddb_schema_to_json
 *   invalid/<case>/input.json, [message]       -EINVAL (and the exact sentence)
 * Every valid case must survive describe and parse again unchanged.
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
#include <jansson.h>
#include "buf.h"
#include "schema.h"
#include "cases.h"

#define NOW 1795278319123LL /* 2026-11-21T16:25:19.123000+00:00 */

static struct ddb_schema *parse_ok(const char *text, size_t len, const char *what)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_schema *s = NULL;

	if (ddb_schema_parse(text, len, "Books", NOW, &s, &err)) {
		print_error("%s: refused: %s\n", what, err.text);
		fail();
	}
	return s;
}

static struct ddb_schema *parse_str(const char *text)
{
	return parse_ok(text, strlen(text), text);
}

/* parse(describe(s)) and parse(to_json(s)) give back what s gives. */
static void check_round_trip(const struct ddb_schema *s, const char *name)
{
	struct ddb_buf a = DDB_BUF_INIT, b = DDB_BUF_INIT, d = DDB_BUF_INIT;
	struct ddb_schema *again;

	assert_int_equal(ddb_schema_to_json(s, &a), 0);
	assert_int_equal(ddb_schema_describe(s, "Books", NULL, &d), 0);
	assert_true(d.len > 0 && d.data[d.len - 1] == '\n');
	again = parse_ok(d.data, d.len, name);
	assert_int_equal(ddb_schema_to_json(again, &b), 0);
	if (strcmp(a.data, b.data)) {
		print_error("%s: describe round trip\n%s\n%s\n", name, a.data, b.data);
		fail();
	}
	ddb_schema_free(again);
	ddb_buf_reset(&b);
	again = parse_ok(a.data, a.len, name);
	assert_int_equal(ddb_schema_to_json(again, &b), 0);
	assert_string_equal(a.data, b.data);
	ddb_schema_free(again);
	ddb_buf_release(&a);
	ddb_buf_release(&b);
	ddb_buf_release(&d);
}

static void one_valid(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT, want = DDB_BUF_INIT, got = DDB_BUF_INIT;
	struct ddb_schema *s;

	assert_true(case_read_file(dir, "input.json", &in));
	assert_true(case_read_file(dir, "expected.json", &want));
	case_chomp(&want);
	s = parse_ok(in.data, in.len, name);
	assert_int_equal(ddb_schema_to_json(s, &got), 0);
	if (strcmp(got.data, want.data)) {
		print_error("%s: got\n%s\nwant\n%s\n", name, got.data, want.data);
		fail();
	}
	check_round_trip(s, name);
	ddb_schema_free(s);
	ddb_buf_release(&in);
	ddb_buf_release(&want);
	ddb_buf_release(&got);
}

static void one_invalid(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_schema *s = NULL;
	int rc;

	assert_true(case_read_file(dir, "input.json", &in));
	rc = ddb_schema_parse(in.data, in.len, "Books", NOW, &s, &err);
	if (rc != -EINVAL || err.code != EINVAL || !err.text[0]) {
		print_error("%s: rc %d '%s'\n", name, rc, err.text);
		fail();
	}
	assert_null(s);
	case_check_message(dir, name, err.text);
	ddb_buf_release(&in);
}

static void test_valid_cases(void **state)
{
	assert_true(cases_for_each("schema/valid", one_valid) >= 10);
}

static void test_invalid_cases(void **state)
{
	assert_true(cases_for_each("schema/invalid", one_invalid) >= 40);
}

#define BASE_ATTRS                                                                                 \
	"\"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"        \
	" {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"}"
#define BASE_KEYS                                                                                  \
	"\"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"                      \
	" {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}]"

static const char BASE[] = "{" BASE_ATTRS "], " BASE_KEYS "}";

static const char WITH_GSI[] =
    "{" BASE_ATTRS ", {\"AttributeName\": \"g\", \"AttributeType\": \"B\"}], " BASE_KEYS ","
    " \"GlobalSecondaryIndexes\": [{\"IndexName\": \"ByG\","
    "  \"KeySchema\": [{\"AttributeName\": \"g\", \"KeyType\": \"HASH\"},"
    "   {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}]}],"
    " \"LocalSecondaryIndexes\": [{\"IndexName\": \"BySk2\","
    "  \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
    "   {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}]}],"
    " \"Partitions\": 4}";

static void test_accessors(void **state)
{
	struct ddb_schema *s = parse_str(WITH_GSI);
	const struct ddb_index_def *d;
	enum ddb_type t;

	assert_string_equal(ddb_schema_hash(s).name, "pk");
	assert_int_equal(ddb_schema_hash(s).type, DDB_TYPE_S);
	assert_true(ddb_schema_has_range(s));
	assert_string_equal(ddb_schema_range(s).name, "sk");
	assert_int_equal(ddb_schema_range(s).type, DDB_TYPE_N);
	assert_int_equal(ddb_schema_partitions(s), 4);
	assert_int_equal(ddb_schema_created_ms(s), NOW);
	assert_int_equal(ddb_schema_index_count(s), 2);
	d = ddb_schema_index(s, 0);
	assert_string_equal(d->name, "ByG");
	assert_false(d->local);
	assert_string_equal(d->hash.name, "g");
	assert_int_equal(d->hash.type, DDB_TYPE_B);
	assert_true(d->has_range);
	assert_string_equal(d->range.name, "sk");
	d = ddb_schema_index(s, 1);
	assert_string_equal(d->name, "BySk2");
	assert_true(d->local);
	assert_null(ddb_schema_index(s, 2));
	assert_true(ddb_schema_key_type(s, "g", &t));
	assert_int_equal(t, DDB_TYPE_B);
	assert_true(ddb_schema_key_type(s, "sk", &t));
	assert_int_equal(t, DDB_TYPE_N);
	assert_false(ddb_schema_key_type(s, "other", &t));
	ddb_schema_free(s);

	s = parse_str(BASE);
	assert_int_equal(ddb_schema_partitions(s), DDB_PARTITIONS_DEFAULT);
	assert_int_equal(ddb_schema_index_count(s), 0);
	ddb_schema_free(s);
	ddb_schema_free(NULL);
}

static void test_creation_time(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
		const char *out;
	} cases[] = {
	    {"\"2026-11-21T16:25:19.123000+00:00\"", NOW, "2026-11-21T16:25:19.123000+00:00"},
	    {"\"2026-11-21T17:25:19.123+01:00\"", NOW, "2026-11-21T16:25:19.123000+00:00"},
	    {"\"2026-11-21T16:25:19.1239Z\"", NOW, "2026-11-21T16:25:19.123000+00:00"},
	    {"\"2026-11-21T16:25:19\"", NOW - 123, "2026-11-21T16:25:19+00:00"},
	    {"1795278319.123", NOW, "2026-11-21T16:25:19.123000+00:00"},
	    {"0", 0, "1970-01-01T00:00:00+00:00"},
	    {"\"2024-02-29T00:00:00-00:30\"", 1709166600000LL, "2024-02-29T00:30:00+00:00"},
	};
	struct ddb_buf text = DDB_BUF_INIT, out = DDB_BUF_INIT;
	struct ddb_schema *s;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ddb_buf_reset(&text);
		ddb_buf_reset(&out);
		assert_int_equal(ddb_buf_addf(&text,
					      "{" BASE_ATTRS "], " BASE_KEYS
					      ", \"CreationDateTime\": %s}",
					      cases[i].in),
				 0);
		s = parse_ok(text.data, text.len, cases[i].in);
		assert_int_equal(ddb_schema_created_ms(s), cases[i].ms);
		assert_int_equal(ddb_schema_describe(s, "Books", NULL, &out), 0);
		j = json_loads(out.data, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "CreationDateTime")),
				    cases[i].out);
		json_decref(j);
		ddb_schema_free(s);
	}
	ddb_buf_release(&text);
	ddb_buf_release(&out);
}

static void test_describe(void **state)
{
	static const struct ddb_index_stats is[] = {
	    {"BySk2", "CREATING", 7, 700},
	    {"Gone", "ACTIVE", 1, 1},
	};
	struct ddb_table_stats st = {12, 3456, 2, is};
	struct ddb_schema *s = parse_str(WITH_GSI);
	struct ddb_buf out = DDB_BUF_INIT;
	json_t *j, *g, *l;

	assert_int_equal(ddb_buf_addstr(&out, "keep:"), 0);
	assert_int_equal(ddb_schema_describe(s, "Books", &st, &out), 0);
	assert_memory_equal(out.data, "keep:{\n  \"", 10);
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_int_not_equal(out.data[out.len - 2], '\n');
	j = json_loads(out.data + 5, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "TableName")), "Books");
	assert_string_equal(json_string_value(json_object_get(j, "TableStatus")), "ACTIVE");
	assert_int_equal(json_integer_value(json_object_get(j, "ItemCount")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "TableSizeBytes")), 3456);
	assert_int_equal(json_integer_value(json_object_get(j, "Partitions")), 4);
	assert_non_null(json_object_get(j, "KeySchema"));
	assert_non_null(json_object_get(j, "AttributeDefinitions"));
	g = json_array_get(json_object_get(j, "GlobalSecondaryIndexes"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "IndexStatus")), "ACTIVE");
	assert_int_equal(json_integer_value(json_object_get(g, "ItemCount")), 0);
	assert_int_equal(json_integer_value(json_object_get(g, "IndexSizeBytes")), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(g, "Projection"), "ProjectionType")),
	    "ALL");
	l = json_array_get(json_object_get(j, "LocalSecondaryIndexes"), 0);
	assert_string_equal(json_string_value(json_object_get(l, "IndexStatus")), "CREATING");
	assert_int_equal(json_integer_value(json_object_get(l, "ItemCount")), 7);
	assert_int_equal(json_integer_value(json_object_get(l, "IndexSizeBytes")), 700);
	json_decref(j);
	ddb_buf_release(&out);
	ddb_schema_free(s);
}

static void check_update(const char *cur_text, const char *next_text, int want, const char *msg)
{
	struct ddb_schema *cur = parse_str(cur_text), *next = parse_str(next_text);
	struct ddb_err err = DDB_ERR_INIT;

	assert_int_equal(ddb_schema_check_update(cur, next, &err), want);
	if (msg)
		assert_string_equal(err.text, msg);
	ddb_schema_free(cur);
	ddb_schema_free(next);
}

static void test_update(void **state)
{
	static const char hash_only[] =
	    "{\"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"}],"
	    " \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"}]}";
	static const char hash_n[] =
	    "{\"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"N\"},"
	    " {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"}], " BASE_KEYS "}";
	static const char other_range[] =
	    "{" BASE_ATTRS ", {\"AttributeName\": \"sk2\", \"AttributeType\": \"N\"}],"
	    " \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
	    " {\"AttributeName\": \"sk2\", \"KeyType\": \"RANGE\"}],"
	    " \"LocalSecondaryIndexes\": [{\"IndexName\": \"BySk\", \"KeySchema\": ["
	    "  {\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
	    "  {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}]}]}";
	static const char parts8[] = "{" BASE_ATTRS "], " BASE_KEYS ", \"Partitions\": 8}";
	static const char gsi_changed[] =
	    "{" BASE_ATTRS ", {\"AttributeName\": \"g\", \"AttributeType\": \"S\"}], " BASE_KEYS
	    ", \"GlobalSecondaryIndexes\": [{\"IndexName\": \"ByG\","
	    "  \"KeySchema\": [{\"AttributeName\": \"g\", \"KeyType\": \"HASH\"}]}]}";

	check_update(BASE, BASE, 0, NULL);
	check_update(BASE, WITH_GSI, 0, NULL); /* indexes added */
	check_update(WITH_GSI, BASE, 0, NULL); /* and removed */
	check_update(WITH_GSI, WITH_GSI, 0, NULL);
	check_update(BASE, hash_only, -EPERM, "the key schema of a table cannot change");
	check_update(hash_only, BASE, -EPERM, NULL);
	check_update(BASE, hash_n, -EPERM, NULL);
	check_update(BASE, other_range, -EPERM, NULL);
	check_update(BASE, parts8, -EPERM, "the Partitions of a table cannot change (4, not 8)");
	check_update(WITH_GSI, gsi_changed, -EINVAL,
		     "index \"ByG\" cannot change its keys; remove it, then add it again");
}

static void test_table_name(void **state)
{
	static const char named[] = "{\"TableName\": \"Books\", " BASE_ATTRS "], " BASE_KEYS "}";
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_schema *s;
	char name[258];

	assert_true(ddb_table_name_valid("Books"));
	assert_true(ddb_table_name_valid("a-b_c.9"));
	assert_true(ddb_table_name_valid("abc"));
	assert_true(ddb_table_name_valid("x.."));
	assert_false(ddb_table_name_valid("ab"));
	assert_false(ddb_table_name_valid(""));
	assert_false(ddb_table_name_valid(NULL));
	assert_false(ddb_table_name_valid(".abc"));
	assert_false(ddb_table_name_valid("..."));
	assert_false(ddb_table_name_valid("a b"));
	assert_false(ddb_table_name_valid("a/bc"));
	assert_false(ddb_table_name_valid("caf\xc3\xa9"));
	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	assert_true(ddb_table_name_valid(name));
	name[255] = 'n';
	name[256] = '\0';
	assert_false(ddb_table_name_valid(name));

	/* TableName, when given, must be the directory's name. */
	assert_int_equal(ddb_schema_parse(named, strlen(named), "Books2", 0, &s, &err), -EINVAL);
	assert_int_equal(ddb_schema_parse(named, strlen(named), "Books", 0, &s, &err), 0);
	ddb_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_cases), cmocka_unit_test(test_invalid_cases),
	    cmocka_unit_test(test_accessors),	cmocka_unit_test(test_creation_time),
	    cmocka_unit_test(test_describe),	cmocka_unit_test(test_update),
	    cmocka_unit_test(test_table_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
