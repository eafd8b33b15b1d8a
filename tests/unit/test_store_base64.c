/*
 * test_store_base64.c - RFC 4648 vectors for both alphabets, every strictness
 * rule, and exhaustive round trips: each byte string has one accepted text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "base64.h"

struct vector {
	const char *bytes;
	size_t len;
	const char *std;
	const char *url;
};

#define V(b, s, u)                                                                                 \
	{                                                                                          \
		b, sizeof(b) - 1, s, u                                                             \
	}

/* RFC 4648 section 10, then bytes that use the two alphabets' last characters. */
static const struct vector vectors[] = {
    V("", "", ""),
    V("f", "Zg==", "Zg"),
    V("fo", "Zm8=", "Zm8"),
    V("foo", "Zm9v", "Zm9v"),
    V("foob", "Zm9vYg==", "Zm9vYg"),
    V("fooba", "Zm9vYmE=", "Zm9vYmE"),
    V("foobar", "Zm9vYmFy", "Zm9vYmFy"),
    V("\xfb\xff", "+/8=", "-_8"),
    V("\xff\xfe\xfd\xfc", "//79/A==", "__79_A"),
    V("\x00", "AA==", "AA"),
    V("\x14\xfb\x9c\x03\xd9\x7e", "FPucA9l+", "FPucA9l-"),
    V("\x14\xfb\x9c\x03\xd9", "FPucA9k=", "FPucA9k"),
    V("\x14\xfb\x9c\x03", "FPucAw==", "FPucAw"),
};

typedef int (*encode_fn)(struct ddb_buf *, const void *, size_t);
typedef int (*decode_fn)(struct ddb_buf *, const char *, size_t);

static void check_encode(encode_fn enc, const struct vector *v, const char *want)
{
	struct ddb_buf out = DDB_BUF_INIT;

	assert_int_equal(ddb_buf_addstr(&out, ">"), 0);
	assert_int_equal(enc(&out, v->bytes, v->len), 0);
	assert_string_equal(out.data + 1, want);
	assert_int_equal(out.len, 1 + strlen(want));
	ddb_buf_release(&out);
}

static void check_decode(decode_fn dec, const struct vector *v, const char *text)
{
	struct ddb_buf out = DDB_BUF_INIT;

	assert_int_equal(ddb_buf_addstr(&out, ">"), 0);
	assert_int_equal(dec(&out, text, strlen(text)), 0);
	assert_int_equal(out.len, 1 + v->len);
	assert_memory_equal(out.data + 1, v->bytes, v->len ? v->len : 1);
	assert_int_equal(out.data[out.len], '\0');
	ddb_buf_release(&out);
}

static void test_vectors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		check_encode(ddb_base64_encode, &vectors[i], vectors[i].std);
		check_encode(ddb_base64url_encode, &vectors[i], vectors[i].url);
		check_decode(ddb_base64_decode, &vectors[i], vectors[i].std);
		check_decode(ddb_base64url_decode, &vectors[i], vectors[i].url);
	}
}

struct reject {
	const char *text;
	const char *why;
};

/* Each text is refused and leaves out as it was. */
static void check_rejects(decode_fn dec, const struct reject *r, size_t n, const char *form)
{
	struct ddb_buf out = DDB_BUF_INIT;
	size_t i;

	assert_int_equal(ddb_buf_addstr(&out, "keep"), 0);
	for (i = 0; i < n; i++) {
		/* "" stands for a lone NUL byte. */
		size_t len = r[i].text[0] ? strlen(r[i].text) : 1;

		if (dec(&out, r[i].text, len) != -EINVAL)
			fail_msg("%s accepted \"%s\" (%s)", form, r[i].text, r[i].why);
		assert_int_equal(out.len, 4);
		assert_string_equal(out.data, "keep");
	}
	ddb_buf_release(&out);
}

static void test_std_rejects(void **state)
{
	static const struct reject bad[] = {
	    {"Zg", "padding missing"},
	    {"Zm8", "padding missing"},
	    {"Zg=", "length not a multiple of 4"},
	    {"Zg===", "length not a multiple of 4"},
	    {"Zm9vY", "length not a multiple of 4"},
	    {"Z===", "too much padding"},
	    {"====", "only padding"},
	    {"Zm8==", "too much padding"},
	    {"=Zm8", "padding first"},
	    {"Z=g=", "padding inside"},
	    {"Zg==Zg==", "padding inside"},
	    {"Zh==", "non-zero unused bits"},
	    {"Zm9=", "non-zero unused bits"},
	    {"AB==", "non-zero unused bits"},
	    {"AAB=", "non-zero unused bits"},
	    {"-_8=", "URL alphabet"},
	    {"FPucA9l-", "URL alphabet"},
	    {"Zm9v\n", "whitespace"},
	    {" Zm9v", "whitespace"},
	    {"Zm 9v", "whitespace"},
	    {"Zm9\tv", "whitespace"},
	    {"Zm9v\r\n", "whitespace"},
	    {"Zm9.", "not in the alphabet"},
	    {"Zm9\x80", "not in the alphabet"},
	    {"", "a NUL byte"},
	};

	check_rejects(ddb_base64_decode, bad, sizeof(bad) / sizeof(bad[0]), "base64");
}

static void test_url_rejects(void **state)
{
	static const struct reject bad[] = {
	    {"Zg==", "padding"},
	    {"Zm8=", "padding"},
	    {"Zg=", "padding"},
	    {"=", "padding"},
	    {"Z", "a lone character holds no byte"},
	    {"Zm9vY", "a lone character holds no byte"},
	    {"Zh", "non-zero unused bits"},
	    {"Zm9", "non-zero unused bits"},
	    {"AB", "non-zero unused bits"},
	    {"AAB", "non-zero unused bits"},
	    {"+/8", "standard alphabet"},
	    {"FPucA9l+", "standard alphabet"},
	    {"__79/A", "standard alphabet"},
	    {" Zm9v", "whitespace"},
	    {"Zm9v\n", "whitespace"},
	    {"Zm 9v", "whitespace"},
	    {"Zm9.", "not in the alphabet"},
	    {"Zm9\xc3\xa9", "not in the alphabet"},
	    {"", "a NUL byte"},
	};

	check_rejects(ddb_base64url_decode, bad, sizeof(bad) / sizeof(bad[0]), "base64url");
}

/* Every 0..2 byte string round-trips through both forms. */
static void test_roundtrip_all_short(void **state)
{
	struct ddb_buf text = DDB_BUF_INIT, back = DDB_BUF_INIT;
	uint8_t b[2];
	unsigned v;
	size_t len;

	for (len = 0; len <= 2; len++) {
		for (v = 0; v < (1u << (8 * len)); v++) {
			b[0] = (uint8_t)v;
			b[1] = (uint8_t)(v >> 8);
			ddb_buf_reset(&text);
			ddb_buf_reset(&back);
			assert_int_equal(ddb_base64_encode(&text, b, len), 0);
			assert_int_equal(ddb_base64_decode(&back, text.data, text.len), 0);
			assert_int_equal(back.len, len);
			assert_true(len == 0 || !memcmp(back.data, b, len));
			ddb_buf_reset(&text);
			ddb_buf_reset(&back);
			assert_int_equal(ddb_base64url_encode(&text, b, len), 0);
			assert_int_equal(ddb_base64url_decode(&back, text.data, text.len), 0);
			assert_int_equal(back.len, len);
			assert_true(len == 0 || !memcmp(back.data, b, len));
		}
	}
	ddb_buf_release(&text);
	ddb_buf_release(&back);
}

/*
 * Every text of 2 and 3 characters (plus padding for the standard form)
 * that is accepted encodes back to itself: one text per byte string.
 */
static void check_unique(encode_fn enc, decode_fn dec, const char *alphabet, bool pad)
{
	struct ddb_buf bytes = DDB_BUF_INIT, again = DDB_BUF_INIT;
	unsigned accepted = 0, a, b, c;
	char text[5];

	for (a = 0; a < 64; a++)
		for (b = 0; b < 64; b++)
			for (c = 0; c <= 64; c++) {
				size_t len;

				text[0] = alphabet[a];
				text[1] = alphabet[b];
				text[2] = c < 64 ? alphabet[c] : '=';
				text[3] = '=';
				text[4] = '\0';
				len = pad ? 4 : c < 64 ? 3 : 2;
				ddb_buf_reset(&bytes);
				ddb_buf_reset(&again);
				if (dec(&bytes, text, len))
					continue;
				accepted++;
				assert_int_equal(enc(&again, bytes.data, bytes.len), 0);
				assert_int_equal(again.len, len);
				assert_memory_equal(again.data, text, len);
			}
	/* 2^16 two-byte strings and 2^8 one-byte strings. */
	assert_int_equal(accepted, 65536 + 256);
	ddb_buf_release(&bytes);
	ddb_buf_release(&again);
}

static void test_unique_text(void **state)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	check_unique(ddb_base64_encode, ddb_base64_decode, std, true);
	check_unique(ddb_base64url_encode, ddb_base64url_decode, url, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),	cmocka_unit_test(test_std_rejects),
	    cmocka_unit_test(test_url_rejects), cmocka_unit_test(test_roundtrip_all_short),
	    cmocka_unit_test(test_unique_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
