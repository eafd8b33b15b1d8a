/*
 * canon.h - an item's attributes in canonical form (canon.c).
 */
#ifndef DDB_STORE_CANON_H
#define DDB_STORE_CANON_H

#include <jansson.h>
#include "err.h"

/*
 * Checks every attribute of doc (name -> {"<type>": value}) against SPEC
 * section 4 and makes each value canonical, in place; *attrs is then doc
 * with a reference of its own.  On failure err holds the sentence.
 */
int ddb_canon_item(json_t *doc, json_t **attrs, struct ddb_err *err);

#endif
