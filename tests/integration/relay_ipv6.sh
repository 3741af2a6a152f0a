#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_ipv6.sh - relay from an IPv6 client to an IPv6 backend
# DESCRIPTION
#	rcptgate dual stack on a veth (af_packet), `backend =
#	smtp:[::1]:PORT` where relay_ipv6.py's backend listens on ::1 only
#	(IPV6_V6ONLY: an IPv4 connection cannot reach it) in the host
#	namespace, offering XCLIENT. A client in the namespace with an IPv6
#	address sends one message over IPv6 with smtplib: 250 for the
#	listed recipient, 550 for an unknown one, 250 for the message. The
#	backend must have it once, from ::1, to the listed recipient only,
#	after XCLIENT ADDR=IPV6:<the client's address>. Then the backend is
#	stopped: RCPT gets a 4xx and DATA never a 250; the relay counters
#	agree.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages or IPv6 on lo are missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
IT_MODE=af_packet
tcp_init relay-ipv6 10.77.63
HERE=$(cd "$(dirname "$0")" && pwd)
PY="/usr/bin/python3 $HERE/relay_ipv6.py"
ADDR6=fd00:77:63::1
CLIENT6=fd00:77:63::2
ip -6 addr show dev lo | grep -q 'inet6 ::1/' || it_skip "no ::1 on lo"
tcp_dual_stack "$ADDR6" 64
in_ns ip -6 addr add "$CLIENT6/64" dev "$IT_PEER" nodad || it_fail "cannot add $CLIENT6"

PORT=$(it_free_port)
mkdir "$IT_TMP/rec"
it_bg backend $PY backend "$PORT" "$IT_TMP/rec"
BE_PID=$IT_BG
it_bg_ready backend listening

IT_LISTEN="$IT_ADDR:25, [$ADDR6]:25" tcp_start "backend=smtp:[::1]:$PORT"
TOKEN="token-$$-$RANDOM"
in_ns $PY send "$ADDR6" "$TOKEN" || it_fail "client over IPv6"
it_wait 5 test -e "$IT_TMP/rec/0.json" || it_fail "nothing at the backend"
$PY verify "$IT_TMP/rec" "$TOKEN" "$CLIENT6" || it_fail "backend did not get the message as sent"

kill "$BE_PID"; wait "$BE_PID" 2>/dev/null
! it_port_open ::1 "$PORT" || it_fail "backend still listening"
in_ns $PY down "$ADDR6" || it_fail "backend down"
it_stop
relayed=$(it_counter relay_messages)
failed=$(it_counter relay_connections_failed)
echo "relay_messages $relayed, relay_xclient $(it_counter relay_xclient), relay_connections_failed $failed"
[ "$relayed" -eq 1 ] || it_fail "relay_messages = $relayed, expected 1"
[ "$(it_counter relay_xclient)" -ge 1 ] || it_fail "relay_xclient not counted"
[ "$failed" -ge 1 ] || it_fail "relay_connections_failed = $failed with the backend down"
grep -q "unknown\[$CLIENT6\]" "$IT_LOG" || it_fail "no log line naming unknown[$CLIENT6]"
echo "PASS: relay over IPv6 to [::1], XCLIENT ADDR=IPV6:$CLIENT6 at the backend, backend down 4xx"
