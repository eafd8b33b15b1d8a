#!/usr/bin/env python3
"""Write cost of secondary indexes: the same puts into tables with 0, 1 and
3 indexes (a GSI; then also a hash+range GSI and an LSI), shell-style (one
open/write/close per item), then overwrites that move every item to other
index keys.  Rounds interleave the tables so drift hits all alike; the same
files written to tmpfs give the native limit.  Ratios are against the table
without indexes in the same run.

Besides wall-clock items/s it reports the daemon's own CPU time per item
(utime + stime from /proc/DDBFS_PID/stat), which other load on a shared
machine hardly disturbs.

Usage: DDBFS_PID=N indexes.py MOUNTPOINT TMPFS_DIR [ITEMS] [PARTITIONS]
"""
import os
import statistics
import sys
import time

KEYS = ('"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},'
        ' {"AttributeName": "sk", "KeyType": "RANGE"}]')
ATTRS = ('"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},'
         ' {"AttributeName": "sk", "AttributeType": "N"}%s]')
GSI1 = ('{"IndexName": "ByColor", "KeySchema": [{"AttributeName": "Color", "KeyType": "HASH"}],'
        ' "Projection": {"ProjectionType": "ALL"}}')
GSI2 = ('{"IndexName": "ByTagScore", "KeySchema": [{"AttributeName": "Tag", "KeyType": "HASH"},'
        ' {"AttributeName": "Score", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}')
LSI = ('{"IndexName": "ByScore", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},'
       ' {"AttributeName": "Score", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}')
DEF = lambda n, t: ', {"AttributeName": "%s", "AttributeType": "%s"}' % (n, t)

SCHEMAS = {
    0: "{%s, %s}" % (KEYS, ATTRS % ""),
    1: '{%s, %s, "GlobalSecondaryIndexes": [%s]}' % (KEYS, ATTRS % DEF("Color", "S"), GSI1),
    3: '{%s, %s, "GlobalSecondaryIndexes": [%s, %s], "LocalSecondaryIndexes": [%s]}' % (
        KEYS, ATTRS % (DEF("Color", "S") + DEF("Tag", "S") + DEF("Score", "N")), GSI1, GSI2,
        LSI),
}


def item_text(p, s, gen):
    return ('{"Color": {"S": "c%d"}, "Tag": {"S": "t%d"}, "Score": {"N": "%d"},'
            ' "payload": {"S": "%s"}}\n' % ((s + gen) % 17, (s * 7 + gen) % 31, s * 3 + gen,
                                            "x" * 200)).encode()


def daemon_cpu():
    pid = os.environ.get("DDBFS_PID")
    if not pid:
        return 0.0
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def put_all(root, items, parts, gen, cpu):
    c0 = daemon_cpu()
    t0 = time.perf_counter()
    per = items // parts
    for p in range(parts):
        d = os.path.join(root, "p%04d" % p)
        for s in range(per):
            fd = os.open(os.path.join(d, str(s)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, item_text(p, s, gen))
            os.close(fd)
    rate = items / (time.perf_counter() - t0)
    cpu.append((daemon_cpu() - c0) * 1e6 / items)
    return rate


def make(root, nindex, parts):
    os.makedirs(root)
    if nindex is not None:
        with open(os.path.join(root, ".schema"), "w") as f:
            f.write(SCHEMAS[nindex])
    for p in range(parts):
        os.makedirs(os.path.join(root, "p%04d" % p))


def main():
    mnt, tmp = sys.argv[1], sys.argv[2]
    items = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    parts = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    rounds = int(os.environ.get("ROUNDS", "3"))
    res = {k: {"put": [], "overwrite": []} for k in ("tmpfs", 0, 1, 3)}
    cpu = {k: {"put": [], "overwrite": []} for k in ("tmpfs", 0, 1, 3)}
    for r in range(rounds):
        for k in ("tmpfs", 0, 1, 3):
            root = os.path.join(tmp if k == "tmpfs" else mnt, "Ix%s_%d" % (k, r))
            make(root, None if k == "tmpfs" else k, parts)
            res[k]["put"].append(put_all(root, items, parts, 0, cpu[k]["put"]))
            res[k]["overwrite"].append(put_all(root, items, parts, 1, cpu[k]["overwrite"]))
    print("items=%d partitions=%d rounds=%d; items/s median [min-max] and ratio to 0 indexes;"
          " daemon CPU us/item median [min-max] and ratio" % (items, parts, rounds))
    for what in ("put", "overwrite"):
        base = statistics.median(res[0][what])
        cbase = statistics.median(cpu[0][what])
        for k in ("tmpfs", 0, 1, 3):
            v = res[k][what]
            name = "tmpfs" if k == "tmpfs" else "%d index%s" % (k, "" if k == 1 else "es")
            line = "%-9s %-10s %8.0f/s [%0.f-%0.f]  ratio %.3f" % (
                what, name, statistics.median(v), min(v), max(v), statistics.median(v) / base)
            if k != "tmpfs" and cbase:
                c = cpu[k][what]
                line += "   cpu %6.1f us [%0.1f-%0.1f]  ratio %.2f" % (
                    statistics.median(c), min(c), max(c), statistics.median(c) / cbase)
            print(line)


if __name__ == "__main__":
    main()
