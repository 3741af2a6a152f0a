# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh - shared helpers for rcptgate's integration tests (sourced).
#
#   it_init NAME          check root and tools (exit 77 with SKIP otherwise),
#                         pick names, install the cleanup trap
#   it_veth SUBNET        create netns $IT_NS and a veth pair:
#                         host end $IT_HOST (no address, used by rcptgate),
#                         client end $IT_PEER = SUBNET.2/24 inside the netns;
#                         rcptgate's listen address is SUBNET.1
#   it_conf FILE KEY=VAL  write a config for rcptgate on the host end
#   it_start CONF         start rcptgate in the background, wait for it to serve
#   it_stop               SIGTERM rcptgate, wait, keep its output in $IT_LOG
#   in_ns CMD...          run CMD in the client namespace
#   it_skip REASON        print SKIP and exit 77
#   it_fail REASON        print FAIL and exit 1
#
# Everything a test makes is removed by the EXIT trap, even on failure.
# Variables: BUILD (build dir, default ./build), IT_TMP (scratch dir).

it_skip() { echo "SKIP: $*"; exit 77; }
it_fail() { echo "FAIL: $*"; exit 1; }

it_cleanup() {
	local rc=$?
	if [ -n "${IT_PID:-}" ] && kill -0 "$IT_PID" 2>/dev/null; then
		kill -TERM "$IT_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$IT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$IT_PID" 2>/dev/null
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -f "${IT_LOG:-/nonexistent}" ]; then
		echo "--- rcptgate output ---"; tail -n 40 "$IT_LOG"
	fi
	[ -n "${IT_NS:-}" ] && ip netns del "$IT_NS" 2>/dev/null
	[ -n "${IT_HOST:-}" ] && ip link del "$IT_HOST" 2>/dev/null
	[ -n "${IT_TMP:-}" ] && rm -rf "$IT_TMP"
	[ -n "${IT_NS:-}" ] && rm -rf "/sys/fs/bpf/rg$IT_NS"
	return $rc
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
	local tag
	tag=$(printf '%05d' $(( $$ % 100000 )))
	IT_NS="rgns$tag"
	IT_HOST="rgh$tag"
	IT_PEER="rgp$tag"
	IT_TMP=$(mktemp -d /tmp/rcptgate-it.XXXXXX)
	IT_LOG="$IT_TMP/rcptgate.log"
	trap it_cleanup EXIT
	trap 'exit 1' INT TERM
}

in_ns() { ip netns exec "$IT_NS" "$@"; }

it_veth() {
	IT_SUBNET=$1
	IT_ADDR="$IT_SUBNET.1"
	IT_CLIENT="$IT_SUBNET.2"
	ip netns add "$IT_NS"
	ip link add "$IT_HOST" type veth peer name "$IT_PEER"
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
		echo "listen = $IT_ADDR:25"
		echo "workers = 1"
		echo "myhostname = mx.test.example"
		echo "control_socket = $IT_TMP/control.sock"
		echo "memif_socket = $IT_TMP/memif.sock"
		echo "bpf_pin_dir = /sys/fs/bpf/rg$IT_NS"
		echo "dpdk_args = --in-memory --no-telemetry --log-level=*:warning ${IT_DPDK_ARGS:-}"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} > "$f"
}

it_start() {
	local conf=$1
	"$BUILD/dataplane/rcptgate" -f "$conf" > "$IT_LOG" 2>&1 &
	IT_PID=$!
	for _ in $(seq 150); do
		grep -q "serving" "$IT_LOG" 2>/dev/null && return 0
		kill -0 "$IT_PID" 2>/dev/null || { cat "$IT_LOG"; it_fail "rcptgate exited at start"; }
		sleep 0.1
	done
	cat "$IT_LOG"
	it_fail "rcptgate did not start within 15 s"
}

it_stop() {
	kill -TERM "$IT_PID"
	for _ in $(seq 100); do kill -0 "$IT_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$IT_PID" 2>/dev/null; then
		kill -KILL "$IT_PID"; it_fail "rcptgate did not stop on SIGTERM within 10 s"
	fi
	wait "$IT_PID"; local rc=$?
	IT_PID=
	[ $rc -eq 0 ] || it_fail "rcptgate exited with status $rc on SIGTERM"
}

# it_counter NAME: value of a final counter printed at shutdown (0 if absent).
it_counter() {
	awk -v n="$1" '$1 == n { print $2; found=1 } END { if (!found) print 0 }' "$IT_LOG"
}
