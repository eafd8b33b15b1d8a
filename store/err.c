/*
 * err.c - recording a failure's errno and sentence.  The first failure
 * recorded wins, so the innermost, most precise sentence survives callers
 * that add their own.
 */
#include <stdio.h>
#include <string.h>
#include "err.h"

int ddb_err_vset(struct ddb_err *err, int code, const char *fmt, va_list ap)
{
	if (err && !err->code) {
		err->code = code;
		vsnprintf(err->text, sizeof(err->text), fmt, ap);
	}
	return -code;
}

int ddb_err_set(struct ddb_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ddb_err_vset(err, code, fmt, ap);
	va_end(ap);
	return -code;
}

void ddb_err_prefix(struct ddb_err *err, const char *fmt, ...)
{
	char tail[DDB_ERR_TEXT_MAX];
	va_list ap;
	int n;

	if (!err || !err->code)
		return;
	memcpy(tail, err->text, sizeof(tail));
	va_start(ap, fmt);
	n = vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(err->text) - 2)
		return;
	/* Truncation of the old sentence is fine: its start says the most. */
	memcpy(err->text + n, ": ", 2);
	memcpy(err->text + n + 2, tail, sizeof(err->text) - (size_t)n - 3);
	err->text[sizeof(err->text) - 1] = '\0';
}

void ddb_err_clear(struct ddb_err *err)
{
	if (err) {
		err->code = 0;
		err->text[0] = '\0';
	}
}
