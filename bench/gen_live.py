#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Write a handshake-only or a partial-hello capture for the live benches.

Reuses gen_capture.py's hello corpus, addresses (clients in 198.18.0.0/15,
server 198.19.255.1 / fd00::c613:ff01) and packet builder, but keeps only
what a ClientHello fingerprinter needs, so a replay measures hellos per
second and not bulk-data bytes:

  --shape handshake  SYN, SYN-ACK, ACK, the real ClientHello (one segment,
                     or two for --split-pct of the flows), client FIN:
                     about 5.2 packets per flow (bench/live_rate.sh)
  --shape partial    SYN, SYN-ACK, ACK and only the first segment of a hello
                     cut in two (at a random byte of its second half): the
                     flow stays open mid-hello until it times out
                     (bench/flows_rss.sh)

Flows are interleaved over --window concurrent connections as in
gen_capture.py. Writes OUT.count (hellos a receiver should deliver: the
flow count for handshake, 0 for partial) and OUT.stats.
Python 3 standard library only; same --seed => same bytes.
"""

import argparse
import collections
import glob
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_capture as gc  # noqa: E402


def flow(gen, index, shape, split_pct):
    """All frames of one flow, in order (gen: a gen_capture.Generator)."""
    rng = gen.rng
    v6 = rng.randrange(100) < gen.v6_pct
    hello = gen.hellos[index % len(gen.hellos)]
    caddr, cport = gen._client_addr(v6)
    saddr = gc.SERVER6.packed if v6 else gc.SERVER4.packed
    mss = 1428 if v6 else 1448
    synmss = 1440 if v6 else 1460
    c = gc.Endpoint(caddr, cport, rng.getrandbits(32), rng.getrandbits(32),
                    rng.getrandbits(16), rng.getrandbits(20))
    s = gc.Endpoint(saddr, gc.TLS_PORT, rng.getrandbits(32), rng.getrandbits(32),
                    rng.getrandbits(16), rng.getrandbits(20))
    fb = gc.FlowBuilder(v6, gc.MAC_CLIENT_SIDE, gc.MAC_SERVER_SIDE)
    pk = []

    def c2s(flags, payload=b"", opts=None, win=502):
        o = gc.ts_opt(c.tsval, s.tsval) if opts is None else opts
        pk.append(fb.packet(c, s, False, flags, s.seq, win, o, payload))

    c2s(gc.SYN, opts=gc.syn_opts(synmss, c.tsval, 0, 7), win=64240)
    o = gc.syn_opts(synmss, s.tsval, c.tsval, 7)
    pk.append(fb.packet(s, c, True, gc.SYN | gc.ACK, c.seq, 65160, o))
    c2s(gc.ACK)
    if shape == "partial":
        # The first segment only: the rest never comes.
        cut = rng.randint(len(hello) // 2, len(hello) - 1)
        c2s(gc.PSH | gc.ACK, gc.segments(hello, mss, cut)[0])
        return pk
    split = None
    if rng.randrange(100) < split_pct:
        split = rng.randint(1, len(hello) - 1)
    for seg in gc.segments(hello, mss, split):
        c2s(gc.PSH | gc.ACK, seg)
    c2s(gc.FIN | gc.ACK)
    return pk


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=("handshake", "partial"), default="handshake")
    ap.add_argument("--flows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", type=int, default=64, help="concurrent flows (default 64)")
    ap.add_argument("--split-pct", type=int, default=15,
                    help="handshake: percent of hellos split in two segments")
    ap.add_argument("--ipv6-pct", type=int, default=10)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if args.flows < 1 or args.window < 1:
        ap.error("--flows and --window must be positive")

    corpus = args.corpus or gc.default_corpus()
    hellos = gc.extract_hellos(sorted(glob.glob(os.path.join(corpus, "*.pcap*"))))
    if not hellos:
        sys.stderr.write("gen_live: no usable ClientHello in %s\n" % corpus)
        return 1
    # Client addresses are drawn from 2^17 addresses x 28,232 ports: 100,000
    # distinct 4-tuples come quickly.
    gen = gc.Generator(hellos, args.seed, v6_pct=args.ipv6_pct, bulk_segments=0)
    rng = random.Random(args.seed ^ 0x71AE)
    rec = struct.Struct("<IIII")
    ts = gc.START_TIME_US
    packets = 0
    tmp = args.output + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        active = collections.deque()
        started = 0
        while started < args.flows and len(active) < args.window:
            active.append([flow(gen, started, args.shape, args.split_pct), 0])
            started += 1
        while active:
            fl = active.popleft()
            frames, i = fl
            fr = frames[i]
            ts += rng.randint(30, 70)
            f.write(rec.pack(ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)
            packets += 1
            if i + 1 < len(frames):
                fl[1] = i + 1
                active.append(fl)
            elif started < args.flows:
                active.append([flow(gen, started, args.shape, args.split_pct), 0])
                started += 1
    os.replace(tmp, args.output)
    hellos_out = args.flows if args.shape == "handshake" else 0
    with open(args.output + ".count", "w") as f:
        f.write("%d\n" % hellos_out)
    with open(args.output + ".stats", "w") as f:
        f.write("shape=%s\nflows=%d\nhellos=%d\npackets=%d\nseed=%d\n"
                % (args.shape, args.flows, hellos_out, packets, args.seed))
    sys.stderr.write("gen_live: %s: %s, %d flows, %d packets\n"
                     % (args.output, args.shape, args.flows, packets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
