#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Seed corpora for the fuzzers, cut from the test captures with tshark.

fuzz_packet: Ethernet frames carrying TCP, prefixed with the harness's
link-type selector byte (1 = EN10MB), plus one frame per tunnel the parser
opens (built here around a SYN and a hello segment: IPIP, SIT, IP6IP6,
IPIP6, GRE, gretap, ERSPAN I/II/III, VXLAN, Geneve, GTP-U, CAPWAP 802.3 and
802.11, and a nesting), so the fuzzer starts inside every decapsulator. fuzz_hello: first client payloads
that start with a TLS handshake record. fuzz_reasm: each hello cut into a
few segments in the harness's step format. fuzz_ipfrag: each IPv4 or IPv6
hello packet as three IP fragments, sent last, first, middle. fuzz_capfile: the
captures themselves (pcap and pcapng), cut to 64 KiB. fuzz_quic (each also with the held
Initials' mode bit, 0x20): client datagrams to
UDP 443 (mode byte 0), and each TLS hello as CRYPTO frames of two sealed
Initials (mode byte 1).
Usage: make_seeds.py OUTDIR CAPTURE...
"""
import json
import os
import struct
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


def ip4_sum(h):
    """h (an IPv4 header) with its checksum set: the parser drops a wrong one."""
    h = bytearray(h)
    h[10:12] = b"\0\0"
    s = sum(struct.unpack("!%dH" % (len(h) // 2), bytes(h)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    h[10:12] = struct.pack("!H", ~s & 0xffff)
    return bytes(h)


def ip_fragments(ip):
    """An IPv4 or IPv6 (no extension headers) packet as three fragments."""
    v6 = ip[0] >> 4 == 6
    hl = 40 if v6 else (ip[0] & 15) * 4
    end = 40 + struct.unpack("!H", ip[4:6])[0] if v6 else struct.unpack("!H", ip[2:4])[0]
    pay = ip[hl:end]
    a = max(8, len(pay) // 3 // 8 * 8)
    b = max(a + 8, 2 * len(pay) // 3 // 8 * 8)
    out = []
    for s, e, mf in ((0, a, 1), (a, b, 1), (b, len(pay), 0)):
        h = bytearray(ip[:hl])
        if v6:
            h[4:6] = struct.pack("!H", 8 + e - s)
            h[6] = 44
            h += struct.pack("!BBHI", ip[6], 0, s | mf, 0x1234)
        else:
            h[2:4] = struct.pack("!H", hl + e - s)
            h[6:8] = struct.pack("!H", (0x2000 if mf else 0) | s // 8)
            h = ip4_sum(h)
        out.append(bytes(h) + pay[s:e])
    return out


def ipfrag_script(ip):
    """fuzz_ipfrag's format: [step][length][packet], last fragment first."""
    fr = ip_fragments(ip)
    return b"".join(bytes([0]) + struct.pack("!H", len(p)) + p for p in (fr[2], fr[0], fr[1]))


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
def ipv4(proto, body, src=b"\xc6\x12\x00\x01", dst=b"\xc6\x12\x00\x02"):
    return ip4_sum(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0x4000, 64, proto,
                               0, src, dst)) + body


def ipv6(nh, body):
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), nh, 64,
                       b"\xfd" + b"\0" * 14 + b"\x01", b"\xfd" + b"\0" * 14 + b"\x02") + body


def tcp(flags, payload=b""):
    opts = bytes.fromhex("020405b40402080a0000000100000000")+ bytes.fromhex("01030307")
    return struct.pack("!HHIIBBHHH", 40000, 443, 1000, 0, (20 + len(opts)) // 4 << 4, flags,
                       64240, 0, 0) + opts + payload


def udp(sport, dport, body):
    return struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body


def eth(etype, body):
    return b"\x02" * 12 + struct.pack("!H", etype) + body


def tunnel_frames():
    """Every encapsulation the parser opens, around a SYN and a hello segment."""
    hello = bytes.fromhex("160301002f0100002b0303") + b"\x11" * 32 + bytes.fromhex("000002130101000000")
    for inner4 in (ipv4(6, tcp(0x02)), ipv4(6, tcp(0x18, hello))):
        inner6 = ipv6(6, inner4[20:])
        yield "ipip", ipv4(4, inner4)
        yield "sit", ipv4(41, inner6)
        yield "ip6ip6", ipv6(41, inner6)
        yield "ipip6", ipv6(4, inner4)
        yield "gre", ipv4(47, bytes.fromhex("b0000800") + b"\0" * 12 + inner4)
        yield "gretap", ipv4(47, bytes.fromhex("20006558") + b"\0" * 4 +
                             eth(0x8100, bytes.fromhex("00640800") + inner4))
        yield "erspan1", ipv4(47, bytes.fromhex("000088be") + eth(0x0800, inner4))
        yield "erspan2", ipv4(47, bytes.fromhex("100088be00000001") +
                              bytes.fromhex("1064000700000001") + eth(0x0800, inner4))
        yield "erspan3", ipv6(47, bytes.fromhex("100022eb00000001") +
                              bytes.fromhex("206400070102030400000001") + b"\0" * 8 +
                              eth(0x86dd, inner6))
        yield "vxlan", ipv4(17, udp(51000, 4789, bytes.fromhex("0800000000001000") +
                                    eth(0x0800, inner4)))
        yield "geneve", ipv6(17, udp(51000, 6081, bytes.fromhex("0100655800001000") +
                                     bytes.fromhex("01020300") + eth(0x86dd, inner6)))
        gtp = bytes.fromhex("34ff") + struct.pack("!H", 8 + len(inner4)) + \
            bytes.fromhex("000000010000008501100900")
        yield "gtpu", ipv4(17, udp(2152, 2152, gtp + inner4))
        yield "capwap-eth", ipv4(17, udp(41264, 5247, bytes.fromhex("0010020000000000") +
                                         eth(0x0800, inner4)))
        wlan = bytes.fromhex("01882c00") + b"\x01" * 18 + bytes.fromhex("76300000aaaa030000000800")
        yield "capwap-wlan", ipv4(17, udp(5247, 41264, bytes.fromhex(
            "0020032000000000" "04bf230000000000") + wlan + inner4))
        yield "nested", ipv4(47, bytes.fromhex("000088be") + eth(0x0800, ipv4(
            17, udp(51000, 4789, bytes.fromhex("0800000000001000") + eth(0x0800, inner4)))))


def main():
    outdir, caps = sys.argv[1], sys.argv[2:]
    dirs = {k: os.path.join(outdir, k) for k in ("fuzz_packet", "fuzz_hello", "fuzz_reasm",
                                                  "fuzz_quic", "fuzz_ipfrag", "fuzz_capfile")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    n = 0
    for cap in caps:
        if cap.endswith((".pcap", ".pcapng")):  # the file itself, cut to 64 KiB
            with open(cap, "rb") as src, \
                    open(os.path.join(dirs["fuzz_capfile"], os.path.basename(cap)), "wb") as f:
                f.write(src.read(65536))
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
                    if encap == "1" and raw[12:14] in (b"\x08\x00", b"\x86\xdd"):
                        with open(os.path.join(dirs["fuzz_ipfrag"], base), "wb") as f:
                            f.write(ipfrag_script(raw[14:]))
                    msg = pl[5:]
                    half = len(msg) // 2
                    for mode, tail in ((b"\x01", ""), (b"\x21", "-held")):
                        with open(os.path.join(dirs["fuzz_quic"], base + tail), "wb") as f:
                            f.write(mode + lp(crypto(half, msg[half:])) + lp(crypto(0, msg[:half])))
        dgrams = list(quic_datagrams(cap))[:8]
        if dgrams:
            for mode, tail in ((b"\x00", ""), (b"\x20", "-held")):
                with open(os.path.join(dirs["fuzz_quic"], f"{os.path.basename(cap)}-udp{tail}"),
                          "wb") as f:
                    f.write(mode + b"".join(lp(d) for d in dgrams))
    for i, (name, l3) in enumerate(tunnel_frames()):
        with open(os.path.join(dirs["fuzz_packet"], f"tunnel-{name}-{i}"), "wb") as f:
            f.write(b"\x01" + eth(0x0800 if l3[0] >> 4 == 4 else 0x86dd, l3))
    print(f"seeds from {len(caps)} captures: " +
          ", ".join(f"{k} {len(os.listdir(d))}" for k, d in dirs.items()))


if __name__ == "__main__":
    main()
