/*
 * fuzz_name.c - libFuzzer target: key values as file names and back
 * (fs/name.h, SPEC section 3), on any bytes.
 *
 * Name to key, for S, N and B: the input up to its first NUL is a name (as
 * the kernel hands it over).  Over 255 bytes is -ENAMETOOLONG, empty is
 * -EINVAL, any other refusal -EINVAL, each with its code and a sentence in
 * err and nothing left in storage.  A name that reads as a key passes the
 * store's key check, and its key's name is the name itself (S, B) or the
 * name's canonical form (N), which reads as the same key again.
 *
 * Key to name: the whole input as an S or B key, and as an N key when it
 * canonicalises.  The name is appended (on failure nothing is), is over 255
 * bytes exactly when -ENAMETOOLONG says so, holds no '/' and no NUL and
 * never starts with '.', and reads back as the key; the only S keys without
 * a name are empty ones and those holding a NUL, and an S key that is not
 * UTF-8 gets a name that is no key (the store never holds one).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "buf.h"
#include "fuzz.h"
#include "item.h"
#include "name.h"
#include "number.h"
#include "utf8.h"

#define PREFIX "dir/"

static const enum ddb_type types[] = {DDB_TYPE_S, DDB_TYPE_N, DDB_TYPE_B};

/* Reads name as a key of type t, which must give exactly want. */
static void check_reads_as(const char *name, enum ddb_type t, const void *want, size_t wlen)
{
	struct ddb_buf storage = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_key k;

	FUZZ_CHECK(ddb_name_to_key(name, t, &storage, &k, &err) == 0);
	FUZZ_CHECK(k.type == t);
	FUZZ_CHECK(fuzz_bytes_eq(k.data, k.len, want, wlen));
	ddb_buf_release(&storage);
}

static void check_name_to_key(const char *name, enum ddb_type t)
{
	struct ddb_buf storage = DDB_BUF_INIT, back = DDB_BUF_INIT, canon = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	size_t len = strlen(name);
	struct ddb_key k;
	int rc;

	/* storage is reset first: what it held never leaks into the key. */
	FUZZ_CHECK(ddb_buf_addstr(&storage, "junk") == 0);
	rc = ddb_name_to_key(name, t, &storage, &k, &err);
	if (len > DDB_FILE_NAME_MAX)
		FUZZ_CHECK(rc == -ENAMETOOLONG);
	if (len == 0)
		FUZZ_CHECK(rc == -EINVAL);
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL || rc == -ENAMETOOLONG);
		FUZZ_CHECK(err.code == -rc && err.text[0] != '\0');
		FUZZ_CHECK(storage.len == 0);
		goto out;
	}
	FUZZ_CHECK(err.code == 0);
	FUZZ_CHECK(k.type == t && k.len > 0 && k.data == storage.data);
	FUZZ_CHECK(ddb_key_check(&k, true, &err) == 0);
	if (t == DDB_TYPE_S)
		FUZZ_CHECK(k.len <= len && ddb_utf8_valid(k.data, k.len));
	FUZZ_CHECK(ddb_name_from_key(&back, &k) == 0);
	if (t == DDB_TYPE_N) {
		FUZZ_CHECK(ddb_number_canon(name, len, &canon, &err) == 0);
		FUZZ_CHECK(fuzz_bytes_eq(back.data, back.len, canon.data, canon.len));
		check_reads_as(back.data, t, k.data, k.len);
	} else {
		FUZZ_CHECK(fuzz_bytes_eq(back.data, back.len, name, len));
	}
out:
	ddb_buf_release(&storage);
	ddb_buf_release(&back);
	ddb_buf_release(&canon);
}

/* The length of an S key's name: '%', '/' and a leading '.' take three bytes. */
static size_t escaped_len(const uint8_t *key, size_t len)
{
	size_t n = len, i;

	for (i = 0; i < len; i++)
		if (key[i] == '%' || key[i] == '/' || (i == 0 && key[i] == '.'))
			n += 2;
	return n;
}

static size_t expected_len(enum ddb_type t, const uint8_t *key, size_t len)
{
	if (t == DDB_TYPE_S)
		return escaped_len(key, len);
	if (t == DDB_TYPE_B)
		return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	return len;
}

static void check_key_to_name(enum ddb_type t, const uint8_t *key, size_t len)
{
	struct ddb_key k = {t, key, len};
	struct ddb_buf out = DDB_BUF_INIT, storage = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	const size_t plen = strlen(PREFIX);
	const char *name;
	struct ddb_key back;
	int rc;

	FUZZ_CHECK(ddb_buf_addstr(&out, PREFIX) == 0);
	rc = ddb_name_from_key(&out, &k);
	FUZZ_CHECK(out.len >= plen && !memcmp(out.data, PREFIX, plen));
	if (rc) {
		FUZZ_CHECK(out.len == plen && out.data[plen] == '\0');
		if (rc == -ENAMETOOLONG) {
			FUZZ_CHECK(expected_len(t, key, len) > DDB_FILE_NAME_MAX);
		} else {
			FUZZ_CHECK(rc == -EINVAL);
			FUZZ_CHECK(len == 0 || (t == DDB_TYPE_S && memchr(key, '\0', len)));
		}
		goto out;
	}
	name = out.data + plen;
	FUZZ_CHECK(out.len - plen == expected_len(t, key, len));
	FUZZ_CHECK(out.len - plen <= DDB_FILE_NAME_MAX && strlen(name) == out.len - plen);
	FUZZ_CHECK(!strchr(name, '/') && name[0] != '.');
	rc = ddb_name_to_key(name, t, &storage, &back, &err);
	if (t == DDB_TYPE_S && !ddb_utf8_valid(key, len)) {
		FUZZ_CHECK(rc == -EINVAL);
		goto out;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(fuzz_bytes_eq(back.data, back.len, key, len));
out:
	ddb_buf_release(&out);
	ddb_buf_release(&storage);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_buf name = DDB_BUF_INIT, canon = DDB_BUF_INIT;
	size_t i;

	FUZZ_CHECK(ddb_buf_add(&name, data, size) == 0);
	FUZZ_CHECK(ddb_buf_add(&name, "", 0) == 0); /* data is NULL for an empty input */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		check_name_to_key(name.data, types[i]);
	check_key_to_name(DDB_TYPE_S, data, size);
	check_key_to_name(DDB_TYPE_B, data, size);
	if (!ddb_number_canon((const char *)data, size, &canon, NULL))
		check_key_to_name(DDB_TYPE_N, (const uint8_t *)canon.data, canon.len);
	ddb_buf_release(&name);
	ddb_buf_release(&canon);
	return 0;
}
