# SPDX-License-Identifier: BSD-3-Clause
#
# postfix_lib.sh - a private Postfix instance on 127.0.0.1 for the tests
# and benchmarks that need a real Postfix (sourced after lib.sh and
# it_init).
#
#   pf_config PORT     write $PF/etc/main.cf (the settings below, then the
#                      caller's lines read from stdin) and master.cf, with
#                      smtpd listening on 127.0.0.1:PORT
#   pf_start [CMD...]  set permissions and start the instance (through CMD,
#                      e.g. "taskset -c 1"); fail unless it listens within 5 s;
#                      at exit (lib.sh's undo list) pf_stop runs
#   pf_stop            stop it; when the script fails, show the end of its log
#
# PF=$IT_TMP/postfix holds its config, queue and data directories and its
# log ($PF/maillog); the system's Postfix is not touched. The caller checks
# that Postfix is installed (it_skip otherwise).

PF=$IT_TMP/postfix

pf_config() {
	PF_PORT=$1
	# Postfix's own users must reach its queue and data directories.
	chmod 755 "$IT_TMP"
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
	chown postfix "$PF/data"
	{
		cat <<-EOF
		compatibility_level = 3.6
		queue_directory = $PF/spool
		data_directory = $PF/data
		command_directory = /usr/sbin
		daemon_directory = /usr/lib/postfix/sbin
		meta_directory = /etc/postfix
		shlib_directory = /usr/lib/postfix
		mail_owner = postfix
		setgid_group = postdrop
		maillog_file = $PF/maillog
		maillog_file_prefixes = $PF
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mydestination =
		mynetworks = 127.0.0.0/8
		smtpd_relay_restrictions = reject_unauth_destination
		smtpd_recipient_restrictions =
		smtpd_peername_lookup = no
		smtpd_banner = \$myhostname ESMTP
		in_flow_delay = 0
		EOF
		cat
	} > "$PF/etc/main.cf"
	cat > "$PF/etc/master.cf" <<-EOF
	127.0.0.1:$PF_PORT inet n - n - - smtpd
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	pickup    unix n - n 60 1 pickup
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	flush     unix n - n 1000? 0 flush
	proxymap  unix - - n - - proxymap
	showq     unix n - n - - showq
	error     unix - - n - - error
	retry     unix - - n - - error
	discard   unix - - n - - discard
	smtp      unix - - n - - smtp
	relay     unix - - n - - smtp
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	postlog   unix-dgram n - n - 1 postlogd
	EOF
}

pf_start() {
	it_defer pf_stop
	postfix -c "$PF/etc" set-permissions > "$IT_TMP/postfix-perm.log" 2>&1 ||
		{ cat "$IT_TMP/postfix-perm.log"; it_fail "postfix set-permissions failed"; }
	"$@" postfix -c "$PF/etc" start > "$IT_TMP/postfix-start.log" 2>&1 ||
		{ cat "$IT_TMP/postfix-start.log"; it_fail "Postfix did not start"; }
	it_wait 5 it_port_open 127.0.0.1 "$PF_PORT" || it_fail "Postfix does not listen on port $PF_PORT"
}

pf_stop() {
	postfix -c "$PF/etc" stop >/dev/null 2>&1
	if it_failed && [ -f "$PF/maillog" ]; then
		echo "--- Postfix log ---"; tail -n 20 "$PF/maillog"
	fi
	return 0
}
