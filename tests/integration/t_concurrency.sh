#!/bin/bash
# t_concurrency.sh - many writers and readers on the same keys (issue 6).
#
# DDB_CONC_PROCS processes (default 8) x DDB_CONC_OPS operations (default
# 10,000: puts that create or overwrite, deletes, reads) on 40 shared keys
# of a hash+range table (4 partition keys, 4 environments) and a hash-only
# table.  Readers never see a torn item (each read is the exact canonical
# text of one version written to that key, and not one already replaced);
# at the end every key holds a value one of its last writes can leave,
# .schema's ItemCount is exact, and all of it is the same after a remount.
# concurrency.py holds the model (see its header).  The operations stop early
# once DDB_CONC_BUDGET seconds have passed (default 20), so a sanitizer
# build, slower, checks fewer of them; the count checked is printed (a full
# run is recorded in tests/README.md).
source "$(dirname "$0")/lib.sh"

PROCS=${DDB_CONC_PROCS:-8}
OPS=${DDB_CONC_OPS:-10000}
BUDGET=${DDB_CONC_BUDGET:-20}
SEED=${DDB_SEED:-$((RANDOM * 32768 + RANDOM))}
CONC=$DDB_IT_DIR/concurrency.py
echo "seed $SEED, $PROCS processes x $OPS operations"

python3 "$CONC" selftest >"$T/selftest.out" ||
	{ cat "$T/selftest.out" >&2; fail "the model misjudges a history"; }

mkdir "$T/hist"
ddb_mount
python3 "$CONC" setup "$MNT"
python3 "$CONC" run "$MNT" "$T/hist" "$PROCS" "$OPS" "$SEED" "$BUDGET" ||
	fail "a process crashed"
check() {
	python3 "$CONC" check "$MNT" "$T/hist" >"$T/check.out" ||
		{ cat "$T/check.out" >&2; fail "$1: the history breaks the serial model"; }
	echo "$1: $(tail -n 1 "$T/check.out")"
}
check "mounted"
ddb_remount
check "after a remount"
ddb_umount
