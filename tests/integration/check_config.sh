#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	check_config.sh - what rcptgate -t accepts, start-up gets past
# DESCRIPTION
#	Each configuration of a list (backends by address, by name, in
#	Postfix's [HOST] form, IPv6; a missing recipient table; a control
#	socket group; our XDP object; the lowest TCP buffer limit) must be
#	accepted by "rcptgate -t" and must then start: rcptgate reaches
#	"serving" on a veth (AF_XDP) and stops cleanly. Configurations -t
#	refuses (a backend that does not resolve, an XDP object that is not
#	there, a maillog_file in a missing directory) must be refused by start-up too, with the same FILE:LINE
#	message and before EAL. Without xdp_object start-up prints nothing
#	from libbpf or libxdp (the PMD's program loads after libxdp's
#	dispatcher attempt fails, and all is well).
# DIAGNOSTICS
#	Exit 0 on success, 1 on failure, 77 (SKIP, with the reason) when
#	root, namespaces or hugepages are missing.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init check-config
it_veth 10.77.94
RG="$BUILD/dataplane/rcptgate"

good=(
	""
	"backend=smtp:127.0.0.1:2525"
	"backend=smtp:[::1]:2526"
	"backend=lmtp:[127.0.0.1]:24"
	"backend=smtp:localhost:25"
	"recipient_table=$IT_TMP/none.tbl"
	"control_socket_group=root"
	"xdp_object=$BUILD/bpf/rcptgate_xdp.bpf.o"
	"tcp_buffer_limit=1m"
)
for extra in "${good[@]}"; do
	# shellcheck disable=SC2086 # an empty EXTRA adds no key
	it_conf "$IT_TMP/g.conf" $extra
	"$RG" -t -f "$IT_TMP/g.conf" > "$IT_TMP/t.out" 2>&1 ||
		{ cat "$IT_TMP/t.out"; it_fail "-t refuses '$extra'"; }
	it_start "$IT_TMP/g.conf"
	it_stop
	case $extra in xdp_object=*) ;; *)
		! grep -E '^(libbpf|libxdp): ' "$IT_LOG" ||
			it_fail "start-up with '$extra' printed libbpf/libxdp messages although all is well" ;;
	esac
	echo "ok   -t and start-up accept '${extra:-(base)}'"
done

bad=(
	"backend=smtp:no-such-host.invalid:25|:12: backend: host 'no-such-host.invalid' does not resolve"
	"xdp_object=$IT_TMP/missing.o|:12: xdp_object: $IT_TMP/missing.o: No such file or directory"
)
for case in "${bad[@]}"; do
	extra=${case%%|*} want=${case#*|}
	it_conf "$IT_TMP/b.conf" "$extra"
	"$RG" -t -f "$IT_TMP/b.conf" > "$IT_TMP/t.out" 2>&1 && it_fail "-t accepts '$extra'"
	grep -qF "$IT_TMP/b.conf$want" "$IT_TMP/t.out" || { cat "$IT_TMP/t.out"; it_fail "-t on '$extra'"; }
	"$RG" -f "$IT_TMP/b.conf" > "$IT_TMP/s.out" 2>&1 && it_fail "start-up accepts '$extra'"
	grep -qF "$IT_TMP/b.conf$want" "$IT_TMP/s.out" || { cat "$IT_TMP/s.out"; it_fail "start-up on '$extra'"; }
	! grep -q "EAL" "$IT_TMP/s.out" || { cat "$IT_TMP/s.out"; it_fail "start-up on '$extra' got as far as EAL"; }
	echo "ok   -t and start-up refuse '$extra'"
done
# A maillog_file that cannot be created: refused by both, on the terminal.
IT_MAILLOG=$IT_TMP/no/such/dir/mail.log it_conf "$IT_TMP/m.conf"
want="$IT_TMP/m.conf:11: maillog_file: $IT_TMP/no/such/dir/mail.log: No such file or directory"
"$RG" -t -f "$IT_TMP/m.conf" > "$IT_TMP/t.out" 2>&1 && it_fail "-t accepts an impossible maillog_file"
grep -qF "$want" "$IT_TMP/t.out" || { cat "$IT_TMP/t.out"; it_fail "-t on an impossible maillog_file"; }
"$RG" -f "$IT_TMP/m.conf" > "$IT_TMP/s.out" 2>&1 && it_fail "start-up accepts an impossible maillog_file"
grep -qF "$want" "$IT_TMP/s.out" || { cat "$IT_TMP/s.out"; it_fail "start-up on an impossible maillog_file"; }
echo "ok   -t and start-up refuse a maillog_file in a missing directory"
echo "PASS: rcptgate -t accepts what start-up gets past"
