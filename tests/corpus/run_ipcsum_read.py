#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""--read and wrong IPv4 header checksums (docs/reliability.md, "What the
sensor mirrors of the receiver"), on a capture written here:

- a client captured on its own host with checksum offload: 0 in every
  header it sends. Its hello gives its record; the wrong sums are counted
  as bad_ip_checksum_kept.
- the same with stale sums (a tool rewrote the addresses): the same.
- an insertion: a client whose SYN and ACK carry right sums sends a
  ClientHello for evil.example in order with a wrong sum (the server's
  kernel drops it), then the one for good.example. The record names
  good.example; bad_ip_checksum counts the fake.

Usage: run_ipcsum_read.py [--binary B] [--wrap CMD]. Under a second.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import lib  # noqa: E402
from packets import hello, ipv4_tcp  # noqa: E402

CONFIG = "core:\n  listen_ports: [443]\noutputs:\n  - type: stdout\n"
SERVER = "198.18.0.1"
TALLY = lib.Tally()
ok, bad, skip = TALLY.ok, TALLY.bad, TALLY.skip


def frame(src, dst, sport, dport, flags, seq, ack, payload=b"", ipsum="right"):
    """Ethernet, IPv4 (header sum: right, zero (offload) or stale), TCP."""
    pick = {"right": None, "zero": lambda r: 0, "stale": lambda r: r ^ 0x0F0F}[ipsum]
    return (b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" +
            ipv4_tcp(src, dst, sport, dport, flags, seq, ack, payload, ip_sum=pick))


def connection(cli, sport, hellos, sums):
    """SYN, SYN-ACK, ACK, then each (payload, header sum) at the first
    byte; the client's other packets with header sums `sums`."""
    isn, srv = 1000, 5000
    out = [frame(cli, SERVER, sport, 443, 0x02, isn, 0, ipsum=sums),
           frame(SERVER, cli, 443, sport, 0x12, srv, isn + 1),
           frame(cli, SERVER, sport, 443, 0x10, isn + 1, srv + 1, ipsum=sums)]
    for pl, s in hellos:
        out.append(frame(cli, SERVER, sport, 443, 0x18, isn + 1, srv + 1, pl, ipsum=s))
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(fr), len(fr)) + fr)


def read(args, cap, conf):
    recs, st = lib.read_capture(args.binary, args.wrap, cap, conf, timeout=120)
    return recs, st.get("packets", {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/ja4sentinel")
    ap.add_argument("--wrap", default="")
    args = ap.parse_args()
    evil, good = hello("evil.example"), hello("good.example")
    cases = [
        ("offload", "198.18.5.1", [(hello("offload.example"), "zero")], "zero",
         ["offload.example"], 0, 3),
        ("stale", "198.18.5.2", [(hello("stale.example"), "stale")], "stale",
         ["stale.example"], 0, 3),
        ("insertion", "198.18.5.3", [(evil, "stale"), (good, "right")], "right",
         ["good.example"], 1, 0),
        ("insertion-zero", "198.18.5.4", [(evil, "zero"), (good, "right")], "right",
         ["good.example"], 1, 0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.yml")
        with open(conf, "w") as f:
            f.write(CONFIG)
        for name, cli, hellos, sums, want, dropped, kept in cases:
            cap = os.path.join(tmp, name + ".pcap")
            write_pcap(cap, connection(cli, 40000, hellos, sums))
            try:
                recs, st = read(args, cap, conf)
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                bad("%s: %s" % (name, e))
                continue
            got = [r.get("tls_sni") for r in recs]
            counts = (st.get("bad_ip_checksum", 0), st.get("bad_ip_checksum_kept"))
            if got == want and counts == (dropped, kept):
                ok("%s: records %s, bad_ip_checksum %d, bad_ip_checksum_kept %d"
                   % (name, got, dropped, kept))
            else:
                bad("%s: records %s (want %s), bad_ip_checksum %s, bad_ip_checksum_kept %s "
                    "(want %d, %d)" % (name, got, want, counts[0], counts[1], dropped, kept))
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main())
