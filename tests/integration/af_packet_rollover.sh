#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	af_packet_rollover.sh - two workers on one af_packet port: the
#	sessions of a worker that falls behind are not lost to the other
# DESCRIPTION
#	DPDK 22.11's net_af_packet joins its sockets to one PACKET_FANOUT
#	group by flow hash with PACKET_FANOUT_FLAG_ROLLOVER: when a socket's
#	ring is full, the kernel hands the frame to another socket that has
#	room, i.e. to another worker, which holds no connection for it.
#	The test opens 64 SMTP sessions (banners read, both workers holding
#	some), stops worker 0's thread alone with ptrace, fills its ring
#	with UDP datagrams from many source ports (worker 1 drains its own),
#	and lets every session send EHLO. Worker 0's EHLOs then roll over to
#	worker 1. Once worker 0 runs again, every session must go on to its
#	250 for EHLO, 550 5.1.1 for an unknown recipient and 221, none reset;
#	worker 1 must have passed segments on (tcp_segments_passed).
#	Behind the EHLOs come 2,000 ACKs of no connection (scapy, 2,000
#	source ports): worker 1 hands each on, worker 0's ring of segments
#	handed on (1,024 slots) fills and drops the rest (pass_ring_full),
#	and once released worker 0, the last, answers those it got with a
#	reset (tcp_unknown_connection, at most 2,000, and counted on worker
#	0, which proves it takes what is handed on; no session's segment
#	among them, or a session would fail). Then 32 SYNs from an address
#	no host has, while worker 0 is stopped: worker 1 answers all, with
#	SYN cookies past its one SYN-RECEIVED slot (tcp_syn_backlog = 1);
#	their ACKs, sent once worker 0 runs again, go where the kernel's hash
#	puts them, and worker 0 must take those it gets (tcp_syncookies_valid
#	on worker 0): the workers share the cookies' secret.
# DIAGNOSTICS
#	PASS, FAIL with the step, or SKIP (exit 77) without root, two CPUs,
#	/usr/bin/python3 or ptrace.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
IT_MODE=af_packet
IT_WORKERS=2
tcp_init af_packet_rollover 10.77.16
it_need_python scapy.all
BOGUS=2000
[ "$(nproc)" -ge 2 ] || it_skip "two workers need two CPUs"
T=$IT_TMP
SESSIONS=64
COOKIES=32
SPOOF=10.77.16.77 # in the veth's subnet, on no host

tcp_start "max_connections_per_source=1000" "smtpd_client_connection_count_limit=0" "tcp_syn_backlog=1"

# The sessions: open, read the banners, wait for "$T/go", then EHLO;
# replies may wait for worker 0's release (timeout 30 s each).
# (ip netns exec, not in_ns: $! must be python itself, for the kill at exit)
ip netns exec "$IT_NS" /usr/bin/python3 - "$IT_ADDR" "$SESSIONS" "$T" > "$T/client.out" 2>&1 <<'PY' &
import os, socket, sys, time
addr, n, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def line(f):
    while True:
        s = f.readline()
        if not s:
            raise ConnectionError("closed")
        if s[3:4] != "-":
            return s
conns = []
for i in range(n):
    s = socket.create_connection((addr, 25), timeout=30)
    f = s.makefile("r", newline="\r\n")
    assert line(f).startswith("220"), "no 220"
    conns.append((s, f))
open(t + "/opened", "w").close()
while not os.path.exists(t + "/go"):
    time.sleep(0.05)
for s, f in conns:
    s.sendall(b"EHLO client.test.example\r\n")
open(t + "/sent", "w").close()
bad = 0
for i, (s, f) in enumerate(conns):
    try:
        r = line(f)
        assert r.startswith("250"), "EHLO: " + r
        s.sendall(b"MAIL FROM:<a@client.test.example>\r\n")
        r = line(f)
        assert r.startswith("250"), "MAIL: " + r
        s.sendall(b"RCPT TO:<nobody@test.example>\r\n")
        r = line(f)
        assert r.startswith("550 5.1.1"), "RCPT: " + r
        s.sendall(b"QUIT\r\n")
        r = line(f)
        assert r.startswith("221"), "QUIT: " + r
    except Exception as e:
        bad += 1
        print(f"session {i}: {type(e).__name__}: {e}")
    s.close()
print(f"{n - bad} of {n} sessions completed")
sys.exit(1 if bad else 0)
PY
client=$!
it_defer kill "$client"
it_wait 20 test -e "$T/opened" || { cat "$T/client.out"; it_fail "the sessions did not open"; }
held=$(it_worker_counts tcp_connections)
echo "ok   $SESSIONS sessions open, connections per worker: $held"
set -- $held
[ "$1" -gt 0 ] && [ "$2" -gt 0 ] || it_fail "a worker holds no session ($held)"

it_worker_stop 1
echo "ok   worker 0 (thread $IT_WORKER_TID) stopped, worker 1 runs"
# Its ring full: datagrams from 512 source ports, round robin, so that
# no flow is the "huge" one the kernel would move first.
in_ns /usr/bin/python3 - "$IT_ADDR" <<'PY' || it_fail "UDP sender"
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(512)]
for r in range(8):
    for s in socks:
        s.sendto(b"x" * 64, (sys.argv[1], 9))
PY
touch "$T/go"
it_wait 10 test -e "$T/sent" || it_fail "the sessions did not send EHLO"
in_ns /usr/bin/python3 - "$IT_ADDR" "$BOGUS" <<'PY' || it_fail "scapy sender"
import sys
from scapy.all import IP, TCP, send
send(IP(dst=sys.argv[1]) / TCP(sport=(20000, 20000 + int(sys.argv[2]) - 1), dport=25, flags="A", seq=1, ack=1),
     verbose=0)
PY
# SYN cookies made on worker 1: SYNs from an address no host has (so no
# kernel resets the SYN-ACKs) all reach worker 1 now, whose one
# SYN-RECEIVED slot (tcp_syn_backlog = 1) leaves the rest to cookies;
# their ACKs go after worker 0's release (below)
in_ns /usr/bin/python3 - "$IT_ADDR" "$SPOOF" "$COOKIES" "$T/synack.txt" <<'PY' || it_fail "scapy SYNs"
import sys
from scapy.all import IP, TCP, sr
dst, src, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ans, _ = sr(IP(src=src, dst=dst) / TCP(sport=(30000, 30000 + n - 1), dport=25, flags="S", seq=1000),
            timeout=3, verbose=0)
with open(out, "w") as f:
    for _, r in ans:
        if r.haslayer(TCP) and r[TCP].flags == "SA":
            f.write(f"{r[TCP].dport} {r[TCP].seq}\n")
print(f"{len(ans)} SYN-ACKs for {n} SYNs")
PY
sleep 1
touch "$T/release-1"
echo "ok   EHLO sent by every session, worker 0 released"

rc=0
wait "$client" || rc=$?
cat "$T/client.out"
passed=$(it_stat tcp_segments_passed)
unknown=$(it_stat tcp_unknown_connection)
full=$(it_stat pass_ring_full)
echo "tcp_segments_passed $passed, pass_ring_full $full, tcp_unknown_connection $unknown"
[ "$rc" -eq 0 ] || it_fail "not every session completed"
[ "${passed:-0}" -ge "$BOGUS" ] || it_fail "fewer segments passed on than the $BOGUS ACKs of no connection"
[ "${full:-0}" -gt 0 ] || it_fail "worker 0's ring took every segment handed on: nothing dropped and counted"
[ "${unknown:-0}" -gt 0 ] && [ "$unknown" -le "$BOGUS" ] ||
	it_fail "tcp_unknown_connection $unknown: not the last worker's resets of the ACKs it got (1 to $BOGUS)"
# The ACKs came while worker 0's socket ring was full: worker 1 took them
# all and handed them on, so worker 0's resets are of segments it took
# from its ring of segments handed on (a worker that dropped them there
# would count none; the sessions' own segments, sent again, would hide it)
w0=$(it_worker_counts tcp_unknown_connection) || it_fail "stats --per-worker --json"
w0=${w0%% *}
echo "worker 0: tcp_unknown_connection $w0"
[ "$w0" -gt 0 ] || it_fail "worker 0 answered none of the segments worker 1 handed on"

# The ACKs of worker 1's cookies, worker 0 running again: those the
# kernel's hash gives worker 0 must be taken there, with the daemon's one
# secret (tcp_syncookies_valid on worker 0)
[ "$(wc -l < "$T/synack.txt")" -ge $((COOKIES - 1)) ] || it_fail "SYN-ACKs for $(wc -l < "$T/synack.txt") of $COOKIES SYNs"
before=$(it_worker_counts tcp_syncookies_valid)
in_ns /usr/bin/python3 - "$IT_ADDR" "$SPOOF" "$T/synack.txt" <<'PY' || it_fail "scapy ACKs"
import sys
from scapy.all import IP, TCP, send
dst, src = sys.argv[1], sys.argv[2]
acks = [IP(src=src, dst=dst) / TCP(sport=int(p), dport=25, flags="A", seq=1001, ack=int(s) + 1)
        for p, s in (l.split() for l in open(sys.argv[3]))]
send(acks, verbose=0)
PY
sleep 1
after=$(it_worker_counts tcp_syncookies_valid)
set -- $before $after
echo "tcp_syncookies_valid per worker: $1 $2 before the ACKs, $3 $4 after"
[ $(( $3 - $1 )) -gt 0 ] || it_fail "worker 0 took no ACK of a cookie worker 1 made"
[ $(( $3 - $1 + $4 - $2 )) -ge $((COOKIES - 2)) ] || it_fail "fewer cookies taken than sent"
it_stop
echo "PASS: $SESSIONS sessions survive a full ring's rollover to the other worker ($passed segments passed on, $full dropped at a full ring, $unknown reset by the last worker)"
