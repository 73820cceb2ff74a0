#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Generate captures of worst-case ClientHellos, for instruction counts.

Each capture holds N identical TCP flows to port 443 (SYN, SYN-ACK, ACK,
the hello's TLS records cut into segments, FIN) of one case:

  typical   Firefox's 517-byte hello (tests/data/hello_firefox_tls12.h)
  unique    the same, but each flow's first cipher suite and first
            signature algorithm differ from every other flow's: none of
            its three hashed strings was hashed before (the digest memo
            misses, as it does for a sender that makes every hello new)
  ciphers   a 16 KiB hello that is all cipher suites (8,172 of them)
  exts      4,083 extensions of 4 bytes each, unknown and repeated types
  sigalgs   one signature_algorithms extension of 8,000-odd values
  groups    one supported_groups extension of 8,000-odd values
  alpn      an ALPN list of 8,000-odd names, the first one 255 bytes of
            bytes that need escaping
  sni       one 16 KiB host_name of bytes that need escaping
  records1  the largest hello that fits the reassembly limit as 1-byte TLS
            records (3,072 records), in 1448-byte segments
  records1s the same in 100 segments of 185 bytes (max_hello_segments)

The hellos are valid as far as ja4sentinel's parser goes; the values are
pseudo-random (fixed seed) and never GREASE. Addresses come from
198.18.0.0/15 (RFC 2544). Python 3 standard library only.

    gen_hostile.py CASE FLOWS OUT.pcap
"""

import os
import random
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_capture import ACK, FIN, PSH, SYN, Endpoint, FlowBuilder, syn_opts  # noqa: E402

HELLO_MAX_BODY = 16384
REASM_MAX_BYTES = HELLO_MAX_BODY + 4 + 2048
MAX_HELLO_SEGMENTS = 100
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDLED = {0x0000, 0x000A, 0x000B, 0x000D, 0x0010, 0x002B}


def typical_stream():
    """The Firefox hello, record header included, from the unit-test data."""
    with open(os.path.join(ROOT, "tests/data/hello_firefox_tls12.h")) as f:
        text = f.read()
    body = text[text.index("= {"):text.index("};")]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body))


def is_grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def rand_u16(rng, avoid=()):
    while True:
        v = rng.getrandbits(16)
        if not is_grease(v) and v not in avoid:
            return v


def u16s(vals):
    return b"".join(struct.pack("!H", v) for v in vals)


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return struct.pack("!H", len(b)) + b


def ext(t, data):
    return struct.pack("!H", t) + vec16(data)


def hello_msg(ciphers, exts_block):
    """Handshake message: header, version, random, empty session id,
    ciphers, null compression, extensions block (bytes, or None)."""
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + vec16(u16s(ciphers))
            + b"\x01\x00")
    if exts_block is not None:
        body += vec16(exts_block)
    assert len(body) <= HELLO_MAX_BODY, len(body)
    return b"\x01" + len(body).to_bytes(3, "big") + body


# Fixed part of a 16 KiB hello: header 4, version 2, random 32, session id 1,
# cipher vector length 2, compression 2, extensions block length 2.
FIXED = 4 + 2 + 32 + 1 + 2 + 2 + 2
BASE_CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F]
BASE_EXTS = ext(0x002B, vec8(u16s([0x0304, 0x0303])))


def fill(n_bytes, per):
    """How many per-byte items fit the body beside n_bytes of other content."""
    return (HELLO_MAX_BODY + 4 - FIXED - n_bytes) // per


def case_ciphers(rng):
    n = (HELLO_MAX_BODY + 4 - FIXED + 2) // 2  # no extensions block at all
    return hello_msg([rand_u16(rng) for _ in range(n)], None)


def case_exts(rng):
    used = 2 * len(BASE_CIPHERS)
    n = fill(used, 4)
    # Unknown types, a quarter of them the same type over and over.
    types = [0xFE0D if i % 4 == 0 else rand_u16(rng, HANDLED) for i in range(n)]
    return hello_msg(BASE_CIPHERS, b"".join(ext(t, b"") for t in types))


def list_ext(rng, t):
    used = 2 * len(BASE_CIPHERS) + len(BASE_EXTS) + 4 + 2
    n = fill(used, 2)
    return hello_msg(BASE_CIPHERS, BASE_EXTS + ext(t, vec16(u16s(rand_u16(rng) for _ in range(n)))))


def nasty_bytes(rng, n):
    """Bytes that JSON and the escaper must rewrite: quotes, backslashes,
    controls, invalid and valid UTF-8, spaces."""
    pool = [b'"', b"\\", b"\x00", b"\x1f", b"\xff", b"\xc3\xa9", b" ", b"a"]
    out = b""
    while len(out) < n:
        out += rng.choice(pool)
    return out[:n]


def case_alpn(rng):
    first = nasty_bytes(rng, 255)
    used = 2 * len(BASE_CIPHERS) + len(BASE_EXTS) + 4 + 2 + 1 + len(first)
    n = fill(used, 2)
    names = vec8(first) + b"".join(vec8(bytes([0x61 + i % 26])) for i in range(n))
    return hello_msg(BASE_CIPHERS, BASE_EXTS + ext(0x0010, vec16(names)))


def case_sni(rng):
    used = 2 * len(BASE_CIPHERS) + len(BASE_EXTS) + 4 + 2 + 3
    name = nasty_bytes(rng, HELLO_MAX_BODY + 4 - FIXED - used)
    return hello_msg(BASE_CIPHERS, BASE_EXTS + ext(0x0000, vec16(b"\x00" + vec16(name))))


def case_records1_msg(rng):
    """A hello of 3,072 bytes (ciphers and a few extensions): as 1-byte
    records it is 18,432 stream bytes, just under the reassembly limit."""
    target = REASM_MAX_BYTES // 6
    exts = BASE_EXTS + ext(0x0000, vec16(b"\x00" + vec16(b"www.example.com")))
    n = (target - FIXED - len(exts)) // 2
    return hello_msg([rand_u16(rng) for _ in range(n)], exts)


def records(msg, size):
    """The message as TLS handshake records of at most size payload bytes."""
    return b"".join(b"\x16\x03\x01" + struct.pack("!H", len(msg[i:i + size])) + msg[i:i + size]
                    for i in range(0, len(msg), size))


def nth_non_grease(n):
    """The n-th (from 0) u16 value above 0x1000 that is not GREASE."""
    v = 0x1000
    while True:
        if not is_grease(v):
            if n == 0:
                return v
            n -= 1
        v += 1


def vary(stream, i):
    """The typical stream with its first cipher suite and first signature
    algorithm set to values of flow i's own (one record: offsets from the
    record header)."""
    b = bytearray(stream)
    off = 5 + 4 + 2 + 32
    off += 1 + b[off]                     # session id
    b[off + 2:off + 4] = struct.pack("!H", nth_non_grease(i))
    off += 2 + struct.unpack("!H", b[off:off + 2])[0]
    off += 1 + b[off]                     # compression methods
    end = off + 2 + struct.unpack("!H", b[off:off + 2])[0]
    off += 2
    while off < end:
        t, n = struct.unpack("!HH", b[off:off + 4])
        if t == 0x000D:                   # list length, then the values
            b[off + 6:off + 8] = struct.pack("!H", nth_non_grease(i + 40000))
        off += 4 + n
    return bytes(b)


def build(case, flow=0):
    rng = random.Random(0x4A34 + sum(map(ord, case)))
    mss = 1448
    if case == "typical":
        return typical_stream(), mss
    if case == "unique":
        return vary(typical_stream(), flow), mss
    if case in ("records1", "records1s"):
        stream = records(case_records1_msg(rng), 1)
        if case == "records1s":
            mss = -(-len(stream) // MAX_HELLO_SEGMENTS)
        return stream, mss
    msg = {
        "ciphers": case_ciphers,
        "exts": case_exts,
        "sigalgs": lambda r: list_ext(r, 0x000D),
        "groups": lambda r: list_ext(r, 0x000A),
        "alpn": case_alpn,
        "sni": case_sni,
    }[case](rng)
    return records(msg, 16384), mss


CASES = ["typical", "unique", "ciphers", "exts", "sigalgs", "groups", "alpn", "sni", "records1", "records1s"]


def write_pcap(path, case, flows):
    stream, mss = build(case)
    assert len(stream) <= REASM_MAX_BYTES, len(stream)
    fb = FlowBuilder(False, bytes.fromhex("00005e005302"), bytes.fromhex("00005e005301"))
    server_addr = bytes([198, 19, 255, 1])
    t = 1704067200 * 1000000
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(pkt):
            nonlocal t
            t += 10
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(pkt), len(pkt)) + pkt)

        for i in range(flows):
            cli = Endpoint(bytes([198, 18, (i >> 8) & 0xFF, i & 0xFF]), 10000 + i % 50000,
                           1000 + i, 1, 1, 0)
            srv = Endpoint(server_addr, 443, 5000 + i, 1, 1, 0)
            if case == "unique":
                stream, mss = build(case, i)
            segs = [stream[j:j + mss] for j in range(0, len(stream), mss)]
            assert len(segs) <= MAX_HELLO_SEGMENTS
            put(fb.packet(cli, srv, False, SYN, 0, 64240, syn_opts(1460, 1, 0, 7)))
            put(fb.packet(srv, cli, True, SYN | ACK, cli.seq, 65160, syn_opts(1460, 1, 1, 7)))
            put(fb.packet(cli, srv, False, ACK, srv.seq, 502, b""))
            for s in segs:
                put(fb.packet(cli, srv, False, PSH | ACK, srv.seq, 502, b"", s))
            put(fb.packet(cli, srv, False, FIN | ACK, srv.seq, 502, b""))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        sys.exit("usage: gen_hostile.py {%s} FLOWS OUT.pcap" % ",".join(CASES))
    write_pcap(sys.argv[3], sys.argv[1], int(sys.argv[2]))


if __name__ == "__main__":
    main()
