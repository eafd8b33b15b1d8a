"""workload.py - what the multi-process integration harnesses share.

Keys are paths under the mount: "<range table>/<pk>/<sk>" in a hash+range
table with key attributes P and R, or "<hash table>/<k>" in a hash-only
table with key attribute K.  Payloads are deterministic, so a reader knows
the exact text a version must have.
"""
import hashlib
import os
import sys


def key_attrs(key, range_table):
    """The key attributes of the item at key."""
    parts = key.split("/")
    if parts[0] == range_table:
        return {"P": {"S": parts[1]}, "R": {"S": parts[2]}}
    return {"K": {"S": parts[1]}}


def payload(a, b, size):
    """Deterministic text of `size` bytes for version (a, b)."""
    seed = hashlib.sha256(b"%d/%d" % (a, b)).hexdigest()
    return (seed * (size // len(seed) + 1))[:size]


def fork_all(n, fn, what):
    """Runs fn(i) for i in 1..n, each in its own process; exits 1 if any failed."""
    pids = []
    for i in range(1, n + 1):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                fn(i)
            except BaseException as e:  # noqa: B902 - report, never hang
                print("%s %d: %r" % (what, i, e), file=sys.stderr)
                code = 2
            os._exit(code)
        pids.append(pid)
    status = 0
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        status |= os.waitstatus_to_exitcode(st) != 0
    sys.exit(status)
