# SPDX-License-Identifier: BSD-3-Clause
#
# tcp_lib.sh - helpers of the TCP integration tests (sourced after lib.sh).
#
#   tcp_init NAME SUBNET      it_init NAME (IT_MODE af_xdp unless set), skip
#                             without /usr/bin/python3, it_veth SUBNET
#   tcp_conf [KEY=VAL ...]    compile a one-address table (alice@test.example,
#                             domain test.example served), write the config
#                             $IT_TMP/rcptgate.conf with the overrides given
#   tcp_start [KEY=VAL ...]   tcp_conf, then start rcptgate
#   tcp_show                  print the TCP and session counters rcptgate
#                             printed at shutdown

tcp_init() {
	IT_MODE=${IT_MODE:-af_xdp}
	it_init "$1"
	it_need_python
	it_veth "$2"
}

tcp_conf() {
	printf 'alice@test.example\n' > "$IT_TMP/rcpt.txt"
	"$BUILD/ctrl/rcptgatectl" compile "$IT_TMP/rcpt.txt" "$IT_TMP/rcpt.tbl" >/dev/null ||
		it_fail "rcptgatectl compile failed"
	it_conf "$IT_TMP/rcptgate.conf" "recipient_table=$IT_TMP/rcpt.tbl" \
		"relay_domains=test.example" "$@"
}

tcp_start() {
	tcp_conf "$@"
	it_start "$IT_TMP/rcptgate.conf"
}

tcp_show() {
	grep -E '^ *(tcp_|smtp_quit|smtp_sessions|worker_busy|mbuf|tx_full)' "$IT_LOG"
}
