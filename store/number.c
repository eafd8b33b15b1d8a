/*
 * number.c - DynamoDB numbers as exact decimal text.
 *
 * Input is parsed into sign, significant digits d1..dn (d1 != 0, dn != 0)
 * and exponent E with value = 0.d1..dn x 10^E, never through a double.
 * Invariant: everything this file emits is canonical (number.h), so equal
 * numbers have equal bytes and ddb_number_cmp can work on the text alone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "number.h"

#define NUMBER_E_MIN (-129)
#define NUMBER_E_MAX 126
/* Exponents are clamped here: far outside the range yet far from overflow. */
#define NUMBER_EXP_CLAMP 1000000000000000LL
#define NUMBER_SHOW_MAX 40

struct number {
	bool neg;
	int ndigits;
	int64_t exp;
	char digits[DDB_NUMBER_MAX_DIGITS];
};

/* The state of a scan over the mantissa, digit by digit. */
struct mantissa {
	size_t ndigits; /* all digits seen */
	size_t nint;	/* digits before the point */
	size_t nlead;	/* zeros before the first non-zero digit */
	size_t nzeros;	/* zeros after the last non-zero digit, not yet kept */
	bool too_many;
};

/* Writes text into show[] for a sentence: at most 40 bytes, unprintables as \xHH. */
static const char *number_show(const char *text, size_t len, char show[static 200])
{
	size_t i, n = 0;

	for (i = 0; i < len && i < NUMBER_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)text[i];

		if (isprint(c) && c != '"' && c != '\\') {
			show[n++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			show[n++] = '\\';
			show[n++] = 'x';
			show[n++] = hex[c >> 4];
			show[n++] = hex[c & 15];
		}
	}
	if (i < len) {
		memcpy(show + n, "...", 3);
		n += 3;
	}
	show[n] = '\0';
	return show;
}

static int number_malformed(const char *text, size_t len, struct ddb_err *err)
{
	char show[200];

	return ddb_err_set(err, EINVAL, "\"%s\" is not a number", number_show(text, len, show));
}

static void mantissa_digit(struct mantissa *m, struct number *num, char c)
{
	m->ndigits++;
	if (c == '0') {
		if (num->ndigits == 0)
			m->nlead++;
		else
			m->nzeros++;
		return;
	}
	/* Zeros between significant digits are significant: keep them now. */
	if ((size_t)num->ndigits + m->nzeros + 1 > DDB_NUMBER_MAX_DIGITS) {
		m->too_many = true;
		m->nzeros = 0;
		return;
	}
	while (m->nzeros) {
		num->digits[num->ndigits++] = '0';
		m->nzeros--;
	}
	num->digits[num->ndigits++] = c;
}

/* Reads the exponent digits at text[*i..len), clamping its magnitude. */
static bool number_parse_exp(const char *text, size_t len, size_t *i, int64_t *out)
{
	bool neg = false;
	int64_t e = 0;
	size_t start;

	if (*i < len && (text[*i] == '+' || text[*i] == '-'))
		neg = text[(*i)++] == '-';
	start = *i;
	while (*i < len && text[*i] >= '0' && text[*i] <= '9') {
		if (e < NUMBER_EXP_CLAMP)
			e = e * 10 + (text[*i] - '0');
		(*i)++;
	}
	if (*i == start)
		return false;
	*out = neg ? -e : e;
	return true;
}

static int number_parse(const char *text, size_t len, struct number *num, struct ddb_err *err)
{
	struct mantissa m = {0};
	bool point = false;
	int64_t exp = 0;
	size_t i = 0;
	char show[200];

	memset(num, 0, sizeof(*num));
	if (len > (size_t)NUMBER_EXP_CLAMP)
		return number_malformed(text, len, err);
	if (i < len && (text[i] == '+' || text[i] == '-'))
		num->neg = text[i++] == '-';
	for (; i < len; i++) {
		if (text[i] >= '0' && text[i] <= '9') {
			mantissa_digit(&m, num, text[i]);
			if (!point)
				m.nint++;
		} else if (text[i] == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	if (m.ndigits == 0)
		return number_malformed(text, len, err);
	if (i < len && (text[i] == 'e' || text[i] == 'E')) {
		i++;
		if (!number_parse_exp(text, len, &i, &exp))
			return number_malformed(text, len, err);
	}
	if (i != len)
		return number_malformed(text, len, err);
	if (m.too_many)
		return ddb_err_set(err, EINVAL, "number %s has more than %d significant digits",
				   number_show(text, len, show), DDB_NUMBER_MAX_DIGITS);
	if (num->ndigits == 0) {
		num->neg = false;
		return 0;
	}
	num->exp = (int64_t)m.nint - (int64_t)m.nlead + exp;
	if (num->exp < NUMBER_E_MIN || num->exp > NUMBER_E_MAX)
		return ddb_err_set(err, EINVAL, "number %s is out of range",
				   number_show(text, len, show));
	return 0;
}

/* Renders num canonically into text[]; returns the length. */
static size_t number_render(const struct number *num, char text[static DDB_NUMBER_TEXT_MAX])
{
	int e = (int)num->exp, n = num->ndigits;
	size_t len = 0;

	if (n == 0) {
		text[0] = '0';
		return 1;
	}
	if (num->neg)
		text[len++] = '-';
	if (e <= 0) {
		text[len++] = '0';
		text[len++] = '.';
		memset(text + len, '0', (size_t)-e);
		len += (size_t)-e;
		memcpy(text + len, num->digits, (size_t)n);
		return len + (size_t)n;
	}
	if (e < n) {
		memcpy(text + len, num->digits, (size_t)e);
		len += (size_t)e;
		text[len++] = '.';
		memcpy(text + len, num->digits + e, (size_t)(n - e));
		return len + (size_t)(n - e);
	}
	memcpy(text + len, num->digits, (size_t)n);
	len += (size_t)n;
	memset(text + len, '0', (size_t)(e - n));
	return len + (size_t)(e - n);
}

int ddb_number_canon(const char *text, size_t len, struct ddb_buf *out, struct ddb_err *err)
{
	char canon[DDB_NUMBER_TEXT_MAX];
	struct number num;
	int rc;

	rc = number_parse(text, len, &num, err);
	if (rc)
		return rc;
	return ddb_buf_add(out, canon, number_render(&num, canon));
}

/* -1, 0 or 1: the sign of a canonical number. */
static int number_sign(const char *s, size_t len)
{
	if (len && s[0] == '-')
		return -1;
	return len == 1 && s[0] == '0' ? 0 : 1;
}

/* Number of integer digits of a canonical magnitude; "0" has none. */
static size_t number_int_digits(const char *s, size_t len, const char *point)
{
	size_t n = point ? (size_t)(point - s) : len;

	return n == 1 && s[0] == '0' ? 0 : n;
}

/* Compares the magnitudes of two canonical numbers of the same sign, sign stripped. */
static int number_cmp_abs(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ap = memchr(a, '.', alen), *bp = memchr(b, '.', blen);
	size_t ai = number_int_digits(a, alen, ap), bi = number_int_digits(b, blen, bp);
	size_t af = ap ? alen - (size_t)(ap - a) - 1 : 0, bf = bp ? blen - (size_t)(bp - b) - 1 : 0;
	int c;

	if (ai != bi)
		return ai < bi ? -1 : 1;
	c = memcmp(a, b, ai);
	if (c)
		return c;
	c = af && bf ? memcmp(ap + 1, bp + 1, af < bf ? af : bf) : 0;
	if (c)
		return c;
	/* No trailing zeros: the longer fraction has a non-zero digit more. */
	return af < bf ? -1 : af > bf;
}

int ddb_number_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int sa = number_sign(a, alen), sb = number_sign(b, blen), c;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	if (sa < 0)
		c = number_cmp_abs(b + 1, blen - 1, a + 1, alen - 1);
	else
		c = number_cmp_abs(a, alen, b, blen);
	return c < 0 ? -1 : c > 0;
}

size_t ddb_number_size(const char *canon, size_t len)
{
	size_t i = 0, sig = 0, run = 0;
	bool started = false;

	for (; i < len; i++) {
		char c = canon[i];

		if (c < '0' || c > '9')
			continue;
		if (c != '0')
			started = true;
		if (!started)
			continue;
		/* Zeros count only once a non-zero digit follows them. */
		run++;
		if (c != '0') {
			sig += run;
			run = 0;
		}
	}
	return (sig + 1) / 2 + 1;
}
