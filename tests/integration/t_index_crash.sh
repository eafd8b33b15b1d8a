#!/bin/bash
# t_index_crash.sh - after kill -9 of the daemon an index never points to a
# missing item and never misses an existing one (SPEC section 7): four
# writers put, overwrite (moving items between index partitions), delete and
# mv items of a table with a GSI and an LSI; the daemon is killed mid-stream;
# after a remount the trees are checked against the items, three rounds.
source "$(dirname "$0")/lib.sh"

WRITERS=4
ROUNDS=3

ddb_mount
G=$MNT/Game
mkdir "$G"
cat >"$G/.schema" <<'EOF'
{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "K", "KeyType": "RANGE"}],
 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"},
   {"AttributeName": "K", "AttributeType": "N"}, {"AttributeName": "Score", "AttributeType": "N"},
   {"AttributeName": "Color", "AttributeType": "S"}],
 "LocalSecondaryIndexes": [{"IndexName": "ByScore",
   "KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "Score", "KeyType": "RANGE"}],
   "Projection": {"ProjectionType": "ALL"}}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByColor",
   "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}, {"AttributeName": "Score", "KeyType": "RANGE"}],
   "Projection": {"ProjectionType": "ALL"}}]}
EOF
for p in 0 1 2 3 4 5 6 7; do mkdir "$G/p$p"; done

cat >"$T/writer.py" <<'EOF'
import os, random, sys
top, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
colors = ["red", "green", "blue", "ochre", "teal"]
def key():
    return os.path.join(top, "p%d" % rnd.randrange(8), str(rnd.randrange(40)))
try:
    while True:
        op = rnd.random()
        if op < 0.6:
            color = ("" if rnd.random() < 0.2 else
                     ', "Color": {"S": "%s"}' % rnd.choice(colors))
            body = '{"Score": {"N": "%d"}%s}' % (rnd.randrange(100), color)
            with open(key(), "w") as f:
                f.write(body)
        elif op < 0.8:
            try:
                os.unlink(key())
            except FileNotFoundError:
                pass
        else:
            try:
                os.rename(key(), key())
            except FileNotFoundError:
                pass
except OSError:
    sys.exit(0)     # the daemon died
EOF

for round in $(seq 1 $ROUNDS); do
	pids=()
	for w in $(seq 1 $WRITERS); do
		python3 "$T/writer.py" "$G" $((round * 100 + w)) &
		pids+=($!)
	done
	sleep "0.$((RANDOM % 9 + 1))"
	sleep 1
	ddb_kill9
	for pid in "${pids[@]}"; do
		wait "$pid" || fail "writer $pid exited with an error"
	done
	ddb_mount
	python3 "$DDB_IT_DIR/indexcheck.py" "$G" || fail "round $round: indexes disagree with items"
done
ddb_umount
