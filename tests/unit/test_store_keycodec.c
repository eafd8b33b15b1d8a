/*
 * test_store_keycodec.c - the key encoding: order, round trip,
 * self-delimitation, shortened parts, the on-disk byte layout and hashes.
 *
 * Values in increasing key order come from tests/cases/order/{n,s,b}.txt
 * (format: support/cases.h).  n.txt holds numbers in any accepted form,
 * b.txt base64url.
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
#include "hash.h"
#include "keycodec.h"
#include "number.h"
#include "cases.h"

/* Key values of one type, in the order of their case file, with their encodings. */
struct ordered {
	enum ddb_type type;
	size_t n;
	struct ddb_buf *val;
	struct ddb_buf *enc;
};

static void ordered_load(struct ordered *o, const char *rel, enum ddb_type type)
{
	struct cases c;
	size_t i;

	cases_load(&c, rel);
	o->type = type;
	o->n = c.n;
	o->val = calloc(c.n, sizeof(*o->val));
	o->enc = calloc(c.n, sizeof(*o->enc));
	assert_true(o->val && o->enc);
	for (i = 0; i < c.n; i++) {
		const struct ddb_buf *f = &c.v[i].f[0];
		struct ddb_key k;
		int rc = 0;

		assert_int_equal(c.v[i].nf, 1);
		if (type == DDB_TYPE_N)
			rc = ddb_number_canon(f->data, f->len, &o->val[i], NULL);
		else if (type == DDB_TYPE_B)
			rc = ddb_base64url_decode(&o->val[i], f->data, f->len);
		else
			rc = ddb_buf_add(&o->val[i], f->data, f->len);
		if (rc)
			fail_msg("%s: cannot read the value", c.v[i].where);
		k = (struct ddb_key){type, o->val[i].data, o->val[i].len};
		assert_int_equal(ddb_keycodec_encode(&o->enc[i], &k), 0);
	}
	cases_free(&c);
}

static void ordered_free(struct ordered *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		ddb_buf_release(&o->val[i]);
		ddb_buf_release(&o->enc[i]);
	}
	free(o->val);
	free(o->enc);
}

static struct ddb_key ordered_key(const struct ordered *o, size_t i)
{
	return (struct ddb_key){o->type, o->val[i].data, o->val[i].len};
}

/* memcmp order with the shorter first on a tie: what LMDB's default does. */
static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

static void check_order(const struct ordered *o)
{
	size_t i, j;

	for (i = 0; i < o->n; i++) {
		for (j = 0; j < o->n; j++) {
			struct ddb_key a = ordered_key(o, i), b = ordered_key(o, j);
			int want = i < j ? -1 : i > j;
			int enc =
			    bytes_cmp(o->enc[i].data, o->enc[i].len, o->enc[j].data, o->enc[j].len);
			int cmp = ddb_key_cmp(&a, &b);

			if (enc != want || (cmp > 0) - (cmp < 0) != want)
				fail_msg(
				    "%s values %zu and %zu: encodings %d, ddb_key_cmp %d, want %d",
				    ddb_type_name(o->type), i, j, enc, cmp, want);
		}
	}
}

static void check_roundtrip(const struct ordered *o)
{
	struct ddb_buf out = DDB_BUF_INIT, padded = DDB_BUF_INIT;
	size_t i, used;

	for (i = 0; i < o->n; i++) {
		ddb_buf_reset(&out);
		used = 0;
		assert_int_equal(
		    ddb_keycodec_decode(o->enc[i].data, o->enc[i].len, o->type, &out, &used), 0);
		assert_int_equal(used, o->enc[i].len);
		assert_int_equal(out.len, o->val[i].len);
		assert_memory_equal(out.data, o->val[i].data, out.len);
		/* Decoding stops at the end of the encoding, whatever follows. */
		ddb_buf_reset(&padded);
		ddb_buf_reset(&out);
		assert_int_equal(ddb_buf_add(&padded, o->enc[i].data, o->enc[i].len), 0);
		assert_int_equal(ddb_buf_add(&padded, "\x00\x01\xff", 3), 0);
		assert_int_equal(ddb_keycodec_decode(padded.data, padded.len, o->type, &out, &used),
				 0);
		assert_int_equal(used, o->enc[i].len);
		assert_memory_equal(out.data, o->val[i].data, out.len);
	}
	ddb_buf_release(&out);
	ddb_buf_release(&padded);
}

/*
 * Self-delimitation: whatever follows two distinct encodings (another key
 * part, say), they keep their order.
 */
static void check_suffixes(const struct ordered *o)
{
	const struct ddb_buf *first = &o->enc[0], *last = &o->enc[o->n - 1];
	const struct {
		const char *p;
		size_t len;
	} sfx[] = {
	    {"", 0},
	    {"\x00", 1},
	    {"\x00\x00", 2},
	    {"\x01", 1},
	    {"\x02", 1},
	    {"\xff", 1},
	    {"\xff\xff\xff", 3},
	    {"\x00\xff", 2},
	    {first->data, first->len},
	    {last->data, last->len},
	};
	const size_t nsfx = sizeof(sfx) / sizeof(sfx[0]);
	struct ddb_buf a = DDB_BUF_INIT, b = DDB_BUF_INIT;
	size_t i, j, s, t;

	for (i = 0; i < o->n; i++)
		for (j = 0; j < o->n; j++)
			for (s = 0; s < nsfx && i != j; s++)
				for (t = 0; t < nsfx; t++) {
					ddb_buf_reset(&a);
					ddb_buf_reset(&b);
					ddb_buf_add(&a, o->enc[i].data, o->enc[i].len);
					ddb_buf_add(&a, sfx[s].p, sfx[s].len);
					ddb_buf_add(&b, o->enc[j].data, o->enc[j].len);
					ddb_buf_add(&b, sfx[t].p, sfx[t].len);
					if (bytes_cmp(a.data, a.len, b.data, b.len) !=
					    (i < j ? -1 : 1))
						fail_msg("%s values %zu and %zu out of order with "
							 "suffixes %zu and %zu",
							 ddb_type_name(o->type), i, j, s, t);
				}
	ddb_buf_release(&a);
	ddb_buf_release(&b);
}

static void check_file(const char *rel, enum ddb_type type)
{
	struct ordered o;

	ordered_load(&o, rel, type);
	check_order(&o);
	check_roundtrip(&o);
	check_suffixes(&o);
	ordered_free(&o);
}

static void test_order_n(void **state)
{
	check_file("order/n.txt", DDB_TYPE_N);
}

static void test_order_s(void **state)
{
	check_file("order/s.txt", DDB_TYPE_S);
}

static void test_order_b(void **state)
{
	check_file("order/b.txt", DDB_TYPE_B);
}

static void check_layout(enum ddb_type type, const char *val, size_t vlen, const char *want,
			 size_t wlen)
{
	struct ddb_key k = {type, val, vlen};
	struct ddb_buf out = DDB_BUF_INIT;

	assert_int_equal(ddb_keycodec_encode(&out, &k), 0);
	assert_int_equal(out.len, wlen);
	assert_memory_equal(out.data, want, wlen);
	ddb_buf_release(&out);
}

#define LAYOUT(type, val, want) check_layout(type, val, sizeof(val) - 1, want, sizeof(want) - 1)

/* The byte layout is on-disk format: pin it. */
static void test_layout(void **state)
{
	/* One encoding a line, digits readable. */
	/* clang-format off */
	LAYOUT(DDB_TYPE_S, "a", "a\x00\x01");
	LAYOUT(DDB_TYPE_S, "a\0b", "a\x00\xff" "b\x00\x01");
	LAYOUT(DDB_TYPE_B, "\0", "\x00\xff\x00\x01");
	LAYOUT(DDB_TYPE_B, "\xff\x01", "\xff\x01\x00\x01");
	LAYOUT(DDB_TYPE_N, "0", "\x02");
	LAYOUT(DDB_TYPE_N, "1", "\x03\x82" "1\x00");
	LAYOUT(DDB_TYPE_N, "1000", "\x03\x85" "1\x00");
	LAYOUT(DDB_TYPE_N, "12.5", "\x03\x83" "125\x00");
	LAYOUT(DDB_TYPE_N, "0.001", "\x03\x7f" "1\x00");
	LAYOUT(DDB_TYPE_N, "-1", "\x01\x7d\xce\xff");
	LAYOUT(DDB_TYPE_N, "-0.05", "\x01\x7f\xca\xff");
	LAYOUT(DDB_TYPE_N,
	       "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000"
	       "000000000000000000000000000000000000000000000000001",
	       "\x03\x00" "1\x00");
	LAYOUT(DDB_TYPE_N,
	       "99999999999999999999999999999999999999000000000000000000000000000000000000000000"
	       "0000000000000000000000000000000000000000000000",
	       "\x03\xff" "99999999999999999999999999999999999999\x00");
	/* clang-format on */
}

static void check_malformed(enum ddb_type type, const char *enc, size_t len)
{
	struct ddb_buf out = DDB_BUF_INIT;
	size_t used = 12345;

	assert_int_equal(ddb_buf_addstr(&out, "keep"), 0);
	if (ddb_keycodec_decode(enc, len, type, &out, &used) != -EINVAL)
		fail_msg("%s encoding of %zu bytes accepted", ddb_type_name(type), len);
	assert_string_equal(out.data, "keep");
	assert_int_equal(out.len, 4);
	assert_int_equal(used, 12345);
	ddb_buf_release(&out);
}

#define MALFORMED(type, enc) check_malformed(type, enc, sizeof(enc) - 1)

static void test_decode_malformed(void **state)
{
	struct ordered o;
	size_t i, n;

	/* One encoding a line, digits readable. */
	/* clang-format off */
	MALFORMED(DDB_TYPE_S, "");
	MALFORMED(DDB_TYPE_S, "abc");			/* no terminator */
	MALFORMED(DDB_TYPE_S, "a\x00");
	MALFORMED(DDB_TYPE_S, "a\x00\x02");		/* 0x00 neither escaped nor ending */
	MALFORMED(DDB_TYPE_B, "a\x00\x00\x01");
	MALFORMED(DDB_TYPE_B, "a\x00\xff");
	MALFORMED(DDB_TYPE_S, "\x02");
	MALFORMED(DDB_TYPE_N, "");
	MALFORMED(DDB_TYPE_N, "\x00");			/* no such sign class */
	MALFORMED(DDB_TYPE_N, "\x04");
	MALFORMED(DDB_TYPE_N, "\x03");			/* truncated */
	MALFORMED(DDB_TYPE_N, "\x03\x82");
	MALFORMED(DDB_TYPE_N, "\x03\x82" "1");
	MALFORMED(DDB_TYPE_N, "\x03\x82\x00");		/* no digits */
	MALFORMED(DDB_TYPE_N, "\x03\x82" "01\x00");	/* leading zero */
	MALFORMED(DDB_TYPE_N, "\x03\x82" "10\x00");	/* trailing zero */
	MALFORMED(DDB_TYPE_N, "\x03\x82" "1a\x00");	/* not a digit */
	MALFORMED(DDB_TYPE_N, "\x03\x82" "1\xce\x00");
	MALFORMED(DDB_TYPE_N, "\x03\x82" "123456789012345678901234567890123456789\x00");
	MALFORMED(DDB_TYPE_N, "\x01\x7d\xce");		/* truncated */
	MALFORMED(DDB_TYPE_N, "\x01\x7d" "1\xff");	/* not an inverted digit */
	MALFORMED(DDB_TYPE_N, "\x01\x7d\xff");		/* no digits */
	/* clang-format on */
	check_malformed((enum ddb_type)0, "a\x00\x01", 3);
	/* No proper prefix of an encoding decodes. */
	ordered_load(&o, "order/n.txt", DDB_TYPE_N);
	for (i = 0; i < o.n; i++)
		for (n = 0; n < o.enc[i].len; n++)
			check_malformed(DDB_TYPE_N, o.enc[i].data, n);
	ordered_free(&o);
	ordered_load(&o, "order/s.txt", DDB_TYPE_S);
	for (i = 0; i < o.n; i++)
		for (n = 0; n < o.enc[i].len; n++)
			check_malformed(DDB_TYPE_S, o.enc[i].data, n);
	ordered_free(&o);
}

/* A S key of len bytes: fill, then the byte last at the end. */
static void long_key(struct ddb_buf *b, size_t len, char fill, char last)
{
	ddb_buf_reset(b);
	assert_int_equal(ddb_buf_setlen(b, len), 0);
	memset(b->data, fill, len);
	b->data[len - 1] = last;
}

static void part(struct ddb_buf *out, const struct ddb_buf *val, enum ddb_type type, size_t t,
		 bool want_short)
{
	struct ddb_key k = {type, val->data, val->len};
	bool shortened = !want_short;

	ddb_buf_reset(out);
	assert_int_equal(ddb_keycodec_part(out, &k, t, &shortened), 0);
	assert_int_equal(shortened, want_short);
}

static void test_part_short_unchanged(void **state)
{
	struct ddb_buf val = DDB_BUF_INIT, enc = DDB_BUF_INIT, p = DDB_BUF_INIT;
	struct ddb_key k;

	long_key(&val, 100, 'x', 'y');
	k = (struct ddb_key){DDB_TYPE_S, val.data, val.len};
	assert_int_equal(ddb_keycodec_encode(&enc, &k), 0);
	part(&p, &val, DDB_TYPE_S, DDB_PK_PART_T, false);
	assert_int_equal(p.len, enc.len);
	assert_memory_equal(p.data, enc.data, enc.len);
	/* Exactly t bytes stays whole; t - 1 does not. */
	part(&p, &val, DDB_TYPE_S, enc.len, false);
	assert_int_equal(p.len, enc.len);
	part(&p, &val, DDB_TYPE_S, enc.len - 1, true);
	assert_int_equal(p.len, enc.len - 1 + DDB_KEY_HASH_LEN);
	/* shortened may be NULL; the part is appended. */
	ddb_buf_reset(&p);
	assert_int_equal(ddb_buf_addstr(&p, "pk"), 0);
	assert_int_equal(ddb_keycodec_part(&p, &k, DDB_SK_PART_T, NULL), 0);
	assert_int_equal(p.len, 2 + enc.len);
	assert_memory_equal(p.data + 2, enc.data, enc.len);
	ddb_buf_release(&val);
	ddb_buf_release(&enc);
	ddb_buf_release(&p);
}

static void test_part_long(void **state)
{
	static const size_t ts[] = {DDB_PK_PART_T, DDB_SK_PART_T, DDB_HASH_ONLY_T};
	struct ddb_buf val = DDB_BUF_INIT, enc = DDB_BUF_INIT, p = DDB_BUF_INIT;
	uint8_t hash[DDB_KEY_HASH_LEN];
	struct ddb_key k;
	size_t i;

	/* Zero bytes double in the encoding: the hash covers the whole of it. */
	long_key(&val, 2048, '\0', 'z');
	k = (struct ddb_key){DDB_TYPE_S, val.data, val.len};
	assert_int_equal(ddb_keycodec_encode(&enc, &k), 0);
	ddb_hash128(enc.data, enc.len, hash);
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		part(&p, &val, DDB_TYPE_S, ts[i], true);
		assert_int_equal(p.len, ts[i] + DDB_KEY_HASH_LEN);
		assert_true(p.len <= DDB_STORE_KEY_MAX);
		assert_memory_equal(p.data, enc.data, ts[i]);
		assert_memory_equal(p.data + ts[i], hash, DDB_KEY_HASH_LEN);
	}
	ddb_buf_release(&val);
	ddb_buf_release(&enc);
	ddb_buf_release(&p);
}

/* Parts of keys that differ within the first t bytes sort like the keys. */
static void check_part_order(size_t alen, char afill, char alast, size_t blen, char bfill,
			     char blast, size_t t)
{
	struct ddb_buf a = DDB_BUF_INIT, b = DDB_BUF_INIT, pa = DDB_BUF_INIT, pb = DDB_BUF_INIT;
	struct ddb_key ka, kb;

	long_key(&a, alen, afill, alast);
	long_key(&b, blen, bfill, blast);
	ka = (struct ddb_key){DDB_TYPE_S, a.data, a.len};
	kb = (struct ddb_key){DDB_TYPE_S, b.data, b.len};
	assert_true(ddb_key_cmp(&ka, &kb) < 0);
	part(&pa, &a, DDB_TYPE_S, t, alen + 2 > t);
	part(&pb, &b, DDB_TYPE_S, t, blen + 2 > t);
	assert_true(bytes_cmp(pa.data, pa.len, pb.data, pb.len) < 0);
	ddb_buf_release(&a);
	ddb_buf_release(&b);
	ddb_buf_release(&pa);
	ddb_buf_release(&pb);
}

static void test_part_order(void **state)
{
	/* Both shortened, different first t bytes. */
	check_part_order(2048, 'a', 'z', 2048, 'b', 'a', DDB_PK_PART_T);
	check_part_order(1024, 'a', 'z', 2000, 'b', 'a', DDB_SK_PART_T);
	/* Shortened and whole, either way round. */
	check_part_order(2048, 'a', 'a', 10, 'b', 'b', DDB_PK_PART_T);
	check_part_order(10, 'a', 'a', 2048, 'b', 'b', DDB_PK_PART_T);
	check_part_order(150, 'a', 'a', 2048, 'a', 'b', DDB_PK_PART_T);
	check_part_order(2048, 'a', 'a', 150, 'a', 'b', DDB_PK_PART_T);
	/* Whole at exactly t bytes against shortened. */
	check_part_order(DDB_PK_PART_T - 2, 'a', 'a', DDB_PK_PART_T + 1, 'a', 'b', DDB_PK_PART_T);
}

/* Same first t bytes, both shortened: a group, ordered by hash but never equal. */
static void test_part_group(void **state)
{
	struct ddb_buf a = DDB_BUF_INIT, b = DDB_BUF_INIT, pa = DDB_BUF_INIT, pb = DDB_BUF_INIT;

	long_key(&a, 2048, 'a', 'y');
	long_key(&b, 2048, 'a', 'z');
	part(&pa, &a, DDB_TYPE_S, DDB_PK_PART_T, true);
	part(&pb, &b, DDB_TYPE_S, DDB_PK_PART_T, true);
	assert_int_equal(pa.len, pb.len);
	assert_memory_equal(pa.data, pb.data, DDB_PK_PART_T);
	assert_memory_not_equal(pa.data + DDB_PK_PART_T, pb.data + DDB_PK_PART_T, DDB_KEY_HASH_LEN);
	ddb_buf_release(&a);
	ddb_buf_release(&b);
	ddb_buf_release(&pa);
	ddb_buf_release(&pb);
}

/* The hashes are on-disk format: these values must never change. */
static void test_hash_pinned(void **state)
{
	static const struct {
		const char *in;
		uint64_t h;
	} h64[] = {
	    {"", 0xb2f0cbbdf57c514bULL},
	    {"a", 0x1d75645bc839b377ULL},
	    {"abc", 0x6d7e543245bdff0aULL},
	    {"12345678", 0xe59987be1a30346fULL},
	    {"123456789012345", 0xaf1a51e9b9e37d8bULL},
	    {"1234567890123456", 0xbf325bc833d2c27eULL},
	    {"The quick brown fox jumps over the lazy dog", 0xdea2380479ab8834ULL},
	};
	uint8_t h[16];
	size_t i;

	for (i = 0; i < sizeof(h64) / sizeof(h64[0]); i++)
		assert_int_equal(ddb_hash64(h64[i].in, strlen(h64[i].in)), h64[i].h);
	assert_int_equal(ddb_hash64(NULL, 0), h64[0].h);
	ddb_hash128("", 0, h);
	assert_memory_equal(h, "\x70\x25\x55\x65\x5f\x7b\xc3\xbc\x31\x9c\xbe\x1b\x8c\x9c\xe9\x1f",
			    16);
	ddb_hash128("a", 1, h);
	assert_memory_equal(h, "\x29\xf5\x0f\xf1\xf0\xa6\xe4\xe0\x14\x76\x44\x8e\x23\xef\xdd\x40",
			    16);
	ddb_hash128("abc", 3, h);
	assert_memory_equal(h, "\x58\x17\xd2\xd2\x86\xba\xb7\x0b\x51\x37\x4b\xdd\x39\x0e\x04\x7e",
			    16);
}

/* Every single-bit change of a 64-byte input changes both lanes and the 64-bit hash. */
static void test_hash_sensitive(void **state)
{
	uint8_t in[64] = {0}, base[16], h[16];
	uint64_t base64 = ddb_hash64(in, sizeof(in));
	size_t bit;

	ddb_hash128(in, sizeof(in), base);
	for (bit = 0; bit < 8 * sizeof(in); bit++) {
		in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ddb_hash128(in, sizeof(in), h);
		assert_memory_not_equal(h, base, 8);
		assert_memory_not_equal(h + 8, base + 8, 8);
		assert_true(ddb_hash64(in, sizeof(in)) != base64);
		in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Length is part of the input: trailing zeros matter. */
	assert_true(ddb_hash64(in, 8) != ddb_hash64(in, 9));
}

static void test_types(void **state)
{
	static const char *const bad[] = {"", "s", "SS", "X", "NS", "S ", "BOOL"};
	enum ddb_type t = DDB_TYPE_B;
	size_t i;

	assert_true(ddb_type_parse("S", &t));
	assert_int_equal(t, DDB_TYPE_S);
	assert_true(ddb_type_parse("N", &t));
	assert_int_equal(t, DDB_TYPE_N);
	assert_true(ddb_type_parse("B", &t));
	assert_int_equal(t, DDB_TYPE_B);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(ddb_type_parse(bad[i], &t));
		assert_int_equal(t, DDB_TYPE_B);
	}
	assert_string_equal(ddb_type_name(DDB_TYPE_S), "S");
	assert_string_equal(ddb_type_name(DDB_TYPE_N), "N");
	assert_string_equal(ddb_type_name(DDB_TYPE_B), "B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_n),	     cmocka_unit_test(test_order_s),
	    cmocka_unit_test(test_order_b),	     cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_decode_malformed), cmocka_unit_test(test_part_short_unchanged),
	    cmocka_unit_test(test_part_long),	     cmocka_unit_test(test_part_order),
	    cmocka_unit_test(test_part_group),	     cmocka_unit_test(test_hash_pinned),
	    cmocka_unit_test(test_hash_sensitive),   cmocka_unit_test(test_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
