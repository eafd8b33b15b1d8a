#!/bin/bash
# t_tools.sh - ordinary tools write items as on a local disk (SPEC section 8):
# printf, cat, tee, dd, cp, mv, sed -i, ex, touch; the path gives the key;
# scratch names hold bytes until renamed onto an item or the next mount.
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Books Title S PublishYear N
B=$MNT/Books
mkdir "$B/A"

# assert_item FILE TITLE YEAR [EXTRA_LINES]: FILE is the canonical text of
# a book item; EXTRA_LINES (with \n escapes) sort before PublishYear.
assert_item() {
	printf '{\n%b  "PublishYear": {"N": "%s"},\n  "Title": {"S": "%s"}\n}\n' "${4:-}" "$3" "$2" \
		>"$T/item.expected"
	if ! cmp -s "$T/item.expected" "$1"; then
		diff -u "$T/item.expected" "$1" >&2 || true
		fail "$1: not the expected item"
	fi
}

# ---- writers -----------------------------------------------------------
printf '{"Note": {"S": "printf"}}' >"$B/A/1"
assert_item "$B/A/1" A 1 '  "Note": {"S": "printf"},\n'

printf '{"Note": {"S": "cat"}}\n' >"$T/in.json"
cat "$T/in.json" >"$B/A/3"
assert_item "$B/A/3" A 3 '  "Note": {"S": "cat"},\n'

echo '{"Note": {"S": "tee"}}' | tee "$B/A/4" >/dev/null
assert_item "$B/A/4" A 4 '  "Note": {"S": "tee"},\n'

# dd in small blocks: several write() calls make one item.
printf '{"Note": {"S": "dd in pieces of seven bytes"}}' >"$T/dd.json"
dd status=none bs=7 if="$T/dd.json" of="$B/A/5"
assert_item "$B/A/5" A 5 '  "Note": {"S": "dd in pieces of seven bytes"},\n'

# Rewriting the same item again and again: each close commits a whole item.
for i in 1 2 3; do echo "{\"Note\": {\"S\": \"round $i\"}}" >"$B/A/6"; done
assert_item "$B/A/6" A 6 '  "Note": {"S": "round 3"},\n'

# ---- cp: the path wins ------------------------------------------------------
cp "$B/A/1" "$B/A/2"
assert_item "$B/A/2" A 2 '  "Note": {"S": "printf"},\n'
assert_item "$B/A/1" A 1 '  "Note": {"S": "printf"},\n'
mkdir -p "$B/B"
cp "$B/A/1" "$B/B/1"
assert_item "$B/B/1" B 1 '  "Note": {"S": "printf"},\n'
cp -a "$B/A/3" "$B/B/30"
assert_item "$B/B/30" B 30 '  "Note": {"S": "cat"},\n'
# cp from the mount to local disk gives the exact canonical bytes.
cp "$B/A/3" "$T/copy"
assert_same_bytes "$T/copy" "$B/A/3"

# ---- mv: to another key, to another partition -----------------------------
mv "$B/A/4" "$B/A/40"
assert_missing "$B/A/4"
assert_item "$B/A/40" A 40 '  "Note": {"S": "tee"},\n'
mkdir "$B/C"
mv "$B/A/40" "$B/C/41"
assert_missing "$B/A/40"
assert_item "$B/C/41" C 41 '  "Note": {"S": "tee"},\n'
# mv onto an existing item replaces it.
mv "$B/A/5" "$B/A/6"
assert_missing "$B/A/5"
assert_item "$B/A/6" A 6 '  "Note": {"S": "dd in pieces of seven bytes"},\n'

# ---- in-place editors --------------------------------------------------
sed -i 's/printf/edited by sed/' "$B/A/1"
assert_item "$B/A/1" A 1 '  "Note": {"S": "edited by sed"},\n'
# sed can also change the key attribute in the text, but the path wins.
sed -i 's/"1"/"999"/' "$B/A/1"
assert_item "$B/A/1" A 1 '  "Note": {"S": "edited by sed"},\n'
ex -s -u NONE -c '%s/edited by sed/edited by ex/' -c 'wq' "$B/A/1" </dev/null
assert_item "$B/A/1" A 1 '  "Note": {"S": "edited by ex"},\n'
assert_eq $'1\n2\n3\n6' "$(ls -U "$B/A")" "no editor leftovers in A"

# ---- touch -----------------------------------------------------------------
touch -d '2020-01-02 03:04:05 UTC' "$B/A/2"
assert_eq 1577934245 "$(stat -c %Y "$B/A/2")" "mtime after touch -d"
assert_item "$B/A/2" A 2 '  "Note": {"S": "printf"},\n'
before=$(date +%s)
echo '{}' >"$B/A/3"
mt=$(stat -c %Y "$B/A/3")
((mt >= before - 1 && mt <= $(date +%s) + 1)) || fail "mtime of a fresh write is $mt, now is $(date +%s)"
# A new name made by touch is an item holding only its key attributes.
touch "$B/A/7"
assert_item "$B/A/7" A 7
: >"$B/A/8"
assert_item "$B/A/8" A 8
# Modes and owners: 0644 files, 0755 dirs, the mounting user; chmod accepted.
assert_eq "644 $(id -u)" "$(stat -c '%a %u' "$B/A/7")" "item mode and owner"
assert_eq "755 $(id -u)" "$(stat -c '%a %u' "$B/A")" "partition mode and owner"
assert_eq "755 $(id -u)" "$(stat -c '%a %u' "$B")" "table mode and owner"
chmod 600 "$B/A/7"
chown "$(id -u):$(id -g)" "$B/A/7"

# ---- scratch files and temporary names ------------------------------------
echo 'just bytes, not JSON' >"$B/A/.scratch"
assert_file_eq "$B/A/.scratch" $'just bytes, not JSON\n'
printf 'more' >>"$B/A/.scratch"
assert_file_eq "$B/A/.scratch" $'just bytes, not JSON\nmore'
echo 'not a number' >"$B/A/notes.txt"
assert_file_eq "$B/A/notes.txt" $'not a number\n'
echo 'table-level scratch' >"$B/.hidden"
assert_file_eq "$B/.hidden" $'table-level scratch\n'
# A finished temporary renamed onto an item name is committed, like the
# write-then-rename of editors and rsync.
printf '{"Note": {"S": "via rename"}}' >"$B/A/.tmp.9"
mv "$B/A/.tmp.9" "$B/A/9"
assert_missing "$B/A/.tmp.9"
assert_item "$B/A/9" A 9 '  "Note": {"S": "via rename"},\n'
# An invalid temporary is refused at rename(); the target keeps its item.
printf '{"Note": {"NS": []}}' >"$B/A/.tmp.bad"
cp "$B/A/9" "$T/item9"
expect_errno rename:EINVAL rename "$B/A/.tmp.bad" "$B/A/9"
assert_same_bytes "$T/item9" "$B/A/9"
rm "$B/A/.tmp.bad"
assert_missing "$B/A/.tmp.bad"

cp -r "$B/A" "$T/A.saved"
cd /
ddb_remount
# Scratch files are not kept; items are.
assert_missing "$B/A/.scratch"
assert_missing "$B/A/notes.txt"
assert_missing "$B/.hidden"
assert_eq $'1\n2\n3\n6\n7\n8\n9' "$(ls -U "$B/A")" "A after remount"
for f in 1 2 6 7 8 9; do assert_same_bytes "$T/A.saved/$f" "$B/A/$f"; done
assert_eq 1577934245 "$(stat -c %Y "$B/A/2")" "mtime after remount"
assert_item "$B/C/41" C 41 '  "Note": {"S": "tee"},\n'
ddb_umount
