/*
 * snapshots.h - the named snapshots under MOUNT/.snapshot/ (README: "Point-
 * in-time backups").  `mkdir .snapshot/NAME` takes one, `rmdir` lets it go;
 * they live in memory only, as long as the daemon.
 */
#ifndef DDB_FS_SNAPSHOTS_H
#define DDB_FS_SNAPSHOTS_H

#include <stdbool.h>
#include "err.h"
#include "store.h"

/* LMDB reader slots are finite (1,024 per environment); a snapshot holds one in each. */
#define FS_SNAPSHOTS_MAX 16

struct fs_snapshots;

int fs_snapshots_new(struct fs_snapshots **out);
void fs_snapshots_free(struct fs_snapshots *s);
/* Takes a snapshot of st named name: -EEXIST, -ENOSPC (too many), with err. */
int fs_snapshots_take(struct fs_snapshots *s, struct store *st, const char *name,
		      struct ddb_err *err);
/* Forgets name (-ENOENT); the snapshot ends when its last reader lets go. */
int fs_snapshots_drop(struct fs_snapshots *s, const char *name);
/* The snapshot named name, referenced (store_snapshot_unref), or NULL. */
struct store_snapshot *fs_snapshots_get(struct fs_snapshots *s, const char *name);
/* Calls fn for each name after `after` (NULL: from the first) in byte order until it says false. */
void fs_snapshots_each(struct fs_snapshots *s, const char *after,
		       bool (*fn)(const char *name, void *ctx), void *ctx);

#endif
