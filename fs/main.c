/*
 * main.c - ddbfs [FUSE options] DATADIR MOUNTPOINT
 *
 * Order matters: resolve DATADIR and take its lock while stderr still
 * reaches the user (a refused second daemon must say why and exit non-zero),
 * check that the store opens, mount, daemonize (which changes directory and
 * closes stderr), and only then open LMDB for good, in the process that
 * serves requests.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errlog.h"
#include "evictor.h"
#include "flusher.h"
#include "fs_int.h"
#include "inode.h"
#include "memlimit.h"
#include "ops.h"
#include "snapshots.h"

/*
 * Files the kernel may keep looked up, about 150 bytes of the daemon's memory
 * each.  By default as many as fit in 1% of the memory the daemon may use
 * (the machine's, or its memory cgroup's limit when lower), and never
 * fewer than INODE_CACHE_MIN: past the limit every new name costs an eviction
 * and, when it comes back, a lookup, which halves the speed of listing a big
 * partition again (bench/RESULTS.md), while the kernel spends several times
 * our share on the same names anyway.
 */
#define INODE_CACHE_MIN 262144
#define INODE_NAME_BYTES 150

static size_t default_inode_cache(void)
{
	uint64_t n = fs_memory_limit() / 100 / INODE_NAME_BYTES;

	return n > INODE_CACHE_MIN ? (size_t)n : INODE_CACHE_MIN;
}

struct cli {
	char *datadir;
	size_t inode_cache;
	int sync;
	int read_only;
	int help;
	int version;
};

enum { KEY_RO, KEY_HELP, KEY_VERSION };

static const struct fuse_opt cli_opts[] = {
	{ "sync", offsetof(struct cli, sync), 1 },
	{ "inode_cache=%zu", offsetof(struct cli, inode_cache), 0 },
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

static int cli_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct cli *cli = data;

	switch (key) {
	case KEY_RO:
		cli->read_only = 1;
		return 1;	/* the kernel needs it too */
	case KEY_HELP:
		cli->help = 1;
		return 0;
	case KEY_VERSION:
		cli->version = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (cli->datadir)
			return 1;	/* the mount point, for fuse_parse_cmdline */
		cli->datadir = strdup(arg);
		return cli->datadir ? 0 : -1;
	default:
		return 1;
	}
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [options] DATADIR MOUNTPOINT\n"
		"\n"
		"Mounts the DynamoDB-style tables kept in DATADIR (created when missing)\n"
		"on MOUNTPOINT: tables are directories, partition keys subdirectories,\n"
		"sort keys files holding the item as DynamoDB JSON.\n"
		"\n"
		"ddbfs options:\n"
		"    -o sync                every commit durable before it is acknowledged\n"
		"    -o ro                  read-only mount\n"
		"    -o inode_cache=N       files the kernel keeps looked up before the\n"
		"                           least recently used are dropped (default %zu:\n"
		"                           1%% of the memory this daemon may use, the\n"
		"                           machine's or its cgroup's, at least %d)\n"
		"    -h, --help             this help\n"
		"    -V, --version          print the version\n"
		"\n",
		prog, default_inode_cache(), INODE_CACHE_MIN);
}

/* mkdir -p: DATADIR is created when missing, with its parents. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int check_store_opens(const char *datadir, const struct store_options *so)
{
	struct ddb_err err = DDB_ERR_INIT;
	struct store *st = NULL;
	int rc = store_open(datadir, so, &st, &err);

	if (rc)
		fprintf(stderr, "ddbfs: cannot open the store in %s: %s\n", datadir,
			err.code ? err.text : strerror(-rc));
	store_close(st);
	return rc;
}

/* Finishes whatever a killed daemon left half done (moves across partitions). */
static void recover_tables(struct store *st)
{
	struct ddb_err err = DDB_ERR_INIT;
	char **names = NULL;
	size_t count = 0, i;

	if (store_table_names(st, &names, &count))
		return;
	for (i = 0; i < count; i++) {
		struct store_table *t;

		if (store_table_get(st, names[i], &t))
			continue;
		if (store_table_schema(t) && idx_table_recover(t, &err))
			errlog_warn("%s: recovery failed: %s", names[i], err.text);
		store_table_put(t);
	}
	store_names_free(names, count);
}

/* Each LMDB environment holds a few descriptors and a table has several. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int serve(struct fuse_session *se, const struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (opts->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)opts->clone_fd);
	/* Unset options read as UINT_MAX; leave libfuse's defaults then. */
	if (opts->max_threads != UINT_MAX)
		fuse_loop_cfg_set_max_threads(cfg, opts->max_threads);
	if (opts->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, opts->max_idle_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

/* What the store and the index builder have to say, in the daemon's log. */
static void log_store_sentence(const char *sentence)
{
	errlog_warn("%s", sentence);
}

static int run(struct fuse_args *args, struct cli *cli, struct fuse_cmdline_opts *opts,
	       const char *datadir)
{
	struct store_options so = { .sync = cli->sync, .read_only = cli->read_only,
				    .log = log_store_sentence };
	struct ddb_err err = DDB_ERR_INIT;
	struct ddbfs fs = { .uid = getuid(), .gid = getgid(), .read_only = cli->read_only };
	struct periodic *flusher = NULL, *evictor = NULL;
	struct fuse_session *se;
	int rc = 1;

	raise_fd_limit();
	/* Until the daemon detaches, what the store says on opening (a
	 * rollback after a restart, a conversion) goes where the user looks. */
	errlog_open(true, opts->debug);
	if (check_store_opens(datadir, &so))
		return 1;
	if (scratch_new(&fs.scratch) || fs_open_files_new(&fs.open_files) ||
	    fs_snapshots_new(&fs.snapshots) ||
	    fs_inodes_new(cli->inode_cache ? cli->inode_cache : default_inode_cache(), &fs.inodes))
		goto out_state;
	fs.mount_ns = fs_now_ns();
	fs_set(&fs);
	se = fuse_session_new(args, ddbfs_operations(datadir), sizeof(struct fuse_lowlevel_ops),
			      &fs);
	if (!se)
		goto out_state;
	if (fuse_session_mount(se, opts->mountpoint))
		goto out_destroy;
	errlog_open(opts->foreground, opts->debug);
	if (fuse_daemonize(opts->foreground))
		goto out_unmount;
	if (store_open(datadir, &so, &fs.store, &err)) {
		errlog_warn("cannot open the store in %s: %s", datadir, err.text);
		goto out_unmount;
	}
	recover_tables(fs.store);
	if (fuse_set_signal_handlers(se))
		goto out_store;
	if (!cli->sync && !cli->read_only && flusher_start(fs.store, 1000, &flusher))
		errlog_warn("cannot start the background sync; fsync still syncs");
	if (!cli->read_only && idx_worker_start(fs.store, log_store_sentence, &fs.indexer))
		errlog_warn("cannot start the index builder; new indexes stay CREATING");
	fs.se = se;
	if (evictor_start(&fs, 100, &evictor))
		errlog_warn("cannot start the inode evictor; the kernel keeps every name it sees");
	errlog_info("serving %s on %s", datadir, opts->mountpoint);
	rc = serve(se, opts) ? 1 : 0;
	periodic_stop(evictor);
	fs.se = NULL;
	fs_open_files_release_all(&fs);
	fs_snapshots_free(fs.snapshots);	/* before the store: they hold its tables */
	fs.snapshots = NULL;
	idx_worker_stop(fs.indexer);
	periodic_stop(flusher);
	fuse_remove_signal_handlers(se);
out_store:
	store_close(fs.store);
out_unmount:
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
out_state:
	fs_inodes_free(fs.inodes);
	fs_open_files_free(fs.open_files);
	fs_snapshots_free(fs.snapshots);
	scratch_free(fs.scratch);
	errlog_close();
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts = { 0 };
	struct ddb_err err = DDB_ERR_INIT;
	struct cli cli = { 0 };
	char datadir[PATH_MAX];
	int lock_fd = -1, rc = 1;

	if (fuse_opt_parse(&args, &cli, cli_opts, cli_proc))
		goto out;
	if (cli.help || cli.version) {
		if (cli.help) {
			usage(stdout, argv[0]);
			printf("FUSE options:\n");
			fuse_cmdline_help();
			fuse_lowlevel_help();
		} else {
			printf("ddbfs version %s (libfuse %s)\n", DDBFS_VERSION, fuse_pkgversion());
		}
		rc = 0;
		goto out;
	}
	if (fuse_parse_cmdline(&args, &opts))
		goto out;
	if (!cli.datadir || !opts.mountpoint) {
		usage(stderr, argv[0]);
		goto out;
	}
	if (make_dirs(cli.datadir) || !realpath(cli.datadir, datadir)) {
		fprintf(stderr, "ddbfs: cannot create data directory %s: %s\n", cli.datadir,
			strerror(errno));
		goto out;
	}
	if (store_lock_datadir(datadir, &lock_fd, &err)) {
		fprintf(stderr, "ddbfs: %s\n", err.text);
		goto out;
	}
	rc = run(&args, &cli, &opts, datadir);
	close(lock_fd);
out:
	free(opts.mountpoint);
	free(cli.datadir);
	fuse_opt_free_args(&args);
	return rc;
}
