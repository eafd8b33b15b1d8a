/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz share.
 *
 * FUZZ_CHECK(cond) states an invariant: when it does not hold it prints the
 * condition and where, then aborts, which libFuzzer reports as a crash and
 * saves the input.  Not assert(): it must hold in every build type.
 */
#ifndef DDB_FUZZ_H
#define DDB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/* The sign of a comparison result: -1, 0 or 1. */
static inline int fuzz_sign(int c)
{
	return (c > 0) - (c < 0);
}

/* memcmp order of two byte strings, a shorter prefix first (LMDB's key order). */
static inline int fuzz_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return fuzz_sign(c);
	return (alen > blen) - (alen < blen);
}

static inline int fuzz_bytes_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

#endif
