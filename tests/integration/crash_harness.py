#!/usr/bin/env python3
"""crash_harness.py - writers and verifier for t_crash_kill.sh.

Close() success means the item survives a crash of the daemon (SPEC section
10).  Writers put, overwrite, delete and move items (rename(2), across
partitions too) while the daemon is killed with SIGKILL; after a remount the
verifier checks the store against what the writers saw acknowledged.

Every writer owns its keys (their names start with "w<N>-"), spread over all
partition keys of a hash+range table and over a hash-only table, so the
writers' commits interleave in the same LMDB environments while each key has
one serial history.  A writer runs one operation at a time and logs it in
two steps: "S <op>" before the first system call, "A" once it returned 0
(close() for a put, rename() for a temporary-file save or a move, unlink()
for a delete).  At the kill, at most one operation per writer is in flight,
so each writer's keys must be, together, in exactly one of two states: the
state after its acknowledged operations, or that state plus its in-flight
operation.  Every item must read as the canonical text of one written
version (no torn or mixed item) and .schema's ItemCount must equal the items
listed.

Usage:
  crash_harness.py setup MNT STATE
  crash_harness.py writers MNT STATE LOGDIR N SEED     (until the mount dies)
  crash_harness.py verify MNT STATE LOGDIR [KILL_NS_FILE]
  crash_harness.py selftest MNT STATE LOGDIR           (must report problems)

STATE is a JSON file: the verified state of every key and each writer's next
version number.  verify replaces it with the state it found.  Extra checks
are functions in CHECKS: each takes (mnt, observed) and returns a list of
problem sentences.  Both tables have a GSI on (Writer, Ver) and CrashHR an
LSI on Ver, so every put, overwrite, delete and move also changes index
entries, and check_indexes holds the trees to the items found.
"""
import errno
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canon import canon  # noqa: E402
import indexcheck  # noqa: E402
import workload  # noqa: E402

HR = "CrashHR"			# hash (P, S) + range (R, S) table
H = "CrashH"			# hash-only table (K, S)
PKS = ["p%d" % i for i in range(8)]	# spread over the 4 environments of HR
HR_SLOTS = 10			# sort keys per writer per partition key
H_SLOTS = 40			# keys per writer in CrashH
MAX_LIVE = 70			# a writer stops creating keys beyond this many


def schema(table, hash_only):
    hash_attr = "P" if not hash_only else "K"
    ks = [{"AttributeName": hash_attr, "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_attr, "AttributeType": "S"},
          {"AttributeName": "Writer", "AttributeType": "S"},
          {"AttributeName": "Ver", "AttributeType": "N"}]
    out = {"TableName": table, "KeySchema": ks, "AttributeDefinitions": ad,
           "Partitions": 4 if not hash_only else 2,
           "GlobalSecondaryIndexes": [index("ByWriter", "Writer", "Ver")]}
    if not hash_only:
        ks.append({"AttributeName": "R", "KeyType": "RANGE"})
        ad.append({"AttributeName": "R", "AttributeType": "S"})
        out["LocalSecondaryIndexes"] = [index("ByVer", "P", "Ver")]
    return out


def index(name, hash_attr, range_attr):
    return {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": hash_attr, "KeyType": "HASH"},
                          {"AttributeName": range_attr, "KeyType": "RANGE"}]}


# ---- keys and contents ----------------------------------------------------
# A key is a string: "CrashHR/<pk>/<sk>" or "CrashH/<k>" (its path under MNT).

def writer_of(key):
    name = key.rsplit("/", 1)[1]
    if not name.startswith("w") or "-" not in name:
        return None
    try:
        return int(name[1:name.index("-")])
    except ValueError:
        return None


def body(w, ver, size):
    """The non-key attributes of a version: what a move carries along."""
    return {"Writer": {"S": "w%d" % w}, "Ver": {"N": str(ver)},
            "Payload": {"S": workload.payload(w, ver, size)}}


def expected_text(key, version):
    """Canonical text of the item at key holding version (w, ver, size)."""
    w, ver, size = version
    item = body(w, ver, size)
    item.update(workload.key_attrs(key, HR))
    return canon(item)


def written_text(rng, key, w, ver, size):
    """What a writer writes: any attribute order and layout, keys optional,
    sometimes a stale key value (the path wins)."""
    item = body(w, ver, size)
    choice = rng.random()
    if choice < 0.4:
        item.update(workload.key_attrs(key, HR))
    elif choice < 0.5:
        item.update({k: {"S": "stale"} for k in workload.key_attrs(key, HR)})
    names = list(item)
    rng.shuffle(names)
    ordered = {n: item[n] for n in names}
    indent = rng.choice([None, None, 1, 4])
    return json.dumps(ordered, indent=indent).encode() + (b"\n" if rng.random() < 0.5 else b"")


def random_size(rng):
    r = rng.random()
    if r < 0.5:
        return rng.randrange(0, 300)
    if r < 0.85:
        return rng.randrange(300, 4000)
    return rng.randrange(4000, 24000)	# LMDB overflow pages


# ---- state --------------------------------------------------------------

def load_state(path):
    with open(path) as f:
        st = json.load(f)
    st["keys"] = {k: tuple(v) for k, v in st["keys"].items()}
    return st


def save_state(path, st):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"keys": {k: list(v) for k, v in sorted(st["keys"].items())},
                   "next_ver": st["next_ver"], "rounds": st.get("rounds", 0),
                   "totals": st.get("totals", {})}, f)
    os.replace(tmp, path)


def cmd_setup(mnt, state_path):
    for table, hash_only in ((HR, False), (H, True)):
        os.mkdir(os.path.join(mnt, table))
        with open(os.path.join(mnt, table, ".schema"), "w") as f:
            json.dump(schema(table, hash_only), f)
    save_state(state_path, {"keys": {}, "next_ver": {}, "rounds": 0, "totals": {}})


# ---- writers ------------------------------------------------------------

class Gone(Exception):
    """The mount failed under us: the daemon was killed."""


def apply_op(keys, op):
    """The state after op: keys maps key -> (w, ver, size)."""
    if op["op"] == "put":
        keys[op["key"]] = (op["w"], op["ver"], op["size"])
    elif op["op"] == "del":
        keys.pop(op["key"], None)
    elif op["op"] == "mv":
        keys[op["dst"]] = keys.pop(op["src"])
    return keys


class Writer:
    def __init__(self, mnt, w, keys, next_ver, log, rng):
        self.w = w
        self.keys = keys		# this writer's keys -> version
        self.ver = next_ver
        self.log = log
        self.rng = rng
        # Every call goes through these descriptors: once the daemon is
        # dead they fail with ENOTCONN, and nothing can ever be created in
        # the directory under the mount point.
        self.tfd = {t: os.open(os.path.join(mnt, t), os.O_RDONLY | os.O_DIRECTORY)
                    for t in (HR, H)}

    def all_slots(self):
        out = ["%s/%s/w%d-%d" % (HR, pk, self.w, i) for pk in PKS for i in range(HR_SLOTS)]
        out += ["%s/w%d-%d" % (H, self.w, i) for i in range(H_SLOTS)]
        return out

    def split(self, key):
        table, rel = key.split("/", 1)
        return self.tfd[table], rel

    def ensure_partition(self, key):
        table, rel = key.split("/", 1)
        if table == HR:
            try:
                os.mkdir(rel.split("/")[0], dir_fd=self.tfd[HR])
            except FileExistsError:
                pass

    def start(self, op):
        self.log.write("S " + json.dumps(op) + "\n")
        self.log.flush()

    def ack(self):
        self.log.write("A\n")
        self.log.flush()

    def put(self, key, via_temp):
        size = random_size(self.rng)
        op = {"op": "put", "key": key, "w": self.w, "ver": self.ver, "size": size,
              "temp": via_temp}
        text = written_text(self.rng, key, self.w, self.ver, size)
        self.ver += 1
        self.start(op)
        self.ensure_partition(key)
        dfd, rel = self.split(key)
        target = rel
        if via_temp:	# an editor's save: a scratch file renamed onto the item
            target = os.path.join(os.path.dirname(rel), ".tmp-w%d" % self.w)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd)
        try:
            view = memoryview(text)
            while view:
                step = self.rng.choice([len(view), 4096, 1000])
                view = view[os.write(fd, view[:step]):]
        finally:
            os.close(fd)
        if via_temp:
            os.rename(target, rel, src_dir_fd=dfd, dst_dir_fd=dfd)
        self.ack()
        apply_op(self.keys, op)

    def delete(self, key):
        op = {"op": "del", "key": key}
        self.start(op)
        dfd, rel = self.split(key)
        os.unlink(rel, dir_fd=dfd)
        self.ack()
        apply_op(self.keys, op)

    def move(self, src, dst):
        op = {"op": "mv", "src": src, "dst": dst}
        self.start(op)
        self.ensure_partition(dst)
        sfd, srel = self.split(src)
        dfd, drel = self.split(dst)
        os.rename(srel, drel, src_dir_fd=sfd, dst_dir_fd=dfd)
        self.ack()
        apply_op(self.keys, op)

    def step(self):
        slots = self.all_slots()
        live = sorted(self.keys)
        r = self.rng.random()
        if not live or (r < 0.35 and len(live) < MAX_LIVE):
            free = [k for k in slots if k not in self.keys]
            self.put(self.rng.choice(free), self.rng.random() < 0.2)
        elif r < 0.6:
            self.put(self.rng.choice(live), self.rng.random() < 0.2)
        elif r < 0.78:
            self.delete(self.rng.choice(live))
        else:
            src = self.rng.choice(live)
            table = src.split("/")[0]
            # Onto a free key or over an existing one, in the same table.
            dst = self.rng.choice([k for k in slots if k.startswith(table + "/") and k != src])
            self.move(src, dst)


def run_writer(mnt, state, logdir, w, seed):
    rng = random.Random(seed)
    keys = {k: v for k, v in state["keys"].items() if writer_of(k) == w}
    next_ver = state["next_ver"].get(str(w), 1)
    with open(os.path.join(logdir, "w%d.log" % w), "w") as log:
        try:
            wr = Writer(mnt, w, keys, next_ver, log, rng)
        except OSError as e:
            log.write("E %d %d %s\n" % (time.time_ns(), e.errno, "setup"))
            return
        while True:
            try:
                wr.step()
            except OSError as e:
                log.write("E %d %d %s\n" % (time.time_ns(), e.errno, e.strerror))
                log.flush()
                return


def cmd_writers(mnt, state_path, logdir, n, seed):
    state = load_state(state_path)
    workload.fork_all(n, lambda w: run_writer(mnt, state, logdir, w, seed * 1000 + w),
                      "writer")


# ---- verification -------------------------------------------------------

def read_log(path):
    """(acknowledged ops, in-flight op or None, error line or None)."""
    acked, pending, error = [], None, None
    if not os.path.exists(path):
        return acked, pending, error
    with open(path) as f:
        for line in f:
            if line.startswith("S "):
                if pending is not None:
                    raise SystemExit("%s: two operations without an ack" % path)
                pending = json.loads(line[2:])
            elif line.startswith("A"):
                acked.append(pending)
                pending = None
            elif line.startswith("E "):
                _, ns, err, text = line.rstrip("\n").split(" ", 3)
                error = (int(ns), int(err), text)
    return acked, pending, error


def scan(mnt):
    """Every item listed under the two tables: key -> text, plus problems."""
    items, problems = {}, []

    def read_item(key):
        path = os.path.join(mnt, key)
        with open(path, "rb") as f:
            data = f.read()
        size = os.stat(path).st_size
        if size != len(data):
            problems.append("%s: stat size %d, read %d bytes" % (key, size, len(data)))
        items[key] = data

    for pk in os.listdir(os.path.join(mnt, HR)):
        if pk.startswith("."):
            continue
        for sk in os.listdir(os.path.join(mnt, HR, pk)):
            if not sk.startswith("."):
                read_item("%s/%s/%s" % (HR, pk, sk))
    for k in os.listdir(os.path.join(mnt, H)):
        if not k.startswith("."):
            read_item("%s/%s" % (H, k))
    return items, problems


def item_count(mnt, table):
    with open(os.path.join(mnt, table, ".schema")) as f:
        return json.load(f)["ItemCount"]


def version_of(key, data):
    """The (w, ver, size) an item's text says it holds, or a problem."""
    try:
        item = json.loads(data.decode("utf-8"))
        version = (int(item["Writer"]["S"][1:]), int(item["Ver"]["N"]),
                   len(item["Payload"]["S"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        return None, "%s: not an item we wrote (%s): %r" % (key, e, data[:120])
    if data.decode("utf-8") != expected_text(key, version):
        return None, "%s: torn or altered item: %r" % (key, data[:200])
    return version, None


def check_item_counts(mnt, observed):
    problems = []
    for table in (HR, H):
        listed = sum(1 for k in observed if k.startswith(table + "/"))
        counted = item_count(mnt, table)
        if counted != listed:
            problems.append("%s/.schema: ItemCount %d, %d items listed" % (table, counted, listed))
    return problems


def check_indexes(mnt, observed):
    """Every GSI and LSI entry, exactly, for the intact items found."""
    problems = []
    for table in (HR, H):
        items = {}
        for key, (w, ver, size) in observed.items():
            parts = key.split("/")
            if parts[0] == table:
                items[tuple(parts[1:])] = dict(body(w, ver, size), **workload.key_attrs(key, HR))
        problems += indexcheck.check(os.path.join(mnt, table), items)[0]
    return problems


# Each check takes (mnt, observed: key -> (w, ver, size)) and returns problems.
CHECKS = [check_item_counts, check_indexes]


def describe(state, keys):
    return ", ".join("%s=%s" % (k, "v%d" % state[k][1] if k in state else "absent")
                     for k in sorted(keys)) or "nothing"


def verify(mnt, state, logdir, kill_ns, n_writers_hint=None):
    """Returns (problems, new state, figures)."""
    problems = []
    items, scan_problems = scan(mnt)
    problems += scan_problems
    observed = {}
    for key, data in sorted(items.items()):
        w = writer_of(key)
        if w is None:
            problems.append("%s: a key no writer uses" % key)
            continue
        version, why = version_of(key, data)
        if why:
            problems.append(why)
        else:
            observed[key] = version
    writers = {writer_of(k) for k in state["keys"]} | {writer_of(k) for k in observed}
    for name in os.listdir(logdir):
        if name.startswith("w") and name.endswith(".log"):
            writers.add(int(name[1:-4]))
    writers.discard(None)
    new_next = dict(state["next_ver"])
    figures = {"acked": 0, "inflight": 0, "items": len(observed), "inflight_applied": 0}
    for w in sorted(writers):
        acked, pending, error = read_log(os.path.join(logdir, "w%d.log" % w))
        before = {k: v for k, v in state["keys"].items() if writer_of(k) == w}
        after = dict(before)
        for op in acked:
            apply_op(after, op)
        figures["acked"] += len(acked)
        for op in acked:
            kind = "save" if op.get("temp") else op["op"]
            figures[kind] = figures.get(kind, 0) + 1
        candidates = [after]
        if pending is not None:
            figures["inflight"] += 1
            if pending["op"] != "mv" or pending["src"] in after:
                candidates.append(apply_op(dict(after), pending))
        mine = {k: v for k, v in observed.items() if writer_of(k) == w}
        if mine not in candidates:
            touched = set(mine) | set(after)
            for c in candidates[1:]:
                touched |= set(c)
            diff = sorted(k for k in touched
                          if any(mine.get(k) != c.get(k) for c in candidates))
            problems.append("writer %d: state matches neither the acknowledged state nor the "
                            "in-flight op %s: found [%s], acknowledged [%s]%s"
                            % (w, json.dumps(pending), describe(mine, diff),
                               describe(after, diff),
                               "" if len(candidates) < 2 else
                               ", with in-flight op [%s]" % describe(candidates[1], diff)))
        elif len(candidates) > 1 and mine == candidates[1] and mine != candidates[0]:
            figures["inflight_applied"] += 1
        if error is not None and kill_ns is not None and error[0] < kill_ns:
            problems.append("writer %d: %s (errno %d) before the daemon was killed"
                            % (w, error[2], error[1]))
        vers = [op["ver"] for op in acked + ([pending] if pending else []) if op["op"] == "put"]
        if vers:
            new_next[str(w)] = max(vers) + 1
    for check in CHECKS:
        problems += check(mnt, observed)
    new_state = {"keys": observed, "next_ver": new_next,
                 "rounds": state.get("rounds", 0) + 1, "totals": dict(state.get("totals", {}))}
    for k in ("acked", "inflight", "inflight_applied", "put", "save", "del", "mv"):
        new_state["totals"][k] = new_state["totals"].get(k, 0) + figures.get(k, 0)
    new_state["totals"]["items_checked"] = (new_state["totals"].get("items_checked", 0)
                                            + figures["items"])
    return problems, new_state, figures


def cmd_verify(mnt, state_path, logdir, kill_file=None):
    state = load_state(state_path)
    kill_ns = None
    if kill_file and os.path.exists(kill_file):
        with open(kill_file) as f:
            kill_ns = int(f.read().strip())
    problems, new_state, fig = verify(mnt, state, logdir, kill_ns)
    for p in problems[:30]:
        print("PROBLEM " + p)
    if problems:
        print("%d problems" % len(problems))
        sys.exit(1)
    save_state(state_path, new_state)
    for name in os.listdir(logdir):
        if name.endswith(".log"):
            os.unlink(os.path.join(logdir, name))
    t = new_state["totals"]
    print("round %d: %d items intact, %d ops acknowledged, %d in flight (%d took effect); "
          "totals: %d ops acknowledged (%d puts, %d temp-file saves, %d deletes, %d moves), "
          "%d in flight (%d took effect), %d item checks"
          % (new_state["rounds"], fig["items"], fig["acked"], fig["inflight"],
             fig["inflight_applied"], t["acked"], t["put"], t["save"], t["del"], t["mv"],
             t["inflight"], t["inflight_applied"], t["items_checked"]))


def cmd_selftest(mnt, state_path, logdir):
    """The verifier must catch each kind of damage; feeds it wrong models
    of the current (verified) mount and checks each is reported."""
    state = load_state(state_path)
    live = sorted(state["keys"])
    assert len(live) >= 3, "selftest needs a few items"
    cases = []
    k0, k1, k2 = live[0], live[1], live[2]
    w0 = writer_of(k0)

    def logged(*lines):
        path = os.path.join(logdir, "w%d.log" % w0)
        with open(path, "w") as f:
            for line in lines:
                f.write(line + "\n")

    # An acknowledged delete whose item is still there.
    cases.append(("acknowledged delete not applied",
                  ["S " + json.dumps({"op": "del", "key": k0}), "A"]))
    # An acknowledged put whose new version is missing.
    v = state["keys"][k0]
    cases.append(("acknowledged put lost",
                  ["S " + json.dumps({"op": "put", "key": k0, "w": w0, "ver": v[1] + 10**6,
                                      "size": 5, "temp": False}), "A"]))
    # An acknowledged move that did not happen.
    dst = k0.rsplit("-", 1)[0] + "-999"
    cases.append(("acknowledged move lost",
                  ["S " + json.dumps({"op": "mv", "src": k0, "dst": dst}), "A"]))
    failures = 0
    for what, lines in cases:
        logged(*lines)
        problems, _, _ = verify(mnt, state, logdir, None)
        if not problems:
            print("selftest: %s: not detected" % what)
            failures += 1
    os.unlink(os.path.join(logdir, "w%d.log" % w0))
    # A key the model says exists but is gone, and the model missing a key.
    for what, model in (("acknowledged item missing",
                         dict(state["keys"], **{k0.rsplit("-", 1)[0] + "-998": v})),
                        ("deleted item present", {k: x for k, x in state["keys"].items()
                                                  if k != k1})):
        problems, _, _ = verify(mnt, dict(state, keys=model), logdir, None)
        if not problems:
            print("selftest: %s: not detected" % what)
            failures += 1
    # Torn item text and a wrong ItemCount are judged from what is read.
    torn = expected_text(k2, state["keys"][k2])
    _, why = version_of(k2, (torn[: len(torn) // 2] + torn[len(torn) // 2 + 1:]).encode())
    if why is None:
        print("selftest: torn item: not detected")
        failures += 1
    _, why = version_of(k2, torn.replace('"Ver"', '"Ver" ', 1).encode())
    if why is None:
        print("selftest: non-canonical item: not detected")
        failures += 1
    fake = {k: x for k, x in state["keys"].items() if k != k2}
    if not check_item_counts(mnt, fake):
        print("selftest: wrong ItemCount: not detected")
        failures += 1
    if not any("entry without its item" in p for p in check_indexes(mnt, fake)):
        print("selftest: index entry without its item: not detected")
        failures += 1
    print("selftest: %d of %d kinds of damage detected" % (len(cases) + 6 - failures,
                                                             len(cases) + 6))
    sys.exit(1 if failures else 0)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        cmd_setup(*args)
    elif cmd == "writers":
        cmd_writers(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif cmd == "verify":
        cmd_verify(*args)
    elif cmd == "selftest":
        cmd_selftest(*args)
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
