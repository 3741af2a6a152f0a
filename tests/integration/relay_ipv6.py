#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_ipv6.py - peers of the relay_ipv6 integration test
# SYNOPSIS
#	relay_ipv6.py backend PORT DIR
#	relay_ipv6.py send SERVER TOKEN
#	relay_ipv6.py down SERVER
#	relay_ipv6.py verify DIR TOKEN CLIENT
# DESCRIPTION
#	backend: an SMTP server on [::1]:PORT only (an IPv6 socket with
#	  IPV6_V6ONLY) that offers XCLIENT as Postfix does and keeps every
#	  command and message of each connection in DIR/N.json (the peer's
#	  address, the XCLIENT lines, envelope, content). Written here
#	  rather than with aiosmtpd so the XCLIENT exchange is the test's
#	  own: XCLIENT is answered with a new 220 greeting as Postfix does.
#	send: smtplib to SERVER (an IPv6 address) port 25: a listed
#	  recipient gets 250, an unknown one 550, the message (carrying
#	  TOKEN) 250.
#	down: with the backend stopped a RCPT to a listed recipient gets a
#	  4xx, never 2xx or 5xx, and DATA no 250.
#	verify: DIR has exactly one message, carrying TOKEN, for the listed
#	  recipient only, received from ::1, after XCLIENT ADDR=IPV6:CLIENT.
# DIAGNOSTICS
#	Exit 0 on success, 1 with "FAIL: ..." lines.
import json
import os
import smtplib
import socket
import socketserver
import sys

LISTED = "alice@test.example"
UNKNOWN = "nobody@test.example"


class Backend(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        rec = {"peer": self.client_address[0], "commands": [], "messages": []}
        env = {"from": None, "rcpt": []}
        self.reply("220 backend.test.example ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                break
            cmd = line.rstrip(b"\r\n").decode(errors="replace")
            rec["commands"].append(cmd)
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-backend.test.example\r\n250-XCLIENT ADDR NAME PROTO HELO\r\n"
                           "250-8BITMIME\r\n250 SIZE 100000000")
            elif verb == "XCLIENT":
                self.reply("220 backend.test.example ESMTP")
            elif verb == "MAIL":
                env = {"from": cmd, "rcpt": []}
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                env["rcpt"].append(cmd)
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = b""
                while True:
                    dl = self.rfile.readline()
                    if not dl or dl == b".\r\n":
                        break
                    body += dl
                env["data"] = body.decode(errors="replace")
                rec["messages"].append(env)
                env = {"from": None, "rcpt": []}
                self.reply("250 2.0.0 Ok: queued")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                break
            else:
                self.reply("250 2.0.0 Ok")
        n = len(os.listdir(self.server.out))
        with open(os.path.join(self.server.out, "%d.json.tmp" % n), "w") as f:
            json.dump(rec, f)
        os.rename(os.path.join(self.server.out, "%d.json.tmp" % n),
                  os.path.join(self.server.out, "%d.json" % n))


class Server6(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def cmd_backend(port, out):
    srv = Server6(("::1", port), Backend)
    srv.out = out
    print("listening on [::1]:%d" % port, flush=True)
    srv.serve_forever()


def cmd_send(server, token):
    with smtplib.SMTP(server, 25, timeout=30) as s:
        s.ehlo("v6client.test.example")
        code, _ = s.mail("sender@elsewhere.example")
        assert code == 250, "MAIL %d" % code
        code, text = s.rcpt(LISTED)
        print("RCPT %s: %d %s" % (LISTED, code, text.decode()))
        assert code == 250, "RCPT listed %d" % code
        code, text = s.rcpt(UNKNOWN)
        print("RCPT %s: %d %s" % (UNKNOWN, code, text.decode()))
        assert code == 550, "RCPT unknown %d" % code
        code, text = s.data(("Subject: over IPv6\r\n\r\n%s\r\n" % token).encode())
        print("DATA: %d %s" % (code, text.decode()))
        assert code == 250, "DATA %d" % code
    return 0


def cmd_down(server):
    with smtplib.SMTP(server, 25, timeout=60) as s:
        s.ehlo("v6client.test.example")
        s.mail("sender@elsewhere.example")
        code, text = s.rcpt(LISTED)
        print("RCPT with the backend down: %d %s" % (code, text.decode(errors="replace")))
        if not 400 <= code < 500:
            print("FAIL: expected a 4xx with the backend down, got %d" % code)
            return 1
        code, text = s.docmd("DATA")
        print("DATA with the backend down: %d %s" % (code, text.decode(errors="replace")))
        if code == 354:
            s.send(b"Subject: must not pass\r\n\r\nx\r\n.\r\n")
            code, text = s.getreply()
            print("end of data: %d %s" % (code, text.decode(errors="replace")))
        if code in (250, 354):
            print("FAIL: DATA got %d with the backend down" % code)
            return 1
    return 0


def cmd_verify(out, token, client):
    fails = []
    recs = [json.load(open(os.path.join(out, n))) for n in sorted(os.listdir(out)) if n.endswith(".json")]
    msgs = [(r, m) for r in recs for m in r["messages"]]
    if len(msgs) != 1:
        fails.append("%d messages at the backend, expected 1" % len(msgs))
    for r, m in msgs:
        print("backend: from [%s], %s" % (r["peer"], [c for c in r["commands"] if c.startswith("XCLIENT")]))
        if r["peer"] != "::1":
            fails.append("connection from %s, not ::1" % r["peer"])
        xc = [c for c in r["commands"] if c.upper().startswith("XCLIENT ")]
        want = "ADDR=IPV6:" + client
        if not any(want in c.split(" ") for c in xc):
            fails.append("no XCLIENT with %s: %s" % (want, xc))
        if m["rcpt"] != ["RCPT TO:<%s>" % LISTED]:
            fails.append("recipients %s" % m["rcpt"])
        if token not in m.get("data", ""):
            fails.append("message lacks its token")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


def main(argv):
    if argv[1] == "backend":
        cmd_backend(int(argv[2]), argv[3])
        return 0
    if argv[1] == "send":
        try:
            return cmd_send(argv[2], argv[3])
        except AssertionError as e:
            print("FAIL:", e)
            return 1
    if argv[1] == "down":
        return cmd_down(argv[2])
    if argv[1] == "verify":
        return cmd_verify(argv[2], argv[3], argv[4])
    print("usage: relay_ipv6.py backend|send|down|verify ...")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
