#!/bin/bash
# t_mount.sh - the command line and mount life cycle (SPEC section 1):
# --help/--version, bad usage, DATADIR creation, the DATADIR lock, -o ro,
# -o sync, daemon mode, and fusermount3 -u leaving everything on disk.
source "$(dirname "$0")/lib.sh"

# ---- usage -------------------------------------------------------------------
"$DDBFS_BIN" --help >"$T/help.out" 2>&1 || fail "--help exited with $?"
grep -qi 'usage' "$T/help.out" || fail "--help does not print usage: $(head -c 500 "$T/help.out")"
grep -qi 'datadir' "$T/help.out" || fail "--help does not mention DATADIR"
"$DDBFS_BIN" --version >"$T/version.out" 2>&1 || fail "--version exited with $?"
grep -qE '[0-9]+\.[0-9]+' "$T/version.out" || fail "--version prints no version: $(cat "$T/version.out")"

# A separate data directory: a refused start may already have created it.
U=$T/usage-data
assert_cmd_fails timeout 10 "$DDBFS_BIN"
assert_cmd_fails timeout 10 "$DDBFS_BIN" "$U"
assert_cmd_fails timeout 10 "$DDBFS_BIN" -f "$U"
assert_cmd_fails timeout 10 "$DDBFS_BIN" -f "$U" "$T/no-such-mountpoint"
assert_cmd_fails timeout 10 "$DDBFS_BIN" -f --no-such-option "$U" "$MNT"
! mountpoint -q "$MNT" || fail "a refused command line left a mount"

# ---- DATADIR is created when missing -------------------------------------------
assert_missing "$DATA"
ddb_mount
[[ -d $DATA ]] || fail "DATADIR was not created"
ddb_mktable Kvs K S
echo '{"V": {"S": "one"}}' >"$MNT/Kvs/one"
kv_one='{
  "K": {"S": "one"},
  "V": {"S": "one"}
}
'
assert_file_eq "$MNT/Kvs/one" "$kv_one"

# ---- a second daemon on the same DATADIR is refused ----------------------------
MNT2=$T/mnt2
mkdir "$MNT2"
DDB_EXTRA_MNTS=$MNT2
for mode in -f ''; do
	status=0
	# shellcheck disable=SC2086 # $mode is empty or one option on purpose
	timeout 10 "$DDBFS_BIN" $mode "$DATA" "$MNT2" >"$T/second.out" 2>&1 || status=$?
	((status != 0)) || fail "second daemon ($mode) on the same DATADIR exited 0"
	((status != 124)) || fail "second daemon ($mode) on the same DATADIR did not exit (killed after 10 s)"
	grep -qi 'in use' "$T/second.out" ||
		fail "second daemon ($mode): message does not say 'in use': $(cat "$T/second.out")"
	! mountpoint -q "$MNT2" || fail "second daemon ($mode) mounted anyway"
done
# The first mount is unharmed.
assert_file_eq "$MNT/Kvs/one" "$kv_one"

# ---- fusermount3 -u leaves data that a remount shows -----------------------------
ddb_umount
[[ -z $(ls -A "$MNT") ]] || fail "mount point not empty after unmount"
ddb_mount
assert_file_eq "$MNT/Kvs/one" "$kv_one"
ddb_umount

# ---- -o ro: reads work, writes are refused with EROFS -----------------------------
ddb_mount -o ro
assert_file_eq "$MNT/Kvs/one" "$kv_one"
assert_eq one "$(ls "$MNT/Kvs")" "ls on a read-only mount"
expect_errno EROFS write "$MNT/Kvs/one" '{"V": {"S": "changed"}}'
expect_errno EROFS write "$MNT/Kvs/two" '{}'
expect_errno EROFS unlink "$MNT/Kvs/one"
expect_errno EROFS mkdir "$MNT/NewTable"
expect_errno EROFS rename "$MNT/Kvs/one" "$MNT/Kvs/three"
expect_errno EROFS rmdir "$MNT/Kvs"
assert_file_eq "$MNT/Kvs/one" "$kv_one"
ddb_umount

# ---- -o sync: works, and the data is there after a remount --------------------------
ddb_mount -o sync
echo '{"V": {"S": "synced"}}' >"$MNT/Kvs/two"
assert_file_eq "$MNT/Kvs/two" $'{\n  "K": {"S": "two"},\n  "V": {"S": "synced"}\n}\n'
ddb_umount
ddb_mount
assert_eq $'one\ntwo' "$(ls -U "$MNT/Kvs")" "items after -o sync session"
ddb_umount

# ---- -o allow_other,default_permissions: other users read, the kernel checks modes ----
if ((EUID == 0)) && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	chmod 755 "$T" # mktemp made it 0700; nobody must reach the mount point
	ddb_mount -o allow_other,default_permissions
	runuser -u nobody -- cat "$MNT/Kvs/one" >"$T/as-nobody" ||
		fail "nobody cannot read an item with allow_other"
	assert_file_eq "$T/as-nobody" "$kv_one"
	# Items are 0644 and owned by the mounting user (root): nobody may not write.
	if runuser -u nobody -- python3 "$DDB_IT_DIR/fsop.py" write "$MNT/Kvs/one" '{}' >"$T/nobody.out"; then
		fail "nobody could overwrite root's item under default_permissions"
	fi
	assert_eq open:EACCES "$(cat "$T/nobody.out")" "write as nobody"
	assert_file_eq "$MNT/Kvs/one" "$kv_one"
	ddb_umount
fi

# ---- daemon mode (no -f): mounts, returns, and unmounts cleanly ----------------------
"$DDBFS_BIN" "$DATA" "$MNT" >"$T/daemon-mode.out" 2>&1 || fail "daemon mode exited with $?: $(cat "$T/daemon-mode.out")"
ddb_wait_for 100 mountpoint -q "$MNT" || fail "daemon mode did not mount"
assert_file_eq "$MNT/Kvs/one" "$kv_one"
fusermount3 -u "$MNT"
# The daemon releases the DATADIR lock when it exits: a new mount succeeds
# once it is gone (retry while it shuts down).
for _ in $(seq 20); do
	"$DDBFS_BIN" -f "$DATA" "$MNT" >>"$DDB_LOG" 2>&1 &
	DDB_PID=$!
	echo "$DDB_PID" >"$T/daemon.pid"
	ddb_wait_for 30 mountpoint -q "$MNT" && break
	kill -9 "$DDB_PID" 2>/dev/null || true
	wait "$DDB_PID" 2>/dev/null || true
	DDB_PID=
	sleep 0.2
done
[[ -n $DDB_PID ]] || fail "could not remount after the daemon-mode unmount"
assert_file_eq "$MNT/Kvs/one" "$kv_one"
ddb_umount
