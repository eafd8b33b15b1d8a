#!/usr/bin/env python3
"""Range views and huge partitions: a view costs what its result costs.

Builds, through the mount, one partition of ITEMS items and one of 100
(each item one open/write/close, as `echo > item` does), then measures:

  1. 100-item views (.between over 100 keys, .limit/100, .desc/.limit/100,
     .ge/X/.limit/100) on the huge partition against the same views on the
     100-item partition: listing (os.listdir) and listing plus reading every
     entry.  The ratio huge/small should stay near 1 whatever ITEMS is.
  2. A full listing of the huge partition (os.scandir, names only; and the
     shell's `ls -U | wc -l`) against the same names in a plain tmpfs
     directory, in the same run, so a noisy machine does not lie.
  3. The daemon's memory while it lists the whole partition: VmRSS, split
     into RssAnon (the daemon's own heap) and RssFile (pages of LMDB's
     memory map, which the kernel reclaims at will), before, highest sampled
     every 5 ms during the listings, and after; and VmHWM.

Each time is the median of ROUNDS calls after a first call, which is also
shown: the kernel may cache a listing (readdir cache) or an item read.

Usage: views.py MOUNTPOINT TMPFS_DIR DAEMON_PID [ITEMS] [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import threading
import time

SCHEMA = ('{"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},'
          ' {"AttributeName": "sk", "KeyType": "RANGE"}],'
          ' "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},'
          ' {"AttributeName": "sk", "AttributeType": "N"}]}')


def item_text(k):
    return b'{"payload": {"S": "item %d of the views benchmark"}, "n": {"N": "%d.5"}}\n' % (k, k)


def put_range(part, keys, label):
    os.makedirs(part, exist_ok=True)
    t0 = time.perf_counter()
    last = t0
    for i, k in enumerate(keys):
        fd = os.open(os.path.join(part, str(k)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, item_text(k))
        os.close(fd)
        now = time.perf_counter()
        if now - last > 30:
            last = now
            print("  %s: %d of %d items, %.0f/s" % (label, i + 1, len(keys), (i + 1) / (now - t0)),
                  file=sys.stderr, flush=True)
    return time.perf_counter() - t0


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def timed(fn, rounds):
    """Median, min and max seconds of fn() over rounds after a first call
    (the kernel may cache what that call read), that first call's seconds,
    and the result."""
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        got = fn()
        times.append(time.perf_counter() - t0)
        assert got == result, "results differ between rounds"
    return statistics.median(times), min(times), max(times), result, first


def list_names(path):
    return os.listdir(path)


def list_and_read(path):
    total = 0
    names = os.listdir(path)
    for n in names:
        fd = os.open(os.path.join(path, n), os.O_RDONLY)
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            total += len(b)
        os.close(fd)
    return names, total


def scandir_count(path):
    n = 0
    with os.scandir(path) as it:
        for _ in it:
            n += 1
    return n


def ls_wc(path):
    out = subprocess.run(["bash", "-c", 'ls -U -- "$1" | wc -l', "_", path], check=True,
                         stdout=subprocess.PIPE, env=dict(os.environ, LC_ALL="C"))
    return int(out.stdout)


MEM_FIELDS = ("VmRSS", "RssAnon", "RssFile")


def mem_kb(pid):
    return {f: status_kb(pid, f) for f in MEM_FIELDS + ("VmHWM",)}


class RssSampler(threading.Thread):
    """Highest VmRSS, RssAnon (heap: what the daemon itself holds) and
    RssFile (LMDB's map pages, which the kernel can drop) seen."""
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.peak = dict.fromkeys(MEM_FIELDS, 0)

    def run(self):
        while not self.stop.is_set():
            m = mem_kb(self.pid)
            for f in MEM_FIELDS:
                self.peak[f] = max(self.peak[f], m[f])
            time.sleep(0.005)


def fmt(t):
    return "%6.2f ms [%.2f-%.2f] first %.2f" % (t[0] * 1e3, t[1] * 1e3, t[2] * 1e3, t[4] * 1e3)


def main():
    mnt, tmp, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    items = int(sys.argv[4]) if len(sys.argv) > 4 else 1000000
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 11
    table = os.path.join(mnt, "Views")
    os.mkdir(table)
    with open(os.path.join(table, ".schema"), "w") as f:
        f.write(SCHEMA)
    huge, small = os.path.join(table, "huge"), os.path.join(table, "small")
    plain = os.path.join(tmp, "huge")

    print("building: %d items in Views/huge, 100 in Views/small, %d names on tmpfs"
          % (items, items), file=sys.stderr, flush=True)
    t_huge = put_range(huge, range(items), "Views/huge")
    put_range(small, range(100), "Views/small")
    os.makedirs(plain)
    t0 = time.perf_counter()
    for k in range(items):
        os.close(os.open(os.path.join(plain, str(k)), os.O_WRONLY | os.O_CREAT, 0o644))
    t_plain = time.perf_counter() - t0
    print("items=%d rounds=%d (median [min-max]); build: %.0f puts/s through the mount"
          " (%.0f s), %.0f creates/s on tmpfs" % (items, rounds, items / t_huge, t_huge,
                                                 items / t_plain))

    # 1. 100-item views: huge partition vs 100-item partition.
    mid = items // 2
    views = [
        (".between/%d/%d" % (mid, mid + 99), ".between/0/99"),
        (".limit/100", ".limit/100"),
        (".desc/.limit/100", ".desc/.limit/100"),
        (".ge/%d/.limit/100" % mid, ".ge/0/.limit/100"),
    ]
    print("\n100-item views, huge partition vs 100-item partition:")
    for vh, vs in views:
        for what, fn in (("list", list_names), ("list+read", list_and_read)):
            th = timed(lambda: fn(os.path.join(huge, vh)), rounds)
            ts = timed(lambda: fn(os.path.join(small, vs)), rounds)
            nh = len(th[3] if what == "list" else th[3][0])
            ns = len(ts[3] if what == "list" else ts[3][0])
            assert nh == 100 and ns == 100, (vh, nh, vs, ns)
            print("  %-22s %-9s huge %s  small %s  ratio %.2f"
                  % (vh, what, fmt(th), fmt(ts), th[0] / ts[0]))

    # 2. Full listing vs tmpfs; 3. daemon memory meanwhile.
    full_rounds = max(1, min(rounds, 3))
    before = mem_kb(pid)
    sampler = RssSampler(pid)
    sampler.start()
    full = [
        ("os.scandir", scandir_count, huge, plain),
        ("ls -U | wc -l", ls_wc, huge, plain),
        ("os.scandir .desc", scandir_count, os.path.join(huge, ".desc"), plain),
    ]
    print("\nfull listing of %d names, ddbfs vs tmpfs:" % items)
    for what, fn, d, p in full:
        td = timed(lambda: fn(d), full_rounds)
        tp = timed(lambda: fn(p), full_rounds)
        assert td[3] == items and tp[3] == items, (what, td[3], tp[3])
        print("  %-17s ddbfs first %6.0f ms (%7.0f names/s), then %6.0f ms;"
              "  tmpfs first %5.0f ms, then %5.0f ms;  ratio first %.1f, then %.1f"
              % (what, td[4] * 1e3, items / td[4], td[0] * 1e3, tp[4] * 1e3, tp[0] * 1e3,
                 td[4] / tp[4], td[0] / tp[0]))
    sampler.stop.set()
    sampler.join()
    after = mem_kb(pid)
    print("\ndaemon memory during the full listings (kB):")
    for f in MEM_FIELDS:
        print("  %-8s before %8d  peak %8d (%+d)  after %8d"
              % (f, before[f], sampler.peak[f], sampler.peak[f] - before[f], after[f]))
    print("  VmHWM    before %8d  after %8d" % (before["VmHWM"], after["VmHWM"]))

if __name__ == "__main__":
    main()
