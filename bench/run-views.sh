#!/bin/bash
# Range views on a huge partition, and listing it whole (issue 3).
# Usage: bench/run-views.sh [ITEMS] [ROUNDS]   (default 1000000 items, 11
# rounds; builds Release in build-bench/).  Writing 1M items through the
# mount takes a few minutes; pass a smaller ITEMS for a quick run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$here" -B "$here/build-bench" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$here/build-bench" -j2 --target ddbfs >/dev/null
# The mount point and the tmpfs comparison on /dev/shm; the data on disk.
work=$(mktemp -d /dev/shm/ddbfs-bench-views.XXXXXX)
data=$(mktemp -d /var/tmp/ddbfs-bench-views-data.XXXXXX)
mkdir -p "$work/mnt" "$work/tmpfs"
pid=
cleanup() {
	fusermount3 -uz "$work/mnt" 2>/dev/null || true
	# Only the daemon this script started.
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work" "$data"
}
trap cleanup EXIT
# In the foreground of a background job, so its pid is known: the benchmark
# reads the daemon's memory from /proc/PID/status.
"$here/build-bench/fs/ddbfs" -f "$data" "$work/mnt" 2>"$work/daemon.log" &
pid=$!
for _ in $(seq 50); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
mountpoint -q "$work/mnt" || { cat "$work/daemon.log" >&2; exit 1; }
echo "machine: $(nproc) cores, $(uname -r); data dir on $(df --output=fstype "$data" | tail -1)"
echo "daemon: $(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown), Release"
python3 "$here/bench/views.py" "$work/mnt" "$work/tmpfs" "$pid" "${1:-1000000}" "${2:-11}"
echo "data dir after the run: $(du -sh "$data" | cut -f1)"
fusermount3 -u "$work/mnt"
wait "$pid"
pid=
