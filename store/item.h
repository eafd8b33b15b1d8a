/*
 * item.h - DynamoDB JSON items: validation and canonical text.
 *
 * An item is checked against every rule of SPEC section 4 and rendered once,
 * canonically, at write time; the store keeps that text so reads are served
 * from LMDB's map without parsing.  Canonical text: one attribute per line,
 * sorted by name (bytewise), each value in compact typed form:
 *
 *   {
 *     "PublishYear": {"N": "1851"},
 *     "Title": {"S": "Moby Dick"}
 *   }
 *
 * i.e. "{\n", then per attribute two spaces, the JSON string of the name,
 * ": ", the value as jansson's json_dumps(JSON_SORT_KEYS) prints it (", " and
 * ": " separators, non-ASCII kept as UTF-8, "/" not escaped), ",\n" between
 * attributes and "\n" after the last, then "}\n".  Inside values: numbers
 * canonical (number.h); B and BS as standard padded base64 of the bytes;
 * SS sorted bytewise, NS numerically, BS by bytes; maps sorted by key.
 *
 * Rules (each violation is -EINVAL with a sentence naming the attribute path,
 * e.g. `attribute "Tags": string set has a duplicate "x"`):
 * the document is a JSON object of attribute name -> typed value; a typed
 * value is an object with exactly one of S N B BOOL NULL SS NS BS L M; S is a
 * string, N a string holding a valid number, B a string of valid base64,
 * BOOL true/false, NULL true, SS/NS/BS non-empty arrays without duplicates
 * (NS duplicates compared after canonicalisation), L an array of typed
 * values, M an object of name -> typed value; attribute names non-empty;
 * L/M nested at most 32 deep; key attributes (table and index keys, as
 * declared in the schema) of the declared type and non-empty; partition key
 * at most 2048 bytes, sort key at most 1024 (S: UTF-8 bytes, B: raw bytes,
 * N: any valid number).  Strings must be valid UTF-8.  Duplicate names in
 * one object are invalid JSON.  An item larger than 400 KB (409600 bytes,
 * DynamoDB's count: attribute names plus values, recursively) is -EFBIG.
 */
#ifndef DDB_ITEM_H
#define DDB_ITEM_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "keycodec.h"
#include "buf.h"
#include "schema.h"

#define DDB_ITEM_SIZE_MAX 409600
#define DDB_PK_MAX 2048
#define DDB_SK_MAX 1024
#define DDB_NESTING_MAX 32

struct ddb_item;

/*
 * Parses text[0..len) as a DynamoDB JSON item of a table with schema s.
 * The path wins: the table's key attributes are set from pk and sk (sk is
 * NULL for a hash-only table), replacing whatever the text held for them.
 * Empty text (len 0, or only whitespace) is the item with only its key
 * attributes (what `touch` of a new name makes).
 * Returns 0 and *out (free with ddb_item_free), -EINVAL or -EFBIG with err,
 * or -ENOMEM.
 */
int ddb_item_parse(const char *text, size_t len, const struct ddb_schema *s,
		   const struct ddb_key *pk, const struct ddb_key *sk,
		   struct ddb_item **out, struct ddb_err *err);
void ddb_item_free(struct ddb_item *item);

/* The canonical text; lives as long as the item. */
const char *ddb_item_text(const struct ddb_item *item, size_t *len);

/* DynamoDB's size of the item, in bytes. */
size_t ddb_item_size(const struct ddb_item *item);

/*
 * The value of attribute name if it is a scalar of the given key type
 * (for index keys).  Returns 0 and *out (bytes borrowed from the item; B
 * decoded, N canonical), or -ENOENT if absent.  Types were checked at parse.
 */
int ddb_item_key_attr(const struct ddb_item *item, const char *name, enum ddb_type type,
		      struct ddb_key *out);

/*
 * The same from an item's canonical text (as ddb_item_text gave it), with
 * the value's bytes kept in *mem.  Returns 0, -ENOENT if absent, -EINVAL if
 * present with another type, -EIO if the text is not canonical, -ENOMEM.
 */
int ddb_item_text_key_attr(const char *text, size_t len, const char *name, enum ddb_type type,
			   struct ddb_buf *mem, struct ddb_key *out);

/*
 * Checks a key value against SPEC's rules for a key of the given role
 * (non-empty, S valid UTF-8, length limits); used for keys taken from paths.
 * is_sort selects the 1024-byte limit.  Returns 0 or -EINVAL with err.
 */
int ddb_key_check(const struct ddb_key *k, bool is_sort, struct ddb_err *err);

#endif
