#!/bin/bash
# run-backup.sh [ITEMS [PARTITIONS]] - nightly-backup costs (issue 5): the
# same table of ITEMS items of about 300 bytes (default 100,000 over 100
# partitions) on ddbfs and as plain files on tmpfs; then, for each, `rsync -a`
# out to a tmpfs backup, a second rsync with nothing changed, and a restore
# `rsync -a backup/ EMPTY/` (for ddbfs into a fresh mount on a fresh data
# directory).  Prints seconds and ddbfs's ratio (tmpfs time / ddbfs time).
source "$(dirname "$0")/lib.sh"
ITEMS=${1:-100000}
PARTS=${2:-100}

# timed WHAT CMD...: runs CMD, prints and stores the seconds in T_<WHAT>.
timed() {
	local what=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	printf -v "T_$what" '%.2f' "$(python3 -c "print($t1 - $t0)")"
}

make_items() {
	python3 - "$1" "$ITEMS" "$PARTS" <<-'EOF'
	import os, sys
	top, n, parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for p in range(parts):
	    os.makedirs(os.path.join(top, "p%03d" % p), exist_ok=True)
	for i in range(n):
	    with open(os.path.join(top, "p%03d" % (i % parts), "%d" % i), "w") as f:
	        f.write('{"Data": {"S": "%s"}, "N": {"N": "%d"}}' % ("x" * 250, i))
	EOF
}

schema='{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "K", "KeyType": "RANGE"}], "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"}, {"AttributeName": "K", "AttributeType": "N"}]}'

bench_mount backup
mkdir "$BENCH_MNT/Backup" "$BENCH_TMPFS/src" "$BENCH_TMPFS/src/Backup"
echo "$schema" >"$BENCH_MNT/Backup/.schema"
echo "$schema" >"$BENCH_TMPFS/src/Backup/.schema"
make_items "$BENCH_MNT/Backup"
# The tmpfs tree holds the same bytes as the mount (canonical text, .schema).
rsync -a "$BENCH_MNT/" "$BENCH_TMPFS/src/"
bk=$BENCH_TMPFS/bk
for side in tmpfs ddbfs; do
	src=$BENCH_TMPFS/src
	[[ $side == ddbfs ]] && src=$BENCH_MNT
	rm -rf "$bk.$side"
	sync
	timed "${side}_out" rsync -a "$src/" "$bk.$side/"
	timed "${side}_again" rsync -a "$src/" "$bk.$side/"
done
# Restore: tmpfs into an empty directory, ddbfs into a fresh mount.
timed tmpfs_restore rsync -a "$bk.tmpfs/" "$BENCH_TMPFS/restored/"
bench_umount
rm -rf "$BENCH_DATA"/*
"$bench_root/build-bench/fs/ddbfs" -f "$BENCH_DATA" "$BENCH_MNT" 2>>"$bench_work/daemon.log" &
BENCH_PID=$!
for _ in $(seq 50); do mountpoint -q "$BENCH_MNT" && break; sleep 0.1; done
timed ddbfs_restore rsync -a "$bk.ddbfs/" "$BENCH_MNT/"
diff -r "$bk.ddbfs" "$BENCH_MNT" >/dev/null || { echo "restore differs" >&2; exit 1; }
rss=$(sed -n 's/VmHWM:\s*//p' "/proc/$BENCH_PID/status")
bench_umount

echo "items=$ITEMS partitions=$PARTS (about 300-byte items; seconds, ratio = tmpfs / ddbfs)"
for w in out again restore; do
	t=T_tmpfs_$w d=T_ddbfs_$w
	printf '%-28s ddbfs %8ss  tmpfs %8ss  ratio %.3f\n' "rsync $w" "${!d}" "${!t}" \
		"$(python3 -c "print(${!t} / ${!d})")"
done
echo "daemon peak RSS during the restore: $rss"
