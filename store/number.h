/*
 * number.h - DynamoDB numbers, exactly, as decimal text.
 *
 * DynamoDB numbers have at most 38 significant digits and a magnitude of
 * zero or between 1E-130 and 9.9999999999999999999999999999999999999E+125.
 * They never pass through a double: they are parsed from text and kept as
 * canonical text.  Canonical form: optional '-', no exponent, no leading
 * zeros (except the single "0" before a point), no trailing zeros after the
 * point, no trailing point, and zero is "0" (so "-0", "0.0" and "0e5" are
 * "0").  Examples: "1e3" -> "1000", "01000.0" -> "1000", "-1.50" -> "-1.5",
 * "1E-3" -> "0.001", ".5" -> "0.5", "+7" -> "7".
 *
 * Accepted input: optional sign ('+' or '-'), digits with at most one '.',
 * at least one digit, optional exponent ('e' or 'E', optional sign, at least
 * one digit).  Leading/trailing spaces, "NaN", "Infinity", hex and empty
 * strings are refused.
 */
#ifndef DDB_NUMBER_H
#define DDB_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "err.h"

#define DDB_NUMBER_MAX_DIGITS 38
#define DDB_NUMBER_TEXT_MAX 192	/* longest canonical text, with room to spare */

/*
 * Appends the canonical form of text[0..len) to out.
 * Returns 0, -EINVAL (malformed, too many significant digits, out of range;
 * err says which), or -ENOMEM.
 */
int ddb_number_canon(const char *text, size_t len, struct ddb_buf *out, struct ddb_err *err);

/* Compares two canonical numbers numerically: <0, 0, >0. */
int ddb_number_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* DynamoDB's storage size of a canonical number: (significant digits + 1) / 2 + 1 bytes. */
size_t ddb_number_size(const char *canon, size_t len);

#endif
