#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	relay_backend.sh - run relay_backend.py with Debian's python
# DESCRIPTION
#	The relay engine against aiosmtpd and Postfix's smtp-sink on
#	127.0.0.1 (no root, no namespace needed). BUILD is the build
#	directory (set by meson). Exit 77 (SKIP) when a peer is missing.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
drive="${BUILD:?BUILD not set}/tests/integration/relay_drive"
it_need_python
exec /usr/bin/python3 "$here/relay_backend.py" "$drive"
