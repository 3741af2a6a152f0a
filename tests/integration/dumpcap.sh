#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dumpcap.sh - dpdk-dumpcap captures rcptgate's port, as docs/deployment.md
# says, and the daemon goes on serving.
#
# rcptgate runs in af_packet mode on a veth with a runtime directory
# (--file-prefix, not --in-memory), as packet capture needs. Debian's
# dpdk-dumpcap attaches as a secondary process and captures while a
# client in a namespace runs SMTP sessions; the capture must hold the
# sessions' TCP segments to and from port 25, every session must get its
# 550, and rcptgate must serve after the capture ends and exit 0. SKIP
# when the daemon links DPDK statically (-Ddpdk_static=true): dumpcap
# cannot attach to it.
set -u
. "$(dirname "$0")/lib.sh"
command -v dpdk-dumpcap > /dev/null || it_skip "dpdk-dumpcap not installed (package dpdk)"
[ "$(it_dpdk_link)" = shared ] ||
	it_skip "rcptgate links DPDK statically (-Ddpdk_static=true): Debian's dpdk-dumpcap" \
		"cannot attach to it (\"Cannot init tail queues for objects\"; docs/deployment.md)"
it_init dumpcap
it_veth 10.77.9
users=$IT_TMP/users.txt
echo "alice@example.com" > "$users"
"$BUILD/ctrl/rcptgatectl" compile "$users" "$IT_TMP/users.tbl" > /dev/null || it_fail "compile failed"
it_dpdk_prefix prefix rgcap
IT_DPDK_EAL="--file-prefix $prefix --no-telemetry" it_conf "$IT_TMP/rcptgate.conf" relay_domains=example.com \
	"recipient_table=$IT_TMP/users.tbl"
it_start "$IT_TMP/rcptgate.conf"

# -c: stop after that many packets; a session is about 15 frames
stdbuf -oL dpdk-dumpcap --file-prefix="$prefix" -i 0 -w "$IT_TMP/cap.pcapng" -c 40 -q \
	> "$IT_TMP/dumpcap.out" 2>&1 &
cap=$!
it_defer kill "$cap"
# attached and capturing once it says so (with -q too; stdbuf: its
# stdout is a file, the line would wait in its buffer until exit)
capturing() { grep -q '^Capturing on' "$IT_TMP/dumpcap.out" || ! kill -0 "$cap" 2>/dev/null; }
it_wait 15 capturing
grep -q '^Capturing on' "$IT_TMP/dumpcap.out" || { cat "$IT_TMP/dumpcap.out"; it_fail "dpdk-dumpcap did not attach"; }
kill -0 "$IT_PID" 2>/dev/null || { cat "$IT_TMP/dumpcap.out"; it_fail "rcptgate died when dpdk-dumpcap attached"; }
for i in 1 2 3 4 5; do
	it_rejects "nobody$i@example.com" || it_fail "session $i during the capture: no 550"
done
for _ in $(seq 50); do kill -0 "$cap" 2>/dev/null || break; sleep 0.1; done
kill -0 "$cap" 2>/dev/null && { kill "$cap"; cat "$IT_TMP/dumpcap.out"; it_fail "dpdk-dumpcap did not get 40 packets"; }
wait "$cap"; crc=$?
cat "$IT_TMP/dumpcap.out"
[ $crc -eq 0 ] || it_fail "dpdk-dumpcap exited with $crc"
kill -0 "$IT_PID" 2>/dev/null || it_fail "rcptgate died during the capture"
/usr/bin/python3 - "$IT_TMP/cap.pcapng" <<'PY' || it_fail "the capture does not hold the sessions' segments"
import sys
from scapy.all import rdpcap, TCP
pk = [p for p in rdpcap(sys.argv[1]) if TCP in p]
to25 = sum(1 for p in pk if p[TCP].dport == 25)
from25 = sum(1 for p in pk if p[TCP].sport == 25)
print(f"capture: {len(pk)} TCP segments, {to25} to port 25, {from25} from it")
sys.exit(0 if to25 >= 10 and from25 >= 10 else 1)
PY
it_rejects "after@example.com" || it_fail "no 550 after the capture"
it_stop
echo "PASS: dpdk-dumpcap captured rcptgate's port; rcptgate served on"
