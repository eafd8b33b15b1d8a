/*
 * cursor.c - sorted, resumable scans: the sort keys of one partition, or a
 * table's partition keys (hash-only: items) merged across environments.
 *
 * Every bound (lo, hi, begins_with, `after`) becomes a lower and an upper
 * bound on full key encodings, whose memcmp order is key order.  A stream
 * walks one environment's database from a MDB_SET_RANGE seek, so a range
 * costs what it returns.  Stored keys are key parts (keycodec.h): they sort
 * like the full keys except inside a group of shortened parts sharing their
 * first T bytes, which a stream reads whole and sorts by the full keys kept
 * in the values.
 *
 * An index scan lists one component (a "level") of an index's entries,
 * whose keys go on with the parts of the components after it: each value
 * is listed once, the stream seeking past all the entries that share it.
 *
 * Key invariant: each stream yields elements in strictly increasing (or, in
 * reverse, decreasing) order of full encoding, all within the bounds; a seek
 * never lands inside a group, so a group is always read whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

struct scan_elem {
	MDB_val val;
	const uint8_t *full; /* full key encoding, in the map */
	size_t full_len;
	struct store_rec_hdr hdr; /* item records only */
};

struct scan_stream {
	struct store_env *env;
	MDB_txn *txn;
	MDB_cursor *cur;
	bool started, eof;
	struct ddb_buf skip; /* index scans: stored key up to the value just listed */
	bool skip_set;
	struct scan_elem *buf; /* one element, or a sorted group */
	size_t n, pos, cap;
};

struct scan_bound {
	struct ddb_buf b;
	bool set, incl;
};

struct store_cursor {
	enum store_scan kind;
	enum ddb_type type; /* of the keys listed */
	MDB_dbi dbi;	    /* items or parts (same index in every env) */
	bool parts;	    /* values are "parts" records */
	bool reverse;
	size_t t;		/* key part threshold */
	struct ddb_buf prefix;	/* pk part: the partition's key prefix */
	struct ddb_buf pk_full; /* partition scans: the pk's full encoding */
	struct scan_bound lo, hi;
	bool ix;		/* an index level (store_ix_cursor_open) */
	bool distinct;		/* ...that is not the last: values repeat */
	unsigned level, ncomp;
	struct ddb_buf fixed[STORE_IX_MAX_COMP]; /* full encodings of the levels above */
	struct scan_stream *s;
	unsigned ns;
	struct ddb_buf key; /* the decoded key last returned */
};

static int enc_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int bound_cmp(const struct scan_elem *el, const struct scan_bound *b)
{
	return enc_cmp(el->full, el->full_len, (const uint8_t *)b->b.data, b->b.len);
}

/* The smallest string greater than every string starting with b; false if none. */
static bool prefix_successor(struct ddb_buf *b)
{
	while (b->len && (uint8_t)b->data[b->len - 1] == 0xFF)
		b->len--;
	if (!b->len)
		return false;
	b->data[b->len - 1]++;
	return true;
}

/* ---- elements ---- */

/* An index entry: its level's full key, or 1 if its upper levels are not ours. */
static int elem_decode_ix(const struct store_cursor *c, const MDB_val *v, struct scan_elem *el)
{
	const uint8_t *full[STORE_IX_MAX_COMP];
	size_t len[STORE_IX_MAX_COMP];
	unsigned n, i;

	if (!store_ix_rec_parse(v, &n, full, len) || n != c->ncomp)
		return -EIO;
	for (i = 0; i < c->level; i++)
		if (enc_cmp(full[i], len[i], (const uint8_t *)c->fixed[i].data, c->fixed[i].len))
			return 1;
	el->full = full[c->level];
	el->full_len = len[c->level];
	return 0;
}

/* Fills el's full key from its value: 0, 1 to skip (another pk), or <0. */
static int elem_decode(const struct store_cursor *c, const MDB_val *v, struct scan_elem *el)
{
	const uint8_t *pk, *sk;
	const char *text;

	el->val = *v;
	if (c->ix)
		return elem_decode_ix(c, v, el);
	if (c->parts) {
		if (v->mv_size <= sizeof(uint64_t))
			return -EIO;
		el->full = (const uint8_t *)v->mv_data + sizeof(uint64_t);
		el->full_len = v->mv_size - sizeof(uint64_t);
		return 0;
	}
	if (!store_rec_parse(v, &el->hdr, &pk, &sk, &text))
		return -EIO;
	if (c->kind == STORE_SCAN_TABLE) {
		el->full = pk;
		el->full_len = el->hdr.pk_len;
		return 0;
	}
	/* A pk whose part collides with ours (a hash collision) is not ours. */
	if (enc_cmp(pk, el->hdr.pk_len, (const uint8_t *)c->pk_full.data, c->pk_full.len))
		return 1;
	el->full = sk;
	el->full_len = el->hdr.sk_len;
	return 0;
}

static int elem_push(const struct store_cursor *c, struct scan_stream *s, const MDB_val *v)
{
	struct scan_elem *nb;
	int rc;

	if (s->n == s->cap) {
		nb = realloc(s->buf, (s->cap ? s->cap * 2 : 4) * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = s->cap ? s->cap * 2 : 4;
	}
	rc = elem_decode(c, v, &s->buf[s->n]);
	if (!rc)
		s->n++;
	return rc < 0 ? rc : 0;
}

static int elem_cmp_up(const void *a, const void *b)
{
	const struct scan_elem *x = a, *y = b;

	return enc_cmp(x->full, x->full_len, y->full, y->full_len);
}

static int elem_cmp_down(const void *a, const void *b)
{
	return elem_cmp_up(b, a);
}

/* ---- one environment's stream ---- */

static int seek_last_before(MDB_cursor *cur, struct ddb_buf *seek, bool allow_equal, MDB_val *k,
			    MDB_val *v);

/* The part of a stored key after the prefix, or false if not under it. */
static bool key_part(const struct store_cursor *c, const MDB_val *k, const uint8_t **part,
		     size_t *len)
{
	if (k->mv_size < c->prefix.len ||
	    (c->prefix.len && memcmp(k->mv_data, c->prefix.data, c->prefix.len)))
		return false;
	*part = (const uint8_t *)k->mv_data + c->prefix.len;
	*len = k->mv_size - c->prefix.len;
	if (c->ix) {
		size_t used;

		/* More parts follow: this level's is a full encoding, or T bytes and a hash. */
		if (!ddb_keycodec_span(*part, *len < c->t ? *len : c->t, c->type, &used))
			*len = used;
		else if (*len > c->t + DDB_KEY_HASH_LEN)
			*len = c->t + DDB_KEY_HASH_LEN;
	}
	return true;
}

/* Index scans that repeat values: the next stored key past the value last listed. */
static int stream_skip(struct scan_stream *s, bool reverse, MDB_val *k, MDB_val *v)
{
	MDB_val want;

	s->skip_set = false;
	if (reverse)
		return seek_last_before(s->cur, &s->skip, false, k, v);
	if (!prefix_successor(&s->skip))
		return MDB_NOTFOUND;
	want.mv_size = s->skip.len;
	want.mv_data = s->skip.data;
	*k = want;
	return mdb_cursor_get(s->cur, k, v, MDB_SET_RANGE);
}

/* Positions the cursor below the first key at or after seek (MDB_SET_RANGE, then back). */
static int seek_last_before(MDB_cursor *cur, struct ddb_buf *seek, bool allow_equal, MDB_val *k,
			    MDB_val *v)
{
	MDB_val want = {seek->len, seek->data};
	int rc;

	*k = want;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	if (rc)
		return rc;
	if (allow_equal && k->mv_size == want.mv_size &&
	    !memcmp(k->mv_data, want.mv_data, want.mv_size))
		return 0;
	return mdb_cursor_get(cur, k, v, MDB_PREV);
}

/* The first stored key in scan order that may be within the bounds. */
static int stream_seek(const struct store_cursor *c, struct scan_stream *s, MDB_val *k, MDB_val *v)
{
	const struct scan_bound *b = c->reverse ? &c->hi : &c->lo;
	struct ddb_buf seek = DDB_BUF_INIT;
	/* Entries of an index level go on past the value: seek beyond them. */
	bool whole = b->set && b->b.len <= c->t && !c->distinct;
	int rc;

	rc = ddb_buf_add(&seek, c->prefix.data, c->prefix.len);
	if (!rc && b->set)
		rc = ddb_buf_add(&seek, b->b.data, b->b.len <= c->t ? b->b.len : c->t);
	if (rc)
		goto out_seek;
	if (!c->reverse) {
		k->mv_size = seek.len;
		k->mv_data = seek.data;
		rc = mdb_cursor_get(s->cur, k, v, seek.len ? MDB_SET_RANGE : MDB_FIRST);
	} else if (whole) {
		rc = seek_last_before(s->cur, &seek, true, k, v);
	} else if (prefix_successor(&seek)) {
		/* Past every key under the prefix (and the bound's whole group). */
		rc = seek_last_before(s->cur, &seek, false, k, v);
	} else {
		rc = mdb_cursor_get(s->cur, k, v, MDB_LAST);
	}
out_seek:
	ddb_buf_release(&seek);
	return rc;
}

/* A sorted group of an index level holds each value once per entry: keep one. */
static void stream_dedupe(struct scan_stream *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (!n || elem_cmp_up(&s->buf[n - 1], &s->buf[i]))
			s->buf[n++] = s->buf[i];
	s->n = n;
}

/*
 * Reads the next element, or the whole group it starts, into s->buf in scan
 * order.  Leaves s->n == 0 at the end.
 */
static int stream_fill(const struct store_cursor *c, struct scan_stream *s)
{
	MDB_cursor_op step = c->reverse ? MDB_PREV : MDB_NEXT;
	const uint8_t *part, *first = NULL;
	size_t len;
	MDB_val k, v;
	int rc;

	s->n = s->pos = 0;
	for (;;) {
		if (s->eof)
			return 0;
		if (!s->started)
			rc = stream_seek(c, s, &k, &v);
		else if (s->skip_set)
			rc = stream_skip(s, c->reverse, &k, &v);
		else
			rc = mdb_cursor_get(s->cur, &k, &v, step);
		s->started = true;
		if (rc == MDB_NOTFOUND || (!rc && !key_part(c, &k, &part, &len))) {
			s->eof = true;
			break;
		}
		if (rc)
			return store_mdb_errno(rc);
		if (first && (len <= c->t || memcmp(part, first, c->t))) {
			/* Not in the group: step back so the next fill reads it. */
			rc = mdb_cursor_get(s->cur, &k, &v, c->reverse ? MDB_NEXT : MDB_PREV);
			if (rc)
				return store_mdb_errno(rc);
			break;
		}
		rc = elem_push(c, s, &v);
		if (rc)
			return rc;
		if (len <= c->t && s->n && c->distinct) {
			ddb_buf_reset(&s->skip);
			s->skip_set = !ddb_buf_add(&s->skip, k.mv_data, c->prefix.len + len);
			if (!s->skip_set)
				return -ENOMEM;
		}
		if (len <= c->t && s->n)
			return 0; /* a single element, sorted as stored */
		if (len > c->t)
			first = part;
	}
	if (s->n > 1)
		qsort(s->buf, s->n, sizeof(*s->buf), c->reverse ? elem_cmp_down : elem_cmp_up);
	if (c->distinct)
		stream_dedupe(s);
	return 0;
}

/*
 * The stream's next element within the bounds (not consumed): 0 and *el,
 * 1 at the end, or <0.
 */
static int stream_peek(const struct store_cursor *c, struct scan_stream *s, struct scan_elem **el)
{
	const struct scan_bound *before = c->reverse ? &c->hi : &c->lo;
	const struct scan_bound *beyond = c->reverse ? &c->lo : &c->hi;
	int sign = c->reverse ? -1 : 1, r, rc;

	for (;;) {
		if (s->pos == s->n) {
			rc = stream_fill(c, s);
			if (rc)
				return rc;
			if (!s->n)
				return 1;
		}
		*el = &s->buf[s->pos];
		if (before->set) {
			r = sign * bound_cmp(*el, before);
			if (r < 0 || (r == 0 && !before->incl)) {
				s->pos++;
				continue;
			}
		}
		if (beyond->set) {
			r = sign * bound_cmp(*el, beyond);
			if (r > 0 || (r == 0 && !beyond->incl)) {
				s->eof = true;
				s->n = s->pos = 0;
				return 1;
			}
		}
		return 0;
	}
}

static int stream_open(struct store_cursor *c, struct scan_stream *s, struct store_env *e)
{
	int rc;

	s->env = e;
	rc = store_env_read_begin(e, &s->txn, NULL);
	if (rc)
		return rc;
	rc = mdb_cursor_open(s->txn, e->dbi[c->dbi], &s->cur);
	if (rc) {
		store_env_read_end(e, s->txn);
		s->txn = NULL;
		return store_mdb_errno(rc);
	}
	return 0;
}

static void stream_close(struct scan_stream *s)
{
	if (!s->txn)
		return;
	mdb_cursor_close(s->cur);
	store_env_read_end(s->env, s->txn);
	free(s->buf);
	ddb_buf_release(&s->skip);
}

/* ---- bounds ---- */

/* Tightens bound b (lower if is_lo) with the value v; an exclusive bound wins a tie. */
static int bound_tighten(struct scan_bound *b, const struct ddb_buf *v, bool incl, bool is_lo)
{
	int r;

	if (b->set) {
		r = enc_cmp((const uint8_t *)v->data, v->len, (const uint8_t *)b->b.data, b->b.len);
		if (is_lo ? r < 0 : r > 0)
			return 0;
		if (r == 0) {
			b->incl = b->incl && incl;
			return 0;
		}
	}
	b->set = true;
	b->incl = incl;
	ddb_buf_reset(&b->b);
	return ddb_buf_add(&b->b, v->data, v->len);
}

static int bound_key(struct scan_bound *b, const struct ddb_key *k, bool incl, bool is_lo)
{
	struct ddb_buf enc = DDB_BUF_INIT;
	int rc = ddb_keycodec_encode(&enc, k);

	if (!rc)
		rc = bound_tighten(b, &enc, incl, is_lo);
	ddb_buf_release(&enc);
	return rc;
}

/*
 * begins_with p: the keys whose encoding starts with p's escaped bytes (its
 * encoding without the 2-byte terminator), i.e. from those bytes up to, not
 * including, their prefix successor.
 */
static int bound_prefix(struct store_cursor *c, const struct ddb_key *p)
{
	struct ddb_buf enc = DDB_BUF_INIT;
	int rc;

	if (p->type == DDB_TYPE_N)
		return -EINVAL;
	rc = ddb_keycodec_encode(&enc, p);
	if (rc)
		goto out_enc;
	enc.len -= 2;
	rc = bound_tighten(&c->lo, &enc, true, true);
	if (!rc && prefix_successor(&enc))
		rc = bound_tighten(&c->hi, &enc, false, false);
out_enc:
	ddb_buf_release(&enc);
	return rc;
}

static int cursor_bounds(struct store_cursor *c, const struct store_range *r,
			 const struct ddb_key *after)
{
	int rc = 0;

	if (r && r->lo)
		rc = bound_key(&c->lo, r->lo, r->lo_incl, true);
	if (!rc && r && r->hi)
		rc = bound_key(&c->hi, r->hi, r->hi_incl, false);
	if (!rc && r && r->prefix)
		rc = bound_prefix(c, r->prefix);
	if (!rc && after)
		rc = bound_key(c->reverse ? &c->hi : &c->lo, after, false, !c->reverse);
	return rc;
}

/* ---- the cursor ---- */

/* What is scanned: which database, keys of which type, under which prefix. */
static int cursor_setup(struct store_cursor *c, const struct ddb_schema *s,
			const struct ddb_key *pk)
{
	bool range = ddb_schema_has_range(s);
	int rc;

	if (c->kind == STORE_SCAN_TABLE) {
		c->type = ddb_schema_hash(s).type;
		c->parts = range;
		c->dbi = range ? STORE_PARTS : STORE_ITEMS;
		c->t = range ? DDB_PK_PART_T : DDB_HASH_ONLY_T;
		return 0;
	}
	if (!range || !pk)
		return -EINVAL;
	c->type = ddb_schema_range(s).type;
	c->dbi = STORE_ITEMS;
	c->t = DDB_SK_PART_T;
	rc = ddb_keycodec_part(&c->prefix, pk, DDB_PK_PART_T, NULL);
	return rc ? rc : ddb_keycodec_encode(&c->pk_full, pk);
}

/* Opens one stream per environment scanned (none while the table has no schema). */
static int cursor_streams(struct store_cursor *c, struct store_table *t, const struct ddb_key *pk)
{
	struct store_env *one = NULL;
	unsigned i, n;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	n = t->nenv;
	pthread_mutex_unlock(&t->lock);
	if (!n)
		return 0;
	if (c->kind == STORE_SCAN_PARTITION) {
		rc = store_table_env(t, pk, &one, NULL, NULL);
		if (rc)
			return rc;
		n = 1;
	}
	c->s = calloc(n, sizeof(*c->s));
	if (!c->s)
		return -ENOMEM;
	c->ns = n;
	for (i = 0; i < n && !rc; i++)
		rc = stream_open(c, &c->s[i], one ? one : t->envs[i]);
	return rc;
}

int store_cursor_open(struct store_table *t, enum store_scan kind, const struct ddb_key *pk,
		      const struct store_range *range, const struct ddb_key *after,
		      struct store_cursor **out)
{
	const struct ddb_schema *s = store_table_schema(t);
	struct store_cursor *c;
	int rc = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->reverse = range && range->reverse;
	if (s) {
		rc = cursor_setup(c, s, pk);
		if (!rc)
			rc = cursor_bounds(c, range, after);
		if (!rc)
			rc = cursor_streams(c, t, pk);
	}
	if (rc) {
		store_cursor_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int cursor_entry(struct store_cursor *c, const struct scan_elem *el, struct store_entry *out)
{
	size_t used;
	int rc;

	ddb_buf_reset(&c->key);
	rc = ddb_keycodec_decode(el->full, el->full_len, c->type, &c->key, &used);
	if (rc)
		return rc == -ENOMEM ? rc : -EIO;
	memset(out, 0, sizeof(*out));
	out->key.type = c->type;
	out->key.data = c->key.data ? c->key.data : "";
	out->key.len = c->key.len;
	if (c->parts)
		return 0;
	out->meta.text_len = el->hdr.text_len;
	out->meta.ddb_size = el->hdr.ddb_size;
	out->meta.mtime_ns = el->hdr.mtime_ns;
	out->meta.seq = el->hdr.seq;
	return 0;
}

/* k-way merge: the stream whose next element comes first in scan order. */
int store_cursor_next(struct store_cursor *c, struct store_entry *out)
{
	struct scan_elem *el, *best = NULL;
	struct scan_stream *from = NULL;
	unsigned i;
	int rc, r;

	for (i = 0; i < c->ns; i++) {
		rc = stream_peek(c, &c->s[i], &el);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		r = best ? elem_cmp_up(el, best) : 0;
		if (!best || (c->reverse ? r > 0 : r < 0)) {
			best = el;
			from = &c->s[i];
		}
	}
	if (!best)
		return 1;
	rc = cursor_entry(c, best, out);
	from->pos++;
	/* A value of an index level may be listed by several environments. */
	for (i = 0; c->distinct && i < c->ns; i++)
		if (&c->s[i] != from && stream_peek(c, &c->s[i], &el) == 0 && !elem_cmp_up(el, best))
			c->s[i].pos++;
	return rc;
}

void store_cursor_close(struct store_cursor *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->ns; i++)
		stream_close(&c->s[i]);
	free(c->s);
	ddb_buf_release(&c->prefix);
	ddb_buf_release(&c->pk_full);
	ddb_buf_release(&c->lo.b);
	ddb_buf_release(&c->hi.b);
	ddb_buf_release(&c->key);
	for (i = 0; i < STORE_IX_MAX_COMP; i++)
		ddb_buf_release(&c->fixed[i]);
	free(c);
}

int store_ix_cursor_open(struct store_table *t, const struct store_ix_scan *ix,
			 const struct store_range *range, const struct ddb_key *after,
			 struct store_cursor **out)
{
	struct store_env *one = NULL;
	struct store_cursor *c;
	unsigned i, n;
	int rc = 0;

	if (ix->ncomp < 2 || ix->ncomp > STORE_IX_MAX_COMP || ix->level >= ix->ncomp ||
	    (ix->local && ix->level == 0))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ix = true;
	c->kind = STORE_SCAN_PARTITION;
	c->ncomp = ix->ncomp;
	c->level = ix->level;
	c->distinct = ix->level + 1 < ix->ncomp;
	c->type = ix->type[ix->level];
	c->dbi = STORE_IXENT;
	c->t = store_ix_part_t(ix->ncomp);
	c->reverse = range && range->reverse;
	rc = store_ix_prefix(&c->prefix, ix->id);
	for (i = 0; !rc && i < ix->level; i++) {
		rc = ddb_keycodec_part(&c->prefix, &ix->fixed[i], c->t, NULL);
		if (!rc)
			rc = ddb_keycodec_encode(&c->fixed[i], &ix->fixed[i]);
	}
	if (!rc)
		rc = cursor_bounds(c, range, after);
	n = store_table_env_count(t);
	if (!rc && n && ix->local) {
		rc = store_table_env(t, &ix->fixed[0], &one, NULL, NULL);
		n = 1;
	}
	if (!rc && n) {
		c->s = calloc(n, sizeof(*c->s));
		rc = c->s ? 0 : -ENOMEM;
	}
	for (i = 0; !rc && i < n; i++) {
		c->ns = i + 1;
		rc = stream_open(c, &c->s[i], one ? one : t->envs[i]);
	}
	if (rc) {
		store_cursor_close(c);
		return rc;
	}
	*out = c;
	return 0;
}
