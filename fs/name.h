/*
 * name.h - key values as file names and back (SPEC section 3).
 *
 * S: the UTF-8 string with '%' -> "%25", '/' -> "%2F" and a leading '.' ->
 *    "%2E"; nothing else escaped.
 * N: the canonical decimal text; any equal form ("1e3", "01000.0") parses.
 * B: unpadded base64url of the bytes.
 *
 * A name is a key exactly when it decodes and, for S and B, encodes back to
 * itself ("%41", "%2f", "a%2Eb" and ".x" are not keys of an S table): such
 * names are ordinary scratch files (tools' temporaries, dot-files).  Names
 * are at most 255 bytes.
 */
#ifndef DDB_NAME_H
#define DDB_NAME_H

#include "buf.h"
#include "err.h"
#include "keycodec.h"

#define DDB_FILE_NAME_MAX 255

/*
 * Appends the name of k.  Returns 0, -ENAMETOOLONG (over 255 bytes), -EINVAL
 * for a key no name can carry (empty, or an S key holding a NUL byte: such
 * keys are only reachable through future APIs and readdir skips them),
 * -ENOMEM.
 */
int ddb_name_from_key(struct ddb_buf *out, const struct ddb_key *k);

/*
 * Reads name as a key of type t.  The key's bytes are kept in *storage
 * (reset first), which must outlive *out.  Returns 0; -ENAMETOOLONG (with
 * err); -EINVAL with err when the name is not a key of that type (not valid UTF-8, a
 * non-canonical escape, not a number, number out of range, not base64url,
 * empty); -ENOMEM.
 */
int ddb_name_to_key(const char *name, enum ddb_type t, struct ddb_buf *storage,
		    struct ddb_key *out, struct ddb_err *err);

#endif
