#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	shutdown_load.sh - rcptgate stops cleanly on SIGTERM, whatever it is doing
# SYNOPSIS
#	shutdown_load.sh [ROUNDS [WORKERS]]
# DESCRIPTION
#	Starts rcptgate ROUNDS times (default 8) as memif server with DPDK
#	telemetry on, and stops it with SIGTERM at a random moment:
#	  round 1: as soon as its SIGTERM handler is installed (during
#	           EAL start-up, before it serves);
#	  round 2: right after it serves, with no client;
#	  later rounds: 0-1.5 s into a load of SMTP sessions with a SYN
#	           flood from rcptgate-bench (DPDK client over memif), the
#	           relay busy with valid recipients, while
#	           a client asks /rcptgate/stats on the telemetry socket
#	           without pause (its handlers run on DPDK's telemetry
#	           thread while the daemon tears down).
#	Every round rcptgate must exit with status 0 within 10 s, print
#	"final counters" and, under load, count sessions and SYNs. With
#	WORKERS (default 1) above 1, rcptgate runs that many workers on as
#	many memif queue pairs, all on one CPU, rcptgate-bench drives every
#	queue (--queues), and under load every worker must be serving
#	sessions when the SIGTERM comes. Run it
#	against a sanitizer build to see memory errors of the shutdown path
#	(docs/fuzzing.md, "Sanitizer builds").
# DIAGNOSTICS
#	PASS, FAIL with the round and the daemon's last lines, or SKIP
#	(exit 77) without root, hugepages, the harness or /usr/bin/python3.
set -u
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-8}
WORKERS=${2:-1}
it_init shutdown_load
lcores="(0,1)@1"
for w in $(seq 2 "$WORKERS"); do lcores="$lcores,$w@1"; done
BENCH=$BUILD/tests/bench/rcptgate-bench/rcptgate-bench
CTL=$BUILD/ctrl/rcptgatectl
[ -x "$BENCH" ] || it_skip "rcptgate-bench not built in $BUILD"
[ -x "$CTL" ] || it_skip "rcptgatectl not built in $BUILD"
it_need_python
T=$IT_TMP
it_dpdk_prefix PREFIX rgsd
it_dpdk_prefix BPREFIX rgsdb # the bench's
ADDR=10.77.31.1
# A backend that refuses connections: valid recipients still start the
# relay (and get 451 4.3.0), so its thread and rings are torn down busy.
BACKEND_PORT=$(it_free_port)

"$BENCH" --write-users "$T/users.txt" --users 1000 >/dev/null || it_fail "rcptgate-bench --write-users"
"$CTL" compile "$T/users.txt" "$T/users.tbl" >/dev/null || it_fail "rcptgatectl compile"
cat > "$T/rg.conf" <<EOF
port_mode = memif
memif_socket = $T/memif.sock
listen = $ADDR:25
workers = $WORKERS
myhostname = mx.shutdown.example
relay_domains = example.com
recipient_table = $T/users.tbl
control_socket = $T/control.sock
backend = smtp:127.0.0.1:$BACKEND_PORT
smtpd_hard_error_limit = 100000
max_connections_per_source = 100000
maillog_file = /dev/stdout
smtpd_client_connection_count_limit = 0
dpdk_args = --in-memory --file-prefix $PREFIX --lcores=$lcores --log-level=*:warning
EOF

# Telemetry client: /rcptgate/stats without pause until the daemon goes.
TEL_PY='
import socket, sys, time
path = sys.argv[1]
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        s.recv(1024)
        break
    except OSError:
        time.sleep(0.02)
else:
    sys.exit(0)
n = 0
try:
    while True:
        s.send(b"/rcptgate/stats")
        if not s.recv(65536):
            break
        n += 1
except OSError:
    pass
print("telemetry replies:", n)
'

BPID= TPID=
# The clients have served their purpose once rcptgate is gone (the
# harness would wait for its sessions to time out): no need to be gentle.
stop_helpers() {
	for p in $BPID $TPID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BPID= TPID=
}
it_defer stop_helpers

# sessions_now: smtp_sessions of the running daemon's least busy worker
# (0 when it cannot say).
sessions_now() {
	local n least=0
	set -- $(it_worker_counts smtp_sessions 2>/dev/null)
	if [ $# -eq "$WORKERS" ]; then
		least=$1
		for n; do [ "$n" -lt "$least" ] && least=$n; done
	fi
	echo "$least"
}

# ready_or_gone: rcptgate serves on its memif socket, or has exited.
ready_or_gone() {
	{ grep -q serving "$IT_LOG" && [ -S "$T/memif.sock" ]; } || ! kill -0 "$IT_PID" 2>/dev/null
}

# caught SIGNO PID: true once PID has a handler for SIGNO (SigCgt).
caught() {
	local mask
	mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$2/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (( (16#$mask >> ($1 - 1)) & 1 ))
}

for round in $(seq "$ROUNDS"); do
	rm -f "$T/memif.sock"
	it_spawn "$BUILD/dataplane/rcptgate" -f "$T/rg.conf"
	if [ "$round" -eq 1 ]; then
		what="during start-up"
		for _ in $(seq 500); do caught 15 "$IT_PID" && break; sleep 0.01; done
		caught 15 "$IT_PID" || it_fail "round 1: no SIGTERM handler installed within 5 s"
	else
		it_wait 15 ready_or_gone
		grep -q serving "$IT_LOG" || { cat "$IT_LOG"; it_fail "round $round: rcptgate did not start"; }
		if [ "$round" -eq 2 ]; then
			what="idle"
		else
			/usr/bin/python3 -c "$TEL_PY" "/var/run/dpdk/$PREFIX/dpdk_telemetry.v2" \
				> "$T/tel.out" 2>&1 &
			TPID=$!
			"$BENCH" --mode dpdk --queues "$WORKERS" --server "$ADDR" --src 10.77.31.100 --src-count 8 \
				--users 1000 --scenario mixed --data-code 451 --syn-flood 50 \
				--concurrency 64 --duration 30 --timeout 30 --progress 0 \
				-- --in-memory --no-telemetry --file-prefix "$BPREFIX" --lcores='(0,1)@0' \
				--no-pci --log-level='*:warning' \
				--vdev="net_memif0,role=client,socket=$T/memif.sock,id=0" \
				> "$T/bench.out" 2>&1 &
			BPID=$!
			# The load is on once rcptgate counts sessions.
			for _ in $(seq 150); do
				[ "$(sessions_now)" -gt 0 ] && break
				kill -0 "$BPID" 2>/dev/null || { cat "$T/bench.out"; it_fail "round $round: rcptgate-bench exited"; }
				sleep 0.1
			done
			[ "$(sessions_now)" -gt 0 ] || it_fail "round $round: a worker without sessions after 15 s of load"
			ms=$(( RANDOM % 1500 ))
			what="${ms} ms into sessions, a SYN flood and telemetry requests"
			sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		fi
	fi
	it_stop
	stop_helpers
	grep -q "final counters" "$IT_LOG" || { tail -n 20 "$IT_LOG"; it_fail "round $round ($what): no final counters"; }
	if [ "$round" -gt 2 ]; then
		[ "$(it_counter smtp_sessions)" -gt 0 ] || it_fail "round $round: no SMTP session counted"
		[ "$(it_counter rx_packets)" -gt 0 ] || it_fail "round $round: no packet counted"
	fi
	echo "ok   round $round: exit 0 after SIGTERM $what ($(it_counter smtp_sessions) sessions)"
done
echo "PASS: $ROUNDS SIGTERMs, every exit clean with its final counters"
