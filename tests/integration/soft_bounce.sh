#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	soft_bounce.sh - soft_bounce = yes in front of a backend that refuses
# DESCRIPTION
#	rcptgate on a veth (AF_XDP) with soft_bounce = yes and `backend =
#	smtp:127.0.0.1:PORT`, where Postfix's smtp-sink refuses with 5xx:
#	RCPT and DATA (-f RCPT,DATA), then DATA (-f DATA), then the message
#	at its end (-f .), one daemon run each. An smtplib client
#	(smtp_client.py refusing_rcpt, refusing_message) must get every refusal as the matching 4xx, the
#	backend's and rcptgate's own, at MAIL, RCPT, DATA and end of data;
#	the reject log must show the 4xx that was sent.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages or smtp-sink are missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init soft-bounce
SINK=/usr/sbin/smtp-sink
[ -x "$SINK" ] || it_skip "smtp-sink (postfix) not installed"
it_need_python smtplib
HERE=$(cd "$(dirname "$0")" && pwd)
it_veth 10.77.93

printf 'bob@example.com\n' > "$IT_TMP/r.txt"
"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/r.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the recipient table"
PORT=$(it_free_port)

# phase SINK_FAULTS MODE: the sink refusing SINK_FAULTS, the client's MODE.
phase() {
	it_bg sink "$SINK" -u nobody -f "$1" "127.0.0.1:$PORT" 16
	it_wait 5 it_port_open 127.0.0.1 "$PORT" || it_fail "smtp-sink did not listen on $PORT"
	it_conf "$IT_TMP/b.conf" "recipient_table=$IT_TMP/r.tbl" "backend=smtp:127.0.0.1:$PORT" \
		"soft_bounce=yes" "message_size_limit=1000"
	it_start "$IT_TMP/b.conf"
	in_ns /usr/bin/python3 "$HERE/smtp_client.py" "$IT_ADDR" "$2" || it_fail "soft_bounce, backend refusing $1"
	it_stop
	kill "$IT_BG"; wait "$IT_BG" 2>/dev/null
}

phase RCPT,DATA refusing_rcpt
grep -q 'reject: RCPT from unknown\[10.77.93.2\]: 450 4.1.1 <nobody@example.com>' "$IT_LOG" ||
	it_fail "the reject log does not show the 450 4.1.1 that was sent"
! grep -q 'reject: RCPT from .*: 5[0-9][0-9] ' "$IT_LOG" || it_fail "a 5xx in the reject log"
phase DATA refusing_message
phase . refusing_message
echo "PASS: soft_bounce turns every 5xx into 4xx, the backend's included"
