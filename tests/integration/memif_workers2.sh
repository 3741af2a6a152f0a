#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# memif_workers2.sh [SESSIONS [ROLE]] - two workers over memif, driven by rcptgate-bench.
#
# rcptgate in memif mode with workers = 2 opens two queue pairs; memif has
# no RSS, so the client chooses each flow's worker: rcptgate-bench --queues
# 2 sends every segment of a session on queue (client port mod 2), and
# worker N answers on the queue it received on. The bench runs SESSIONS
# (default 10,000) dictionary sessions of 20 pipelined recipients (10%
# valid), each held 40 ms after the banner so that the load lasts while
# the recipient table is reloaded five times. Then:
#   - the bench finished every session, with no error and no wrong reply
#     (each RCPT got 250 or 550 as the table says);
#   - "rcptgatectl stats --per-worker --json": both workers served, their
#     sessions add up to SESSIONS, each sent and received frames, none
#     holds a connection;
#   - every reload reached its generation;
#   - at SIGTERM the daemon stops in time, holding no connection and no
#     send buffer.
# ROLE client swaps the memif roles: rcptgate-bench serves memif and
# starts first, and rcptgate connects as memif client; zero-copy adds
# memif_zero_copy = yes, the harness copying frames into and out of
# rcptgate's own mbufs. Then also, while the load runs: the harness maps
# rcptgate's hugepage memory (the same memfd, device and inode, as the
# daemon's one segment file: --single-file-segments), which it does not
# when the daemon copies.
# The bench keeps the link up after its run (--hold-port, until its
# standard input ends) so that the counters are read and the daemon is
# stopped before the client goes: DPDK 22.11's memif server can fault
# when the peer disconnects under a worker's RX burst.
set -u
. "$(dirname "$0")/lib.sh"
SESSIONS=${1:-10000}
ROLE=${2:-server}
IT_MODE=memif
IT_WORKERS=2
BENCH=$BUILD/tests/bench/rcptgate-bench/rcptgate-bench
it_init memif-workers2
case $ROLE in
server) BROLE=client ZC=() ;;
client) BROLE=server ZC=("memif_role=client") ;;
zero-copy) BROLE=server ZC=("memif_role=client" "memif_zero_copy=yes") ;;
*) it_fail "ROLE: server, client or zero-copy, not '$ROLE'" ;;
esac
it_need_python
[ "$(nproc)" -ge 2 ] || it_skip "two workers and the client need two CPUs"
[ -x "$BENCH" ] || it_fail "no rcptgate-bench in $BUILD"
CTL="$BUILD/ctrl/rcptgatectl"
ctl() { "$CTL" -s "$IT_TMP/control.sock" "$@"; }

"$BENCH" --write-users "$IT_TMP/users.txt" --users 1000 || it_fail "cannot write users"
"$CTL" compile "$IT_TMP/users.txt" "$IT_TMP/users.tbl" >/dev/null || it_fail "rcptgatectl compile failed"
# Both workers and the sleeping main lcore on CPU 1, the client alone on CPU 0.
IT_DPDK_ARGS="--lcores=(0,1)@1,2@1"
IT_MAILLOG=/dev/null # 180,000 reject lines
IT_ADDR=10.77.86.1
it_conf "$IT_TMP/rcptgate.conf" "recipient_table=$IT_TMP/users.tbl" "relay_domains=example.com" \
	"smtpd_hard_error_limit=1000" "max_connections_per_source=100000" \
	"smtpd_client_connection_count_limit=0" "${ZC[@]}"

it_dpdk_prefix BPREFIX rgbench
mkfifo "$IT_TMP/hold" || it_fail "mkfifo"
start_load() {
	timeout 120 "$BENCH" --mode dpdk --queues 2 --hold-port --server "$IT_ADDR" --src 10.77.86.100 \
		--src-count 2 --scenario dict --rcpts 20 --users 1000 --sessions "$SESSIONS" --concurrency 32 \
		--hold-ms 40 --timeout 30 --progress 0 --json -- \
		--in-memory --no-telemetry --file-prefix "$BPREFIX" --lcores='(0,1)@0' --no-pci \
		--log-level='*:warning' --vdev="net_memif0,role=$BROLE,socket=$IT_TMP/memif.sock,id=0" \
		< "$IT_TMP/hold" > "$IT_TMP/bench.out" 2>&1 &
	load=$!
	it_defer kill "$load"
	exec 3> "$IT_TMP/hold" # the bench holds its port until this closes
}
if [ "$BROLE" = server ]; then
	start_load # rcptgate connects once, as it starts: the server first
	it_bench_port_started "$IT_TMP/bench.out" "$load" || it_fail "rcptgate-bench's port did not start"
fi
it_start "$IT_TMP/rcptgate.conf" 3>&- # the daemon does not hold the harness's FIFO
[ "$(ctl status | awk '$1 == "workers" { print $2 }')" = 2 ] || it_fail "the daemon does not run two workers"
# the serving line names the end of the link rcptgate is
want="as $ROLE"
[ "$ROLE" = zero-copy ] && want="as zero-copy client"
grep -q "serving .* on memif port 0 ($IT_TMP/memif.sock, $want), 2 workers" "$IT_LOG" ||
	it_fail "the serving line does not say '$want'"
[ "$BROLE" = server ] || start_load
done_() { grep -q "port held" "$IT_TMP/bench.out" || ! kill -0 "$load" 2>/dev/null; }
for g in 2 3 4 5 6; do
	sleep 1
	done_ && { cat "$IT_TMP/bench.out"; it_fail "the load ended before reload $g"; }
	ctl reload > "$IT_TMP/reload.out" 2>&1 || { cat "$IT_TMP/reload.out"; it_fail "reload $g under load"; }
	grep -q "generation $g," "$IT_TMP/reload.out" || { cat "$IT_TMP/reload.out"; it_fail "reload: not generation $g"; }
done
if [ "$ROLE" = zero-copy ]; then
	# The daemon's hugepage memory is one memfd (/memfd:seg_0); its
	# device and inode among the harness's mappings: the peer reaches
	# the mbufs.
	bench=$(pgrep -P "$load" -f rcptgate-bench)
	[ -n "$bench" ] || it_fail "no rcptgate-bench process under $load"
	seg=$(awk '$6 == "/memfd:seg_0" { print $4, $5; exit }' "/proc/$IT_PID/maps")
	[ -n "$seg" ] || it_fail "no /memfd:seg_0 in the daemon's mappings (--single-file-segments?)"
	awk -v s="$seg" '$4 " " $5 == s { f = 1 } END { exit !f }' "/proc/$bench/maps" ||
		it_fail "the harness does not map the daemon's memory ($seg): memif is not zero-copy"
	echo "zero-copy: the harness (pid $bench) maps the daemon's hugepage memory, memfd $seg (device, inode)"
fi
it_wait 100 done_
kill -0 "$load" 2>/dev/null || { cat "$IT_TMP/bench.out"; it_fail "rcptgate-bench ended early"; }
sleep 1 # the last FIN exchanges

ctl stats --per-worker | grep -E "^(counter|smtp_sessions|smtp_rcpt_rejected_unknown|rx_packets|tx_packets) "
it_workers_served smtp_sessions "$SESSIONS"
[ "$(ctl status | awk '$1 == "table_generation" { print $2 }')" = 6 ] || it_fail "table generation is not 6"

it_stop
exec 3>&- # the bench closes its port, prints its summary and exits
wait "$load"
rc=$?
grep -v "mp action callback" "$IT_TMP/bench.out"
[ $rc -eq 0 ] || it_fail "rcptgate-bench: not every session completed with the right replies (status $rc)"
grep -q "\"sessions\":$SESSIONS,.*\"wrong_replies\":0," "$IT_TMP/bench.out" ||
	it_fail "rcptgate-bench did not finish $SESSIONS sessions without a wrong reply"
[ "$(it_counter tcp_connections)" -eq 0 ] || it_fail "connections still held at the end"
[ "$(it_counter tcp_buffers_used)" -eq 0 ] || it_fail "send buffers still held at the end"
[ "$(it_counter smtp_sessions)" -eq "$SESSIONS" ] || it_fail "rcptgate counted $(it_counter smtp_sessions) sessions"
echo "PASS: two workers over memif ($ROLE), $SESSIONS sessions on two queues, five reloads under load, clean stop"
