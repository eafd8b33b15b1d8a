#!/bin/bash
# t_crash.sh - close() success means the item survives a crash of the daemon
# (SPEC section 10).  Four writers write distinct items and log each one only
# after close() succeeded; the daemon is killed with SIGKILL mid-stream; after
# a remount every logged item is present and intact, and nothing present is
# torn.  Three rounds on the same data directory.
source "$(dirname "$0")/lib.sh"

WRITERS=4
ROUNDS=3

# writer.py DIR WRITER ROUND LOG: writes items DIR/w<W>/<round*100000+i> until
# an error (the daemon died), appending "w<W> <sk>" to LOG after each close().
cat >"$T/writer.py" <<'EOF'
import os, sys
top, w, rnd, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
REPEAT = int(os.environ["PAYLOAD_REPEAT"])
part = os.path.join(top, "w%d" % w)
try:
    os.mkdir(part)
except FileExistsError:
    pass
open(log + ".started.%d" % w, "w").close()
with open(log, "a") as lf:
    i = 0
    while True:
        sk = rnd * 100000 + i
        body = ('{"Payload": {"S": "%s"}, "Seq": {"N": "%d"}, "Writer": {"S": "w%d"}}'
                % (("w%d-%d-" % (w, sk)) * REPEAT, sk, w))
        try:
            fd = os.open(os.path.join(part, str(sk)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, body.encode())
            os.close(fd)
        except OSError:
            sys.exit(0)
        lf.write("w%d %d\n" % (w, sk))
        lf.flush()
        i += 1
EOF

# check.py DIR LOG: every logged item is present and exactly the canonical
# text of what was written; every present item is intact.
cat >"$T/check.py" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["DDB_IT_DIR"])
from canon import canon
top, log = sys.argv[1], sys.argv[2]

def expected(w, sk):
    return {"Payload": {"S": ("w%d-%d-" % (w, sk)) * int(os.environ["PAYLOAD_REPEAT"])}, "Seq": {"N": str(sk)},
            "Writer": {"S": "w%d" % w}, "P": {"S": "w%d" % w}, "SK": {"N": str(sk)}}

bad = []
# Each present item is read once; a logged item must be among them.
present = set()
for wname in os.listdir(top):
    if wname.startswith("."):
        continue
    for sk in os.listdir(os.path.join(top, wname)):
        text = open(os.path.join(top, wname, sk), encoding="utf-8").read()
        present.add((wname, sk))
        if text != canon(expected(int(wname[1:]), int(sk))):
            bad.append("%s/%s: torn item: %r" % (wname, sk, text[:200]))
logged = [tuple(l.split()) for l in open(log) if l.strip()]
for wname, sk in logged:
    if (wname, sk) not in present:
        path = os.path.join(top, wname, sk)
        why = "missing from the listing"
        if not os.path.exists(path):
            why = "gone"
        bad.append("%s: logged as written, now %s" % (path, why))
for b in bad[:20]:
    print(b)
print("%d logged, %d present, %d bad" % (len(logged), len(present), len(bad)))
sys.exit(1 if bad or not logged else 0)
EOF
# Items of about 4 KB: several pages each, so a torn write would show.
export DDB_IT_DIR PAYLOAD_REPEAT=400

ddb_mount
ddb_mktable Crash P S SK N
for round in $(seq 1 "$ROUNDS"); do
	pids=()
	for w in $(seq 1 "$WRITERS"); do
		python3 "$T/writer.py" "$MNT/Crash" "$w" "$round" "$T/written.log" &
		pids+=($!)
	done
	# Two seconds of writing from when all have started (python is slow to
	# start on a loaded machine: the mount must still be there for mkdir).
	for _ in $(seq 300); do
		(($(ls "$T"/written.log.started.* 2>/dev/null | wc -l) == WRITERS)) && break
		sleep 0.1
	done
	sleep 2
	ddb_kill9
	rm -f "$T"/written.log.started.*
	# The writers see the connection go and stop by themselves.
	for p in "${pids[@]}"; do
		wait "$p" || fail "writer $p exited with an error"
	done
	ddb_mount
	python3 "$T/check.py" "$MNT/Crash" "$T/written.log" >"$T/check.out" ||
		{ cat "$T/check.out" >&2; fail "round $round: items lost or torn after kill -9"; }
	echo "round $round: $(tail -n 1 "$T/check.out")"
done
ddb_umount
