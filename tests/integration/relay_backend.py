#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_backend.py - the relay engine against real backends
# SYNOPSIS
#	relay_backend.py RELAY_DRIVE
# DESCRIPTION
#	RELAY_DRIVE (tests/integration/relay_drive.c) plays the workers'
#	side of the relay; the backends run on 127.0.0.1:
#	- a recorder built on aiosmtpd's Controller keeps every message
#	  (envelope and exact bytes). No-loss run: 400 messages with 1-3
#	  recipients, lines that need dot-stuffing, 8-bit bytes, long lines;
#	  then a 20 MB message. Every 250 must be at the backend exactly
#	  once, byte-identical, to exactly its recipients.
#	- Postfix's smtp-sink with injected faults: RCPT refused hard (-f)
#	  and soft (-r) - relayed as they are; disconnect after the end of
#	  data (-q .) and 421 after DATA (-Q data) - a 4xx, never 250; a
#	  slow DATA reply (-w) past the reply timeout - 421 4.4.2; XCLIENT
#	  offered (smtp-sink does) - sent, and the backend's host name is
#	  never in a reply.
#	- no backend listening: 451 4.4.1.
# DIAGNOSTICS
#	Prints what failed; exit 0 when all passed, 1 on a failure, 77
#	(SKIP, with the reason) without aiosmtpd or smtp-sink.
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:
    print("SKIP: python3-aiosmtpd is not installed")
    sys.exit(77)

SINK = "/usr/sbin/smtp-sink"
DRIVE = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content)))
        return "250 2.0.0 Ok: queued"


def stuff(body):
    """The wire form of BODY (CRLF lines): dot-stuffed, as a client sends it."""
    out = []
    for line in body.split(b"\r\n")[:-1]:
        out.append((b"." + line) if line.startswith(b".") else line)
    return b"\r\n".join(out) + b"\r\n"


def make_body(rng, i, size=None):
    lines = [b"Subject: message %d" % i, b"Message-Id: <%d@test.example>" % i, b""]
    n = rng.randint(1, 40) if size is None else 0
    for _ in range(n):
        kind = rng.random()
        if kind < 0.15:
            lines.append(b"." * rng.randint(1, 3) + b"dot line")
        elif kind < 0.25:
            lines.append(bytes(rng.randint(0x80, 0xff) for _ in range(rng.randint(1, 30))))
        elif kind < 0.30:
            lines.append(b"x" * 990)
        else:
            lines.append(b"line %d of message %d" % (rng.randint(0, 10 ** 6), i))
    body = b"\r\n".join(lines) + b"\r\n"
    if size is not None:
        chunk = b"".join(b"%07d .........................................................\r\n" % k
                         for k in range(1000))
        body += chunk * (size // len(chunk))
    return body


def drive(proto, port, script, timeout_ms=10000, limit=180):
    p = subprocess.run([DRIVE, proto, "127.0.0.1", str(port), str(timeout_ms)], input=script,
                       capture_output=True, text=True, timeout=limit)
    return p.returncode, p.stdout.splitlines(), p.stderr


def no_loss(tmp):
    rec = Recorder()
    port = free_port()
    ctl = Controller(rec, hostname="127.0.0.1", port=port, decode_data=False,
                     data_size_limit=64 * 1024 * 1024)
    ctl.start()
    try:
        rng = random.Random(7)
        script, sent = [], {}
        for i in range(400):
            slot = i % 8
            rcpts = ["user%d-%d@example.com" % (i, k) for k in range(rng.randint(1, 3))]
            body = make_body(rng, i)
            path = os.path.join(tmp, "m%d" % i)
            with open(path, "wb") as f:
                f.write(stuff(body))
            for r in rcpts:
                script.append("R %d sender%d@remote.example %s" % (slot, i, r))
            script.append("D %d %s" % (slot, path))
            if i % 10 == 9:
                script.append("C %d" % slot)
            sent[i] = (rcpts, body)
        big = make_body(rng, 9999, size=20 * 1024 * 1024)
        with open(os.path.join(tmp, "big"), "wb") as f:
            f.write(stuff(big))
        script.append("R 9 big@remote.example big@example.com")
        script.append("D 9 %s" % os.path.join(tmp, "big"))
        script.append("C 9")
        t0 = time.monotonic()
        rc, out, err = drive("smtp", port, "\n".join(script) + "\n")
        print("no-loss run: %.1f s" % (time.monotonic() - t0))
        check(rc == 0, "no-loss driver exit %d: %s" % (rc, err))
        ends = [l for l in out if " END " in l]
        check(len(ends) == 401, "401 end-of-message replies, got %d" % len(ends))
        check(all(" END 250" in l for l in ends), "every message accepted")
        check(all(" RCPT 250" in l for l in out if " RCPT " in l), "every recipient accepted")
        got = {}
        for frm, tos, data in rec.messages:
            got.setdefault(frm, []).append((tos, data))
        for i, (rcpts, body) in sent.items():
            m = got.get("sender%d@remote.example" % i, [])
            check(len(m) == 1, "message %d at the backend once (%d)" % (i, len(m)))
            if len(m) == 1:
                check(m[0][0] == rcpts, "message %d recipients %s" % (i, m[0][0]))
                check(m[0][1] == body, "message %d byte-identical" % i)
        m = got.get("big@remote.example", [])
        check(len(m) == 1 and m[0][1] == big, "20 MB message intact")
        check(len(rec.messages) == 401, "401 messages at the backend, got %d" % len(rec.messages))
        print(err.strip())
    finally:
        ctl.stop()


def sink(args, proto="smtp", timeout_ms=10000, script=None, tmp=None):
    port = free_port()
    p = subprocess.Popen([SINK, "-u", "nobody", "-h", "mx.secret-backend.example"] + args
                         + ["127.0.0.1:%d" % port, "16"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        path = os.path.join(tmp, "small")
        with open(path, "wb") as f:
            f.write(b"Subject: x\r\n\r\nhello\r\n")
        s = script or "R 1 s@remote.example u@example.com\nD 1 %s\nC 1\n" % path
        return drive(proto, port, s.replace("FILE", path), timeout_ms)
    finally:
        p.kill()
        p.wait()


def faults(tmp):
    if not os.access(SINK, os.X_OK):
        print("SKIP part: no smtp-sink (postfix package)")
        return
    rc, out, err = sink([], tmp=tmp)
    check(out == ["1 RCPT 250 2.1.5 Ok", "1 END 250 2.0.0 Ok: queued as 1234567890"] or
          (len(out) == 2 and out[1].startswith("1 END 250")), "plain smtp-sink: %s" % out)
    check("relay_xclient 1" in err, "XCLIENT sent to smtp-sink: %s" % err)

    rc, out, err = sink(["-f", "rcpt"], tmp=tmp)
    check(len(out) >= 2 and out[0].startswith("1 RCPT 5"), "hard RCPT reject relayed: %s" % out)
    check(len(out) >= 2 and out[1].startswith("1 END 4"), "no recipient: message 4xx: %s" % out)

    rc, out, err = sink(["-r", "rcpt"], tmp=tmp)
    check(len(out) >= 1 and out[0].startswith("1 RCPT 4"), "soft RCPT reject relayed: %s" % out)

    rc, out, err = sink(["-r", "data"], tmp=tmp)
    check(len(out) == 2 and out[1].startswith("1 END 4"), "DATA soft-rejected: 4xx: %s" % out)

    rc, out, err = sink(["-f", "."], tmp=tmp)
    check(len(out) == 2 and out[1].startswith("1 END 5"), "message hard-rejected: 5xx relayed: %s" % out)

    rc, out, err = sink(["-q", "."], tmp=tmp)
    check(len(out) == 2 and out[1].startswith("1 END 421 4.4.2"), "disconnect after data: 421: %s" % out)

    rc, out, err = sink(["-Q", "data"], tmp=tmp)
    check(len(out) == 2 and out[1].startswith("1 END 4"), "421 at DATA: 4xx: %s" % out)

    rc, out, err = sink(["-w", "3"], timeout_ms=1000, tmp=tmp)
    check(len(out) == 2 and out[1].startswith("1 END 421 4.4.2"), "slow backend: 421 4.4.2: %s" % out)
    check("relay_timeouts 1" in err, "timeout counted: %s" % err)

    rc, out, err = sink(["-L", "-f", "rcpt"], proto="lmtp", tmp=tmp,
                        script="R 1 s@remote.example a@example.com\nC 1\n")
    check(len(out) >= 1 and out[0].startswith("1 RCPT 5"), "LMTP: RCPT reject relayed: %s" % out)

    rc, out, err = sink(["-L"], proto="lmtp", tmp=tmp,
                        script="R 1 s@remote.example a@example.com\n"
                               "R 1 s@remote.example b@example.com\nD 1 FILE\nC 1\n")
    check(len(out) == 3 and out[1] == "1 RCPT 452 4.5.3 Error: too many recipients"
          and out[2].startswith("1 END 250"), "LMTP: one recipient per transaction: %s" % out)
    # reuse: two sessions one after the other on one connection
    rc, out, err = sink(["-C"], tmp=tmp,
                        script="R 1 s@remote.example a@example.com\nD 1 FILE\nC 1\n"
                               "R 2 s@remote.example b@example.com\nD 2 FILE\nC 2\n")
    check("relay_connections_reused 1" in err and "relay_connections_opened 1" in err,
          "idle connection reused without XCLIENT: %s" % err)


def down(tmp):
    port = free_port()		# nobody listens there
    path = os.path.join(tmp, "small")
    rc, out, err = drive("smtp", port, "R 1 s@remote.example u@example.com\nD 1 %s\nC 1\n" % path)
    check(len(out) == 2 and out[0].startswith("1 RCPT 451 4.4.1") and out[1].startswith("1 END 4"),
          "backend down: 4xx: %s" % out)
    check("relay_connections_failed 1" in err, "failed connection counted: %s" % err)


def main():
    tmp = tempfile.mkdtemp(prefix="relay_backend.")
    try:
        faults(tmp)
        down(tmp)
        if os.environ.get("RELAY_QUICK") is None:
            no_loss(tmp)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("relay_backend: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
