#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# smoke.sh - rcptgate-bench (kernel-socket mode) against rcptgate on a veth
#
# ~100 short sessions of each scenario (reject, dict, mixed) from a client
# in a network namespace to rcptgate in af_packet mode: every session must
# finish and no reply may differ from what the table says. Then --tls
# (reject, and dict pipelined): EHLO, STARTTLS, a full handshake, EHLO,
# the scenario inside TLS; every session must have completed its handshake
# and ended inside TLS. Then reject and dict over IPv6 (rcptgate listens on
# both families; --server [IPV6]). Not a timed test: it checks the harness
# and the daemon agree, not how fast they are.
set -u
. "$(dirname "$0")/../../integration/lib.sh"
. "$(dirname "$0")/../../integration/tcp_lib.sh"
IT_MODE=af_packet
BENCH=$BUILD/tests/bench/rcptgate-bench/rcptgate-bench
it_init bench-smoke
[ -x "$BENCH" ] || it_fail "no rcptgate-bench in $BUILD"
it_veth 10.77.82
ADDR6=fd00:77:82::1
tcp_dual_stack "$ADDR6" 64
in_ns ip -6 addr add fd00:77:82::2/64 dev "$IT_PEER" nodad || it_fail "cannot add an IPv6 address"
IT_LISTEN="$IT_ADDR:25, [$ADDR6]:25"

"$BENCH" --write-users "$IT_TMP/users.txt" --users 1000 || it_fail "cannot write users"
"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/users.txt" "$IT_TMP/users.tbl" >/dev/null ||
	it_fail "rcptgatectl compile failed"
command -v openssl >/dev/null || it_skip "openssl not installed (scripts/setup-deps)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=mx.test.example" \
	-keyout "$IT_TMP/key.pem" -out "$IT_TMP/cert.pem" 2>/dev/null || it_fail "openssl req"
cat "$IT_TMP/key.pem" "$IT_TMP/cert.pem" > "$IT_TMP/chain.pem"
it_conf "$IT_TMP/rcptgate.conf" "recipient_table=$IT_TMP/users.tbl" "relay_domains=example.com" \
	"smtpd_hard_error_limit=1000" "smtpd_tls_security_level=may" "smtpd_tls_chain_files=$IT_TMP/chain.pem"
it_start "$IT_TMP/rcptgate.conf"

fail=
for sc in reject dict mixed; do
	# mixed: no relay in this set-up, so the end of DATA must get 451.
	in_ns "$BENCH" --scenario "$sc" --users 1000 --sessions 100 --concurrency 8 --timeout 20 \
		--data-code 451 --progress 0 --server "$IT_ADDR" > "$IT_TMP/$sc.out" 2>&1
	rc=$?
	cat "$IT_TMP/$sc.out"
	[ $rc -eq 0 ] || fail="$fail $sc"
done
for sc in reject dict; do
	in_ns "$BENCH" --tls --scenario "$sc" --users 1000 --sessions 100 --concurrency 8 --timeout 20 \
		--progress 0 --json --server "$IT_ADDR" > "$IT_TMP/tls-$sc.out" 2>&1
	rc=$?
	cat "$IT_TMP/tls-$sc.out"
	# Every session: its handshake, and its 221 inside TLS.
	grep -q '"sessions":100,.*"tls_handshakes":100,"tls_refused":0,"tls_sessions":100,.*"wrong_replies":0,' \
		"$IT_TMP/tls-$sc.out" || rc=1
	[ $rc -eq 0 ] || fail="$fail tls-$sc"
done
for sc in reject dict; do
	in_ns "$BENCH" --scenario "$sc" --users 1000 --sessions 100 --concurrency 8 --timeout 20 \
		--progress 0 --json --server "[$ADDR6]" > "$IT_TMP/v6-$sc.out" 2>&1
	rc=$?
	cat "$IT_TMP/v6-$sc.out"
	grep -q '"sessions":100,.*"wrong_replies":0,' "$IT_TMP/v6-$sc.out" || rc=1
	[ $rc -eq 0 ] || fail="$fail v6-$sc"
done
it_stop
if [ -n "$fail" ] && [ "$(it_counter drop_tcp_no_stack)" -gt 0 ]; then
	it_skip "this rcptgate has no TCP on its workers yet (drop_tcp_no_stack)"
fi
[ -z "$fail" ] || it_fail "wrong replies or failed sessions in:$fail"
sessions=$(it_counter smtp_sessions)
[ "$sessions" -ge 700 ] || it_fail "rcptgate counted $sessions sessions, expected >= 700"
tls=$(it_counter tls_handshakes_completed)
[ "$tls" -ge 200 ] || it_fail "rcptgate counted $tls completed handshakes, expected >= 200"
# the IPv4 runs make 500 sessions: the other 200 came over IPv6
[ "$(it_counter ndp_solicits)" -ge 1 ] || it_fail "no neighbour solicitation: IPv6 never reached rcptgate"
echo "PASS: 700 benchmark sessions (200 inside TLS, 200 over IPv6), no wrong reply"
