#!/bin/bash
# t_sync_strace.sh - the syncs LMDB needs happen when promised (SPEC section
# 10, README "Durability", issue 6), proved from the daemon's system calls.
#
# The daemon runs under strace; synctrace.py matches each client operation's
# time window with the syscalls on the environments' data.mdb files:
# - default mode: commits write their pages without a sync (MDB_NOSYNC, meta
#   page without O_DSYNC); the background flusher checkpoints every
#   environment within about a second: data.mdb synced, then ddbfs.ckpt
#   written and synced (store/checkpoint.c, whose unit test simulates the
#   power loss itself);
# - fsync() of an item (even through a read-only descriptor) returns only
#   once such a checkpoint, begun after the item's commit, is complete, and
#   every write to that data.mdb is durable;
# - -o sync: close() returns only once every write of the commit is durable
#   (data pages fdatasynced, meta page written through O_DSYNC).
# Descriptors are mapped to files by strace -y and cross-checked with
# /proc/PID/fd and /proc/PID/fdinfo.  sync(1) never reaches a FUSE daemon
# (the kernel sends SYNCFS to virtiofs only); the background sync covers it.
source "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || fail "strace is missing (contrib/install-deps.sh installs it)"
ST=$DDB_IT_DIR/synctrace.py
CALLS=trace=openat,fsync,fdatasync,msync,sync_file_range,pwrite64,pwritev,pwritev2,writev,write,lseek

# strace_mount TRACE [daemon options]: mounts with the daemon under strace.
strace_mount() {
	local trace=$1
	shift
	# LeakSanitizer cannot run under ptrace: sanitizer builds skip it here.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		DDB_WRAP="strace -f -ttt -T -y -o $trace -e $CALLS" ddb_mount "$@"
	DAEMON=$(pgrep -P "$DDB_PID" | head -n 1)
	[[ -n $DAEMON ]] || fail "no daemon under strace"
}

# The threads that synced a data.mdb since time $2 (seconds, as strace -ttt).
idle_syncers() {
	python3 "$ST" idle "$1" "$2"
}

# ---- default mode ----
strace_mount "$T/default.trace"
ddb_mktable Durable K S
# After one commit, with nothing else to do, only the background flusher
# syncs (its checkpoint): learn its thread.
python3 "$ST" client "$MNT" Durable "$T/warmup.ops" put 1
since=$(python3 "$ST" last-end "$T/warmup.ops")
ddb_wait_for 100 eval '[[ -n $(idle_syncers "$T/default.trace" "$since") ]]' ||
	fail "default mode: no background checkpoint of a commit while idle"
FLUSHER=$(idle_syncers "$T/default.trace" "$since")
echo "background flusher thread(s): $FLUSHER"
python3 "$ST" client "$MNT" Durable "$T/default.ops" fsync 6
python3 "$ST" client "$MNT" Durable "$T/default.ops" put 12
sync
# Wait for the background checkpoint after the last commit (once a second).
ddb_wait_for 100 python3 "$ST" covered "$T/default.trace" "$T/default.ops" "$FLUSHER" ||
	fail "default mode: no background checkpoint of every environment after the last commit"
python3 "$ST" fdinfo "$DAEMON" "$T/default.trace" || fail "default mode: descriptors misread"
ddb_umount
python3 "$ST" check "$T/default.trace" "$T/default.ops" "$DATA" default "$FLUSHER" ||
	fail "default mode: a sync is missing or out of order"

# ---- -o sync ----
strace_mount "$T/sync.trace" -o sync
python3 "$ST" client "$MNT" Durable "$T/sync.ops" put 12
python3 "$ST" client "$MNT" Durable "$T/sync.ops" fsync 4
python3 "$ST" fdinfo "$DAEMON" "$T/sync.trace" || fail "-o sync: descriptors misread"
ddb_umount
python3 "$ST" check "$T/sync.trace" "$T/sync.ops" "$DATA" sync ||
	fail "-o sync: a commit was acknowledged before it was durable"
