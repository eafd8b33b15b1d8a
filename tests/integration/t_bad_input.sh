#!/bin/bash
# t_bad_input.sh - every input SPEC sections 4 and 9 refuse: the right errno
# from the right call, the stored item byte-identical afterwards, and a line
# naming the path in MNT/.errors.  Also O_EXCL (noclobber) as put-if-absent.
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Books Title S PublishYear N
mkdir "$MNT/Books/Moby Dick"
ITEM=$MNT/Books/Moby\ Dick/1851
REL='Books/Moby Dick/1851'
echo '{"Note": {"S": "first edition"}, "Tags": {"SS": ["whale"]}}' >"$ITEM"
cp "$ITEM" "$T/stored"
assert_exists "$T/stored"

# refused WANT JSON: writing JSON to the stored item fails with WANT
# (errno, or call:errno), leaves the item as it was and is logged.
refused() {
	local want=$1 json=$2
	expect_errno "$want" write "$ITEM" "$json"
	assert_same_bytes "$T/stored" "$ITEM"
	assert_error_logged "$REL" "${want#*:}"
}

# -- malformed JSON fails write() itself, so even bash's echo reports it.
refused write:EINVAL '{bad'
refused write:EINVAL 'oops'
refused write:EINVAL '{"Note": }'
refused write:EINVAL '{"Note": {"S": "a"}} trailing'
# Whole items are parsed before the byte-wise check (fs/file_write.c): text
# that ends like an object but is not one still fails the write.
refused write:EINVAL '{"Note": {"S": "a"}} }'
refused write:EINVAL '{"Note": {"S": "a"}}{"Note": {"S": "b"}}'
refused EINVAL '[1, 2]'
if bash -c 'echo oops >"$1"' _ "$ITEM" 2>"$T/echo.err"; then
	fail "echo oops > item: exit status 0, expected failure"
fi
grep -q 'write error' "$T/echo.err" || fail "echo oops > item: no write error printed: $(cat "$T/echo.err")"
assert_same_bytes "$T/stored" "$ITEM"
assert_error_logged "$REL" EINVAL

# -- unfinished JSON can only be judged whole: close() fails.
refused close:EINVAL '{"Note": {"S": "abc"'
refused close:EINVAL '{'
# Tools that check close() report it: cat, cp, dd, tee.
printf '{"Note": {"S": "unfinished"}' >"$T/unfinished.json"
assert_cmd_fails cp "$T/unfinished.json" "$ITEM"
assert_cmd_fails dd status=none if="$T/unfinished.json" of="$ITEM"
assert_cmd_fails bash -c 'cat "$1" >"$2"' _ "$T/unfinished.json" "$ITEM"
assert_cmd_fails bash -c 'tee "$2" <"$1" >/dev/null' _ "$T/unfinished.json" "$ITEM"
assert_same_bytes "$T/stored" "$ITEM"

# -- data rules (section 4): complete JSON, refused as a whole.
d39=123456789012345678901234567890123456789
refused EINVAL "{\"Note\": {\"N\": \"$d39\"}}"
refused EINVAL "{\"Note\": {\"N\": \"-$d39\"}}"
refused EINVAL '{"Note": {"N": "1E126"}}'
refused EINVAL '{"Note": {"N": "-1E126"}}'
refused EINVAL '{"Note": {"N": "1E-131"}}'
refused EINVAL '{"Note": {"N": "abc"}}'
refused EINVAL '{"Note": {"N": ""}}'
refused EINVAL '{"Note": {"SS": []}}'
refused EINVAL '{"Note": {"NS": []}}'
refused EINVAL '{"Note": {"SS": ["a", "a"]}}'
refused EINVAL '{"Note": {"NS": ["1", "1.0"]}}'
refused EINVAL '{"Note": {"BS": ["AQ==", "AQ=="]}}'
refused EINVAL '{"Note": {"X": "1"}}'
refused EINVAL '{"Note": {"S": "a", "N": "1"}}'
refused EINVAL '{"Note": {}}'
refused EINVAL '{"Note": 5}'
refused EINVAL '{"Note": {"N": 5}}'
refused EINVAL '{"Note": "plain string"}'
refused EINVAL '{"Note": {"B": "not base64!"}}'
refused EINVAL '{"Note": {"BOOL": "yes"}}'
refused EINVAL '{"Note": {"NULL": false}}'
refused EINVAL '{"": {"S": "empty name"}}'
refused EINVAL '{"Note": {"L": [1]}}'

# Nesting: 32 levels of maps are allowed, 33 are not.
nested() {
	local depth=$1 v='{"S": "deep"}'
	for ((i = 0; i < depth; i++)); do v="{\"M\": {\"a\": $v}}"; done
	printf '{"Deep": %s}' "$v"
}
refused EINVAL "$(nested 33)"
expect_ok write "$MNT/Books/Moby Dick/1932" "$(nested 32)"
grep -q '"deep"' "$MNT/Books/Moby Dick/1932" || fail "32-deep item does not read back"

# Size: DynamoDB counts names plus values; 400 KB = 409600 bytes.
head -c 410000 /dev/zero | tr '\0' x >"$T/big.txt"
{ printf '{"Big": {"S": "'; cat "$T/big.txt"; printf '"}}'; } >"$T/big.json"
refused EFBIG "@$T/big.json"
head -c 400000 /dev/zero | tr '\0' y >"$T/fits.txt"
{ printf '{"Big": {"S": "'; cat "$T/fits.txt"; printf '"}}'; } >"$T/fits.json"
expect_ok write "$MNT/Books/Moby Dick/1400" "@$T/fits.json"
assert_eq "$(stat -c %s "$MNT/Books/Moby Dick/1400")" "$(cat "$MNT/Books/Moby Dick/1400" | wc -c)" \
	"size of a 400000-byte item"
{
	printf '{\n  "Big": {"S": "'
	cat "$T/fits.txt"
	printf '"},\n  "PublishYear": {"N": "1400"},\n  "Title": {"S": "Moby Dick"}\n}\n'
} >"$T/fits.canon"
assert_same_bytes "$T/fits.canon" "$MNT/Books/Moby Dick/1400"

# -- a refused write to a new name leaves no item behind.
expect_errno write:EINVAL write "$MNT/Books/Moby Dick/1900" '{oops'
assert_missing "$MNT/Books/Moby Dick/1900"
expect_errno EINVAL write "$MNT/Books/Moby Dick/1901" '{"Note": {"NS": []}}'
assert_missing "$MNT/Books/Moby Dick/1901"
assert_error_logged 'Books/Moby Dick/1901' EINVAL

# -- index keys must have the declared type and be non-empty.
mkdir "$MNT/Indexed"
cat >"$MNT/Indexed/.schema" <<'EOF'
{"KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
 "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "S"},
                          {"AttributeName": "Isbn", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByIsbn",
   "KeySchema": [{"AttributeName": "Isbn", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "ALL"}}]}
EOF
echo '{"Isbn": {"S": "978-0"}}' >"$MNT/Indexed/a"
cp "$MNT/Indexed/a" "$T/stored_a"
expect_errno EINVAL write "$MNT/Indexed/a" '{"Isbn": {"N": "978"}}'
assert_same_bytes "$T/stored_a" "$MNT/Indexed/a"
assert_error_logged 'Indexed/a' EINVAL
expect_errno EINVAL write "$MNT/Indexed/a" '{"Isbn": {"S": ""}}'
assert_same_bytes "$T/stored_a" "$MNT/Indexed/a"
assert_error_logged 'Indexed/a' EINVAL

# -- names (sections 2, 3, 9).
long=$(printf 'a%.0s' {1..256})
mkdir "$MNT/Carts"
echo '{"KeySchema": [{"AttributeName": "K", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "K", "AttributeType": "S"}]}' \
	>"$MNT/Carts/.schema"
expect_errno ENAMETOOLONG write "$MNT/Carts/$long" '{}'
assert_error_logged "Carts/$long" ENAMETOOLONG
expect_errno ENAMETOOLONG mkdir "$MNT/Books/$long"
# 255 bytes is fine.
expect_ok write "$MNT/Carts/${long:1}" '{}'
assert_exists "$MNT/Carts/${long:1}"

for bad in ab .abc 'a b' 'semi;colon' 'ümlaut'; do
	expect_errno EINVAL mkdir "$MNT/$bad"
	assert_error_logged "$bad" EINVAL
	assert_missing "$MNT/$bad"
done
expect_errno ENAMETOOLONG mkdir "$MNT/$long"
expect_errno ENOENT write "$MNT/NoSuchTable/x" '{}'
expect_errno ENOENT write "$MNT/NoSuchTable/p/1" '{}'

# -- bad schemas are refused too; the table stays schemaless.
mkdir "$MNT/Schemaless"
expect_errno EINVAL write "$MNT/Schemaless/.schema" '{"KeySchema": []}'
assert_error_logged 'Schemaless/.schema' EINVAL
expect_errno EINVAL write "$MNT/Schemaless/.schema" '{"TableName": "Other", "KeySchema": [{"AttributeName": "K", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "K", "AttributeType": "S"}]}'
expect_errno EINVAL write "$MNT/Schemaless/.schema" '{"KeySchema": [{"AttributeName": "K", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "K", "AttributeType": "Q"}]}'
expect_errno write:EINVAL write "$MNT/Schemaless/.schema" '{nope'
assert_missing "$MNT/Schemaless/.schema"

# .errors is resolvable but never listed (backups skip it).
assert_not_listed "$MNT" .errors
[[ -s $MNT/.errors ]] || fail ".errors is empty"

# -- O_EXCL is put-if-absent.
expect_errno EEXIST excl "$ITEM" '{"Note": {"S": "clobbered"}}'
assert_same_bytes "$T/stored" "$ITEM"
if bash -c 'set -o noclobber; echo "{}" >"$1"' _ "$ITEM" 2>/dev/null; then
	fail "noclobber echo > existing item succeeded"
fi
assert_same_bytes "$T/stored" "$ITEM"
expect_ok excl "$MNT/Books/Moby Dick/1960" '{"Note": {"S": "new"}}'
bash -c 'set -o noclobber; echo "{\"Note\": {\"S\": \"noclobber\"}}" >"$1"' _ "$MNT/Books/Moby Dick/1961"
assert_file_eq "$MNT/Books/Moby Dick/1961" '{
  "Note": {"S": "noclobber"},
  "PublishYear": {"N": "1961"},
  "Title": {"S": "Moby Dick"}
}
'

# After all that, the item takes a good write, and everything survives a
# remount unchanged.
echo '{"Note": {"S": "second edition"}}' >"$ITEM"
assert_file_eq "$ITEM" '{
  "Note": {"S": "second edition"},
  "PublishYear": {"N": "1851"},
  "Title": {"S": "Moby Dick"}
}
'
cp "$ITEM" "$T/stored"
ddb_remount
assert_same_bytes "$T/stored" "$ITEM"
assert_same_bytes "$T/stored_a" "$MNT/Indexed/a"
assert_missing "$MNT/Books/Moby Dick/1900"
assert_eq $'1400\n1851\n1932\n1960\n1961' "$(ls -U "$MNT/Books/Moby Dick")" "items after remount"
ddb_umount
