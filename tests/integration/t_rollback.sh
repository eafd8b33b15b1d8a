#!/bin/bash
# t_rollback.sh - after a power loss the store is its last checkpoint:
# everything fsync()ed is there, nothing later is half there, and the
# indexes and ItemCount agree with the items (SPEC section 10).
#
# A power loss cannot be staged here, but what the daemon finds after one
# can: a kernel boot id (/proc/sys/kernel/random/boot_id) other than the one
# its last checkpoint recorded (store/checkpoint.c).  The test runs in a
# mount namespace of its own and bind-mounts a file holding another id
# there.  The commits made since the checkpoint are still in the page cache,
# so only the rollback can make them disappear: the test checks that it
# happened, that it kept a prefix of the acknowledged writes at least as
# long as what was fsync()ed, and that the daemon works on from there.
if [[ -z ${DDB_OWN_NS:-} ]]; then
	if ! unshare -m true 2>/dev/null; then
		echo "SKIP t_rollback: cannot make a mount namespace (unshare -m)" >&2
		exit 77
	fi
	DDB_OWN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

BOOT=/proc/sys/kernel/random/boot_id
DURABLE=50

# The machine "restarts": from now on the kernel's boot id reads as a new one.
new_boot() {
	umount "$BOOT" 2>/dev/null || true
	cat /proc/sys/kernel/random/uuid >"$T/boot_id"
	mount --bind "$T/boot_id" "$BOOT"
}

put() { # put SK V: one item of partition p, in GSI partition even or odd
	printf '{"v": {"S": "%s"}, "g": {"S": "%s"}}' "$2" "$( (($1 % 2)) && echo odd || echo even)" \
		>"$MNT/Log/p/$1"
}

cat >"$T/writer.py" <<'EOF'
# Writes items FIRST, FIRST+1, ... until the mount dies; logs each once its
# close() returned.
import os, sys
d, n, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(log, "a") as out:
    try:
        while True:
            with open(os.path.join(d, str(n)), "w") as f:
                f.write('{"v": {"S": "volatile"}, "g": {"S": "%s"}}' % ("odd" if n % 2 else "even"))
            out.write("%d\n" % n)
            out.flush()
            n += 1
    except OSError:
        pass
EOF

cat >"$T/check.py" <<'EOF'
# The keys of partition p must be 1..M with DURABLE <= M <= ACKED + 1 (one
# write may have been in flight), each the item written under it.  Prints M.
import json, os, sys
d, durable, acked = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys = sorted(int(k) for k in os.listdir(d))
m = keys[-1] if keys else 0
problems = []
if keys != list(range(1, m + 1)):
    problems.append("keys are not 1..%d: %s" % (m, sorted(set(range(1, m + 1)) - set(keys))[:5]))
if m < durable:
    problems.append("%d items, fewer than the %d fsync()ed" % (m, durable))
if m > acked + 1:
    problems.append("%d items, more than the %d acknowledged and one in flight" % (m, acked))
for k in keys:
    with open(os.path.join(d, str(k))) as f:
        item = json.load(f)
    want = {"v": {"S": "durable" if k <= durable else "volatile"},
            "g": {"S": "odd" if k % 2 else "even"}, "pk": {"S": "p"}, "sk": {"N": str(k)}}
    if item != want:
        problems.append("%d reads %r" % (k, item))
for p in problems[:10]:
    print("problem: " + p, file=sys.stderr)
print(m)
sys.exit(1 if problems else 0)
EOF

new_boot
ddb_mount
mkdir "$MNT/Log"
cat >"$MNT/Log/.schema" <<'EOF'
{"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
   {"AttributeName": "sk", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [{"IndexName": "ByG",
   "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
   "Projection": {"ProjectionType": "ALL"}}]}
EOF
mkdir "$MNT/Log/p"
ddb_step "$DURABLE items, then fsync"
for i in $(seq 1 $DURABLE); do put "$i" durable; done
# One partition key is one environment: fsync() of its last item
# checkpoints every commit before it.
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$MNT/Log/p/$DURABLE"

# Writes go on until the daemon is killed; commits since the environment's
# last checkpoint are what a power loss may take.  Checkpoints come every 64
# commits and every second, so a kill mid-stream almost always finds some;
# a kill that finds none is tried again.
next=$((DURABLE + 1))
rolled=0
for attempt in 1 2 3; do
	ddb_step "attempt $attempt: writing from $next, then kill -9 and a new boot id"
	: >"$T/acked"
	python3 "$T/writer.py" "$MNT/Log/p" "$next" "$T/acked" &
	writer=$!
	ddb_wait_for 100 test -s "$T/acked" || fail "the writer acknowledged nothing in 10 s"
	sleep 0.$((RANDOM % 5 + 3))
	ddb_kill9
	wait "$writer" || fail "the writer failed"
	acked=$(tail -n 1 "$T/acked")
	new_boot

	# A read-only mount must not roll back, nor serve a state a read-write
	# mount would then change: it refuses, saying what to do.
	status=0
	timeout 30 "$DDBFS_BIN" -f -o ro "$DATA" "$MNT" >"$T/ro.out" 2>&1 || status=$?
	((status != 0 && status != 124)) || fail "read-only mount after a restart: exit status $status"
	grep -q "mount read-write once to roll it back" "$T/ro.out" ||
		{ cat "$T/ro.out" >&2; fail "read-only mount after a restart: no reason given"; }

	lines=$(grep -c "the machine restarted: rolled back" "$DDB_LOG" || true)
	ddb_mount
	m=$(python3 "$T/check.py" "$MNT/Log/p" "$DURABLE" "$acked") ||
		fail "attempt $attempt: the store after the rollback is not a prefix of the writes"
	python3 "$DDB_IT_DIR/indexcheck.py" "$MNT/Log" ||
		fail "attempt $attempt: the index or ItemCount disagrees with the items"
	echo "attempt $attempt: $acked acknowledged, $m kept"
	if (($(grep -c "the machine restarted: rolled back" "$DDB_LOG" || true) > lines)); then
		rolled=1
		# Commits are the writes in order, the last one at most in flight.
		((m <= acked)) || fail "rolled back, yet all $acked acknowledged writes are there ($m)"
		break
	fi
	# Nothing to roll back (a checkpoint had just run): the kill lost nothing.
	((m >= acked)) || fail "no rollback, yet $m of $acked acknowledged writes are there"
	next=$((m + 1))
done
((rolled)) || fail "no kill in 3 found a commit after the last checkpoint"

ddb_step "the rolled-back store takes writes and keeps them"
put 1 durable
put "$((m + 1))" volatile
put "$((m + 2))" volatile
ddb_remount
python3 "$T/check.py" "$MNT/Log/p" "$DURABLE" "$((m + 2))" >"$T/m" ||
	fail "after writes and a remount the store is not 1..M"
assert_eq "$((m + 2))" "$(cat "$T/m")" "items after two more writes"
python3 "$DDB_IT_DIR/indexcheck.py" "$MNT/Log" || fail "index after writes and a remount"
ddb_umount
