# lib.sh - what the bench/run-*.sh scripts share: a Release daemon mounted
# on /dev/shm with its data on disk, a tmpfs directory for the native
# comparison, and cleanup whatever happens.  BENCH_DATA_PARENT (default
# /var/tmp) moves the data: /dev/shm leaves out the disk's syncs, as the
# passthrough over tmpfs has none.  Source it, then:
#   bench_mount TAG     builds, mounts; sets BENCH_MNT BENCH_TMPFS BENCH_DATA
#                       BENCH_PID (the daemon, for /proc/PID figures)
#   bench_umount        unmounts and waits for the daemon to exit
set -euo pipefail
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_work=
BENCH_DATA=
BENCH_PID=

bench_cleanup() {
	[[ -n $bench_work ]] && fusermount3 -uz "$bench_work/mnt" 2>/dev/null || true
	# Only the daemon this script started.
	if [[ -n $BENCH_PID ]]; then
		kill "$BENCH_PID" 2>/dev/null || true
		wait "$BENCH_PID" 2>/dev/null || true
	fi
	rm -rf "$bench_work" "$BENCH_DATA"
}
trap bench_cleanup EXIT

bench_mount() {
	local tag=$1
	cmake -S "$bench_root" -B "$bench_root/build-bench" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_TESTING=OFF >/dev/null
	cmake --build "$bench_root/build-bench" -j2 --target ddbfs >/dev/null
	bench_work=$(mktemp -d "/dev/shm/ddbfs-bench-$tag.XXXXXX")
	BENCH_DATA=$(mktemp -d "${BENCH_DATA_PARENT:-/var/tmp}/ddbfs-bench-$tag-data.XXXXXX")
	BENCH_MNT=$bench_work/mnt
	BENCH_TMPFS=$bench_work/tmpfs
	mkdir -p "$BENCH_MNT" "$BENCH_TMPFS"
	# In the foreground of a background job, so its pid is known.
	"$bench_root/build-bench/fs/ddbfs" -f "$BENCH_DATA" "$BENCH_MNT" 2>"$bench_work/daemon.log" &
	BENCH_PID=$!
	for _ in $(seq 50); do mountpoint -q "$BENCH_MNT" && break; sleep 0.1; done
	mountpoint -q "$BENCH_MNT" || { cat "$bench_work/daemon.log" >&2; exit 1; }
	echo "machine: $(nproc) cores, $(uname -r); data dir on $(df --output=fstype "$BENCH_DATA" | tail -1)"
	echo "daemon: $(git -C "$bench_root" describe --always --dirty 2>/dev/null || echo unknown), Release"
}

bench_umount() {
	fusermount3 -u "$BENCH_MNT"
	wait "$BENCH_PID"
	BENCH_PID=
}
