#!/bin/bash
# install-deps.sh - installs what building, testing and using ddbfs needs on
# Debian 12 (bookworm).  Idempotent: when everything is already installed it
# touches nothing (so CI without network still works); otherwise it runs
# apt-get update and install.  Runs as root, or through sudo.
#
# Set DDBFS_APT_UPDATE=1 to refresh and install even when all is present.
set -euo pipefail

PACKAGES=(
	# build
	gcc make cmake pkg-config libfuse3-dev liblmdb-dev libjansson-dev
	# unit tests
	libcmocka-dev
	# run and integration tests: fusermount3, mountpoint, real tools
	fuse3 lmdb-utils python3 rsync tar coreutils findutils sed vim-nox attr
	strace psmisc procps util-linux ca-certificates
	# memory checks (t_valgrind.sh; the whole suite by hand, tests/README.md)
	valgrind
	# fuzzing (contrib/fuzz.sh): clang, its libFuzzer and sanitizer runtimes
	# (libclang-rt-14-dev is only a Recommends of clang), llvm-symbolizer
	clang libclang-rt-14-dev llvm-14
)

if ((EUID == 0)); then
	SUDO=()
elif command -v sudo >/dev/null; then
	SUDO=(sudo)
else
	echo "install-deps.sh: run as root or install sudo" >&2
	exit 1
fi

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			echo "$p"
		fi
	done
}

# The integration tests need the FUSE device; say so early if it is absent
# (containers need --device /dev/fuse --cap-add SYS_ADMIN).
if [[ ! -c /dev/fuse ]]; then
	echo "install-deps.sh: warning: /dev/fuse is missing; the integration tests will be skipped" >&2
fi

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)) && [[ ${DDBFS_APT_UPDATE:-0} != 1 ]]; then
	echo "install-deps.sh: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "install-deps.sh: installing ${missing[*]:-(refresh)}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"${PACKAGES[@]}"

