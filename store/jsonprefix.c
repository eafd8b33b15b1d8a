/*
 * jsonprefix.c - a byte-at-a-time recogniser of RFC 8259 prefixes.
 *
 * Invariant: after every byte, the state says exactly what may follow, so a
 * byte is refused the moment no valid document can start with the text so far
 * (and never earlier).  Strings are checked for UTF-8 (no overlong forms, no
 * encoded surrogates, nothing above U+10FFFF) and escaped surrogates must pair
 * up, as jansson requires; numbers follow the RFC grammar (no leading zeros,
 * digits after '.' and after the exponent mark).
 */
#include <errno.h>
#include "jsonprefix.h"
#include "utf8.h"

enum {
	JP_VALUE,	/* a value must follow: the start, after ':' or an array's ',' */
	JP_ARRAY_FIRST, /* after '[': a value or ']' */
	JP_OBJ_FIRST,	/* after '{': a key or '}' */
	JP_OBJ_KEY,	/* after an object's ',': a key */
	JP_COLON,	/* after a key */
	JP_AFTER,	/* after a value in a container: ',' or the closing bracket */
	JP_END,		/* the top-level value is done: only whitespace may follow */
	JP_LITERAL,	/* inside true, false or null; sub = which * 8 + position */
	JP_NUMBER,	/* sub is one of NUM_* */
	JP_STR,		/* inside a string, between characters */
	JP_STR_ESC,	/* after a backslash */
	JP_STR_HEX,	/* inside \uXXXX; sub packs digits seen, code so far, low wanted */
	JP_STR_UTF8,	/* inside a multi-byte sequence; sub packs count and next range */
	JP_STR_PAIR_BS, /* after a high surrogate escape: '\' must follow */
	JP_STR_PAIR_U,	/* ... then 'u' */
};

/* Or-ed into a string state when the string is an object key. */
#define JP_KEY 0x100

enum { NUM_MINUS, NUM_ZERO, NUM_INT, NUM_DOT, NUM_FRAC, NUM_E, NUM_ESIGN, NUM_EXP };

#define HEX_LOW_WANTED (1 << 24)

static const char *const literals[] = {"true", "false", "null"};

static int fail(struct ddb_jsonprefix *p, struct ddb_err *err, const char *what)
{
	return ddb_err_set(err, EINVAL, "invalid JSON at byte %zu: %s", p->offset, what);
}

static int unexpected(struct ddb_jsonprefix *p, unsigned char c, const char *where,
		      struct ddb_err *err)
{
	if (c >= 0x20 && c < 0x7f)
		return ddb_err_set(err, EINVAL, "invalid JSON at byte %zu: unexpected '%c'%s",
				   p->offset, c, where);
	return ddb_err_set(err, EINVAL, "invalid JSON at byte %zu: unexpected byte 0x%02x%s",
			   p->offset, c, where);
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ddb_jsonprefix_init(struct ddb_jsonprefix *p)
{
	p->state = JP_VALUE;
	p->sub = 0;
	p->depth = 0;
	p->offset = 0;
	p->complete = false;
}

static void value_done(struct ddb_jsonprefix *p)
{
	p->state = p->depth ? JP_AFTER : JP_END;
}

static int push(struct ddb_jsonprefix *p, unsigned char open, struct ddb_err *err)
{
	if (p->depth == DDB_JSONPREFIX_MAX_DEPTH)
		return fail(p, err, "nesting too deep");
	p->stack[p->depth++] = open;
	p->state = open == '{' ? JP_OBJ_FIRST : JP_ARRAY_FIRST;
	return 0;
}

static void pop(struct ddb_jsonprefix *p)
{
	p->depth--;
	value_done(p);
}

static int start_value(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	p->sub = 0;
	switch (c) {
	case '{':
	case '[':
		return push(p, c, err);
	case '"':
		p->state = JP_STR;
		return 0;
	case '-':
		p->state = JP_NUMBER;
		p->sub = NUM_MINUS;
		return 0;
	case 't':
	case 'f':
	case 'n':
		p->state = JP_LITERAL;
		p->sub = (c == 't' ? 0 : c == 'f' ? 1 : 2) * 8 + 1;
		return 0;
	}
	if (is_digit(c)) {
		p->state = JP_NUMBER;
		p->sub = c == '0' ? NUM_ZERO : NUM_INT;
		return 0;
	}
	return unexpected(p, c, ", expected a value", err);
}

static int step_literal(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	const char *lit = literals[p->sub / 8];
	int pos = p->sub % 8;

	if ((unsigned char)lit[pos] != c)
		return unexpected(p, c, " in a literal", err);
	p->sub++;
	if (!lit[pos + 1])
		value_done(p);
	return 0;
}

static bool number_may_end(int sub)
{
	return sub == NUM_ZERO || sub == NUM_INT || sub == NUM_FRAC || sub == NUM_EXP;
}

static int step(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err);

/* The next state of a number after c, or -1 when c cannot continue it. */
static int number_next(int sub, unsigned char c)
{
	bool digit = is_digit(c);

	switch (sub) {
	case NUM_MINUS:
		return c == '0' ? NUM_ZERO : digit ? NUM_INT : -1;
	case NUM_ZERO:
	case NUM_INT:
		if (c == '.')
			return NUM_DOT;
		if (c == 'e' || c == 'E')
			return NUM_E;
		return digit && sub == NUM_INT ? NUM_INT : -1;
	case NUM_DOT:
	case NUM_FRAC:
		if ((c == 'e' || c == 'E') && sub == NUM_FRAC)
			return NUM_E;
		return digit ? NUM_FRAC : -1;
	case NUM_E:
		if (c == '+' || c == '-')
			return NUM_ESIGN;
		return digit ? NUM_EXP : -1;
	default:
		return digit ? NUM_EXP : -1;
	}
}

static int step_number(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int next = number_next(p->sub, c);

	if (next >= 0) {
		p->sub = next;
		return 0;
	}
	if (p->sub == NUM_ZERO && is_digit(c))
		return fail(p, err, "leading zero in a number");
	if (!number_may_end(p->sub))
		return unexpected(p, c, " in a number", err);
	/* The number ended just before c, which belongs to what follows. */
	value_done(p);
	return step(p, c, err);
}

static void string_done(struct ddb_jsonprefix *p)
{
	if (p->state & JP_KEY)
		p->state = JP_COLON;
	else
		value_done(p);
}

/* Sets up a multi-byte UTF-8 sequence from its lead byte; false if c cannot lead one. */
static bool utf8_lead(struct ddb_jsonprefix *p, unsigned char c)
{
	unsigned char lo, hi;
	int more = ddb_utf8_lead(c, &lo, &hi);

	if (!more)
		return false;
	p->sub = more | lo << 8 | hi << 16;
	return true;
}

static int step_utf8(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int more = p->sub & 0xff, lo = (p->sub >> 8) & 0xff, hi = (p->sub >> 16) & 0xff;

	if (c < lo || c > hi)
		return fail(p, err, "invalid UTF-8 in a string");
	if (--more == 0)
		p->state = JP_STR | (p->state & JP_KEY);
	else
		p->sub = more | DDB_UTF8_CONT_LO << 8 | DDB_UTF8_CONT_HI << 16;
	return 0;
}

static int step_string(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int key = p->state & JP_KEY;

	if (c == '"') {
		string_done(p);
		return 0;
	}
	if (c == '\\') {
		p->state = JP_STR_ESC | key;
		return 0;
	}
	if (c < 0x20)
		return fail(p, err, "control character in a string");
	if (c < 0x80)
		return 0;
	if (!utf8_lead(p, c))
		return fail(p, err, "invalid UTF-8 in a string");
	p->state = JP_STR_UTF8 | key;
	return 0;
}

static int step_escape(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int key = p->state & JP_KEY;

	switch (c) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		p->state = JP_STR | key;
		return 0;
	case 'u':
		p->state = JP_STR_HEX | key;
		p->sub = 0;
		return 0;
	}
	return unexpected(p, c, " after a backslash", err);
}

/* Whether the first n hex digits, code, can still be the escape wanted. */
static bool hex_prefix_ok(unsigned code, int n, bool low_wanted)
{
	unsigned top = n >= 2 ? code >> (4 * (n - 2)) : 0;

	if (low_wanted)
		return n == 1 ? code == 0xd : n >= 2 ? top >= 0xdc && top <= 0xdf : true;
	/* A low surrogate needs a high one before it. */
	return n < 2 || top < 0xdc || top > 0xdf;
}

static int step_hex(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int key = p->state & JP_KEY, v = hex_value(c);
	bool low_wanted = p->sub & HEX_LOW_WANTED;
	int n = (p->sub & 0x7) + 1;
	unsigned code;

	if (v < 0)
		return unexpected(p, c, " in a \\u escape", err);
	code = ((unsigned)(p->sub >> 4) & 0xffff) << 4 | (unsigned)v;
	if (!hex_prefix_ok(code, n, low_wanted))
		return fail(p, err, "unpaired surrogate in a \\u escape");
	if (n < 4) {
		p->sub = n | (int)code << 4 | (low_wanted ? HEX_LOW_WANTED : 0);
		return 0;
	}
	if (!low_wanted && code >= 0xd800 && code <= 0xdbff)
		p->state = JP_STR_PAIR_BS | key;
	else
		p->state = JP_STR | key;
	return 0;
}

static int step_pair(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	int key = p->state & JP_KEY;

	if ((p->state & ~JP_KEY) == JP_STR_PAIR_BS) {
		if (c != '\\')
			return fail(p, err, "unpaired surrogate in a \\u escape");
		p->state = JP_STR_PAIR_U | key;
		return 0;
	}
	if (c != 'u')
		return fail(p, err, "unpaired surrogate in a \\u escape");
	p->state = JP_STR_HEX | key;
	p->sub = HEX_LOW_WANTED;
	return 0;
}

static int step_after(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	unsigned char top = p->stack[p->depth - 1];

	if (c == ',') {
		p->state = top == '{' ? JP_OBJ_KEY : JP_VALUE;
		return 0;
	}
	if ((c == '}' && top == '{') || (c == ']' && top == '[')) {
		pop(p);
		return 0;
	}
	return unexpected(p, c, top == '{' ? ", expected ',' or '}'" : ", expected ',' or ']'",
			  err);
}

static int step_string_state(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	switch (p->state & ~JP_KEY) {
	case JP_STR:
		return step_string(p, c, err);
	case JP_STR_ESC:
		return step_escape(p, c, err);
	case JP_STR_HEX:
		return step_hex(p, c, err);
	case JP_STR_UTF8:
		return step_utf8(p, c, err);
	default:
		return step_pair(p, c, err);
	}
}

static int step(struct ddb_jsonprefix *p, unsigned char c, struct ddb_err *err)
{
	if (p->state >= JP_STR)
		return step_string_state(p, c, err);
	if (p->state == JP_LITERAL)
		return step_literal(p, c, err);
	if (p->state == JP_NUMBER)
		return step_number(p, c, err);
	if (is_ws(c))
		return 0;
	switch (p->state) {
	case JP_ARRAY_FIRST:
		if (c == ']') {
			pop(p);
			return 0;
		}
		/* fall through */
	case JP_VALUE:
		return start_value(p, c, err);
	case JP_OBJ_FIRST:
		if (c == '}') {
			pop(p);
			return 0;
		}
		/* fall through */
	case JP_OBJ_KEY:
		if (c == '"') {
			p->state = JP_STR | JP_KEY;
			return 0;
		}
		return unexpected(p, c, ", expected a string key", err);
	case JP_COLON:
		if (c == ':') {
			p->state = JP_VALUE;
			return 0;
		}
		return unexpected(p, c, ", expected ':'", err);
	case JP_AFTER:
		return step_after(p, c, err);
	default:
		return unexpected(p, c, " after the end of the value", err);
	}
}

int ddb_jsonprefix_feed(struct ddb_jsonprefix *p, const void *data, size_t len, struct ddb_err *err)
{
	const unsigned char *s = data;
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		rc = step(p, s[i], err);
		if (rc)
			return rc;
		p->offset++;
	}
	p->complete = p->state == JP_END ||
		      (p->depth == 0 && p->state == JP_NUMBER && number_may_end(p->sub));
	return 0;
}

bool ddb_jsonprefix_complete(const struct ddb_jsonprefix *p)
{
	return p->complete;
}
