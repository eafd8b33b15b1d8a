/*
 * base64.c - RFC 4648 base64, standard (padded) and URL-safe (unpadded).
 *
 * Invariant: decoding is strict, so every byte string has exactly one
 * accepted text in each form, and a key's name or JSON value is unique.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "base64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int base64_encode(struct ddb_buf *out, const void *data, size_t len, const char *alphabet,
			 bool pad)
{
	const uint8_t *p = data;
	size_t groups = len / 3 + (len % 3 != 0), i;
	char *o;
	int rc;

	if (groups > (SIZE_MAX - 1) / 4)
		return -ENOMEM;
	rc = ddb_buf_grow(out, groups * 4);
	if (rc)
		return rc;
	o = out->data + out->len;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		*o++ = alphabet[p[i] >> 2];
		*o++ = alphabet[(p[i] & 3) << 4];
		if (pad) {
			*o++ = '=';
			*o++ = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		*o++ = alphabet[v >> 10];
		*o++ = alphabet[(v >> 4) & 63];
		*o++ = alphabet[(v & 15) << 2];
		if (pad)
			*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int ddb_base64_encode(struct ddb_buf *out, const void *data, size_t len)
{
	return base64_encode(out, data, len, std_alphabet, true);
}

int ddb_base64url_encode(struct ddb_buf *out, const void *data, size_t len)
{
	return base64_encode(out, data, len, url_alphabet, false);
}

/* The 6-bit value of c in the alphabet, or -1. */
static int base64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Decodes text[0..len), which holds no padding, into out.  A final group of
 * 2 or 3 characters must leave its unused low bits zero.
 */
static int base64_decode(struct ddb_buf *out, const char *text, size_t len, bool url)
{
	size_t start = out->len, i;
	uint32_t acc = 0;
	int bits = 0, rc;

	if (len % 4 == 1)
		return -EINVAL;
	rc = ddb_buf_grow(out, len / 4 * 3 + 2);
	if (rc)
		return rc;
	for (i = 0; i < len; i++) {
		int v = base64_value(text[i], url);

		if (v < 0)
			goto out_invalid;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (acc & ((1u << bits) - 1))
		goto out_invalid;
	out->data[out->len] = '\0';
	return 0;

out_invalid:
	ddb_buf_setlen(out, start);
	return -EINVAL;
}

int ddb_base64_decode(struct ddb_buf *out, const char *text, size_t len)
{
	size_t pad = 0;

	if (len % 4)
		return -EINVAL;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	return base64_decode(out, text, len - pad, false);
}

int ddb_base64url_decode(struct ddb_buf *out, const char *text, size_t len)
{
	return base64_decode(out, text, len, true);
}
