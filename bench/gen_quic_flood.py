#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Writes a capture of N authentic QUIC v1 Initials, each of a fresh DCID and
each the first 100 bytes of a hello (so every one is a connection left
waiting), all from one client address and port ("one") or each from its own
("many"): the cost of a flood of fresh DCIDs from one 4-tuple against the
same number from distinct ones (docs/performance.md, "QUIC: fresh DCIDs
from one 4-tuple"). Needs /usr/bin/python3 with scapy and
python3-cryptography (the Initials are sealed by tests/e2e/quic_port_peer.py).
  bench/gen_quic_flood.py N one|many OUT.pcap
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/e2e"))
import quic_port_peer as q  # noqa: E402
from scapy.all import IP, UDP, Ether  # noqa: E402
from scapy.utils import PcapWriter  # noqa: E402


def main():
    n, same, out = int(sys.argv[1]), sys.argv[2] == "one", sys.argv[3]
    w = PcapWriter(out, linktype=1, sync=False)
    scid = b"12345678"
    frame = q.crypto_frame(0, q.client_hello("flood.test", scid)[:100])
    for i in range(n):
        sport = 40000 if same else 1024 + i % 60000
        src = "198.18.16.2" if same else "198.18.%d.%d" % (20 + i // 250, 1 + i % 250)
        p = Ether() / IP(src=src, dst="198.18.16.1") / UDP(sport=sport, dport=443) / \
            q.initial(os.urandom(8), scid, 0, frame)
        p.time = 1700000000 + i * 0.00001
        w.write(p)
    w.close()


if __name__ == "__main__":
    main()
