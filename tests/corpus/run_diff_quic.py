#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Differential test of the JA4 / JA3 fingerprints of QUIC (HTTP/3) hellos.

The QUIC twin of run_diff.py, whose hello generator and reference
implementation of ../shared/docs/ja4-ja3-spec.md it imports (the JA4
protocol character is 'q' for a hello in QUIC CRYPTO frames, spec §2.1,
docs/record.md "QUIC"). Each random, well-formed ClientHello (seeded RNG)
is sent as the CRYPTO stream of QUIC client Initial packets built and
protected here with the `cryptography` package (RFC 9001 §5: Initial
secrets from a random 8-20 byte DCID and the version's salt, AES-128-GCM
payload protection, AES-ECB header protection; QUIC v1, v2 (RFC 9369:
salt, "quicv2 " labels, Initial type bits 01) and draft-29), written to a
classic pcap (IPv4 and IPv6, UDP to port 443), read with `ja4sentinel
--read` (raw JA4 forms on), and every fingerprint field of each record
is compared with the reference.

What varies per flow (its own RNG, seeded from (seed, index), so a flow
can be rebuilt alone with `--index I`; `--hex` prints its hello, packets
and datagrams): version; DCID (8-20 bytes), SCID (0-20) and token; the
CRYPTO stream cut into 1-4 frames across 1-3 Initials (more packets, or
jumbo datagrams, for hellos that do not fit three 1500-byte ones), a cut
sometimes inside the handshake header; frames out of order within a packet
and across packets and datagrams; retransmitted CRYPTO frames (same bytes)
that duplicate or overlap others, in the same packet or in extra Initials;
an empty CRYPTO frame; PADDING runs before, between and after frames, PING
and ACK frames; non-minimal varints (CRYPTO offset and length, token
length, Length); packet number length 1-4; Initials coalesced in one
datagram (same DCID), sometimes followed by a 0-RTT packet or by zero
bytes. Every datagram's UDP payload is 1200 bytes or more (RFC 9000
§14.1; exactly 1200 now and then), at most 1472 (IPv4) / 1452 (IPv6)
unless the hello needs a jumbo one. Now and then: a datagram sent twice;
a copy of one with a broken tag; the later Initials sent to the server's
connection ID (RFC 9000 §7.2) under the first keys; a Retry (the client
starts over with a new DCID, the Retry's token and the same hello: one
record); NAT rebinding (a new client port; the record has the first
authentic Initial's); the DCID of the flow before, from another address;
no UDP checksum (IPv4); an IPv6 destination options header. Flows are
interleaved on the wire, up to four at a time.

A separate class of invalid flows must give no record: the datagram that
holds CRYPTO offset 0 smaller than 1200 bytes (1199 for a one-datagram
flow), a wrong AEAD tag, a changed ciphertext byte, keys of another DCID,
keys of another version's salt, the Initial coalesced behind one of
another DCID (RFC 9000 §12.2), an unknown version, no header protection,
the fixed bit cleared (no token; RFC 9000 §17.2 "MUST be discarded"),
reserved bits set (RFC 9000 §17.2: a connection error). Each invalid flow
has a control twin, the same flow unspoilt, which must give its record.
A third class, decoy flows: the hello's first 1-4 bytes, then an Initial
a server drops (its packet number reused, RFC 9000 §12.3; the fixed bit
cleared; a wrong tag; coalesced behind another DCID) holding the rest of
a hello with another legacy_version, then the real rest: the record must
be the real hello.

Flow I is the client 198.18.0.0 + I + 1 (fd00:d1ff:1:: + I when I % 4 == 3),
source port 20000 + I % 40000 (65000 + I % 500 after a NAT rebinding);
invalid flow J 198.19.128.0 + J + 1 (fd00:d1ff:2:: + J), port 60000 +
J % 2000; its control 198.19.192.0 + J + 1 (fd00:d1ff:3:: + J), port
62000 + J % 2000; decoy flow K 198.19.64.0 + K + 1 (fd00:d1ff:4:: + K),
port 64000 + K % 1000; all to port 443 of 198.19.255.254 / fd00:d1ff::443.
The seed is fixed (1) unless `--seed` names one (`--seed 0`: a random
one, printed); `--keep DIR` keeps the pcap; `--wrap CMD` runs the binary
under CMD (valgrind).

Prints one line per mismatch and ends with `N passed, N failed, N skipped`
(exit 1 if anything failed; everything is skipped when the binary is
missing, and the test counts one skip when `cryptography` cannot be
imported).
"""
import argparse
import hashlib
import hmac
import ipaddress
import os
import random
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_diff  # noqa: E402  (hello generator, reference implementation, checksum)

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    CRYPTO_ERROR = None
except Exception as e:  # ImportError, or a broken backend
    CRYPTO_ERROR = e

DEFAULT_BINARY = run_diff.DEFAULT_BINARY

# ---------------------------------------------------------------------------
# QUIC Initial protection (RFC 9001 §5, RFC 9369 §3)
# ---------------------------------------------------------------------------

V1, V2, D29 = 0x00000001, 0x6B3343CF, 0xFF00001D
VERSIONS = {
    # salt, label prefix, long header type bits of Initial and 0-RTT, record value
    V1: (bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"), b"quic ", 0, 1, "1"),
    V2: (bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"), b"quicv2 ", 1, 2, "2"),
    D29: (bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899"), b"quic ", 0, 1, "draft-29"),
}


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, length):
    """TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1), empty context."""
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


class Keys:
    def __init__(self, version, dcid):
        salt, pfx = VERSIONS[version][0], VERSIONS[version][1]
        client = hkdf_expand_label(hkdf_extract(salt, dcid), b"client in", 32)
        self.secret = client
        self.key = hkdf_expand_label(client, pfx + b"key", 16)
        self.iv = hkdf_expand_label(client, pfx + b"iv", 12)
        self.hp = hkdf_expand_label(client, pfx + b"hp", 16)
        self.aead = AESGCM(self.key)
        self.ecb = Cipher(algorithms.AES(self.hp), modes.ECB())

    def mask(self, sample):
        e = self.ecb.encryptor()
        return e.update(sample) + e.finalize()


def varint(v, n=None):
    """QUIC variable-length integer (RFC 9000 §16) on n bytes (1, 2, 4, 8;
    the shortest when n is None)."""
    if n is None:
        n = 1 if v < 64 else 2 if v < 16384 else 4 if v < (1 << 30) else 8
    if v >= 1 << (8 * n - 2):
        raise ValueError("varint %d does not fit %d bytes" % (v, n))
    tag = {1: 0, 2: 1, 4: 2, 8: 3}[n]
    return (v | (tag << (8 * n - 2))).to_bytes(n, "big")


def protect(keys, header, pn, pn_len, payload, hp=True, tag_flip=False, ct_flip=None):
    """One protected packet. header: the long header up to and including
    the Length field (its first byte carries pn_len - 1 already)."""
    pn_bytes = (pn & ((1 << (8 * pn_len)) - 1)).to_bytes(pn_len, "big")
    aad = header + pn_bytes
    nonce = bytes(a ^ b for a, b in zip(keys.iv, pn.to_bytes(12, "big")))
    ct = bytearray(keys.aead.encrypt(nonce, payload, aad))
    if tag_flip:
        ct[-1] ^= 0x01
    if ct_flip is not None:
        ct[ct_flip % (len(ct) - 16)] ^= 0x40
    sample = bytes(ct[4 - pn_len:20 - pn_len])
    m = keys.mask(sample)
    if not hp:
        if not (m[0] & 0x0F) and not any(m[1:1 + pn_len]):
            ct[-1] ^= 0x01  # the mask changes nothing: spoil it otherwise
        return aad + bytes(ct)
    first = header[0] ^ (m[0] & 0x0F)  # long header: 4 bits
    prot_pn = bytes(a ^ b for a, b in zip(pn_bytes, m[1:1 + pn_len]))
    return bytes([first]) + header[1:] + prot_pn + bytes(ct)


def long_header(version, ptype, dcid, scid, token, pn_len, length, len_size, token_len_size=None):
    b0 = 0xC0 | (ptype << 4) | (pn_len - 1)
    h = bytes([b0]) + struct.pack("!I", version) + bytes([len(dcid)]) + dcid \
        + bytes([len(scid)]) + scid
    if token is not None:  # Initial only
        h += varint(len(token), token_len_size) + token
    return h + varint(length, len_size)


def crypto_self_check():
    """RFC 9001 Appendix A and RFC 9369 Appendix A: keys and header
    protection, so a broken implementation here shows at once."""
    dcid = bytes.fromhex("8394c8f03e515708")
    k1 = Keys(V1, dcid)
    want1 = ("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
             "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
             "9f50449e04a0e810283a1e9933adedd2")
    k2 = Keys(V2, dcid)
    want2 = ("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
             "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
             "45b95e15235d6f45a6b19cbcb0294ba9")
    for k, want, name in ((k1, want1, "v1"), (k2, want2, "v2")):
        got = (k.secret.hex(), k.key.hex(), k.iv.hex(), k.hp.hex())
        if got != want:
            raise SystemExit(f"QUIC self-check failed: {name} keys {got} != {want}")
    if k1.mask(bytes.fromhex("d1b1c98dd7689fb8ec11d242b123dc9b"))[:5].hex() != "437b9aec36":
        raise SystemExit("QUIC self-check failed: v1 header protection mask")
    if k2.mask(bytes.fromhex("ffe67b6abcdb4298b485dd04de806071"))[:5].hex() != "94a0c95e80":
        raise SystemExit("QUIC self-check failed: v2 header protection mask")
    # RFC 9001 A.2 header: c3 ... 449e 00000002 -> c0 ... 449e 7b9aec34
    hdr = bytes.fromhex("c300000001088394c8f03e5157080000449e")
    m = bytes.fromhex("437b9aec36")
    prot = bytes([hdr[0] ^ (m[0] & 0x0F)]) + hdr[1:] \
        + bytes(a ^ b for a, b in zip(bytes.fromhex("00000002"), m[1:]))
    if prot.hex() != "c000000001088394c8f03e5157080000449e7b9aec34":
        raise SystemExit("QUIC self-check failed: v1 protected header")
    if long_header(V1, 0, dcid, b"", b"", 4, 1182, 2).hex() != hdr.hex():
        raise SystemExit("QUIC self-check failed: long header layout")


# ---------------------------------------------------------------------------
# Frames and flows
# ---------------------------------------------------------------------------

MTU_PAYLOAD = {4: 1500 - 20 - 8, 6: 1500 - 40 - 8}
JUMBO_PAYLOAD = {4: 9000 - 20 - 8, 6: 9000 - 40 - 8}
PER_PACKET = 1150  # CRYPTO bytes aimed at per 1500-byte Initial


def rand_varint_len(rng, v):
    """The shortest length, or sometimes a longer one (RFC 9000 §16 allows
    any; only frame types must be shortest, §12.4)."""
    n = len(varint(v))
    if rng.random() < 0.15:
        n = rng.choice([x for x in (1, 2, 4, 8) if x >= n])
    return n


def crypto_frame(rng, off, data):
    return b"\x06" + varint(off, rand_varint_len(rng, off)) \
        + varint(len(data), rand_varint_len(rng, len(data))) + data


def ack_frame(rng):
    """An ACK (or ACK_ECN) of the server's Initials: its first one or two."""
    largest = rng.randint(0, 1)
    first = rng.randint(0, largest)
    ecn = rng.random() < 0.3
    out = (b"\x03" if ecn else b"\x02") + varint(largest) + varint(rng.randint(0, 300)) \
        + varint(0) + varint(first)
    if ecn:
        out += varint(rng.randint(0, 2)) + varint(0) + varint(0)
    return out


class Packet:
    """One client Initial: a list of (kind, bytes) frames."""

    def __init__(self, frames):
        self.frames = frames  # [(kind, bytes)]; kind: crypto/ping/ack/pad
        self.fill = 0         # PADDING bytes added to reach the datagram size
        self.fill_at = None   # frame boundary they go at (None: the end)
        self.pn = 0
        self.pn_len = 1
        self.len_size = 2
        self.dcid = None      # the header's DCID when not the attempt's (server's CID)
        self.bad = None       # invalid flows: how to spoil it

    def payload(self):
        fr = [d for _, d in self.frames]
        at = len(fr) if self.fill_at is None else min(self.fill_at, len(fr))
        fr.insert(at, b"\x00" * self.fill)
        return b"".join(fr)

    def hdr_dcid(self, at):
        return at.dcid if self.dcid is None else self.dcid

    def size(self, at):
        h = 1 + 4 + 1 + len(self.hdr_dcid(at)) + 1 + len(at.scid) \
            + at.token_len_size + len(at.token)
        return h + self.len_size + self.pn_len + 16 + len(self.payload())

    def min_fill(self):
        """PADDING needed for the header protection sample (RFC 9001 §5.4.2:
        from 4 bytes past the packet number's start, 16 bytes)."""
        return max(0, 4 - self.pn_len - len(self.payload()))

    def encode(self, at):
        version = at.version
        payload = self.payload()
        keys = at.keys
        hver = version
        if self.bad == "wrong-keys":
            keys = Keys(version, bytes(b ^ 0x5A for b in at.dcid))
        elif self.bad == "wrong-salt":
            keys = Keys({V1: V2, V2: V1, D29: V1}[version], at.dcid)
        elif self.bad == "unknown-version":
            hver = 0x1A2A3A4A  # reserved for version negotiation (RFC 9000 §15)
        length = self.pn_len + len(payload) + 16
        hdr = long_header(hver, VERSIONS[version][2], self.hdr_dcid(at), at.scid, at.token,
                          self.pn_len, length, self.len_size, at.token_len_size)
        if self.bad == "fixed-bit-0":
            # RFC 9000 §17.2: "Packets containing a zero value for this bit
            # are not valid packets in this version and MUST be discarded"
            # (RFC 9287 lets a client clear it only with a NEW_TOKEN token)
            hdr = bytes([hdr[0] & ~0x40]) + hdr[1:]
        elif self.bad == "reserved-bits":
            # RFC 9000 §17.2: non-zero reserved bits after removing
            # protection: a connection error (PROTOCOL_VIOLATION)
            hdr = bytes([hdr[0] | at.reserved]) + hdr[1:]
        return protect(keys, hdr, self.pn, self.pn_len, payload, hp=self.bad != "no-hp",
                       tag_flip=self.bad == "bad-tag",
                       ct_flip=at.flip if self.bad == "bad-ciphertext" else None)

    def describe(self, at):
        out = []
        for kind, d in self.frames:
            if kind == "crypto":
                r = run_diff.Reader(d[1:])
                off = read_varint(r)
                n = read_varint(r)
                out.append("CRYPTO[%d,%d)" % (off, off + n))
            elif kind == "pad":
                out.append("PAD%d" % len(d))
            else:
                out.append(kind.upper())
        if self.fill:
            out.insert(len(out) if self.fill_at is None else self.fill_at, "FILL%d" % self.fill)
        cid = "" if self.dcid is None else " dcid=" + (self.dcid.hex() or "(empty)")
        bad = "" if self.bad is None else " SPOILT:" + self.bad
        return "pn=%d/%d%s%s: %s" % (self.pn, self.pn_len, cid, bad, " ".join(out))

    def crypto_offsets(self):
        return [read_varint(run_diff.Reader(d[1:])) for k, d in self.frames if k == "crypto"]


def read_varint(r):
    b = r.u8()
    v = b & 0x3F
    for _ in range((1 << (b >> 6)) - 1):
        v = (v << 8) | r.u8()
    return v


# client addresses and ports of each class of flow
CLASSES = {"ok": ("198.18.0.0", "fd00:d1ff:1::", 20000, 40000),
           "bad": ("198.19.128.0", "fd00:d1ff:2::", 60000, 2000),
           "ctl": ("198.19.192.0", "fd00:d1ff:3::", 62000, 2000),
           "decoy": ("198.19.64.0", "fd00:d1ff:4::", 64000, 1000)}


def flow_addr(i, kind="ok"):
    """Client address, port and server address of flow i of a class."""
    v4, v6a, port, nports = CLASSES[kind]
    v6 = (i % 4) == 3
    src = ipaddress.ip_address(v6a) + i if v6 else ipaddress.ip_address(v4) + (i + 1)
    dst = ipaddress.ip_address("fd00:d1ff::443") if v6 else ipaddress.ip_address("198.19.255.254")
    return src, port + i % nports, dst


def rebind_port(i):
    """The port flow i's NAT moves it to."""
    return 65000 + (i % 500)


def cut_stream(rng, n_bytes, nf):
    cuts = sorted(rng.sample(range(1, n_bytes), nf - 1)) if nf > 1 else []
    if cuts and rng.random() < 0.2:
        # one cut inside the handshake message header (type, 3-byte length)
        c = rng.randint(1, min(4, n_bytes - 1))
        if c not in cuts:
            cuts = sorted(cuts[1:] + [c])
    b = [0] + cuts + [n_bytes]
    return list(zip(b, b[1:]))


def assign(rng, pieces, np_, cap):
    """Pieces (start, end) to np_ packets, each packet at least one piece,
    under cap bytes each when a try allows. Returns lists of pieces."""
    best = None
    for _ in range(30):
        order = list(range(len(pieces)))
        if rng.random() < 0.5:
            # contiguous runs of pieces per packet (the common case)
            bounds = sorted(rng.sample(range(1, len(pieces)), np_ - 1)) if np_ > 1 else []
            b = [0] + bounds + [len(pieces)]
            groups = [order[x:y] for x, y in zip(b, b[1:])]
        else:
            rng.shuffle(order)
            groups = [[order[k]] for k in range(np_)]
            for k in order[np_:]:
                groups[rng.randrange(np_)].append(k)
        load = max(sum(pieces[k][1] - pieces[k][0] for k in g) for g in groups)
        if best is None or load < best[0]:
            best = (load, groups)
        if load <= cap:
            break
    return [[pieces[k] for k in sorted(g)] for g in best[1]]


class Attempt:
    """One connection attempt: a DCID, its keys, its Initials and datagrams."""

    def __init__(self, rng, version, dcid, scid, token):
        self.version, self.dcid, self.scid, self.token = version, dcid, scid, token
        self.keys = Keys(version, dcid)
        self.flip = rng.randrange(1 << 16)
        self.token_len_size = rand_varint_len(rng, len(token))
        self.reserved = rng.choice([0x04, 0x08, 0x0C])
        self.packets = []   # send order
        self.dgrams = []    # wire order: dicts, "bytes" once encoded
        self.max_pn = 0


def build_attempt(rng, fl, at, pn_base, bad=None, control=False, server_cid=False):
    msg = fl["msg"]
    L = len(msg)
    v6 = fl["v6"]
    mtu = MTU_PAYLOAD[6 if v6 else 4]
    jumbo = False
    notes = fl["notes"]

    # -- the CRYPTO stream in pieces, pieces to packets
    first = None
    rest = (0, L)
    if bad == "small":
        # offset 0 in a datagram under 1200 bytes: the whole hello in one
        # of 1199 when it fits, else its first bytes alone in a short one
        if L <= 1000 and rng.random() < 0.5:
            k = L
        else:
            k = rng.randint(1, min(L - 1, 300)) if L > 1 else L
        first = [(0, k)]
        rest = (k, L)
    n_rest = rest[1] - rest[0]
    groups = []
    if n_rest > 0:
        need = -(-n_rest // PER_PACKET)
        if need <= 3:
            np_ = rng.randint(need, 3)
            nf = rng.randint(np_, 4)
        elif rng.random() < 0.5:
            np_, nf = 3, rng.randint(3, 4)  # three jumbo datagrams
        else:
            np_ = rng.randint(need, need + 1)
            nf = np_ + rng.randint(0, 2)
        np_ = min(np_, n_rest)
        nf = max(np_, min(nf, n_rest))
        pieces = [(a + rest[0], b + rest[0]) for a, b in cut_stream(rng, n_rest, nf)]
        groups = assign(rng, pieces, np_, PER_PACKET)
        if max(sum(b - a for a, b in g) for g in groups) > PER_PACKET:
            jumbo = True
    if first:
        groups.insert(0, first)
    packets = [Packet([("crypto", crypto_frame(rng, a, msg[a:b])) for a, b in g]) for g in groups]
    if first:
        packets[0].bad = "small"

    # -- retransmitted CRYPTO bytes (identical): duplicates, overlaps
    if not bad and rng.random() < 0.3 and L > 1:
        for _ in range(rng.randint(1, 2)):
            a = rng.randrange(L)
            b = min(L, a + rng.randint(1, 600))
            fr = ("crypto", crypto_frame(rng, a, msg[a:b]))
            host = rng.choice(packets)
            room = jumbo or sum(len(d) for _, d in host.frames) + len(fr[1]) <= PER_PACKET + 60
            if rng.random() < 0.5 and room:
                host.frames.append(fr)
                notes.append("retransmitted CRYPTO in a packet")
            else:
                packets.append(Packet([fr]))
                notes.append("retransmitted CRYPTO in a new Initial")
    if not bad and rng.random() < 0.04:
        # an empty CRYPTO frame (RFC 9000 §19.6 does not forbid one)
        rng.choice(packets).frames.append(("crypto", crypto_frame(rng, rng.randrange(L + 1), b"")))
        notes.append("empty CRYPTO frame")

    # -- frame order, PING, ACK, PADDING runs, header encodings
    for p in packets:
        if len(p.frames) > 1 and rng.random() < 0.35:
            rng.shuffle(p.frames)
            notes.append("frames shuffled in a packet")
        if rng.random() < 0.2:
            p.frames.insert(rng.randint(0, len(p.frames)), ("ping", b"\x01"))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            p.frames.insert(rng.randint(0, len(p.frames)), ("pad", b"\x00" * rng.randint(1, 40)))
        p.pn_len = rng.choice([1, 1, 2, 2, 4, rng.randint(1, 4)])
        p.len_size = rng.choice([2] * 14 + [4, 4, 4, 8, 8])
        p.fill_at = None if rng.random() < 0.7 else rng.randint(0, len(p.frames))
    for k, p in enumerate(packets):  # packet numbers in send order
        p.pn = pn_base + k
    at.packets = packets

    # -- wire order, datagrams (coalescing neighbours that fit)
    wire = list(packets)
    if len(wire) > 1 and rng.random() < 0.3:
        rng.shuffle(wire)
        notes.append("packets shuffled")
    limit = JUMBO_PAYLOAD[6 if v6 else 4] if jumbo else mtu
    dgrams = []
    for p in wire:
        p.fill = p.min_fill()
        if p.bad == "small":
            dgrams.append({"pkts": [p], "small": True})
            continue
        if dgrams and not dgrams[-1].get("small") and rng.random() < 0.35 \
                and sum(q.size(at) for q in dgrams[-1]["pkts"]) + p.size(at) <= limit - 80:
            dgrams[-1]["pkts"].append(p)
            notes.append("coalesced Initials")
        else:
            dgrams.append({"pkts": [p]})
    if not bad and len(dgrams) > 1 and rng.random() < 0.15:
        rng.shuffle(dgrams)  # their packets keep their numbers
        notes.append("datagrams shuffled")

    # -- later Initials to the server's connection ID (RFC 9000 §7.2), under
    # the same keys (RFC 9001 §5.2), once the server's first Initial came
    if server_cid and len(dgrams) > 1:
        k = rng.randint(1, len(dgrams) - 1)
        scid_srv = run_diff.rand_bytes(rng, rng.choice([8, 8, 16, 0, rng.randint(1, 20)]))
        for d in dgrams[k:]:
            for p in d["pkts"]:
                p.dcid = scid_srv
                if rng.random() < 0.7:  # acknowledging the server's Initial
                    p.frames.insert(rng.randint(0, len(p.frames)), ("ack", b"\x02\x00\x00\x00\x00"))
        # sent after the server's Initial: numbered after the others
        n = pn_base
        for d in dgrams:
            for p in d["pkts"]:
                p.pn = n
                n += 1
        notes.append("later Initials to the server's CID (%d bytes)" % len(scid_srv))
    # ACKs of the server's Initials, in datagrams after the first (an ACK of
    # a packet never sent may be a connection error, RFC 9000 §13.1)
    for d in dgrams[1:]:
        for p in d["pkts"]:
            if rng.random() < 0.15 and not any(k == "ack" for k, _ in p.frames):
                p.frames.insert(rng.randint(0, len(p.frames)), ("ack", ack_frame(rng)))
    at.max_pn = max(p.pn for p in packets)

    # -- invalid flows: spoil the packet that holds offset 0
    other = b""
    holder = None
    if bad and bad != "small":
        holder = next(p for p in packets if 0 in p.crypto_offsets())
        if bad == "other-dcid":
            # a valid Initial of another DCID first in the datagram: the
            # receiver SHOULD ignore the packets behind it (RFC 9000 §12.2)
            other = other_dcid_initial(rng, at)
        elif not control:
            holder.bad = bad

    # -- sizes: every datagram to >= 1200 bytes
    for d in dgrams:
        content = sum(q.size(at) for q in d["pkts"])
        lead = other if holder in d["pkts"] and not control else b""
        content += len(lead)
        d["lead"] = lead
        d["trail"] = d["zrtt"] = 0
        if d.get("small"):
            if len(dgrams) == 1:
                target = 1199
            else:
                target = max(content, rng.randint(content, 1199))
            if control:
                target = 1200
            if content > target:
                raise RuntimeError("a small datagram does not fit")
        else:
            x = rng.random()
            lo = max(1200, content)
            if x < 0.1:
                target = lo  # exactly 1200 when it fits
            elif content <= mtu:
                target = rng.randint(lo, max(lo, mtu))
            else:
                target = content + rng.randint(0, 60)
        need = target - content
        if need <= 0:
            continue
        how = rng.random()
        if not d.get("small") and how < 0.08 and need >= 60:
            d["zrtt"] = need  # a 0-RTT packet after the Initials
            notes.append("0-RTT packet")
        elif not d.get("small") and how < 0.16:
            d["trail"] = need  # zero bytes after the packets
            notes.append("trailing zeros")
        else:
            rng.choice(d["pkts"]).fill += need

    # -- bytes on the wire
    for d in dgrams:
        out = d["lead"] + b"".join(p.encode(at) for p in d["pkts"])
        d["first_len"] = len(d["lead"]) + len(d["pkts"][0].encode(at))
        if d["zrtt"]:
            out += zero_rtt(rng, at, d["pkts"][-1].hdr_dcid(at), d["zrtt"])
        out += b"\x00" * d["trail"]
        d["bytes"] = out
    at.dgrams = dgrams
    at.jumbo = jumbo
    return at


def flow_dcid(seed, i):
    """The first DCID of valid flow i, and whether it is flow i - 1's: two
    clients on one DCID are two connections (record.md: the client's
    address is in a connection's key)."""
    r = random.Random("ja4quicdcid/%d/%d" % (seed, i))
    dcid = run_diff.rand_bytes(r, r.randint(8, 20))
    if i > 0 and r.random() < 0.03:
        return flow_dcid(seed, i - 1)[0], True
    return dcid, False


def build_flow(seed, i, bad=None, control=False):
    """Flow i: its hello, Initials and datagrams. bad: the kind of an
    invalid flow; control: that invalid flow unspoilt (a record is due)."""
    rng = random.Random(("ja4quicbad/%d/%d" if bad else "ja4quicdiff/%d/%d") % (seed, i))
    msg = run_diff.gen_hello(rng)
    version = rng.choice([V1, V1, V1, V2, V2, D29])
    v6 = (i % 4) == 3
    fl = {"msg": msg, "version": version, "bad": bad, "control": control, "v6": v6,
          "notes": [], "index": i}
    dcid = run_diff.rand_bytes(rng, rng.randint(8, 20))
    if not bad:
        dcid, shared = flow_dcid(seed, i)
        if shared:
            fl["notes"].append("the DCID of flow %d (another client address)" % (i - 1))
    scid = run_diff.rand_bytes(rng, rng.choice([0, 0, 8, rng.randint(0, 20)]))
    token = b"" if rng.random() < 0.85 else run_diff.rand_bytes(rng, rng.randint(1, 60))
    if bad == "fixed-bit-0":
        token = b""
    x = [rng.random() for _ in range(6)]
    if bad:
        x = [1.0] * 6
    retry, server_cid, rebind = x[0] < 0.05, x[1] < 0.12, x[2] < 0.04
    corrupt, twice, csum0 = x[3] < 0.05, x[4] < 0.05, x[5] < 0.05 and not v6
    if retry or server_cid:
        # after a port change, Initials to the server's CID are tried with
        # the 4-tuple's keys only: a documented limit (docs/reliability.md,
        # "QUIC connections by DCID", what is left); a Retry from another
        # port is another 4-tuple's connection
        rebind = False
    base = rng.choice([0, 0, 0, 1, rng.randint(0, 100)])
    attempts = []
    if retry:
        # the server sent a Retry after the first datagram, or after all:
        # the client starts over with a new DCID and the Retry's token,
        # packet numbers going on (RFC 9000 §17.2.5.2), the same hello
        a1 = build_attempt(rng, fl, Attempt(rng, version, dcid, scid, token), base)
        if rng.random() < 0.5:
            a1.dgrams = a1.dgrams[:1]
            fl["notes"].append("Retry after the first datagram")
        else:
            fl["notes"].append("Retry after the whole hello")
        attempts.append(a1)
        dcid2 = run_diff.rand_bytes(rng, rng.randint(8, 20))
        token2 = run_diff.rand_bytes(rng, rng.randint(16, 80))
        attempts.append(build_attempt(rng, fl, Attempt(rng, version, dcid2, scid, token2),
                                      a1.max_pn + 1, server_cid=server_cid))
    else:
        attempts.append(build_attempt(rng, fl, Attempt(rng, version, dcid, scid, token), base,
                                      bad=bad, control=control, server_cid=server_cid))
    dgrams = [d["bytes"] for a in attempts for d in a.dgrams]
    firsts = [d["first_len"] for a in attempts for d in a.dgrams]
    # whether a datagram holds an Initial that authenticates
    auth = [True] * len(dgrams)
    if corrupt:
        # a copy of a datagram with its first packet's tag broken (a bit
        # error on the path): the receiver drops that packet, goes on
        # with the others (RFC 9000 §12.2). It may come first, but not
        # before the datagram that drew a Retry.
        k = rng.randrange(len(dgrams))
        c = bytearray(dgrams[k])
        c[firsts[k] - 1] ^= 0x80
        n_init = len([d for a in attempts for d in a.dgrams][k]["pkts"])
        at_ = rng.randint(k + 1 if retry else 0, len(dgrams))
        dgrams.insert(at_, bytes(c))
        auth.insert(at_, n_init > 1)
        fl["notes"].append("a corrupted copy of a datagram")
    if twice:
        k = rng.randrange(len(dgrams))
        at_ = rng.randint(k + 1, len(dgrams))
        dgrams.insert(at_, dgrams[k])
        auth.insert(at_, auth[k])
        fl["notes"].append("a datagram sent twice")
    fl["datagrams"] = [(d, False) for d in dgrams]
    if rebind and len(dgrams) > 1:
        k = rng.randint(1, len(dgrams) - 1)
        fl["datagrams"] = [(d, n >= k) for n, d in enumerate(dgrams)]
        fl["notes"].append("NAT rebinding after datagram %d" % k)
    # the record's port: the first Initial's that authenticates (record.md)
    fl["rebound_record"] = fl["datagrams"][auth.index(True)][1]
    fl["csum0"] = csum0
    fl["dstopts"] = v6 and not bad and rng.random() < 0.05
    if fl["dstopts"]:
        fl["notes"].append("IPv6 destination options header")
    if csum0:
        fl["notes"].append("no UDP checksum")
    fl["attempts"] = attempts
    return fl


def build_decoy_flow(seed, j, kind):
    """Decoy flow j: the hello's first 1-4 bytes in one Initial, then a
    decoy Initial that a server drops (kind: how) holding the rest of the
    hello with another legacy_version, then the rest. The record must be
    the real hello."""
    rng = random.Random("ja4quicdecoy/%d/%d" % (seed, j))
    msg = run_diff.gen_hello(rng)
    version = rng.choice([V1, V1, V2, D29])
    v6 = (j % 4) == 3
    fl = {"msg": msg, "version": version, "bad": kind, "control": False, "v6": v6,
          "notes": ["decoy: " + kind], "index": j, "csum0": False, "dstopts": False,
          "rebound_record": False, "decoy": True}
    at = Attempt(rng, version, run_diff.rand_bytes(rng, rng.randint(8, 20)),
                 run_diff.rand_bytes(rng, rng.choice([0, 8])), b"")
    a = rng.randint(1, 4)
    fake = bytearray(msg)
    fake[4:6] = struct.pack("!H", 0x0301 if msg[4:6] != b"\x03\x01" else 0x0303)
    p0 = Packet([("crypto", crypto_frame(rng, 0, msg[:a]))])
    decoy = Packet([("crypto", crypto_frame(rng, a, bytes(fake[a:])))])
    p1 = Packet([("crypto", crypto_frame(rng, a, msg[a:]))])
    base = rng.choice([0, 1, rng.randint(0, 60)])
    p0.pn, p1.pn = base, base + 1
    decoy.pn = base if kind == "pn-reuse" else base + 2
    decoy.bad = kind  # encode() spoils "fixed-bit-0" and "bad-tag"; describe() shows it
    jumbo = len(msg) > 1100
    for p in (p0, decoy, p1):
        p.pn_len = rng.choice([1, 2, 4])
        p.len_size = 2
        p.fill = p.min_fill()
        mtu = (JUMBO_PAYLOAD if jumbo else MTU_PAYLOAD)[6 if v6 else 4]
        p.fill += max(0, rng.randint(1200, max(1200, mtu)) - p.size(at))
    lead = other_dcid_initial(rng, at) if kind == "other-dcid" else b""
    # decoy.size() grew by lead: the datagram stays >= 1200 either way
    at.packets = [p0, decoy, p1]
    at.jumbo = jumbo
    at.dgrams = [{"bytes": p0.encode(at)}, {"bytes": lead + decoy.encode(at)},
                 {"bytes": p1.encode(at)}]
    fl["attempts"] = [at]
    fl["datagrams"] = [(d["bytes"], False) for d in at.dgrams]
    return fl


def other_dcid_initial(rng, at):
    """A valid Initial (PING, PADDING) of another DCID."""
    dcid = run_diff.rand_bytes(rng, len(at.dcid))
    keys = Keys(at.version, dcid)
    payload = b"\x01" + b"\x00" * 40
    length = 1 + len(payload) + 16
    hdr = long_header(at.version, VERSIONS[at.version][2], dcid, at.scid, b"", 1, length, 2)
    return protect(keys, hdr, 0, 1, payload)


def zero_rtt(rng, at, dcid, size):
    """A 0-RTT packet (keys nobody on the path has: random bytes) of size
    bytes with the datagram's DCID, coalesced after its Initials."""
    scid = at.scid
    fixed = 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 2
    length = size - fixed
    b0 = 0xC0 | (VERSIONS[at.version][3] << 4) | rng.randrange(4)
    return bytes([b0]) + struct.pack("!I", at.version) + bytes([len(dcid)]) + dcid \
        + bytes([len(scid)]) + scid + varint(length, 2) + run_diff.rand_bytes(rng, length)


# ---------------------------------------------------------------------------
# pcap writer (UDP)
# ---------------------------------------------------------------------------


class UdpPcap:
    def __init__(self, f):
        self.f = f
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.ipid = 1

    def datagram(self, ts, src, dst, sport, dport, payload, csum0=False, dstopts=False):
        v6 = src.version == 6
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        if v6:
            pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(udp), 17)
        else:
            pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, len(udp))
        c = 0 if csum0 else (run_diff.csum(pseudo + udp) or 0xFFFF)  # RFC 768
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
        if v6 and dstopts:  # next header UDP, 8 bytes: PadN of 4
            ext = b"\x11\x00\x01\x04\x00\x00\x00\x00"
            ip = struct.pack("!IHBB", 0x60000000, len(ext) + len(udp), 60, 64) + src.packed \
                + dst.packed + ext
            eth_type = 0x86DD
        elif v6:
            ip = struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + src.packed + dst.packed
            eth_type = 0x86DD
        else:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), self.ipid & 0xFFFF,
                              0x4000, 64, 17, 0, src.packed, dst.packed)
            self.ipid += 1
            ip = hdr[:10] + struct.pack("!H", run_diff.csum(hdr)) + hdr[12:]
            eth_type = 0x0800
        frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" \
            + struct.pack("!H", eth_type) + ip + udp
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

FIELDS = ["ja4", "ja4_hash", "ja4_r", "ja4_o", "ja4_ro", "ja3", "ja3_hash", "tls_sni",
          "tls_alpn", "tls_version", "quic_version"]
DECOY_KINDS = ["pn-reuse", "fixed-bit-0", "bad-tag", "other-dcid"]
BAD_KINDS = ["small", "bad-tag", "bad-ciphertext", "wrong-keys", "wrong-salt", "other-dcid",
             "unknown-version", "no-hp", "fixed-bit-0", "reserved-bits"]
CONFIG = "fingerprints:\n  raw: true\noutputs:\n  - type: stdout\n    enabled: true\n"


def expected(fl):
    """The reference's values for a TCP hello, with JA4's protocol 'q'."""
    want = dict(run_diff.reference(fl["msg"]))
    for k in ("ja4", "ja4_r", "ja4_o", "ja4_ro"):
        assert want[k][0] == "t"
        want[k] = "q" + want[k][1:]
    want["quic_version"] = VERSIONS[fl["version"]][4]
    return want


def show(tag, fl):
    print(f"{tag}: version={VERSIONS[fl['version']][4]} hello={len(fl['msg'])} bytes"
          + (f" DECOY:{fl['bad']}" if fl.get("decoy") else
             f" INVALID:{fl['bad']}" if fl["bad"] and not fl["control"] else "")
          + (f" control of {fl['bad']}" if fl["control"] else ""))
    for n, at in enumerate(fl["attempts"]):
        print(f"  attempt {n + 1}: dcid={at.dcid.hex()} scid={at.scid.hex() or '-'}"
              f" token={len(at.token)} jumbo={at.jumbo}")
        for p in at.packets:
            print("    Initial " + p.describe(at))
        print("    datagrams (UDP payload bytes): "
              + " ".join(str(len(d["bytes"])) for d in at.dgrams))
    print("  on the wire: " + " ".join(str(len(d)) + ("@rebound" if r else "")
                                      for d, r in fl["datagrams"]))
    if fl["notes"]:
        print("  notes: " + ", ".join(sorted(set(fl["notes"]))))
    print("  hello " + fl["msg"].hex())
    if "want" in fl:
        for k in FIELDS:
            print(f"  {k} = {fl['want'][k]!r}")


def interleave(rng, queues):
    """The datagrams of every flow in one sequence: each flow's in its
    order, up to four flows under way at once."""
    pending = list(queues)
    live, out = [], []
    while pending or live:
        while pending and len(live) < rng.choice([1, 2, 4]):
            live.append(list(pending.pop(0)))
        q = rng.choice(live)
        out.append(q.pop(0))
        if not q:
            live.remove(q)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=DEFAULT_BINARY)
    ap.add_argument("--count", type=int, default=500, help="hellos (default 500)")
    ap.add_argument("--seed", type=int, default=1,
                    help="RNG seed (default 1; 0: a random one, printed)")
    ap.add_argument("--wrap", default="", help="a command to run the binary under (valgrind)")
    ap.add_argument("--keep", metavar="DIR", help="keep the pcap (and config) in DIR")
    ap.add_argument("--index", type=int, action="append",
                    help="only these flow indexes (repeatable; no invalid flows unless"
                         " --bad-index names some)")
    ap.add_argument("--bad-index", type=int, action="append",
                    help="only these invalid flow indexes (repeatable), with their controls")
    ap.add_argument("--bad-count", type=int, default=None,
                    help="invalid flows (default: count / 25, at least one of each kind)")
    ap.add_argument("--decoy-index", type=int, action="append",
                    help="only these decoy flow indexes (repeatable)")
    ap.add_argument("--decoy-count", type=int, default=None,
                    help="decoy flows (default: count / 50, at least one of each kind)")
    ap.add_argument("--hex", action="store_true",
                    help="print each selected flow's hello, packets and expected values")
    args = ap.parse_args()

    run_diff.self_check()
    seed = args.seed if args.seed else int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}, count {args.count}", flush=True)
    if args.index or args.bad_index or args.decoy_index:
        indexes = args.index or []
        bad_indexes = args.bad_index or []
        decoy_indexes = args.decoy_index or []
    else:
        indexes = list(range(args.count))
        nb = args.bad_count if args.bad_count is not None \
            else max(len(BAD_KINDS), args.count // 25)
        bad_indexes = list(range(nb))
        nd = args.decoy_count if args.decoy_count is not None \
            else max(len(DECOY_KINDS), args.count // 50)
        decoy_indexes = list(range(nd))
    total = len(indexes) + 2 * len(bad_indexes) + len(decoy_indexes)

    if CRYPTO_ERROR is not None:
        # one test that cannot run: one skip (the el8 chroot has no
        # python3-cryptography), not one per flow it would have made
        print(f"SKIP: the cryptography package cannot be imported ({CRYPTO_ERROR})")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    crypto_self_check()

    # (kind, index) -> flow; kind: "ok" a valid flow, "bad" an invalid one,
    # "ctl" the invalid one unspoilt, which must give its record
    flows = {}
    for i in indexes:
        fl = build_flow(seed, i)
        fl["want"] = expected(fl)
        flows[("ok", i)] = fl
    for j in bad_indexes:
        kind = BAD_KINDS[j % len(BAD_KINDS)]
        flows[("bad", j)] = build_flow(seed, j, bad=kind)
        ctl = build_flow(seed, j, bad=kind, control=True)
        ctl["want"] = expected(ctl)
        flows[("ctl", j)] = ctl
    for j in decoy_indexes:
        fl = build_decoy_flow(seed, j, DECOY_KINDS[j % len(DECOY_KINDS)])
        fl["want"] = expected(fl)
        flows[("decoy", j)] = fl
    if args.hex:
        for (kind, i), fl in flows.items():
            show({"ok": f"flow {i}", "bad": f"invalid flow {i}", "ctl": f"control flow {i}",
                  "decoy": f"decoy flow {i}"}[kind], fl)

    def addr(kind, i):
        return flow_addr(i, kind)

    if not os.path.isfile(args.binary):
        print(f"SKIP: no binary at {args.binary}")
        print("0 passed, 0 failed, 1 skipped")
        return 0

    tmp = tempfile.mkdtemp(prefix="j4s-diffquic-")
    try:
        outdir = args.keep or tmp
        os.makedirs(outdir, exist_ok=True)
        pcap_path = os.path.join(outdir, f"diff-quic-{seed}.pcap")
        cfg_path = os.path.join(outdir, "raw.yml")
        with open(cfg_path, "w") as f:
            f.write(CONFIG)
        queues = []
        for (kind, i), fl in flows.items():
            src, sport, dst = addr(kind, i)
            queues.append([(src, rebind_port(i) if rebound else sport, dst, d, fl["csum0"],
                            fl["dstopts"]) for d, rebound in fl["datagrams"]])
        order = interleave(random.Random("ja4quicorder/%d" % seed), queues)
        with open(pcap_path, "wb") as f:
            pc = UdpPcap(f)
            t = 1700000000.0
            for src, sport, dst, d, csum0, dstopts in order:
                pc.datagram(t, src, dst, sport, 443, d, csum0, dstopts)
                t += 0.0003
        if args.keep:
            print(f"pcap kept: {pcap_path}")
        p, by_key, bad_lines = run_diff.read_records(args.binary, args.wrap, cfg_path, pcap_path,
                                                     timeout=900)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if p.returncode != 0:
        print(f"FAIL: {args.binary} exited {p.returncode}")
        for line in p.stderr.strip().splitlines()[-10:]:
            print("    " + line)
        print(f"0 passed, {total} failed, 0 skipped")
        return 1


    passed = failed = 0
    classes = {}
    invalid = [0, 0]  # no record, records

    def count(cls):
        classes[cls] = classes.get(cls, 0) + 1

    for (kind, i), fl in flows.items():
        src, sport, _ = addr(kind, i)
        if fl.get("rebound_record"):
            sport = rebind_port(i)
        recs = by_key.pop((src, sport), [])
        if kind == "bad":
            tag = f"seed={seed} bad-idx={i} ({fl['bad']})"
            if recs:
                print(f"MISMATCH {tag}: {len(recs)} record(s), want none:"
                      f" ja4={recs[0].get('ja4')!r}")
                count("invalid " + fl["bad"])
                invalid[1] += 1
                failed += 1
            else:
                invalid[0] += 1
                passed += 1
            continue
        tag = {"ok": f"seed={seed} idx={i}",
               "ctl": f"seed={seed} bad-idx={i} (control of {fl['bad']})",
               "decoy": f"seed={seed} decoy-idx={i} ({fl['bad']})"}[kind]
        if len(recs) != 1:
            print(f"MISMATCH {tag}: {len(recs)} records, want 1"
                  + (" (" + ", ".join(sorted(set(fl["notes"]))) + ")" if fl["notes"] else ""))
            count("record count" if kind != "decoy" else "decoy " + fl["bad"])
            failed += 1
            continue
        rec = recs[0]
        errs = []
        for k in FIELDS:
            want = fl["want"][k]
            got = rec.get(k)
            if got != want:
                errs.append(k)
                print(f"MISMATCH {tag} {k}: daemon={got!r} expected={want!r}")
        # the QUIC record's shape (docs/record.md, QUIC)
        shape = []
        if rec.get("dst_port") != 443:
            shape.append("dst_port %r" % rec.get("dst_port"))
        if rec.get("handshake_validated") is not False:
            shape.append("handshake_validated %r" % rec.get("handshake_validated"))
        if "hello_conflict" in rec:
            shape.append("hello_conflict present")
        extra = [k for k in rec
                 if k.startswith("tcp_meta_") or k in ("syn_to_clienthello_ms", "ja4t")]
        if extra:
            shape.append("TCP fields " + ",".join(extra))
        if shape:
            errs.append("record shape")
            print(f"MISMATCH {tag} record shape: " + "; ".join(shape))
        if errs:
            failed += 1
            for k in (errs if kind != "decoy" else ["decoy " + fl["bad"]]):
                count(k)
        else:
            passed += 1
    if bad_indexes:
        print(f"invalid flows: {invalid[0]} of {len(bad_indexes)} gave no record"
              f" ({len(bad_indexes)} controls checked with the valid flows)")
    if decoy_indexes:
        print(f"decoy flows: {len(decoy_indexes)} checked with the valid flows")
    return run_diff.finish(by_key, bad_lines, classes, passed, failed, 0)


if __name__ == "__main__":
    sys.exit(main())
