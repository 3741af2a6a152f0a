#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_sessions.sh [SESSIONS CONCURRENCY] - the Linux kernel as TCP client.
#
# rcptgate runs on the host end of a veth pair in AF_XDP mode; a client in
# a network namespace opens SESSIONS short SMTP sessions (default 10000),
# CONCURRENCY at a time (default 200): banner, EHLO, MAIL, a known and an
# unknown RCPT (250, 550), QUIT (221), close. Every session must complete
# with the right replies, and at the end rcptgate must hold no connection
# and no buffer, with no connection aborted by retransmission limits.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
SESSIONS=${1:-10000}
CONC=${2:-200}
tcp_init tcp_sessions 10.77.41

tcp_start "max_connections_per_source=1000" "smtpd_client_connection_count_limit=0"

in_ns /usr/bin/python3 "$(dirname "$0")/tcp_load.py" "$IT_ADDR" "$SESSIONS" "$CONC" 60
rc=$?
sleep 3	# let the last FIN exchanges finish
it_stop
tcp_show
[ $rc -eq 0 ] || it_fail "not every session completed"
[ "$(it_counter tcp_connections)" -eq 0 ] || it_fail "connections still held at the end"
[ "$(it_counter tcp_buffers_used)" -eq 0 ] || it_fail "send buffers still held at the end"
[ "$(it_counter tcp_retransmit_aborts)" -eq 0 ] || it_fail "connections aborted by the retry limit"
[ "$(it_counter smtp_quit)" -eq "$SESSIONS" ] || it_fail "smtp_quit != $SESSIONS"
echo "PASS: $SESSIONS sessions, $CONC at a time"
