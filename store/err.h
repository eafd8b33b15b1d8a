/*
 * err.h - an errno for the kernel plus a sentence for the user.
 *
 * Anything that judges user input takes a struct ddb_err * as its last
 * argument and, on failure, fills it in: code is the positive errno, text a
 * lower-case sentence without a full stop that names what failed first, e.g.
 * `attribute "year": number 1e999 is out of range`.  The FUSE layer adds the
 * path, logs it and appends it to .errors.  err may be NULL everywhere.
 */
#ifndef DDB_ERR_H
#define DDB_ERR_H

#include <stdarg.h>

#define DDB_ERR_TEXT_MAX 512

struct ddb_err {
	int code;			/* positive errno, 0 when unset */
	char text[DDB_ERR_TEXT_MAX];
};

#define DDB_ERR_INIT { 0, { 0 } }

/*
 * Records the failure and returns -code, so a caller can write
 * `return ddb_err_set(err, EINVAL, "...", ...);`.  The first failure wins:
 * an err already set is left alone, keeping the most precise sentence.
 */
int ddb_err_set(struct ddb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ddb_err_vset(struct ddb_err *err, int code, const char *fmt, va_list ap);

/* Prefixes the sentence with "what: " (e.g. an attribute path); no-op if unset. */
void ddb_err_prefix(struct ddb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void ddb_err_clear(struct ddb_err *err);

#endif
