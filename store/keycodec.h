/*
 * keycodec.h - typed key values and their order-preserving byte encoding.
 *
 * The encoding is what LMDB sorts, so memcmp() order of encodings is
 * DynamoDB's key order: N numerically, S by UTF-8 bytes, B by unsigned bytes.
 * Every encoding is self-delimiting (no encoding is a proper prefix of
 * another of the same type), so a partition key's encoding can be followed
 * by a sort key's and the pair still sorts by (pk, sk).
 *
 *  S, B: the bytes, each 0x00 written as 0x00 0xFF, then the terminator
 *        0x00 0x01.
 *  N:    canonical number as sign class, exponent, digits:
 *        negative  0x01, ~(E + 129), each digit d as ~('0' + d), 0xFF
 *        zero      0x02
 *        positive  0x03, (E + 129), each digit d as '0' + d, 0x00
 *        where value = 0.d1d2...dn x 10^E with d1 != 0 and dn != 0, so
 *        -129 <= E <= 126 fits one byte.
 *
 * LMDB keys are at most 511 bytes while DynamoDB keys reach 2048 (pk) and
 * 1024 (sk) bytes.  A key part whose encoding is longer than its threshold T
 * is stored shortened: its first T bytes followed by the 16-byte hash of the
 * whole encoding.  Two parts then differ within their first T bytes (and sort
 * correctly) unless both are shortened, in which case they form a "group":
 * adjacent in LMDB, ordered by hash.  Readers detect a shortened part by its
 * length (> T) and sort a group by the full keys kept in the item records.
 */
#ifndef DDB_KEYCODEC_H
#define DDB_KEYCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

enum ddb_type {
	DDB_TYPE_S = 1,
	DDB_TYPE_N = 2,
	DDB_TYPE_B = 3,
};

/*
 * A key value.  S: UTF-8 bytes; N: canonical number text (number.h);
 * B: raw bytes.  The bytes are borrowed: the struct never owns them.
 */
struct ddb_key {
	enum ddb_type type;
	const void *data;
	size_t len;
};

#define DDB_PK_PART_T 200	/* partition key part: stored length <= 216 */
#define DDB_SK_PART_T 279	/* sort key part: stored length <= 295 */
#define DDB_HASH_ONLY_T 495	/* key of a hash-only table: stored length <= 511 */
#define DDB_KEY_HASH_LEN 16
#define DDB_STORE_KEY_MAX 511

/* "S", "N", "B" -> type; returns false for anything else. */
bool ddb_type_parse(const char *name, enum ddb_type *out);
const char *ddb_type_name(enum ddb_type t);

/*
 * Appends the full order-preserving encoding of k.  N values must be
 * canonical (number.h).  Returns 0, -EINVAL (an N value that is not a
 * canonical, in-range number) or -ENOMEM.
 */
int ddb_keycodec_encode(struct ddb_buf *out, const struct ddb_key *k);

/*
 * Appends the stored form of k as a key part with threshold t: the full
 * encoding if it is at most t bytes, else its first t bytes and the 16-byte
 * hash of the full encoding.  *shortened (may be NULL) tells which.
 */
int ddb_keycodec_part(struct ddb_buf *out, const struct ddb_key *k, size_t t, bool *shortened);

/*
 * Decodes one full encoding at the start of data[0..len) into out (S and B:
 * raw bytes; N: canonical text) and sets *used to the bytes consumed.
 * Returns 0, -EINVAL if malformed or truncated, -ENOMEM.
 */
int ddb_keycodec_decode(const void *data, size_t len, enum ddb_type type,
			struct ddb_buf *out, size_t *used);

/*
 * The length of the full encoding at the start of data[0..len), without
 * decoding it: 0 and *used, or -EINVAL if there is none (e.g. the first T
 * bytes of a shortened part).
 */
int ddb_keycodec_span(const void *data, size_t len, enum ddb_type type, size_t *used);

/* Key order between two values of the same type: <0, 0, >0 (mixed types order by type). */
int ddb_key_cmp(const struct ddb_key *a, const struct ddb_key *b);

#endif
