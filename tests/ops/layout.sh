#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# layout.sh - the tree shows the architecture, and docs/architecture.md
# says what the tree is.
#
# 1. Every folder that holds C sources (dataplane, ctrl, bpf, include,
#    tests) has a row in the table of docs/architecture.md (a folder of
#    tests/ through its tests/ row), and every folder the table names
#    exists.
# 2. The layers hold: nothing under dataplane/core includes a DPDK,
#    libbpf or libxdp header; nothing under dataplane/xdp a DPDK one.
# 3. No cycle through main.c: the daemon's main.c defines no global
#    symbol but main (checked on its object file when a build is given).
# 4. No meson.build names another folder's source file by path.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
cd "$SRC" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }

rows=$(grep -oE '^\| `[a-z/_.-]+/`' docs/architecture.md | sed 's/^| `//; s/`$//; s#/$##')
[ -n "$rows" ] || { echo "FAIL: no folder rows in docs/architecture.md"; exit 1; }
for d in $rows; do
	[ -d "$d" ] || bad "docs/architecture.md names $d/, which does not exist"
done
while read -r d; do
	case $d in tests/*) d=tests ;; esac
	grep -qxF "$d" <<< "$rows" || bad "$d/ holds sources but has no row in docs/architecture.md"
done < <(git ls-files 'dataplane/*.[ch]' 'ctrl/*.[ch]' 'bpf/*.[ch]' 'include/*.h' 'tests/*.[ch]' |
	xargs -n1 dirname | sort -u)

while read -r f; do
	bad "$f: the EAL-free core includes $(grep -hoE '#include <(rte_|bpf/|xdp/)[^>]*>' "$f" | head -1)"
done < <(git ls-files 'dataplane/core/*' | xargs grep -lE '#include <(rte_|bpf/|xdp/)')
while read -r f; do
	bad "$f: the libbpf side includes $(grep -hoE '#include <rte_[^>]*>' "$f" | head -1)"
done < <(git ls-files 'dataplane/xdp/*' | xargs grep -lE '#include <rte_')

while read -r f; do
	bad "$f names another folder's source: $(grep -oE "'\.\./[^']*\.c'" "$f" | head -1)"
done < <(git ls-files '*meson.build' | xargs grep -lE "'\.\./[^']*\.c'")

obj=$(find "$BUILD/dataplane" -path '*rcptgate.p/main.c.o' 2>/dev/null | head -1)
if [ -n "$obj" ]; then
	globals=$(nm --defined-only -g "$obj" | awk 'NF == 3 { print $3 }' | grep -vx main)
	[ -z "$globals" ] || bad "dataplane/main.c defines global symbols other code can call: $globals"
else
	echo "note: no build of dataplane/main.c under $BUILD; its symbols were not checked"
fi
[ $fail -eq 0 ] && echo "PASS: the tree and docs/architecture.md agree; the layers hold"
exit $fail
