/*
 * jsonprefix.h - is this text the beginning of some valid JSON document?
 *
 * Writes arrive in pieces; a piece that makes the text impossible to complete
 * as JSON (malformed, as opposed to merely unfinished) must fail the write()
 * itself, so even bash's `echo oops > item` reports it.  This is a byte-at-a-
 * time recogniser of RFC 8259 syntax for one value surrounded by optional
 * whitespace, with no memory beyond a nesting stack.
 */
#ifndef DDB_JSONPREFIX_H
#define DDB_JSONPREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

#define DDB_JSONPREFIX_MAX_DEPTH 128

struct ddb_jsonprefix {
	int state;
	int sub;			/* progress inside a literal, escape, number */
	unsigned depth;
	unsigned char stack[DDB_JSONPREFIX_MAX_DEPTH]; /* '{' or '[' */
	size_t offset;			/* bytes consumed so far */
	bool complete;			/* a whole value has been seen */
};

void ddb_jsonprefix_init(struct ddb_jsonprefix *p);

/*
 * Feeds more bytes.  Returns 0 while the text so far can still become (or
 * already is) a valid document, -EINVAL as soon as it cannot; err then says
 * what and at which byte offset ("invalid JSON at byte 3: unexpected 'o'").
 * Nesting deeper than DDB_JSONPREFIX_MAX_DEPTH is -EINVAL too.  After an
 * error the state is undefined: init again.
 */
int ddb_jsonprefix_feed(struct ddb_jsonprefix *p, const void *data, size_t len,
			struct ddb_err *err);

/* True when the bytes fed so far form one complete value (plus whitespace). */
bool ddb_jsonprefix_complete(const struct ddb_jsonprefix *p);

#endif
