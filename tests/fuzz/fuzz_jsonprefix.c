/*
 * fuzz_jsonprefix.c - libFuzzer target: the write-time JSON check
 * (store/jsonprefix.h), against jansson, which parses the item once whole.
 *
 * Invariants:
 * - how the bytes arrive does not matter: all at once, one at a time, or in
 *   two pieces split anywhere give the same answer, the same sentence (with
 *   the same byte offset) and the same completeness;
 * - "complete" is exactly jansson's verdict on the whole text (any value at
 *   top level, NUL allowed in strings), except where jansson refuses for
 *   reasons that are not syntax (a number too big for it, U+0000 in an
 *   object key), where nesting passes DDB_JSONPREFIX_MAX_DEPTH, which only
 *   this check refuses, and where jansson ignores a NUL byte after a
 *   top-level scalar ("0\0"), which no JSON holds;
 * - a refusal is -EINVAL with a sentence.
 * Together these say that a write is refused as soon as no JSON can start
 * with it, and never earlier, whatever the write sizes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include "fuzz.h"
#include "jsonprefix.h"

struct verdict {
	int rc;
	bool complete;
	struct ddb_err err;
};

/* Feeds data in pieces of at most step bytes (0: all at once). */
static void feed(const uint8_t *data, size_t size, size_t step, struct verdict *v)
{
	struct ddb_jsonprefix p;
	size_t off = 0, n;

	ddb_jsonprefix_init(&p);
	memset(v, 0, sizeof(*v));
	do {
		n = step && size - off > step ? step : size - off;
		v->rc = ddb_jsonprefix_feed(&p, data + off, n, &v->err);
		off += n;
	} while (!v->rc && off < size);
	v->complete = !v->rc && ddb_jsonprefix_complete(&p);
}

/* Whole, then the same bytes in two pieces split at cut. */
static void feed_split(const uint8_t *data, size_t size, size_t cut, struct verdict *v)
{
	struct ddb_jsonprefix p;

	ddb_jsonprefix_init(&p);
	memset(v, 0, sizeof(*v));
	v->rc = ddb_jsonprefix_feed(&p, data, cut, &v->err);
	if (!v->rc)
		v->rc = ddb_jsonprefix_feed(&p, data + cut, size - cut, &v->err);
	v->complete = !v->rc && ddb_jsonprefix_complete(&p);
}

static void check_same(const struct verdict *a, const struct verdict *b)
{
	FUZZ_CHECK(a->rc == b->rc);
	FUZZ_CHECK(a->complete == b->complete);
	FUZZ_CHECK(!strcmp(a->err.text, b->err.text));
}

static bool too_deep(const struct verdict *v)
{
	return v->rc && strstr(v->err.text, "nesting too deep");
}

static void check_against_jansson(const uint8_t *data, size_t size, const struct verdict *v)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (doc) {
		json_decref(doc);
		/* jansson takes "0\0" and "true\0" whole; a raw NUL is never JSON. */
		if (!too_deep(v) && !memchr(data, '\0', size)) {
			if (!v->complete)
				fprintf(stderr, "fuzz_jsonprefix: jansson accepts, we say: %s\n",
					v->rc ? v->err.text : "unfinished");
			FUZZ_CHECK(v->complete);
		}
		return;
	}
	switch (json_error_code(&jerr)) {
	case json_error_numeric_overflow:
	case json_error_null_byte_in_key:
		return;
	default:
		if (v->complete)
			fprintf(stderr, "fuzz_jsonprefix: we accept, jansson says: %s\n",
				jerr.text);
		FUZZ_CHECK(!v->complete);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict whole, bytes, split;

	feed(data, size, 0, &whole);
	if (whole.rc) {
		FUZZ_CHECK(whole.rc == -EINVAL);
		FUZZ_CHECK(whole.err.code == EINVAL && whole.err.text[0] != '\0');
	}
	feed(data, size, 1, &bytes);
	check_same(&whole, &bytes);
	feed_split(data, size, size ? data[0] % (size + 1) : 0, &split);
	check_same(&whole, &split);
	check_against_jansson(data, size, &whole);
	return 0;
}
