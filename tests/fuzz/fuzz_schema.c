/*
 * fuzz_schema.c - libFuzzer target: the create-table parser (store/schema.h),
 * which also reads every .schema a restore (rsync, tar, cp) writes.
 *
 * Invariants for any bytes:
 * - a refusal is -EINVAL with a sentence;
 * - an accepted schema's normalised JSON parses again to the same JSON, so
 *   does its describe-table answer, and it may replace itself
 *   (ddb_schema_check_update), as rewriting an unchanged .schema does.
 */
#include <errno.h>
#include "buf.h"
#include "fuzz.h"
#include "schema.h"

#define NOW 1795278319123LL

/* parse(text) must succeed and normalise to exactly want. */
static void check_reparse(const char *text, size_t len, const struct ddb_buf *want)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf again = DDB_BUF_INIT;
	struct ddb_schema *s = NULL;

	FUZZ_CHECK(ddb_schema_parse(text, len, "Books", NOW + 1, &s, &err) == 0);
	FUZZ_CHECK(ddb_schema_to_json(s, &again) == 0);
	FUZZ_CHECK(fuzz_bytes_eq(again.data, again.len, want->data, want->len));
	ddb_buf_release(&again);
	ddb_schema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf norm = DDB_BUF_INIT, desc = DDB_BUF_INIT;
	struct ddb_schema *s = NULL;
	int rc = ddb_schema_parse((const char *)data, size, "Books", NOW, &s, &err);

	if (rc) {
		FUZZ_CHECK(rc == -EINVAL && err.code == EINVAL && err.text[0]);
		FUZZ_CHECK(s == NULL);
		return 0;
	}
	FUZZ_CHECK(ddb_schema_to_json(s, &norm) == 0);
	FUZZ_CHECK(ddb_schema_describe(s, "Books", NULL, &desc) == 0);
	FUZZ_CHECK(ddb_schema_check_update(s, s, &err) == 0);
	/* The normalised JSON carries CreationDateTime, so a later parse keeps it. */
	check_reparse(norm.data, norm.len, &norm);
	check_reparse(desc.data, desc.len, &norm);
	ddb_buf_release(&norm);
	ddb_buf_release(&desc);
	ddb_schema_free(s);
	return 0;
}
