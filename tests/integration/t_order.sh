#!/bin/bash
# t_order.sh - readdir returns keys in DynamoDB order (SPEC section 5): N
# numerically, S by UTF-8 bytes, B by unsigned bytes, at the partition level
# and the table level; and names round-trip through the escapes of section 3.
source "$(dirname "$0")/lib.sh"

# listing_is DIR WANT: both ls -U and find see WANT (names in order, one a
# line), not counting dot-names (.schema).
listing_is() {
	local dir=$1 want=$2
	assert_eq "$want" "$(ls -U -- "$dir")" "ls -U $dir"
	assert_eq "$want" "$(find "$dir" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n')" \
		"find $dir"
}

ddb_mount

# ---- N sort keys ------------------------------------------------------
ddb_mktable Nums P S V N
mkdir "$MNT/Nums/p"
# Written in shuffled order, some in non-canonical form.
for n in 10 -2.5 99999999999999999999999999999999999999 0.001 1E3 -1 0 2 -1000 1 -0.0 \
	2.50 -99999999999999999999999999999999999999 1E-130 -1E-130 9.9999999999999999999999999999999999999E+125; do
	echo '{}' >"$MNT/Nums/p/$n"
done
# 1E-130 and 9.99..E+125 are the extremes; their canonical forms are long.
tiny=0.$(printf '0%.0s' {1..129})1
huge=$(printf '9%.0s' {1..38})$(printf '0%.0s' {1..88})
nines=$(printf '9%.0s' {1..38})
nums="-$nines
-1000
-2.5
-1
-$tiny
0
$tiny
0.001
1
2
2.5
10
1000
$nines
$huge"
listing_is "$MNT/Nums/p" "$nums"
# The canonical name is in the item too.
grep -q '"V": {"N": "1000"}' "$MNT/Nums/p/1000" || fail "1E3 not stored as 1000: $(cat "$MNT/Nums/p/1000")"
grep -q '"V": {"N": "0"}' "$MNT/Nums/p/0" || fail "-0.0 not stored as 0"

# ---- S sort keys: UTF-8 byte order, escapes ------------------------------
ddb_mktable Strs P S K S
mkdir "$MNT/Strs/p"
# name -> key:  a%2Fb -> "a/b",  a%25 -> "a%",  %2Ehidden -> ".hidden"
for name in '~' 'a b' B '中' a A 'a%2Fb' 'é' Z 'a%25' '%2Ehidden' 'a.b' '-x' '%25%2F'; do
	echo '{}' >"$MNT/Strs/p/$name"
done
# Key bytes: % 2F  <  -x  <  .hidden  <  A B Z  <  a  <  "a b"  <  a%  <  a.b  <  a/b  <  ~  <  é (C3)  <  中 (E4)
strs='%25%2F
-x
%2Ehidden
A
B
Z
a
a b
a%25
a.b
a%2Fb
~
é
中'
listing_is "$MNT/Strs/p" "$strs"
# Names round-trip: the item holds the unescaped key.
grep -q '"K": {"S": "a/b"}' "$MNT/Strs/p/a%2Fb" || fail "a%2Fb does not hold key a/b"
grep -q '"K": {"S": "a%"}' "$MNT/Strs/p/a%25" || fail "a%25 does not hold key a%"
grep -q '"K": {"S": ".hidden"}' "$MNT/Strs/p/%2Ehidden" || fail "%2Ehidden does not hold key .hidden"
grep -q '"K": {"S": "%/"}' "$MNT/Strs/p/%25%2F" || fail "%25%2F does not hold key %/"
grep -q '"K": {"S": "中"}' "$MNT/Strs/p/中" || fail "中 does not hold its key"
# A partition key with a slash: the directory name is escaped too.
mkdir "$MNT/Strs/x%2Fy"
echo '{}' >"$MNT/Strs/x%2Fy/k"
grep -q '"P": {"S": "x/y"}' "$MNT/Strs/x%2Fy/k" || fail "partition x%2Fy does not hold key x/y"
# Partitions of the table, in key order.
listing_is "$MNT/Strs" $'p\nx%2Fy'

# ---- B sort keys: unsigned byte order of the decoded bytes ---------------
ddb_mktable Bins P S K B
mkdir "$MNT/Bins/p"
python3 - "$MNT/Bins/p" "$T/bins.expected" <<'EOF'
import base64, os, sys
values = [b"\xff", b"\x00", b"abc", b"\x7f", b"\x80", b"\xff\xff", b"\x00\x01",
          b"\x01", b"\xfe", b"\xfb\xff"]
def name(v):
    return base64.urlsafe_b64encode(v).rstrip(b"=").decode()
for v in values:
    with open(os.path.join(sys.argv[1], name(v)), "w") as f:
        f.write("{}")
with open(sys.argv[2], "w") as f:
    f.write("\n".join(name(v) for v in sorted(values)))
EOF
listing_is "$MNT/Bins/p" "$(cat "$T/bins.expected")"
# Values are standard padded base64 inside the item.
grep -q '"K": {"B": "//8="}' "$MNT/Bins/p/__8" || fail "__8 does not hold B //8=: $(cat "$MNT/Bins/p/__8")"

# ---- hash-only table: the table level is in key order ------------------
ddb_mktable HashN Id N
for n in 3 -7 0.5 100 -0.25 20; do echo '{}' >"$MNT/HashN/$n"; done
listing_is "$MNT/HashN" $'-7\n-0.25\n0.5\n3\n20\n100'
assert_eq .schema "$(ls_raw "$MNT/HashN" | head -n 1)" ".schema listed first"
ddb_mktable HashS Id S
for s in b '%2Edot' B 'b b' a; do echo '{}' >"$MNT/HashS/$s"; done
listing_is "$MNT/HashS" $'%2Edot\nB\na\nb\nb b'
assert_eq .schema "$(ls_raw "$MNT/HashS" | head -n 1)" ".schema listed first"

# ---- names that are not keys are scratch files, not items ---------------
# A non-canonical escape, an unescaped leading dot, a non-number.
echo scratch >"$MNT/Strs/p/%41"
echo scratch >"$MNT/Strs/p/a%2fb"
echo scratch >"$MNT/Nums/p/twelve"
assert_file_eq "$MNT/Strs/p/%41" $'scratch\n'
assert_file_eq "$MNT/Nums/p/twelve" $'scratch\n'

# The table list itself is sorted too.
assert_eq $'Bins\nHashN\nHashS\nNums\nStrs' "$(ls -U "$MNT")" "tables"

ddb_remount
listing_is "$MNT/Nums/p" "$nums"
listing_is "$MNT/Strs/p" "$strs"
listing_is "$MNT/Bins/p" "$(cat "$T/bins.expected")"
listing_is "$MNT/HashN" $'-7\n-0.25\n0.5\n3\n20\n100'
assert_missing "$MNT/Strs/p/%41"
assert_missing "$MNT/Strs/p/a%2fb"
assert_missing "$MNT/Nums/p/twelve"
ddb_umount
