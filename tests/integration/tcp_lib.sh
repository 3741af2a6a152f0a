# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_lib.sh - helpers of the TCP integration tests (sourced after lib.sh).
#
#   tcp_init NAME SUBNET      it_init NAME (IT_MODE af_xdp unless set), skip
#                             without /usr/bin/python3, it_veth SUBNET
#   tcp_conf [KEY=VAL ...]    compile a one-address table (alice@test.example,
#                             domain test.example served), write the config
#                             $IT_TMP/rcptgate.conf with the overrides given
#   tcp_start [KEY=VAL ...]   tcp_conf, then start rcptgate
#   tcp_dual_stack ADDR6 LEN  the host side of a dual-stack test: in af_xdp
#                             mode the kernel owns IT_ADDR and ADDR6/LEN (DAD
#                             off) and TCP_EXTRA names rcptgate's XDP program
#                             for tcp_start; otherwise the host end's own IPv6
#                             is off. DAD off in the client namespace.
#   tcp_show                  print the TCP and session counters rcptgate
#                             printed at shutdown

tcp_init() {
	IT_MODE=${IT_MODE:-af_xdp}
	it_init "$1"
	it_need_python
	it_veth "$2"
}

tcp_conf() {
	printf 'alice@test.example\n' > "$IT_TMP/rcpt.txt"
	"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/rcpt.txt" "$IT_TMP/rcpt.tbl" >/dev/null ||
		it_fail "rcptgatectl compile failed"
	it_conf "$IT_TMP/rcptgate.conf" "recipient_table=$IT_TMP/rcpt.tbl" \
		"relay_domains=test.example" "$@"
}

tcp_start() {
	tcp_conf "$@"
	it_start "$IT_TMP/rcptgate.conf"
}

tcp_show() {
	grep -E '^ *(tcp_|smtp_quit|smtp_sessions|worker_busy|mbuf|tx_full)' "$IT_LOG"
}

tcp_dual_stack() {
	TCP_EXTRA=()
	if [ "$IT_MODE" = af_xdp ]; then
		# the kernel owns the addresses; the program steers TCP to port 25
		local obj="$BUILD/bpf/rcptgate_xdp.bpf.o"
		[ -f "$obj" ] || it_fail "no $obj"
		TCP_EXTRA=("xdp_object=$obj")
		sysctl -qw "net.ipv6.conf.$IT_HOST.accept_dad=0" || it_skip "cannot turn DAD off"
		ip addr add "$IT_ADDR/24" dev "$IT_HOST" || it_fail "cannot add $IT_ADDR"
		ip -6 addr add "$1/$2" dev "$IT_HOST" nodad || it_fail "cannot add $1"
	else
		# the kernel's side of the host end must not answer for anything
		sysctl -qw "net.ipv6.conf.$IT_HOST.disable_ipv6=1" || true
	fi
	in_ns sysctl -qw "net.ipv6.conf.$IT_PEER.accept_dad=0" || it_skip "cannot turn DAD off in the namespace"
}
