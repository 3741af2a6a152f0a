#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	dict_block.py - dictionary attackers, bounces and exempt clients (smtplib)
# SYNOPSIS
#	dict_block.py SRC SERVER attack LIMIT      one session, sender
#	    <spam@attacker.example>, unknown recipients one after another:
#	    the first LIMIT get 550 5.1.1, then the server says 421 and
#	    closes; a new connection is then left unanswered (SYN dropped)
#	dict_block.py SRC SERVER flood FROM SESSIONS RCPTS
#	    SESSIONS sessions of RCPTS unknown recipients from sender FROM
#	    ("" = the null sender of a bounce): every one gets its 550 5.1.1
#	    and every session ends with 221
#	dict_block.py SRC SERVER probe [WAIT]
#	    connect: exit 0 and print the banner when served, 1 and "timeout"
#	    when the SYN goes unanswered; with WAIT seconds, try again every
#	    0.25 s until served or WAIT has passed (prints the seconds taken)
# DESCRIPTION
#	Each client binds SRC, so one namespace plays several clients;
#	SERVER may be IPv4 or IPv6. Exit 0 when everything was as expected,
#	1 otherwise (the reason on stdout).
import smtplib
import socket
import concurrent.futures
import sys
import time


def session(src, server, timeout=3):
    return smtplib.SMTP(server, 25, timeout=timeout, source_address=(src, 0))


def probe_once(src, server):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(1.5)
    try:
        s.bind((src, 0))
        s.connect((server, 25))
        first = s.recv(200).decode(errors="replace").split("\r\n")[0]
        s.sendall(b"QUIT\r\n")
        return first
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return f"error-{e.errno}"
    finally:
        s.close()


def attack(src, server, limit):
    s = session(src, server)
    s.ehlo("walker.example")
    code, _ = s.mail("spam@attacker.example")
    assert code == 250, code
    rejected, n, closed = 0, 0, ""
    try:
        while n < limit * 3 and not closed:
            n += 1
            code, msg = s.rcpt(f"guess{n}@test.example")
            if code != 550:
                print(f"attack: RCPT {n}: {code} {msg.decode()}")
                return False
            rejected += 1
            code, msg = s.noop()  # after the limit's 550 the server has said 421 and closed
            if code == 421:
                closed = msg.decode()
            elif code != 250:
                print(f"attack: NOOP after {rejected} rejects: {code} {msg.decode()}")
                return False
    except smtplib.SMTPServerDisconnected:
        closed = "disconnected"
    print(f"attack: {rejected} unknown recipients rejected, then: {closed or 'still open'}")
    if rejected != limit:
        print(f"attack: want the session closed at exactly {limit}")
        return False
    if "Error: too many errors" not in closed:  # the reply of smtpd_hard_error_limit, as Postfix
        print("attack: want 421 4.7.0 ... Error: too many errors before the close")
        return False
    time.sleep(0.6)  # the control thread blocks within its poll timeout (0.2 s)
    first = probe_once(src, server)
    print(f"attack: connecting again: {first}")
    return first == "timeout"


def flood(src, server, sender, sessions, rcpts):
    got550 = 0
    for _ in range(sessions):
        s = session(src, server)
        s.ehlo("bounces.example")
        code, _ = s.mail(sender)
        assert code == 250, code
        for i in range(rcpts):
            code, msg = s.rcpt(f"stale{got550 + i}@test.example")
            if code != 550 or not msg.startswith(b"5.1.1"):
                print(f"flood: RCPT got {code} {msg.decode()}, want 550 5.1.1")
                return False
        got550 += rcpts
        code, _ = s.docmd("QUIT")
        if code != 221:
            print(f"flood: QUIT got {code}")
            return False
        s.close()
    print(f"flood: {got550} recipients from <{sender}>, each 550 5.1.1, {sessions} sessions served")
    return True


def refused(src, server, n):
    # N connections at once, each from a port of its own (so that with
    # several workers the flows spread over them): none may be served
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        got = list(ex.map(lambda _: probe_once(src, server), range(n)))
    served = sum(g.startswith("220 ") for g in got)
    print(f"refused {src}: {n - served} of {n} connections not served")
    return served == 0


def probe(src, server, wait):
    start = time.monotonic()
    while True:
        first = probe_once(src, server)
        if first.startswith("220 ") or time.monotonic() - start >= wait:
            break
        time.sleep(0.25)
    print(f"probe {src}: {first}" + (f" after {time.monotonic() - start:.1f}s" if wait else ""))
    return first.startswith("220 ")


def main():
    src, server, mode = sys.argv[1:4]
    if mode == "attack":
        ok = attack(src, server, int(sys.argv[4]))
    elif mode == "flood":
        ok = flood(src, server, sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif mode == "refused":
        ok = refused(src, server, int(sys.argv[4]))
    elif mode == "probe":
        ok = probe(src, server, float(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        sys.exit(f"unknown mode {mode}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
