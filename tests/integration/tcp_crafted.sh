#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_crafted.sh - crafted segments (scapy) and a SYN flood against rcptgate.
#
# rcptgate on AF_XDP on the host end of a veth pair; tcp_crafted.py plays
# clients from spoofed addresses: retransmitted SYN, lost final ACK,
# talking before the banner, out-of-order and overlapping segments, RST
# out of window and in window, SYN on an established connection, client
# zero window, retransmitted FIN, data after FIN, bad TCP checksum, bad
# IPv4 header checksum with and without options. Then
# 100,000 spoofed sources send SYNs for 8 s while the kernel client runs
# real sessions: SYN cookies must engage and carry real sessions,
# rcptgate's memory must not grow, and every real session must complete.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
FLOOD=${1:-100000}
tcp_init tcp_crafted 10.77.43
it_need_python scapy.all
server_mac=$(cat "/sys/class/net/$IT_HOST/address")
here=$(dirname "$0")

tcp_start "tcp_syn_backlog=256" "max_connections=4096"

in_ns /usr/bin/python3 "$here/tcp_crafted.py" "$IT_PEER" "$IT_ADDR" "$server_mac" 10.77.43
crafted=$?

rss() { awk '/VmRSS/ { print $2 }' "/proc/$IT_PID/status"; }
rss0=$(rss)
in_ns /usr/bin/python3 "$here/tcp_flood.py" "$IT_PEER" "$IT_ADDR" "$server_mac" "$FLOOD" 8 &
flood=$!
sleep 2	# the SYN-RECEIVED table fills up first
in_ns /usr/bin/python3 "$here/tcp_load.py" "$IT_ADDR" 200 5 60
real=$?
wait $flood || it_fail "the flood generator failed"
rss1=$(rss)
echo "rcptgate VmRSS: ${rss0} kB before the flood, ${rss1} kB after"
it_stop
tcp_show
[ $crafted -eq 0 ] || it_fail "crafted segment cases failed"
[ $real -eq 0 ] || it_fail "real sessions failed during the SYN flood"
[ "$(it_counter tcp_syncookies_sent)" -gt 0 ] || it_fail "SYN cookies never engaged"
[ "$(it_counter tcp_syncookies_valid)" -gt 0 ] || it_fail "no real session went through a SYN cookie"
[ $(( rss1 - rss0 )) -lt 8192 ] || it_fail "memory grew by $(( rss1 - rss0 )) kB under the flood"
[ "$(it_counter tcp_drop_checksum)" -ge 1 ] || it_fail "bad checksum not counted"
[ "$(it_counter drop_ip_checksum)" -ge 2 ] || it_fail "bad IP header checksums not counted"
[ "$(it_counter tcp_challenge_acks)" -ge 2 ] || it_fail "challenge ACKs not counted"
[ "$(it_counter tcp_early_talker)" -ge 1 ] || it_fail "early talker not counted"
[ "$(it_counter tcp_window_probes)" -ge 1 ] || it_fail "window probes not counted"
echo "PASS: crafted segments and SYN flood"
