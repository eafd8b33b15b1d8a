/*
 * errors.c - the one place where LMDB's status codes become errnos and
 * sentences.
 *
 * Key invariant: LMDB's own codes (MDB_*) never leave store/.  MDB_MAP_FULL
 * is handled by growing the map (partition.c), so when one surfaces here it
 * is reported as ENOSPC; system errors from LMDB (ENOSPC, EIO, EACCES, ...)
 * pass through unchanged.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include "store_int.h"

/* Below this much free space a failed write is taken for a full disk. */
#define STORE_FULL_MARGIN (16u << 20)

/*
 * LMDB reports a short write as EIO, and a filling disk gives exactly that
 * (pwrite writes what fits, then stops).  So an EIO while the filesystem
 * holding the environment is nearly full is reported as ENOSPC: the user
 * must free space, not fear for the data (the commit was aborted whole).
 */
bool store_env_disk_full(MDB_env *env)
{
	uint64_t avail;

	return store_env_free_bytes(env, &avail) && avail < STORE_FULL_MARGIN;
}

bool store_env_free_bytes(MDB_env *env, uint64_t *avail)
{
	struct statvfs sv;
	int fd;

	if (mdb_env_get_fd(env, &fd) || fstatvfs(fd, &sv))
		return false;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return true;
}

/* LMDB code -> positive errno. */
static int mdb_code_errno(int rc)
{
	switch (rc) {
	case MDB_NOTFOUND:
		return ENOENT;
	case MDB_KEYEXIST:
		return EEXIST;
	case MDB_MAP_FULL:
		return ENOSPC;
	case MDB_READERS_FULL:
		return EAGAIN;
	case MDB_BAD_VALSIZE:
		return EINVAL;
	case MDB_DBS_FULL:
	case MDB_TLS_FULL:
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
	case MDB_MAP_RESIZED:
	case MDB_INCOMPATIBLE:
	case MDB_BAD_RSLOT:
	case MDB_BAD_TXN:
	case MDB_BAD_DBI:
	case MDB_PANIC:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return EIO;
	default:
		break;
	}
	/* LMDB returns plain errnos (positive) for system failures. */
	return rc > 0 ? rc : EIO;
}

int store_mdb_errno(int rc)
{
	return rc ? -mdb_code_errno(rc) : 0;
}

/*
 * Records the failure of `what` (e.g. "commit to partition 3") with LMDB's
 * description and returns the negative errno.
 */
int store_mdb_err(int rc, struct ddb_err *err, const char *what)
{
	char why[128];

	if (!rc)
		return 0;
	switch (rc) {
	case MDB_PANIC:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		snprintf(why, sizeof(why), "the database is damaged (%s)", mdb_strerror(rc));
		break;
	case MDB_MAP_FULL:
	case ENOSPC:
		snprintf(why, sizeof(why), "no space left on the device");
		break;
	default:
		snprintf(why, sizeof(why), "%s", mdb_strerror(rc));
		break;
	}
	/* LMDB and libc capitalise; our sentences are lower case. */
	if (why[0] >= 'A' && why[0] <= 'Z' && why[1] >= 'a' && why[1] <= 'z')
		why[0] = (char)(why[0] - 'A' + 'a');
	return ddb_err_set(err, mdb_code_errno(rc), "%s: %s", what, why);
}

/* A system call on path failed with errno code (positive). */
int store_sys_err(int code, struct ddb_err *err, const char *what, const char *path)
{
	char why[128];

	snprintf(why, sizeof(why), "%s", strerror(code));
	if (why[0] >= 'A' && why[0] <= 'Z' && why[1] >= 'a' && why[1] <= 'z')
		why[0] = (char)(why[0] - 'A' + 'a');
	return ddb_err_set(err, code, "%s %s: %s", what, path, why);
}
