# SPDX-License-Identifier: BSD-3-Clause
"""metrics_http.py - what metrics_listen answers to requests that are not
a plain scrape (metrics.sh runs it against the daemon).

usage: metrics_http.py HOST PORT

1. POST /metrics: 405 with "Allow: GET, HEAD"; GET /other: 404;
   garbage: 400; a request head of 9000 octets: 431 (or the connection
   closed); HTTP/1.1 without Host: 400. Each connection is closed by the
   server after its response.
2. A slow client sends half a request line and holds its connection:
   a scrape on another connection meanwhile gets its 200, and the slow
   one is closed by the server between 8 and 14 s after it connected.
3. 16 idle connections at once: the 17th is closed at once, unanswered;
   once the 16 go, a scrape gets its 200 again.
Prints one "ok ..." line per check; exit status 1 at the first failure.
"""
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def connect():
    return socket.create_connection((HOST, PORT), timeout=15)


def read_all(s):
    """Everything until the server closes (b"" on a reset)."""
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    except ConnectionResetError:
        return out


def ask(raw):
    s = connect()
    s.sendall(raw)
    out = read_all(s)
    s.close()
    return out


def scrape():
    out = ask(b"GET /metrics HTTP/1.1\r\nHost: m\r\n\r\n")
    if not out.startswith(b"HTTP/1.1 200 OK\r\n") or b"\nrcptgate_smtp_sessions_total " not in out:
        fail("scrape: got %r" % out[:200])


def expect(name, raw, status, extra=None, may_close=False):
    out = ask(raw)
    if out == b"" and may_close:
        print("ok   %s -> connection closed" % name)
        return
    line = out.split(b"\r\n", 1)[0].decode("latin-1")
    if not line.startswith("HTTP/1.1 %d " % status):
        fail("%s: got %r, want %d" % (name, out[:200], status))
    head, _, body = out.partition(b"\r\n\r\n")
    if extra is not None and extra not in head:
        fail("%s: no %r in %r" % (name, extra, head))
    if b"Connection: close" not in head:
        fail("%s: no Connection: close" % name)
    clen = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
    if not clen or int(clen[0].split(b":")[1]) != len(body):
        fail("%s: Content-Length %r, body %d octets" % (name, clen, len(body)))
    print("ok   %s -> %s" % (name, line))


# 1. refusals
expect("POST /metrics", b"POST /metrics HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\n\r\nab", 405,
       b"\r\nAllow: GET, HEAD")
expect("GET /other", b"GET /other HTTP/1.1\r\nHost: m\r\n\r\n", 404)
expect("garbage", b"\x16\x03\x01\x02\x00garbage\r\n\r\n", 400)
expect("no Host", b"GET /metrics HTTP/1.1\r\n\r\n", 400)
expect("9000-octet head", b"GET /metrics HTTP/1.1\r\nHost: m\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
       431, may_close=True)

# 2. a slow client does not hold up a scrape, and is closed in time
slow = connect()
t0 = time.monotonic()
slow.sendall(b"GET /met")
time.sleep(0.5)
scrape()
print("ok   scrape while a slow client holds a connection -> 200")
slow.settimeout(20)
rest = read_all(slow)
waited = time.monotonic() - t0
slow.close()
if rest != b"" or not 8 <= waited <= 14:
    fail("slow client: closed after %.1f s with %r" % (waited, rest[:100]))
print("ok   slow client closed by the server after %.1f s, unanswered" % waited)

# 3. the connection cap
held = [connect() for _ in range(16)]
time.sleep(0.5)  # all accepted
extra = connect()
extra.settimeout(5)
t0 = time.monotonic()
got = read_all(extra)
if got != b"" or time.monotonic() - t0 > 3:
    fail("17th connection: %r after %.1f s" % (got[:100], time.monotonic() - t0))
extra.close()
print("ok   17th connection closed at once")
for h in held:
    h.close()
time.sleep(0.5)
scrape()
print("ok   scrape after the 16 went -> 200")
