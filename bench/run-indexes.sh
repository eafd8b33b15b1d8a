#!/bin/bash
# Measures the write cost of secondary indexes (0, 1 and 3) through a real mount.
# Usage: bench/run-indexes.sh [ITEMS] [PARTITIONS]   (builds Release in build-bench/)
source "$(dirname "$0")/lib.sh"
bench_mount indexes
DDBFS_PID=$BENCH_PID python3 "$bench_root/bench/indexes.py" "$BENCH_MNT" "$BENCH_TMPFS" \
	"${1:-5000}" "${2:-50}"
bench_umount
