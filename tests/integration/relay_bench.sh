#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_bench.sh - throughput of the relay engine against smtp-sink
# SYNOPSIS
#	tests/integration/relay_bench.sh [BUILD_DIR]
# DESCRIPTION
#	A benchmark, not a test (not registered with meson): relay_drive
#	sends 2,000 one-recipient messages over 8 sessions (a session ends
#	every 10 messages, its connection goes back to the pool) and one
#	20 MB message to Postfix's smtp-sink on 127.0.0.1:25251, and
#	prints elapsed and CPU time. Results go in docs/benchmarks.md.
set -e
. "$(dirname "$0")/lib.sh"
B=${1:-build-relay}
it_tmp relay-bench
T=$IT_TMP
printf 'Subject: x\r\n\r\nhello world\r\n' > $T/small
head -c 20000000 /dev/zero | tr '\0' 'a' | fold -w 76 | sed 's/$/\r/' > $T/big; printf '\n' >> $T/big
it_bg smtp-sink /usr/sbin/smtp-sink -u nobody -C 127.0.0.1:25251 64
it_wait 5 it_port_open 127.0.0.1 25251 || it_fail "smtp-sink does not listen on 127.0.0.1:25251"
for i in $(seq 0 1999); do s=$((i%8)); echo "R $s s@r.example u$i@example.com"; echo "D $s $T/small"; [ $((i%10)) = 9 ] && echo "C $s"; done > $T/script
/usr/bin/time -f "2000 msgs: %e s elapsed, %U user %S sys (driver)" $B/tests/integration/relay_drive smtp 127.0.0.1 25251 < $T/script > $T/out 2>$T/err; grep -c "END 250" $T/out; tail -1 $T/err
printf 'R 1 s@r.example big@example.com\nD 1 %s\nC 1\n' $T/big > $T/s2
/usr/bin/time -f "20 MB msg: %e s elapsed, %U user %S sys (driver)" $B/tests/integration/relay_drive smtp 127.0.0.1 25251 < $T/s2 > $T/out2 2>$T/err2; cat $T/out2; tail -1 $T/err2
