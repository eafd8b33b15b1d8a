/*
 * fuzz_number.c - libFuzzer target: the number canonicaliser (store/number.h)
 * and the order-preserving key encoding (store/keycodec.h).
 *
 * The input is split at its first space into A and B (B empty if none).
 * Invariants, for each of A and B that canonicalises:
 * - the canonical text has the canonical shape (checked here independently),
 *   re-canonicalises to itself, and has the value of the input (glibc's
 *   correctly rounded strtold gives both the same long double);
 * - its key encoding decodes back to it, consumes exactly its own bytes even
 *   with bytes after it (self-delimiting), and is never shortened as a part;
 * and for the pair: ddb_number_cmp is antisymmetric, 0 exactly for equal
 * text, agrees with ddb_key_cmp, with memcmp of the encodings, with the
 * long double order wherever that is strict, and a (pk, sk) pair of
 * encodings sorts by pk then sk.
 * The same order and round-trip checks run on A and B as raw B and S keys,
 * with shortened key parts; and any bytes fed to the decoder either fail or
 * decode to a value whose encoding is exactly the bytes consumed.
 * A refusal is always -EINVAL with a sentence.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "buf.h"
#include "fuzz.h"
#include "keycodec.h"
#include "number.h"

#define E_MIN (-129)
#define E_MAX 126

struct num {
	bool ok;
	struct ddb_buf canon;
	struct ddb_buf enc;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exponent E and significant digits of canonical text, for value 0.d1..dn x 10^E. */
static void shape_digits(const char *s, size_t len, long *e, size_t *sig)
{
	size_t i, first = len, last = 0, point = len, nint = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '.')
			point = i;
		if (!is_digit(s[i]) || s[i] == '0')
			continue;
		if (first == len)
			first = i;
		last = i;
	}
	for (i = s[0] == '-'; i < len && s[i] != '.'; i++)
		nint++;
	*sig = last - first + 1 - (first < point && point < last);
	if (s[s[0] == '-'] != '0')
		*e = (long)nint;
	else
		*e = -(long)(first - point - 1);
}

/* number.h's canonical form, read independently of number.c. */
static bool canonical_shape(const char *s, size_t len)
{
	size_t i = 0, start, nint, sig;
	long e;

	if (len == 1 && s[0] == '0')
		return true;
	if (len && s[0] == '-')
		i++;
	start = i;
	while (i < len && is_digit(s[i]))
		i++;
	nint = i - start;
	if (nint == 0 || (nint > 1 && s[start] == '0'))
		return false;
	if (i == len) {
		if (nint == 1 && s[start] == '0')
			return false; /* "-0" */
	} else {
		if (s[i++] != '.' || i == len)
			return false;
		while (i < len && is_digit(s[i]))
			i++;
		if (i != len || s[len - 1] == '0')
			return false;
	}
	shape_digits(s, len, &e, &sig);
	return sig >= 1 && sig <= DDB_NUMBER_MAX_DIGITS && e >= E_MIN && e <= E_MAX;
}

/* The value of a number that canonicalised, through glibc's correctly rounded strtold. */
static long double to_ld(const char *s, size_t len)
{
	char *tmp = malloc(len + 1), *end;
	long double v;

	FUZZ_CHECK(tmp != NULL);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	v = strtold(tmp, &end);
	FUZZ_CHECK(end == tmp + len);
	free(tmp);
	return v;
}

static void check_refusal(int rc, const struct ddb_err *err)
{
	FUZZ_CHECK(rc == -EINVAL);
	FUZZ_CHECK(err->code == EINVAL && err->text[0] != '\0');
}

/* Decodes data as a key of type t; on success its encoding is the bytes consumed. */
static void check_decode(const uint8_t *data, size_t size, enum ddb_type t)
{
	struct ddb_buf out = DDB_BUF_INIT, enc = DDB_BUF_INIT, again = DDB_BUF_INIT;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_key k;
	size_t used = 0;
	int rc;

	FUZZ_CHECK(ddb_buf_addstr(&out, "x") == 0);
	rc = ddb_keycodec_decode(data, size, t, &out, &used);
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL);
		FUZZ_CHECK(out.len == 1); /* appends nothing on failure */
		goto out;
	}
	FUZZ_CHECK(used > 0 && used <= size);
	k.type = t;
	k.data = out.data + 1;
	k.len = out.len - 1;
	if (t == DDB_TYPE_N) {
		FUZZ_CHECK(canonical_shape(k.data, k.len));
		FUZZ_CHECK(ddb_number_canon(k.data, k.len, &again, &err) == 0);
		FUZZ_CHECK(fuzz_bytes_eq(again.data, again.len, k.data, k.len));
	}
	FUZZ_CHECK(ddb_keycodec_encode(&enc, &k) == 0);
	FUZZ_CHECK(fuzz_bytes_eq(enc.data, enc.len, data, used));
out:
	ddb_buf_release(&out);
	ddb_buf_release(&enc);
	ddb_buf_release(&again);
}

/* The key part with threshold t: the full encoding, or its first t bytes and a hash. */
static bool check_part(const struct ddb_key *k, const struct ddb_buf *enc, size_t t,
		       struct ddb_buf *part)
{
	bool shortened = false;

	ddb_buf_reset(part);
	FUZZ_CHECK(ddb_keycodec_part(part, k, t, &shortened) == 0);
	FUZZ_CHECK(shortened == (enc->len > t));
	if (!shortened) {
		FUZZ_CHECK(fuzz_bytes_eq(part->data, part->len, enc->data, enc->len));
		return false;
	}
	FUZZ_CHECK(part->len == t + DDB_KEY_HASH_LEN);
	FUZZ_CHECK(!memcmp(part->data, enc->data, t));
	return true;
}

/* Encoding, decoding and part of one key; enc receives its full encoding. */
static void check_key(const struct ddb_key *k, const uint8_t *junk, size_t njunk,
		      struct ddb_buf *enc)
{
	struct ddb_buf dec = DDB_BUF_INIT, part = DDB_BUF_INIT, tail = DDB_BUF_INIT;
	size_t used = 0;

	FUZZ_CHECK(ddb_keycodec_encode(enc, k) == 0);
	FUZZ_CHECK(ddb_keycodec_decode(enc->data, enc->len, k->type, &dec, &used) == 0);
	FUZZ_CHECK(used == enc->len);
	FUZZ_CHECK(fuzz_bytes_eq(dec.data, dec.len, k->data, k->len));
	/* Self-delimiting: whatever follows is not read. */
	FUZZ_CHECK(ddb_buf_add(&tail, enc->data, enc->len) == 0);
	FUZZ_CHECK(ddb_buf_add(&tail, junk, njunk) == 0);
	ddb_buf_reset(&dec);
	FUZZ_CHECK(ddb_keycodec_decode(tail.data, tail.len, k->type, &dec, &used) == 0);
	FUZZ_CHECK(used == enc->len);
	check_part(k, enc, DDB_PK_PART_T, &part);
	ddb_buf_release(&dec);
	ddb_buf_release(&part);
	ddb_buf_release(&tail);
}

static void check_number(const uint8_t *text, size_t len, const uint8_t *junk, size_t njunk,
			 struct num *n)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf again = DDB_BUF_INIT;
	struct ddb_key k;
	int rc;

	rc = ddb_number_canon((const char *)text, len, &n->canon, &err);
	if (rc) {
		check_refusal(rc, &err);
		FUZZ_CHECK(n->canon.len == 0);
		return;
	}
	n->ok = true;
	FUZZ_CHECK(n->canon.len > 0 && n->canon.len <= DDB_NUMBER_TEXT_MAX);
	FUZZ_CHECK(canonical_shape(n->canon.data, n->canon.len));
	FUZZ_CHECK(ddb_number_canon(n->canon.data, n->canon.len, &again, &err) == 0);
	FUZZ_CHECK(fuzz_bytes_eq(again.data, again.len, n->canon.data, n->canon.len));
	FUZZ_CHECK(to_ld((const char *)text, len) == to_ld(n->canon.data, n->canon.len));
	FUZZ_CHECK(ddb_number_cmp(n->canon.data, n->canon.len, n->canon.data, n->canon.len) == 0);
	FUZZ_CHECK(ddb_number_size(n->canon.data, n->canon.len) >= 1);
	FUZZ_CHECK(ddb_number_size(n->canon.data, n->canon.len) <=
		   1 + (DDB_NUMBER_MAX_DIGITS + 1) / 2);
	k.type = DDB_TYPE_N;
	k.data = n->canon.data;
	k.len = n->canon.len;
	check_key(&k, junk, njunk, &n->enc);
	FUZZ_CHECK(n->enc.len <= DDB_NUMBER_MAX_DIGITS + 3);
	ddb_buf_release(&again);
}

/* pk, sk pairs sort by pk, then sk: (a, b) against (b, a). */
static void check_pairs(const struct ddb_buf *ea, const struct ddb_buf *eb, int cmp)
{
	struct ddb_buf ab = DDB_BUF_INIT, ba = DDB_BUF_INIT;

	FUZZ_CHECK(ddb_buf_add(&ab, ea->data, ea->len) == 0);
	FUZZ_CHECK(ddb_buf_add(&ab, eb->data, eb->len) == 0);
	FUZZ_CHECK(ddb_buf_add(&ba, eb->data, eb->len) == 0);
	FUZZ_CHECK(ddb_buf_add(&ba, ea->data, ea->len) == 0);
	FUZZ_CHECK(fuzz_bytes_cmp(ab.data, ab.len, ba.data, ba.len) == cmp);
	ddb_buf_release(&ab);
	ddb_buf_release(&ba);
}

static void check_number_pair(const struct num *a, const struct num *b)
{
	struct ddb_key ka = {DDB_TYPE_N, a->canon.data, a->canon.len};
	struct ddb_key kb = {DDB_TYPE_N, b->canon.data, b->canon.len};
	long double la = to_ld(a->canon.data, a->canon.len);
	long double lb = to_ld(b->canon.data, b->canon.len);
	int cmp = ddb_number_cmp(a->canon.data, a->canon.len, b->canon.data, b->canon.len);

	FUZZ_CHECK(cmp >= -1 && cmp <= 1);
	FUZZ_CHECK(cmp ==
		   -ddb_number_cmp(b->canon.data, b->canon.len, a->canon.data, a->canon.len));
	FUZZ_CHECK((cmp == 0) ==
		   fuzz_bytes_eq(a->canon.data, a->canon.len, b->canon.data, b->canon.len));
	FUZZ_CHECK(fuzz_sign(ddb_key_cmp(&ka, &kb)) == cmp);
	FUZZ_CHECK(fuzz_bytes_cmp(a->enc.data, a->enc.len, b->enc.data, b->enc.len) == cmp);
	/* Correct rounding is monotonic: a strict long double order is the order. */
	if (la < lb)
		FUZZ_CHECK(cmp < 0);
	if (la > lb)
		FUZZ_CHECK(cmp > 0);
	check_pairs(&a->enc, &b->enc, cmp);
}

/* A and B as raw keys of type t (S or B: the same codec, any bytes). */
static void check_bytes_pair(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			     enum ddb_type t, size_t small_t)
{
	struct ddb_key ka = {t, a, alen}, kb = {t, b, blen};
	struct ddb_buf ea = DDB_BUF_INIT, eb = DDB_BUF_INIT;
	struct ddb_buf pa = DDB_BUF_INIT, pb = DDB_BUF_INIT;
	int cmp = fuzz_sign(ddb_key_cmp(&ka, &kb));
	bool sa, sb;

	FUZZ_CHECK(cmp == fuzz_bytes_cmp(a, alen, b, blen));
	check_key(&ka, b, blen, &ea);
	check_key(&kb, a, alen, &eb);
	FUZZ_CHECK(fuzz_bytes_cmp(ea.data, ea.len, eb.data, eb.len) == cmp);
	check_pairs(&ea, &eb, cmp);
	/* Unless both are shortened, parts differ within their first t bytes. */
	sa = check_part(&ka, &ea, small_t, &pa);
	sb = check_part(&kb, &eb, small_t, &pb);
	if (!sa || !sb)
		FUZZ_CHECK(fuzz_bytes_cmp(pa.data, pa.len, pb.data, pb.len) == cmp);
	else if (cmp == 0)
		FUZZ_CHECK(fuzz_bytes_eq(pa.data, pa.len, pb.data, pb.len));
	ddb_buf_release(&ea);
	ddb_buf_release(&eb);
	ddb_buf_release(&pa);
	ddb_buf_release(&pb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sp = memchr(data, ' ', size);
	const uint8_t *a = data, *b = sp ? sp + 1 : data + size;
	size_t alen = sp ? (size_t)(sp - data) : size, blen = (size_t)(data + size - b);
	struct num na = {false, DDB_BUF_INIT, DDB_BUF_INIT};
	struct num nb = {false, DDB_BUF_INIT, DDB_BUF_INIT};

	check_number(a, alen, b, blen, &na);
	check_number(b, blen, a, alen, &nb);
	if (na.ok && nb.ok)
		check_number_pair(&na, &nb);
	check_bytes_pair(a, alen, b, blen, DDB_TYPE_B, 1 + size % 24);
	check_bytes_pair(a, alen, b, blen, DDB_TYPE_S, DDB_SK_PART_T);
	check_decode(data, size, DDB_TYPE_N);
	check_decode(data, size, DDB_TYPE_S);
	ddb_buf_release(&na.canon);
	ddb_buf_release(&na.enc);
	ddb_buf_release(&nb.canon);
	ddb_buf_release(&nb.enc);
	return 0;
}
