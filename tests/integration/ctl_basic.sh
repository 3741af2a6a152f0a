#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ctl_basic.sh - rcptgatectl against a running daemon's control socket.
#
# rcptgate starts on a veth (AF_XDP) with a recipient_table that does not
# exist: it must still serve, say so in status, and check must show the
# 451. Then, through rcptgatectl:
#   reload a good table (generation 1) -> check 250 / 550 / 554;
#   reload a corrupt table and a shrunken one: refused, exit 1, the old
#   table keeps serving (check still 250); the shrunken one with --force:
#   generation 2, the probe address now 550; reload without a path: 3;
#   status, stats --json (the table counters agree with what was done),
#   stats --prometheus (valid exposition, same values), stats --per-worker
#   (one worker's own counters, none above the sum), top -n, --help;
#   malformed, oversized, unknown and stalled requests on the raw socket get ERR
#   and change nothing (generation and reload counters unchanged);
#   DPDK telemetry (/rcptgate/stats, /rcptgate/counter) with --in-memory;
#   the socket is mode 0600 and is removed at exit; with
#   control_socket_group it is 0660 and the group's; the socket file a
#   SIGKILLed daemon left behind is replaced by the next one.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init ctl-basic
it_need_python
it_veth 10.77.60
CTL="$BUILD/ctrl/rcptgatectl"
PY="/usr/bin/python3 $(dirname "$0")/ctl_check.py"
T=$IT_TMP

# Tables: 200 users and the probe; the same 20 users only; a corrupt copy.
{ for i in $(seq 200); do echo "user$i@example.com"; done; echo probe@example.com; } > "$T/a.txt"
for i in $(seq 20); do echo "user$i@example.com"; done > "$T/s.txt"
"$CTL" compile "$T/a.txt" "$T/a.tbl" >/dev/null && "$CTL" compile "$T/s.txt" "$T/s.tbl" >/dev/null ||
	it_fail "rcptgatectl compile failed"
cp "$T/a.tbl" "$T/bad.tbl"
printf '\x5a\x5a\x5a\x5a' | dd of="$T/bad.tbl" bs=1 seek=$(( $(stat -c %s "$T/a.tbl") / 2 )) conv=notrunc 2>/dev/null

# Telemetry on (lib.sh turns it off), in a runtime directory of our own.
it_dpdk_prefix PREFIX rgctl
IT_DPDK_EAL="--in-memory --file-prefix=$PREFIX" it_conf "$T/c.conf" "recipient_table=$T/missing.tbl"
it_start "$T/c.conf"
S="$T/control.sock"
ctl() { "$CTL" -s "$S" "$@"; }
expect() {	# expect STATUS OUTPUT-PATTERN CMD...: run, check exit status and output
	local want=$1 pat=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	[ "$rc" -eq "$want" ] || it_fail "'${*#$CTL}': exit $rc, expected $want: $out"
	echo "$out" | grep -qE -- "$pat" || it_fail "'${*#$CTL}': no '$pat' in: $out"
	echo "ok   ${*#"$CTL" -s "$S"} -> $(echo "$out" | head -1)"
}
status_of() { ctl status | awk -v k="$1" '$1 == k { print $2 }'; }

[ "$(stat -c %a "$S")" = 600 ] || it_fail "control socket mode $(stat -c %a "$S"), expected 600"
grep -q "recipient table reload failed: .*missing.tbl.*NO table" "$IT_LOG" || it_fail "no loud log of the missing table"

# 1. No table.
expect 0 "^table +none" ctl status
expect 1 "^451 4\.3\.0" ctl check probe@example.com

# 2. A good table.
expect 0 "generation 1, 201 entries" ctl reload "$T/a.tbl"
expect 0 "^250 2\.1\.5" ctl check probe@example.com
expect 0 "^250 2\.1\.5" ctl check --client 10.77.60.9 --helo mx.test.example --from a@b.example "<user7@example.com>"
expect 1 "^550 5\.1\.1 <nobody@example\.com>: Recipient address rejected: User unknown" ctl check nobody@example.com
expect 1 "^554 5\.7\.1" ctl check x@not-served.example
expect 1 "MAIL FROM got: 5" ctl check --from "bad address" probe@example.com
[ "$(status_of table_generation)" = 1 ] && [ "$(status_of table_entries)" = 201 ] ||
	it_fail "status after the first reload: $(ctl status)"

# 3. Refused reloads keep the old table.
expect 1 "reload: .*bad\.tbl" ctl reload "$T/bad.tbl"
expect 1 "reload_max_shrink" ctl reload "$T/s.tbl"
expect 1 "No such file" ctl reload "$T/none.tbl"
expect 0 "^250 2\.1\.5" ctl check probe@example.com
[ "$(status_of table_generation)" = 1 ] || it_fail "a refused reload changed the generation"
ctl status | grep -q "^table_last_error .*reload_max_shrink" || it_fail "status shows no last error"

# 4. Forced shrink, then a reload of the same path.
expect 0 "generation 2, 20 entries \(was 201\)" ctl reload --force "$T/s.tbl"
expect 1 "^550 5\.1\.1 <probe@example\.com>" ctl check probe@example.com
expect 0 "generation 3, 20 entries" ctl reload
expect 0 "^table_path +$T/s.tbl" ctl status
expect 0 "^worker_lcores +[0-9]" ctl status
expect 0 "^config +$T/c.conf" ctl status

# 5. Counters: the start-up load, the corrupt and the shrunk table failed (the
# missing file never reached the daemon: rcptgatectl resolves the path first).
ctl stats --per-worker --json > "$T/w.json" || it_fail "stats --per-worker --json failed"
ctl stats --json > "$T/s.json" || it_fail "stats --json failed"
$PY perworker "$T/w.json" "$T/s.json" 1 || it_fail "stats --per-worker --json"
expect 0 "^counter +worker 0" ctl stats --per-worker
expect 2 "usage" ctl stats --per-worker --prometheus
$PY json "$T/s.json" table_generation=3 table_entries=20 table_reloads=3 table_reloads_failed=3 ||
	it_fail "stats --json"
ctl stats --prometheus > "$T/s.prom" || it_fail "stats --prometheus failed"
$PY prom "$T/s.prom" "$T/s.json" || it_fail "stats --prometheus"
expect 0 "^table_generation +3 " ctl stats
errors0=$(ctl stats --json | awk -F': ' '/"ctl_request_errors"/ { print $2+0 }')

# 6. The raw socket: malformed requests change nothing.
$PY raw "$S" || it_fail "control protocol checks"
ctl stats --json > "$T/s2.json"
$PY json "$T/s2.json" table_generation=3 table_reloads=3 table_reloads_failed=3 \
	ctl_request_errors=$((errors0 + 15)) || it_fail "malformed requests changed something"

# 7. top, help, usage errors.
ctl top -i 0.2 -n 3 > "$T/top.out" || it_fail "top failed"
$PY top "$T/top.out" 3 || it_fail "top output"
for c in reload stats top status check help; do
	"$CTL" "$c" --help > /dev/null || it_fail "$c --help failed"
done
expect 2 "usage" ctl stats --bogus
expect 2 "-n wants a count" ctl top -n 0
expect 1 "cannot reach rcptgate" "$CTL" -s "$T/nothing.sock" status

# 8. DPDK telemetry, with EAL in --in-memory mode.
if command -v dpdk-telemetry.py > /dev/null; then
	echo /rcptgate/stats | dpdk-telemetry.py -f "$PREFIX" > "$T/tel.out" 2>&1
	grep -q '"table_generation": 3' "$T/tel.out" || { cat "$T/tel.out"; it_fail "telemetry /rcptgate/stats"; }
	echo /rcptgate/counter,table_entries | dpdk-telemetry.py -f "$PREFIX" > "$T/tel2.out" 2>&1
	grep -q '"table_entries": 20' "$T/tel2.out" || { cat "$T/tel2.out"; it_fail "telemetry /rcptgate/counter"; }
	echo "ok   telemetry /rcptgate/stats and /rcptgate/counter"
else
	echo "skip telemetry: dpdk-telemetry.py not installed (package dpdk-dev)"
fi

it_stop
[ -e "$S" ] && it_fail "control socket left behind at exit"
[ "$(it_counter table_generation)" -eq 3 ] || it_fail "final table_generation"

# 9. control_socket_group, and the stale socket of a killed daemon.
IT_MODE=af_packet
it_conf "$T/g.conf" "recipient_table=$T/a.tbl" "control_socket_group=nogroup"
it_start "$T/g.conf"
it_crash
[ -S "$S" ] || it_fail "no socket file left by the killed daemon (the test needs one)"
it_start "$T/g.conf"
[ "$(stat -c '%a %G' "$S")" = "660 nogroup" ] || it_fail "socket $(stat -c '%a %G' "$S"), expected 660 nogroup"
expect 0 "^table_generation +1$" ctl status
it_stop
echo "PASS: control socket and rcptgatectl"
