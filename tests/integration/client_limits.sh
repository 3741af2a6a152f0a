#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	client_limits.sh - Postfix's client limits on the wire
# DESCRIPTION
#	rcptgate on a veth (AF_XDP), Linux clients in a namespace, one
#	address (client_limits.py):
#	1. smtpd_client_connection_count_limit = 50, 60 sessions at once:
#	   exactly 10 get "421 4.7.0 mx.test.example Error: too many
#	   connections from IP" and are closed, the other 50 are served;
#	   no SYN is left unanswered (the client's kernel retransmitted
#	   none, the per-source cap dropped none); logged and counted.
#	2. smtpd_client_connection_rate_limit = 5 per anvil_rate_time_unit
#	   = 2s: 7 sessions in a row, the last 2 refused; after the unit a
#	   session is served again.
#	3. smtpd_client_recipient_rate_limit = 4: RCPT 5 and 6 get
#	   "450 4.7.1 Error: too many recipients from IP".
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages or python3 are missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
tcp_init client-limits 10.77.71
command -v nstat >/dev/null || it_skip "nstat (iproute2) not installed"
client() { in_ns /usr/bin/python3 "$HERE/client_limits.py" "$IT_ADDR" "$@"; }

# 1. the count limit
tcp_start "smtpd_client_connection_count_limit=50"
in_ns nstat -n >/dev/null # start nstat's history: -s below shows what came after
client count 60 10 || it_fail "60 sessions at once with the count limit at 50"
synre=$(in_ns nstat -z TcpExtTCPSynRetrans | awk '$1 == "TcpExtTCPSynRetrans" { print $2 }')
[ "${synre:-0}" -eq 0 ] || it_fail "the client retransmitted $synre SYNs: a SYN went unanswered"
client seq 1 1 || it_fail "a session after the others ended was not served"
it_stop
[ "$(it_counter smtp_client_connection_count_limit)" -eq 10 ] ||
	it_fail "smtp_client_connection_count_limit is $(it_counter smtp_client_connection_count_limit), want 10"
[ "$(it_counter tcp_cap_per_source)" -eq 0 ] || it_fail "the SYN-level cap dropped SYNs"
n=$(grep -c "warning: Connection concurrency limit exceeded: 51 from unknown\[$IT_SUBNET.2\] for service smtp" "$IT_LOG")
[ "$n" -ge 1 ] || it_fail "no 'Connection concurrency limit exceeded' line in the log"

# 2. the connection rate limit, and its window
tcp_start "smtpd_client_connection_rate_limit=5" "anvil_rate_time_unit=2s"
client seq 7 5 || it_fail "the connection rate limit"
sleep 2.2
client seq 1 1 || it_fail "no session served after anvil_rate_time_unit"
it_stop
[ "$(it_counter smtp_client_connection_rate_limit)" -eq 2 ] || it_fail "smtp_client_connection_rate_limit != 2"
grep -q "warning: Connection rate limit exceeded: 6 from unknown\[$IT_SUBNET.2\] for service smtp" "$IT_LOG" ||
	it_fail "no 'Connection rate limit exceeded: 6' line in the log"

# 3. the recipient rate limit
tcp_start "smtpd_client_recipient_rate_limit=4"
client rcpt 6 4 || it_fail "the recipient rate limit"
it_stop
[ "$(it_counter smtp_client_recipient_rate_limit)" -eq 2 ] || it_fail "smtp_client_recipient_rate_limit != 2"
grep -q "warning: Recipient address rate limit exceeded: 5 from unknown\[$IT_SUBNET.2\] for service smtp" "$IT_LOG" ||
	it_fail "no 'Recipient address rate limit exceeded: 5' line in the log"
echo "PASS: count, connection rate and recipient rate limits answer as Postfix"
