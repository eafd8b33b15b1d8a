#!/bin/bash
# t_snapshot.sh - point-in-time backups (issue 5): `mkdir .snapshot/NAME`
# freezes every table; while a writer keeps putting, overwriting and
# deleting items in all partitions, the snapshot reads exactly the state
# after one of the writer's operations (checked against its log), stays the
# same however long it is read, backs up with rsync to a tree that restores
# exactly, and cannot be written.  .snapshot is not listed, so a backup of
# the mount never descends into it.
source "$(dirname "$0")/lib.sh"

ddb_mount
mkdir "$MNT/Ledger"
cat >"$MNT/Ledger/.schema" <<'EOF'
{"KeySchema": [{"AttributeName": "P", "KeyType": "HASH"}, {"AttributeName": "K", "KeyType": "RANGE"}],
 "AttributeDefinitions": [{"AttributeName": "P", "AttributeType": "S"},
   {"AttributeName": "K", "AttributeType": "N"}, {"AttributeName": "Seq", "AttributeType": "N"}],
 "GlobalSecondaryIndexes": [{"IndexName": "BySeq",
   "KeySchema": [{"AttributeName": "Seq", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
 "Partitions": 4}
EOF
for p in 0 1 2 3 4 5 6 7; do mkdir "$MNT/Ledger/p$p"; done

# One writer, one operation at a time, each acknowledged before the next:
# the log line "seq op path" is written after the call returned.
cat >"$T/writer.py" <<'EOF'
import os, random, sys
top, log = sys.argv[1], open(sys.argv[2], "w", buffering=1)
rnd, live, seq = random.Random(5), set(), 0
while not os.path.exists(sys.argv[3]):
    seq += 1
    path = "p%d/%d" % (rnd.randrange(8), rnd.randrange(30))
    if path in live and rnd.random() < 0.3:
        os.unlink(os.path.join(top, path))
        live.discard(path)
        log.write("%d del %s\n" % (seq, path))
    else:
        with open(os.path.join(top, path), "w") as f:
            f.write('{"Seq": {"N": "%d"}, "Pad": {"S": "%s"}}' % (seq, "x" * rnd.randrange(200)))
        live.add(path)
        log.write("%d put %s\n" % (seq, path))
EOF

# check.py LOG DIR: DIR (a snapshot, or a copy of one) holds exactly the
# state after some operation of LOG.
cat >"$T/check.py" <<'EOF'
import json, os, sys
ops = [l.split() for l in open(sys.argv[1])]
top = sys.argv[2]
seen = {}
for p in os.listdir(top):
    if p.startswith("."):
        continue
    for k in os.listdir(os.path.join(top, p)):
        seen[p + "/" + k] = int(json.load(open(os.path.join(top, p, k)))["Seq"]["N"])
m0 = max(seen.values(), default=0)
state, ok = {}, None
for seq, op, path in ops:
    seq = int(seq)
    if seq > m0 and op == "put":
        break
    if op == "put":
        state[path] = seq
    else:
        state.pop(path, None)
    if seq >= m0 and state == seen:
        ok = seq
        break
if ok is None:
    print("no operation of the log leaves this state (newest Seq %d, %d items)" % (m0, len(seen)))
    sys.exit(1)
print("the state after operation %d, %d items" % (ok, len(seen)), file=sys.stderr)
EOF

# The snapshot is taken once the writer has put items in every partition
# (100 operations), however slowly it starts on a loaded machine.
writer_is_under_way() {
	local p
	(($(wc -l <"$T/log") >= 100)) || return 1
	for p in 0 1 2 3 4 5 6 7; do grep -q " put p$p/" "$T/log" || return 1; done
}
: >"$T/log"
python3 "$T/writer.py" "$MNT/Ledger" "$T/log" "$T/stop" &
writer=$!
ddb_wait_for 600 writer_is_under_way || fail "the writer did not make 100 operations in 60 s"
mkdir "$MNT/.snapshot/one" || fail "mkdir .snapshot/one exited with $?"
S=$MNT/.snapshot/one
sleep 1
[[ -d $S/Ledger/p0 ]] || fail "the snapshot has no Ledger/p0"
python3 "$T/check.py" "$T/log" "$S/Ledger" || fail "the snapshot is not a point in time"
rsync -a "$S/" "$T/bk/" || fail "rsync of the snapshot exited with $?"
sleep 1
diff -r "$S" "$T/bk" || fail "the snapshot changed while it was read"
python3 "$T/check.py" "$T/log" "$T/bk/Ledger" || fail "the backup is not a point in time"
[[ ! -e $T/bk/Ledger/.index ]] || fail "the backup holds an index tree"
# The snapshot's index tree and .schema are as of then too.
seqs=$(cd "$S/Ledger/.index/BySeq" && ls | sort -n | tr '\n' ' ')
want=$(cat "$S"/Ledger/p*/* | sed -n 's/.*"Seq": {"N": "\([0-9]*\)"}.*/\1/p' | sort -n | tr '\n' ' ')
assert_eq "$want" "$seqs" "BySeq in the snapshot"
count=$(find "$S/Ledger" -mindepth 2 -type f | wc -l)
grep -q "\"ItemCount\": $count," "$S/Ledger/.schema" || fail "the snapshot's ItemCount is not $count"

# Read-only, named once, limited in number, not listed.
expect_errno EROFS write "$S/Ledger/p0/999" '{}'
expect_errno EROFS mkdir "$S/Ledger/p9"
expect_errno EROFS unlink "$S/Ledger/.schema"
expect_errno EEXIST mkdir "$S"
expect_errno ENOENT rmdir "$MNT/.snapshot/none"
assert_eq one "$(ls "$MNT/.snapshot")" "snapshots listed"
assert_not_listed "$MNT" .snapshot
for i in $(seq 2 16); do mkdir "$MNT/.snapshot/s$i"; done
expect_errno ENOSPC mkdir "$MNT/.snapshot/s17"
for i in $(seq 2 16); do rmdir "$MNT/.snapshot/s$i"; done

touch "$T/stop"
wait "$writer" || fail "the writer failed"
# Another snapshot now equals the live table exactly.
mkdir "$MNT/.snapshot/two"
diff -r "$MNT/Ledger" "$MNT/.snapshot/two/Ledger" || fail "a quiet snapshot differs from the mount"
rmdir "$MNT/.snapshot/two" "$S"
assert_missing "$S"

# The backup restores exactly.
ddb_umount
DATA=$T/data2
ddb_mount
rsync -a "$T/bk/" "$MNT/" || fail "restore exited with $?"
diff -r "$T/bk" "$MNT" || fail "the restore differs from the snapshot's backup"
ddb_umount
