#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Differential test of the JA4 / JA3 fingerprints.

Random but well-formed TLS ClientHellos (seeded RNG) are written to a classic
pcap, one TCP connection each (SYN, SYN-ACK, ACK, hello segments, FIN; IPv4
and IPv6), read with `ja4sentinel --read` (raw JA4 forms on), and every
fingerprint field of each record is compared with an independent
implementation of ../shared/docs/ja4-ja3-spec.md written in this file
(it does not share code or tables with the daemon).

Each flow has its own RNG, seeded from (seed, index), so a flow can be
rebuilt alone: `--seed S --index I --hex` prints its ClientHello, and
`--keep DIR` keeps the pcap (flow I is the client 198.18.0.0 + I + 1, or
fd00:d1ff:1:: + I when I % 4 == 3, source port 20000 + I % 40000, to port 443).
The seed is fixed (1) unless `--seed` names one (`--seed 0`: a random one,
printed), so a run in CI is the same every time; `--wrap CMD` runs the
binary under CMD (valgrind), with 300 hellos unless `--count` says.

Prints one line per mismatch and ends with `N passed, N failed, N skipped`
(exit 1 if anything failed; everything is skipped only when the binary is
missing). Standard library only.
"""
import argparse
import hashlib
import ipaddress
import json
import os
import random
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.normpath(os.path.join(HERE, "..", "..", "build", "ja4sentinel"))

# ---------------------------------------------------------------------------
# Reference implementation (from the spec only)
# ---------------------------------------------------------------------------

GREASE = tuple(((n << 4) | 0xA) * 0x0101 for n in range(16))  # 0x0a0a .. 0xfafa
GREASE_SET = frozenset(GREASE)

EXT_SNI = 0x0000
EXT_GROUPS = 0x000A
EXT_POINTS = 0x000B
EXT_SIGALGS = 0x000D
EXT_ALPN = 0x0010
EXT_VERSIONS = 0x002B
SPECIAL_EXTS = frozenset({EXT_SNI, EXT_GROUPS, EXT_POINTS, EXT_SIGALGS, EXT_ALPN, EXT_VERSIONS})


def is_grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


class Malformed(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise Malformed("overrun")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u24(self):
        b = self.take(3)
        return (b[0] << 16) | (b[1] << 8) | b[2]

    def vec(self, lenbytes):
        n = {1: self.u8, 2: self.u16, 3: self.u24}[lenbytes]()
        return self.take(n)

    def done(self):
        return self.p == len(self.d)


def u16_list(data):
    if len(data) % 2:
        raise Malformed("odd list")
    return [struct.unpack("!H", data[i:i + 2])[0] for i in range(0, len(data), 2)]


def parse_hello(msg):
    """Parse one ClientHello handshake message (type + 3-byte length + body)."""
    r = Reader(msg)
    if r.u8() != 1:
        raise Malformed("not a ClientHello")
    body = Reader(r.vec(3))
    if not r.done():
        raise Malformed("trailing bytes")
    h = {"legacy_version": body.u16()}
    body.take(32)
    sid = body.vec(1)
    if len(sid) > 32:
        raise Malformed("session id")
    h["ciphers"] = u16_list(body.vec(2))
    body.vec(1)  # compression methods
    h["exts"] = []  # (type, data) in wire order
    h["has_ext_block"] = not body.done()
    if h["has_ext_block"]:
        block = Reader(body.vec(2))
        while not block.done():
            t = block.u16()
            h["exts"].append((t, block.vec(2)))
        if not body.done():
            raise Malformed("bytes after the extensions")
    return h


def first_host_name(data):
    """tls_sni: first host_name entry (bytes) or None."""
    if not data:
        return None
    r = Reader(data)
    lst = Reader(r.vec(2))
    while not lst.done():
        typ = lst.u8()
        name = lst.vec(2)
        if typ == 0:
            return name
    return None


def alpn_names(data):
    r = Reader(data)
    lst = Reader(r.vec(2))
    names = []
    while not lst.done():
        names.append(lst.vec(1))
    return names


def is_alnum_byte(b):
    return 0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A


def alpn_code(first):
    if first is None or len(first) == 0:
        return "00"
    a, z = first[0], first[-1]
    if is_alnum_byte(a) and is_alnum_byte(z):
        return chr(a) + chr(z)
    hx = first.hex()
    return hx[0] + hx[-1]


VERSION_CODE = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
VERSION_TEXT = {0x0304: "1.3", 0x0303: "1.2", 0x0302: "1.1", 0x0301: "1.0", 0x0300: "ssl3"}


def sha12(s):
    if s == "":
        return "000000000000"
    return hashlib.sha256(s.encode("ascii")).hexdigest()[:12]


def escape_bytes(b):
    """record.md: bytes outside printable ASCII, space and backslash as \\xHH."""
    out = []
    for c in b:
        if 0x21 <= c <= 0x7E and c != 0x5C:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def reference(msg):
    """Every compared record field for one ClientHello, from the spec."""
    h = parse_hello(msg)
    exts = h["exts"]
    ext_types = [t for t, _ in exts if not is_grease(t)]
    ciphers = [c for c in h["ciphers"] if not is_grease(c)]

    def ext_data(t):
        for tt, d in exts:
            if tt == t:
                return d
        return None

    # version
    ver = None
    sv = ext_data(EXT_VERSIONS)
    if sv is not None:
        r = Reader(sv)
        vals = [v for v in u16_list(r.vec(1)) if not is_grease(v)]
        if vals:
            ver = max(vals)
    if ver is None:
        ver = h["legacy_version"]

    sni_data = ext_data(EXT_SNI)
    sni_flag = "d" if sni_data is not None else "i"

    alpn = ext_data(EXT_ALPN)
    first_alpn = None
    alpn_present = False
    if alpn is not None:
        names = alpn_names(alpn)
        if names:
            first_alpn = names[0]
            alpn_present = True

    a = "t" + VERSION_CODE.get(ver, "00") + sni_flag + "%02d" % min(len(ciphers), 99) \
        + "%02d" % min(len(ext_types), 99) + alpn_code(first_alpn)

    sig = ext_data(EXT_SIGALGS)
    sigs = []
    if sig is not None:
        sigs = [v for v in u16_list(Reader(sig).vec(2)) if not is_grease(v)]
    sig_s = ",".join("%04x" % v for v in sigs)

    c_sorted = ",".join("%04x" % v for v in sorted(ciphers))
    c_wire = ",".join("%04x" % v for v in ciphers)
    e_sorted = ",".join("%04x" % v for v in sorted(t for t in ext_types if t not in (EXT_SNI, EXT_ALPN)))
    e_wire = ",".join("%04x" % v for v in ext_types)
    if sig_s:
        e_sorted_full = e_sorted + "_" + sig_s
        e_wire_full = e_wire + "_" + sig_s
    else:
        e_sorted_full = e_sorted
        e_wire_full = e_wire

    out = {
        "ja4": "%s_%s_%s" % (a, sha12(c_sorted), sha12(e_sorted_full)),
        "ja4_r": "%s_%s_%s" % (a, c_sorted, e_sorted_full),
        "ja4_o": "%s_%s_%s" % (a, sha12(c_wire), sha12(e_wire_full)),
        "ja4_ro": "%s_%s_%s" % (a, c_wire, e_wire_full),
    }
    out["ja4_hash"] = out["ja4"][11:]

    groups = ext_data(EXT_GROUPS)
    g = [] if groups is None else [v for v in u16_list(Reader(groups).vec(2)) if not is_grease(v)]
    pts = ext_data(EXT_POINTS)
    p = [] if pts is None else list(Reader(pts).vec(1))
    ja3 = ",".join([
        str(h["legacy_version"]),
        "-".join(str(v) for v in ciphers),
        "-".join(str(v) for v in ext_types),
        "-".join(str(v) for v in g),
        "-".join(str(v) for v in p),
    ])
    out["ja3"] = ja3
    out["ja3_hash"] = hashlib.md5(ja3.encode("ascii")).hexdigest()

    # None = field absent from the record
    host = first_host_name(sni_data) if sni_data is not None else None
    out["tls_sni"] = None if host is None else escape_bytes(host[:1024])
    out["tls_alpn"] = escape_bytes(first_alpn) if alpn_present else None
    out["tls_version"] = VERSION_TEXT.get(ver, "0x%04x" % ver)
    return out


def self_check():
    """The spec's worked example (§10), so a broken reference shows at once."""
    hx = ("010001fc0303c5b08a8a5a1a1f31e5bcd0853b6f59944dfec2900a712a2a6059"
          "b827c58cf48020078a389ef1767da304d9e10cc7a9441a734513694d3a353ed9"
          "522ac47f9c8aa40022aaaa130113021303c02bc02fc02cc030cca9cca8c013c0"
          "14009c009d002f0035000a010001914a4a00000000001a00180000156261642e"
          "637572766562616c6c746573742e636f6d00170000ff01000100000a000a0008"
          "caca001d00170018000b00020100002300000010000e000c0268320868747470"
          "2f312e31000500050100000000000d0014001204030804040105030805050108"
          "0606010201001200000033002b0029caca000100001d0020ec9c731ae0f83a31"
          "5ec38ed8cc94912502ab3ca913a29b7d037d7c0ae6a6e81a002d00020101002b"
          "000b0a2a2a0304030303020301001b00030200027a7a000100001500c3000000") + "00" * 192
    r = reference(bytes.fromhex(hx))
    want = {
        "ja4": "t13d1615h2_46e7e9700bed_45f260be83e2",
        "ja4_o": "t13d1615h2_45f31bb0a5cc_b0e5d31d5128",
        "ja3_hash": "66918128f1b9b03303d77c6f2eefd128",
        "tls_sni": "bad.curveballtest.com",
        "tls_alpn": "h2",
        "tls_version": "1.3",
    }
    for k, v in want.items():
        if r[k] != v:
            raise SystemExit(f"reference self-check failed: {k} {r[k]!r} != {v!r}")
    for name, alpn, code in [("h2", b"h2", "h2"), ("h1", b"http/1.1", "h1"), ("hh", b"h", "hh"),
                             ("bd", b"\xba\xad", "bd"), ("ab", b"\xab", "ab"),
                             ("20", b"\x20", "20"), ("21", b"\x20\x61", "21"),
                             ("60", b"\x61\x20", "60"), ("3b", b"\x30\xab", "3b"),
                             ("01", b"\x30\xab\xcd\x31", "01"), ("00", b"", "00")]:
        if alpn_code(alpn) != code:
            raise SystemExit(f"reference self-check failed: alpn {name}")


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------

COMMON_CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
                  0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035, 0x000A, 0x00FF, 0x5600,
                  0x0005, 0x0004, 0x0039, 0x0033, 0xC009, 0xC00A, 0x0000, 0xFE00, 0xFEFF,
                  0x0001, 0xFFFF]
COMMON_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201,
                  0x0203, 0x0603, 0x0807, 0x0808, 0x0202, 0x0303, 0x0301, 0x0000, 0xFFFF]
COMMON_GROUPS = [0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101, 0x11EC, 0x6399,
                 0x0000, 0xFFFF]
VERSION_POOL = [0x0304, 0x0303, 0x0302, 0x0301, 0x0300, 0x7F17, 0x7F1C, 0xFEFF, 0xFEFD,
                0xFEFC, 0x0002, 0x0200, 0x0305, 0xFFFF, 0x0000]
OTHER_EXTS = [0x0017, 0xFF01, 0x0023, 0x0005, 0x0012, 0x0033, 0x002D, 0x001B, 0x0015,
              0x0022, 0x0032, 0x0039, 0x001C, 0x4469, 0x44CD, 0xFE0D, 0x0029, 0x002A,
              0x0031, 0x0016, 0x0001, 0x0003, 0x0009, 0x000F, 0x0011, 0x0018, 0xFFFF,
              0x0100, 0x1000, 0x00FF]


def vec(n, data):
    if n == 1:
        return struct.pack("!B", len(data)) + data
    if n == 2:
        return struct.pack("!H", len(data)) + data
    return struct.pack("!I", len(data))[1:] + data


def u16s(vals):
    return b"".join(struct.pack("!H", v) for v in vals)


def rand_bytes(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def pick16(rng, pool, grease_p=0.1, random_p=0.15):
    x = rng.random()
    if x < grease_p:
        return rng.choice(GREASE)
    if x < grease_p + random_p:
        return rng.randrange(65536)
    return rng.choice(pool)


def gen_u16_list(rng, pool, lo, hi, grease_p=0.1):
    n = rng.randint(lo, hi)
    out = [pick16(rng, pool, grease_p) for _ in range(n)]
    if out and rng.random() < 0.2:  # duplicates
        for _ in range(rng.randint(1, 3)):
            out.insert(rng.randrange(len(out) + 1), rng.choice(out))
    return out


PRINTABLE = bytes(range(0x21, 0x7F))


def gen_hostname(rng):
    k = rng.random()
    if k < 0.55:
        labels = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-")
                          for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 4))]
        return ".".join(labels).encode()
    if k < 0.75:  # odd bytes: space, backslash, quote, controls, high bytes
        pool = b"ab.-_ \\\"'/\x00\x01\x1f\x7f\x80\xc3\xa9\xff{}<>&%"
        return bytes(rng.choice(pool) for _ in range(rng.randint(1, 20)))
    if k < 0.85:
        return rand_bytes(rng, rng.randint(1, 30))
    if k < 0.95:
        return b""
    # long, printable only (the record cuts tls_sni at 1024 bytes)
    return bytes(rng.choice(PRINTABLE) for _ in range(rng.randint(1000, 1100)))


def gen_sni(rng):
    k = rng.random()
    if k < 0.08:
        return b""  # extension with an empty body
    if k < 0.12:
        return vec(2, b"")  # empty list
    entries = []
    if rng.random() < 0.15:  # entries of other name types first
        for _ in range(rng.randint(1, 2)):
            entries.append((rng.choice([1, 2, 5, 255]), rand_bytes(rng, rng.randint(0, 8))))
    if rng.random() < 0.92:
        entries.append((0, gen_hostname(rng)))
    if rng.random() < 0.15:
        entries.append((0, gen_hostname(rng)))
    return vec(2, b"".join(struct.pack("!B", t) + vec(2, n) for t, n in entries))


def gen_alpn_name(rng):
    k = rng.random()
    if k < 0.35:
        return rng.choice([b"h2", b"http/1.1", b"h3", b"spdy/3.1", b"acme-tls/1", b"dot",
                           b"imap", b"xmpp-client", b"h2c", b"http/1.0", b"stun.turn"])
    if k < 0.45:
        return bytes([rng.randrange(256)])
    if k < 0.52:
        return b""
    if k < 0.60:
        return rng.choice([b"\xba\xad", b"\xab", b"\x20", b"\x20\x61", b"\x61\x20",
                           b"\x30\xab", b"\x30\xab\xcd\x31", b"\x00", b"\x00\x00",
                           b"h2\x00", b"\x00h2", b"-h2", b"h2-", b" h2", b"h2 ", b"\\",
                           b"\"", b"Z", b"9", b"/", b"a/", b"/a", b"\xff", b"\x7f"])
    n = rng.randint(1, 12)
    classes = [PRINTABLE, b"abcXYZ019", bytes(range(256)), b"\x00 -/_.:@[`{~\x7f\x80\xff"]
    mid = bytes(rng.choice(rng.choice(classes)) for _ in range(n))
    return mid


def gen_alpn(rng):
    if rng.random() < 0.08:
        return vec(2, b"")  # empty list
    names = [gen_alpn_name(rng)]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        names.append(gen_alpn_name(rng))
    return vec(2, b"".join(vec(1, n) for n in names))


def gen_versions(rng):
    k = rng.random()
    if k < 0.06:
        vals = []
    elif k < 0.12:
        vals = [rng.choice(GREASE) for _ in range(rng.randint(1, 3))]
    else:
        vals = [pick16(rng, VERSION_POOL, grease_p=0.15, random_p=0.05)
                for _ in range(rng.randint(1, 6))]
    return vec(1, u16s(vals))


def gen_extensions(rng):
    """A list of (type, data), wire order."""
    exts = []
    if rng.random() < 0.04:
        # only SNI and/or ALPN (and GREASE): JA4 c is empty, ja4_o's is not
        k = rng.randrange(3)
        if k != 1:
            exts.append((EXT_SNI, gen_sni(rng)))
        if k != 0:
            exts.append((EXT_ALPN, gen_alpn(rng)))
        for _ in range(rng.choice([0, 0, 1, 2])):
            exts.append((rng.choice(GREASE), rng.choice([b"", b"\x00"])))
        rng.shuffle(exts)
        return exts
    if rng.random() < 0.8:
        exts.append((EXT_SNI, gen_sni(rng)))
    if rng.random() < 0.7:
        exts.append((EXT_ALPN, gen_alpn(rng)))
    if rng.random() < 0.75:
        if rng.random() < 0.08:
            data = vec(2, b"")
        else:
            data = vec(2, u16s(gen_u16_list(rng, COMMON_SIGALGS, 1, 25)))
        exts.append((EXT_SIGALGS, data))
    if rng.random() < 0.6:
        exts.append((EXT_VERSIONS, gen_versions(rng)))
    if rng.random() < 0.7:
        exts.append((EXT_GROUPS, vec(2, u16s(gen_u16_list(rng, COMMON_GROUPS, 0, 10)))))
    if rng.random() < 0.6:
        exts.append((EXT_POINTS, vec(1, bytes(rng.choice([0, 1, 2, 0xFF, 0x7A])
                                             for _ in range(rng.randint(0, 4))))))
    # others
    if rng.random() < 0.05:
        n_other = rng.randint(90, 130)  # past the count cap
    else:
        n_other = rng.randint(0, 15)
    for _ in range(n_other):
        x = rng.random()
        if x < 0.12:
            t = rng.choice(GREASE)
            data = rng.choice([b"", b"\x00", rand_bytes(rng, rng.randint(0, 4))])
        elif x < 0.30:
            t = rng.randrange(65536)
            while t in SPECIAL_EXTS:
                t = rng.randrange(65536)
            data = rand_bytes(rng, rng.randint(0, 16))
        else:
            t = rng.choice(OTHER_EXTS)
            if t == 0x0015:
                data = b"\x00" * rng.randint(0, 300)
            elif t in (0x0022, 0x0032):
                data = vec(2, u16s(gen_u16_list(rng, COMMON_SIGALGS, 1, 8)))
            else:
                data = rand_bytes(rng, rng.randint(0, 16))
        exts.append((t, data))
    # duplicates of types that carry nothing the fingerprints read
    if rng.random() < 0.1:
        others = [e for e in exts if e[0] not in SPECIAL_EXTS]
        for _ in range(rng.randint(1, 3)):
            if others:
                exts.append(rng.choice(others))
    if rng.random() < 0.03:
        # a big hello: many segments (gen_hello keeps it under 16 KiB)
        t = rng.choice([0x0015, 0xFFCE, 0x1234])
        exts.append((t, rand_bytes(rng, rng.randint(4000, 11000))))
    rng.shuffle(exts)
    return exts


def gen_hello(rng):
    """One ClientHello handshake message (bytes), small enough for one TLS
    record (2^14 bytes: servers refuse bigger records)."""
    while True:
        msg = gen_hello_any(rng)
        if len(msg) <= 16000:
            return msg


def gen_hello_any(rng):
    legacy = rng.choice([0x0300, 0x0301, 0x0302, 0x0303, 0x0303, 0x0303, 0x0304])
    sid = rng.choice([b"", rand_bytes(rng, 32), rand_bytes(rng, rng.randint(0, 32))])
    k = rng.random()
    if k < 0.03:
        ciphers = []
    elif k < 0.05:
        ciphers = [rng.choice(GREASE) for _ in range(rng.randint(1, 3))]
    elif k < 0.15:
        ciphers = gen_u16_list(rng, COMMON_CIPHERS, 90, 200)
    else:
        ciphers = gen_u16_list(rng, COMMON_CIPHERS, 1, 40)
    comp = rng.choice([b"\x00", b"\x00", b"\x01\x00", b"\x00\x01\x40"])
    body = struct.pack("!H", legacy) + rand_bytes(rng, 32) + vec(1, sid) \
        + vec(2, u16s(ciphers)) + vec(1, comp)
    k = rng.random()
    if k < 0.04:
        pass  # no extensions block at all
    elif k < 0.07:
        body += vec(2, b"")
    else:
        exts = gen_extensions(rng)
        body += vec(2, b"".join(struct.pack("!H", t) + vec(2, d) for t, d in exts))
    return b"\x01" + vec(3, body)


def tls_records(rng, msg):
    """The hello in one or (sometimes) two TLS records, and what was done."""
    rv = rng.choice([0x0301, 0x0301, 0x0303, 0x0300, 0x0302])
    if rng.random() < 0.12 and len(msg) > 1:
        cut = rng.choice([rng.randint(1, 4), rng.randint(1, len(msg) - 1)])
        cut = min(cut, len(msg) - 1)
        parts = [msg[:cut], msg[cut:]]
    else:
        parts = [msg]
    out = b"".join(struct.pack("!BHH", 0x16, rv, len(p)) + p for p in parts)
    return out, len(parts)


def tcp_chunks(rng, payload, mss=1460):
    """Payload cut into segments: 1, or sometimes 2-3 at random points; no
    segment above the MSS. Returns (list of (offset, bytes)), out_of_order."""
    cuts = set()
    if rng.random() < 0.25:
        for _ in range(rng.randint(1, 2)):
            x = rng.random()
            if x < 0.3:
                cuts.add(rng.randint(1, min(6, len(payload) - 1)))  # inside a record header
            else:
                cuts.add(rng.randint(1, len(payload) - 1))
    bounds = sorted(cuts | {0, len(payload)})
    segs = []
    for a, b in zip(bounds, bounds[1:]):
        while b - a > mss:
            segs.append((a, payload[a:a + mss]))
            a += mss
        segs.append((a, payload[a:b]))
    ooo = False
    if len(segs) > 1 and rng.random() < 0.08:
        segs = list(reversed(segs))
        ooo = True
    return segs, ooo


# ---------------------------------------------------------------------------
# pcap writer
# ---------------------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Pcap:
    def __init__(self, f):
        self.f = f
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.ipid = 1

    def packet(self, ts, src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b""):
        v6 = src.version == 6
        while len(opts) % 4:
            opts += b"\x01"
        thl = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          (thl // 4) << 4, flags, 65535, 0, 0) + opts + payload
        if v6:
            pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(tcp), 6)
        else:
            pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(tcp))
        c = csum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        if v6:
            ip = struct.pack("!IHBB", 0x60000000, len(tcp), 6, 64) + src.packed + dst.packed
            eth_type = 0x86DD
        else:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.ipid & 0xFFFF,
                              0x4000, 64, 6, 0, src.packed, dst.packed)
            self.ipid += 1
            ip = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            eth_type = 0x0800
        frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" \
            + struct.pack("!H", eth_type) + ip + tcp
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


SYN_OPTS = b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x01\x03\x03\x07"
SYNACK_OPTS = b"\x02\x04\x05\xb4" + b"\x01\x01\x04\x02" + b"\x01\x03\x03\x07"


def flow_addr(i):
    """Client address, port and server address of flow i."""
    v6 = (i % 4) == 3
    port = 20000 + (i % 40000)
    if v6:
        src = ipaddress.ip_address("fd00:d1ff:1::") + i
        dst = ipaddress.ip_address("fd00:d1ff::443")
    else:
        src = ipaddress.ip_address("198.18.0.0") + (i + 1)
        dst = ipaddress.ip_address("198.19.255.254")
    return src, port, dst


def build_flow(seed, i):
    rng = random.Random("ja4diff/%d/%d" % (seed, i))
    msg = gen_hello(rng)
    payload, nrec = tls_records(rng, msg)
    segs, ooo = tcp_chunks(rng, payload)
    cisn = rng.randrange(1 << 32)
    sisn = rng.randrange(1 << 32)
    return {"msg": msg, "payload": payload, "records": nrec, "segs": segs, "ooo": ooo,
            "cisn": cisn, "sisn": sisn}


def write_flow(pc, i, fl, t0):
    src, sport, dst = flow_addr(i)
    dport = 443
    c, s = fl["cisn"], fl["sisn"]
    t = t0
    pc.packet(t, src, dst, sport, dport, c, 0, SYN, opts=SYN_OPTS)
    t += 0.0005
    pc.packet(t, dst, src, dport, sport, s, c + 1, SYN | ACK, opts=SYNACK_OPTS)
    t += 0.0005
    pc.packet(t, src, dst, sport, dport, c + 1, s + 1, ACK)
    for off, data in fl["segs"]:
        t += 0.0002
        pc.packet(t, src, dst, sport, dport, c + 1 + off, s + 1, ACK | PSH, data)
    t += 0.0005
    pc.packet(t, src, dst, sport, dport, c + 1 + len(fl["payload"]), s + 1, FIN | ACK)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

FIELDS = ["ja4", "ja4_hash", "ja4_r", "ja4_o", "ja4_ro", "ja3", "ja3_hash", "tls_sni",
          "tls_alpn", "tls_version"]
CONFIG = "fingerprints:\n  raw: true\noutputs:\n  - type: stdout\n    enabled: true\n"


def read_records(binary, wrap, cfg_path, pcap_path, timeout=300):
    """`binary --config cfg_path --read pcap_path` under the wrapper command
    wrap, with the environment's port and filter settings left out: the
    process, its records by (source address, source port), and the count
    of output lines that are not JSON (run_diff_quic.py uses it too)."""
    env = dict(os.environ)
    env.pop("JA4SENTINEL_PORTS", None)
    env.pop("JA4SENTINEL_BPF_FILTER", None)
    p = subprocess.run(shlex.split(wrap) + [binary, "--config", cfg_path, "--read", pcap_path],
                       capture_output=True, text=True, env=env, timeout=timeout)
    by_key, bad_lines = {}, 0
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            bad_lines += 1
            continue
        k = (ipaddress.ip_address(rec.get("src_ip", "0.0.0.0")), rec.get("src_port"))
        by_key.setdefault(k, []).append(rec)
    return p, by_key, bad_lines


def finish(by_key, bad_lines, classes, passed, failed, skipped):
    """Count records of no flow (left in by_key) and lines that are not
    JSON as failures, print the mismatches by field and the count line;
    the exit status (run_diff_quic.py uses it too)."""
    for k in by_key:
        print(f"MISMATCH: unexpected record for {k[0]} port {k[1]}")
        failed += 1
    if bad_lines:
        print(f"MISMATCH: {bad_lines} output line(s) not JSON")
        failed += 1
    if classes:
        print("mismatches by field: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=DEFAULT_BINARY)
    ap.add_argument("--count", type=int, default=None,
                    help="hellos (default 2000, 300 under --wrap)")
    ap.add_argument("--seed", type=int, default=1,
                    help="RNG seed (default 1; 0: a random one, printed)")
    ap.add_argument("--wrap", default="", help="a command to run the binary under (valgrind)")
    ap.add_argument("--keep", metavar="DIR", help="keep the pcap (and config) in DIR")
    ap.add_argument("--index", type=int, action="append",
                    help="only these flow indexes (repeatable)")
    ap.add_argument("--hex", action="store_true",
                    help="print each selected flow's ClientHello in hex and its expected values")
    args = ap.parse_args()

    self_check()
    if args.count is None:
        args.count = 300 if args.wrap.strip() else 2000
    seed = args.seed if args.seed else int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}, count {args.count}", flush=True)
    indexes = args.index if args.index else list(range(args.count))

    flows = {}
    for i in indexes:
        fl = build_flow(seed, i)
        fl["want"] = reference(fl["msg"])
        flows[i] = fl
        if args.hex:
            print(f"flow {i}: records={fl['records']} segments={len(fl['segs'])}"
                  f" out_of_order={fl['ooo']}")
            print("  hello " + fl["msg"].hex())
            for k in FIELDS:
                print(f"  {k} = {fl['want'][k]!r}")

    if not os.path.isfile(args.binary):
        print(f"SKIP: no binary at {args.binary}")
        print("0 passed, 0 failed, 1 skipped")
        return 0

    tmp = tempfile.mkdtemp(prefix="j4s-diff-")
    try:
        outdir = args.keep or tmp
        os.makedirs(outdir, exist_ok=True)
        pcap_path = os.path.join(outdir, f"diff-{seed}.pcap")
        cfg_path = os.path.join(outdir, "raw.yml")
        with open(cfg_path, "w") as f:
            f.write(CONFIG)
        with open(pcap_path, "wb") as f:
            pc = Pcap(f)
            t0 = 1700000000.0
            for n, i in enumerate(indexes):
                write_flow(pc, i, flows[i], t0 + n * 0.01)
        if args.keep:
            print(f"pcap kept: {pcap_path}")
        p, by_key, bad_lines = read_records(args.binary, args.wrap, cfg_path, pcap_path)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if p.returncode != 0:
        print(f"FAIL: {args.binary} exited {p.returncode}")
        for line in p.stderr.strip().splitlines()[-10:]:
            print("    " + line)
        print(f"0 passed, {len(indexes)} failed, 0 skipped")
        return 1


    passed = failed = skipped = 0
    classes = {}
    for i in indexes:
        src, sport, _ = flow_addr(i)
        recs = by_key.pop((src, sport), [])
        fl = flows[i]
        tag = f"seed={seed} idx={i}"
        if len(recs) != 1:
            print(f"MISMATCH {tag}: {len(recs)} records, want 1")
            classes["record count"] = classes.get("record count", 0) + 1
            failed += 1
            continue
        rec = recs[0]
        errs = []
        for k in FIELDS:
            want = fl["want"][k]
            if k == "tls_version" and k not in rec:
                continue
            got = rec.get(k)
            if got != want:
                errs.append(k)
                print(f"MISMATCH {tag} {k}: daemon={got!r} expected={want!r}")
        if errs:
            failed += 1
            for k in errs:
                classes[k] = classes.get(k, 0) + 1
        else:
            passed += 1
    return finish(by_key, bad_lines, classes, passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
