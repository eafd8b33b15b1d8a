/*
 * errlog.c - log lines and the bounded buffer behind .errors.
 *
 * The buffer keeps whole lines only: when it would exceed ERRLOG_KEEP the
 * oldest lines are dropped, so .errors always starts at a line boundary.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "errlog.h"

static pthread_mutex_t errlog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ddb_buf kept = DDB_BUF_INIT;
static bool to_stderr;

void errlog_open(bool foreground, bool debug)
{
	to_stderr = foreground || debug;
	if (!to_stderr)
		openlog("ddbfs", LOG_PID, LOG_DAEMON);
}

void errlog_close(void)
{
	pthread_mutex_lock(&errlog_lock);
	ddb_buf_release(&kept);
	pthread_mutex_unlock(&errlog_lock);
	if (!to_stderr)
		closelog();
}

static void emit(int prio, const char *line)
{
	if (to_stderr)
		fprintf(stderr, "ddbfs: %s\n", line);
	else
		syslog(prio, "%s", line);
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	emit(prio, line);
}

void errlog_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void errlog_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

static const char *errno_name(int code)
{
	switch (code) {
	case EINVAL: return "EINVAL";
	case EFBIG: return "EFBIG";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case EXDEV: return "EXDEV";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case E2BIG: return "E2BIG";
	default: return "error";
	}
}

/* Drops whole lines from the front until `extra` more bytes fit. */
static void make_room(size_t extra)
{
	size_t drop = 0;

	while (kept.len - drop + extra > ERRLOG_KEEP && drop < kept.len) {
		char *nl = memchr(kept.data + drop, '\n', kept.len - drop);

		drop = nl ? (size_t)(nl - kept.data) + 1 : kept.len;
	}
	if (drop) {
		memmove(kept.data, kept.data + drop, kept.len - drop);
		ddb_buf_setlen(&kept, kept.len - drop);
	}
}

void errlog_input(const char *path, const struct ddb_err *err)
{
	char stamp[32], line[DDB_ERR_TEXT_MAX + 4200];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s: %s (%s)", stamp, path,
		     err->text[0] ? err->text : strerror(err->code), errno_name(err->code));
	if (n < 0)
		return;
	emit(LOG_NOTICE, line);
	pthread_mutex_lock(&errlog_lock);
	make_room(strlen(line) + 1);
	ddb_buf_addstr(&kept, line);
	ddb_buf_addch(&kept, '\n');
	pthread_mutex_unlock(&errlog_lock);
}

int errlog_snapshot(struct ddb_buf *out)
{
	int rc;

	pthread_mutex_lock(&errlog_lock);
	rc = ddb_buf_add(out, kept.data ? kept.data : "", kept.len);
	pthread_mutex_unlock(&errlog_lock);
	return rc;
}

size_t errlog_size(void)
{
	size_t n;

	pthread_mutex_lock(&errlog_lock);
	n = kept.len;
	pthread_mutex_unlock(&errlog_lock);
	return n;
}
