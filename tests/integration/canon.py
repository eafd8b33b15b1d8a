#!/usr/bin/env python3
"""canon.py - the canonical item text the README promises, for comparisons.

Usage: canon.py [FILE]   (JSON item on stdin when FILE is omitted)

"{\n", one line per attribute sorted by name: two spaces, the JSON name,
": ", the typed value as jansson prints it with JSON_SORT_KEYS (", " and
": " separators, UTF-8 kept, "/" not escaped), ",\n" between lines, "}\n".
Only the layout is produced here: numbers and sets must already be in
canonical form in the input (tests write them that way on purpose).
"""
import json
import sys


def canon(item):
    lines = []
    for name in sorted(item):
        value = json.dumps(item[name], separators=(", ", ": "),
                           ensure_ascii=False, sort_keys=True)
        lines.append("  %s: %s" % (json.dumps(name, ensure_ascii=False), value))
    if not lines:
        return "{\n}\n"
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main():
    src = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    sys.stdout.write(canon(json.load(src)))


if __name__ == "__main__":
    main()
