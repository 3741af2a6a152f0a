#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pgo_build.sh - scripts/pgo-profile and -Dpgo_profile, end to end
#
# The profile is taken (one second a scenario) and holds counts of the
# worker's receive path; a build with it succeeds with warnings as errors,
# is not instrumented, has the counts in its code, says it is
# profile-guided, and serves: 2,000
# rejected sessions over memif with every reply right. Not a timed test:
# what the profile saves is measured in docs/benchmarks.md
# ("Profile-guided optimisation").
set -u
. "$(dirname "$0")/../integration/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || it_skip "pgo_build needs root (memif-run: hugepages)"
[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] || it_skip "no hugepages (run scripts/setup-deps)"
for t in clang llvm-profdata llvm-dis; do
	command -v $t >/dev/null || it_skip "$t not installed (scripts/setup-deps: clang, llvm)"
done
it_tmp pgo
PROF=$IT_TMP/rcptgate.profdata

rc=0
"$SRC/scripts/pgo-profile" -b "$IT_TMP/gen" -d 1 "$PROF" > "$IT_TMP/profile.log" 2>&1 || rc=$?
if [ $rc -eq 77 ]; then
	it_skip "scripts/pgo-profile: $(tail -n 1 "$IT_TMP/profile.log")"
elif [ $rc -ne 0 ]; then
	cat "$IT_TMP/profile.log"
	it_fail "scripts/pgo-profile exited with $rc"
fi
# every received frame enters net_frame(): some of its blocks were counted
llvm-profdata show --counts --function=net_frame "$PROF" | grep -Eq 'Block counts: \[.*[1-9]' ||
	it_fail "the profile has no counts for net_frame()"

CC=clang meson setup "$IT_TMP/use" "$SRC" -Dtests=disabled -Dfuzz=disabled -Dwerror=true \
	-Dpgo_profile="$PROF" > "$IT_TMP/setup.log" 2>&1 || { cat "$IT_TMP/setup.log"; it_fail "meson setup with -Dpgo_profile"; }
ninja -C "$IT_TMP/use" > "$IT_TMP/build.log" 2>&1 || { tail -n 30 "$IT_TMP/build.log"; it_fail "the build with the profile"; }
if nm "$IT_TMP/use/dataplane/rcptgate" | grep -q __llvm_profile; then
	it_fail "the daemon built with the profile is instrumented"
fi
# The profile reached the code: with link-time optimisation (the
# default) the objects are LLVM bitcode, and net_frame() carries the
# counts as its !prof entry count (without a profile, or with one that
# matches nothing of it, it has none).
obj=$(find "$IT_TMP/use/dataplane" -name net.c.o | head -n 1)
[ -n "$obj" ] || it_fail "no object of dataplane/dpdk/net.c in the build"
llvm-dis "$obj" -o - | grep -Eq '^define .*@net_frame\(.*!prof ' ||
	it_fail "net_frame() was compiled without the profile's counts"

out=$("$SRC/tests/bench/rcptgate-bench/memif-run" -b "$IT_TMP/use" -u 1000 -- --sessions 2000 \
	--scenario reject --progress 0 2>&1) || { echo "$out"; it_fail "memif-run on the build with the profile"; }
echo "$out" | grep -E '^  (sessions|wrong replies|errors) |built with'
echo "$out" | grep -Eq '^  sessions +2000 ' || it_fail "not 2000 sessions"
echo "$out" | grep -Eq '^  wrong replies +0$' || it_fail "wrong replies"
echo "$out" | grep -Eq '^  errors +0 ' || it_fail "session errors"
echo "$out" | grep -q 'built with clang [^,]*, profile-guided,' || it_fail "memif-run does not see the profile"
echo "PASS: profile taken, build with it serves"
