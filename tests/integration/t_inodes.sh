#!/bin/bash
# t_inodes.sh - the daemon's memory for the kernel's names is bounded by
# -o inode_cache=N (issue 7), and views say their attributes change alone.
#
# A file looked up keeps its inode number while the kernel holds it; once
# more than N files were looked up since, the daemon asks the kernel to drop
# it, the kernel forgets it, and the next lookup gives it a new number.  So
# a changed number is the observable proof that the daemon's table let go.
# An open file is not dropped from under its reader, and directories are
# never dropped (a shell's working directory must keep its path).
source "$(dirname "$0")/lib.sh"

ino() { stat -c %i "$1"; }

# Fills table T with N items k0000.. in partition p (the keys are fixed below).
fill() {
	python3 - "$MNT/$1/p" "$2" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
os.makedirs(top, exist_ok=True)
for i in range(n):
    with open(os.path.join(top, "k%04d" % i), "w") as f:
        f.write('{"V": {"N": "%d"}}' % i)
PY
}

ddb_mount -o inode_cache=50
ddb_mktable Cached K S R S
fill Cached 400
first=$(ino "$MNT/Cached/p/k0000")
part=$(ino "$MNT/Cached/p")
exec 3<"$MNT/Cached/p/k0001"
held=$(ino "$MNT/Cached/p/k0001")
# 399 other files looked up (stat of each), far beyond 50.
for i in $(seq 2 399); do printf '%s/Cached/p/k%04d\0' "$MNT" "$i"; done | xargs -0 stat -c %i >/dev/null
ls -l "$MNT/Cached/p" >/dev/null
changed=
for _ in $(seq 50); do
	[[ $(ino "$MNT/Cached/p/k0000") != "$first" ]] && { changed=1; break; }
	# Look the others up again so that k0000 stays the oldest.
	for i in $(seq 300 399); do printf '%s/Cached/p/k%04d\0' "$MNT" "$i"; done | xargs -0 stat -c %i >/dev/null
	sleep 0.1
done
[[ -n $changed ]] || fail "k0000 kept inode $first: the daemon never let the kernel drop it"
assert_eq "$part" "$(ino "$MNT/Cached/p")" "the partition directory's inode"
grep -q '"V": {"N": "1"}' <&3 || fail "k0001 unreadable through a handle held open meanwhile"
exec 3<&-
# Whatever was dropped reads as before, and stays in key order.
assert_eq 400 "$(find "$MNT/Cached/p" -type f | wc -l)" "items after the evictions"
grep -q '"N": "399"' "$MNT/Cached/p/k0399" || fail "k0399 unreadable after the evictions"
echo "k0001 kept inode $held while open"
ddb_umount

# The default is 1% of the machine's memory at 150 bytes a name, at least
# 262144, and --help says what it is here.
want=$(($(getconf _PHYS_PAGES) * $(getconf PAGESIZE) / 100 / 150))
((want > 262144)) || want=262144
"$DDBFS_BIN" --help 2>&1 | grep -q "(default $want:" ||
	fail "--help does not give the default inode_cache $want: $("$DDBFS_BIN" --help 2>&1 | grep -A1 inode_cache)"

# With the default, nothing is dropped: the number stays.
ddb_mount
first=$(ino "$MNT/Cached/p/k0000")
for i in $(seq 1 399); do printf '%s/Cached/p/k%04d\0' "$MNT" "$i"; done | xargs -0 stat -c %i >/dev/null
sleep 0.5
assert_eq "$first" "$(ino "$MNT/Cached/p/k0000")" "k0000's inode with room for every name"

# A view's entries are cached for a tenth of a second, not a second: a put
# shows in a view's stat right after that.
ddb_mktable Live K S R N
mkdir "$MNT/Live/p"
echo '{"V": {"S": "short"}}' >"$MNT/Live/p/1"
size_before=$(stat -c %s "$MNT/Live/p/.ge/1/1")
echo '{"V": {"S": "much longer than it was before"}}' >"$MNT/Live/p/1"
sleep 0.3
size_after=$(stat -c %s "$MNT/Live/p/.ge/1/1")
assert_eq "$(stat -c %s "$MNT/Live/p/1")" "$size_after" "the view's size right after the put"
[[ $size_before != "$size_after" ]] || fail "the view's size did not change"
# .schema is never cached either, even when a listing (READDIRPLUS) named it.
ls -l "$MNT/Live" >/dev/null
echo '{"V": {"S": "a second item"}}' >"$MNT/Live/p/2"
assert_eq "$(wc -c <"$MNT/Live/.schema")" "$(stat -c %s "$MNT/Live/.schema")" ".schema's size right after a put"
ddb_umount
