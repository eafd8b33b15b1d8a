#!/usr/bin/env python3
"""concurrency.py - many processes on overlapping keys, for t_concurrency.sh.

Usage:
  concurrency.py setup MNT
  concurrency.py run MNT OUTDIR PROCS OPS SEED [BUDGET]
      PROCS processes x OPS ops; with BUDGET (seconds), a process starts no
      new operation once BUDGET has passed (slow builds do fewer)
  concurrency.py check MNT OUTDIR                 (final state and history)
  concurrency.py selftest                         (the model must catch bad histories)

Every process runs a random mix of puts (create or overwrite: open with
O_TRUNC, write, close), deletes and reads on the same few keys of a
hash+range table (4 partition keys over 4 environments) and of a hash-only
table.  Each operation records its interval (time.monotonic_ns before the
first call and after the last) and its result; a put's version (process,
sequence, payload size) determines its exact text, so a reader checks on
the spot that it got the canonical text of one version (never a torn or
mixed item).

check replays the history against a serial model of a register per key:
- every read returns a version whose put started before the read ended and
  that no other write on the key had wholly replaced before the read began
  (a read of a missing item likewise needs a delete, or the initial absence,
  not wholly replaced);
- the final value of each key is the value of one of its last writes: a
  write that no other write on the key started after it ended;
- .schema's ItemCount equals the number of items listed.
An open refused with ESTALE (the open raced with an unlink of the name, and
the kernel's one retry with a fresh lookup raced again) did nothing and is
only counted.  CONC_SHOW=N
prints up to N problems (default 30).
"""
import errno
import json
import os
import random
import sys
import time
from bisect import bisect_right

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canon import canon  # noqa: E402
import workload  # noqa: E402

HR = "ConcHR"
H = "ConcH"
KEYS = (["%s/p%d/k%d" % (HR, p, s) for p in range(4) for s in range(8)]
        + ["%s/k%d" % (H, s) for s in range(8)])
NEG_INF = -(1 << 62)


def item(key, version):
    p, seq, size = version
    it = {"Proc": {"N": str(p)}, "Seq": {"N": str(seq)},
          "Payload": {"S": workload.payload(p, seq, size)}}
    it.update(workload.key_attrs(key, HR))
    return it


def expected_text(key, version):
    return canon(item(key, version)).encode()


def version_of(key, data):
    """(version, None) for the exact canonical text of a version, else (None, why)."""
    try:
        it = json.loads(data.decode("utf-8"))
        version = (int(it["Proc"]["N"]), int(it["Seq"]["N"]), len(it["Payload"]["S"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        return None, "not an item written here (%s): %r" % (e, data[:160])
    if data != expected_text(key, version):
        return None, "torn or mixed item: %r" % data[:200]
    return version, None


def cmd_setup(mnt):
    for table, hash_only in ((HR, False), (H, True)):
        ks = [{"AttributeName": "K" if hash_only else "P", "KeyType": "HASH"}]
        if not hash_only:
            ks.append({"AttributeName": "R", "KeyType": "RANGE"})
        ad = [{"AttributeName": k["AttributeName"], "AttributeType": "S"} for k in ks]
        os.mkdir(os.path.join(mnt, table))
        with open(os.path.join(mnt, table, ".schema"), "w") as f:
            json.dump({"KeySchema": ks, "AttributeDefinitions": ad, "Partitions": 4}, f)
    for p in range(4):
        os.mkdir(os.path.join(mnt, HR, "p%d" % p))


# ---- the processes ------------------------------------------------------

def random_size(rng):
    r = rng.random()
    if r < 0.5:
        return rng.randrange(0, 300)
    if r < 0.85:
        return rng.randrange(300, 4000)
    if r < 0.98:
        return rng.randrange(4000, 20000)
    return rng.randrange(150000, 300000)	# read in several requests


def put(rng, path, key, version):
    it = item(key, version)
    names = list(it)
    rng.shuffle(names)
    text = json.dumps({n: it[n] for n in names}, indent=rng.choice([None, 2])).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(text)
        while view:
            view = view[os.write(fd, view[:rng.choice([len(view), 4096, 700])]):]
    except OSError:
        os.close(fd)
        raise
    os.close(fd)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run_proc(mnt, p, ops, seed, out, stop_at):
    rng = random.Random(seed)
    hist, problems = [], []
    seq = 0
    for _ in range(ops):
        if time.monotonic() > stop_at:
            break
        key = rng.choice(KEYS)
        path = os.path.join(mnt, key)
        r = rng.random()
        kind = "put" if r < 0.4 else "del" if r < 0.55 else "read"
        rec = {"k": key, "op": kind}
        if kind == "put":
            seq += 1
            rec["v"] = [p, seq, random_size(rng)]
        start = time.monotonic_ns()
        try:
            if kind == "put":
                put(rng, path, key, tuple(rec["v"]))
            elif kind == "del":
                os.unlink(path)
            else:
                data = read(path)
        except OSError as e:
            if e.errno == errno.ESTALE and kind != "del":
                # The open raced with an unlink (and a re-create) of the
                # name, twice; nothing happened.
                rec["err"] = "estale"
            elif e.errno != errno.ENOENT or kind == "put":
                problems.append("proc %d: %s %s: %s" % (p, kind, key, os.strerror(e.errno)))
                rec["err"] = e.errno
            elif kind == "read":
                rec["v"] = None
            else:
                rec["enoent"] = True	# nothing to delete: it saw the key absent
        else:
            if kind == "read":
                version, why = version_of(key, data)
                if why:
                    problems.append("proc %d: read %s: %s" % (p, key, why))
                    rec["err"] = "torn"
                else:
                    rec["v"] = list(version)
        rec["s"] = start
        rec["e"] = time.monotonic_ns()
        hist.append(rec)
    with open(out, "w") as f:
        json.dump({"hist": hist, "problems": problems}, f)


def cmd_run(mnt, outdir, procs, ops, seed, budget):
    stop_at = time.monotonic() + budget if budget else float("inf")
    workload.fork_all(procs, lambda p: run_proc(mnt, p, ops, seed * 100 + p,
                                                os.path.join(outdir, "p%d.json" % p), stop_at),
                      "proc")


# ---- the model ----------------------------------------------------------

def value_of(rec):
    """What a write leaves: a version tuple, or None for a delete."""
    return tuple(rec["v"]) if rec["op"] == "put" else None


class KeyHistory:
    """The writes on one key, for 'was W wholly replaced before time t?'."""

    def __init__(self, writes):
        # The initial absence is a write of None that ended before anything.
        self.writes = [{"op": "init", "s": NEG_INF, "e": NEG_INF}] + writes
        by_start = sorted(self.writes, key=lambda w: w["s"])
        self.starts = [w["s"] for w in by_start]
        # suffix_min_end[i]: the earliest end among writes starting at or
        # after starts[i].
        self.suffix_min_end = [0] * len(by_start)
        m = 1 << 62
        for i in range(len(by_start) - 1, -1, -1):
            m = min(m, by_start[i]["e"])
            self.suffix_min_end[i] = m

    def replaced_before(self, w, t):
        """Some write started after w ended and ended before t."""
        i = bisect_right(self.starts, w["e"])
        return i < len(self.starts) and self.suffix_min_end[i] < t

    def finals(self):
        """Values a serial order can leave last: writes no write follows."""
        last_start = self.starts[-1]
        return {value_of(w) if w["op"] != "init" else None
                for w in self.writes if not w["e"] < last_start}


def check_history(hist, final):
    """Problems in a history (list of records) given the final key -> version."""
    problems = []
    writes = {k: [] for k in KEYS}
    by_version = {}
    for rec in hist:
        if rec.get("err") is not None:
            continue
        if rec["op"] == "put" or (rec["op"] == "del" and not rec.get("enoent")):
            writes[rec["k"]].append(rec)
            if rec["op"] == "put":
                by_version[(rec["k"], tuple(rec["v"]))] = rec
    model = {k: KeyHistory(w) for k, w in writes.items()}
    reads = 0
    for rec in hist:
        # A delete that found nothing is a read that saw the key absent.
        if rec.get("err") is not None or not (rec["op"] == "read" or rec.get("enoent")):
            continue
        reads += 1
        k, kh = rec["k"], model[rec["k"]]
        if rec.get("v") is None:
            sources = [w for w in kh.writes if w["op"] in ("del", "init")]
        else:
            w = by_version.get((k, tuple(rec["v"])))
            if w is None:
                problems.append("read %s at [%d,%d] returned v%s, never written to this key"
                                % (k, rec["s"], rec["e"], rec["v"]))
                continue
            sources = [w]
        if not any(w["s"] < rec["e"] and not kh.replaced_before(w, rec["s"]) for w in sources):
            problems.append("read %s at [%d,%d] returned %s: stale or from the future"
                            % (k, rec["s"], rec["e"], rec.get("v") or "absent"))
    for k in KEYS:
        allowed = model[k].finals()
        got = final.get(k)
        if got not in allowed:
            problems.append("%s: final value %s, but the last writes leave one of %s"
                            % (k, got, sorted(allowed, key=str)))
    return problems, reads


def scan(mnt):
    final, problems = {}, []
    for table in (HR, H):
        listed = 0
        for k in KEYS:
            if not k.startswith(table + "/"):
                continue
            path = os.path.join(mnt, k)
            try:
                data = read(path)
            except FileNotFoundError:
                continue
            version, why = version_of(k, data)
            if why:
                problems.append("%s at the end: %s" % (k, why))
            final[k] = version
        for root, dirs, files in os.walk(os.path.join(mnt, table)):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue
                listed += 1
                rel = os.path.relpath(os.path.join(root, name), mnt)
                if rel not in KEYS:
                    problems.append("%s: an item nobody wrote" % rel)
        with open(os.path.join(mnt, table, ".schema")) as f:
            count = json.load(f)["ItemCount"]
        present = sum(1 for k in final if k.startswith(table + "/"))
        if count != listed or listed != present:
            problems.append("%s: ItemCount %d, %d items listed, %d readable"
                            % (table, count, listed, present))
    return final, problems


def cmd_check(mnt, outdir):
    hist, problems = [], []
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".json"):
            with open(os.path.join(outdir, name)) as f:
                d = json.load(f)
            hist += d["hist"]
            problems += d["problems"]
    final, scan_problems = scan(mnt)
    problems += scan_problems
    model_problems, reads = check_history(hist, final)
    problems += model_problems
    for p in problems[:int(os.environ.get("CONC_SHOW", "30"))]:
        print("PROBLEM " + p)
    counts = {}
    for rec in hist:
        counts[rec["op"]] = counts.get(rec["op"], 0) + 1
    print("%d ops checked (%d puts, %d deletes of which %d found nothing, %d reads), "
          "%d opens refused with ESTALE, %d items at the end, %d problems"
          % (len(hist), counts.get("put", 0), counts.get("del", 0),
             sum(1 for r in hist if r.get("enoent")), reads,
             sum(1 for r in hist if r.get("err") == "estale"), len(final), len(problems)))
    sys.exit(1 if problems else 0)


def cmd_selftest():
    """Histories the model must refuse, and one it must accept."""
    k = KEYS[0]

    def put_(v, s, e):
        return {"k": k, "op": "put", "v": [1, v, 0], "s": s, "e": e}

    def del_(s, e):
        return {"k": k, "op": "del", "s": s, "e": e}

    def read_(v, s, e):
        return {"k": k, "op": "read", "v": None if v is None else [1, v, 0], "s": s, "e": e}

    bad = {
        "final value overwritten later": ([put_(1, 0, 10), put_(2, 20, 30)], (1, 1, 0)),
        "acknowledged delete undone": ([put_(1, 0, 10), del_(20, 30)], (1, 1, 0)),
        "acknowledged put lost": ([put_(1, 0, 10)], None),
        "stale read": ([put_(1, 0, 10), put_(2, 20, 30), read_(1, 40, 50)], (1, 2, 0)),
        "read from the future": ([read_(1, 0, 10), put_(1, 20, 30)], (1, 1, 0)),
        "read of a deleted item": ([put_(1, 0, 10), del_(20, 30), read_(1, 40, 50)], None),
        "missed item": ([put_(1, 0, 10), read_(None, 20, 30)], (1, 1, 0)),
    }
    gone = dict(del_(0, 50), enoent=True)
    bad["lost put behind an empty delete"] = ([put_(1, 0, 10), gone], None)
    good = ([put_(1, 0, 30), put_(2, 10, 20), read_(1, 25, 26), read_(2, 21, 22),
             del_(5, 40)], None)
    failures = 0
    for what, (hist, final) in bad.items():
        problems, _ = check_history(hist, {k: final} if final else {})
        if not problems:
            print("selftest: %s: not detected" % what)
            failures += 1
    for fin in (None, (1, 1, 0), (1, 2, 0)):
        problems, _ = check_history(good[0], {k: fin} if fin else {})
        if problems:
            print("selftest: an allowed history refused: %s" % problems)
            failures += 1
    _, why = version_of(k, expected_text(k, (1, 1, 90))[:-5] + b"x\"\n}\n")
    if why is None:
        print("selftest: torn text: not detected")
        failures += 1
    print("selftest: %d of %d cases judged right" % (len(bad) + 4 - failures, len(bad) + 4))
    sys.exit(1 if failures else 0)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        cmd_setup(*args)
    elif cmd == "run":
        cmd_run(args[0], args[1], int(args[2]), int(args[3]), int(args[4]),
                float(args[5]) if len(args) > 5 else 0)
    elif cmd == "check":
        cmd_check(*args)
    elif cmd == "selftest":
        cmd_selftest()
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
