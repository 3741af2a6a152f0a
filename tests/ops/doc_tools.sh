#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# doc_tools.sh - scripts/setup-deps installs what the docs' examples run.
#
# Every command a docs/*.md example runs (lines of ```sh blocks, and
# "$ " lines of any block; each part of a pipeline or && list) must be a
# base system tool, one of rcptgate's own, or a tool of a package that
# scripts/setup-deps installs. A command the docs start to use that is in
# none of these lists fails the test until it is placed in one.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# Tools of Debian 12's base system (priority required or important).
base=" bash sh echo printf cat cp mv rm mkdir ls grep sed awk sort head tail tr "
base+="mount umount modprobe sysctl systemctl ip chmod chown id test true false "
# Tools the docs run, and the package that brings each one.
declare -A pkg=(
	[socat]=socat [ldapsearch]=ldap-utils [swaks]=swaks
	[dpdk-devbind.py]=dpdk [dpdk-dumpcap]=dpdk [dpdk-telemetry.py]=dpdk
	[meson]=meson [ninja]=ninja-build [clang]=clang [ethtool]=ethtool
	[curl]=curl [python3]=python3 [smtp-source]=postfix [smtp-sink]=postfix
	[bpftool]=bpftool [xdp-loader]=xdp-tools [perf]=linux-perf
	[fail2ban-regex]=fail2ban [pflogsumm]=pflogsumm [testssl]=testssl.sh
	[promtool]=prometheus [prometheus]=prometheus
)
# Packages setup-deps installs (words of its PKGS list).
pkgs=" $(sed -n '/^PKGS=(/,/^)/p' "$SRC/scripts/setup-deps" | sed 's/#.*//' | tr -s ' \t\n' ' ') "

fail=0
cmds=$(/usr/bin/python3 - "$SRC"/docs/*.md <<'PY'
import re, sys
for path in sys.argv[1:]:
    block = None
    for line in open(path):
        s = line.strip()
        if s.startswith("```"):
            block = None if block is not None else s[3:]
            continue
        if block is None:
            continue
        if s.startswith("$ "):
            s = s[2:]
        elif block not in ("sh", "bash", "shell"):
            continue
        if not s or s.startswith("#"):
            continue
        for part in re.split(r"\|\||&&|\||;", s):
            words = [w for w in part.split() if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)]
            if words:
                print(path.rsplit("/", 1)[-1], words[0])
PY
)
while read -r page cmd; do
	case $cmd in
	rcptgate*|./*|build/*|tests/*|*/*) continue ;;	# ours, or a path in the tree
	esac
	[[ $base == *" $cmd "* ]] && continue
	if [ -z "${pkg[$cmd]:-}" ]; then
		echo "FAIL: docs/$page runs '$cmd': add it to doc_tools.sh (base, or its package)"; fail=1
	elif [[ $pkgs != *" ${pkg[$cmd]} "* ]]; then
		echo "FAIL: docs/$page runs '$cmd'; scripts/setup-deps does not install ${pkg[$cmd]}"; fail=1
	fi
done <<< "$cmds"
[ -n "$cmds" ] || { echo "FAIL: no commands found in the docs' examples"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: setup-deps installs what the docs' examples run"
exit $fail
