/*
 * test_store_cursor.c - sorted scans against real LMDB: key order across
 * partitions for N, S and B; ranges, begins_with, reverse and resuming after
 * a key; and over-long keys (shortened in LMDB) listed in their true order.
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
#include "store.h"
#include "store_fixture.h"

struct fixture {
	char dir[FIXTURE_DIR_MAX];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fixture_dir_make(f->dir, "cursor");
	f->st = fixture_store_open(f->dir, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	fixture_dir_remove(f->dir);
	free(f);
	return 0;
}

/* A table with hash key type ht and, if rt is not NULL, range key type rt. */
static struct store_table *make_table(struct fixture *f, const char *ht, const char *rt,
				      int partitions)
{
	char json[1024];

	if (rt)
		snprintf(json, sizeof(json),
			 "{\"KeySchema\":[{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"},"
			 "{\"AttributeName\":\"r\",\"KeyType\":\"RANGE\"}],"
			 "\"AttributeDefinitions\":[{\"AttributeName\":\"h\",\"AttributeType\":"
			 "\"%s\"},{\"AttributeName\":\"r\",\"AttributeType\":\"%s\"}],"
			 "\"Partitions\":%d}",
			 ht, rt, partitions);
	else
		snprintf(json, sizeof(json),
			 "{\"KeySchema\":[{\"AttributeName\":\"h\",\"KeyType\":\"HASH\"}],"
			 "\"AttributeDefinitions\":[{\"AttributeName\":\"h\",\"AttributeType\":"
			 "\"%s\"}],\"Partitions\":%d}",
			 ht, partitions);
	return fixture_table_make(f->st, "Tbl", json);
}

struct put_ctx {
	const struct ddb_key *pk, *sk;
	bool del;
};

static int put_fn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct put_ctx *c = arg;

	if (c->del)
		return store_txn_item_del(txn, c->pk, c->sk);
	return store_txn_item_put(txn, c->pk, c->sk, "{}\n", 3, 1, 0);
}

static void put_key(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk)
{
	struct put_ctx c = {pk, sk, false};

	assert_int_equal(store_write(t, pk, put_fn, &c, NULL), 0);
}

static void del_key(struct store_table *t, const struct ddb_key *pk, const struct ddb_key *sk)
{
	struct put_ctx c = {pk, sk, true};

	assert_int_equal(store_write(t, pk, put_fn, &c, NULL), 0);
}

static struct ddb_key key(enum ddb_type type, const char *s)
{
	return (struct ddb_key){type, s, strlen(s)};
}

/* Scans and checks the keys against want[0..n), in order. */
static void expect_scan(struct store_table *t, enum store_scan kind, const struct ddb_key *pk,
			const struct store_range *r, const struct ddb_key *after,
			const struct ddb_key *want, size_t n)
{
	struct store_cursor *c;
	struct store_entry e;
	size_t i = 0;
	int rc;

	assert_int_equal(store_cursor_open(t, kind, pk, r, after, &c), 0);
	while ((rc = store_cursor_next(c, &e)) == 0) {
		if (i >= n)
			fail_msg("extra entry %zu: %.*s", i, (int)(e.key.len > 40 ? 40 : e.key.len),
				 (const char *)e.key.data);
		assert_int_equal(e.key.type, want[i].type);
		if (e.key.len != want[i].len || memcmp(e.key.data, want[i].data, e.key.len))
			fail_msg("entry %zu: got %.*s (len %zu), want %.*s (len %zu)", i,
				 (int)(e.key.len > 40 ? 40 : e.key.len), (const char *)e.key.data,
				 e.key.len, (int)(want[i].len > 40 ? 40 : want[i].len),
				 (const char *)want[i].data, want[i].len);
		i++;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(i, n);
	store_cursor_close(c);
}

static const char *const numbers[] = {
    "-99999999999999999999999999999999999999",
    "-1000",
    "-10",
    "-2.5",
    "-2",
    "-0.001",
    "-0.0001",
    "0",
    "0.0001",
    "0.001",
    "0.5",
    "1",
    "1.5",
    "2",
    "9.99",
    "10",
    "10.5",
    "100",
    "123456789012345678901234567890",
    "99999999999999999999999999999999999999",
};
#define NNUM (sizeof(numbers) / sizeof(numbers[0]))

static void test_table_order_n(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "N", NULL, 5);
	struct ddb_key want[NNUM], rev[NNUM];
	size_t i;

	/* Insert in a scrambled order. */
	for (i = 0; i < NNUM; i++) {
		struct ddb_key k = key(DDB_TYPE_N, numbers[(i * 7) % NNUM]);

		put_key(t, &k, NULL);
	}
	for (i = 0; i < NNUM; i++) {
		want[i] = key(DDB_TYPE_N, numbers[i]);
		rev[NNUM - 1 - i] = want[i];
	}
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, want, NNUM);
	expect_scan(t, STORE_SCAN_TABLE, NULL, &(struct store_range){.reverse = true}, NULL, rev,
		    NNUM);
	/* Resume after each key in turn. */
	for (i = 0; i < NNUM; i++)
		expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, &want[i], want + i + 1, NNUM - i - 1);
	for (i = 0; i < NNUM; i++)
		expect_scan(t, STORE_SCAN_TABLE, NULL, &(struct store_range){.reverse = true},
			    &rev[i], rev + i + 1, NNUM - i - 1);
	store_table_put(t);
}

static void test_partition_order_s(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "S", 4);
	struct ddb_key pk = key(DDB_TYPE_S, "the partition");
	struct ddb_key other = key(DDB_TYPE_S, "the partition2");
	/* Byte order: a NUL sorts first, non-ASCII after ASCII. */
	struct ddb_key want[] = {
	    {DDB_TYPE_S, "\0", 1},
	    {DDB_TYPE_S, "\0\0", 2},
	    {DDB_TYPE_S, "\0\x01", 2},
	    {DDB_TYPE_S, "A", 1},
	    {DDB_TYPE_S, "a", 1},
	    {DDB_TYPE_S, "a\0", 2},
	    {DDB_TYPE_S, "a\0b", 3},
	    {DDB_TYPE_S, "a\x01", 2},
	    {DDB_TYPE_S, "ab", 2},
	    {DDB_TYPE_S, "b", 1},
	    {DDB_TYPE_S, "\x7f", 1},
	    {DDB_TYPE_S, "\xc3\xa9", 2},
	    {DDB_TYPE_S, "\xc3\xa9t\xc3\xa9", 6},
	    {DDB_TYPE_S, "\xf0\x9f\x98\x80", 4},
	};
	size_t i, n = sizeof(want) / sizeof(want[0]);

	for (i = 0; i < n; i++) {
		put_key(t, &pk, &want[n - 1 - i]);
		put_key(t, &other, &want[i]);
	}
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, NULL, want, n);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, &want[5], want + 6, n - 6);
	{
		struct ddb_key parts[] = {pk, other};

		expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, parts, 2);
	}
	store_table_put(t);
}

static void test_partition_order_b(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "B", "B", 2);
	struct ddb_key pk = {DDB_TYPE_B, "\0\xff", 2};
	struct ddb_key want[] = {
	    {DDB_TYPE_B, "\0", 1},   {DDB_TYPE_B, "\0\0", 2},	  {DDB_TYPE_B, "\0\xff", 2},
	    {DDB_TYPE_B, "\x01", 1}, {DDB_TYPE_B, "\x7f\xff", 2}, {DDB_TYPE_B, "\x80", 1},
	    {DDB_TYPE_B, "\xff", 1}, {DDB_TYPE_B, "\xff\0", 2},	  {DDB_TYPE_B, "\xff\xff", 2},
	};
	size_t i, n = sizeof(want) / sizeof(want[0]);
	struct store_range pre = {.prefix = &(struct ddb_key){DDB_TYPE_B, "\xff", 1}};
	struct store_range pre0 = {.prefix = &(struct ddb_key){DDB_TYPE_B, "\0", 1},
				   .reverse = true};
	struct ddb_key rev0[] = {want[2], want[1], want[0]};

	for (i = 0; i < n; i++)
		put_key(t, &pk, &want[(i * 5) % n]);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, NULL, want, n);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &pre, NULL, want + 6, 3);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &pre0, NULL, rev0, 3);
	store_table_put(t);
}

/* Sort keys 1..20 in partition "p": every kind of bound. */
static void test_ranges(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "N", 4);
	struct ddb_key pk = key(DDB_TYPE_S, "p"), sk[21], rev[20];
	char text[21][4];
	struct ddb_key k5 = key(DDB_TYPE_N, "5"), k8 = key(DDB_TYPE_N, "8");
	struct ddb_key k55 = key(DDB_TYPE_N, "5.5"), k0 = key(DDB_TYPE_N, "0");
	struct ddb_key k99 = key(DDB_TYPE_N, "99");
	int i;

	for (i = 1; i <= 20; i++) {
		snprintf(text[i], sizeof(text[i]), "%d", i);
		sk[i - 1] = key(DDB_TYPE_N, text[i]);
		put_key(t, &pk, &sk[i - 1]);
	}
	for (i = 0; i < 20; i++)
		rev[i] = sk[19 - i];
	/* sk[i] is the number i + 1. */
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k5, .lo_incl = true},
		    NULL, sk + 4, 16);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k5}, NULL, sk + 5,
		    15);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k55}, NULL, sk + 5,
		    15);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.hi = &k5, .hi_incl = true},
		    NULL, sk, 5);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.hi = &k5}, NULL, sk, 4);
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.lo = &k5, .lo_incl = true, .hi = &k8, .hi_incl = true},
		    NULL, sk + 4, 4);
	/* between, descending */
	{
		struct ddb_key want[] = {sk[7], sk[6], sk[5], sk[4]};

		expect_scan(
		    t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){
			.lo = &k5, .lo_incl = true, .hi = &k8, .hi_incl = true, .reverse = true},
		    NULL, want, 4);
		/* and resumed after 7 (descending: 6, 5) */
		expect_scan(
		    t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){
			.lo = &k5, .lo_incl = true, .hi = &k8, .hi_incl = true, .reverse = true},
		    &sk[6], want + 2, 2);
	}
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.hi = &k55, .reverse = true}, NULL, rev + 15, 5);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.hi = &k0}, NULL, sk, 0);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k99}, NULL, sk, 0);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k8, .hi = &k5}, NULL,
		    sk, 0);
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.lo = &k5, .lo_incl = true, .hi = &k5, .hi_incl = true},
		    NULL, sk + 4, 1);
	/* after beyond the range's start: the later bound wins */
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k5}, &k8, sk + 8,
		    12);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.lo = &k8}, &k5, sk + 8,
		    12);
	/* an absent partition lists nothing */
	expect_scan(t, STORE_SCAN_PARTITION, &(struct ddb_key){DDB_TYPE_S, "q", 1}, NULL, NULL, sk,
		    0);
	store_table_put(t);
}

static void test_prefix(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "S", 4);
	struct ddb_key pk = key(DDB_TYPE_S, "p");
	const char *names[] = {"19", "190", "1900", "1999", "19\xff", "2", "1", "18", "19\0z"};
	struct ddb_key want[] = {key(DDB_TYPE_S, "19"),	  {DDB_TYPE_S, "19\0z", 4},
				 key(DDB_TYPE_S, "190"),  key(DDB_TYPE_S, "1900"),
				 key(DDB_TYPE_S, "1999"), key(DDB_TYPE_S, "19\xff")};
	struct ddb_key rev[] = {want[5], want[4], want[3], want[2], want[1], want[0]};
	struct ddb_key p19 = key(DDB_TYPE_S, "19"), k195 = key(DDB_TYPE_S, "195");
	size_t i;

	for (i = 0; i < 9; i++) {
		struct ddb_key k = {DDB_TYPE_S, names[i], i == 8 ? 4 : strlen(names[i])};

		put_key(t, &pk, &k);
	}
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.prefix = &p19}, NULL, want,
		    6);
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.prefix = &p19, .reverse = true}, NULL, rev, 6);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.prefix = &p19}, &want[2],
		    want + 3, 3);
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.prefix = &p19, .lo = &k195}, NULL, want + 4, 2);
	expect_scan(t, STORE_SCAN_PARTITION, &pk,
		    &(struct store_range){.prefix = &p19, .hi = &k195}, NULL, want, 4);
	store_table_put(t);
}

/* A listing resumed after a key that was deleted meanwhile neither repeats nor skips. */
static void test_resume_after_deleted(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "N", "S", 4);
	struct ddb_key pks[10], want[9];
	char text[10][4];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(text[i], sizeof(text[i]), "%d", i * 3);
		pks[i] = key(DDB_TYPE_N, text[i]);
		put_key(t, &pks[i], &(struct ddb_key){DDB_TYPE_S, "x", 1});
		put_key(t, &pks[i], &(struct ddb_key){DDB_TYPE_S, "y", 1});
	}
	/* 0 3 6 9 12 ... in numeric order (27 before 3 in bytes would be wrong) */
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, pks, 10);
	del_key(t, &pks[4], &(struct ddb_key){DDB_TYPE_S, "x", 1});
	del_key(t, &pks[4], &(struct ddb_key){DDB_TYPE_S, "y", 1});
	for (i = 0; i < 9; i++)
		want[i] = pks[i < 4 ? i : i + 1];
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, &pks[4], want + 4, 5);
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, &pks[3], want + 4, 5);
	/* A partition key is listed while any item is left under it. */
	del_key(t, &pks[0], &(struct ddb_key){DDB_TYPE_S, "y", 1});
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, want, 9);
	del_key(t, &pks[0], &(struct ddb_key){DDB_TYPE_S, "x", 1});
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, want + 1, 8);
	put_key(t, &pks[0], &(struct ddb_key){DDB_TYPE_S, "y", 1});
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, want, 9);
	del_key(t, &pks[9], &(struct ddb_key){DDB_TYPE_S, "x", 1});
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, want, 9);
	store_table_put(t);
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct ddb_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->data, y->data, n);

	return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* n S keys of about len bytes; most share a prefix longer than any LMDB key part. */
static char **long_keys(size_t n, size_t len, struct ddb_key *out)
{
	char **s = calloc(n, sizeof(*s));
	size_t i, l;

	for (i = 0; i < n; i++) {
		l = len - (i % 3) * 5;
		s[i] = malloc(l + 1);
		memset(s[i], 'k', l);
		if (i % 4 == 0)
			s[i][l / 2] = (char)('a' + i % 26); /* differs early */
		snprintf(s[i] + l - 8, 9, "%08zu", (i * 7919) % 100000);
		out[i] = (struct ddb_key){DDB_TYPE_S, s[i], l};
	}
	qsort(out, n, sizeof(*out), cmp_bytes);
	return s;
}

static void free_keys(char **s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static void test_long_sort_keys(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "S", 4);
	struct ddb_key pk = key(DDB_TYPE_S, "p"), sk[40], rev[40];
	char **s = long_keys(40, 1024, sk);
	size_t i;

	for (i = 0; i < 40; i++) {
		put_key(t, &pk, &sk[(i * 13) % 40]);
		rev[39 - i] = sk[i];
	}
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, NULL, sk, 40);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.reverse = true}, NULL, rev,
		    40);
	for (i = 0; i < 40; i += 3) {
		expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, &sk[i], sk + i + 1, 39 - i);
		expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.reverse = true},
			    &rev[i], rev + i + 1, 39 - i);
		expect_scan(t, STORE_SCAN_PARTITION, &pk,
			    &(struct store_range){.lo = &sk[i], .lo_incl = true}, NULL, sk + i,
			    40 - i);
		expect_scan(t, STORE_SCAN_PARTITION, &pk,
			    &(struct store_range){.hi = &sk[i], .reverse = true}, NULL,
			    rev + 40 - i, i);
	}
	/* begins_with a 600-byte prefix shared by most keys */
	{
		struct ddb_key p = {DDB_TYPE_S, sk[39].data, 600};
		size_t first = 0;

		while (memcmp(sk[first].data, p.data, 600))
			first++;
		expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.prefix = &p}, NULL,
			    sk + first, 40 - first);
	}
	/* Deleting one keeps the others readable and ordered. */
	del_key(t, &pk, &sk[20]);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, &sk[19], sk + 21, 19);
	free_keys(s, 40);
	store_table_put(t);
}

/* Two groups of shortened keys with ordinary keys around and between them. */
static void test_groups_and_singles(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "S", 2);
	struct ddb_key pk = key(DDB_TYPE_S, "p"), sk[24], rev[24];
	char buf[24][400];
	size_t i, n = 0;

	for (i = 0; i < 24; i++) {
		size_t len;

		if (i < 4) { /* singles: a, b, c, d */
			buf[i][0] = (char)('a' + i);
			len = 1;
		} else if (i < 14) { /* group under "a"*300 */
			memset(buf[i], 'a', 300);
			len = 300 + (size_t)snprintf(buf[i] + 300, 20, "%zu", (i * 37) % 11);
		} else { /* group under "c"*290, of varying lengths */
			memset(buf[i], 'c', 290 + i);
			len = 290 + i;
		}
		sk[n++] = (struct ddb_key){DDB_TYPE_S, buf[i], len};
	}
	for (i = 0; i < n; i++)
		put_key(t, &pk, &sk[(i * 5) % n]);
	qsort(sk, n, sizeof(*sk), cmp_bytes);
	for (i = 0; i < n; i++)
		rev[n - 1 - i] = sk[i];
	expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, NULL, sk, n);
	expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.reverse = true}, NULL, rev,
		    n);
	for (i = 0; i < n; i++) {
		expect_scan(t, STORE_SCAN_PARTITION, &pk, NULL, &sk[i], sk + i + 1, n - i - 1);
		expect_scan(t, STORE_SCAN_PARTITION, &pk, &(struct store_range){.reverse = true},
			    &rev[i], rev + i + 1, n - i - 1);
		expect_scan(t, STORE_SCAN_PARTITION, &pk,
			    &(struct store_range){.lo = &sk[i],
						  .hi = &sk[n - 1 - i < i ? i : n - 1 - i],
						  .lo_incl = true},
			    NULL, sk + i, (n - 1 - i < i ? i : n - 1 - i) - i);
	}
	store_table_put(t);
}

static void test_long_partition_keys(void **state)
{
	struct fixture *f = *state;
	struct store_table *t = make_table(f, "S", "S", 3);
	struct store_table *h;
	struct ddb_key pk[30], rev[30], sk = key(DDB_TYPE_S, "s");
	struct ddb_key lsk[31];
	char **s = long_keys(30, 2048, pk), **ls = long_keys(30, 1024, lsk);
	struct store_item_meta m;
	size_t i;

	lsk[30] = sk; /* "s" sorts after every "kkk..." */

	for (i = 0; i < 30; i++) {
		put_key(t, &pk[(i * 11) % 30], &sk);
		rev[29 - i] = pk[i];
	}
	/* Long pk and long sk together: the longest LMDB key there is. */
	for (i = 0; i < 30; i++)
		put_key(t, &pk[3], &lsk[(i * 7) % 30]);
	expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, NULL, pk, 30);
	expect_scan(t, STORE_SCAN_TABLE, NULL, &(struct store_range){.reverse = true}, NULL, rev,
		    30);
	for (i = 0; i < 30; i += 4)
		expect_scan(t, STORE_SCAN_TABLE, NULL, NULL, &pk[i], pk + i + 1, 29 - i);
	expect_scan(t, STORE_SCAN_PARTITION, &pk[3], NULL, NULL, lsk, 31);
	expect_scan(t, STORE_SCAN_PARTITION, &pk[4], NULL, NULL, &sk, 1);
	assert_int_equal(store_item_stat(t, &pk[3], &lsk[29], &m), 0);
	assert_int_equal(store_partition_exists(t, &pk[7]), 0);
	store_table_put(t);

	/* A hash-only table keyed by 2048-byte strings. */
	assert_int_equal(store_table_rename(f->st, "Tbl", "Old", NULL), 0);
	h = make_table(f, "S", NULL, 4);
	for (i = 0; i < 30; i++)
		put_key(h, &pk[(i * 17) % 30], NULL);
	expect_scan(h, STORE_SCAN_TABLE, NULL, NULL, NULL, pk, 30);
	expect_scan(h, STORE_SCAN_TABLE, NULL, &(struct store_range){.reverse = true}, &rev[5],
		    rev + 6, 24);
	assert_int_equal(store_item_stat(h, &pk[9], NULL, &m), 0);
	store_table_put(h);
	free_keys(s, 30);
	free_keys(ls, 30);
}

static void test_no_schema(void **state)
{
	struct fixture *f = *state;
	struct ddb_err err = DDB_ERR_INIT;
	struct store_cursor *c;
	struct store_table *t;
	struct store_entry e;

	assert_int_equal(store_table_create(f->st, "Empty", &err), 0);
	assert_int_equal(store_table_get(f->st, "Empty", &t), 0);
	assert_int_equal(store_cursor_open(t, STORE_SCAN_TABLE, NULL, NULL, NULL, &c), 0);
	assert_int_equal(store_cursor_next(c, &e), 1);
	store_cursor_close(c);
	store_table_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table_order_n, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partition_order_s, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partition_order_b, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resume_after_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_sort_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_groups_and_singles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_partition_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_schema, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
