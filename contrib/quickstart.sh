#!/bin/bash
# quickstart.sh - from a fresh Debian 12 to a mounted ddbfs in one command:
# installs dependencies, builds a Release binary in build/, and mounts it
# (as a daemon) on DDBFS_MNT with data in DDBFS_DATA.  Installs nothing
# system-wide unless DDBFS_INSTALL=1 (then `cmake --install build`).
#
#   DDBFS_DATA  default /var/lib/ddbfs as root, else $XDG_DATA_HOME/ddbfs
#               (~/.local/share/ddbfs)
#   DDBFS_MNT   default /mnt/ddbfs as root, else ~/ddbfs
#   DDBFS_BUILD_DIR  default build
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

if ((EUID == 0)); then
	DATA=${DDBFS_DATA:-/var/lib/ddbfs}
	MNT=${DDBFS_MNT:-/mnt/ddbfs}
else
	DATA=${DDBFS_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/ddbfs}
	# /mnt is root's; a user mounts under their home.
	MNT=${DDBFS_MNT:-$HOME/ddbfs}
fi

bash contrib/install-deps.sh

BUILD=${DDBFS_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j "$(nproc)"
BIN=$ROOT/$BUILD/fs/ddbfs
if [[ ${DDBFS_INSTALL:-0} == 1 ]]; then
	if ((EUID == 0)); then cmake --install "$BUILD"; else sudo cmake --install "$BUILD"; fi
	BIN=$(command -v ddbfs || echo "$BIN")
fi

# mounted_fstype DIR: the file-system type mounted exactly at DIR, if any.
mounted_fstype() {
	local target
	target=$(realpath -m "$1")
	awk -v t="$target" '$2 == t { fs = $3 } END { print fs }' /proc/self/mounts
}

mkdir -p "$DATA" "$MNT"
fstype=$(mounted_fstype "$MNT")
case $fstype in
"") ;;
fuse.ddbfs | fuse)
	# Ours from an earlier run (or another FUSE mount there): unmount it so
	# the new binary serves the mount.
	echo "quickstart: unmounting the $fstype mount at $MNT"
	fusermount3 -u "$MNT"
	# The old daemon holds DATADIR's lock until it has exited.
	for _ in $(seq 50); do
		[[ -z $(mounted_fstype "$MNT") ]] && break
		sleep 0.1
	done
	sleep 0.5
	;;
*)
	echo "quickstart: $MNT already has a $fstype file system mounted; set DDBFS_MNT" >&2
	exit 1
	;;
esac

mount_it() {
	"$BIN" "$DATA" "$MNT"
}
# A daemon that just unmounted may still hold the DATADIR lock for a moment.
for attempt in 1 2 3 4 5; do
	if mount_it; then break; fi
	((attempt < 5)) || exit 1
	sleep 1
done

mountpoint -q "$MNT" || {
	echo "quickstart: $MNT is not mounted" >&2
	exit 1
}
cat <<EOM

ddbfs is mounted at $MNT (data in $DATA).
Try:
  mkdir $MNT/Books
  echo '{"KeySchema": [{"AttributeName": "Title", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "Title", "AttributeType": "S"}]}' > $MNT/Books/.schema
  echo '{"Author": {"S": "Herman Melville"}}' > "$MNT/Books/Moby Dick"
  cat "$MNT/Books/Moby Dick"
Unmount with:
  fusermount3 -u $MNT
EOM
