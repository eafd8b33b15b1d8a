/*
 * reserve.c - zero-filled room ahead of LMDB's last page.
 *
 * LMDB grows its data file by writing pages past the end.  A commit that
 * does so changes the file's size, and its fdatasync must then commit the
 * filesystem's journal too: on ext4 here that is a median of 260 us and a
 * tenth of them over 4 ms, against 130 us for the same pages written over
 * blocks the file already has (bench/RESULTS.md, "Room ahead of the data").
 * So after each commit the leader keeps some room of real zeros (not
 * fallocate: unwritten extents cost the same journal commit on first
 * write) past the last used page, and LMDB's next pages overwrite them.
 *
 * Safe because it runs only between write transactions of the environment
 * (commit.c's leader, the only writer) and writes only past the last page
 * the newest commit uses: no transaction can be putting pages there.  LMDB
 * never reads past that page, and a file longer than its data is what LMDB
 * leaves after deletes anyway.
 *
 * The room grows with the data (a quarter of it, between 256 KiB and
 * 64 MiB) and is renewed when half is used, so a table of N bytes pays
 * O(log N) size changes instead of one per new page.  On a nearly full disk
 * nothing is reserved: ENOSPC stays the commit's to report.
 *
 * Only environments whose every commit is synced need it (-o sync, the
 * catalog): the others sync once per checkpoint, off the writers' path.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

#define RESERVE_MIN ((uint64_t)256 << 10)
#define RESERVE_MAX ((uint64_t)64 << 20)
#define RESERVE_CHUNK ((size_t)64 << 10)

static const char zeros[RESERVE_CHUNK];

static uint64_t room_wanted(uint64_t used)
{
	uint64_t step = used / 4;

	if (step < RESERVE_MIN)
		step = RESERVE_MIN;
	if (step > RESERVE_MAX)
		step = RESERVE_MAX;
	return step;
}

/* Enough room past used that the next commits will not grow the file. */
static bool room_left(uint64_t file_end, uint64_t used, uint64_t step)
{
	return file_end >= used && file_end - used >= step / 2;
}

static int write_zeros(int fd, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t n = to - from < RESERVE_CHUNK ? (size_t)(to - from) : RESERVE_CHUNK;
		ssize_t w = pwrite(fd, zeros, n, (off_t)from);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		from += (uint64_t)w;
	}
	return 0;
}

void store_env_reserve(struct store_env *e)
{
	MDB_envinfo info;
	struct stat st;
	uint64_t used, step, target, avail;
	int fd;

	/* Commits that skip their sync (checkpoint.c) gain nothing from it. */
	if (e->read_only || e->ckpt || !e->psize || mdb_env_get_fd(e->env, &fd) ||
	    mdb_env_info(e->env, &info))
		return;
	used = ((uint64_t)info.me_last_pgno + 1) * e->psize;
	step = room_wanted(used);
	if (room_left(e->file_end, used, step))
		return;
	/* Our figure may be stale (the first commit since open): ask once. */
	if (fstat(fd, &st))
		return;
	e->file_end = (uint64_t)st.st_size;
	if (room_left(e->file_end, used, step))
		return;
	target = (used + step + RESERVE_CHUNK - 1) / RESERVE_CHUNK * RESERVE_CHUNK;
	if (!store_env_free_bytes(e->env, &avail) || avail <= 4 * (target - used) + (64u << 20))
		return;
	/* Never below used: those pages are LMDB's. */
	if (e->file_end < used)
		e->file_end = used;
	if (write_zeros(fd, e->file_end, target) || fdatasync(fd))
		return;	/* a shorter room, or none: only slower commits */
	e->file_end = target;
}
