#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# startup_fail.sh [memif] - a worker that cannot be set up is a start-up failure.
#
# With tcp_buffer_limit at its documented maximum (64g) the workers' TCP
# buffer pools cannot be allocated on a machine with less memory than
# that: the daemon must exit 1 with the reason, having never said
# "serving" (the workers' stacks are built before it says so), and must
# leave no XDP program behind: it runs in af_xdp mode with rcptgate's own
# program, which is attached before the workers are set up (main.c), and
# the interface must have none after the exit. Where the allocation
# succeeds (a larger machine), SKIP.
#
# With "memif", a memif client (memif_role = client, zero-copy) that
# cannot connect instead, each time exit 1 with the reason and no
# "serving": no memif server on its socket (the reason names it); a
# server (rcptgate-bench) that refuses it, having one queue pair for the
# client's two (no link within DP_MEMIF_LINK_WAIT_MS, 5 s).
set -u
. "$(dirname "$0")/lib.sh"
it_init startup_fail
it_veth 10.77.61

# start_fails NAME WORDS: rcptgate on $IT_TMP/memif.conf exits 1 with WORDS (a grep pattern) and never serves
start_fails() {
	timeout 60 "$BUILD/dataplane/rcptgate" -f "$IT_TMP/memif.conf" > "$IT_TMP/memif.log" 2>&1
	local rc=$?
	cat "$IT_TMP/memif.log"
	[ $rc -eq 1 ] || it_fail "$1: status $rc, expected 1"
	grep -q -- "$2" "$IT_TMP/memif.log" || it_fail "$1: no '$2' in the log"
	! grep -q "serving" "$IT_TMP/memif.log" || it_fail "$1: said it was serving"
}
if [ "${1:-}" = memif ]; then
	IT_MODE=memif
	it_conf "$IT_TMP/memif.conf" memif_role=client memif_zero_copy=yes
	start_fails "memif client without a server" \
		"start failed: .*(memif_role = client: no memif server answering on $IT_TMP/memif.sock?)"

	BENCH=$BUILD/tests/bench/rcptgate-bench/rcptgate-bench
	[ -x "$BENCH" ] || it_fail "no rcptgate-bench in $BUILD"
	it_dpdk_prefix BPREFIX rgbench
	"$BENCH" --mode dpdk --queues 1 --server "$IT_ADDR" --src 10.77.61.100 --sessions 1 --progress 0 -- \
		--in-memory --no-telemetry --file-prefix "$BPREFIX" --lcores='(0,1)@0' --no-pci \
		--log-level='*:warning' --vdev="net_memif0,role=server,socket=$IT_TMP/memif.sock,id=0" \
		> "$IT_TMP/bench.out" 2>&1 &
	bench=$!
	it_defer kill "$bench"
	it_bench_port_started "$IT_TMP/bench.out" "$bench" || it_fail "rcptgate-bench's memif server did not start"
	IT_WORKERS=2
	it_conf "$IT_TMP/memif.conf" memif_role=client memif_zero_copy=yes
	start_fails "memif client refused by its server" \
		"memif link not up within 5 s (memif_role = client: does the server on $IT_TMP/memif.sock take id 0 and 2 queue pairs?)"
	echo "PASS: a memif client without a server, and one its server refuses, fail the start with the reason"
	exit 0
fi

IT_MODE=af_xdp
obj="$BUILD/bpf/rcptgate_xdp.bpf.o"
[ -f "$obj" ] || it_fail "no $obj"
# the kernel owns the address in af_xdp mode
ip addr add "$IT_ADDR/24" dev "$IT_HOST" || it_fail "cannot add $IT_ADDR to $IT_HOST"

it_conf "$IT_TMP/rcptgate.conf" tcp_buffer_limit=64g "xdp_object=$obj"
timeout 60 "$BUILD/dataplane/rcptgate" -f "$IT_TMP/rcptgate.conf" > "$IT_LOG" 2>&1
rc=$?
cat "$IT_LOG"
if [ $rc -eq 124 ] || { [ $rc -eq 0 ] && grep -q serving "$IT_LOG"; }; then
	it_skip "64g of TCP buffers could be allocated here; no start-up failure to observe"
fi
[ $rc -eq 1 ] || it_fail "rcptgate exited with status $rc, expected 1"
grep -q "cannot set up TCP" "$IT_LOG" || it_fail "no reason given for the failed worker set-up"
grep -q "serving" "$IT_LOG" && it_fail "rcptgate said it was serving before its workers were set up"
grep -q "xdp: program [0-9]* on $IT_HOST steers" "$IT_LOG" ||
	it_fail "no XDP program was attached before the failure: nothing to check"
ip link show "$IT_HOST" | grep -q ' xdp' && it_fail "an XDP program left on $IT_HOST after the failed start"
echo "PASS: worker set-up failure reported at start-up, before serving, no XDP program left"
