#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# xdp_steer.sh - rcptgate shares a veth with the kernel through its XDP
# program (port_mode = af_xdp, xdp_object = our program).
#
# The host end of the veth carries the listen address in the kernel too.
# Two clients (10.77.50.2 and .3) in a network namespace check that:
#   - ping to the shared address and a kernel TCP service on another port
#     of it still answer (ARP, ICMP and that port stay with the kernel);
#   - SMTP (port 25) reaches rcptgate: its 220 banner, and the program's
#     xdp_steered counter moved;
#   - after "rcptgatectl block add" of .2, .2 cannot reach rcptgate
#     (xdp_drop_blocked) while .3 is served and .2 still reaches the
#     kernel service; "rcptgatectl stats" shows the program's counters;
#   - after "rcptgatectl block del", .2 reaches rcptgate again;
#   - a SIGKILLed rcptgate leaves its program behind, and the next start
#     replaces it and keeps the blocklist;
#   - on SIGTERM no program is left on the interface and the
#     configuration and counter pins are gone; the final counters show
#     the steered frames reached the fast path and no ping or ARP did.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdp_lib.sh"
IT_MODE=af_xdp
it_init xdp-steer
xdp_init
TOOL=$XDP_TOOL
OBJ="$BUILD/bpf/rcptgate_xdp.bpf.o"
[ -f "$OBJ" ] || it_fail "no $OBJ"

SUBNET=10.77.50
it_veth $SUBNET
C1="$SUBNET.2"
C2="$SUBNET.3"
KPORT=8025

# The kernel owns the shared address and runs a TCP service on it.
ip addr add "$IT_ADDR/24" dev "$IT_HOST" || it_fail "cannot add $IT_ADDR to $IT_HOST"
in_ns ip addr add "$C2/24" dev "$IT_PEER"
it_bg kernel-service $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"kernel-service\r\n"); c.close()
' "$IT_ADDR" $KPORT

stat_of() { "$TOOL" "$PIN" stats | awk -v n="$1" '$1 == n { print $2 }'; }

# smtp_try SRC: connect from SRC to port 25; sets OUT (first line or
# timeout), STEERED and BLOCKED (how much those counters moved).
smtp_try() {
	local s0 b0
	s0=$(stat_of xdp_steered); b0=$(stat_of xdp_drop_blocked)
	OUT=$(xdp_talk "$1" 25)
	STEERED=$(( $(stat_of xdp_steered) - s0 ))
	BLOCKED=$(( $(stat_of xdp_drop_blocked) - b0 ))
	echo "  $1 -> :25: $OUT (steered +$STEERED, blocked +$BLOCKED)"
}

# smtp_reaches SRC: SRC got rcptgate's banner through the program.
smtp_reaches() {
	smtp_try "$1"
	case "$OUT" in 220*) ;; *) return 1 ;; esac
	[ "$STEERED" -gt 0 ] && [ "$BLOCKED" -eq 0 ]
}

smtp_blocked() {
	smtp_try "$1"
	[ "$OUT" = timeout ] && [ "$STEERED" -eq 0 ] && [ "$BLOCKED" -gt 0 ]
}

kernel_answers() {
	local out
	out=$(xdp_talk "$1" $KPORT)
	echo "  $1 -> :$KPORT: $out"
	[ "$out" = kernel-service ]
}

it_conf "$IT_TMP/rcptgate.conf" "xdp_object=$OBJ"
it_start "$IT_TMP/rcptgate.conf"
ip link show "$IT_HOST" | grep -q "prog/xdp.*rg_xdp_steer" || it_fail "rg_xdp_steer not attached to $IT_HOST"
[ -e "$PIN/rg_config" ] || it_fail "maps not pinned under $PIN"

echo "kernel keeps ARP, ICMP and its own port:"
in_ns ping -c 3 -i 0.2 -W 2 "$IT_ADDR" > "$IT_TMP/ping.out" 2>&1 || { cat "$IT_TMP/ping.out"; it_fail "no ping replies from the kernel"; }
kernel_answers "$C1" || it_fail "kernel service on :$KPORT does not answer"

echo "SMTP reaches rcptgate:"
smtp_reaches "$C1" || it_fail "SMTP from $C1 did not reach rcptgate"

echo "block $C1:"
xdp_ctl block add "$C1" | grep -qx "blocked $C1/32" || it_fail "rcptgatectl block add failed"
xdp_ctl block list | grep -qx "$C1/32 manual" || it_fail "rcptgatectl block list does not show $C1/32"
xdp_ctl block add 10.77.50.999 2>/dev/null && it_fail "block add accepted a bad address"
smtp_blocked "$C1" || it_fail "blocked $C1 still reached rcptgate"
smtp_reaches "$C2" || it_fail "$C2 not served while $C1 is blocked"
kernel_answers "$C1" || it_fail "blocked $C1 lost the kernel service (the blocklist is SMTP-only)"
xdp_ctl stats --all | grep -Eq "^ *xdp_drop_blocked +[1-9]" || it_fail "rcptgatectl stats lacks xdp_drop_blocked"

echo "crash: SIGKILL leaves the program; the next start replaces it"
it_crash
ip link show "$IT_HOST" | grep -q "prog/xdp" || it_fail "expected a stale program after SIGKILL"
it_start "$IT_TMP/rcptgate.conf"
grep -q "detached stale" "$IT_LOG" || it_fail "stale program not reported as replaced"
xdp_ctl block list | grep -qx "$C1/32 manual" || it_fail "blocklist lost across the restart"
smtp_blocked "$C1" || it_fail "blocked $C1 reached rcptgate after the restart"

echo "unblock $C1:"
xdp_ctl block del "$C1" | grep -qx "unblocked $C1/32" || it_fail "rcptgatectl block del failed"
xdp_ctl block del "$C1" 2>/dev/null && it_fail "a second block del should fail"
smtp_reaches "$C1" || it_fail "$C1 not served after block del"
in_ns ping -c 3 -i 0.2 -W 2 "$IT_ADDR" > "$IT_TMP/ping.out" 2>&1 || it_fail "no ping replies after the restart"

it_stop
ip link show "$IT_HOST" | grep -q "prog/xdp" && it_fail "XDP program left on $IT_HOST after shutdown"
[ -e "$PIN/rg_config" ] && it_fail "configuration pin left after shutdown"
[ -e "$PIN/rg_block4" ] || it_fail "blocklist pin removed at shutdown"
echo "final counters of the second run:"; sed -n '/final counters/,$p' "$IT_LOG"
[ "$(it_counter xdp_steered)" -ge 1 ] || it_fail "final counters lack xdp_steered"
[ "$(it_counter rx_packets)" -ge "$(it_counter xdp_steered)" ] || it_fail "steered frames did not reach the fast path"
[ "$(it_counter icmp_echo_replies)" -eq 0 ] || it_fail "ping reached the fast path (the kernel should answer it)"
[ "$(it_counter arp_requests)" -eq 0 ] || it_fail "ARP reached the fast path (the kernel should answer it)"
echo "PASS: XDP steering on a shared veth"
