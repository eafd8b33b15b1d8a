/* evictor.c - see evictor.h. */
#include <stdlib.h>
#include <string.h>
#include "evictor.h"
#include "inode.h"

#define BATCH 256

static void drop_excess(void *arg)
{
	struct ddbfs *fs = arg;
	struct fs_inode_name batch[BATCH];
	size_t n, i;

	while ((n = fs_inodes_excess(fs->inodes, batch, BATCH)) > 0) {
		for (i = 0; i < n; i++) {
			/* ENOENT: the kernel dropped it already. */
			fuse_lowlevel_notify_inval_entry(fs->se, batch[i].parent, batch[i].name,
							 strlen(batch[i].name));
			free(batch[i].name);
		}
	}
}

int evictor_start(struct ddbfs *fs, unsigned interval_ms, struct periodic **out)
{
	return periodic_start(interval_ms, drop_excess, fs, false, out);
}
