/*
 * test_store_jsonfast.c - the quick loader takes what items are made of,
 * into jansson's very tree, and declines the rest for jansson to judge:
 * numbers, lone surrogates, U+0000 in a key (or anywhere without
 * JSON_ALLOW_NUL), duplicate keys, control characters, invalid UTF-8, deep
 * nesting, anything after the document.  tests/fuzz/fuzz_json.c checks the
 * same against jansson on any bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "jsonfast.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* Accepted, and dumped (sorted keys) as jansson's own tree is. */
static void accepts(const char *text, size_t flags)
{
	json_t *fast, *slow = json_loads(text, flags, NULL);
	char *a, *b;

	assert_int_equal(ddb_jsonfast_load(text, strlen(text), flags, &fast), 0);
	assert_non_null(slow);
	assert_true(json_equal(fast, slow));
	a = json_dumps(fast, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	b = json_dumps(slow, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(fast);
	json_decref(slow);
}

static void declines(const char *text, size_t len, size_t flags)
{
	json_t *fast = (json_t *)1;

	assert_int_equal(ddb_jsonfast_load(text, len, flags, &fast), 1);
	assert_null(fast);
}

#define DECLINES(s) declines(s, sizeof(s) - 1, FLAGS)

static void test_items_accepted(void **state)
{
	(void)state;
	accepts("{}", FLAGS);
	accepts(" [ ] ", FLAGS);
	accepts("{\"Title\": {\"S\": \"Moby Dick\"}, \"Year\": {\"N\": \"1851\"}}\n", FLAGS);
	accepts("{\"z\": {\"L\": [{\"BOOL\": true}, {\"BOOL\": false}, {\"NULL\": true}]},"
		"\"a\": {\"M\": {\"b\": {\"SS\": [\"x\", \"y\"]}}}}",
		FLAGS);
	/* Order of keys is the document's, as jansson keeps it. */
	accepts("{\"b\": null, \"a\": null, \"c\": [null, true]}", FLAGS);
	accepts("\t\r\n{\"ws\"\t:\n\"x\"\r,\"y\" : [ null ,true ] }", 0);
}

static void test_escapes(void **state)
{
	(void)state;
	accepts("{\"e\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}", FLAGS);
	accepts("{\"u\": \"\\u00e9\\u20AC\\ud83d\\ude00 \\u0041\"}", FLAGS);
	accepts("{\"k\\u00e9y\\n\": \"v\", \"k\\u00e8y\": {\"nested\\t\": \"w\\u0000\"}}", FLAGS);
	accepts("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"]", FLAGS);
}

static void test_declined(void **state)
{
	char deep[600];
	int i;

	(void)state;
	DECLINES("{\"n\": 1}");
	DECLINES("{\"n\": -0.5}");
	DECLINES("{\"s\": \"\\udc00\"}");
	DECLINES("{\"s\": \"\\ud800\"}");
	DECLINES("{\"s\": \"\\ud800\\u0041\"}");
	DECLINES("{\"k\\u0000\": \"v\"}");
	declines("{\"v\": \"\\u0000\"}", 15, JSON_REJECT_DUPLICATES);
	DECLINES("{\"a\": 1, \"a\": 2}");
	DECLINES("{\"a\": null, \"a\": null}");
	DECLINES("{\"s\": \"tab\there\"}");
	DECLINES("{\"s\": \"\xc0\xaf\"}");
	DECLINES("{\"s\": \"\xed\xa0\x80\"}");
	DECLINES("{\"s\": \"\\x\"}");
	DECLINES("{\"s\": \"\\u12\"}");
	DECLINES("{\"a\": true} x");
	DECLINES("{\"a\": true}{}");
	DECLINES("{\"a\": truex}");
	DECLINES("{\"a\": nul}");
	DECLINES("{\"a\": true,}");
	DECLINES("[true,]");
	DECLINES("{\"a\" true}");
	DECLINES("{a: true}");
	DECLINES("\"top\"");
	DECLINES("true");
	DECLINES("");
	DECLINES("{\"unfinished\": \"");
	DECLINES("{\"unfinished\": [");
	declines("{\"a\": true}\0", 12, FLAGS);
	declines("[true\0]", 7, FLAGS);
	declines("{\"a\": true}", 11, JSON_DECODE_ANY | FLAGS);
	for (i = 0; i < 300; i++)
		deep[i] = '[';
	for (i = 300; i < 600; i++)
		deep[i] = ']';
	declines(deep, sizeof(deep), FLAGS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items_accepted),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_declined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
