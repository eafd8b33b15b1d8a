#!/bin/bash
# t_hostile_names.sh - hostile names through the real mount (SPEC sections 3,
# 4 and 9; issue 6): S keys holding every byte a path component can carry,
# names of 255 bytes (kept) and 256 (ENAMETOOLONG), multi-byte and invalid
# UTF-8, N keys at the edges of DynamoDB's range, B keys of the longest
# name, and very deep paths.  Every name that is a key reads back as its own
# item whose key attribute is the intended value, before and after a
# remount.  A name that is not a key stores nothing: per the README it is a
# scratch file (listed until the remount, never counted in ItemCount); a
# name that is too long leaves nothing at all.
source "$(dirname "$0")/lib.sh"

ddb_mount
ddb_mktable Strs K S
ddb_mktable Nums K N
ddb_mktable Bins K B
ddb_mktable Ranged P S R N

# hostile.py create MNT | verify MNT [remounted]: writes every name of its
# manifest, or checks what each left (items, scratch files, nothing).
cat >"$T/hostile.py" <<'EOF'
import errno, json, os, sys

def s_name(key):
    """SPEC section 3: '%' -> %25, '/' -> %2F, a leading '.' -> %2E."""
    b = key.encode().replace(b"%", b"%25").replace(b"/", b"%2F")
    return b"%2E" + b[1:] if b.startswith(b".") else b

def b_name(raw):
    import base64
    return base64.urlsafe_b64encode(raw).rstrip(b"=")

def utf8_carriers():
    """For each byte 0x80-0xFF that valid UTF-8 can hold, a character holding it."""
    found = {}
    for cp in list(range(0x80, 0x100)) + list(range(0x100, 0x110000, 0x40)):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        for byte in chr(cp).encode():
            found.setdefault(byte, chr(cp))
    return found

TOO_LONG = [b"a" * 256, "中".encode() * 86, "é".encode() * 128, b"%25" * 86]
# Names that are not valid UTF-8: bytes no UTF-8 holds, a lone continuation,
# overlong, surrogate, beyond U+10FFFF, cut short.
INVALID_UTF8 = [b"x" + bytes([v]) + b"x" for v in [0xC0, 0xC1] + list(range(0xF5, 0x100))] + [
    b"\x80", b"a\xbfb", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8",
    b"x\xe4\xb8", b"\xc3", b"\xf0\x9f\x98"]
TINY = "0." + "0" * 129 + "1"
N_KEYS = {  # name written -> canonical key
    "12345678901234567890123456789012345678": "12345678901234567890123456789012345678",
    "-99999999999999999999999999999999999999": "-99999999999999999999999999999999999999",
    "1e125": "1" + "0" * 125,
    "9.9999999999999999999999999999999999999E+125": "9" * 38 + "0" * 88,
    "-1e-130": "-" + TINY,
    "1E-130": TINY,
    "-0.00": "0",
}
N_NOT_KEYS = ["1e126", "-1e126", "1e-131", "-1E-131", "123456789012345678901234567890123456789",
              "1e99999999999999999999", "0x10", "1e", "NaN"]

def manifest():
    """Every name to try: (table, name bytes, key attribute JSON or None, errno or 0)."""
    m = []
    def key(table, name, attr):
        m.append((table, name, attr, 0))
    # S: every byte 0x01-0x7F alone and inside a key ('/' and '%' escaped,
    # '.' escaped when leading), then every byte 0x80-0xFF that UTF-8 holds.
    for v in range(1, 0x80):
        for k in (chr(v), "k" + chr(v) + "k"):
            key("Strs", s_name(k), {"S": k})
    for ch in sorted(set(utf8_carriers().values())):
        key("Strs", s_name("k" + ch + "k"), {"S": "k" + ch + "k"})
    for k in ["é", "e\u0301", "中文", "😀", "𝄞", "\U0010ffff", "\ufffd", "\u200b", "\ufeffbom",
              "\u202eevil", "a" * 255, "é" * 127 + "a", "中" * 85, "%" * 85, "." + "b" * 252]:
        key("Strs", s_name(k), {"S": k})
    for name in INVALID_UTF8:
        m.append(("Strs", name, None, 0))
    for name in TOO_LONG:
        m.append(("Strs", name, None, errno.ENAMETOOLONG))
    for name, canon in N_KEYS.items():
        key("Nums", name.encode(), {"N": canon})
    for name in N_NOT_KEYS:
        m.append(("Nums", name.encode(), None, 0))
    m.append(("Nums", b"1" * 256, None, errno.ENAMETOOLONG))
    import base64
    for raw in [bytes(191), b"\xff" * 191, b"\x00", b"\xfb\xff"]:
        key("Bins", b_name(raw), {"B": base64.b64encode(raw).decode()})
    m.append(("Bins", b"A" * 256, None, errno.ENAMETOOLONG))
    m.append(("Bins", b"A" * 253, None, 0))  # 253 % 4 == 1: not base64url
    return m

def listed_name(table, name, attr):
    """The name readdir shows: N keys by their canonical form."""
    return attr["N"].encode() if attr and "N" in attr else name

def item_count(mnt, table):
    with open(os.path.join(mnt, table, ".schema")) as f:
        return json.load(f)["ItemCount"]

def fail(msg):
    print("hostile.py: " + msg, file=sys.stderr)
    sys.exit(1)

def create(mnt, m):
    counts = {}
    for i, (table, name, attr, err) in enumerate(m):
        path = os.path.join(mnt.encode(), table.encode(), name)
        before = item_count(mnt, table)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, b'{"I": {"N": "%d"}}' % i)
            finally:
                os.close(fd)
            got = 0
        except OSError as e:
            got = e.errno
        if got != err:
            fail("%s/%r: errno %s, expected %s" % (table, name, errno.errorcode.get(got, got),
                                                   errno.errorcode.get(err, err)))
        if attr is None and item_count(mnt, table) != before:
            fail("%s/%r: not a key, yet ItemCount went from %d to %d"
                 % (table, name, before, item_count(mnt, table)))

def verify(mnt, m, remounted):
    expect = {}
    for i, (table, name, attr, err) in enumerate(m):
        tdir = os.path.join(mnt.encode(), table.encode())
        expect.setdefault(table, {b".schema"})
        path = os.path.join(tdir, name)
        if attr is None:
            exists = os.path.lexists(path) if err == 0 else False
            if err == 0 and not remounted:
                expect[table].add(name)
                with open(path, "rb") as f:
                    data = f.read()
                if data != b'{"I": {"N": "%d"}}' % i:
                    fail("%s/%r: scratch file holds %r" % (table, name, data))
            elif err == 0 and exists:
                fail("%s/%r: not a key, yet it survived the remount" % (table, name))
            continue
        expect[table].add(listed_name(table, name, attr))
        with open(path, "rb") as f:
            item = json.loads(f.read().decode())
        k = "P" if table == "Ranged" else "K"
        if item.get(k) != attr:
            fail("%s/%r: key attribute %r, expected %r" % (table, name, item.get(k), attr))
        if item.get("I") != {"N": str(i)}:
            fail("%s/%r: holds item %r, expected I = %d" % (table, name, item.get("I"), i))
    for table, names in expect.items():
        tdir = os.path.join(mnt.encode(), table.encode())
        listed = set(os.listdir(tdir))
        if listed != names:
            fail("%s: listed but not expected %r; expected but not listed %r"
                 % (table, sorted(listed - names)[:10], sorted(names - listed)[:10]))
        keys = len({listed_name(t, n, a) for t, n, a, e in m if t == table and a})
        if item_count(mnt, table) != keys:
            fail("%s: ItemCount %d, expected %d" % (table, item_count(mnt, table), keys))

mode, mnt = sys.argv[1:3]
m = manifest()
if mode == "create":
    create(mnt, m)
else:
    verify(mnt, m, len(sys.argv) > 3)
EOF

python3 "$T/hostile.py" create "$MNT" || fail "creating the items"
python3 "$T/hostile.py" verify "$MNT" || fail "reading the items back"
assert_error_logged_any "Bins/$(printf 'A%.0s' {1..256})" ENAMETOOLONG
# Any equal form of a number finds the item; its canonical name is the one listed.
expect_ok stat "$MNT/Nums/10e124"
expect_ok stat "$MNT/Nums/0.1E+126"
expect_ok stat "$MNT/Nums/-0.1e-129"

# ---- partitions: 255-byte names, escapes, multi-byte ------------------
p255=$(printf 'p%.0s' {1..255})
mkdir "$MNT/Ranged/$p255"
echo '{}' >"$MNT/Ranged/$p255/1e125"
expect_errno ENAMETOOLONG mkdir "$MNT/Ranged/p$p255"
mkdir "$MNT/Ranged/%2E%2F%25中"
echo '{}' >"$MNT/Ranged/%2E%2F%25中/-1e-130"
grep -q "\"P\": {\"S\": \"$p255\"}" "$MNT/Ranged/$p255/1$(printf '0%.0s' {1..125})" ||
	fail "the 255-byte partition does not hold its key"
grep -q '"P": {"S": "./%中"}' "$MNT/Ranged/%2E%2F%25中/-0.$(printf '0%.0s' {1..129})1" ||
	fail "partition %2E%2F%25中 does not hold key ./%中"
assert_eq 2 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ItemCount"])' \
	"$MNT/Ranged/.schema")" "ItemCount of Ranged"

# ---- very deep paths ---------------------------------------------------
deep() { # deep N: N components "d/d/.../d"
	local i out=d
	for ((i = 1; i < $1; i++)); do out+=/d; done
	printf '%s' "$out"
}
first=k%2Fk
# Through an item: not a directory, at any depth.
expect_errno ENOTDIR stat "$MNT/Strs/$first/x"
expect_errno ENOTDIR stat "$MNT/Strs/$first/$(deep 200)"
expect_errno ENOTDIR write "$MNT/Strs/$first/x" '{}'
expect_errno ENOTDIR mkdir "$MNT/Strs/$first/x"
expect_errno ENOTDIR stat "$MNT/Ranged/$p255/1e125/$(deep 100)"
# Through names that do not exist: no such file.
expect_errno ENOENT stat "$MNT/Strs/nothing/$(deep 200)"
expect_errno ENOENT write "$MNT/Strs/nothing/$(deep 100)" '{}'
expect_errno ENOENT stat "$MNT/Ranged/nothing/1"
expect_errno ENOENT write "$MNT/Ranged/nothing/$(deep 100)" '{}'
expect_errno ENOENT stat "$MNT/NoTable/$(deep 500)"
# Range views compose, but not without end.
views=.gt/0
for ((i = 0; i < 100; i++)); do views+=/.gt/0; done
expect_errno ENOENT stat "$MNT/Ranged/$p255/$views"
# Longer than PATH_MAX: the kernel refuses it before we see it.
expect_errno ENAMETOOLONG stat "$MNT/Strs/$(deep 2100)"
expect_errno ENAMETOOLONG write "$MNT/Strs/$(deep 2100)" '{}'

# Nothing above stored anything more, and everything survives a remount;
# the scratch files (names that are not keys) do not.
python3 "$T/hostile.py" verify "$MNT" || fail "after the deep paths"
ddb_remount
python3 "$T/hostile.py" verify "$MNT" remounted || fail "after the remount"
# Key order: "./%中" (0x2E...) before "ppp..." (0x70...).
assert_eq "%2E%2F%25中"$'\n'"$p255" "$(ls -U "$MNT/Ranged")" "partitions after the remount"
ddb_umount
