#!/bin/bash
# ddbfs against the limits and a peer, in one run (issue 7).
# Usage: bench/run-compare.sh [ITEMS [PARTITIONS]]   (default 100000 1000)
#
# The same work on: a plain tmpfs tree of the same JSON files (native
# limit), a minimal passthrough FUSE filesystem over tmpfs with ddbfs's
# libfuse options (FUSE limit; bench/passthrough/), with PTLL=1 its
# low-level twin (passthrough_ll.c: the API ddbfs speaks; it holds a
# descriptor per inode the kernel knows, so the open-file limit bounds the
# items, 20,000 here), the same passthrough with kernel caching
# (-o cached), and ddbfs (bench/lib.sh's Release mount,
# data on disk); then raw LMDB in-process (store limit; bench/lmdb_baseline.c)
# and dynalite through @aws-sdk/client-dynamodb (peer; bench/peer/).
# Prints ddbfs's ratio against each, medians of ROUNDS (default 3) rounds.
#
# Environment: ROUNDS; BENCH_DATA_PARENT (bench/lib.sh: where ddbfs's data
# lives, /var/tmp by default); PEER_ITEMS (default ITEMS) to give the peer fewer
# items; SKIP_PEER=1 to leave the peer out; PT_OPTS, extra options for the
# mirrored passthrough (e.g. "-o attr0": attr_timeout 0, as ddbfs up to 8cccff9).  The peer needs
# `bash bench/peer/setup.sh` once (Node.js 20 and npm); without it the
# benchmark says so and goes on without the peer.
source "$(dirname "$0")/lib.sh"
ITEMS=${1:-100000}
PARTS=${2:-1000}
ROUNDS=${ROUNDS:-3}
export ROUNDS

tools=$bench_root/build-bench-tools
cmp_pids=()
cmp_mnts=()
cmp_dirs=()

compare_cleanup() {
	local m p d
	for m in "${cmp_mnts[@]}"; do fusermount3 -uz "$m" 2>/dev/null || true; done
	# Only the processes this script started.
	for p in "${cmp_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for d in "${cmp_dirs[@]}"; do rm -rf "$d"; done
}
trap 'compare_cleanup; bench_cleanup' EXIT

make -s -C "$bench_root/bench" O="$tools" >/dev/null

peer=1
peer_why=
if [[ ${SKIP_PEER:-0} == 1 ]]; then
	peer=0 peer_why="SKIP_PEER=1"
elif ! command -v node >/dev/null; then
	peer=0 peer_why="node is not installed"
elif ! (cd "$bench_root/bench/peer" &&
	node -e "require('dynalite'); require('@aws-sdk/client-dynamodb')") 2>/dev/null; then
	peer=0 peer_why="dynalite or @aws-sdk/client-dynamodb is not installed (run: bash bench/peer/setup.sh)"
fi

bench_mount compare
work=$BENCH_TMPFS
mkdir -p "$work/native" "$work/pt-back" "$work/pt-mnt" "$work/ptc-back" "$work/ptc-mnt" \
	"$work/ptll-back" "$work/ptll-mnt" "$work/backup"

# start_pt NAME BINARY [-o cached]: a passthrough over $work/NAME-back on $work/NAME-mnt
start_pt() {
	local name=$1 binary=$2
	shift 2
	"$tools/$binary" -f "$@" "$work/$name-back" "$work/$name-mnt" 2>"$work/$name.log" &
	cmp_pids+=($!)
	cmp_mnts+=("$work/$name-mnt")
	for _ in $(seq 50); do mountpoint -q "$work/$name-mnt" && break; sleep 0.1; done
	mountpoint -q "$work/$name-mnt" || { cat "$work/$name.log" >&2; exit 1; }
	sed -n 1p "$work/$name.log"
}
# shellcheck disable=SC2086 # PT_OPTS is a list of options
start_pt pt passthrough ${PT_OPTS:-}
pt_pid=${cmp_pids[-1]}
ptll_args=()
if [[ ${PTLL:-0} == 1 ]]; then
	start_pt ptll passthrough_ll
	ptll_args=(--ptll "$work/ptll-mnt" --ptll-pid "${cmp_pids[-1]}")
fi
start_pt ptc passthrough -o cached
ptc_pid=${cmp_pids[-1]}

lmdb_dir=$(mktemp -d "/var/tmp/ddbfs-bench-lmdb.XXXXXX")
cmp_dirs+=("$lmdb_dir")

peer_args=()
if ((peer)); then
	peer_data=$(mktemp -d "/var/tmp/ddbfs-bench-dynalite.XXXXXX")
	cmp_dirs+=("$peer_data")
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	node "$bench_root/bench/peer/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$port" \
		--path "$peer_data/db" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
		>"$work/dynalite.log" 2>&1 &
	dyn_pid=$!
	cmp_pids+=("$dyn_pid")
	for _ in $(seq 100); do grep -q listening "$work/dynalite.log" && break; sleep 0.1; done
	if grep -q listening "$work/dynalite.log"; then
		echo "peer: dynalite $(cd "$bench_root/bench/peer" &&
			node -p "require('dynalite/package.json').version") on 127.0.0.1:$port," \
			"LevelDB data on $(df --output=fstype "$peer_data" | tail -1)," \
			"@aws-sdk/client-dynamodb $(cd "$bench_root/bench/peer" &&
			node -p "require('@aws-sdk/client-dynamodb/package.json').version")," \
			"node $(node --version)"
		peer_args=(--peer "http://127.0.0.1:$port" --peer-pid "$dyn_pid"
			--peer-script "$bench_root/bench/peer/peer.js" --peer-items "${PEER_ITEMS:-$ITEMS}")
	else
		cat "$work/dynalite.log" >&2
		peer_why="dynalite did not start (log above)"
	fi
fi
if ((${#peer_args[@]} == 0)); then
	echo "peer: SKIPPED: $peer_why"
fi

# In the background and waited for: a foreground child would hold off
# Ctrl-C or kill's signal (and so the cleanup) until the whole run ends.
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$bench_root/bench/compare.py" --items "$ITEMS" --partitions "$PARTS" \
	--ddbfs "$BENCH_MNT" --ddbfs-pid "$BENCH_PID" \
	--native "$work/native" \
	--pt "$work/pt-mnt" --pt-pid "$pt_pid" \
	"${ptll_args[@]}" \
	--ptc "$work/ptc-mnt" --ptc-pid "$ptc_pid" \
	--backup "$work/backup" \
	--lmdb "$tools/lmdb_baseline" --lmdb-dir "$lmdb_dir" \
	"${peer_args[@]}" &
cmp_pids=("$!" "${cmp_pids[@]}")
wait "${cmp_pids[0]}"
echo "ddbfs data dir after the run: $(du -sh "$BENCH_DATA" | cut -f1)"
bench_umount
