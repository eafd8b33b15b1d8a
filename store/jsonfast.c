/*
 * jsonfast.c - the quick loader of jsonfast.h.
 *
 * Every function returns 0, DECLINE or -ENOMEM; on anything but 0 the tree
 * built so far is freed by whoever owns it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "jsonfast.h"
#include "utf8.h"

#define DECLINE 1
/* Far below jansson's 2048, far above an item's 32 levels of L and M (two objects each). */
#define DEPTH_MAX 128

struct scan {
	const char *p, *end;
	bool allow_nul;
	int depth;
	struct ddb_buf tmp; /* a string with escapes, decoded */
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return DECLINE;
	}
	*out = v;
	return 0;
}

static int add_utf8(struct ddb_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return ddb_buf_add(b, u, n);
}

/* One \u escape at s->p (past the backslash and u), surrogate pairs whole. */
static int unicode_escape(struct scan *s, bool key)
{
	unsigned cp, lo;

	if (s->end - s->p < 4 || hex4(s->p, &cp))
		return DECLINE;
	s->p += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return DECLINE;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff)
			return DECLINE;
		s->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0 && (key || !s->allow_nul))
		return DECLINE;
	return add_utf8(&s->tmp, cp);
}

/* The escape whose letter c follows a backslash, decoded into s->tmp. */
static int escape(struct scan *s, char c, bool key)
{
	static const char letters[] = "\"\\/bfnrt", bytes[] = "\"\\/\b\f\n\r\t";
	const char *at = memchr(letters, c, sizeof(letters) - 1);

	if (c == 'u')
		return unicode_escape(s, key);
	return at ? ddb_buf_addch(&s->tmp, bytes[at - letters]) : DECLINE;
}

/* The string whose opening quote is at s->p: in place when it has no escape. */
static int scan_string(struct scan *s, bool key, const char **str, size_t *len)
{
	const char *start = ++s->p;
	int rc;

	while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (unsigned char)*s->p >= 0x20)
		s->p++;
	if (s->p >= s->end || (unsigned char)*s->p < 0x20)
		return DECLINE;
	if (*s->p == '"') {
		*str = start;
		*len = (size_t)(s->p++ - start);
		return ddb_utf8_valid(*str, *len) ? 0 : DECLINE;
	}
	ddb_buf_reset(&s->tmp);
	if (ddb_buf_add(&s->tmp, start, (size_t)(s->p - start)))
		return -ENOMEM;
	while (s->p < s->end && *s->p != '"') {
		char c = *s->p++;

		if ((unsigned char)c < 0x20 || (c == '\\' && s->p >= s->end))
			return DECLINE;
		rc = c == '\\' ? escape(s, *s->p++, key) : ddb_buf_addch(&s->tmp, c);
		if (rc)
			return rc;
	}
	if (s->p >= s->end)
		return DECLINE;
	s->p++;
	*str = s->tmp.data;
	*len = s->tmp.len;
	return ddb_utf8_valid(*str, *len) ? 0 : DECLINE;
}

static int scan_value(struct scan *s, json_t **out);

/* What follows a literal ("truex") is judged by the container around it. */
static int literal(struct scan *s, const char *word, json_t *v, json_t **out)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return DECLINE;
	s->p += n;
	*out = v;
	return 0;
}

/* Adds key: v to obj; v is gone either way. */
static int add_member(json_t *obj, const char *key, size_t klen, json_t *v)
{
	return json_object_setn_new_nocheck(obj, key, klen, v) ? -ENOMEM : 0;
}

static int scan_member(struct scan *s, json_t *obj)
{
	char small[64], *copy = NULL;
	const char *key;
	size_t klen;
	json_t *v;
	int rc;

	if (s->p >= s->end || *s->p != '"')
		return DECLINE;
	rc = scan_string(s, true, &key, &klen);
	if (rc)
		return rc;
	/* A key with a NUL, or twice: jansson's to refuse, in its words. */
	if (memchr(key, '\0', klen) || json_object_getn(obj, key, klen))
		return DECLINE;
	skip_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return DECLINE;
	s->p++;
	/* A decoded key lives in s->tmp, which the value's strings reuse. */
	if (key == s->tmp.data) {
		copy = klen <= sizeof(small) ? small : malloc(klen);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, key, klen);
		key = copy;
	}
	rc = scan_value(s, &v);
	if (!rc)
		rc = add_member(obj, key, klen, v);
	if (copy != small)
		free(copy);
	return rc;
}

static int scan_object(struct scan *s, json_t *obj)
{
	int rc;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		rc = scan_member(s, obj);
		if (rc)
			return rc;
		skip_ws(s);
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		if (s->p >= s->end || *s->p != ',')
			return DECLINE;
		s->p++;
		skip_ws(s);
	}
}

static int scan_array(struct scan *s, json_t *arr)
{
	json_t *v;
	int rc;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		rc = scan_value(s, &v);
		if (rc)
			return rc;
		if (json_array_append_new(arr, v))
			return -ENOMEM;
		skip_ws(s);
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		if (s->p >= s->end || *s->p != ',')
			return DECLINE;
		s->p++;
	}
}

static int scan_container(struct scan *s, json_t *c, json_t **out)
{
	int rc;

	if (!c)
		return -ENOMEM;
	if (++s->depth > DEPTH_MAX)
		rc = DECLINE;
	else
		rc = json_is_object(c) ? scan_object(s, c) : scan_array(s, c);
	s->depth--;
	if (rc) {
		json_decref(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int scan_value(struct scan *s, json_t **out)
{
	const char *str;
	size_t len;
	int rc;

	skip_ws(s);
	if (s->p >= s->end)
		return DECLINE;
	switch (*s->p) {
	case '{':
		return scan_container(s, json_object(), out);
	case '[':
		return scan_container(s, json_array(), out);
	case '"':
		rc = scan_string(s, false, &str, &len);
		if (rc)
			return rc;
		*out = json_stringn_nocheck(str, len);
		return *out ? 0 : -ENOMEM;
	case 't':
		return literal(s, "true", json_true(), out);
	case 'f':
		return literal(s, "false", json_false(), out);
	case 'n':
		return literal(s, "null", json_null(), out);
	default:
		return DECLINE; /* numbers, and whatever is not JSON */
	}
}

int ddb_jsonfast_load(const char *text, size_t len, size_t flags, json_t **out)
{
	struct scan s = {text, text + len, (flags & JSON_ALLOW_NUL) != 0, 0, DDB_BUF_INIT};
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if (flags & ~(size_t)(JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL))
		return DECLINE;
	skip_ws(&s);
	/* Without JSON_DECODE_ANY jansson takes only an object or array at the top. */
	if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
		return DECLINE;
	rc = scan_value(&s, &doc);
	if (!rc) {
		skip_ws(&s);
		if (s.p != s.end)
			rc = DECLINE;
	}
	ddb_buf_release(&s.tmp);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
