#!/bin/bash
# t_valgrind.sh - the daemon leaks nothing and touches no bad memory over a
# short tour of the filesystem (issue 6), under valgrind's memcheck.
#
# Tables of both kinds, puts, overwrites, bad input, reads, range views, a
# move across partitions, a scratch file saved by rename, rm, a descriptor
# kept across rm, .schema and .errors, a remount and kill -9 recovery; then
# snapshots; a clean unmount, after which valgrind must report no error and no leak
# (definite, indirect or possible).  A sanitizer build cannot run under
# valgrind: there the same tour runs bare and LeakSanitizer judges at exit.
# The whole suite under valgrind is a by-hand run (tests/README.md).
source "$(dirname "$0")/lib.sh"

if [[ $(nm -D "$DDBFS_BIN" 2>/dev/null; nm "$DDBFS_BIN" 2>/dev/null) == *__asan_init* ]]; then
	echo "sanitizer build: running without valgrind"
	VG=
else
	command -v valgrind >/dev/null || fail "valgrind is missing (contrib/install-deps.sh installs it)"
	VG="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible"
	VG+=" --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=97"
	VG+=" --log-file=$T/vg.%p.log"
fi
export DDB_WRAP=$VG DDB_MOUNT_WAIT=60

tour() {
	ddb_mktable Books Title S Year N
	ddb_mktable Cart Name S
	mkdir "$MNT/Books/Moby Dick" "$MNT/Books/Ulysses"
	for y in 1851 1900 1971 2008; do
		echo "{\"Note\": {\"S\": \"year $y\"}, \"Tags\": {\"SS\": [\"a\", \"b\"]}}" \
			>"$MNT/Books/Moby Dick/$y"
	done
	echo '{"Price": {"N": "29.99"}, "L": {"L": [{"M": {"x": {"B": "AAEC"}}}]}}' >"$MNT/Cart/Elmo"
	echo '{"Price": {"N": "30"}}' >"$MNT/Cart/Elmo"
	! echo '{"Price": {"N": "1e999"}}' >"$MNT/Cart/Bad" 2>/dev/null || fail "a bad number was accepted"
	echo '{"Price": ' >"$MNT/Cart/Half" 2>/dev/null || true # refused at close(), which bash ignores
	cat "$MNT/Books/Moby Dick/1.851e3" "$MNT/Cart/Elmo" "$MNT/Books/.schema" "$MNT/.errors" >/dev/null
	ls -U "$MNT/Books/Moby Dick/.ge/1900/.lt/2000/.desc/.limit/1/" >/dev/null
	cat "$MNT/Books/Moby Dick/.between/1900/2000/"* >/dev/null
	mv "$MNT/Books/Moby Dick/2008" "$MNT/Books/Ulysses/1922"
	printf '{"Price": {"N": "1"}}' >"$MNT/Cart/.tmp-save"
	mv "$MNT/Cart/.tmp-save" "$MNT/Cart/Buick"
	exec 7<"$MNT/Cart/Buick"
	rm "$MNT/Cart/Buick"
	# (not cat: its fstat of a removed name fails with ESTALE, see README)
	python3 -c 'import os; assert b"Price" in os.read(7, 4096)'
	exec 7<&-
	find "$MNT" >/dev/null
	rm -r "$MNT/Cart"
}

ddb_mount
tour
ddb_remount
assert_exists "$MNT/Books/Ulysses/1922"
echo '{"After": {"S": "remount"}}' >"$MNT/Books/Ulysses/1923"
ddb_kill9
ddb_mount
assert_exists "$MNT/Books/Ulysses/1923"
# Snapshots: one read and dropped, one left for the unmount to free.
mkdir "$MNT/.snapshot/v" "$MNT/.snapshot/kept"
echo '{"After": {"S": "snapshot"}}' >"$MNT/Books/Ulysses/1923"
ls -R "$MNT/.snapshot/v" >/dev/null
grep -q remount "$MNT/.snapshot/v/Books/Ulysses/1923" || fail "the snapshot moved on"
rmdir "$MNT/.snapshot/v"
ddb_umount
if [[ -n $VG ]]; then
	# The log of the last daemon, which exited cleanly (a killed one has none).
	log=$(ls -t "$T"/vg.*.log | head -n 1)
	grep -q "ERROR SUMMARY: 0 errors" "$log" || { cat "$log" >&2; fail "valgrind found errors"; }
	grep -q "All heap blocks were freed\|definitely lost: 0 bytes" "$log" ||
		{ cat "$log" >&2; fail "valgrind found leaks"; }
	echo "valgrind: $(grep -h "ERROR SUMMARY" "$T"/vg.*.log | sed 's/==[0-9]*== //' | sort | uniq -c | tr -s ' ')"
fi
