#!/bin/bash
# Measures the write cost of secondary indexes (0, 1 and 3) through a real mount.
# Usage: bench/run-indexes.sh [ITEMS] [PARTITIONS]   (builds Release in build-bench/)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$here" -B "$here/build-bench" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$here/build-bench" -j2 --target ddbfs >/dev/null
work=$(mktemp -d /dev/shm/ddbfs-bench.XXXXXX)
data=$(mktemp -d /var/tmp/ddbfs-bench-data.XXXXXX)
mkdir -p "$work/mnt" "$work/tmpfs"
cleanup() {
	fusermount3 -uz "$work/mnt" 2>/dev/null || true
	rm -rf "$work" "$data"
}
trap cleanup EXIT
"$here/build-bench/fs/ddbfs" "$data" "$work/mnt"
for _ in $(seq 50); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(uname -r); data dir on $(df --output=fstype "$data" | tail -1)"
DDBFS_PID=$(pgrep -n -f "build-bench/fs/ddbfs $data") \
	python3 "$here/bench/indexes.py" "$work/mnt" "$work/tmpfs" "${1:-5000}" "${2:-50}"
fusermount3 -u "$work/mnt"
