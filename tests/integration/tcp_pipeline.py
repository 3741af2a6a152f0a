#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	tcp_pipeline.py - pipelined 100-RCPT sessions from the Linux kernel
# SYNOPSIS
#	tcp_pipeline.py ADDR SESSIONS
# DESCRIPTION
#	Opens SESSIONS sessions one after the other to ADDR:25. Each sends
#	EHLO, MAIL and 100 RCPT in one write (the known recipient
#	alice@test.example every tenth, unknown ones else), reads the 102
#	replies and checks each one (250 for EHLO, MAIL and alice, 550 5.1.1
#	for the others, in order), then QUIT. Prints the time from the write
#	to the last reply (p50 and max over the sessions) and the client
#	kernel's TcpRetransSegs before and after.
# DIAGNOSTICS
#	Exit 0 when every session got the right replies, 1 otherwise.
# TRUST
#	The server's replies are what is tested: each is checked, reads are
#	bounded by a timeout.
import socket
import sys
import time


def retrans_segs():
    with open('/proc/net/snmp') as f:
        rows = [line.split() for line in f if line.startswith('Tcp:')]
    return int(rows[1][rows[0].index('RetransSegs')])


def read_replies(f, n):
    """Read N complete replies (multi-line ones folded): their codes."""
    codes = []
    while len(codes) < n:
        line = f.readline()
        if not line:
            raise RuntimeError('connection closed after %d replies' % len(codes))
        if line[3:4] != b'-':
            codes.append(line[:3].decode())
    return codes


def session(addr):
    s = socket.create_connection((addr, 25), timeout=10)
    f = s.makefile('rb')
    if read_replies(f, 1) != ['220']:
        raise RuntimeError('no banner')
    cmds = [b'EHLO client.test\r\n', b'MAIL FROM:<sender@client.test>\r\n']
    want = ['250', '250']
    for i in range(100):
        if i % 10 == 0:
            cmds.append(b'RCPT TO:<alice@test.example>\r\n')
            want.append('250')
        else:
            cmds.append(b'RCPT TO:<nobody%03d@test.example>\r\n' % i)
            want.append('550')
    t0 = time.monotonic()
    s.sendall(b''.join(cmds))
    got = read_replies(f, len(want))
    elapsed = time.monotonic() - t0
    if got != want:
        raise RuntimeError('wrong replies: %s' % ' '.join(got))
    s.sendall(b'QUIT\r\n')
    if read_replies(f, 1) != ['221']:
        raise RuntimeError('no 221')
    s.close()
    return elapsed


def main():
    addr, n = sys.argv[1], int(sys.argv[2])
    before = retrans_segs()
    times = []
    try:
        for _ in range(n):
            times.append(session(addr))
    except (OSError, RuntimeError) as e:
        print('session %d: %s' % (len(times) + 1, e))
        return 1
    times.sort()
    print('%d pipelined 100-RCPT sessions: write to last reply p50 %.2f ms, max %.2f ms'
          % (n, times[n // 2] * 1000, times[-1] * 1000))
    print('client TcpRetransSegs %d -> %d' % (before, retrans_segs()))
    return 0


sys.exit(main())
