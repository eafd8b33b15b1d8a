#!/bin/bash
# t_views.sh - range queries as paths (SPEC section 6) on the Books example
# (hash Title S, range PublishYear N): every operator, .between, .desc,
# .limit, compositions in several orders, number forms, empty results, names
# outside the range, entries that read as the items (0444, exact sizes),
# EROFS for every write, views never listed (ls -a, find, du, tar, rsync),
# and EINVAL with a line in .errors for every meaningless view.
source "$(dirname "$0")/lib.sh"

# ---- helpers (lib.sh has none for views; kept here, not in lib.sh) -------

# A view's own checks, in Python because they need lstat, scandir's d_type
# and byte comparison per entry: the view is a 0555 directory; listdir and
# scandir agree on the order; every entry is a regular file (not a symlink)
# of mode 0444 whose st_size is what read() returns and whose bytes are the
# partition's item of that name.  Prints the names, one a line.
PY=$DDB_PY
cat >"$T/viewcheck.py" <<'EOF'
import os, stat, sys
view, part = sys.argv[1], sys.argv[2]
def die(msg):
    sys.exit("viewcheck %s: %s" % (view, msg))
st = os.stat(view)
if not stat.S_ISDIR(st.st_mode):
    die("not a directory")
if stat.S_IMODE(st.st_mode) != 0o555:
    die("directory mode %o, expected 555" % stat.S_IMODE(st.st_mode))
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
        if os.fstat(f.fileno()).st_size != len(data):
            die("%s: fstat size differs from bytes read" % e.name)
    if st.st_size != len(data):
        die("%s: st_size %d, read %d bytes" % (e.name, st.st_size, len(data)))
    with open(os.path.join(part, e.name), "rb") as f:
        if f.read() != data:
            die("%s: bytes differ from the partition's item" % e.name)
print("\n".join(names))
EOF

# view_is REL WANT: the view MNT/REL of partition P lists exactly WANT
# (names one a line, in this order, "" for none) to ls -aU, find, python's
# listdir and scandir; its entries pass viewcheck.py; and cat VIEW/* gives
# the same bytes as cat of the partition's files of those names.
view_is() {
	local rel=$1 want=$2 dir=$MNT/$1 got f
	# An existence check first: an empty WANT must not pass on a failed ls.
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
	# The shell's view of the first entry too: stat(1) and wc agree.
	f=$dir/${want%%$'\n'*}
	assert_eq "444 regular file" "$(stat -c '%a %F' "$f")" "stat $rel/${f##*/}"
	assert_eq "$(wc -c <"$f")" "$(stat -c %s "$f")" "size of $rel/${f##*/}"
}

# intermediate_is REL: a path that stops inside an operator is an empty
# directory.
intermediate_is() {
	local dir=$MNT/$1 got
	[[ -d $dir ]] || fail "$1: not a directory"
	got=$(ls_raw "$dir") || fail "ls -aU $1 failed"
	assert_eq "" "$got" "ls -aU $1 (intermediate)"
}

# einval REL: looking up the view fails with EINVAL, ls fails too, and the
# newest line of .errors names the path.
einval() {
	local rel=$1
	expect_errno EINVAL stat "$MNT/$rel"
	assert_error_logged "$rel" EINVAL
	assert_cmd_fails ls "$MNT/$rel/"
	assert_error_logged "$rel" EINVAL
}

ddb_mount
ddb_mktable Books Title S PublishYear N
B=$MNT/Books
PR='Books/Moby Dick'
P=$MNT/$PR

# ---- SPEC's example: PublishYear > 1980 ----------------------------------
ddb_step "SPEC's example: PublishYear > 1980"
mkdir "$P"
echo '{"ISBN": {"S": "978-0"}, "Note": {"S": "first edition"}}' >"$P/1851"
echo '{"ISBN": {"S": "978-1"}}' >"$P/1971"
echo '{"ISBN": {"S": "978-2"}}' >"$P/2008"
view_is "$PR/.gt/1980" 2008

# ---- more years; another partition whose years must never show up --------
ddb_step "more years; another partition whose years must never show up"
for y in 1892 1900 1926 1952 1999 2000 2020; do
	printf '{"Note": {"S": "printing of %s"}, "Pages": {"N": "%s"}}' "$y" "$((y % 700 + 100))" >"$P/$y"
done
mkdir "$B/Walden"
for y in 1854 1910 1995 2004; do echo '{}' >"$B/Walden/$y"; done
ALL='1851
1892
1900
1926
1952
1971
1999
2000
2008
2020'
DESC=$(tac <<<"$ALL")
assert_eq "$ALL" "$(ls -U "$P")" "the partition itself"
# A view is live: the new years are there.
view_is "$PR/.gt/1980" $'1999\n2000\n2008\n2020'

# ---- every operator --------------------------------------------------------
ddb_step "every operator"
view_is "$PR/.gt/1971" $'1999\n2000\n2008\n2020'
view_is "$PR/.ge/1971" $'1971\n1999\n2000\n2008\n2020'
view_is "$PR/.lt/1926" $'1851\n1892\n1900'
view_is "$PR/.le/1926" $'1851\n1892\n1900\n1926'
# Bounds between keys.
view_is "$PR/.gt/1925" $'1926\n1952\n1971\n1999\n2000\n2008\n2020'
view_is "$PR/.le/1925" $'1851\n1892\n1900'
view_is "$PR/.between/1900/2000" $'1900\n1926\n1952\n1971\n1999\n2000'
view_is "$PR/.between/1901/1999" $'1926\n1952\n1971\n1999'
view_is "$PR/.between/1971/1971" 1971
view_is "$PR/.desc" "$DESC"
view_is "$PR/.limit/3" $'1851\n1892\n1900'
view_is "$PR/.limit/1" 1851
view_is "$PR/.limit/10" "$ALL"
view_is "$PR/.limit/1000" "$ALL"
# Views of another partition see only its items.
P=$B/Walden view_is "Books/Walden/.between/1850/1999" $'1854\n1910\n1995'
view_is "$PR/.between/1850/1860" 1851

# ---- compositions --------------------------------------------------------
ddb_step "compositions"
view_is "$PR/.ge/1900/.lt/2000/.desc/.limit/2" $'1999\n1971'
view_is "$PR/.desc/.ge/1900/.lt/2000/.limit/2" $'1999\n1971'
view_is "$PR/.lt/2000/.desc/.ge/1900/.limit/2" $'1999\n1971'
view_is "$PR/.ge/1900/.lt/2000/.limit/2" $'1900\n1926'
view_is "$PR/.ge/1900/.desc/.lt/2000" $'1999\n1971\n1952\n1926\n1900'
# Key conditions apply before limits, wherever they are written.
view_is "$PR/.limit/2/.ge/1900/.lt/2000" $'1900\n1926'
view_is "$PR/.limit/3/.gt/1926" $'1952\n1971\n1999'
view_is "$PR/.desc/.limit/4/.gt/1999" $'2020\n2008\n2000'
# .limit before and after .desc.
view_is "$PR/.desc/.limit/2" $'2020\n2008'
view_is "$PR/.limit/2/.desc" $'1892\n1851'
view_is "$PR/.le/2000/.limit/3/.desc" $'1900\n1892\n1851'
view_is "$PR/.le/2000/.desc/.limit/3" $'2000\n1999\n1971'
# Several limits apply in turn.
view_is "$PR/.limit/5/.limit/3" $'1851\n1892\n1900'
view_is "$PR/.limit/3/.limit/5" $'1851\n1892\n1900'
view_is "$PR/.limit/8/.limit/5/.desc/.limit/2" $'1952\n1926'
view_is "$PR/.desc/.limit/3/.limit/5" $'2020\n2008\n2000'
# Several bounds on one side: the tightest applies, in either order.
view_is "$PR/.gt/1900/.gt/1950" $'1952\n1971\n1999\n2000\n2008\n2020'
view_is "$PR/.gt/1950/.gt/1900" $'1952\n1971\n1999\n2000\n2008\n2020'
view_is "$PR/.ge/1952/.gt/1952" $'1971\n1999\n2000\n2008\n2020'
view_is "$PR/.gt/1952/.ge/1952" $'1971\n1999\n2000\n2008\n2020'
view_is "$PR/.le/1999/.lt/1999" $'1851\n1892\n1900\n1926\n1952\n1971'
view_is "$PR/.lt/2008/.le/2000" $'1851\n1892\n1900\n1926\n1952\n1971\n1999\n2000'
view_is "$PR/.between/1900/2010/.gt/1926/.lt/2008" $'1952\n1971\n1999\n2000'
view_is "$PR/.between/1800/1900/.between/1890/2100" $'1892\n1900'
view_is "$PR/.gt/1852/.between/1800/1926" $'1892\n1900\n1926'

# ---- number forms: values are written like names --------------------------
ddb_step "number forms: values are written like names"
view_is "$PR/.gt/1.98e3" $'1999\n2000\n2008\n2020'
view_is "$PR/.gt/01980.000" $'1999\n2000\n2008\n2020'
view_is "$PR/.between/1.9E3/02000" $'1900\n1926\n1952\n1971\n1999\n2000'
view_is "$PR/.ge/1971.0/.le/19.99e2" $'1971\n1999'
view_is "$PR/.lt/2E3" $'1851\n1892\n1900\n1926\n1952\n1971\n1999'
view_is "$PR/.gt/-0" "$ALL"
view_is "$PR/.lt/1926.5" $'1851\n1892\n1900\n1926'
view_is "$PR/.limit/2/.gt/1.8515e3" $'1892\n1900'

# ---- empty results are empty directories, not errors ------------------------
ddb_step "empty results are empty directories, not errors"
view_is "$PR/.gt/2020" ""
view_is "$PR/.lt/1851" ""
view_is "$PR/.between/1853/1891" ""
view_is "$PR/.gt/2000/.lt/1900" ""
view_is "$PR/.gt/1971/.lt/1999" ""
view_is "$PR/.ge/2021/.desc/.limit/5" ""
mkdir "$B/Unwritten"
P=$B/Unwritten view_is "Books/Unwritten/.gt/0" ""
P=$B/Unwritten view_is "Books/Unwritten/.desc/.limit/1" ""

# ---- paths that stop inside an operator are empty directories ----------------
ddb_step "paths that stop inside an operator are empty directories"
for rel in .gt .ge .lt .le .between .between/1900 .begins_with .limit \
	.gt/1900/.lt .desc/.between/1900 .limit/2/.gt; do
	intermediate_is "$PR/$rel"
done

# ---- names in a view ---------------------------------------------------------
ddb_step "names in a view"
m2008=$(cat "$P/2008")
assert_file_eq "$P/.gt/1980/2008" "$m2008"$'\n'
# Any equal form of a number finds the entry, as in the partition.
assert_file_eq "$P/.gt/1980/2.008e3" "$m2008"$'\n'
assert_file_eq "$P/.gt/1980/02008" "$m2008"$'\n'
# Outside the view's key conditions: ENOENT, although the item exists.
expect_errno ENOENT stat "$P/.gt/1980/1851"
expect_errno ENOENT stat "$P/.gt/1980/1980"
expect_errno ENOENT stat "$P/.between/1900/2000/2008"
expect_errno ENOENT stat "$P/.between/1900/2000/1892"
expect_errno ENOENT stat "$P/.lt/1926/1926"
expect_errno ENOENT stat "$P/.gt/1926/1926"
expect_errno ENOENT stat "$P/.ge/1900/.lt/2000/.desc/.limit/2/2008"
expect_errno ENOENT read "$P/.le/1900/1971"
# In range but not an item; not a number at all; a dot-name.
expect_errno ENOENT stat "$P/.gt/1980/2001"
expect_errno ENOENT stat "$P/.gt/1980/abc"
expect_errno ENOENT stat "$P/.gt/1980/.foo"
# An entry is a file: nothing below it.
expect_errno ENOTDIR stat "$P/.gt/1980/2008/x"
# No view under a partition that does not exist.
expect_errno ENOENT stat "$B/Nobody/.gt/1980"
# A rewritten item reads new through a view entry that was read before.
cat "$P/.gt/1980/2008" >/dev/null
echo '{"ISBN": {"S": "978-2"}, "Note": {"S": "rewritten"}}' >"$P/2008"
assert_file_eq "$P/.gt/1980/2008" "$(cat "$P/2008")"$'\n'
grep -q rewritten "$P/.gt/1980/2008" || fail "view entry 2008 does not show the rewrite"
view_is "$PR/.gt/1980" $'1999\n2000\n2008\n2020'

# ---- read-only: every write fails with EROFS and changes nothing --------------
ddb_step "read-only: every write fails with EROFS and changes nothing"
V=$P/.ge/1900
mkdir "$T/before"
cp "$P"/* "$T/before/"
ls_raw "$P" >"$T/names.before"
expect_errno open:EROFS write "$V/2008" '{"Note": {"S": "through a view"}}'
expect_errno EROFS write "$V/1950" '{}'
expect_errno EROFS write "$V/1700" '{}'
expect_errno EROFS excl "$V/1950" '{}'
expect_errno EROFS write "$V/scratch.tmp" 'bytes'
expect_errno EROFS unlink "$V/2008"
expect_errno EROFS mkdir "$V/sub"
expect_errno EROFS rename "$V/2008" "$P/3000"
expect_errno EROFS rename "$V/2008" "$V/2009"
expect_errno EROFS rename "$P/1851" "$V/1950"
expect_errno EROFS rmdir "$V"
# Opens for writing without O_CREAT/O_TRUNC, and truncate(2).
python3 - "$V/2008" <<'EOF' || fail "open for writing or truncate of a view entry did not fail with EROFS"
import errno, os, sys
p = sys.argv[1]
bad = []
for what, fn in (("O_WRONLY", lambda: os.open(p, os.O_WRONLY)),
                 ("O_RDWR", lambda: os.open(p, os.O_RDWR)),
                 ("O_WRONLY|O_APPEND", lambda: os.open(p, os.O_WRONLY | os.O_APPEND)),
                 ("O_RDONLY|O_TRUNC", lambda: os.open(p, os.O_RDONLY | os.O_TRUNC)),
                 ("truncate 0", lambda: os.truncate(p, 0)),
                 ("truncate 10", lambda: os.truncate(p, 10))):
    try:
        fd = fn()
    except OSError as e:
        if e.errno != errno.EROFS:
            bad.append("%s: %s, expected EROFS" % (what, errno.errorcode[e.errno]))
    else:
        bad.append("%s: succeeded, expected EROFS" % what)
        if isinstance(fd, int):
            os.close(fd)
if bad:
    sys.exit("; ".join(bad))
EOF
# The shell tools a user would try.
assert_cmd_fails bash -c 'echo "{}" >"$1"' _ "$V/2008"
assert_cmd_fails bash -c 'echo "{}" >>"$1"' _ "$V/2008"
assert_cmd_fails rm -f "$V/2008"
assert_cmd_fails cp "$P/1851" "$V/1950"
assert_cmd_fails mv "$V/2008" "$P/3000"
assert_cmd_fails sed -i s/978/979/ "$V/2008"
assert_cmd_fails touch "$V/1950"
assert_cmd_fails mkdir "$P/.between/1900/2000/new"
# Nothing changed: same names, same bytes, no scratch file left behind.
ls_raw "$P" >"$T/names.after"
assert_same_bytes "$T/names.before" "$T/names.after"
for f in "$T/before"/*; do assert_same_bytes "$f" "$P/${f##*/}"; done
view_is "$PR/.ge/1900" $'1900\n1926\n1952\n1971\n1999\n2000\n2008\n2020'
expect_errno ENOENT stat "$P/3000"

# ---- views are not listed ------------------------------------------------------
ddb_step "views are not listed"
assert_eq "$ALL" "$(ls_raw "$P")" "ls -aU of the partition"
assert_eq "" "$(ls_raw "$P/.gt")" "ls -aU of .gt"
assert_eq "" "$(ls_raw "$P/.between/1900")" "ls -aU of .between/1900"
# What find, du, tar and rsync should see: the schema, partitions and items.
{
	echo Books
	echo Books/.schema
	echo 'Books/Moby Dick'
	for y in $ALL; do echo "Books/Moby Dick/$y"; done
	echo Books/Unwritten
	echo Books/Walden
	for y in 1854 1910 1995 2004; do echo "Books/Walden/$y"; done
} | LC_ALL=C sort >"$T/tree.expected"
(cd "$MNT" && find Books) | LC_ALL=C sort >"$T/tree.find"
assert_same_bytes "$T/tree.expected" "$T/tree.find"
(cd "$MNT" && du -a Books) | cut -f2- | LC_ALL=C sort >"$T/tree.du"
assert_same_bytes "$T/tree.expected" "$T/tree.du"
(cd "$MNT" && tar cf - Books) | tar tf - | sed 's:/$::' | LC_ALL=C sort >"$T/tree.tar"
assert_same_bytes "$T/tree.expected" "$T/tree.tar"
rsync -a --dry-run --out-format='%n' "$B" "$T/bk/" | sed 's:/$::' | LC_ALL=C sort >"$T/tree.rsync-n"
assert_same_bytes "$T/tree.expected" "$T/tree.rsync-n"
# And for real: the copy holds no view.
rsync -a "$B" "$T/bk/" || fail "rsync -a of the table failed"
(cd "$T/bk" && find Books) | LC_ALL=C sort >"$T/tree.rsync"
assert_same_bytes "$T/tree.expected" "$T/tree.rsync"

# ---- meaningless views: EINVAL, and a line in .errors naming the path -----------
ddb_step "meaningless views: EINVAL, and a line in .errors naming the path"
einval "$PR/.begins_with/19"
einval "$PR/.begins_with/1851"
einval "$PR/.between/2000/1900"
einval "$PR/.between/2000/1.9e3"
einval "$PR/.between/1971/1970.999"
einval "$PR/.gt/abc"
einval "$PR/.ge/19x"
einval "$PR/.lt/1e999"
einval "$PR/.le/--1"
einval "$PR/.between/abc/2000"
einval "$PR/.between/1900/abc"
einval "$PR/.limit/0"
einval "$PR/.limit/-1"
einval "$PR/.limit/x"
einval "$PR/.limit/1.5"
einval "$PR/.desc/.limit/0"
einval "$PR/.gt/1900/.between/2000/1999"
# The error stops the path where it is met: nothing below resolves.
expect_errno EINVAL stat "$P/.limit/0/.desc"
assert_error_logged "$PR/.limit/0" EINVAL
expect_errno EINVAL stat "$P/.gt/abc/2008"
assert_error_logged "$PR/.gt/abc" EINVAL
# The partition is untouched by all that.
assert_eq "$ALL" "$(ls -U "$P")" "partition after refused views"

# ---- hash-only tables have no views: the partition is an item ----------------------
ddb_step "hash-only tables have no views: the partition is an item"
ddb_mktable Cart ItemName S
echo '{"Price": {"N": "29.99"}}' >"$MNT/Cart/Elmo"
expect_errno ENOTDIR stat "$MNT/Cart/Elmo/.gt"
expect_errno ENOTDIR stat "$MNT/Cart/Elmo/.gt/1"
expect_errno ENOTDIR stat "$MNT/Cart/Elmo/.desc"
assert_eq Elmo "$(ls -U "$MNT/Cart")" "hash-only table"

# ---- views survive a remount (they are only queries) ----------------------------
ddb_step "views survive a remount (they are only queries)"
ddb_remount
P=$MNT/$PR
view_is "$PR/.ge/1900/.lt/2000/.desc/.limit/2" $'1999\n1971'
view_is "$PR/.desc" "$DESC"
einval "$PR/.limit/0"
ddb_umount
