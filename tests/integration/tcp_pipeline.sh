#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_pipeline.sh [SESSIONS] - pipelined input larger than the send buffer.
#
# A Linux client in a network namespace sends EHLO, MAIL and 100 RCPT in
# one write (replies: about 7.5 KiB, the send buffer holds 4 KiB) to
# rcptgate in af_xdp mode on the host end of a veth pair, SESSIONS times
# (default 20). Every reply must be right, and no client retransmission
# may have been needed: rcptgate held the input it could not answer yet
# (tcp_input_held) instead of leaving it unacknowledged (tcp_backpressure
# must stay 0), and the client kernel's TcpRetransSegs must not move.
# The time from the write to the last reply is printed, not asserted.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
SESSIONS=${1:-20}
tcp_init tcp_pipeline 10.77.45

tcp_start "smtpd_hard_error_limit=1000"

out=$(in_ns /usr/bin/python3 "$(dirname "$0")/tcp_pipeline.py" "$IT_ADDR" "$SESSIONS")
rc=$?
echo "$out"
sleep 1	# let the last FIN exchanges finish
it_stop
tcp_show
[ $rc -eq 0 ] || it_fail "not every session got the right replies"
read -r _ _ rbefore _ rafter <<< "$(echo "$out" | grep '^client TcpRetransSegs')"
[ -n "${rafter:-}" ] || it_fail "no retransmission count from the client"
[ "$rafter" -eq "$rbefore" ] || it_fail "the client retransmitted $((rafter - rbefore)) segments"
[ "$(it_counter tcp_backpressure)" -eq 0 ] || it_fail "input left unacknowledged (tcp_backpressure)"
[ "$(it_counter tcp_input_held)" -gt 0 ] || it_fail "no input was held: the test did not fill the send buffer"
[ "$(it_counter smtp_quit)" -eq "$SESSIONS" ] || it_fail "smtp_quit != $SESSIONS"
[ "$(it_counter tcp_buffers_used)" -eq 0 ] || it_fail "buffers still held at the end"
echo "PASS: $SESSIONS pipelined sessions, no client retransmission"
