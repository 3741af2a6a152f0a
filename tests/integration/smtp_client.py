# SPDX-License-Identifier: BSD-3-Clause
"""smtp_client.py - SMTP checks against a running rcptgate (run in the
client's network namespace by smtp_session.sh).

usage: smtp_client.py ADDR MODE
       MODE = policy | soft_bounce | refusing_rcpt | refusing_message

policy: the replies of RFC 5321 clients (smtplib) for a listed, an
unknown, an extension, an unserved-domain and postmaster recipient, and a
30-RCPT pipelined dictionary attack whose replies must come back in order
and end in 421 4.7.0 and a closed connection.
soft_bounce: an unknown recipient gets 450 4.1.1, an unserved domain 454.
refusing_rcpt (soft_bounce, a backend refusing RCPT and DATA with 5xx,
table bob@example.com, message_size_limit 1000; run by soft_bounce.sh):
the backend's refusal of a listed recipient comes as 4xx, and so do
rcptgate's own refusals: SIZE over the limit at MAIL (452 4.3.4), a
syntax error (401 4.5.4), an unknown recipient (450 4.1.1), an unserved
domain (454 4.7.1), DATA without a valid recipient (454 4.5.1).
refusing_message (soft_bounce, a backend refusing DATA or the message):
RCPT 250, DATA 354, and the end of data gets the refusal as 4xx.
Exit status 0 when every check holds; each failure is printed.
"""
import smtplib
import socket
import sys

ADDR = sys.argv[1]
MODE = sys.argv[2]
failures = []


def check(what, got, want_code, want_text):
    code, text = got
    text = text.decode() if isinstance(text, bytes) else text
    ok = code == want_code and want_text in text
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {code} {text}")
    if not ok:
        failures.append(f"{what}: got {code} {text!r}, want {want_code} ...{want_text!r}")


def session():
    s = smtplib.SMTP(ADDR, 25, local_hostname="client.test.example", timeout=10)
    check("EHLO", s.ehlo(), 250, "PIPELINING")
    check("MAIL", s.mail("sender@elsewhere.example"), 250, "2.1.0")
    return s


def policy():
    s = session()
    check("listed recipient", s.rcpt("alice@example.com"), 250, "2.1.5")
    check("listed recipient, upper case", s.rcpt("ALICE@Example.COM"), 250, "2.1.5")
    check("extension", s.rcpt("alice+tag@example.com"), 250, "2.1.5")
    check("unknown recipient", s.rcpt("nobody@example.com"), 550,
          "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown")
    check("unserved domain", s.rcpt("x@not-served.example"), 554,
          "5.7.1 <x@not-served.example>: Relay access denied")
    check("postmaster of a served domain", s.rcpt("postmaster@example.com"), 250, "2.1.5")
    check("abuse of a served domain", s.rcpt("abuse@example.com"), 250, "2.1.5")
    check("bare postmaster", s.docmd("RCPT TO:<postmaster>"), 250, "2.1.5")
    check("catch-all domain", s.rcpt("anyone@catchall.example.net"), 250, "2.1.5")
    check("bad address syntax", s.docmd("RCPT TO:<a@@b>"), 501, "5.1.3")
    check("QUIT", s.quit(), 221, "2.0.0")

    # Dictionary attack: 30 unknown recipients in one write (PIPELINING).
    c = socket.create_connection((ADDR, 25), timeout=10)
    f = c.makefile("rb")
    banner = f.readline()
    cmds = [b"EHLO attacker.example\r\n", b"MAIL FROM:<>\r\n"]
    cmds += [b"RCPT TO:<guess%02d@example.com>\r\n" % i for i in range(30)]
    c.sendall(b"".join(cmds))
    replies = []
    while True:
        line = f.readline()
        if not line:
            break
        replies.append(line.decode().rstrip("\r\n"))
        if line[3:4] == b" " and line.startswith(b"421"):
            break
    eof = f.readline() == b""
    c.close()
    finals = [r for r in replies if r[3:4] == " "]
    print("dictionary attack replies:", len(finals), finals[:3], "...", finals[-2:])
    ok = banner.startswith(b"220") and finals[0].startswith("250 ") and finals[1].startswith("250 2.1.0")
    rejects = finals[2:-1]
    for i, r in enumerate(rejects):
        if not r.startswith(f"550 5.1.1 <guess{i:02d}@example.com>"):
            ok = False
            failures.append(f"dictionary attack: reply {i} out of order or wrong: {r!r}")
            break
    if not finals[-1].startswith("421 4.7.0"):
        failures.append(f"dictionary attack: last reply {finals[-1]!r}, want 421 4.7.0")
        ok = False
    if not 1 <= len(rejects) < 30:
        failures.append(f"dictionary attack: {len(rejects)} 550s before 421")
        ok = False
    if not eof:
        failures.append("dictionary attack: connection not closed after 421")
        ok = False
    print(f"{'ok  ' if ok else 'FAIL'} dictionary attack: {len(rejects)} x 550 in order, then 421, closed")


def soft_bounce():
    s = session()
    check("listed recipient", s.rcpt("bob@example.com"), 250, "2.1.5")
    check("unknown recipient (soft_bounce)", s.rcpt("nobody@example.com"), 450,
          "4.1.1 <nobody@example.com>: Recipient address rejected: User unknown")
    check("unserved domain (soft_bounce)", s.rcpt("x@not-served.example"), 454, "4.7.1")
    check("QUIT", s.quit(), 221, "2.0.0")


def refusing_rcpt():
    s = smtplib.SMTP(ADDR, 25, local_hostname="client.test.example", timeout=10)
    check("EHLO", s.ehlo(), 250, "PIPELINING")
    check("MAIL SIZE over the limit", s.docmd("MAIL FROM:<a@elsewhere.example> SIZE=5000"), 452,
          "4.3.4 Message size exceeds fixed limit")
    check("MAIL syntax error", s.docmd("MAIL FROM:a@elsewhere.example"), 401, "4.5.4 Syntax")
    check("MAIL", s.docmd("MAIL FROM:<a@elsewhere.example>"), 250, "2.1.0")
    check("RCPT the backend refuses", s.docmd("RCPT TO:<bob@example.com>"), 400, "4.3.0 ")
    check("unknown recipient", s.docmd("RCPT TO:<nobody@example.com>"), 450,
          "4.1.1 <nobody@example.com>: Recipient address rejected: User unknown")
    check("unserved domain", s.docmd("RCPT TO:<x@not-served.example>"), 454,
          "4.7.1 <x@not-served.example>: Relay access denied")
    check("DATA without a valid recipient", s.docmd("DATA"), 454, "4.5.1 Error: no valid recipients")
    check("QUIT", s.quit(), 221, "2.0.0")


def refusing_message():
    s = session()
    check("RCPT", s.rcpt("bob@example.com"), 250, "2.1.5")
    check("DATA", s.docmd("DATA"), 354, "End data")
    s.send(b"Subject: soft_bounce\r\n\r\nhello\r\n.\r\n")
    check("end of data the backend refuses", s.getreply(), 400, "4.3.0 ")
    check("QUIT", s.quit(), 221, "2.0.0")


def flood():
    """10 pipelined sessions of 20 unknown recipients each: 200 rejects in
    well under a second, past the reject log's rate limit."""
    socks = []
    for n in range(10):
        c = socket.create_connection((ADDR, 25), timeout=10)
        f = c.makefile("rb")
        f.readline()
        cmds = [b"EHLO flood.example\r\n", b"MAIL FROM:<>\r\n"]
        cmds += [b"RCPT TO:<flood%d-%02d@example.com>\r\n" % (n, i) for i in range(20)]
        c.sendall(b"".join(cmds))
        socks.append((c, f))
    rejects = 0
    for c, f in socks:
        for line in f:
            rejects += line.startswith(b"550 ")
        c.close()
    print(f"flood: {rejects} rejects")
    if rejects < 150:
        failures.append(f"flood: only {rejects} rejects")


{"policy": policy, "soft_bounce": soft_bounce, "flood": flood, "refusing_rcpt": refusing_rcpt,
 "refusing_message": refusing_message}[MODE]()
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
