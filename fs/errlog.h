/*
 * errlog.h - the daemon's log and MOUNTPOINT/.errors.
 *
 * Every refused input becomes one line, "<UTC time> <path>: <sentence>
 * (<ERRNO>)", written to the daemon's log (stderr in the foreground, syslog
 * otherwise) and kept in a bounded in-memory ring that .errors serves.
 */
#ifndef DDB_ERRLOG_H
#define DDB_ERRLOG_H

#include <stdbool.h>
#include "buf.h"
#include "err.h"

#define ERRLOG_KEEP (256u << 10)	/* bytes of recent lines .errors keeps */

void errlog_open(bool foreground, bool debug);
void errlog_close(void);

/* A refused input: path is relative to the mount point, err->code set. */
void errlog_input(const char *path, const struct ddb_err *err);
/* Anything else worth a line in the daemon's log. */
void errlog_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errlog_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of the kept lines, oldest first. */
int errlog_snapshot(struct ddb_buf *out);
size_t errlog_size(void);

#endif
