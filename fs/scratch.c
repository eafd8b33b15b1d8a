/*
 * scratch.c - the in-memory tree behind scratch.h.
 *
 * Entries live in one array sorted by full path (strcmp), so the children of
 * a directory are found by binary search on "dir/" and come out in byte
 * order of their names.  The counts are small (temporary files, held items);
 * one mutex guards everything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "scratch.h"

struct entry {
	char *path;
	bool is_dir;
	struct ddb_buf data;
	int64_t mtime_ns;
};

struct scratch {
	pthread_mutex_t lock;
	struct entry *v;
	size_t n, cap;
};

#define SCRATCH_FILE_MAX (64u << 20)	/* a runaway writer must not eat the daemon */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int scratch_new(struct scratch **out)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

static void entry_release(struct entry *e)
{
	free(e->path);
	ddb_buf_release(&e->data);
}

void scratch_free(struct scratch *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		entry_release(&s->v[i]);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Index of the first entry whose path is >= key. */
static size_t lower_bound(const struct scratch *s, const char *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct entry *find(struct scratch *s, const char *path)
{
	size_t i = lower_bound(s, path);

	return i < s->n && !strcmp(s->v[i].path, path) ? &s->v[i] : NULL;
}

static struct entry *insert(struct scratch *s, const char *path, bool is_dir)
{
	size_t i = lower_bound(s, path);
	struct entry *e;
	char *copy = strdup(path);

	if (!copy)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct entry *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			free(copy);
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->n++;
	e = &s->v[i];
	*e = (struct entry){ .path = copy, .is_dir = is_dir, .mtime_ns = now_ns() };
	return e;
}

static void remove_at(struct scratch *s, size_t i)
{
	entry_release(&s->v[i]);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

/* "dir/" for a directory path ("/" stays "/"), in a caller-freed string. */
static char *child_prefix(const char *dir)
{
	size_t len = strlen(dir);
	char *p = malloc(len + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, len);
	if (len == 0 || dir[len - 1] != '/')
		p[len++] = '/';
	p[len] = '\0';
	return p;
}

static void fill_stat(const struct entry *e, struct scratch_stat *st)
{
	st->is_dir = e->is_dir;
	st->size = e->data.len;
	st->mtime_ns = e->mtime_ns;
}

int scratch_stat(struct scratch *s, const char *path, struct scratch_stat *st)
{
	struct entry *e;
	int rc = -ENOENT;

	pthread_mutex_lock(&s->lock);
	e = find(s, path);
	if (e) {
		fill_stat(e, st);
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_mkdir(struct scratch *s, const char *path)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (find(s, path))
		rc = -EEXIST;
	else if (!insert(s, path, true))
		rc = -ENOMEM;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_create(struct scratch *s, const char *path, bool excl)
{
	struct entry *e;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	e = find(s, path);
	if (e && excl)
		rc = -EEXIST;
	else if (e && e->is_dir)
		rc = -EISDIR;
	else if (e)
		ddb_buf_reset(&e->data);
	else if (!insert(s, path, false))
		rc = -ENOMEM;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_unlink(struct scratch *s, const char *path)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	i = lower_bound(s, path);
	if (i >= s->n || strcmp(s->v[i].path, path))
		rc = -ENOENT;
	else if (s->v[i].is_dir)
		rc = -EISDIR;
	else
		remove_at(s, i);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static bool has_children_locked(struct scratch *s, const char *path)
{
	char *prefix = child_prefix(path);
	size_t i;
	bool yes;

	if (!prefix)
		return true;	/* cannot tell: the safe answer for rmdir */
	i = lower_bound(s, prefix);
	yes = i < s->n && !strncmp(s->v[i].path, prefix, strlen(prefix));
	free(prefix);
	return yes;
}

bool scratch_has_children(struct scratch *s, const char *path)
{
	bool yes;

	pthread_mutex_lock(&s->lock);
	yes = has_children_locked(s, path);
	pthread_mutex_unlock(&s->lock);
	return yes;
}

int scratch_rmdir(struct scratch *s, const char *path)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	i = lower_bound(s, path);
	if (i >= s->n || strcmp(s->v[i].path, path))
		rc = -ENOENT;
	else if (!s->v[i].is_dir)
		rc = -ENOTDIR;
	else if (has_children_locked(s, path))
		rc = -ENOTEMPTY;
	else
		remove_at(s, i);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static struct entry *find_file(struct scratch *s, const char *path, int *rc)
{
	struct entry *e = find(s, path);

	*rc = !e ? -ENOENT : e->is_dir ? -EISDIR : 0;
	return *rc ? NULL : e;
}

ssize_t scratch_read(struct scratch *s, const char *path, void *dst, size_t size, off_t off)
{
	struct entry *e;
	ssize_t n = 0;
	int rc;

	pthread_mutex_lock(&s->lock);
	e = find_file(s, path, &rc);
	if (e && (size_t)off < e->data.len) {
		n = (ssize_t)(e->data.len - (size_t)off < size ? e->data.len - (size_t)off : size);
		memcpy(dst, e->data.data + off, (size_t)n);
	}
	pthread_mutex_unlock(&s->lock);
	return rc ? rc : n;
}

ssize_t scratch_write(struct scratch *s, const char *path, const void *src, size_t size,
		      off_t off)
{
	struct entry *e;
	int rc;

	if (off < 0 || (uint64_t)off + size > SCRATCH_FILE_MAX)
		return -EFBIG;
	pthread_mutex_lock(&s->lock);
	e = find_file(s, path, &rc);
	if (e && (size_t)off + size > e->data.len)
		rc = ddb_buf_setlen(&e->data, (size_t)off + size);
	if (e && !rc) {
		memcpy(e->data.data + off, src, size);
		e->mtime_ns = now_ns();
	}
	pthread_mutex_unlock(&s->lock);
	return rc ? rc : (ssize_t)size;
}

int scratch_truncate(struct scratch *s, const char *path, off_t size)
{
	struct entry *e;
	int rc;

	if (size < 0 || (uint64_t)size > SCRATCH_FILE_MAX)
		return -EFBIG;
	pthread_mutex_lock(&s->lock);
	e = find_file(s, path, &rc);
	if (e)
		rc = ddb_buf_setlen(&e->data, (size_t)size);
	if (e && !rc)
		e->mtime_ns = now_ns();
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_set_mtime(struct scratch *s, const char *path, int64_t mtime_ns)
{
	struct entry *e;
	int rc = -ENOENT;

	pthread_mutex_lock(&s->lock);
	e = find(s, path);
	if (e) {
		e->mtime_ns = mtime_ns;
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_copy(struct scratch *s, const char *path, struct ddb_buf *out, int64_t *mtime_ns)
{
	struct entry *e;
	int rc;

	pthread_mutex_lock(&s->lock);
	e = find_file(s, path, &rc);
	if (e)
		rc = ddb_buf_add(out, e->data.data ? e->data.data : "", e->data.len);
	if (e && !rc && mtime_ns)
		*mtime_ns = e->mtime_ns;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_put(struct scratch *s, const char *path, const void *data, size_t len,
		int64_t mtime_ns)
{
	struct entry *e;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	e = find(s, path);
	if (e && e->is_dir)
		rc = -EISDIR;
	else if (!e && !(e = insert(s, path, false)))
		rc = -ENOMEM;
	if (!rc) {
		ddb_buf_reset(&e->data);
		rc = ddb_buf_add(&e->data, data, len);
		e->mtime_ns = mtime_ns;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Moves entry i to new_path, keeping the array sorted. */
static int move_entry(struct scratch *s, size_t i, const char *new_path)
{
	struct entry e = s->v[i];
	char *copy = strdup(new_path);
	size_t j;

	if (!copy)
		return -ENOMEM;
	free(e.path);
	e.path = copy;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	j = lower_bound(s, copy);
	memmove(&s->v[j + 1], &s->v[j], (s->n - j) * sizeof(*s->v));
	s->v[j] = e;
	s->n++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static char *join_path(const char *dir, const char *rest)
{
	char *p = malloc(strlen(dir) + strlen(rest) + 2);

	if (p) {
		strcpy(p, dir);
		strcat(p, "/");
		strcat(p, rest);
	}
	return p;
}

/* Renames everything below directory `from` to below `to`, then re-sorts (a rare operation). */
static int rename_children_locked(struct scratch *s, const char *from, const char *to)
{
	char *prefix = child_prefix(from);
	size_t plen, j, end;
	int rc = 0;

	if (!prefix)
		return -ENOMEM;
	plen = strlen(prefix);
	for (end = lower_bound(s, prefix); end < s->n; end++)
		if (strncmp(s->v[end].path, prefix, plen))
			break;
	for (j = lower_bound(s, prefix); j < end; j++) {
		char *np = join_path(to, s->v[j].path + plen);

		if (!np) {
			rc = -ENOMEM;	/* partly renamed; still sorted below */
			break;
		}
		free(s->v[j].path);
		s->v[j].path = np;
	}
	free(prefix);
	qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
	return rc;
}

/* Renames directory entry i and everything below it. */
static int rename_tree_locked(struct scratch *s, size_t i, const char *to)
{
	char *self = strdup(to), *old = s->v[i].path;
	int rc;

	if (!self)
		return -ENOMEM;
	rc = rename_children_locked(s, old, to);
	i = lower_bound(s, old);	/* the sort may have moved the entry itself */
	free(s->v[i].path);
	s->v[i].path = self;
	qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
	return rc;
}

int scratch_rename_children(struct scratch *s, const char *from, const char *to)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = rename_children_locked(s, from, to);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int scratch_rename(struct scratch *s, const char *from, const char *to)
{
	size_t i;
	struct entry *dst;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	i = lower_bound(s, from);
	if (i >= s->n || strcmp(s->v[i].path, from)) {
		rc = -ENOENT;
		goto out;
	}
	dst = find(s, to);
	if (dst && dst->is_dir != s->v[i].is_dir) {
		rc = dst->is_dir ? -EISDIR : -ENOTDIR;
		goto out;
	}
	if (dst && dst->is_dir && has_children_locked(s, to)) {
		rc = -ENOTEMPTY;
		goto out;
	}
	if (dst) {
		remove_at(s, (size_t)(dst - s->v));
		i = lower_bound(s, from);
	}
	if (s->v[i].is_dir)
		rc = rename_tree_locked(s, i, to);
	else
		rc = move_entry(s, i, to);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void scratch_remove_tree(struct scratch *s, const char *path)
{
	char *prefix = child_prefix(path);
	size_t i;

	pthread_mutex_lock(&s->lock);
	if (prefix) {
		while ((i = lower_bound(s, prefix)) < s->n &&
		       !strncmp(s->v[i].path, prefix, strlen(prefix)))
			remove_at(s, i);
	}
	i = lower_bound(s, path);
	if (i < s->n && !strcmp(s->v[i].path, path))
		remove_at(s, i);
	pthread_mutex_unlock(&s->lock);
	free(prefix);
}

int scratch_list(struct scratch *s, const char *dir, const char *after, scratch_list_fn fn,
		 void *ctx)
{
	char *prefix = child_prefix(dir);
	size_t plen, i;
	int rc = 0;

	if (!prefix)
		return -ENOMEM;
	plen = strlen(prefix);
	pthread_mutex_lock(&s->lock);
	for (i = lower_bound(s, prefix); i < s->n && !rc; i++) {
		const char *name = s->v[i].path + plen;
		struct scratch_stat st;

		if (strncmp(s->v[i].path, prefix, plen))
			break;
		if (strchr(name, '/') || (after && strcmp(name, after) <= 0))
			continue;
		fill_stat(&s->v[i], &st);
		rc = fn(name, &st, ctx);
	}
	pthread_mutex_unlock(&s->lock);
	free(prefix);
	return rc;
}

int scratch_walk_files(struct scratch *s, const char *dir, scratch_walk_fn fn, void *ctx)
{
	char *prefix = child_prefix(dir);
	size_t plen, i;
	int rc = 0;

	if (!prefix)
		return -ENOMEM;
	plen = strlen(prefix);
	pthread_mutex_lock(&s->lock);
	for (i = lower_bound(s, prefix); i < s->n && !rc; i++) {
		if (strncmp(s->v[i].path, prefix, plen))
			break;
		if (!s->v[i].is_dir)
			rc = fn(s->v[i].path, ctx);
	}
	pthread_mutex_unlock(&s->lock);
	free(prefix);
	return rc;
}
