#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# rx_missed.sh [MODE [WORKERS]] - frames the port drops before a worker
# sees them are counted (rx_missed), af_packet or af_xdp on a veth.
#
# The daemon is stopped (SIGSTOP) while the client sends it 20,000 UDP
# datagrams, far more than its RX ring holds; the port drops the rest.
# After SIGCONT the daemon's rx_missed must be above zero, no more than
# what was sent, and account for every datagram the worker did not
# receive, apart from those the kernel dropped before the socket (its
# per-CPU backlog's drops, /proc/net/softnet_stat, and the client
# veth's tx_dropped: a full queue into the peer's XDP); a session must
# still get its 550. rx_missed is the PMD's imissed plus, in these two
# modes, the kernel's count of the PMD's sockets' full rings
# (PACKET_STATISTICS, XDP_STATISTICS rx_ring_full), which DPDK 22.11
# leaves out. With two workers (af_packet: two sockets in one fanout
# group; af_xdp: a veth with two queues, a port and an XSK each) the
# datagrams come from 256 source ports, so that both sockets fill and
# drop: rx_missed must add both sockets' (and ports') counts.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=${1:-af_packet}
IT_WORKERS=${2:-1}
IT_VETH_QUEUES=$IT_WORKERS # af_xdp: a queue, and so a port, for each worker
it_init "rx_missed-$IT_MODE-$IT_WORKERS"
[ "$(nproc)" -ge "$IT_WORKERS" ] || it_skip "$IT_WORKERS workers need $IT_WORKERS CPUs"
it_need_python
it_veth 10.77.15
CTL="$BUILD/ctrl/rcptgatectl"
N=20000

printf 'alice@test.example\n' > "$IT_TMP/r.txt"
"$CTL" compile "$IT_TMP/r.txt" "$IT_TMP/r.tbl" >/dev/null || it_fail "compile"
it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "relay_domains=test.example"
it_start "$IT_TMP/a.conf"

# The neighbour entry first (af_packet: the daemon answers ARP; af_xdp: the kernel).
in_ns ping -c 1 -W 2 "$IT_ADDR" >/dev/null || it_fail "no answer to ping before the test"
# backlog_drops: frames the kernel dropped from its per-CPU input queues
# and the client veth's, on the way to the daemon's end
backlog_drops() {
	local n=0 processed dropped rest
	while read -r processed dropped rest; do n=$(( n + 16#$dropped )); done < /proc/net/softnet_stat
	echo $(( n + $(in_ns cat "/sys/class/net/$IT_PEER/statistics/tx_dropped") ))
}
kdrop0=$(backlog_drops)
kill -STOP "$IT_PID"
in_ns timeout 30 /usr/bin/python3 - "$IT_ADDR" "$N" "$IT_WORKERS" <<'PY' || { kill -CONT "$IT_PID"; it_fail "sender"; }
import socket, sys
flows = 1 if sys.argv[3] == "1" else 256
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(flows)]
for i in range(int(sys.argv[2])):
    socks[i % flows].sendto(b"x" * 64, (sys.argv[1], 9))
PY
kill -CONT "$IT_PID"
sleep 1
missed=$(it_stat rx_missed)
received=$(it_stat rx_packets)
[ -n "$missed" ] && [ -n "$received" ] || it_fail "rcptgatectl stats gave no rx_missed or rx_packets"
echo "sent $N datagrams to the stopped daemon ($IT_WORKERS workers): rx_missed $missed, rx_packets $received"
[ "$missed" -gt 0 ] || it_fail "nothing counted in rx_missed"
[ "$missed" -le "$N" ] || it_fail "rx_missed $missed above the $N sent"
lost=$(( N - received ))
kdrop=$(( $(backlog_drops) - kdrop0 ))
[ "$missed" -ge $(( lost - kdrop )) ] ||
	it_fail "rx_missed $missed below the $lost not received less the kernel's $kdrop drops before the socket"
echo "ok   $lost not received, $kdrop of them dropped by the kernel before the socket"

it_rejects nobody@test.example || it_fail "session after the drops"
it_stop
[ "$(it_counter rx_missed)" -ge "$missed" ] || it_fail "the final counters lost rx_missed"
echo "PASS: the port's drops are counted ($missed of $N), and the daemon serves on"
