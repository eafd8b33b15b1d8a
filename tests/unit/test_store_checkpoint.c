/*
 * test_store_checkpoint.c - power loss between checkpoints
 * (store/checkpoint.c), simulated page by page.
 *
 * A child process writes a table, checkpoints, then goes on writing
 * (overwrites, deletes, new items: enough for LMDB to reuse pages) and
 * exits without closing, like a machine that loses power.  It copies the
 * partition's data.mdb at the checkpoint (what the disk then holds: the
 * checkpoint synced it) and at the end (what the page cache holds).  The
 * disk after the power loss is the first copy with any subset of the
 * second's pages written over it, the kernel's writeback having got that
 * far, meta pages included.  Each such disk is opened under another boot
 * id and must hold exactly the items of the checkpoint.
 *
 * The same disks opened under the same boot id (no rollback) must, for
 * some subset, hold neither state: so the check does see a torn store, and
 * the rollback is what mends it.  Opening a torn store may crash, so every
 * check runs in a child of its own.
 */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "store.h"
#include "store_fixture.h"

#define ITEMS 400		/* written before the checkpoint */
#define MORE 200		/* written after it */
#define TEXT 300
#define TRIALS 48
#define PAGE_MAX 65536

#define STATE_CHECKPOINT 0	/* exactly the items at the checkpoint */
#define STATE_TORN 1		/* neither state: items missing, wrong or unreadable */
#define STATE_LATEST 2		/* exactly the items at the end */

static const char *const schema_one_env =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"Partitions\":1}";

/* The text of item i in round r (1: before the checkpoint, 2: after). */
static void text_for(int i, int r, char *text)
{
	memset(text, 'a' + (i + r) % 26, TEXT);
	snprintf(text, TEXT, "%d/%d", i, r);
	text[strlen(text)] = '-';
	text[TEXT] = '\0';
}

/* What item i holds in a state: its round, or 0 if absent. */
static int round_of(int i, int state)
{
	if (state == STATE_CHECKPOINT)
		return i < ITEMS ? 1 : 0;
	if (i >= ITEMS)
		return 2;		/* added after the checkpoint */
	if (i % 4 == 0)
		return 0;		/* deleted after it */
	return i % 2 ? 2 : 1;		/* odd ones rewritten */
}

static int put_item(struct store_table *t, int i, int r)
{
	char sk[16], text[TEXT + 1];

	snprintf(sk, sizeof(sk), "%d", i);
	text_for(i, r, text);
	return fixture_put(t, "pk", sk, text, TEXT);
}

static struct store *open_store(const char *dir, const char *boot_id)
{
	/* Only the test's own checkpoint: the disk copy is taken right after it. */
	struct store_options opt = { .boot_id = boot_id, .ckpt_every = 1u << 30 };
	struct ddb_err err = DDB_ERR_INIT;
	struct store *st = NULL;

	if (store_open(dir, &opt, &st, &err)) {
		fprintf(stderr, "store_open %s: %s\n", dir, err.text);
		return NULL;
	}
	return st;
}

static bool copy_file(const char *from, const char *to)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	return system(cmd) == 0;
}

/*
 * The child's work: the exit status says how far it got.  Leaves
 * dir/at-checkpoint and dir/at-end, copies of the partition's data.mdb.
 */
static int write_then_lose_power(const char *dir)
{
	char data[FIXTURE_DIR_MAX + 64], copy[FIXTURE_DIR_MAX + 64];
	struct ddb_err err = DDB_ERR_INIT;
	struct store *st = open_store(dir, "boot-before");
	struct store_table *t;
	int i;

	if (!st || store_table_create(st, "Lost", &err) || store_table_get(st, "Lost", &t) ||
	    store_table_set_schema(t, schema_one_env, strlen(schema_one_env), &err))
		return 10;
	for (i = 0; i < ITEMS; i++)
		if (put_item(t, i, 1))
			return 11;
	if (store_sync(t, NULL) || !fixture_partition_file(dir, "data.mdb", data, sizeof(data)))
		return 12;
	snprintf(copy, sizeof(copy), "%s/at-checkpoint", dir);
	if (!copy_file(data, copy))
		return 13;
	for (i = 0; i < ITEMS; i++) {
		char sk[16];

		snprintf(sk, sizeof(sk), "%d", i);
		if (round_of(i, STATE_LATEST) == 2 && put_item(t, i, 2))
			return 14;
		if (!round_of(i, STATE_LATEST) && fixture_del(t, "pk", sk))
			return 15;
	}
	for (i = ITEMS; i < ITEMS + MORE; i++)
		if (put_item(t, i, 2))
			return 16;
	snprintf(copy, sizeof(copy), "%s/at-end", dir);
	return copy_file(data, copy) ? 0 : 17;	/* no close: the power goes */
}

/*
 * fn(dir) in a child, which dies of its own faults: cmocka's handlers would
 * carry on with the next test in the child.
 */
static pid_t spawn(int (*fn)(const char *), const char *dir)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
	pid_t pid = fork();
	size_t i;

	assert_true(pid >= 0);
	if (pid)
		return pid;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	_exit(fn(dir));
}

static void run_child(int (*fn)(const char *), const char *dir)
{
	int status;
	pid_t pid = spawn(fn, dir);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Which state the store in dir holds, read under boot_id. */
static int state_of(const char *dir, const char *boot_id)
{
	int i, match_ck = 1, match_end = 1;
	struct store *st = open_store(dir, boot_id);
	struct store_table *t;
	uint64_t items, bytes;

	if (!st || store_table_get(st, "Lost", &t))
		return STATE_TORN;
	for (i = 0; i < ITEMS + MORE; i++) {
		char sk[16], want[TEXT + 1];
		char *got;

		snprintf(sk, sizeof(sk), "%d", i);
		got = fixture_read(t, "pk", sk);
		if (round_of(i, STATE_CHECKPOINT)) {
			text_for(i, round_of(i, STATE_CHECKPOINT), want);
			match_ck &= got && !strcmp(got, want);
		} else {
			match_ck &= !got;
		}
		if (round_of(i, STATE_LATEST)) {
			text_for(i, round_of(i, STATE_LATEST), want);
			match_end &= got && !strcmp(got, want);
		} else {
			match_end &= !got;
		}
		free(got);
	}
	if (store_table_stats(t, &items, &bytes))
		match_ck = match_end = 0;
	match_ck &= items == ITEMS;
	match_end &= items == ITEMS - ITEMS / 4 + MORE;
	/* A store that just rolled back takes new writes. */
	if (match_ck && (put_item(t, ITEMS + MORE, 3) || store_sync(t, NULL)))
		match_ck = 0;
	store_table_put(t);
	store_close(st);
	return match_ck ? STATE_CHECKPOINT : match_end ? STATE_LATEST : STATE_TORN;
}

static const char *check_boot;

static int check_child(const char *dir)
{
	alarm(30);	/* a torn store may send LMDB round in circles */
	return state_of(dir, check_boot);
}

/* dir's store with `disk` as the partition's data.mdb; the state it opens in. */
static int state_with(const char *dir, const char *scratch, const unsigned char *disk, size_t len,
		      const char *boot_id)
{
	char cmd[256], data[FIXTURE_DIR_MAX + 64];
	int fd, status;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", scratch, dir, scratch);
	assert_int_equal(system(cmd), 0);
	assert_true(fixture_partition_file(scratch, "data.mdb", data, sizeof(data)));
	fd = open(data, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, disk, len), (ssize_t)len);
	close(fd);
	check_boot = boot_id;
	pid = spawn(check_child, scratch);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : STATE_TORN;
}

/*
 * Disk images: the checkpoint's copy with a subset of the end's pages over
 * it.  Trial 0 takes every page, 1 only the meta pages, 2 all but them;
 * the rest take each page with probability one half.
 */
static unsigned char *disk_for(int trial, const unsigned char *ck, size_t ck_len,
			       const unsigned char *end, size_t end_len, size_t psize,
			       size_t *len)
{
	size_t n = end_len > ck_len ? end_len : ck_len, p;
	unsigned char *disk = calloc(1, n);

	assert_non_null(disk);
	memcpy(disk, ck, ck_len);
	*len = ck_len;
	for (p = 0; p * psize < end_len; p++) {
		bool meta = p < 2, take;

		if (trial == 0)
			take = true;
		else if (trial == 1)
			take = meta;
		else if (trial == 2)
			take = !meta;
		else
			take = rand() % 2;
		if (!take)
			continue;
		memcpy(disk + p * psize, end + p * psize,
		       end_len - p * psize < psize ? end_len - p * psize : psize);
		if ((p + 1) * psize > *len)
			*len = (p + 1) * psize < end_len ? (p + 1) * psize : end_len;
	}
	return disk;
}

struct lost {
	char dir[FIXTURE_DIR_MAX];
	char scratch[FIXTURE_DIR_MAX + 16];
	unsigned char *ck, *end;
	size_t ck_len, end_len, psize;
};

static int lost_setup(void **state)
{
	char path[FIXTURE_DIR_MAX + 32];
	struct lost *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	fixture_dir_make(l->dir, "ckpt");
	snprintf(l->scratch, sizeof(l->scratch), "%s.disk", l->dir);
	run_child(write_then_lose_power, l->dir);
	snprintf(path, sizeof(path), "%s/at-checkpoint", l->dir);
	l->ck = slurp(path, &l->ck_len);
	snprintf(path, sizeof(path), "%s/at-end", l->dir);
	l->end = slurp(path, &l->end_len);
	l->psize = (size_t)sysconf(_SC_PAGESIZE);
	/* LMDB's page size is the machine's; both copies are whole pages. */
	assert_true(l->psize <= PAGE_MAX && l->ck_len % l->psize == 0 && l->ck_len > 2 * l->psize);
	/* The writes after the checkpoint changed pages, metas among them. */
	assert_memory_not_equal(l->ck, l->end, 2 * l->psize);
	srand(20261122);
	*state = l;
	return 0;
}

static int lost_teardown(void **state)
{
	struct lost *l = *state;

	fixture_dir_remove(l->scratch);
	fixture_dir_remove(l->dir);
	free(l->ck);
	free(l->end);
	free(l);
	return 0;
}

/* The state trial's disk opens in under boot_id. */
static int trial_state(const struct lost *l, int trial, const char *boot_id)
{
	size_t len;
	unsigned char *disk = disk_for(trial, l->ck, l->ck_len, l->end, l->end_len, l->psize,
				       &len);
	int got = state_with(l->dir, l->scratch, disk, len, boot_id);

	free(disk);
	return got;
}

static void test_power_loss_rolls_back_to_the_checkpoint(void **state)
{
	struct lost *l = *state;
	int trial;

	for (trial = 0; trial < TRIALS; trial++) {
		int got = trial_state(l, trial, "boot-after");

		if (got != STATE_CHECKPOINT)
			fail_msg("trial %d: the store opened in state %d, not at the checkpoint",
				 trial, got);
	}
}

static void test_without_the_rollback_some_disks_are_torn(void **state)
{
	struct lost *l = *state;
	int trial, torn = 0, latest = 0;

	for (trial = 0; trial < TRIALS; trial++) {
		int got = trial_state(l, trial, "boot-before");

		torn += got == STATE_TORN;
		latest += got == STATE_LATEST;
	}
	/* Trial 0 is the whole page cache: what a killed daemon leaves. */
	assert_true(latest >= 1);
	assert_true(torn >= 1);
}

/* A killed daemon, the machine up: every commit is kept, none rolled back. */
static void test_daemon_crash_keeps_every_commit(void **state)
{
	struct lost *l = *state;

	assert_int_equal(state_with(l->dir, l->scratch, l->end, l->end_len, "boot-before"),
			 STATE_LATEST);
}

static off_t data_size_after_puts(unsigned every)
{
	struct store_options opt = { .ckpt_every = every };
	char dir[FIXTURE_DIR_MAX], data[FIXTURE_DIR_MAX + 64];
	struct store_table *t;
	struct store *st;
	struct stat sb;
	int i;

	fixture_dir_make(dir, "busy");
	st = fixture_store_open_with(dir, &opt);
	t = fixture_table_make(st, "Busy", schema_one_env);
	for (i = 0; i < 3000; i++)
		assert_int_equal(put_item(t, i, 1), 0);
	assert_true(fixture_partition_file(dir, "data.mdb", data, sizeof(data)));
	assert_int_equal(stat(data, &sb), 0);
	store_table_put(t);
	store_close(st);
	fixture_dir_remove(dir);
	return sb.st_size;
}

/*
 * A checkpoint's pin keeps LMDB from reusing the pages commits free, so a
 * busy environment is checkpointed every 64 commits, and writers that
 * outrun those checkpoints wait for one: 3,000 puts (about
 * 1 MB of items) leave a file of a few MB, where with no checkpoint between
 * them it grows by every page they wrote.
 */
static void test_busy_environment_is_checkpointed_in_the_background(void **state)
{
	off_t bounded = data_size_after_puts(0), unbounded = data_size_after_puts(1u << 30);

	(void)state;
	print_message("data.mdb after 3,000 puts: %lld bytes, %lld without the background\n",
		      (long long)bounded, (long long)unbounded);
	assert_true(bounded < 16 << 20);
	assert_true(unbounded > 2 * bounded);
}

int main(void)
{
	const struct CMUnitTest lost[] = {
		cmocka_unit_test(test_power_loss_rolls_back_to_the_checkpoint),
		cmocka_unit_test(test_without_the_rollback_some_disks_are_torn),
		cmocka_unit_test(test_daemon_crash_keeps_every_commit),
	};
	const struct CMUnitTest busy[] = {
		cmocka_unit_test(test_busy_environment_is_checkpointed_in_the_background),
	};

	return cmocka_run_group_tests(lost, lost_setup, lost_teardown) |
	       cmocka_run_group_tests(busy, NULL, NULL);
}
