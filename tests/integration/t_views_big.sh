#!/bin/bash
# t_views_big.sh - views on a partition of 20,000 items (SPEC section 6: "the
# cost of a view is that of the items it returns").  A .limit/5 view and a
# .between of 10 items must give the right 5 and 10 items from either end
# and from the middle; times are printed for information, never asserted
# (bench/run-views.sh measures them).  The whole partition through .desc
# checks that a long view streams in order across many readdir calls.
source "$(dirname "$0")/lib.sh"

PY=$DDB_PY
N=20000

ddb_mount
ddb_mktable Big P S K N
PR=Big/big
P=$MNT/$PR
mkdir "$P"
# Keys 0, 2, 4, ... 39998 (even, so bounds can fall between keys), written
# in a shuffled order through open/write/close as a shell would.
"$PY" - "$P" "$N" <<'EOF'
import os, random, sys
part, n = sys.argv[1], int(sys.argv[2])
keys = [2 * i for i in range(n)]
random.Random(7).shuffle(keys)
for k in keys:
    fd = os.open(os.path.join(part, str(k)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b'{"Payload": {"S": "item %d"}}' % k)
    os.close(fd)
EOF

# seq_names FIRST STEP LAST: the expected names, one a line.
seq_names() { seq "$1" "$2" "$3"; }

# small_view_is REL WANT: MNT/REL lists WANT in order (ls -U and python's
# listdir), and every entry reads as the partition's item of that name.
small_view_is() {
	local rel=$1 want=$2 dir=$MNT/$1 got t0 t1 f
	[[ -d $dir ]] || fail "$rel: not a directory"
	t0=${EPOCHREALTIME/./}
	got=$(ls -U "$dir") || fail "ls -U $rel failed"
	t1=${EPOCHREALTIME/./}
	assert_eq "$want" "$got" "ls -U $rel"
	got=$("$PY" -c 'import os, sys; print("\n".join(os.listdir(sys.argv[1])))' "$dir") ||
		fail "listdir $rel failed"
	assert_eq "$want" "$got" "listdir $rel"
	for f in $want; do
		cmp -s "$P/$f" "$dir/$f" || fail "$rel/$f does not read as the item"
	done
	echo "info: ls -U $rel: $(wc -l <<<"$want") entries in $(((t1 - t0) / 1000)) ms"
}

small_view_is "$PR/.limit/5" "$(seq_names 0 2 8)"
small_view_is "$PR/.desc/.limit/5" "$(seq_names 39998 -2 39990)"
small_view_is "$PR/.between/20000/20018" "$(seq_names 20000 2 20018)"
small_view_is "$PR/.between/19999/20019" "$(seq_names 20000 2 20018)"
small_view_is "$PR/.between/20000/20018/.desc" "$(seq_names 20018 -2 20000)"
small_view_is "$PR/.gt/39988" "$(seq_names 39990 2 39998)"
small_view_is "$PR/.lt/20000/.desc/.limit/3" $'19998\n19996\n19994'
small_view_is "$PR/.ge/20000/.limit/10/.desc" "$(seq_names 20018 -2 20000)"
small_view_is "$PR/.limit/5/.gt/30001" "$(seq_names 30002 2 30010)"
small_view_is "$PR/.desc/.limit/5/.lt/101" "$(seq_names 100 -2 92)"
cat "$P/.between/20000/20018/"* >"$T/between.cat"
for k in $(seq_names 20000 2 20018); do cat "$P/$k"; done >"$T/between.expected"
assert_same_bytes "$T/between.expected" "$T/between.cat"

# Long views stream: every key once, in order, across many getdents calls.
"$PY" - "$P" "$N" <<'EOF' || fail "long views are not the whole partition in order"
import os, sys
part, n = sys.argv[1], int(sys.argv[2])
asc = [str(2 * i) for i in range(n)]
def check(rel, want):
    got = os.listdir(os.path.join(part, rel)) if rel else os.listdir(part)
    if got != want:
        bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        sys.exit("%s: %d names, expected %d; first difference at %d: %s vs %s"
                 % (rel or "partition", len(got), len(want), bad, got[bad:bad + 3], want[bad:bad + 3]))
check("", asc)
check(".desc", asc[::-1])
check(".ge/10000", asc[5000:])
check(".lt/30000/.desc", asc[:15000][::-1])
check(".desc/.limit/12345", asc[::-1][:12345])
check(".limit/12345/.desc", asc[:12345][::-1])
EOF
assert_eq "$N" "$(ls -U "$P/.desc" | wc -l)" "ls -U .desc | wc -l"
assert_eq 39998 "$(ls -U "$P/.desc" | sed -n 1p)" "first of .desc"
ddb_umount
