/* periodic.c - see periodic.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "periodic.h"

struct periodic {
	unsigned interval_ms;
	void (*fn)(void *);
	void *arg;
	bool last_at_stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

static void *periodic_main(void *arg)
{
	struct periodic *p = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(p->interval_ms % 1000) * 1000000;
		until.tv_sec += p->interval_ms / 1000 + until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_mutex_lock(&p->lock);
		while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
			;
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (!stop || p->last_at_stop)
			p->fn(p->arg);
	}
	return NULL;
}

int periodic_start(unsigned interval_ms, void (*fn)(void *), void *arg, bool last_at_stop,
		   struct periodic **out)
{
	struct periodic *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	*p = (struct periodic){ .interval_ms = interval_ms, .fn = fn, .arg = arg,
				.last_at_stop = last_at_stop };
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	rc = pthread_create(&p->thread, NULL, periodic_main, p);
	if (rc) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -rc;
	}
	*out = p;
	return 0;
}

void periodic_stop(struct periodic *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
