/*
 * keycodec.c - the order-preserving, self-delimiting byte encoding of keys.
 *
 * Invariant: for two keys a, b of one type, memcmp order of their encodings
 * (ties broken by length) is ddb_key_cmp(a, b), and no encoding is a proper
 * prefix of another, so encodings can be concatenated and still sort by
 * their parts.  The byte layout is in keycodec.h and is on-disk format.
 */
#include <errno.h>
#include <string.h>
#include "hash.h"
#include "keycodec.h"
#include "number.h"

#define KC_NEG 0x01
#define KC_ZERO 0x02
#define KC_POS 0x03
#define KC_E_BIAS 129
#define KC_E_MIN (-129)
#define KC_E_MAX 126

/* A nonzero canonical number as value = 0.d1..dn x 10^e. */
struct kc_number {
	bool neg;
	int e;
	int ndigits;
	char digits[DDB_NUMBER_MAX_DIGITS];
};

bool ddb_type_parse(const char *name, enum ddb_type *out)
{
	static const struct {
		const char *name;
		enum ddb_type type;
	} types[] = {{"S", DDB_TYPE_S}, {"N", DDB_TYPE_N}, {"B", DDB_TYPE_B}};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(name, types[i].name)) {
			*out = types[i].type;
			return true;
		}
	}
	return false;
}

const char *ddb_type_name(enum ddb_type t)
{
	switch (t) {
	case DDB_TYPE_S:
		return "S";
	case DDB_TYPE_N:
		return "N";
	case DDB_TYPE_B:
		return "B";
	}
	return "?";
}

static int kc_encode_bytes(struct ddb_buf *out, const uint8_t *p, size_t len)
{
	size_t zeros = 0, i;
	char *o;
	int rc;

	for (i = 0; i < len; i++)
		zeros += p[i] == 0;
	rc = ddb_buf_grow(out, len + zeros + 2);
	if (rc)
		return rc;
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		*o++ = (char)p[i];
		/* 0x00 0xFF sorts above the terminator 0x00 0x01: "a" < "a\0". */
		if (p[i] == 0)
			*o++ = (char)0xff;
	}
	*o++ = 0x00;
	*o++ = 0x01;
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/*
 * Splits canonical text into digits and exponent.  Returns 1 for a nonzero
 * number, 0 for zero, -EINVAL for text that is not canonical enough to split.
 */
static int kc_number_split(const char *s, size_t len, struct kc_number *num)
{
	size_t i = 0, nint = 0, nlead = 0, nzeros = 0;
	bool point = false;

	memset(num, 0, sizeof(*num));
	if (len && s[0] == '-') {
		num->neg = true;
		i++;
	}
	for (; i < len; i++) {
		if (s[i] == '.' && !point) {
			point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (!point)
			nint++;
		if (s[i] == '0') {
			/* Zeros count once a non-zero digit follows: "1000" has one digit. */
			if (num->ndigits)
				nzeros++;
			else
				nlead++;
			continue;
		}
		if ((size_t)num->ndigits + nzeros >= DDB_NUMBER_MAX_DIGITS)
			return -EINVAL;
		for (; nzeros; nzeros--)
			num->digits[num->ndigits++] = '0';
		num->digits[num->ndigits++] = s[i];
	}
	if (num->ndigits == 0)
		return 0;
	num->e = (int)nint - (int)nlead;
	if (num->e < KC_E_MIN || num->e > KC_E_MAX)
		return -EINVAL;
	return 1;
}

static int kc_encode_number(struct ddb_buf *out, const char *s, size_t len)
{
	uint8_t enc[DDB_NUMBER_MAX_DIGITS + 3];
	struct kc_number num;
	size_t n = 0;
	int rc, i;

	rc = kc_number_split(s, len, &num);
	if (rc <= 0) {
		enc[0] = KC_ZERO;
		return rc ? rc : ddb_buf_add(out, enc, 1);
	}
	/* Negatives invert every byte after the class, so bigger magnitudes sort first. */
	enc[n++] = num.neg ? KC_NEG : KC_POS;
	enc[n++] = (uint8_t)(num.neg ? ~(num.e + KC_E_BIAS) : num.e + KC_E_BIAS);
	for (i = 0; i < num.ndigits; i++)
		enc[n++] = (uint8_t)(num.neg ? ~num.digits[i] : num.digits[i]);
	enc[n++] = num.neg ? 0xff : 0x00;
	return ddb_buf_add(out, enc, n);
}

int ddb_keycodec_encode(struct ddb_buf *out, const struct ddb_key *k)
{
	if (k->type == DDB_TYPE_N)
		return kc_encode_number(out, k->data, k->len);
	return kc_encode_bytes(out, k->data, k->len);
}

int ddb_keycodec_part(struct ddb_buf *out, const struct ddb_key *k, size_t t, bool *shortened)
{
	uint8_t hash[DDB_KEY_HASH_LEN];
	size_t start = out->len;
	int rc;

	rc = ddb_keycodec_encode(out, k);
	if (rc)
		return rc;
	if (out->len - start <= t) {
		if (shortened)
			*shortened = false;
		return 0;
	}
	ddb_hash128(out->data + start, out->len - start, hash);
	ddb_buf_setlen(out, start + t);
	/* Cannot fail: the buffer already held more than these bytes. */
	ddb_buf_add(out, hash, sizeof(hash));
	if (shortened)
		*shortened = true;
	return 0;
}

static int kc_decode_bytes(const uint8_t *p, size_t len, struct ddb_buf *out, size_t *used)
{
	size_t start = out->len, i = 0, run;
	int rc;

	while (i < len) {
		/* Copy the run up to the next 0x00 in one go. */
		const uint8_t *z = memchr(p + i, 0, len - i);

		run = z ? (size_t)(z - (p + i)) : len - i;
		rc = ddb_buf_add(out, p + i, run);
		if (rc)
			goto out_fail;
		i += run;
		if (!z || i + 1 >= len)
			break;
		if (p[i + 1] == 0x01) {
			*used = i + 2;
			return 0;
		}
		if (p[i + 1] != 0xff)
			break;
		rc = ddb_buf_addch(out, 0);
		if (rc)
			goto out_fail;
		i += 2;
	}
	rc = -EINVAL;
out_fail:
	ddb_buf_setlen(out, start);
	return rc;
}

/* Rebuilds canonical text from num; returns -EINVAL if num is not canonical. */
static int kc_render_number(const struct kc_number *num, struct ddb_buf *out)
{
	char text[DDB_NUMBER_TEXT_MAX];
	size_t n = 0;
	int i;

	if (num->ndigits == 0 || num->digits[0] == '0' || num->digits[num->ndigits - 1] == '0')
		return -EINVAL;
	if (num->neg)
		text[n++] = '-';
	if (num->e <= 0) {
		text[n++] = '0';
		text[n++] = '.';
		for (i = num->e; i < 0; i++)
			text[n++] = '0';
	}
	for (i = 0; i < num->ndigits; i++) {
		if (i == num->e && i > 0)
			text[n++] = '.';
		text[n++] = num->digits[i];
	}
	for (i = num->ndigits; i < num->e; i++)
		text[n++] = '0';
	return ddb_buf_add(out, text, n);
}

static int kc_decode_number(const uint8_t *p, size_t len, struct ddb_buf *out, size_t *used)
{
	struct kc_number num = {0};
	uint8_t flip, end;
	size_t i;
	int rc;

	if (len < 1)
		return -EINVAL;
	if (p[0] == KC_ZERO) {
		rc = ddb_buf_addch(out, '0');
		if (!rc)
			*used = 1;
		return rc;
	}
	if ((p[0] != KC_NEG && p[0] != KC_POS) || len < 2)
		return -EINVAL;
	num.neg = p[0] == KC_NEG;
	flip = num.neg ? 0xff : 0x00;
	end = flip;
	num.e = (int)(uint8_t)(p[1] ^ flip) - KC_E_BIAS;
	for (i = 2; i < len && p[i] != end; i++) {
		char d = (char)(p[i] ^ flip);

		if (d < '0' || d > '9' || num.ndigits == DDB_NUMBER_MAX_DIGITS)
			return -EINVAL;
		num.digits[num.ndigits++] = d;
	}
	if (i == len)
		return -EINVAL;
	rc = kc_render_number(&num, out);
	if (!rc)
		*used = i + 1;
	return rc;
}

int ddb_keycodec_span(const void *data, size_t len, enum ddb_type type, size_t *used)
{
	const uint8_t *p = data, *z;
	size_t i = 0;

	if (type == DDB_TYPE_N) {
		if (len && p[0] == KC_ZERO) {
			*used = 1;
			return 0;
		}
		if (len < 2 || (p[0] != KC_NEG && p[0] != KC_POS))
			return -EINVAL;
		z = memchr(p + 2, p[0] == KC_NEG ? 0xff : 0x00, len - 2);
		if (!z)
			return -EINVAL;
		*used = (size_t)(z - p) + 1;
		return 0;
	}
	while (i < len && (z = memchr(p + i, 0, len - i)) != NULL) {
		i = (size_t)(z - p);
		if (i + 1 >= len)
			break;
		if (p[i + 1] == 0x01) {
			*used = i + 2;
			return 0;
		}
		i += 2;
	}
	return -EINVAL;
}

int ddb_keycodec_decode(const void *data, size_t len, enum ddb_type type, struct ddb_buf *out,
			size_t *used)
{
	if (type == DDB_TYPE_N)
		return kc_decode_number(data, len, out, used);
	if (type == DDB_TYPE_S || type == DDB_TYPE_B)
		return kc_decode_bytes(data, len, out, used);
	return -EINVAL;
}

int ddb_key_cmp(const struct ddb_key *a, const struct ddb_key *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type == DDB_TYPE_N)
		return ddb_number_cmp(a->data, a->len, b->data, b->len);
	c = n ? memcmp(a->data, b->data, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}
