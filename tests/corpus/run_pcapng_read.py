#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Capture files libpcap would not read whole, through `ja4sentinel --read`.

Each Ethernet capture of ../shared/testdata/foxio and tests/data/synthetic
(classic pcap) is rewritten here as a file that libpcap 1.10 refuses or
cuts short and Wireshark reads, in four ways, and must give the same
records, field by field, as the capture itself:

- mixed: interfaces of four link types (Ethernet, Linux cooked SLL and
  SLL2, raw IP), each IP packet on one of the last three in turn (its
  Ethernet header rewritten for that link type), the rest on Ethernet;
  nanosecond timestamps on SLL2, an if_tsoffset on raw IP;
- sections: the packets in two sections, little-endian then big-endian,
  all on Ethernet (a `cat` of two files of different byte order);
- snaplen: one section whose interface says a snap length of 64 bytes
  while every packet is stored whole;
- pcap-snaplen: the same as a classic pcap file, whose header says 64
  (libpcap cuts every packet to it);
- alien: an interface of a link type nothing reads first, its frames
  between the capture's.

mixed is also read with a core.bpf_filter (compiled for each link type,
raw IP's 101 included), sections with one of Ethernet only (checked at
start on the first interface's type, as libpcap does), alien with one
that cannot be compiled for its first interface (the read goes on).

Prints one line per capture and variant and `N passed, N failed, N
skipped`.
"""
import argparse
import glob
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lib import Tally, read_capture  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read_pcap(path):
    """(linktype, [(ts_ns, frame, origlen)]) of a classic pcap, or None."""
    b = open(path, "rb").read()
    if len(b) < 24:
        return None
    magic = struct.unpack("<I", b[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
        magic = struct.unpack(">I", b[:4])[0]
    else:
        return None
    nano = magic == 0xA1B23C4D
    link = struct.unpack(e + "I", b[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(b):
        sec, frac, cap, orig = struct.unpack(e + "IIII", b[off:off + 16])
        off += 16
        if off + cap > len(b):
            break
        out.append((sec * 10**9 + (frac if nano else frac * 1000), b[off:off + cap], orig))
        off += cap
    return link, out


class Writer:
    def __init__(self):
        self.out = bytearray()
        self.e = "<"

    def block(self, btype, body):
        body += b"\0" * ((4 - len(body) % 4) % 4)
        n = len(body) + 12
        self.out += struct.pack(self.e + "II", btype, n) + body + struct.pack(self.e + "I", n)

    def shb(self, big):
        self.e = ">" if big else "<"
        self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1))

    def idb(self, link, snaplen=0, tsresol=None, tsoffset=None):
        opts = b""
        if tsresol is not None:
            opts += struct.pack(self.e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
        if tsoffset is not None:
            opts += struct.pack(self.e + "HHq", 14, 8, tsoffset)
        if opts:
            opts += struct.pack(self.e + "HH", 0, 0)
        self.block(1, struct.pack(self.e + "HHI", link, 0, snaplen) + opts)

    def epb(self, ifid, units, data, orig):
        self.block(6, struct.pack(self.e + "IIIII", ifid, units >> 32, units & 0xFFFFFFFF,
                                  len(data), orig) + data)


def ip_frame(frame):
    """(ethertype, L3 bytes) of an untagged Ethernet IP frame, else None."""
    if len(frame) < 14:
        return None
    et = struct.unpack("!H", frame[12:14])[0]
    return (et, frame[14:]) if et in (0x0800, 0x86DD) else None


def mixed(pkts):
    w = Writer()
    w.shb(False)
    w.idb(1)                      # 0 Ethernet, microseconds
    w.idb(113)                    # 1 SLL, microseconds
    w.idb(276, tsresol=9)         # 2 SLL2, nanoseconds
    w.idb(101, tsoffset=100)      # 3 raw IP, microseconds, +100 s
    turn = 0
    for ts, frame, orig in pkts:
        ip = ip_frame(frame)
        if ip is None:
            w.epb(0, ts // 1000, frame, orig)
            continue
        et, l3 = ip
        extra = orig - len(frame)
        kind, turn = turn % 3, turn + 1
        if kind == 0:
            hdr = struct.pack("!HHH8sH", 0, 1, 6, frame[6:12] + b"\0\0", et)
            w.epb(1, ts // 1000, hdr + l3, len(hdr) + len(l3) + extra)
        elif kind == 1:
            hdr = struct.pack("!HHIHBB8s", et, 0, 2, 1, 0, 6, frame[6:12] + b"\0\0")
            w.epb(2, ts, hdr + l3, len(hdr) + len(l3) + extra)
        else:
            w.epb(3, (ts - 100 * 10**9) // 1000, l3, len(l3) + extra)
    return bytes(w.out)


def sections(pkts):
    w = Writer()
    half = len(pkts) // 2
    for big, part in ((False, pkts[:half]), (True, pkts[half:])):
        w.shb(big)
        w.idb(1)
        for ts, frame, orig in part:
            w.epb(0, ts // 1000, frame, orig)
    return bytes(w.out)


def snaplen(pkts):
    w = Writer()
    w.shb(False)
    w.idb(1, snaplen=64)
    for ts, frame, orig in pkts:
        w.epb(0, ts // 1000, frame, orig)
    return bytes(w.out)


def alien(pkts):
    """An interface of a link type nothing reads (65000) first, whose
    frames come between the capture's, on Ethernet."""
    w = Writer()
    w.shb(False)
    w.idb(65000)
    w.idb(1)
    for ts, frame, orig in pkts:
        w.epb(0, ts // 1000, b"\xde\xad" * 20, 40)
        w.epb(1, ts // 1000, frame, orig)
    return bytes(w.out)


def pcap_snaplen(pkts):
    out = bytearray(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 64, 1))
    for ts, frame, orig in pkts:
        out += struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), orig) + frame
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ja4sentinel"))
    ap.add_argument("--wrap", default="")
    args = ap.parse_args()
    t = Tally()
    caps = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "testdata", "foxio", "*.pcap")) +
                  glob.glob(os.path.join(ROOT, "tests", "data", "synthetic", "*.pcap")))
    if args.wrap:
        # under valgrind (~30 times slower) every third capture: each
        # variant is still read, by the same code, in ~1.5 min, not 4
        caps = caps[::3]
    with tempfile.TemporaryDirectory(prefix="j4s-pcapng-") as tmp:
        conf = os.path.join(tmp, "c.yml")
        with open(conf, "w") as f:
            f.write("fingerprints:\n  raw: true\n")
        # core.bpf_filter compiled for each link type of a file, raw IP
        # (LINKTYPE_RAW, 101) included
        fconf = os.path.join(tmp, "f.yml")
        with open(fconf, "w") as f:
            f.write("fingerprints:\n  raw: true\ncore:\n  bpf_filter: \"not ip proto 132\"\n")
        # a filter of Ethernet only, checked at start on the first
        # interface's link type (as libpcap did), not raw IP's
        econf = os.path.join(tmp, "e.yml")
        with open(econf, "w") as f:
            f.write("fingerprints:\n  raw: true\ncore:\n"
                    "  bpf_filter: \"not ether host 00:11:22:33:44:55\"\n")
        done = 0
        for cap in caps:
            got = read_pcap(cap)
            if not got or got[0] != 1 or not got[1]:
                continue
            pkts = got[1]
            # timestamps of microsecond files only: the SLL2 interface is in
            # nanoseconds, the others in microseconds
            if any(ts % 1000 for ts, _, _ in pkts):
                continue
            name = os.path.basename(cap)
            try:
                want, _ = read_capture(args.binary, args.wrap, cap, conf)
            except RuntimeError as e:
                t.bad(f"{name}: the capture itself: {e}")
                continue
            if not want:
                continue
            done += 1
            for label, build, c in (("mixed", mixed, conf), ("sections", sections, conf),
                                    ("snaplen", snaplen, conf),
                                    ("pcap-snaplen", pcap_snaplen, conf),
                                    ("mixed, filtered", mixed, fconf),
                                    ("sections, Ethernet filter", sections, econf),
                                    ("alien interface, filtered", alien, fconf)):
                path = os.path.join(tmp, f"{label}-{name}ng")
                with open(path, "wb") as f:
                    f.write(build(pkts))
                try:
                    recs, _ = read_capture(args.binary, args.wrap, path, c)
                except RuntimeError as e:
                    t.bad(f"{name} {label}: {e}")
                    continue
                if recs == want:
                    t.ok(f"{name} {label}: {len(recs)} records, the capture's")
                else:
                    diff = [k for a, b in zip(recs, want) for k in set(a) | set(b)
                            if a.get(k) != b.get(k)]
                    t.bad(f"{name} {label}: {len(recs)} records of {len(want)}; "
                          f"fields differing: {sorted(set(diff))[:6]}")
        if not done:
            t.bad("no Ethernet capture with records found")
        # Through a pipe, a file is read once: looking for pcapng must not
        # eat its first bytes (`-` and /dev/stdin, pcap and pcapng).
        for cap in (os.path.join(ROOT, "tests", "data", "synthetic", "tcp-two-hellos.pcap"),
                    os.path.join(ROOT, "..", "shared", "testdata", "foxio",
                                 "browsers-x509.pcapng")):
            want, _ = read_capture(args.binary, args.wrap, cap, conf)
            for name in ("-", "/dev/stdin"):
                p = subprocess.Popen(shlex.split(args.wrap) + [args.binary, "--config", conf,
                                                              "--read", name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                out, err = p.communicate(open(cap, "rb").read(), timeout=600)
                recs = [json.loads(line) for line in out.decode().splitlines()
                        if line.startswith("{")]
                label = f"{os.path.basename(cap)} through a pipe as {name}"
                if p.returncode == 0 and recs == want and want:
                    t.ok(f"{label}: {len(recs)} records, the file's")
                else:
                    t.bad(f"{label}: exit {p.returncode}, {len(recs)} records of {len(want)}: "
                          f"{err.decode()[-200:]}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
