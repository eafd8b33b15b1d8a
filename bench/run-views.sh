#!/bin/bash
# Range views on a huge partition, and listing it whole (issue 3).
# Usage: bench/run-views.sh [ITEMS] [ROUNDS]   (default 1000000 items, 11
# rounds; builds Release in build-bench/).  Writing 1M items through the
# mount takes a few minutes; pass a smaller ITEMS for a quick run.
source "$(dirname "$0")/lib.sh"
bench_mount views
python3 "$bench_root/bench/views.py" "$BENCH_MNT" "$BENCH_TMPFS" "$BENCH_PID" "${1:-1000000}" "${2:-11}"
echo "data dir after the run: $(du -sh "$BENCH_DATA" | cut -f1)"
bench_umount
