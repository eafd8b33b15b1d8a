/*
 * jsonfast.h - a quick loader for the JSON users write as items, building
 * the very tree jansson's would, or declining.
 *
 * jansson reads a byte at a time through a stream and copies each string
 * byte by byte: for a typical 300-byte item that was a tenth of a create's
 * CPU.  This loader takes what items are made of (objects, arrays, strings,
 * true, false, null) and declines everything else: numbers, a \u escape it
 * would have to judge (a lone surrogate, U+0000 in a key), invalid UTF-8,
 * control characters, duplicate keys, deep nesting, anything malformed.
 * A declined text goes to jansson, which accepts or refuses it with its own
 * sentence, so no text is judged differently: what this accepts jansson
 * accepts, into an equal tree with keys in the same order
 * (tests/fuzz/fuzz_json.c holds it to that).
 */
#ifndef DDB_JSONFAST_H
#define DDB_JSONFAST_H

#include <stddef.h>
#include <jansson.h>

/*
 * Loads text[0..len) as jansson's json_loadb(text, len, flags) would, for
 * flags of JSON_REJECT_DUPLICATES and JSON_ALLOW_NUL only.  Returns 0 and
 * *out, 1 if it declines (*out NULL: ask jansson), or -ENOMEM.
 */
int ddb_jsonfast_load(const char *text, size_t len, size_t flags, json_t **out);

#endif
