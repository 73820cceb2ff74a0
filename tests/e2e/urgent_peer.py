#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Peers of run_urgent.sh: a client that slips a TCP urgent byte into its
ClientHello, and a Python ssl server that logs the SNI of each handshake it
completes.

  urgent_peer.py server CERT KEY ADDR PORT COUNT SNI_FILE READY
  urgent_peer.py client ADDR PORT POS...

The client makes one connection per POS, each with the SNI
p<POS>.urg.example: "plain" sends the hello as it is; a number N sends its
first N bytes, then b"Z" with MSG_OOB (Linux sends it with URG, the urgent
pointer on it), then the rest; "last" is N = the hello's length - 1. The
hello comes from ssl.SSLObject over a MemoryBIO and the handshake is
completed through it, so the server's OpenSSL must read the hello without
the urgent byte (its socket is not SO_OOBINLINE) for it to succeed.
"""
import socket
import ssl
import sys


def server(cert, key, addr, port, count, sni_file, ready):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    seen = {}

    def on_sni(sslobj, name, context):
        seen["name"] = name or ""

    ctx.sni_callback = on_sni
    ls = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(8)
    ls.settimeout(20)
    open(ready, "w").write("1")
    for _ in range(int(count)):
        conn, _ = ls.accept()
        conn.settimeout(5)
        seen.clear()
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            with open(sni_file, "a") as f:
                f.write(seen.get("name", "") + "\n")
            tls.close()
        except (OSError, ssl.SSLError) as e:
            print("handshake failed: %s" % e, file=sys.stderr)
            conn.close()


def connect(addr, port, pos):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="p%s.urg.example" % pos)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if pos == "plain":
        s.sendall(hello)
    else:
        n = len(hello) - 1 if pos == "last" else int(pos)
        s.sendall(hello[:n])
        s.send(b"Z", socket.MSG_OOB)
        s.sendall(hello[n:])
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            data = out.read()
            if data:
                s.sendall(data)
            chunk = s.recv(65536)
            if not chunk:
                print("p%s: server closed during the handshake" % pos)
                return False
            inc.write(chunk)
    data = out.read()
    if data:
        s.sendall(data)
    s.close()
    print("p%s: handshake complete (hello %d bytes)" % (pos, len(hello)))
    return True


def client(addr, port, positions):
    ok = True
    for pos in positions:
        ok = connect(addr, port, pos) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(*sys.argv[2:9])
    else:
        client(sys.argv[2], sys.argv[3], sys.argv[4:])
