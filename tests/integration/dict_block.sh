#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	dict_block.sh [MODE [WORKERS]] - dictionary attackers on the blocklist, for a time
# DESCRIPTION
#	rcptgate on a veth, MODE af_packet (default: the workers' table, the
#	path pci takes) or af_xdp (with rcptgate's XDP program: its maps),
#	dual stack; clients with smtplib in a namespace, each on its own
#	source address (dict_block.py). dictionary_block_limit = 5,
#	dictionary_block_time = 6s, dictionary_block_exempt = one address.
#	1. An IPv6 client inside a manual "block add PREFIX/64" cannot
#	   connect (SYN unanswered), one in another /64 can; after "block
#	   del" it can. With WORKERS above 1 (af_packet: PACKET_FANOUT
#	   spreads the flows), 16 connections at once from the blocked /64
#	   must all go unserved, and every worker must have dropped some
#	   (drop_blocked per worker): each applies the one blocklist.
#	2. An attacker (non-null sender) walking unknown addresses gets five
#	   550s, then 421 and the close; it cannot connect any more; "block
#	   list" (and --json) shows ADDR/32 with reason dictionary and its
#	   seconds left;
#	   after dictionary_block_time it is served again, with no command.
#	3. A backscatter flood (MAIL FROM:<>, 60 unknown recipients in 6
#	   sessions) from one address: every recipient gets its 550 5.1.1,
#	   the address is never blocked.
#	4. The exempt address walks 30 unknown recipients with a non-null
#	   sender: never blocked.
#	5. An IPv6 attacker is blocked by its /64 (another address of that
#	   /64 cannot connect either); "block del" of the /64 releases it.
#	Then the log lines (block, release after the time, release by
#	rcptgatectl) and the counters rcptgate prints at shutdown.
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces, hugepages, IPv6 without DAD or python3 are missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tcp_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
IT_MODE=${1:-af_packet}
IT_WORKERS=${2:-1}
tcp_init "dict-block-$IT_MODE" 10.77.81
ADDR6=fd00:77:81::1
ATTACKER=$IT_CLIENT BOUNCER=10.77.81.3 EXEMPT=10.77.81.4
MANUAL6=fd00:77:81:1::2 OTHER6=fd00:77:81:2::2 ATTACKER6=fd00:77:81:3::2 NEIGHBOUR6=fd00:77:81:3::3
tcp_dual_stack "$ADDR6" 48
for a in "$BOUNCER" "$EXEMPT"; do in_ns ip addr add "$a/24" dev "$IT_PEER"; done
for a in "$MANUAL6" "$OTHER6" "$ATTACKER6" "$NEIGHBOUR6"; do
	in_ns ip -6 addr add "$a/48" dev "$IT_PEER" nodad || it_fail "cannot add $a"
done
client() { in_ns timeout 60 /usr/bin/python3 "$HERE/dict_block.py" "$@"; }
ctl() { "$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" "$@"; }

IT_LISTEN="$IT_ADDR:25, [$ADDR6]:25" tcp_start "dictionary_block_limit=5" "dictionary_block_time=6s" \
	"dictionary_block_exempt=$EXEMPT" "${TCP_EXTRA[@]}"
applied=workers
[ "$IT_MODE" = af_xdp ] && applied=xdp

# 1. a manual IPv6 /64
out=$(ctl block add fd00:77:81:1::/64) || it_fail "block add of an IPv6 /64"
[ "$out" = "blocked fd00:77:81:1::/64" ] || it_fail "block add said '$out'"
client "$MANUAL6" "$ADDR6" probe && it_fail "$MANUAL6 reached rcptgate through a manual /64 block"
client "$OTHER6" "$ADDR6" probe || it_fail "$OTHER6, outside the blocked /64, was not served"
if [ "$IT_WORKERS" -gt 1 ]; then
	client "$MANUAL6" "$ADDR6" refused 16 || it_fail "a connection from the blocked /64 was served"
	got=$(it_worker_counts drop_blocked) || it_fail "stats --per-worker --json"
	echo "drop_blocked per worker: $got"
	set -- $got
	[ $# -eq "$IT_WORKERS" ] || it_fail "$# workers in stats --per-worker, not $IT_WORKERS"
	for n; do [ "$n" -gt 0 ] || it_fail "not every worker dropped the blocked /64's segments ($got)"; done
fi
ctl block list | grep -qx "fd00:77:81:1::/64 manual" || it_fail "block list lacks the manual /64"
[ "$(ctl block list --json | tr -d ' \n')" = '[{"cidr":"fd00:77:81:1::/64","reason":"manual"}]' ] ||
	it_fail "block list --json: $(ctl block list --json)"
ctl block del fd00:77:81:1::/64 >/dev/null || it_fail "block del of the /64"
client "$MANUAL6" "$ADDR6" probe 2 || it_fail "$MANUAL6 not served after block del"

# 2. an IPv4 dictionary attacker: blocked, listed, released after the time
client "$ATTACKER" "$IT_ADDR" attack 5 || it_fail "the IPv4 attacker was not cut off and blocked"
list=$(ctl block list)
echo "$list"
grep -Eqx "$ATTACKER/32 dictionary [1-6]s left" <<<"$list" || it_fail "block list lacks $ATTACKER/32 as a dictionary entry with its time"
ctl block list --json | /usr/bin/python3 -c '
import json, sys
entries = json.load(sys.stdin)
want = [e for e in entries if e["cidr"] == sys.argv[1] + "/32"]
assert len(want) == 1 and want[0]["reason"] == "dictionary" and 1 <= want[0]["expires_in"] <= 6, entries
' "$ATTACKER" || it_fail "block list --json lacks $ATTACKER/32 with reason and expires_in"
client "$ATTACKER" "$IT_ADDR" probe 12 || it_fail "$ATTACKER not served again after dictionary_block_time"
ctl block list | grep -q "^$ATTACKER/" && it_fail "$ATTACKER still listed after its release"

# 3. a backscatter flood (null sender) is never blocked
client "$BOUNCER" "$IT_ADDR" flood "" 6 10 || it_fail "the bounce flood did not get its 550s"
sleep 0.5
client "$BOUNCER" "$IT_ADDR" probe || it_fail "the bounce sender was blocked"

# 4. the exempt address is never blocked
client "$EXEMPT" "$IT_ADDR" flood "list@partner.example" 3 10 || it_fail "the exempt client did not get its 550s"
sleep 0.5
client "$EXEMPT" "$IT_ADDR" probe || it_fail "the exempt client was blocked"

# 5. an IPv6 attacker is blocked by its /64; block del releases it
client "$ATTACKER6" "$ADDR6" attack 5 || it_fail "the IPv6 attacker was not cut off and blocked"
client "$NEIGHBOUR6" "$ADDR6" probe && it_fail "$NEIGHBOUR6, in the attacker's /64, was served"
ctl block list | grep -Eqx "fd00:77:81:3::/64 dictionary [1-6]s left" || it_fail "block list lacks the attacker's /64"
[ "$(ctl block del fd00:77:81:3::/64)" = "unblocked fd00:77:81:3::/64" ] || it_fail "block del of the attacker's /64"
client "$ATTACKER6" "$ADDR6" probe 2 || it_fail "$ATTACKER6 not served after block del"
ctl block list | grep -q "^fd00:77:81:3::" && it_fail "the /64 still listed after block del"

it_stop
grep -E "dictionary attack|blocklist" "$IT_LOG"
grep -q "warning: dictionary attack from unknown\[$ATTACKER\]: 5 unknown recipients in 60s; blocked for 6s" "$IT_LOG" ||
	it_fail "no block line for $ATTACKER"
grep -q "dictionary attack block of unknown\[$ATTACKER\] released after 6s" "$IT_LOG" || it_fail "no release line for $ATTACKER"
grep -q "warning: dictionary attack from unknown\[fd00:77:81:3::/64\]: 5 unknown recipients" "$IT_LOG" ||
	it_fail "no block line for the IPv6 /64"
grep -q "dictionary attack block of unknown\[fd00:77:81:3::/64\] released by rcptgatectl" "$IT_LOG" ||
	it_fail "no release line for the /64"
grep -Eq "dictionary attack from unknown\[($BOUNCER|$EXEMPT)\]" "$IT_LOG" && it_fail "the bouncer or the exempt client was blocked"
[ "$(it_counter dictionary_blocks)" -eq 2 ] || it_fail "dictionary_blocks = $(it_counter dictionary_blocks), want 2"
[ "$(it_counter dictionary_releases)" -eq 2 ] || it_fail "dictionary_releases = $(it_counter dictionary_releases), want 2"
[ "$(it_counter smtp_dictionary_blocks)" -eq 2 ] || it_fail "smtp_dictionary_blocks != 2"
[ "$(it_counter smtp_rcpt_rejected_unknown)" -ge 100 ] || it_fail "fewer unknown-recipient rejects than sent"
if [ "$IT_MODE" = af_xdp ]; then
	[ "$(it_counter xdp_drop_blocked)" -ge 3 ] || it_fail "xdp_drop_blocked: the XDP program dropped no blocked SYN"
else
	[ "$(it_counter drop_blocked)" -ge 3 ] || it_fail "drop_blocked: the workers dropped no blocked SYN"
fi
echo "PASS: dictionary attackers blocked ($applied) and released, IPv4 and IPv6 /64; bounces and exempt never"
