/*
 * evictor.h - keeps the files the kernel holds looked up within the
 * configured count, by asking it to drop the least recently used names
 * (inode.h); it then FORGETs them.  A file it cannot drop (it is open)
 * stays until it is looked up again.
 *
 * It runs on its own thread because the kernel answers such a request only
 * after taking the directory's lock, which a request being served may hold.
 */
#ifndef DDB_FS_EVICTOR_H
#define DDB_FS_EVICTOR_H

#include "fs_int.h"
#include "periodic.h"

/* Checks fs->inodes every interval_ms while fs->se serves.  0 or -errno. */
int evictor_start(struct ddbfs *fs, unsigned interval_ms, struct periodic **out);

#endif
