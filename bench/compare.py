#!/usr/bin/env python3
"""ddbfs against the limits and the peer, in one run (issue 7).

Driven by bench/run-compare.sh, which mounts everything.  The same work runs
on four trees in each round, in a rotating order:

  tmpfs        a plain directory tree of the same JSON files (native limit)
  passthrough  bench/passthrough over tmpfs with ddbfs's libfuse options
               (FUSE limit: entry_timeout 1, attr_timeout 0, direct_io, ...)
  pt-lowlevel  (with --ptll) bench/passthrough/passthrough_ll.c: the same
               options through libfuse's low-level API, as ddbfs since 6acf8f8
  pt-cached    the same passthrough with kernel caching (-o cached: entry
               and attribute timeouts of 1 s, page cache with keep_cache)
  ddbfs        the Release daemon of bench/lib.sh, its data on disk

The work, ITEMS items of about 300 bytes over PARTITIONS partitions
(path TABLE/<pk>/<sk>, the item's canonical DynamoDB JSON as content):

  create 1p/4p  mkdir of each partition, then per item open(O_CREAT|O_TRUNC),
                one write, close, as `echo > item` does; from 1 process, and
                from 4 processes each making every 4th partition (two tables)
  read 1p/4p    per item open, read to EOF, close, as `cat` does
  query 1p/4p   per partition a 100-item range view, listed and every item
                read: on ddbfs `<pk>/.limit/100/`, elsewhere the 100 first
                of the sorted listing (`ls | head -100`)
  ls -lU        of one partition holding ITEMS items (a separate table,
                built once before the rounds)
  view100       on that partition, listed and read: `.limit/100/` and
                `.between/LO/HI/` over 100 keys from the middle; elsewhere
                the sorted listing's 100 first, or its names in [LO, HI]
  rsync         `rsync -a T/ backup/` of the 1-process table to tmpfs, a
                second rsync that must transfer nothing, and a restore
                `rsync -a backup/ NEW/` into an empty directory (on ddbfs a
                freshly made table with no schema: the .schema arrives with
                the items)

and, in the same round, the store limit (bench/lmdb_baseline: the same puts, gets and 100-key
scans on raw LMDB in-process, one transaction per put and batched) and the
peer (dynalite through @aws-sdk/client-dynamodb: PutItem, GetItem, Query with
Limit 100, at concurrency 1 and 16; bench/peer/peer.js).

Every ratio is ddbfs's speed over the other's (its time over ddbfs's time for
timed work): above 1 ddbfs is faster.  Medians of ROUNDS rounds, min-max.
Daemon peak memory is VmHWM from /proc/PID/status at the end of the run.
"""
import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

SCHEMA = ('{"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},'
          '{"AttributeName":"sk","KeyType":"RANGE"}],'
          '"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},'
          '{"AttributeName":"sk","AttributeType":"S"}]}')
PAD = "x" * 200
NPROC = 4
VIEW_CALLS = 5


def pk_name(p):
    return "p%05d" % p


def sk_name(s):
    return "s%07d" % s


def item_text(p, s):
    """The item as ddbfs renders it (canonical text), so every tree holds the same bytes."""
    return ('{\n  "data": {"S": "%s"},\n  "n": {"N": "%d.5"},\n'
            '  "pk": {"S": "%s"},\n  "sk": {"S": "%s"}\n}\n'
            % (PAD, s, pk_name(p), sk_name(s))).encode()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- the work, shared by the 1-process runs and the 4-process pool ----

def w_create(a):
    root, parts, per = a
    n = 0
    for p in parts:
        d = os.path.join(root, pk_name(p))
        os.mkdir(d)
        for s in range(per):
            fd = os.open(os.path.join(d, sk_name(s)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, item_text(p, s))
            os.close(fd)
            n += 1
    return n


def read_file(path):
    fd = os.open(path, os.O_RDONLY)
    total = 0
    try:
        while True:
            b = os.read(fd, 65536)
            if not b:
                return total
            total += len(b)
    finally:
        os.close(fd)


def w_read(a):
    root, parts, per = a
    total = 0
    for p in parts:
        d = os.path.join(root, pk_name(p))
        for s in range(per):
            total += read_file(os.path.join(d, sk_name(s)))
    return total


def view_names(d, kind, how):
    """The names of a 100-item view of directory d, and the directory to read them from."""
    if kind == "ddbfs":
        v = os.path.join(d, how) if how else os.path.join(d, ".limit/100")
        return v, os.listdir(v)
    names = sorted(os.listdir(d))
    if how:
        lo, hi = how.split("/")[1:3]
        return d, [x for x in names if lo <= x <= hi]
    return d, names[:100]


def w_query(a):
    root, parts, kind = a
    n = 0
    for p in parts:
        v, names = view_names(os.path.join(root, pk_name(p)), kind, None)
        for x in names:
            read_file(os.path.join(v, x))
        n += len(names)
    return n


def view_read(d, kind, how):
    v, names = view_names(d, kind, how)
    for x in names:
        read_file(os.path.join(v, x))
    return names


# ---- measurement helpers ----

def proc_status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def proc_cpu(pid):
    """utime + stime of pid and its threads, in seconds."""
    if not pid:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def shares(parts):
    return [list(range(k, parts, NPROC)) for k in range(NPROC)]


def med(xs):
    return statistics.median(xs)


def fmt_rate(xs):
    if not xs:
        return "-"
    return "%.0f/s [%.0f-%.0f]" % (med(xs), min(xs), max(xs))


def fmt_secs(xs):
    if not xs:
        return "-"
    m = med(xs)
    if m < 1:
        return "%.2f ms [%.2f-%.2f]" % (m * 1e3, min(xs) * 1e3, max(xs) * 1e3)
    return "%.2f s [%.2f-%.2f]" % (m, min(xs), max(xs))


def ratio(d, o, timed):
    if not d or not o:
        return "-"
    x = (med(o) / med(d)) if timed else (med(d) / med(o))
    return "%.2f" % x if x >= 0.1 else "%.2g" % x


class System:
    def __init__(self, name, root, pid, kind):
        self.name, self.root, self.pid, self.kind = name, root, pid, kind
        self.res = {}
        self.cpu = {}

    def add(self, what, value, cpu=None, ops=None):
        self.res.setdefault(what, []).append(value)
        if cpu is not None and ops:
            self.cpu.setdefault(what, []).append(cpu / ops)

    def make_table(self, name):
        t = os.path.join(self.root, name)
        os.mkdir(t)
        if self.kind == "ddbfs":
            with open(os.path.join(t, ".schema"), "w") as f:
                f.write(SCHEMA)
        return t

    def remove_table(self, name):
        """Frees tmpfs memory between rounds (through the mount, so the daemon
        forgets the names too).  ddbfs keeps its tables: its data is on disk."""
        if self.kind != "ddbfs":
            shutil.rmtree(os.path.join(self.root, name))


def timed(sysm, what, fn, ops, rate=True):
    c0 = proc_cpu(sysm.pid)
    t0 = time.perf_counter()
    got = fn()
    dt = time.perf_counter() - t0
    sysm.add(what, ops / dt if rate else dt, proc_cpu(sysm.pid) - c0, ops)
    return got


def run_rsync(args):
    r = subprocess.run(["rsync"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        raise SystemExit("rsync %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def count_items(t, parts):
    n = 0
    for p in range(parts):
        with os.scandir(os.path.join(t, pk_name(p))) as it:
            n += sum(1 for _ in it)
    return n


def one_round(r, sysm, pool, items, parts, backup_root, big):
    per = items // parts
    n = per * parts
    expect_bytes = sum(len(item_text(p, s)) for p in range(parts) for s in range(per))
    t1, t4, rt = "Create%d1p" % r, "Create%d4p" % r, "Restore%d" % r  # 3-255 chars

    # creates
    root1 = sysm.make_table(t1)
    timed(sysm, "create 1p", lambda: w_create((root1, range(parts), per)), n)
    root4 = sysm.make_table(t4)
    timed(sysm, "create 4p",
          lambda: sum(pool.map(w_create, [(root4, s, per) for s in shares(parts)])), n)
    if r == 0 and sysm.kind == "ddbfs":
        with open(os.path.join(root1, pk_name(0), sk_name(0)), "rb") as f:
            got = f.read()
        if got != item_text(0, 0):
            log("note: ddbfs renders the item differently from the files written elsewhere:"
                " %r" % got)

    # reads
    got = timed(sysm, "read 1p", lambda: w_read((root1, range(parts), per)), n)
    assert got == expect_bytes, (sysm.name, got, expect_bytes)
    got = timed(sysm, "read 4p",
                lambda: sum(pool.map(w_read, [(root1, s, per) for s in shares(parts)])), n)
    assert got == expect_bytes, (sysm.name, got, expect_bytes)

    # 100-item range views, one per partition
    q = min(per, 100)
    got = timed(sysm, "query 1p", lambda: w_query((root1, range(parts), sysm.kind)), parts)
    assert got == q * parts, (sysm.name, got)
    got = timed(sysm, "query 4p",
                lambda: sum(pool.map(w_query, [(root1, s, sysm.kind) for s in shares(parts)])),
                parts)
    assert got == q * parts, (sysm.name, got)

    # the big partition
    bigdir = os.path.join(sysm.root, "Big", pk_name(0))
    env = dict(os.environ, LC_ALL="C")
    timed(sysm, "ls -lU big", lambda: subprocess.run(["ls", "-lU", bigdir], env=env, check=True,
                                                      stdout=subprocess.DEVNULL), 1, rate=False)
    lo, hi = sk_name(big // 2), sk_name(big // 2 + 99)
    for what, how, want in (("view .limit/100", None, [sk_name(s) for s in range(min(100, big))]),
                            ("view .between", ".between/%s/%s" % (lo, hi),
                             [sk_name(s) for s in range(big // 2, min(big, big // 2 + 100))])):
        times = []
        for _ in range(VIEW_CALLS):
            t0 = time.perf_counter()
            names = view_read(bigdir, sysm.kind, how)
            times.append(time.perf_counter() - t0)
            assert names == want, (sysm.name, what, names[:3], want[:3])
        sysm.add(what + " big", med(times))

    # backup and restore
    bk = os.path.join(backup_root, "%s-%d" % (sysm.name, r))
    timed(sysm, "rsync out", lambda: run_rsync(["-a", root1 + "/", bk + "/"]), n, rate=False)
    out = timed(sysm, "rsync no-change",
                lambda: run_rsync(["-a", "--stats", root1 + "/", bk + "/"]), n, rate=False)
    moved = [line for line in out.splitlines() if line.startswith("Number of regular files transferred")]
    if moved != ["Number of regular files transferred: 0"]:
        log("WARNING: %s: the no-change rsync transferred files: %s" % (sysm.name, moved))
        sysm.add("no-change rsync transferred", int(moved[0].split(":")[1].replace(",", ""))
                 if moved else -1)
    rroot = os.path.join(sysm.root, rt)
    os.mkdir(rroot)
    timed(sysm, "rsync restore", lambda: run_rsync(["-a", bk + "/", rroot + "/"]), n, rate=False)
    got = count_items(rroot, parts)
    assert got == n, (sysm.name, "restored", got, n)
    with open(os.path.join(rroot, pk_name(parts - 1), sk_name(per - 1)), "rb") as f:
        assert f.read() == item_text(parts - 1, per - 1), (sysm.name, "restored item differs")
    if sysm.kind == "ddbfs":
        with open(os.path.join(rroot, ".schema")) as f:
            schema = json.load(f)
        assert [k["AttributeName"] for k in schema["KeySchema"]] == ["pk", "sk"], schema
        assert schema.get("ItemCount") in (None, n), ("restored ItemCount", schema.get("ItemCount"))
    shutil.rmtree(bk)
    for t in (t1, t4, rt):
        sysm.remove_table(t)


def build_big(sysm, big):
    t = sysm.make_table("Big")
    d = os.path.join(t, pk_name(0))
    os.mkdir(d)
    t0 = time.perf_counter()
    for s in range(big):
        fd = os.open(os.path.join(d, sk_name(s)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, item_text(0, s))
        os.close(fd)
    sysm.add("create big (once)", big / (time.perf_counter() - t0))
    r = subprocess.run(["ls", "-lU", d], env=dict(os.environ, LC_ALL="C"), check=True,
                       stdout=subprocess.PIPE)
    lines = r.stdout.count(b"\n")
    assert lines == big + 1, (sysm.name, "ls -lU lines", lines)


def run_lmdb(args, r, items, parts, res):
    d = os.path.join(args.lmdb_dir, "r%d" % r)
    os.mkdir(d)
    out = subprocess.run([args.lmdb, d, str(items), str(parts), str(NPROC)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        k, v = line.split()
        res.setdefault(k, []).append(float(v))
    shutil.rmtree(d)


def run_peer(args, r, parts, res):
    env = dict(os.environ, NODE_NO_WARNINGS="1")
    for conc in (1, 16):
        log("round %d: peer at concurrency %d" % (r + 1, conc))
        c0 = proc_cpu(args.peer_pid)
        u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        try:
            out = subprocess.run(["node", args.peer_script, args.peer, "Bench%dc%d" % (r, conc),
                                  str(args.peer_items), str(parts), str(conc)],
                                 check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
        except subprocess.CalledProcessError as e:
            # A peer that fails (dynalite once hung up at concurrency 16 after
            # 30 minutes) loses its own figures, not the run's.
            log("round %d: the peer failed at concurrency %d (%s); its figures are left out"
                % (r + 1, conc, e))
            continue
        wall = time.perf_counter() - t0
        u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        got = json.loads(out)
        for k in ("put", "get", "query"):
            res.setdefault("%s c%d" % (k, conc), []).append(got[k])
        res.setdefault("server cpu share c%d" % conc, []).append(
            (proc_cpu(args.peer_pid) - c0) / wall)
        res.setdefault("client cpu share c%d" % conc, []).append(
            (u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime) / wall)


def table(title, head, rows):
    print()
    print(title)
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, required=True)
    ap.add_argument("--partitions", type=int, required=True)
    ap.add_argument("--ddbfs", required=True)
    ap.add_argument("--ddbfs-pid", type=int, required=True)
    ap.add_argument("--native", required=True)
    ap.add_argument("--pt", required=True)
    ap.add_argument("--pt-pid", type=int, required=True)
    ap.add_argument("--ptc", required=True)
    ap.add_argument("--ptc-pid", type=int, required=True)
    ap.add_argument("--ptll")
    ap.add_argument("--ptll-pid", type=int)
    ap.add_argument("--backup", required=True)
    ap.add_argument("--lmdb", required=True)
    ap.add_argument("--lmdb-dir", required=True)
    ap.add_argument("--peer")
    ap.add_argument("--peer-pid", type=int)
    ap.add_argument("--peer-script")
    ap.add_argument("--peer-items", type=int)
    args = ap.parse_args()
    items, parts = args.items, args.partitions
    rounds = int(os.environ.get("ROUNDS", "3"))
    per = items // parts
    n = per * parts
    big = items

    systems = [System("tmpfs", args.native, None, "dir"),
               System("passthrough", args.pt, args.pt_pid, "dir"),
               System("pt-cached", args.ptc, args.ptc_pid, "dir"),
               System("ddbfs", args.ddbfs, args.ddbfs_pid, "ddbfs")]
    if args.ptll:
        systems.insert(2, System("pt-lowlevel", args.ptll, args.ptll_pid, "dir"))
    others = [s.name for s in systems if s.name != "ddbfs"]
    fuse_others = [s for s in others if s != "tmpfs"]
    by = {s.name: s for s in systems}
    print("items=%d partitions=%d (%d items each) big partition=%d items rounds=%d; "
          "item %d bytes" % (n, parts, per, big, rounds, len(item_text(0, 0))))
    started = time.time()
    lm = {}
    peer = {} if args.peer else None
    pool = multiprocessing.get_context("fork").Pool(NPROC)
    pool.map(len, [[]] * NPROC * 4)    # the workers are up before anything is timed
    try:
        for s in systems:
            log("building the %d-item partition on %s" % (big, s.name))
            build_big(s, big)
        # Each round runs everything, so the store limit and the peer meet the
        # same machine load as the filesystems they are compared with.
        for r in range(rounds):
            order = systems[r % len(systems):] + systems[:r % len(systems)]
            for s in order:
                log("round %d: %s (%.0f s so far)" % (r + 1, s.name, time.time() - started))
                one_round(r, s, pool, items, parts, args.backup, big)
            log("round %d: raw LMDB (%.0f s so far)" % (r + 1, time.time() - started))
            run_lmdb(args, r, items, parts, lm)
            if peer is not None:
                run_peer(args, r, parts, peer)
    finally:
        pool.close()
        pool.join()
    mem = {s.name: (proc_status(s.pid, "VmHWM"), proc_status(s.pid, "RssAnon"),
                    proc_status(s.pid, "RssFile")) for s in systems if s.pid}
    if peer is not None:
        mem["dynalite"] = (proc_status(args.peer_pid, "VmHWM"),
                           proc_status(args.peer_pid, "RssAnon"),
                           proc_status(args.peer_pid, "RssFile"))

    d = by["ddbfs"]
    rate_rows = ["create 1p", "create 4p", "read 1p", "read 4p", "query 1p", "query 4p",
                 "create big (once)"]
    time_rows = ["ls -lU big", "view .limit/100 big", "view .between big",
                 "rsync out", "rsync no-change", "rsync restore"]
    labels = {
        "create 1p": "create (open/write/close), 1 process",
        "create 4p": "create, 4 processes",
        "read 1p": "read (open/read/close), 1 process",
        "read 4p": "read, 4 processes",
        "query 1p": "100-item view + read its items, per partition, 1 process",
        "query 4p": "100-item view + read, 4 processes",
        "create big (once)": "create %d items in one partition (once)" % big,
        "ls -lU big": "`ls -lU` of the %d-item partition" % big,
        "view .limit/100 big": "`.limit/100` view + read, %d-item partition" % big,
        "view .between big": "`.between` 100 keys view + read, %d-item partition" % big,
        "rsync out": "`rsync -a` table out to tmpfs",
        "rsync no-change": "second `rsync -a`, no change",
        "rsync restore": "restore `rsync -a backup/ EMPTY/`",
    }
    head = ["work", "ddbfs"] + others + ["ddbfs/" + s for s in others]
    rows = []
    for w in rate_rows + time_rows:
        timed_row = w in time_rows
        f = fmt_secs if timed_row else fmt_rate
        rows.append([labels[w]] + [f(by[s].res.get(w, [])) for s in
                                   ["ddbfs"] + others] +
                    [ratio(d.res.get(w), by[s].res.get(w), timed_row) for s in others])
    table("Native and FUSE limits (items/s, queries/s = partitions/s, or time; "
          "ratio = ddbfs speed / other speed, >1: ddbfs faster)", head, rows)

    cpu_rows = []
    for w in ["create 1p", "create 4p", "read 1p", "read 4p", "query 1p", "rsync out",
              "rsync no-change", "rsync restore"]:
        cpu_rows.append([labels[w]] + ["%.0f us" % (med(by[s].cpu[w]) * 1e6) if by[s].cpu.get(w)
                                       else "-" for s in ["ddbfs"] + fuse_others])
    table("Daemon CPU (user+system) per item (per query for views), median", 
          ["work", "ddbfs"] + fuse_others, cpu_rows)

    table("Daemon memory at the end of the run (kB, /proc/PID/status)",
          ["daemon", "VmHWM (peak RSS)", "RssAnon now", "RssFile now"],
          [[k, str(v[0]), str(v[1]), str(v[2])] for k, v in mem.items()])

    lrows = []
    for what, dk, lk in (("put, 1 writer: one commit per item", "create 1p", "put_txn1"),
                         ("put, 4 writers: one commit per item", "create 4p", "put_txn1_mt"),
                         ("put, 1 writer vs batches of 1000", "create 1p", "put_batch"),
                         ("get, 1 reader", "read 1p", "get"),
                         ("get, 4 readers", "read 4p", "get_mt"),
                         ("100-key range scan (ddbfs: view + read)", "query 1p", "scan100")):
        lrows.append([what, fmt_rate(d.res[dk]), fmt_rate(lm.get(lk, [])),
                      ratio(d.res[dk], lm.get(lk), False)])
    table("Store limit: raw LMDB in-process, %d environments, MDB_NOMETASYNC "
          "(ops/s; scans/s)" % 4, ["work", "ddbfs", "raw LMDB", "ddbfs/LMDB"], lrows)

    if peer is None:
        print("\nPeer: skipped (see above).")
    else:
        prows = []
        for what, dk, pk in (("put, concurrency 1 (ddbfs: 1 process)", "create 1p", "put c1"),
                             ("get, concurrency 1 (ddbfs: 1 process)", "read 1p", "get c1"),
                             ("query 100 items, concurrency 1 (ddbfs: 1 process)", "query 1p",
                              "query c1"),
                             ("put, concurrency 16 (ddbfs: 4 processes)", "create 4p", "put c16"),
                             ("get, concurrency 16 (ddbfs: 4 processes)", "read 4p", "get c16"),
                             ("query 100 items, concurrency 16 (ddbfs: 4 processes)",
                              "query 4p", "query c16")):
            prows.append([what, fmt_rate(d.res[dk]), fmt_rate(peer.get(pk, [])),
                          ratio(d.res[dk], peer.get(pk), False)])
        table("Peer: dynalite through @aws-sdk/client-dynamodb, %d items (ops/s; queries/s)"
              % args.peer_items, ["work", "ddbfs", "dynalite", "ddbfs/dynalite"], prows)
        for conc in (1, 16):
            if peer.get("server cpu share c%d" % conc):
                print("\nCPU while the peer ran at concurrency %d, in cores (of %d): dynalite "
                      "%.2f, the Node client %.2f" %
                      (conc, os.cpu_count(), med(peer["server cpu share c%d" % conc]),
                       med(peer["client cpu share c%d" % conc])))
    print("\ntotal run time %.0f s" % (time.time() - started))


if __name__ == "__main__":
    main()
