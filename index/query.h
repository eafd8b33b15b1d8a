/*
 * query.h - DynamoDB's Query on a sort key, as views compose it (SPEC 6).
 *
 * A query gathers key conditions (>, >=, <, <=, BETWEEN, begins_with), an
 * order (ScanIndexForward) and limits.  Bounds on one side tighten: the
 * narrowest applies.  Key conditions apply before limits, as in DynamoDB; a
 * limit takes the first N in the order in effect where it was added, so
 * `.desc/.limit/2` is the two largest and `.limit/2/.desc` the two smallest
 * listed in reverse.  idx_query_range turns all of it into one store range
 * whose listing in the query's order is exactly the result, so the listing
 * streams and resumes like any other.
 */
#ifndef DDB_QUERY_H
#define DDB_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "keycodec.h"
#include "store.h"

#define IDX_QUERY_MAX_LIMITS 8

enum idx_op { IDX_GT, IDX_GE, IDX_LT, IDX_LE };

struct idx_query_limit {
	uint64_t n;
	bool reverse;
};

struct idx_query {
	enum ddb_type type;		/* of the sort key */
	bool has_lo, lo_incl, has_hi, hi_incl, has_prefix;
	struct ddb_key lo, hi, prefix;	/* bytes in the *_mem buffers */
	struct ddb_buf lo_mem, hi_mem, prefix_mem;
	bool empty;			/* conditions no key can meet */
	bool reverse;
	size_t nlimit;
	struct idx_query_limit limit[IDX_QUERY_MAX_LIMITS];
};

void idx_query_init(struct idx_query *q, enum ddb_type sort_type);
void idx_query_release(struct idx_query *q);

/* Adds a comparison with v (copied).  Returns 0 or -ENOMEM. */
int idx_query_bound(struct idx_query *q, enum idx_op op, const struct ddb_key *v);
/* lo <= key <= hi; -EINVAL with err when lo > hi (DynamoDB refuses that). */
int idx_query_between(struct idx_query *q, const struct ddb_key *lo, const struct ddb_key *hi,
		      struct ddb_err *err);
/* -EINVAL with err on an N sort key. */
int idx_query_begins_with(struct idx_query *q, const struct ddb_key *prefix, struct ddb_err *err);
/* Descending order from here on (ScanIndexForward=false). */
void idx_query_desc(struct idx_query *q);
/* The first n in the current order; -EINVAL with err for 0, -E2BIG past the maximum count. */
int idx_query_limit(struct idx_query *q, uint64_t n, struct ddb_err *err);

/* Whether key meets the key conditions (limits are not considered). */
bool idx_query_admits(const struct idx_query *q, const struct ddb_key *key);

/* A store range with its own copies of the bounds. */
struct idx_range {
	struct store_range r;
	bool empty;
	struct ddb_key lo, hi, prefix;
	struct ddb_buf lo_mem, hi_mem, prefix_mem;
};

/*
 * Resolves q for partition pk of table t: each limit walks at most n keys
 * once and becomes a bound.  Release *out with idx_range_release.
 */
int idx_query_range(struct store_table *t, const struct ddb_key *pk, const struct idx_query *q,
		    struct idx_range *out);
/* The same over a level of an index tree (store_ix_cursor_open). */
int idx_query_range_ix(struct store_table *t, const struct store_ix_scan *ix,
		       const struct idx_query *q, struct idx_range *out);
void idx_range_release(struct idx_range *r);

#endif
