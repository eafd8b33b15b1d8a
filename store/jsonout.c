/*
 * jsonout.c - jansson's JSON text without jansson's printer (jsonout.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "jsonout.h"

/* Bytes a JSON string cannot hold as they are. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

static int add_escape(struct ddb_buf *out, unsigned char c)
{
	static const char named[] = "\"\\\b\f\n\r\t", letters[] = "\"\\bfnrt";
	static const char hex[] = "0123456789ABCDEF";
	const char *at = c ? memchr(named, c, sizeof(named) - 1) : NULL;
	char seq[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

	if (at) {
		seq[1] = letters[at - named];
		return ddb_buf_add(out, seq, 2);
	}
	return ddb_buf_add(out, seq, sizeof(seq));
}

int ddb_jsonout_string(struct ddb_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, i;
	int rc;

	/* The common string needs no escape: one reservation, one copy. */
	if (ddb_buf_grow(out, len + 2) || ddb_buf_addch(out, '"'))
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		if (!needs_escape(p[i]))
			continue;
		rc = ddb_buf_add(out, s + run, i - run);
		if (!rc)
			rc = add_escape(out, p[i]);
		if (rc)
			return rc;
		run = i + 1;
	}
	rc = ddb_buf_add(out, s + run, len - run);
	return rc ? rc : ddb_buf_addch(out, '"');
}

static int cmp_members(const void *a, const void *b)
{
	return strcmp(((const struct ddb_json_member *)a)->key,
		      ((const struct ddb_json_member *)b)->key);
}

struct ddb_json_member *ddb_jsonout_members(const json_t *obj, struct ddb_json_member *room,
					    size_t room_n, size_t *n)
{
	struct ddb_json_member *m = room;
	const char *key;
	size_t i = 0;
	json_t *v;

	*n = json_object_size(obj);
	if (*n > room_n && !(m = malloc(*n * sizeof(*m))))
		return NULL;
	json_object_foreach((json_t *)obj, key, v)
	{
		m[i].key = key;
		m[i++].value = v;
	}
	if (*n > 1)
		qsort(m, *n, sizeof(*m), cmp_members);
	return m;
}

static int add_object(struct ddb_buf *out, const json_t *obj)
{
	struct ddb_json_member room[16], *m;
	size_t n, i;
	int rc;

	m = ddb_jsonout_members(obj, room, sizeof(room) / sizeof(room[0]), &n);
	if (!m)
		return -ENOMEM;
	rc = ddb_buf_addch(out, '{');
	for (i = 0; i < n && !rc; i++) {
		if (i)
			rc = ddb_buf_add(out, ", ", 2);
		if (!rc)
			rc = ddb_jsonout_string(out, m[i].key, strlen(m[i].key));
		if (!rc)
			rc = ddb_buf_add(out, ": ", 2);
		if (!rc)
			rc = ddb_jsonout_value(out, m[i].value);
	}
	if (m != room)
		free(m);
	return rc ? rc : ddb_buf_addch(out, '}');
}

static int add_array(struct ddb_buf *out, const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	int rc = ddb_buf_addch(out, '[');

	for (i = 0; i < n && !rc; i++) {
		if (i)
			rc = ddb_buf_add(out, ", ", 2);
		if (!rc)
			rc = ddb_jsonout_value(out, json_array_get(arr, i));
	}
	return rc ? rc : ddb_buf_addch(out, ']');
}

static int dump_to_buf(const char *data, size_t len, void *arg)
{
	return ddb_buf_add(arg, data, len) ? -1 : 0;
}

int ddb_jsonout_value(struct ddb_buf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return add_object(out, v);
	case JSON_ARRAY:
		return add_array(out, v);
	case JSON_STRING:
		return ddb_jsonout_string(out, json_string_value(v), json_string_length(v));
	case JSON_TRUE:
		return ddb_buf_add(out, "true", 4);
	case JSON_FALSE:
		return ddb_buf_add(out, "false", 5);
	case JSON_NULL:
		return ddb_buf_add(out, "null", 4);
	default:
		/* Numbers never occur in DynamoDB JSON (N is a string): jansson's own form. */
		return json_dump_callback(v, dump_to_buf, out, JSON_ENCODE_ANY) ? -ENOMEM : 0;
	}
}
