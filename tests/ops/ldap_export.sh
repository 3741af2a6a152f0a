#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ldap_export.sh - tests of docs/examples/rcptgate-ldap-export.
#
# ldapsearch is replaced by a stand-in that prints a fixture LDIF (or
# fails), rcptgatectl by one that logs its calls and runs the real
# "compile". Checks: the addresses taken (mail, mail:: base64, smtp:
# proxyAddresses, not X500:), compile + reload on a good export, and
# refusal with nothing changed on an empty export, a shrunken export and
# a failed ldapsearch.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
SCRIPT=$SRC/docs/examples/rcptgate-ldap-export
. "$SRC/tests/integration/lib.sh"
it_tmp ldap
T=$IT_TMP

cat > "$T/ldapsearch" <<'SH'
#!/bin/sh
[ -n "${FIXTURE_FAIL:-}" ] && exit 49
cat "$FIXTURE"
SH
cat > "$T/rcptgatectl" <<SH
#!/bin/sh
echo "\$*" >> "$T/calls"
case "\$1" in
compile) exec "$BUILD/ctrl/rcptgatectl" "\$@" ;;
reload) exit 0 ;;
esac
exit 2
SH
chmod +x "$T/ldapsearch" "$T/rcptgatectl"

cat > "$T/good.ldif" <<'EOF2'
dn: CN=Alice,OU=Users,DC=example,DC=com
mail: alice@example.com
proxyAddresses: SMTP:alice@example.com
proxyAddresses: smtp:a.smith@example.com
proxyAddresses: X500:/o=Org/ou=Exchange/cn=Recipients/cn=alice
proxyAddresses: SIP:alice@example.com

dn: CN=Bob,OU=Users,DC=example,DC=com
mail:: Ym9iQGV4YW1wbGUuY29t

dn: CN=Carol,OU=Users,DC=example,DC=com
mail: carol@example.com
proxyAddresses: smtp:carol@example.net
EOF2
printf '' > "$T/empty.ldif"
printf 'dn: CN=Alice\nmail: alice@example.com\n' > "$T/small.ldif"

cat > "$T/conf" <<EOF2
LDAP_URI=ldap://directory.invalid
LDAP_BASE=dc=example,dc=com
SOURCE=$T/recipients.txt
TABLE=$T/recipients.tbl
MAX_SHRINK=10
LDAPSEARCH=$T/ldapsearch
RCPTGATECTL=$T/rcptgatectl
EOF2

# 1. A good export: five addresses, compiled and reloaded.
FIXTURE=$T/good.ldif "$SCRIPT" -c "$T/conf" > "$T/out" 2>&1 || { cat "$T/out"; it_fail "good export refused"; }
expected="a.smith@example.com
alice@example.com
bob@example.com
carol@example.com
carol@example.net"
[ "$(cat "$T/recipients.txt")" = "$expected" ] || { cat "$T/recipients.txt"; it_fail "wrong addresses exported"; }
grep -q '^compile ' "$T/calls" || it_fail "compile not called"
grep -q "^reload $T/recipients.tbl" "$T/calls" || it_fail "reload not called"
[ -s "$T/recipients.tbl" ] || it_fail "no table written"
"$BUILD/ctrl/rcptgatectl" check --table "$T/recipients.tbl" bob@example.com | grep -q '^250' ||
	it_fail "exported address not in the compiled table"

# 2. Refusals leave source, table and daemon untouched.
refused() {
	local what=$1; shift
	cp "$T/recipients.txt" "$T/before.txt"
	: > "$T/calls"
	if env "$@" "$SCRIPT" -c "$T/conf" > "$T/out" 2>&1; then
		cat "$T/out"; it_fail "$what: accepted"
	fi
	grep -q 'left as it was' "$T/out" || { cat "$T/out"; it_fail "$what: no clear reason"; }
	cmp -s "$T/before.txt" "$T/recipients.txt" || it_fail "$what: source file changed"
	[ ! -s "$T/calls" ] || it_fail "$what: rcptgatectl was called: $(cat "$T/calls")"
}
refused "empty export" FIXTURE="$T/empty.ldif"
refused "shrunken export" FIXTURE="$T/small.ldif"
refused "failed ldapsearch" FIXTURE="$T/good.ldif" FIXTURE_FAIL=1

# 3. Dry run: checks, changes nothing.
: > "$T/calls"
FIXTURE=$T/good.ldif "$SCRIPT" -n -c "$T/conf" > "$T/out" 2>&1 || it_fail "dry run failed"
[ ! -s "$T/calls" ] || it_fail "dry run called rcptgatectl"
echo "PASS: rcptgate-ldap-export"
