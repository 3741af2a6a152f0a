#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	metrics.sh - GET /metrics on metrics_listen, read by curl, promtool
#	and a real Prometheus server
# DESCRIPTION
#	rcptgate starts on a veth (AF_XDP) with metrics_listen on a free
#	port of 127.0.0.1 and serves a few sessions with rejected
#	recipients (logs_client.py). Then:
#	1. curl GET /metrics: 200, Content-Type text/plain; version=0.0.4,
#	   a family with HELP and TYPE for every counter rcptgatectl stats
#	   knows, the session and recipient counters equal to rcptgatectl
#	   stats' and to what the clients were told, per-worker families
#	   adding up to the totals; HEAD: the same head, no body.
#	2. promtool check metrics accepts the exposition.
#	3. A Prometheus server of the test's own (its configuration and
#	   storage in the test's directory, a free port, the scrape job of
#	   docs/deployment.md at 1 s) scrapes the daemon; its HTTP API
#	   answers the query for rcptgate_smtp_rcpt_rejected_unknown_total
#	   with the daemon's value, and up{job="rcptgate"} is 1.
#	4. metrics_http.py: POST 405 with Allow, /other 404, garbage 400,
#	   no Host 400, an oversized head 431, a slow client closed after
#	   10 s while a scrape on another connection succeeds, the 17th
#	   connection closed at once; the metrics_* counters count each.
#	5. Every metric the Grafana dashboard of docs/examples uses is in
#	   the exposition.
#	6. The daemon still answers SMTP (550 for an unknown recipient).
#	Before all that, a start with metrics_listen on a port another
#	socket holds ([::1] where the host has IPv6) fails with the reason.
#	Prometheus is stopped at exit whatever happens.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages, curl, promtool or prometheus are
#	missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init metrics
for tool in curl promtool prometheus; do
	command -v "$tool" >/dev/null || it_skip "$tool not installed (scripts/setup-deps installs curl and prometheus)"
done
it_need_python
it_veth 10.77.97
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CTL="$BUILD/ctrl/rcptgatectl"
T=$IT_TMP
DASHBOARD="$SRC/docs/examples/grafana-rcptgate.json"
"$CTL" compile "$SRC/docs/examples/recipients.txt" "$T/r.tbl" >/dev/null || it_fail "cannot compile the sample table"
read -r MPORT PPORT BPORT <<< "$(it_free_port 3)"
URL="http://127.0.0.1:$MPORT/metrics"

# 0. metrics_listen on an address in use (IPv6 loopback where there is
# one): start-up fails with the reason, before serving.
BADDR="[::1]" BFAM=AF_INET6 BHOST=::1
/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
	{ BADDR=127.0.0.1 BFAM=AF_INET BHOST=127.0.0.1; }
it_bg busy /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(getattr(socket, sys.argv[1]))
s.bind((sys.argv[2], int(sys.argv[3])))
s.listen()
print("listening", flush=True)
time.sleep(120)' "$BFAM" "$BHOST" "$BPORT"
it_bg_ready busy listening
it_conf "$T/busy.conf" "metrics_listen=$BADDR:$BPORT"
timeout 60 "$BUILD/dataplane/rcptgate" -f "$T/busy.conf" > "$T/busy.out" 2>&1
rc=$?
kill "$IT_BG"
[ $rc -eq 1 ] || { cat "$T/busy.out"; it_fail "metrics_listen on a port in use: exit $rc, want 1"; }
grep -qF "metrics_listen $BADDR:$BPORT: Address already in use" "$T/busy.out" ||
	{ cat "$T/busy.out"; it_fail "metrics_listen on a port in use: no reason given"; }
grep -q "serving" "$T/busy.out" && it_fail "serving with metrics_listen on a port in use"
echo "ok   metrics_listen = $BADDR:$BPORT in use: exit 1, $(grep -o 'metrics_listen.*' "$T/busy.out" | head -1)"

it_conf "$T/c.conf" "recipient_table=$T/r.tbl" "metrics_listen=127.0.0.1:$MPORT" \
	"smtpd_client_connection_count_limit=0"
it_start "$T/c.conf"
ctl() { "$CTL" -s "$T/control.sock" "$@"; }
# sample NAME FILE: the value of the unlabelled sample NAME in an exposition
sample() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

in_ns /usr/bin/python3 "$SRC/tests/integration/logs_client.py" "$IT_ADDR" 4 > "$T/clients" 2>&1 ||
	{ cat "$T/clients"; it_fail "the SMTP sessions did not get their replies"; }
cat "$T/clients"
UNKNOWN=$(sed -n 's/^unknown=\([0-9]*\) .*/\1/p' "$T/clients")
[ "${UNKNOWN:-0}" -gt 0 ] || it_fail "no rejected recipients"

# 1. curl
curl -sS -D "$T/head" -o "$T/m.txt" "$URL" || it_fail "curl $URL failed"
grep -q "^HTTP/1.1 200 OK" "$T/head" || it_fail "status: $(head -1 "$T/head")"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$T/head" || it_fail "Content-Type: $(cat "$T/head")"
echo "ok   GET /metrics: $(wc -l < "$T/m.txt") lines"
ctl stats --json > "$T/s.json" || it_fail "rcptgatectl stats --json failed"
for k in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$T/s.json"); do
	n="rcptgate_${k}(_total)?"
	[ "${k%_ns}" = "$k" ] || n="rcptgate_${k%_ns}_seconds_total" # nanoseconds exported in seconds
	grep -qE "^# TYPE $n (counter|gauge)$" "$T/m.txt" || it_fail "no TYPE line for $k"
	grep -qE "^# HELP $n ." "$T/m.txt" || it_fail "no HELP line for $k"
done
echo "ok   HELP and TYPE for every counter of rcptgatectl stats"
for k in smtp_sessions smtp_rcpt_rejected_unknown smtp_rcpt_rejected_relay smtp_rcpt_accepted; do
	v=$(sample "rcptgate_${k}_total" "$T/m.txt")
	s=$(it_stat "$k")
	[ -n "$v" ] && [ "$v" = "$s" ] || it_fail "$k: /metrics says '$v', rcptgatectl stats '$s'"
	echo "ok   rcptgate_${k}_total $v = rcptgatectl stats"
done
[ "$(sample rcptgate_smtp_rcpt_rejected_unknown_total "$T/m.txt")" -eq "$UNKNOWN" ] ||
	it_fail "rejected_unknown is not the $UNKNOWN the clients were told"
[ "$(sample rcptgate_table_generation "$T/m.txt")" = 1 ] || it_fail "table_generation is not 1"
[ "$(sample rcptgate_table_load_time_seconds "$T/m.txt")" -gt 0 ] || it_fail "no table load time"
w=$(awk '$1 ~ /^rcptgate_lcore_smtp_sessions_total\{worker="[0-9]+",lcore="[0-9]+"\}$/ { s += $2 } END { print s + 0 }' "$T/m.txt")
[ "$w" = "$(sample rcptgate_smtp_sessions_total "$T/m.txt")" ] || it_fail "per-worker sessions add up to $w"
echo "ok   per-worker sessions add up to the total ($w)"
ctl stats --per-worker --json > "$T/w.json" || it_fail "rcptgatectl stats --per-worker --json failed"
/usr/bin/python3 - "$T/w.json" "$T/m.txt" <<'EOF2' || it_fail "per-worker families differ from rcptgatectl stats --per-worker"
import json, re, sys
workers = json.load(open(sys.argv[1]))["workers"]
got = {}
for l in open(sys.argv[2]):
    m = re.match(r'rcptgate_lcore_(\w+?)(?:_total)?\{worker="(\d+)",lcore="\d+"\} (\d+)$', l)
    if m:
        got[(m.group(1), int(m.group(2)))] = int(m.group(3))
keys = ("smtp_sessions", "smtp_rcpt_rejected_unknown", "smtp_rcpt_accepted")
bad = [(k, w) for w in range(len(workers)) for k in keys if got.get((k, w)) != workers[w][k]]
print("per-worker: %d workers, %s equal to rcptgatectl stats --per-worker; differ: %s" % (len(workers), ", ".join(keys), bad or "none"))
sys.exit(1 if bad or not workers else 0)
EOF2
curl -sS -I "$URL" > "$T/head2" || it_fail "curl -I failed"
grep -q "^HTTP/1.1 200 OK" "$T/head2" && grep -qi "^Content-Length: [1-9]" "$T/head2" || it_fail "HEAD: $(cat "$T/head2")"
echo "ok   HEAD /metrics: $(grep -i '^Content-Length' "$T/head2" | tr -d '\r')"

# how long a scrape takes here (printed, not asserted: this machine is noisy)
for _ in $(seq 50); do curl -s -o /dev/null -w '%{time_total}\n' "$URL"; done | sort -n > "$T/times"
echo "note 50 scrapes of $(wc -c < "$T/m.txt") octets: median $(sed -n 25p "$T/times") s, max $(tail -1 "$T/times") s"

# 2. promtool
curl -s "$URL" | grep rejected_unknown > "$T/grep" || it_fail "no rejected_unknown in the exposition"
curl -s "$URL" | promtool check metrics > "$T/promtool" 2>&1 || { cat "$T/promtool"; it_fail "promtool check metrics refused the exposition"; }
[ ! -s "$T/promtool" ] || { cat "$T/promtool"; it_fail "promtool check metrics has remarks"; }
promtool check metrics < /dev/null > /dev/null 2>&1 && ! printf 'rcptgate_x_total 1\nbad line\n' | promtool check metrics >/dev/null 2>&1 ||
	it_fail "promtool check metrics does not refuse a bad exposition here: it proves nothing"
echo "ok   promtool check metrics"

# 3. a Prometheus server scraping it: the job of docs/deployment.md
mkdir -p "$T/prom"
cat > "$T/prometheus.yml" <<EOF2
scrape_configs:
  - job_name: rcptgate
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF2
promtool check config "$T/prometheus.yml" > "$T/promtool-config" 2>&1 || { cat "$T/promtool-config"; it_fail "promtool check config"; }
prom_stop() {	# SIGTERM, then SIGKILL after 10 s: nothing left running
	[ -n "${PROM_PID:-}" ] || return 0
	kill -TERM "$PROM_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$PROM_PID" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$PROM_PID" 2>/dev/null
}
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$PPORT" > "$T/prometheus.log" 2>&1 &
PROM_PID=$!
it_defer prom_stop
PAPI="http://127.0.0.1:$PPORT/api/v1/query"
# prom_query EXPR: the value of the single sample EXPR gives, or nothing
prom_query() {
	curl -sS -G --data-urlencode "query=$1" "$PAPI" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")'
}
prom_has() { [ "$(prom_query "$1")" = "$2" ]; }
it_wait 30 prom_has rcptgate_smtp_rcpt_rejected_unknown_total "$UNKNOWN" ||
	{ tail -20 "$T/prometheus.log"; it_fail "Prometheus answers '$(prom_query rcptgate_smtp_rcpt_rejected_unknown_total)' for rcptgate_smtp_rcpt_rejected_unknown_total, want $UNKNOWN"; }
echo "ok   Prometheus: rcptgate_smtp_rcpt_rejected_unknown_total = $UNKNOWN"
prom_has 'up{job="rcptgate"}' 1 || it_fail "Prometheus: up{job=\"rcptgate\"} is not 1"
echo "ok   Prometheus: up{job=\"rcptgate\"} = 1"

# 4. bad requests, a slow client, the connection cap
bad0=$(it_stat metrics_bad_requests)
nf0=$(it_stat metrics_not_found)
na0=$(it_stat metrics_method_not_allowed)
to0=$(it_stat metrics_timeouts)
rf0=$(it_stat metrics_connections_refused)
/usr/bin/python3 "$SRC/tests/integration/metrics_http.py" 127.0.0.1 "$MPORT" || it_fail "metrics_http.py"
d() { echo $(( $(it_stat "$1") - $2 )); }
[ "$(d metrics_bad_requests "$bad0")" -eq 3 ] || it_fail "metrics_bad_requests went up by $(d metrics_bad_requests "$bad0"), want 3"
[ "$(d metrics_not_found "$nf0")" -eq 1 ] || it_fail "metrics_not_found went up by $(d metrics_not_found "$nf0")"
[ "$(d metrics_method_not_allowed "$na0")" -eq 1 ] || it_fail "metrics_method_not_allowed: $(d metrics_method_not_allowed "$na0")"
[ "$(d metrics_timeouts "$to0")" -ge 1 ] || it_fail "metrics_timeouts did not count the slow client"
# the 17th, and Prometheus' scrapes while the 16 were held
[ "$(d metrics_connections_refused "$rf0")" -ge 1 ] || it_fail "metrics_connections_refused did not count"
echo "ok   metrics_* counters: 3 bad, 1 not found, 1 not allowed, $(d metrics_timeouts "$to0") timeouts, $(d metrics_connections_refused "$rf0") refused"

# 5. the dashboard uses only metrics the daemon exports
curl -sS -o "$T/m2.txt" "$URL" || it_fail "curl after the bad requests failed"
/usr/bin/python3 - "$DASHBOARD" "$T/m2.txt" <<'EOF2' || it_fail "the dashboard names metrics the daemon does not export"
import json, re, sys
dash = json.load(open(sys.argv[1]))
exported = {l.split()[2] for l in open(sys.argv[2]) if l.startswith("# TYPE ")}
exprs = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "expr":
                exprs.append(v)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(dash)
used = set(re.findall(r"\brcptgate_[a-z0-9_]+", open(sys.argv[1]).read()))  # queries and variables
missing = sorted(used - exported)
print("dashboard: %d queries, %d metrics, missing: %s" % (len(exprs), len(used), missing or "none"))
sys.exit(1 if missing or len(exprs) < 5 else 0)
EOF2
echo "ok   every metric of $(basename "$DASHBOARD") is exported"

# 6. SMTP still served
it_rejects nobody-after@example.com || it_fail "SMTP not answered after the metrics checks"
echo "ok   SMTP: 550 for an unknown recipient after all that"
prom_stop
kill -0 "$PROM_PID" 2>/dev/null && it_fail "Prometheus still running"
it_stop
echo "PASS: metrics"
