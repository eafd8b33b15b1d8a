/*
 * canon.c - one item's attributes made canonical, checked against SPEC
 * section 4 on the way.
 *
 * The loaded document is ours alone, so each value is replaced in place by
 * its canonical form: numbers canonical (number.c), B and BS re-encoded from
 * their bytes, sets sorted and free of duplicates.  A refusal is a sentence
 * naming where the value is, e.g. "Info"."a"[3].
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
#include "jsonout.h"
#include "number.h"
/* While canonicalising: where we are (for sentences) and scratch space. */
struct walk {
	struct ddb_buf path; /* e.g. "Info"."a"[3] */
	struct ddb_buf tmp;
	struct ddb_err *err;
};

typedef int (*canon_fn)(struct walk *w, json_t *v, int depth, json_t **out);

static int bad(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct walk *w, const char *fmt, ...)
{
	char msg[DDB_ERR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ddb_err_set(w->err, EINVAL, "attribute %s: %s", w->path.data, msg);
}

/* A sub-module's sentence (number, base64) under the current path; ENOMEM passes through. */
static int bad_from(struct walk *w, int rc, const struct ddb_err *sub)
{
	if (rc == -ENOMEM)
		return ddb_err_set(w->err, ENOMEM, "out of memory");
	return bad(w, "%s", sub->text);
}

/* Appends data[0..len) as a JSON string, cut short (at a character) past max bytes. */
static int add_quoted(struct ddb_buf *out, const char *data, size_t len, size_t max)
{
	bool cut = len > max;
	int rc;

	if (cut) {
		while (max > 0 && ((unsigned char)data[max] & 0xc0) == 0x80)
			max--;
		len = max;
	}
	rc = ddb_jsonout_string(out, data, len);
	if (!rc && cut)
		rc = ddb_buf_addstr(out, "...");
	return rc;
}

/* The JSON string of a set member, for a sentence. */
static const char *show(struct walk *w, const char *data, size_t len)
{
	ddb_buf_reset(&w->tmp);
	if (add_quoted(&w->tmp, data, len, 64))
		return "(a value)";
	return w->tmp.data;
}

static size_t path_push_name(struct walk *w, const char *name)
{
	size_t old = w->path.len;

	if (old && ddb_buf_addch(&w->path, '.'))
		return old;
	add_quoted(&w->path, name, strlen(name), 200);
	return old;
}

static size_t path_push_index(struct walk *w, size_t i)
{
	char digits[24], *p = digits + sizeof(digits);
	size_t old = w->path.len;

	/* Every list and set element comes here: no printf on the way. */
	*--p = ']';
	do
		*--p = (char)('0' + i % 10);
	while (i /= 10);
	*--p = '[';
	ddb_buf_add(&w->path, p, (size_t)(digits + sizeof(digits) - p));
	return old;
}

static void path_pop(struct walk *w, size_t old)
{
	ddb_buf_setlen(&w->path, old);
}

static int canon_value(struct walk *w, json_t *tv, int depth, json_t **out);

/* Whether the string v already holds text: most values are canonical as written. */
static bool same_text(json_t *v, const struct ddb_buf *text)
{
	return json_string_length(v) == text->len &&
	       (!text->len || !memcmp(json_string_value(v), text->data, text->len));
}

/*
 * Puts c in place of the value at iter of obj unless it is that value.
 * The loaded document is ours alone, so it is canonicalised in place: a
 * copy of every value cost more than the parse.
 */
static int replace_member(json_t *obj, void *iter, json_t *c)
{
	if (c == json_object_iter_value(iter)) {
		json_decref(c);
		return 0;
	}
	return json_object_iter_set_new(obj, iter, c) ? -ENOMEM : 0;
}

static int canon_s(struct walk *w, json_t *v, int depth, json_t **out)
{
	if (!json_is_string(v))
		return bad(w, "an S value must be a string");
	*out = json_incref(v);
	return 0;
}

static int number_of(struct walk *w, json_t *v, const char *what, json_t **out)
{
	struct ddb_buf canon = DDB_BUF_INIT;
	struct ddb_err sub = DDB_ERR_INIT;
	int rc;

	if (!json_is_string(v))
		return bad(w, "%s must be a string holding a number", what);
	rc = ddb_number_canon(json_string_value(v), json_string_length(v), &canon, &sub);
	if (rc)
		return bad_from(w, rc, &sub);
	if (same_text(v, &canon))
		*out = json_incref(v);
	else
		*out = json_stringn_nocheck(canon.data, canon.len);
	ddb_buf_release(&canon);
	return *out ? 0 : -ENOMEM;
}

static int canon_n(struct walk *w, json_t *v, int depth, json_t **out)
{
	return number_of(w, v, "an N value", out);
}

/* Decodes base64 into bytes and re-encodes it, so only the canonical text is kept. */
static int binary_of(struct walk *w, json_t *v, const char *what, struct ddb_buf *bytes,
		     json_t **out)
{
	struct ddb_buf text = DDB_BUF_INIT;
	int rc;

	if (!json_is_string(v))
		return bad(w, "%s must be a string of base64", what);
	rc = ddb_base64_decode(bytes, json_string_value(v), json_string_length(v));
	if (rc == -EINVAL)
		return bad(w, "%s is not valid base64", what);
	if (rc || ddb_base64_encode(&text, bytes->data, bytes->len))
		goto out_nomem;
	if (same_text(v, &text))
		*out = json_incref(v);
	else
		*out = json_stringn_nocheck(text.data ? text.data : "", text.len);
	ddb_buf_release(&text);
	return *out ? 0 : -ENOMEM;

out_nomem:
	ddb_buf_release(&text);
	return -ENOMEM;
}

static int canon_b(struct walk *w, json_t *v, int depth, json_t **out)
{
	struct ddb_buf bytes = DDB_BUF_INIT;
	int rc = binary_of(w, v, "a B value", &bytes, out);

	ddb_buf_release(&bytes);
	return rc;
}

static int canon_bool(struct walk *w, json_t *v, int depth, json_t **out)
{
	if (!json_is_boolean(v))
		return bad(w, "a BOOL value must be true or false");
	*out = json_incref(v);
	return 0;
}

static int canon_null(struct walk *w, json_t *v, int depth, json_t **out)
{
	if (!json_is_true(v))
		return bad(w, "a NULL value must be true");
	*out = json_incref(v);
	return 0;
}

/* One set member: its canonical JSON and the bytes that order it. */
struct member {
	json_t *canon;
	struct ddb_buf key; /* SS: the string, NS: canonical text, BS: the bytes */
};

static int cmp_bytes(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
	int c = n ? memcmp(x->key.data, y->key.data, n) : 0;

	return c ? c : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

static int cmp_number(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return ddb_number_cmp(x->key.data, x->key.len, y->key.data, y->key.len);
}

struct set_kind {
	const char *name; /* "string set", for sentences */
	int (*member)(struct walk *w, json_t *v, struct member *m);
	int (*cmp)(const void *a, const void *b);
};

static int member_s(struct walk *w, json_t *v, struct member *m)
{
	if (!json_is_string(v))
		return bad(w, "a string set holds strings");
	m->canon = json_incref(v);
	return ddb_buf_add(&m->key, json_string_value(v), json_string_length(v));
}

static int member_n(struct walk *w, json_t *v, struct member *m)
{
	int rc = number_of(w, v, "a number set member", &m->canon);

	if (rc)
		return rc;
	return ddb_buf_add(&m->key, json_string_value(m->canon), json_string_length(m->canon));
}

static int member_b(struct walk *w, json_t *v, struct member *m)
{
	return binary_of(w, v, "a binary set member", &m->key, &m->canon);
}

static const struct set_kind set_ss = {"string set", member_s, cmp_bytes};
static const struct set_kind set_ns = {"number set", member_n, cmp_number};
static const struct set_kind set_bs = {"binary set", member_b, cmp_bytes};

static void members_free(struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(m[i].canon);
		ddb_buf_release(&m[i].key);
	}
	free(m);
}

static int members_read(struct walk *w, json_t *v, const struct set_kind *k, struct member *m)
{
	json_t *el;
	size_t i, old;
	int rc;

	json_array_foreach(v, i, el)
	{
		old = path_push_index(w, i);
		rc = k->member(w, el, &m[i]);
		path_pop(w, old);
		if (rc)
			return rc;
	}
	return 0;
}

/* Sorted members, as one JSON array, once no two are equal. */
static int members_array(struct walk *w, const struct set_kind *k, struct member *m, size_t n,
			 json_t **out)
{
	json_t *arr;
	size_t i;

	qsort(m, n, sizeof(*m), k->cmp);
	for (i = 1; i < n; i++)
		if (k->cmp(&m[i - 1], &m[i]) == 0)
			return bad(
			    w, "%s has a duplicate %s", k->name,
			    show(w, json_string_value(m[i].canon), json_string_length(m[i].canon)));
	arr = json_array();
	for (i = 0; arr && i < n; i++)
		if (json_array_append(arr, m[i].canon)) {
			json_decref(arr);
			arr = NULL;
		}
	*out = arr;
	return arr ? 0 : -ENOMEM;
}

static int canon_set(struct walk *w, json_t *v, const struct set_kind *k, json_t **out)
{
	size_t n = json_array_size(v);
	struct member *m;
	int rc;

	if (!json_is_array(v))
		return bad(w, "a %s must be an array", k->name);
	if (n == 0)
		return bad(w, "a %s must not be empty", k->name);
	m = calloc(n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = members_read(w, v, k, m);
	if (!rc)
		rc = members_array(w, k, m, n, out);
	members_free(m, n);
	return rc;
}

static int canon_ss(struct walk *w, json_t *v, int depth, json_t **out)
{
	return canon_set(w, v, &set_ss, out);
}

static int canon_ns(struct walk *w, json_t *v, int depth, json_t **out)
{
	return canon_set(w, v, &set_ns, out);
}

static int canon_bs(struct walk *w, json_t *v, int depth, json_t **out)
{
	return canon_set(w, v, &set_bs, out);
}

static int canon_l(struct walk *w, json_t *v, int depth, json_t **out)
{
	json_t *el, *c;
	size_t i, old;
	int rc = 0;

	if (!json_is_array(v))
		return bad(w, "an L value must be an array");
	if (depth > DDB_NESTING_MAX)
		return bad(w, "lists and maps nest more than %d levels deep", DDB_NESTING_MAX);
	json_array_foreach(v, i, el)
	{
		old = path_push_index(w, i);
		rc = canon_value(w, el, depth + 1, &c);
		path_pop(w, old);
		if (rc)
			return rc;
		if (c == el)
			json_decref(c);
		else if (json_array_set_new(v, i, c))
			return -ENOMEM;
	}
	*out = json_incref(v);
	return 0;
}

/* The attributes of an M value or of the item itself, canonicalised one by one. */
static int canon_attrs(struct walk *w, json_t *v, int depth, json_t **out)
{
	const char *name;
	void *iter;
	json_t *c;
	size_t old;
	int rc;

	for (iter = json_object_iter(v); iter; iter = json_object_iter_next(v, iter)) {
		name = json_object_iter_key(iter);
		old = path_push_name(w, name);
		if (!name[0])
			rc = bad(w, "an attribute name must not be empty");
		else
			rc = canon_value(w, json_object_iter_value(iter), depth, &c);
		path_pop(w, old);
		if (!rc)
			rc = replace_member(v, iter, c);
		if (rc)
			return rc;
	}
	*out = json_incref(v);
	return 0;
}

static int canon_m(struct walk *w, json_t *v, int depth, json_t **out)
{
	if (!json_is_object(v))
		return bad(w, "an M value must be an object");
	if (depth > DDB_NESTING_MAX)
		return bad(w, "lists and maps nest more than %d levels deep", DDB_NESTING_MAX);
	return canon_attrs(w, v, depth + 1, out);
}

static const struct {
	const char *name;
	canon_fn fn;
} types[] = {
    {"S", canon_s},	  {"N", canon_n},   {"B", canon_b},   {"BOOL", canon_bool},
    {"NULL", canon_null}, {"SS", canon_ss}, {"NS", canon_ns}, {"BS", canon_bs},
    {"L", canon_l},	  {"M", canon_m},
};

static canon_fn type_fn(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].fn;
	return NULL;
}

/* tv is {"<type>": value}; depth counts the lists and maps around it, plus one. */
static int canon_value(struct walk *w, json_t *tv, int depth, json_t **out)
{
	const char *type;
	json_t *inner, *c;
	canon_fn fn;
	int rc;

	if (!json_is_object(tv) || json_object_size(tv) != 1)
		return bad(w, "a value must be an object with one type, such as {\"S\": \"text\"}");
	type = json_object_iter_key(json_object_iter(tv));
	inner = json_object_iter_value(json_object_iter(tv));
	fn = type_fn(type);
	if (!fn) {
		ddb_buf_reset(&w->tmp);
		add_quoted(&w->tmp, type, strlen(type), 32);
		return bad(w, "unknown type %s", w->tmp.data ? w->tmp.data : "");
	}
	rc = fn(w, inner, depth, &c);
	if (!rc)
		rc = replace_member(tv, json_object_iter(tv), c);
	if (rc)
		return rc == -ENOMEM ? ddb_err_set(w->err, ENOMEM, "out of memory") : rc;
	*out = json_incref(tv);
	return 0;
}


int ddb_canon_item(json_t *doc, json_t **attrs, struct ddb_err *err)
{
	struct walk w = {DDB_BUF_INIT, DDB_BUF_INIT, err};
	int rc = ddb_buf_add(&w.path, "", 0);

	if (!rc)
		rc = canon_attrs(&w, doc, 1, attrs);
	if (rc == -ENOMEM)
		ddb_err_set(err, ENOMEM, "out of memory");
	ddb_buf_release(&w.path);
	ddb_buf_release(&w.tmp);
	return rc;
}
