#!/bin/bash
# t_persist.sh - 200 items across three tables (hash-only S, hash+range
# S/N, hash-only B) survive an unmount and two remounts byte for byte,
# .schema included (SPEC section 10: all committed data on disk).
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Users Id S
ddb_mktable Events Device S Time N
ddb_mktable Blobs Id B

for i in $(seq 1 60); do
	printf '{"Name": {"S": "user %d"}, "Age": {"N": "%d"}, "Tags": {"SS": ["t%d", "all"]}}' \
		"$i" "$((i % 90))" "$i" >"$MNT/Users/user-$i"
done
for d in 1 2 3 4; do
	mkdir "$MNT/Events/dev$d"
	for t in $(seq 1 25); do
		printf '{"Temp": {"N": "%d.%d"}, "Ok": {"BOOL": %s}, "Raw": {"L": [{"N": "%d"}, {"NULL": true}]}}' \
			"$t" "$d" "$([[ $((t % 2)) == 0 ]] && echo true || echo false)" "$((t * d))" \
			>"$MNT/Events/dev$d/$((1700000000 + t * 60))"
	done
done
python3 - "$MNT/Blobs" <<'EOF'
import base64, os, sys
for i in range(40):
    key = bytes([i, 255 - i, 7])
    name = base64.urlsafe_b64encode(key).rstrip(b"=").decode()
    data = base64.b64encode(bytes(range(i, i + 20))).decode()
    with open(os.path.join(sys.argv[1], name), "w") as f:
        f.write('{"Payload": {"B": "%s"}, "Map": {"M": {"z": {"N": "%d"}, "a": {"S": "x"}}}}' % (data, i))
EOF

count_items() {
	find "$MNT" -type f ! -name '.*' | wc -l
}
assert_eq 200 "$(count_items)" "items written"
cp -r "$MNT/." "$T/saved"
assert_eq 200 "$(find "$T/saved" -type f ! -name '.*' | wc -l)" "items copied out"

for round in 1 2; do
	ddb_remount
	assert_eq 200 "$(count_items)" "items after remount $round"
	diff -r "$T/saved" "$MNT" >"$T/diff" || {
		head -n 40 "$T/diff" >&2
		fail "content differs after remount $round"
	}
done
# The schema's count agrees with what is stored.
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["ItemCount"]; sys.exit(c != 100)' \
	"$MNT/Events/.schema" || fail "Events ItemCount is not 100: $(cat "$MNT/Events/.schema")"
ddb_umount
