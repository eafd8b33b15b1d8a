/*
 * test_store_number.c - number parsing, canonical form, comparison, size.
 *
 * Cases live in tests/cases/number/ (valid.txt: input<TAB>canonical;
 * invalid.txt: one input a line) and tests/cases/order/n.txt (values in
 * increasing order); the case-file format is in support/cases.h.
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
#include "number.h"
#include "cases.h"

/* Canonicalises text, failing the test with where if it is refused. */
static void canon_ok(const char *where, const struct ddb_buf *in, struct ddb_buf *out)
{
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	ddb_buf_reset(out);
	rc = ddb_number_canon(in->data, in->len, out, &err);
	if (rc)
		fail_msg("%s: \"%s\" refused (%d): %s", where, in->data, rc, err.text);
	assert_int_equal(err.code, 0);
}

static void test_valid(void **state)
{
	struct ddb_buf out = DDB_BUF_INIT, again = DDB_BUF_INIT;
	struct cases c;
	size_t i;

	cases_load(&c, "number/valid.txt");
	for (i = 0; i < c.n; i++) {
		struct case_line *cl = &c.v[i];

		assert_int_equal(cl->nf, 2);
		canon_ok(cl->where, &cl->f[0], &out);
		if (strcmp(out.data, cl->f[1].data))
			fail_msg("%s: \"%s\" gave \"%s\", want \"%s\"", cl->where, cl->f[0].data,
				 out.data, cl->f[1].data);
		assert_true(out.len < DDB_NUMBER_TEXT_MAX);
		/* Canonical text is a fixed point. */
		canon_ok(cl->where, &out, &again);
		assert_string_equal(again.data, out.data);
		assert_int_equal(ddb_number_cmp(out.data, out.len, again.data, again.len), 0);
	}
	ddb_buf_release(&out);
	ddb_buf_release(&again);
	cases_free(&c);
}

static void test_invalid(void **state)
{
	struct ddb_buf out = DDB_BUF_INIT;
	struct cases c;
	size_t i;

	cases_load(&c, "number/invalid.txt");
	for (i = 0; i < c.n; i++) {
		struct ddb_err err = DDB_ERR_INIT;
		struct case_line *cl = &c.v[i];
		int rc;

		assert_int_equal(cl->nf, 1);
		ddb_buf_reset(&out);
		assert_int_equal(ddb_buf_addstr(&out, "keep"), 0);
		rc = ddb_number_canon(cl->f[0].data, cl->f[0].len, &out, &err);
		if (rc != -EINVAL)
			fail_msg("%s: \"%s\" gave %d (%s)", cl->where, cl->f[0].data, rc, out.data);
		assert_int_equal(err.code, EINVAL);
		assert_true(err.text[0] != '\0');
		assert_string_equal(out.data, "keep");
		assert_int_equal(out.len, 4);
		/* err may be NULL. */
		assert_int_equal(ddb_number_canon(cl->f[0].data, cl->f[0].len, &out, NULL),
				 -EINVAL);
	}
	ddb_buf_release(&out);
	cases_free(&c);
}

static void check_message(const char *text, const char *want)
{
	struct ddb_buf out = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;

	assert_int_equal(ddb_number_canon(text, strlen(text), &out, &err), -EINVAL);
	assert_string_equal(err.text, want);
	assert_null(out.data);
}

static void test_messages(void **state)
{
	check_message("1e999", "number 1e999 is out of range");
	check_message("-1E-131", "number -1E-131 is out of range");
	check_message("123456789012345678901234567890123456789",
		      "number 123456789012345678901234567890123456789 has more than 38 "
		      "significant digits");
	check_message("1234567890123456789012345678901234567890123",
		      "number 1234567890123456789012345678901234567890... has more than 38 "
		      "significant digits");
	check_message("abc", "\"abc\" is not a number");
	check_message("", "\"\" is not a number");
	check_message(" 1", "\" 1\" is not a number");
	check_message("1\n", "\"1\\x0a\" is not a number");
	check_message("\"", "\"\\x22\" is not a number");
}

/* A length, not a NUL, ends the input. */
static void test_length_bounds(void **state)
{
	struct ddb_buf out = DDB_BUF_INIT;

	assert_int_equal(ddb_number_canon("12x", 2, &out, NULL), 0);
	assert_string_equal(out.data, "12");
	assert_int_equal(ddb_number_canon("12", 0, &out, NULL), -EINVAL);
	assert_string_equal(out.data, "12");
	/* Appends. */
	assert_int_equal(ddb_number_canon("-0.50", 5, &out, NULL), 0);
	assert_string_equal(out.data, "12-0.5");
	ddb_buf_release(&out);
}

static void test_cmp_order(void **state)
{
	struct ddb_buf *v;
	struct cases c;
	size_t i, j;

	cases_load(&c, "order/n.txt");
	v = calloc(c.n, sizeof(*v));
	assert_non_null(v);
	for (i = 0; i < c.n; i++)
		canon_ok(c.v[i].where, &c.v[i].f[0], &v[i]);
	for (i = 0; i < c.n; i++) {
		for (j = 0; j < c.n; j++) {
			int got = ddb_number_cmp(v[i].data, v[i].len, v[j].data, v[j].len);
			int want = i < j ? -1 : i > j;

			if (got != want)
				fail_msg("cmp(%s, %s) = %d, want %d", v[i].data, v[j].data, got,
					 want);
		}
	}
	for (i = 0; i < c.n; i++)
		ddb_buf_release(&v[i]);
	free(v);
	cases_free(&c);
}

static void check_size(const char *canon, size_t want)
{
	assert_int_equal(ddb_number_size(canon, strlen(canon)), want);
}

static void test_size(void **state)
{
	check_size("0", 1);
	check_size("1", 2);
	check_size("-1", 2);
	check_size("12", 2);
	check_size("123", 3);
	check_size("1000", 2);
	check_size("1001", 3);
	check_size("0.001", 2);
	check_size("-1.5", 2);
	check_size("10.01", 3);
	check_size("12345678901234567890123456789012345678", 20);
	check_size("1234567890123456789012345678901234567", 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),     cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_messages),  cmocka_unit_test(test_length_bounds),
	    cmocka_unit_test(test_cmp_order), cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
