/*
 * buf.h - a growable byte buffer, always NUL-terminated (like git's strbuf).
 *
 * data is NULL until the first append; after any successful append
 * data[len] == '\0'.  Appends return 0 or -ENOMEM and leave the buffer
 * unchanged on failure.
 */
#ifndef DDB_BUF_H
#define DDB_BUF_H

#include <stddef.h>

struct ddb_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define DDB_BUF_INIT { NULL, 0, 0 }

int ddb_buf_grow(struct ddb_buf *b, size_t extra);
int ddb_buf_add(struct ddb_buf *b, const void *data, size_t len);
int ddb_buf_addstr(struct ddb_buf *b, const char *s);
int ddb_buf_addch(struct ddb_buf *b, char c);
int ddb_buf_addf(struct ddb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets len (shrinking, or growing with zero bytes). */
int ddb_buf_setlen(struct ddb_buf *b, size_t len);
/* Empties the buffer but keeps its memory. */
void ddb_buf_reset(struct ddb_buf *b);
/* Frees the memory; the buffer is DDB_BUF_INIT again. */
void ddb_buf_release(struct ddb_buf *b);
/* Hands the memory to the caller (free() it); the buffer is DDB_BUF_INIT again. */
char *ddb_buf_detach(struct ddb_buf *b, size_t *len);

#endif
