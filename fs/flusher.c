/*
 * flusher.c - the once-a-second sync of every table's environments.
 *
 * It holds no lock while syncing: it takes table references one at a time,
 * and mdb_env_sync runs alongside writers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include "errlog.h"
#include "flusher.h"

struct flusher {
	struct store *st;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

static void sync_all(struct store *st)
{
	char **names = NULL;
	size_t count = 0, i;

	if (store_table_names(st, &names, &count))
		return;
	for (i = 0; i < count; i++) {
		struct store_table *t;
		int rc;

		if (store_table_get(st, names[i], &t))
			continue;
		if (store_table_schema(t) && (rc = store_sync(t, NULL)))
			errlog_warn("%s: background sync failed (errno %d)", names[i], -rc);
		store_table_put(t);
	}
	store_names_free(names, count);
}

static void *flusher_main(void *arg)
{
	struct flusher *f = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(f->interval_ms % 1000) * 1000000;
		until.tv_sec += f->interval_ms / 1000 + until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_mutex_lock(&f->lock);
		while (!f->stop && pthread_cond_timedwait(&f->wake, &f->lock, &until) == 0)
			;
		stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		sync_all(f->st);
	}
	return NULL;
}

int flusher_start(struct store *st, unsigned interval_ms, struct flusher **out)
{
	struct flusher *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->st = st;
	f->interval_ms = interval_ms;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	rc = pthread_create(&f->thread, NULL, flusher_main, f);
	if (rc) {
		pthread_cond_destroy(&f->wake);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return -rc;
	}
	*out = f;
	return 0;
}

void flusher_stop(struct flusher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
