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
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FOXIO = os.path.normpath(os.path.join(HERE, "../../../shared/testdata/foxio"))
# (chrome-cloudflare-quic-with-secrets.pcapng carries its TLS secrets in a
# pcapng block editcap cannot write as pcap: the two others suffice.)
CAPTURES = ["quic-tls-handshake.pcapng", "quic-with-several-tls-frames.pcapng"]
CONFIG = "core:\n  listen_ports: [443]\noutputs:\n  - type: stdout\n"
passed = failed = skipped = 0


def ok(msg):
    global passed
    passed += 1
    print("ok " + msg)


def bad(msg):
    global failed
    failed += 1
    print("FAIL " + msg)


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


def wrap(src, dst, tmp):
    """pcapng -> pcap (editcap), then every frame wrapped in VXLAN."""
    plain = os.path.join(tmp, "plain.pcap")
    subprocess.run(["editcap", "-F", "pcap", src, plain], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(plain, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        return False  # not Ethernet: nothing to wrap
    out = [data[:16] + struct.pack(endian + "I", 65535) + data[20:24]]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = vxlan(data[off + 16:off + 16 + incl])
        out.append(struct.pack(endian + "IIII", sec, frac, len(frame), len(frame)) + frame)
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return True


def read(args, cap, conf):
    cmd = shlex.split(args.wrap) + [args.binary, "--config", conf, "--read", cap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("exit %d: %s" % (r.returncode, r.stderr.decode()[-300:]))
    return [json.loads(l) for l in r.stdout.decode().splitlines() if l.startswith("{")]


def main():
    global skipped
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
                skipped += 1
                print("SKIP %s: not in ../shared/testdata/foxio" % name)
                continue
            dst = os.path.join(tmp, "vxlan.pcap")
            try:
                if not wrap(src, dst, tmp):
                    skipped += 1
                    print("SKIP %s: not an Ethernet capture" % name)
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
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
