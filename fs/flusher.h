/*
 * flusher.h - a background thread that makes recent commits durable.
 *
 * sync(1) never reaches a FUSE daemon on Linux (the kernel sends SYNCFS to
 * virtiofs only), and the default commit leaves LMDB's meta page unsynced.
 * So once a second every environment is synced: a commit is durable against
 * power loss at most about a second after close(), and at once with fsync()
 * or -o sync.
 */
#ifndef DDB_FLUSHER_H
#define DDB_FLUSHER_H

#include "periodic.h"
#include "store.h"

/* Starts syncing st every interval_ms, and once more at periodic_stop.  0 or -errno. */
int flusher_start(struct store *st, unsigned interval_ms, struct periodic **out);

#endif
