# SPDX-License-Identifier: BSD-3-Clause
#
# xdp_lib.sh - helpers of the XDP/blocklist integration tests (sourced
# after lib.sh).
#
#   xdp_init            the blocklist tool ($XDP_TOOL), $PY, and $PIN (the
#                       bpf_pin_dir it_conf writes, removed at exit)
#   xdp_ctl ARGS...     rcptgatectl on the test daemon's control socket
#   xdp_talk SRC PORT   connect from SRC (client netns) to $IT_ADDR:PORT;
#                       print the server's first line, "timeout", "refused"
#                       or "error-ERRNO"

xdp_init() {
	XDP_TOOL="$BUILD/tests/integration/rg-xdp-block"
	PY=/usr/bin/python3
	[ -x "$XDP_TOOL" ] || it_fail "no $XDP_TOOL"
	[ -x "$BUILD/ctrl/rcptgatectl" ] || it_fail "no rcptgatectl in $BUILD"
	it_need_python
	PIN=$IT_PIN
}

xdp_ctl() { "$BUILD/ctrl/rcptgatectl" -s "$IT_TMP/control.sock" "$@"; }

xdp_talk() {
	in_ns $PY -c '
import socket, sys
s = socket.socket(); s.settimeout(2); s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    print(s.recv(200).decode(errors="replace").split("\r\n")[0] or "no-data")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("refused" if e.errno == 111 else "error-%d" % e.errno)
' "$1" "$IT_ADDR" "$2"
}
