/*
 * test_fs_inode.c - the table of the kernel's inode numbers (fs/inode.h):
 * paths rebuilt from numbers, lookups counted and forgotten, unlink and
 * rename, and files offered for dropping beyond the configured count.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "inode.h"

static struct fs_inodes *table(size_t max_files)
{
	struct fs_inodes *t = NULL;

	assert_int_equal(fs_inodes_new(max_files, &t), 0);
	return t;
}

/* The path of ino (and name), or "ERR<errno>". */
static char *path_of(struct fs_inodes *t, uint64_t ino, const char *name)
{
	static char out[256];
	int err = 0;
	char *p = fs_inodes_path(t, ino, name, &err);

	if (!p) {
		snprintf(out, sizeof(out), "ERR%d", err);
		return out;
	}
	snprintf(out, sizeof(out), "%s", p);
	free(p);
	return out;
}

static void paths_are_rebuilt_from_numbers(void **state)
{
	struct fs_inodes *t = table(100);
	uint64_t books = fs_inodes_remember(t, FS_INODE_ROOT, "Books", true);
	uint64_t pk = fs_inodes_remember(t, books, "Moby Dick", true);
	uint64_t sk = fs_inodes_remember(t, pk, "1851", false);

	assert_true(books > FS_INODE_ROOT && pk != books && sk != pk);
	assert_string_equal(path_of(t, FS_INODE_ROOT, NULL), "/");
	assert_string_equal(path_of(t, FS_INODE_ROOT, "Books"), "/Books");
	assert_string_equal(path_of(t, sk, NULL), "/Books/Moby Dick/1851");
	assert_string_equal(path_of(t, pk, ".schema"), "/Books/Moby Dick/.schema");
	/* The same name keeps its number; the path finds it. */
	assert_int_equal(fs_inodes_remember(t, pk, "1851", false), sk);
	assert_int_equal(fs_inodes_find(t, "/Books/Moby Dick/1851"), sk);
	assert_int_equal(fs_inodes_find(t, "/Books"), books);
	assert_int_equal(fs_inodes_find(t, "/Books/Nope"), 0);
	assert_string_equal(path_of(t, 999999, NULL), "ERR116");	/* ESTALE */
	fs_inodes_free(t);
}

static void a_number_lives_until_every_lookup_is_forgotten(void **state)
{
	struct fs_inodes *t = table(100);
	uint64_t dir = fs_inodes_remember(t, FS_INODE_ROOT, "T", true);
	uint64_t a = fs_inodes_remember(t, dir, "a", false);
	size_t all, files;

	assert_int_equal(fs_inodes_remember(t, dir, "a", false), a);
	fs_inodes_forget(t, a, 1);
	assert_string_equal(path_of(t, a, NULL), "/T/a");
	fs_inodes_forget(t, a, 1);
	assert_string_equal(path_of(t, a, NULL), "ERR116");
	/* The directory is forgotten before its child: it stays for the child's path. */
	a = fs_inodes_remember(t, dir, "a", false);
	fs_inodes_forget(t, dir, 1);
	assert_string_equal(path_of(t, a, NULL), "/T/a");
	fs_inodes_count(t, &all, &files);
	assert_int_equal(all, 2);
	assert_int_equal(files, 1);
	fs_inodes_forget(t, a, 1);
	fs_inodes_count(t, &all, &files);
	assert_int_equal(all, 0);
	assert_int_equal(files, 0);
	fs_inodes_free(t);
}

static void unlinked_names_go_stale_and_the_name_is_free_again(void **state)
{
	struct fs_inodes *t = table(100);
	uint64_t dir = fs_inodes_remember(t, FS_INODE_ROOT, "T", true);
	uint64_t a = fs_inodes_remember(t, dir, "a", false);
	uint64_t a2;

	fs_inodes_unlink(t, dir, "a");
	assert_string_equal(path_of(t, a, NULL), "ERR116");
	assert_int_equal(fs_inodes_find(t, "/T/a"), 0);
	a2 = fs_inodes_remember(t, dir, "a", false);
	assert_true(a2 != a);
	assert_string_equal(path_of(t, a2, NULL), "/T/a");
	/* Below an unlinked directory, nothing has a path. */
	fs_inodes_unlink(t, FS_INODE_ROOT, "T");
	assert_string_equal(path_of(t, a2, NULL), "ERR116");
	fs_inodes_forget(t, a, 1);
	fs_inodes_forget(t, a2, 1);
	fs_inodes_forget(t, dir, 1);
	fs_inodes_free(t);
}

static void a_renamed_directory_moves_what_is_below_it(void **state)
{
	struct fs_inodes *t = table(100);
	uint64_t old = fs_inodes_remember(t, FS_INODE_ROOT, "Old", true);
	uint64_t other = fs_inodes_remember(t, FS_INODE_ROOT, "Other", true);
	uint64_t pk = fs_inodes_remember(t, old, "p", true);
	uint64_t item = fs_inodes_remember(t, pk, "s", false);
	uint64_t target = fs_inodes_remember(t, other, "s", false);

	assert_int_equal(fs_inodes_rename(t, FS_INODE_ROOT, "Old", FS_INODE_ROOT, "New"), 0);
	assert_string_equal(path_of(t, item, NULL), "/New/p/s");
	assert_int_equal(fs_inodes_find(t, "/Old"), 0);
	/* Onto an existing name: that name's number goes stale. */
	assert_int_equal(fs_inodes_rename(t, pk, "s", other, "s"), 0);
	assert_string_equal(path_of(t, item, NULL), "/Other/s");
	assert_string_equal(path_of(t, target, NULL), "ERR116");
	assert_int_equal(fs_inodes_find(t, "/Other/s"), item);
	/* A name the table never saw: nothing to move. */
	assert_int_equal(fs_inodes_rename(t, pk, "ghost", other, "g"), 0);
	assert_int_equal(fs_inodes_find(t, "/Other/g"), 0);
	fs_inodes_free(t);
}

static void files_beyond_the_limit_are_offered_oldest_first(void **state)
{
	struct fs_inodes *t = table(3);
	uint64_t dir = fs_inodes_remember(t, FS_INODE_ROOT, "T", true);
	struct fs_inode_name out[8];
	char name[8];
	size_t n, i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		fs_inodes_remember(t, dir, name, false);
	}
	/* Looked up again: f0 is the most recent now. */
	fs_inodes_remember(t, dir, "f0", false);
	n = fs_inodes_excess(t, out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].name, "f1");
	assert_string_equal(out[1].name, "f2");
	assert_string_equal(out[2].name, "f3");
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].parent, dir);
		free(out[i].name);
	}
	/* Offered once: not again, until looked up again; directories never. */
	assert_int_equal(fs_inodes_excess(t, out, 8), 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "d%zu", i);
		fs_inodes_remember(t, dir, name, true);
	}
	assert_int_equal(fs_inodes_excess(t, out, 8), 0);
	fs_inodes_remember(t, dir, "f1", false);
	n = fs_inodes_excess(t, out, 8);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].name, "f4");
	free(out[0].name);
	fs_inodes_free(t);
}

static void the_table_grows_past_its_first_buckets(void **state)
{
	struct fs_inodes *t = table(1u << 20);
	uint64_t dir = fs_inodes_remember(t, FS_INODE_ROOT, "T", true);
	uint64_t first = 0;
	char name[32], path[64];
	size_t i, all, files;

	for (i = 0; i < 5000; i++) {
		uint64_t ino;

		snprintf(name, sizeof(name), "k%zu", i);
		ino = fs_inodes_remember(t, dir, name, false);
		if (!first)
			first = ino;
	}
	for (i = 0; i < 5000; i += 997) {
		snprintf(path, sizeof(path), "/T/k%zu", i);
		assert_int_equal(fs_inodes_find(t, path), first + i);
	}
	fs_inodes_count(t, &all, &files);
	assert_int_equal(all, 5001);
	assert_int_equal(files, 5000);
	fs_inodes_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths_are_rebuilt_from_numbers),
		cmocka_unit_test(a_number_lives_until_every_lookup_is_forgotten),
		cmocka_unit_test(unlinked_names_go_stale_and_the_name_is_free_again),
		cmocka_unit_test(a_renamed_directory_moves_what_is_below_it),
		cmocka_unit_test(files_beyond_the_limit_are_offered_oldest_first),
		cmocka_unit_test(the_table_grows_past_its_first_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
