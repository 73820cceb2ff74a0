#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Write a classic pcap to stdout slowly, as tcpdump -w - would: the file
header, then the packets of SRC COPIES times, sleeping DELAY seconds after
each copy; then, when MARK is given, create the file MARK (the writer is
done). For the streaming and progress tests of --read.
    slow_pcap.py SRC COPIES DELAY [MARK]"""
import struct
import sys
import time

src, copies, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = open(src, "rb").read()
magic = data[:4]
assert magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                 b"\xa1\xb2\x3c\x4d"), "classic pcap only"
end = "<" if magic[0] in (0xd4, 0x4d) else ">"
packets, off = [], 24
while off + 16 <= len(data):
    caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
    packets.append(data[off:off + 16 + caplen])
    off += 16 + caplen
out = sys.stdout.buffer
out.write(data[:24])
for _ in range(copies):
    for p in packets:
        out.write(p)
    out.flush()
    time.sleep(delay)
out.close()
if len(sys.argv) > 4:
    open(sys.argv[4], "w").close()
