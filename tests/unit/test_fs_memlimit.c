/* test_fs_memlimit.c - the memory a cgroup leaves this process, from fake cgroup trees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memlimit.h"
#include "store_fixture.h"

#define GIB (1024ull * 1024 * 1024)

struct tree {
	char dir[FIXTURE_DIR_MAX];
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	fixture_dir_make(t->dir, "memlimit");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	fixture_dir_remove(t->dir);
	free(t);
	return 0;
}

/* Writes text to dir/rel, making its directories. */
static void put(const struct tree *t, const char *rel, const char *text)
{
	char path[FIXTURE_DIR_MAX + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	for (char *p = path + strlen(t->dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_no_cgroup_file(void **state)
{
	struct tree *t = *state;

	assert_int_equal(fs_memory_limit_from("", t->dir, 8 * GIB), 8 * GIB);
	assert_int_equal(fs_memory_limit_from("0::/a/b\n", t->dir, 8 * GIB), 8 * GIB);
	assert_int_equal(fs_memory_limit_from("", t->dir, 0), 0);
}

static void test_v2_lowest_ancestor(void **state)
{
	struct tree *t = *state;
	const char *self = "0::/system.slice/ddbfs@mnt.service\n";

	put(t, "system.slice/ddbfs@mnt.service/memory.max", "max\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), 8 * GIB);
	put(t, "system.slice/memory.max", "2147483648\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), 2 * GIB);
	put(t, "system.slice/ddbfs@mnt.service/memory.max", "1073741824\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), GIB);
	/* a limit above the machine's memory leaves the machine's */
	assert_int_equal(fs_memory_limit_from(self, t->dir, GIB / 2), GIB / 2);
	/* the root's own file counts as an ancestor; garbage is no limit */
	put(t, "memory.max", "536870912\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), GIB / 2);
	put(t, "memory.max", "lots\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), GIB);
	/* unknown physical memory: the cgroup's limit alone */
	assert_int_equal(fs_memory_limit_from(self, t->dir, 0), GIB);
}

static void test_v1_memory_hierarchy(void **state)
{
	struct tree *t = *state;
	const char *self = "12:pids:/x\n"
			   "4:cpuacct,memory:/process_api/abc\n"
			   "1:name=systemd:/\n"
			   "0::/\n";

	put(t, "memory/memory.limit_in_bytes", "9223372036854771712\n");
	put(t, "memory/process_api/abc/memory.limit_in_bytes", "9223372036854771712\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), 8 * GIB);
	put(t, "memory/process_api/abc/memory.limit_in_bytes", "3221225472\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), 3 * GIB);
	/* a hierarchy without the memory controller is not read */
	put(t, "pids/x/memory.limit_in_bytes", "1\n");
	put(t, "memory/x/memory.limit_in_bytes", "1\n");
	assert_int_equal(fs_memory_limit_from(self, t->dir, 8 * GIB), 3 * GIB);
	/* "memoryx" is not "memory" */
	assert_int_equal(fs_memory_limit_from("4:memoryx:/x\n", t->dir, 8 * GIB), 8 * GIB);
}

static void test_this_process(void **state)
{
	uint64_t got = fs_memory_limit();
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	assert_true(got > 0);
	assert_true(got <= (uint64_t)pages * (uint64_t)page);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_cgroup_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v2_lowest_ancestor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v1_memory_hierarchy, setup, teardown),
	    cmocka_unit_test(test_this_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
