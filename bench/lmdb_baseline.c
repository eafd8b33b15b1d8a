/*
 * lmdb_baseline.c - the store limit of bench/run-compare.sh (issue 7): the
 * puts, gets and 100-key range scans of the comparison, on raw LMDB in this
 * process, with nothing of ddbfs around them.
 *
 * Usage: lmdb_baseline DIR ITEMS PARTITIONS [THREADS [ENVS [BATCH]]]
 *
 * Like a ddbfs table (store/partition.c): ENVS environments (default 4, the
 * default "Partitions"), a partition key always in the same one, opened with
 * MDB_NOTLS | MDB_NOMETASYNC (data pages synced at every commit, the meta
 * page by the next sync).  The key is the partition key's bytes, a 0 byte,
 * the sort key's bytes; the value the item's ~300-byte text.
 *
 * Prints one "name ops_per_second" line per measurement:
 *   put_txn1      one write transaction per put, 1 thread (ddbfs commits
 *                 each item at close)
 *   put_txn1_mt   the same with THREADS threads, each on its own partitions
 *                 (into a second set of environments)
 *   put_batch     BATCH puts per transaction (default 1000), 1 thread
 *   get           one read transaction and one mdb_get per item
 *   get_mt        the same with THREADS threads
 *   scan100       per partition: a read transaction, a cursor set at the
 *                 partition's first key, 100 keys and values read in order
 *                 (the unit is scans/s; keys/s is 100 times that)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_ENVS 64

struct set {
	int nenv;
	MDB_env *env[MAX_ENVS];
	MDB_dbi dbi[MAX_ENVS];
};

static long items, parts, per;
static int nthreads = 4, nenvs = 4, batch = 1000;

static void die(const char *what, int rc)
{
	fprintf(stderr, "lmdb_baseline: %s: %s\n", what, mdb_strerror(rc));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The same text bench/compare.py writes (its length, to the byte, does not matter). */
static size_t item_text(long p, long s, char *buf, size_t cap)
{
	char pad[201];

	memset(pad, 'x', 200);
	pad[200] = '\0';
	return (size_t)snprintf(buf, cap,
				"{\n  \"data\": {\"S\": \"%s\"},\n  \"n\": {\"N\": \"%ld.5\"},\n"
				"  \"pk\": {\"S\": \"p%05ld\"},\n  \"sk\": {\"S\": \"s%07ld\"}\n}\n",
				pad, s, p, s);
}

static size_t make_key(long p, long s, char *buf)
{
	int n = sprintf(buf, "p%05ld", p);

	buf[n++] = '\0';
	return (size_t)n + (size_t)sprintf(buf + n + 0, "s%07ld", s);
}

static unsigned env_of(long p)
{
	/* FNV-1a of the partition key's bytes, as a stand-in for ddbfs's hash. */
	char k[32];
	uint32_t h = 2166136261u;
	int n = sprintf(k, "p%05ld", p), i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h % (unsigned)nenvs;
}

static void set_open(struct set *s, const char *dir, const char *name)
{
	char path[4096];
	int i, rc;

	s->nenv = nenvs;
	for (i = 0; i < nenvs; i++) {
		MDB_txn *txn;

		snprintf(path, sizeof(path), "%s/%s-%d", dir, name, i);
		if (mkdir(path, 0755) && errno != EEXIST) {
			perror(path);
			exit(1);
		}
		if ((rc = mdb_env_create(&s->env[i])) ||
		    (rc = mdb_env_set_maxdbs(s->env[i], 16)) ||
		    (rc = mdb_env_set_maxreaders(s->env[i], 1024)) ||
		    (rc = mdb_env_set_mapsize(s->env[i], (size_t)1 << 32)) ||
		    (rc = mdb_env_open(s->env[i], path, MDB_NOTLS | MDB_NOMETASYNC, 0644)))
			die(path, rc);
		if ((rc = mdb_txn_begin(s->env[i], NULL, 0, &txn)) ||
		    (rc = mdb_dbi_open(txn, "items", MDB_CREATE, &s->dbi[i])) ||
		    (rc = mdb_txn_commit(txn)))
			die("opening the database", rc);
	}
}

static void set_close(struct set *s)
{
	int i;

	for (i = 0; i < s->nenv; i++)
		mdb_env_close(s->env[i]);
}

struct job {
	struct set *s;
	int first, step;	/* partitions first, first+step, ... */
	int mode;		/* 0 put, one txn each; 1 get */
	long done;
};

static void put_one(struct set *s, long p, long sk)
{
	char key[64], val[512];
	unsigned e = env_of(p);
	MDB_val k = { make_key(p, sk, key), key }, v = { item_text(p, sk, val, sizeof(val)), val };
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env[e], NULL, 0, &txn)) ||
	    (rc = mdb_put(txn, s->dbi[e], &k, &v, 0)))
		die("put", rc);
	if ((rc = mdb_txn_commit(txn)))
		die("commit", rc);
}

static size_t get_one(struct set *s, long p, long sk)
{
	char key[64];
	unsigned e = env_of(p);
	MDB_val k = { make_key(p, sk, key), key }, v;
	MDB_txn *txn;
	size_t len;
	int rc;

	if ((rc = mdb_txn_begin(s->env[e], NULL, MDB_RDONLY, &txn)) ||
	    (rc = mdb_get(txn, s->dbi[e], &k, &v)))
		die("get", rc);
	len = v.mv_size;
	mdb_txn_abort(txn);
	return len;
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	long p, sk;

	for (p = j->first; p < parts; p += j->step)
		for (sk = 0; sk < per; sk++) {
			if (j->mode == 0)
				put_one(j->s, p, sk);
			else
				get_one(j->s, p, sk);
			j->done++;
		}
	return NULL;
}

static double run_jobs(struct set *s, int mode, int n)
{
	pthread_t th[64];
	struct job jobs[64];
	double t0 = now();
	long done = 0;
	int i;

	for (i = 0; i < n; i++) {
		jobs[i] = (struct job){ .s = s, .first = i, .step = n, .mode = mode };
		if (pthread_create(&th[i], NULL, job_main, &jobs[i])) {
			fprintf(stderr, "lmdb_baseline: pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		done += jobs[i].done;
	}
	return (double)done / (now() - t0);
}

static double put_batched(struct set *s)
{
	MDB_txn *txn[MAX_ENVS] = { 0 };
	char key[64], val[512];
	double t0 = now();
	long p, sk, n = 0;
	int e, rc;

	for (p = 0; p < parts; p++)
		for (sk = 0; sk < per; sk++) {
			MDB_val k = { make_key(p, sk, key), key };
			MDB_val v = { item_text(p, sk, val, sizeof(val)), val };

			e = (int)env_of(p);
			if (!txn[e] && (rc = mdb_txn_begin(s->env[e], NULL, 0, &txn[e])))
				die("begin", rc);
			if ((rc = mdb_put(txn[e], s->dbi[e], &k, &v, 0)))
				die("put", rc);
			if (++n % batch == 0)
				for (e = 0; e < s->nenv; e++)
					if (txn[e]) {
						if ((rc = mdb_txn_commit(txn[e])))
							die("commit", rc);
						txn[e] = NULL;
					}
		}
	for (e = 0; e < s->nenv; e++)
		if (txn[e] && (rc = mdb_txn_commit(txn[e])))
			die("commit", rc);
	return (double)n / (now() - t0);
}

static double scan100(struct set *s)
{
	double t0 = now();
	size_t bytes = 0;
	long p;

	for (p = 0; p < parts; p++) {
		char key[64];
		unsigned e = env_of(p);
		MDB_val k = { make_key(p, 0, key), key }, v;
		MDB_cursor *c;
		MDB_txn *txn;
		int rc, i;

		k.mv_size = strlen(key) + 1;	/* the partition's prefix */
		if ((rc = mdb_txn_begin(s->env[e], NULL, MDB_RDONLY, &txn)) ||
		    (rc = mdb_cursor_open(txn, s->dbi[e], &c)))
			die("scan", rc);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		for (i = 0; i < 100 && rc == 0; i++) {
			if (memcmp(k.mv_data, key, strlen(key) + 1))
				break;
			bytes += v.mv_size;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		if (rc && rc != MDB_NOTFOUND)
			die("scan", rc);
		if (i != (per < 100 ? per : 100)) {
			fprintf(stderr, "lmdb_baseline: scan of partition %ld found %d keys\n", p, i);
			exit(1);
		}
		mdb_cursor_close(c);
		mdb_txn_abort(txn);
	}
	return (double)parts / (now() - t0);
}

int main(int argc, char *argv[])
{
	struct set one = { 0 }, mt = { 0 }, batched = { 0 };

	if (argc < 4) {
		fprintf(stderr, "usage: %s DIR ITEMS PARTITIONS [THREADS [ENVS [BATCH]]]\n", argv[0]);
		return 2;
	}
	items = atol(argv[2]);
	parts = atol(argv[3]);
	if (argc > 4)
		nthreads = atoi(argv[4]);
	if (argc > 5)
		nenvs = atoi(argv[5]);
	if (argc > 6)
		batch = atoi(argv[6]);
	if (parts < 1 || items < parts || nthreads < 1 || nthreads > 64 || nenvs < 1 ||
	    nenvs > MAX_ENVS || batch < 1) {
		fprintf(stderr, "lmdb_baseline: bad arguments\n");
		return 2;
	}
	per = items / parts;

	set_open(&one, argv[1], "txn1");
	printf("put_txn1 %.1f\n", run_jobs(&one, 0, 1));
	fflush(stdout);
	set_open(&mt, argv[1], "txn1mt");
	printf("put_txn1_mt %.1f\n", run_jobs(&mt, 0, nthreads));
	fflush(stdout);
	set_open(&batched, argv[1], "batch");
	printf("put_batch %.1f\n", put_batched(&batched));
	fflush(stdout);
	printf("get %.1f\n", run_jobs(&one, 1, 1));
	printf("get_mt %.1f\n", run_jobs(&one, 1, nthreads));
	printf("scan100 %.1f\n", scan100(&one));
	set_close(&one);
	set_close(&mt);
	set_close(&batched);
	return 0;
}
