/*
 * buf.c - growable byte buffer.  Invariant: data is NULL or data[len] == 0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

int ddb_buf_grow(struct ddb_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	if (!b->data)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int ddb_buf_add(struct ddb_buf *b, const void *data, size_t len)
{
	int rc = ddb_buf_grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int ddb_buf_addstr(struct ddb_buf *b, const char *s)
{
	return ddb_buf_add(b, s, strlen(s));
}

int ddb_buf_addch(struct ddb_buf *b, char c)
{
	return ddb_buf_add(b, &c, 1);
}

int ddb_buf_addf(struct ddb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = ddb_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int ddb_buf_setlen(struct ddb_buf *b, size_t len)
{
	if (len > b->len) {
		int rc = ddb_buf_grow(b, len - b->len);

		if (rc)
			return rc;
		memset(b->data + b->len, 0, len - b->len);
	}
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
	return 0;
}

void ddb_buf_reset(struct ddb_buf *b)
{
	ddb_buf_setlen(b, 0);
}

void ddb_buf_release(struct ddb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *ddb_buf_detach(struct ddb_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
