#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""QUIC hellos inside a tunnel, as a mirror receiver sees them: every frame
of FoxIO's QUIC captures (../shared/testdata/foxio, used in place) wrapped
in VXLAN (outer Ethernet, IPv4, UDP 4789) into a temporary capture; --read
of it must give the same records as --read of the original, JA4 'q' and
all, each with "tunnel":"vxlan" (the QUIC path keeps the encapsulation as
the TCP one does).
  tests/corpus/run_quic_tunnel.py [--binary B] [--wrap "valgrind ..."]
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lib  # noqa: E402
FOXIO = os.path.normpath(os.path.join(HERE, "../../../shared/testdata/foxio"))
CAPTURES = ["quic-tls-handshake.pcapng", "quic-with-several-tls-frames.pcapng",
            "chrome-cloudflare-quic-with-secrets.pcapng"]
CONFIG = "core:\n  listen_ports: [443]\noutputs:\n  - type: stdout\n"
TALLY = lib.Tally()
ok, bad, skip = TALLY.ok, TALLY.bad, TALLY.skip


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def vxlan(frame):
    """frame (Ethernet) inside Ethernet / IPv4 198.18.250.1 > .2 / UDP 4789 / VXLAN."""
    inner = struct.pack("!BBHI", 0x08, 0, 0, 42 << 8) + frame
    udp = struct.pack("!HHHH", 51000, 4789, 8 + len(inner), 0) + inner
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([198, 18, 250, 1]), bytes([198, 18, 250, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp


def pcapng_frames(data):
    """(ts_sec, ts_usec, frame) of each Enhanced Packet Block of a pcapng
    whose interfaces are Ethernet; None when one is not. Read here rather
    than with editcap, which the el8 chroot does not have."""
    frames, links, off, e = [], [], 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: its byte order
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6:  # enhanced packet
            ifc, hi, lo, cap = struct.unpack(e + "IIII", body[:16])
            if ifc >= len(links) or links[ifc] != 1:
                return None
            ts = (hi << 32 | lo)  # microseconds, the default resolution
            frames.append((ts // 1000000, ts % 1000000, body[20:20 + cap]))
        off += blen
    return frames


def wrap(src, dst):
    """Every frame of src (pcapng, Ethernet) wrapped in VXLAN into dst (pcap)."""
    with open(src, "rb") as f:
        frames = pcapng_frames(f.read())
    if not frames:
        return False
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for sec, usec, frame in frames:
        frame = vxlan(frame)
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return True


def read(args, cap, conf):
    return lib.read_capture(args.binary, args.wrap, cap, conf)[0]


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
            dst = os.path.join(tmp, "vxlan.pcap")
            try:
                if not wrap(src, dst):
                    skip("%s: not an Ethernet capture" % name)
                    continue
                base = read(args, src, conf)
                tun = read(args, dst, conf)
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                bad("%s: %s" % (name, e))
                continue
            quic = [r for r in base if r["ja4"].startswith("q")]
            errs = []
            if not quic:
                errs.append("no QUIC record in the original")
            if len(tun) != len(base):
                errs.append("%d records in VXLAN, %d without" % (len(tun), len(base)))
            for a, b in zip(base, tun):
                if b.get("tunnel") != "vxlan":
                    errs.append("%s: tunnel %r" % (b["conn_id"], b.get("tunnel")))
                for k in ("conn_id", "ja4", "ja3_hash", "tls_sni", "quic_version"):
                    if a.get(k) != b.get(k):
                        errs.append("%s: %s %r, inside VXLAN %r" % (a["conn_id"], k, a.get(k), b.get(k)))
            if errs:
                bad("%s inside VXLAN: %s" % (name, "; ".join(errs[:4])))
            else:
                ok("%s inside VXLAN: %d QUIC record(s) as without the tunnel, tunnel \"vxlan\"" %
                   (name, len(quic)))
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main())
