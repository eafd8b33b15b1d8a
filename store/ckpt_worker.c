/*
 * ckpt_worker.c - the background thread that checkpoints busy environments
 * (checkpoint.c asks for one every so many commits).
 *
 * One thread for the process, since the disk is shared anyway, running
 * while any environment checkpoints: the first to join starts it, the last
 * to leave stops it (`life` keeps a start from racing a stop).  A job is
 * queued at most once; an environment leaving waits out a checkpoint of it
 * in progress, so no job outlives its environment.
 */
#include <pthread.h>
#include "store_int.h"

static struct {
	pthread_mutex_t life, lock;
	pthread_cond_t wake, idle;
	struct ckpt_job *queue, *busy;
	unsigned users;
	bool stop;
	pthread_t thread;
} worker = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, false, 0
};

static void *worker_main(void *arg)
{
	struct ckpt_job *j;

	(void)arg;
	pthread_mutex_lock(&worker.lock);
	for (;;) {
		while (!worker.queue && !worker.stop)
			pthread_cond_wait(&worker.wake, &worker.lock);
		if (!worker.queue)
			break;
		j = worker.queue;
		worker.queue = j->next;
		j->queued = false;
		worker.busy = j;
		pthread_mutex_unlock(&worker.lock);
		/* A failure is kept by the environment; the flusher and fsync() report it. */
		store_env_checkpoint(j->env);
		pthread_mutex_lock(&worker.lock);
		worker.busy = NULL;
		pthread_cond_broadcast(&worker.idle);
	}
	pthread_mutex_unlock(&worker.lock);
	return NULL;
}

int ckpt_worker_join(void)
{
	int rc = 0;

	pthread_mutex_lock(&worker.life);
	if (!worker.users++) {
		worker.stop = false;
		rc = -pthread_create(&worker.thread, NULL, worker_main, NULL);
		if (rc)
			worker.users = 0;
	}
	pthread_mutex_unlock(&worker.life);
	return rc;
}

void ckpt_worker_leave(struct ckpt_job *j)
{
	struct ckpt_job **p;
	bool last;

	pthread_mutex_lock(&worker.life);
	pthread_mutex_lock(&worker.lock);
	for (p = &worker.queue; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	j->queued = false;
	while (worker.busy == j)
		pthread_cond_wait(&worker.idle, &worker.lock);
	last = !--worker.users;
	if (last) {
		worker.stop = true;
		pthread_cond_signal(&worker.wake);
	}
	pthread_mutex_unlock(&worker.lock);
	if (last)
		pthread_join(worker.thread, NULL);
	pthread_mutex_unlock(&worker.life);
}

void ckpt_worker_queue(struct ckpt_job *j)
{
	struct ckpt_job **p;

	pthread_mutex_lock(&worker.lock);
	if (!j->queued) {
		j->queued = true;
		j->next = NULL;
		for (p = &worker.queue; *p; p = &(*p)->next)
			;
		*p = j;
		pthread_cond_signal(&worker.wake);
	}
	pthread_mutex_unlock(&worker.lock);
}
