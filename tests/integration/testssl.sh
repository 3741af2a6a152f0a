#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testssl.sh - a TLS scanner's verdict on STARTTLS, AF_XDP/veth.
#
# testssl.sh -t smtp (Debian's package) scans the daemon's STARTTLS:
# protocols, cipher categories, forward secrecy, server preference,
# server defaults and the known vulnerabilities. Its certificate is what
# an operator deploys (signed by a CA the scan is told to trust, valid
# for the name scanned, 90 days, a CRL distribution point), so every
# finding left is about rcptgate's TLS itself. It must find nothing below
# TLS 1.2 offered, the server's own cipher order (tls_preempt_cipherlist
# = yes by default) and nothing rated HIGH or CRITICAL. The scan's broken
# and refused handshakes must all be counted and end: every handshake
# started is counted completed or failed, no TCP connection is left, and
# a plaintext session afterwards still gets its 550.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init testssl
command -v testssl >/dev/null || it_skip "testssl.sh not installed (Debian package testssl.sh)"
command -v openssl >/dev/null || it_skip "openssl not installed"
it_need_python
it_veth 10.77.12
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RG="$BUILD/dataplane/rcptgate"
CTL="$BUILD/ctrl/rcptgatectl"

"$CTL" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the sample table"

# A CA, and the server's ECDSA P-256 certificate signed by it.
ossl() { openssl "$@" 2>"$IT_TMP/openssl.err" || { cat "$IT_TMP/openssl.err"; it_fail "openssl $1"; }; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
	-subj "/CN=rcptgate test CA" -keyout "$IT_TMP/ca.key" -out "$IT_TMP/ca.pem"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=mx.test.example" -keyout "$IT_TMP/key.pem" -out "$IT_TMP/req.pem"
cat > "$IT_TMP/ext.cnf" <<'EOF'
subjectAltName = DNS:mx.test.example
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
crlDistributionPoints = URI:http://ca.test.example/ca.crl
EOF
ossl x509 -req -in "$IT_TMP/req.pem" -CA "$IT_TMP/ca.pem" -CAkey "$IT_TMP/ca.key" \
	-CAcreateserial -days 90 -extfile "$IT_TMP/ext.cnf" -out "$IT_TMP/cert.pem"
cat "$IT_TMP/key.pem" "$IT_TMP/cert.pem" > "$IT_TMP/chain.pem"

it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
	"smtpd_tls_chain_files=$IT_TMP/chain.pem"
it_start "$IT_TMP/a.conf"

# The scan: everything but one handshake per cipher suite (-e) and the
# client simulations (-c), which add minutes and no verdict. No DNS, no
# connection beyond the veth (--ip, --nodns none; no --phone-out).
start=$(date +%s)
timeout 600 ip netns exec "$IT_NS" testssl --quiet --color 0 --warnings off --nodns none \
	--ip "$IT_ADDR" --add-ca "$IT_TMP/ca.pem" --openssl-timeout 10 \
	--protocols --std --pfs --server-preference --server-defaults --vulnerable \
	--jsonfile "$IT_TMP/scan.json" -t smtp "mx.test.example:25" > "$IT_TMP/scan.txt" 2>&1
rc=$?
echo "testssl.sh: exit $rc after $(( $(date +%s) - start ))s"
[ "$rc" -ne 124 ] || { tail -n 30 "$IT_TMP/scan.txt"; it_fail "testssl.sh did not finish in 600s"; }
[ -s "$IT_TMP/scan.json" ] || { tail -n 30 "$IT_TMP/scan.txt"; it_fail "testssl.sh wrote no findings"; }

python3 - "$IT_TMP/scan.json" <<'PY' || { grep -v '^$' "$IT_TMP/scan.txt" | head -80; it_fail "testssl.sh findings"; }
import json, sys

findings = json.load(open(sys.argv[1]))
by_id = {f["id"]: f for f in findings}
bad = 0
for pid in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    f = by_id.get(pid)
    if f is None or not f["finding"].startswith("not offered"):
        print(f"FAIL: {pid}: {f['finding'] if f else 'not tested'}")
        bad += 1
for pid in ("TLS1_2", "TLS1_3"):
    f = by_id.get(pid)
    if f is None or not f["finding"].startswith("offered"):
        print(f"FAIL: {pid}: {f['finding'] if f else 'not tested'}")
        bad += 1
# the server's own order (tls_preempt_cipherlist = yes, the default)
f = by_id.get("cipher_order")
if f is None or f.get("severity") not in ("OK", "INFO") or f["finding"].startswith("NOT"):
    print(f"FAIL: cipher_order: {f['finding'] if f else 'not tested'}")
    bad += 1
for f in findings:
    if f.get("severity") in ("HIGH", "CRITICAL", "FATAL"):
        print(f"FAIL: {f['id']} rated {f['severity']}: {f['finding']}")
        bad += 1
    elif f.get("severity") in ("MEDIUM", "LOW", "WARN"):
        print(f"note {f['id']} rated {f['severity']}: {f['finding']}")
print(f"{len(findings)} findings, none HIGH or CRITICAL" if bad == 0 else f"{bad} bad findings")
sys.exit(1 if bad else 0)
PY

# After the scan: a plaintext session still gets its 550; then every
# handshake is accounted for and every connection has ended.
it_rejects nobody@example.com || it_fail "plaintext session after the scan"
echo "ok   plaintext session after the scan: 550"
for _ in $(seq 50); do [ "$(it_stat tcp_connections)" = 0 ] && break; sleep 0.2; done
started=$(it_stat tls_handshakes_started)
completed=$(it_stat tls_handshakes_completed)
failed=$(it_stat tls_handshakes_failed)
echo "handshakes: $started started, $completed completed, $failed failed; $(it_stat tcp_connections) connections left"
[ "${started:-0}" -gt 20 ] || it_fail "the scan started only ${started:-0} handshakes"
[ $(( completed + failed )) -eq "$started" ] || it_fail "handshakes started and ended do not add up"
[ "$(it_stat tcp_connections)" = 0 ] || it_fail "connections left after the scan: $(it_stat tcp_connections)"
echo "PASS: testssl.sh finds nothing below TLS 1.2 and nothing rated HIGH"
