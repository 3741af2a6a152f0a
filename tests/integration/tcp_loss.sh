#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_loss.sh [SESSIONS CONCURRENCY] - sessions complete despite 5% loss.
#
# As tcp_sessions.sh, with a tc BPF program (lib/tcp_loss.bpf.c) on the
# client's veth dropping 5% of IPv4 packets in each direction: 1,000
# sessions (default), 50 at a time; every one must complete with the
# right replies, none may hang (60 s per session), and rcptgate must have
# retransmitted (the loss really happened) and hold nothing at the end.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
SESSIONS=${1:-1000}
CONC=${2:-50}
tcp_init tcp_loss 10.77.42
command -v clang >/dev/null || it_skip "clang not installed (builds the loss program)"
command -v tc >/dev/null || it_skip "tc not installed"

multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
clang -O2 -g -target bpf -I"/usr/include/$multiarch" -DLOSS_PCT=5 -c "$(dirname "$0")/lib/tcp_loss.bpf.c" -o "$IT_TMP/loss.o" ||
	it_skip "cannot build the BPF loss program"
in_ns tc qdisc add dev "$IT_PEER" clsact || it_skip "tc clsact not available"
in_ns tc filter add dev "$IT_PEER" egress bpf da obj "$IT_TMP/loss.o" sec tc ||
	it_skip "cannot attach a tc BPF program"
in_ns tc filter add dev "$IT_PEER" ingress bpf da obj "$IT_TMP/loss.o" sec tc ||
	it_skip "cannot attach a tc BPF program"

tcp_start "max_connections_per_source=1000" "smtpd_client_connection_count_limit=0"

in_ns /usr/bin/python3 "$(dirname "$0")/tcp_load.py" "$IT_ADDR" "$SESSIONS" "$CONC" 60
rc=$?
sleep 20	# FIN exchanges under loss: retransmissions back off
it_stop
tcp_show
[ $rc -eq 0 ] || it_fail "not every session completed under loss"
[ "$(it_counter tcp_retransmits)" -gt 0 ] || it_fail "no retransmissions: was there any loss?"
[ "$(it_counter tcp_connections)" -eq 0 ] || it_fail "connections still held at the end"
[ "$(it_counter tcp_buffers_used)" -eq 0 ] || it_fail "send buffers still held at the end"
echo "PASS: $SESSIONS sessions under 5% loss each way"
