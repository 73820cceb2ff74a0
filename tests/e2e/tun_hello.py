#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Open a tun device j4etun (no link-layer header), give it 198.18.0.1/24,
signal readiness by writing argv[1], then inject a SYN and a ClientHello
from 198.18.0.2:40000 to :443 as if they had arrived on the device."""
import fcntl, os, struct, re, time, sys, socket
TUNSETIFF = 0x400454ca
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"j4etun", IFF_TUN | IFF_NO_PI))
os.system("ip addr add 198.18.0.1/24 dev j4etun; ip link set j4etun up")
open(sys.argv[1], "w").write("1")
time.sleep(1.5)
text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "hello_firefox_tls12.h")).read()
hello = bytes(int(x,16) for x in re.findall(r"0x([0-9a-fA-F]{2})", text[text.index("{")+1:text.index("}")]))
def csum(b):
    if len(b)%2: b+=b"\0"
    s=sum(struct.unpack("!%dH"%(len(b)//2), b)); s=(s>>16)+(s&0xffff); s+=s>>16; return ~s&0xffff
def pkt(flags, seq, payload=b"", opts=b""):
    src, dst = socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.0.1")
    doff = (20+len(opts))//4
    tcp = struct.pack("!HHIIBBHHH", 40000, 443, seq, 0, doff<<4, flags, 64240, 0, 0) + opts + payload
    ph = src+dst+struct.pack("!BBH",0,6,len(tcp))
    tcp = tcp[:16]+struct.pack("!H",csum(ph+tcp))+tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s",0x45,0,20+len(tcp),1,0x4000,64,6,0,src,dst)
    ip = ip[:10]+struct.pack("!H",csum(ip))+ip[12:]
    return ip+tcp
os.write(fd, pkt(0x02, 1000, opts=b"\x02\x04\x05\xb4"))
time.sleep(0.01)
os.write(fd, pkt(0x18, 1001, hello))
time.sleep(1)
