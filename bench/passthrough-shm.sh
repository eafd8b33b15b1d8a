#!/bin/bash
# passthrough-shm.sh [OPTIONS] DIR MOUNTPOINT - the FUSE limit for
# run-growth.sh when ddbfs's data is on disk: runs the bench passthrough
# (make -C bench O=build-bench-tools) over a fresh directory on /dev/shm,
# as run-compare.sh does, whatever DIR it is given; removes it once the
# passthrough exits.  The passthrough takes this script's pid (exec), so
# run-growth.sh's CPU figures are its own.
#   e.g. GROWTH_PARTITIONS=1 bash bench/run-growth.sh 20000 5 -- \
#            build-bench/fs/ddbfs -- bench/passthrough-shm.sh
set -u
args=("$@")
n=${#args[@]}
src=$(mktemp -d /dev/shm/ddbfs-growth-pt.XXXXXX)
(
	while kill -0 $$ 2>/dev/null; do sleep 1; done
	rm -rf "$src"
) </dev/null >/dev/null 2>&1 &
exec "$(dirname "$0")/../build-bench-tools/passthrough" "${args[@]:0:n-2}" "$src" "${args[n-1]}"
