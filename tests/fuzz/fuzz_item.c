/*
 * fuzz_item.c - libFuzzer target: the item validator and canonicaliser
 * (store/item.h), on any bytes written to an item file.
 *
 * Each input is parsed as an item of four tables: hash-only with an S key;
 * S hash and N range; the same plus a GSI on S/S, a GSI on B and an LSI on N
 * (the unit tests' schema); B hash and S range.  Invariants:
 * - a refusal is -EINVAL or -EFBIG, with that code and a sentence in err;
 * - an accepted item's text is canonical: it parses again, under the same
 *   schema and path, to the very same bytes and size (idempotence);
 * - ddb_item_text's length is the text's length ("{\n" ... "}\n", no NUL);
 * - the table key attributes read back as the keys the path gave, and
 *   every key attribute reads back from the text alone as from the item
 *   (ddb_item_text_key_attr, what the index layer uses);
 * - the write-time check (jsonprefix) never refuses what the item layer
 *   accepts, input or canonical text.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "fuzz.h"
#include "item.h"
#include "jsonprefix.h"
#include "schema.h"

struct table {
	const char *name;
	const char *schema;
	struct ddb_key pk;
	struct ddb_key sk; /* type 0: hash-only */
	struct ddb_schema *s;
};

static struct table tables[] = {
    {"Carts",
     "{\"KeySchema\": [{\"AttributeName\": \"Id\", \"KeyType\": \"HASH\"}],"
     " \"AttributeDefinitions\": [{\"AttributeName\": \"Id\", \"AttributeType\": \"S\"}]}",
     {DDB_TYPE_S, "k1", 2},
     {0, NULL, 0},
     NULL},
    {"Books",
     "{\"KeySchema\": [{\"AttributeName\": \"Title\", \"KeyType\": \"HASH\"},"
     "  {\"AttributeName\": \"Year\", \"KeyType\": \"RANGE\"}],"
     " \"AttributeDefinitions\": [{\"AttributeName\": \"Title\", \"AttributeType\": \"S\"},"
     "  {\"AttributeName\": \"Year\", \"AttributeType\": \"N\"}]}",
     {DDB_TYPE_S, "Moby Dick", 9},
     {DDB_TYPE_N, "1851", 4},
     NULL},
    {"Indexed",
     "{\"AttributeDefinitions\": ["
     " {\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},"
     " {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"},"
     " {\"AttributeName\": \"gk\", \"AttributeType\": \"S\"},"
     " {\"AttributeName\": \"gr\", \"AttributeType\": \"S\"},"
     " {\"AttributeName\": \"gb\", \"AttributeType\": \"B\"},"
     " {\"AttributeName\": \"lk\", \"AttributeType\": \"N\"}],"
     " \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},"
     "  {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}],"
     " \"GlobalSecondaryIndexes\": ["
     "  {\"IndexName\": \"ByGk\", \"KeySchema\": [{\"AttributeName\": \"gk\", \"KeyType\": "
     "\"HASH\"},"
     "   {\"AttributeName\": \"gr\", \"KeyType\": \"RANGE\"}]},"
     "  {\"IndexName\": \"ByGb\", \"KeySchema\": [{\"AttributeName\": \"gb\", \"KeyType\": "
     "\"HASH\"}]}],"
     " \"LocalSecondaryIndexes\": ["
     "  {\"IndexName\": \"ByLk\", \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": "
     "\"HASH\"},"
     "   {\"AttributeName\": \"lk\", \"KeyType\": \"RANGE\"}]}]}",
     {DDB_TYPE_S, "p1", 2},
     {DDB_TYPE_N, "7", 1},
     NULL},
    {"Blobs",
     "{\"KeySchema\": [{\"AttributeName\": \"id\", \"KeyType\": \"HASH\"},"
     "  {\"AttributeName\": \"rk\", \"KeyType\": \"RANGE\"}],"
     " \"AttributeDefinitions\": [{\"AttributeName\": \"id\", \"AttributeType\": \"B\"},"
     "  {\"AttributeName\": \"rk\", \"AttributeType\": \"S\"}]}",
     {DDB_TYPE_B, "\x00\xff", 2},
     {DDB_TYPE_S, "r", 1},
     NULL},
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ddb_err err = DDB_ERR_INIT;
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		struct table *t = &tables[i];

		if (ddb_schema_parse(t->schema, strlen(t->schema), t->name, 0, &t->s, &err)) {
			fprintf(stderr, "fuzz_item: schema %s: %s\n", t->name, err.text);
			abort();
		}
	}
	return 0;
}

static bool only_whitespace(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
			return false;
	return true;
}

/* The write-time check accepts text; complete says whether it must be whole. */
static void check_prefix_accepts(const void *text, size_t len, bool complete)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_jsonprefix p;

	ddb_jsonprefix_init(&p);
	FUZZ_CHECK(ddb_jsonprefix_feed(&p, text, len, &err) == 0);
	FUZZ_CHECK(!complete || ddb_jsonprefix_complete(&p));
}

static void check_key_attr(const struct ddb_item *it, struct ddb_key_attr ka,
			   const struct ddb_key *want)
{
	struct ddb_key got;

	FUZZ_CHECK(ddb_item_key_attr(it, ka.name, ka.type, &got) == 0);
	FUZZ_CHECK(got.type == want->type);
	FUZZ_CHECK(fuzz_bytes_eq(got.data, got.len, want->data, want->len));
}

/*
 * The index layer reads key attributes back from the stored text
 * (ddb_item_text_key_attr); it must find what the parsed item holds.
 */
static void check_text_attr(const struct ddb_item *it, const char *name, enum ddb_type type)
{
	struct ddb_buf mem = DDB_BUF_INIT;
	struct ddb_key want, got;
	const char *text;
	size_t len;
	int rc;

	text = ddb_item_text(it, &len);
	rc = ddb_item_text_key_attr(text, len, name, type, &mem, &got);
	if (ddb_item_key_attr(it, name, type, &want)) {
		FUZZ_CHECK(rc == -ENOENT || rc == -EINVAL);
	} else {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(got.type == type);
		FUZZ_CHECK(fuzz_bytes_eq(got.data, got.len, want.data, want.len));
	}
	ddb_buf_release(&mem);
}

/* The key attributes of every table here, and a few other names the seeds use. */
static void check_text_attrs(const struct ddb_item *it)
{
	static const char *const names[] = {"a",  "b",	"x",  "Note", "Id", "Title", "Year", "id",
					    "rk", "pk", "sk", "gk",   "gr", "gb",    "lk"};
	static const enum ddb_type types[] = {DDB_TYPE_S, DDB_TYPE_N, DDB_TYPE_B};
	size_t i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
			check_text_attr(it, names[i], types[j]);
}

static void check_refusal(int rc, const struct ddb_err *err)
{
	FUZZ_CHECK(rc == -EINVAL || rc == -EFBIG);
	FUZZ_CHECK(err->code == -rc);
	FUZZ_CHECK(err->text[0] != '\0');
	FUZZ_CHECK(memchr(err->text, '\0', sizeof(err->text)) != NULL);
}

static void check_accepted(const struct table *t, const struct ddb_item *it)
{
	const struct ddb_key *sk = t->sk.type ? &t->sk : NULL;
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_item *again = NULL;
	const char *text;
	size_t len, alen;
	int rc;

	text = ddb_item_text(it, &len);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(strlen(text) == len);
	FUZZ_CHECK(len >= 4 && !memcmp(text, "{\n", 2) && !memcmp(text + len - 2, "}\n", 2));
	FUZZ_CHECK(ddb_item_size(it) > 0 && ddb_item_size(it) <= DDB_ITEM_SIZE_MAX);
	check_key_attr(it, ddb_schema_hash(t->s), &t->pk);
	if (sk)
		check_key_attr(it, ddb_schema_range(t->s), sk);
	check_prefix_accepts(text, len, true);
	check_text_attrs(it);

	rc = ddb_item_parse(text, len, t->s, &t->pk, sk, &again, &err);
	if (rc)
		fprintf(stderr, "fuzz_item: %s: canonical text refused: %s\n%s", t->name, err.text,
			text);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(ddb_item_text(again, &alen) != NULL);
	FUZZ_CHECK(fuzz_bytes_eq(ddb_item_text(again, NULL), alen, text, len));
	FUZZ_CHECK(ddb_item_size(again) == ddb_item_size(it));
	ddb_item_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool blank = only_whitespace(data, size);
	bool accepted = false;
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		const struct table *t = &tables[i];
		struct ddb_err err = DDB_ERR_INIT;
		struct ddb_item *it = NULL;
		int rc;

		rc = ddb_item_parse((const char *)data, size, t->s, &t->pk,
				    t->sk.type ? &t->sk : NULL, &it, &err);
		if (rc) {
			FUZZ_CHECK(it == NULL);
			check_refusal(rc, &err);
			continue;
		}
		FUZZ_CHECK(err.code == 0);
		check_accepted(t, it);
		ddb_item_free(it);
		accepted = true;
	}
	/* Blank text is the keys-only item, yet not a whole JSON document. */
	if (accepted)
		check_prefix_accepts(data, size, !blank);
	return 0;
}
