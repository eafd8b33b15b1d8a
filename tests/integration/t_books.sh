#!/bin/bash
# t_books.sh - a hash+range table: partitions as directories, items as files,
# number names in any equal form, .schema as describe-table, and the table
# operations rmdir, rm -r and mv (SPEC sections 2-4).
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Books Title S PublishYear N
B=$MNT/Books

mkdir "$B/Moby Dick"
# The decision's example: a non-canonical number is stored canonically.
printf '{"Title":{"S":"Moby Dick"},"PublishYear":{"N":"1851.0"},"ISBN":{"S":"978-0-14-243724-7"},"Note":{"S":"first edition"}}' \
	>"$B/Moby Dick/1851"
echo '{"ISBN": {"S": "978-0-393-97283-2"}, "Note": {"S": "Norton critical"}}' >"$B/Moby Dick/1971"
echo '{"PublishYear": {"N": "2008"}, "ISBN": {"S": "978-0-14-310595-4"},
       "Note": {"S": "Penguin classics"}}' >"$B/Moby Dick/2008"

assert_eq $'1851\n1971\n2008' "$(ls "$B/Moby Dick")" "ls partition"
assert_eq 'Moby Dick' "$(ls "$B")" "ls table"
m1851='{
  "ISBN": {"S": "978-0-14-243724-7"},
  "Note": {"S": "first edition"},
  "PublishYear": {"N": "1851"},
  "Title": {"S": "Moby Dick"}
}
'
assert_file_eq "$B/Moby Dick/1851" "$m1851"
assert_file_eq "$B/Moby Dick/1971" '{
  "ISBN": {"S": "978-0-393-97283-2"},
  "Note": {"S": "Norton critical"},
  "PublishYear": {"N": "1971"},
  "Title": {"S": "Moby Dick"}
}
'
for y in 1851 1971 2008; do
	assert_eq "$(cat "$B/Moby Dick/$y" | wc -c)" "$(stat -c %s "$B/Moby Dick/$y")" "stat size of $y"
	assert_eq "$(wc -c <"$B/Moby Dick/$y")" "$(stat -c %s "$B/Moby Dick/$y")" "wc -c of $y"
done
# head -c and dd rely on st_size matching what read returns.
assert_eq "$(head -c 1000 "$B/Moby Dick/1851")" "$(cat "$B/Moby Dick/1851")" "head -c"

# Any equal form of a number finds the item named by the canonical form.
assert_file_eq "$B/Moby Dick/1.851e3" "$m1851"
assert_file_eq "$B/Moby Dick/01851" "$m1851"
assert_file_eq "$B/Moby Dick/1851.000" "$m1851"
expect_errno ENOENT stat "$B/Moby Dick/1852"

# .schema reads as describe-table's "Table".
python3 - "$B/.schema" <<'EOF' || fail ".schema is not the expected describe-table JSON"
import json, sys
t = json.load(open(sys.argv[1]))
def check(cond, what):
    if not cond:
        sys.exit(".schema: %s (got %s)" % (what, json.dumps(t)))
check(t.get("TableName") == "Books", "TableName")
check(t.get("TableStatus") == "ACTIVE", "TableStatus")
check(t.get("ItemCount") == 3 and type(t.get("ItemCount")) is int, "ItemCount 3")
check(isinstance(t.get("TableSizeBytes"), int) and t["TableSizeBytes"] > 0, "TableSizeBytes")
check("CreationDateTime" in t, "CreationDateTime")
check(t.get("KeySchema") == [{"AttributeName": "Title", "KeyType": "HASH"},
                             {"AttributeName": "PublishYear", "KeyType": "RANGE"}], "KeySchema")
ad = sorted(t.get("AttributeDefinitions", []), key=lambda a: a["AttributeName"])
check(ad == [{"AttributeName": "PublishYear", "AttributeType": "N"},
             {"AttributeName": "Title", "AttributeType": "S"}], "AttributeDefinitions")
check(isinstance(t.get("Partitions"), int) and t["Partitions"] >= 1, "Partitions")
EOF
assert_eq "$(cat "$B/.schema" | wc -c)" "$(stat -c %s "$B/.schema")" ".schema stat size"

# .schema is listed first, so tar and rsync carry it ahead of the items.
assert_eq $'.schema\nMoby Dick' "$(ls_raw "$B")" "ls -aU Books"

# The key schema cannot change once set; the schema stays as it was.
cp "$B/.schema" "$T/schema.before"
expect_errno EPERM write "$B/.schema" \
	'{"KeySchema": [{"AttributeName": "Author", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "Author", "AttributeType": "S"}]}'
expect_errno EPERM write "$B/.schema" \
	'{"KeySchema": [{"AttributeName": "Title", "KeyType": "HASH"}, {"AttributeName": "PublishYear", "KeyType": "RANGE"}], "AttributeDefinitions": [{"AttributeName": "Title", "AttributeType": "S"}, {"AttributeName": "PublishYear", "AttributeType": "S"}]}'
python3 - "$T/schema.before" "$B/.schema" <<'EOF' || fail ".schema changed after a refused rewrite"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a["KeySchema"] == b["KeySchema"] and a["AttributeDefinitions"] == b["AttributeDefinitions"] else 1)
EOF
# Writing the same key schema again is fine (that is how indexes change).
ddb_mktable_schema_again() {
	printf '{"KeySchema": [{"AttributeName": "Title", "KeyType": "HASH"}, {"AttributeName": "PublishYear", "KeyType": "RANGE"}], "AttributeDefinitions": [{"AttributeName": "Title", "AttributeType": "S"}, {"AttributeName": "PublishYear", "AttributeType": "N"}]}' \
		>"$B/.schema"
}
ddb_mktable_schema_again
assert_file_eq "$B/Moby Dick/1851" "$m1851"

# rmdir of a table with items fails; rm -r works (rm .schema is a no-op).
expect_errno ENOTEMPTY rmdir "$B"
expect_errno ENOTEMPTY rmdir "$B/Moby Dick"
assert_file_eq "$B/Moby Dick/1851" "$m1851"

# mv renames a table; its items and schema follow.
mv "$B" "$MNT/Books2"
assert_missing "$B"
assert_eq Books2 "$(ls "$MNT")" "tables after mv"
assert_file_eq "$MNT/Books2/Moby Dick/1851" "$m1851"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["TableName"] != "Books2")' \
	"$MNT/Books2/.schema" || fail "TableName after mv is not Books2"

ddb_remount
assert_eq Books2 "$(ls "$MNT")" "tables after mv and remount"
assert_file_eq "$MNT/Books2/Moby Dick/1851" "$m1851"
assert_eq $'1851\n1971\n2008' "$(ls -U "$MNT/Books2/Moby Dick")" "partition after remount"

rm -r "$MNT/Books2"
assert_missing "$MNT/Books2"
assert_eq "" "$(ls "$MNT")" "tables after rm -r"

# An empty table (schema set, no items) can be removed with rmdir.
ddb_mktable Empty Id S
rmdir "$MNT/Empty"
assert_missing "$MNT/Empty"
# ... and one without a schema.
mkdir "$MNT/Bare"
rmdir "$MNT/Bare"

ddb_remount
assert_eq "" "$(ls "$MNT")" "tables after rm -r and remount"
ddb_umount
