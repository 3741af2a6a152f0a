# SPDX-License-Identifier: BSD-3-Clause
"""logs_client.py - a burst of SMTP sessions with refused recipients, for
the log tests (logs_tools.sh runs it in the client's network namespace).

usage: logs_client.py ADDR SESSIONS

Opens SESSIONS connections at once; each pipelines EHLO, MAIL, three
unknown recipients (550 5.1.1), one of an unserved domain (554 5.7.1),
alice@example.com (250) and QUIT, then every reply is read. Prints
"unknown=N relay=N accepted=N": what the clients were told, for the
test to hold the daemon's counters and log to. Exit status 1 when a
session did not get the replies it should.
"""
import socket
import sys

ADDR = sys.argv[1]
SESSIONS = int(sys.argv[2])

socks = []
for n in range(SESSIONS):
    c = socket.create_connection((ADDR, 25), timeout=20)
    f = c.makefile("rb")
    f.readline()  # banner: pipelining starts after it
    cmds = [b"EHLO client%d.test.example\r\n" % n, b"MAIL FROM:<s%d@elsewhere.example>\r\n" % n]
    cmds += [b"RCPT TO:<nobody%d-%d@example.com>\r\n" % (n, i) for i in range(3)]
    cmds += [b"RCPT TO:<x%d@not-served.example>\r\n" % n, b"RCPT TO:<alice@example.com>\r\n", b"QUIT\r\n"]
    c.sendall(b"".join(cmds))
    socks.append((c, f))
counts = {"unknown": 0, "relay": 0, "accepted": 0}
bad = 0
for c, f in socks:
    got = {"unknown": 0, "relay": 0, "accepted": 0}
    for line in f:
        if line.startswith(b"550 5.1.1 "):
            got["unknown"] += 1
        elif line.startswith(b"554 5.7.1 "):
            got["relay"] += 1
        elif line.startswith(b"250 2.1.5 "):
            got["accepted"] += 1
        if line.startswith(b"221 "):
            break
    f.close()
    c.close()
    bad += got != {"unknown": 3, "relay": 1, "accepted": 1}
    for k in counts:
        counts[k] += got[k]
print(" ".join(f"{k}={v}" for k, v in counts.items()))
sys.exit(1 if bad else 0)
