#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tls_reload.sh - rcptgatectl tls reload while TLS clients run.
#
# Two ECDSA P-256 certificates for mx.test.example, A and B, with
# different keys. The daemon starts on A. Clients (Python smtplib, four
# threads) run STARTTLS sessions without a pause, each verifying the
# certificate against a bundle of both and getting its 550 5.1.1, while
# the chain file is switched to B, A, B, ... and reloaded twenty times;
# after each reload a new session must see the new certificate. A
# session established before a reload goes on, on the old certificate,
# after it. A file of garbage and a key that does not match its
# certificate are refused with the reason, and the certificate serving
# before them still serves. At the end no client session failed, the
# counters say 20 reloads and 2 refusals, and once the clients are gone
# every replaced context has been freed (tls_contexts_retired 0).
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init tls_reload
command -v openssl >/dev/null || it_skip "openssl not installed"
it_need_python
it_veth 10.77.19
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CTL() { "$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" "$@"; }

"$BUILD/ctrl/rcptgatectl" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" ||
	it_fail "cannot compile the sample table"
for c in A B; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=mx.test.example/O=cert $c" -addext "subjectAltName=DNS:mx.test.example" \
		-keyout "$IT_TMP/$c.key" -out "$IT_TMP/$c.crt" 2>/dev/null || it_fail "openssl req $c"
	cat "$IT_TMP/$c.key" "$IT_TMP/$c.crt" > "$IT_TMP/$c.pem"
done
cat "$IT_TMP/A.crt" "$IT_TMP/B.crt" > "$IT_TMP/ca.pem"
cp "$IT_TMP/A.pem" "$IT_TMP/chain.pem"

it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
	"smtpd_tls_chain_files=$IT_TMP/chain.pem"
it_start "$IT_TMP/a.conf"

cat > "$IT_TMP/client.py" <<'PY'
import hashlib, os, smtplib, ssl, sys, threading, time

addr, cafile, what = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)

def session(hold=None):
    """One STARTTLS session; the name of the certificate seen ("cert A")."""
    s = smtplib.SMTP(addr, 25, local_hostname="client.test.example", timeout=10)
    s._host = "mx.test.example"
    s.ehlo()
    code, msg = s.starttls(context=ctx)
    if code != 220:
        raise RuntimeError(f"STARTTLS {code} {msg}")
    der = s.sock.getpeercert(binary_form=True)
    seen = [v for f in s.sock.getpeercert()["subject"] for k, v in f if k == "organizationName"][0]
    if hold:
        open(hold + ".ready", "w").close()
        for _ in range(200):
            if os.path.exists(hold + ".go"):
                break
            time.sleep(0.05)
    s.ehlo()
    s.mail("s@elsewhere.example")
    code, msg = s.rcpt("nobody@example.com")
    if code != 550 or not msg.startswith(b"5.1.1"):
        raise RuntimeError(f"unknown recipient got {code} {msg}")
    s.quit()
    return seen

if what == "probe":
    print(session())
elif what == "hold":
    print(session(hold=sys.argv[4]))
elif what == "load":
    stop, counts, errors = sys.argv[4], {"ok": 0}, []
    deadline = time.monotonic() + 120  # never outlive the test
    def run():
        while not os.path.exists(stop) and time.monotonic() < deadline and len(errors) < 100:
            try:
                session()
                counts["ok"] += 1
            except Exception as e:
                errors.append(repr(e))
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(f"sessions {counts['ok']} failed {len(errors)}")
    for e in errors[:5]: print("error:", e)
    sys.exit(1 if errors or counts["ok"] == 0 else 0)
PY
PY() { in_ns /usr/bin/python3 "$IT_TMP/client.py" "$IT_ADDR" "$IT_TMP/ca.pem" "$@"; }

seen=$(PY probe) || it_fail "a STARTTLS session before any reload: $seen"
[ "$seen" = "cert A" ] || it_fail "the daemon serves '$seen', not cert A"

# A session established on A, held open across a reload to B.
PY hold "$IT_TMP/hold" > "$IT_TMP/hold.out" 2>&1 &
hold_pid=$!
it_wait 10 test -e "$IT_TMP/hold.ready" || it_fail "the held session did not start"

PY load "$IT_TMP/stop" > "$IT_TMP/load.out" 2>&1 &
load_pid=$!
# the clients stop on the stop file (or after 120 s, or 100 errors)
it_defer touch "$IT_TMP/stop"
sleep 0.5

want=A
for i in $(seq 20); do
	[ $want = A ] && want=B || want=A
	cp "$IT_TMP/$want.pem" "$IT_TMP/chain.pem"
	CTL tls reload > "$IT_TMP/reload.out" 2>&1 || { cat "$IT_TMP/reload.out"; it_fail "reload $i refused"; }
	grep -q "^certificates reloaded: 1 workers" "$IT_TMP/reload.out" || { cat "$IT_TMP/reload.out"; it_fail "reload $i output"; }
	seen=$(PY probe) || it_fail "a session after reload $i: $seen"
	[ "$seen" = "cert $want" ] || it_fail "after reload $i a new session sees '$seen', not cert $want"
	if [ $i = 1 ]; then
		touch "$IT_TMP/hold.go"
		wait $hold_pid || { cat "$IT_TMP/hold.out"; it_fail "the session held across a reload failed"; }
		[ "$(cat "$IT_TMP/hold.out")" = "cert A" ] || it_fail "held session: $(cat "$IT_TMP/hold.out")"
		echo "ok   a session established on cert A went on after the reload to cert B: 550 5.1.1"
	fi
	sleep 0.2
done
echo "ok   20 reloads alternating two certificates; each time a new session saw the new one"

# Refusals: the old certificate keeps serving ($want, the last one published).
echo "not a certificate" > "$IT_TMP/chain.pem"
CTL tls reload > "$IT_TMP/bad.out" 2>&1 && it_fail "a chain file of garbage was accepted"
grep -q "chain.pem" "$IT_TMP/bad.out" || { cat "$IT_TMP/bad.out"; it_fail "the refusal does not name the file"; }
cat "$IT_TMP/A.key" "$IT_TMP/B.crt" > "$IT_TMP/chain.pem"
CTL tls reload > "$IT_TMP/mismatch.out" 2>&1 && it_fail "a key not matching its certificate was accepted"
grep -qi "match" "$IT_TMP/mismatch.out" || { cat "$IT_TMP/mismatch.out"; it_fail "the refusal does not say the key does not match"; }
seen=$(PY probe) || it_fail "a session after the refusals: $seen"
[ "$seen" = "cert $want" ] || it_fail "after the refusals the daemon serves '$seen', not cert $want"
echo "ok   garbage and a mismatched key refused ($(head -c 160 "$IT_TMP/mismatch.out")); cert $want still serves"

touch "$IT_TMP/stop"
wait $load_pid || { cat "$IT_TMP/load.out"; it_fail "client sessions failed during the reloads"; }
echo "ok   clients during the reloads: $(head -1 "$IT_TMP/load.out")"

retired() { CTL stats --all | awk '$1 == "tls_contexts_retired" { print $2 }'; }
it_wait 5 test "$(retired)" = 0 || it_fail "replaced contexts not freed after their sessions ended: $(retired)"
echo "ok   every replaced context freed once its sessions ended"

it_stop
[ "$(it_counter tls_reloads)" = 20 ] || it_fail "tls_reloads $(it_counter tls_reloads), want 20"
[ "$(it_counter tls_reloads_failed)" = 2 ] || it_fail "tls_reloads_failed $(it_counter tls_reloads_failed), want 2"
grep -q "tls reload refused: .*chain.pem" "$IT_LOG" || it_fail "no log line for the refused reload"
echo "ok   counters: 20 reloads, 2 refused; refusals logged"
