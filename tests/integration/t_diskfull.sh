#!/bin/bash
# A full disk gives ENOSPC, damages nothing already stored, and writing works
# again once space is freed, without a remount (SPEC section 9, issue 2).
# The data directory lives on a small tmpfs of its own.
. "$(dirname "$0")/lib.sh"

SMALL=$T/small
mkdir -p "$SMALL"
if ! mount -t tmpfs -o size=24m tmpfs "$SMALL" 2>/dev/null; then
	echo "SKIP $DDB_TEST: cannot mount a tmpfs (needs root)" >&2
	exit 77
fi
# The small tmpfs goes after the daemon that holds files on it.
diskfull_cleanup() {
	local status=$?
	trap - ERR
	set +e
	fusermount3 -uz "$MNT" 2>/dev/null
	if [[ -n $DDB_PID ]]; then
		kill -9 "$DDB_PID" 2>/dev/null
		wait "$DDB_PID" 2>/dev/null
	fi
	umount -l "$SMALL"
	(exit "$status")
	ddb_cleanup
}
trap diskfull_cleanup EXIT
DATA=$SMALL/data

ddb_mount
ddb_mktable Fill pk S

python3 - "$MNT/Fill" "$T/stored" <<'PY'
import errno, json, os, sys

table, record = sys.argv[1], sys.argv[2]
blob = "x" * 200000

def put(i):
    fd = os.open(os.path.join(table, "k%05d" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, json.dumps({"v": {"S": blob}, "i": {"N": str(i)}}).encode())
    finally:
        os.close(fd)

stored, err = [], None
for i in range(1000):
    try:
        put(i)
        stored.append(i)
    except OSError as e:
        err = e.errno
        break
assert err == errno.ENOSPC, "expected ENOSPC once the disk filled, got %r" % err
assert len(stored) > 5, "too few items fit: %d" % len(stored)
# Everything acknowledged is intact.
for i in stored:
    with open(os.path.join(table, "k%05d" % i)) as f:
        item = json.load(f)
    assert item["i"] == {"N": str(i)} and item["v"]["S"] == blob, i
# Still full: a second try fails the same way and leaves no trace.
try:
    put(5000)
    raise AssertionError("a write succeeded on a full disk")
except OSError as e:
    assert e.errno == errno.ENOSPC, e
assert not os.path.exists(os.path.join(table, "k05000"))
# Free space by deleting items; writing works again without a remount.
for i in stored[: len(stored) // 2]:
    os.unlink(os.path.join(table, "k%05d" % i))
put(5000)
with open(record, "w") as f:
    f.write(" ".join(str(i) for i in stored[len(stored) // 2:] + [5000]))
print("filled after %d items; freed half; writes work again" % len(stored))
PY

grep -q "ENOSPC" "$MNT/.errors" || fail ".errors does not name ENOSPC"
ddb_remount
for i in $(cat "$T/stored"); do
	assert_exists "$MNT/Fill/$(printf 'k%05d' "$i")"
done
ddb_umount
