/*
 * test_fs_name.c - key values as file names and back (SPEC section 3).
 *
 * Cases in tests/cases/names/: keys_{s,n,b}.txt hold key<TAB>name pairs
 * that map both ways; forms_n.txt holds name<TAB>key for names that are not
 * canonical yet read as the key; nonkeys_{s,n,b}.txt hold ERRNO<TAB>name for
 * names that are not keys.  The case-file format is in support/cases.h.
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
#include "base64.h"
#include "name.h"
#include "number.h"
#include "cases.h"

static void check_from_key(const char *where, enum ddb_type t, const struct ddb_buf *key,
			   const struct ddb_buf *name)
{
	struct ddb_key k = {t, key->data, key->len};
	struct ddb_buf out = DDB_BUF_INIT;
	int rc;

	rc = ddb_name_from_key(&out, &k);
	if (rc)
		fail_msg("%s: no name for the key (%d)", where, rc);
	if (out.len != name->len || memcmp(out.data, name->data, out.len))
		fail_msg("%s: name \"%s\", want \"%s\"", where, out.data, name->data);
	ddb_buf_release(&out);
}

static void check_to_key(const char *where, enum ddb_type t, const struct ddb_buf *name,
			 const struct ddb_buf *key)
{
	struct ddb_buf storage = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_key k;
	int rc;

	/* storage is reset first: what it held does not leak into the key. */
	assert_int_equal(ddb_buf_addstr(&storage, "junk"), 0);
	rc = ddb_name_to_key(name->data, t, &storage, &k, &err);
	if (rc)
		fail_msg("%s: \"%s\" is not a key (%d): %s", where, name->data, rc, err.text);
	assert_int_equal(err.code, 0);
	assert_int_equal(k.type, t);
	assert_ptr_equal(k.data, storage.data);
	if (k.len != key->len || memcmp(k.data, key->data, k.len))
		fail_msg("%s: \"%s\" read as the wrong key", where, name->data);
	ddb_buf_release(&storage);
}

static void check_keys(const char *rel, enum ddb_type t)
{
	struct cases c;
	size_t i;

	cases_load(&c, rel);
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].nf, 2);
		check_from_key(c.v[i].where, t, &c.v[i].f[0], &c.v[i].f[1]);
		check_to_key(c.v[i].where, t, &c.v[i].f[1], &c.v[i].f[0]);
	}
	cases_free(&c);
}

static void test_keys_s(void **state)
{
	check_keys("names/keys_s.txt", DDB_TYPE_S);
}

static void test_keys_n(void **state)
{
	check_keys("names/keys_n.txt", DDB_TYPE_N);
}

static void test_keys_b(void **state)
{
	check_keys("names/keys_b.txt", DDB_TYPE_B);
}

static void test_forms_n(void **state)
{
	struct cases c;
	size_t i;

	cases_load(&c, "names/forms_n.txt");
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].nf, 2);
		check_to_key(c.v[i].where, DDB_TYPE_N, &c.v[i].f[0], &c.v[i].f[1]);
		/* The item is listed under the canonical name. */
		check_from_key(c.v[i].where, DDB_TYPE_N, &c.v[i].f[1], &c.v[i].f[1]);
	}
	cases_free(&c);
}

static int errno_parse(const char *where, const char *s)
{
	if (!strcmp(s, "EINVAL"))
		return EINVAL;
	if (!strcmp(s, "ENAMETOOLONG"))
		return ENAMETOOLONG;
	fail_msg("%s: unknown errno %s", where, s);
	return 0;
}

static void check_nonkeys(const char *rel, enum ddb_type t)
{
	struct ddb_buf storage = DDB_BUF_INIT;
	struct cases c;
	size_t i;

	cases_load(&c, rel);
	for (i = 0; i < c.n; i++) {
		struct ddb_key k = {DDB_TYPE_S, "untouched", 9};
		struct ddb_err err = DDB_ERR_INIT;
		const char *where = c.v[i].where;
		int want, rc;

		assert_int_equal(c.v[i].nf, 2);
		want = errno_parse(where, c.v[i].f[0].data);
		assert_int_equal(ddb_buf_addstr(&storage, "junk"), 0);
		rc = ddb_name_to_key(c.v[i].f[1].data, t, &storage, &k, &err);
		if (rc != -want)
			fail_msg("%s: \"%s\" gave %d, want %d", where, c.v[i].f[1].data, rc, -want);
		assert_int_equal(err.code, want);
		assert_true(err.text[0] != '\0');
		assert_int_equal(storage.len, 0);
		assert_int_equal(k.len, 9);
		/* err may be NULL. */
		assert_int_equal(ddb_name_to_key(c.v[i].f[1].data, t, &storage, &k, NULL), -want);
	}
	ddb_buf_release(&storage);
	cases_free(&c);
}

static void test_nonkeys_s(void **state)
{
	check_nonkeys("names/nonkeys_s.txt", DDB_TYPE_S);
}

static void test_nonkeys_n(void **state)
{
	check_nonkeys("names/nonkeys_n.txt", DDB_TYPE_N);
}

static void test_nonkeys_b(void **state)
{
	check_nonkeys("names/nonkeys_b.txt", DDB_TYPE_B);
}

static void check_no_name(enum ddb_type t, const char *data, size_t len, int want)
{
	struct ddb_key k = {t, data, len};
	struct ddb_buf out = DDB_BUF_INIT;

	assert_int_equal(ddb_buf_addstr(&out, "keep"), 0);
	assert_int_equal(ddb_name_from_key(&out, &k), want);
	assert_string_equal(out.data, "keep");
	assert_int_equal(out.len, 4);
	ddb_buf_release(&out);
}

static void test_from_key_refused(void **state)
{
	char s[300];

	memset(s, 'a', sizeof(s));
	check_no_name(DDB_TYPE_S, s, 256, -ENAMETOOLONG);
	/* An escape takes three bytes: "/" and 253 bytes make a 256-byte name. */
	s[0] = '/';
	check_no_name(DDB_TYPE_S, s, 254, -ENAMETOOLONG);
	s[0] = '.';
	check_no_name(DDB_TYPE_S, s, 254, -ENAMETOOLONG);
	memset(s, 0xff, sizeof(s));
	check_no_name(DDB_TYPE_B, s, 192, -ENAMETOOLONG);
	/* No file name holds a NUL byte or is empty. */
	check_no_name(DDB_TYPE_S, "a\0b", 3, -EINVAL);
	check_no_name(DDB_TYPE_S, "", 0, -EINVAL);
	check_no_name(DDB_TYPE_B, "", 0, -EINVAL);
}

static void test_from_key_appends(void **state)
{
	struct ddb_buf out = DDB_BUF_INIT;
	struct ddb_key k = {DDB_TYPE_S, ".a/b", 4};
	char s[255];

	assert_int_equal(ddb_buf_addstr(&out, "dir/"), 0);
	assert_int_equal(ddb_name_from_key(&out, &k), 0);
	assert_string_equal(out.data, "dir/%2Ea%2Fb");
	/* The limit is on the name, not on what out already held. */
	memset(s, 'a', sizeof(s));
	k = (struct ddb_key){DDB_TYPE_S, s, sizeof(s)};
	assert_int_equal(ddb_name_from_key(&out, &k), 0);
	assert_int_equal(out.len, 12 + 255);
	ddb_buf_release(&out);
}

/* Every key of the ordering cases that can be a name reads back as itself. */
static void check_order_roundtrip(const char *rel, enum ddb_type t)
{
	struct ddb_buf val = DDB_BUF_INIT, name = DDB_BUF_INIT;
	struct cases c;
	size_t i;

	cases_load(&c, rel);
	for (i = 0; i < c.n; i++) {
		const struct ddb_buf *f = &c.v[i].f[0];
		struct ddb_key k;

		ddb_buf_reset(&val);
		ddb_buf_reset(&name);
		if (t == DDB_TYPE_N)
			assert_int_equal(ddb_number_canon(f->data, f->len, &val, NULL), 0);
		else if (t == DDB_TYPE_B)
			assert_int_equal(ddb_base64url_decode(&val, f->data, f->len), 0);
		else
			assert_int_equal(ddb_buf_add(&val, f->data, f->len), 0);
		if (memchr(val.data, 0, val.len) && t == DDB_TYPE_S)
			continue;
		k = (struct ddb_key){t, val.data, val.len};
		assert_int_equal(ddb_name_from_key(&name, &k), 0);
		check_to_key(c.v[i].where, t, &name, &val);
	}
	ddb_buf_release(&val);
	ddb_buf_release(&name);
	cases_free(&c);
}

static void test_order_roundtrip(void **state)
{
	check_order_roundtrip("order/s.txt", DDB_TYPE_S);
	check_order_roundtrip("order/n.txt", DDB_TYPE_N);
	check_order_roundtrip("order/b.txt", DDB_TYPE_B);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_s),	     cmocka_unit_test(test_keys_n),
	    cmocka_unit_test(test_keys_b),	     cmocka_unit_test(test_forms_n),
	    cmocka_unit_test(test_nonkeys_s),	     cmocka_unit_test(test_nonkeys_n),
	    cmocka_unit_test(test_nonkeys_b),	     cmocka_unit_test(test_from_key_refused),
	    cmocka_unit_test(test_from_key_appends), cmocka_unit_test(test_order_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
