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

cat >"$T/check.py" <<'EOF'
import json, os, sys
top = sys.argv[1]
errors = []
items = {}
for p in sorted(os.listdir(top)):
    if p.startswith("."):
        continue
    for k in os.listdir(os.path.join(top, p)):
        with open(os.path.join(top, p, k)) as f:
            items[(p, k)] = json.load(f)
want_gsi, want_lsi = set(), set()
for (p, k), it in items.items():
    score = it["Score"]["N"]
    want_lsi.add((p, score, k))
    if "Color" in it:
        want_gsi.add((it["Color"]["S"], score, p, k))
got_gsi, got_lsi = set(), set()
gsi = os.path.join(top, ".index", "ByColor")
for c in os.listdir(gsi):
    for s in os.listdir(os.path.join(gsi, c)):
        for p in os.listdir(os.path.join(gsi, c, s)):
            for k in os.listdir(os.path.join(gsi, c, s, p)):
                link = os.path.join(gsi, c, s, p, k)
                if os.readlink(link) != "../../../../../%s/%s" % (p, k):
                    errors.append("GSI link %s -> %s" % (link, os.readlink(link)))
                got_gsi.add((c, s, p, k))
for p in os.listdir(top):
    if p.startswith("."):
        continue
    lsi = os.path.join(top, p, ".index", "ByScore")
    if not os.path.isdir(lsi):
        continue
    for s in os.listdir(lsi):
        for k in os.listdir(os.path.join(lsi, s)):
            got_lsi.add((p, s, k))
for e in sorted(got_gsi - want_gsi):
    errors.append("GSI entry without its item: %s" % (e,))
for e in sorted(want_gsi - got_gsi):
    errors.append("item missing from the GSI: %s" % (e,))
for e in sorted(got_lsi - want_lsi):
    errors.append("LSI entry without its item: %s" % (e,))
for e in sorted(want_lsi - got_lsi):
    errors.append("item missing from the LSI: %s" % (e,))
t = json.load(open(os.path.join(top, ".schema")))
t = t.get("Table", t)
counts = {ix["IndexName"]: ix["ItemCount"]
          for ix in t["GlobalSecondaryIndexes"] + t["LocalSecondaryIndexes"]}
if counts["ByColor"] != len(want_gsi) or counts["ByScore"] != len(want_lsi):
    errors.append("ItemCount %s, entries %d/%d" % (counts, len(want_gsi), len(want_lsi)))
if t["ItemCount"] != len(items):
    errors.append("table ItemCount %d, items %d" % (t["ItemCount"], len(items)))
for e in errors[:20]:
    print(e)
print("%d items, %d GSI and %d LSI entries checked" % (len(items), len(want_gsi), len(want_lsi)),
      file=sys.stderr)
sys.exit(1 if errors else 0)
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
	python3 "$T/check.py" "$G" || fail "round $round: indexes disagree with items"
done
ddb_umount
