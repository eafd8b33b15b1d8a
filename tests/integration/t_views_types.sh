#!/bin/bash
# t_views_types.sh - range-query views (SPEC section 6) over every sort-key
# type: S in UTF-8 byte order (escaped '/', '%' and leading '.', non-ASCII,
# a code point where byte order and UTF-16 order disagree), B in unsigned
# byte order with base64url values, and N with negative, decimal, tiny and
# 38-digit values.  Values in view paths are written like names (SPEC 3).
source "$(dirname "$0")/lib.sh"

# ---- helpers (the same as t_views.sh; lib.sh has none for views) ---------

# The view is a 0555 directory; listdir and scandir agree; every entry is a
# regular 0444 file (not a symlink) whose st_size is what read() returns and
# whose bytes are the partition's item of that name.  Prints the names.
PY=$DDB_PY
cat >"$T/viewcheck.py" <<'EOF'
import os, stat, sys
view, part = sys.argv[1], sys.argv[2]
def die(msg):
    sys.exit("viewcheck %s: %s" % (view, msg))
st = os.stat(view)
if not stat.S_ISDIR(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o555:
    die("mode %o, expected a 0555 directory" % st.st_mode)
names = os.listdir(view)
with os.scandir(view) as it:
    entries = list(it)
if [e.name for e in entries] != names:
    die("scandir order %s differs from listdir %s" % ([e.name for e in entries], names))
for e in entries:
    p = os.path.join(view, e.name)
    if e.is_symlink() or not e.is_file(follow_symlinks=False):
        die("%s: scandir says not a regular file" % e.name)
    st = os.lstat(p)
    if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o444:
        die("%s: mode %o, expected regular 444" % (e.name, st.st_mode))
    with open(p, "rb") as f:
        data = f.read()
    if st.st_size != len(data):
        die("%s: st_size %d, read %d bytes" % (e.name, st.st_size, len(data)))
    with open(os.path.join(part, e.name), "rb") as f:
        if f.read() != data:
            die("%s: bytes differ from the partition's item" % e.name)
print("\n".join(names))
EOF

# view_is REL WANT: MNT/REL lists exactly WANT (one a line, in order) to
# ls -aU, find and python; entries pass viewcheck.py; cat VIEW/* is the
# partition's items of those names.  P is the partition directory.
view_is() {
	local rel=$1 want=$2 dir=$MNT/$1 got f
	[[ -d $dir ]] || fail "$rel: not a directory"
	got=$(ls_raw "$dir") || fail "ls -aU $rel failed"
	assert_eq "$want" "$got" "ls -aU $rel"
	got=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n') || fail "find $rel failed"
	assert_eq "$want" "$got" "find $rel"
	got=$("$PY" "$T/viewcheck.py" "$dir" "$P") || fail "viewcheck $rel failed"
	assert_eq "$want" "$got" "listdir $rel"
	[[ -n $want ]] || return 0
	: >"$T/cat.expected"
	for f in "$dir"/*; do cat "$P/${f##*/}" >>"$T/cat.expected"; done
	cat "$dir"/* >"$T/cat.got" || fail "cat $rel/* failed"
	assert_same_bytes "$T/cat.expected" "$T/cat.got"
}

# einval REL: the lookup fails with EINVAL and .errors names the path.
einval() {
	expect_errno EINVAL stat "$MNT/$1"
	assert_error_logged "$1" EINVAL
}

ddb_mount

# ---- S sort keys ---------------------------------------------------------------
ddb_mktable Strs P S K S
# The partition key has a '/' too: views work under escaped partition names.
PR='Strs/p%2Fq'
P=$MNT/$PR
mkdir "$P"
# name -> key: %25%2F "%/", %2Egt ".gt", %2Ehidden ".hidden", a%25 "a%",
# a%2F "a/", a%2Fb "a/b".  Written shuffled; each item says its name.
for name in '中文' b 'a%2Fc' '%2Ehidden' Z 'ｱ' 'a b' '~' a 'é' 'a%2F' '%25%2F' \
	'😀' 'éa' A 'a%25' '中' ab 'ê' '%2Egt' 'a%2Fb'; do
	printf '{"Name": {"S": "%s"}}' "$name" >"$P/$name"
done
# UTF-8 byte order: % (25) < . (2E) < A Z < a < "a " < a% < a/ < a/b < a/c
# < ab < b < ~ (7E) < é (C3 A9) < éa < ê (C3 AA) < 中 (E4) < 中文 < ｱ (EF BD
# B1) < 😀 (F0).  In UTF-16 order 😀 (D83D) would come before ｱ (FF71).
SALL='%25%2F
%2Egt
%2Ehidden
A
Z
a
a b
a%25
a%2F
a%2Fb
a%2Fc
ab
b
~
é
éa
ê
中
中文
ｱ
😀'
assert_eq "$SALL" "$(ls -U "$P")" "the S partition"
view_is "$PR/.desc" "$(tac <<<"$SALL")"
AS=$'a\na b\na%25\na%2F\na%2Fb\na%2Fc\nab'
view_is "$PR/.begins_with/a" "$AS"
# An escaped '/' (and '%', '.') in the prefix.
view_is "$PR/.begins_with/a%2F" $'a%2F\na%2Fb\na%2Fc'
view_is "$PR/.begins_with/a%2Fb" 'a%2Fb'
view_is "$PR/.begins_with/a%25" 'a%25'
view_is "$PR/.begins_with/%25" '%25%2F'
view_is "$PR/.begins_with/%2E" $'%2Egt\n%2Ehidden'
view_is "$PR/.begins_with/%2Eh" '%2Ehidden'
# Non-ASCII prefixes compare bytes: é (C3 A9) is not a prefix of ê (C3 AA).
view_is "$PR/.begins_with/é" $'é\néa'
view_is "$PR/.begins_with/中" $'中\n中文'
view_is "$PR/.begins_with/😀" '😀'
view_is "$PR/.begins_with/zzz" ''
view_is "$PR/.begins_with/ab" 'ab'
view_is "$PR/.begins_with/abc" ''
# begins_with composes with the order, limits and bounds.
view_is "$PR/.begins_with/a/.desc" "$(tac <<<"$AS")"
view_is "$PR/.begins_with/a/.limit/2" $'a\na b'
view_is "$PR/.begins_with/a/.desc/.limit/2" $'ab\na%2Fc'
view_is "$PR/.desc/.limit/2/.begins_with/a" $'ab\na%2Fc'
view_is "$PR/.begins_with/a/.gt/a%2F" $'a%2Fb\na%2Fc\nab'
view_is "$PR/.lt/a%2Fb/.begins_with/a" $'a\na b\na%25\na%2F'
# Comparisons.
view_is "$PR/.gt/a" "$(sed -n '7,$p' <<<"$SALL")"
view_is "$PR/.ge/a%2F/.lt/b" $'a%2F\na%2Fb\na%2Fc\nab'
view_is "$PR/.gt/a%2F/.lt/a%2Fc" 'a%2Fb'
view_is "$PR/.between/Z/a%2Fb" $'Z\na\na b\na%25\na%2F\na%2Fb'
view_is "$PR/.gt/~" $'é\néa\nê\n中\n中文\nｱ\n😀'
view_is "$PR/.gt/ｱ" '😀'
view_is "$PR/.lt/😀/.gt/中文" 'ｱ'
view_is "$PR/.between/é/ê" $'é\néa\nê'
view_is "$PR/.between/ｱ/😀" $'ｱ\n😀'
view_is "$PR/.le/%2Ehidden" $'%25%2F\n%2Egt\n%2Ehidden'
view_is "$PR/.lt/A" $'%25%2F\n%2Egt\n%2Ehidden'
# Upper case sorts before lower case (bytes, not a locale).
view_is "$PR/.lt/a/.desc/.limit/2" $'Z\nA'
view_is "$PR/.gt/b/.lt/é" '~'
# A key that looks like an operator is an item under its escaped name,
# while the operator itself is a view.
grep -q '"K": {"S": ".gt"}' "$P/%2Egt" || fail "%2Egt is not the item with key .gt: $(cat "$P/%2Egt")"
[[ -d $P/.gt ]] || fail "$PR/.gt is not a view directory"
# Names in a view: in range resolves, out of range is ENOENT.
cmp -s "$P/a%2Fb" "$P/.begins_with/a/a%2Fb" || fail "begins_with/a/a%2Fb differs from the item"
expect_errno ENOENT stat "$P/.begins_with/a/b"
expect_errno ENOENT stat "$P/.begins_with/a%2F/ab"
expect_errno ENOENT stat "$P/.gt/~/a"
expect_errno ENOENT stat "$P/.begins_with/é/ê"
# Meaningless S views.
einval "$PR/.between/b/a"
# Byte order says 😀 > ｱ (UTF-16 order would accept this range).
einval "$PR/.between/😀/ｱ"
# Values that are not names of an S key: a non-canonical escape, a bare '%'.
einval "$PR/.gt/a%2fb"
einval "$PR/.begins_with/50%"
# Not UTF-8 at all (the .errors line may escape the byte, so errno only).
expect_errno EINVAL stat "$P/.gt/"$'\xff'

# ---- B sort keys -----------------------------------------------------------------
ddb_mktable Bins P S K B
PR=Bins/p
P=$MNT/$PR
mkdir "$P"
# Values written as unpadded base64url names; the expected views are computed
# from the bytes by a small model of the query (unsigned byte order).  Some
# names hold '-' and '_', which standard base64 spells '+' and '/'.
python3 - "$P" >"$T/bins.cases" <<'EOF'
import base64, os, sys
part = sys.argv[1]
vals = [b"\xff", b"\x00", b"abc", b"\x7f", b"\x80", b"\xff\xff", b"\x00\x01",
        b"\x01", b"\xfe", b"\xfb\xff", b"\xfb\xef", b"a", b"ab"]
def n(v):
    return base64.urlsafe_b64encode(v).rstrip(b"=").decode()
for v in vals:
    with open(os.path.join(part, n(v)), "w") as f:
        f.write('{"Len": {"N": "%d"}}' % len(v))
def case(path, conds=(), desc=False, limit=None):
    r = sorted(v for v in vals if all(c(v) for c in conds))
    if desc:
        r.reverse()
    if limit is not None:
        r = r[:limit]
    print("%s|%s" % (path, ",".join(n(v) for v in r)))
case("")
case(".desc", desc=True)
case(".begins_with/" + n(b"\xff"), [lambda v: v.startswith(b"\xff")])
case(".begins_with/" + n(b"\xfb"), [lambda v: v.startswith(b"\xfb")])
case(".begins_with/" + n(b"a"), [lambda v: v.startswith(b"a")])
case(".begins_with/" + n(b"ab"), [lambda v: v.startswith(b"ab")])
case(".begins_with/" + n(b"\x00"), [lambda v: v.startswith(b"\x00")])
case(".begins_with/" + n(b"\x02"), [lambda v: v.startswith(b"\x02")])
case(".begins_with/" + n(b"a") + "/.desc/.limit/2", [lambda v: v.startswith(b"a")], True, 2)
# Unsigned: 0x80 and above sort after 0x7f.
case(".gt/" + n(b"\x7f"), [lambda v: v > b"\x7f"])
case(".lt/" + n(b"\x80"), [lambda v: v < b"\x80"])
case(".le/" + n(b"\x00"), [lambda v: v <= b"\x00"])
case(".ge/" + n(b"\xfb\xef"), [lambda v: v >= b"\xfb\xef"])
case(".between/" + n(b"\x01") + "/" + n(b"\xfe"), [lambda v: b"\x01" <= v <= b"\xfe"])
case(".between/" + n(b"a") + "/" + n(b"ab"), [lambda v: b"a" <= v <= b"ab"])
case(".gt/" + n(b"\x00") + "/.lt/" + n(b"\x01"), [lambda v: b"\x00" < v < b"\x01"])
case(".desc/.limit/3", desc=True, limit=3)
case(".limit/3", limit=3)
case(".gt/" + n(b"\xff\xff"), [lambda v: v > b"\xff\xff"])
EOF
while IFS='|' read -r q names; do
	# The case without a view is the partition itself, listed in key order.
	if [[ -z $q ]]; then
		assert_eq "${names//,/$'\n'}" "$(ls -U "$P")" "the B partition"
		continue
	fi
	view_is "$PR/$q" "${names//,/$'\n'}"
done <"$T/bins.cases"
# Names in a B view: in range resolves, out of range is ENOENT.
cmp -s "$P/__8" "$P/.begins_with/_w/__8" || fail "Bins view entry __8 differs from the item"
expect_errno ENOENT stat "$P/.begins_with/_w/_g"
expect_errno ENOENT stat "$P/.gt/fw/fw"
# Invalid base64url values; standard base64's '+' is not base64url; one
# character cannot encode a byte.
einval "$PR/.gt/a+b"
einval "$PR/.ge/A"
einval "$PR/.between/AA/a*"
einval "$PR/.begins_with/a+b"
# LO > HI by unsigned bytes (0x80 > 0x7f; signed bytes would accept it).
einval "$PR/.between/gA/fw"

# ---- N sort keys: negative, decimal, tiny, 38 digits ---------------------------------
ddb_mktable Nums P S K N
PR=Nums/n
P=$MNT/$PR
mkdir "$P"
for v in 3 -1.50 1e2 0.250 -10 -0 -0.001; do
	echo '{}' >"$P/$v"
done
NALL=$'-10\n-1.5\n-0.001\n0\n0.25\n3\n100'
assert_eq "$NALL" "$(ls -U "$P")" "the N partition"
view_is "$PR/.desc" $'100\n3\n0.25\n0\n-0.001\n-1.5\n-10'
view_is "$PR/.gt/-1.5" $'-0.001\n0\n0.25\n3\n100'
view_is "$PR/.ge/-1.5" $'-1.5\n-0.001\n0\n0.25\n3\n100'
view_is "$PR/.ge/-1.50" $'-1.5\n-0.001\n0\n0.25\n3\n100'
view_is "$PR/.lt/0" $'-10\n-1.5\n-0.001'
view_is "$PR/.lt/-0.0" $'-10\n-1.5\n-0.001'
view_is "$PR/.le/-0" $'-10\n-1.5\n-0.001\n0'
view_is "$PR/.between/-1.5/0.25" $'-1.5\n-0.001\n0\n0.25'
view_is "$PR/.between/-1E1/-1" $'-10\n-1.5'
view_is "$PR/.between/-0/0" '0'
view_is "$PR/.between/-100/1e2" "$NALL"
# Between close negatives: -0.0011 < -0.001 < -0.00099 < 0.
view_is "$PR/.gt/-0.0011/.lt/0.2500" $'-0.001\n0'
view_is "$PR/.gt/-0.00099" $'0\n0.25\n3\n100'
view_is "$PR/.lt/-0.00099" $'-10\n-1.5\n-0.001'
view_is "$PR/.gt/-10.5/.lt/-9.99" '-10'
view_is "$PR/.gt/-10/.lt/-1.5" ''
view_is "$PR/.gt/-2/.lt/-1" '-1.5'
# Magnitudes: 1E-130 is the smallest, 38 digits the most precise.
view_is "$PR/.gt/1e-130" $'0.25\n3\n100'
view_is "$PR/.lt/-1E-130" $'-10\n-1.5\n-0.001'
view_is "$PR/.between/-1e-130/1e-130" '0'
view_is "$PR/.gt/2.9999999999999999999999999999999999999" $'3\n100'
view_is "$PR/.lt/3.0000000000000000000000000000000000001" $'-10\n-1.5\n-0.001\n0\n0.25\n3'
view_is "$PR/.gt/3.0000000000000000000000000000000000001" '100'
view_is "$PR/.ge/-9.9999999999999999999999999999999999999E+125" "$NALL"
view_is "$PR/.le/9.9999999999999999999999999999999999999E+125" "$NALL"
view_is "$PR/.desc/.lt/0/.limit/1" '-0.001'
view_is "$PR/.limit/2" $'-10\n-1.5'
view_is "$PR/.gt/-1.5/.limit/2/.desc" $'0\n-0.001'
# Names in the view, in any equal form.
cmp -s "$P/-1.5" "$P/.lt/0/-1.50" || fail "Nums view entry -1.50 differs from -1.5"
cmp -s "$P/-10" "$P/.lt/0/-1e1" || fail "Nums view entry -1e1 differs from -10"
cmp -s "$P/0" "$P/.le/0/-0" || fail "Nums view entry -0 differs from 0"
expect_errno ENOENT stat "$P/.lt/0/0"
expect_errno ENOENT stat "$P/.gt/-1.5/-10"
# Meaningless N views: LO > HI with negatives (compared as numbers, not
# magnitudes or text), begins_with, and values that are not DynamoDB numbers.
einval "$PR/.between/-1.5/-10"
einval "$PR/.between/0.25/-0.001"
einval "$PR/.between/-0.001/-0.0011"
einval "$PR/.begins_with/1"
einval "$PR/.begins_with/-1"
einval "$PR/.gt/1e126"
einval "$PR/.lt/-1e126"
einval "$PR/.gt/1e-131"
einval "$PR/.gt/1.000000000000000000000000000000000000001"
einval "$PR/.gt/0x10"
einval "$PR/.gt/Infinity"
einval "$PR/.lt/NaN"

ddb_umount
