/*
 * jsonout.h - JSON text of jansson values, byte for byte as
 * json_dumps(value, JSON_SORT_KEYS | JSON_ENCODE_ANY) prints it.
 *
 * Canonical item text (item.h) is on-disk format: stored items, backups and
 * rsync's no-change run compare its bytes, and it was first printed by
 * jansson.  jansson's printer costs a callback per token and a key sort per
 * one-key object, which was a third of a create's item work, so items are
 * printed here instead; tests/unit/test_store_jsonout.c holds the two
 * printers to the same bytes.
 *
 * What jansson prints: ", " between members and ": " after a key; object
 * keys sorted by strcmp(); in strings '"' and '\\' escaped, \b \f \n \r \t
 * as such, other bytes below 0x20 as \u00XX (upper-case hex), everything
 * else (UTF-8 included) as it is.
 */
#ifndef DDB_JSONOUT_H
#define DDB_JSONOUT_H

#include <stddef.h>
#include <jansson.h>
#include "buf.h"

/* Appends s[0..len) as a JSON string.  0 or -ENOMEM. */
int ddb_jsonout_string(struct ddb_buf *out, const char *s, size_t len);

/* Appends v's JSON text.  0 or -ENOMEM. */
int ddb_jsonout_value(struct ddb_buf *out, const json_t *v);

/* A member of an object, borrowed from it. */
struct ddb_json_member {
	const char *key;
	const json_t *value;
};

/*
 * obj's members in printing order (keys by strcmp), in room when its room_n
 * entries suffice, else in an array to free().  Returns the array and sets
 * *n, or NULL when out of memory.
 */
struct ddb_json_member *ddb_jsonout_members(const json_t *obj, struct ddb_json_member *room,
					    size_t room_n, size_t *n);

#endif
