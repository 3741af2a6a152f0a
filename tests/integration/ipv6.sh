#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ipv6.sh [MODE [SESSIONS]] - rcptgate dual stack on a veth, MODE af_packet
# (default) or af_xdp.
#
# listen = IPV4:25, [IPV6]:25. A client namespace with an IPv6 address
# (DAD off) pings -6 (neighbour solicitation to the solicited-node group,
# then echo), speaks SMTP with smtplib and with swaks -6 over IPv6 (250
# for a known recipient, 550 for an unknown one), runs SESSIONS (default
# 2000) Linux TCP sessions over IPv6 and 200 over IPv4 with every reply
# checked, and plays tcp_crafted.py's TCP cases over IPv6 from spoofed
# sources (retransmitted SYN, lost final ACK, early talker, out of order,
# RFC 5961 RST and SYN in window, RST out of window, zero window,
# retransmitted FIN, data after FIN, bad checksum) and its SYN cookie case
# (1,088 spoofed SYNs, one per /64, then a handshake through a cookie).
# In af_packet mode ipv6_crafted.py then sends SYNs behind extension
# headers (hop-by-hop, destination options, routing with no segments
# left, a chain of four: skipped and answered) and ones dropped each for
# its reason (fragments, routing with segments left, five headers,
# hop-by-hop out of place, a header cut short, UDP, bad checksum), each
# checked in the counters rcptgate prints at shutdown. In af_xdp mode the
# kernel owns both addresses (neighbour discovery, ping) and rcptgate's
# XDP program steers TCP to them (packets with extension headers go to
# the kernel): the extension header cases and the NDP counters are
# af_packet's.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
here=$(dirname "$0")
IT_MODE=${1:-af_packet}
SESSIONS=${2:-2000}
tcp_init "ipv6-$IT_MODE" 10.77.61
it_need_python scapy.all
command -v swaks >/dev/null || it_skip "swaks not installed"
swaks --support 2>&1 | grep -q '=== IPv6 supported' || it_skip "swaks without IPv6 (libio-socket-inet6-perl)"
ADDR6=fd00:77:61::1
CLIENT6=fd00:77:61::2
tcp_dual_stack "$ADDR6" 64
in_ns ip -6 addr add "$CLIENT6/64" dev "$IT_PEER" nodad || it_fail "cannot add $CLIENT6"

IT_LISTEN="$IT_ADDR:25, [$ADDR6]:25" tcp_start "max_connections_per_source=1000" "smtpd_client_connection_count_limit=0" "${TCP_EXTRA[@]}"
grep -q "serving $IT_ADDR:25, \[$ADDR6\]:25" "$IT_LOG" || it_fail "start-up line does not name both addresses"

in_ns ping -6 -c 5 -i 0.2 -W 2 "$ADDR6" > "$IT_TMP/ping.out" 2>&1
rc=$?
cat "$IT_TMP/ping.out"
[ $rc -eq 0 ] && grep -q ' 0% packet loss' "$IT_TMP/ping.out" || it_fail "ping -6 $ADDR6 lost replies"

in_ns /usr/bin/python3 - "$ADDR6" <<'PY' || it_fail "smtplib over IPv6"
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], 25, timeout=10)
code, _ = s.ehlo('client.test.example')
assert code == 250, code
assert s.mail('sender@elsewhere.example')[0] == 250
assert s.rcpt('alice@test.example')[0] == 250
code, msg = s.rcpt('nobody@test.example')
print('smtplib over IPv6: RCPT unknown ->', code, msg.decode())
assert code == 550, code
s.quit()
PY

# swaks -6: the reply to RCPT is the line after "-> RCPT TO:"
swaks6() {
	in_ns timeout 30 swaks -6 --server "$ADDR6" --port 25 --helo client.test.example \
		--from sender@elsewhere.example --to "$1" --quit-after RCPT > "$IT_TMP/swaks.out" 2>&1
	cat "$IT_TMP/swaks.out" >&2
	grep -q "^=== Connected to $ADDR6\." "$IT_TMP/swaks.out" || it_fail "swaks -6 did not connect to $ADDR6"
	awk '/-> RCPT TO:/ { getline; print substr($2, 1, 3); exit }' "$IT_TMP/swaks.out"
}
[ "$(swaks6 alice@test.example)" = 250 ] || it_fail "swaks -6: no 250 for a listed recipient"
[ "$(swaks6 nobody@test.example)" = 550 ] || it_fail "swaks -6: no 550 for an unknown recipient"

in_ns /usr/bin/python3 "$here/tcp_load.py" "$ADDR6" "$SESSIONS" 100 60 || it_fail "IPv6 sessions"
in_ns /usr/bin/python3 "$here/tcp_load.py" "$IT_ADDR" 200 50 60 || it_fail "IPv4 sessions beside IPv6"
server_mac=$(cat "/sys/class/net/$IT_HOST/address")
in_ns /usr/bin/python3 "$here/tcp_crafted.py" "$IT_PEER" "$ADDR6" "$server_mac" fd00:77:61:: ||
	it_fail "crafted TCP segments over IPv6"
in_ns /usr/bin/python3 "$here/tcp_crafted.py" "$IT_PEER" "$ADDR6" "$server_mac" fd00:77:61::1: syn_cookie ||
	it_fail "SYN cookies over IPv6"
if [ "$IT_MODE" = af_packet ]; then
	in_ns /usr/bin/python3 "$here/ipv6_crafted.py" "$IT_PEER" "$CLIENT6" "$ADDR6" "$server_mac" ||
		it_fail "crafted IPv6 frames"
fi
sleep 2 # the last FIN exchanges
it_stop
tcp_show
grep -q "reject: RCPT from unknown\[$CLIENT6\]" "$IT_LOG" || it_fail "no reject log line naming unknown[$CLIENT6]"
[ "$(it_counter smtp_quit)" -ge $((SESSIONS + 201)) ] || it_fail "smtp_quit below the sessions run"
# the SYN cookie case's spoofed sources stay in SYN-RECEIVED till they time out
[ "$(it_counter tcp_connections)" -eq "$(it_counter tcp_syn_received)" ] ||
	it_fail "established connections still held at the end"
[ "$(it_counter tcp_challenge_acks)" -ge 2 ] || it_fail "challenge ACKs (RST, SYN in window) not counted"
[ "$(it_counter tcp_early_talker)" -ge 1 ] || it_fail "early talker not counted"
[ "$(it_counter tcp_window_probes)" -ge 1 ] || it_fail "window probes not counted"
[ "$(it_counter tcp_syncookies_sent)" -gt 0 ] || it_fail "SYN cookies never sent over IPv6"
[ "$(it_counter tcp_syncookies_valid)" -gt 0 ] || it_fail "no IPv6 session through a SYN cookie"
if [ "$IT_MODE" = af_xdp ]; then
	echo "PASS: IPv6 dual stack over af_xdp ($SESSIONS IPv6 sessions)"
	exit 0
fi
grep -E '^ *(ndp_|icmp6_|ip6_|drop_ip6|drop_ndp|drop_icmp6|tcp_drop_checksum)' "$IT_LOG"
[ "$(it_counter ndp_solicits)" -ge 1 ] || it_fail "no neighbour solicitation answered"
[ "$(it_counter icmp6_echo_replies)" -ge 5 ] || it_fail "icmp6_echo_replies < 5"
# the counts ipv6_crafted.py's cases add up to; only its frames carry
# extension headers to the listen address
want() { [ "$(it_counter "$1")" -eq "$2" ] || it_fail "$1 = $(it_counter "$1"), expected $2 ($3)"; }
want ip6_ext_skipped 13 "extension headers skipped"
want drop_ip6_fragment 2 "fragments"
want drop_ip6_routing 1 "routing header with segments left"
want drop_ip6_ext_chain 1 "five extension headers"
want drop_ip6_header 2 "hop-by-hop out of place, a header cut short"
want drop_ip6_proto 1 "UDP"
[ "$(it_counter tcp_drop_checksum)" -ge 2 ] || it_fail "bad checksums not counted"
echo "PASS: IPv6 dual stack over af_packet ($SESSIONS IPv6 sessions)"
