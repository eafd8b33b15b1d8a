/*
 * store_fixture.h - real stores in throw-away data directories, for the
 * tests that drive LMDB (unit tests of the store, fault tests).
 *
 * Every helper fails the running cmocka test, with the store's sentence
 * where there is one, rather than returning an error.
 */
#ifndef DDB_TEST_STORE_FIXTURE_H
#define DDB_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include "store.h"

/* Room for "/tmp/ddbfs-<tag>-XXXXXX" with a short tag. */
#define FIXTURE_DIR_MAX 64

/* Makes a fresh, empty directory /tmp/ddbfs-<tag>-XXXXXX and writes its path to dir. */
void fixture_dir_make(char dir[FIXTURE_DIR_MAX], const char *tag);

/*
 * The path of `file` (e.g. "data.mdb") in partition 0 of the only table in
 * the data directory dir; false unless exactly one matches.  Does not fail
 * the test: usable from a forked child.
 */
bool fixture_partition_file(const char *dir, const char *file, char *out, size_t len);

/* Removes dir and everything under it. */
void fixture_dir_remove(const char *dir);

/* Opens the store whose data directory is dir; the caller closes it. */
struct store *fixture_store_open(const char *dir, bool read_only);
struct store *fixture_store_open_with(const char *dir, const struct store_options *opt);

/*
 * Creates the table name and, unless schema is NULL, sets its create-table
 * JSON.  Returns a reference the caller drops with store_table_put.
 */
struct store_table *fixture_table_make(struct store *st, const char *name, const char *schema);

/* A fresh store holding one table (schema may be NULL): the usual setup. */
struct fixture_table {
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
	struct store_table *t;
};

struct fixture_table *fixture_table_setup(const char *tag, const char *name, const char *schema);
/* Drops the table reference, closes the store, removes the directory. */
void fixture_table_teardown(struct fixture_table *f);

/*
 * Items of a table whose partition key is S and sort key (sk, NULL for a
 * hash-only table) is N: text is stored as given, with ddb_size size and
 * mtime 42.  Return the store's result.
 */
int fixture_put(struct store_table *t, const char *pk, const char *sk, const char *text,
		uint64_t size);
int fixture_del(struct store_table *t, const char *pk, const char *sk);
/* The item's text (free it), or NULL if absent. */
char *fixture_read(struct store_table *t, const char *pk, const char *sk);

#endif
