/*
 * checkpoint.c - commits without a sync, made safe against power loss by
 * checkpoints.
 *
 * SPEC section 10 asks that an acknowledged commit survive a crash of the
 * daemon, and a power loss only once fsync() (or -o sync) succeeded.  The
 * page cache gives the first for free, so partitions commit with
 * MDB_NOSYNC: no fdatasync per commit, which was the whole cost of a
 * create on disk.  What MDB_NOSYNC alone cannot give is consistency after a
 * power loss: the kernel writes dirty pages back in any order, so a meta
 * page can reach the disk before the pages it points to, and pages LMDB
 * reused can overwrite what the last durable meta page points to.
 *
 * A checkpoint closes that hole.  It (1) begins a read transaction on the
 * newest commit T and keeps it open ("pins" T), so LMDB never reuses a page
 * T points to; (2) syncs data.mdb, so T's pages and meta page are on disk;
 * (3) writes T's meta page and the kernel's boot id into ddbfs.ckpt and
 * syncs that; (4) lets go of the previous pin.  Until the next checkpoint
 * the disk always holds T intact, whatever else reached it.
 *
 * At open, a record written under another boot id means the machine went
 * down since: the newer commits may be half on disk, so both meta slots of
 * data.mdb get T's meta page back (a rollback to T, as LMDB's own
 * MDB_PREVSNAPSHOT does with the older slot).  The same boot id means only
 * the daemon died; the page cache then holds every commit whole, and
 * nothing is rolled back.
 *
 * Checkpoints run once a second (fs/flusher.c), at fsync(), before a step
 * that other environments rely on (a move's source delete, an index turned
 * ACTIVE), at close, and on a background thread every CKPT_EVERY_DEFAULT
 * commits of an environment: while a checkpoint is pinned LMDB cannot
 * reuse the pages commits free, so a second of fast writes would otherwise
 * grow data.mdb by tens of megabytes.  Writers that outrun that thread
 * wait for a checkpoint of their own (store_ckpt_throttle), so the file
 * holds at most a few intervals' pages more than its data.  ddbfs.ckpt has two slots written alternately,
 * each with a hash, so a torn record write leaves the other.
 *
 * The meta page is read and written as bytes, so this knows LMDB 0.9's meta
 * layout on 64-bit machines (mdb.c, MDB_meta); store_ckpt_start checks
 * it against mdb_env_info before trusting it and otherwise leaves the
 * environment syncing every commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hash.h"
#include "store_int.h"

#define CKPT_FILE "ddbfs.ckpt"
#define CKPT_MAGIC 0x31544b5042444444ull	/* "DDDBPKT1" */
#define CKPT_SLOT 512
#define BOOT_ID_MAX 40
/*
 * Commits of an environment that call for a checkpoint in the background.
 * A put commits about 25 pages here (each database's path, the main and free
 * databases), so 64 commits pin about 6 MB.  Not a growth threshold: the
 * pages freed in one interval are what the next one reuses, so a trigger on
 * growth alone lets each interval be longer than the last.
 */
#define CKPT_EVERY_DEFAULT 64

/* LMDB 0.9 (64-bit): page header, then MDB_meta. */
#define META_COPY 160		/* page header and MDB_meta, with room */
#define META_OFF_FLAGS 10	/* mp_flags, u16 */
#define META_OFF_MAGIC 16	/* mm_magic, u32 */
#define META_OFF_VERSION 20	/* mm_version, u32 */
#define META_OFF_PSIZE 40	/* mm_dbs[FREE_DBI].md_pad, u32: the page size */
#define META_OFF_LAST_PG 136	/* mm_last_pg, u64 */
#define META_OFF_TXNID 144	/* mm_txnid, u64 */
#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_VERSION 1u
#define LMDB_P_META 0x08u

struct ckpt_rec {
	uint64_t magic;
	uint64_t seq;		/* which slot: seq & 1 */
	uint64_t txnid;
	uint32_t psize;
	uint32_t pad;
	char boot_id[BOOT_ID_MAX];
	uint8_t meta[META_COPY];
	uint64_t hash;		/* of everything above */
};

_Static_assert(sizeof(struct ckpt_rec) <= CKPT_SLOT, "a record fits its slot");

struct store_ckpt {
	struct ckpt_job job;	/* for the background thread */
	atomic_uint commits;	/* since the last capture */
	unsigned every;		/* commits that call for a background checkpoint */
	pthread_mutex_t lock;	/* one checkpoint at a time */
	int fd;			/* ddbfs.ckpt */
	MDB_txn *pinned;	/* read transaction on the last checkpoint */
	struct ckpt_rec rec;	/* the last one written */
	int failed;		/* -errno of a checkpoint that failed, until one succeeds */
	/*
	 * -errno of a failed sync of data.mdb, for good: Linux reports a
	 * writeback error once and may drop the pages, so a later sync that
	 * succeeds proves nothing about them.  fsync fails until a remount.
	 */
	int sync_failed;
	bool layout_bad;	/* a meta page we do not know how to read */
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A meta page LMDB 0.9 would accept, of page size psize (0: any). */
static bool meta_valid(const uint8_t *m, uint32_t psize)
{
	uint16_t flags;

	memcpy(&flags, m + META_OFF_FLAGS, sizeof(flags));
	return (flags & LMDB_P_META) && get32(m + META_OFF_MAGIC) == LMDB_MAGIC &&
	       get32(m + META_OFF_VERSION) == LMDB_VERSION &&
	       (!psize || get32(m + META_OFF_PSIZE) == psize);
}

static uint64_t rec_hash(const struct ckpt_rec *r)
{
	return ddb_hash64(r, offsetof(struct ckpt_rec, hash));
}

/* The kernel's id of this boot: a different one means the machine restarted. */
static bool boot_id_get(const struct store_options *opt, char out[BOOT_ID_MAX])
{
	FILE *f;
	bool ok;

	memset(out, 0, BOOT_ID_MAX);
	if (opt->boot_id) {
		snprintf(out, BOOT_ID_MAX, "%s", opt->boot_id);
		return true;
	}
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return false;
	ok = fgets(out, BOOT_ID_MAX, f) != NULL;
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return ok && out[0];
}

static int read_full(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int write_full(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The newest valid record of ddbfs.ckpt; false if there is none. */
static bool rec_read(int fd, struct ckpt_rec *out)
{
	struct ckpt_rec r;
	bool found = false;
	unsigned slot;

	for (slot = 0; slot < 2; slot++) {
		if (read_full(fd, &r, sizeof(r), (off_t)slot * CKPT_SLOT))
			continue;
		if (r.magic != CKPT_MAGIC || r.hash != rec_hash(&r) || (r.seq & 1) != slot ||
		    !meta_valid(r.meta, r.psize) || get64(r.meta + META_OFF_TXNID) != r.txnid)
			continue;
		if (!found || r.seq > out->seq)
			*out = r;
		found = true;
	}
	return found;
}

static int rec_write(int fd, struct ckpt_rec *r)
{
	int rc;

	r->magic = CKPT_MAGIC;
	r->hash = rec_hash(r);
	rc = write_full(fd, r, sizeof(*r), (off_t)(r->seq & 1) * CKPT_SLOT);
	if (!rc && fdatasync(fd))
		rc = -errno;
	return rc;
}

/*
 * Puts the record's meta page into both slots of data.mdb, so LMDB opens
 * at the checkpoint.  The other slot gets the same page under its own page
 * number; the next commit overwrites one of them as usual.
 */
static int rollback(int fd, const struct ckpt_rec *r)
{
	uint8_t page[META_COPY];
	uint64_t pgno;
	int rc = 0;

	for (pgno = 0; pgno < 2 && !rc; pgno++) {
		memcpy(page, r->meta, sizeof(page));
		memcpy(page, &pgno, sizeof(pgno));	/* mp_pgno */
		rc = write_full(fd, page, sizeof(page), (off_t)(pgno * r->psize));
	}
	if (!rc && fdatasync(fd))
		rc = -errno;
	return rc;
}

static void say(const struct store_options *opt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct store_options *opt, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!opt->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	opt->log(msg);
}

int store_ckpt_recover(const char *dir, const struct store_options *opt, struct ddb_err *err)
{
	char path[4200], boot[BOOT_ID_MAX];
	uint8_t m[2][META_COPY];
	uint64_t newest = 0;
	struct ckpt_rec r;
	int fd, rc = 0;
	bool found;
	unsigned i;

	snprintf(path, sizeof(path), "%s/" CKPT_FILE, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* none written: syncing commits, or a new environment */
	found = rec_read(fd, &r);
	close(fd);
	if (!found)
		return 0;
	if (!boot_id_get(opt, boot))
		return ddb_err_set(err, EIO, "%s: cannot read the kernel's boot id, so cannot tell "
				   "whether the machine restarted since the last checkpoint", dir);
	if (!strcmp(boot, r.boot_id))
		return 0;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	fd = open(path, (opt->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return store_sys_err(errno, err, "cannot open", path);
	for (i = 0; i < 2 && !rc; i++) {
		rc = read_full(fd, m[i], META_COPY, (off_t)i * r.psize);
		if (!rc && meta_valid(m[i], r.psize) && get64(m[i] + META_OFF_TXNID) > newest)
			newest = get64(m[i] + META_OFF_TXNID);
	}
	if (rc || newest <= r.txnid) {
		/* At the checkpoint, or older than it (a copied-in file): not ours to change. */
		close(fd);
		return rc ? store_sys_err(-rc, err, "cannot read", path) : 0;
	}
	if (opt->read_only) {
		close(fd);
		return ddb_err_set(err, EROFS,
				   "%s: the machine restarted since its last checkpoint; mount "
				   "read-write once to roll it back", dir);
	}
	rc = rollback(fd, &r);
	close(fd);
	if (rc)
		return store_sys_err(-rc, err, "cannot roll back", path);
	say(opt, "%s: the machine restarted: rolled back to the last checkpoint (transaction "
	    "%llu; %llu later commits were never synced)", dir, (unsigned long long)r.txnid,
	    (unsigned long long)(newest - r.txnid));
	return 0;
}

/*
 * Pins the newest commit and copies its meta page, with writers held off.
 * 0, an LMDB code or a positive errno.
 */
static int capture(struct store_env *e, struct store_ckpt *c, MDB_txn **pin, struct ckpt_rec *r)
{
	MDB_envinfo info;
	int fd, rc;

	store_env_writers_pause(e);
	pthread_rwlock_rdlock(&e->grow);
	/* Even if this attempt fails: the throttle must not retry at every write. */
	atomic_store(&c->commits, 0);
	rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, pin);
	if (!rc)
		rc = mdb_env_get_fd(e->env, &fd);
	if (!rc)
		rc = mdb_env_info(e->env, &info);
	if (!rc) {
		r->txnid = info.me_last_txnid;
		rc = -read_full(fd, r->meta, META_COPY, (off_t)(r->txnid & 1) * e->psize);
	}
	pthread_rwlock_unlock(&e->grow);
	store_env_writers_resume(e);
	if (!rc && (!meta_valid(r->meta, e->psize) || get64(r->meta + META_OFF_TXNID) != r->txnid ||
		    mdb_txn_id(*pin) != r->txnid)) {
		c->layout_bad = true;	/* see store_ckpt_start */
		rc = MDB_CORRUPTED;
	}
	if (rc && !*pin)
		return rc;
	if (rc) {
		mdb_txn_abort(*pin);
		*pin = NULL;
	}
	return rc;
}

static int checkpoint_locked(struct store_env *e, struct store_ckpt *c)
{
	struct ckpt_rec r = c->rec;
	MDB_envinfo info;
	MDB_txn *pin = NULL;
	bool unchanged;
	int rc;

	/* mdb_env_info reads the map, which a growing map replaces. */
	pthread_rwlock_rdlock(&e->grow);
	unchanged = !mdb_env_info(e->env, &info) && info.me_last_txnid == c->rec.txnid;
	pthread_rwlock_unlock(&e->grow);
	if (c->sync_failed)
		return c->sync_failed;
	if (unchanged && !c->failed && c->pinned)
		return 0;	/* nothing committed since the last one */
	rc = capture(e, c, &pin, &r);
	if (!rc && (rc = mdb_env_sync(e->env, 1)))
		c->sync_failed = store_mdb_errno(rc);
	if (!rc) {
		r.seq = c->rec.seq + 1;
		r.psize = e->psize;
		rc = -rec_write(c->fd, &r);
	}
	if (rc) {
		if (pin)
			mdb_txn_abort(pin);
		c->failed = store_mdb_errno(rc);
		return c->failed;
	}
	if (c->pinned)
		mdb_txn_abort(c->pinned);
	c->pinned = pin;
	c->rec = r;
	c->failed = 0;
	return 0;
}

void store_ckpt_note_commit(struct store_env *e)
{
	struct store_ckpt *c = e->ckpt;

	if (c && atomic_fetch_add(&c->commits, 1) + 1 >= c->every)
		ckpt_worker_queue(&c->job);
}

/*
 * Writers faster than the disk would outrun the background thread, and the
 * pin would let data.mdb grow without bound: past twice the interval
 * a writer checkpoints itself, so writers go at the disk's pace.
 */
void store_ckpt_throttle(struct store_env *e)
{
	struct store_ckpt *c = e->ckpt;

	if (!c || atomic_load(&c->commits) / 2 < c->every)
		return;
	pthread_mutex_lock(&c->lock);
	if (atomic_load(&c->commits) / 2 >= c->every)
		checkpoint_locked(e, c);	/* a failure stays in c->failed */
	pthread_mutex_unlock(&c->lock);
}

int store_env_checkpoint(struct store_env *e)
{
	struct store_ckpt *c = e->ckpt;
	int rc;

	if (e->read_only)
		return 0;
	if (!c)
		return store_mdb_errno(mdb_env_sync(e->env, 1));
	pthread_mutex_lock(&c->lock);
	rc = checkpoint_locked(e, c);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void store_ckpt_free(struct store_ckpt *c)
{
	if (!c)
		return;
	if (c->pinned)
		mdb_txn_abort(c->pinned);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Removes dir's record for good: one left behind while commits are synced
 * would roll back synced commits after the next restart of the machine.
 * What an earlier daemon left unsynced (killed, same boot) is synced first,
 * or a power loss now would find it half on disk and no record.
 */
static int forget(struct store_env *e, const char *dir, struct ddb_err *err)
{
	char path[4200];
	int rc = mdb_env_sync(e->env, 1);

	if (rc)
		return store_mdb_err(rc, err, "syncing");
	snprintf(path, sizeof(path), "%s/" CKPT_FILE, dir);
	if (unlink(path))
		return errno == ENOENT ? 0 : store_sys_err(errno, err, "cannot remove", path);
	rc = sync_dir(dir);
	return rc ? store_sys_err(-rc, err, "cannot sync", dir) : 0;
}

int store_ckpt_start(struct store_env *e, const char *dir, const struct store_options *opt,
		     struct ddb_err *err)
{
	struct ckpt_rec old;
	char path[4200];
	struct store_ckpt *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* Without a boot id there is no telling a restart: commits keep their sync. */
	if (opt->sync || !boot_id_get(opt, c->rec.boot_id) || sizeof(size_t) != 8) {
		free(c);
		return forget(e, dir, err);
	}
	snprintf(path, sizeof(path), "%s/" CKPT_FILE, dir);
	c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->fd < 0) {
		rc = store_sys_err(errno, err, "cannot open", path);
		free(c);
		return rc;
	}
	pthread_mutex_init(&c->lock, NULL);
	if (rec_read(c->fd, &old))
		c->rec.seq = old.seq;
	else if ((rc = sync_dir(dir))) {	/* a new file's name must survive too */
		store_ckpt_free(c);
		return store_sys_err(-rc, err, "cannot sync", dir);
	}
	rc = checkpoint_locked(e, c);
	if (c->layout_bad) {
		say(opt, "%s: LMDB's meta page is not laid out as expected; every commit will "
		    "be synced instead", dir);
		store_ckpt_free(c);
		return forget(e, dir, err);
	}
	if (rc) {
		store_ckpt_free(c);
		return store_sys_err(-rc, err, "cannot checkpoint", dir);
	}
	rc = ckpt_worker_join();
	if (rc) {
		store_ckpt_free(c);
		return store_sys_err(-rc, err, "cannot start the checkpoint thread for", dir);
	}
	/* From here on the checkpoints keep the disk consistent. */
	rc = mdb_env_set_flags(e->env, MDB_NOSYNC, 1);
	if (rc) {
		ckpt_worker_leave(&c->job);
		store_ckpt_free(c);
		return store_mdb_err(rc, err, "setting MDB_NOSYNC");
	}
	c->job.env = e;
	c->every = opt->ckpt_every ? opt->ckpt_every : CKPT_EVERY_DEFAULT;
	e->ckpt = c;
	return 0;
}


void store_ckpt_stop(struct store_env *e)
{
	if (!e->ckpt)
		return;
	ckpt_worker_leave(&e->ckpt->job);
	store_env_checkpoint(e);
	store_ckpt_free(e->ckpt);
	e->ckpt = NULL;
}
