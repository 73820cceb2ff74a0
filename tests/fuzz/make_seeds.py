#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Seed corpora for the fuzzers, cut from the test captures with tshark.

fuzz_packet: Ethernet frames carrying TCP, prefixed with the harness's
link-type selector byte (1 = EN10MB). fuzz_hello: first client payloads
that start with a TLS handshake record. fuzz_reasm: each hello cut into a
few segments in the harness's step format. fuzz_quic: client datagrams to
UDP 443 (mode byte 0), and each TLS hello as CRYPTO frames of two sealed
Initials (mode byte 1).
Usage: make_seeds.py OUTDIR CAPTURE...
"""
import json
import os
import subprocess
import sys


def frames(cap):
    out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "tcp", "-T", "json", "-x"],
                         capture_output=True, text=True, check=False).stdout
    try:
        pkts = json.loads(out or "[]")
    except json.JSONDecodeError:
        return
    for p in pkts:
        layers = p.get("_source", {}).get("layers", {})
        raw = layers.get("frame_raw")
        encap = layers.get("frame", {}).get("frame.encap_type")
        payload = layers.get("tcp", {}).get("tcp.payload")
        if raw:
            yield encap, bytes.fromhex(raw[0]), payload


def reasm_script(hello):
    """Three segments, sent 2, 1, 3, after a SYN (flags 0x02) at offset 0."""
    steps = [bytes([0x02, 0x10, 0, 0, 0, 0])]
    n = len(hello)
    cuts = [0, n // 3, 2 * n // 3, n]
    order = [1, 0, 2]
    for i in order:
        seg = hello[cuts[i]:cuts[i + 1]]
        off = 1 + cuts[i]  # the SYN takes one sequence number
        steps.append(bytes([0x18, 0x10, off >> 8, off & 0xff, len(seg) >> 8, len(seg) & 0xff]) + seg)
    return b"".join(steps)


def quic_datagrams(cap):
    out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "udp.dstport == 443", "-T", "fields",
                          "-e", "udp.payload"], capture_output=True, text=True,
                         check=False).stdout
    for line in out.splitlines():
        if line.strip():
            yield bytes.fromhex(line.strip().replace(":", ""))


def lp(b):
    return bytes([len(b) >> 8, len(b) & 0xff]) + b


def crypto(off, data):
    """A CRYPTO frame with 4-byte varints."""
    return (b"\x06" + (0x80000000 | off).to_bytes(4, "big") +
            (0x80000000 | len(data)).to_bytes(4, "big") + data)


def main():
    outdir, caps = sys.argv[1], sys.argv[2:]
    dirs = {k: os.path.join(outdir, k) for k in ("fuzz_packet", "fuzz_hello", "fuzz_reasm",
                                                  "fuzz_quic")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    n = 0
    for cap in caps:
        per_cap = 0
        for encap, raw, payload in frames(cap):
            per_cap += 1
            if per_cap > 60:  # enough variety; keeps the corpus small
                break
            base = f"{os.path.basename(cap)}-{n}"
            n += 1
            if encap == "1":  # Ethernet
                with open(os.path.join(dirs["fuzz_packet"], base), "wb") as f:
                    f.write(b"\x01" + raw)
            if payload:
                pl = bytes.fromhex(payload.replace(":", ""))
                if pl[:1] == b"\x16" and len(pl) > 9 and pl[5] == 1:
                    with open(os.path.join(dirs["fuzz_hello"], base), "wb") as f:
                        f.write(pl)
                    with open(os.path.join(dirs["fuzz_reasm"], base), "wb") as f:
                        f.write(reasm_script(pl))
                    msg = pl[5:]
                    half = len(msg) // 2
                    with open(os.path.join(dirs["fuzz_quic"], base), "wb") as f:
                        f.write(b"\x01" + lp(crypto(half, msg[half:])) + lp(crypto(0, msg[:half])))
        dgrams = list(quic_datagrams(cap))[:8]
        if dgrams:
            with open(os.path.join(dirs["fuzz_quic"], f"{os.path.basename(cap)}-udp"), "wb") as f:
                f.write(b"\x00" + b"".join(lp(d) for d in dgrams))
    print(f"seeds from {len(caps)} captures: " +
          ", ".join(f"{k} {len(os.listdir(d))}" for k, d in dirs.items()))


if __name__ == "__main__":
    main()
