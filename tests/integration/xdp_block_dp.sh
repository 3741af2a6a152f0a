#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# xdp_block_dp.sh - without our XDP program (port_mode = af_packet here,
# the same worker path as pci) the workers apply the blocklist pinned
# under bpf_pin_dir themselves.
#
# A list made before the start (10.77.51.2/32) is loaded by rcptgate;
# SYNs from 10.77.51.2 are dropped as drop_blocked, while 10.77.51.3
# gets the banner. "rcptgatectl block add/del" of 10.77.51.3 while
# running rebuilds the workers' table: .3 is dropped, then served again.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xdp_lib.sh"
IT_MODE=af_packet
it_init xdp-block-dp
xdp_init
it_veth 10.77.51
BLOCKED="10.77.51.2"
CLIENT="10.77.51.3"
in_ns ip addr add "$CLIENT/24" dev "$IT_PEER"

"$XDP_TOOL" "$PIN" add "$BLOCKED" || it_fail "cannot make the blocklist under $PIN"
it_conf "$IT_TMP/rcptgate.conf"
it_start "$IT_TMP/rcptgate.conf"
grep -q "blocklist: 1 prefixes" "$IT_LOG" || it_fail "rcptgate did not load the blocklist"

out=$(xdp_talk "$BLOCKED" 25); echo "  $BLOCKED -> :25: $out"
[ "$out" = timeout ] || it_fail "blocked $BLOCKED got '$out'"
out=$(xdp_talk "$CLIENT" 25); echo "  $CLIENT -> :25: $out"
case "$out" in 220*) ;; *) it_fail "$CLIENT got '$out', not the banner" ;; esac

xdp_ctl block add "$CLIENT" | grep -q "blocked $CLIENT/32" || it_fail "rcptgatectl block add failed"
out=$(xdp_talk "$CLIENT" 25); echo "  $CLIENT (blocked) -> :25: $out"
[ "$out" = timeout ] || it_fail "$CLIENT got '$out' after block add"
xdp_ctl block list | sort | tr '\n' ' ' | grep -qx "$BLOCKED/32 manual $CLIENT/32 manual " || it_fail "block list is not the two clients"
xdp_ctl block del "$CLIENT" >/dev/null || it_fail "rcptgatectl block del failed"
out=$(xdp_talk "$CLIENT" 25); echo "  $CLIENT (unblocked) -> :25: $out"
case "$out" in 220*) ;; *) it_fail "$CLIENT got '$out' after block del" ;; esac

it_stop
sed -n '/final counters/,$p' "$IT_LOG"
blocked=$(it_counter drop_blocked)
[ "$blocked" -ge 1 ] || it_fail "drop_blocked = $blocked, expected the SYNs of $BLOCKED"
echo "PASS: the workers apply the pinned blocklist ($blocked segments dropped)"
