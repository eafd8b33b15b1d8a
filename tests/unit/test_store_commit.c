/*
 * test_store_commit.c - batched commits (store/commit.c): many threads
 * writing into one environment at once, some of their transactions failing
 * after they wrote, others filling the map; every success is there with
 * exact counts, nothing of a failure is.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "store.h"
#include "store_fixture.h"

#define THREADS 8
#define PUTS 150

static const char *const schema_hr =
    "{\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"Partitions\":2}";

struct writer {
	struct store_table *t;
	int id;
	size_t len;		/* text size: large ones fill the map */
	int rc;
};

struct failing {
	struct ddb_key pk, sk;
	const char *text;
};

/* Writes an item, then refuses: nothing of it may stay. */
static int put_then_fail(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct failing *f = arg;

	store_txn_item_put(txn, &f->pk, &f->sk, f->text, strlen(f->text), 1, 0);
	return ddb_err_set(err, EINVAL, "refused on purpose");
}

static bool fails(int id, int i)
{
	return (id * PUTS + i) % 7 == 3;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *text = malloc(w->len + 1), sk[32];
	struct ddb_err err = DDB_ERR_INIT;
	int i, rc;

	memset(text, 'a' + w->id, w->len);
	text[w->len] = '\0';
	for (i = 0; i < PUTS && !w->rc; i++) {
		snprintf(sk, sizeof(sk), "%d", w->id * 1000 + i);
		if (fails(w->id, i)) {
			struct failing f = {{DDB_TYPE_S, "hot", 3}, {DDB_TYPE_N, sk, strlen(sk)}, text};

			rc = store_write(w->t, &f.pk, put_then_fail, &f, &err);
			if (rc != -EINVAL || strcmp(err.text, "refused on purpose"))
				w->rc = rc ? rc : -1;
			ddb_err_clear(&err);
		} else {
			w->rc = fixture_put(w->t, "hot", sk, text, w->len);
		}
	}
	free(text);
	return NULL;
}

static void test_concurrent_batches(void **state)
{
	struct fixture_table *f = fixture_table_setup("commit", "Hot", schema_hr);
	struct writer w[THREADS];
	pthread_t th[THREADS];
	uint64_t items, bytes, want_items = 0, want_bytes = 0;
	char sk[32], *got;
	int i, k;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		/* Two threads write 256 KiB texts: the 64 MiB map fills and grows. */
		w[i] = (struct writer){ f->t, i, i < 2 ? 256 * 1024 : 100, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	for (i = 0; i < THREADS; i++) {
		for (k = 0; k < PUTS; k++) {
			snprintf(sk, sizeof(sk), "%d", i * 1000 + k);
			got = fixture_read(f->t, "hot", sk);
			if (fails(i, k)) {
				assert_null(got);
				continue;
			}
			assert_non_null(got);
			assert_int_equal(strlen(got), w[i].len);
			assert_int_equal(got[0], 'a' + i);
			free(got);
			want_items++;
			want_bytes += w[i].len;
		}
	}
	assert_int_equal(store_table_stats(f->t, &items, &bytes), 0);
	assert_int_equal(items, want_items);
	assert_int_equal(bytes, want_bytes);
	fixture_table_teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
