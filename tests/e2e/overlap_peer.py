#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The two ends of the overlap evasion test (tests/e2e/run_overlap.sh).

server CERT KEY ADDR PORT SNI_FILE READY_FILE
    A TLS server on Python's ssl (OpenSSL): it writes the server name its
    TLS stack read from the ClientHello to SNI_FILE, then serves no more.

client SRC DST PORT IFACE SCENARIO
    A TCP connection made by hand from SRC, an address the client's
    namespace does not own (so its kernel sends no RST for a connection it
    does not know): SYN, the SYN-ACK read off IFACE, ACK, then
    overlap: bytes 20.. of a ClientHello for evil.example (out of order),
        then a whole other ClientHello for good.example in order. The
        server's kernel keeps the in-order bytes; so must the sensor.
    early: the ClientHello for good.example in a segment that starts 5
        bytes before the stream start; the server's kernel takes the bytes
        from the start on; so must the sensor.
    noack, badack, md5, ipcsum, lsrr: insertion. A whole ClientHello for
        evil.example in order, in a segment the server's kernel drops
        (no ACK flag; an ACK of data the server never sent; a TCP MD5
        signature option; an IPv4 header checksum that is wrong, sent as
        an Ethernet frame since raw IP sockets fix checksums; a loose
        source route IP option), then the
        ClientHello for good.example in order. The sensor must drop the
        first as the server does.
    dups: the first 100 bytes of the good.example hello 150 times, then the
        whole hello: copies of bytes the server holds in order change
        nothing it reads, and must not make the sensor give up the flow.
    paws: timestamps on (the SYN carries one, so the SYN-ACK does); the
        evil.example hello with a timestamp older than the SYN's (PAWS
        drops it), then the good one with a later one.
    resyn: after the handshake, a SYN with another ISN (Linux answers with
        a challenge ACK and keeps the connection), then the good hello on
        the first sequence numbers.
    reconnect: timestamps on; an RST at the next byte with a timestamp older
        than the SYN's (the established connection takes it: PAWS spares
        RSTs there), then a new connection from the same port with another
        ISN and the good.example hello. The sensor refuses that RST (before
        the handshake's last ACK Linux would too) and must follow the
        server's SYN-ACK onto the new connection.
    rst: the first 50 bytes of the good.example hello, an RST 1000 bytes
        past the next byte (Linux answers with a challenge ACK and the
        connection lives on, RFC 5961), then the rest of the hello.
    earlycopy: the first 40 bytes of the good.example hello in a segment
        that starts 5 bytes before the stream start, then a copy of the
        stream start that holds a record header for a 4-byte record (the
        server keeps the first copy), then the rest of the hello.
    urgcap: 100 bare URG ACKs that end before the next byte (the server
        drops them), then one whose urgent pointer marks the stream's first
        byte, then b"Z" and the good.example hello: the server's reader
        skips the Z, and so must the sensor, past any cap on URG ACKs.
    forged: first a blind spoofer next to the server: a SYN from FORGED
        (198.19.90.9, spoofed), a SYN-ACK forged with the server's address
        and an ISN of its choosing sent to the server's interface, then the
        evil.example hello acknowledging that ISN + 1. Only a SYN-ACK that
        leaves the server may validate a hello: the evil one must not be
        validated. Then the good.example hello on the real connection.
    forgedfrag: the same, the forged SYN-ACK in two IPv4 fragments (which
        the capture filter and the kernel program pass up as fragments).
    forgedtun: the same, the forged SYN-ACK inside IPv6 (IPv4 in IPv6,
        behind a hop-by-hop header), as a host anywhere could send it.
    fragrev: three spoofed hellos (no handshake, from 198.19.91.0/24) to
        empty the sensor's unvalidated bucket, then the good.example hello
        in IPv4 fragments of 128 bytes, the last one first: the server
        rebuilds it; the fragments before the first one carry no ports
        and cannot be judged, and must not need tokens.
"""
import os
import select
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from packets import hello, ipv4_fragments, ipv4_tcp  # noqa: E402


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
    # Until a hello was read (a scenario may reset its first connection).
    for _ in range(3):
        conn, _ = ls.accept()
        conn.settimeout(5)
        try:
            ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            pass  # the client never finishes the handshake
        if os.path.exists(sni_file):
            break


def segment(src, dst, sport, dport, flags, seq, ack, payload=b"", opts=b"", ip_csum_xor=0,
            ip_opts=b"", urg=0):
    return ipv4_tcp(src, dst, sport, dport, flags, seq, ack, payload, opts, ip_opts,
                    (lambda right: right ^ ip_csum_xor) if ip_csum_xor else None, urg)


def synack(rx, src, dst, sport, dport, deadline):
    """The server's SYN-ACK off the wire: (its sequence number, the frame's
    Ethernet header turned around, to send frames to the server)."""
    while time.time() < deadline:
        r, _, _ = select.select([rx], [], [], 0.2)
        if not r:
            continue
        frame = rx.recv(65535)
        ip = frame[14:]
        if len(ip) < 40 or ip[9] != 6:
            continue
        if ip[12:16] != socket.inet_aton(dst) or ip[16:20] != socket.inet_aton(src):
            continue
        t = ip[(ip[0] & 15) * 4:]
        p_s, p_d, seq = struct.unpack("!HHI", t[:8])
        if p_s == dport and p_d == sport and t[13] & 0x12 == 0x12:
            return seq, frame[6:12] + frame[0:6] + b"\x08\x00"
    raise SystemExit("no SYN-ACK")


def client(src, dst, port, iface, scenario):
    dport, sport, isn = int(port), 40000 + os.getpid() % 20000, 0x1000
    evil, good = hello("evil.example"), hello("good.example")
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((iface, 0))
    send = lambda pkt: tx.sendto(pkt, (dst, 0))
    tsval = 1000000
    ts = lambda v: (b"\x01\x01\x08\x0a" + struct.pack("!II", v, 0)
                    if scenario in ("paws", "reconnect") else b"")
    send(segment(src, dst, sport, dport, 0x02, isn, 0, opts=b"\x02\x04\x05\xb4" + ts(tsval)))
    srv, ether = synack(rx, src, dst, sport, dport, time.time() + 5)
    ack = srv + 1
    send(segment(src, dst, sport, dport, 0x10, isn + 1, ack, opts=ts(tsval)))
    time.sleep(0.05)
    # The fake hello of each insertion, in a segment the server drops.
    insert = {
        "noack": lambda: send(segment(src, dst, sport, dport, 0x08, isn + 1, 0, evil)),
        "badack": lambda: send(segment(src, dst, sport, dport, 0x18, isn + 1, ack + 1000, evil)),
        "md5": lambda: send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, evil,
                                    opts=b"\x01\x01\x13\x12" + os.urandom(16))),
        "ipcsum": lambda: rx.send(ether + segment(src, dst, sport, dport, 0x18, isn + 1, ack, evil,
                                                  ip_csum_xor=0x5555)),
        # a loose source route through the server itself (accept_source_route 0)
        "lsrr": lambda: rx.send(ether + segment(src, dst, sport, dport, 0x18, isn + 1, ack, evil,
                                                ip_opts=b"\x83\x07\x04" + socket.inet_aton(dst) + b"\x00")),
    }
    if scenario in ("forged", "forgedfrag", "forgedtun"):
        fsrc, fport, fisn, forged = "198.19.90.9", sport + 1, 0x7000, 0x0BAD0000
        send(segment(fsrc, dst, fport, dport, 0x02, fisn, 0, opts=b"\x02\x04\x05\xb4"))
        time.sleep(0.05)
        sa = segment(dst, fsrc, dport, fport, 0x12, forged, fisn + 1, opts=b"\x02\x04\x05\xb4")
        if scenario == "forgedtun":
            # IPv4 in IPv6, behind a hop-by-hop header (PadN): sent from
            # anywhere, passed by the clause for extension headers.
            hbh = b"\x04\x00\x01\x04\x00\x00\x00\x00"
            outer = (b"\x60\0\0\0" + struct.pack("!HBB", len(hbh) + len(sa), 0, 64) +
                     socket.inet_pton(socket.AF_INET6, "fd00:90::9") +
                     socket.inet_pton(socket.AF_INET6, "fd00:90::1"))
            rx.send(ether[:12] + b"\x86\xdd" + outer + hbh + sa)
        for part in ([] if scenario == "forgedtun" else
                     ipv4_fragments(sa, 16) if scenario == "forgedfrag" else [sa]):
            rx.send(ether + part)
        time.sleep(0.05)
        send(segment(fsrc, dst, fport, dport, 0x18, fisn + 1, forged + 1, evil))
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    elif scenario == "fragrev":
        for i in range(3):
            send(segment("198.19.91.%d" % (i + 1), dst, 41000 + i, dport, 0x18, 0x5000, 1, evil))
        time.sleep(0.1)
        for part in reversed(ipv4_fragments(segment(src, dst, sport, dport, 0x18, isn + 1, ack,
                                                    good), 128)):
            rx.send(ether + part)
            time.sleep(0.01)
    elif scenario == "earlycopy":
        send(segment(src, dst, sport, dport, 0x18, isn + 1 - 5, ack, b"\xee" * 5 + good[:40]))
        time.sleep(0.1)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack,
                     b"\x16\x03\x01\x00\x04\x01\x00\x00\x00"))
        time.sleep(0.1)
        send(segment(src, dst, sport, dport, 0x18, isn + 1 + 40, ack, good[40:]))
    elif scenario == "early":
        send(segment(src, dst, sport, dport, 0x18, isn + 1 - 5, ack, b"\xee" * 5 + good))
    elif scenario in insert:
        insert[scenario]()
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    elif scenario == "paws":
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, evil, opts=ts(tsval - 1000)))
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good, opts=ts(tsval + 10)))
    elif scenario == "resyn":
        send(segment(src, dst, sport, dport, 0x02, isn + 50000, 0, opts=b"\x02\x04\x05\xb4"))
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    elif scenario == "reconnect":
        send(segment(src, dst, sport, dport, 0x14, isn + 1, ack, opts=ts(tsval - 1000)))
        time.sleep(0.2)
        isn += 70000
        send(segment(src, dst, sport, dport, 0x02, isn, 0, opts=b"\x02\x04\x05\xb4" + ts(tsval + 5)))
        srv, ether = synack(rx, src, dst, sport, dport, time.time() + 5)
        ack = srv + 1
        send(segment(src, dst, sport, dport, 0x10, isn + 1, ack, opts=ts(tsval + 6)))
        time.sleep(0.05)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good, opts=ts(tsval + 7)))
    elif scenario == "rst":
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good[:50]))
        time.sleep(0.1)
        send(segment(src, dst, sport, dport, 0x14, isn + 1 + 50 + 1000, ack))
        time.sleep(0.1)
        send(segment(src, dst, sport, dport, 0x18, isn + 1 + 50, ack, good[50:]))
    elif scenario == "urgcap":
        for _ in range(100):  # before the next byte: the server drops them
            send(segment(src, dst, sport, dport, 0x30, isn, ack, urg=1))
        send(segment(src, dst, sport, dport, 0x30, isn + 1, ack, urg=1))  # byte 0 is urgent
        time.sleep(0.1)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, b"Z" + good))
    elif scenario == "dups":
        for _ in range(150):
            send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good[:100]))
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    else:
        send(segment(src, dst, sport, dport, 0x18, isn + 1 + 20, ack, evil[20:]))
        time.sleep(0.2)
        send(segment(src, dst, sport, dport, 0x18, isn + 1, ack, good))
    time.sleep(1.5)
    send(segment(src, dst, sport, dport, 0x14, isn + 1 + max(len(good), len(evil)) +
                 (scenario == "urgcap"), ack))
    print("%s: evil %d bytes, good %d bytes" % (scenario, len(evil), len(good)))


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](*sys.argv[2:])
