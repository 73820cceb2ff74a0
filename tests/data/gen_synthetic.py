#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Generate the synthetic ClientHello captures in tests/data/synthetic/.

Run from the repository root (or anywhere; paths are relative to this file):

    python3 tests/data/gen_synthetic.py                 # write captures, expected files, README
    python3 tests/data/gen_synthetic.py --tshark        # ... and cross-check them with tshark
    python3 tests/data/gen_synthetic.py --foxio DIR     # ... and check the embedded hellos and
                                                        #     fingerprints against the FoxIO corpus
    python3 tests/data/gen_synthetic.py --compare DIR   # ... and byte-compare with another copy

Python 3 standard library only. The output is the same, byte for byte, on every run.

Two kinds of cases:
- "shared": captures of the shared synthetic corpus (docs' testdata/synthetic) rebuilt with
  that corpus' original packet layout (single IP ID counter from 0x1235, 1 ms steps, no TCP
  options after the handshake); their expected files are that corpus' files, verbatim.
- "new": cases added here. Client packets look like Linux's: SYN with MSS, SACK-permitted,
  Timestamps, NOP, WScale 7; IP ID 4242 on the SYN, TTL 64, DF; later segments carry
  NOP,NOP,Timestamps and window 502. The hello's first byte leaves 12 ms after the SYN, and
  the expected entries carry the record's timing and IP/TCP metadata fields too.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "synthetic")

# ---------------------------------------------------------------------------------------------
# ClientHello bytes (each a whole TLS record: 5-byte header + handshake message)
# ---------------------------------------------------------------------------------------------

# Firefox TLS 1.3 hello: TCP payload of the only packet of foxio/tls12.pcap. Its last 122 bytes
# are the body of the padding extension (all zero).
FIREFOX_HELLO = bytes.fromhex(
    "1603010200010001fc0303ecb2691addb2bf6c599c7aaae23de5f42561cc04eb"
    "41029acc6fc050a16ac1d22046f8617b580ac9358e2aa44e306d52466bcc989c"
    "87c8ca64309f5faf50ba7b4d0022130113031302c02bc02fcca9cca8c02cc030"
    "c00ac009c013c014009c009d002f00350100019100000021001f00001c636f6e"
    "74696c652e73657276696365732e6d6f7a696c6c612e636f6d00170000ff0100"
    "0100000a000e000c001d00170018001901000101000b00020100002300000010"
    "000e000c02683208687474702f312e310005000501000000000022000a000804"
    "030503060302030033006b0069001d00208909858fbeb6ed2f1248ba5b9e2978"
    "bead0e840110192c61daed0096798b184400170041044d183d91f5eed35791fa"
    "982464e3b0214aaa5f5d1b78616d9b9fbebc22d11f535b2f94c686143136aa79"
    "5e6e5a875d6c08064ad5b76d44caad766e2483012748002b0005040304030300"
    "0d0018001604030503060308040805080604010501060102030201002d000201"
    "01001c000240010015007a") + bytes(122)

# Chrome (Edge) TLS 1.3 hello: TCP payload of frame 4 of foxio/browsers-x509.pcapng. Its last
# 197 bytes are the body of the padding extension (all zero).
CHROME_HELLO = bytes.fromhex(
    "1603010200010001fc0303528b4e00213672e534980dfed836dd5b375ab164dc"
    "c65ba6a3c87e7e2a1f9d61201bf29c9dffaa31ed2df524d3a113edb4e6fd3b7f"
    "b3d6d57d5d9aafb213e83c420020aaaa130113021303c02bc02fc02cc030cca9"
    "cca8c013c014009c009d002f0035010001936a6a0000000d0012001004030804"
    "040105030805050108060601000000170015000012656467652e6d6963726f73"
    "6f66742e636f6d000a000a00084a4a001d00170018000500050100000000000b"
    "00020100002b0007069a9a03040303001b0003020002ff010001000033002b00"
    "294a4a000100001d0020c4ce4268d58f0c703855163f4754b883742487a5ce87"
    "a6016a30208c18e07f69446900050003026832002d0002010100230000001700"
    "00001200000010000e000c02683208687474702f312e310a0a000100001500c5") + bytes(197)


def tls_record(content_type, fragment, version=0x0301):
    return struct.pack("!BHH", content_type, version, len(fragment)) + fragment


def handshake_message(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def ext(ext_type, body):
    return struct.pack("!HH", ext_type, len(body)) + body


def u16_list(values, len_bytes=2):
    body = b"".join(struct.pack("!H", v) for v in values)
    return len(body).to_bytes(len_bytes, "big") + body


def content_hello(versions):
    """The small hello the shared "content" cases are built from (sigalgs-grease & co.),
    with the given supported_versions list. Returns the TLS record."""
    ciphers = [0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
               0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    host = b"example.com"
    extensions = (
        ext(0x0000, struct.pack("!HBH", len(host) + 3, 0, len(host)) + host)
        + ext(0x000a, u16_list([0x001d, 0x0017, 0x0018]))
        + ext(0x000b, b"\x01\x00")
        + ext(0x000d, u16_list(sigalgs))
        + ext(0x0010, b"\x00\x03\x02h2")
        + ext(0x002b, u16_list(versions, 1)))
    body = (b"\x03\x03" + b"\x22" * 32 + b"\x20" + b"\x11" * 32 + u16_list(ciphers)
            + b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions)
    return tls_record(0x16, handshake_message(1, body))


VERSIONS_ONLY_GREASE_HELLO = content_hello([0x2a2a])

# A TLS 1.3 ServerHello record (server side of tcp-pure-acks-and-server-data).
_SH_EXTENSIONS = (ext(0x002b, b"\x03\x04")
                  + ext(0x0033, struct.pack("!HH", 0x001d, 32) + b"\x44" * 32))
SERVER_HELLO = tls_record(0x16, handshake_message(
    2, b"\x03\x03" + b"\x33" * 32 + b"\x20" + b"\x11" * 32 + b"\x13\x01\x00"
    + struct.pack("!H", len(_SH_EXTENSIONS)) + _SH_EXTENSIONS), version=0x0303)


# ---------------------------------------------------------------------------------------------
# Fingerprints: reference values, and a small JA4/JA3 implementation to check them
# ---------------------------------------------------------------------------------------------

# From foxio/tls12.pcap.expected.json (frame 1).
FIREFOX_FP = {
    "sni": "contile.services.mozilla.com",
    "ja4": "t13d1715h2_5b57614c22b0_3d5424432f57",
    "ja4_r": "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,"
             "c02f,c030,cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,"
             "ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
    "ja4_o": "t13d1715h2_5b234860e130_014157ec0da2",
    "ja4_ro": "t13d1715h2_1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,"
              "009c,009d,002f,0035_0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,"
              "002d,001c,0015_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
    "ja3": "579ccef312d18482fc42e2b822ca2430",
    "ja3_full": "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-"
                "156-157-47-53,0-23-65281-10-11-35-16-5-34-51-43-13-45-28-21,"
                "29-23-24-25-256-257,0",
}

# From foxio/browsers-x509.pcapng.expected.json (frame 4).
CHROME_FP = {
    "sni": "edge.microsoft.com",
    "ja4": "t13d1516h2_8daaf6152771_e5627efa2ab1",
    "ja4_r": "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
             "cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,"
             "ff01_0403,0804,0401,0503,0805,0501,0806,0601",
    "ja4_o": "t13d1516h2_acb858a92679_4237572e953b",
    "ja4_ro": "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,"
              "002f,0035_000d,0000,000a,0005,000b,002b,001b,ff01,0033,4469,002d,0023,0017,"
              "0012,0010,0015_0403,0804,0401,0503,0805,0501,0806,0601",
    "ja3": "34fcb8e0ef812f18e760b52314a54fd0",
    "ja3_full": "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-"
                "47-53,13-0-10-5-11-43-27-65281-51-17513-45-35-23-18-16-21,29-23-24,0",
}

# From the shared synthetic/versions-only-grease.expected.json.
VERSIONS_ONLY_GREASE_FP = {
    "sni": "example.com",
    "ja4": "t12d1506h2_8daaf6152771_724796723175",
    "ja4_r": "t12d1506h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
             "cca8,cca9_000a,000b,000d,002b_0403,0804,0401,0503,0805,0501,0806,0601",
    "ja4_o": "t12d1506h2_acb858a92679_5eaecc505167",
    "ja4_ro": "t12d1506h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,"
              "002f,0035_0000,000a,000b,000d,0010,002b_0403,0804,0401,0503,0805,0501,0806,0601",
    "ja3": "aeaed1740099cec3b95eef44d7997bd3",
    "ja3_full": "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-"
                "47-53,0-10-11-13-16-43,29-23-24,0",
}

FP_KEYS = ("sni", "ja4", "ja4_r", "ja4_o", "ja4_ro", "ja3", "ja3_full")
JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def is_grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def be16_list(b):
    return [int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b) - 1, 2)]


def parse_client_hello(msg):
    """msg: one handshake message (type 1). Returns (legacy_version, ciphers, [(type, data)])."""
    assert msg[0] == 1
    body = msg[4:4 + int.from_bytes(msg[1:4], "big")]
    p = 34 + 1 + body[34]                                   # version, random, session id
    n = int.from_bytes(body[p:p + 2], "big")
    ciphers = be16_list(body[p + 2:p + 2 + n])
    p += 2 + n
    p += 1 + body[p]                                        # compression methods
    exts = []
    if p < len(body):
        end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p < end:
            etype, elen = struct.unpack_from("!HH", body, p)
            exts.append((etype, body[p + 4:p + 4 + elen]))
            p += 4 + elen
    return int.from_bytes(body[0:2], "big"), ciphers, exts


def alpn_code(name):
    if not name:
        return "00"
    first, last = chr(name[0]), chr(name[-1])
    if first.isascii() and first.isalnum() and last.isascii() and last.isalnum():
        return first + last
    h = name.hex()
    return h[0] + h[-1]


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"


def fingerprints(record):
    """JA4 family and JA3 (docs/ja4-ja3-spec.md) of a hello given as one TLS record."""
    legacy, ciphers, exts = parse_client_hello(record[5:])
    ciphers = [c for c in ciphers if not is_grease(c)]
    types = [t for t, _ in exts if not is_grease(t)]
    data = {}
    for t, d in exts:
        data.setdefault(t, d)
    version = legacy
    if 0x002b in data:
        offered = [v for v in be16_list(data[0x002b][1:]) if not is_grease(v)]
        version = max(offered) if offered else legacy
    alpn = data[0x0010][3:3 + data[0x0010][2]] if len(data.get(0x0010, b"")) > 2 else b""
    sigs = ",".join("%04x" % v for v in be16_list(data.get(0x000d, b"")[2:]) if not is_grease(v))
    sni = ""
    if len(data.get(0x0000, b"")) > 5:
        sni = data[0x0000][5:5 + int.from_bytes(data[0x0000][3:5], "big")].decode()
    a = "t%s%s%02d%02d%s" % (JA4_VERSIONS.get(version, "00"), "d" if 0 in types else "i",
                             min(len(ciphers), 99), min(len(types), 99), alpn_code(alpn))
    b_sorted = ",".join("%04x" % c for c in sorted(ciphers))
    b_wire = ",".join("%04x" % c for c in ciphers)
    c_sorted = ",".join("%04x" % t for t in sorted(types) if t not in (0x0000, 0x0010))
    c_wire = ",".join("%04x" % t for t in types)
    if sigs:
        c_sorted += "_" + sigs
        c_wire += "_" + sigs
    groups = [v for v in be16_list(data.get(0x000a, b"")[2:]) if not is_grease(v)]
    points = data.get(0x000b, b"\x00")[1:]
    ja3_full = "%d,%s,%s,%s,%s" % (legacy, "-".join(map(str, ciphers)), "-".join(map(str, types)),
                                   "-".join(map(str, groups)), "-".join(map(str, points)))
    return {
        "sni": sni,
        "ja4": "%s_%s_%s" % (a, sha12(b_sorted), sha12(c_sorted)),
        "ja4_r": "%s_%s_%s" % (a, b_sorted, c_sorted),
        "ja4_o": "%s_%s_%s" % (a, sha12(b_wire), sha12(c_wire)),
        "ja4_ro": "%s_%s_%s" % (a, b_wire, c_wire),
        "ja3": hashlib.md5(ja3_full.encode()).hexdigest(),
        "ja3_full": ja3_full,
    }


def check_hellos():
    for name, record, fp in (("firefox", FIREFOX_HELLO, FIREFOX_FP),
                             ("chrome", CHROME_HELLO, CHROME_FP),
                             ("versions-only-grease", VERSIONS_ONLY_GREASE_HELLO,
                              VERSIONS_ONLY_GREASE_FP)):
        assert len(record) == 5 + int.from_bytes(record[3:5], "big"), name
        got = fingerprints(record)
        for key in FP_KEYS:
            if got[key] != fp[key]:
                sys.exit("%s hello: computed %s %r != reference %r"
                         % (name, key, got[key], fp[key]))

# ---------------------------------------------------------------------------------------------
# Packet builders: IPv4, IPv6, TCP, link layers
# ---------------------------------------------------------------------------------------------

CLIENT4, SERVER4 = ipaddress.ip_address("192.0.2.10"), ipaddress.ip_address("198.51.100.20")
CLIENT6, SERVER6 = ipaddress.ip_address("2001:db8::10"), ipaddress.ip_address("2001:db8::443")
CLIENT_MAC, SERVER_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")

FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
PROTO_HOPOPTS, PROTO_TCP, PROTO_FRAG, PROTO_DSTOPTS = 0, 6, 44, 60

# TCP options, Linux SYN order: MSS, SACK-permitted, Timestamps, NOP, WScale.
OPT_MSS_1460 = b"\x02\x04\x05\xb4"
OPT_SACK_PERM = b"\x04\x02"
OPT_NOP = b"\x01"
OPT_WSCALE_7 = b"\x03\x03\x07"


def opt_timestamps(tsval, tsecr):
    return struct.pack("!BBII", 8, 10, tsval, tsecr)


def linux_syn_options(tsval, tsecr=0):
    return OPT_MSS_1460 + OPT_SACK_PERM + opt_timestamps(tsval, tsecr) + OPT_NOP + OPT_WSCALE_7


def inet_checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo_header(src, dst, proto, length):
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, proto, length)
    return src.packed + dst.packed + struct.pack("!I3xB", length, proto)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, window, options=b"", payload=b""):
    assert len(options) % 4 == 0
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      (20 + len(options)) // 4 << 4, flags, window, 0, 0) + options
    pseudo = pseudo_header(src, dst, PROTO_TCP, len(hdr) + len(payload))
    csum = inet_checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def ipv4_packet(src, dst, proto, payload, ident, ttl=64, df=True, options=b"", frag_offset=0,
                more_fragments=False):
    assert len(options) % 4 == 0 and frag_offset % 8 == 0
    ihl = 5 + len(options) // 4
    flags = (0x4000 if df else 0) | (0x2000 if more_fragments else 0) | frag_offset // 8
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags, ttl,
                      proto, 0, src.packed, dst.packed) + options
    return hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:] + payload


def ipv6_packet(src, dst, proto, payload, ext_headers=(), hop_limit=64):
    """ext_headers: [(header type, header bytes after its next-header byte)], in order."""
    chain_types = [t for t, _ in ext_headers] + [proto]
    chain = b"".join(bytes([chain_types[i + 1]]) + body for i, (_, body) in enumerate(ext_headers))
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(chain) + len(payload), chain_types[0],
                      hop_limit, src.packed, dst.packed)
    return hdr + chain + payload


def ipv6_padn_header(length):
    """Body of a hop-by-hop or destination options header of `length` bytes: PadN alone for 8
    bytes; a longer one holds an option to skip (experimental type 0x1e, RFC 4727), since Linux
    drops a packet with more than 7 bytes of padding in a row (ip6_parse_tlv())."""
    assert length % 8 == 0 and length >= 8
    return bytes([length // 8 - 1, 1 if length == 8 else 0x1e, length - 4]) + bytes(length - 4)


def ipv6_fragment_header(offset, more, ident):
    assert offset % 8 == 0
    return struct.pack("!BHI", 0, offset | (1 if more else 0), ident)


def ipv4_fragments(packet, sizes):
    """Split an unfragmented IPv4 packet's payload into fragments of the given sizes (the last
    takes the rest). DF is cleared; ID, TTL and options are kept on every fragment."""
    ihl = (packet[0] & 0x0f) * 4
    ident, ttl, proto = struct.unpack_from("!H", packet, 4)[0], packet[8], packet[9]
    src, dst = ipaddress.ip_address(packet[12:16]), ipaddress.ip_address(packet[16:20])
    payload, frags, off = packet[ihl:], [], 0
    for size in list(sizes) + [None]:
        piece = payload[off:] if size is None else payload[off:off + size]
        frags.append(ipv4_packet(src, dst, proto, piece, ident, ttl, df=False,
                                 options=packet[20:ihl], frag_offset=off,
                                 more_fragments=size is not None))
        off += len(piece)
    return frags


def ipv6_fragments(packet, sizes, ident):
    """Fragment a plain IPv6 packet (no extension headers). sizes=[] gives one atomic fragment
    (offset 0, M=0)."""
    proto, hop_limit = packet[6], packet[7]
    src, dst = ipaddress.ip_address(packet[8:24]), ipaddress.ip_address(packet[24:40])
    payload, frags, off = packet[40:], [], 0
    for size in list(sizes) + [None]:
        piece = payload[off:] if size is None else payload[off:off + size]
        frags.append(ipv6_packet(src, dst, proto, piece, hop_limit=hop_limit, ext_headers=[
            (PROTO_FRAG, ipv6_fragment_header(off, size is not None, ident))]))
        off += len(piece)
    return frags


# Link types (pcap LINKTYPE_* values).
LT_NULL, LT_ETHERNET, LT_RAW, LT_LOOP, LT_LINUX_SLL = 0, 1, 101, 108, 113
LT_IPV4, LT_IPV6, LT_LINUX_SLL2 = 228, 229, 276
LINK_NAMES = {LT_NULL: "BSD NULL", LT_ETHERNET: "Ethernet", LT_RAW: "raw IP", LT_LOOP: "LOOP",
              LT_LINUX_SLL: "Linux SLL", LT_IPV4: "raw IPv4", LT_IPV6: "raw IPv6",
              LT_LINUX_SLL2: "Linux SLL2"}
ETH_IPV4, ETH_IPV6, ETH_8021Q, ETH_8021AD = 0x0800, 0x86dd, 0x8100, 0x88a8
SLL_HOST, SLL_OUTGOING = 0, 4                        # capture taken on the server


def ethertype(l3):
    return ETH_IPV6 if l3[0] >> 4 == 6 else ETH_IPV4


def ethernet(l3, from_client, vlans=()):
    """vlans: [(tpid, vid)], outermost first. from_client=None: client->server MACs whatever
    the direction (the shared corpus' frames all carry those)."""
    dst, src = (CLIENT_MAC, SERVER_MAC) if from_client is False else (SERVER_MAC, CLIENT_MAC)
    tags = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in vlans)
    return dst + src + tags + struct.pack("!H", ethertype(l3)) + l3


def link_header(link, l3, from_client):
    v6 = l3[0] >> 4 == 6
    mac = CLIENT_MAC if from_client else SERVER_MAC
    pkttype = SLL_HOST if from_client else SLL_OUTGOING
    if link == LT_NULL:                              # host (little-endian) order, Darwin AF_INET6
        return struct.pack("<I", 30 if v6 else 2)
    if link == LT_LOOP:                              # network order, OpenBSD AF_INET6
        return struct.pack(">I", 24 if v6 else 2)
    if link == LT_LINUX_SLL:
        return struct.pack("!HHH8sH", pkttype, 1, 6, mac, ethertype(l3))
    if link == LT_LINUX_SLL2:
        return struct.pack("!HHIHBB8s", ethertype(l3), 0, 2, 1, pkttype, 6, mac)
    assert link in (LT_RAW, LT_IPV4, LT_IPV6)
    return b""

# ---------------------------------------------------------------------------------------------
# Capture files: classic pcap and pcapng writers
# ---------------------------------------------------------------------------------------------

BASE_NS = 1_700_000_000 * 10**9                     # 2023-11-14T22:13:20Z


def at_us(us):
    return BASE_NS + us * 1000


class Capture:
    """Packets of one capture file, framed for its link type."""

    def __init__(self, link=LT_ETHERNET, vlans=(), snaplen=262144, pcapng_nsec=False,
                 fixed_macs=False, wrap=None):
        self.link, self.vlans, self.snaplen, self.pcapng_nsec = link, vlans, snaplen, pcapng_nsec
        self.fixed_macs = fixed_macs
        self.wrap = wrap                             # wrap(l3, from_client): tunnel headers
        self.records = []                            # (ts_ns, captured bytes, original length)

    def add(self, ts_ns, l3, from_client=True, pad_to=0):
        if self.wrap:
            l3 = self.wrap(l3, from_client)
        if self.link == LT_ETHERNET:
            frame = ethernet(l3, None if self.fixed_macs else from_client, self.vlans)
        else:
            frame = link_header(self.link, l3, from_client) + l3
        frame += bytes(max(0, pad_to - len(frame)))  # Ethernet trailer padding
        self.records.append((ts_ns, frame[:self.snaplen], len(frame)))
        return ts_ns

    @property
    def ext(self):
        return ".pcapng" if self.pcapng_nsec else ".pcap"

    def to_bytes(self):
        return self._pcapng() if self.pcapng_nsec else self._pcap()

    def _pcap(self):
        out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, self.snaplen, self.link)]
        for ts, data, orig_len in self.records:
            assert ts % 1000 == 0, "classic pcap timestamps are in microseconds"
            sec, usec = divmod(ts // 1000, 10**6)
            out.append(struct.pack("<IIII", sec, usec, len(data), orig_len) + data)
        return b"".join(out)

    def _pcapng(self):
        """One section, one interface with if_tsresol=9 (nanoseconds), one EPB per packet."""
        def block(btype, body):
            body += bytes(-len(body) % 4)
            total = struct.pack("<I", len(body) + 12)
            return struct.pack("<I", btype) + total + body + total
        shb = block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
        tsresol = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
        idb = block(0x00000001, struct.pack("<HHI", self.link, 0, self.snaplen) + tsresol)
        epbs = [block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff,
                                              len(data), orig_len) + data)
                for ts, data, orig_len in self.records]
        return shb + idb + b"".join(epbs)

# ---------------------------------------------------------------------------------------------
# TCP connections
# ---------------------------------------------------------------------------------------------


class Flow:
    """One TCP connection client -> server:443, building its IP packets.

    legacy=True reproduces the shared corpus' layout: one IP ID counter for both directions
    starting at 0x1235, window 64240 everywhere, the SYN's options echoed in the SYN-ACK, no
    TCP options afterwards (and, in legacy_capture, the same MACs in both directions).
    Otherwise the client looks like Linux (see module docstring)."""

    CLIENT_ISN, SERVER_ISN = 1000, 5000

    def __init__(self, v6=False, client=None, cport=40000, ip_id=4242, legacy=False,
                 timestamps=True, syn_options=None, ipv4_options_syn=b"", ipv4_options=b"",
                 ipv6_ext=()):
        self.client = client or (CLIENT6 if v6 else CLIENT4)
        self.server = SERVER6 if self.client.version == 6 else SERVER4
        self.cport, self.sport = cport, 443
        self.legacy, self.timestamps = legacy, timestamps and not legacy
        self.ipv4_options_syn = ipv4_options_syn    # client SYN only
        self.ipv4_options = ipv4_options            # other client packets
        self.ipv6_ext = ipv6_ext                    # every client packet
        if syn_options is None:
            syn_options = linux_syn_options(1 if legacy else 0x1000)
        self.syn_options = syn_options
        self.client_next = self.CLIENT_ISN + 1       # next in-order client sequence number
        self.server_next = self.SERVER_ISN + 1
        if legacy:
            self.client_ids = self.server_ids = iter(range(0x1235, 0x10000))
        else:
            self.client_ids = iter(range(ip_id, 0x10000))
            self.server_ids = iter(range(0x3000, 0x10000))

    @property
    def src(self):
        return str(self.client)

    @property
    def dst(self):
        return str(self.server)

    def _ip(self, from_client, segment, is_syn=False):
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        ident = next(self.client_ids if from_client else self.server_ids)
        if src.version == 6:
            return ipv6_packet(src, dst, PROTO_TCP, segment,
                               ext_headers=self.ipv6_ext if from_client else ())
        options = b""
        if from_client:
            options = self.ipv4_options_syn if is_syn else self.ipv4_options
        return ipv4_packet(src, dst, PROTO_TCP, segment, ident, options=options)

    def _client(self, flags, seq, payload=b"", window=None, options=None):
        if options is None:
            options = OPT_NOP * 2 + opt_timestamps(0x1000, 0x2000) if self.timestamps else b""
        if window is None:
            window = 64240 if self.legacy else 502
        ack = 0 if flags == SYN else self.server_next
        segment = tcp_segment(self.client, self.server, self.cport, self.sport, seq, ack, flags,
                              window, options, payload)
        return self._ip(True, segment, is_syn=bool(flags & SYN))

    def _server(self, flags, payload=b"", options=None, window=None):
        if options is None:
            options = OPT_NOP * 2 + opt_timestamps(0x2000, 0x1000) if self.timestamps else b""
        if window is None:
            window = 64240 if self.legacy else 509
        seq = self.server_next - (1 if flags & SYN else 0)
        segment = tcp_segment(self.server, self.client, self.sport, self.cport, seq,
                              self.client_next, flags, window, options, payload)
        self.server_next += len(payload)
        return self._ip(False, segment)

    def syn(self):
        return self._client(SYN, self.CLIENT_ISN, window=64240, options=self.syn_options)

    def syn_ack(self):
        if self.legacy:
            options = self.syn_options
        elif self.timestamps:
            options = linux_syn_options(0x2000, 0x1000)
        else:
            options = OPT_MSS_1460
        return self._server(SYN | ACK, options=options, window=64240 if self.legacy else 65160)

    def ack(self, window=None):
        return self._client(ACK, self.client_next, window=window)

    def data(self, payload, offset=None, flags=PSH | ACK):
        """Client segment carrying `payload` at stream `offset` (default: next in order)."""
        seq = self.client_next if offset is None else self.CLIENT_ISN + 1 + offset
        self.client_next = max(self.client_next, seq + len(payload))
        return self._client(flags, seq, payload)

    def fin(self):
        return self._client(FIN | ACK, self.client_next)

    def server_ack(self):
        return self._server(ACK)

    def server_data(self, payload):
        return self._server(PSH | ACK, payload)


def open_connection(cap, flow, t0_us=0, capture_syn=True):
    """SYN at t0, SYN-ACK 5.8 ms later, ACK at 11.8 ms; the hello follows at t0 + 12 ms.
    Returns (SYN timestamp, SYN packet) or (None, None) if the SYN is not captured."""
    syn = flow.syn()
    syn_ts = cap.add(at_us(t0_us), syn) if capture_syn else None
    cap.add(at_us(t0_us + 5800), flow.syn_ack(), from_client=False)
    cap.add(at_us(t0_us + 11800), flow.ack())
    return (syn_ts, syn) if capture_syn else (None, None)


def split(data, sizes):
    """[(offset, piece)] cutting `data` into pieces of the given sizes, the last takes the rest."""
    out, off = [], 0
    for size in list(sizes) + [len(data)]:
        out.append((off, data[off:off + size]))
        off += size
        if off >= len(data):
            break
    return out

# ---------------------------------------------------------------------------------------------
# Expected records
# ---------------------------------------------------------------------------------------------

TCP_OPTION_NAMES = {0: "EOL", 1: "NOP", 2: "MSS", 3: "WScale", 4: "SACK", 8: "Timestamps"}


def packet_meta(l3):
    """ip_meta_* and tcp_meta_* fields of an IP packet (the SYN, or the first hello segment
    when the SYN was missed), read back from its bytes."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 0x0f) * 4
        total, ident, flags = struct.unpack_from("!HHH", l3, 2)
        meta = {"ip_meta_ttl": l3[8], "ip_meta_total_length": total, "ip_meta_id": ident,
                "ip_meta_df": bool(flags & 0x4000)}
        tcp = l3[ihl:total]
    else:
        nh, off = l3[6], 40
        while nh in (PROTO_HOPOPTS, PROTO_DSTOPTS, PROTO_FRAG):
            nh, off = l3[off], off + (8 if nh == PROTO_FRAG else (l3[off + 1] + 1) * 8)
        meta = {"ip_meta_ttl": l3[7],
                "ip_meta_total_length": 40 + struct.unpack_from("!H", l3, 4)[0],
                "ip_meta_id": 0, "ip_meta_df": False}
        tcp = l3[off:]
    meta["tcp_meta_window_size"] = struct.unpack_from("!H", tcp, 14)[0]
    opts, names, p = tcp[20:(tcp[12] >> 4) * 4], [], 0
    while p < len(opts):
        kind = opts[p]
        names.append(TCP_OPTION_NAMES.get(kind, "Opt%d" % kind))
        if kind == 0:
            break
        if kind == 1:
            p += 1
            continue
        if kind == 2:
            meta["tcp_meta_mss"] = struct.unpack_from("!H", opts, p + 2)[0]
        if kind == 3:
            meta["tcp_meta_window_scale"] = opts[p + 2]
        p += opts[p + 1]
    meta["tcp_meta_options"] = ",".join(names)
    order = ("ip_meta_ttl", "ip_meta_total_length", "ip_meta_id", "ip_meta_df",
             "tcp_meta_window_size", "tcp_meta_mss", "tcp_meta_window_scale", "tcp_meta_options")
    return {k: meta[k] for k in order if k in meta}


def entry_head(flow, fp, stream):
    head = {"stream": stream, "transport": "tcp", "hello_in_stream": 1, "src": flow.src,
            "dst": flow.dst, "src_port": flow.cport, "dst_port": flow.sport}
    head.update((k, fp[k]) for k in FP_KEYS)
    return head


def shared_entry(flow, fp, python_observed, rust_model="same", note=None):
    """Entry in the shared corpus' shape (field order included)."""
    e = entry_head(flow, fp, 0)
    e["rust_model_ja4"] = fp["ja4"] if rust_model == "same" else rust_model
    e["foxio_python_observed_ja4"] = python_observed
    if note:
        e["note"] = note
    return e


def new_entry(flow, fp, hello_ts, syn_ts, meta_packet, stream=0, note=None, validated=True):
    """Entry for a case added here: the shared fields plus timing and SYN metadata.
    hello_ts: timestamp of the packet carrying the hello's first byte; meta_packet: the SYN,
    or the first hello segment when no SYN was captured (then syn_ts is None). validated:
    the capture holds the server's SYN-ACK and the hello's segments acknowledge it (every
    Flow does so; open_connection captures the SYN-ACK even when it leaves out the SYN)."""
    e = entry_head(flow, fp, stream)
    e["timestamp"] = hello_ts
    e["handshake_validated"] = validated
    if syn_ts is not None:
        gap = hello_ts - syn_ts
        assert gap % 10**6 < 500_000, "make truncated and rounded ms agree"
        e["syn_to_clienthello_ms"] = gap // 10**6
    e.update(packet_meta(meta_packet))
    if note:
        e["note"] = note
    return e

# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------

CASES = []
OOO = ("tcp.reassemble_out_of_order:TRUE",)


def case(name, desc, origin="new", tshark_prefs=(), tshark=None, tshark_why=""):
    """Register a case builder returning (Capture, expected entries).
    tshark: None if tshark 4.0 (with tshark_prefs) must report exactly the expected hellos,
    else (number of ClientHellos tshark reports, why it differs)."""
    def register(builder):
        CASES.append({"name": name, "desc": desc, "origin": origin, "build": builder,
                      "tshark_prefs": tshark_prefs, "tshark": tshark, "tshark_why": tshark_why})
        return builder
    return register

# --- shared cases, rebuilt ------------------------------------------------------------------

# Microsecond offsets of the shared corpus' packets: 1 ms steps as its generator rounded them.
LEGACY_US = (0, 999, 2000, 3000, 3999, 5000)
PY_FIREFOX, PY_CHROME = [FIREFOX_FP["ja4"]], [CHROME_FP["ja4"]]
NOTE_OOO = ("tshark reassembles this only with -o tcp.reassemble_out_of_order:TRUE; FoxIO ja4.py "
            "(default tshark preferences) reports nothing")


def legacy_capture(payloads, vlans=(), fin=False):
    """Handshake, then one client segment per (offset, bytes), then optionally FIN."""
    cap, flow = Capture(vlans=vlans, fixed_macs=True), Flow(legacy=True)
    packets = [(flow.syn(), True), (flow.syn_ack(), False), (flow.ack(), True)]
    packets += [(flow.data(piece, off), True) for off, piece in payloads]
    if fin:
        packets.append((flow.fin(), True))
    for i, (l3, from_client) in enumerate(packets):
        cap.add(at_us(LEGACY_US[i]), l3, from_client)
    return cap, flow


@case("tcp-split-3-segments", "Firefox hello cut into 3 in-order TCP segments (100, 300, 117)",
      origin="shared")
def _():
    cap, flow = legacy_capture(split(FIREFOX_HELLO, [100, 300]))
    return cap, [shared_entry(flow, FIREFOX_FP, PY_FIREFOX)]


@case("tcp-split-record-header", "TLS record header itself split: segments of 5, 1 and 511 bytes",
      origin="shared")
def _():
    cap, flow = legacy_capture(split(FIREFOX_HELLO, [5, 1]))
    return cap, [shared_entry(flow, FIREFOX_FP, PY_FIREFOX)]


@case("tcp-out-of-order", "Firefox hello in 3 segments of 200, 200, 117 bytes sent in order 1,3,2",
      origin="shared", tshark_prefs=OOO)
def _():
    s1, s2, s3 = split(FIREFOX_HELLO, [200, 200])
    cap, flow = legacy_capture([s1, s3, s2])
    return cap, [shared_entry(flow, FIREFOX_FP, [], note=NOTE_OOO)]


@case("tcp-retransmit", "first segment (200 bytes) sent twice, then the rest (317 bytes)",
      origin="shared")
def _():
    s1, s2 = split(FIREFOX_HELLO, [200])
    cap, flow = legacy_capture([s1, s1, s2])
    return cap, [shared_entry(flow, FIREFOX_FP, PY_FIREFOX)]


@case("tcp-reversed-2", "second half (317 bytes) arrives before the first (200 bytes)",
      origin="shared", tshark_prefs=OOO)
def _():
    s1, s2 = split(FIREFOX_HELLO, [200])
    cap, flow = legacy_capture([s2, s1])
    return cap, [shared_entry(flow, FIREFOX_FP, [], note=NOTE_OOO)]


def chrome_two_records():
    msg = CHROME_HELLO[5:]
    return tls_record(0x16, msg[:300]), tls_record(0x16, msg[300:])


@case("tls-two-records-one-segment",
      "Chrome hello split over 2 TLS records (300 + 212 bytes) in one TCP segment", origin="shared")
def _():
    r1, r2 = chrome_two_records()
    cap, flow = legacy_capture([(0, r1 + r2)])
    return cap, [shared_entry(flow, CHROME_FP, PY_CHROME)]


@case("tls-two-records-two-segments",
      "Chrome hello split over 2 TLS records, each in its own segment", origin="shared")
def _():
    r1, r2 = chrome_two_records()
    cap, flow = legacy_capture([(0, r1), (len(r1), r2)])
    return cap, [shared_entry(flow, CHROME_FP, PY_CHROME)]


@case("vlan-8021q", "Chrome hello, every frame with one 802.1Q tag (VID 100)", origin="shared")
def _():
    cap, flow = legacy_capture([(0, CHROME_HELLO)], vlans=[(ETH_8021Q, 100)])
    return cap, [shared_entry(flow, CHROME_FP, PY_CHROME)]


@case("vlan-qinq", "Chrome hello, 802.1ad outer tag (VID 200) + 802.1Q inner tag (VID 100)",
      origin="shared")
def _():
    cap, flow = legacy_capture([(0, CHROME_HELLO)], vlans=[(ETH_8021AD, 200), (ETH_8021Q, 100)])
    return cap, [shared_entry(flow, CHROME_FP, PY_CHROME)]


@case("versions-only-grease",
      "supported_versions holds only GREASE 0x2a2a: version falls back to legacy_version (12)",
      origin="shared")
def _():
    cap, flow = legacy_capture([(0, VERSIONS_ONLY_GREASE_HELLO)])
    note = ("spec is silent; falling back is ja4sentinel's choice. FoxIO python and Rust print "
            "no JA4")
    return cap, [shared_entry(flow, VERSIONS_ONLY_GREASE_FP, [], rust_model=None, note=note)]


@case("truncated-then-fin", "record announces 512 bytes, 295 arrive, then FIN: no record",
      origin="shared")
def _():
    cap, _flow = legacy_capture([(0, FIREFOX_HELLO[:300])], fin=True)
    return cap, []

# --- link types -------------------------------------------------------------------------------

HELLO_US = 12000                                  # hello's first byte: SYN + 12 ms


def simple_case(hello, fp, link=LT_ETHERNET, v6=False, vlans=(), pcapng_nsec=False, note=None):
    """Handshake, then the hello in one segment 12 ms after the SYN."""
    cap, flow = Capture(link, vlans, pcapng_nsec=pcapng_nsec), Flow(v6=v6)
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(hello))
    return cap, [new_entry(flow, fp, hello_ts, syn_ts, syn, note=note)]


@case("lt-sll", "Linux cooked capture v1 (DLT 113), IPv4, Firefox hello")
def _():
    return simple_case(FIREFOX_HELLO, FIREFOX_FP, LT_LINUX_SLL)


@case("lt-sll2", "Linux cooked capture v2 (DLT 276), IPv6, Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, LT_LINUX_SLL2, v6=True)


@case("lt-raw-ipv4", "raw IP (LINKTYPE_RAW 101) carrying IPv4, Firefox hello")
def _():
    return simple_case(FIREFOX_HELLO, FIREFOX_FP, LT_RAW)


@case("lt-raw-ipv6", "raw IP (LINKTYPE_RAW 101) carrying IPv6, Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, LT_RAW, v6=True)


@case("lt-ipv4", "LINKTYPE_IPV4 (228), Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, LT_IPV4)


@case("lt-ipv6", "LINKTYPE_IPV6 (229), Firefox hello")
def _():
    return simple_case(FIREFOX_HELLO, FIREFOX_FP, LT_IPV6, v6=True)


@case("lt-null-ipv4", "BSD loopback DLT_NULL (0), family 2 in little-endian, Firefox hello")
def _():
    return simple_case(FIREFOX_HELLO, FIREFOX_FP, LT_NULL)


@case("lt-null-ipv6", "BSD loopback DLT_NULL (0), family 30 (Darwin AF_INET6) little-endian, "
      "Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, LT_NULL, v6=True)


@case("lt-loop-ipv4", "OpenBSD loopback DLT_LOOP (108), family 2 big-endian, Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, LT_LOOP)


@case("lt-loop-ipv6", "OpenBSD loopback DLT_LOOP (108), family 24 (OpenBSD AF_INET6) big-endian, "
      "Firefox hello")
def _():
    return simple_case(FIREFOX_HELLO, FIREFOX_FP, LT_LOOP, v6=True)


@case("lt-pcapng-nsec", "pcapng, Ethernet, if_tsresol=9 (nanosecond timestamps), Chrome hello; "
      "SYN at +123 ns, hello at +12.000456 ms")
def _():
    cap, flow = Capture(pcapng_nsec=True), Flow()
    syn = flow.syn()
    syn_ts = cap.add(BASE_NS + 123, syn)
    cap.add(BASE_NS + 5_800_234, flow.syn_ack(), from_client=False)
    cap.add(BASE_NS + 11_800_345, flow.ack())
    hello_ts = cap.add(BASE_NS + 12_000_456, flow.data(CHROME_HELLO))
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]

# --- IP layer ---------------------------------------------------------------------------------

IPV4_ROUTER_ALERT = b"\x94\x04\x00\x00"
IPV4_NOP_EOL = b"\x01\x01\x01\x00"


@case("pkt-ipv4-options", "IPv4 header with options (IHL 6): Router Alert on the SYN, "
      "NOP,NOP,NOP,EOL on the other client packets; Chrome hello")
def _():
    cap = Capture()
    flow = Flow(ipv4_options_syn=IPV4_ROUTER_ALERT, ipv4_options=IPV4_NOP_EOL)
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(CHROME_HELLO))
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]


@case("pkt-eth-padding", "SYN (MSS option only, 58 bytes) and pure ACK (54 bytes) padded with "
      "zero trailer bytes to the 60-byte Ethernet minimum; padding is not TCP payload. No TCP "
      "timestamps on this flow; Firefox hello")
def _():
    cap, flow = Capture(), Flow(timestamps=False, syn_options=OPT_MSS_1460)
    syn = flow.syn()
    syn_ts = cap.add(at_us(0), syn, pad_to=60)
    cap.add(at_us(5800), flow.syn_ack(), from_client=False)
    cap.add(at_us(11800), flow.ack(), pad_to=60)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(FIREFOX_HELLO))
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn)]


@case("pkt-ipv4-frag-hello", "the hello's IPv4 packet is fragmented (256 + 293 bytes of IP "
      "payload, DF clear): reassembled as the server's stack does, the hello is reported, "
      "dated by its last fragment")
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    for i, frag in enumerate(ipv4_fragments(flow.data(FIREFOX_HELLO), [256])):
        hello_ts = cap.add(at_us(HELLO_US + 100 * i), frag)
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn)]


@case("pkt-ipv4-frag-junk-first", "a fragmented TCP packet of another client "
      "(192.0.2.99:41000, 1000 bytes of 0xee, two fragments) precedes a normal connection: "
      "the hello of that connection is reported (tcp.stream 1: tshark counts the junk as stream 0)")
def _():
    cap, flow = Capture(), Flow()
    junk = Flow(client=ipaddress.ip_address("192.0.2.99"), cport=41000, ip_id=0x7777)
    for i, frag in enumerate(ipv4_fragments(junk.data(b"\xee" * 1000), [512])):
        cap.add(at_us(100 * i), frag)
    syn_ts, syn = open_connection(cap, flow, t0_us=1000)
    hello_ts = cap.add(at_us(1000 + HELLO_US), flow.data(CHROME_HELLO))
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn, stream=1)]


@case("pkt-ipv6-ext-headers", "IPv6 with a hop-by-hop options header (8 bytes, PadN) and a "
      "destination options header (16 bytes, an option to skip) before TCP on every client "
      "packet; Firefox hello")
def _():
    ext_headers = [(PROTO_HOPOPTS, ipv6_padn_header(8)), (PROTO_DSTOPTS, ipv6_padn_header(16))]
    cap, flow = Capture(), Flow(v6=True, ipv6_ext=ext_headers)
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(FIREFOX_HELLO))
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn)]


@case("pkt-ipv6-atomic-fragment", "IPv6 hello packet carrying a fragment header with offset 0 "
      "and M=0 (atomic fragment, RFC 6946): a whole packet, so the hello is reported; Chrome")
def _():
    cap, flow = Capture(), Flow(v6=True)
    syn_ts, syn = open_connection(cap, flow)
    (frag,) = ipv6_fragments(flow.data(CHROME_HELLO), [], ident=0x4243)
    hello_ts = cap.add(at_us(HELLO_US), frag)
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]


@case("pkt-ipv6-frag-hello", "the hello's IPv6 packet is fragmented (256 + 293 bytes): "
      "reassembled as the server's stack does, the hello is reported, dated by its last fragment "
      "(client port 40001)")
def _():
    # Its own client port: tcprewrite (tests/replay) leaves the addresses of IPv6 packets with a
    # fragment header alone, so this hello would keep pkt-ipv6-atomic-fragment's 4-tuple.
    cap, flow = Capture(), Flow(v6=True, cport=40001)
    syn_ts, syn = open_connection(cap, flow)
    for i, frag in enumerate(ipv6_fragments(flow.data(FIREFOX_HELLO), [256], ident=0x4242)):
        hello_ts = cap.add(at_us(HELLO_US + 100 * i), frag)
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn)]


@case("pkt-qinq-ipv6", "802.1ad outer tag (VID 200) + 802.1Q inner tag (VID 100) carrying "
      "IPv6; Chrome hello")
def _():
    return simple_case(CHROME_HELLO, CHROME_FP, v6=True,
                       vlans=[(ETH_8021AD, 200), (ETH_8021Q, 100)])


@case("pkt-truncated-hello", "snaplen 96: the hello packet, the last of the file, is captured "
      "truncated (caplen 96 < len 583): no record")
def _():
    cap, flow = Capture(snaplen=96), Flow()
    open_connection(cap, flow)
    cap.add(at_us(HELLO_US), flow.data(FIREFOX_HELLO))
    return cap, []


@case("pkt-truncated-later", "snaplen 600: only a later packet of another flow "
      "(192.0.2.11:40002, 1514 bytes of TLS application data) is truncated; the hello is reported")
def _():
    cap, flow = Capture(snaplen=600), Flow()
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(CHROME_HELLO))
    other = Flow(client=ipaddress.ip_address("192.0.2.11"), cport=40002, ip_id=0x7777)
    cap.add(at_us(20000), other.data(tls_record(0x17, b"\x55" * 1443, version=0x0303)))
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]

# --- TCP layer --------------------------------------------------------------------------------


@case("tcp-reverse-5", "Firefox hello in 5 segments (104, 104, 104, 104, 101 bytes) sent in "
      "order 5,4,3,2,1, 0.1 ms apart; the first byte arrives last, at SYN + 12.4 ms",
      tshark_prefs=OOO)
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    for i, (off, piece) in enumerate(reversed(split(FIREFOX_HELLO, [104] * 4))):
        hello_ts = cap.add(at_us(HELLO_US + 100 * i), flow.data(piece, off))
    note = "the segment with the hello's first byte is the last one sent (SYN + 12.4 ms)"
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn, note=note)]


@case("tcp-overlap", "Chrome hello in 2 segments: bytes 0-299, then bytes 200-516 (overlapping "
      "the first by 100 identical bytes)", tshark_prefs=OOO,
      tshark_why="tshark 4.0 flags the overlapping segment as out-of-order")
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(CHROME_HELLO[:300], 0))
    cap.add(at_us(HELLO_US + 200), flow.data(CHROME_HELLO[200:], 200))
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]


@case("tcp-two-hellos", "Firefox hello, then a Chrome hello on the same connection right after "
      "(no HelloRetryRequest): one record, the first hello",
      tshark=(2, "tshark reports both hellos; FoxIO-style expected files would list the second "
                 "with hello_in_stream 2"))
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(FIREFOX_HELLO))
    cap.add(at_us(HELLO_US + 200), flow.data(CHROME_HELLO))
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn)]


@case("tcp-two-connections", "two connections from ports 40000 (Firefox, SYN IP ID 4242) and "
      "40001 (Chrome, SYN IP ID 4342), the second starting 1 ms later, packets interleaved: "
      "two records")
def _():
    cap, a, b = Capture(), Flow(cport=40000), Flow(cport=40001, ip_id=4342)
    syn_a, syn_b = a.syn(), b.syn()
    syn_a_ts = cap.add(at_us(0), syn_a)
    syn_b_ts = cap.add(at_us(1000), syn_b)
    cap.add(at_us(5800), a.syn_ack(), from_client=False)
    cap.add(at_us(6800), b.syn_ack(), from_client=False)
    cap.add(at_us(11800), a.ack())
    hello_a_ts = cap.add(at_us(12000), a.data(FIREFOX_HELLO))
    cap.add(at_us(12800), b.ack())
    hello_b_ts = cap.add(at_us(13000), b.data(CHROME_HELLO))
    return cap, [new_entry(a, FIREFOX_FP, hello_a_ts, syn_a_ts, syn_a, stream=0),
                 new_entry(b, CHROME_FP, hello_b_ts, syn_b_ts, syn_b, stream=1)]


@case("tcp-syn-retransmit", "SYN sent 3 times (0 s, +1 s, +3 s, identical bytes), SYN-ACK, "
      "ACK, Firefox hello 12 ms after the last SYN: one record, syn_to_clienthello_ms 3012 "
      "(counted from the first SYN)")
def _():
    cap, flow = Capture(), Flow()
    syn = flow.syn()
    syn_ts = cap.add(at_us(0), syn)
    cap.add(at_us(1_000_000), syn)
    open_connection(cap, flow, t0_us=3_000_000)
    hello_ts = cap.add(at_us(3_000_000 + HELLO_US), flow.data(FIREFOX_HELLO))
    note = ("syn_to_clienthello_ms counts from the first SYN (retransmitted SYNs are ignored "
            "like any retransmit); from the last SYN it would be 12")
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn, note=note)]


@case("tcp-pure-acks-and-server-data", "zero-payload ACK, then a window update (ACK, window "
      "502 -> 1002), then the Chrome hello; the server ACKs and answers with a ServerHello "
      "record: one record")
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    cap.add(at_us(11900), flow.ack(window=1002))
    hello_ts = cap.add(at_us(HELLO_US), flow.data(CHROME_HELLO))
    cap.add(at_us(17900), flow.server_ack(), from_client=False)
    cap.add(at_us(18000), flow.server_data(SERVER_HELLO), from_client=False)
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn)]


@case("tcp-missed-syn", "SYN not captured (SYN-ACK, ACK and hello are): one record without "
      "syn_to_clienthello_ms, IP/TCP metadata taken from the hello segment; Chrome hello")
def _():
    cap, flow = Capture(), Flow()
    open_connection(cap, flow, capture_syn=False)
    hello = flow.data(CHROME_HELLO)
    hello_ts = cap.add(at_us(HELLO_US), hello)
    note = "no SYN: ip_meta_*/tcp_meta_* come from the first hello segment (design.md section 5)"
    return cap, [new_entry(flow, CHROME_FP, hello_ts, None, hello, note=note)]



@case("tcp-no-synack", "one direction captured (as with tcpdump 'tcp dst port 443'): SYN, ACK "
      "and hello, no SYN-ACK: one record, handshake_validated false; Firefox hello")
def _():
    cap, flow = Capture(), Flow()
    syn = flow.syn()
    syn_ts = cap.add(at_us(0), syn)
    cap.add(at_us(11800), flow.ack())
    hello_ts = cap.add(at_us(HELLO_US), flow.data(FIREFOX_HELLO))
    note = "no SYN-ACK: the hello's ACK cannot be checked (design.md section 13)"
    return cap, [new_entry(flow, FIREFOX_FP, hello_ts, syn_ts, syn, note=note, validated=False)]


@case("tcp-spoofed-ack", "SYN-ACK captured, but the hello acknowledges another ISN, as a "
      "sender forging its address must guess: one record, handshake_validated false; Chrome "
      "hello")
def _():
    cap, flow = Capture(), Flow()
    syn_ts, syn = open_connection(cap, flow)
    flow.server_next += 0x1234567                  # the blind sender's guess
    hello_ts = cap.add(at_us(HELLO_US), flow.data(CHROME_HELLO))
    note = "hello ACK is not the SYN-ACK's ISN + 1 (design.md section 13)"
    return cap, [new_entry(flow, CHROME_FP, hello_ts, syn_ts, syn, note=note, validated=False)]

# --- TLS record layer at stream start ---------------------------------------------------------


def stream_start_case(payload, fin=True):
    """Handshake, one client segment with `payload` at SYN + 12 ms, then FIN at + 20 ms."""
    cap, flow = Capture(), Flow()
    open_connection(cap, flow)
    cap.add(at_us(HELLO_US), flow.data(payload))
    if fin:
        cap.add(at_us(20000), flow.fin())
    return cap, []


@case("tls-http-first", "plain HTTP request (\"GET / HTTP/1.1\") as the first payload to port "
      "443: no record")
def _():
    return stream_start_case(b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\n"
                             b"Accept: */*\r\n\r\n")


@case("tls-ccs-first", "a ChangeCipherSpec record (14 03 03 00 01 01) then the Firefox hello "
      "record, in one segment: the stream does not start with a handshake record, no record",
      tshark=(1, "tshark skips the ChangeCipherSpec record and reports the hello"))
def _():
    return stream_start_case(tls_record(0x14, b"\x01", version=0x0303) + FIREFOX_HELLO)


@case("tls-serverhello-type", "handshake record whose message type is 2 (ServerHello) sent by "
      "the client (Firefox hello with the type byte changed): no record")
def _():
    return stream_start_case(FIREFOX_HELLO[:5] + b"\x02" + FIREFOX_HELLO[6:])


@case("tls-record-len-zero", "an empty handshake record (16 03 01 00 00) then the Firefox hello "
      "record: no record",
      tshark=(1, "tshark skips the empty record and reports the hello"))
def _():
    return stream_start_case(tls_record(0x16, b"") + FIREFOX_HELLO)


@case("tls-record-len-oversize", "handshake record announcing 18433 bytes (> 2^14 + 2048) "
      "followed by the complete 512-byte Firefox hello message, then FIN: no record")
def _():
    return stream_start_case(struct.pack("!BHH", 0x16, 0x0301, 16384 + 2048 + 1)
                             + FIREFOX_HELLO[5:])


@case("tls-hs-overrun-alert", "512-byte handshake record whose ClientHello claims 764 bytes, "
      "followed by an alert record (15 03 03 00 02 02 32), then FIN: malformed, no record")
def _():
    msg = FIREFOX_HELLO[5:]
    bad = b"\x01" + (len(msg) - 4 + 256).to_bytes(3, "big") + msg[4:]
    return stream_start_case(tls_record(0x16, bad) + tls_record(0x15, b"\x02\x32", version=0x0303))

# ---------------------------------------------------------------------------------------------
# Output: files, README, checks
# ---------------------------------------------------------------------------------------------

# --- tunnels: each packet of the connection inside an encapsulation ---------------------------

# Underlay: 198.18.0.1 (the client's tunnel end) <-> 198.18.0.2, fd00::1 <-> fd00::2.
UNDER4 = (ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("198.18.0.2"))
UNDER6 = (ipaddress.ip_address("fd00::1"), ipaddress.ip_address("fd00::2"))
PROTO_UDP, PROTO_GRE = 17, 47


def under4(proto, payload, from_client):
    src, dst = UNDER4 if from_client else UNDER4[::-1]
    return ipv4_packet(src, dst, proto, payload, 7, ttl=32)


def under6(proto, payload, from_client):
    src, dst = UNDER6 if from_client else UNDER6[::-1]
    return ipv6_packet(src, dst, proto, payload, hop_limit=32)


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def inner_ether(l3, from_client):
    return ethernet(l3, from_client)


def wrap_vxlan(l3, from_client):
    vx = struct.pack("!BxxxI", 0x08, 42 << 8)                  # I flag, VNI 42
    return under4(PROTO_UDP, udp(51000, 4789, vx + inner_ether(l3, from_client)), from_client)


def wrap_gre_erspan2(l3, from_client):
    gre = struct.pack("!HHI", 0x1000, 0x88be, 1)               # S: sequence 1, ERSPAN
    span = struct.pack("!II", 0x10000000 | 7, 1)               # version 1 (type II), session 7
    return under4(PROTO_GRE, gre + span + inner_ether(l3, from_client), from_client)


def wrap_geneve6(l3, from_client):
    gen = struct.pack("!BBHI", 1, 0, 0x6558, 42 << 8)           # one option word, Ethernet
    opt = struct.pack("!HBB", 0x0102, 3, 0)                    # class, type, length 0
    return under6(PROTO_UDP, udp(51000, 6081, gen + opt + inner_ether(l3, from_client)),
                  from_client)


def wrap_ipip6(l3, from_client):
    return under6(4, l3, from_client)


def wrap_gtpu(l3, from_client):
    hdr = struct.pack("!BBHIHBB", 0x34, 0xff, 8 + len(l3), 1, 0, 0, 0x85)
    ext = bytes((1, 0x10, 0x09, 0))                            # PDU session container, last
    return under4(PROTO_UDP, udp(2152, 2152, hdr + ext + l3), from_client)


def wrap_vxlan_in_gre(l3, from_client):
    inner = wrap_vxlan(l3, from_client)
    gre = struct.pack("!HHI", 0x2000, 0x6558, 99)              # key 99, Ethernet (gretap)
    return under4(PROTO_GRE, gre + inner_ether(inner, from_client), from_client)


def tunnel_case(wrap, tunnel, hello, fp, v6=False):
    """simple_case inside a tunnel: the record is the inner connection's, `tunnel` set."""
    cap, flow = Capture(wrap=wrap), Flow(v6=v6)
    syn_ts, syn = open_connection(cap, flow)
    hello_ts = cap.add(at_us(HELLO_US), flow.data(hello))
    e = new_entry(flow, fp, hello_ts, syn_ts, syn)
    e["tunnel"] = tunnel
    return cap, [e]


@case("tun-vxlan", "every packet in VXLAN (UDP 4789, VNI 42, inner Ethernet) over IPv4 "
      "198.18.0.1 <-> 198.18.0.2: the record is the inner connection, tunnel \"vxlan\"; Chrome")
def _():
    return tunnel_case(wrap_vxlan, "vxlan", CHROME_HELLO, CHROME_FP)


@case("tun-gre-erspan2", "every packet mirrored in ERSPAN type II (GRE with sequence number, "
      "session 7) over IPv4: tunnel \"erspan\"; Firefox")
def _():
    return tunnel_case(wrap_gre_erspan2, "erspan", FIREFOX_HELLO, FIREFOX_FP)


@case("tun-geneve-ipv6", "every packet in Geneve (UDP 6081, one option, inner Ethernet) over "
      "IPv6 fd00::1 <-> fd00::2, IPv6 inside: tunnel \"geneve\"; Chrome")
def _():
    return tunnel_case(wrap_geneve6, "geneve", CHROME_HELLO, CHROME_FP, v6=True)


@case("tun-ipip6", "IPv4 in IPv6 (next header 4, ip6tnl mode ipip6): tunnel \"ipip6\"; Firefox")
def _():
    return tunnel_case(wrap_ipip6, "ipip6", FIREFOX_HELLO, FIREFOX_FP)


@case("tun-gtpu", "every packet a GTP-U G-PDU (UDP 2152, E flag, a PDU session container "
      "extension header) over IPv4: tunnel \"gtpu\"; Chrome")
def _():
    return tunnel_case(wrap_gtpu, "gtpu", CHROME_HELLO, CHROME_FP)


@case("tun-vxlan-in-gre", "VXLAN inside gretap (GRE key 99, inner Ethernet) over IPv4, two "
      "encapsulations: tunnel \"gre,vxlan\"; Firefox")
def _():
    return tunnel_case(wrap_vxlan_in_gre, "gre,vxlan", FIREFOX_HELLO, FIREFOX_FP)


README_HEAD = """\
<!-- Generated by ../gen_synthetic.py; edit the script, not this file. -->
# Synthetic ClientHello captures

Generated by `python3 tests/data/gen_synthetic.py` (Python 3 standard library only,
deterministic). Each case is `NAME.pcap` (one is `.pcapng`) and `NAME.expected.json`, a JSON
array of the records the daemon must emit in `--read` mode; `[]` means no record.

- Flow: client 192.0.2.10:40000 -> server 198.51.100.20:443 (IPv6: 2001:db8::10 ->
  2001:db8::443), SYN / SYN-ACK / ACK first unless the case says otherwise; classic pcap,
  Ethernet, correct IPv4/TCP checksums unless the case says otherwise.
- Hellos: the framing cases reuse byte for byte the Firefox hello of `foxio/tls12.pcap` and
  the Chrome hello of frame 4 of `foxio/browsers-x509.pcapng`; their fingerprints are the
  ones of those captures' expected files (the script recomputes and checks them).
- **shared** cases rebuild the captures of the shared synthetic corpus
  (`testdata/synthetic/`) with its original packet layout (the files come out
  byte-identical to that corpus' captures), and their expected files are that corpus'
  files verbatim (`rust_model_ja4` / `foxio_python_observed_ja4` are
  informational: compare `ja4*`, `ja3*` only).
- **new** cases: client packets as Linux sends them. SYN: TTL 64, IP ID 4242, DF, window
  64240, options `MSS,SACK,Timestamps,NOP,WScale` (MSS 1460, WScale 7); later client
  segments carry NOP,NOP,Timestamps and window 502. Timestamps start at 1700000000 s; the
  packet carrying the hello's first byte leaves 12 ms after the SYN (`syn_to_clienthello_ms`
  12, computed so that truncating and rounding agree). Their expected entries add
  `timestamp` (Unix ns of the packet carrying the hello's first byte),
  `syn_to_clienthello_ms` (omitted without SYN) and the `ip_meta_*` / `tcp_meta_*` fields of
  the SYN (`tcp_meta_mss` / `tcp_meta_window_scale` omitted when the option is absent).
- `tshark` column: what tshark 4.0 reports with `-Y tls.handshake.type==1` (JA3 and SNI
  compared with the expected entries by `gen_synthetic.py --tshark`). "same" = exactly the
  expected hellos; "+ooo" = only with `-o tcp.reassemble_out_of_order:TRUE`.

| case | origin | file | what it tests | records | tshark |
|---|---|---|---|---:|---|
"""


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def build_all():
    built = []
    for c in CASES:
        cap, expected = c["build"]()
        built.append((c, cap, expected))
    return built


def readme(built):
    rows = []
    for c, cap, expected in built:
        link = LINK_NAMES[cap.link] + (" pcapng" if cap.pcapng_nsec else "")
        if c["tshark"] is None:
            ts = "same" + (" (+ooo)" if c["tshark_prefs"] else "")
            ts += ": " + c["tshark_why"] if c["tshark_why"] else ""
        else:
            ts = "%d hello(s): %s" % c["tshark"]
        rows.append("| %s | %s | %s | %s | %d | %s |" % (c["name"], c["origin"], link,
                                                       c["desc"], len(expected), ts))
    return README_HEAD + "\n".join(rows) + "\n"


def generate(built):
    os.makedirs(OUT_DIR, exist_ok=True)
    for c, cap, expected in built:
        write_file(os.path.join(OUT_DIR, c["name"] + cap.ext), cap.to_bytes())
        write_file(os.path.join(OUT_DIR, c["name"] + ".expected.json"),
                   (json.dumps(expected, indent=2) + "\n").encode())
    write_file(os.path.join(OUT_DIR, "README.md"), readme(built).encode())


def run_tshark(path, prefs):
    cmd = ["tshark", "-n", "-r", path, "-Y", "tls.handshake.type==1", "-T", "fields",
           "-E", "aggregator=|", "-e", "tcp.stream", "-e", "tcp.srcport",
           "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ja3_full",
           "-e", "tls.handshake.ja3"]
    for p in prefs:
        cmd[1:1] = ["-o", p]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    hellos = []
    for line in out.splitlines():
        stream, port, sni, full, md5 = line.split("\t")
        snis = sni.split("|")
        for i, (f, m) in enumerate(zip(full.split("|"), md5.split("|"))):
            hellos.append((int(stream), int(port), snis[i] if i < len(snis) else "", f, m))
    return hellos


def check_tshark(built):
    print("%-30s %7s %6s  %s" % ("case", "records", "tshark", "verdict"))
    bad = 0
    for c, cap, expected in built:
        got = run_tshark(os.path.join(OUT_DIR, c["name"] + cap.ext), c["tshark_prefs"])
        want = [(e["stream"], e["src_port"], e["sni"], e["ja3_full"], e["ja3"]) for e in expected]
        if c["tshark"] is None:
            ok, verdict = got == want, "same"
        else:
            # A known difference: tshark reports more hellos; the expected ones come first.
            ok = len(got) == c["tshark"][0] and got[:len(want)] == want
            verdict = "differs as documented: " + c["tshark"][1]
        if not ok:
            bad += 1
            verdict = "MISMATCH: tshark %r" % (got,)
        print("%-30s %7d %6d  %s" % (c["name"], len(expected), len(got), verdict))
    return bad


def packet_payloads(path):
    """(linktype, [frame bytes]) of a classic pcap or pcapng file (minimal reader)."""
    data = open(path, "rb").read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        frames, links, p = [], [], 0
        while p < len(data):
            btype, blen = struct.unpack_from("<II", data, p)
            if btype == 1:
                links.append(struct.unpack_from("<H", data, p + 8)[0])
            elif btype == 6:
                caplen = struct.unpack_from("<I", data, p + 20)[0]
                frames.append(data[p + 28:p + 28 + caplen])
            p += blen
        return links[0], frames
    link = struct.unpack_from("<I", data, 20)[0]
    frames, p = [], 24
    while p < len(data):
        caplen = struct.unpack_from("<I", data, p + 8)[0]
        frames.append(data[p + 16:p + 16 + caplen])
        p += 16 + caplen
    return link, frames


def tcp_payload_ipv4_ethernet(frame):
    ip = frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    total = struct.unpack_from("!H", ip, 2)[0]
    tcp = ip[ihl:total]
    return tcp[(tcp[12] >> 4) * 4:]


def check_foxio(foxio_dir):
    """The embedded hellos and fingerprints are those of the FoxIO corpus."""
    problems = []
    for hello, fp, capture, frame_no in ((FIREFOX_HELLO, FIREFOX_FP, "tls12.pcap", 1),
                                         (CHROME_HELLO, CHROME_FP, "browsers-x509.pcapng", 4)):
        path = os.path.join(foxio_dir, capture)
        _link, frames = packet_payloads(path)
        if tcp_payload_ipv4_ethernet(frames[frame_no - 1]) != hello:
            problems.append("%s frame %d: hello bytes differ" % (capture, frame_no))
        with open(path + ".expected.json") as f:
            ref = [e for e in json.load(f) if e["frame"] == frame_no][0]
        problems += ["%s frame %d: %s differs" % (capture, frame_no, k)
                     for k in FP_KEYS if ref[k] != fp[k]]
    return problems


def compare_dir(built, other_dir):
    """Byte-compare the generated files with those of the same name in other_dir."""
    same, differ, missing = [], [], []
    for c, cap, _expected in built:
        for fname in (c["name"] + cap.ext, c["name"] + ".expected.json"):
            other = os.path.join(other_dir, fname)
            if not os.path.exists(other):
                missing.append(fname)
                continue
            mine = open(os.path.join(OUT_DIR, fname), "rb").read()
            (same if mine == open(other, "rb").read() else differ).append(fname)
    return same, differ, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tshark", action="store_true", help="cross-check the captures with tshark")
    ap.add_argument("--foxio", metavar="DIR", help="check embedded hellos against the FoxIO corpus")
    ap.add_argument("--compare", metavar="DIR", help="byte-compare with files of the same name")
    args = ap.parse_args()

    check_hellos()
    built = build_all()
    generate(built)
    n_cases = len(built)
    n_records = sum(len(e) for _, _, e in built)
    n_positive = sum(1 for _, _, e in built if e)
    print("wrote %d cases to %s: %d expect records (%d records in all), %d expect none"
          % (n_cases, os.path.relpath(OUT_DIR), n_positive, n_records, n_cases - n_positive))
    status = 0
    if args.foxio:
        problems = check_foxio(args.foxio)
        print("foxio check: " + ("OK" if not problems else "; ".join(problems)))
        status |= bool(problems)
    if args.compare:
        same, differ, missing = compare_dir(built, args.compare)
        print("compare with %s: %d identical, %d differ %s, %d absent there"
              % (args.compare, len(same), len(differ), differ, len(missing)))
    if args.tshark:
        bad = check_tshark(built)
        print("tshark check: %s" % ("OK" if not bad else "%d mismatches" % bad))
        status |= bool(bad)
    return status


if __name__ == "__main__":
    sys.exit(main())
