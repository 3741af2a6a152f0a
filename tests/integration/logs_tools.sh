#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	logs_tools.sh - the log read by the operators' own tools: rsyslog,
#	fail2ban's postfix filter, pflogsumm
# DESCRIPTION
#	1. syslog: a private rsyslogd (its own configuration, socket and
#	   files under the test's directory, removed at exit) takes the
#	   daemon's lines on syslog_socket with syslog_facility = local5;
#	   local5.err goes to a file of its own. A burst of sessions
#	   (logs_client.py: 3 unknown recipients, 1 unserved domain, 1
#	   valid each) goes past the reject log's 100 lines a second.
#	2. maillog_file: the same burst, logged to a file by the daemon
#	   with syslog_name = postfix-mx1 (Postfix's multi-instance name).
#	Each time: the daemon's counters agree with what the clients were
#	told; the reject lines in the log are the rejects counted minus the
#	suppressed ones (and some were suppressed); fail2ban-regex with the
#	packaged filter.d/postfix.conf matches every one of them (with
#	_daemon=rcptgate/smtpd in 1, unchanged in 2); pflogsumm
#	--syslog-name counts as many rejected. In 1 the reload failure is
#	at priority err and nothing else is, no line is in the wrong
#	facility, and no reject line reached the daemon's stderr; in 2 the
#	lines have Postfix's maillog_file form.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages or one of the tools are missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init logs-tools
for tool in rsyslogd fail2ban-regex pflogsumm; do
	command -v "$tool" >/dev/null || it_skip "$tool not installed (scripts/setup-deps installs rsyslog, fail2ban, pflogsumm)"
done
FILTER=/etc/fail2ban/filter.d/postfix.conf
[ -r "$FILTER" ] || it_skip "$FILTER missing (package fail2ban)"
it_need_python
it_veth 10.77.96
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CTL="$BUILD/ctrl/rcptgatectl"
"$CTL" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the sample table"
SESSIONS=75 # 300 rejects at once: past 100 log lines a second even across 2 seconds

# burst NAME: the sessions; the clients' tally in $IT_TMP/NAME.clients.
burst() {
	in_ns /usr/bin/python3 "$SRC/tests/integration/logs_client.py" "$IT_ADDR" "$SESSIONS" \
		> "$IT_TMP/$1.clients" 2>&1 || { cat "$IT_TMP/$1.clients"; it_fail "$1: sessions did not get their replies"; }
	cat "$IT_TMP/$1.clients"
	sleep 2 # "N reject lines suppressed" is written when the next second begins
}

# check_log LOG SYSLOG_NAME FILTER NAME: the counters, the log and the tools agree.
check_log() {
	local log=$1 sname=$2 filter=$3 name=$4 unknown relay supp lines want matched rejected
	unknown=$(it_counter smtp_rcpt_rejected_unknown)
	relay=$(it_counter smtp_rcpt_rejected_relay)
	supp=$(it_counter smtp_log_suppressed)
	grep -q "^unknown=$unknown relay=$relay accepted=" "$IT_TMP/$name.clients" ||
		it_fail "$name: counters unknown=$unknown relay=$relay, clients saw $(cat "$IT_TMP/$name.clients")"
	[ "$supp" -gt 0 ] || it_fail "$name: the burst stayed under the rate limit; nothing suppressed"
	[ "$(it_counter log_ring_full)" -eq 0 ] || it_fail "$name: log lines dropped (log_ring_full)"
	[ "$(it_counter log_write_errors)" -eq 0 ] || it_fail "$name: log lines refused (log_write_errors)"
	lines=$(grep -c " $sname/smtpd\[$DPID\]: NOQUEUE: reject: RCPT from unknown\[$IT_CLIENT\]: 5" "$log")
	want=$((unknown + relay - supp))
	echo "$name: $unknown + $relay rejects counted, $supp suppressed, $lines reject lines in the log"
	[ "$lines" -eq "$want" ] || it_fail "$name: $lines reject lines in the log, want $want"
	grep -E " $sname/smtpd\[$DPID\]: [0-9]+ reject lines suppressed$" "$log" >/dev/null ||
		it_fail "$name: no 'N reject lines suppressed' line"

	fail2ban-regex "$log" "$filter" > "$IT_TMP/$name.f2b" 2>&1 || { cat "$IT_TMP/$name.f2b"; it_fail "$name: fail2ban-regex failed"; }
	matched=$(sed -n 's/^Lines: .* \([0-9]*\) matched, .*/\1/p' "$IT_TMP/$name.f2b")
	echo "$name: fail2ban-regex $filter: $(grep '^Lines:' "$IT_TMP/$name.f2b")"
	[ "${matched:-0}" -eq "$lines" ] || it_fail "$name: fail2ban's postfix filter matched ${matched:-0} of $lines reject lines"

	pflogsumm --syslog-name="$sname" "$log" > "$IT_TMP/$name.pflogsumm" 2>&1 ||
		{ cat "$IT_TMP/$name.pflogsumm"; it_fail "$name: pflogsumm failed"; }
	rejected=$(awk '$2 == "rejected" { print $1; exit }' "$IT_TMP/$name.pflogsumm")
	echo "$name: pflogsumm --syslog-name=$sname: ${rejected:-?} rejected"
	[ "${rejected:-0}" -eq "$want" ] || it_fail "$name: pflogsumm counted ${rejected:-0} rejected, want $want"
}

# 1. syslog through a private rsyslogd.
mkdir "$IT_TMP/rsyslog"
cat > "$IT_TMP/rsyslog.conf" <<RSYSLOG_CONF_END
global(workDirectory="$IT_TMP/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$IT_TMP/log.sock" RateLimit.Interval="0")
local5.* action(type="omfile" file="$IT_TMP/mail.log" template="RSYSLOG_TraditionalFileFormat")
local5.err action(type="omfile" file="$IT_TMP/err.log" template="RSYSLOG_TraditionalFileFormat")
mail.* action(type="omfile" file="$IT_TMP/wrong-facility.log")
RSYSLOG_CONF_END
rsyslogd -N1 -f "$IT_TMP/rsyslog.conf" > "$IT_TMP/rsyslog.check" 2>&1 ||
	{ cat "$IT_TMP/rsyslog.check"; it_fail "rsyslogd refuses the test's configuration"; }
it_bg rsyslog rsyslogd -n -f "$IT_TMP/rsyslog.conf" -i "$IT_TMP/rsyslog.pid"
RSYSLOG=$IT_BG
it_wait 5 test -S "$IT_TMP/log.sock" || { cat "$IT_TMP/rsyslog.log"; it_fail "rsyslogd made no socket"; }

IT_MAILLOG='' it_conf "$IT_TMP/a.conf" "recipient_table=$IT_TMP/r.tbl" smtpd_hard_error_limit=1000 max_connections_per_source=1000 smtpd_client_connection_count_limit=0 \
	"syslog_socket=$IT_TMP/log.sock" syslog_facility=local5
it_start "$IT_TMP/a.conf"
DPID=$IT_PID
burst syslog
echo "not a table" > "$IT_TMP/bad.tbl"
"$CTL" -s "$IT_TMP/control.sock" reload "$IT_TMP/bad.tbl" >/dev/null 2>&1 &&
	it_fail "a reload of a corrupt table succeeded"
it_stop
kill -TERM "$RSYSLOG" && wait "$RSYSLOG" # it writes what it holds and removes its socket
check_log "$IT_TMP/mail.log" rcptgate "$FILTER[_daemon=rcptgate/smtpd]" syslog
grep -q " rcptgate/rcptgate\[$DPID\]: error: recipient table reload failed: " "$IT_TMP/err.log" ||
	{ cat "$IT_TMP/err.log"; it_fail "syslog: the reload failure is not at priority err"; }
[ "$(wc -l < "$IT_TMP/err.log")" -eq 1 ] || { cat "$IT_TMP/err.log"; it_fail "syslog: lines below err at priority err"; }
[ ! -s "$IT_TMP/wrong-facility.log" ] || it_fail "syslog: lines logged at facility mail, not local5"
! grep -q "NOQUEUE" "$IT_LOG" || it_fail "syslog: reject lines on the daemon's stderr too"
[ ! -e "$IT_TMP/log.sock" ] || it_fail "rsyslogd left its socket"
echo "ok   syslog: rsyslog, fail2ban and pflogsumm agree with the counters"

# 2. maillog_file, with Postfix's multi-instance syslog_name.
IT_MAILLOG=$IT_TMP/maillog it_conf "$IT_TMP/b.conf" "recipient_table=$IT_TMP/r.tbl" smtpd_client_connection_count_limit=0 \
	smtpd_hard_error_limit=1000 max_connections_per_source=1000 syslog_name=postfix-mx1
it_start "$IT_TMP/b.conf"
DPID=$IT_PID
burst maillog
it_stop
check_log "$IT_TMP/maillog" postfix-mx1 "$FILTER" maillog
grep -Eq "^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} mx postfix-mx1/rcptgate\[$DPID\]: serving " \
	"$IT_TMP/maillog" || { head -3 "$IT_TMP/maillog"; it_fail "maillog_file: not in Postfix's form"; }
echo "ok   maillog_file: fail2ban's stock filter and pflogsumm agree with the counters"
echo "PASS: rsyslog, fail2ban-regex and pflogsumm read rcptgate's log as Postfix's"
