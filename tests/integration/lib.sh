# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh - shared helpers of rcptgate's integration tests, benchmark and
# operations scripts and scripts/demo (sourced).
#
# Clean-up: one list of undo steps. Sourcing lib.sh installs the only EXIT
# trap (INT and TERM exit 1, so they reach it too); no script installs one
# of its own. Each set-up step appends its undo to the list once it has
# succeeded, so nothing is undone that the script did not make; at exit the
# list runs in reverse order, whatever the exit status, and the status is
# kept. On failure the daemon's output ends the log (see it_spawn).
#
#   it_defer CMD...       append CMD (its words as they are now) to the list;
#                         a function named here reads variables when it runs
#   it_failed             true in an undo step when the script fails
#                         (exit status neither 0 nor 77)
#
# Helpers:
#   it_skip REASON        print SKIP and exit 77
#   it_fail REASON        print FAIL and exit 1
#   it_tmp NAME           IT_TMP = a new directory /tmp/rcptgate-NAME.XXXXXX,
#                         removed at exit
#   it_dpdk_prefix VAR NAME  VAR = NAME$$, a DPDK --file-prefix whose runtime
#                         directory in /var/run/dpdk is removed at exit
#   it_dpdk_link          "static" or "shared": how $BUILD's rcptgate links
#                         DPDK (-Ddpdk_static)
#   it_wait SECS CMD...   run CMD every 0.1 s until it succeeds, SECS seconds
#                         at most; the status of its last run
#   it_bg NAME CMD...     run CMD in the background, output in
#                         $IT_TMP/NAME.log, pid in IT_BG; killed at exit
#   it_bg_ready NAME TEXT wait up to 5 s for TEXT in NAME's log; fail with
#                         the log otherwise
#   it_free_port [N]      print N (default 1) distinct free TCP ports of
#                         127.0.0.1 on one line
#   it_port_open HOST PORT  true when something accepts connections there
#   it_need_python [MODULE...]  skip unless /usr/bin/python3 runs and
#                         imports each MODULE (python3-MODULE not installed)
#
# rcptgate on a veth pair:
#   it_init NAME          check root and tools (exit 77 with SKIP otherwise),
#                         make IT_TMP (IT_LOG = rcptgate's output there) and
#                         pick names (it_names rgNNNNN, NNNNN from the pid)
#   it_names BASE         names nobody uses: namespace IT_NS=BASE, links
#                         IT_HOST=BASE-h and IT_PEER=BASE-c, bpf pins
#                         IT_PIN=/sys/fs/bpf/BASE; BASE2, BASE3, ... where
#                         one of them is taken
#   it_veth SUBNET        create netns $IT_NS and a veth pair:
#                         host end $IT_HOST (no address, used by rcptgate),
#                         client end $IT_PEER = SUBNET.2/24 inside the netns;
#                         rcptgate's listen address is SUBNET.1; fails,
#                         touching nothing, where a name is taken
#   it_conf FILE KEY=VAL  write a config for rcptgate on the host end
#                         (listen = $IT_LISTEN if set, else $IT_ADDR:25)
#   it_spawn CMD...       run CMD (rcptgate, perhaps under a wrapper) in the
#                         background, output in $IT_LOG, pid in IT_PID
#   it_serving [NOTE]     wait up to 15 s for it to serve; fail with its
#                         output (NOTE after the reason) if it does not
#   it_start CONF         it_spawn rcptgate -f CONF, then it_serving
#   it_stop               SIGTERM rcptgate, wait, keep its output in $IT_LOG
#   it_crash              SIGKILL rcptgate (it cleans nothing up) and reap it
#   it_counter NAME       a final counter from $IT_LOG (0 if absent; a name no counter has fails)
#   it_stat NAME          a counter of the running daemon (rcptgatectl stats
#                         on $IT_TMP/control.sock)
#   it_worker_counts NAME that counter of each worker, in order, on one line
#                         (stats --per-worker --json; empty when it fails)
#   in_ns CMD...          run CMD in the client namespace
#   it_rejects RCPT       one SMTP session from the namespace to $IT_ADDR:25
#                         must get 550 for RCPT (smtplib)
#   it_worker_stop LCORE  stop the daemon's worker thread of LCORE alone
#                         (ptrace_stop.py; the other threads run on), its
#                         tid in IT_WORKER_TID; it runs on once
#                         $IT_TMP/release-LCORE exists (at the latest at
#                         exit or after 60 s); SKIP where ptrace is refused
#
# Variables: BUILD (build dir, default ./build), IT_TMP (scratch dir),
# IT_MODE (port_mode, default af_packet), IT_WORKERS (workers, default 1),
# IT_VETH_QUEUES (RX and TX queues of each veth end, default the kernel's 1),
# IT_DPDK_EAL (dpdk_args' start, default --in-memory --no-telemetry: e.g.
# a --file-prefix for telemetry or a secondary process), IT_DPDK_ARGS
# (added to dpdk_args),
# IT_MAILLOG (it_conf's maillog_file, default /dev/stdout: the log lines
# land in $IT_LOG; set it empty for none, i.e. syslog).

IT_UNDO=()

it_defer() { IT_UNDO+=("$(printf '%q ' "$@")"); }

it_failed() { [ "${IT_RC:-0}" -ne 0 ] && [ "${IT_RC:-0}" -ne 77 ]; }

it_cleanup() {
	IT_RC=$?
	local i
	# a counter asked for that cannot be read (it_counter, in a $(...) of
	# its own) fails a test that would otherwise pass
	if [ "$IT_RC" -eq 0 ] && [ -s "${IT_TMP:-/nonexistent}/it_counter.err" ]; then
		echo "FAIL: $(head -n 1 "$IT_TMP/it_counter.err")"
		IT_RC=1
	fi
	for (( i = ${#IT_UNDO[@]} - 1; i >= 0; i-- )); do
		eval "${IT_UNDO[i]}" 2>/dev/null || true
	done
	IT_UNDO=()
	exit "$IT_RC"
}
trap it_cleanup EXIT
trap 'exit 1' INT TERM

it_skip() { echo "SKIP: $*"; exit 77; }
it_fail() { echo "FAIL: $*"; exit 1; }

# it_dpdk_prefix VAR NAME: VAR = NAME and this shell's pid, a --file-prefix
# for a DPDK process of the test; its runtime directory, which EAL makes
# under /var/run/dpdk even with --in-memory and leaves there, goes at exit.
it_dpdk_prefix() {
	printf -v "$1" '%s%s' "$2" "$$"
	it_defer rm -rf "/var/run/dpdk/${!1}"
}

# it_bench_port_started LOG PID: wait up to 10 s for rcptgate-bench (PID,
# its output in LOG) to say its port has started. As memif server it
# refuses a client before that, and rcptgate as memif client connects
# only once, as it starts. Status 1, LOG shown, when PID exits first or
# the time passes.
it_bench_port_started() {
	local i
	for (( i = 0; i < 100; i++ )); do
		grep -q "port [0-9]* started" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	cat "$1" >&2
	return 1
}

it_dpdk_link() {
	if readelf -d "$BUILD/dataplane/rcptgate" 2>/dev/null | grep -q 'librte_eal'; then
		echo shared
	else
		echo static
	fi
}

it_tmp() {
	IT_TMP=$(mktemp -d "/tmp/rcptgate-$1.XXXXXX") || it_fail "cannot make a directory under /tmp"
	it_defer rm -rf "$IT_TMP"
}

it_wait() {
	local tenths=$(( $1 * 10 )) i
	shift
	for (( i = 0; i < tenths; i++ )); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

it_bg() {
	local name=$1
	shift
	"$@" > "$IT_TMP/$name.log" 2>&1 &
	IT_BG=$!
	it_defer kill "$IT_BG"
}

it_bg_ready() {
	it_wait 5 grep -q "$2" "$IT_TMP/$1.log" && return 0
	cat "$IT_TMP/$1.log"
	it_fail "$1 did not start"
}

it_free_port() {
	/usr/bin/python3 - "${1:-1}" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

it_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

it_need_python() {
	[ -x /usr/bin/python3 ] || it_skip "/usr/bin/python3 not installed"
	local m
	for m in "$@"; do
		/usr/bin/python3 -c "import $m" 2>/dev/null || it_skip "python3-${m%%.*} not installed"
	done
}

it_init() {
	IT_NAME=$1
	BUILD=${BUILD:-$(pwd)/build}
	[ "$(id -u)" -eq 0 ] || it_skip "$IT_NAME needs root (network namespaces, veth, DPDK)"
	[ -x "$BUILD/dataplane/rcptgate" ] || it_fail "no rcptgate binary in $BUILD"
	command -v ip >/dev/null || it_skip "iproute2 (ip) not installed"
	ip netns add "rgprobe$$" 2>/dev/null || it_skip "cannot create network namespaces here"
	ip netns del "rgprobe$$"
	[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] || it_skip "no hugepages (run scripts/setup-deps)"
	it_tmp it
	IT_LOG="$IT_TMP/rcptgate.log"
	it_names "rg$(printf '%05d' $(( $$ % 100000 )))"
}

it_names() {
	local n=1 base=$1
	while [ -e "/run/netns/$base" ] || [ -e "/sys/fs/bpf/$base" ] ||
	      ip link show "$base-h" >/dev/null 2>&1 || ip link show "$base-c" >/dev/null 2>&1; do
		n=$((n + 1))
		base=$1$n
	done
	IT_NS=$base
	IT_HOST=$base-h
	IT_PEER=$base-c
	IT_PIN=/sys/fs/bpf/$base
}

in_ns() { ip netns exec "$IT_NS" "$@"; }

it_rejects() {
	in_ns timeout 20 /usr/bin/python3 - "$IT_ADDR" "$1" <<'PY'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], 25, local_hostname="client.test.example", timeout=10)
s.ehlo()
s.mail("s@elsewhere.example")
code, msg = s.rcpt(sys.argv[2])
s.quit()
sys.exit(0 if code == 550 else f"RCPT TO:<{sys.argv[2]}> got {code} {msg!r}, not 550")
PY
}

it_veth() {
	IT_SUBNET=$1
	IT_ADDR="$IT_SUBNET.1"
	IT_CLIENT="$IT_SUBNET.2"
	[ -e "$IT_PIN" ] && it_fail "$IT_PIN exists: not this script's"
	it_defer rm -rf "$IT_PIN"
	ip netns add "$IT_NS" || it_fail "cannot create network namespace $IT_NS"
	it_defer ip netns del "$IT_NS"
	local q=()
	[ -z "${IT_VETH_QUEUES:-}" ] || q=(numtxqueues "$IT_VETH_QUEUES" numrxqueues "$IT_VETH_QUEUES")
	ip link add "$IT_HOST" "${q[@]}" type veth peer name "$IT_PEER" "${q[@]}" ||
		it_fail "cannot create veth pair $IT_HOST/$IT_PEER"
	it_defer ip link del "$IT_HOST"
	ip link set "$IT_PEER" netns "$IT_NS"
	ip link set "$IT_HOST" up
	# rcptgate computes checksums itself; the kernel client must not
	# hand out partial ones (veth tx checksum offload).
	ethtool -K "$IT_HOST" tx off >/dev/null 2>&1 || true
	in_ns ip link set lo up
	in_ns ip addr add "$IT_CLIENT/24" dev "$IT_PEER"
	in_ns ip link set "$IT_PEER" up
	in_ns ethtool -K "$IT_PEER" tx off >/dev/null 2>&1 || it_fail "ethtool -K $IT_PEER tx off failed"
}

# it_conf FILE [key=value ...]: a base config for the veth, plus overrides.
it_conf() {
	local f=$1; shift
	{
		echo "# written by $IT_NAME"
		echo "port_mode = ${IT_MODE:-af_packet}"
		echo "interface = $IT_HOST"
		echo "listen = ${IT_LISTEN:-$IT_ADDR:25}"
		echo "workers = ${IT_WORKERS:-1}"
		echo "myhostname = mx.test.example"
		echo "control_socket = $IT_TMP/control.sock"
		echo "memif_socket = $IT_TMP/memif.sock"
		echo "bpf_pin_dir = $IT_PIN"
		echo "dpdk_args = ${IT_DPDK_EAL:---in-memory --no-telemetry} --log-level=*:warning ${IT_DPDK_ARGS:-}"
		[ -z "${IT_MAILLOG-/dev/stdout}" ] || echo "maillog_file = ${IT_MAILLOG-/dev/stdout}"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$f"
}

# it_tls_chain FILE: an ECDSA P-256 key and a self-signed certificate for
# mx.bench.example, key then certificate in FILE (smtpd_tls_chain_files).
it_tls_chain() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=mx.bench.example" -keyout "$1.key" -out "$1.crt" 2>/dev/null || return 1
	cat "$1.key" "$1.crt" > "$1"
}

# The daemon's undo steps, set once by the first it_spawn: stop whatever
# rcptgate IT_PID names at exit, then show the end of its output on failure.
it_daemon_undo() {
	if [ -n "${IT_PID:-}" ] && kill -0 "$IT_PID" 2>/dev/null; then
		kill -TERM "$IT_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$IT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$IT_PID" 2>/dev/null
	fi
	if it_failed && [ -f "${IT_LOG:-/nonexistent}" ]; then
		echo "--- rcptgate output ---"; tail -n 40 "$IT_LOG"
	fi
	return 0
}

it_spawn() {
	"$@" > "$IT_LOG" 2>&1 &
	IT_PID=$!
	if [ -z "${IT_SPAWNED:-}" ]; then
		it_defer it_daemon_undo
		IT_SPAWNED=1
	fi
}

it_serving_now() {
	grep -q "serving" "$IT_LOG" 2>/dev/null && return 0
	kill -0 "$IT_PID" 2>/dev/null || { cat "$IT_LOG"; it_fail "rcptgate exited at start${IT_NOTE:+ $IT_NOTE}"; }
	return 1
}

it_serving() {
	IT_NOTE=${1:-}
	it_wait 15 it_serving_now && return 0
	cat "$IT_LOG"
	it_fail "rcptgate did not start within 15 s"
}

it_start() {
	it_spawn "$BUILD/dataplane/rcptgate" -f "$1"
	it_serving
}

it_stop() {
	local rc=0
	kill -TERM "$IT_PID"
	for _ in $(seq 100); do kill -0 "$IT_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$IT_PID" 2>/dev/null; then
		# where each thread waits, for the failure report (gdb, if there)
		command -v gdb > /dev/null && timeout 30 gdb -p "$IT_PID" -batch -nx \
			-ex 'thread apply all bt 12' 2>/dev/null | grep -E '^(Thread|#)' >&2
		kill -KILL "$IT_PID"; it_fail "rcptgate did not stop on SIGTERM within 10 s"
	fi
	wait "$IT_PID" || rc=$?
	IT_PID=
	[ $rc -eq 0 ] || it_fail "rcptgate exited with status $rc on SIGTERM"
}

it_crash() {
	kill -KILL "$IT_PID"
	wait "$IT_PID" 2>/dev/null || true
	IT_PID=
}

# it_counter NAME: value of a final counter printed at shutdown (0 if
# absent: the daemon prints those that are not 0). A name that is no
# counter of the daemon's, or a log without its final counters, prints
# "unknown" (no number: a comparison with it fails) and fails the test
# at exit (it_cleanup), so that a renamed counter cannot read as 0.
it_counter() {
	local why=
	if ! "$BUILD/ctrl/rcptgatectl" stats --doc | grep -qF "| \`$1\` |"; then
		why="it_counter: $1 is not a counter of the daemon's (rcptgatectl stats --doc)"
	elif ! grep -q '^rcptgate: final counters' "$IT_LOG"; then
		why="it_counter $1: no final counters in $IT_LOG"
	fi
	if [ -n "$why" ]; then
		echo "$why" | tee -a "$IT_TMP/it_counter.err" >&2
		echo unknown
		return 1
	fi
	awk -v n="$1" '$1 == n { print $2; found=1 } END { if (!found) print 0 }' "$IT_LOG"
}

it_worker_counts() {
	"$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" stats --per-worker --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys
try:
    print(" ".join(str(w[sys.argv[1]]) for w in json.load(sys.stdin)["workers"]))
except (ValueError, KeyError) as e:
    sys.exit(f"it_worker_counts {sys.argv[1]}: {e!r}")' "$1"
}

it_stat() {
	"$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" stats --all | awk -v n="$1" '$1 == n { print $2 }'
}

it_worker_stop() {
	local t out="$IT_TMP/ptrace-$1.out"
	IT_WORKER_TID=
	# EAL names the thread rte-worker-LCORE in DPDK 22.11
	# (lcore-worker-LCORE before, dpdk-workerLCORE from 23.11)
	for t in /proc/"$IT_PID"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		"rte-worker-$1" | "lcore-worker-$1" | "dpdk-worker$1") IT_WORKER_TID=${t##*/}; break ;;
		esac
	done
	[ -n "$IT_WORKER_TID" ] || it_fail "no worker thread rte-worker-$1 in rcptgate"
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/ptrace_stop.py" "$IT_WORKER_TID" "$IT_TMP/release-$1" \
		> "$out" 2>&1 &
	# at exit: the helper ended (its end detaches the thread), whether or
	# not it saw the file first
	it_defer kill "$!"
	it_defer touch "$IT_TMP/release-$1"
	grep -qs '^stopped\|^ptrace:' "$out" || it_wait 5 grep -qs '^stopped\|^ptrace:' "$out"
	grep -qs '^ptrace:' "$out" && it_skip "cannot ptrace the worker: $(cat "$out")"
	grep -qs '^stopped' "$out" || it_fail "the worker thread did not stop under ptrace"
	[ "$(awk '{ print $3 }' "/proc/$IT_PID/task/$IT_WORKER_TID/stat")" = t ] ||
		it_fail "the worker thread is not in a tracing stop"
}

# it_workers_served COUNTER N: the running daemon's two workers (stats
# --per-worker --json) each counted COUNTER, together N, hold no
# connection, and each moved frames both ways.
it_workers_served() {
	"$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" stats --per-worker --json > "$IT_TMP/w.json" ||
		it_fail "stats --per-worker --json"
	/usr/bin/python3 - "$IT_TMP/w.json" "$1" "$2" <<'PY' || it_fail "per-worker counters"
import json, sys
ws = json.load(open(sys.argv[1]))["workers"]
c, n = sys.argv[2], int(sys.argv[3])
assert len(ws) == 2, f"{len(ws)} workers"
got = [w[c] for w in ws]
assert all(g > 0 for g in got), f"a worker served nothing: {c} {got}"
assert sum(got) == n, f"{c} {got} do not add up to {n}"
for i, w in enumerate(ws):
    assert w["rx_packets"] > 0 and w["tx_packets"] > 0, f"worker {i}: rx {w['rx_packets']} tx {w['tx_packets']}"
    assert w["tcp_connections"] == 0, f"worker {i} holds {w['tcp_connections']} connections"
print(f"ok   both workers served: {c} {got[0]} + {got[1]} = {n}")
PY
}
