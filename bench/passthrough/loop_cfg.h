/*
 * loop_cfg.h - the multithreaded loop's settings as ddbfs's serve()
 * (fs/main.c) builds them from the command line, shared by both
 * passthroughs so that each runs the loop ddbfs runs.
 */
#ifndef PT_LOOP_CFG_H
#define PT_LOOP_CFG_H

#include <fuse_lowlevel.h>
#include <limits.h>

/* NULL when out of memory.  Unset options read as UINT_MAX: libfuse's defaults then. */
static inline struct fuse_loop_config *pt_loop_cfg(const struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();

	if (!cfg)
		return NULL;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)opts->clone_fd);
	if (opts->max_threads != UINT_MAX)
		fuse_loop_cfg_set_max_threads(cfg, opts->max_threads);
	if (opts->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, opts->max_idle_threads);
	return cfg;
}

#endif
