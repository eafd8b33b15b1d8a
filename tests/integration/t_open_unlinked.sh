#!/bin/bash
# t_open_unlinked.sh - an item open while it is removed or replaced (issue 6).
#
# A file unlinked (or renamed over) while open has no name any more; the
# kernel asks for its size with the handle (a seek to the end), which once
# crashed the daemon.  A read handle keeps the text it opened: after
# rm, after an overwrite and after mv onto it, it still reads the old item
# whole, and a seek to the end gives that text's size.  fstat works on it
# too: once the name is gone (the kernel asks by inode number only) it gives
# the handle's text with st_nlink 0; while the name stands, what the name
# holds now, as on a disk.
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Opened K S
echo '{"V": {"S": "first"}}' >"$MNT/Opened/a"
echo '{"V": {"S": "other"}}' >"$MNT/Opened/b"
python3 - "$MNT/Opened" <<'PY'
import os, sys
top = sys.argv[1]
first = open(os.path.join(top, "a"), "rb").read()

def check(what, fd, want):
    end = os.lseek(fd, 0, os.SEEK_END)
    got = os.pread(fd, 1 << 16, 0)
    if end != len(want) or got != want:
        sys.exit("%s: seek end %d, read %r; expected %d bytes %r" % (what, end, got, len(want), want))

def fstat_is(what, fd, size, nlink):
    st = os.fstat(fd)
    if st.st_size != size or st.st_nlink != nlink:
        sys.exit("%s: fstat size %d nlink %d; expected %d and %d"
                 % (what, st.st_size, st.st_nlink, size, nlink))

# Removed while open.
fd = os.open(os.path.join(top, "a"), os.O_RDONLY)
os.unlink(os.path.join(top, "a"))
check("after rm", fd, first)
fstat_is("after rm", fd, len(first), 0)
os.close(fd)
# Overwritten while open (a longer text), then replaced by mv.
with open(os.path.join(top, "a"), "w") as f:
    f.write('{"V": {"S": "second"}}')
second = open(os.path.join(top, "a"), "rb").read()
fd = os.open(os.path.join(top, "a"), os.O_RDONLY)
with open(os.path.join(top, "a"), "w") as f:
    f.write('{"V": {"S": "third, and longer than the second"}}')
check("after an overwrite", fd, second)
os.rename(os.path.join(top, "b"), os.path.join(top, "a"))
check("after mv onto it", fd, second)
fstat_is("after mv onto it", fd, len(second), 0)
os.close(fd)
PY
# The daemon is alive and serves the latest state.
assert_eq '"other"' "$(sed -n 's/.*"V": {"S": \(.*\)}.*/\1/p' "$MNT/Opened/a")" "Opened/a after mv"
assert_missing "$MNT/Opened/b"
ddb_umount
