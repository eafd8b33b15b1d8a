/*
 * utf8.h - the UTF-8 that DynamoDB and jansson accept: no overlong forms, no
 * encoded surrogates, nothing above U+10FFFF.  Pure functions, no state, so a
 * whole-buffer check and a byte-at-a-time recogniser judge bytes alike.
 */
#ifndef DDB_UTF8_H
#define DDB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The range of a continuation byte after the first one of a sequence. */
#define DDB_UTF8_CONT_LO 0x80
#define DDB_UTF8_CONT_HI 0xbf

/*
 * Judges c as the lead byte of a multi-byte sequence: returns how many
 * continuation bytes follow (1 to 3) and sets *lo and *hi to the range the
 * first of them must fall in, or returns 0 (leaving *lo and *hi alone) if c
 * cannot lead one: ASCII, a continuation byte, 0xc0, 0xc1 or 0xf5 and above.
 */
int ddb_utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi);

/* True if s[0..len) is entirely valid UTF-8 (NUL bytes included). */
bool ddb_utf8_valid(const void *s, size_t len);

#endif
