/*
 * file.c - open files: opening, reading items from the map, the registry
 * of open handles, and release (file_write.c buffers, judges and commits).
 *
 * Invariant: a write handle on an item or .schema never touches the store
 * until flush (close) or fsync, and then replaces the stored value in one
 * commit or not at all, so readers see the old item or the new one and a
 * rejected write leaves the old item.  Scratch files are written through to
 * the scratch store.  A read handle on an item holds the text as of its
 * open, so reads that take several requests never mix two versions, and the
 * kernel's size checks on that handle get that text's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "errlog.h"
#include "file_int.h"
#include "item.h"

struct fs_open_files {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a handle committed or went away */
	struct fs_file *head;		/* write handles */
	struct fs_file *others;		/* every other handle, to free at exit */
};

/* How long a reader waits for a truncating or creating close to commit. */
#define SETTLE_MS 100

int fs_open_files_new(struct fs_open_files **out)
{
	struct fs_open_files *of = calloc(1, sizeof(*of));

	if (!of)
		return -ENOMEM;
	pthread_mutex_init(&of->lock, NULL);
	pthread_cond_init(&of->changed, NULL);
	*out = of;
	return 0;
}

void fs_open_files_free(struct fs_open_files *of)
{
	if (of) {
		pthread_cond_destroy(&of->changed);
		pthread_mutex_destroy(&of->lock);
		free(of);
	}
}

static void registry_add(struct fs_file *f)
{
	struct fs_open_files *of = f->fs->open_files;
	struct fs_file **head = f->writable ? &of->head : &of->others;

	pthread_mutex_lock(&of->lock);
	f->next = *head;
	if (f->next)
		f->next->pprev = &f->next;
	f->pprev = head;
	*head = f;
	pthread_mutex_unlock(&of->lock);
}

static void registry_remove(struct fs_file *f)
{
	struct fs_open_files *of = f->fs->open_files;

	pthread_mutex_lock(&of->lock);
	*f->pprev = f->next;
	if (f->next)
		f->next->pprev = f->pprev;
	pthread_cond_broadcast(&of->changed);
	pthread_mutex_unlock(&of->lock);
}

/* Caller holds of->lock.  A handle that will commit at release, not before. */
static bool pending_unwritten(struct fs_open_files *of, const char *path)
{
	struct fs_file *f;
	bool yes = false;

	for (f = of->head; f && !yes; f = f->next) {
		if (strcmp(f->path, path))
			continue;
		pthread_mutex_lock(&f->lock);
		yes = f->gen != f->committed_gen && !f->written && !f->poison;
		pthread_mutex_unlock(&f->lock);
	}
	return yes;
}

void fs_open_files_settle(struct ddbfs *fs, const char *path)
{
	struct fs_open_files *of = fs->open_files;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += SETTLE_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&of->lock);
	while (pending_unwritten(of, path) &&
	       pthread_cond_timedwait(&of->changed, &of->lock, &until) == 0)
		;
	pthread_mutex_unlock(&of->lock);
}

bool fs_open_file_size(struct ddbfs *fs, const char *path, uint64_t *size)
{
	struct fs_open_files *of = fs->open_files;
	struct fs_file *f;
	bool found = false;

	pthread_mutex_lock(&of->lock);
	for (f = of->head; f && !found; f = f->next) {
		if (strcmp(f->path, path))
			continue;
		pthread_mutex_lock(&f->lock);
		if (f->gen != f->committed_gen || f->created) {
			*size = f->buf.len;
			found = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&of->lock);
	return found;
}

bool fs_open_file_set_mtime(struct ddbfs *fs, const char *path, int64_t mtime_ns)
{
	struct fs_open_files *of = fs->open_files;
	struct fs_file *f;
	bool found = false;

	pthread_mutex_lock(&of->lock);
	for (f = of->head; f; f = f->next) {
		if (strcmp(f->path, path))
			continue;
		pthread_mutex_lock(&f->lock);
		if (f->gen != f->committed_gen || f->created) {
			f->mtime_set = true;
			f->mtime_ns = mtime_ns;
			found = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&of->lock);
	return found;
}

int fs_item_parse(struct fs_node *n, const char *text, size_t len, struct ddb_item **out,
		  struct ddb_err *err)
{
	if (!n->schema)
		return ddb_err_set(err, EINVAL, "the table has no key schema yet");
	return ddb_item_parse(text, len, n->schema, &n->pk, n->has_sk ? &n->sk : NULL, out, err);
}

static struct fs_file *file_new(struct ddbfs *fs, struct fs_node *n)
{
	struct fs_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->path = strdup(n->path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	f->fs = fs;
	/* Take over the node: its keys point into its own buffers. */
	f->node = *n;
	f->node.path = f->path;
	f->node.name = strrchr(f->path, '/') + 1;
	memset(n, 0, sizeof(*n));
	n->path = f->path;
	pthread_mutex_init(&f->lock, NULL);
	ddb_jsonprefix_init(&f->jp);
	f->jp_valid = true;
	return f;
}

static void file_free(struct fs_file *f)
{
	fs_node_release(&f->node);
	ddb_item_free(f->parsed);
	ddb_buf_release(&f->buf);
	pthread_mutex_destroy(&f->lock);
	free(f->path);
	free(f);
}

/* Linux truncates on O_RDONLY|O_TRUNC too: that open changes the file. */
static bool open_changes(int flags, bool create)
{
	return (flags & O_ACCMODE) != O_RDONLY || create || (flags & O_TRUNC);
}

/* Is buf the text of the item at f's path that has nothing but its key attributes? */
static bool holds_only_keys(struct fs_file *f)
{
	struct ddb_item *bare = NULL;
	const char *text;
	size_t len;
	bool same;

	if (fs_item_parse(&f->node, "", 0, &bare, NULL))
		return false;
	text = ddb_item_text(bare, &len);
	same = len == f->buf.len && !memcmp(text, f->buf.data, len);
	ddb_item_free(bare);
	return same;
}

static int open_item_for_write(struct fs_file *f, int flags, bool create)
{
	struct store_item_meta meta;
	struct fs_node *n = &f->node;
	const struct ddb_key *sk = n->has_sk ? &n->sk : NULL;
	int rc = store_item_stat(n->t, &n->pk, sk, &meta);

	if (rc && rc != -ENOENT)
		return rc;
	if (rc == 0 && create && (flags & O_EXCL))
		return -EEXIST;
	/*
	 * A missing item opened for writing without create: the kernel still
	 * holds the name from a create whose commit failed.  Writing makes it.
	 */
	f->writable = true;
	f->created = rc == -ENOENT;
	f->excl = f->created && (flags & O_EXCL);
	f->append = flags & O_APPEND;
	if (f->created || (flags & O_TRUNC)) {
		f->gen = 1;	/* `: > item` and `touch new` commit too */
		return 0;
	}
	rc = store_item_copy(n->t, &n->pk, sk, &f->buf, NULL);
	/*
	 * An item holding only its keys is what `touch` or `truncate -s 0`
	 * made of an empty file; `>>` then starts from empty, as it would there
	 * (appending to the keys' text could only make invalid JSON).
	 */
	if (!rc && f->append && holds_only_keys(f))
		ddb_buf_setlen(&f->buf, 0);
	f->defined = f->buf.len;	/* appends and in-place writes are judged with it */
	return rc;
}

static int open_item(struct fs_file *f, int flags, bool create)
{
	struct fs_node *n = &f->node;
	struct store_item_meta meta;
	int rc;

	if (open_changes(flags, create)) {
		if (f->fs->read_only)
			return -EROFS;
		return open_item_for_write(f, flags, create);
	}
	if (n->view_miss)
		return -ENOENT;
	fs_open_files_settle(f->fs, f->path);
	rc = store_item_copy(n->t, &n->pk, n->has_sk ? &n->sk : NULL, &f->buf, &meta);
	if (!rc)
		f->mtime_ns = meta.mtime_ns;
	return rc;
}

static int open_schema(struct fs_file *f, int flags, bool create)
{
	struct fs_node *n = &f->node;
	bool writing = open_changes(flags, create);
	int rc;

	if (writing && f->fs->read_only)
		return -EROFS;
	if (!n->schema && !writing)
		return -ENOENT;
	if (writing) {
		f->writable = true;
		f->created = !n->schema;
		if (create || (flags & O_TRUNC) || !n->schema)
			return 0;
	}
	rc = store_table_describe(n->t, n->table_name, &f->buf);
	return rc ? rc : store_table_describe_mtime(n->t, n->table_name, &f->mtime_ns);
}

static int open_scratch(struct fs_file *f, int flags, bool create)
{
	struct scratch_stat st;
	int rc;

	if (open_changes(flags, create) && f->fs->read_only)
		return -EROFS;
	if (create)
		return scratch_create(f->fs->scratch, f->path, flags & O_EXCL);
	rc = scratch_stat(f->fs->scratch, f->path, &st);
	if (!rc && st.is_dir)
		rc = -EISDIR;
	if (!rc && (flags & O_TRUNC))
		rc = scratch_truncate(f->fs->scratch, f->path, 0);
	return rc;
}

int do_open(struct ddbfs *fs, struct fs_node *n, int flags, bool create, struct fs_file **out)
{
	struct fs_file *f;
	int rc;

	if (fs_node_read_only(n) && open_changes(flags, create))
		return -EROFS;
	switch (n->kind) {
	case FS_ROOT:
	case FS_SNAPSHOTS:
	case FS_SNAPSHOT:
	case FS_TABLE:
	case FS_PARTITION:
	case FS_VIEW:
	case FS_INDEX:
		return create ? -EISDIR : (n->kind == FS_TABLE && !n->t ? -ENOENT : -EISDIR);
	case FS_INDEX_LINK:
		return -ELOOP;	/* opened with O_NOFOLLOW: the kernel follows links itself */
	case FS_ERRORS:
		if (open_changes(flags, create))
			return -EACCES;
		break;
	default:
		break;
	}
	f = file_new(fs, n);
	if (!f)
		return -ENOMEM;
	switch (f->node.kind) {
	case FS_ERRORS:
		rc = errlog_snapshot(&f->buf);
		break;
	case FS_SCHEMA:
		rc = open_schema(f, flags, create);
		break;
	case FS_ITEM:
		rc = open_item(f, flags, create);
		break;
	default:
		rc = open_scratch(f, flags, create);
		break;
	}
	if (rc) {
		file_free(f);
		return rc;
	}
	registry_add(f);
	*out = f;
	return 0;
}

int do_read(struct fs_file *f, char *buf, size_t size, off_t off)
{
	struct fs_node *n = &f->node;
	size_t got = 0;

	if (off < 0)
		return -EINVAL;
	if (n->kind == FS_SCRATCH)
		return (int)scratch_read(f->fs->scratch, f->path, buf, size, off);
	pthread_mutex_lock(&f->lock);
	if ((size_t)off < f->buf.len) {
		got = f->buf.len - (size_t)off < size ? f->buf.len - (size_t)off : size;
		memcpy(buf, f->buf.data + off, got);
	}
	pthread_mutex_unlock(&f->lock);
	return (int)got;
}

const char *fs_file_path(const struct fs_file *f)
{
	return f->path;
}

bool fs_file_stat(struct fs_file *f, struct stat *st)
{
	if (f->node.kind != FS_ITEM || f->writable)
		return false;
	fs_fill_file_stat(f->fs, st, f->buf.len, f->mtime_ns);
	if (f->node.via_view)
		st->st_mode = S_IFREG | 0444;
	return true;
}

void fs_file_set_ino(struct fs_file *f, uint64_t ino)
{
	struct fs_open_files *of = f->fs->open_files;

	/* Registered already: fs_open_files_stat_ino may be reading it. */
	pthread_mutex_lock(&of->lock);
	f->ino = ino;
	pthread_mutex_unlock(&of->lock);
}

bool fs_open_files_stat_ino(struct ddbfs *fs, uint64_t ino, struct stat *st)
{
	struct fs_open_files *of = fs->open_files;
	bool found = false;
	struct fs_file *f;

	pthread_mutex_lock(&of->lock);
	for (f = of->others; f && !found; f = f->next)
		found = f->ino == ino && fs_file_stat(f, st);
	pthread_mutex_unlock(&of->lock);
	if (found)
		st->st_nlink = 0;
	return found;
}

void do_release(struct fs_file *f)
{
	if (!f)
		return;
	fs_file_commit_final(f);	/* nobody hears an error now, but .errors does */
	registry_remove(f);
	file_free(f);
}

void fs_open_files_release_all(struct ddbfs *fs)
{
	struct fs_open_files *of = fs->open_files;
	struct fs_file *f;

	for (;;) {
		pthread_mutex_lock(&of->lock);
		f = of->head ? of->head : of->others;
		pthread_mutex_unlock(&of->lock);
		if (!f)
			break;
		do_release(f);
	}
}
