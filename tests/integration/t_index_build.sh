#!/bin/bash
# t_index_build.sh - an index added to a populated table is built in the
# background (SPEC section 7, issue 4): CREATING, then ACTIVE; reading it
# meanwhile is EAGAIN; other tables and the table's own items stay readable
# and writable; a kill -9 in the middle resumes the build after a remount,
# and the finished index holds exactly the items that have its key.
# One item per backfill commit (DDBFS_INDEX_BATCH=1) makes the build slow
# enough to be seen.
source "$(dirname "$0")/lib.sh"

export DDBFS_INDEX_BATCH=1
ITEMS=3000

ddb_mount
ddb_mktable Big P S K N
ddb_mktable Other P S
python3 - "$MNT/Big" "$ITEMS" <<'EOF'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
for p in range(10):
    os.mkdir(os.path.join(top, "p%d" % p))
for i in range(n):
    color = '"Color": {"S": "c%d"}, ' % (i % 5) if i % 3 else ""
    with open(os.path.join(top, "p%d" % (i % 10), str(i)), "w") as f:
        f.write('{%s"V": {"N": "%d"}}' % (color, i))
EOF
want=$(( ITEMS - (ITEMS + 2) / 3 ))	# items with a Color: i % 3 != 0

add_index() {
	python3 - "$MNT/Big/.schema" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
t["AttributeDefinitions"].append({"AttributeName": "Color", "AttributeType": "S"})
t["GlobalSecondaryIndexes"] = [{"IndexName": "ByColor",
    "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"}}]
open(sys.argv[1], "w").write(json.dumps(t))
EOF
}

figure() {
	python3 - "$MNT/Big/.schema" "$1" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
print(t["GlobalSecondaryIndexes"][0][sys.argv[2]])
EOF
}

add_index
# Reading a building index is EAGAIN; the build may just have finished in a
# fast build, in which case the index must be ACTIVE by now.
if got=$(python3 "$DDB_IT_DIR/fsop.py" stat "$MNT/Big/.index/ByColor" 2>&1); then
	assert_eq ACTIVE "$(figure IndexStatus)" "readable index is ACTIVE"
else
	assert_eq stat:EAGAIN "$got" "reading a CREATING index"
	assert_error_logged_any Big/.index/ByColor EAGAIN
fi
# The building table and other tables serve reads and writes meanwhile.
echo '{"X": {"S": "y"}}' >"$MNT/Other/during"
assert_exists "$MNT/Other/during"
echo '{"Color": {"S": "c9"}, "V": {"N": "1"}}' >"$MNT/Big/p1/100001"
want=$((want + 1))
grep -q '"V"' "$MNT/Big/p3/3" || fail "cannot read the table being indexed"

# Killed in the middle, the build resumes where its last commit left it.
sleep 0.5
[[ $(figure IndexStatus) == CREATING ]] || echo "note: the build finished before the kill"
ddb_kill9
ddb_mount
ddb_wait_for 1200 eval '[[ $(figure IndexStatus) == ACTIVE ]]' || fail "index never became ACTIVE"
assert_eq "$want" "$(figure ItemCount)" "ItemCount of the finished index"
n=$(find "$MNT/Big/.index/ByColor" -type l | wc -l)
assert_eq "$want" "$n" "links in the finished index"
assert_eq $'c0\nc1\nc2\nc3\nc4\nc9' "$(ls "$MNT/Big/.index/ByColor")" "index partitions"
assert_eq '../../../../p1/100001' "$(readlink "$MNT/Big/.index/ByColor/c9/p1/100001")" \
	"an item written during the build"
ddb_umount
