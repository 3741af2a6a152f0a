#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# manpages.sh - the man pages match the programs.
#
# rcptgatectl(8) has one "rcptgatectl NAME SYNOPSIS" heading per command,
# with the synopsis exactly as "rcptgatectl NAME --help" prints it, and no
# heading for a command that does not exist. rcptgate(8) names every
# option "rcptgate -h" shows. Both programs take --help (and rcptgate
# --version) as their short options.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
CTL=$BUILD/ctrl/rcptgatectl
command -v man >/dev/null || { echo "SKIP: man (man-db) not installed"; exit 77; }
render() { MANWIDTH=2000 man -E ascii -l "$1" 2>/dev/null | col -b; }
fail=0

page=$(render "$SRC/docs/rcptgatectl.8")
cmds=$("$CTL" help | awk '/^Commands:/ { on=1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$cmds" ] || { echo "FAIL: no commands from rcptgatectl help"; exit 1; }
for c in $cmds; do
	usage=$("$CTL" "$c" --help | head -n 1 | sed 's/^usage: //; s/ *$//')
	if ! grep -qxF "   $usage" <<< "$page"; then
		echo "FAIL: rcptgatectl(8) has no heading '$usage'"
		fail=1
	fi
done
while read -r heading; do
	name=$(awk '{ print $2 }' <<< "$heading")
	grep -qxF "$name" <<< "$cmds" || { echo "FAIL: rcptgatectl(8) documents unknown command '$name'"; fail=1; }
done < <(grep -E '^   rcptgatectl [a-z]+' <<< "$page")

page=$(render "$SRC/docs/rcptgate.8")
for opt in $("$BUILD/dataplane/rcptgate" -h | grep -oE '^  -[a-zA-Z]'); do
	grep -qE "^ +$opt( |,|$)" <<< "$page" || { echo "FAIL: rcptgate(8) does not describe $opt"; fail=1; }
done
# --help is -h, and --version -V, as the pages say.
for p in "$BUILD/dataplane/rcptgate -h --help" "$BUILD/dataplane/rcptgate -V --version" "$CTL -h --help"; do
	read -r prog short long <<< "$p"
	if ! a=$("$prog" "$short" 2>&1) || ! b=$("$prog" "$long" 2>&1) || [ "$a" != "$b" ]; then
		echo "FAIL: ${prog##*/} $long is not ${prog##*/} $short"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "PASS: man pages match the programs"
exit $fail
