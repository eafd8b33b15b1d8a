/*
 * name.c - key values as file names and back (SPEC section 3).
 *
 * Invariant: a name is a key exactly when ddb_name_to_key accepts it, and
 * then ddb_name_from_key of that key gives the name back (for N, the
 * canonical form of it).  So every key has one name and a directory listing
 * never shows two names for one item.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "base64.h"
#include "name.h"
#include "number.h"

static int name_from_string(struct ddb_buf *out, const char *s, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		if (s[i] == '%')
			rc = ddb_buf_addstr(out, "%25");
		else if (s[i] == '/')
			rc = ddb_buf_addstr(out, "%2F");
		else if (s[i] == '.' && i == 0)
			rc = ddb_buf_addstr(out, "%2E");
		else if (s[i] == '\0')
			rc = -EINVAL; /* no file name can hold it */
		else
			rc = ddb_buf_addch(out, s[i]);
	}
	return rc;
}

int ddb_name_from_key(struct ddb_buf *out, const struct ddb_key *k)
{
	size_t start = out->len;
	int rc;

	if (k->len == 0)
		return -EINVAL;
	switch (k->type) {
	case DDB_TYPE_S:
		rc = name_from_string(out, k->data, k->len);
		break;
	case DDB_TYPE_N:
		rc = ddb_buf_add(out, k->data, k->len);
		break;
	case DDB_TYPE_B:
		rc = ddb_base64url_encode(out, k->data, k->len);
		break;
	default:
		rc = -EINVAL;
	}
	if (!rc && out->len - start > DDB_FILE_NAME_MAX)
		rc = -ENAMETOOLONG;
	if (rc)
		ddb_buf_setlen(out, start);
	return rc;
}

/* Length of the UTF-8 sequence at s[0..len), or 0 if it is not valid there. */
static size_t utf8_seq_len(const uint8_t *s, size_t len)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0; /* continuation, overlong lead or beyond U+10FFFF */
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	/* The second byte's range rules out overlongs, surrogates and > U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static bool utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq_len((const uint8_t *)s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/*
 * The byte an escape at name[i] stands for, or -1: only the escapes
 * name_from_string writes are accepted, so decoding round-trips.
 */
static int name_unescape(const char *name, size_t i)
{
	if (!strncmp(name + i, "%25", 3))
		return '%';
	if (!strncmp(name + i, "%2F", 3))
		return '/';
	if (!strncmp(name + i, "%2E", 3) && i == 0)
		return '.';
	return -1;
}

static int name_to_string(const char *name, size_t len, struct ddb_buf *storage,
			  struct ddb_err *err)
{
	size_t i;
	int c, rc;

	if (!utf8_valid(name, len))
		return ddb_err_set(err, EINVAL, "name is not valid UTF-8");
	if (name[0] == '.')
		return ddb_err_set(err, EINVAL, "a name starting with '.' is not a key");
	for (i = 0; i < len; i++) {
		c = name[i];
		if (c == '%') {
			c = name_unescape(name, i);
			if (c < 0)
				return ddb_err_set(err, EINVAL,
						   "name has an escape other than "
						   "%%25, %%2F or a leading %%2E");
			i += 2;
		} else if (c == '/') {
			return ddb_err_set(err, EINVAL, "name holds a '/'");
		}
		rc = ddb_buf_addch(storage, (char)c);
		if (rc)
			return rc;
	}
	return 0;
}

static int name_to_binary(const char *name, size_t len, struct ddb_buf *storage,
			  struct ddb_err *err)
{
	int rc = ddb_base64url_decode(storage, name, len);

	if (rc == -EINVAL)
		return ddb_err_set(err, EINVAL, "name is not unpadded base64url");
	return rc;
}

static int name_decode(const char *name, size_t len, enum ddb_type t, struct ddb_buf *storage,
		       struct ddb_err *err)
{
	switch (t) {
	case DDB_TYPE_S:
		return name_to_string(name, len, storage, err);
	case DDB_TYPE_N:
		return ddb_number_canon(name, len, storage, err);
	case DDB_TYPE_B:
		return name_to_binary(name, len, storage, err);
	}
	return ddb_err_set(err, EINVAL, "unknown key type %d", (int)t);
}

int ddb_name_to_key(const char *name, enum ddb_type t, struct ddb_buf *storage, struct ddb_key *out,
		    struct ddb_err *err)
{
	size_t len = strnlen(name, DDB_FILE_NAME_MAX + 1);
	int rc;

	ddb_buf_reset(storage);
	if (len > DDB_FILE_NAME_MAX)
		return ddb_err_set(err, ENAMETOOLONG, "name is longer than %d bytes",
				   DDB_FILE_NAME_MAX);
	if (len == 0)
		return ddb_err_set(err, EINVAL, "name is empty");
	rc = name_decode(name, len, t, storage, err);
	if (rc) {
		ddb_buf_reset(storage);
		return rc;
	}
	out->type = t;
	out->data = storage->data;
	out->len = storage->len;
	return 0;
}
