#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_daemon.py - peers of the relay_daemon integration test
# SYNOPSIS
#	relay_daemon.py recorder PORT DIR
#	relay_daemon.py send SERVER COUNT THREADS SEED OUT.json [BIG_MB]
#	relay_daemon.py verify SENT.json DIR SEED
#	relay_daemon.py down SERVER
# DESCRIPTION
#	recorder: an aiosmtpd backend on 127.0.0.1:PORT that stores every
#	  message it accepts as DIR/N.json (sender, recipients, content in
#	  hex); it refuses RCPT of reject-me@... with its own 550, which the
#	  client must get unchanged.
#	send: THREADS smtplib clients send COUNT messages through rcptgate
#	  at SERVER: 1-3 listed recipients (sometimes reject-me), 0-2
#	  unknown ones, lines needing dot-stuffing, 8-bit bytes, long lines,
#	  two messages in some sessions; with BIG_MB one message of that
#	  size. OUT.json: what each message got.
#	verify: every message that got 250 is in DIR exactly once,
#	  byte-identical, to exactly its accepted recipients; nothing else
#	  is there; no unknown recipient reached the backend.
#	down: a RCPT with the backend stopped gets 4xx, never 2xx or 5xx.
# DIAGNOSTICS
#	Exit 0 on success, 1 with "FAIL: ..." lines, 77 without aiosmtpd.
import hashlib
import json
import os
import random
import smtplib
import sys
import threading
import time

DOMAIN = "example.com"
LISTED = ["user%d@%s" % (i, DOMAIN) for i in range(40)]
REJECT = "reject-me@" + DOMAIN


def message(seed, mid, big_mb=0):
    """The exact bytes of message MID (CRLF lines, as smtplib sends them)."""
    rnd = random.Random("%s-%d" % (seed, mid))
    lines = [b"Message-ID: <m%d@relay.test>" % mid, b"Subject: relay test %d" % mid,
             b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=utf-8",
             b"Content-Transfer-Encoding: 8bit", b""]
    if big_mb:
        line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 27  # 972 octets: fewer lines for aiosmtpd
        lines += [line] * (big_mb * 1024 * 1024 // (len(line) + 2))
        lines += [b".", b"..", b". end"]
    else:
        for _ in range(rnd.randint(1, 400)):
            k = rnd.random()
            if k < 0.1:
                lines.append(b"." * rnd.randint(1, 3) + b"dots")
            elif k < 0.15:
                lines.append("caf\u00e9 \u00fcber".encode())
            elif k < 0.17:
                lines.append(b"x" * 990)
            elif k < 0.2:
                lines.append(b"")
            else:
                lines.append(b"line %d %s" % (rnd.randint(0, 1 << 30), b"y" * rnd.randint(0, 70)))
    return b"\r\n".join(lines) + b"\r\n"


def envelope(seed, mid):
    rnd = random.Random("env-%s-%d" % (seed, mid))
    good = rnd.sample(LISTED, rnd.randint(1, 3))
    if rnd.random() < 0.05:
        good.append(REJECT)
    unknown = ["nobody%d@%s" % (rnd.randint(0, 99999), DOMAIN) for _ in range(rnd.randint(0, 2))]
    rcpts = good + unknown
    rnd.shuffle(rcpts)
    return "sender%d@elsewhere.example" % mid, rcpts


def cmd_recorder(port, out):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    seq = [0]
    lock = threading.Lock()

    class Handler:
        async def handle_RCPT(self, server, session, env, address, rcpt_options):
            if address.startswith("reject-me@"):
                return "550 5.1.1 <%s>: mailbox disabled here" % address
            env.rcpt_tos.append(address)
            return "250 2.1.5 Ok"

        async def handle_DATA(self, server, session, env):
            with lock:
                seq[0] += 1
                n = seq[0]
            rec = {"from": env.mail_from, "rcpts": env.rcpt_tos, "content": env.original_content.hex()}
            tmp = os.path.join(out, ".%d.tmp" % n)
            with open(tmp, "w") as f:
                json.dump(rec, f)
            os.rename(tmp, os.path.join(out, "%d.json" % n))
            return "250 2.0.0 Ok: queued as R%d" % n

    class Ctl(Controller):
        def factory(self):
            return SMTP(self.handler, data_size_limit=64 << 20, enable_SMTPUTF8=True,
                        decode_data=False)

    ctl = Ctl(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    print("recorder listening on 127.0.0.1:%d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        ctl.stop()


def send_one(smtp, seed, mid, big_mb=0):
    sender, rcpts = envelope(seed, mid)
    res = {"id": mid, "big": big_mb, "rcpts": rcpts}
    try:
        refused = smtp.sendmail(sender, rcpts, message(seed, mid, big_mb))
        res["status"] = 250
    except smtplib.SMTPRecipientsRefused as e:
        refused = e.recipients
        res["status"] = "all-refused"
    except smtplib.SMTPResponseException as e:
        refused = {}
        res["status"] = e.smtp_code
        res["reply"] = e.smtp_error.decode(errors="replace")
    res["refused"] = {a: [c, m.decode(errors="replace")] for a, (c, m) in refused.items()}
    return res


def cmd_send(server, count, threads, seed, out, big_mb=0):
    results, lock = [], threading.Lock()
    ids = list(range(count)) if not big_mb else [count]

    def worker(mine):
        i = 0
        while i < len(mine):
            try:
                with smtplib.SMTP(server, 25, timeout=300 if big_mb else 60) as s:
                    s.ehlo("client%d.test.example" % mine[i])
                    n = 2 if (mine[i] % 5 == 0 and i + 1 < len(mine)) else 1
                    for mid in mine[i:i + n]:
                        r = send_one(s, seed, mid, big_mb)
                        with lock:
                            results.append(r)
                        if r["status"] not in (250, "all-refused"):
                            s.rset()
                    i += n
            except (OSError, smtplib.SMTPException) as e:
                with lock:
                    results.append({"id": mine[i], "status": "error", "reply": str(e)})
                i += 1

    ts = [threading.Thread(target=worker, args=(ids[k::threads],)) for k in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("sent %d messages in %.1f s" % (len(ids), time.time() - t0))
    with open(out, "w") as f:
        json.dump(results, f)


def cmd_verify(sent_path, rec_dir, seed):
    fails = []
    sent = []
    for p in sent_path.split(","):
        with open(p) as f:
            sent += json.load(f)
    recs = []
    for name in os.listdir(rec_dir):
        if name.endswith(".json"):
            with open(os.path.join(rec_dir, name)) as f:
                recs.append(json.load(f))
    at_backend = {}
    for r in recs:
        content = bytes.fromhex(r["content"])
        mid = int(content.split(b"<m", 1)[1].split(b"@", 1)[0])
        at_backend.setdefault(mid, []).append((r, content))
        for a in r["rcpts"]:
            if a.startswith("nobody") or a == REJECT:
                fails.append("recipient %s of message %d reached the backend" % (a, mid))
    ok = 0
    for s in sent:
        mid = s["id"]
        got = at_backend.get(mid, [])
        if s["status"] != 250:
            # every envelope has one to three listed recipients and the
            # backend is up: anything but 250 is a refusal of good mail
            # (a relay path broken on one worker, a 451 after DATA)
            fails.append("message %d got %s %s" % (mid, s["status"], s.get("reply", "")))
            if got:
                fails.append("message %d got %s but is at the backend" % (mid, s["status"]))
            continue
        if len(got) != 1:
            fails.append("message %d got 250 but is at the backend %d times" % (mid, len(got)))
            continue
        rec, content = got[0]
        expect = message(seed, mid, s["big"])
        if content != expect:
            fails.append("message %d differs: %d octets, expected %d (sha %s / %s)" %
                         (mid, len(content), len(expect), hashlib.sha256(content).hexdigest()[:12],
                          hashlib.sha256(expect).hexdigest()[:12]))
        accepted = sorted(a for a in s["rcpts"] if a not in s["refused"])
        if sorted(rec["rcpts"]) != accepted:
            fails.append("message %d: backend recipients %s, accepted %s" % (mid, rec["rcpts"], accepted))
        for a, (code, text) in s["refused"].items():
            if a.startswith("nobody") and not (code == 550 and text.startswith("5.1.1 <")):
                fails.append("message %d: unknown %s got %s %s" % (mid, a, code, text))
            if a == REJECT and (code != 550 or text != "5.1.1 <%s>: mailbox disabled here" % a):
                fails.append("message %d: backend's 550 not relayed as is: %s %s" % (mid, code, text))
            if not a.startswith("nobody") and a != REJECT:
                fails.append("message %d: listed %s refused: %s %s" % (mid, a, code, text))
        ok += 1
    if len(recs) != ok:
        fails.append("%d messages at the backend, %d got 250" % (len(recs), ok))
    for f in fails[:20]:
        print("FAIL:", f)
    print("verified %d messages with 250 (%d sent), %d at the backend" % (ok, len(sent), len(recs)))
    return 1 if fails or ok == 0 else 0


def cmd_down(server):
    with smtplib.SMTP(server, 25, timeout=60) as s:
        s.ehlo("down.test.example")
        s.mail("a@elsewhere.example")
        code, text = s.rcpt(LISTED[0])
        s.rset()
        print("RCPT with the backend down: %d %s" % (code, text.decode(errors="replace")))
        if not 400 <= code < 500:
            print("FAIL: expected a 4xx with the backend down")
            return 1
        code, _ = s.rcpt("nobody@" + DOMAIN)
        if code != 503:
            print("FAIL: RCPT after RSET without MAIL got %d" % code)
            return 1
    return 0


def main(argv):
    if argv[1] == "recorder":
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            print("SKIP: python3-aiosmtpd is not installed")
            return 77
        cmd_recorder(int(argv[2]), argv[3])
        return 0
    if argv[1] == "send":
        cmd_send(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6],
                 int(argv[7]) if len(argv) > 7 else 0)
        return 0
    if argv[1] == "verify":
        return cmd_verify(argv[2], argv[3], argv[4])
    if argv[1] == "down":
        return cmd_down(argv[2])
    print("usage: see the header of", argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
