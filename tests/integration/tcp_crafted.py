#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tcp_crafted.py - crafted TCP segments against rcptgate (run in the client netns).

usage: tcp_crafted.py IFACE SERVER_IP SERVER_MAC SUBNET [CASE...]

Each case plays a client from its own spoofed address SUBNET.(100+n), or
SUBNET(0x100+n) when SERVER_IP is an IPv6 address and SUBNET a prefix such
as fd00:1:2:: (the kernel of the namespace does not own it, so it neither
answers nor resets what rcptgate sends back), sends segments built with
scapy through a raw packet socket and checks rcptgate's answers. Prints
PASS/FAIL per case and exits 1 if any failed. The cases run by default
are the case_* functions but syn_cookie, which must be named: it fills
the SYN-RECEIVED table (SYN_BACKLOG in the environment, default 1024,
tcp_syn_backlog's default) from spoofed sources, one per /64 over IPv6 so
that no per-source cap stops them first, then completes a handshake: the
caller checks tcp_syncookies_sent and tcp_syncookies_valid.
"""
import os
import random
import select
import socket
import sys
import time

from scapy.all import Ether, IP, IPOption, IPv6, TCP, Raw  # noqa: E402

ETH_P_ALL = 3
PACKET_OUTGOING = 4


class Wire:
    def __init__(self, iface, server, server_mac):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((iface, 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.mac = open('/sys/class/net/%s/address' % iface).read().strip()
        self.server = server
        self.server_mac = server_mac
        self.l3 = IPv6 if ':' in server else IP

    def send(self, pkt):
        self.s.send(bytes(Ether(src=self.mac, dst=self.server_mac) / pkt))

    def recv(self, client, port, timeout):
        """Next TCP segment from the server to (client, port), or None."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            data, addr = self.s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            p = Ether(data)
            if self.l3 in p and TCP in p and p[self.l3].src == self.server \
                    and p[self.l3].dst == client and p[TCP].dport == port:
                return p


class Client:
    """One spoofed client connection, seq/ack kept by hand."""

    def __init__(self, wire, addr, port=None):
        self.w = wire
        self.addr = addr
        self.port = port or random.randint(20000, 60000)
        self.isn = random.randint(0, 2**32 - 1)
        self.snd = (self.isn + 1) & 0xffffffff
        self.rcv = None
        self.win = 65535

    def seg(self, flags, seq=None, ack=None, data=b'', win=None, chksum=None, options=None, ip=None):
        t = TCP(sport=self.port, dport=25, flags=flags,
                seq=self.snd if seq is None else seq,
                ack=(self.rcv or 0) if ack is None else ack,
                window=self.win if win is None else win, options=options or [])
        if chksum is not None:
            t.chksum = chksum
        ip = dict(ip or {})
        bad_ip_sum = ip.pop('bad_chksum', False)
        p = self.w.l3(src=self.addr, dst=self.w.server, **ip) / t
        if data:
            p = p / Raw(data)
        if bad_ip_sum:  # the right header checksum with one bit flipped
            p[IP].chksum = IP(bytes(p)).chksum ^ 1
        self.w.send(p)

    def recv(self, timeout=2.0):
        return self.w.recv(self.addr, self.port, timeout)

    def expect(self, what, timeout=2.0, flags=None, data=None):
        p = self.recv(timeout)
        if p is None:
            raise AssertionError('%s: nothing received' % what)
        t = p[TCP]
        if flags is not None and str(t.flags) != flags:
            raise AssertionError('%s: flags %s, expected %s' % (what, t.flags, flags))
        payload = bytes(t.payload)
        if data is not None and not payload.startswith(data):
            raise AssertionError('%s: payload %r, expected %r...' % (what, payload[:60], data))
        return t

    def syn(self):
        self.seg('S', seq=self.isn, options=[('MSS', 1460)])
        t = self.expect('SYN-ACK', flags='SA')
        if t.ack != self.snd:
            raise AssertionError('SYN-ACK acks %d, expected %d' % (t.ack, self.snd))
        self.rcv = (t.seq + 1) & 0xffffffff
        return t

    def take(self, t):
        """Account for the payload/FIN of segment T (in order)."""
        n = len(bytes(t.payload)) + (1 if 'F' in str(t.flags) else 0)
        if t.seq == self.rcv:
            self.rcv = (self.rcv + n) & 0xffffffff

    def establish(self):
        self.syn()
        self.seg('A')
        t = self.expect('banner', data=b'220 ')
        self.take(t)
        self.seg('A')

    def send_data(self, data):
        self.seg('PA', data=data)
        self.snd = (self.snd + len(data)) & 0xffffffff


def no_answer(c, what, timeout=1.0):
    p = c.recv(timeout)
    if p is not None:
        raise AssertionError('%s: unexpected answer %s' % (what, p[TCP].summary()))


def alive(c):
    c.send_data(b'NOOP\r\n')
    t = c.expect('NOOP reply', data=b'250')
    c.take(t)
    c.seg('A')


def case_syn_retransmitted(c):
    t1 = c.syn()
    c.seg('S', seq=c.isn, options=[('MSS', 1460)])
    t2 = c.expect('second SYN-ACK', flags='SA')
    assert t2.seq == t1.seq, 'retransmitted SYN got a different ISN'
    c.seg('A')
    c.take(c.expect('banner', data=b'220 '))


def case_lost_final_ack(c):
    t1 = c.syn()
    t2 = c.expect('retransmitted SYN-ACK', timeout=3.0, flags='SA')
    assert t2.seq == t1.seq
    c.seg('A')
    c.take(c.expect('banner after the lost ACK', data=b'220 '))


def case_early_talker(c):
    c.syn()
    c.seg('A')
    c.expect('banner', data=b'220 ')
    # data that does not acknowledge the banner
    c.seg('PA', data=b'EHLO x\r\n')
    t = c.expect('RST for talking first', flags='RA')


def case_out_of_order(c):
    c.establish()
    c.seg('PA', seq=(c.snd + 2) & 0xffffffff, data=b'OP\r\n')
    t = c.expect('duplicate ACK', flags='A')
    assert t.ack == c.snd, 'dup ACK acks %d, expected %d' % (t.ack, c.snd)
    c.seg('PA', data=b'NO')
    # overlapping retransmission of the whole line
    c.seg('PA', data=b'NOOP\r\n')
    c.snd = (c.snd + 6) & 0xffffffff
    while True:
        t = c.expect('reply to the reassembled line')
        if bytes(t.payload):
            break
    assert bytes(t.payload).startswith(b'250'), bytes(t.payload)
    c.take(t)
    c.seg('A')
    alive(c)


def case_rst_out_of_window(c):
    c.establish()
    c.seg('R', seq=(c.snd + 1000000) & 0xffffffff)
    no_answer(c, 'RST out of window')
    alive(c)


def case_rst_in_window(c):
    c.establish()
    c.seg('R', seq=(c.snd + 10) & 0xffffffff)
    t = c.expect('challenge ACK', flags='A')
    assert t.ack == c.snd
    alive(c)
    c.seg('R')
    no_answer(c, 'exact RST')
    c.send_data(b'NOOP\r\n')
    c.expect('RST: connection gone', flags='R')


def case_syn_established(c):
    c.establish()
    c.seg('S', seq=random.randint(0, 2**32 - 1))
    t = c.expect('challenge ACK', flags='A')
    assert t.ack == c.snd
    alive(c)


def case_zero_window(c):
    c.establish()
    c.win = 0
    c.seg('A')
    c.send_data(b'NOOP\r\n')
    got = b''
    probes = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and probes < 2:
        t = c.recv(3.0)
        if t is None:
            continue
        data = bytes(t[TCP].payload)
        if data:
            probes += 1
            c.seg('A', win=0)        # probe answered, window still shut
    assert probes >= 1, 'no window probe'
    c.win = 65535
    c.seg('A')
    end = time.monotonic() + 5
    while b'\r\n' not in got and time.monotonic() < end:
        t = c.recv(1.0)
        if t is None:
            continue
        t = t[TCP]
        data = bytes(t.payload)
        off = (t.seq - c.rcv) & 0xffffffff
        if off <= len(got) and off + len(data) > len(got):
            got += data[len(got) - off:]
        c.seg('A', ack=(c.rcv + len(got)) & 0xffffffff)
    assert got.startswith(b'250') and got.endswith(b'\r\n'), got
    c.rcv = (c.rcv + len(got)) & 0xffffffff


def quit_and_fin(c):
    c.send_data(b'QUIT\r\n')
    t = c.expect('221', data=b'221')
    c.take(t)
    c.seg('FA')
    c.snd = (c.snd + 1) & 0xffffffff
    t = c.expect('FIN+ACK', flags='FA')
    assert t.ack == c.snd
    c.take(t)


def case_fin_retransmitted(c):
    c.establish()
    quit_and_fin(c)
    c.seg('FA', seq=(c.snd - 1) & 0xffffffff, ack=(c.rcv - 1) & 0xffffffff)
    t = c.expect('ACK of the retransmitted FIN', flags='A')
    assert t.ack == c.snd
    c.seg('A')
    c.send_data(b'NOOP\r\n')
    c.expect('RST: closed without TIME_WAIT', flags='R')


def case_data_after_fin(c):
    c.establish()
    c.seg('FA')
    c.snd = (c.snd + 1) & 0xffffffff
    t = c.expect('FIN+ACK', flags='FA')
    c.take(t)
    c.send_data(b'NOOP\r\n')    # after our FIN: must not be answered with a reply
    p = c.recv(1.0)
    assert p is None or not bytes(p[TCP].payload), 'data after FIN was answered'
    c.seg('A')


def case_bad_checksum(c):
    c.seg('S', seq=c.isn, chksum=0x1234)
    no_answer(c, 'SYN with a bad checksum')
    c.syn()


def case_ip_checksum(c):
    """IPv4 headers with a wrong checksum are dropped, with and without
    options (the header length a constant or not); one with options and
    the right checksum is served."""
    if c.w.l3 is IPv6:  # no header checksum
        c.syn()
        return
    nops = [IPOption(b'\x01\x01\x01\x00')]  # NOP, NOP, NOP, end: 24 bytes
    c.seg('S', seq=c.isn, ip={'bad_chksum': True})
    no_answer(c, 'SYN with a bad IP header checksum')
    c.seg('S', seq=c.isn, ip={'bad_chksum': True, 'options': nops})
    no_answer(c, 'SYN with IP options and a bad IP header checksum')
    c.seg('S', seq=c.isn, ip={'options': nops})
    t = c.expect('SYN-ACK to a SYN with IP options', flags='SA')
    c.rcv = (t.seq + 1) & 0xffffffff
    c.seg('A')
    c.take(c.expect('banner', data=b'220 '))
    c.seg('A')
    alive(c)


def case_syn_cookie(c):
    backlog = int(os.environ.get('SYN_BACKLOG', '1024'))
    for i in range(backlog + 64):
        if c.w.l3 is IPv6:
            src = 'fd00:ffff:%x:%x::1' % (i >> 16, i & 0xffff)
        else:
            src = '172.%d.%d.%d' % (16 + (i >> 16), (i >> 8) & 0xff, i & 0xff)
        c.w.send(c.w.l3(src=src, dst=c.w.server) / TCP(sport=40000, dport=25, flags='S', seq=i))
    c.establish()
    alive(c)


OPTIONAL = {'syn_cookie'}
CASES = [n[5:] for n in sorted(globals()) if n.startswith('case_') and n[5:] not in OPTIONAL]


def main():
    iface, server, server_mac, subnet = sys.argv[1:5]
    wanted = sys.argv[5:] or CASES
    w = Wire(iface, server, server_mac)
    failed = 0
    for i, name in enumerate(wanted):
        c = Client(w, '%s%x' % (subnet, 0x100 + i) if ':' in server else '%s.%d' % (subnet, 100 + i))
        try:
            globals()['case_' + name](c)
            print('PASS %s' % name)
        except AssertionError as e:
            failed += 1
            print('FAIL %s: %s' % (name, e))
        if c.rcv is not None:
            c.seg('R')  # tidy: an exact RST ends what the case left open
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
