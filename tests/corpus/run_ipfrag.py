#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Hellos in IP fragments, as a client that fragments them sends them and
the server's stack rebuilds them: every IPv4 and IPv6 TCP or UDP packet
with a payload in FoxIO's captures (../shared/testdata/foxio, used in
place) is cut into three fragments, written last first, then the middle
one twice, then the first, into a temporary capture; --read of it must give the records
of the original, field for field (timestamps aside). A second capture
makes the middle fragment overlap the first by 8 bytes: Linux discards
such a datagram (RFC 5722), so no hello may give a record.
  tests/corpus/run_ipfrag.py [--binary B] [--wrap "valgrind ..."]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import lib  # noqa: E402
from run_quic_tunnel import pcapng_frames  # noqa: E402

FOXIO = os.path.normpath(os.path.join(HERE, "../../../shared/testdata/foxio"))
CAPTURES = ["tls-handshake.pcapng", "tls12.pcap", "ipv6.pcapng", "tls-sni.pcapng",
            "latest.pcapng", "quic-tls-handshake.pcapng"]
CONFIG = "core:\n  listen_ports: [443]\n  quic: true\noutputs:\n  - type: stdout\n"
TALLY = lib.Tally()
ok, bad, skip = TALLY.ok, TALLY.bad, TALLY.skip


def pcap_frames(data):
    """(sec, usec, frame) of a classic pcap of Ethernet or BSD loopback
    (NULL) frames, and the link type; None else."""
    if len(data) < 24:
        return None
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(e + "I", data[20:24])[0]
    if link not in (0, 1):
        return None
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, sub, cap, _ = struct.unpack(e + "IIII", data[off:off + 16])
        frames.append((sec, sub // 1000 if nano else sub, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return frames, link


def frames_of(path):
    with open(path, "rb") as f:
        data = f.read()
    # By the magic: some captures are named .pcapng and are not.
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return pcapng_frames(data), 1
    return pcap_frames(data) or (None, 1)


def cuts(n):
    """Two cut points (multiples of 8) splitting n payload bytes in three."""
    a = max(8, (n // 3) // 8 * 8)
    b = max(a + 8, (2 * n // 3) // 8 * 8)
    return (a, b) if b < n else None


def ip_sum(h):
    """The checksum an IPv4 header h must carry (RFC 1071)."""
    s = sum(struct.unpack("!%dH" % (len(h) // 2), bytes(h[:10]) + b"\0\0" + bytes(h[12:])))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frag_v4(ip, overlap):
    ihl = (ip[0] & 15) * 4
    # A capture taken on a sender with checksum offload has 0 where the
    # NIC puts the sum: its fragments would too (the reader keeps such a
    # source's packets, docs/reliability.md); right sums stay right.
    sums_right = ip_sum(ip[:ihl]) == struct.unpack("!H", ip[10:12])[0]
    tot = struct.unpack("!H", ip[2:4])[0]
    if struct.unpack("!H", ip[6:8])[0] & 0x3fff or ip[9] not in (6, 17) or tot > len(ip):
        return None
    pay = ip[ihl:tot]
    c = cuts(len(pay))
    if c is None or len(pay) < 48:
        return None
    out = []
    df = struct.unpack("!H", ip[6:8])[0] & 0x4000
    for start, end, mf in ((0, c[0], 1), (c[0] - (8 if overlap else 0), c[1], 1), (c[1], len(pay), 0)):
        h = bytearray(ip[:ihl])
        h[2:4] = struct.pack("!H", ihl + end - start)
        h[6:8] = struct.pack("!H", df | (0x2000 if mf else 0) | start // 8)
        h[10:12] = b"\0\0"
        if sums_right:  # as the sender's stack set the original's
            h[10:12] = struct.pack("!H", ip_sum(h))
        out.append(bytes(h) + pay[start:end])
    return out


def frag_v6(ip, overlap):
    if ip[6] not in (6, 17):
        return None
    plen = struct.unpack("!H", ip[4:6])[0]
    pay = ip[40:40 + plen]
    c = cuts(len(pay))
    if c is None or len(pay) < 48:
        return None
    out = []
    for start, end, mf in ((0, c[0], 1), (c[0] - (8 if overlap else 0), c[1], 1), (c[1], len(pay), 0)):
        h = bytearray(ip[:40])
        h[4:6] = struct.pack("!H", 8 + end - start)
        h[6] = 44
        fh = struct.pack("!BBHI", ip[6], 0, start | mf, 0x5eed0000 | len(pay))
        out.append(bytes(h) + fh + pay[start:end])
    return out


def fragment(src, dst, overlap):
    """Every IP packet with a payload of src cut in three into dst (pcap):
    last fragment first, the middle one twice. How many were cut."""
    frames, link = frames_of(src)
    if not frames:
        return None
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link)]
    hl = 14 if link == 1 else 4
    n = 0
    for sec, usec, frame in frames:
        pieces = None
        ver = frame[hl] >> 4 if len(frame) > hl else 0
        if link == 1 and frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            ver = 0
        if ver == 4 and len(frame) > hl + 20:
            pieces = frag_v4(frame[hl:], overlap)
        elif ver == 6 and len(frame) > hl + 40:
            pieces = frag_v6(frame[hl:], overlap)
        if pieces:
            n += 1
            frame_list = [frame[:hl] + p for p in (pieces[2], pieces[1], pieces[1], pieces[0])]
        else:
            frame_list = [frame]
        for fr in frame_list:
            out.append(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return n


def read(args, cap, conf):
    recs, st = lib.read_capture(args.binary, args.wrap, cap, conf)
    for rec in recs:
        rec.pop("timestamp", None)
    return recs, st.get("packets", {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--wrap", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.yml")
        with open(conf, "w") as f:
            f.write(CONFIG)
        for name in CAPTURES:
            src = os.path.join(FOXIO, name)
            if not os.path.exists(src):
                skip("%s: not in ../shared/testdata/foxio" % name)
                continue
            fr = os.path.join(tmp, "frag.pcap")
            ov = os.path.join(tmp, "overlap.pcap")
            try:
                n = fragment(src, fr, False)
                if not n:
                    skip("%s: no IP packet to fragment" % name)
                    continue
                fragment(src, ov, True)
                base, _ = read(args, src, conf)
                got, st = read(args, fr, conf)
                over, sto = read(args, ov, conf)
            except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
                bad("%s: %s" % (name, e))
                continue
            errs = []
            if not base:
                errs.append("no record in the original")
            if got != base:
                errs.append("%d records fragmented, %d without; first differing: %s" % (
                    len(got), len(base),
                    next((json.dumps([a, b]) for a, b in zip(base, got) if a != b), "-")[:400]))
            # A retransmission that kept its IP ID adds duplicates.
            if st.get("ipfrag_fragments") != 4 * n or st.get("ipfrag_reassembled") != n or \
               st.get("ipfrag_duplicates", 0) < n or st.get("ipfrag_active") != 0:
                errs.append("counters %s for %d datagrams" % (
                    {k: v for k, v in st.items() if k.startswith("ipfrag")}, n))
            if over or sto.get("ipfrag_overlaps") != n:
                errs.append("overlapping fragments: %d records, ipfrag_overlaps %s of %d" % (
                    len(over), sto.get("ipfrag_overlaps"), n))
            if errs:
                bad("%s in fragments: %s" % (name, "; ".join(errs)))
            else:
                ok("%s: %d datagrams in 3 fragments each (out of order, a duplicate) give its %d "
                   "record(s); overlapping ones none" % (name, n, len(base)))
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main())
