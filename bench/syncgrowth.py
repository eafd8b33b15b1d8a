#!/usr/bin/env python3
"""syncgrowth.py - what a commit's fdatasync costs when the file grows.

Usage: python3 bench/syncgrowth.py [DIR [COMMITS]]   (default /var/tmp 2000)

Each "commit" writes three 4 KiB pages and a meta page at offset 0, then
fdatasyncs, as an LMDB commit under MDB_NOMETASYNC does.  Three files:

  append     pages written past the end: the file grows every commit (LMDB
             without store/reserve.c)
  zeroed     pages written over zeros written and synced beforehand (the room
             store/reserve.c keeps)
  fallocate  pages written over fallocate(2)d, never-written blocks

Prints the median, 90th percentile and mean fdatasync time and commits per
second, and each one's ratio against `zeroed`.  DIR should be on the disk that
holds ddbfs's data (BENCH_DATA_PARENT in bench/lib.sh; /var/tmp by default).
"""
import os
import sys
import time

PAGE = 4096


def run(path, mode, commits):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        size = PAGE * 4 * (commits + 1)
        if mode == "zeroed":
            chunk = b"\0" * (1 << 20)
            for off in range(0, size, len(chunk)):
                os.pwrite(fd, chunk[:min(len(chunk), size - off)], off)
            os.fsync(fd)
        elif mode == "fallocate":
            os.posix_fallocate(fd, 0, size)
            os.fsync(fd)
        lat = []
        data, meta = b"d" * (3 * PAGE), b"m" * PAGE
        t0 = time.perf_counter()
        for i in range(commits):
            os.pwrite(fd, data, (i * 4 + 2) * PAGE)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
            os.pwrite(fd, meta, 0)
        total = time.perf_counter() - t0
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return {"median": lat[len(lat) // 2], "p90": lat[len(lat) * 9 // 10],
            "mean": sum(lat) / len(lat), "rate": commits / total}


def main():
    where = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp"
    commits = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    res = {}
    for mode in ("append", "zeroed", "fallocate"):
        res[mode] = run(os.path.join(where, "syncgrowth.%d.%s" % (os.getpid(), mode)), mode,
                        commits)
    print("fdatasync after 3 data pages + meta, %d commits in %s" % (commits, where))
    print("%-10s %9s %9s %9s %10s %8s" % ("file", "median", "p90", "mean", "commits/s",
                                         "vs zeroed"))
    for mode, r in res.items():
        print("%-10s %7.0fus %7.0fus %7.0fus %10.0f %8.2f" % (
            mode, r["median"] * 1e6, r["p90"] * 1e6, r["mean"] * 1e6, r["rate"],
            r["rate"] / res["zeroed"]["rate"]))


if __name__ == "__main__":
    main()
