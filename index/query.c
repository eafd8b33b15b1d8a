/*
 * query.c - key conditions, order and limits of a view, and their
 * resolution into one store range.
 *
 * Invariant: idx_query_range's range, listed in the query's final order,
 * yields exactly the query's result.  A limit is resolved by walking at most
 * n keys in its own order and turning the n-th key into a bound, so a view
 * costs what its result costs, never the partition's size.
 */
#include <errno.h>
#include <string.h>
#include "query.h"

void idx_query_init(struct idx_query *q, enum ddb_type sort_type)
{
	memset(q, 0, sizeof(*q));
	q->type = sort_type;
}

void idx_query_release(struct idx_query *q)
{
	ddb_buf_release(&q->lo_mem);
	ddb_buf_release(&q->hi_mem);
	ddb_buf_release(&q->prefix_mem);
}

/* Copies v into mem and points k at the copy. */
static int key_copy(struct ddb_key *k, struct ddb_buf *mem, const struct ddb_key *v)
{
	ddb_buf_reset(mem);
	if (ddb_buf_add(mem, v->len ? v->data : "", v->len))
		return -ENOMEM;
	*k = (struct ddb_key){ v->type, mem->data, v->len };
	return 0;
}

static int tighten_lo(struct idx_query *q, const struct ddb_key *v, bool incl)
{
	int c = q->has_lo ? ddb_key_cmp(v, &q->lo) : 1;

	if (c < 0 || (c == 0 && (incl || !q->lo_incl)))
		return 0;	/* the bound we have is at least as tight */
	q->has_lo = true;
	q->lo_incl = incl;
	return c == 0 ? 0 : key_copy(&q->lo, &q->lo_mem, v);
}

static int tighten_hi(struct idx_query *q, const struct ddb_key *v, bool incl)
{
	int c = q->has_hi ? ddb_key_cmp(v, &q->hi) : -1;

	if (c > 0 || (c == 0 && (incl || !q->hi_incl)))
		return 0;
	q->has_hi = true;
	q->hi_incl = incl;
	return c == 0 ? 0 : key_copy(&q->hi, &q->hi_mem, v);
}

int idx_query_bound(struct idx_query *q, enum idx_op op, const struct ddb_key *v)
{
	switch (op) {
	case IDX_GT:
		return tighten_lo(q, v, false);
	case IDX_GE:
		return tighten_lo(q, v, true);
	case IDX_LT:
		return tighten_hi(q, v, false);
	case IDX_LE:
		return tighten_hi(q, v, true);
	}
	return -EINVAL;
}

int idx_query_between(struct idx_query *q, const struct ddb_key *lo, const struct ddb_key *hi,
		      struct ddb_err *err)
{
	int rc;

	if (ddb_key_cmp(lo, hi) > 0)
		return ddb_err_set(err, EINVAL, "between: the lower bound is greater than the "
					       "upper bound");
	rc = tighten_lo(q, lo, true);
	return rc ? rc : tighten_hi(q, hi, true);
}

static bool has_prefix(const struct ddb_key *k, const struct ddb_key *p)
{
	return k->len >= p->len && !memcmp(k->data, p->data, p->len);
}

int idx_query_begins_with(struct idx_query *q, const struct ddb_key *prefix, struct ddb_err *err)
{
	if (q->type == DDB_TYPE_N)
		return ddb_err_set(err, EINVAL, "begins_with needs a string or binary sort key, "
					       "this one is a number");
	if (q->has_prefix && has_prefix(&q->prefix, prefix))
		return 0;	/* already narrower */
	if (q->has_prefix && !has_prefix(prefix, &q->prefix))
		q->empty = true;	/* two prefixes no key can both have */
	q->has_prefix = true;
	return key_copy(&q->prefix, &q->prefix_mem, prefix);
}

void idx_query_desc(struct idx_query *q)
{
	q->reverse = true;
}

int idx_query_limit(struct idx_query *q, uint64_t n, struct ddb_err *err)
{
	if (n == 0)
		return ddb_err_set(err, EINVAL, "limit must be at least 1");
	if (q->nlimit == IDX_QUERY_MAX_LIMITS)
		return ddb_err_set(err, E2BIG, "more than %d limits in one view",
				   IDX_QUERY_MAX_LIMITS);
	q->limit[q->nlimit++] = (struct idx_query_limit){ n, q->reverse };
	return 0;
}

bool idx_query_admits(const struct idx_query *q, const struct ddb_key *key)
{
	int c;

	if (q->empty)
		return false;
	if (q->has_lo && ((c = ddb_key_cmp(key, &q->lo)) < 0 || (c == 0 && !q->lo_incl)))
		return false;
	if (q->has_hi && ((c = ddb_key_cmp(key, &q->hi)) > 0 || (c == 0 && !q->hi_incl)))
		return false;
	return !q->has_prefix || has_prefix(key, &q->prefix);
}

static int range_from_query(struct idx_range *out, const struct idx_query *q)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->empty = q->empty;
	out->r.reverse = q->reverse;
	if (q->has_lo) {
		rc = key_copy(&out->lo, &out->lo_mem, &q->lo);
		out->r.lo = &out->lo;
		out->r.lo_incl = q->lo_incl;
	}
	if (!rc && q->has_hi) {
		rc = key_copy(&out->hi, &out->hi_mem, &q->hi);
		out->r.hi = &out->hi;
		out->r.hi_incl = q->hi_incl;
	}
	if (!rc && q->has_prefix) {
		rc = key_copy(&out->prefix, &out->prefix_mem, &q->prefix);
		out->r.prefix = &out->prefix;
	}
	return rc;
}

/* What a query ranges over: a partition's sort keys or a level of an index. */
struct query_target {
	struct store_table *t;
	const struct ddb_key *pk;
	const struct store_ix_scan *ix;
};

/* Narrows out->r to its first lim->n keys in lim's order. */
static int apply_limit(const struct query_target *qt, struct idx_range *out,
		       const struct idx_query_limit *lim)
{
	struct store_range walk = out->r;
	struct store_cursor *c = NULL;
	struct store_entry e;
	uint64_t seen = 0;
	int rc;

	walk.reverse = lim->reverse;
	if (qt->ix)
		rc = store_ix_cursor_open(qt->t, qt->ix, &walk, NULL, &c);
	else
		rc = store_cursor_open(qt->t, STORE_SCAN_PARTITION, qt->pk, &walk, NULL, &c);
	while (!rc && seen < lim->n && (rc = store_cursor_next(c, &e)) == 0)
		seen++;
	if (rc == 0 && seen == lim->n && !lim->reverse) {
		rc = key_copy(&out->hi, &out->hi_mem, &e.key);
		out->r.hi = &out->hi;
		out->r.hi_incl = true;
	} else if (rc == 0 && seen == lim->n) {
		rc = key_copy(&out->lo, &out->lo_mem, &e.key);
		out->r.lo = &out->lo;
		out->r.lo_incl = true;
	}
	store_cursor_close(c);
	return rc < 0 ? rc : 0;	/* 1: fewer than n keys, the range stays */
}

static int query_range(const struct query_target *qt, const struct idx_query *q,
		       struct idx_range *out)
{
	size_t i;
	int rc = range_from_query(out, q);

	for (i = 0; !rc && !out->empty && i < q->nlimit; i++)
		rc = apply_limit(qt, out, &q->limit[i]);
	if (rc)
		idx_range_release(out);
	return rc;
}

int idx_query_range(struct store_table *t, const struct ddb_key *pk, const struct idx_query *q,
		    struct idx_range *out)
{
	struct query_target qt = {t, pk, NULL};

	return query_range(&qt, q, out);
}

int idx_query_range_ix(struct store_table *t, const struct store_ix_scan *ix,
		       const struct idx_query *q, struct idx_range *out)
{
	struct query_target qt = {t, NULL, ix};

	return query_range(&qt, q, out);
}

void idx_range_release(struct idx_range *r)
{
	ddb_buf_release(&r->lo_mem);
	ddb_buf_release(&r->hi_mem);
	ddb_buf_release(&r->prefix_mem);
}
