#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ipv6_crafted.py - hand-built IPv6 frames against rcptgate's network layer.

usage: ipv6_crafted.py IFACE CLIENT6 SERVER6 SERVER_MAC

Sends, from a raw AF_PACKET socket on IFACE, TCP SYNs behind extension
headers that are skipped (destination options, hop-by-hop, routing with
no segments left, a chain of four: each answered with a SYN-ACK from
SERVER6, MSS 1440, then reset) and SYNs that must be dropped, each for
its own reason (fragment, routing with segments left, five headers,
hop-by-hop out of place, a header cut short, a bad TCP checksum) and a
UDP datagram: none answered. The daemon's counters, printed at shutdown,
are checked by the calling script against the counts given in main().
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

    def ext(nh, body6):
        """An extension header: next header NH, BODY6 padded to 6 + 8k bytes."""
        body6 += bytes((-len(body6) - 2) % 8)
        return bytes([nh, (len(body6) + 2) // 8 - 1]) + body6

    def padn():
        return bytes([1, 4, 0, 0, 0, 0])  # PadN option, 6 bytes

    def rst(sport, seq):
        r = bytearray(tcp_syn(src, dst, sport, seq))
        r[13] = 0x04
        r[16:18] = b'\0\0'
        ph = src + dst + struct.pack('!IxxxB', len(r), 6)
        r[16:18] = struct.pack('!H', 0xffff - csum(ph + bytes(r)))
        s.send(frame(my_mac, srv_mac, src, dst, 6, bytes(r)))

    def answered(what, sport, first_nh, hdrs, check_mss=False):
        nonlocal fails
        s.send(frame(my_mac, srv_mac, src, dst, first_nh, hdrs + tcp_syn(src, dst, sport, sport * 10)))
        r = synack_for(sport)
        if r is None or r[13] != 0x12:
            print('FAIL: no SYN-ACK to a SYN behind %s' % what)
            fails += 1
            return
        mss = struct.unpack('!H', r[22:24])[0] if r[20] == 2 else None
        print('%s: SYN-ACK, MSS %s' % (what, mss))
        if check_mss and mss != 1440:
            print('FAIL: MSS %s over IPv6, expected 1440' % mss)
            fails += 1
        rst(sport, sport * 10 + 1)  # tidy: the connection goes

    silent = []

    def dropped(what, sport, first_nh, hdrs, bad_sum=False):
        body = hdrs + tcp_syn(src, dst, sport, sport * 10, bad_sum=bad_sum)
        s.send(frame(my_mac, srv_mac, src, dst, first_nh, body))
        silent.append((sport, what))

    # Skipped (each header counted in ip6_ext_skipped), then a SYN-ACK:
    # destination options (1), hop-by-hop (1), routing with no segments
    # left (1), a chain of four: hop-by-hop, destination options,
    # routing, destination options (4). 7 skipped.
    answered('destination options', 43001, 60, ext(6, padn()), check_mss=True)
    answered('hop-by-hop options', 43011, 0, ext(6, padn()))
    answered('routing, segments left 0', 43012, 43, ext(6, bytes([4, 0, 0, 0, 0, 0]) + dst))
    answered('a chain of four', 43013, 0,
             ext(60, padn()) + ext(43, padn()) + ext(60, bytes([4, 0, 0, 0, 0, 0]) + dst) + ext(6, padn()))
    # Dropped, each by its counter (and headers skipped before the drop):
    # fragment first (drop_ip6_fragment), fragment after hop-by-hop (the
    # same, 1 skipped), routing with segments left (drop_ip6_routing),
    # five headers (drop_ip6_ext_chain, 4 skipped), hop-by-hop after
    # destination options (drop_ip6_header, 1 skipped), a header longer
    # than the packet (drop_ip6_header), UDP (drop_ip6_proto), a bad TCP
    # checksum (tcp_drop_checksum). 13 skipped in all.
    frag = bytes([6, 0, 0, 1]) + struct.pack('!I', 0x1234)
    dropped('fragment', 43002, 44, frag)
    dropped('fragment after hop-by-hop', 43021, 0, ext(44, padn()) + frag)
    dropped('routing header, segments left 1', 43003, 43, ext(6, bytes([4, 1, 0, 0, 0, 0]) + dst))
    dropped('a chain of five', 43022, 0, ext(60, padn()) + ext(60, padn()) + ext(60, padn()) +
            ext(60, padn()) + ext(6, padn()))
    dropped('hop-by-hop after destination options', 43023, 60, ext(0, padn()) + ext(6, padn()))
    dropped('a header cut short', 43024, 60, bytes([6, 9]) + padn())
    udp = struct.pack('!HHHH', 43025, 25, 8, 0)
    s.send(frame(my_mac, srv_mac, src, dst, 17, udp))
    dropped('bad checksum', 43004, 6, b'', bad_sum=True)
    for port, what in silent:
        if synack_for(port, 0.5) is not None:
            print('FAIL: a SYN behind %s was answered' % what)
            fails += 1
        else:
            print('%s: no answer' % what)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
