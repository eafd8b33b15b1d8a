/*
 * test_store_jsonout.c - jsonout prints what jansson prints, byte for byte:
 * every ASCII byte and UTF-8 of each length in a string, key order, nesting,
 * and thousands of random documents held against json_dumps.  Canonical
 * item text is on-disk format, so a difference here would make items written
 * before and after differ for the same value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "jsonout.h"

/* Checks jsonout against jansson for v, and returns jansson's text (free it). */
static char *check_same(json_t *v)
{
	char *want = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	struct ddb_buf got = DDB_BUF_INIT;

	assert_non_null(want);
	assert_int_equal(ddb_jsonout_value(&got, v), 0);
	assert_non_null(got.data);
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.data, want, got.len);
	ddb_buf_release(&got);
	return want;
}

static void expect_text(json_t *v, const char *text)
{
	char *want = check_same(v);

	assert_string_equal(want, text);
	free(want);
	json_decref(v);
}

static void test_every_ascii_byte(void **state)
{
	char s[128];
	json_t *all;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(s); i++)
		s[i] = (char)i;
	all = json_stringn(s, sizeof(s));
	free(check_same(all));
	json_decref(all);
	/* Each byte alone too, so an escape is checked at both ends of a run. */
	for (i = 0; i < sizeof(s); i++) {
		json_t *one = json_stringn(s + i, 1);

		free(check_same(one));
		json_decref(one);
	}
}

static void test_named_escapes(void **state)
{
	(void)state;
	expect_text(json_string("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
	expect_text(json_string("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	expect_text(json_stringn("\0\x1f\x7f", 3), "\"\\u0000\\u001F\x7f\"");
}

static void test_utf8_kept(void **state)
{
	(void)state;
	/* Two, three and four bytes, and the line separators JavaScript escapes. */
	expect_text(json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8\xe2\x80\xa9"),
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8\xe2\x80\xa9\"");
}

static void test_containers(void **state)
{
	json_t *obj;

	(void)state;
	expect_text(json_object(), "{}");
	expect_text(json_array(), "[]");
	expect_text(json_pack("[bbn]", 1, 0), "[true, false, null]");
	obj = json_pack("{s{ss}s[{sb}{ss}]}", "b", "S", "x", "a", "BOOL", 1, "N", "1");
	expect_text(obj, "{\"a\": [{\"BOOL\": true}, {\"N\": \"1\"}], \"b\": {\"S\": \"x\"}}");
	/* Keys sorted bytewise (UTF-8 after ASCII), past the 16 kept on the stack. */
	obj = json_object();
	for (int i = 19; i >= 0; i--) {
		char key[8];

		key[0] = (char)('a' + i % 5);
		key[1] = (char)('0' + i / 5);
		key[2] = '\0';
		json_object_set_new(obj, key, json_integer(i));
	}
	json_object_set_new(obj, "\xc3\xa9", json_true());
	json_object_set_new(obj, "Z", json_real(0.5));
	free(check_same(obj));
	json_decref(obj);
}

/* xorshift64: the same documents on every run. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A random valid UTF-8 string, heavy in the bytes that need escapes. */
static json_t *random_string(void)
{
	static const char *const pieces[] = {"\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
					     "a", "Z", " ", "\xc3\xa9", "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80", "\xef\xbf\xbf"};
	struct ddb_buf b = DDB_BUF_INIT;
	size_t n = rnd() % 12, i;
	json_t *s;

	assert_int_equal(ddb_buf_add(&b, "", 0), 0);
	for (i = 0; i < n; i++) {
		if (rnd() % 8 == 0)
			assert_int_equal(ddb_buf_add(&b, "", 1), 0); /* U+0000 */
		else
			assert_int_equal(ddb_buf_addstr(&b, pieces[rnd() % (sizeof(pieces) /
									 sizeof(pieces[0]))]),
					 0);
	}
	s = json_stringn(b.data, b.len);
	assert_non_null(s);
	ddb_buf_release(&b);
	return s;
}

static json_t *random_value(int depth)
{
	unsigned kind = (unsigned)(rnd() % (depth > 4 ? 4 : 7));
	json_t *v;
	size_t n, i;

	switch (kind) {
	case 0:
		return random_string();
	case 1:
		return json_true();
	case 2:
		return json_false();
	case 3:
		return json_null();
	case 4:
		v = json_array();
		n = rnd() % 5;
		for (i = 0; i < n; i++)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd() % 6;
		for (i = 0; i < n; i++) {
			json_t *key = random_string();

			/* jansson refuses NUL in keys; so does every loaded item. */
			if (!memchr(json_string_value(key), '\0', json_string_length(key)))
				json_object_set_new(v, json_string_value(key), random_value(depth + 1));
			json_decref(key);
		}
		return v;
	}
}

static void test_random_documents(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		json_t *v = random_value(0);

		free(check_same(v));
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_ascii_byte), cmocka_unit_test(test_named_escapes),
	    cmocka_unit_test(test_utf8_kept),	      cmocka_unit_test(test_containers),
	    cmocka_unit_test(test_random_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
