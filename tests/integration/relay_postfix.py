#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_postfix.py - peers of the relay_postfix integration test
# SYNOPSIS
#	relay_postfix.py recorder PORT DIR
#	relay_postfix.py send SERVER COUNT SEED OUT.json
#	relay_postfix.py wait SENT.json DIR SECONDS
#	relay_postfix.py verify SENT.json DIR SEED CLIENT MAILLOG
# DESCRIPTION
#	recorder: relay_daemon.py's aiosmtpd recorder (Postfix relays to it).
#	send: four smtplib clients send COUNT messages through rcptgate at
#	  SERVER, each to 1-3 listed and 0-2 unknown recipients, with
#	  relay_daemon.py's message bodies (dot-stuffing, 8-bit, long lines).
#	wait: until DIR holds as many messages as got 250 in SENT.json, or
#	  SECONDS have passed (Postfix relays them after its own 250).
#	verify: every message that got 250 is in DIR exactly once, to exactly
#	  its accepted recipients, its bytes the original preceded only by
#	  Received: headers, one of which names [CLIENT] (the address rcptgate
#	  passed with XCLIENT); nothing else is in DIR; no unknown recipient
#	  appears in DIR or in Postfix's MAILLOG, which must show the
#	  deliveries (so that a missing log cannot pass).
# DIAGNOSTICS
#	Exit 0 on success, 1 with "FAIL: ..." lines.
# TRUST
#	Reads only files the test wrote itself.
import json
import os
import random
import smtplib
import sys
import threading
import time

import relay_daemon as rd

THREADS = 4


def envelope(seed, mid):
    rnd = random.Random("pf-env-%s-%d" % (seed, mid))
    rcpts = rnd.sample(rd.LISTED, rnd.randint(1, 3))
    rcpts += ["nobody%d@%s" % (rnd.randint(0, 99999), rd.DOMAIN) for _ in range(rnd.randint(0, 2))]
    rnd.shuffle(rcpts)
    return "sender%d@elsewhere.example" % mid, rcpts


# relay_daemon's send_one() with these envelopes: they leave out its
# backend-refused recipient, which Postfix would accept and then bounce.
rd.envelope = envelope


def cmd_send(server, count, seed, out):
    results, lock = [], threading.Lock()

    def worker(mine):
        for mid in mine:
            try:
                with smtplib.SMTP(server, 25, timeout=30) as s:
                    s.ehlo("client%d.test.example" % mid)
                    r = rd.send_one(s, seed, mid)
            except (OSError, smtplib.SMTPException) as e:
                r = {"id": mid, "status": "error", "reply": str(e)}
            with lock:
                results.append(r)

    ts = [threading.Thread(target=worker, args=(list(range(count))[k::THREADS],))
          for k in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        json.dump(results, f)


def count_recs(rec_dir):
    return sum(1 for n in os.listdir(rec_dir) if n.endswith(".json"))


def cmd_wait(sent_path, rec_dir, seconds):
    with open(sent_path) as f:
        count = sum(1 for s in json.load(f) if s["status"] == 250)
    end = time.time() + seconds
    while count_recs(rec_dir) < count and time.time() < end:
        time.sleep(0.2)
    time.sleep(1)  # a late duplicate would show up here
    print("%d messages at the recorder (%d expected)" % (count_recs(rec_dir), count))


def added_headers(prefix):
    """The header fields Postfix put before the message (unfolded)."""
    fields = []
    for line in prefix.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line)
    return fields


def check_message(s, rec, content, seed, client):
    fails = []
    mid = s["id"]
    expect = rd.message(seed, mid)
    if not content.endswith(expect):
        return ["message %d: the original is not the end of what arrived (%d octets, expected %d + headers)"
                % (mid, len(content), len(expect))]
    fields = added_headers(content[:-len(expect)])
    if not fields:
        fails.append("message %d: Postfix added no Received: header" % mid)
    for h in fields:
        if not h.lower().startswith(b"received:"):
            fails.append("message %d: unexpected added header %r" % (mid, h[:80]))
    if not any(b"[%s]" % client.encode() in h for h in fields):
        fails.append("message %d: no Received: names [%s] (XCLIENT): %r" % (mid, client, fields))
    accepted = sorted(a for a in s["rcpts"] if a not in s["refused"])
    if sorted(rec["rcpts"]) != accepted:
        fails.append("message %d: recorder recipients %s, accepted %s" % (mid, rec["rcpts"], accepted))
    for a, (code, text) in s["refused"].items():
        if not (a.startswith("nobody") and code == 550 and text.startswith("5.1.1 <")):
            fails.append("message %d: %s refused with %s %s" % (mid, a, code, text))
    return fails


def cmd_verify(sent_path, rec_dir, seed, client, maillog):
    fails = []
    with open(sent_path) as f:
        sent = json.load(f)
    at_rec = {}
    for name in os.listdir(rec_dir):
        if name.endswith(".json"):
            with open(os.path.join(rec_dir, name)) as f:
                r = json.load(f)
            content = bytes.fromhex(r["content"])
            mid = int(content.split(b"Message-ID: <m", 1)[1].split(b"@", 1)[0])
            at_rec.setdefault(mid, []).append((r, content))
            fails += ["message %d: unknown %s reached the recorder" % (mid, a)
                      for a in r["rcpts"] if a.startswith("nobody")]
    ok = 0
    for s in sent:
        got = at_rec.get(s["id"], [])
        if s["status"] != 250:
            fails.append("message %d got %s %s" % (s["id"], s["status"], s.get("reply", "")))
            continue
        if len(got) != 1:
            fails.append("message %d got 250 but is at the recorder %d times" % (s["id"], len(got)))
            continue
        fails += check_message(s, got[0][0], got[0][1], seed, client)
        ok += 1
    n_rec = sum(len(v) for v in at_rec.values())
    if n_rec != ok:
        fails.append("%d messages at the recorder, %d got 250" % (n_rec, ok))
    with open(maillog, errors="replace") as f:
        log = f.read()
    if "nobody" in log:
        fails.append("an unknown recipient reached Postfix: %s" %
                     [line for line in log.splitlines() if "nobody" in line][:3])
    delivered = log.count("status=sent")
    if delivered < ok:
        fails.append("Postfix's log shows %d deliveries for %d messages" % (delivered, ok))
    if "client=unknown[%s]" % client not in log:
        fails.append("Postfix's log never names the client [%s]" % client)
    for f in fails[:20]:
        print("FAIL:", f)
    print("verified %d messages with 250 (%d sent), %d at the recorder, %d deliveries in Postfix's log"
          % (ok, len(sent), n_rec, delivered))
    return 1 if fails or ok == 0 else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "recorder":
        rd.cmd_recorder(int(argv[2]), argv[3])
        return 0
    if len(argv) == 6 and argv[1] == "send":
        cmd_send(argv[2], int(argv[3]), argv[4], argv[5])
        return 0
    if len(argv) == 5 and argv[1] == "wait":
        cmd_wait(argv[2], argv[3], float(argv[4]))
        return 0
    if len(argv) == 7 and argv[1] == "verify":
        return cmd_verify(argv[2], argv[3], argv[4], argv[5], argv[6])
    print("usage: see the header of", argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
