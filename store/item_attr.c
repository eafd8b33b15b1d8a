/*
 * item_attr.c - reading one key attribute back out of an item's canonical
 * text, without parsing the whole item.
 *
 * The index layer needs the old image's index keys on every overwrite and
 * delete, and every item's on a backfill; the store only keeps the text.
 * Canonical text (item.h) has each top-level attribute on its own line,
 * "\n  <JSON name>: {"<type>": <value>}", and a raw newline never occurs
 * inside a JSON string, so the attribute is found by one search and only its
 * own line is parsed.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "item.h"

/* "\n  \"name\": {\"" as the renderer writes it. */
static int attr_needle(struct ddb_buf *out, const char *name)
{
	json_t *s = json_string(name);
	char *quoted;
	int rc;

	if (!s)
		return -ENOMEM;
	quoted = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	if (!quoted)
		return -ENOMEM;
	rc = ddb_buf_addstr(out, "\n  ");
	if (!rc)
		rc = ddb_buf_addstr(out, quoted);
	if (!rc)
		rc = ddb_buf_addstr(out, ": {\"");
	free(quoted);
	return rc;
}

/* Decodes the typed value on the line starting at v (`{"S": "x"}`) into mem. */
static int attr_value(const char *v, const char *end, enum ddb_type type, struct ddb_buf *mem)
{
	const char *eol = memchr(v, '\n', (size_t)(end - v));
	json_t *tv, *s;
	int rc = -EIO;

	if (!eol)
		return -EIO;
	if (eol > v && eol[-1] == ',')
		eol--;
	tv = json_loadb(v, (size_t)(eol - v), JSON_ALLOW_NUL, NULL);
	s = json_object_get(tv, ddb_type_name(type));
	if (json_is_string(s)) {
		ddb_buf_reset(mem);
		if (type == DDB_TYPE_B)
			rc = ddb_base64_decode(mem, json_string_value(s), json_string_length(s));
		else
			rc = ddb_buf_add(mem, json_string_value(s), json_string_length(s));
		if (rc == -EINVAL)
			rc = -EIO;
	}
	json_decref(tv);
	return rc;
}

int ddb_item_text_key_attr(const char *text, size_t len, const char *name, enum ddb_type type,
			   struct ddb_buf *mem, struct ddb_key *out)
{
	struct ddb_buf needle = DDB_BUF_INIT;
	const char *at, *end = text + len, *tname = ddb_type_name(type);
	size_t tlen = strlen(tname);
	int rc;

	rc = attr_needle(&needle, name);
	if (rc)
		goto out;
	at = memmem(text, len, needle.data, needle.len);
	if (!at) {
		rc = -ENOENT;
		goto out;
	}
	at += needle.len;
	if ((size_t)(end - at) < tlen + 3 || memcmp(at, tname, tlen) || memcmp(at + tlen, "\": ", 3)) {
		rc = -EINVAL; /* present, of another type */
		goto out;
	}
	rc = attr_value(at - 2, end, type, mem);
	if (!rc) {
		out->type = type;
		out->data = mem->data ? mem->data : "";
		out->len = mem->len;
	}
out:
	ddb_buf_release(&needle);
	return rc;
}
