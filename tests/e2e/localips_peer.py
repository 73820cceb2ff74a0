#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Peers for tests/e2e/run_localips.sh (standard library only).

  listen ADDR PORT READYFILE   accept and discard, forever; READYFILE once bound
  hello HOST PORT              connect, send the Firefox ClientHello of
                               tests/data/hello_firefox_tls12.h, close;
                               exit 1 if the connection fails
"""
import os
import re
import socket
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_hello():
    text = open(os.path.join(ROOT, "tests", "data", "hello_firefox_tls12.h")).read()
    body = text[text.index("{") + 1:text.index("}")]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body))


def drain(c):
    try:
        c.settimeout(5)
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


def cmd_listen(addr, port, ready):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    open(ready, "w").close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def cmd_hello(host, port):
    try:
        with socket.create_connection((host, int(port)), timeout=3) as s:
            s.sendall(load_hello())
            s.shutdown(socket.SHUT_WR)
            s.settimeout(1)
            try:
                s.recv(1)
            except OSError:
                pass
    except OSError as e:
        print(f"hello to {host}:{port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        cmd_listen(*sys.argv[2:5])
    sys.exit(cmd_hello(*sys.argv[2:4]))
