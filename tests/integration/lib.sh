# lib.sh - the harness every integration test sources.
#
# Mounts the real daemon (`ddbfs -f DATA MNT`) on a fresh temporary data
# directory, and guarantees that whatever happens (assertion, crash, hang)
# the mount is gone, the daemon is dead and the temporary directory removed
# when the test ends.  A watchdog turns a hung daemon into one failed test
# instead of a hung CI run.
#
# Variables for tests: DATA MNT (paths), T (scratch directory on local disk),
# DDB_LOG (daemon output), DDB_PID (running daemon, empty when none).
# Exit 77 (skip) only when FUSE itself is unavailable.
#
# Knobs for running by hand (bash tests/integration/t_books.sh):
# DDBFS_BIN (default build/fs/ddbfs), DDB_DEADLINE (watchdog, seconds,
# default 240), DDB_SOFT=1 (report every failed assertion, not only the
# first), DDB_KEEP=1 (keep the temporary directory for inspection),
# DDB_WRAP (a command the daemon runs under, split on spaces, e.g.
# DDB_WRAP="valgrind --leak-check=full --error-exitcode=1"; DDB_PID is then
# the wrapper's, which is the daemon's for valgrind but not for strace),
# DDB_MOUNT_WAIT (seconds ddb_mount and ddb_umount wait for the daemon,
# default 10).

set -Eeuo pipefail

DDB_IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DDBFS_BIN=${DDBFS_BIN:-$DDB_IT_DIR/../../build/fs/ddbfs}
DDB_DEADLINE=${DDB_DEADLINE:-240}
DDB_WRAP=${DDB_WRAP:-}
DDB_MOUNT_WAIT=${DDB_MOUNT_WAIT:-10}
DDB_TEST=$(basename "$0" .sh)
# The interpreter itself, resolved once: a version manager's shim (pyenv's)
# costs a tenth of a second a start, and the tests start python hundreds of
# times.
DDB_PY=$(command python3 -c 'import sys; print(sys.executable)')
python3() { "$DDB_PY" "$@"; }

if [[ ! -c /dev/fuse ]] || ! command -v fusermount3 >/dev/null; then
	echo "SKIP $DDB_TEST: /dev/fuse or fusermount3 missing" >&2
	exit 77
fi
if [[ ! -x $DDBFS_BIN ]]; then
	echo "FAIL $DDB_TEST: no daemon at $DDBFS_BIN (set DDBFS_BIN)" >&2
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ddbfs-$DDB_TEST.XXXXXX")
DATA=$T/data
MNT=$T/mnt
DDB_LOG=$T/daemon.log
DDB_PID=
DDB_WATCHDOG=
mkdir -p "$MNT"
: >"$DDB_LOG"

# ---- failure reporting --------------------------------------------------

# ddb_step NAME: prints how far the test is and since when, so a test that
# runs out of time shows where the time went.
ddb_step() {
	echo "step $SECONDS s: $*"
}

# Prints the daemon's log (the reason is usually there) and .errors.
ddb_dump_log() {
	echo "---- daemon log ($DDB_LOG, last 60 lines) ----" >&2
	tail -n 60 "$DDB_LOG" >&2 || true
	echo "---- end of daemon log ----" >&2
}

# DDB_SOFT=1 (for diagnosis by hand) reports every failed assertion and
# carries on; the test still fails at the end.
DDB_FAILS=0
fail() {
	echo "FAIL $DDB_TEST: $*" >&2
	if [[ ${DDB_SOFT:-0} == 1 ]]; then
		DDB_FAILS=$((DDB_FAILS + 1))
		return 0
	fi
	ddb_dump_log
	# Exit through the EXIT trap, which unmounts; skip the ERR trap's report.
	trap - ERR
	exit 1
}

# set -e stops at the first failing command; say which one and where.
ddb_on_err() {
	local status=$1 line=$2 cmd=$3
	local i=0 frame where= fl fsrc
	trap - ERR
	# The call chain, innermost first, so a failure inside a helper names
	# the test line that called it.
	while frame=$(caller $i); do
		read -r fl _ fsrc <<<"$frame"
		where+=" <- $(basename "$fsrc"):$fl"
		i=$((i + 1))
	done
	echo "FAIL $DDB_TEST: line $line: '$cmd' exited with status $status${where:+ (called from${where# <-})}" >&2
	ddb_dump_log
	exit "$status"
}
trap 'ddb_on_err $? $LINENO "$BASH_COMMAND"' ERR

# ---- cleanup and watchdog -----------------------------------------------

ddb_cleanup() {
	local status=$?
	trap - ERR EXIT INT TERM
	set +e
	cd /
	[[ -n $DDB_WATCHDOG ]] && kill "$DDB_WATCHDOG" 2>/dev/null
	# Lazy unmount first: rm below must never descend into the mount.
	fusermount3 -uz "$MNT" 2>/dev/null
	if [[ -n $DDB_PID ]]; then
		kill -9 "$DDB_PID" 2>/dev/null
		wait "$DDB_PID" 2>/dev/null
	fi
	if [[ -n ${DDB_EXTRA_MNTS:-} ]]; then
		local m
		for m in $DDB_EXTRA_MNTS; do fusermount3 -uz "$m" 2>/dev/null; done
	fi
	if [[ ${DDB_KEEP:-0} == 1 ]]; then
		echo "kept $T" >&2
	else
		rm -rf --one-file-system "$T"
	fi
	if ((status == 0 && DDB_FAILS > 0)); then
		echo "FAIL $DDB_TEST: $DDB_FAILS assertions failed" >&2
		status=1
	fi
	if ((status == 0)); then
		echo "PASS $DDB_TEST"
	fi
	exit "$status"
}
trap ddb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A hung daemon leaves the test blocked in a FUSE request, where bash would
# defer any signal handler; so the watchdog first cuts the connection (kill
# the daemon, abort, lazy unmount), which unblocks the test, then ends it.
ddb_watchdog() {
	local test_pid=$1 end=$((SECONDS + DDB_DEADLINE))
	trap - ERR EXIT INT TERM
	set +e
	# Wall-clock time: on a loaded machine a second's sleep takes longer.
	while ((SECONDS < end)); do
		sleep 1
		kill -0 "$test_pid" 2>/dev/null || exit 0
	done
	echo "FAIL $DDB_TEST: watchdog: still running after $DDB_DEADLINE s, killing it" >&2
	ddb_dump_log
	if [[ -s $T/daemon.pid ]]; then kill -9 "$(cat "$T/daemon.pid")" 2>/dev/null; fi
	fusermount3 -uz "$MNT" 2>/dev/null
	kill -TERM "$test_pid" 2>/dev/null
	sleep 5
	kill -KILL "$test_pid" 2>/dev/null
	fusermount3 -uz "$MNT" 2>/dev/null
	rm -rf --one-file-system "$T"
	exit 1
}
ddb_watchdog $$ &
DDB_WATCHDOG=$!
# Out of the job table, so a bare `wait` in a test never waits for it.
disown "$DDB_WATCHDOG"

# ---- mounting -----------------------------------------------------------

# Waits up to $2 tenths of a second for command $1... to succeed.
ddb_wait_for() {
	local tenths=$1
	shift
	while ((tenths-- > 0)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

ddb_is_mounted() {
	mountpoint -q "$MNT"
}

# ddb_mount [daemon options...]: starts the daemon in the foreground (in the
# background of this shell, so its exit status can be checked) and waits
# for the mount.
ddb_mount() {
	[[ -z $DDB_PID ]] || fail "ddb_mount: already mounted"
	echo "=== $(date -u +%T) ddbfs -f${*:+ $*} DATA MNT" >>"$DDB_LOG"
	# shellcheck disable=SC2086 # DDB_WRAP is a command line to split
	$DDB_WRAP "$DDBFS_BIN" -f "$@" "$DATA" "$MNT" >>"$DDB_LOG" 2>&1 &
	DDB_PID=$!
	echo "$DDB_PID" >"$T/daemon.pid"
	local tenths=$((DDB_MOUNT_WAIT * 10))
	while ((tenths-- > 0)); do
		ddb_is_mounted && return 0
		if ! kill -0 "$DDB_PID" 2>/dev/null; then
			local status=0
			wait "$DDB_PID" || status=$?
			DDB_PID=
			fail "ddb_mount $*: daemon exited with status $status before mounting"
		fi
		sleep 0.1
	done
	fail "ddb_mount $*: $MNT not mounted after $DDB_MOUNT_WAIT s"
}

# Clean unmount; the daemon must exit by itself, with status 0 (a sanitizer
# report or a crash at shutdown fails the test here).
ddb_umount() {
	[[ -n $DDB_PID ]] || fail "ddb_umount: not mounted"
	local tries=50
	# EBUSY right after a tool exits is possible; retry briefly.
	until fusermount3 -u "$MNT" 2>>"$DDB_LOG"; do
		((--tries > 0)) || break
		sleep 0.1
	done
	if ! ddb_wait_for $((DDB_MOUNT_WAIT * 10)) ddb_daemon_gone; then
		fusermount3 -uz "$MNT" 2>/dev/null || true
		kill -9 "$DDB_PID" 2>/dev/null || true
		wait "$DDB_PID" 2>/dev/null || true
		DDB_PID=
		fail "ddb_umount: daemon still running $DDB_MOUNT_WAIT s after fusermount3 -u"
	fi
	local status=0
	wait "$DDB_PID" || status=$?
	DDB_PID=
	: >"$T/daemon.pid"
	((status == 0)) || fail "ddb_umount: daemon exited with status $status"
	! ddb_is_mounted || fail "ddb_umount: $MNT still mounted"
}

ddb_daemon_gone() {
	! kill -0 "$DDB_PID" 2>/dev/null || [[ $(ps -o stat= -p "$DDB_PID" 2>/dev/null) == Z* ]]
}

# Simulates a crash: SIGKILL, then clear the dead mount as an admin would.
ddb_kill9() {
	[[ -n $DDB_PID ]] || fail "ddb_kill9: not mounted"
	kill -9 "$DDB_PID"
	wait "$DDB_PID" 2>/dev/null || true
	DDB_PID=
	: >"$T/daemon.pid"
	fusermount3 -uz "$MNT" 2>/dev/null || true
	ddb_wait_for 50 eval '! ddb_is_mounted' || fail "ddb_kill9: $MNT still mounted"
}

ddb_remount() {
	ddb_umount
	ddb_mount "$@"
}

# ---- table helpers ------------------------------------------------------

# ddb_mktable NAME HASH_ATTR HASH_TYPE [RANGE_ATTR RANGE_TYPE]
# Creates a table with mkdir and writes its .schema as create-table JSON.
ddb_mktable() {
	local name=$1 h=$2 ht=$3 r=${4:-} rt=${5:-}
	local ks ad
	ks="{\"AttributeName\": \"$h\", \"KeyType\": \"HASH\"}"
	ad="{\"AttributeName\": \"$h\", \"AttributeType\": \"$ht\"}"
	if [[ -n $r ]]; then
		ks+=", {\"AttributeName\": \"$r\", \"KeyType\": \"RANGE\"}"
		ad+=", {\"AttributeName\": \"$r\", \"AttributeType\": \"$rt\"}"
	fi
	mkdir "$MNT/$name"
	printf '{"TableName": "%s", "KeySchema": [%s], "AttributeDefinitions": [%s], "BillingMode": "PAY_PER_REQUEST"}\n' \
		"$name" "$ks" "$ad" >"$MNT/$name/.schema"
}

# ---- assertions ---------------------------------------------------------

assert_eq() {
	local want=$1 got=$2 what=${3:-value}
	[[ $got == "$want" ]] || fail "$what: expected [$want], got [$got]"
}

# assert_file_eq FILE TEXT: FILE holds exactly TEXT (no newline added).
assert_file_eq() {
	local file=$1 want=$2
	printf '%s' "$want" >"$T/expected"
	if ! cmp -s "$T/expected" "$file"; then
		echo "--- diff expected vs $file" >&2
		diff -u "$T/expected" "$file" >&2 || true
		fail "$file: content differs from expected"
	fi
}

# assert_same_bytes A B: two files byte-identical.
assert_same_bytes() {
	cmp -s "$1" "$2" || {
		diff -u "$1" "$2" >&2 || true
		fail "$2 differs from $1"
	}
}

assert_exists() {
	[[ -e $1 ]] || fail "$1 should exist"
}

assert_missing() {
	[[ ! -e $1 && ! -L $1 ]] || fail "$1 should not exist"
}

# assert_cmd_fails CMD...: the command exits non-zero (124, timeout(1)'s
# status for a hang, does not count).
assert_cmd_fails() {
	local status=0
	"$@" >"$T/out" 2>&1 || status=$?
	((status != 0)) || fail "expected failure, but succeeded: $(ddb_rel_args "$@")"
	((status != 124)) || fail "hung (timed out) instead of failing: $(ddb_rel_args "$@")"
}

# expect_errno WANT OP ARGS...  (see fsop.py for OPs)
# WANT is an errno name (the failing call may be any) or CALL:ERRNO when
# which call fails matters, e.g. write:EINVAL vs close:EINVAL.
expect_errno() {
	local want=$1 got
	shift
	if got=$(python3 "$DDB_IT_DIR/fsop.py" "$@" 2>&1); then
		fail "$(ddb_rel_args "$@"): succeeded, expected $want"
		return 0
	fi
	if [[ $want == *:* ]]; then
		[[ $got == "$want" ]] || fail "$(ddb_rel_args "$@"): got $got, expected $want"
	else
		[[ ${got#*:} == "$want" ]] || fail "$(ddb_rel_args "$@"): got $got, expected $want"
	fi
}

# expect_ok OP ARGS...: the call sequence succeeds.
expect_ok() {
	local got
	got=$(python3 "$DDB_IT_DIR/fsop.py" "$@" 2>&1) ||
		fail "$(ddb_rel_args "$@"): failed with $got, expected success"
}

# Shortens mount paths in messages; long data arguments are cut.
ddb_rel_args() {
	local a out=
	for a in "$@"; do
		a=${a//$MNT\//MNT/}
		((${#a} > 120)) && a="${a:0:100}...(${#a} bytes)"
		out+="$a "
	done
	printf '%s' "${out% }"
}

# assert_error_logged REL ERRNO: the newest line of MNT/.errors reports the
# path REL (relative to the mount) with errno name ERRNO, in the form
# "<UTC time> <path>: <sentence> (<ERRNO>)".
assert_error_logged() {
	local rel=$1 errno=$2 line
	line=$(tail -n 1 "$MNT/.errors") || fail ".errors unreadable"
	[[ $line == [0-9]*" $rel: "?*" ($errno)" ]] ||
		fail ".errors: last line [$line] does not report [$rel] with ($errno)"
}

# assert_error_logged_any REL ERRNO: some line of MNT/.errors reports REL
# with ERRNO (when other lines may have come after it).
assert_error_logged_any() {
	local rel=$1 errno=$2 line
	while IFS= read -r line; do
		[[ $line == [0-9]*" $rel: "?*" ($errno)" ]] && return 0
	done <"$MNT/.errors"
	fail ".errors: no line reports [$rel] with ($errno): $(tail -n 5 "$MNT/.errors")"
}

# Lists a directory in readdir order, one name a line, without . and ..
ls_raw() {
	ls -1aU -- "$1" | awk '$0 != "." && $0 != ".."'
}

# assert_listed DIR NAME / assert_not_listed DIR NAME: readdir shows NAME
# (or not).  Compared whole, never through grep -q, whose early exit would
# make ls fail under pipefail.
assert_listed() {
	local names
	names=$(ls_raw "$1")
	[[ $'\n'$names$'\n' == *$'\n'"$2"$'\n'* ]] || fail "$2 is not listed in $1: [$names]"
}

assert_not_listed() {
	local names
	names=$(ls_raw "$1")
	[[ $'\n'$names$'\n' != *$'\n'"$2"$'\n'* ]] || fail "$2 is listed in $1"
}
