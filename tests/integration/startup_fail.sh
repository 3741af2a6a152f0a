#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# startup_fail.sh - a worker that cannot be set up is a start-up failure.
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
# First, a memif client (memif_role = client, zero-copy) with no memif
# server on its socket: exit 1, the reason naming the socket, no
# "serving".
set -u
. "$(dirname "$0")/lib.sh"
it_init startup_fail
it_veth 10.77.61

IT_MODE=memif
it_conf "$IT_TMP/memif.conf" memif_role=client memif_zero_copy=yes
timeout 60 "$BUILD/dataplane/rcptgate" -f "$IT_TMP/memif.conf" > "$IT_TMP/memif.log" 2>&1
rc=$?
cat "$IT_TMP/memif.log"
[ $rc -eq 1 ] || it_fail "memif client without a server: status $rc, expected 1"
grep -q "start failed: .*(memif_role = client: no memif server answering on $IT_TMP/memif.sock?)" \
	"$IT_TMP/memif.log" || it_fail "memif client without a server: the reason does not name the socket"
grep -q "serving" "$IT_TMP/memif.log" && it_fail "memif client without a server said it was serving"

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
echo "PASS: memif client without a server and worker set-up failure reported at start-up, before serving, no XDP program left"
