/* ops.h - the FUSE operations of ddbfs (ops.c). */
#ifndef DDB_OPS_H
#define DDB_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse.h>

/* datadir (absolute) answers statfs: the space left is the store's. */
const struct fuse_operations *ddbfs_operations(const char *datadir);

#endif
