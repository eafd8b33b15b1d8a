/*
 * worker.c - the background thread that builds new indexes from existing
 * items and deletes the entries of dropped ones.
 *
 * Each batch is one short write transaction on one environment, so a big
 * table never blocks readers (LMDB readers never wait) and holds up other
 * writers of that environment for one batch at most; other tables are
 * untouched.  Progress is saved in each batch's commit, so after a crash
 * the work resumes where it stopped.  An index becomes ACTIVE when every
 * environment is done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "entries.h"
#include "index.h"

#define WORKER_BATCH 256	/* items per backfill commit; DDBFS_INDEX_BATCH overrides */

struct idx_worker {
	struct store *st;
	idx_log_fn log;
	size_t batch;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, kicked, running;
};

struct fill_ctx {
	uint32_t id;
	uint64_t skipped;	/* items whose key attribute does not fit the index */
};

static const struct ddb_index_def *index_by_id(const struct ddb_schema *s, uint32_t id)
{
	size_t i;

	for (i = 0; s && i < ddb_schema_index_count(s); i++)
		if (ddb_schema_index(s, i)->id == id)
			return ddb_schema_index(s, i);
	return NULL;
}

static int fill_item(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		     const char *text, size_t len, uint64_t ddb_size, void *arg,
		     struct ddb_err *err)
{
	struct fill_ctx *c = arg;
	const struct ddb_index_def *d = index_by_id(store_txn_schema(txn), c->id);
	struct ddb_err ignore = DDB_ERR_INIT;
	struct idx_entry e;
	int rc;

	if (!d)
		return -ECANCELED;	/* dropped meanwhile */
	rc = idx_entry_of(d, pk, sk, text, len, &e, &ignore);
	if (rc == -EINVAL) {
		c->skipped++;	/* DynamoDB reports these as violations */
		return 0;
	}
	if (rc)
		return rc == 1 ? 0 : rc;
	rc = store_txn_ix_put(txn, &e.e, ddb_size);
	idx_entry_release(&e);
	return rc;
}

struct batch_ctx {
	size_t size;
	const struct store_ix_job *job;
	struct fill_ctx fill;
	bool done;
};

static int batch_in_txn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct batch_ctx *b = arg;
	uint64_t skipped = b->fill.skipped;
	int rc;

	if (b->job->drop)
		return store_txn_ix_drop_some(txn, b->job->id, b->size * 4, &b->done);
	rc = store_txn_backfill_some(txn, b->job->id, b->size, fill_item, &b->fill, &b->done, err);
	if (rc)
		b->fill.skipped = skipped;	/* the batch is retried or abandoned */
	return rc;
}

static bool should_stop(struct idx_worker *w)
{
	bool stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

static void say(struct idx_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct idx_worker *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->log)
		w->log(msg);
}

/* Runs one job over every environment; 0 when finished, 1 if stopped, <0. */
static int run_job(struct idx_worker *w, struct store_table *t, const char *name,
		   const struct store_ix_job *job)
{
	struct batch_ctx b = {w->batch, job, {job->id, 0}, false};
	struct ddb_err err = DDB_ERR_INIT;
	unsigned i, n = store_table_env_count(t);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		b.done = false;
		while (!b.done && !rc) {
			if (should_stop(w))
				return 1;
			rc = store_write_env(t, i, batch_in_txn, &b, &err);
		}
	}
	if (rc == -ECANCELED)
		return 0;	/* the index was dropped while it was built */
	if (!rc && b.fill.skipped)
		say(w, "table %s: %llu items left out of a new index: an index key attribute "
		    "of another type, or empty", name, (unsigned long long)b.fill.skipped);
	if (!rc)
		rc = store_table_ix_job_done(t, job, &err);
	if (rc)
		say(w, "table %s: index work stopped, retried in 5 s: %s", name,
		    err.code ? err.text : strerror(-rc));
	return rc;
}

/* One pass over every table; true if any work was found. */
static bool run_pass(struct idx_worker *w)
{
	struct store_ix_job *jobs;
	struct store_table *t;
	char **names = NULL;
	size_t count = 0, i, j, n;
	bool found = false;

	if (store_table_names(w->st, &names, &count))
		return false;
	for (i = 0; i < count && !should_stop(w); i++) {
		if (store_table_get(w->st, names[i], &t))
			continue;
		if (!store_table_ix_jobs(t, &jobs, &n)) {
			for (j = 0; j < n && !should_stop(w); j++)
				found |= run_job(w, t, names[i], &jobs[j]) == 0;
			free(jobs);
		}
		store_table_put(t);
	}
	store_names_free(names, count);
	return found;
}

static void *worker_main(void *arg)
{
	struct idx_worker *w = arg;
	struct timespec until;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		w->kicked = false;
		pthread_mutex_unlock(&w->lock);
		if (should_stop(w))
			break;
		run_pass(w);
		pthread_mutex_lock(&w->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;	/* a job that failed is retried now and then */
		while (!w->stop && !w->kicked)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until))
				break;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

int idx_worker_start(struct store *st, idx_log_fn log, struct idx_worker **out)
{
	struct idx_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->st = st;
	w->log = log;
	w->batch = WORKER_BATCH;
	if (getenv("DDBFS_INDEX_BATCH") && atol(getenv("DDBFS_INDEX_BATCH")) > 0)
		w->batch = (size_t)atol(getenv("DDBFS_INDEX_BATCH"));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -rc;
	}
	w->running = true;
	*out = w;
	return 0;
}

void idx_worker_kick(struct idx_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicked = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void idx_worker_stop(struct idx_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
