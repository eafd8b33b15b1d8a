/*
 * flusher.c - the once-a-second checkpoint of every table's environments
 * (store/checkpoint.c): what bounds the commits a power loss can take.
 *
 * It holds no lock while syncing: it takes table references one at a time,
 * and checkpoints run alongside writers.
 */
#include <string.h>
#include "errlog.h"
#include "flusher.h"

static void sync_all(struct store *st)
{
	char **names = NULL;
	size_t count = 0, i;

	if (store_table_names(st, &names, &count))
		return;
	for (i = 0; i < count; i++) {
		struct store_table *t;
		int rc;

		if (store_table_get(st, names[i], &t))
			continue;
		if (store_table_schema(t) && (rc = store_sync(t, NULL)))
			errlog_warn("%s: background checkpoint failed: %s", names[i], strerror(-rc));
		store_table_put(t);
	}
	store_names_free(names, count);
}

static void sync_tick(void *st)
{
	sync_all(st);
}

int flusher_start(struct store *st, unsigned interval_ms, struct periodic **out)
{
	return periodic_start(interval_ms, sync_tick, st, true, out);
}
