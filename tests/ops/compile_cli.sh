#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# compile_cli.sh - "rcptgatectl compile" and "rcptgatectl check --table"
# as an operator uses them.
#
# compile: bad lines reported as "rcptgatectl: FILE:LINE: reason" and the command fails
# with OUT left as it was; --skip-invalid builds the rest; duplicates are
# counted; "-" reads stdin; the summary names addresses, duplicates, time
# and bytes; no temporary file is left; --progress reports on large inputs.
# check --table: the reply the wire would give, exit 0 only when every
# address is accepted; -c CONFIG brings soft_bounce and the reply codes.
# Every error line of rcptgatectl starts with "rcptgatectl: ".
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
CTL=$BUILD/ctrl/rcptgatectl
. "$SRC/tests/integration/lib.sh"
it_tmp cli
T=$IT_TMP

cat > "$T/good.txt" <<'EOF2'
# users
alice@example.com
Bob@Example.COM
bob@example.com
carol@example.com OK
@catchall.example.net
EOF2
"$CTL" compile "$T/good.txt" "$T/t.tbl" > "$T/out" 2>&1 || { cat "$T/out"; it_fail "good source refused"; }
grep -q '3 addresses' "$T/out" || { cat "$T/out"; it_fail "summary does not count 3 addresses"; }
grep -q '1 duplicate' "$T/out" || { cat "$T/out"; it_fail "summary does not count the duplicate"; }
cp "$T/t.tbl" "$T/t.before"

printf 'dave@example.com\nnot an address\nerin@example.com\nfrank@@example.com\n' > "$T/bad.txt"
if "$CTL" compile "$T/bad.txt" "$T/t.tbl" > "$T/out" 2>&1; then it_fail "source with bad lines accepted"; fi
grep -q "^rcptgatectl: $T/bad.txt:2: " "$T/out" || { cat "$T/out"; it_fail "line 2 not reported as FILE:LINE"; }
grep -q "^rcptgatectl: $T/bad.txt:4: " "$T/out" || { cat "$T/out"; it_fail "line 4 not reported as FILE:LINE"; }
cmp -s "$T/t.tbl" "$T/t.before" || it_fail "a failed compile changed OUT"

"$CTL" compile --skip-invalid "$T/bad.txt" "$T/skip.tbl" > "$T/out" 2>&1 || { cat "$T/out"; it_fail "--skip-invalid failed"; }
grep -q "^rcptgatectl: $T/bad.txt:2: " "$T/out" || it_fail "--skip-invalid hides the bad lines"
"$CTL" check --table "$T/skip.tbl" erin@example.com > /dev/null || it_fail "--skip-invalid lost a good line"

grep -Eq ' [0-9]+\.[0-9]+ s, [0-9]+ bytes$' "$T/out" || { cat "$T/out"; it_fail "summary lacks time and bytes"; }
# OUT is written through a temporary file: none is left beside it, after success or failure
ls "$T" | grep -q 'tmp' && { ls "$T"; it_fail "a temporary file was left beside OUT"; }

# progress on large inputs (--progress; by default only on a terminal)
awk 'BEGIN { for (i = 0; i < 1000001; i++) printf "u%d@big.example\n", i }' > "$T/big.txt"
"$CTL" compile --progress "$T/big.txt" "$T/big.tbl" > "$T/out" 2> "$T/err" || { cat "$T/err"; it_fail "large compile"; }
grep -q '1000000 lines read' "$T/err" || { cat "$T/err"; it_fail "no progress on a large input"; }
grep -q 'building' "$T/err" || { cat "$T/err"; it_fail "no progress line before building"; }
grep -q '1000001 addresses' "$T/out" || { cat "$T/out"; it_fail "large summary: $(cat "$T/out")"; }
"$CTL" compile "$T/big.txt" "$T/big.tbl" > /dev/null 2> "$T/err" || it_fail "large compile without --progress"
[ -s "$T/err" ] && { cat "$T/err"; it_fail "progress written when stderr is not a terminal"; }
rm -f "$T/big.txt" "$T/big.tbl"

printf 'zoe@example.org\n' | "$CTL" compile - "$T/stdin.tbl" > "$T/out" 2>&1 || { cat "$T/out"; it_fail "compile from stdin"; }
"$CTL" check --table "$T/stdin.tbl" zoe@example.org > /dev/null || it_fail "address from stdin not found"

out=$("$CTL" check --table "$T/t.tbl" bob@example.com) || it_fail "listed address not accepted"
[ "$out" = "250 2.1.5 Ok" ] || it_fail "listed address: '$out'"
out=$("$CTL" check --table "$T/t.tbl" nobody@example.com) && it_fail "unknown address gave exit 0"
[ "$out" = "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown" ] || it_fail "unknown: '$out'"
out=$("$CTL" check --table "$T/t.tbl" x@elsewhere.example) && it_fail "unserved domain gave exit 0"
[ "$out" = "554 5.7.1 <x@elsewhere.example>: Relay access denied" ] || it_fail "unserved: '$out'"
out=$("$CTL" check --table "$T/t.tbl" any@catchall.example.net) || it_fail "catch-all refused: '$out'"

printf 'port_mode = af_packet\ninterface = x\nlisten = 192.0.2.1\nsoft_bounce = yes\n' > "$T/c.conf"
out=$("$CTL" -c "$T/c.conf" check --table "$T/t.tbl" nobody@example.com)
[ "$out" = "450 4.1.1 <nobody@example.com>: Recipient address rejected: User unknown" ] || it_fail "soft_bounce via -c: '$out'"

printf 'RG\x00garbage' > "$T/corrupt.tbl"
if "$CTL" check --table "$T/corrupt.tbl" bob@example.com > "$T/out" 2>&1; then it_fail "corrupt table accepted"; fi
grep -qi "corrupt.tbl" "$T/out" || { cat "$T/out"; it_fail "corrupt table: no clear error naming the file"; }
# Every error rcptgatectl prints carries its "rcptgatectl: " prefix.
printf 'x@example.com\nnot an address\n' > "$T/one-bad.txt"
while IFS= read -r args; do
	# shellcheck disable=SC2086 # ARGS are words
	"$CTL" $args > /dev/null 2> "$T/err" && it_fail "'rcptgatectl $args' did not fail"
	[ -s "$T/err" ] || it_fail "'rcptgatectl $args' failed without a message"
	if grep -v '^rcptgatectl: ' "$T/err"; then it_fail "'rcptgatectl $args': a line without the prefix"; fi
done <<EOF2
reload $T/missing.tbl
compile $T/one-bad.txt $T/o.tbl
compile $T/missing.txt $T/o.tbl
check --table $T/missing.tbl a@example.com
check --table $T/corrupt.tbl a@example.com
-s $T/no.sock status
-s $T/no.sock reload
-s $T/no.sock stats
-c $T/missing.conf check --table $T/skip.tbl a@example.com
bogus
EOF2
echo "PASS: rcptgatectl compile and check"
