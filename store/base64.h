/*
 * base64.h - RFC 4648 base64: standard alphabet with padding (DynamoDB JSON's
 * B values) and the URL alphabet without padding (binary keys as names).
 */
#ifndef DDB_BASE64_H
#define DDB_BASE64_H

#include <stddef.h>
#include "buf.h"

/* Appends the encoding of data[0..len). Returns 0 or -ENOMEM. */
int ddb_base64_encode(struct ddb_buf *out, const void *data, size_t len);
int ddb_base64url_encode(struct ddb_buf *out, const void *data, size_t len);

/*
 * Appends the decoded bytes.  Strict: the standard form requires correct
 * padding and rejects whitespace and the URL alphabet; the URL form rejects
 * padding and the standard alphabet; both reject non-zero unused bits, so
 * every byte string has exactly one accepted text.  Returns 0, -EINVAL or
 * -ENOMEM; on failure out is unchanged.
 */
int ddb_base64_decode(struct ddb_buf *out, const char *text, size_t len);
int ddb_base64url_decode(struct ddb_buf *out, const char *text, size_t len);

#endif
