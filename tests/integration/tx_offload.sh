#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	tx_offload.sh - pci mode on a port with TX checksum offload: the
#	port, not the worker, fills in the IPv4 and TCP checksums
# DESCRIPTION
#	No NIC here, so the port is DPDK's net_tap (given in dpdk_args; the
#	allow-listed PCI address matches no device), which advertises IPv4
#	and TCP TX checksum offload and computes them in its driver, as a
#	NIC does in hardware. rcptgate must say it leaves the checksums to
#	the port. The tap's kernel end, moved into a namespace, is the
#	client: the Linux kernel checks every checksum it receives, so
#	sessions only complete when the port filled in what rcptgate left
#	to it (the mbuf's offload flags and header lengths; net_tap sums
#	the pseudo-header itself, so the value rcptgate puts in the TCP
#	field is checked by test_csum's test_frame_offload, not here):
#	smtplib's 550 for an unknown recipient over IPv4 and over IPv6, and
#	200 Linux sessions (250, 550 5.1.1, 221 each). tcp_drop_checksum
#	stays 0.
# DIAGNOSTICS
#	PASS, FAIL with the step, or SKIP (exit 77) without root, hugepages,
#	/usr/bin/python3 or DPDK's net_tap driver.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
it_init tx_offload
it_need_python
IT_ADDR=10.77.17.1
IT_CLIENT=10.77.17.2
ADDR6=fd00:77:17::1
CLIENT6=fd00:77:17::2
TAP="${IT_NS}t"
ip netns add "$IT_NS" || it_fail "cannot create network namespace $IT_NS"
it_defer ip netns del "$IT_NS"
in_ns ip link set lo up

IT_MODE=pci
IT_DPDK_ARGS="--vdev net_tap0,iface=$TAP"
IT_LISTEN="$IT_ADDR:25, [$ADDR6]:25"
tcp_conf "pci_address=0000:ff:1f.7"
# a shared daemon loads net_tap from DPDK's driver directory; a static one has it linked in
[ "$(it_dpdk_link)" = static ] || ls /usr/lib/*/dpdk/pmds-*/librte_net_tap.so >/dev/null 2>&1 ||
	it_skip "DPDK's net_tap driver is not installed (librte-net-tap23)"
it_start "$IT_TMP/rcptgate.conf"
grep -q "IPv4 and TCP checksums left to the port (TX offload)" "$IT_LOG" ||
	it_fail "rcptgate does not leave the checksums to net_tap, which offers to compute them"
echo "ok   $(grep -o 'port [0-9]*: IPv4 and TCP checksums left.*' "$IT_LOG")"

ip link set "$TAP" netns "$IT_NS" || it_fail "cannot move $TAP into $IT_NS"
in_ns ip addr add "$IT_CLIENT/24" dev "$TAP"
in_ns ip link set "$TAP" up
in_ns ethtool -K "$TAP" tx off >/dev/null 2>&1 || true
in_ns sysctl -qw "net.ipv6.conf.$TAP.accept_dad=0" || true
in_ns ip -6 addr add "$CLIENT6/64" dev "$TAP" nodad || it_fail "cannot add $CLIENT6"
it_rejects nobody@test.example || it_fail "smtplib over the tap: no 550"
echo "ok   smtplib: 550 for nobody@test.example"
IT_ADDR=$ADDR6 it_rejects nobody@test.example || it_fail "smtplib over the tap, IPv6: no 550"
echo "ok   smtplib over IPv6: 550 for nobody@test.example"
in_ns timeout 120 /usr/bin/python3 "$(dirname "$0")/tcp_load.py" "$IT_ADDR" 200 20 60 > "$IT_TMP/load.out" 2>&1 ||
	{ cat "$IT_TMP/load.out"; it_fail "Linux sessions over the tap"; }
tail -n 2 "$IT_TMP/load.out"
[ "$(it_stat tcp_drop_checksum)" = 0 ] || it_fail "tcp_drop_checksum $(it_stat tcp_drop_checksum)"
it_stop
echo "PASS: TX checksums left to the port (net_tap): every session complete"
