#!/bin/bash
# run-growth.sh - creates per second, the daemon's CPU time per create and
# the data directory's size, for one or more ddbfs binaries (e.g. this
# tree's and an older commit's), round by round in turn, on the same disk in
# one run: what checkpointed commits (store/checkpoint.c) gain in speed and
# cost in file size.
# Usage: bench/run-growth.sh [ITEMS [ROUNDS]] -- BINARY [MOUNT_OPTION...] [-- BINARY ...]
#   e.g. bench/run-growth.sh 10000 3 -- build-bench/fs/ddbfs -- build-bench/fs/ddbfs -o sync
# A passthrough (make -C bench O=DIR; DIR/passthrough) works as a BINARY too:
# its "data dir" is the directory it mirrors; bench/passthrough-shm.sh
# mirrors a directory on /dev/shm instead, the FUSE limit of run-compare.sh.
# Each round: a fresh data dir under BENCH_DATA_PARENT (default /var/tmp), a
# table of GROWTH_PARTITIONS partition keys (default 200, spread over its 4
# environments; 1 puts every item in one environment), ITEMS creates of
# 297-byte items (open/write/close) from one process, then the data dir's
# size while mounted and after the unmount (the last checkpoint).
set -euo pipefail
ITEMS=${1:-10000}
ROUNDS=${2:-3}
shift 2 || true
[[ ${1:-} == -- ]] && shift
configs=()
cur=
for a in "$@"; do
	if [[ $a == -- ]]; then
		configs+=("$cur")
		cur=
	else
		cur+="${cur:+ }$a"
	fi
done
[[ -n $cur ]] && configs+=("$cur")
((${#configs[@]})) || { echo "usage: $0 [ITEMS [ROUNDS]] -- BINARY [OPTIONS] [-- ...]" >&2; exit 2; }

mnt=
data=
pid=
out=$(mktemp)
cleanup() {
	rm -f "$out"
	[[ -n $mnt ]] && fusermount3 -uz "$mnt" 2>/dev/null || true
	[[ -n $pid ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
	rm -rf "$mnt" "$data"
}
trap cleanup EXIT

one_round() {
	local bin=$1
	shift
	data=$(mktemp -d "${BENCH_DATA_PARENT:-/var/tmp}/ddbfs-growth.XXXXXX")
	mnt=$(mktemp -d /dev/shm/ddbfs-growth-mnt.XXXXXX)
	"$bin" -f "$@" "$data" "$mnt" 2>/dev/null &
	pid=$!
	for _ in $(seq 50); do mountpoint -q "$mnt" && break; sleep 0.1; done
	mkdir "$mnt/Growth"
	printf '{"TableName": "Growth", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}], "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}\n' >"$mnt/Growth/.schema"
	python3 - "$mnt/Growth" "$ITEMS" "$pid" "${GROWTH_PARTITIONS:-200}" <<'PY'
import json, os, sys, time
table, n, pid, parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def cpu():
    """The daemon's user+system time, all threads, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
for p in range(parts):
    os.mkdir(os.path.join(table, "p%03d" % p))
body = json.dumps({"v": {"S": "x" * 250}}).encode()
c0, t0 = cpu(), time.time()
for i in range(n):
    fd = os.open(os.path.join(table, "p%03d" % (i % parts), "s%06d" % i),
                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, body)
    os.close(fd)
t1 = time.time()
print("%.0f %.0f" % (n / (t1 - t0), (cpu() - c0) / n * 1e6), end=" ")
PY
	echo -n "$(du -sm "$data" | cut -f1) "
	fusermount3 -u "$mnt"
	wait "$pid" || true
	pid=
	echo "$(du -sm "$data" | cut -f1)"
	rm -rf "$data" "$mnt"
	data= mnt=
}

echo "items=$ITEMS partitions=${GROWTH_PARTITIONS:-200} rounds=$ROUNDS; data on $(df --output=fstype "${BENCH_DATA_PARENT:-/var/tmp}" | tail -1)"
echo "| daemon | creates/s (rounds) | daemon CPU us/create | data dir MB mounted | after unmount |"
echo "|---|---|---|---|---|"
# Round-robin over the daemons, so a disk that slows down mid-run slows all.
rates=() cpus=() sizes=() after=()
for _ in $(seq "$ROUNDS"); do
	for i in "${!configs[@]}"; do
		sync
		one_round ${configs[$i]} >"$out"
		read -r r c s a <"$out"
		rates[i]+="${rates[i]:+, }$r" cpus[i]+="${cpus[i]:+, }$c"
		sizes[i]+="${sizes[i]:+, }$s" after[i]+="${after[i]:+, }$a"
	done
done
for i in "${!configs[@]}"; do
	echo "| \`${configs[$i]}\` | ${rates[i]} | ${cpus[i]} | ${sizes[i]} | ${after[i]} |"
done
