/*
 * entries.c - an item's secondary index entries, and keeping them in step
 * with the item inside its write transaction.
 *
 * Entries are derived from canonical text (the old image is only stored as
 * text), from the schema in force inside the transaction (store_txn_schema),
 * so an index being added or dropped concurrently is either kept by this
 * write or handled by the background worker after it.  Sparse: an item
 * without an index key attribute has no entry in that index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "entries.h"

void idx_entry_release(struct idx_entry *e)
{
	ddb_buf_release(&e->mem[0]);
	ddb_buf_release(&e->mem[1]);
	ddb_buf_release(&e->pk_mem);
	ddb_buf_release(&e->sk_mem);
	memset(e, 0, sizeof(*e));
}

static int key_copy(struct ddb_buf *mem, const struct ddb_key *k, struct ddb_key *out)
{
	ddb_buf_reset(mem);
	if (ddb_buf_add(mem, k->data, k->len))
		return -ENOMEM;
	*out = *k;
	out->data = mem->data ? mem->data : "";
	return 0;
}

/* One index key attribute of the item: 0, 1 if absent (sparse), -EINVAL with err. */
static int entry_attr(const struct ddb_index_def *d, struct ddb_key_attr a, const char *text,
		      size_t len, struct ddb_buf *mem, struct ddb_key *out, struct ddb_err *err)
{
	int rc = ddb_item_text_key_attr(text, len, a.name, a.type, mem, out);

	if (rc == -ENOENT)
		return 1;
	if (rc == -EINVAL)
		return ddb_err_set(err, EINVAL,
				   "attribute \"%s\" is a key of index %s and must be of type %s",
				   a.name, d->name, ddb_type_name(a.type));
	if (rc)
		return rc;
	rc = ddb_key_check(out, d->has_range && !strcmp(a.name, d->range.name), err);
	if (rc)
		ddb_err_prefix(err, "attribute \"%s\" (a key of index %s)", a.name, d->name);
	return rc;
}

int idx_entry_of(const struct ddb_index_def *d, const struct ddb_key *pk, const struct ddb_key *sk,
		 const char *text, size_t len, struct idx_entry *e, struct ddb_err *err)
{
	struct ddb_key h, r;
	unsigned n = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = d->local ? 0 : entry_attr(d, d->hash, text, len, &e->mem[0], &h, err);
	if (!rc && d->has_range)
		rc = entry_attr(d, d->range, text, len, &e->mem[1], &r, err);
	if (!rc)
		rc = key_copy(&e->pk_mem, pk, &e->e.comp[d->local ? 0 : (d->has_range ? 2 : 1)]);
	if (!rc && sk)
		rc = key_copy(&e->sk_mem, sk, &e->e.comp[d->local ? 2 : (d->has_range ? 3 : 2)]);
	if (rc) {
		idx_entry_release(e);
		return rc;
	}
	if (d->local) {
		e->e.comp[1] = r;
		n = 3;
	} else {
		e->e.comp[0] = h;
		if (d->has_range)
			e->e.comp[1] = r;
		n = (d->has_range ? 2 : 1) + 1 + (sk ? 1 : 0);
	}
	e->e.id = d->id;
	e->e.ncomp = n;
	e->present = true;
	return 0;
}

static bool entry_eq(const struct idx_entry *a, const struct idx_entry *b)
{
	unsigned i;

	if (a->present != b->present || a->e.ncomp != b->e.ncomp)
		return false;
	for (i = 0; i < a->e.ncomp; i++)
		if (ddb_key_cmp(&a->e.comp[i], &b->e.comp[i]))
			return false;
	return true;
}

/* The entries of the item stored under (pk, sk) now, one per index (absent if none). */
static int old_entries(struct store_txn *txn, const struct ddb_schema *s, const struct ddb_key *pk,
		       const struct ddb_key *sk, struct idx_entry *old, bool *existed)
{
	struct store_value v;
	struct ddb_err ignore = DDB_ERR_INIT;
	size_t i, n = ddb_schema_index_count(s);
	int rc = store_txn_item_get(txn, pk, sk, &v);

	*existed = rc == 0;
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		/* A stored item whose key does not fit (added later) has no entry. */
		rc = idx_entry_of(ddb_schema_index(s, i), pk, sk, v.text, v.text_len, &old[i],
				  &ignore);
		if (rc < 0 && rc != -EINVAL)
			return rc;
	}
	return 0;
}

static void entries_release(struct idx_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		idx_entry_release(&v[i]);
	free(v);
}

/* Entries missing in an index that is still being built are not an error. */
static int entry_del(struct store_txn *txn, const struct idx_entry *e)
{
	int rc = store_txn_ix_del(txn, &e->e);

	return rc == -ENOENT ? 0 : rc;
}

int idx_txn_put(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk,
		const char *text, size_t len, uint64_t ddb_size, int64_t mtime_ns,
		struct ddb_err *err)
{
	const struct ddb_schema *s = store_txn_schema(txn);
	size_t i, n = s ? ddb_schema_index_count(s) : 0;
	struct idx_entry *old = NULL, *cur = NULL;
	bool existed;
	int rc = 0;

	if (n) {
		old = calloc(n, sizeof(*old));
		cur = calloc(n, sizeof(*cur));
		rc = old && cur ? old_entries(txn, s, pk, sk, old, &existed) : -ENOMEM;
	}
	for (i = 0; !rc && i < n; i++) {
		rc = idx_entry_of(ddb_schema_index(s, i), pk, sk, text, len, &cur[i], err);
		if (rc == 1)
			rc = 0;
	}
	if (!rc)
		rc = store_txn_item_put(txn, pk, sk, text, len, ddb_size, mtime_ns);
	for (i = 0; !rc && i < n; i++) {
		if (old[i].present && !entry_eq(&old[i], &cur[i]))
			rc = entry_del(txn, &old[i]);
		if (!rc && cur[i].present)
			rc = store_txn_ix_put(txn, &cur[i].e, ddb_size);
	}
	if (n) {
		entries_release(old, n);
		entries_release(cur, n);
	}
	return rc;
}

int idx_txn_del(struct store_txn *txn, const struct ddb_key *pk, const struct ddb_key *sk)
{
	const struct ddb_schema *s = store_txn_schema(txn);
	size_t i, n = s ? ddb_schema_index_count(s) : 0;
	struct idx_entry *old = NULL;
	bool existed;
	int rc = 0;

	if (n) {
		old = calloc(n, sizeof(*old));
		rc = old ? old_entries(txn, s, pk, sk, old, &existed) : -ENOMEM;
	}
	if (!rc)
		rc = store_txn_item_del(txn, pk, sk);
	for (i = 0; !rc && i < n; i++)
		if (old[i].present)
			rc = entry_del(txn, &old[i]);
	if (n)
		entries_release(old, n);
	return rc;
}
