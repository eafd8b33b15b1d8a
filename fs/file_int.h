/*
 * file_int.h - an open file, shared by file.c (open, read, release) and
 * file_write.c (buffering, judging and committing writes).
 */
#ifndef DDB_FS_FILE_INT_H
#define DDB_FS_FILE_INT_H

#include <pthread.h>
#include "fs_int.h"
#include "item.h"
#include "jsonprefix.h"

/* Text beyond this cannot be a 400 KB item in any layout a person writes. */
#define FILE_TEXT_MAX (8u << 20)

struct fs_file {
	struct ddbfs *fs;
	struct fs_node node;		/* owned; node.path points at path */
	char *path;
	uint64_t ino;			/* the kernel's number for it (ops.c) */
	pthread_mutex_t lock;
	bool writable;
	bool created;			/* a new item: commit even if nothing was written */
	bool excl;			/* O_EXCL: commit as attribute_not_exists */
	bool append;			/* O_APPEND: every write goes to the end of buf */
	bool written;			/* write() or ftruncate() since the last commit */
	int poison;			/* a refused write: every later write and close fail */
	bool mtime_set;
	int64_t mtime_ns;		/* to set at commit; a read handle's item mtime */
	struct ddb_buf buf;		/* write buffer, or a read snapshot */
	struct ddb_jsonprefix jp;
	size_t jp_len;			/* bytes of buf the recogniser has seen */
	bool jp_valid;			/* jp describes buf[0..jp_len) */
	size_t defined;			/* buf[0..defined) was read or written, not a hole */
	struct ddb_item *parsed;	/* validated at write time, for buf as of gen */
	uint64_t parsed_gen;
	uint64_t gen;			/* bumped by every change of buf */
	uint64_t committed_gen;		/* buf as of this gen is what the store holds */
	uint64_t failed_gen;		/* buf as of this gen was refused with failed_rc */
	int failed_rc;
	struct fs_file *next;		/* open_files list: writers, or the other handles */
	struct fs_file **pprev;
};

/* Commits whatever is pending (fsync, the final release); 0 or -errno. */
int fs_file_commit_final(struct fs_file *f);

#endif
