#!/usr/bin/env python3
"""Core throughput: items written and read through the mount, shell-style.

Each item is one open/write/close (a put) and one open/read/close (a get),
the way `echo > item` and `cat item` do it.  The same work runs on a plain
directory on tmpfs in the same run, and the ratios are printed, so a noisy
machine does not lie.  Usage: core.py MOUNTPOINT TMPFS_DIR [ITEMS] [PARTITIONS]
"""
import os
import statistics
import sys
import time

SCHEMA = ('{"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},'
          ' {"AttributeName": "sk", "KeyType": "RANGE"}],'
          ' "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},'
          ' {"AttributeName": "sk", "AttributeType": "N"}]}')


def item_text(p, s):
    pad = "x" * 200
    return ('{"pk": {"S": "p%04d"}, "sk": {"N": "%d"}, "payload": {"S": "%s"},'
            ' "n": {"N": "%d.5"}}\n' % (p, s, pad, s)).encode()


def layout(root, parts):
    os.makedirs(root, exist_ok=True)
    for p in range(parts):
        os.makedirs(os.path.join(root, "p%04d" % p), exist_ok=True)


def paths(root, items, parts):
    per = items // parts
    return [(os.path.join(root, "p%04d" % p, str(s)), p, s)
            for p in range(parts) for s in range(per)]


def put_all(todo):
    t0 = time.perf_counter()
    for path, p, s in todo:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, item_text(p, s))
        os.close(fd)
    return time.perf_counter() - t0


def get_all(todo):
    t0 = time.perf_counter()
    total = 0
    for path, _, _ in todo:
        fd = os.open(path, os.O_RDONLY)
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            total += len(b)
        os.close(fd)
    return time.perf_counter() - t0, total


def list_all(root, parts):
    t0 = time.perf_counter()
    n = 0
    for p in range(parts):
        with os.scandir(os.path.join(root, "p%04d" % p)) as it:
            for e in it:
                e.stat()
                n += 1
    return time.perf_counter() - t0, n


def run(root, items, parts):
    layout(root, parts)
    todo = paths(root, items, parts)
    tput = put_all(todo)
    tget, _ = get_all(todo)
    tls, n = list_all(root, parts)
    assert n == len(todo), (n, len(todo))
    return len(todo) / tput, len(todo) / tget, len(todo) / tls


def main():
    mnt, tmp = sys.argv[1], sys.argv[2]
    items = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    parts = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    rounds = int(os.environ.get("ROUNDS", "3"))
    res = {"ddbfs": [], "tmpfs": []}
    for r in range(rounds):
        table = os.path.join(mnt, "Bench%d" % r)
        os.mkdir(table)
        with open(os.path.join(table, ".schema"), "w") as f:
            f.write(SCHEMA)
        res["ddbfs"].append(run(table, items, parts))
        res["tmpfs"].append(run(os.path.join(tmp, "Bench%d" % r), items, parts))
    print("items=%d partitions=%d rounds=%d (median, min-max)" % (items, parts, rounds))
    for i, what in enumerate(("put (open/write/close)", "get (open/read/close)",
                              "list+stat (scandir)")):
        d = [x[i] for x in res["ddbfs"]]
        t = [x[i] for x in res["tmpfs"]]
        print("%-24s ddbfs %8.0f/s [%0.f-%0.f]  tmpfs %9.0f/s  ratio %.3f" % (
            what, statistics.median(d), min(d), max(d), statistics.median(t),
            statistics.median(d) / statistics.median(t)))


if __name__ == "__main__":
    main()
