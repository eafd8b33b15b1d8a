#!/usr/bin/env python3
"""fsop.py - one file-system call sequence with a precise errno report.

Used by lib.sh's expect_errno/expect_ok.  Shell tools collapse errors into
an exit status; the SPEC distinguishes which call fails (write() for
malformed JSON, close() for what can only be judged whole), so this runs the
calls one by one and reports the first failure as "<call>:<ERRNO NAME>".

Usage: fsop.py OP ARGS...
  write PATH DATA      open(O_WRONLY|O_CREAT|O_TRUNC), write all, close
  excl PATH DATA       the same with O_EXCL (bash noclobber, put-if-absent)
  read PATH            open, read all to stdout, close
  mkdir PATH | rmdir PATH | unlink PATH | stat PATH
  rename SRC DST | link SRC DST | symlink TARGET PATH
  write_at PATH OFFSET DATA   open(O_WRONLY) without truncating, pwrite, close
DATA is taken literally, or read from FILE when given as @FILE.
Prints "ok" (or the data read) and exits 0, or prints "<call>:<ERRNO>" and
exits 1.
"""
import errno
import os
import sys


class Failed(Exception):
    def __init__(self, call, err):
        super().__init__(call)
        self.call = call
        self.err = err


def attempt(call, fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        raise Failed(call, e.errno) from None


def data_arg(arg):
    if arg.startswith("@"):
        with open(arg[1:], "rb") as f:
            return f.read()
    return arg.encode()


def do_write(path, data, extra_flags=0):
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | extra_flags
    fd = attempt("open", os.open, path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            # Write in pipe-sized pieces, as shell tools do, so a daemon that
            # judges JSON early sees several write() calls.
            n = attempt("write", os.write, fd, view[:65536])
            view = view[n:]
    except Failed:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    attempt("close", os.close, fd)


def do_read(path):
    fd = attempt("open", os.open, path, os.O_RDONLY)
    chunks = []
    try:
        while True:
            b = attempt("read", os.read, fd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(fd)
    sys.stdout.buffer.write(b"".join(chunks))


def run(op, args):
    if op == "write":
        do_write(args[0], data_arg(args[1]))
    elif op == "excl":
        do_write(args[0], data_arg(args[1]), os.O_EXCL)
    elif op == "read":
        do_read(args[0])
        return False
    elif op == "mkdir":
        attempt("mkdir", os.mkdir, args[0], 0o755)
    elif op == "rmdir":
        attempt("rmdir", os.rmdir, args[0])
    elif op == "unlink":
        attempt("unlink", os.unlink, args[0])
    elif op == "stat":
        attempt("stat", os.stat, args[0])
    elif op == "rename":
        attempt("rename", os.rename, args[0], args[1])
    elif op == "link":
        attempt("link", os.link, args[0], args[1])
    elif op == "symlink":
        attempt("symlink", os.symlink, args[0], args[1])
    elif op == "write_at":
        fd = attempt("open", os.open, args[0], os.O_WRONLY)
        try:
            attempt("write", os.pwrite, fd, data_arg(args[2]), int(args[1]))
        except Failed:
            os.close(fd)
            raise
        attempt("close", os.close, fd)
    else:
        sys.exit("fsop.py: unknown op " + op)
    return True


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    try:
        if run(sys.argv[1], sys.argv[2:]):
            print("ok")
    except Failed as f:
        print("%s:%s" % (f.call, errno.errorcode.get(f.err, str(f.err))))
        sys.exit(1)


if __name__ == "__main__":
    main()
