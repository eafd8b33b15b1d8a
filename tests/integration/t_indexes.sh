#!/bin/bash
# t_indexes.sh - secondary indexes as symlink trees (SPEC section 7) on the
# book's Bonestorm table: hash Username, range Date; LSI ByHighScore
# (HighScore N); GSI ByAvatar (Avatar S).  Browsing, queries through views,
# sparse entries, refused types, every write path keeping the trees right,
# adding and dropping indexes on a populated table, and persistence.
source "$(dirname "$0")/lib.sh"

ddb_mount
B=$MNT/Bonestorm
mkdir "$B"
cat >"$B/.schema" <<'EOF'
{"TableName": "Bonestorm",
 "KeySchema": [{"AttributeName": "Username", "KeyType": "HASH"},
               {"AttributeName": "Date", "KeyType": "RANGE"}],
 "AttributeDefinitions": [{"AttributeName": "Username", "AttributeType": "S"},
                          {"AttributeName": "Date", "AttributeType": "S"},
                          {"AttributeName": "HighScore", "AttributeType": "N"},
                          {"AttributeName": "Avatar", "AttributeType": "S"}],
 "LocalSecondaryIndexes": [{"IndexName": "ByHighScore",
   "KeySchema": [{"AttributeName": "Username", "KeyType": "HASH"},
                 {"AttributeName": "HighScore", "KeyType": "RANGE"}],
   "Projection": {"ProjectionType": "ALL"}}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByAvatar",
   "KeySchema": [{"AttributeName": "Avatar", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "ALL"}}]}
EOF

# put USER DATE SCORE [AVATAR]
put() {
	local avatar=
	[[ -n ${4:-} ]] && avatar=", \"Avatar\": {\"S\": \"$4\"}"
	mkdir -p "$B/$1"
	echo "{\"HighScore\": {\"N\": \"$3\"}$avatar}" >"$B/$1/$2"
}
put h4x0rjimduggan 2024-01-01 850 Lion
put h4x0rjimduggan 2024-01-02 500 Tiger
put h4x0rjimduggan 2024-01-03 1200 Lion
put h4x0rjimduggan 2024-01-04 900          # no Avatar: not in ByAvatar
put alice 2024-02-01 950 Lion
put bob 2024-03-01 40 Bear

# describe ATTR INDEX: an index's figure from .schema.
describe() {
	python3 - "$B/.schema" "$1" "$2" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
for ix in t.get("GlobalSecondaryIndexes", []) + t.get("LocalSecondaryIndexes", []):
    if ix["IndexName"] == sys.argv[3]:
        print(ix[sys.argv[2]])
        break
else:
    print("absent")
EOF
}

index_active() {
	[[ $(describe IndexStatus "$1") == ACTIVE ]]
}

# ---- browsing: every level sorted, leaves are relative symlinks ----
assert_eq 'ByAvatar' "$(ls "$B/.index")" "ls .index"
assert_eq $'Bear\nLion\nTiger' "$(ls "$B/.index/ByAvatar")" "GSI partition keys"
assert_eq $'alice\nh4x0rjimduggan' "$(ls "$B/.index/ByAvatar/Lion")" "Avatar = Lion: players"
assert_eq $'2024-01-01\n2024-01-03' "$(ls "$B/.index/ByAvatar/Lion/h4x0rjimduggan")" "Lion's dates"
L=$B/.index/ByAvatar/Lion/h4x0rjimduggan/2024-01-01
[[ -L $L ]] || fail "a GSI leaf is not a symlink"
assert_eq '../../../../h4x0rjimduggan/2024-01-01' "$(readlink "$L")" "GSI link target"
assert_same_bytes "$L" "$B/h4x0rjimduggan/2024-01-01"
assert_eq "$(readlink "$L" | wc -c)" "$(($(stat -c %s "$L") + 1))" "symlink st_size"
assert_eq 'ByHighScore' "$(ls "$B/h4x0rjimduggan/.index")" "ls partition .index"
assert_eq $'500\n850\n900\n1200' "$(ls -U "$B/h4x0rjimduggan/.index/ByHighScore")" "LSI order (numbers)"
LL=$B/h4x0rjimduggan/.index/ByHighScore/850/2024-01-01
assert_eq '../../../2024-01-01' "$(readlink "$LL")" "LSI link target"
assert_same_bytes "$LL" "$B/h4x0rjimduggan/2024-01-01"

# The book's queries: Avatar = Lion, HighScore > 800.
assert_eq $'850\n900\n1200' "$(ls -U "$B/h4x0rjimduggan/.index/ByHighScore/.gt/800")" "HighScore > 800"
assert_eq $'1200\n900' "$(ls -U "$B/h4x0rjimduggan/.index/ByHighScore/.gt/800/.desc/.limit/2")" \
	"HighScore > 800, descending, limit 2"
assert_eq '500' "$(ls "$B/h4x0rjimduggan/.index/ByHighScore/.between/0/600")" "between"
assert_same_bytes "$B/h4x0rjimduggan/.index/ByHighScore/.gt/800/1200/2024-01-03" \
	"$B/h4x0rjimduggan/2024-01-03"
assert_eq '2024-01-01' "$(ls "$B/.index/ByAvatar/Lion/h4x0rjimduggan/.lt/2024-01-02")" \
	"view at the base sort key level"
n=$(cat "$B/h4x0rjimduggan/.index/ByHighScore/.gt/800"/*/* | grep -c HighScore)
assert_eq 3 "$n" "cat through a view of links"
expect_errno ENOENT stat "$B/h4x0rjimduggan/.index/ByHighScore/.gt/800/500"
expect_errno ENOENT stat "$B/.index/ByAvatar/Wolf"
expect_errno ENOENT stat "$B/.index/NoSuchIndex"
expect_errno ENOENT stat "$B/.index/ByAvatar/Lion/bob"

# ---- sparse, figures ----
[[ -z $(find "$B/.index/ByAvatar" -name 2024-01-04) ]] || fail "an item without Avatar is indexed"
assert_eq 5 "$(describe ItemCount ByAvatar)" "ByAvatar ItemCount"
assert_eq 6 "$(describe ItemCount ByHighScore)" "ByHighScore ItemCount"
assert_eq ACTIVE "$(describe IndexStatus ByAvatar)" "status"
[[ $(describe IndexSizeBytes ByAvatar) -gt 0 ]] || fail "IndexSizeBytes is 0"

# ---- never listed, never written ----
[[ -z $(ls -a "$B" | grep -x .index) ]] || fail ".index is listed"
[[ -z $(ls -a "$B/h4x0rjimduggan" | grep -x .index) ]] || fail "partition .index is listed"
[[ -z $(find "$B" -name '*Lion*') ]] || fail "find walked into .index"
expect_errno EROFS write "$B/.index/ByAvatar/Lion/x" '{}'
expect_errno EROFS mkdir "$B/.index/ByAvatar/Wolf"
expect_errno EROFS unlink "$L"
expect_errno EROFS rmdir "$B/.index/ByAvatar/Lion/alice"
expect_errno EROFS rename "$L" "$B/.index/ByAvatar/Lion/h4x0rjimduggan/x"
expect_errno EROFS mkdir "$B/.index/New"
assert_cmd_fails ln -s x "$B/.index/ByAvatar/Lion/y"
assert_exists "$B/h4x0rjimduggan/2024-01-01"

# ---- wrong types are refused, the item and its entries stay ----
before=$(cat "$B/alice/2024-02-01")
expect_errno write:EINVAL write "$B/alice/2024-02-01" '{"HighScore": {"N": "1"}, "Avatar": {"N": "7"}}'
expect_errno write:EINVAL write "$B/alice/2024-02-01" '{"HighScore": {"S": "high"}}'
assert_eq "$before" "$(cat "$B/alice/2024-02-01")" "refused write left the item"
assert_exists "$B/.index/ByAvatar/Lion/alice/2024-02-01"
assert_error_logged_any Bonestorm/alice/2024-02-01 EINVAL

# ---- every write path keeps the trees right ----
# Overwrite that moves an item between index partitions.
put alice 2024-02-01 960 Tiger
assert_eq 'h4x0rjimduggan' "$(ls "$B/.index/ByAvatar/Lion")" "old GSI entry gone"
assert_eq $'alice\nh4x0rjimduggan' "$(ls "$B/.index/ByAvatar/Tiger")" "new GSI entry"
assert_eq '960' "$(ls "$B/alice/.index/ByHighScore")" "LSI entry moved"
# Removing the index attribute takes the item out (sparse).
echo '{"HighScore": {"N": "960"}}' >"$B/alice/2024-02-01"
assert_eq 'h4x0rjimduggan' "$(ls "$B/.index/ByAvatar/Tiger")" "attribute removed"
# Delete: the entry goes, and an emptied index partition with it.
rm "$B/bob/2024-03-01"
assert_eq $'Lion\nTiger' "$(ls "$B/.index/ByAvatar")" "deleted item's partition gone"
# mv to another partition (another environment, most likely) and key.
mv "$B/h4x0rjimduggan/2024-01-03" "$B/alice/2024-02-05"
assert_eq $'alice\nh4x0rjimduggan' "$(ls "$B/.index/ByAvatar/Lion")" "mv: GSI follows"
assert_eq '2024-02-05' "$(ls "$B/.index/ByAvatar/Lion/alice")" "mv: new key"
assert_eq $'500\n850\n900' "$(ls -U "$B/h4x0rjimduggan/.index/ByHighScore")" "mv: LSI source"
assert_eq $'960\n1200' "$(ls -U "$B/alice/.index/ByHighScore")" "mv: LSI destination"
assert_same_bytes "$B/.index/ByAvatar/Lion/alice/2024-02-05" "$B/alice/2024-02-05"
# sed -i (a temporary file renamed onto the item).
sed -i 's/"Lion"/"Puma"/' "$B/h4x0rjimduggan/2024-01-01"
assert_eq $'Lion\nPuma\nTiger' "$(ls "$B/.index/ByAvatar")" "sed -i"
assert_eq '2024-01-01' "$(ls "$B/.index/ByAvatar/Puma/h4x0rjimduggan")" "sed -i entry"

# ---- pending items are indexed when the schema arrives ----
mkdir "$MNT/Late"
mkdir "$MNT/Late/p1"
echo '{"Tag": {"S": "red"}}' >"$MNT/Late/p1/1"
cat >"$MNT/Late/.schema" <<'EOF'
{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "S", "KeyType": "RANGE"}],
 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"},
   {"AttributeName": "S", "AttributeType": "N"}, {"AttributeName": "Tag", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByTag",
   "KeySchema": [{"AttributeName": "Tag", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]}
EOF
assert_eq '../../../../p1/1' "$(readlink "$MNT/Late/.index/ByTag/red/p1/1")" "held item indexed"

# An index key must be declared in AttributeDefinitions.
mkdir "$MNT/Undeclared"
expect_errno EINVAL write "$MNT/Undeclared/.schema" '{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}],
 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByX", "KeySchema": [{"AttributeName": "X", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "ALL"}}]}'

# ---- adding and dropping an index on a populated table ----
mkdir "$B/bulk"
for i in $(seq 1 300); do
	printf '{"HighScore": {"N": "%d"}, "Avatar": {"S": "a%d"}}' "$i" $((i % 7)) >"$B/bulk/$i"
done
python3 - "$B/.schema" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
t["GlobalSecondaryIndexes"].append({"IndexName": "ByAvatarScore",
    "KeySchema": [{"AttributeName": "Avatar", "KeyType": "HASH"},
                  {"AttributeName": "HighScore", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "KEYS_ONLY"}})
open(sys.argv[1], "w").write(json.dumps(t))
EOF
status=$(describe IndexStatus ByAvatarScore)
[[ $status == CREATING || $status == ACTIVE ]] || fail "new index status $status"
ddb_wait_for 300 index_active ByAvatarScore || fail "index never became ACTIVE"
assert_eq 303 "$(describe ItemCount ByAvatarScore)" "backfilled entries (300 bulk, 3 with Avatar)"
assert_eq $'5\n12\n19' "$(ls -U "$B/.index/ByAvatarScore/a5/.limit/3")" "backfilled GSI range level"
assert_eq $'299\n292' "$(ls -U "$B/.index/ByAvatarScore/a5/.desc/.limit/2")" "GSI range desc"
assert_eq '../../../../../bulk/12' "$(readlink "$B/.index/ByAvatarScore/a5/12/bulk/12")" "deep link"
assert_same_bytes "$B/.index/ByAvatarScore/a5/12/bulk/12" "$B/bulk/12"
# Writes after the build keep it.
printf '{"HighScore": {"N": "7777"}, "Avatar": {"S": "a5"}}' >"$B/bulk/12"
assert_eq '7777' "$(ls -U "$B/.index/ByAvatarScore/a5/.desc/.limit/1")" "maintained after build"
# Drop ByAvatar: it disappears, the other stays.
python3 - "$B/.schema" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
t["GlobalSecondaryIndexes"] = [g for g in t["GlobalSecondaryIndexes"] if g["IndexName"] != "ByAvatar"]
open(sys.argv[1], "w").write(json.dumps(t))
EOF
assert_eq 'ByAvatarScore' "$(ls "$B/.index")" "dropped index gone"
expect_errno ENOENT stat "$B/.index/ByAvatar"
assert_eq absent "$(describe IndexStatus ByAvatar)" "dropped index not described"
# Added again under the same name: built afresh, never meets the old entries.
python3 - "$B/.schema" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t = t.get("Table", t)
t["GlobalSecondaryIndexes"].append({"IndexName": "ByAvatar",
    "KeySchema": [{"AttributeName": "Avatar", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}})
open(sys.argv[1], "w").write(json.dumps(t))
EOF
ddb_wait_for 300 index_active ByAvatar || fail "re-added index never ACTIVE"
assert_eq 303 "$(describe ItemCount ByAvatar)" "re-added index count"

# ---- a hash-only table: N and B index keys ----
mkdir "$MNT/Cart"
echo '{"KeySchema": [{"AttributeName": "ItemName", "KeyType": "HASH"}],
 "AttributeDefinitions": [{"AttributeName": "ItemName", "AttributeType": "S"},
   {"AttributeName": "Price", "AttributeType": "N"}, {"AttributeName": "Kind", "AttributeType": "B"}],
 "GlobalSecondaryIndexes": [
   {"IndexName": "ByPrice", "KeySchema": [{"AttributeName": "Price", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"}},
   {"IndexName": "ByKind", "KeySchema": [{"AttributeName": "Kind", "KeyType": "HASH"},
    {"AttributeName": "Price", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]}' \
	>"$MNT/Cart/.schema"
echo '{"Price": {"N": "10"}, "Kind": {"B": "AAE="}}' >"$MNT/Cart/Tickle Me Elmo"
echo '{"Price": {"N": "2.5e3"}, "Kind": {"B": "AAE="}}' >"$MNT/Cart/1975 Buick LeSabre"
assert_eq '../../../Tickle Me Elmo' "$(readlink "$MNT/Cart/.index/ByPrice/10/Tickle Me Elmo")" \
	"hash-only GSI link"
assert_eq $'10\n2500' "$(ls -U "$MNT/Cart/.index/ByKind/AAE")" "B partition, N range"
assert_eq '2500' "$(ls "$MNT/Cart/.index/ByKind/AAE/.gt/1e2")" "view on an N range key"
assert_same_bytes "$MNT/Cart/.index/ByKind/AAE/2500/1975 Buick LeSabre" "$MNT/Cart/1975 Buick LeSabre"

# ---- table rename, remount ----
mv "$B" "$MNT/Bonestorm2"
B=$MNT/Bonestorm2
assert_same_bytes "$B/.index/ByAvatar/Puma/h4x0rjimduggan/2024-01-01" "$B/h4x0rjimduggan/2024-01-01"
ddb_remount
assert_eq $'Lion\nPuma\nTiger\na0\na1\na2\na3\na4\na5\na6' "$(ls "$B/.index/ByAvatar")" "after remount"
assert_eq ACTIVE "$(describe IndexStatus ByAvatarScore)" "status after remount"
assert_eq '7777' "$(ls -U "$B/.index/ByAvatarScore/a5/.desc/.limit/1")" "entries after remount"
assert_same_bytes "$B/h4x0rjimduggan/.index/ByHighScore/850/2024-01-01" "$B/h4x0rjimduggan/2024-01-01"
ddb_umount
