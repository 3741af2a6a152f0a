#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# install.sh - "meson install" puts every file where an operator looks for
# it: binaries in sbin (rcptgate-bench in bin), the XDP object in the data
# directory, man pages, the example configuration, the systemd units. The
# installed units name what this install put there (the binaries they run,
# the directory of the configuration they read holds the example), and so
# do the installed example's xdp_object and the export script's default
# configuration directory; the installed daemon accepts the installed
# example configuration (rcptgate -t).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
. "$SRC/tests/integration/lib.sh"
it_tmp install
T=$IT_TMP

meson install -C "$BUILD" --destdir "$T/root" --no-rebuild --quiet > "$T/log" 2>&1 ||
	{ cat "$T/log"; it_fail "meson install"; }
prefix=$(meson introspect "$BUILD" --buildoptions |
	/usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
R=$T/root$prefix
etc=$R/etc
case $prefix in /usr) etc=$T/root/etc ;; esac
fail=0
for f in sbin/rcptgate sbin/rcptgatectl sbin/rcptgate-ldap-export \
	 share/rcptgate/rcptgate_xdp.bpf.o \
	 share/man/man8/rcptgate.8 share/man/man8/rcptgatectl.8 \
	 lib/systemd/system/rcptgate.service lib/systemd/system/rcptgate-ldap-export.service \
	 lib/systemd/system/rcptgate-ldap-export.timer; do
	[ -e "$R/$f" ] || { echo "FAIL: $prefix/$f not installed"; fail=1; }
done
for f in sbin/rcptgate sbin/rcptgatectl sbin/rcptgate-ldap-export bin/rcptgate-bench; do
	[ -x "$R/$f" ] || { echo "FAIL: $prefix/$f not executable"; fail=1; }
done
# Every absolute path the units run or read, and the example's
# xdp_object, must be something this install put there.
units=$R/lib/systemd/system
for exe in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$units/rcptgate.service" "$units/rcptgate-ldap-export.service"); do
	[ -x "$T/root$exe" ] || { echo "FAIL: a unit runs $exe, which the install did not put there"; fail=1; }
done
conf=$(sed -n 's/^ExecStart=.* -f \([^ ]*\).*/\1/p' "$units/rcptgate.service")
[ -n "$conf" ] && [ -e "$T/root$(dirname "$conf")/rcptgate.conf.example" ] ||
	{ echo "FAIL: rcptgate.service reads '$conf'; the example is not installed beside it"; fail=1; }
xdp=$(sed -n 's/^xdp_object = //p' "$etc/rcptgate/rcptgate.conf.example")
[ -e "$T/root$xdp" ] || { echo "FAIL: the example's xdp_object $xdp is not what the install put there"; fail=1; }
export_conf=$(sed -n 's/^CONFIG=//p' "$R/sbin/rcptgate-ldap-export")
[ "$(dirname "$export_conf")" = "$(dirname "$conf")" ] ||
	{ echo "FAIL: rcptgate-ldap-export reads $export_conf, rcptgate.service $conf"; fail=1; }
[ -e "$etc/rcptgate/rcptgate.conf.example" ] || { echo "FAIL: example configuration not installed"; fail=1; }
# -t checks that xdp_object is there: point it at the copy installed under the destdir
sed "s|^xdp_object = |xdp_object = $T/root|" "$etc/rcptgate/rcptgate.conf.example" > "$T/example.conf"
"$R/sbin/rcptgate" -t -f "$T/example.conf" ||
	{ echo "FAIL: installed rcptgate refuses the installed example configuration"; fail=1; }
"$R/sbin/rcptgatectl" help >/dev/null || { echo "FAIL: installed rcptgatectl does not run"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: install layout under $prefix"
exit $fail
