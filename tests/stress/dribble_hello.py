#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The ClientHello the stress test dribbles (tests/stress/synflood.c dribble):
a browser-sized TLS 1.3 hello padded to 517 bytes, built with the synthetic
capture generator. Writes it to FILE and prints its fingerprints as JSON, from
the generator's own JA4/JA3 implementation.

    dribble_hello.py FILE
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import gen_synthetic as g  # noqa: E402


def hello(size=517):
    ciphers = [0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
               0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    host = b"dribble.example"

    def build(pad):
        exts = (g.ext(0x0000, struct.pack("!HBH", len(host) + 3, 0, len(host)) + host)
                + g.ext(0x0017, b"") + g.ext(0xff01, b"\x00")
                + g.ext(0x000a, g.u16_list([0x001d, 0x0017, 0x0018]))
                + g.ext(0x000b, b"\x01\x00") + g.ext(0x0023, b"")
                + g.ext(0x0010, b"\x00\x0c\x02h2\x08http/1.1")
                + g.ext(0x000d, g.u16_list([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
                                            0x0806, 0x0601]))
                + g.ext(0x0033, struct.pack("!HHH", 32 + 4, 0x001d, 32) + b"\x5a" * 32)
                + g.ext(0x002b, g.u16_list([0x0304, 0x0303], 1))
                + g.ext(0x002d, b"\x01\x01")
                + g.ext(0x0015, b"\x00" * pad))
        body = (b"\x03\x03" + b"\x42" * 32 + b"\x20" + b"\x24" * 32 + g.u16_list(ciphers)
                + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
        return g.tls_record(0x16, g.handshake_message(1, body))

    rec = build(0)
    return build(max(0, size - len(rec)))


if __name__ == "__main__":
    rec = hello()
    with open(sys.argv[1], "wb") as f:
        f.write(rec)
    print(json.dumps(dict(g.fingerprints(rec), size=len(rec))))
