#!/bin/bash
# t_pending.sh - items written into a table before its .schema are held,
# checked and committed when .schema is written; those that fail then are
# reported in .errors; held items are not kept across a remount (SPEC
# section 2, README decision).
source "$(dirname "$0")/lib.sh"

ddb_mount
mkdir "$MNT/Pending"
echo '{"Note": {"S": "early"}}' >"$MNT/Pending/k1"
echo '{"Note": {"S": "also early"}, "Isbn": {"S": "978-1"}}' >"$MNT/Pending/k3"
# Valid DynamoDB JSON, but its Isbn will be the wrong type for the index.
echo '{"Isbn": {"N": "978"}}' >"$MNT/Pending/k2"
assert_listed "$MNT/Pending" k1
assert_listed "$MNT/Pending" k2

cat >"$MNT/Pending/.schema" <<'JSON'
{"KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
 "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"},
                          {"AttributeName": "Isbn", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByIsbn",
   "KeySchema": [{"AttributeName": "Isbn", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "ALL"}}]}
JSON
k1='{
  "Id": {"S": "k1"},
  "Note": {"S": "early"}
}
'
k3='{
  "Id": {"S": "k3"},
  "Isbn": {"S": "978-1"},
  "Note": {"S": "also early"}
}
'
assert_file_eq "$MNT/Pending/k1" "$k1"
assert_file_eq "$MNT/Pending/k3" "$k3"
assert_error_logged_any Pending/k2 EINVAL
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["ItemCount"] != 2)' \
	"$MNT/Pending/.schema" || fail "ItemCount after commit is not 2: $(cat "$MNT/Pending/.schema")"

# A table still without a schema at unmount loses its held items.
mkdir "$MNT/Later"
echo '{"Note": {"S": "held"}}' >"$MNT/Later/x"
assert_listed "$MNT/Later" x

ddb_remount
assert_file_eq "$MNT/Pending/k1" "$k1"
assert_file_eq "$MNT/Pending/k3" "$k3"
assert_missing "$MNT/Pending/k2"
assert_eq $'k1\nk3' "$(ls -U "$MNT/Pending")" "Pending after remount"
assert_missing "$MNT/Later/x"
ddb_umount
