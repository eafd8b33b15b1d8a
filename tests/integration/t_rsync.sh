#!/bin/bash
# t_rsync.sh - nightly backups and restores with the real rsync (SPEC section
# 10, issue 5): `rsync -a MNT/ BK/` copies every table with its .schema and
# never an index tree, a view or .errors; a run with nothing changed
# transfers no file; after one item changes, that item (and, when its size
# changed, its table's .schema, whose TableSizeBytes then changed) is all
# that moves.  `rsync -a BK/ EMPTY/` restores everything, keys whose names
# sort before ".schema" included, rebuilds the GSI and leaves `diff -r`
# clean; so do --delete, --inplace, --checksum and -H over a changed mount.
source "$(dirname "$0")/lib.sh"

# First characters that sort before ".schema" (space ! # % -) or need
# escaping (a leading dot is %2E, % is %25), and non-ASCII.
FIRSTS=(' x' '!x' '#x' '%25x' '-x' '%2Ex' 'éx' '日本' 'zz')

make_tables() {
	mkdir "$MNT/Games"
	cat >"$MNT/Games/.schema" <<-'EOF'
	{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "K", "KeyType": "RANGE"}],
	 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"},
	   {"AttributeName": "K", "AttributeType": "S"}, {"AttributeName": "Color", "AttributeType": "S"}],
	 "GlobalSecondaryIndexes": [{"IndexName": "ByColor",
	   "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]}
	EOF
	local p k i=0
	for p in "${FIRSTS[@]}"; do
		mkdir "$MNT/Games/$p"
		for k in "${FIRSTS[@]}"; do
			i=$((i + 1))
			if ((i % 3)); then
				echo "{\"Color\": {\"S\": \"c$((i % 4))\"}, \"N\": {\"N\": \"$i\"}}" >"$MNT/Games/$p/$k"
			else
				echo "{\"N\": {\"N\": \"$i\"}}" >"$MNT/Games/$p/$k"	# not in the index
			fi
		done
	done
	ddb_mktable Tags Name S
	for k in "${FIRSTS[@]}"; do
		echo '{"Count": {"N": "1"}}' >"$MNT/Tags/$k"
	done
	touch -d '2021-06-01 12:00:00 UTC' "$MNT/Tags/zz"
}

# transferred OUT: the files rsync -i reported sending (">f" lines).
transferred() {
	sed -n 's/^>f[^ ]* //p' "$1" | sort
}

# index_entries MNT: every ByColor link as "color/pk/sk -> target".
index_entries() {
	(cd "$1/Games/.index/ByColor" && find . -type l -printf '%P -> %l\n' | sort)
}

ddb_mount
make_tables
BK=$T/backup
rsync -a "$MNT/" "$BK/" || fail "rsync -a out exited with $?"
assert_exists "$BK/Games/.schema"
assert_exists "$BK/Tags/.schema"
[[ -z $(find "$BK" \( -name .index -o -name .errors -o -name .snapshot -o -type l \) -print) ]] ||
	fail "the backup holds index trees, links or .errors: $(find "$BK" -name '.*' ! -name .schema)"
assert_eq 81 "$(find "$BK/Games" -type f ! -name .schema | wc -l)" "items backed up"
diff -r "$MNT" "$BK" || fail "backup differs from the mount"
assert_eq "$(stat -c %Y "$MNT/Tags/zz")" "$(stat -c %Y "$BK/Tags/zz")" "mtime carried"
index_entries "$MNT" >"$T/index.before"
assert_eq 54 "$(wc -l <"$T/index.before")" "ByColor entries"

# Nothing changed: no file transferred (twice, and after a remount).
for round in 1 2 remount; do
	[[ $round == remount ]] && ddb_remount
	rsync -a -i "$MNT/" "$BK/" >"$T/again.out" || fail "rsync ($round) exited with $?"
	[[ -z $(transferred "$T/again.out") ]] ||
		fail "rsync ($round) transferred files although nothing changed: $(transferred "$T/again.out")"
done

# One item changed, same size: exactly that item moves.  rsync's quick
# check compares whole seconds, as on any disk, so wait for the next one.
# (sed -i would also move .schema's mtime: its temporary file is an item
# for a moment, which changes ItemCount and back.)
sleep 1.1
sed 's/"c1"/"c3"/' "$MNT/Games/!x/ x" >"$T/edited"
cat "$T/edited" >"$MNT/Games/!x/ x"
rsync -a -i "$MNT/" "$BK/" >"$T/one.out" || fail "rsync after one change exited with $?"
assert_eq 'Games/!x/ x' "$(transferred "$T/one.out")" "files sent after one same-size change"
# Its size changed: the item, and .schema whose TableSizeBytes moved.
sleep 1.1
echo '{"Color": {"S": "a much longer colour name"}}' >"$MNT/Games/zz/zz"
rsync -a -i "$MNT/" "$BK/" >"$T/two.out" || fail "rsync after a resize exited with $?"
assert_eq $'Games/.schema\nGames/zz/zz' "$(transferred "$T/two.out")" "files sent after a resize"
diff -r "$MNT" "$BK" || fail "backup differs from the mount after the changes"
index_entries "$MNT" >"$T/index.before"
ddb_umount

# Restore into an empty data directory: keys sorting before .schema are held
# until it arrives; the GSI is rebuilt from the items.
DATA=$T/data2
ddb_mount
rsync -a "$BK/" "$MNT/" || fail "rsync -a restore exited with $?"
diff -r "$BK" "$MNT" || fail "restored tree differs from the backup"
assert_eq "$(stat -c %Y "$BK/Tags/zz")" "$(stat -c %Y "$MNT/Tags/zz")" "mtime restored"
index_entries "$MNT" >"$T/index.after"
diff "$T/index.before" "$T/index.after" || fail "the restored GSI differs"
ddb_remount
diff -r "$BK" "$MNT" || fail "restored tree differs after a remount"
[[ ! -s $MNT/.errors ]] || { cat "$MNT/.errors" >&2; fail "the restore logged errors"; }

# Restores over a mount that drifted: each rsync mode puts it back exactly.
for mode in --delete "--delete --inplace" "--delete --checksum" "--delete -H" \
	"--delete --inplace --checksum -H"; do
	sleep 1.1
	echo '{"Color": {"S": "drift"}}' >"$MNT/Games/ x/!x"		# same key, other text
	echo '{"Color": {"S": "c0"}, "Pad": {"S": "xxxxxxxxxx"}}' >"$MNT/Games/-x/-x"
	rm "$MNT/Games/éx/日本"
	mkdir -p "$MNT/Games/extra" && echo '{}' >"$MNT/Games/extra/1"
	echo '{}' >"$MNT/Tags/extra"
	ddb_mktable Extra Id S && echo '{}' >"$MNT/Extra/x"
	# shellcheck disable=SC2086 # the mode is several options
	rsync -a $mode "$BK/" "$MNT/" || fail "rsync -a $mode restore exited with $?"
	diff -r "$BK" "$MNT" || fail "rsync -a $mode left differences"
	assert_missing "$MNT/Extra"
	index_entries "$MNT" >"$T/index.after"
	diff "$T/index.before" "$T/index.after" || fail "rsync -a $mode: the GSI differs"
done
ddb_remount
diff -r "$BK" "$MNT" || fail "the last restore differs after a remount"
ddb_umount
