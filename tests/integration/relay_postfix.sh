#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_postfix.sh - relay through the daemon to Postfix as the backend
# DESCRIPTION
#	rcptgate on a veth (AF_XDP) with `backend = smtp:127.0.0.1:PORT`,
#	where a private Postfix instance listens (its own config, queue and
#	data directories under the test's temporary directory; the system's
#	Postfix is not touched). Postfix trusts XCLIENT from 127.0.0.0/8,
#	accepts mail for example.com and relays it to an aiosmtpd recorder
#	on 127.0.0.1:PORT2 (transport_maps). smtplib clients in the
#	namespace send 30 messages to listed and unknown recipients. Every
#	message that got 250 must reach the recorder exactly once, to
#	exactly its accepted recipients, the original bytes preceded only
#	by Postfix's Received: header, which must name the client's own
#	address (XCLIENT worked); no unknown recipient may reach Postfix
#	(its log) or the recorder.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages, Postfix or aiosmtpd are missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init relay-postfix
. "$(dirname "$0")/postfix_lib.sh"
command -v postfix >/dev/null || it_skip "Postfix is not installed (scripts/setup-deps)"
it_need_python aiosmtpd
HERE=$(cd "$(dirname "$0")" && pwd)
PY="/usr/bin/python3 $HERE/relay_postfix.py"
N=${RELAY_POSTFIX_MESSAGES:-30}
SEED=$$
read -r PF_PORT REC_PORT <<< "$(it_free_port 2)"

{ for i in $(seq 0 39); do echo "user$i@example.com"; done; } > "$IT_TMP/r.txt"
"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/r.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the recipient table"

# --- the recorder Postfix relays to ---
mkdir "$IT_TMP/rec"
it_bg recorder $PY recorder "$REC_PORT" "$IT_TMP/rec"
it_bg_ready recorder listening

# --- Postfix: a private instance, the backend ---
# local_header_rewrite_clients empty: with its default Postfix 3.7 added
# Date: and From: to the relayed messages as if they came from a local
# client, and the original would no longer be what follows Received:.
pf_config "$PF_PORT" <<EOF
myhostname = mx.postfix.test.example
smtpd_authorized_xclient_hosts = 127.0.0.0/8
relay_domains = example.com
transport_maps = inline:{example.com=smtp:[127.0.0.1]:$REC_PORT}
relayhost = [127.0.0.1]:$REC_PORT
local_header_rewrite_clients =
smtp_tls_security_level =
EOF
pf_start

# --- rcptgate, Postfix as its backend ---
it_veth 10.77.95
it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" "backend=smtp:127.0.0.1:$PF_PORT"
it_start "$IT_TMP/a.conf"

in_ns $PY send "$IT_ADDR" "$N" "$SEED" "$IT_TMP/sent.json" || it_fail "clients failed"
$PY wait "$IT_TMP/sent.json" "$IT_TMP/rec" 30
$PY verify "$IT_TMP/sent.json" "$IT_TMP/rec" "$SEED" "$IT_CLIENT" "$PF/maillog" ||
	it_fail "the recorder behind Postfix does not match what the clients were told"
it_stop
xclient=$(it_counter relay_xclient)
echo "relay_messages $(it_counter relay_messages), relay_xclient $xclient"
[ "$xclient" -ge 1 ] || it_fail "relay_xclient = $xclient"
echo "PASS: relay through the daemon to Postfix, XCLIENT honoured, no unknown recipient at Postfix"
