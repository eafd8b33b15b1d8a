/*
 * utf8.c - UTF-8 validation (RFC 3629).  The lead byte alone fixes the
 * sequence's length and narrows its second byte's range, which is what rules
 * out overlong forms, surrogates and code points above U+10FFFF.
 */
#include "utf8.h"

int ddb_utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	int more;

	if (c >= 0xc2 && c <= 0xdf)
		more = 1;
	else if (c >= 0xe0 && c <= 0xef)
		more = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		more = 3;
	else
		return 0;
	*lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : DDB_UTF8_CONT_LO;
	*hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : DDB_UTF8_CONT_HI;
	return more;
}

bool ddb_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	unsigned char lo, hi;
	size_t i = 0;
	int more;

	while (i < len) {
		unsigned char c = p[i++];

		if (c < 0x80)
			continue;
		more = ddb_utf8_lead(c, &lo, &hi);
		if (!more)
			return false;
		for (; more; more--, lo = DDB_UTF8_CONT_LO, hi = DDB_UTF8_CONT_HI)
			if (i >= len || p[i] < lo || p[i++] > hi)
				return false;
	}
	return true;
}
