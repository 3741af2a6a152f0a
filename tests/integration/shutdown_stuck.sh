#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	shutdown_stuck.sh - SIGTERM with a worker that does not return:
#	the daemon names it, waits, and stops once it returns
# SYNOPSIS
#	shutdown_stuck.sh [WORKERS]
# DESCRIPTION
#	rcptgate as memif server with no client, WORKERS workers (default
#	1). Its last worker's thread alone is stopped with ptrace (PTRACE_SEIZE, PTRACE_INTERRUPT: the other
#	threads run on), as a worker stuck in one loop iteration would be.
#	Then SIGTERM. 5 to 9 s later the daemon must log "worker W not stopped
#	5 s after the signal (busy loops N)" (rcptgate(8), SIGNALS), the
#	same line for 10 s once more, and still be running: it must not free
#	what the worker may touch. With several workers the others stop, and
#	no line names them. Once
#	the worker is let go (PTRACE_DETACH) the daemon must exit 0 within
#	10 s with its final counters.
# DIAGNOSTICS
#	PASS, FAIL with the step, or SKIP (exit 77) without root,
#	hugepages, /usr/bin/python3 or ptrace.
set -u
. "$(dirname "$0")/lib.sh"
it_init shutdown_stuck
it_need_python
IT_WORKERS=${1:-1}
STUCK=$((IT_WORKERS - 1)) # the last worker, on lcore STUCK + 1
LCORE=$((STUCK + 1))
IT_MODE=memif
IT_ADDR=10.77.32.1
T=$IT_TMP
it_conf "$T/rg.conf"

it_start "$T/rg.conf"
it_worker_stop "$LCORE"
echo "ok   worker thread $IT_WORKER_TID stopped (the others run)"

t0=$(date +%s%N)
kill -TERM "$IT_PID"
warned() { grep -q "worker $STUCK not stopped 5 s after the signal (busy loops [0-9]*)" "$IT_LOG"; }
it_wait 9 warned || { tail -n 20 "$IT_LOG"; it_fail "no warning naming worker $STUCK within 9 s of SIGTERM"; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -ge 5000 ] || it_fail "the 5 s warning came $ms ms after SIGTERM"
kill -0 "$IT_PID" 2>/dev/null || it_fail "rcptgate exited with its worker still stuck"
grep -q "final counters" "$IT_LOG" && it_fail "final counters printed with the worker still stuck"
echo "ok   $(grep -o "worker $STUCK not stopped.*" "$IT_LOG" | head -n 1), seen $ms ms after SIGTERM"
warned10() { grep -q "worker $STUCK not stopped 10 s after the signal" "$IT_LOG"; }
it_wait 8 warned10 || { tail -n 20 "$IT_LOG"; it_fail "no second warning 10 s after SIGTERM"; }
[ "$(grep -c "worker $STUCK not stopped" "$IT_LOG")" -eq 2 ] || it_fail "not one warning each 5 s"
[ "$(grep -c 'worker [0-9]* not stopped' "$IT_LOG")" -eq 2 ] || it_fail "a worker that stopped was named as stuck"
kill -0 "$IT_PID" 2>/dev/null || it_fail "rcptgate exited with its worker still stuck"
echo "ok   and again 10 s after"

touch "$T/release-$LCORE"
gone() { ! kill -0 "$IT_PID" 2>/dev/null; }
it_wait 10 gone || it_fail "rcptgate did not exit within 10 s of its worker's release"
rc=0
wait "$IT_PID" || rc=$?
IT_PID=
[ "$rc" -eq 0 ] || it_fail "rcptgate exited with status $rc"
grep -q '^released' "$T/ptrace-$LCORE.out" || it_fail "the ptrace helper did not release the worker"
grep -q "final counters" "$IT_LOG" || it_fail "no final counters after the worker returned"
echo "PASS: a stuck worker is named every 5 s and waited for; exit 0 once it returns"
