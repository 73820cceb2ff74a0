#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Generate a synthetic, deterministic TLS benchmark capture.

Writes a classic (microsecond, little-endian) Ethernet pcap holding N
complete TCP flows to port 443.  Every flow carries one real TLS
ClientHello, copied byte for byte from the captures in the FoxIO test
corpus, followed by a ServerHello-sized reply, bulk application data both
ways and an orderly FIN/ACK teardown.  Flows are interleaved round-robin
over a window of concurrent flows, as on a busy link.

Alongside OUT it writes OUT.count (the number of ClientHellos written, one
integer) and OUT.stats (key=value lines describing the capture).

Python 3 standard library only.  Same --seed and corpus => same bytes.
"""

import argparse
import collections
import glob
import gzip
import ipaddress
import os
import random
import struct
import sys
import time

TLS_PORT = 443

# Addresses: 198.18.0.0/15 is reserved for benchmarking (RFC 2544).
SERVER4 = ipaddress.IPv4Address("198.19.255.1")
CLIENT4_BASE = int(ipaddress.IPv4Address("198.18.0.0"))
CLIENT4_SIZE = 1 << 17
SERVER6 = ipaddress.IPv6Address("fd00::c613:ff01")

MAC_SERVER_SIDE = bytes.fromhex("00005e005301")
MAC_CLIENT_SIDE = bytes.fromhex("00005e005302")

ETH_IPV4 = b"\x08\x00"
ETH_IPV6 = b"\x86\xdd"

# TCP flags
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# Capture starts 2024-01-01T00:00:00Z.
START_TIME_US = 1704067200 * 1000000

DEFAULT_CORPUS = "testdata/foxio"


# --------------------------------------------------------------------------
# Reading ClientHellos out of existing captures (classic pcap and pcapng).
# --------------------------------------------------------------------------

def _read_capture_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _iter_classic_pcap(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    if len(data) < 24:
        return
    linktype = struct.unpack_from(e + "I", data, 20)[0] & 0x0FFFFFFF
    off = 24
    rec = struct.Struct(e + "IIII")
    while off + 16 <= len(data):
        _sec, _frac, incl, _orig = rec.unpack_from(data, off)
        off += 16
        if off + incl > len(data):
            break
        yield linktype, data[off:off + incl]
        off += incl


def _iter_pcapng(data):
    off = 0
    e = "<"
    ifaces = []
    n = len(data)
    while off + 12 <= n:
        btype_raw = data[off:off + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                return
            ifaces = []
        btype, blen = struct.unpack_from(e + "II", data, off)
        if blen < 12 or off + blen > n:
            return
        body = off + 8
        if btype == 1:  # Interface Description Block
            linktype, _res, snaplen = struct.unpack_from(e + "HHI", data, body)
            ifaces.append((linktype, snaplen))
        elif btype == 6:  # Enhanced Packet Block
            iface, _hi, _lo, caplen, _orig = struct.unpack_from(e + "IIIII", data, body)
            if iface < len(ifaces):
                yield ifaces[iface][0], data[body + 20:body + 20 + caplen]
        elif btype == 3:  # Simple Packet Block
            orig = struct.unpack_from(e + "I", data, body)[0]
            if ifaces:
                caplen = min(orig, blen - 16)
                if ifaces[0][1]:
                    caplen = min(caplen, ifaces[0][1])
                yield ifaces[0][0], data[body + 4:body + 4 + caplen]
        elif btype == 2:  # obsolete Packet Block
            iface, _drops, _hi, _lo, caplen, _orig = struct.unpack_from(e + "HHIIII", data, body)
            if iface < len(ifaces):
                yield ifaces[iface][0], data[body + 20:body + 20 + caplen]
        off += blen


def iter_frames(data):
    """Yield (linktype, frame) from classic pcap or pcapng bytes."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return _iter_pcapng(data)
    return _iter_classic_pcap(data)


def _link_to_ip(linktype, frame):
    """Return the network-layer bytes of a frame, or None."""
    if linktype == 1:  # Ethernet
        off = 12
        while off + 2 <= len(frame):
            et = frame[off:off + 2]
            if et in (b"\x81\x00", b"\x88\xa8"):
                off += 4
                continue
            if et in (ETH_IPV4, ETH_IPV6):
                return frame[off + 2:]
            return None
        return None
    if linktype in (0, 108):  # DLT_NULL (host order), DLT_LOOP (big endian)
        if len(frame) < 4:
            return None
        return frame[4:]  # family checked via IP version nibble below
    if linktype in (101, 12, 14):  # raw IP
        return frame
    if linktype == 113:  # Linux cooked v1
        return frame[16:] if frame[14:16] in (ETH_IPV4, ETH_IPV6) else None
    if linktype == 276:  # Linux cooked v2
        return frame[20:] if frame[0:2] in (ETH_IPV4, ETH_IPV6) else None
    return None


def _ip_to_tcp(pkt):
    """Return (src, dst, tcp_segment_bytes) or None."""
    if not pkt:
        return None
    ver = pkt[0] >> 4
    if ver == 4:
        if len(pkt) < 20:
            return None
        ihl = (pkt[0] & 0x0F) * 4
        total = struct.unpack_from("!H", pkt, 2)[0]
        frag = struct.unpack_from("!H", pkt, 6)[0]
        if pkt[9] != 6 or (frag & 0x3FFF) != 0:
            return None
        return pkt[12:16], pkt[16:20], pkt[ihl:min(total, len(pkt))]
    if ver == 6:
        if len(pkt) < 40:
            return None
        plen = struct.unpack_from("!H", pkt, 4)[0]
        nh = pkt[6]
        end = min(40 + plen, len(pkt))
        off = 40
        while nh in (0, 43, 60) and off + 8 <= end:
            nh, hlen = pkt[off], (pkt[off + 1] + 1) * 8
            off += hlen
        if nh != 6:
            return None
        return pkt[8:24], pkt[24:40], pkt[off:end]
    return None


def extract_hellos(paths):
    """Distinct complete TLS ClientHello records, in corpus order.

    For every TCP stream towards port 443 the first segment carrying
    payload is examined; it is kept when it starts a TLS handshake record
    (0x16 0x03) of type ClientHello (1) whose record, and the ClientHello
    message inside it, are complete in that one segment.
    """
    hellos = []
    seen_hello = set()
    for path in paths:
        try:
            data = _read_capture_bytes(path)
        except OSError:
            continue
        seen_stream = set()
        for linktype, frame in iter_frames(data):
            ip = _link_to_ip(linktype, frame)
            if ip is None:
                continue
            t = _ip_to_tcp(ip)
            if t is None:
                continue
            src, dst, seg = t
            if len(seg) < 20:
                continue
            sport, dport = struct.unpack_from("!HH", seg, 0)
            if dport != TLS_PORT:
                continue
            doff = (seg[12] >> 4) * 4
            payload = seg[doff:]
            if not payload:
                continue
            key = (src, sport, dst, dport)
            if key in seen_stream:
                continue
            seen_stream.add(key)
            if len(payload) < 9 or payload[0] != 0x16 or payload[1] != 0x03 or payload[5] != 0x01:
                continue
            reclen = struct.unpack_from("!H", payload, 3)[0]
            if len(payload) < 5 + reclen:
                continue
            hslen = int.from_bytes(payload[6:9], "big")
            if 4 + hslen > reclen:
                continue
            rec = bytes(payload[:5 + reclen])
            if rec not in seen_hello:
                seen_hello.add(rec)
                hellos.append(rec)
    return hellos


def hello_info(rec):
    """(first non-GREASE cipher suite, offers TLS 1.3, session id) of a ClientHello record."""
    p = 5 + 4 + 2 + 32
    sid_len = rec[p]
    sid = rec[p + 1:p + 1 + sid_len]
    p += 1 + sid_len
    cs_len = struct.unpack_from("!H", rec, p)[0]
    p += 2
    cipher = 0x002F
    for i in range(p, p + cs_len, 2):
        c = struct.unpack_from("!H", rec, i)[0]
        if (c & 0x0F0F) != 0x0A0A and c != 0x00FF:
            cipher = c
            break
    p += cs_len
    p += 1 + rec[p]  # compression methods
    tls13 = False
    if p + 2 <= len(rec):
        ext_end = min(len(rec), p + 2 + struct.unpack_from("!H", rec, p)[0])
        p += 2
        while p + 4 <= ext_end:
            et, el = struct.unpack_from("!HH", rec, p)
            if et == 43:  # supported_versions
                body = rec[p + 5:p + 4 + el]
                for i in range(0, len(body) - 1, 2):
                    if body[i:i + 2] == b"\x03\x04":
                        tls13 = True
            p += 4 + el
    return cipher, tls13, sid


# --------------------------------------------------------------------------
# Writing the capture.
# --------------------------------------------------------------------------

def _cksum_fold(*parts):
    """Internet checksum of the concatenation of even-length parts."""
    # sum of 16-bit big-endian words == value mod 0xffff (2^16 == 1 mod 0xffff)
    r = 0
    for p in parts:
        r += int.from_bytes(p, "big")
    r %= 0xFFFF
    return 0xFFFF - r if r else 0


_TCPH = struct.Struct("!HHIIHHHH")
_IP4H = struct.Struct("!BBHHHBBH4s4s")
_IP6H = struct.Struct("!IHBB16s16s")


class Endpoint:
    """One side of a TCP connection and its per-direction header state."""

    __slots__ = ("addr", "port", "seq", "tsval", "ipid", "flow_label")

    def __init__(self, addr, port, seq, tsval, ipid, flow_label):
        self.addr = addr
        self.port = port
        self.seq = seq
        self.tsval = tsval
        self.ipid = ipid
        self.flow_label = flow_label


class FlowBuilder:
    def __init__(self, v6, src_mac, dst_mac):
        self.v6 = v6
        self.eth = dst_mac + src_mac + (ETH_IPV6 if v6 else ETH_IPV4)
        self.eth_rev = src_mac + dst_mac + (ETH_IPV6 if v6 else ETH_IPV4)

    def packet(self, frm, to, to_client, flags, ack, win, opts, payload=b""):
        if not flags & ACK:
            ack = 0
        tcp_len = 20 + len(opts) + len(payload)
        hdr = _TCPH.pack(frm.port, to.port, frm.seq, ack,
                         ((20 + len(opts)) // 4) << 12 | flags, win, 0, 0) + opts
        pay_even = payload + b"\0" if len(payload) & 1 else payload
        if self.v6:
            pseudo = frm.addr + to.addr + struct.pack("!IHBB", tcp_len, 0, 0, 6)
            cs = _cksum_fold(pseudo, hdr, pay_even)
            tcp = hdr[:16] + struct.pack("!H", cs) + hdr[18:]
            vtf = (6 << 28) | frm.flow_label
            iph = _IP6H.pack(vtf, tcp_len, 6, 64, frm.addr, to.addr)
        else:
            pseudo = frm.addr + to.addr + struct.pack("!HH", 6, tcp_len)
            cs = _cksum_fold(pseudo, hdr, pay_even)
            tcp = hdr[:16] + struct.pack("!H", cs) + hdr[18:]
            ip0 = _IP4H.pack(0x45, 0, 20 + tcp_len, frm.ipid, 0x4000, 64, 6, 0, frm.addr, to.addr)
            ics = _cksum_fold(ip0)
            iph = ip0[:10] + struct.pack("!H", ics) + ip0[12:]
            frm.ipid = (frm.ipid + 1) & 0xFFFF
        frm.seq = (frm.seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        frm.tsval = (frm.tsval + 1) & 0xFFFFFFFF
        return (self.eth_rev if to_client else self.eth) + iph + tcp + payload


def ts_opt(tsval, tsecr):
    return b"\x01\x01\x08\x0a" + struct.pack("!II", tsval, tsecr)


def syn_opts(mss, tsval, tsecr, wscale):
    # Linux order: MSS, SACK permitted, Timestamps, NOP, Window scale
    return (b"\x02\x04" + struct.pack("!H", mss) + b"\x04\x02"
            + b"\x08\x0a" + struct.pack("!II", tsval, tsecr)
            + b"\x01\x03\x03" + bytes([wscale]))


def tls_records(ctype, total, rng, max_rec=16384):
    """A byte stream of exactly `total` bytes made of TLS records of type ctype."""
    out = []
    left = total
    while left > 0:
        body = min(max_rec + 17, left - 5)
        if body <= 0:  # not enough room for another header: pad the last one
            out[-1] = out[-1] + rng.getrandbits(8 * left).to_bytes(left, "big")
            last = out[-1]
            out[-1] = last[:3] + struct.pack("!H", len(last) - 5) + last[5:]
            break
        out.append(bytes([ctype, 3, 3]) + struct.pack("!H", body)
                   + rng.getrandbits(8 * body).to_bytes(body, "big"))
        left -= 5 + body
    return b"".join(out)


def server_hello_stream(rec, total, rng):
    """ServerHello (+CCS and encrypted-looking records for TLS 1.3) of `total` bytes."""
    cipher, tls13, sid = hello_info(rec)
    rnd = rng.getrandbits(256).to_bytes(32, "big")
    if tls13:
        ks = rng.getrandbits(256).to_bytes(32, "big")
        exts = (b"\x00\x2b\x00\x02\x03\x04"
                + b"\x00\x33\x00\x24\x00\x1d\x00\x20" + ks)
    else:
        exts = b"\xff\x01\x00\x01\x00"  # renegotiation_info
    body = (b"\x03\x03" + rnd + bytes([len(sid)]) + sid + struct.pack("!H", cipher)
            + b"\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    out = b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs
    if tls13:
        out += b"\x14\x03\x03\x00\x01\x01"
    # The rest of the server's flight (certificate etc.) as opaque records, so
    # dissectors do not try to parse made-up certificates.
    return out + tls_records(0x17, total - len(out), rng)


def segments(data, mss, extra_split=None):
    cuts = set(range(mss, len(data), mss))
    if extra_split:
        cuts.add(extra_split)
    cuts = sorted(c for c in cuts if 0 < c < len(data))
    prev = 0
    out = []
    for c in cuts + [len(data)]:
        out.append(data[prev:c])
        prev = c
    return out


class Generator:
    def __init__(self, hellos, seed, split_pct=15, v6_pct=10, bulk_segments=20,
                 handshake_only=False, partial=False):
        self.hellos = hellos
        self.handshake_only = handshake_only
        self.partial = partial
        self.rng = random.Random(seed)
        self.split_pct = split_pct
        self.v6_pct = v6_pct
        self.bulk_segments = bulk_segments
        self.used_tuples = set()
        prng = random.Random(seed ^ 0x5EED)
        # Payload pools are shared by all flows (content is irrelevant to a
        # ClientHello parser, only sizes and record framing matter).
        self.srv_hello = {}
        for i, h in enumerate(hellos):
            size = prng.randint(3000, 5000)
            self.srv_hello[i] = server_hello_stream(h, size, prng)
        self.bulk = {}
        self.client_app = []
        for v6 in (False, True):
            mss = 1428 if v6 else 1448
            self.bulk[v6] = tls_records(0x17, mss * bulk_segments, prng)
        for _ in range(8):
            a = tls_records(0x17, prng.randint(60, 120), prng)
            b = tls_records(0x17, prng.randint(300, 900), prng)
            self.client_app.append((a, b))

    def _client_addr(self, v6):
        rng = self.rng
        while True:
            if v6:
                a = b"\xfd" + rng.getrandbits(120).to_bytes(15, "big")
                if a == SERVER6.packed:
                    continue
            else:
                n = rng.randrange(1, CLIENT4_SIZE - 1)
                a = (CLIENT4_BASE + n).to_bytes(4, "big")
                if a == SERVER4.packed or a[3] in (0, 255):
                    continue
            port = rng.randint(32768, 60999)
            if (a, port) not in self.used_tuples:
                self.used_tuples.add((a, port))
                return a, port

    def flow(self, index):
        """All frames of one flow, in order."""
        rng = self.rng
        v6 = rng.randrange(100) < self.v6_pct
        hid = index % len(self.hellos)
        hello = self.hellos[hid]
        caddr, cport = self._client_addr(v6)
        saddr = SERVER6.packed if v6 else SERVER4.packed
        mss = 1428 if v6 else 1448
        synmss = 1440 if v6 else 1460
        c = Endpoint(caddr, cport, rng.getrandbits(32), rng.getrandbits(32),
                     rng.getrandbits(16), rng.getrandbits(20))
        s = Endpoint(saddr, TLS_PORT, rng.getrandbits(32), rng.getrandbits(32),
                     rng.getrandbits(16), rng.getrandbits(20))
        fb = FlowBuilder(v6, MAC_CLIENT_SIDE, MAC_SERVER_SIDE)
        pk = []
        cwin, swin = 502, 509

        def c2s(flags, payload=b"", opts=None, win=cwin):
            o = ts_opt(c.tsval, s.tsval) if opts is None else opts
            pk.append(fb.packet(c, s, False, flags, s.seq, win, o, payload))

        def s2c(flags, payload=b"", opts=None, win=swin):
            o = ts_opt(s.tsval, c.tsval) if opts is None else opts
            pk.append(fb.packet(s, c, True, flags, c.seq, win, o, payload))

        # three-way handshake
        c2s(SYN, opts=syn_opts(synmss, c.tsval, 0, 7), win=64240)
        s2c(SYN | ACK, opts=syn_opts(synmss, s.tsval, c.tsval, 7), win=65160)
        c2s(ACK)
        if self.partial:
            # the first half of the hello and nothing more: a flow mid-hello
            # until it times out (a memory bench; bench/flows_rss.sh uses gen_live.py)
            c2s(PSH | ACK, hello[:len(hello) // 2])
            return pk
        # ClientHello, sometimes split in two segments
        split = None
        if rng.randrange(100) < self.split_pct:
            split = rng.randint(1, len(hello) - 1)
        for seg in segments(hello, mss, split):
            c2s(PSH | ACK, seg)
        if self.handshake_only:
            # only what a hello costs: no server flight, no data, one FIN
            c2s(FIN | ACK)
            return pk
        s2c(ACK)
        # server flight
        segs = segments(self.srv_hello[hid], mss)
        for i, seg in enumerate(segs):
            s2c(PSH | ACK if i == len(segs) - 1 else ACK, seg)
            if i & 1 or i == len(segs) - 1:
                c2s(ACK)
        # client application data: two segments
        a, b = self.client_app[rng.randrange(len(self.client_app))]
        c2s(PSH | ACK, a)
        c2s(PSH | ACK, b)
        s2c(ACK)
        # server bulk data, client acks every second segment
        bulk = segments(self.bulk[v6], mss)
        for i, seg in enumerate(bulk):
            s2c(PSH | ACK if i == len(bulk) - 1 else ACK, seg)
            if i & 1:
                c2s(ACK)
        # teardown
        c2s(FIN | ACK)
        s2c(FIN | ACK)
        c2s(ACK)
        return pk


def default_corpus():
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "shared", DEFAULT_CORPUS),
                 os.path.join("/work/shared", DEFAULT_CORPUS)):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return os.path.normpath(os.path.join(here, "..", "..", "shared", DEFAULT_CORPUS))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, default=20000, help="number of TCP flows (default 20000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("-o", "--output", default="build/bench/capture.pcap", help="output pcap")
    ap.add_argument("--corpus", default=None,
                    help="directory with *.pcap* files to take ClientHellos from "
                         "(default: shared/testdata/foxio beside the repository)")
    ap.add_argument("--window", type=int, default=64, help="concurrent flows (default 64)")
    ap.add_argument("--split-pct", type=int, default=15,
                    help="percent of flows whose ClientHello is split in two segments")
    ap.add_argument("--ipv6-pct", type=int, default=10, help="percent of IPv6 flows")
    ap.add_argument("--bulk-segments", type=int, default=20,
                    help="full-size server data segments per flow after the handshake (default 20)")
    ap.add_argument("--handshake-only", action="store_true",
                    help="flows of SYN, SYN-ACK, ACK, the hello and a FIN only "
                         "(the per-hello cost bench, bench/perhello.sh)")
    ap.add_argument("--partial-hello", action="store_true",
                    help="flows of SYN, SYN-ACK, ACK and the first half of the hello only: "
                         "every flow stays mid-hello (memory benches)")
    args = ap.parse_args(argv)
    if args.flows < 1 or args.window < 1:
        ap.error("--flows and --window must be positive")

    t0 = time.monotonic()
    corpus = args.corpus or default_corpus()
    paths = sorted(glob.glob(os.path.join(corpus, "*.pcap*")))
    hellos = extract_hellos(paths)
    if not hellos:
        sys.stderr.write("gen_capture: no usable ClientHello found in %s\n" % corpus)
        return 1

    gen = Generator(hellos, args.seed, split_pct=args.split_pct, v6_pct=args.ipv6_pct,
                    bulk_segments=args.bulk_segments, handshake_only=args.handshake_only,
                    partial=args.partial_hello)
    rng = random.Random(args.seed ^ 0x71AE)

    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.output + ".tmp"
    packets = 0
    written = 24
    ts = START_TIME_US
    rec_hdr = struct.Struct("<IIII")
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        active = collections.deque()
        started = 0
        while started < args.flows and len(active) < args.window:
            active.append([gen.flow(started), 0])
            started += 1
        buf = []
        while active:
            fl = active.popleft()
            frames, i = fl
            burst = rng.choice((1, 1, 1, 2, 2, 3))
            for _ in range(burst):
                if i >= len(frames):
                    break
                fr = frames[i]
                i += 1
                ts += rng.randint(30, 70)
                buf.append(rec_hdr.pack(ts // 1000000, ts % 1000000, len(fr), len(fr)))
                buf.append(fr)
                written += 16 + len(fr)
                packets += 1
            if i < len(frames):
                fl[1] = i
                active.append(fl)
            elif started < args.flows:
                # a new connection takes the finished one's place in the window
                active.append([gen.flow(started), 0])
                started += 1
            if len(buf) >= 4096:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
    os.replace(tmp, args.output)
    with open(args.output + ".count", "w") as f:
        f.write("%d\n" % args.flows)
    with open(args.output + ".stats", "w") as f:
        f.write("flows=%d\nhellos=%d\ndistinct_hellos=%d\npackets=%d\nbytes=%d\nseed=%d\n"
                % (args.flows, args.flows, len(hellos), packets, written, args.seed))
    sys.stderr.write(
        "gen_capture: %s: %d flows, %d ClientHellos (%d distinct, from %d files in %s), "
        "%d packets, %d bytes (%.1f MiB) in %.1f s\n"
        % (args.output, args.flows, args.flows, len(hellos), len(paths), corpus,
           packets, written, written / 1048576.0, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
