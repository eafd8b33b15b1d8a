/*
 * store_int.h - what the store's files share: environments, tables, write
 * transactions and the on-disk record formats.
 *
 * Key invariant: every LMDB transaction, read or write, holds its
 * environment's grow lock for reading while it is in use, so the map is only
 * ever resized (under the lock held for writing) with no transaction in use
 * (snapshots and checkpoints keep idle read transactions: partition.c).
 * Lock order: store cat_lock -> table life -> store reg_lock -> table lock
 * -> env grow.
 */
#ifndef DDB_STORE_INT_H
#define DDB_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "store.h"

#define STORE_MAP_INITIAL ((size_t)64 << 20)
#define STORE_MAX_DBI 5
/* Reset read transactions an environment keeps: about one per FUSE thread. */
#define STORE_IDLE_READERS 16

/* Named databases of a partition environment. */
enum store_pdbi {
	STORE_ITEMS,   /* key part(s) -> record header, full pk, full sk, text */
	STORE_PARTS,   /* pk part -> u64 (unused), full pk: the partition keys (hash+range) */
	STORE_META,    /* the main DB: "stats" -> struct store_pmeta, STORE_META_CHANGED -> i64 ns */
	STORE_JOURNAL, /* u64 id -> intent record */
	STORE_IXENT,   /* index entries: u32 index id, key parts -> ixtxn.c record */
};

/* Named databases of the catalog environment. */
enum store_cdbi {
	STORE_CAT_TABLES, /* name -> JSON record */
	STORE_CAT_META,	  /* "next_id" -> u64 */
};

/* One LMDB environment and the lock that lets its map grow. */
struct commit_req;

struct store_env {
	MDB_env *env;
	pthread_rwlock_t grow; /* read: a transaction is open; write: resizing */
	size_t mapsize;	       /* under grow */
	/* Writers waiting to commit here, taken as one batch by a leader (commit.c). */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_done;
	struct commit_req *queue;
	bool committing;
	MDB_dbi dbi[STORE_MAX_DBI];
	bool read_only;
	/* Zero-filled room past the last page (reserve.c); leader only. */
	unsigned psize;
	uint64_t file_end;
	/* Set when commits skip their sync and checkpoints keep the disk consistent. */
	struct store_ckpt *ckpt;
	/*
	 * Ended short read transactions, reset for the next one: renewing one
	 * keeps its reader slot and memory, where a begin allocates and
	 * searches the reader table under LMDB's mutex (twice per create).
	 */
	pthread_mutex_t idle_lock;
	MDB_txn *idle[STORE_IDLE_READERS];
	unsigned nidle;
};

/* Realtime of the last commit that changed a figure describe-table shows. */
#define STORE_META_CHANGED "changed"

/* A partition's figures, kept exact by every write ("meta" DBI). */
struct store_pmeta {
	uint64_t items;
	uint64_t bytes;
	uint64_t next_seq;
	uint64_t next_journal;
};

/* The fixed header of an item record; all fields native-endian, unaligned. */
struct store_rec_hdr {
	uint16_t version;
	uint16_t flags;
	uint32_t pk_len; /* full pk encoding, follows the header */
	uint32_t sk_len; /* full sk encoding, follows the pk (0: hash-only) */
	uint32_t pad;
	uint64_t text_len; /* canonical text, follows the sk */
	uint64_t ddb_size;
	int64_t mtime_ns;
	uint64_t seq;
};

#define STORE_REC_VERSION 1

/* ixstate.c: the ids and states of a table's indexes, kept in the catalog. */
struct store_ix_state {
	char *name;
	uint32_t id;
	bool active; /* else CREATING: the backfill has not finished */
};

struct store_ix_set {
	struct store_ix_state *v;
	size_t n;
	uint32_t next_id;
	uint32_t *drop; /* removed indexes whose entries are not all deleted yet */
	size_t ndrop;
};

void store_ix_set_release(struct store_ix_set *x);
int store_ix_set_copy(struct store_ix_set *dst, const struct store_ix_set *src);
/* A JSON object for the catalog record, or NULL without memory. */
void *store_ix_set_to_json(const struct store_ix_set *x);
int store_ix_set_from_json(const void *json, struct store_ix_set *x);
/*
 * Numbers the indexes of s (ids written into s) after the set x: an index
 * whose name x knows keeps its id and state, a new one gets the next id and
 * is ACTIVE only if `fresh` (a table with no items yet), others CREATING;
 * indexes of x missing from s are queued for dropping.  Returns 0, -ENOMEM.
 * *changed tells whether x changed.
 */
int store_ix_set_update(struct store_ix_set *x, struct ddb_schema *s, bool fresh, bool *changed);

struct store_table {
	struct store *st;
	struct store_table *next; /* in st->tables, under reg_lock */
	unsigned refs;		  /* under reg_lock; the store holds one while named */
	char *name;		  /* under reg_lock */
	uint64_t id;
	int64_t created_ms;
	bool dropped;			 /* set under life (write) and reg_lock */
	pthread_rwlock_t life;		 /* read: writing items; write: drop/replace */
	pthread_mutex_t lock;		 /* schema and envs */
	const struct ddb_schema *schema; /* current, NULL until set */
	struct ddb_schema **old;	 /* superseded, freed with the table */
	size_t nold;
	struct store_ix_set ix;		 /* under lock */
	struct store_env **envs; /* one per partition, fixed once set */
	unsigned nenv;
};

struct store {
	char *datadir;
	struct store_options opt;
	struct store_env *catalog;
	pthread_mutex_t cat_lock; /* serialises catalog changes */
	pthread_mutex_t reg_lock; /* the table list, names, refcounts */
	struct store_table *tables;
};

/* More indexes than a table may have (DynamoDB: 20 global, 5 local). */
#define STORE_IX_DELTA_MAX 32

/* A write transaction on one environment (a partition or the catalog). */
struct store_txn {
	struct store_env *env;
	MDB_txn *txn;
	int mdb_rc;	       /* first LMDB failure; forces an abort */
	struct store_table *t; /* NULL for the catalog */
	unsigned part;
	bool has_range;
	bool figures_changed;  /* a count or size describe-table shows changed */
	/* Net changes of index figures in this transaction (an overwrite is -1 +1). */
	struct store_ix_delta {
		uint32_t id;
		int64_t items, bytes;
	} ix_delta[STORE_IX_DELTA_MAX];
	unsigned n_ix_delta;
};

/*
 * snapshot.c: what the store asks while the calling thread uses a snapshot
 * (store_snapshot_use).  Each answers false (or does nothing) when it does not.
 */
bool store_snapshot_read_begin(struct store_env *e, MDB_txn **txn);
bool store_snapshot_read_end(struct store_env *e, MDB_txn *txn);
bool store_snapshot_active(void);
bool store_snapshot_table_get(const char *name, struct store_table **out);
int store_snapshot_table_names(char ***names, size_t *count);
bool store_snapshot_schema(const struct store_table *t, const struct ddb_schema **schema);
bool store_snapshot_ix_active(const struct store_table *t, uint32_t id, bool *active);

/* errors.c */
/* True if the filesystem holding env is (nearly) out of space. */
bool store_env_disk_full(MDB_env *env);
/* Bytes free to unprivileged writers on env's filesystem; false if unknown. */
bool store_env_free_bytes(MDB_env *env, uint64_t *avail);
int store_mdb_errno(int rc);
int store_mdb_err(int rc, struct ddb_err *err, const char *what);
int store_sys_err(int code, struct ddb_err *err, const char *what, const char *path);

/* ckpt_worker.c: the thread that checkpoints busy environments. */
struct ckpt_job {
	struct store_env *env;
	bool queued;		/* under the worker's lock */
	struct ckpt_job *next;
};
/* An environment that may queue jobs joins first, and leaves before it closes. */
int ckpt_worker_join(void);
void ckpt_worker_leave(struct ckpt_job *j);
/* Asks for a checkpoint of j->env soon; a job already queued stays once. */
void ckpt_worker_queue(struct ckpt_job *j);

/* checkpoint.c */
/* Before mdb_env_open of dir: rolls back what a machine restart left unsynced. */
int store_ckpt_recover(const char *dir, const struct store_options *opt, struct ddb_err *err);
/* After opening e: a first checkpoint, then commits without a sync (unless unsafe). */
int store_ckpt_start(struct store_env *e, const char *dir, const struct store_options *opt,
		     struct ddb_err *err);
/* After each commit of e: a busy environment gets a checkpoint in the background. */
void store_ckpt_note_commit(struct store_env *e);
/* After a write returns from the queue: checkpoints if the background fell behind. */
void store_ckpt_throttle(struct store_env *e);
/* Every commit of e so far durable against power loss; 0 or a negative errno. */
int store_env_checkpoint(struct store_env *e);
/* A last checkpoint, then back to plain LMDB; before mdb_env_close. */
void store_ckpt_stop(struct store_env *e);

/* reserve.c */
/* Keeps zero-filled room past e's last page; only between write transactions. */
void store_env_reserve(struct store_env *e);

/* commit.c */
void store_env_queue_init(struct store_env *e);
void store_env_queue_destroy(struct store_env *e);
/* Waits for the commit running on e, if any, and holds off the next ones. */
void store_env_writers_pause(struct store_env *e);
void store_env_writers_resume(struct store_env *e);

/* partition.c */
int store_env_open(const char *path, const struct store_options *opt, const char *const *names,
		   unsigned ndbi, struct store_env **out, struct ddb_err *err);
void store_env_close(struct store_env *e);
int store_env_read_begin(struct store_env *e, MDB_txn **txn, struct ddb_err *err);
void store_env_read_end(struct store_env *e, MDB_txn *txn);
typedef int (*store_txn_fn)(struct store_txn *tx, void *ctx, struct ddb_err *err);
int store_env_write(struct store_env *e, struct store_txn *tx, store_txn_fn fn, void *ctx,
		    struct ddb_err *err);
int store_txn_check(struct store_txn *tx, int rc);
int store_env_meta(struct store_env *e, MDB_txn *txn, struct store_pmeta *m);
/*
 * Calls fn in a short read transaction of each environment of t in turn,
 * until one fails (MDB_NOTFOUND counts as success); 0 or a negative errno.
 */
typedef int (*store_env_read_fn)(struct store_env *e, MDB_txn *txn, void *ctx);
int store_table_read_each(struct store_table *t, store_env_read_fn fn, void *ctx);
/* Realtime of the last commit that changed a figure describe-table shows; 0 if none. */
int store_table_figures_changed_ns(struct store_table *t, int64_t *ns);
int store_partitions_open(struct store_table *t, unsigned n, struct ddb_err *err);
int store_table_env(struct store_table *t, const struct ddb_key *pk, struct store_env **env,
		    const struct ddb_schema **schema, unsigned *part);

/* ixtxn.c */
/* Did tx change a count or size that describe-table shows? */
bool store_txn_figures_changed(const struct store_txn *tx);
/* Stored threshold of each key part of an index entry with ncomp parts. */
size_t store_ix_part_t(unsigned ncomp);
/* The LMDB key prefix of an index: its id, big-endian. */
int store_ix_prefix(struct ddb_buf *out, uint32_t id);
/* Splits an entry record: false if malformed.  full[i]/len[i] per component. */
bool store_ix_rec_parse(const MDB_val *v, unsigned *ncomp, const uint8_t *full[],
			size_t len[]);

/* catalog.c */
struct store_cat_rec {
	uint64_t id;
	int64_t created_ms;
	int64_t changed_ms; /* last write of the record; store_catalog_put sets it */
	char *schema; /* normalised create-table JSON, or NULL */
	struct store_ix_set ix;
};
int store_catalog_open(struct store *st, struct ddb_err *err);
typedef int (*store_cat_fn)(const char *name, const struct store_cat_rec *rec, void *ctx,
			    struct ddb_err *err);
int store_catalog_each(struct store *st, store_cat_fn fn, void *ctx, struct ddb_err *err);
int store_catalog_get(struct store_txn *tx, const char *name, struct store_cat_rec *rec);
int store_catalog_put(struct store_txn *tx, const char *name, const struct store_cat_rec *rec);
int store_catalog_del(struct store_txn *tx, const char *name);
int store_catalog_next_id(struct store_txn *tx, uint64_t *id);
void store_cat_rec_release(struct store_cat_rec *rec);
int store_table_attach_schema(struct store_table *t, struct ddb_schema *s, struct ddb_err *err);

/* store.c */
bool store_table_is_empty(struct store_table *t, int *rc);
char *store_table_name_dup(struct store_table *t);

/* txn.c */
int store_items_key(struct ddb_buf *key, const struct ddb_key *pk, const struct ddb_key *sk,
		    bool has_range);
bool store_rec_parse(const MDB_val *v, struct store_rec_hdr *h, const uint8_t **pk,
		     const uint8_t **sk, const char **text);
/* Every record of one database, in key order, in one read transaction. */
typedef int (*store_walk_fn)(const MDB_val *k, const MDB_val *v, void *ctx, struct ddb_err *err);
int store_env_walk(struct store_env *e, unsigned dbi, store_walk_fn fn, void *ctx, const char *what,
		   struct ddb_err *err);

#endif
