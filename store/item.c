/*
 * item.c - DynamoDB JSON items: every rule of SPEC section 4, canonical text.
 *
 * Invariant: a struct ddb_item exists only for an item that passed every
 * check; its attrs hold canonical typed values only (numbers canonical, B and
 * BS re-encoded from their bytes, sets sorted and free of duplicates, the
 * table's key attributes taken from the path), and its text is rendered from
 * attrs once, so equal items have equal bytes.  The values are made
 * canonical by canon.c; this file adds what needs the whole item and the
 * schema: the key attributes, the size limit, the text.
 *
 * Strings may hold U+0000 (JSON_ALLOW_NUL): DynamoDB allows it in values.
 * Key values may not, since they become file names (ddb_key_check); jansson
 * refuses NUL in object keys, so attribute names never hold one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base64.h"
#include "buf.h"
#include "canon.h"
#include "item.h"
#include "json.h"
#include "jsonout.h"
#include "number.h"
#include "utf8.h"

/* A top-level B attribute's bytes, decoded once so ddb_item_key_attr can lend them. */
struct bin_attr {
	const char *name; /* points into attrs */
	struct ddb_buf bytes;
};

struct ddb_item {
	json_t *attrs; /* name -> canonical typed value */
	char *text;
	size_t len;
	size_t size;
	size_t nbin;
	struct bin_attr *bin;
};

static bool only_whitespace(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || !text[i])
			return false;
	return true;
}

static int load(const char *text, size_t len, json_t **out, struct ddb_err *err)
{
	json_t *doc;
	int rc;

	if (only_whitespace(text, len)) {
		*out = json_object();
		return *out ? 0 : ddb_err_set(err, ENOMEM, "out of memory");
	}
	rc = ddb_json_load(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &doc, err);
	if (rc)
		return rc;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ddb_err_set(err, EINVAL, "an item must be a JSON object of attributes");
	}
	*out = doc;
	return 0;
}

static int check_number_key(const struct ddb_key *k, struct ddb_err *err)
{
	struct ddb_buf canon = DDB_BUF_INIT;
	int rc = ddb_number_canon(k->data, k->len, &canon, err);

	ddb_buf_release(&canon);
	return rc;
}

int ddb_key_check(const struct ddb_key *k, bool is_sort, struct ddb_err *err)
{
	size_t max = is_sort ? DDB_SK_MAX : DDB_PK_MAX;

	if (k->len == 0)
		return ddb_err_set(err, EINVAL, "a key value must not be empty");
	switch (k->type) {
	case DDB_TYPE_N:
		return check_number_key(k, err);
	case DDB_TYPE_S:
		if (!ddb_utf8_valid(k->data, k->len))
			return ddb_err_set(err, EINVAL, "a string key must be valid UTF-8");
		/* It becomes a file name, which cannot hold a NUL. */
		if (memchr(k->data, '\0', k->len))
			return ddb_err_set(err, EINVAL, "a string key must not contain U+0000");
		break;
	case DDB_TYPE_B:
		break;
	default:
		return ddb_err_set(err, EINVAL, "a key must be of type S, N or B");
	}
	if (k->len > max)
		return ddb_err_set(err, EINVAL, "a %s key is %zu bytes, over the limit of %zu",
				   is_sort ? "sort" : "partition", k->len, max);
	return 0;
}

/* The typed JSON of a key value from the path. */
static json_t *key_json(const struct ddb_key *k)
{
	struct ddb_buf text = DDB_BUF_INIT;
	json_t *v = NULL, *tv;

	/* ddb_key_check passed: S is valid UTF-8, N and B are ASCII once rendered. */
	if (k->type == DDB_TYPE_S)
		v = json_stringn_nocheck(k->data, k->len);
	else if (k->type == DDB_TYPE_N && !ddb_number_canon(k->data, k->len, &text, NULL))
		v = json_stringn_nocheck(text.data, text.len);
	else if (k->type == DDB_TYPE_B && !ddb_base64_encode(&text, k->data, k->len))
		v = json_stringn_nocheck(text.data ? text.data : "", text.len);
	ddb_buf_release(&text);
	if (!v)
		return NULL;
	tv = json_object();
	if (!tv) {
		json_decref(v);
		return NULL;
	}
	if (json_object_set_new_nocheck(tv, ddb_type_name(k->type), v)) { /* v is gone either way */
		json_decref(tv);
		return NULL;
	}
	return tv;
}

/* Sets the table key attribute from the path, after checking it. */
static int set_path_key(json_t *attrs, struct ddb_key_attr ka, const struct ddb_key *k,
			bool is_sort, struct ddb_err *err)
{
	int rc;

	if (k->type != ka.type)
		return ddb_err_set(err, EINVAL, "attribute \"%s\": the key must be of type %s",
				   ka.name, ddb_type_name(ka.type));
	rc = ddb_key_check(k, is_sort, err);
	if (rc) {
		ddb_err_prefix(err, "attribute \"%s\"", ka.name);
		return rc;
	}
	if (json_object_set_new(attrs, ka.name, key_json(k)))
		return ddb_err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int set_path_keys(json_t *attrs, const struct ddb_schema *s, const struct ddb_key *pk,
			 const struct ddb_key *sk, struct ddb_err *err)
{
	int rc;

	if (!pk || !sk != !ddb_schema_has_range(s))
		return ddb_err_set(err, EINVAL, "the path does not give the table's whole key");
	rc = set_path_key(attrs, ddb_schema_hash(s), pk, false, err);
	if (!rc && sk)
		rc = set_path_key(attrs, ddb_schema_range(s), sk, true, err);
	return rc;
}

/* A sort key anywhere (table or index) has the smaller limit. */
static bool is_sort_key(const struct ddb_schema *s, const char *name)
{
	size_t i;

	if (ddb_schema_has_range(s) && !strcmp(ddb_schema_range(s).name, name))
		return true;
	for (i = 0; i < ddb_schema_index_count(s); i++) {
		const struct ddb_index_def *d = ddb_schema_index(s, i);

		if (d->has_range && !strcmp(d->range.name, name))
			return true;
	}
	return false;
}

static int check_index_key(const struct ddb_item *it, const struct ddb_schema *s, const char *name,
			   json_t *tv, struct ddb_err *err)
{
	const char *type = json_object_iter_key(json_object_iter(tv));
	struct ddb_key k;
	enum ddb_type want;
	int rc;

	if (!ddb_schema_key_type(s, name, &want))
		return 0;
	if (strcmp(type, ddb_type_name(want)))
		return ddb_err_set(err, EINVAL,
				   "attribute \"%s\": a key attribute must be of type "
				   "%s, not %s",
				   name, ddb_type_name(want), type);
	if (ddb_item_key_attr(it, name, want, &k))
		return ddb_err_set(err, ENOMEM, "out of memory");
	rc = ddb_key_check(&k, is_sort_key(s, name), err);
	if (rc)
		ddb_err_prefix(err, "attribute \"%s\"", name);
	return rc;
}

static int check_index_keys(const struct ddb_item *it, const struct ddb_schema *s,
			    struct ddb_err *err)
{
	const char *name;
	json_t *tv;
	int rc;

	json_object_foreach(it->attrs, name, tv)
	{
		rc = check_index_key(it, s, name, tv, err);
		if (rc)
			return rc;
	}
	return 0;
}

static size_t base64_bytes(const char *text, size_t len)
{
	size_t pad = 0;

	if (len >= 1 && text[len - 1] == '=')
		pad++;
	if (len >= 2 && text[len - 2] == '=')
		pad++;
	return len / 4 * 3 - pad;
}

/* Size of an S, N or B value (type is its letter), or of BOOL or NULL. */
static size_t scalar_size(const char *type, json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (!strcmp(type, "S"))
		return len;
	if (!strcmp(type, "N"))
		return ddb_number_size(s, len);
	if (!strcmp(type, "B"))
		return base64_bytes(s, len);
	return 1;
}

static size_t value_size(json_t *tv);

static size_t container_size(json_t *v)
{
	size_t size = 3, i;
	const char *name;
	json_t *el;

	/* DynamoDB: 3 bytes per list or map, 1 per element, plus the elements (and names). */
	if (json_is_array(v)) {
		json_array_foreach(v, i, el) size += 1 + value_size(el);
		return size;
	}
	json_object_foreach(v, name, el) size += 1 + strlen(name) + value_size(el);
	return size;
}

static size_t value_size(json_t *tv)
{
	const char *type = json_object_iter_key(json_object_iter(tv));
	json_t *v = json_object_iter_value(json_object_iter(tv));
	size_t size = 0, i;
	json_t *el;

	if (!strcmp(type, "L") || !strcmp(type, "M"))
		return container_size(v);
	if (type[1] == 'S' && !type[2]) {
		/* SS, NS, BS: the members' sizes. */
		char member[2] = {type[0], '\0'};

		json_array_foreach(v, i, el) size += scalar_size(member, el);
		return size;
	}
	return scalar_size(type, v);
}

static size_t item_size(json_t *attrs)
{
	const char *name;
	size_t size = 0;
	json_t *tv;

	json_object_foreach(attrs, name, tv) size += strlen(name) + value_size(tv);
	return size;
}

static int render_attrs(const struct ddb_json_member *m, size_t n, struct ddb_buf *out)
{
	int rc = ddb_buf_addstr(out, "{\n");
	size_t i;

	for (i = 0; i < n && !rc; i++) {
		rc = ddb_buf_addstr(out, "  ");
		if (!rc)
			rc = ddb_jsonout_string(out, m[i].key, strlen(m[i].key));
		if (!rc)
			rc = ddb_buf_addstr(out, ": ");
		if (!rc)
			rc = ddb_jsonout_value(out, m[i].value);
		if (!rc)
			rc = ddb_buf_addstr(out, i + 1 < n ? ",\n" : "\n");
	}
	return rc ? rc : ddb_buf_addstr(out, "}\n");
}

static int render(struct ddb_item *it)
{
	struct ddb_json_member room[32], *m;
	struct ddb_buf out = DDB_BUF_INIT;
	size_t n;
	int rc;

	m = ddb_jsonout_members(it->attrs, room, sizeof(room) / sizeof(room[0]), &n);
	if (!m)
		return -ENOMEM;
	rc = render_attrs(m, n, &out);
	if (m != room)
		free(m);
	if (rc) {
		ddb_buf_release(&out);
		return rc;
	}
	it->text = ddb_buf_detach(&out, &it->len);
	return 0;
}

static bool is_type(json_t *tv, const char *type)
{
	return !strcmp(json_object_iter_key(json_object_iter(tv)), type);
}

/* Decodes every top-level B attribute, so key_attr can lend its bytes. */
static int decode_binaries(struct ddb_item *it)
{
	const char *name;
	json_t *tv, *v;

	it->bin = calloc(json_object_size(it->attrs) + 1, sizeof(*it->bin));
	if (!it->bin)
		return -ENOMEM;
	json_object_foreach(it->attrs, name, tv)
	{
		struct bin_attr *b = &it->bin[it->nbin];

		if (!is_type(tv, "B"))
			continue;
		v = json_object_get(tv, "B");
		b->name = name;
		it->nbin++;
		if (ddb_base64_decode(&b->bytes, json_string_value(v), json_string_length(v)) ||
		    ddb_buf_add(&b->bytes, "", 0))
			return -ENOMEM;
	}
	return 0;
}

static int finish(struct ddb_item *it, const struct ddb_schema *s, struct ddb_err *err)
{
	int rc = decode_binaries(it);

	if (rc)
		return ddb_err_set(err, ENOMEM, "out of memory");
	rc = check_index_keys(it, s, err);
	if (rc)
		return rc;
	it->size = item_size(it->attrs);
	if (it->size > DDB_ITEM_SIZE_MAX)
		return ddb_err_set(err, EFBIG, "item is %zu bytes, over DynamoDB's 400 KB limit",
				   it->size);
	if (render(it))
		return ddb_err_set(err, ENOMEM, "out of memory");
	return 0;
}

int ddb_item_parse(const char *text, size_t len, const struct ddb_schema *s,
		   const struct ddb_key *pk, const struct ddb_key *sk, struct ddb_item **out,
		   struct ddb_err *err)
{
	struct ddb_item *it;
	json_t *doc;
	int rc = load(text, len, &doc, err);

	if (rc)
		return rc;
	it = calloc(1, sizeof(*it));
	if (!it) {
		rc = ddb_err_set(err, ENOMEM, "out of memory");
		goto out_doc;
	}
	rc = ddb_canon_item(doc, &it->attrs, err);
	if (!rc)
		rc = set_path_keys(it->attrs, s, pk, sk, err);
	if (!rc)
		rc = finish(it, s, err);
	if (rc) {
		ddb_item_free(it);
		goto out_doc;
	}
	*out = it;
out_doc:
	json_decref(doc);
	return rc;
}

void ddb_item_free(struct ddb_item *item)
{
	size_t i;

	if (!item)
		return;
	for (i = 0; i < item->nbin; i++)
		ddb_buf_release(&item->bin[i].bytes);
	free(item->bin);
	free(item->text);
	json_decref(item->attrs);
	free(item);
}

const char *ddb_item_text(const struct ddb_item *item, size_t *len)
{
	if (len)
		*len = item->len;
	return item->text;
}

size_t ddb_item_size(const struct ddb_item *item)
{
	return item->size;
}

int ddb_item_key_attr(const struct ddb_item *item, const char *name, enum ddb_type type,
		      struct ddb_key *out)
{
	json_t *tv = json_object_get(item->attrs, name), *v;
	size_t i;

	if (!tv || !is_type(tv, ddb_type_name(type)))
		return -ENOENT;
	out->type = type;
	if (type != DDB_TYPE_B) {
		v = json_object_iter_value(json_object_iter(tv));
		out->data = json_string_value(v);
		out->len = json_string_length(v);
		return 0;
	}
	for (i = 0; i < item->nbin; i++) {
		if (strcmp(item->bin[i].name, name) == 0) {
			out->data = item->bin[i].bytes.data;
			out->len = item->bin[i].bytes.len;
			return 0;
		}
	}
	return -ENOENT;
}
