#!/bin/bash
# t_shoppingcart.sh - a hash-only table driven with mkdir, echo, ls, cat, rm
# (SPEC sections 2, 3, 8), and that it all survives a remount.
source "$(dirname "$0")/lib.sh"

ddb_mount

mkdir "$MNT/ShoppingCart"
# The schema does not exist until written (README decision).
assert_missing "$MNT/ShoppingCart/.schema"
echo '{"TableName": "ShoppingCart",
  "KeySchema": [{"AttributeName": "ItemName", "KeyType": "HASH"}],
  "AttributeDefinitions": [{"AttributeName": "ItemName", "AttributeType": "S"}],
  "BillingMode": "PAY_PER_REQUEST"}' >"$MNT/ShoppingCart/.schema"
assert_eq ShoppingCart "$(ls "$MNT")" "tables listed at the root"

cd "$MNT/ShoppingCart"
# Key attribute left out on purpose: the path gives it.
echo '{"Price": {"N": "29.99"}, "Quantity": {"N": "1"}}' >'Tickle Me Elmo'
echo '{"ItemName": {"S": "1975 Buick LeSabre"}, "Price": {"N": "1.5e3"},
       "Features": {"SS": ["power steering", "AM radio"]}}' >'1975 Buick LeSabre'
echo '{"Price":{"N":"120.00"},"Discs":{"N":"10"},"InStock":{"BOOL":true}}' \
	>'Ken Burns: the Complete Box Set'

# ls sorts by name; ls -U shows readdir order, which is key (byte) order.
assert_eq $'1975 Buick LeSabre\nKen Burns: the Complete Box Set\nTickle Me Elmo' \
	"$(ls)" "ls"
assert_eq $'1975 Buick LeSabre\nKen Burns: the Complete Box Set\nTickle Me Elmo' \
	"$(ls -U)" "ls -U (key order)"

elmo='{
  "ItemName": {"S": "Tickle Me Elmo"},
  "Price": {"N": "29.99"},
  "Quantity": {"N": "1"}
}
'
buick='{
  "Features": {"SS": ["AM radio", "power steering"]},
  "ItemName": {"S": "1975 Buick LeSabre"},
  "Price": {"N": "1500"}
}
'
kenburns='{
  "Discs": {"N": "10"},
  "InStock": {"BOOL": true},
  "ItemName": {"S": "Ken Burns: the Complete Box Set"},
  "Price": {"N": "120"}
}
'
assert_file_eq 'Tickle Me Elmo' "$elmo"
assert_file_eq '1975 Buick LeSabre' "$buick"
assert_file_eq 'Ken Burns: the Complete Box Set' "$kenburns"
# Same bytes every time.
assert_eq "$(cat 'Tickle Me Elmo' | md5sum)" "$(cat 'Tickle Me Elmo' | md5sum)" "re-read"
assert_eq "${#elmo}" "$(stat -c %s 'Tickle Me Elmo')" "stat size"

# Overwrite replaces the whole item (a put, not a merge).
echo '{"Price": {"N": "24.5"}}' >'Tickle Me Elmo'
assert_file_eq 'Tickle Me Elmo' '{
  "ItemName": {"S": "Tickle Me Elmo"},
  "Price": {"N": "24.5"}
}
'

# A hash-only table has no partition directories (README decision).
expect_errno EPERM mkdir "$MNT/ShoppingCart/Some Dir"

rm '1975 Buick LeSabre'
assert_missing '1975 Buick LeSabre'
assert_eq $'Ken Burns: the Complete Box Set\nTickle Me Elmo' "$(ls -U)" "ls after rm"
expect_errno ENOENT unlink "$MNT/ShoppingCart/1975 Buick LeSabre"
cd /

ddb_remount
assert_eq $'Ken Burns: the Complete Box Set\nTickle Me Elmo' "$(ls -U "$MNT/ShoppingCart")" \
	"ls after remount"
assert_file_eq "$MNT/ShoppingCart/Ken Burns: the Complete Box Set" "$kenburns"
assert_file_eq "$MNT/ShoppingCart/Tickle Me Elmo" '{
  "ItemName": {"S": "Tickle Me Elmo"},
  "Price": {"N": "24.5"}
}
'
assert_missing "$MNT/ShoppingCart/1975 Buick LeSabre"
ddb_umount
