#!/usr/bin/env python3
"""synctrace.py - client operations and strace proof for t_sync_strace.sh.

Usage:
  synctrace.py client MNT TABLE OPS_LOG MODE N
      MODE put:   N puts (open, write, close), each to a new item
      MODE fsync: N times: put an item, then open it read-only and fsync
      Each operation's wall-clock window (time.time(), the clock strace -ttt
      prints) goes to OPS_LOG as JSON lines.
  synctrace.py check TRACE OPS_LOG DATADIR MODE [FLUSHER_TIDS]
      MODE default | sync.  Prints the evidence, exits 1 on a broken promise.
  synctrace.py idle TRACE FROM_TS
      The threads that synced data.mdb files after FROM_TS (the background
      flusher, when no client is at work and a commit is not yet
      checkpointed).
  synctrace.py covered TRACE OPS_LOG FLUSHER_TIDS
      Exit 0 once the flusher checkpointed every environment the logged
      puts wrote, after the last of them.
  synctrace.py last-end OPS_LOG
      When the last logged operation ended.
  synctrace.py fdinfo PID TRACE
      Cross-checks, through /proc/PID/fd and /proc/PID/fdinfo, the path and
      O_DSYNC flag the trace gives every data.mdb descriptor still open.

The trace comes from strace -f -ttt -T -y -e trace=openat,fsync,fdatasync,
msync,sync_file_range,pwrite64,pwritev,pwritev2,writev,write,lseek.  A write
to an environment's data.mdb is durable once an fsync/fdatasync/msync/
sync_file_range of that file starts after it ended, and completes; or at its
own return when made through a descriptor opened with O_DSYNC.

-o sync: LMDB writes a commit's data pages, syncs them, then writes the meta
page (page 0 or 1) through its O_DSYNC descriptor.  Zeros written past the
last page (store/reserve.c) are no commit's data and may come in any order.

Default mode (store/checkpoint.c): commits are not synced (MDB_NOSYNC).  A
checkpoint syncs data.mdb, then writes the environment's ddbfs.ckpt and
syncs that; a commit is safe from power loss once such a chain started
after its writes and ended.  The background flusher runs one every second,
fsync() runs one (or finds one done since the commit).
"""
import json
import os
import re
import sys
import time

SYNC_CALLS = {"fsync", "fdatasync", "msync", "sync_file_range"}
WRITE_CALLS = {"pwrite64", "pwritev", "pwritev2", "writev", "write"}
O_DSYNC = 0o10000
PAGE = os.sysconf("SC_PAGE_SIZE")

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
RET = re.compile(r"\)\s+=\s+(-?\d+)(?:<([^>]*)>)?(?:\s+\w+ \([^)]*\))?\s*<(\d+\.\d+)>\s*$")
FD_ARG = re.compile(r"^(\d+)<([^>]*)>")
BUF_ARG = re.compile(r'^\d+<[^>]*>,\s*"((?:\\0){8})')


class Event:
    def __init__(self, tid, ts, call, args):
        self.tid, self.start, self.call, self.args = tid, ts, call, args
        self.end = ts
        self.ret = None
        self.ret_path = None
        fd = FD_ARG.match(args)
        self.fd = int(fd.group(1)) if fd else None
        self.path = fd.group(2) if fd else None
        self.dsync = False
        self.offset = None
        # LMDB writes each page with its number first, never 0 past the
        # meta pages: zeros there are ddbfs's room ahead of the data
        # (store/reserve.c), safe to write in any order.
        self.room = call == "pwrite64" and BUF_ARG.match(args) is not None

    def finish(self, rest):
        m = RET.search(rest)
        if m:
            self.ret = int(m.group(1))
            self.ret_path = m.group(2)
            self.end = self.start + float(m.group(3))
        if self.call == "pwrite64" or self.call.startswith("pwritev"):
            nums = re.findall(r",\s*(\d+)\)", self.args + rest)
            if nums:
                self.offset = int(nums[-1])
        # Page 0 starts with its number too: a meta page, not room.
        self.room = self.room and self.offset is not None and self.offset >= 2 * PAGE


def parse(trace):
    """Events of completed calls, in start order."""
    events, pending = [], {}
    with open(trace, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            tid, ts, rest = int(m.group(1)), float(m.group(2)), m.group(3)
            r = RESUMED.match(rest)
            if r:
                ev = pending.pop(tid, None)
                if ev is not None and ev.call == r.group(1):
                    ev.finish(r.group(2))
                    events.append(ev)
                continue
            c = CALL.match(rest)
            if not c:
                continue
            if rest.endswith(" <unfinished ...>"):
                pending[tid] = Event(tid, ts, c.group(1), c.group(2)[:-len(" <unfinished ...>")])
                continue
            ev = Event(tid, ts, c.group(1), c.group(2))
            ev.finish(rest)
            events.append(ev)
    events.sort(key=lambda e: e.start)
    # The descriptor table as the trace tells it: openat results, in order.
    fds = {}
    for ev in events:
        if ev.call == "openat" and ev.ret is not None and ev.ret >= 0:
            fds[ev.ret] = (ev.ret_path, "O_DSYNC" in ev.args or "O_SYNC" in ev.args)
        elif ev.fd is not None and ev.fd in fds:
            ev.dsync = fds[ev.fd][1]
    return events


def is_env(path):
    return path is not None and path.endswith("/data.mdb") and "/tables/" in path


def ckpt_of(env):
    return env[:-len("data.mdb")] + "ddbfs.ckpt"


def checkpointed(events, env, after, by):
    """A checkpoint of env, begun after time `after`, complete by time `by`:
    the end of its record's sync, or None."""
    rec = ckpt_of(env)
    ok = lambda e, path, calls: e.path == path and e.call in calls and e.ret is not None \
        and e.ret >= 0 and e.end <= by
    for s in (e for e in events if ok(e, env, SYNC_CALLS) and e.start >= after):
        for w in (e for e in events if ok(e, rec, WRITE_CALLS) and e.start >= s.end):
            done = [e.end for e in events if ok(e, rec, SYNC_CALLS) and e.start >= w.end]
            if done:
                return min(done)
    return None


def ops(log):
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def durable_by(events, path, t):
    """Whether every write to path that started before t is durable at t."""
    last_plain = None
    for ev in events:
        if ev.start >= t:
            break
        if ev.path == path and ev.call in WRITE_CALLS:
            if ev.end > t:
                return False
            if not ev.dsync:
                last_plain = ev
    if last_plain is None:
        return True
    return any(ev.path == path and ev.call in SYNC_CALLS and ev.start >= last_plain.end
               and ev.end <= t and ev.ret == 0 for ev in events)


def in_window(events, op):
    return [ev for ev in events if ev.start >= op["start"] and ev.end <= op["end"]]


def env_of_commit(evs):
    files = {ev.path for ev in evs if ev.call in WRITE_CALLS and is_env(ev.path)}
    return files.pop() if len(files) == 1 else None


def check(trace, log, datadir, mode, flusher):
    events = parse(trace)
    problems, notes = [], []
    synced_in_commit = 0
    fsync_ran_checkpoint = 0
    puts = [op for op in ops(log) if op["op"] == "put"]
    fsyncs = [op for op in ops(log) if op["op"] == "fsync"]
    if not puts:
        problems.append("no operations logged")
    for op in puts:
        evs = in_window(events, op)
        env = env_of_commit(evs)
        if env is None:
            problems.append("%s: the commit wrote no single environment's data.mdb: %s"
                            % (op["name"], sorted({e.path for e in evs if e.call in WRITE_CALLS})))
            continue
        op["env"] = env
        writes = [e for e in evs if e.path == env and e.call in WRITE_CALLS]
        data = [e for e in writes if (e.offset is None or e.offset >= 2 * PAGE) and not e.room]
        meta = [e for e in writes if e.offset is not None and e.offset < 2 * PAGE]
        syncs = [e for e in evs if e.path == env and e.call in SYNC_CALLS and e.ret == 0
                 and e.tid not in flusher]
        if not data or not meta:
            problems.append("%s: expected data-page and meta-page writes to %s, got %d and %d"
                            % (op["name"], env, len(data), len(meta)))
            continue
        last_data = max(e.end for e in data)
        op["last_write"] = max(e.end for e in writes)
        first_meta = min(e.start for e in meta)
        if mode == "default":
            if any(e.dsync for e in meta):
                problems.append("%s: meta page written through an O_DSYNC descriptor: "
                                "MDB_NOSYNC is not in effect" % op["name"])
            synced_in_commit += bool(syncs)
        else:
            ordered = [s for s in syncs if s.start >= last_data and s.end <= first_meta]
            if not ordered:
                problems.append("%s: no sync of %s between the data pages (end %.6f) and "
                                "the meta page (start %.6f): the meta page could reach the "
                                "disk before the data it points to"
                                % (op["name"], env, last_data, first_meta))
            if not durable_by(events, env, op["end"]):
                problems.append("%s: -o sync: close() returned (%.6f) before every write to "
                                "%s was durable" % (op["name"], op["end"], env))
    for op in fsyncs:
        put = next((p for p in puts if p["name"] == op["name"] and "env" in p), None)
        if put is None:
            problems.append("%s: fsync of an item whose commit was not traced" % op["name"])
            continue
        env = put["env"]
        own = [e for e in in_window(events, op) if e.path == env and e.call in SYNC_CALLS
               and e.ret == 0 and e.tid not in flusher]
        if mode == "default":
            if checkpointed(events, env, put["last_write"], op["end"]) is None:
                problems.append("%s: fsync() returned (%.6f) before a checkpoint of %s "
                                "(data.mdb synced, then %s written and synced) covered the "
                                "item" % (op["name"], op["end"], env, ckpt_of(env)))
            else:
                fsync_ran_checkpoint += bool(own)
        elif not own:
            problems.append("%s: fsync() returned without the daemon syncing %s in between"
                            % (op["name"], env))
        if not durable_by(events, env, op["end"]):
            problems.append("%s: fsync() returned (%.6f) before every write to %s was durable"
                            % (op["name"], op["end"], env))
    # The background flusher (default mode) makes every commit durable later.
    if mode == "default" and puts:
        last = max(op["end"] for op in puts)
        envs = {op["env"] for op in puts if "env" in op}
        mine = [e for e in events if e.tid in flusher]
        done = {p: checkpointed(mine, p, max(op["last_write"] for op in puts
                                             if op.get("env") == p), float("inf"))
                for p in envs}
        missing = [p for p in envs if done[p] is None]
        if missing:
            problems.append("no background checkpoint of %s after the last commit" % missing)
        else:
            notes.append("background checkpoint covered every environment %.2f s after the "
                         "last commit" % (max(done.values()) - last))
    notes.append("%d writes of zeros ahead of the data" % sum(
        1 for e in events if e.room and is_env(e.path)))
    if mode == "default":
        notes.append("%d of %d commits saw a sync of their data.mdb by a writer thread "
                     "(0 expected but for a new environment's first checkpoint)"
                     % (synced_in_commit, len(puts)))
        notes.append("%d of %d fsyncs ran their own checkpoint (the others found the "
                     "background one done)" % (fsync_ran_checkpoint, len(fsyncs)))
    # The environment a put went to holds that item.
    for op in puts:
        if "env" in op:
            with open(op["env"], "rb") as f:
                if op["marker"].encode() not in f.read():
                    problems.append("%s: its text is not in %s" % (op["name"], op["env"]))
    n_env = len({op.get("env") for op in puts})
    print("%s mode: %d commits over %d environments, %d fsyncs checked; %s"
          % (mode, len(puts), n_env, len(fsyncs), "; ".join(notes)))
    for p in problems[:20]:
        print("PROBLEM " + p)
    return 1 if problems else 0


def covered(trace, log, flusher):
    """Exit 0 once the flusher checkpointed every environment the logged
    puts wrote, after the last of them."""
    events = parse(trace)
    last = {}
    for op in ops(log):
        if op["op"] != "put":
            continue
        evs = [e for e in in_window(events, op) if e.call in WRITE_CALLS and is_env(e.path)]
        env = env_of_commit(evs)
        if env is None:
            return 1
        last[env] = max(last.get(env, 0), max(e.end for e in evs))
    mine = [e for e in events if e.tid in flusher]
    return 0 if last and all(checkpointed(mine, p, t, float("inf")) is not None
                             for p, t in last.items()) else 1


def idle(trace, from_ts):
    tids = {e.tid for e in parse(trace) if e.call in SYNC_CALLS and e.start >= from_ts
            and is_env(e.path)}
    print(" ".join(str(t) for t in sorted(tids)))


def fdinfo(pid, trace):
    events = parse(trace)
    last = {}
    for ev in events:
        # A descriptor number reused by a later open (the store is opened
        # twice: once to check it, before daemonizing) is another file.
        if ev.call == "openat" and ev.ret is not None and ev.ret >= 0:
            last.pop(ev.ret, None)
        if ev.fd is not None and is_env(ev.path):
            last[ev.fd] = ev
    bad = 0
    for fd, ev in sorted(last.items()):
        try:
            target = os.readlink("/proc/%s/fd/%d" % (pid, fd))
            with open("/proc/%s/fdinfo/%d" % (pid, fd)) as f:
                flags = int(re.search(r"flags:\s*(\d+)", f.read()).group(1), 8)
        except OSError:
            continue	# closed since
        dsync = bool(flags & O_DSYNC)
        if target != ev.path or dsync != ev.dsync:
            print("PROBLEM fd %d: trace says %s dsync=%s, /proc says %s dsync=%s"
                  % (fd, ev.path, ev.dsync, target, dsync))
            bad += 1
    print("%d data.mdb descriptors agree with /proc/%s/fd" % (len(last) - bad, pid))
    return 1 if bad else 0


def client(mnt, table, log, mode, n):
    with open(log, "a") as out:
        for i in range(n):
            name = "%s-%d" % (mode, i)
            marker = "marker-%s-%d-%d" % (mode, i, time.time_ns())
            path = os.path.join(mnt, table, name)
            text = json.dumps({"Note": {"S": marker}}).encode()
            start = time.time()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, text)
            os.close(fd)
            end = time.time()
            out.write(json.dumps({"op": "put", "name": name, "marker": marker,
                                  "start": start, "end": end}) + "\n")
            if mode == "fsync":
                time.sleep(0.05)
                fd = os.open(path, os.O_RDONLY)
                start = time.time()
                os.fsync(fd)
                end = time.time()
                os.close(fd)
                out.write(json.dumps({"op": "fsync", "name": name, "start": start,
                                      "end": end}) + "\n")
            time.sleep(0.05)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "client":
        client(a[0], a[1], a[2], a[3], int(a[4]))
    elif cmd == "check":
        flusher = {int(t) for t in a[4].split()} if len(a) > 4 else set()
        sys.exit(check(a[0], a[1], a[2], a[3], flusher))
    elif cmd == "idle":
        idle(a[0], float(a[1]))
    elif cmd == "covered":
        sys.exit(covered(a[0], a[1], {int(t) for t in a[2].split()}))
    elif cmd == "last-end":
        print("%.6f" % max(op["end"] for op in ops(a[0])))
    elif cmd == "fdinfo":
        sys.exit(fdinfo(a[0], a[1]))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
