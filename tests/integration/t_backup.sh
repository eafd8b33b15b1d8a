#!/bin/bash
# t_backup.sh - backups with rsync and tar (SPEC section 10): rsync -a copies
# every table with its .schema; a second run transfers nothing; restoring
# into an empty mount gives the same tree, even for a key that sorts before
# ".schema"; tar round-trips too.
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Books Title S PublishYear N
mkdir "$MNT/Books/Moby Dick" "$MNT/Books/#1 hit"
for y in 1851 1971 2008; do
	echo "{\"Note\": {\"S\": \"edition $y\"}}" >"$MNT/Books/Moby Dick/$y"
done
echo '{}' >"$MNT/Books/#1 hit/1999"
ddb_mktable Tags Name S
# "!" and "#" sort before "." of .schema in byte order.
for n in '!bang' '#hash' '%2Edotted' alpha 'with space'; do
	echo "{\"Count\": {\"N\": \"${#n}\"}}" >"$MNT/Tags/$n"
done
touch -d '2021-06-01 12:00:00 UTC' "$MNT/Tags/alpha"

BK=$T/backup
rsync -a "$MNT/" "$BK/" || fail "rsync -a out exited with $?"
assert_exists "$BK/Books/.schema"
assert_exists "$BK/Tags/.schema"
assert_missing "$BK/.errors"
diff -r "$MNT" "$BK" || fail "backup differs from the mount"
assert_eq "$(stat -c %Y "$MNT/Tags/alpha")" "$(stat -c %Y "$BK/Tags/alpha")" "mtime carried"

# Nothing changed: rsync's quick check (size + mtime) transfers nothing.
rsync -a --itemize-changes "$MNT/" "$BK/" >"$T/second.out" || fail "second rsync exited with $?"
if grep -q '^[<>c]f' "$T/second.out"; then
	cat "$T/second.out" >&2
	fail "second rsync transferred files although nothing changed"
fi
tar -C "$MNT" -cf "$T/backup.tar" Books Tags || fail "tar c exited with $?"
ddb_umount

# Restore into a fresh data directory.
DATA=$T/data2
ddb_mount
rsync -a "$BK/" "$MNT/" || fail "rsync -a restore exited with $?"
diff -r "$BK" "$MNT" || fail "restored tree differs from the backup"
assert_eq "$(stat -c %Y "$BK/Tags/alpha")" "$(stat -c %Y "$MNT/Tags/alpha")" "mtime restored"
ddb_remount
diff -r "$BK" "$MNT" || fail "restored tree differs from the backup after remount"
ddb_umount

DATA=$T/data3
ddb_mount
tar -C "$MNT" -xf "$T/backup.tar" || fail "tar x exited with $?"
diff -r "$BK" "$MNT" || fail "tar-restored tree differs from the backup"
ddb_umount
