# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Packets for tests that write their own: a real ClientHello from Python's
ssl, and IPv4/TCP segments built by hand, so a test can set what a stack
would not (flags, options, checksums). Used by tests/e2e/overlap_peer.py and
tests/corpus/run_ipcsum_read.py."""
import socket
import ssl
import struct


def hello(name):
    """The ClientHello Python's ssl (OpenSSL) sends for server name `name`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def inet_sum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, flags, seq, ack, payload=b"", opts=b"", ip_opts=b"",
             ip_sum=None, urg=0):
    """An IPv4 packet holding one TCP segment, both checksums right; ip_sum,
    when given, is a function of the right IPv4 header sum giving the one
    to write (a wrong one, or 0 as a sender with offload leaves it); urg,
    the urgent pointer."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (20 + len(opts)) // 4 << 4, flags, 64240, 0, urg) + opts + payload
    tcp = tcp[:16] + struct.pack("!H", inet_sum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) +
                                                tcp)) + tcp[18:]
    hl = 20 + len(ip_opts)
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(tcp), 1, 0x4000, 64, 6, 0,
                     s, d) + ip_opts
    right = inet_sum(ip)
    return ip[:10] + struct.pack("!H", ip_sum(right) if ip_sum else right) + ip[12:] + tcp


def ipv4_udp(src, dst, sport, dport, payload):
    """An IPv4 packet holding one UDP datagram, both checksums right."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = inet_sum(s + d + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, s, d)
    return ip[:10] + struct.pack("!H", inet_sum(ip)) + ip[12:] + udp


def ipv4_fragments(pkt, cut):
    """An IPv4 packet as fragments of cut bytes of its payload each (a
    multiple of 8; the last one the rest), in order, each header's sum
    right."""
    ihl = (pkt[0] & 15) * 4
    out = []
    body = pkt[ihl:]
    for off in range(0, len(body), cut):
        data, mf = body[off:off + cut], 0x2000 if off + cut < len(body) else 0
        h = bytearray(pkt[:ihl])
        h[2:4] = struct.pack("!H", ihl + len(data))
        h[6:8] = struct.pack("!H", mf | off // 8)
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", inet_sum(bytes(h)))
        out.append(bytes(h) + data)
    return out
