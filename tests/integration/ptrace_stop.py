#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# ptrace_stop.py TID RELEASE - stop one thread of another process (a
# worker lcore) while its other threads run on, as a worker stuck in one
# loop iteration would be: PTRACE_SEIZE, PTRACE_INTERRUPT, then print
# "stopped". Let it go (PTRACE_DETACH) once the file RELEASE exists, or
# after 60 s, and print "released". Prints "ptrace: ERROR" and exits 2
# where ptrace is refused.
import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
tid, release = int(sys.argv[1]), sys.argv[2]
for req in (PTRACE_SEIZE, PTRACE_INTERRUPT):
    if libc.ptrace(req, tid, None, None) != 0:
        print("ptrace:", os.strerror(ctypes.get_errno()), flush=True)
        sys.exit(2)
os.waitpid(tid, WALL)
print("stopped", flush=True)
end = time.monotonic() + 60
while not os.path.exists(release) and time.monotonic() < end:
    time.sleep(0.05)
libc.ptrace(PTRACE_DETACH, tid, None, None)
print("released", flush=True)
