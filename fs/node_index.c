/*
 * node_index.c - secondary indexes as symlink trees (SPEC section 7).
 *
 *   GSI: T/.index/NAME/<gsi pk>/[<gsi sk>/]<base pk>[/<base sk>]
 *   LSI: T/<pk>/.index/NAME/<lsi sk>/<base sk>
 *
 * Each directory level lists the distinct values of one component of the
 * index's entries, in key order; range views (node_view.c) apply at every
 * level below the index's own partition key.  A leaf is a relative symlink
 * to the base item.  Everything here is read-only, and `.index` is never
 * listed, so find, du, tar and rsync do not walk into it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fs_int.h"
#include "name.h"

static const struct ddb_index_def *index_find(const struct ddb_schema *s, const char *name,
					      bool local)
{
	const struct ddb_index_def *d;
	size_t i;

	for (i = 0; i < ddb_schema_index_count(s); i++) {
		d = ddb_schema_index(s, i);
		if (d->local == local && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

/* The component types of d's entries (entries.h explains their order). */
static void scan_setup(struct fs_ix *ix, const struct ddb_schema *s)
{
	const struct ddb_index_def *d = ix->def;
	bool base_range = ddb_schema_has_range(s);
	unsigned n = 0;

	ix->scan.id = d->id;
	ix->scan.local = d->local;
	ix->scan.fixed = ix->keys;
	if (d->local) {
		ix->scan.type[n++] = ddb_schema_hash(s).type;
		ix->scan.type[n++] = d->range.type;
		ix->scan.type[n++] = ddb_schema_range(s).type;
	} else {
		ix->scan.type[n++] = d->hash.type;
		if (d->has_range)
			ix->scan.type[n++] = d->range.type;
		ix->scan.type[n++] = ddb_schema_hash(s).type;
		if (base_range)
			ix->scan.type[n++] = ddb_schema_range(s).type;
	}
	ix->scan.ncomp = n;
}

static int key_keep(struct fs_ix *ix, unsigned level, const struct ddb_key *k)
{
	ddb_buf_reset(&ix->mem[level]);
	if (ddb_buf_add(&ix->mem[level], k->data, k->len))
		return -ENOMEM;
	ix->keys[level] = *k;
	ix->keys[level].data = ix->mem[level].data ? ix->mem[level].data : "";
	return 0;
}

/* The lowest level at which views apply: below the index's partition key. */
static unsigned first_view_level(const struct fs_ix *ix)
{
	return 1;
}

static void query_drop(struct fs_node *n)
{
	if (n->query) {
		idx_query_release(n->query);
		free(n->query);
		n->query = NULL;
	}
	n->view_complete = true;
}

/* comp[j] names a value of the level being listed: fix it and go down. */
static int walk_value(struct fs_node *n, const char *name)
{
	struct fs_ix *ix = n->ix;
	unsigned lv = ix->scan.level;
	struct ddb_buf mem = DDB_BUF_INIT;
	struct ddb_key k;
	int rc;

	rc = ddb_name_to_key(name, ix->scan.type[lv], &mem, &k, NULL);
	if (!rc && n->query && !idx_query_admits(n->query, &k))
		rc = -ENOENT;
	if (!rc)
		rc = key_keep(ix, lv, &k);
	ddb_buf_release(&mem);
	if (rc)
		return rc == -ENOMEM ? rc : -ENOENT;
	query_drop(n);
	ix->scan.level++;
	return 0;
}

static int walk(struct fs_node *n, char **comp, int j, int k)
{
	struct fs_ix *ix = n->ix;
	int rc;

	while (j < k) {
		if (ix->scan.level == ix->scan.ncomp)
			return -ENOTDIR;
		if (fs_is_view_name(comp[j]) && ix->scan.level >= first_view_level(ix)) {
			if (!n->query) {
				n->query = malloc(sizeof(*n->query));
				if (!n->query)
					return -ENOMEM;
				idx_query_init(n->query, ix->scan.type[ix->scan.level]);
			}
			rc = fs_view_step(n, comp, &j, k);
			if (rc)
				return rc < 0 ? rc : 0;	/* stops inside an operator */
			continue;
		}
		rc = walk_value(n, comp[j]);
		if (rc)
			return rc;
		j++;
	}
	if (ix->scan.level == ix->scan.ncomp) {
		n->kind = FS_INDEX_LINK;
		ix->scan.level--;	/* the leaf is looked up at the last level */
	}
	return 0;
}

int fs_index_resolve(struct fs_node *n, char **comp, int i, int k)
{
	struct fs_ix *ix;

	if (!n->schema || (i == 2 && !ddb_schema_has_range(n->schema)))
		return -ENOENT;
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	n->ix = ix;
	n->kind = FS_INDEX;
	n->view_complete = true;
	ix->local = i == 2;
	ix->depth = k - i;
	if (i + 1 == k)
		return 0;
	ix->def = index_find(n->schema, comp[i + 1], ix->local);
	if (!ix->def) {
		ix->missing = true;	/* so `mkdir .index/X` is EROFS, not ENOENT */
		return i + 2 == k ? 0 : -ENOENT;
	}
	scan_setup(ix, n->schema);
	if (ix->local) {
		if (key_keep(ix, 0, &n->pk))
			return -ENOMEM;
		ix->scan.level = 1;
	}
	return walk(n, comp, i + 2, k);
}

void fs_index_release(struct fs_node *n)
{
	unsigned i;

	if (!n->ix)
		return;
	for (i = 0; i < STORE_IX_MAX_COMP; i++)
		ddb_buf_release(&n->ix->mem[i]);
	free(n->ix);
	n->ix = NULL;
}

/* ---- attributes ---- */

/* Whether the index has an entry whose component at level lv is keys[lv]. */
static int value_exists(struct store_table *t, const struct fs_ix *ix, unsigned lv)
{
	struct store_ix_scan sc = ix->scan;
	struct store_range r = {0};
	struct store_cursor *c = NULL;
	struct store_entry e;
	int rc;

	sc.level = lv;
	r.lo = r.hi = &ix->keys[lv];
	r.lo_incl = r.hi_incl = true;
	rc = store_ix_cursor_open(t, &sc, &r, NULL, &c);
	if (!rc)
		rc = store_cursor_next(c, &e);
	store_cursor_close(c);
	return rc == 1 ? -ENOENT : rc;
}

static int add_name(struct ddb_buf *out, const struct ddb_key *k)
{
	int rc = ddb_name_from_key(out, k);

	return rc == -ENAMETOOLONG ? -EINVAL : rc;
}

/* "../" ups times, then the base item's path below the table (GSI) or partition (LSI). */
static int link_target(const struct fs_ix *ix, const struct ddb_key *leaf, int ups,
		       struct ddb_buf *out)
{
	unsigned last = ix->scan.ncomp - 1, base_pk = ix->def->has_range ? 2 : 1;
	int i, rc = 0;

	for (i = 0; i < ups && !rc; i++)
		rc = ddb_buf_addstr(out, "../");
	if (rc)
		return rc;
	if (ix->local)
		return add_name(out, leaf);
	if (base_pk == last)
		return add_name(out, leaf);
	rc = add_name(out, &ix->keys[base_pk]);
	if (!rc)
		rc = ddb_buf_addch(out, '/');
	return rc ? rc : add_name(out, leaf);
}

int fs_index_link_target(const struct fs_node *n, const struct ddb_key *leaf, struct ddb_buf *out)
{
	const struct fs_ix *ix = n->ix;

	if (n->kind == FS_INDEX_LINK)
		return link_target(ix, &ix->keys[ix->scan.ncomp - 1], ix->depth - 1, out);
	return link_target(ix, leaf, ix->depth, out);
}

static int refuse_building(const struct fs_node *n)
{
	struct ddb_err err = DDB_ERR_INIT;

	ddb_err_set(&err, EAGAIN,
		    "index %s is still being built (CREATING); it can be read once .schema "
		    "shows it ACTIVE",
		    n->ix->def->name);
	return fs_report(n, &err);
}

int fs_index_getattr(struct ddbfs *fs, struct fs_node *n, struct stat *st)
{
	const struct fs_ix *ix = n->ix;
	struct ddb_buf target = DDB_BUF_INIT;
	unsigned top = ix->local ? 1 : 0;
	int rc;

	if (ix->missing || (ix->local && store_partition_exists(n->t, &n->pk)))
		return -ENOENT;
	if (ix->def && !store_table_ix_active(n->t, ix->def->id))
		return refuse_building(n);
	if (n->kind == FS_INDEX_LINK) {
		rc = value_exists(n->t, ix, ix->scan.level);
		if (!rc)
			rc = fs_index_link_target(n, NULL, &target);
		if (!rc) {
			fs_fill_file_stat(fs, st, target.len, store_table_created_ms(n->t) * 1000000);
			st->st_mode = S_IFLNK | 0777;
		}
		ddb_buf_release(&target);
		return rc;
	}
	rc = ix->def && ix->scan.level > top ? value_exists(n->t, ix, ix->scan.level - 1) : 0;
	if (!rc) {
		fs_fill_dir_stat(fs, st, store_table_created_ms(n->t) * 1000000);
		st->st_mode = S_IFDIR | 0555;
	}
	return rc;
}

int do_readlink(struct ddbfs *fs, struct fs_node *n, char *buf, size_t size)
{
	struct ddb_buf target = DDB_BUF_INIT;
	struct stat st;
	int rc;

	if (n->kind != FS_INDEX_LINK)
		return do_getattr(fs, n, &st) ? -ENOENT : -EINVAL;
	rc = fs_index_getattr(fs, n, &st);
	if (!rc)
		rc = fs_index_link_target(n, NULL, &target);
	if (!rc && size) {
		size_t len = target.len < size - 1 ? target.len : size - 1;

		memcpy(buf, target.data, len);
		buf[len] = '\0';
	}
	ddb_buf_release(&target);
	return rc;
}

/* ---- the .index directory: index names ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void fs_index_names(const struct fs_node *n, const char *after, fs_name_fn fn, void *ctx)
{
	size_t i, count = 0, total = ddb_schema_index_count(n->schema);
	const char **names = calloc(total + 1, sizeof(*names));
	const struct ddb_index_def *d;

	if (!names)
		return;
	for (i = 0; i < total; i++) {
		d = ddb_schema_index(n->schema, i);
		if (d->local == n->ix->local)
			names[count++] = d->name;
	}
	qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++)
		if ((!after || strcmp(names[i], after) > 0) && !fn(names[i], ctx))
			break;
	free(names);
}
