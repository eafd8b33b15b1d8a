#!/bin/bash
# t_editors.sh - everyday tools on items, as on ext4 (SPEC section 8, issue
# 5): tar c and x (into another mount, and under another table name), cp -a
# of a partition to a new key, cp -r of a whole table, vim and ex, in-place
# rewrites without truncation (rsync --inplace, `1<>`), truncate -s 0 then a
# write, `>>` appends, touch, ln (EPERM), chmod and chown.
source "$(dirname "$0")/lib.sh"

G=Games

# item_text P K ATTRS: the canonical text of item (P, K) with extra lines
# ATTRS (canonical, in order, each ending in ",\n").
item_text() {
	printf '{\n%b  "K": {"N": "%s"},\n  "P": {"S": "%s"}\n}\n' "$3" "$2" "$1"
}

assert_item() {
	item_text "$2" "$3" "${4:-}" >"$T/want"
	cmp -s "$T/want" "$1" || { diff -u "$T/want" "$1" >&2 || true; fail "$1: not the expected item"; }
}

setup_table() {
	mkdir "$MNT/$G"
	cat >"$MNT/$G/.schema" <<-'EOF'
	{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "K", "KeyType": "RANGE"}],
	 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"},
	   {"AttributeName": "K", "AttributeType": "N"}, {"AttributeName": "Color", "AttributeType": "S"}],
	 "GlobalSecondaryIndexes": [{"IndexName": "ByColor",
	   "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]}
	EOF
}

ddb_mount
setup_table
for p in a b; do
	mkdir "$MNT/$G/$p"
	for k in 1 2 3; do
		echo "{\"Color\": {\"S\": \"c$k\"}}" >"$MNT/$G/$p/$k"
	done
done
touch -d '2020-02-02 02:02:02 UTC' "$MNT/$G/a/1"

# ---- tar -------------------------------------------------------------------
tar -C "$MNT" -cf "$T/games.tar" "$G" || fail "tar c exited with $?"
assert_eq "$G/.schema" "$(tar -tf "$T/games.tar" | sed -n 2p)" ".schema comes first in the archive"
# Under another name in the same mount: the archived .schema names Games.
tar -C "$MNT" --transform "s,^$G,Copy," -xf "$T/games.tar" || fail "tar x as Copy exited with $?"
diff -r -x .schema "$MNT/$G" "$MNT/Copy" || fail "tar x under another name differs"
assert_eq '"TableName": "Copy",' "$(grep -o '"TableName": "[A-Za-z]*",' "$MNT/Copy/.schema")" "Copy's name"
assert_eq "a/1 b/1" "$(cd "$MNT/Copy/.index/ByColor/c1" && echo */*)" "Copy's GSI rebuilt"
assert_eq 1580608922 "$(stat -c %Y "$MNT/Copy/a/1")" "tar x keeps the mtime"

# ---- cp -a of a partition, cp -r of a table ---------------------------------
cp -a "$MNT/$G/a" "$MNT/$G/z" || fail "cp -a of a partition exited with $?"
assert_item "$MNT/$G/z/2" z 2 '  "Color": {"S": "c2"},\n'
assert_item "$MNT/$G/a/2" a 2 '  "Color": {"S": "c2"},\n'
assert_eq 1580608922 "$(stat -c %Y "$MNT/$G/z/1")" "cp -a keeps the mtime"
cp -r "$MNT/$G" "$MNT/Third" || fail "cp -r of a table exited with $?"
diff -r -x .schema "$MNT/$G" "$MNT/Third" || fail "cp -r of a table differs"
assert_eq "a/3 b/3 z/3" "$(cd "$MNT/Third/.index/ByColor/c3" && echo */*)" "Third's GSI"

# ---- editors -----------------------------------------------------------------
I=$MNT/$G/a/2
vim -es -u NONE -i NONE -c '%s/c2/vim/' -c 'wq' "$I" </dev/null || fail "vim -es exited with $?"
assert_item "$I" a 2 '  "Color": {"S": "vim"},\n'
# vim writing in place (backupcopy=yes: open, truncate, write) rather than by rename.
vim -es -u NONE -i NONE -c 'set backupcopy=yes' -c '%s/vim/inplace/' -c 'wq' "$I" </dev/null ||
	fail "vim -es (backupcopy=yes) exited with $?"
assert_item "$I" a 2 '  "Color": {"S": "inplace"},\n'
ex -s -u NONE -c '%s/inplace/ex/' -c 'wq' "$I" </dev/null || fail "ex exited with $?"
assert_item "$I" a 2 '  "Color": {"S": "ex"},\n'
assert_eq "1 2 3" "$(ls "$MNT/$G/a" | tr '\n' ' ' | sed 's/ $//')" "no editor leftovers"

# Rewritten in place without O_TRUNC, then cut to length (rsync --inplace).
python3 - "$I" <<-'EOF' || fail "write in place + ftruncate failed"
	import os, sys
	fd = os.open(sys.argv[1], os.O_WRONLY)
	new = b'{"Color": {"S": "short"}}\n'
	os.write(fd, new)
	os.ftruncate(fd, len(new))
	os.close(fd)
	EOF
assert_item "$I" a 2 '  "Color": {"S": "short"},\n'
# The same without the truncate leaves old bytes after the JSON: refused at
# close, as invalid, and the item is unchanged.
cp "$I" "$T/before"
expect_errno close:EINVAL write_at "$I" 0 '{"Color": {"S": "x"}}'
assert_same_bytes "$T/before" "$I"

# truncate -s 0: the item holds only its keys; a write or an append gives it
# attributes again.
truncate -s 0 "$I"
assert_item "$I" a 2
echo '{"Color": {"S": "appended"}}' >>"$I"
assert_item "$I" a 2 '  "Color": {"S": "appended"},\n'
truncate -s 0 "$I"
echo '{"Color": {"S": "written"}}' >"$I"
assert_item "$I" a 2 '  "Color": {"S": "written"},\n'
python3 - "$I" <<-'EOF' || fail "truncate(0) + write on one descriptor failed"
	import sys
	with open(sys.argv[1], "r+") as f:
	    f.truncate(0)
	    f.write('{"Color": {"S": "same fd"}}')
	EOF
assert_item "$I" a 2 '  "Color": {"S": "same fd"},\n'

# ---- >> ----------------------------------------------------------------------------
N=$MNT/$G/a/9
{
	echo '{"Color": {"S": "built"},'
	echo ' "Info": {"S": "in two appends"}}'
} >>"$N" || fail "appends to a new item failed"
assert_item "$N" a 9 '  "Color": {"S": "built"},\n  "Info": {"S": "in two appends"},\n'
echo >>"$N" || fail "appending whitespace failed"
assert_item "$N" a 9 '  "Color": {"S": "built"},\n  "Info": {"S": "in two appends"},\n'
touch "$MNT/$G/a/8"
echo '{"Color": {"S": "touched then appended"}}' >>"$MNT/$G/a/8"
assert_item "$MNT/$G/a/8" a 8 '  "Color": {"S": "touched then appended"},\n'
# Appending JSON after a whole item cannot make JSON: refused, unchanged.
cp "$N" "$T/before"
assert_cmd_fails bash -c "echo '{\"More\": {\"S\": \"x\"}}' >>'$N'"
assert_same_bytes "$T/before" "$N"
assert_error_logged "$G/a/9" EINVAL

# ---- touch, ln, chmod, chown ---------------------------------------------------
cp "$N" "$T/before"
touch -d '2022-03-04 05:06:07 UTC' "$N"
assert_eq 1646370367 "$(stat -c %Y "$N")" "touch sets the mtime"
assert_same_bytes "$T/before" "$N"
expect_errno EPERM link "$N" "$MNT/$G/a/10"
expect_errno EPERM symlink x "$MNT/$G/a/11"
assert_missing "$MNT/$G/a/10"
assert_missing "$MNT/$G/a/11"
chmod 600 "$N" || fail "chmod exited with $?"
chown "$(id -u):$(id -g)" "$N" || fail "chown exited with $?"
assert_same_bytes "$T/before" "$N"

ddb_remount
assert_item "$MNT/$G/a/8" a 8 '  "Color": {"S": "touched then appended"},\n'
assert_item "$MNT/$G/z/2" z 2 '  "Color": {"S": "c2"},\n'
diff -r -x .schema "$MNT/$G/b" "$MNT/Copy/b" || fail "Copy differs after a remount"
ddb_umount
