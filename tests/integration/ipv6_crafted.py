#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ipv6_crafted.py - hand-built IPv6 frames against rcptgate's network layer.

usage: ipv6_crafted.py IFACE CLIENT6 SERVER6 SERVER_MAC

Sends, from a raw AF_PACKET socket on IFACE: a TCP SYN behind a
destination-options header (answered with a SYN-ACK from SERVER6, MSS
1440), a SYN in a fragment, a SYN behind a routing header with segments
left, and a SYN with a bad TCP checksum (none answered). The daemon's
counters, printed at shutdown, are checked by the calling script.
Exits 0 when every answer (or silence) is as expected.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IPV6 = 0x86dd


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def tcp_syn(src, dst, sport, seq, bad_sum=False):
    hdr = struct.pack('!HHIIBBHHH', sport, 25, seq, 0, 6 << 4, 0x02, 65535, 0, 0)
    opts = struct.pack('!BBH', 2, 4, 1440) + b'\x01\x01\x01\x00'
    seg = bytearray(hdr[:12] + bytes([(5 + 2) << 4]) + hdr[13:] + opts)
    ph = src + dst + struct.pack('!IxxxB', len(seg), 6)
    s = 0xffff - csum(ph + bytes(seg))
    if bad_sum:
        s ^= 0x0101
    seg[16:18] = struct.pack('!H', s)
    return bytes(seg)


def frame(my_mac, srv_mac, src, dst, first_nh, body):
    ip = struct.pack('!IHBB', 6 << 28, len(body), first_nh, 64) + src + dst
    return srv_mac + my_mac + struct.pack('!H', ETH_P_IPV6) + ip + body


def main():
    iface, client, server, srv_mac = sys.argv[1:5]
    src = socket.inet_pton(socket.AF_INET6, client)
    dst = socket.inet_pton(socket.AF_INET6, server)
    srv_mac = bytes.fromhex(srv_mac.replace(':', ''))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    my_mac = s.getsockname()[4][:6]
    s.settimeout(0.2)

    def synack_for(sport, wait=2.0):
        end = time.time() + wait
        while time.time() < end:
            try:
                f = s.recv(2048)
            except socket.timeout:
                continue
            if len(f) < 14 + 40 + 20 or struct.unpack('!H', f[12:14])[0] != ETH_P_IPV6:
                continue
            ip, tcp = f[14:54], f[54:]
            if ip[6] != 6 or ip[8:24] != dst or ip[24:40] != src:
                continue
            if struct.unpack('!H', tcp[2:4])[0] != sport:
                continue
            plen = struct.unpack('!H', ip[4:6])[0]
            if csum(ip[8:40] + struct.pack('!IxxxB', plen, 6) + tcp[:plen]) != 0xffff:
                raise SystemExit('FAIL: reply with a bad TCP checksum')
            return tcp
        return None

    fails = 0
    # 1. destination options (PadN, 6 bytes) before TCP: skipped, SYN-ACK back
    syn = tcp_syn(src, dst, 43001, 1000)
    dopt = bytes([6, 0, 1, 4, 0, 0, 0, 0])
    s.send(frame(my_mac, srv_mac, src, dst, 60, dopt + syn))
    r = synack_for(43001)
    if r is None or r[13] != 0x12:
        print('FAIL: no SYN-ACK to a SYN behind destination options')
        fails += 1
    else:
        mss = struct.unpack('!H', r[22:24])[0] if r[20] == 2 else None
        print('dest-opts SYN: SYN-ACK, MSS %s' % mss)
        if mss != 1440:
            print('FAIL: MSS %s over IPv6, expected 1440' % mss)
            fails += 1
        # tidy: reset it
        rst = bytearray(tcp_syn(src, dst, 43001, 1001))
        rst[13] = 0x04
        rst[16:18] = b'\0\0'
        ph = src + dst + struct.pack('!IxxxB', len(rst), 6)
        rst[16:18] = struct.pack('!H', 0xffff - csum(ph + bytes(rst)))
        s.send(frame(my_mac, srv_mac, src, dst, 6, bytes(rst)))
    # 2. a fragment (first of two): dropped
    frag = bytes([6, 0, 0, 1]) + struct.pack('!I', 0x1234)
    s.send(frame(my_mac, srv_mac, src, dst, 44, frag + tcp_syn(src, dst, 43002, 2000)))
    # 3. routing header type 4 with segments left 1: dropped
    rh = bytes([6, 2, 4, 1, 0, 0, 0, 0]) + dst
    s.send(frame(my_mac, srv_mac, src, dst, 43, rh + tcp_syn(src, dst, 43003, 3000)))
    # 4. a bad TCP checksum: dropped
    s.send(frame(my_mac, srv_mac, src, dst, 6, tcp_syn(src, dst, 43004, 4000, bad_sum=True)))
    for port, what in ((43002, 'fragment'), (43003, 'routing header'), (43004, 'bad checksum')):
        if synack_for(port, 0.7) is not None:
            print('FAIL: a SYN in a %s was answered' % what)
            fails += 1
        else:
            print('%s: no answer' % what)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
