#!/bin/bash
# Measures core put/get/list throughput through a real mount against tmpfs.
# Usage: bench/run-core.sh [ITEMS] [PARTITIONS]   (builds Release in build-bench/)
source "$(dirname "$0")/lib.sh"
bench_mount core
python3 "$bench_root/bench/core.py" "$BENCH_MNT" "$BENCH_TMPFS" "${1:-10000}" "${2:-100}"
bench_umount
