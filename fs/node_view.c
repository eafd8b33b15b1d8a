/*
 * node_view.c - range-query views as paths (SPEC section 6).
 *
 * Under a partition, `.gt/V`, `.ge/V`, `.lt/V`, `.le/V`, `.between/LO/HI`,
 * `.begins_with/P`, `.desc` and `.limit/N` compose into a query (query.h).
 * A path that stops inside an operator is an empty directory; one that stops
 * after whole operators is the view; one more name is an item of the view,
 * read-only.  Values are written like names (name.h).  Meaningless views
 * fail with EINVAL and a sentence in .errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fs_int.h"
#include "name.h"

struct view_op {
	const char *name;
	int values;
};

static const struct view_op view_ops[] = {
	{ ".gt", 1 }, { ".ge", 1 }, { ".lt", 1 }, { ".le", 1 },
	{ ".between", 2 }, { ".begins_with", 1 }, { ".desc", 0 }, { ".limit", 1 },
};

static const struct view_op *view_op_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(view_ops) / sizeof(view_ops[0]); i++)
		if (!strcmp(view_ops[i].name, name))
			return &view_ops[i];
	return NULL;
}

bool fs_is_view_name(const char *name)
{
	return view_op_find(name) != NULL;
}

static int parse_value(struct fs_node *n, const char *text, struct ddb_buf *mem,
		       struct ddb_key *key, struct ddb_err *err)
{
	int rc = ddb_name_to_key(text, n->query->type, mem, key, err);

	if (rc == -EINVAL)
		ddb_err_prefix(err, "view value \"%s\"", text);
	return rc;
}

static int parse_limit(const char *text, uint64_t *n, struct ddb_err *err)
{
	uint64_t v = 0;
	const char *p;

	for (p = text; *p >= '0' && *p <= '9' && v <= UINT64_MAX / 10 - 1; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (*p || p == text)
		return ddb_err_set(err, EINVAL, "limit \"%s\" is not a whole number", text);
	*n = v;
	return 0;
}

static int apply_op(struct fs_node *n, const struct view_op *op, char **val, struct ddb_err *err)
{
	struct ddb_buf m1 = DDB_BUF_INIT, m2 = DDB_BUF_INIT;
	struct ddb_key a, b;
	uint64_t lim = 0;
	int rc = 0;

	if (!strcmp(op->name, ".desc")) {
		idx_query_desc(n->query);
	} else if (!strcmp(op->name, ".limit")) {
		rc = parse_limit(val[0], &lim, err);
		if (!rc)
			rc = idx_query_limit(n->query, lim, err);
	} else if (!(rc = parse_value(n, val[0], &m1, &a, err))) {
		if (!strcmp(op->name, ".between") && !(rc = parse_value(n, val[1], &m2, &b, err)))
			rc = idx_query_between(n->query, &a, &b, err);
		else if (!strcmp(op->name, ".begins_with"))
			rc = idx_query_begins_with(n->query, &a, err);
		else if (op->name[1] == 'g' || op->name[1] == 'l')
			rc = idx_query_bound(n->query, op->name[1] == 'g'
				? (op->name[2] == 't' ? IDX_GT : IDX_GE)
				: (op->name[2] == 't' ? IDX_LT : IDX_LE), &a);
	}
	ddb_buf_release(&m1);
	ddb_buf_release(&m2);
	return rc;
}

/*
 * The last name of a view path: an item of the view, or a name the view
 * does not hold, which does not exist but still cannot be written (EROFS).
 */
static int resolve_view_item(struct fs_node *n, const char *name)
{
	n->kind = FS_ITEM;
	n->via_view = true;
	if (name[0] != '.' &&
	    !ddb_name_to_key(name, n->query->type, &n->sk_mem, &n->sk, NULL)) {
		n->has_sk = true;
		n->view_miss = !idx_query_admits(n->query, &n->sk);
	} else {
		n->view_miss = true;
	}
	return 0;
}

int fs_view_step(struct fs_node *n, char **comp, int *i, int k)
{
	const struct view_op *op = view_op_find(comp[*i]);
	struct ddb_err err = DDB_ERR_INIT;
	int rc;

	if (*i + op->values >= k) {
		n->view_complete = false;	/* `.between/1900/`: keep typing */
		return 1;
	}
	rc = apply_op(n, op, comp + *i + 1, &err);
	if (rc)
		return err.code ? fs_report(n, &err) : rc;
	*i += 1 + op->values;
	return 0;
}

int fs_view_resolve(struct fs_node *n, char **comp, int i, int k)
{
	int rc;

	n->query = malloc(sizeof(*n->query));
	if (!n->query)
		return -ENOMEM;
	idx_query_init(n->query, ddb_schema_range(n->schema).type);
	n->kind = FS_VIEW;
	n->view_complete = true;
	while (i < k && fs_is_view_name(comp[i])) {
		rc = fs_view_step(n, comp, &i, k);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	if (i == k)
		return 0;
	if (i < k - 1)
		return -ENOENT;
	return resolve_view_item(n, comp[i]);
}
