#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The two ends of the IPv4 header checksum evasion test (run_ipcsum.sh).

server CERT KEY ADDR PORT SNI_FILE READY_FILE
    A TLS server on Python's ssl (OpenSSL): it writes the server name its
    TLS stack read from the ClientHello to SNI_FILE, then serves no more.

client SRC DST PORT IFACE DST_MAC
    A TCP connection made by hand from SRC, an address the client's
    namespace does not own (its kernel sends no RST for a connection it
    does not know), in Ethernet frames written to IFACE (a raw IP socket
    would have the kernel set the IPv4 header checksum): SYN, the SYN-ACK
    read off IFACE, ACK, then a ClientHello for evil.example in order in
    an IPv4 packet whose header checksum is wrong, then the ClientHello for
    good.example at the same sequence number with a right one. The
    server's kernel drops the first (ip_rcv_core()) and reads the second;
    so must the sensor.
"""
import os
import select
import socket
import ssl
import struct
import sys
import time


def server(cert, key, addr, port, sni_file, ready):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def on_sni(sslobj, name, context):
        with open(sni_file, "w") as f:
            f.write(name or "")

    ctx.sni_callback = on_sni
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(4)
    ls.settimeout(20)
    open(ready, "w").write("1")
    conn, _ = ls.accept()
    conn.settimeout(5)
    try:
        ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError):
        pass  # the client never finishes the handshake


def hello(name):
    """The first flight of a TLS client for name: its ClientHello record."""
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
    """RFC 1071 checksum of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, flags, seq, ack, payload=b"", bad_ip_sum=False):
    """An IPv4 TCP packet, both checksums right unless bad_ip_sum."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 64240, 0, 0) + payload
    tsum = inet_sum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", tsum) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, s, d)
    isum = inet_sum(ip) ^ (0x5555 if bad_ip_sum else 0)
    return ip[:10] + struct.pack("!H", isum) + ip[12:] + tcp


def synack(rx, src, dst, sport, dport, deadline):
    """The server's SYN-ACK off the wire: its sequence number."""
    while time.time() < deadline:
        r, _, _ = select.select([rx], [], [], 0.2)
        if not r:
            continue
        ip = rx.recv(65535)[14:]
        if len(ip) < 40 or ip[9] != 6:
            continue
        if ip[12:16] != socket.inet_aton(dst) or ip[16:20] != socket.inet_aton(src):
            continue
        t = ip[(ip[0] & 15) * 4:]
        p_s, p_d, seq = struct.unpack("!HHI", t[:8])
        if p_s == dport and p_d == sport and t[13] & 0x12 == 0x12:
            return seq
    raise SystemExit("no SYN-ACK")


def client(src, dst, port, iface, dst_mac):
    dport, sport, isn = int(port), 40000 + os.getpid() % 20000, 0x2000
    evil, good = hello("evil.example"), hello("good.example")
    with open("/sys/class/net/%s/address" % iface) as f:
        own = bytes.fromhex(f.read().strip().replace(":", ""))
    eth = bytes.fromhex(dst_mac.replace(":", "")) + own + b"\x08\x00"
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((iface, 0))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((iface, 0))

    def send(pkt):
        tx.send(eth + pkt)

    send(segment(src, dst, sport, dport, 0x02, isn, 0))
    ack = synack(rx, src, dst, sport, dport, time.time() + 5) + 1
    send(segment(src, dst, sport, dport, 0x10, isn + 1, ack))
    time.sleep(0.05)
    send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, evil, bad_ip_sum=True))
    time.sleep(0.2)
    send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    time.sleep(1.5)
    send(segment(src, dst, sport, dport, 0x14, isn + 1 + len(good), ack))
    print("evil %d bytes (bad IPv4 header checksum), good %d bytes" % (len(evil), len(good)))


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](*sys.argv[2:])
