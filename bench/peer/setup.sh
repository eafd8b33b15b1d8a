#!/bin/bash
# setup.sh - installs the peer of bench/run-compare.sh (issue 7): dynalite
# and @aws-sdk/client-dynamodb, exactly as package-lock.json pins them, into
# bench/peer/node_modules (not committed).
#
# Needs Node.js (>= 18; 20 tested) with npm.  dynalite keeps its data in
# LevelDB through classic-level, which ships prebuilt binaries for Linux
# x64 and arm64 (glibc and musl); anywhere else node-gyp compiles it, which
# needs python3, make and g++.  Missing Debian packages are installed with
# apt-get (as root, or through sudo), checked with dpkg-query first like
# contrib/install-deps.sh, so nothing is touched when all is there.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(python3 make g++)
if ! command -v node >/dev/null; then
	# Debian 12's own Node.js is 18, enough for the pinned packages.
	PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	if ((EUID == 0)); then
		SUDO=()
	elif command -v sudo >/dev/null; then
		SUDO=(sudo)
	else
		echo "setup.sh: ${missing[*]} missing; run as root or install sudo" >&2
		exit 1
	fi
	echo "setup.sh: installing ${missing[*]}"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi
command -v npm >/dev/null || { echo "setup.sh: npm is missing (it comes with Node.js)" >&2; exit 1; }

npm ci --no-audit --no-fund
# Newer npm may leave install scripts unrun; classic-level loads its prebuilt
# binary without one.  Where there is none for this machine, build it.
if ! node -e "require('classic-level')" 2>/dev/null; then
	echo "setup.sh: no prebuilt LevelDB binding for this machine; compiling it"
	(cd node_modules/classic-level && npx --yes node-gyp rebuild)
fi
node -e "require('dynalite'); require('@aws-sdk/client-dynamodb')"
echo "setup.sh: dynalite $(node -p "require('dynalite/package.json').version")," \
	"@aws-sdk/client-dynamodb $(node -p "require('@aws-sdk/client-dynamodb/package.json').version")" \
	"installed in $(pwd)/node_modules"
