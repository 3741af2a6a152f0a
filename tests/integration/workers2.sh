#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# workers2.sh [MODE [SESSIONS]] - two workers on a veth with two queues.
#
# af_packet (the default): rcptgate with workers = 2 opens the port with
# two queue pairs; PACKET_FANOUT spreads the flows over their sockets by
# hash, so each connection stays on one worker both ways. af_xdp: the veth
# has two RX and two TX queues and the kernel spreads the flows over
# them; DPDK 22.11's net_af_xdp counts a device's queues by its
# "combined" channels, which veth does not report (it has RX and TX
# ones), so rcptgate opens one port for each queue (start_queue=0 and 1,
# queue_count=1; dp_port_count()), each worker with its XSK, and the
# PMD's XDP program redirects a frame by its RX queue. The test says
# SKIP only where the veth reports no channels at all (ethtool -l, asked
# before the start), and fails if the daemon does not start. The Linux kernel as client
# runs 10,000 short sessions (250 for the known recipient, 550 for the
# unknown one, 221) from many source ports while the recipient table is
# reloaded five times under the load, alternating between a table that
# also lists a probe address and one that does not (the load's replies
# are the same in both). Every session must complete with the right replies; "rcptgatectl
# stats --per-worker" must show both workers serving, their sessions
# adding up to the whole; every reload must reach generation N while the
# load runs; then 200 sessions with the probe as the known recipient must
# get 250 from both workers (a worker still reading the old table would
# answer 550); at SIGTERM the daemon stops in time holding no connection.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
IT_MODE=${1:-af_packet}
SESSIONS=${2:-10000}
IT_WORKERS=2
IT_VETH_QUEUES=2
tcp_init "workers2-$IT_MODE" 10.77.14
[ "$(nproc)" -ge 2 ] || it_skip "two workers need two CPUs"
# On a veth the client's TX queue is the worker's RX queue: a flow must
# not move to another one after a retransmission timeout, as it would not
# on a NIC's RSS (docs/deployment.md). Kernels before 5.19 never move it.
in_ns sysctl -qw net.core.txrehash=0 2>/dev/null || true
CTL="$BUILD/ctrl/rcptgatectl"
ctl() { "$CTL" -s "$IT_TMP/control.sock" "$@"; }

tcp_conf "max_connections_per_source=1000" "smtpd_client_connection_count_limit=0"
# two tables of one size (reload_max_shrink): the probe's, and one
# without it
PROBE=probe@test.example
printf 'alice@test.example\n%s\n' "$PROBE" > "$IT_TMP/probe.txt"
printf 'alice@test.example\nother@test.example\n' > "$IT_TMP/other.txt"
for t in probe other; do
	"$CTL" compile "$IT_TMP/$t.txt" "$IT_TMP/$t.tbl" >/dev/null || it_fail "cannot compile the $t table"
done
# af_xdp with a port a queue needs the veth's channels (dp_port_count());
# asked before the start, so that any failure to start fails the test
if [ "$IT_MODE" = af_xdp ] && ! ethtool -l "$IT_HOST" >/dev/null 2>&1; then
	it_skip "$IT_HOST reports no channels (ethtool -l): rcptgate cannot tell its queues apart," \
		"and net_af_xdp takes one queue on a device without combined channels"
fi
it_spawn "$BUILD/dataplane/rcptgate" -f "$IT_TMP/rcptgate.conf"
started() { grep -q "serving" "$IT_LOG" || ! kill -0 "$IT_PID" 2>/dev/null; }
it_wait 15 started
if ! grep -q "serving" "$IT_LOG"; then
	cat "$IT_LOG"
	it_fail "rcptgate did not start within 15 s"
fi

ctl status | grep -E "^(workers|worker_lcores) " || it_fail "status"
[ "$(ctl status | awk '$1 == "workers" { print $2 }')" = 2 ] || it_fail "the daemon does not run two workers"

in_ns timeout 300 /usr/bin/python3 "$(dirname "$0")/tcp_load.py" "$IT_ADDR" "$SESSIONS" 200 60 \
	> "$IT_TMP/load.out" 2>&1 &
load=$!
it_defer kill "$load"
for g in 2 3 4 5 6; do
	sleep 1
	kill -0 "$load" 2>/dev/null || it_fail "the load ended before reload $g"
	tbl=$IT_TMP/probe.tbl # at even generations, the last one
	[ $((g % 2)) -eq 0 ] || tbl=$IT_TMP/other.tbl
	ctl reload "$tbl" > "$IT_TMP/reload.out" 2>&1 || { cat "$IT_TMP/reload.out"; it_fail "reload $g under load"; }
	grep -q "generation $g," "$IT_TMP/reload.out" || { cat "$IT_TMP/reload.out"; it_fail "reload: not generation $g"; }
done
wait "$load"
rc=$?
cat "$IT_TMP/load.out"
[ $rc -eq 0 ] || it_fail "not every session completed with the right replies"
sleep 2 # the last FIN exchanges

ctl stats --per-worker > "$IT_TMP/w.txt" || it_fail "stats --per-worker"
grep -E "^(counter|smtp_sessions|smtp_quit|tcp_connections|rx_packets) " "$IT_TMP/w.txt"
it_workers_served smtp_quit "$SESSIONS"
# the table an operator reads: a column a worker, the same counts
head -n 1 "$IT_TMP/w.txt" | grep -Eq '^counter +worker 0 +worker 1 *$' ||
	it_fail "stats --per-worker: not a column for each of two workers"
[ "$(awk '$1 == "smtp_quit" && NF == 3 && $2 > 0 && $3 > 0 { print $2 + $3 }' "$IT_TMP/w.txt")" = "$SESSIONS" ] ||
	it_fail "stats --per-worker: smtp_quit is not both workers' share of $SESSIONS"
[ "$(ctl status | awk '$1 == "table_generation" { print $2 }')" = 6 ] || it_fail "table generation is not 6"

# both workers read the last table: the probe, unknown to the first one,
# gets 250 from each
before=$(it_worker_counts smtp_rcpt_accepted) || it_fail "stats --per-worker --json"
in_ns timeout 120 /usr/bin/python3 "$(dirname "$0")/tcp_load.py" "$IT_ADDR" 200 20 60 "$PROBE" ||
	it_fail "the probe address, listed in the last table only, was refused"
sleep 1 # the last FIN exchanges
after=$(it_worker_counts smtp_rcpt_accepted) || it_fail "stats --per-worker --json"
set -- $before $after
[ $# -eq 4 ] || it_fail "not two workers in stats --per-worker ($before / $after)"
d0=$(($3 - $1)) d1=$(($4 - $2))
[ "$d0" -gt 0 ] && [ "$d1" -gt 0 ] && [ $((d0 + d1)) -eq 200 ] ||
	it_fail "not both workers answered the probe: accepted $d0 + $d1"
echo "ok   both workers read the last table: the probe accepted $d0 + $d1 = 200"

it_stop
# the ports closed, the XDP program they attached (af_xdp) is gone
! ip link show "$IT_HOST" | grep -q ' xdp' || it_fail "an XDP program left on $IT_HOST after the stop"
tcp_show
[ "$(it_counter tcp_connections)" -eq 0 ] || it_fail "connections still held at the end"
[ "$(it_counter tcp_buffers_used)" -eq 0 ] || it_fail "send buffers still held at the end"
echo "PASS: two workers, $SESSIONS sessions spread over both, five reloads under load, clean stop"
