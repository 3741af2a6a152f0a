#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# smtp_session.sh - SMTP against the running daemon on AF_XDP/veth, with
# real clients: swaks and Python's smtplib (smtp_client.py).
#
# 250 for a listed recipient, 550 5.1.1 unknown, 554 5.7.1 unserved
# domain, postmaster accepted, a 30-RCPT pipelined dictionary attack
# answered in order and cut by 421; then, restarted with soft_bounce =
# yes, 450 4.1.1. The daemon's counters must agree with what the clients
# saw. A flood past the reject log's rate limit leaves one "N reject lines
# suppressed" line.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init smtp-session
command -v swaks >/dev/null || it_skip "swaks not installed"
it_need_python
it_veth 10.77.2
SRC=$(cd "$(dirname "$0")/../.." && pwd)

"$BUILD/ctrl/rcptgatectl" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" ||
	it_fail "cannot compile the sample table"

# 1. Policy, with swaks and smtplib.
it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "recipient_delimiter=+"
it_start "$IT_TMP/a.conf"

swaks_rcpt() {
	in_ns swaks --server "$IT_ADDR" --helo swaks.test.example --from s@elsewhere.example \
		--to "$1" --quit-after RCPT --timeout 10 > "$IT_TMP/swaks.out" 2>&1
	grep -q "^<.. $2" "$IT_TMP/swaks.out" || { cat "$IT_TMP/swaks.out"; it_fail "swaks to $1: no '$2'"; }
	echo "ok   swaks $1: $2"
}
swaks_rcpt bob@example.com "250 2.1.5"
swaks_rcpt nobody@example.com "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"
swaks_rcpt x@not-served.example "554 5.7.1"

in_ns /usr/bin/python3 "$(dirname "$0")/smtp_client.py" "$IT_ADDR" policy || it_fail "smtplib checks"
# Past the reject log's rate limit the rest are counted, and the count is
# written once the second is over, even when no further reject comes.
in_ns /usr/bin/python3 "$(dirname "$0")/smtp_client.py" "$IT_ADDR" flood || it_fail "reject flood"
sleep 2
grep -E ' rcptgate/smtpd\[[0-9]+\]: [0-9]+ reject lines suppressed' "$IT_LOG" ||
	it_fail "no 'N reject lines suppressed' line after a flood past the log's rate limit"
it_stop
grep ' rcptgate/smtpd\[[0-9]*\]: NOQUEUE: reject: RCPT from' "$IT_LOG" | head -2
grep -q ' rcptgate/smtpd\[[0-9]*\]: NOQUEUE: reject: RCPT from unknown\[10.77.2.2\]: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown; from=<s@elsewhere.example> to=<nobody@example.com> proto=ESMTP helo=<swaks.test.example>' "$IT_LOG" ||
	it_fail "no Postfix-shaped reject log line for nobody@example.com"
sessions=$(it_counter smtp_sessions)
[ "$sessions" -ge 5 ] || it_fail "smtp_sessions = $sessions, expected >= 5"

# 2. soft_bounce = yes.
it_conf "$IT_TMP/b.conf" "recipient_table=$IT_TMP/r.tbl" "soft_bounce=yes"
it_start "$IT_TMP/b.conf"
in_ns /usr/bin/python3 "$(dirname "$0")/smtp_client.py" "$IT_ADDR" soft_bounce || it_fail "soft_bounce checks"
swaks_rcpt nobody@example.com "450 4.1.1"
it_stop
echo "PASS: SMTP sessions with swaks and smtplib"
