#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ctl_reload_load.sh [RELOADS] [CONCURRENCY] - reloads under a flood.
#
# Two tables of 1000 users differ in one probe address: valid in a.tbl,
# unknown in b.tbl. While clients in a network namespace run SMTP
# sessions without pause (ctl_reload_clients.py, CONCURRENCY loops,
# default 16), rcptgatectl reloads b, a, b, ... RELOADS times (default
# 50). Then:
#   - every reload succeeded, and the daemon is at generation RELOADS+1;
#   - no session failed, and every reply was the old or the new table's
#     (the probe got exactly 250 2.1.5 or exactly 550 5.1.1, the others
#     their fixed replies), and the probe got both during the run;
#   - the daemon's counters (smtp_sessions, smtp_rcpt_accepted,
#     smtp_rcpt_rejected_unknown) equal the clients' own tally.
set -u
. "$(dirname "$0")/lib.sh"
RELOADS=${1:-50}
CONC=${2:-16}
IT_MODE=af_xdp
it_init ctl-reload-load
it_need_python
it_veth 10.77.61
CTL="$BUILD/ctrl/rcptgatectl"
T=$IT_TMP

for i in $(seq 1000); do echo "user$i@example.com"; done > "$T/users.txt"
{ cat "$T/users.txt"; echo probe@example.com; } > "$T/a.txt"
{ cat "$T/users.txt"; echo other@example.com; } > "$T/b.txt"
"$CTL" compile "$T/a.txt" "$T/a.tbl" >/dev/null && "$CTL" compile "$T/b.txt" "$T/b.tbl" >/dev/null ||
	it_fail "rcptgatectl compile failed"
it_conf "$T/c.conf" "recipient_table=$T/a.tbl" "max_connections_per_source=1000"
it_start "$T/c.conf"
ctl() { "$CTL" -s "$T/control.sock" "$@"; }

in_ns /usr/bin/python3 "$(dirname "$0")/ctl_reload_clients.py" "$IT_ADDR" "$CONC" "$T/stop" \
	"$T/clients.json" &
CLIENTS=$!
sleep 1
t0=$(date +%s.%N)
fails=0
for i in $(seq "$RELOADS"); do
	if [ $((i % 2)) -eq 1 ]; then tbl=b; else tbl=a; fi
	ctl reload "$T/$tbl.tbl" >> "$T/reloads.out" 2>&1 || fails=$((fails + 1))
	sleep 0.2
done
t1=$(date +%s.%N)
sleep 1
touch "$T/stop"
wait $CLIENTS
crc=$?
tail -n 2 "$T/reloads.out"
awk -v n="$RELOADS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d reloads in %.2f s\n", n, b - a }'
awk '{ gsub(/,/, ""); print $(NF-1) }' "$T/reloads.out" | sort -n |
	awk '{ a[NR] = $1 } END { printf "reload ms: min %s median %s max %s\n", a[1], a[int((NR+1)/2)], a[NR] }'
[ "$fails" -eq 0 ] || it_fail "$fails of $RELOADS reloads failed: $(grep -v '^reloaded' "$T/reloads.out" | head -3)"

ctl stats --json > "$T/stats.json" || it_fail "stats --json failed"
it_stop
[ "$crc" -eq 0 ] || it_fail "sessions failed during the reloads (see the clients line above)"
/usr/bin/python3 - "$T/clients.json" "$T/stats.json" "$RELOADS" <<'EOF' || it_fail "counters and clients disagree"
import json, sys
c = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
checks = [
    ("sessions completed", c["sessions"] > 0, c["sessions"]),
    ("no session failed", c["failed"] == 0, c["errors"]),
    ("probe answered 250 during the run", c["probe_250"] > 0, c["probe_250"]),
    ("probe answered 550 during the run", c["probe_550"] > 0, c["probe_550"]),
    ("smtp_sessions = sessions", s["smtp_sessions"] == c["sessions"], (s["smtp_sessions"], c["sessions"])),
    ("smtp_rcpt_accepted = RCPT 250s", s["smtp_rcpt_accepted"] == c["rcpt_250"],
     (s["smtp_rcpt_accepted"], c["rcpt_250"])),
    ("smtp_rcpt_rejected_unknown = RCPT 550s", s["smtp_rcpt_rejected_unknown"] == c["rcpt_550"],
     (s["smtp_rcpt_rejected_unknown"], c["rcpt_550"])),
    ("smtp_quit = sessions", s["smtp_quit"] == c["sessions"], (s["smtp_quit"], c["sessions"])),
    ("table_generation = reloads + 1", s["table_generation"] == n + 1, s["table_generation"]),
    ("table_reloads = reloads + 1", s["table_reloads"] == n + 1, s["table_reloads"]),
    ("table_reloads_failed = 0", s["table_reloads_failed"] == 0, s["table_reloads_failed"]),
]
bad = 0
for what, ok, got in checks:
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {got}")
    bad += not ok
sys.exit(1 if bad else 0)
EOF
echo "PASS: $RELOADS reloads under $CONC session loops, no session failed, counters agree"
