/*
 * json.c - jansson's loader, refusing raw NUL bytes (see json.h).
 */
#include <errno.h>
#include <string.h>
#include "json.h"
#include "jsonfast.h"

int ddb_json_load(const char *text, size_t len, size_t flags, json_t **out,
		  struct ddb_err *err)
{
	/* JSON has no raw NUL anywhere; a NUL in a string is written \u0000. */
	const char *nul = memchr(text, '\0', len);
	json_error_t jerr;
	int rc;

	*out = NULL;
	if (nul)
		return ddb_err_set(err, EINVAL, "invalid JSON at byte %zu: unexpected byte 0x00",
				   (size_t)(nul - text));
	/* What items are made of is read quickly; anything else, jansson judges. */
	rc = ddb_jsonfast_load(text, len, flags, out);
	if (rc <= 0)
		return rc ? ddb_err_set(err, ENOMEM, "out of memory") : 0;
	*out = json_loadb(text, len, flags, &jerr);
	if (*out)
		return 0;
	if (json_error_code(&jerr) == json_error_out_of_memory)
		return ddb_err_set(err, ENOMEM, "out of memory");
	return ddb_err_set(err, EINVAL, "invalid JSON at line %d, column %d: %s", jerr.line,
			   jerr.column, jerr.text);
}
