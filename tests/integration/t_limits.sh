#!/bin/bash
# t_limits.sh - resource limits (issue 6): thousands of open handles, an
# unmount while files are open, a daemon started where a killed one left.
#
# 1. 3,000 descriptors open at once on items: 1,500 read handles (500 of them
#    second handles on the same items) and 1,500 write handles on new items
#    with half their JSON written.  While they are open, 100 of the read items
#    are overwritten: their handles still read the version they opened.  Then
#    every writer finishes and closes (each close commits), and every item,
#    ItemCount included, is as written.
# 2. fusermount3 -u with files open fails (EBUSY) and changes nothing; the
#    lazy fusermount3 -uz detaches the mount while the files stay usable: the
#    holder finishes its writes and closes them (they commit), and only then
#    does the daemon exit, by itself and with status 0, having released
#    every handle (the kernel may drop the RELEASE of the last files closed;
#    the last one here is a `: > item` that commits at release).  After a
#    remount all of it is there.
# 3. After kill -9, the lock file the dead daemon left does not stop a new
#    daemon (flock dies with its holder), and nothing is lost.
source "$(dirname "$0")/lib.sh"

N_READ=1500
N_WRITE=1500

ddb_mount
ddb_mktable Handles K S

# ---- 1. thousands of open handles ----
python3 - "$MNT/Handles" "$N_READ" "$N_WRITE" <<'PY'
import json, os, resource, sys
top, n_read, n_write = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = n_read + n_write + 100
if soft < need:
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit("the open-file limit (hard %d) is below %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

def text(name, version):
    return json.dumps({"Version": {"N": str(version)}, "Pad": {"S": name * 40}})

def put(name, version):
    with open(os.path.join(top, name), "w") as f:
        f.write(text(name, version))

def canon_of(name):
    return open(os.path.join(top, name), "rb").read()

n_items = n_read - 500
for i in range(n_items):
    put("r%d" % i, 1)
old = {i: canon_of("r%d" % i) for i in range(n_items)}
readers = [(i, os.open(os.path.join(top, "r%d" % i), os.O_RDONLY)) for i in range(n_items)]
readers += [(i, os.open(os.path.join(top, "r%d" % i), os.O_RDONLY)) for i in range(500)]
writers = []
for i in range(n_write):
    name = "w%d" % i
    fd = os.open(os.path.join(top, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    body = text(name, 7).encode()
    os.write(fd, body[: len(body) // 2])
    writers.append((fd, body))
print("%d descriptors open on the mount" % (len(readers) + len(writers)))
for i in range(100):
    put("r%d" % i, 2)
bad = 0
for i, fd in readers:
    got = os.pread(fd, 1 << 20, 0)
    if got != old[i]:
        print("r%d: a read handle changed under its reader: %r" % (i, got[:80]))
        bad += 1
for fd, body in writers:
    os.write(fd, body[len(body) // 2:])
for fd, _ in writers:
    os.close(fd)	# commits; an error raises
for _, fd in readers:
    os.close(fd)
for i in range(n_items):
    got = json.loads(canon_of("r%d" % i))["Version"]["N"]
    if got != ("2" if i < 100 else "1"):
        print("r%d: version %s after the overwrites" % (i, got))
        bad += 1
for i in range(n_write):
    item = json.loads(canon_of("w%d" % i))
    if item["Version"]["N"] != "7" or item["K"]["S"] != "w%d" % i:
        print("w%d: %r" % (i, item))
        bad += 1
count = json.load(open(os.path.join(top, ".schema")))["ItemCount"]
if count != n_items + n_write or len([n for n in os.listdir(top) if not n.startswith(".")]) != count:
    print("ItemCount %d, expected %d" % (count, n_items + n_write))
    bad += 1
sys.exit(1 if bad else 0)
PY
ITEMS=$((N_READ - 500 + N_WRITE))

# ---- 2. unmount while files are open ----
python3 - "$MNT/Handles" "$T/ready" "$T/go" <<'PY' &
import json, os, sys, time
top, ready, go = sys.argv[1:]
readers = [os.open(os.path.join(top, "r%d" % i), os.O_RDONLY) for i in range(200)]
before = [os.pread(fd, 1 << 20, 0) for fd in readers]
writers = []
for i in range(200):
    body = json.dumps({"Late": {"S": "after the lazy unmount %d" % i}}).encode()
    fd = os.open(os.path.join(top, "late%d" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, body[:10])
    writers.append((fd, body))
# `: > r7` left open: the item commits (as its keys alone) at release.
trunc = os.open(os.path.join(top, "r7"), os.O_WRONLY | os.O_TRUNC)
open(ready, "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(go):	# until the test has unmounted lazily
    if time.monotonic() > deadline:
        sys.exit("holder: never told to go on")
    time.sleep(0.05)
for fd, body in writers:
    os.write(fd, body[10:])
    os.close(fd)
for fd, want in zip(readers, before):
    if os.pread(fd, 1 << 20, 0) != want:
        sys.exit("a read handle changed after the lazy unmount")
    os.close(fd)
os.close(trunc)		# the last close: its RELEASE races with the unmount
PY
holder=$!
# A failed assertion must not leave the holder behind.
limits_cleanup() {
	local status=$?
	kill "$holder" 2>/dev/null
	(exit "$status")
	ddb_cleanup
}
trap limits_cleanup EXIT
ddb_wait_for 300 test -e "$T/ready" || fail "the holder did not open its files"
if fusermount3 -u "$MNT" 2>"$T/umount.err"; then
	fail "fusermount3 -u succeeded with 400 files open"
fi
grep -q "busy" "$T/umount.err" || fail "fusermount3 -u: expected EBUSY, got: $(cat "$T/umount.err")"
ddb_is_mounted || fail "the refused unmount unmounted anyway"
cat "$MNT/Handles/r5" >/dev/null || fail "the refused unmount broke reading"
fusermount3 -uz "$MNT" || fail "lazy unmount refused"
! ddb_is_mounted || fail "still mounted after fusermount3 -uz"
kill -0 "$DDB_PID" 2>/dev/null || fail "the daemon exited while files were still open"
: >"$T/go"
wait "$holder" || fail "the files open across the lazy unmount failed"
trap ddb_cleanup EXIT
ddb_wait_for 100 ddb_daemon_gone || fail "the daemon still runs after the last file closed"
status=0
wait "$DDB_PID" || status=$?
DDB_PID=
((status == 0)) || fail "the daemon exited with status $status after the lazy unmount"
ddb_mount
for i in 0 199; do
	printf '{\n  "K": {"S": "late%d"},\n  "Late": {"S": "after the lazy unmount %d"}\n}\n' "$i" "$i" >"$T/late"
	assert_same_bytes "$T/late" "$MNT/Handles/late$i"
done
printf '{\n  "K": {"S": "r7"}\n}\n' >"$T/r7"
assert_same_bytes "$T/r7" "$MNT/Handles/r7"
ITEMS=$((ITEMS + 200))
count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ItemCount"])' "$MNT/Handles/.schema"; }
assert_eq "$ITEMS" "$(count)" "ItemCount after the lazy unmount"
assert_eq "$ITEMS" "$(ls "$MNT/Handles" | wc -l)" "items listed after the lazy unmount"

# ---- 3. a daemon started where a killed one left ----
md5_before=$(cd "$MNT/Handles" && cat r1 r500 w9 late7 | md5sum)
ddb_kill9
[[ -s $DATA/ddbfs.lock ]] || fail "expected the killed daemon's lock file in DATA"
ddb_mount
assert_eq "$md5_before" "$(cd "$MNT/Handles" && cat r1 r500 w9 late7 | md5sum)" "items after kill -9"
assert_eq "$ITEMS" "$(count)" "ItemCount after kill -9"
echo '{"After": {"S": "the restart"}}' >"$MNT/Handles/restart"
ddb_remount
assert_eq "$((ITEMS + 1))" "$(count)" "ItemCount after a write past the stale lock"
ddb_umount
