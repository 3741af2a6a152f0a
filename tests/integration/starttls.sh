#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# starttls.sh - STARTTLS against the running daemon on AF_XDP/veth.
#
# An ECDSA P-256 self-signed certificate for mx.test.example (the
# daemon's myhostname) in one chain file, key then certificate. smtplib
# verifies it and its name, with TLS 1.3 and TLS 1.2: no STARTTLS in the
# EHLO after the handshake, 550 5.1.1 for an unknown recipient, 250 for a
# listed one. openssl s_client does the same with a scripted session.
# Commands pipelined behind STARTTLS are never executed (CVE-2011-0411);
# garbage instead of a ClientHello fails that handshake only. The log
# has Postfix's "Anonymous TLS connection established" line; rcptgate -t
# refuses a missing chain file and a key that does not match its
# certificate, naming FILE:LINE.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init starttls
command -v openssl >/dev/null || it_skip "openssl not installed"
it_need_python
it_veth 10.77.9
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RG="$BUILD/dataplane/rcptgate"

"$BUILD/ctrl/rcptgatectl" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" ||
	it_fail "cannot compile the sample table"

# The certificate: key then certificate in one chain file.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=mx.test.example" -addext "subjectAltName=DNS:mx.test.example" \
	-keyout "$IT_TMP/key.pem" -out "$IT_TMP/cert.pem" 2>/dev/null || it_fail "openssl req"
cat "$IT_TMP/key.pem" "$IT_TMP/cert.pem" > "$IT_TMP/chain.pem"

it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
	"smtpd_tls_chain_files=$IT_TMP/chain.pem" "smtpd_tls_loglevel=1"
"$RG" -t -f "$IT_TMP/a.conf" > "$IT_TMP/t.out" 2>&1 || { cat "$IT_TMP/t.out"; it_fail "-t refuses the TLS config"; }
it_start "$IT_TMP/a.conf"

cat > "$IT_TMP/client.py" <<'PY'
import smtplib, socket, ssl, sys, time

addr, cafile, what = sys.argv[1], sys.argv[2], sys.argv[3]

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def ctx(version):
    c = ssl.create_default_context(cafile=cafile)
    c.minimum_version = c.maximum_version = version
    return c

def smtplib_session(version, name):
    s = smtplib.SMTP(addr, 25, local_hostname="client.test.example", timeout=10)
    s._host = "mx.test.example"  # the name the certificate is checked against
    code, _ = s.ehlo()
    if code != 250 or not s.has_extn("starttls"):
        fail(f"{name}: no STARTTLS offered: {s.esmtp_features}")
    code, msg = s.starttls(context=ctx(version))
    if code != 220:
        fail(f"{name}: STARTTLS {code} {msg}")
    if s.sock.version() != name:
        fail(f"{name}: negotiated {s.sock.version()}")
    code, _ = s.ehlo()
    if code != 250 or s.has_extn("starttls"):
        fail(f"{name}: EHLO after TLS {code}, features {s.esmtp_features}")
    s.mail("s@elsewhere.example")
    code, msg = s.rcpt("nobody@example.com")
    if code != 550 or not msg.startswith(b"5.1.1"):
        fail(f"{name}: unknown recipient got {code} {msg}")
    code, msg = s.rcpt("bob@example.com")
    if code != 250:
        fail(f"{name}: bob@example.com got {code} {msg}")
    code, _ = s.quit()
    if code != 221:
        fail(f"{name}: QUIT {code}")
    print(f"ok   smtplib over {name}: 550 5.1.1, 250, 221; no STARTTLS in the EHLO after it")

def recv_reply(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            return buf
        buf += data
        lines = buf.split(b"\r\n")
        if len(lines) > 1 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return buf

def injection():
    sock = socket.create_connection((addr, 25), timeout=10)
    recv_reply(sock)  # banner
    sock.sendall(b"EHLO x\r\n")
    recv_reply(sock)
    sock.sendall(b"STARTTLS\r\nNOOP\r\n")
    r = recv_reply(sock)
    if not r.startswith(b"220 2.0.0"):
        fail(f"injection: STARTTLS got {r!r}")
    sock.settimeout(1.0)
    try:
        extra = sock.recv(4096)
        if extra:
            fail(f"injection: the NOOP sent behind STARTTLS was answered in plaintext: {extra!r}")
    except socket.timeout:
        pass
    sock.settimeout(10)
    t = ctx(ssl.TLSVersion.TLSv1_3).wrap_socket(sock, server_hostname="mx.test.example")
    t.sendall(b"EHLO y\r\n")
    r = recv_reply(t)
    if not r.startswith(b"250-mx.test.example"):
        fail(f"injection: first reply in TLS is not the EHLO reply: {r!r}")
    t.sendall(b"NOOP\r\n")
    r = recv_reply(t)
    if not r.startswith(b"250 2.0.0"):
        fail(f"injection: NOOP in TLS got {r!r}")
    t.sendall(b"QUIT\r\n")
    recv_reply(t)
    t.close()
    print("ok   NOOP pipelined behind STARTTLS not executed; first TLS reply is the EHLO reply")

def garbage():
    sock = socket.create_connection((addr, 25), timeout=10)
    recv_reply(sock)
    sock.sendall(b"EHLO x\r\n")
    recv_reply(sock)
    sock.sendall(b"STARTTLS\r\n")
    recv_reply(sock)
    sock.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 4)
    sock.settimeout(5)
    try:
        while sock.recv(4096):
            pass
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    print("ok   garbage instead of a ClientHello: connection closed")

def pipeline(n):
    s = smtplib.SMTP(addr, 25, local_hostname="client.test.example", timeout=20)
    s._host = "mx.test.example"
    s.ehlo()
    s.starttls(context=ctx(ssl.TLSVersion.TLSv1_3))
    s.ehlo()
    t = s.sock
    # more replies than the send buffer holds, in one burst of records
    t.sendall(b"NOOP\r\n" * n + b"RCPT TO:<nobody@example.com>\r\nQUIT\r\n")
    buf = b""
    while not buf.endswith(b"\r\n") or b"\r\n221 " not in buf:
        data = t.recv(65536)
        if not data:
            break
        buf += data
    lines = buf.split(b"\r\n")
    ok = sum(1 for l in lines if l.startswith(b"250 2.0.0"))
    if ok != n or not any(l.startswith(b"503 5.5.1") for l in lines) or not lines[-2].startswith(b"221"):
        fail(f"pipeline: {ok} of {n} NOOP replies, last {lines[-3:]!r}")
    print(f"ok   {n} commands pipelined in TLS records: every reply, in order, then 503 and 221")

def relay(outdir, n):
    import json, os, random
    rnd = random.Random(7)
    sent = []
    for i in range(n):
        size = 3 << 20 if i == 0 else rnd.randrange(100, 200000)
        body = b"".join(b"line %d %s\r\n" % (j, b"x" * rnd.randrange(0, 90)) for j in range(size // 60))
        msg = b"Subject: tls %d\r\n\r\n" % i + body
        s = smtplib.SMTP(addr, 25, local_hostname="client.test.example", timeout=30)
        s._host = "mx.test.example"
        s.starttls(context=ctx(ssl.TLSVersion.TLSv1_3))
        s.ehlo()
        refused = s.sendmail("s@elsewhere.example", ["bob@example.com"], msg)
        if refused:
            fail(f"relay: refused {refused}")
        s.quit()
        sent.append(msg)
    got = []
    for name in os.listdir(outdir):
        if name.endswith(".json"):
            with open(os.path.join(outdir, name)) as f:
                got.append(bytes.fromhex(json.load(f)["content"]))
    if sorted(got) != sorted(sent):
        fail(f"relay: backend has {len(got)} messages, {sum(g in sent for g in got)} of {len(sent)} identical")
    print(f"ok   {n} messages relayed over TLS (one of 3 MB), byte-identical at the backend")

if what == "relay":
    relay(sys.argv[4], int(sys.argv[5]))
elif what == "pipeline":
    pipeline(int(sys.argv[4]))
elif what == "tls13":
    smtplib_session(ssl.TLSVersion.TLSv1_3, "TLSv1.3")
elif what == "tls12":
    smtplib_session(ssl.TLSVersion.TLSv1_2, "TLSv1.2")
elif what == "inject":
    injection()
elif what == "garbage":
    garbage()
PY

PY_CLIENT() { in_ns /usr/bin/python3 "$IT_TMP/client.py" "$IT_ADDR" "$IT_TMP/cert.pem" "$@"; }
PY_CLIENT tls13 || it_fail "smtplib over TLS 1.3"
PY_CLIENT pipeline 3000 || it_fail "pipelined commands over TLS"
PY_CLIENT tls12 || it_fail "smtplib over TLS 1.2"

# (a) openssl s_client, a scripted session with pauses.
s_client() {
	{
		sleep 1; echo "EHLO client.test.example"; sleep 0.5
		echo "MAIL FROM:<s@elsewhere.example>"; sleep 0.3
		echo "RCPT TO:<nobody@example.com>"; sleep 0.3
		echo "RCPT TO:<bob@example.com>"; sleep 0.3
		echo "QUIT"; sleep 1
	} | in_ns timeout 20 openssl s_client -starttls smtp -connect "$IT_ADDR:25" "$1" -crlf -quiet -ign_eof \
		-CAfile "$IT_TMP/cert.pem" -verify_hostname mx.test.example -verify_return_error \
		> "$IT_TMP/s_client.out" 2>&1
	grep -q "^550 5.1.1 <nobody@example.com>" "$IT_TMP/s_client.out" &&
		grep -q "^250 2.1.5" "$IT_TMP/s_client.out" && grep -q "^221 " "$IT_TMP/s_client.out" ||
		{ cat "$IT_TMP/s_client.out"; it_fail "openssl s_client $1"; }
	! grep -q "STARTTLS" "$IT_TMP/s_client.out" || { cat "$IT_TMP/s_client.out"; it_fail "s_client $1: STARTTLS offered inside TLS"; }
	echo "ok   openssl s_client -starttls smtp $1: 550 5.1.1, 250 2.1.5, 221"
}
s_client -tls1_3
s_client -tls1_2

# A second TLS implementation: GnuTLS, which sends STARTTLS itself.
if command -v gnutls-cli >/dev/null; then
	{
		sleep 1; echo "EHLO client.test.example"; sleep 0.5
		echo "MAIL FROM:<s@elsewhere.example>"; sleep 0.3
		echo "RCPT TO:<nobody@example.com>"; sleep 0.3
		echo "QUIT"; sleep 1
	} | in_ns timeout 20 gnutls-cli --starttls-proto=smtp --crlf -p 25 --x509cafile "$IT_TMP/cert.pem" \
		--verify-hostname mx.test.example "$IT_ADDR" > "$IT_TMP/gnutls.out" 2>&1
	grep -q "^550 5.1.1 <nobody@example.com>" "$IT_TMP/gnutls.out" && grep -q "^221 " "$IT_TMP/gnutls.out" ||
		{ cat "$IT_TMP/gnutls.out"; it_fail "gnutls-cli --starttls-proto=smtp"; }
	echo "ok   gnutls-cli --starttls-proto=smtp: certificate verified, 550 5.1.1, 221"
else
	echo "skip gnutls-cli: gnutls-bin not installed"
fi

# (c) injection, (d) garbage.
PY_CLIENT inject || it_fail "STARTTLS injection"
PY_CLIENT garbage || it_fail "garbage handshake"
PY_CLIENT tls13 || it_fail "smtplib after the garbage session: daemon unhealthy"

# swaks --tls needs Net::SSLeay
if perl -MNet::SSLeay -e 1 2>/dev/null && command -v swaks >/dev/null; then
	in_ns swaks --server "$IT_ADDR" --tls --tls-verify --tls-ca-path "$IT_TMP/cert.pem" \
		--tls-sni mx.test.example --helo swaks.test.example \
		--from s@elsewhere.example --to nobody@example.com --quit-after RCPT --timeout 10 \
		> "$IT_TMP/swaks.out" 2>&1
	grep -Eq "^<~\*? 550 5\.1\.1" "$IT_TMP/swaks.out" || { cat "$IT_TMP/swaks.out"; it_fail "swaks --tls"; }
	echo "ok   swaks --tls: 550 5.1.1"
else
	echo "skip swaks --tls: Net::SSLeay not installed"
fi
it_stop
cp "$IT_LOG" "$IT_TMP/a.log"

# A relayed session over TLS: the relay's replies are encrypted, back-pressure
# from the relay holds decrypted input.
if /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null; then
	PORT=$(it_free_port)
	mkdir "$IT_TMP/rec"
	it_bg recorder /usr/bin/python3 "$(dirname "$0")/relay_daemon.py" recorder "$PORT" "$IT_TMP/rec"
	it_bg_ready recorder listening
	it_conf "$IT_TMP/b.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
		"smtpd_tls_chain_files=$IT_TMP/chain.pem" "backend=smtp:127.0.0.1:$PORT"
	it_start "$IT_TMP/b.conf"
	in_ns /usr/bin/python3 "$IT_TMP/client.py" "$IT_ADDR" "$IT_TMP/cert.pem" relay "$IT_TMP/rec" 12 ||
		it_fail "relay over TLS"
	it_stop
else
	echo "skip relay over TLS: aiosmtpd not installed"
fi
IT_LOG="$IT_TMP/a.log"

# (e) the log, (d) the counters.
grep -E "Anonymous TLS connection established from unknown\[10\.77\.9\.2\]: TLSv1\.3 with cipher [A-Z0-9_]+ \([0-9]+/[0-9]+ bits\)" "$IT_LOG" | head -1 ||
	it_fail "no 'Anonymous TLS connection established' log line"
grep -E "Anonymous TLS connection established from unknown\[10\.77\.9\.2\]: TLSv1\.2 with cipher" "$IT_LOG" >/dev/null ||
	it_fail "no TLSv1.2 log line"
grep -E "SSL_accept error from unknown\[10\.77\.9\.2\]: " "$IT_LOG" | head -1 ||
	it_fail "no 'SSL_accept error' log line for the garbage handshake"
for c in tls_handshakes_started tls_handshakes_completed tls_handshakes_failed tls_v1_2 tls_v1_3 \
	smtp_starttls smtp_starttls_injected_octets; do
	echo "     $c $(it_counter "$c")"
done
[ "$(it_counter tls_handshakes_completed)" -ge 6 ] || it_fail "tls_handshakes_completed < 6"
[ "$(it_counter tls_handshakes_failed)" -ge 1 ] || it_fail "tls_handshakes_failed = 0 after garbage"
[ "$(it_counter tls_v1_2)" -ge 2 ] || it_fail "tls_v1_2 < 2"
[ "$(it_counter smtp_starttls_injected_octets)" -ge 6 ] || it_fail "NOOP\\r\\n not counted as injected"

# (g) smtpd_tls_session_limit = 1: while one session holds TLS, the next
# is not offered STARTTLS and gets 454 4.7.0 (TLS shed, the session goes
# on in plaintext and gets its 550); once the first ends, it is offered
# again.
it_conf "$IT_TMP/g.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
	"smtpd_tls_chain_files=$IT_TMP/chain.pem" "smtpd_tls_session_limit=1" \
	"smtpd_starttls_timeout=1s" "smtpd_timeout=60s"
it_start "$IT_TMP/g.conf"
in_ns /usr/bin/python3 - "$IT_ADDR" "$IT_TMP/cert.pem" <<'PY' || it_fail "smtpd_tls_session_limit"
import smtplib, ssl, sys, time

addr, cafile = sys.argv[1], sys.argv[2]

def session():
    s = smtplib.SMTP(addr, 25, local_hostname="client.test.example", timeout=10)
    s._host = "mx.test.example"
    s.ehlo()
    return s

a = session()
assert a.has_extn("starttls"), "first session: STARTTLS not offered"
code, _ = a.starttls(context=ssl.create_default_context(cafile=cafile))
assert code == 220, f"first session: STARTTLS {code}"
a.ehlo()
b = session()
assert not b.has_extn("starttls"), "STARTTLS offered past smtpd_tls_session_limit"
code, msg = b.docmd("STARTTLS")
assert code == 454 and msg.startswith(b"4.7.0"), f"STARTTLS past the limit: {code} {msg}"
b.mail("s@elsewhere.example")
code, msg = b.rcpt("nobody@example.com")
assert code == 550, f"plaintext session past the limit: RCPT {code} {msg}"
b.quit()
a.quit()
for _ in range(20):  # the first session's close reaches the daemon after its QUIT
    c = session()
    offered = c.has_extn("starttls")
    c.quit()
    if offered:
        break
    time.sleep(0.1)
assert offered, "STARTTLS not offered again after the TLS session ended"
print("ok   smtpd_tls_session_limit = 1: the second session is not offered STARTTLS (454 4.7.0), "
      "the third is")

# (h) a client that stalls after the 220: smtpd_starttls_timeout (1s),
# not smtpd_timeout (60s), ends it.
import socket
s = socket.create_connection((addr, 25), timeout=30)
f = s.makefile("rb")
f.readline()
s.sendall(b"EHLO stall.test.example\r\n")
while not f.readline().startswith(b"250 "):
    pass
s.sendall(b"STARTTLS\r\n")
assert f.readline().startswith(b"220 2.0.0"), "no 220 to STARTTLS"
t0 = time.monotonic()
try:
    rest = s.recv(100)
except ConnectionResetError:
    rest = b""
waited = time.monotonic() - t0
assert rest == b"", f"data instead of a close: {rest!r}"
assert waited < 20, f"a stalled handshake lasted {waited:.1f} s"
print(f"ok   a handshake stalled after the 220 is ended by smtpd_starttls_timeout ({waited:.1f} s)")
PY
it_stop
[ "$(it_counter tls_session_limit_reached)" -ge 1 ] || it_fail "tls_session_limit_reached not counted"
[ "$(it_counter smtp_starttls_unavailable)" -eq 1 ] || it_fail "smtp_starttls_unavailable is not 1"
[ "$(it_counter tls_handshakes_failed)" -eq 1 ] || it_fail "the stalled handshake is not counted as failed"
grep -q "timeout after STARTTLS from unknown\[" "$IT_LOG" || it_fail "no 'timeout after STARTTLS' log line"

# (f) rcptgate -t refuses a missing chain file and a mismatched key.
it_conf "$IT_TMP/m.conf" "smtpd_tls_security_level=may" "smtpd_tls_chain_files=$IT_TMP/missing.pem"
if "$RG" -t -f "$IT_TMP/m.conf" > "$IT_TMP/t.out" 2>&1; then cat "$IT_TMP/t.out"; it_fail "-t accepts a missing chain file"; fi
line=$(grep -n "^smtpd_tls_chain_files" "$IT_TMP/m.conf" | cut -d: -f1)
grep -q "$IT_TMP/m.conf:$line: smtpd_tls_chain_files: .*$IT_TMP/missing.pem" "$IT_TMP/t.out" ||
	{ cat "$IT_TMP/t.out"; it_fail "-t does not name FILE:LINE and the missing file"; }
echo "ok   -t: $(tail -n 1 "$IT_TMP/t.out")"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=other" \
	-keyout "$IT_TMP/key2.pem" -out "$IT_TMP/cert2.pem" 2>/dev/null || it_fail "openssl req (2)"
cat "$IT_TMP/key2.pem" "$IT_TMP/cert.pem" > "$IT_TMP/mismatch.pem"
it_conf "$IT_TMP/k.conf" "smtpd_tls_security_level=may" "smtpd_tls_chain_files=$IT_TMP/mismatch.pem"
if "$RG" -t -f "$IT_TMP/k.conf" > "$IT_TMP/t.out" 2>&1; then cat "$IT_TMP/t.out"; it_fail "-t accepts a key that does not match"; fi
grep -q "$IT_TMP/k.conf:[0-9]*: smtpd_tls_chain_files: " "$IT_TMP/t.out" ||
	{ cat "$IT_TMP/t.out"; it_fail "-t: mismatched key not reported with FILE:LINE"; }
echo "ok   -t: $(tail -n 1 "$IT_TMP/t.out")"
# An expired certificate is served, with a warning at start-up.
if /usr/bin/python3 -c "import cryptography" 2>/dev/null; then
	/usr/bin/python3 - "$IT_TMP/expired.pem" <<'PY' || it_fail "cannot make an expired certificate"
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
k = ec.generate_private_key(ec.SECP256R1())
n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx.test.example")])
now = datetime.datetime.utcnow()
c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
     .serial_number(x509.random_serial_number())
     .not_valid_before(now - datetime.timedelta(days=60)).not_valid_after(now - datetime.timedelta(days=30))
     .sign(k, hashes.SHA256()))
with open(sys.argv[1], "wb") as f:
    f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    f.write(c.public_bytes(serialization.Encoding.PEM))
PY
	it_conf "$IT_TMP/e.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
		"smtpd_tls_chain_files=$IT_TMP/expired.pem"
	it_start "$IT_TMP/e.conf"
	it_stop
	grep -i "expired" "$IT_LOG" | head -1 | grep . || it_fail "no warning about the expired certificate"
	[ "$(grep -ci "expired" "$IT_LOG")" -eq 1 ] || it_fail "the expired certificate warned about more than once"
else
	echo "skip expired certificate: python3-cryptography not installed"
fi
echo "PASS: STARTTLS"
