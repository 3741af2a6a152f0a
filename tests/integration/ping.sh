#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ping.sh MODE - rcptgate answers ARP and ICMP echo for its listen address.
#
# A client in a network namespace pings rcptgate across a veth pair; the
# daemon runs on the host end in port mode MODE (af_xdp or af_packet). On
# SIGTERM it must exit 0, leave no XDP program on the interface, and its
# final counters must show the echo requests it answered.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=${1:?usage: ping.sh af_xdp|af_packet}
it_init "ping-$IT_MODE"
it_veth 10.77.1

it_conf "$IT_TMP/rcptgate.conf"
it_start "$IT_TMP/rcptgate.conf"

in_ns ping -c 5 -i 0.2 -W 2 "$IT_ADDR" > "$IT_TMP/ping.out" 2>&1
rc=$?
cat "$IT_TMP/ping.out"
[ $rc -eq 0 ] || it_fail "ping to $IT_ADDR got no replies"
grep -q ' 0% packet loss' "$IT_TMP/ping.out" || it_fail "ping lost packets"

# A TCP SYN to the listen address must not crash anything and must be
# counted (by TCP or as a drop).
in_ns timeout 1 bash -c "exec 3<>/dev/tcp/$IT_ADDR/9" 2>/dev/null

it_stop
echo rcptgate:; cat "$IT_LOG"
echoes=$(it_counter icmp_echo_replies)
[ "$echoes" -ge 5 ] || it_fail "icmp_echo_replies = $echoes, expected >= 5"
if [ "$IT_MODE" = af_packet ]; then
	arps=$(it_counter arp_requests)
	[ "$arps" -ge 1 ] || it_fail "arp_requests = $arps, expected >= 1"
fi
if ip link show "$IT_HOST" | grep -q xdp; then
	it_fail "an XDP program is still attached to $IT_HOST after shutdown"
fi
echo "PASS: ping over $IT_MODE"
