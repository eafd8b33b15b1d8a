/*
 * cases.c - the test-case readers shared by the unit tests.  Fields are
 * unescaped into ddb_bufs so a case can hold any byte, NUL included.
 */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cases.h"

/* The byte written \xHH at s (two characters); false if they are not hex digits. */
static bool case_hex_byte(const char *s, char *c)
{
	char hex[3] = {s[0], s[1], '\0'};

	/* isxdigit first: strtol alone would take a sign or a space. */
	if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]))
		return false;
	*c = (char)strtol(hex, NULL, 16);
	return true;
}

static bool case_unescape(struct ddb_buf *out, const char *s, size_t len)
{
	size_t i;

	assert_int_equal(ddb_buf_add(out, "", 0), 0);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\') {
			if (++i == len)
				return false;
			switch (s[i]) {
			case '\\':
				break;
			case 't':
				c = '\t';
				break;
			case 'n':
				c = '\n';
				break;
			case '_':
				continue;
			case 'x':
				if (i + 2 >= len || !case_hex_byte(s + i + 1, &c))
					return false;
				i += 2;
				break;
			default:
				return false;
			}
		}
		assert_int_equal(ddb_buf_addch(out, c), 0);
	}
	return true;
}

static void case_split(struct case_line *cl, const char *line, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (cl->nf == CASE_FIELDS_MAX)
			fail_msg("%s: too many fields", cl->where);
		if (!case_unescape(&cl->f[cl->nf++], line + start, i - start))
			fail_msg("%s: bad escape", cl->where);
		start = i + 1;
	}
}

void cases_load(struct cases *c, const char *rel)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/%s", DDB_CASES_DIR, rel);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct case_line *cl;

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		c->v = realloc(c->v, (c->n + 1) * sizeof(*c->v));
		assert_non_null(c->v);
		cl = &c->v[c->n++];
		memset(cl, 0, sizeof(*cl));
		snprintf(cl->where, sizeof(cl->where), "%s:%d", rel, lineno);
		case_split(cl, line, (size_t)n);
	}
	free(line);
	fclose(f);
	assert_true(c->n > 0);
}

void cases_free(struct cases *c)
{
	size_t i;
	int j;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->v[i].nf; j++)
			ddb_buf_release(&c->v[i].f[j]);
	free(c->v);
}

bool case_read_file(const char *dir, const char *name, struct ddb_buf *out)
{
	char path[1024], chunk[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ddb_buf_reset(out);
	assert_int_equal(ddb_buf_add(out, "", 0), 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(ddb_buf_add(out, chunk, n), 0);
	fclose(f);
	return true;
}

void case_chomp(struct ddb_buf *b)
{
	while (b->len && b->data[b->len - 1] == '\n')
		ddb_buf_setlen(b, b->len - 1);
}

void case_check_message(const char *dir, const char *name, const char *got)
{
	struct ddb_buf msg = DDB_BUF_INIT;

	/* The message file is optional: most cases pin only the errno. */
	if (!case_read_file(dir, "message", &msg))
		return;
	case_chomp(&msg);
	if (strcmp(got, msg.data)) {
		print_error("%s: '%s', want '%s'\n", name, got, msg.data);
		fail();
	}
	ddb_buf_release(&msg);
}

int cases_for_each(const char *rel, case_fn fn)
{
	char dir[1024], sub[2048];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/%s", DDB_CASES_DIR, rel);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		fn(sub, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}
