#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# systemd_unit.sh - docs/examples/rcptgate.service is valid and the daemon
# starts and serves with only the capabilities the unit grants.
#
# 1. systemd-analyze verify accepts the unit (ExecStart pointed at this
#    build's binaries).
# 2. rcptgate runs on a veth in af_xdp mode with rcptgate's XDP program,
#    under setpriv with the unit's CapabilityBoundingSet and
#    NoNewPrivileges, and a client gets its SMTP banner; SIGTERM stops it
#    cleanly. (The file-system protections need systemd as PID 1; where
#    it is not, they are checked by "verify" only.)
# 3. Every ExecReload line (table, certificates) succeeds against it.
set -u
. "$(dirname "$0")/lib.sh"
IT_MODE=af_xdp
it_init systemd-unit
SRC=$(cd "$(dirname "$0")/../.." && pwd)
UNIT=$SRC/docs/examples/rcptgate.service
command -v systemd-analyze >/dev/null || it_skip "systemd-analyze not installed"
command -v setpriv >/dev/null || it_skip "setpriv not installed"

sed -e "s|/usr/sbin/rcptgatectl|$BUILD/ctrl/rcptgatectl|g" -e "s|/usr/sbin/rcptgate|$BUILD/dataplane/rcptgate|g" \
	-e '/^Documentation=/d' "$UNIT" > "$IT_TMP/rcptgate.service"
systemd-analyze verify "$IT_TMP/rcptgate.service" > "$IT_TMP/verify.out" 2>&1
if [ -s "$IT_TMP/verify.out" ]; then
	cat "$IT_TMP/verify.out"; it_fail "systemd-analyze verify found problems in the unit"
fi
echo "ok   systemd-analyze verify"

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,+/g')
[ -n "$caps" ] || it_fail "no CapabilityBoundingSet in the unit"
grep -q '^NoNewPrivileges=yes' "$UNIT" || it_fail "the unit does not set NoNewPrivileges"

it_veth 10.77.3
ip addr add "$IT_ADDR/24" dev "$IT_HOST"
"$BUILD/ctrl/rcptgatectl" compile "$SRC/docs/examples/recipients.txt" "$IT_TMP/r.tbl" >/dev/null ||
	it_fail "cannot compile the sample table"
it_conf "$IT_TMP/r.conf" "xdp_object=$BUILD/bpf/rcptgate_xdp.bpf.o" "recipient_table=$IT_TMP/r.tbl"
# it_start, under the unit's capabilities.
it_spawn setpriv --bounding-set=-all,+"$caps" --inh-caps=-all --no-new-privs -- \
	"$BUILD/dataplane/rcptgate" -f "$IT_TMP/r.conf"
it_serving "with capabilities +$caps"
grep -q '^CapBnd:' /proc/$IT_PID/status && echo "daemon's bounding set: $(grep '^CapBnd' /proc/$IT_PID/status)"

banner=$(in_ns timeout 10 bash -c "exec 3<>/dev/tcp/$IT_ADDR/25; head -n 1 <&3" 2>&1)
echo "banner: $banner"
case $banner in 220*) ;; *) it_fail "no SMTP banner from the restricted daemon" ;; esac

# 3. systemctl reload runs every ExecReload line; each must succeed on a
#    daemon without STARTTLS too (the tls reload line says so and exits 0).
n=0
while read -r cmd; do
	set -- $cmd
	bin=$1; shift
	"$bin" -s "$IT_TMP/control.sock" "$@" > "$IT_TMP/reload.out" 2>&1 ||
		{ cat "$IT_TMP/reload.out"; it_fail "ExecReload=$cmd failed"; }
	echo "ok   ExecReload=$cmd: $(head -1 "$IT_TMP/reload.out")"
	n=$((n + 1))
done < <(sed -n 's/^ExecReload=//p' "$IT_TMP/rcptgate.service")
[ $n -ge 2 ] || it_fail "the unit's ExecReload lines reload $n things, want the table and the certificates"
it_stop
echo "PASS: the systemd unit verifies and the daemon serves with its capabilities"
