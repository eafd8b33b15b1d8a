/*
 * cases.h - reading the data-driven test cases under tests/cases/.
 *
 * Two shapes: a case file of lines (cases_load), and a folder with one
 * folder per case, each holding small files (cases_for_each, case_read_file).
 * Case files: '#' starts a comment line, fields are separated by a TAB, and
 * inside a field \\ is a backslash, \t a tab, \n a newline, \xHH a byte and
 * \_ nothing (so "\_" alone is the empty string).
 *
 * Everything here fails the running cmocka test on a malformed case or a
 * missing file, so tests only state what they expect.
 */
#ifndef DDB_TEST_CASES_H
#define DDB_TEST_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

#define CASE_FIELDS_MAX 3

/* One line of a case file; each field is NUL-terminated and may hold NULs. */
struct case_line {
	char where[128]; /* "<file>:<line>", for failure messages */
	int nf;
	struct ddb_buf f[CASE_FIELDS_MAX];
};

struct cases {
	size_t n;
	struct case_line *v;
};

/* Loads the case file rel (under tests/cases/); it must hold at least one case. */
void cases_load(struct cases *c, const char *rel);
void cases_free(struct cases *c);

/*
 * Reads dir/name whole into out (replacing its contents, NUL-terminated).
 * False if the file cannot be opened, so optional files can be probed.
 */
bool case_read_file(const char *dir, const char *name, struct ddb_buf *out);

/* Drops the trailing newlines that editors add to one-line files. */
void case_chomp(struct ddb_buf *b);

/*
 * If the case folder dir holds a file "message", the sentence got must be
 * exactly its text; name says which case failed.
 */
void case_check_message(const char *dir, const char *name, const char *got);

typedef void (*case_fn)(const char *dir, const char *name);

/*
 * Calls fn with the path and name of every case folder in rel (under
 * tests/cases/), skipping dot-names; returns how many there were.
 */
int cases_for_each(const char *rel, case_fn fn);

#endif
