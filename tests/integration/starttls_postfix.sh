#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	starttls_postfix.sh - a Postfix that requires TLS sends through rcptgate
# DESCRIPTION
#	The story of the STARTTLS work, with a real sending MTA: a private
#	Postfix instance in the client namespace relays with
#	smtp_tls_security_level = encrypt (what a sender does for a domain
#	with an MTA-STS policy in enforce mode or DANE records) to rcptgate
#	(smtpd_tls_security_level = may) on the veth. Mail to a valid user
#	must arrive at the backend (an aiosmtpd recorder on the host), mail
#	to an unknown user must bounce at once with rcptgate's 550 5.1.1,
#	not be deferred; Postfix must have used TLS and never logged "TLS is
#	required, but was not offered".
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure (with the end of both logs), 77
#	(SKIP, with the reason) without root, namespaces, Postfix, openssl or
#	aiosmtpd.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init starttls-postfix
. "$(dirname "$0")/postfix_lib.sh"
command -v postfix >/dev/null || it_skip "Postfix is not installed (scripts/setup-deps)"
command -v openssl >/dev/null || it_skip "openssl not installed"
it_need_python aiosmtpd
HERE=$(cd "$(dirname "$0")" && pwd)
it_veth 10.77.96
read -r PF_PORT REC_PORT <<< "$(it_free_port 2)"

printf 'bob@example.com\n' > "$IT_TMP/r.txt"
"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/r.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the recipient table"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=mx.test.example" -addext "subjectAltName=DNS:mx.test.example" \
	-keyout "$IT_TMP/key.pem" -out "$IT_TMP/cert.pem" 2>/dev/null || it_fail "openssl req"
cat "$IT_TMP/key.pem" "$IT_TMP/cert.pem" > "$IT_TMP/chain.pem"

# --- the backend: a recorder on the host ---
mkdir "$IT_TMP/rec"
it_bg recorder /usr/bin/python3 "$HERE/relay_daemon.py" recorder "$REC_PORT" "$IT_TMP/rec"
it_bg_ready recorder listening

# --- rcptgate ---
it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "smtpd_tls_security_level=may" \
	"smtpd_tls_chain_files=$IT_TMP/chain.pem" "smtpd_tls_loglevel=1" \
	"backend=smtp:127.0.0.1:$REC_PORT"
it_start "$IT_TMP/a.conf"

# --- the sender: Postfix in the client namespace, TLS required ---
pf_config "$PF_PORT" <<PFCONF
myhostname = sender.test.example
relayhost = [$IT_ADDR]:25
smtp_tls_security_level = encrypt
smtp_tls_loglevel = 1
smtp_address_preference = ipv4
PFCONF
# the TLS manager (entropy, session cache) that Postfix's TLS client needs
echo 'tlsmgr    unix - - n 1000? 1 tlsmgr' >> "$PF/etc/master.cf"
it_defer pf_stop
postfix -c "$PF/etc" set-permissions > "$IT_TMP/postfix-perm.log" 2>&1 ||
	{ cat "$IT_TMP/postfix-perm.log"; it_fail "postfix set-permissions failed"; }
in_ns postfix -c "$PF/etc" start > "$IT_TMP/postfix-start.log" 2>&1 ||
	{ cat "$IT_TMP/postfix-start.log"; it_fail "Postfix did not start"; }

send() {
	printf 'From: <>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nthrough rcptgate over TLS\r\n' "$1" "$2" |
		in_ns /usr/sbin/sendmail -C "$PF/etc" -f '<>' "$1" || it_fail "sendmail to $1 failed"
}
send bob@example.com "for bob"
send nobody@example.com "for nobody"
in_ns postqueue -c "$PF/etc" -f >/dev/null 2>&1

log=$PF/maillog
it_wait 30 grep -q 'to=<nobody@example.com>.*status=bounced' "$log" ||
	{ tail -n 20 "$log"; it_fail "mail to nobody@example.com did not bounce"; }
it_wait 30 grep -q 'to=<bob@example.com>.*status=sent' "$log" ||
	{ tail -n 20 "$log"; it_fail "mail to bob@example.com was not sent"; }
grep 'to=<nobody@example.com>' "$log" | grep -q 'said: 550 5.1.1 <nobody@example.com>' ||
	{ grep 'nobody' "$log"; it_fail "the bounce does not carry rcptgate's 550 5.1.1"; }
grep -q 'status=deferred' "$log" && { grep deferred "$log"; it_fail "Postfix deferred a message"; }
grep -q 'TLS is required, but was not offered' "$log" && it_fail "Postfix found no STARTTLS"
grep -q "TLS connection established to $IT_ADDR\\[$IT_ADDR\\]:25: TLSv1.3" "$log" ||
	{ grep -i tls "$log" | tail -5; it_fail "Postfix logged no TLS 1.3 connection to rcptgate"; }
it_wait 10 grep -lq '"bob@example.com"' "$IT_TMP"/rec/*.json 2>/dev/null ||
	{ ls -la "$IT_TMP/rec"; it_fail "the backend did not receive the message for bob"; }
grep -h 'status=\|TLS connection established' "$log" | sed 's/^.*postfix[^:]*: //'
it_stop
[ "$(it_counter tls_handshakes_completed)" -ge 1 ] || it_fail "rcptgate counted no TLS handshake"
echo "PASS: a Postfix that requires TLS got its 550 at once (bounced, not deferred) and delivered to bob"
