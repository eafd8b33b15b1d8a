/*
 * move.c - moving an item to another key (rename(2) of an item file).
 *
 * Within one environment the move is one commit.  Across environments it
 * takes three: (1) destination written plus an intent record naming the
 * source and the version moved, (2) source deleted if still that version,
 * (3) intent record removed.  A crash after (1) is finished by
 * idx_table_recover, so the item is never lost; readers may briefly see it
 * under both names, never under neither.  Each step is made durable before
 * the next (the environments are checkpointed separately), so a power loss
 * can neither keep the delete and lose the copy nor drop the intent and
 * bring the source back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "entries.h"
#include "index.h"

struct move_ctx {
	const struct ddb_item *item;
	const struct ddb_key *from_pk, *from_sk, *to_pk, *to_sk;
	struct store_item_meta src;	/* the version read before the move */
	const void *rec;		/* intent record, cross-environment moves */
	size_t rec_len;
	uint64_t journal_id;
};

static int move_put_dest(struct store_txn *txn, struct move_ctx *c, struct ddb_err *err)
{
	size_t len;
	const char *text = ddb_item_text(c->item, &len);

	return idx_txn_put(txn, c->to_pk, c->to_sk, text, len, ddb_item_size(c->item),
			   c->src.mtime_ns, err);
}

static int move_in_one_txn(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct move_ctx *c = arg;
	struct store_value cur;
	int rc;

	rc = store_txn_item_get(txn, c->from_pk, c->from_sk, &cur);
	if (rc == -ENOENT)
		return ddb_err_set(err, ENOENT, "the item to move is gone");
	if (rc)
		return rc;
	if (cur.meta.seq != c->src.seq)
		return -EAGAIN;	/* rewritten after we read it: read again */
	rc = move_put_dest(txn, c, err);
	if (rc)
		return rc;
	return idx_txn_del(txn, c->from_pk, c->from_sk);
}

static int move_dest_with_intent(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct move_ctx *c = arg;
	int rc = move_put_dest(txn, c, err);

	if (rc)
		return rc;
	return store_txn_journal_add(txn, c->rec, c->rec_len, &c->journal_id);
}

struct finish_ctx {
	const struct ddb_key *pk, *sk;
	uint64_t seq;
	uint64_t journal_id;
};

static int finish_delete_source(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct finish_ctx *f = arg;
	struct store_value cur;
	int rc = store_txn_item_get(txn, f->pk, f->sk, &cur);

	if (rc == -ENOENT || (rc == 0 && cur.meta.seq != f->seq))
		return 0;	/* already gone, or rewritten since: keep the newer item */
	if (rc)
		return rc;
	return idx_txn_del(txn, f->pk, f->sk);
}

static int finish_drop_intent(struct store_txn *txn, void *arg, struct ddb_err *err)
{
	struct finish_ctx *f = arg;
	int rc = store_txn_journal_del(txn, f->journal_id);

	return rc == -ENOENT ? 0 : rc;
}

/* ---- intent records: seq, from_pk, from_sk?, to_pk ---- */

static int rec_add_key(struct ddb_buf *b, const struct ddb_key *k)
{
	uint8_t type = k ? (uint8_t)k->type : 0;
	uint32_t len = k ? (uint32_t)k->len : 0;
	int rc = ddb_buf_add(b, &type, 1);

	if (!rc)
		rc = ddb_buf_add(b, &len, sizeof(len));
	if (!rc && len)
		rc = ddb_buf_add(b, k->data, len);
	return rc;
}

static int rec_take_key(const uint8_t **p, const uint8_t *end, struct ddb_key *k, bool *present)
{
	uint32_t len;

	if (end - *p < 5)
		return -EINVAL;
	*present = (*p)[0] != 0;
	k->type = (enum ddb_type)(*p)[0];
	memcpy(&len, *p + 1, sizeof(len));
	*p += 5;
	if ((size_t)(end - *p) < len)
		return -EINVAL;
	k->data = *p;
	k->len = len;
	*p += len;
	return 0;
}

static int rec_encode(struct ddb_buf *b, const struct move_ctx *c)
{
	int rc = ddb_buf_add(b, &c->src.seq, sizeof(c->src.seq));

	if (!rc)
		rc = rec_add_key(b, c->from_pk);
	if (!rc)
		rc = rec_add_key(b, c->from_sk);
	if (!rc)
		rc = rec_add_key(b, c->to_pk);
	return rc;
}

struct intent {
	uint64_t seq, id;
	struct ddb_key from_pk, from_sk, to_pk;
	bool has_sk;
	void *mem;
};

static int rec_decode(const void *rec, size_t len, uint64_t id, struct intent *in)
{
	const uint8_t *p, *end;
	bool present;

	in->mem = malloc(len ? len : 1);
	if (!in->mem)
		return -ENOMEM;
	memcpy(in->mem, rec, len);
	p = in->mem;
	end = p + len;
	in->id = id;
	if (len < sizeof(in->seq))
		return -EINVAL;
	memcpy(&in->seq, p, sizeof(in->seq));
	p += sizeof(in->seq);
	if (rec_take_key(&p, end, &in->from_pk, &present) || !present)
		return -EINVAL;
	if (rec_take_key(&p, end, &in->from_sk, &in->has_sk))
		return -EINVAL;
	if (rec_take_key(&p, end, &in->to_pk, &present) || !present)
		return -EINVAL;
	return 0;
}

static int finish_move(struct store_table *t, const struct intent *in, struct ddb_err *err)
{
	struct finish_ctx f = { &in->from_pk, in->has_sk ? &in->from_sk : NULL, in->seq, in->id };
	int rc;

	/* The copy must survive a power loss before the source may go: the
	 * environments are checkpointed separately (store/checkpoint.c). */
	rc = store_sync(t, &in->to_pk);
	if (!rc)
		rc = store_write(t, f.pk, finish_delete_source, &f, err);
	/* Likewise the delete before the intent that would redo it goes. */
	if (!rc)
		rc = store_sync(t, f.pk);
	if (rc)
		return rc;
	return store_write(t, &in->to_pk, finish_drop_intent, &f, err);
}

static int move_across(struct store_table *t, struct move_ctx *c, struct ddb_err *err)
{
	struct ddb_buf rec = DDB_BUF_INIT;
	struct intent in;
	int rc;

	rc = rec_encode(&rec, c);
	if (rc)
		goto out_rec;
	c->rec = rec.data;
	c->rec_len = rec.len;
	rc = store_write(t, c->to_pk, move_dest_with_intent, c, err);
	if (rc)
		goto out_rec;
	in = (struct intent){ .seq = c->src.seq, .id = c->journal_id, .from_pk = *c->from_pk,
			      .to_pk = *c->to_pk, .has_sk = c->from_sk != NULL };
	if (c->from_sk)
		in.from_sk = *c->from_sk;
	rc = finish_move(t, &in, err);
out_rec:
	ddb_buf_release(&rec);
	return rc;
}

static bool same_key(const struct ddb_key *a, const struct ddb_key *b)
{
	if (!a || !b)
		return a == b;
	return a->type == b->type && ddb_key_cmp(a, b) == 0;
}

static int move_once(struct store_table *t, struct move_ctx *c, struct ddb_err *err)
{
	const struct ddb_schema *s = store_table_schema(t);
	struct ddb_buf text = DDB_BUF_INIT;
	struct ddb_item *item = NULL;
	int rc;

	rc = store_item_copy(t, c->from_pk, c->from_sk, &text, &c->src);
	if (rc == -ENOENT)
		ddb_err_set(err, ENOENT, "no such item");
	if (rc)
		goto out;
	rc = ddb_item_parse(text.data, text.len, s, c->to_pk, c->to_sk, &item, err);
	if (rc)
		goto out;
	c->item = item;
	if (store_same_env(t, c->from_pk, c->to_pk))
		rc = store_write(t, c->from_pk, move_in_one_txn, c, err);
	else
		rc = move_across(t, c, err);
out:
	ddb_item_free(item);
	ddb_buf_release(&text);
	return rc;
}

int idx_item_move(struct store_table *t, const struct ddb_key *from_pk,
		  const struct ddb_key *from_sk, const struct ddb_key *to_pk,
		  const struct ddb_key *to_sk, struct ddb_err *err)
{
	struct move_ctx c = { .from_pk = from_pk, .from_sk = from_sk, .to_pk = to_pk,
			      .to_sk = to_sk };
	int rc, tries = 0;

	if (same_key(from_pk, to_pk) && same_key(from_sk, to_sk))
		return store_item_stat(t, from_pk, from_sk, &c.src);
	do
		rc = move_once(t, &c, err);
	while (rc == -EAGAIN && ++tries < 100);
	return rc;
}

struct intent_list {
	struct intent *v;
	size_t n, cap;
	int rc;
};

static int collect_intent(const void *rec, size_t len, uint64_t id, void *arg)
{
	struct intent_list *l = arg;
	struct intent *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return l->rc = -ENOMEM;
		l->v = v;
	}
	if (rec_decode(rec, len, id, &l->v[l->n])) {
		free(l->v[l->n].mem);
		return 0;	/* unreadable record: nothing we could finish */
	}
	l->n++;
	return 0;
}

int idx_table_recover(struct store_table *t, struct ddb_err *err)
{
	struct intent_list l = { 0 };
	size_t i;
	int rc;

	/* Collect first: writes may not run inside the journal walk's read txns. */
	rc = store_journal_each(t, collect_intent, &l);
	if (!rc)
		rc = l.rc;
	for (i = 0; i < l.n; i++) {
		if (!rc)
			rc = finish_move(t, &l.v[i], err);
		free(l.v[i].mem);
	}
	free(l.v);
	return rc;
}
