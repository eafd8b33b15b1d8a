/*
 * dir.c - sorted, streamed, resumable readdir.
 *
 * A listing runs in phases: the fixed names (".", "..", ".schema"), then the
 * keys from a store cursor (tables at the root), then scratch names.  Every
 * entry handed to the kernel gets the next offset of this open directory and
 * is remembered with its phase and name for the last two batches; the
 * kernel's next request names the offset of the last entry it consumed, and
 * the listing resumes after that entry's key, not at a position.  So a
 * directory of millions of keys streams in bounded memory, and entries that
 * did not change are neither repeated nor skipped while others are written.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "errlog.h"
#include "fs_int.h"
#include "name.h"
#include "snapshots.h"

enum phase { PH_FIXED, PH_KEYS, PH_SCRATCH, PH_END };

struct mark {
	off_t off;
	enum phase phase;
	size_t name_at;			/* into the batch's names buffer */
};

struct batch {
	struct mark *v;
	size_t n, cap;
	struct ddb_buf names;
};

struct fs_dir {
	struct fs_node node;
	struct idx_range range;		/* a view's query, resolved once at opendir */
	bool has_range;
	char *path;
	pthread_mutex_t lock;
	off_t last_off;
	struct batch cur, prev;
};

struct listing {
	struct ddbfs *fs;
	struct fs_dir *d;
	fs_fill_fn fill;
	void *ctx;
	bool full;
	int rc;
};

int do_opendir(struct ddbfs *fs, struct fs_node *n, struct fs_dir **out)
{
	struct stat st;
	struct fs_dir *d;
	int rc = do_getattr(fs, n, &st);

	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(n->path))) {
		free(d);
		return -ENOMEM;
	}
	d->node = *n;
	d->node.path = d->path;
	memset(n, 0, sizeof(*n));
	n->path = d->path;
	pthread_mutex_init(&d->lock, NULL);
	if (d->node.query && d->node.view_complete) {
		if (d->node.kind == FS_INDEX)
			rc = idx_query_range_ix(d->node.t, &d->node.ix->scan, d->node.query,
						&d->range);
		else
			rc = idx_query_range(d->node.t, &d->node.pk, d->node.query, &d->range);
		if (rc) {
			do_releasedir(d);
			return rc;
		}
		d->has_range = true;
	}
	*out = d;
	return 0;
}

static void batch_release(struct batch *b)
{
	free(b->v);
	ddb_buf_release(&b->names);
	memset(b, 0, sizeof(*b));
}

void do_releasedir(struct fs_dir *d)
{
	if (!d)
		return;
	batch_release(&d->cur);
	batch_release(&d->prev);
	if (d->has_range)
		idx_range_release(&d->range);
	fs_node_release(&d->node);
	pthread_mutex_destroy(&d->lock);
	free(d->path);
	free(d);
}

static int batch_add(struct batch *b, off_t off, enum phase phase, const char *name)
{
	size_t at = b->names.len;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct mark *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	if (ddb_buf_add(&b->names, name, strlen(name) + 1))
		return -ENOMEM;
	b->v[b->n++] = (struct mark){ off, phase, at };
	return 0;
}

static const struct mark *batch_find(const struct batch *b, off_t off)
{
	size_t i;

	for (i = b->n; i-- > 0;)
		if (b->v[i].off == off)
			return &b->v[i];
	return NULL;
}

/* Offers one entry; false once the kernel's buffer is full. */
static bool emit(struct listing *l, enum phase phase, const char *name, const struct stat *st)
{
	off_t off = l->d->last_off + 1;

	if (l->fill(l->ctx, name, st, off)) {
		l->full = true;
		return false;
	}
	l->d->last_off = off;
	if (batch_add(&l->d->cur, off, phase, name)) {
		l->rc = -ENOMEM;
		return false;
	}
	return true;
}

static int schema_stat(struct listing *l, struct stat *st)
{
	struct fs_node sn = l->d->node;	/* shares the node's memory; not released */

	sn.kind = FS_SCHEMA;
	return do_getattr(l->fs, &sn, st);
}

static void list_fixed(struct listing *l, const char *after)
{
	static const char *const fixed[] = { ".", "..", ".schema" };
	struct fs_node *n = &l->d->node;
	size_t count = n->kind == FS_TABLE && n->schema ? 3 : 2;
	size_t i = 0;
	struct stat st;

	if (after)
		while (i < count && strcmp(fixed[i++], after))
			;
	for (; i < count; i++) {
		if (i < 2)
			fs_fill_dir_stat(l->fs, &st, l->fs->mount_ns);
		else if (schema_stat(l, &st))
			continue;
		if (!emit(l, PH_FIXED, fixed[i], &st))
			return;
	}
}

/*
 * Where a listing's keys come from: a table's or partition's store cursor,
 * or a level of an index tree.  stat returns non-zero to skip an entry.
 */
struct key_source {
	enum ddb_type type;
	int (*open)(struct listing *l, const struct ddb_key *after, struct store_cursor **c);
	int (*stat)(struct listing *l, const struct store_entry *e, struct stat *st);
};

/* Streams the keys of src after the name `after`, as names. */
static void list_from(struct listing *l, const char *after, const struct key_source *src)
{
	struct ddb_buf after_mem = DDB_BUF_INIT, name = DDB_BUF_INIT;
	struct ddb_key after_key;
	struct store_cursor *c = NULL;
	struct store_entry e;
	struct stat st;
	int rc;

	if (l->d->has_range && l->d->range.empty)
		goto out;
	if (after && ddb_name_to_key(after, src->type, &after_mem, &after_key, NULL))
		goto out;	/* cannot happen for names we made; end the phase */
	rc = src->open(l, after ? &after_key : NULL, &c);
	while (!rc && (rc = store_cursor_next(c, &e)) == 0) {
		ddb_buf_reset(&name);
		if (ddb_name_from_key(&name, &e.key) || src->stat(l, &e, &st))
			continue;	/* over 255 bytes: no name can show it */
		if (!emit(l, PH_KEYS, name.data, &st))
			break;
	}
	if (rc < 0)
		l->rc = rc;
out:
	store_cursor_close(c);
	ddb_buf_release(&after_mem);
	ddb_buf_release(&name);
}

static const struct store_range *listing_range(const struct listing *l)
{
	return l->d->has_range ? &l->d->range.r : NULL;
}

static int open_keys(struct listing *l, const struct ddb_key *after, struct store_cursor **c)
{
	struct fs_node *n = &l->d->node;
	bool table = n->kind == FS_TABLE;

	return store_cursor_open(n->t, table ? STORE_SCAN_TABLE : STORE_SCAN_PARTITION,
				 table ? NULL : &n->pk, listing_range(l), after, c);
}

static int stat_keys(struct listing *l, const struct store_entry *e, struct stat *st)
{
	struct fs_node *n = &l->d->node;

	if (n->kind == FS_TABLE && ddb_schema_has_range(n->schema))
		fs_fill_dir_stat(l->fs, st, store_table_created_ms(n->t) * 1000000);
	else
		fs_fill_file_stat(l->fs, st, e->meta.text_len, e->meta.mtime_ns);
	if (n->kind == FS_VIEW)
		st->st_mode = S_IFREG | 0444;	/* views are read-only */
	return 0;
}

static void list_keys(struct listing *l, const char *after)
{
	struct fs_node *n = &l->d->node;
	struct key_source src = {
		n->kind == FS_TABLE || !ddb_schema_has_range(n->schema)
		    ? ddb_schema_hash(n->schema).type
		    : ddb_schema_range(n->schema).type,
		open_keys, stat_keys,
	};

	list_from(l, after, &src);
}

static bool emit_index_name(const char *name, void *ctx)
{
	struct listing *l = ctx;
	struct stat st;

	fs_fill_dir_stat(l->fs, &st, store_table_created_ms(l->d->node.t) * 1000000);
	st.st_mode = S_IFDIR | 0555;
	return emit(l, PH_KEYS, name, &st);
}

static int open_index(struct listing *l, const struct ddb_key *after, struct store_cursor **c)
{
	struct fs_node *n = &l->d->node;

	return store_ix_cursor_open(n->t, &n->ix->scan, listing_range(l), after, c);
}

/* Directories of values, or symlinks at the leaves. */
static int stat_index(struct listing *l, const struct store_entry *e, struct stat *st)
{
	struct fs_node *n = &l->d->node;
	struct ddb_buf target = DDB_BUF_INIT;
	int rc = 0;

	fs_fill_dir_stat(l->fs, st, store_table_created_ms(n->t) * 1000000);
	st->st_mode = S_IFDIR | 0555;
	if (n->ix->scan.level + 1 == n->ix->scan.ncomp) {
		rc = fs_index_link_target(n, &e->key, &target);
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)target.len;
	}
	ddb_buf_release(&target);
	return rc;
}

/* One level of an index tree, or the index names at its top. */
static void list_index(struct listing *l, const char *after)
{
	struct fs_node *n = &l->d->node;
	struct key_source src = {n->ix->scan.type[n->ix->scan.level], open_index, stat_index};

	if (!n->ix->def)
		fs_index_names(n, after, emit_index_name, l);
	else
		list_from(l, after, &src);
}

static int scratch_entry(const char *name, const struct scratch_stat *ss, void *ctx)
{
	struct listing *l = ctx;
	struct fs_node *n = &l->d->node;
	struct stat st;

	/* A held partition directory that now has items is listed with the keys. */
	if (ss->is_dir && n->kind == FS_TABLE && n->schema && ddb_schema_has_range(n->schema)) {
		struct ddb_buf mem = DDB_BUF_INIT;
		struct ddb_key pk;
		bool dup = !ddb_name_to_key(name, ddb_schema_hash(n->schema).type, &mem, &pk,
					    NULL) && store_partition_exists(n->t, &pk) == 0;

		ddb_buf_release(&mem);
		if (dup)
			return 0;
	}
	if (ss->is_dir)
		fs_fill_dir_stat(l->fs, &st, ss->mtime_ns);
	else
		fs_fill_file_stat(l->fs, &st, ss->size, ss->mtime_ns);
	return emit(l, PH_SCRATCH, name, &st) ? 0 : 1;
}

static void list_tables(struct listing *l, const char *after)
{
	char **names = NULL;
	size_t count = 0, i;
	struct stat st;

	l->rc = store_table_names(l->fs->store, &names, &count);
	for (i = 0; !l->rc && i < count; i++) {
		if (after && strcmp(names[i], after) <= 0)
			continue;
		fs_fill_dir_stat(l->fs, &st, l->fs->mount_ns);
		if (!emit(l, PH_KEYS, names[i], &st))
			break;
	}
	store_names_free(names, count);
}

static bool list_snapshot_name(const char *name, void *ctx)
{
	struct listing *l = ctx;
	struct stat st;

	fs_fill_dir_stat(l->fs, &st, l->fs->mount_ns);
	return emit(l, PH_KEYS, name, &st);
}

static bool has_keys(const struct fs_node *n)
{
	if (n->kind == FS_VIEW || n->kind == FS_INDEX)
		return n->view_complete;
	if (n->kind == FS_SNAPSHOT)
		return n->snap != NULL;
	return n->kind == FS_ROOT || n->kind == FS_SNAPSHOTS || ((n->kind == FS_TABLE || n->kind == FS_PARTITION) &&
				      n->schema);
}

/* Where the kernel's offset says to continue: a phase and the name last consumed. */
static void resume_point(struct fs_dir *d, off_t off, enum phase *phase, const char **after)
{
	const struct mark *m = NULL;
	const struct batch *b = &d->cur;

	*phase = PH_FIXED;
	*after = NULL;
	if (off == 0)
		return;
	m = batch_find(&d->cur, off);
	if (!m) {
		b = &d->prev;
		m = batch_find(&d->prev, off);
	}
	if (m) {
		*phase = m->phase;
		*after = b->names.data + m->name_at;
	}
	/* An offset from long ago (seekdir far back): start over. */
}

double fs_dir_timeout(const struct fs_dir *d)
{
	return fs_node_timeout(&d->node);
}

int do_readdir(struct ddbfs *fs, struct fs_dir *d, fs_fill_fn fill, void *ctx, off_t off)
{
	struct listing l = { fs, d, fill, ctx, false, 0 };
	struct batch older;
	const char *after;
	enum phase ph;

	pthread_mutex_lock(&d->lock);
	store_snapshot_use(d->node.snap);	/* this request reads what opendir resolved */
	/* The new batch replaces the older one; `after` may point into either. */
	older = d->prev;
	d->prev = d->cur;
	memset(&d->cur, 0, sizeof(d->cur));
	resume_point(d, off, &ph, &after);
	if (!after && off != 0) {
		const struct mark *m = batch_find(&older, off);

		if (m) {
			ph = m->phase;
			after = older.names.data + m->name_at;
		}
	}
	if (ph == PH_FIXED) {
		list_fixed(&l, after);
		after = NULL;
		ph = PH_KEYS;
	}
	if (ph == PH_KEYS && !l.full && !l.rc) {
		if (d->node.kind == FS_ROOT || d->node.kind == FS_SNAPSHOT)
			list_tables(&l, after);
		else if (d->node.kind == FS_SNAPSHOTS)
			fs_snapshots_each(fs->snapshots, after, list_snapshot_name, &l);
		else if (d->node.kind == FS_INDEX && has_keys(&d->node))
			list_index(&l, after);
		else if (has_keys(&d->node))
			list_keys(&l, after);
		after = NULL;
		ph = PH_SCRATCH;
	}
	if (ph == PH_SCRATCH && !l.full && !l.rc && d->node.kind != FS_VIEW &&
	    d->node.kind != FS_INDEX)
		scratch_list(fs->scratch, d->path, after, scratch_entry, &l);
	batch_release(&older);
	store_snapshot_use(NULL);
	pthread_mutex_unlock(&d->lock);
	return l.rc;
}
