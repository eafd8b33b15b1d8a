/*
 * node.c - from a path to what it names.
 *
 * Resolution only classifies: it reads the table's schema to know the key
 * types and decodes names into keys, but does not look items up, so every
 * operation pays one store lookup at most.  A name that is not a key of its
 * level is scratch (scratch.h); everything in a table without a schema is
 * scratch until the schema arrives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "errlog.h"
#include "fs_int.h"
#include "name.h"
#include "snapshots.h"

#define MAX_DEPTH 40	/* views compose: .ge/1900/.lt/2000/.desc/.limit/2/... */

static struct ddbfs *the_fs;

struct ddbfs *fs_get(void)
{
	return the_fs;
}

void fs_set(struct ddbfs *fs)
{
	the_fs = fs;
}

/* Splits "/a/b/c" into components in place of a copy; returns the count or -errno. */
static int split(const char *path, char *copy, size_t cap, char *comp[MAX_DEPTH])
{
	int k = 0;
	char *p, *save = NULL;

	if (strlen(path) >= cap)
		return -ENAMETOOLONG;
	strcpy(copy, path);
	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strlen(p) > DDB_FILE_NAME_MAX)
			return -ENAMETOOLONG;
		if (k == MAX_DEPTH)
			return -ENOENT;
		comp[k++] = p;
	}
	return k;
}

/* 1: a key (stored in *key), 0: not a key of that type, <0: error. */
static int name_as_key(const char *name, enum ddb_type type, struct ddb_buf *mem,
		       struct ddb_key *key)
{
	int rc = ddb_name_to_key(name, type, mem, key, NULL);

	if (rc == -EINVAL)
		return 0;
	return rc ? rc : 1;
}

static int resolve_in_table(struct fs_node *n, char **comp, int k)
{
	struct ddb_key_attr hash, range;
	int rc;

	if (k == 2 && !strcmp(comp[1], ".schema")) {
		n->kind = FS_SCHEMA;
		return 0;
	}
	if (!strcmp(comp[1], ".index"))
		return fs_index_resolve(n, comp, 1, k);
	n->kind = FS_SCRATCH;
	if (!n->schema)
		return 0;
	hash = ddb_schema_hash(n->schema);
	rc = name_as_key(comp[1], hash.type, &n->pk_mem, &n->pk);
	if (rc <= 0)
		return rc;
	n->has_pk = true;
	if (!ddb_schema_has_range(n->schema)) {
		n->kind = FS_ITEM;
		return k == 2 ? 0 : -ENOTDIR;
	}
	if (k == 2) {
		n->kind = FS_PARTITION;
		return 0;
	}
	if (fs_is_view_name(comp[2]))
		return fs_view_resolve(n, comp, 2, k);
	if (!strcmp(comp[2], ".index"))
		return fs_index_resolve(n, comp, 2, k);
	range = ddb_schema_range(n->schema);
	rc = name_as_key(comp[2], range.type, &n->sk_mem, &n->sk);
	if (rc <= 0) {
		n->kind = FS_SCRATCH;
		return rc;
	}
	n->has_sk = true;
	n->kind = FS_ITEM;
	return k == 3 ? 0 : -ENOTDIR;
}

static int resolve_from_root(struct ddbfs *fs, struct fs_node *n, char **comp, int k);

/*
 * .snapshot/NAME/... is the tree below the mount point as of snapshot NAME:
 * this thread reads it until the request ends (store_snapshot_use).
 */
static int resolve_snapshot(struct ddbfs *fs, struct fs_node *n, char **comp, int k)
{
	if (k == 1) {
		n->kind = FS_SNAPSHOTS;
		return 0;
	}
	n->kind = FS_SNAPSHOT;
	n->snap = fs_snapshots_get(fs->snapshots, comp[1]);
	if (k == 2)
		return 0;
	if (!n->snap)
		return -ENOENT;
	store_snapshot_use(n->snap);
	return resolve_from_root(fs, n, comp + 2, k - 2);
}

int fs_node_resolve(struct ddbfs *fs, const char *path, struct fs_node *n)
{
	char copy[4096];
	char *comp[MAX_DEPTH];
	int k;

	memset(n, 0, sizeof(*n));
	store_snapshot_use(NULL);
	n->path = path;
	n->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	k = split(path, copy, sizeof(copy), comp);
	if (k == -ENAMETOOLONG) {
		struct ddb_err err = DDB_ERR_INIT;

		ddb_err_set(&err, ENAMETOOLONG, "a name is over %d bytes", DDB_FILE_NAME_MAX);
		return fs_report(n, &err);
	}
	if (k < 0)
		return k;
	if (k == 0) {
		n->kind = FS_ROOT;
		return 0;
	}
	if (k == 1 && !strcmp(comp[0], ".errors")) {
		n->kind = FS_ERRORS;
		return 0;
	}
	if (!strcmp(comp[0], SNAPSHOT_DIR))
		return resolve_snapshot(fs, n, comp, k);
	return resolve_from_root(fs, n, comp, k);
}

/* comp[0..k), k >= 1, below the mount point or a snapshot's root. */
static int resolve_from_root(struct ddbfs *fs, struct fs_node *n, char **comp, int k)
{
	if (comp[0][0] == '.') {
		n->kind = FS_SCRATCH;
		return 0;
	}
	strcpy(n->table_name, comp[0]);
	n->kind = FS_TABLE;
	if (store_table_get(fs->store, comp[0], &n->t))
		n->t = NULL;
	if (n->t)
		n->schema = store_table_schema(n->t);
	if (k == 1)
		return 0;
	if (!n->t)
		return -ENOENT;
	return resolve_in_table(n, comp, k);
}

bool fs_node_read_only(const struct fs_node *n)
{
	return n->kind == FS_VIEW || n->via_view || n->kind == FS_INDEX ||
	       n->kind == FS_INDEX_LINK || n->kind == FS_SNAPSHOT ||
	       n->kind == FS_SNAPSHOTS || (n->snap && n->kind != FS_SNAPSHOT);
}

double fs_node_timeout(const struct fs_node *n)
{
	if (n->kind == FS_SCHEMA || n->kind == FS_ERRORS)
		return 0;
	if (n->kind == FS_VIEW || n->via_view || n->kind == FS_INDEX || n->kind == FS_INDEX_LINK)
		return 0.1;
	return 1.0;
}

void fs_node_release(struct fs_node *n)
{
	if (n->query) {
		idx_query_release(n->query);
		free(n->query);
		n->query = NULL;
	}
	fs_index_release(n);
	if (n->t)
		store_table_put(n->t);
	n->t = NULL;
	store_snapshot_unref(n->snap);
	n->snap = NULL;
	ddb_buf_release(&n->pk_mem);
	ddb_buf_release(&n->sk_mem);
}

const char *fs_node_display(const struct fs_node *n)
{
	return n->path[0] == '/' && n->path[1] ? n->path + 1 : n->path;
}

int fs_report(const struct fs_node *n, const struct ddb_err *err)
{
	errlog_input(fs_node_display(n), err);
	return -err->code;
}
