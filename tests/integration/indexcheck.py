"""indexcheck.py - are a table's index trees exactly what its items imply?

Reads MNT/<table>/.schema (describe-table: the key schema, every index and
the ItemCounts), derives from the items every entry each GSI and LSI must
have, walks the trees under .index/ and reports each entry missing or
without its item, each link that does not lead to its item, and each
ItemCount that disagrees.  Used after kill -9 by t_index_crash.sh and by
crash_harness.py.

Names are taken to equal the key values (S and canonical N values with no
byte a name must escape), which holds for the tables these harnesses use.

    python3 indexcheck.py TABLE_DIR     exits 1 and prints problems if any
"""
import json
import os
import sys


def _key_names(key_schema):
    hash_attr = next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")
    range_attr = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"), None)
    return hash_attr, range_attr


def _value(item, attr):
    """The name an attribute's key value takes, or None when it is absent."""
    v = item.get(attr)
    if not isinstance(v, dict) or len(v) != 1:
        return None
    return next(iter(v.values()))


def read_items(top, has_range):
    """Every item of the table: base key path tuple -> parsed item."""
    items = {}
    for a in os.listdir(top):
        if a.startswith("."):
            continue
        if not has_range:
            with open(os.path.join(top, a)) as f:
                items[(a,)] = json.load(f)
            continue
        for b in os.listdir(os.path.join(top, a)):
            if not b.startswith("."):
                with open(os.path.join(top, a, b)) as f:
                    items[(a, b)] = json.load(f)
    return items


def _walk_links(root, depth):
    """Paths (tuples of names) of the symlinks `depth` levels under root."""
    out = []
    if not os.path.isdir(root):
        return out

    def walk(d, prefix):
        for name in os.listdir(d):
            path = os.path.join(d, name)
            if len(prefix) + 1 == depth:
                out.append((prefix + (name,), path))
            else:
                walk(path, prefix + (name,))
    walk(root, ())
    return out


def check(top, items=None):
    """Problems (sentences) and figures {index name: entries checked}."""
    with open(os.path.join(top, ".schema")) as f:
        desc = json.load(f)
    desc = desc.get("Table", desc)
    hash_attr, range_attr = _key_names(desc["KeySchema"])
    if items is None:
        items = read_items(top, range_attr is not None)
    problems, figures = [], {}
    if desc["ItemCount"] != len(items):
        problems.append("%s: ItemCount %d, %d items" % (top, desc["ItemCount"], len(items)))
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for ix in desc.get(kind, []):
            local = kind.startswith("Local")
            ih, ir = _key_names(ix["KeySchema"])
            want = set()
            for base, item in items.items():
                names = [_value(item, ih)] + ([_value(item, ir)] if ir else [])
                if None in names:
                    continue	# sparse: an item without the index's keys
                want.add(tuple(names[1:] if local else names) + base)
            got = set()
            # An entry's path: the index key names (an LSI's partition is the
            # base one), then the base key names; the last is the link.
            depth = (1 if ir else 0) + (0 if local else 1) + (2 if range_attr else 1)
            roots = ([(os.path.join(top, p, ".index", ix["IndexName"]), (p,))
                      for p in {b[0] for b in items} | set(_partitions(top))]
                     if local else [(os.path.join(top, ".index", ix["IndexName"]), ())])
            for root, base_pk in roots:
                for names, path in _walk_links(root, depth - len(base_pk)):
                    entry = names[:-1] + base_pk + names[-1:] if local else names
                    base = entry[-(2 if range_attr else 1):]
                    got.add(entry)
                    target = os.path.normpath(os.path.join(os.path.dirname(path),
                                                           os.readlink(path)))
                    if target != os.path.join(top, *base):
                        problems.append("%s -> %s: not its item" % (path, os.readlink(path)))
            name = ix["IndexName"]
            for e in sorted(got - want):
                problems.append("%s: entry without its item: %s" % (name, "/".join(e)))
            for e in sorted(want - got):
                problems.append("%s: item missing from the index: %s" % (name, "/".join(e)))
            if ix.get("ItemCount") != len(want):
                problems.append("%s: ItemCount %s, %d entries" % (name, ix.get("ItemCount"),
                                                                  len(want)))
            figures[name] = len(want)
    return problems, figures


def _partitions(top):
    return [p for p in os.listdir(top) if not p.startswith(".")]


def main():
    problems, figures = check(sys.argv[1])
    for p in problems[:30]:
        print(p)
    print("%s: %s entries checked" % (sys.argv[1], figures), file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
