#!/bin/bash
# t_crash_kill.sh - whatever is killed when, nothing acknowledged is lost and
# no item is torn (SPEC section 10, issue 6).
#
# DDB_WRITERS writer processes (default 4) put, overwrite, delete and move
# items (also across partitions, also by saving a temporary file and renaming
# it onto the item) in a hash+range table and a hash-only table, logging what
# they saw acknowledged.  The daemon is killed with SIGKILL after a random
# delay, remounted on the same data directory, and crash_harness.py verifies
# every key against the writers' logs: each writer's keys hold the
# acknowledged state or that plus its one in-flight operation, every item is
# the exact canonical text of a version written, .schema's ItemCount is the
# number of items listed.  DDB_KILLS rounds (default 10; the long run is
# DDB_KILLS=1000, see tests/README.md).  DDB_SEED makes the writers'
# choices reproducible (the kill moments are not).
KILLS=${DDB_KILLS:-10}
# The watchdog scales with the number of kills for the long runs.
((KILLS <= 10)) || : "${DDB_DEADLINE:=$((120 + KILLS * 30))}"
source "$(dirname "$0")/lib.sh"

WRITERS=${DDB_WRITERS:-4}
SEED=${DDB_SEED:-$((RANDOM * 32768 + RANDOM))}
HARNESS=$DDB_IT_DIR/crash_harness.py
LOGS=$T/logs
STATE=$T/state.json
mkdir -p "$LOGS"
echo "seed $SEED, $WRITERS writers, $KILLS kills"
RANDOM=$SEED

verify() {
	local what=$1
	python3 "$HARNESS" verify "$MNT" "$STATE" "$LOGS" "$T/kill_ns" >"$T/verify.out" 2>&1 ||
		{ cat "$T/verify.out" >&2; fail "$what: the store differs from what the writers saw acknowledged"; }
}

ddb_mount
python3 "$HARNESS" setup "$MNT" "$STATE"
for kill in $(seq 1 "$KILLS"); do
	python3 "$HARNESS" writers "$MNT" "$STATE" "$LOGS" "$WRITERS" $((SEED + kill)) \
		2>"$T/writers.err" &
	writers=$!
	# Once one operation is acknowledged (python starts slowly on a loaded
	# machine, or under a sanitizer), 0 to 1.5 s: some kills land while the
	# other writers start, most mid-stream.
	for _ in $(seq 100); do
		grep -qs '^A' "$LOGS"/w*.log && break
		sleep 0.1
	done
	ms=$((RANDOM % 1500))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	date +%s%N >"$T/kill_ns"
	ddb_kill9
	wait "$writers" || { cat "$T/writers.err" >&2; fail "kill $kill: a writer crashed"; }
	ddb_mount
	verify "kill $kill"
	echo "kill $kill: $(tail -n 1 "$T/verify.out")"
done
# The last state also survives a clean unmount and remount.
rm -f "$T/kill_ns"
ddb_remount
verify "after a clean remount"
python3 "$HARNESS" selftest "$MNT" "$STATE" "$LOGS" ||
	fail "the verifier misses damage it must catch"
ddb_umount
echo "survived $KILLS kills: $(sed -n 's/.*totals: //p' "$T/verify.out")"
