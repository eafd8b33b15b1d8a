/*
 * ixstate.c - which number each secondary index of a table has, whether it
 * is still being built, and which dropped indexes still have entries.
 *
 * Index entries are keyed by a number, not a name, so an index dropped and
 * added again under the same name never meets the old one's entries; numbers
 * are never reused within a table.  The set lives in the table's catalog
 * record: {"next": N, "indexes": [{"name": .., "id": .., "active": ..}],
 * "drop": [ids]}.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

void store_ix_set_release(struct store_ix_set *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].name);
	free(x->v);
	free(x->drop);
	memset(x, 0, sizeof(*x));
}

static int state_add(struct store_ix_set *x, const char *name, uint32_t id, bool active)
{
	struct store_ix_state *v = realloc(x->v, (x->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	x->v = v;
	v[x->n].name = strdup(name);
	if (!v[x->n].name)
		return -ENOMEM;
	v[x->n].id = id;
	v[x->n].active = active;
	x->n++;
	return 0;
}

static int drop_add(struct store_ix_set *x, uint32_t id)
{
	uint32_t *d = realloc(x->drop, (x->ndrop + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	x->drop = d;
	d[x->ndrop++] = id;
	return 0;
}

int store_ix_set_copy(struct store_ix_set *dst, const struct store_ix_set *src)
{
	size_t i;
	int rc = 0;

	memset(dst, 0, sizeof(*dst));
	dst->next_id = src->next_id;
	for (i = 0; !rc && i < src->n; i++)
		rc = state_add(dst, src->v[i].name, src->v[i].id, src->v[i].active);
	for (i = 0; !rc && i < src->ndrop; i++)
		rc = drop_add(dst, src->drop[i]);
	if (rc)
		store_ix_set_release(dst);
	return rc;
}

void *store_ix_set_to_json(const struct store_ix_set *x)
{
	json_t *root = json_object(), *arr = json_array(), *drop = json_array();
	size_t i;
	bool ok = root && arr && drop;

	for (i = 0; ok && i < x->n; i++)
		ok = !json_array_append_new(arr, json_pack("{s:s, s:I, s:b}", "name", x->v[i].name,
							   "id", (json_int_t)x->v[i].id, "active",
							   x->v[i].active));
	for (i = 0; ok && i < x->ndrop; i++)
		ok = !json_array_append_new(drop, json_integer(x->drop[i]));
	if (ok)
		ok = !json_object_set_new(root, "next", json_integer(x->next_id)) &&
		     !json_object_set(root, "indexes", arr) && !json_object_set(root, "drop", drop);
	json_decref(arr);
	json_decref(drop);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int store_ix_set_from_json(const void *json, struct store_ix_set *x)
{
	const json_t *root = json;
	json_t *v;
	size_t i;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	if (!json_is_object(root))
		return 0; /* a record from before indexes were numbered */
	x->next_id = (uint32_t)json_integer_value(json_object_get(root, "next"));
	json_array_foreach(json_object_get(root, "indexes"), i, v)
	{
		if (!json_is_string(json_object_get(v, "name")))
			rc = -EIO;
		if (!rc)
			rc = state_add(x, json_string_value(json_object_get(v, "name")),
				       (uint32_t)json_integer_value(json_object_get(v, "id")),
				       json_is_true(json_object_get(v, "active")));
		if (rc)
			break;
	}
	json_array_foreach(json_object_get(root, "drop"), i, v)
	{
		if (rc)
			break;
		rc = drop_add(x, (uint32_t)json_integer_value(v));
	}
	if (rc)
		store_ix_set_release(x);
	return rc;
}

static const struct store_ix_state *state_find(const struct store_ix_set *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].name, name))
			return &x->v[i];
	return NULL;
}

int store_ix_set_update(struct store_ix_set *x, struct ddb_schema *s, bool fresh, bool *changed)
{
	struct store_ix_set next = {0};
	const struct ddb_index_def *d;
	const struct store_ix_state *old;
	size_t i, j;
	int rc = 0;

	next.next_id = x->next_id ? x->next_id : 1;
	*changed = false;
	for (i = 0; !rc && i < ddb_schema_index_count(s); i++) {
		d = ddb_schema_index(s, i);
		old = state_find(x, d->name);
		if (old) {
			rc = state_add(&next, d->name, old->id, old->active);
		} else {
			rc = state_add(&next, d->name, next.next_id++, fresh);
			*changed = true;
		}
		if (!rc)
			ddb_schema_set_index_id(s, i, next.v[next.n - 1].id);
	}
	for (i = 0; !rc && i < x->ndrop; i++)
		rc = drop_add(&next, x->drop[i]);
	for (i = 0; !rc && i < x->n; i++) {
		for (j = 0; j < next.n && strcmp(next.v[j].name, x->v[i].name); j++)
			;
		if (j == next.n) {
			rc = drop_add(&next, x->v[i].id);
			*changed = true;
		}
	}
	if (rc) {
		store_ix_set_release(&next);
		return rc;
	}
	store_ix_set_release(x);
	*x = next;
	return 0;
}
