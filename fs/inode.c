/*
 * inode.c - the table of the kernel's inode numbers (inode.h).
 *
 * Two hash chains run through each entry: by number, and by (parent, name)
 * while it has a name.  An entry lives while the kernel counts lookups of
 * it or while entries below it live, so a path can always be rebuilt by
 * walking up.  Files wait in least-recently-looked-up order to be offered
 * to the kernel for dropping.  One lock guards everything; the work under it
 * is a few hash probes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "inode.h"

struct ino {
	uint64_t ino, nlookup;
	struct ino *parent;		/* NULL at the root */
	char *name;			/* NULL once unlinked (and at the root) */
	uint64_t name_hash;
	size_t children;		/* entries whose parent this is */
	bool is_dir;
	struct ino *next_by_ino, *next_by_name;
	struct ino *lru_prev, *lru_next;	/* files waiting to be offered */
	bool in_lru;
};

struct fs_inodes {
	pthread_mutex_t lock;
	struct ino root;
	struct ino **by_ino, **by_name;
	size_t buckets;			/* a power of two, for both */
	size_t count, files;
	uint64_t next_ino;
	size_t max_files;
	struct ino *lru_head, *lru_tail;	/* oldest first */
	size_t lru_len;
};

static uint64_t hash_ino(uint64_t ino)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	return ino ^ (ino >> 33);
}

static uint64_t hash_name(uint64_t parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ hash_ino(parent);

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h;
}

static void lru_unlink(struct fs_inodes *t, struct ino *e)
{
	if (!e->in_lru)
		return;
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	e->in_lru = false;
	t->lru_len--;
}

static void lru_push(struct fs_inodes *t, struct ino *e)
{
	lru_unlink(t, e);
	e->lru_prev = t->lru_tail;
	if (t->lru_tail)
		t->lru_tail->lru_next = e;
	else
		t->lru_head = e;
	t->lru_tail = e;
	e->in_lru = true;
	t->lru_len++;
}

static struct ino **ino_slot(struct fs_inodes *t, uint64_t ino)
{
	struct ino **p = &t->by_ino[hash_ino(ino) & (t->buckets - 1)];

	while (*p && (*p)->ino != ino)
		p = &(*p)->next_by_ino;
	return p;
}

static struct ino **name_slot(struct fs_inodes *t, const struct ino *parent, const char *name,
			      uint64_t h)
{
	struct ino **p = &t->by_name[h & (t->buckets - 1)];

	while (*p && !((*p)->parent == parent && !strcmp((*p)->name, name)))
		p = &(*p)->next_by_name;
	return p;
}

static struct ino *lookup_ino(struct fs_inodes *t, uint64_t ino)
{
	return ino == FS_INODE_ROOT ? &t->root : *ino_slot(t, ino);
}

static struct ino *lookup_name(struct fs_inodes *t, const struct ino *parent, const char *name)
{
	return *name_slot(t, parent, name, hash_name(parent->ino, name));
}

static void unhash_name(struct fs_inodes *t, struct ino *e)
{
	struct ino **p;

	if (!e->name)
		return;
	p = name_slot(t, e->parent, e->name, e->name_hash);
	if (*p == e)
		*p = e->next_by_name;
	e->next_by_name = NULL;
	free(e->name);
	e->name = NULL;
	lru_unlink(t, e);
}

static void hash_name_in(struct fs_inodes *t, struct ino *e, struct ino *parent, char *name)
{
	struct ino **p;

	e->parent = parent;
	e->name = name;
	e->name_hash = hash_name(parent->ino, name);
	p = &t->by_name[e->name_hash & (t->buckets - 1)];
	e->next_by_name = *p;
	*p = e;
}

static int grow(struct fs_inodes *t)
{
	size_t n = t->buckets * 2, i;
	struct ino **bi = calloc(n, sizeof(*bi)), **bn = calloc(n, sizeof(*bn));

	if (!bi || !bn) {
		free(bi);
		free(bn);
		return -ENOMEM;
	}
	for (i = 0; i < t->buckets; i++) {
		struct ino *e, *next;

		for (e = t->by_ino[i]; e; e = next) {
			next = e->next_by_ino;
			e->next_by_ino = bi[hash_ino(e->ino) & (n - 1)];
			bi[hash_ino(e->ino) & (n - 1)] = e;
		}
		for (e = t->by_name[i]; e; e = next) {
			next = e->next_by_name;
			e->next_by_name = bn[e->name_hash & (n - 1)];
			bn[e->name_hash & (n - 1)] = e;
		}
	}
	free(t->by_ino);
	free(t->by_name);
	t->by_ino = bi;
	t->by_name = bn;
	t->buckets = n;
	return 0;
}

/* Frees e if nothing holds it any more, then its parent likewise. */
static void release_if_unused(struct fs_inodes *t, struct ino *e)
{
	while (e != &t->root && e->nlookup == 0 && e->children == 0) {
		struct ino *parent = e->parent;
		struct ino **p = ino_slot(t, e->ino);

		unhash_name(t, e);
		if (*p == e)
			*p = e->next_by_ino;
		if (!e->is_dir)
			t->files--;
		t->count--;
		free(e);
		parent->children--;
		e = parent;
	}
}

int fs_inodes_new(size_t max_files, struct fs_inodes **out)
{
	struct fs_inodes *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->buckets = 1024;
	t->by_ino = calloc(t->buckets, sizeof(*t->by_ino));
	t->by_name = calloc(t->buckets, sizeof(*t->by_name));
	if (!t->by_ino || !t->by_name) {
		fs_inodes_free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->root.ino = FS_INODE_ROOT;
	t->root.is_dir = true;
	t->next_ino = FS_INODE_ROOT + 1;
	t->max_files = max_files;
	*out = t;
	return 0;
}

void fs_inodes_free(struct fs_inodes *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->by_ino && i < t->buckets; i++) {
		struct ino *e, *next;

		for (e = t->by_ino[i]; e; e = next) {
			next = e->next_by_ino;
			free(e->name);
			free(e);
		}
	}
	free(t->by_ino);
	free(t->by_name);
	if (t->buckets)
		pthread_mutex_destroy(&t->lock);
	free(t);
}

char *fs_inodes_path(struct fs_inodes *t, uint64_t ino, const char *name, int *err)
{
	size_t len = name ? strlen(name) + 1 : 0, at;
	struct ino *e, *start;
	char *path = NULL;

	pthread_mutex_lock(&t->lock);
	start = lookup_ino(t, ino);
	/* The kernel retries an open that meets ESTALE with a fresh lookup. */
	*err = ESTALE;
	for (e = start; e && e != &t->root; e = e->parent) {
		if (!e->name)
			goto out;
		len += strlen(e->name) + 1;
	}
	if (!e)
		goto out;
	*err = ENOMEM;
	path = malloc(len + 2);
	if (!path)
		goto out;
	at = len;
	path[at] = '\0';
	if (name) {
		at -= strlen(name);
		memcpy(path + at, name, strlen(name));
		path[--at] = '/';
	}
	for (e = start; e != &t->root; e = e->parent) {
		size_t n = strlen(e->name);

		at -= n;
		memcpy(path + at, e->name, n);
		path[--at] = '/';
	}
	if (len == 0)
		strcpy(path, "/");
	*err = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return path;
}

uint64_t fs_inodes_remember(struct fs_inodes *t, uint64_t parent, const char *name, bool is_dir)
{
	struct ino *p, *e;
	uint64_t ino = 0;

	pthread_mutex_lock(&t->lock);
	p = lookup_ino(t, parent);
	if (!p)
		goto out;
	e = lookup_name(t, p, name);
	if (!e) {
		char *copy = strdup(name);

		if (t->count + 1 > t->buckets && grow(t))
			goto out_free;
		e = calloc(1, sizeof(*e));
		if (!e)
			goto out_free;
		e->ino = t->next_ino++;
		e->next_by_ino = t->by_ino[hash_ino(e->ino) & (t->buckets - 1)];
		t->by_ino[hash_ino(e->ino) & (t->buckets - 1)] = e;
		hash_name_in(t, e, p, copy);
		p->children++;
		t->count++;
		t->files++;	/* counted as a file until is_dir says otherwise below */
		goto found;
out_free:
		free(copy);
		goto out;
	}
found:
	if (e->is_dir != is_dir)
		t->files += is_dir ? (size_t)-1 : 1;
	e->is_dir = is_dir;
	e->nlookup++;
	if (is_dir)
		lru_unlink(t, e);
	else
		lru_push(t, e);
	ino = e->ino;
out:
	pthread_mutex_unlock(&t->lock);
	return ino;
}

void fs_inodes_forget(struct fs_inodes *t, uint64_t ino, uint64_t nlookup)
{
	struct ino *e;

	pthread_mutex_lock(&t->lock);
	e = ino == FS_INODE_ROOT ? NULL : lookup_ino(t, ino);
	if (e) {
		e->nlookup = e->nlookup > nlookup ? e->nlookup - nlookup : 0;
		release_if_unused(t, e);
	}
	pthread_mutex_unlock(&t->lock);
}

void fs_inodes_unlink(struct fs_inodes *t, uint64_t parent, const char *name)
{
	struct ino *p, *e;

	pthread_mutex_lock(&t->lock);
	p = lookup_ino(t, parent);
	e = p ? lookup_name(t, p, name) : NULL;
	if (e)
		unhash_name(t, e);
	pthread_mutex_unlock(&t->lock);
}

/* Moves e under newparent as newname (owned). */
static void move(struct fs_inodes *t, struct ino *e, struct ino *newparent, char *newname)
{
	bool was_waiting = e->in_lru;

	unhash_name(t, e);
	e->parent->children--;
	newparent->children++;
	hash_name_in(t, e, newparent, newname);
	if (was_waiting)
		lru_push(t, e);
}

int fs_inodes_rename(struct fs_inodes *t, uint64_t parent, const char *name, uint64_t newparent,
		     const char *newname)
{
	struct ino *p, *np, *e, *old_parent, *target;
	char *copy = strdup(newname);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	p = lookup_ino(t, parent);
	np = lookup_ino(t, newparent);
	e = p ? lookup_name(t, p, name) : NULL;
	target = np ? lookup_name(t, np, newname) : NULL;
	if (target && target != e)
		unhash_name(t, target);
	if (!e || !np || target == e) {
		free(copy);
		goto out;
	}
	old_parent = e->parent;
	move(t, e, np, copy);
	release_if_unused(t, old_parent);
out:
	pthread_mutex_unlock(&t->lock);
	return 0;
}

uint64_t fs_inodes_find(struct fs_inodes *t, const char *path)
{
	struct ino *e;
	char name[4096];
	uint64_t ino = 0;

	pthread_mutex_lock(&t->lock);
	e = &t->root;
	while (e && *path) {
		const char *end;
		size_t n;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		end = strchr(path, '/');
		n = end ? (size_t)(end - path) : strlen(path);
		if (n >= sizeof(name)) {
			e = NULL;
			break;
		}
		memcpy(name, path, n);
		name[n] = '\0';
		e = lookup_name(t, e, name);
		path += n;
	}
	if (e)
		ino = e->ino;
	pthread_mutex_unlock(&t->lock);
	return ino;
}

size_t fs_inodes_excess(struct fs_inodes *t, struct fs_inode_name *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	while (n < max && t->lru_len > t->max_files) {
		struct ino *e = t->lru_head;

		out[n].name = strdup(e->name);
		if (!out[n].name)
			break;
		out[n].parent = e->parent->ino;
		lru_unlink(t, e);
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void fs_inodes_count(struct fs_inodes *t, size_t *all, size_t *files)
{
	pthread_mutex_lock(&t->lock);
	*all = t->count;
	*files = t->files;
	pthread_mutex_unlock(&t->lock);
}
