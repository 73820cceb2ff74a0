#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The TLS server the live tests' clients talk to (standard library only).

  tls_server.py CERT KEY PORT [--host ADDR] [--mode ok|www|echo]
                [--root DIR] [--timeout SECONDS]

--host: the address to listen on; default "::", dual stack (IPv4 too).
--mode: what a connection gets after its handshake:
  ok    (default) reads an HTTP request head, answers 200 "ok"
  www   reads an HTTP request head, answers GET /NAME with the file NAME
        under --root (default: the working directory), else 404
  echo  sends back every byte it reads, until the client closes (an
        upload reads its own bytes back)
--timeout: how long one connection may stay idle (default 5 s).

Why not `openssl s_server`: it serves one connection at a time, blocking,
with no timeout, so one client whose end never reaches it (a client gone
silent after its handshake, or an RST lost to a flood: RSTs are not sent
again) holds it for the rest of the run, and every later client fails,
unseen by a test that only counts records. Here each connection has its
own thread and an idle timeout, as in a real server; a client that stalls
costs one thread until its timeout. A client that sends nothing and closes
(openssl s_client </dev/null) is served like any other.
"""
import os
import socket
import socketserver
import ssl
import sys

USAGE = __doc__.split("\n\n")[1]


def parse(argv):
    if len(argv) < 3:
        raise SystemExit(USAGE)
    opts = {"--host": "::", "--mode": "ok", "--root": ".", "--timeout": "5"}
    rest = argv[3:]
    if len(rest) % 2 or any(k not in opts for k in rest[::2]):
        raise SystemExit(USAGE)
    opts.update(zip(rest[::2], rest[1::2]))
    if opts["--mode"] not in ("ok", "www", "echo"):
        raise SystemExit(USAGE)
    return argv[0], argv[1], int(argv[2]), opts


def read_head(s):
    """The request head (up to the blank line), or None if the client
    closed before it."""
    req = b""
    while b"\r\n\r\n" not in req and len(req) < 65536:
        d = s.recv(4096)
        if not d:
            return None
        req += d
    return req


def answer(s, mode, root, req):
    if mode == "ok":
        # Something to answer, so that curl exits 0.
        s.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        return
    parts = req.split(b"\r\n", 1)[0].split()
    name = parts[1].decode("latin-1").lstrip("/") if len(parts) > 1 else ""
    path = os.path.join(root, name)
    if parts[:1] != [b"GET"] or not name or ".." in name.split("/") or not os.path.isfile(path):
        s.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        s.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        while True:
            d = f.read(1 << 16)
            if not d:
                break
            s.sendall(d)


def make_handler(ctx, mode, root, timeout):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(timeout)
            try:
                with ctx.wrap_socket(self.request, server_side=True) as s:
                    if mode == "echo":
                        while True:
                            d = s.recv(65536)
                            if not d:
                                return
                            s.sendall(d)
                    req = read_head(s)
                    if req is None:
                        return
                    answer(s, mode, root, req)
                    # Until the client closes: a close with its bytes
                    # unread would be a RST, which may cut the answer.
                    while s.recv(4096):
                        pass
            except (OSError, ValueError):
                pass  # the client's problem (or a timeout): it counts it

    return Handler


def main(argv):
    cert, key, port, opts = parse(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    host = opts["--host"]
    v6 = ":" in host

    class Server(socketserver.ThreadingTCPServer):
        address_family = socket.AF_INET6 if v6 else socket.AF_INET
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 1024

        def server_bind(self):
            if v6:
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                       0 if host == "::" else 1)
            super().server_bind()

    handler = make_handler(ctx, opts["--mode"], opts["--root"], float(opts["--timeout"]))
    with Server((host, port), handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
