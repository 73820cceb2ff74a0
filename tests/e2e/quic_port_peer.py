#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A QUIC client that hides its hello from a sensor that keys connections by
4-tuple, as a bot could (run_quic.sh): a ClientHello with a post-quantum
key share (group 4588, 1216 bytes, as Chrome's X25519MLKEM768) spans two
Initial packets; the first goes from port A, then DECOYS Initials of fresh
DCIDs from port A (each the first bytes of a hello, never finished), then
the second Initial from port B. Servers route Initials by DCID (RFC 9000
§5.2), so the DCID's connection is one hello, and the sensor must record
it once, under port A. Initials sealed here with the RFC 9001 §5.2 keys
(cryptography's AES, hmac's HKDF).
  quic_port_peer.py SERVER_IP SNI   prints "PORT_A PORT_B"
"""
import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
DECOYS = 6


def hkdf_expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def client_keys(dcid):
    initial = hmac.new(SALT_V1, dcid, hashlib.sha256).digest()
    client = hkdf_expand_label(initial, b"client in", 32)
    return (hkdf_expand_label(client, b"quic key", 16), hkdf_expand_label(client, b"quic iv", 12),
            hkdf_expand_label(client, b"quic hp", 16))


def varint(v):
    if v < 64:
        return bytes([v])
    if v < 16384:
        return struct.pack("!H", 0x4000 | v)
    return struct.pack("!I", 0x80000000 | v)


def initial(dcid, scid, pn, frames, size=1250):
    """A v1 Initial alone in a datagram of size bytes (PADDING after frames)."""
    key, iv, hp = client_keys(dcid)
    pn_len = 2
    head_fixed = bytes([0xc0 | (pn_len - 1)]) + struct.pack("!I", 1) + bytes([len(dcid)]) + \
        dcid + bytes([len(scid)]) + scid + varint(0)
    payload_len = size - len(head_fixed) - 2 - pn_len - 16
    payload = frames + bytes(payload_len - len(frames))
    header = head_fixed + struct.pack("!H", 0x4000 | (pn_len + len(payload) + 16)) + \
        struct.pack("!H", pn)
    nonce = iv[:-8] + (int.from_bytes(iv[-8:], "big") ^ pn).to_bytes(8, "big")
    ct = AESGCM(key).encrypt(nonce, payload, header)
    sample = ct[4 - pn_len:4 - pn_len + 16]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    pn_off = len(header) - pn_len
    h = bytearray(header)
    h[0] ^= mask[0] & 0x0f
    for i in range(pn_len):
        h[pn_off + i] ^= mask[1 + i]
    return bytes(h) + ct


def crypto_frame(off, data):
    return b"\x06" + varint(off) + varint(len(data)) + data


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def client_hello(sni, scid):
    name = sni.encode()
    shares = struct.pack("!HH", 0x11ec, 1216) + os.urandom(1216) + \
        struct.pack("!HH", 0x001d, 32) + os.urandom(32)
    exts = b"".join([
        ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name),
        ext(10, struct.pack("!H", 4) + struct.pack("!HH", 0x11ec, 0x001d)),
        ext(13, struct.pack("!H", 6) + struct.pack("!HHH", 0x0403, 0x0804, 0x0401)),
        ext(16, struct.pack("!HB", 3, 2) + b"h3"),
        ext(43, b"\x02\x03\x04"),
        ext(45, b"\x01\x01"),
        ext(51, struct.pack("!H", len(shares)) + shares),
        ext(0x39, b"\x0f" + varint(len(scid)) + scid + b"\x04\x04\x80\x10\x00\x00"),
    ])
    body = b"\x03\x03" + os.urandom(32) + b"\x00" + struct.pack("!H", 6) + \
        struct.pack("!HHH", 0x1301, 0x1302, 0x1303) + b"\x01\x00" + \
        struct.pack("!H", len(exts)) + exts
    return b"\x01" + len(body).to_bytes(3, "big") + body


def main():
    server, sni = sys.argv[1], sys.argv[2]
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    a, b = socket.socket(fam, socket.SOCK_DGRAM), socket.socket(fam, socket.SOCK_DGRAM)
    a.bind(("", 0))
    b.bind(("", 0))
    dcid, scid = os.urandom(8), os.urandom(8)
    hello = client_hello(sni, scid)
    cut = 1000
    assert len(hello) > cut + 100, len(hello)
    a.sendto(initial(dcid, scid, 0, crypto_frame(0, hello[:cut])), (server, 443))
    for _ in range(DECOYS):
        a.sendto(initial(os.urandom(8), scid, 0, crypto_frame(0, hello[:100])), (server, 443))
    b.sendto(initial(dcid, scid, 1, crypto_frame(cut, hello[cut:])), (server, 443))
    print(a.getsockname()[1], b.getsockname()[1])


if __name__ == "__main__":
    main()
