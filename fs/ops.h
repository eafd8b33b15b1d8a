/* ops.h - the FUSE low-level operations of ddbfs (ops.c). */
#ifndef DDB_OPS_H
#define DDB_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

/* datadir (absolute) answers statfs: the space left is the store's. */
const struct fuse_lowlevel_ops *ddbfs_operations(const char *datadir);

#endif
