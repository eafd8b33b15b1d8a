/*
 * test_store_jsonprefix.c - the JSON prefix recogniser against the cases in
 * tests/cases/jsonprefix/ and against jansson.
 *
 * complete/<case>/input      a whole document: accepted and complete
 * unfinished/<case>/input    a valid prefix, not complete; input + rest is
 * invalid/<case>/input       refused exactly at the byte in invalid/<case>/byte
 *
 * Every case must give the same verdict however it is split into writes, and
 * every prefix of a valid text must be accepted.
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
#include "jsonprefix.h"
#include "cases.h"

struct verdict {
	int rc;
	bool complete;
	char text[DDB_ERR_TEXT_MAX];
};

/* Feeds text in pieces cut at the given offsets (ascending, within len). */
static void feed_cut(const char *text, size_t len, const size_t *cuts, size_t ncut,
		     struct verdict *v)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_jsonprefix p;
	size_t start = 0, i;

	ddb_jsonprefix_init(&p);
	v->rc = 0;
	for (i = 0; i <= ncut && !v->rc; i++) {
		size_t end = i < ncut ? cuts[i] : len;

		v->rc = ddb_jsonprefix_feed(&p, text + start, end - start, &err);
		start = end;
	}
	v->complete = !v->rc && ddb_jsonprefix_complete(&p);
	snprintf(v->text, sizeof(v->text), "%s", err.text);
}

static void verdict_equal(const struct verdict *a, const struct verdict *b, const char *name,
			  const char *how)
{
	if (a->rc != b->rc || a->complete != b->complete || strcmp(a->text, b->text)) {
		print_error("%s: split %s: rc %d/%d complete %d/%d '%s' / '%s'\n", name, how, a->rc,
			    b->rc, a->complete, b->complete, a->text, b->text);
		fail();
	}
}

/* The verdict all at once, byte by byte, and at every two-way split agree. */
static void check_splits(const char *text, size_t len, const char *name, struct verdict *whole)
{
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	struct verdict v;
	size_t i;

	assert_non_null(cuts);
	feed_cut(text, len, NULL, 0, whole);
	for (i = 0; i < len; i++)
		cuts[i] = i;
	feed_cut(text, len, cuts, len, &v);
	verdict_equal(whole, &v, name, "byte by byte");
	for (i = 0; i <= len; i++) {
		feed_cut(text, len, &i, 1, &v);
		verdict_equal(whole, &v, name, "in two");
	}
	free(cuts);
}

/* Every proper prefix of text[0..len) is accepted. */
static void check_prefixes_ok(const char *text, size_t len, const char *name)
{
	struct verdict v;
	size_t i;

	for (i = 0; i < len; i++) {
		feed_cut(text, i, NULL, 0, &v);
		if (v.rc) {
			print_error("%s: prefix of %zu bytes refused: %s\n", name, i, v.text);
			fail();
		}
	}
}

static bool jansson_accepts(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	json_decref(j);
	return j != NULL;
}

static void one_complete(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT;
	struct verdict v;

	assert_true(case_read_file(dir, "input", &in));
	check_splits(in.data, in.len, name, &v);
	if (v.rc || !v.complete) {
		print_error("%s: rc %d complete %d: %s\n", name, v.rc, v.complete, v.text);
		fail();
	}
	check_prefixes_ok(in.data, in.len, name);
	if (!jansson_accepts(in.data, in.len)) {
		print_error("%s: jansson refuses it\n", name);
		fail();
	}
	ddb_buf_release(&in);
}

static void one_unfinished(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT, rest = DDB_BUF_INIT;
	struct verdict v;

	assert_true(case_read_file(dir, "input", &in));
	assert_true(case_read_file(dir, "rest", &rest));
	check_splits(in.data, in.len, name, &v);
	if (v.rc || v.complete) {
		print_error("%s: rc %d complete %d: %s\n", name, v.rc, v.complete, v.text);
		fail();
	}
	check_prefixes_ok(in.data, in.len, name);
	assert_int_equal(ddb_buf_add(&in, rest.data, rest.len), 0);
	check_splits(in.data, in.len, name, &v);
	if (v.rc || !v.complete || !jansson_accepts(in.data, in.len)) {
		print_error("%s + rest: rc %d complete %d: %s\n", name, v.rc, v.complete, v.text);
		fail();
	}
	ddb_buf_release(&in);
	ddb_buf_release(&rest);
}

static void one_invalid(const char *dir, const char *name)
{
	struct ddb_buf in = DDB_BUF_INIT, byte = DDB_BUF_INIT;
	char want[64];
	struct verdict v;
	size_t at;

	assert_true(case_read_file(dir, "input", &in));
	assert_true(case_read_file(dir, "byte", &byte));
	at = strtoul(byte.data, NULL, 10);
	snprintf(want, sizeof(want), "invalid JSON at byte %zu: ", at);
	check_splits(in.data, in.len, name, &v);
	if (v.rc != -EINVAL || strncmp(v.text, want, strlen(want))) {
		print_error("%s: rc %d, '%s', want '%s...'\n", name, v.rc, v.text, want);
		fail();
	}
	/* Refused as early as possible: everything before the bad byte is fine. */
	check_prefixes_ok(in.data, at + 1, name);
	if (jansson_accepts(in.data, in.len)) {
		print_error("%s: jansson accepts it\n", name);
		fail();
	}
	ddb_buf_release(&in);
	ddb_buf_release(&byte);
}

static void test_complete_cases(void **state)
{
	assert_true(cases_for_each("jsonprefix/complete", one_complete) > 10);
}

static void test_unfinished_cases(void **state)
{
	assert_true(cases_for_each("jsonprefix/unfinished", one_unfinished) > 10);
}

static void test_invalid_cases(void **state)
{
	assert_true(cases_for_each("jsonprefix/invalid", one_invalid) > 10);
}

static void test_error_text(void **state)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_jsonprefix p;

	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, "{\"a\": tru", 9, &err), 0);
	assert_int_equal(ddb_jsonprefix_feed(&p, "x", 1, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.text, "invalid JSON at byte 9: unexpected 'x' in a literal");

	ddb_err_clear(&err);
	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, "oops", 4, &err), -EINVAL);
	assert_string_equal(err.text, "invalid JSON at byte 0: unexpected 'o', expected a value");

	ddb_err_clear(&err);
	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, "\"\x01\"", 3, &err), -EINVAL);
	assert_string_equal(err.text, "invalid JSON at byte 1: control character in a string");

	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, "\x02", 1, NULL), -EINVAL);
}

static void test_depth(void **state)
{
	char text[DDB_JSONPREFIX_MAX_DEPTH * 2 + 2];
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_jsonprefix p;
	size_t i;

	for (i = 0; i < DDB_JSONPREFIX_MAX_DEPTH; i++) {
		text[i] = '[';
		text[DDB_JSONPREFIX_MAX_DEPTH + i] = ']';
	}
	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, text, 2 * DDB_JSONPREFIX_MAX_DEPTH, &err), 0);
	assert_true(ddb_jsonprefix_complete(&p));

	ddb_jsonprefix_init(&p);
	assert_int_equal(ddb_jsonprefix_feed(&p, text, DDB_JSONPREFIX_MAX_DEPTH, &err), 0);
	assert_int_equal(ddb_jsonprefix_feed(&p, "{", 1, &err), -EINVAL);
	assert_string_equal(err.text, "invalid JSON at byte 128: nesting too deep");
}

static void test_complete_flag(void **state)
{
	struct ddb_jsonprefix p;

	ddb_jsonprefix_init(&p);
	assert_false(ddb_jsonprefix_complete(&p));
	assert_int_equal(ddb_jsonprefix_feed(&p, "{}", 2, NULL), 0);
	assert_true(ddb_jsonprefix_complete(&p));
	assert_int_equal(ddb_jsonprefix_feed(&p, "\n", 1, NULL), 0);
	assert_true(ddb_jsonprefix_complete(&p));
	assert_int_equal(ddb_jsonprefix_feed(&p, "", 0, NULL), 0);
	assert_true(ddb_jsonprefix_complete(&p));
	ddb_jsonprefix_init(&p);
	assert_false(ddb_jsonprefix_complete(&p));
	assert_int_equal(ddb_jsonprefix_feed(&p, "[1", 2, NULL), 0);
	assert_false(ddb_jsonprefix_complete(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_complete_cases), cmocka_unit_test(test_unfinished_cases),
	    cmocka_unit_test(test_invalid_cases),  cmocka_unit_test(test_error_text),
	    cmocka_unit_test(test_depth),	   cmocka_unit_test(test_complete_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
