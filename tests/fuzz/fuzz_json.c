/*
 * fuzz_json.c - libFuzzer target: the quick JSON loader (store/jsonfast.h)
 * against jansson's.
 *
 * For any bytes, under ddbfs's flags and under JSON_REJECT_DUPLICATES
 * alone (where \u0000 is refused): whenever the quick loader accepts,
 * jansson accepts too, and the two trees are equal with every object's
 * keys in the same order.  A decline is always allowed (jansson then
 * judges), so the invariant is that accepting never differs.
 */
#include <errno.h>
#include <jansson.h>
#include "fuzz.h"
#include "jsonfast.h"

/* Equal values, objects' keys compared in order, not only as sets. */
static int same_tree(json_t *a, json_t *b)
{
	void *ia, *ib;
	size_t i;

	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (ia = json_object_iter(a), ib = json_object_iter(b); ia && ib;
		     ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib))
			if (json_object_iter_key_len(ia) != json_object_iter_key_len(ib) ||
			    memcmp(json_object_iter_key(ia), json_object_iter_key(ib),
				   json_object_iter_key_len(ia)) ||
			    !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
				return 0;
		return !ia && !ib;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	default:
		return json_equal(a, b);
	}
}

static void check(const uint8_t *data, size_t size, size_t flags)
{
	json_t *fast = NULL, *slow;
	json_error_t jerr;
	int rc = ddb_jsonfast_load((const char *)data, size, flags, &fast);

	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc) {
		FUZZ_CHECK(fast == NULL);
		return;
	}
	slow = json_loadb((const char *)data, size, flags, &jerr);
	FUZZ_CHECK(slow != NULL);
	FUZZ_CHECK(same_tree(fast, slow));
	json_decref(fast);
	json_decref(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL);
	check(data, size, JSON_REJECT_DUPLICATES);
	return 0;
}
