#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A UDP relay that delays what clients send, for bench/quic_flood.sh.

    udp_delay.py DELAY_MS LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT

Datagrams a client sends to LISTEN_ADDR:LISTEN_PORT go to the server
DELAY_MS later, from a socket of their own per client (bound to
LISTEN_ADDR, a port of the kernel's choosing); the server's go back to the
client at once. So a client on this host looks, to the server and to a
sensor beside it, like one DELAY_MS away: its answer to the server's first
packet comes a round trip later (this kernel has no netem). Runs until
killed. Python 3 standard library only.
"""
import heapq
import itertools
import select
import socket
import sys
import time


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    delay = float(sys.argv[1]) / 1000
    listen = (sys.argv[2], int(sys.argv[3]))
    server = (sys.argv[4], int(sys.argv[5]))
    down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    down.bind(listen)
    ups, back = {}, {}      # client address -> its socket; socket -> client
    due, seq = [], itertools.count()
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        ready, _, _ = select.select([down] + list(back), [], [], timeout)
        for s in ready:
            data, addr = s.recvfrom(65535)
            if s is down:
                up = ups.get(addr)
                if up is None:
                    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    up.bind((listen[0], 0))
                    ups[addr], back[up] = up, addr
                heapq.heappush(due, (time.monotonic() + delay, next(seq), up, data))
            else:
                down.sendto(data, back[s])
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, up, data = heapq.heappop(due)
            up.sendto(data, server)


if __name__ == "__main__":
    main()
