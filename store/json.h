/*
 * json.h - jansson's loader with the one gap ddbfs cannot accept closed.
 *
 * jansson skips a NUL byte right after a literal or a number ("true\0}"),
 * so text that is not JSON would be stored as if it were.  Every document
 * ddbfs takes from a user (items, schemas) is loaded through here.
 */
#ifndef DDB_JSON_H
#define DDB_JSON_H

#include <stddef.h>
#include <jansson.h>
#include "err.h"

/*
 * Parses text (len bytes, not NUL-terminated) with jansson's flags into
 * *out.  Returns 0, or -EINVAL with the position of the first fault, or
 * -ENOMEM.
 */
int ddb_json_load(const char *text, size_t len, size_t flags, json_t **out,
		  struct ddb_err *err);

#endif
