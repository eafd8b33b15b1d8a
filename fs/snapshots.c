/*
 * snapshots.c - the registry of named snapshots (snapshots.h): a short
 * sorted array under one mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "snapshots.h"

struct named {
	char *name;
	struct store_snapshot *snap;	/* the registry's reference */
};

struct fs_snapshots {
	pthread_mutex_t lock;
	struct named v[FS_SNAPSHOTS_MAX];
	size_t n;
};

int fs_snapshots_new(struct fs_snapshots **out)
{
	struct fs_snapshots *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void fs_snapshots_free(struct fs_snapshots *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		store_snapshot_unref(s->v[i].snap);
		free(s->v[i].name);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Index of name, or where it would go; *found says which. */
static size_t position(const struct fs_snapshots *s, const char *name, bool *found)
{
	size_t i;
	int c = 1;

	for (i = 0; i < s->n && (c = strcmp(s->v[i].name, name)) < 0; i++)
		;
	*found = i < s->n && c == 0;
	return i;
}

int fs_snapshots_take(struct fs_snapshots *s, struct store *st, const char *name,
		      struct ddb_err *err)
{
	struct store_snapshot *snap = NULL;
	char *copy = strdup(name);
	bool found;
	size_t i;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	i = position(s, name, &found);
	if (found)
		rc = -EEXIST;
	else if (s->n == FS_SNAPSHOTS_MAX)
		rc = ddb_err_set(err, ENOSPC, "there are already %d snapshots; rmdir one first",
				 FS_SNAPSHOTS_MAX);
	else
		rc = store_snapshot_take(st, &snap, err);
	if (!rc) {
		memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(s->v[0]));
		s->v[i] = (struct named){ copy, snap };
		s->n++;
		copy = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	free(copy);
	return rc;
}

int fs_snapshots_drop(struct fs_snapshots *s, const char *name)
{
	struct named gone = { NULL, NULL };
	bool found;
	size_t i;

	pthread_mutex_lock(&s->lock);
	i = position(s, name, &found);
	if (found) {
		gone = s->v[i];
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
		s->n--;
	}
	pthread_mutex_unlock(&s->lock);
	if (!found)
		return -ENOENT;
	store_snapshot_unref(gone.snap);
	free(gone.name);
	return 0;
}

struct store_snapshot *fs_snapshots_get(struct fs_snapshots *s, const char *name)
{
	struct store_snapshot *snap = NULL;
	bool found;
	size_t i;

	pthread_mutex_lock(&s->lock);
	i = position(s, name, &found);
	if (found) {
		snap = s->v[i].snap;
		store_snapshot_ref(snap);
	}
	pthread_mutex_unlock(&s->lock);
	return snap;
}

void fs_snapshots_each(struct fs_snapshots *s, const char *after,
		       bool (*fn)(const char *name, void *ctx), void *ctx)
{
	char *names[FS_SNAPSHOTS_MAX];
	size_t i, n = 0;

	/* Copied out, so fn may take its time (and fill a kernel buffer). */
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++)
		if (!after || strcmp(s->v[i].name, after) > 0)
			if ((names[n] = strdup(s->v[i].name)))
				n++;
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < n; i++) {
		if (!fn(names[i], ctx)) {
			for (; i < n; i++)
				free(names[i]);
			return;
		}
		free(names[i]);
	}
}
