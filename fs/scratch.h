/*
 * scratch.h - files and directories held in memory only.
 *
 * Names that are not keys (dot-files, tools' temporary names), everything
 * inside a table whose schema is not set yet (pending items), and partition
 * directories made by mkdir before they hold items live here, as plain bytes,
 * until they are renamed onto an item, committed when a schema arrives, or
 * removed.  They are not kept across a remount (SPEC sections 2, 3, 8).
 * Paths are absolute mount paths ("/Books/.x.tmp").  Thread-safe.
 */
#ifndef DDB_SCRATCH_H
#define DDB_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"

struct scratch;

struct scratch_stat {
	bool is_dir;
	size_t size;
	int64_t mtime_ns;
};

int scratch_new(struct scratch **out);
void scratch_free(struct scratch *s);

/* -ENOENT */
int scratch_stat(struct scratch *s, const char *path, struct scratch_stat *st);
/* -EEXIST */
int scratch_mkdir(struct scratch *s, const char *path);
/* Creates an empty file, or empties an existing one unless excl (-EEXIST). -EISDIR. */
int scratch_create(struct scratch *s, const char *path, bool excl);
/* -ENOENT, -EISDIR */
int scratch_unlink(struct scratch *s, const char *path);
/* -ENOENT, -ENOTDIR, -ENOTEMPTY */
int scratch_rmdir(struct scratch *s, const char *path);
/* Returns bytes read or -errno. */
ssize_t scratch_read(struct scratch *s, const char *path, void *dst, size_t size, off_t off);
ssize_t scratch_write(struct scratch *s, const char *path, const void *src, size_t size,
		      off_t off);
int scratch_truncate(struct scratch *s, const char *path, off_t size);
int scratch_set_mtime(struct scratch *s, const char *path, int64_t mtime_ns);
/* Copies a file's bytes and mtime out (it stays). -ENOENT, -EISDIR. */
int scratch_copy(struct scratch *s, const char *path, struct ddb_buf *out, int64_t *mtime_ns);
/* Creates or replaces a file with the given bytes. */
int scratch_put(struct scratch *s, const char *path, const void *data, size_t len,
		int64_t mtime_ns);
/* Renames a file or a directory with everything below it; replaces a file. */
int scratch_rename(struct scratch *s, const char *from, const char *to);
/* Moves everything below directory from to below to; from itself need not be an entry. */
int scratch_rename_children(struct scratch *s, const char *from, const char *to);
/* Removes path and everything below it (no error if absent). */
void scratch_remove_tree(struct scratch *s, const char *path);
/* True if the directory path has any entry below it. */
bool scratch_has_children(struct scratch *s, const char *path);

/*
 * Calls fn for each direct child of dir in byte order of names, starting
 * strictly after `after` (NULL: from the first).  Stops when fn returns
 * non-zero and returns that.  fn must not call back into scratch.
 */
typedef int (*scratch_list_fn)(const char *name, const struct scratch_stat *st, void *ctx);
int scratch_list(struct scratch *s, const char *dir, const char *after, scratch_list_fn fn,
		 void *ctx);

/*
 * Every file at any depth below dir, in path order: fn gets the full path.
 * Used to commit pending items; fn must not call back into scratch.
 */
typedef int (*scratch_walk_fn)(const char *path, void *ctx);
int scratch_walk_files(struct scratch *s, const char *dir, scratch_walk_fn fn, void *ctx);

#endif
