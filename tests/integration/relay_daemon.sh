#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_daemon.sh - no-loss relay through the daemon, with a real backend
# SYNOPSIS
#	relay_daemon.sh [MODE [WORKERS]]   (default af_xdp 1)
# DESCRIPTION
#	rcptgate on a veth (AF_XDP), `backend = smtp:127.0.0.1:PORT` where
#	an aiosmtpd recorder (relay_daemon.py) runs in the host namespace
#	(the relay thread's sockets live there). Concurrent smtplib clients
#	in the namespace send 1,000 messages with listed, unknown and
#	backend-refused recipients, then one 20 MB message. Every message
#	the client got 250 for must be at the backend exactly once,
#	byte-identical, to exactly its accepted recipients; every message
#	has a listed recipient, so each must get 250; no unknown recipient
#	may reach the backend; the backend's 550 reaches the client as it
#	is. Then the backend is stopped: RCPT gets a 4xx. The daemon's relay
#	counters must agree. With WORKERS above 1 (af_packet: PACKET_FANOUT
#	spreads the clients' connections), every worker must have accepted
#	recipients (smtp_rcpt_accepted; with every message answered 250 that
#	is mail each relayed), none refused for want of a relay slot or the
#	backend (relay_busy, smtp_data_no_relay).
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages or aiosmtpd are missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=${1:-af_xdp}
IT_WORKERS=${2:-1}
it_init relay-daemon
it_need_python aiosmtpd
HERE=$(cd "$(dirname "$0")" && pwd)
PY="/usr/bin/python3 $HERE/relay_daemon.py"
it_veth 10.77.91
N=${RELAY_DAEMON_MESSAGES:-1000}
SEED=$$

{ for i in $(seq 0 39); do echo "user$i@example.com"; done; echo "reject-me@example.com"; } > "$IT_TMP/r.txt"
"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/r.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the recipient table"

PORT=$(it_free_port)
mkdir "$IT_TMP/rec"
it_bg recorder $PY recorder "$PORT" "$IT_TMP/rec"
REC_PID=$IT_BG
it_bg_ready recorder listening

it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" \
	"backend=smtp:127.0.0.1:$PORT" "smtpd_hard_error_limit=100" "message_size_limit=30000000"
it_start "$IT_TMP/a.conf"

in_ns $PY send "$IT_ADDR" "$N" 8 "$SEED" "$IT_TMP/sent.json" || it_fail "clients failed"
in_ns $PY send "$IT_ADDR" "$N" 1 "$SEED" "$IT_TMP/big.json" "${RELAY_DAEMON_BIG_MB:-20}" ||
	it_fail "big message client failed"
$PY verify "$IT_TMP/sent.json,$IT_TMP/big.json" "$IT_TMP/rec" "$SEED" || it_fail "backend does not match what the clients were told"
if [ "$IT_WORKERS" -gt 1 ]; then
	"$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" stats --per-worker | grep -E "^(counter|smtp_sessions|smtp_rcpt_accepted) "
	"$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" stats --per-worker --json |
		/usr/bin/python3 -c 'import json, sys; ws = json.load(sys.stdin)["workers"]; sys.exit(not (len(ws) == int(sys.argv[1]) and all(w["smtp_rcpt_accepted"] > 0 and w["relay_busy"] == 0 and w["smtp_data_no_relay"] == 0 for w in ws)))' "$IT_WORKERS" ||
		it_fail "not every one of the $IT_WORKERS workers relayed accepted mail without a refusal"
fi

kill "$REC_PID"; wait "$REC_PID" 2>/dev/null
in_ns $PY down "$IT_ADDR" || it_fail "backend down"
it_stop
at_backend=$(ls "$IT_TMP/rec" | grep -c '\.json$')
relayed=$(it_counter relay_messages)
failed=$(it_counter relay_connections_failed)
echo "relay_messages $relayed, at the backend $at_backend, relay_connections_failed $failed," \
	"reused $(it_counter relay_connections_reused), busy $(it_counter relay_busy)"
[ "$relayed" -eq "$at_backend" ] || it_fail "relay_messages = $relayed, backend has $at_backend"
[ "$failed" -ge 1 ] || it_fail "relay_connections_failed = $failed with the backend down"
echo "PASS: relay through the daemon to aiosmtpd, no loss, 20 MB, backend down 4xx"
