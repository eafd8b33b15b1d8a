/*
 * schema_commit.c - writing .schema, and committing the items that were
 * held while the table had none (SPEC section 2: a restore may deliver items
 * that sort before ".schema").
 *
 * Held items that fail their checks under the new schema stay where they
 * are, as scratch files, and each failure is reported like a refused write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errlog.h"
#include "fs_int.h"

struct path_list {
	char **v;
	size_t n, cap;
};

static int collect_path(const char *path, void *ctx)
{
	struct path_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = strdup(path);
	return l->v[l->n] ? (l->n++, 0) : -ENOMEM;
}

static void path_list_free(struct path_list *l)
{
	while (l->n)
		free(l->v[--l->n]);
	free(l->v);
}

static int commit_held_item(struct ddbfs *fs, struct fs_node *n)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_item *item = NULL;
	int64_t mtime;
	int rc;

	rc = scratch_copy(fs->scratch, n->path, &text, &mtime);
	if (!rc)
		rc = fs_item_parse(n, text.data ? text.data : "", text.len, &item, &err);
	if (!rc)
		rc = idx_item_put(n->t, item, &n->pk, n->has_sk ? &n->sk : NULL, mtime, IDX_PUT,
				  &err);
	if (!rc) {
		scratch_unlink(fs->scratch, n->path);
		fs_attr_changed(fs, n->path);	/* the held bytes became canonical text */
	} else if (err.code)
		fs_report(n, &err);
	ddb_item_free(item);
	ddb_buf_release(&text);
	return rc;
}

/* Drops held partition directories that are now empty: the store lists them. */
static void drop_empty_held_dir(struct ddbfs *fs, const char *item_path)
{
	char *dir = strdup(item_path);
	char *slash = dir ? strrchr(dir, '/') : NULL;

	if (slash && slash != dir) {
		*slash = '\0';
		if (!scratch_has_children(fs->scratch, dir))
			scratch_rmdir(fs->scratch, dir);
	}
	free(dir);
}

static void commit_held_items(struct ddbfs *fs, const char *table)
{
	struct path_list held = { 0 };
	char dir[DDB_NAME_MAX + 2];
	size_t i;

	snprintf(dir, sizeof(dir), "/%s", table);
	if (scratch_walk_files(fs->scratch, dir, collect_path, &held))
		errlog_warn("%s: could not list the held items", table);
	for (i = 0; i < held.n; i++) {
		struct fs_node n;

		if (fs_node_resolve(fs, held.v[i], &n) == 0 && n.kind == FS_ITEM &&
		    commit_held_item(fs, &n) == 0 && n.has_sk)
			drop_empty_held_dir(fs, held.v[i]);
		fs_node_release(&n);
	}
	path_list_free(&held);
}

int fs_table_set_schema(struct ddbfs *fs, struct fs_node *n, const char *json, size_t len,
			struct ddb_err *err)
{
	bool first;
	int rc;

	if (!n->t)
		return ddb_err_set(err, ENOENT, "the table is gone");
	first = store_table_schema(n->t) == NULL;
	rc = store_table_set_schema(n->t, json, len, err);
	if (rc)
		return rc;
	idx_worker_kick(fs->indexer);	/* indexes added or dropped */
	if (first) {
		rc = idx_table_recover(n->t, err);
		commit_held_items(fs, n->table_name);
	}
	return rc;
}
