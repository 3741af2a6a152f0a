# SPDX-License-Identifier: BSD-3-Clause
"""ctl_check.py - checks of rcptgatectl's output and of the control
socket itself, for ctl_basic.sh.

usage:
  ctl_check.py json FILE KEY=VALUE...    FILE is one JSON object of integers
                                         holding every KEY with VALUE
  ctl_check.py prom FILE JSONFILE        FILE is valid Prometheus text
                                         exposition and agrees with JSONFILE
  ctl_check.py perworker FILE SUMFILE N  FILE (stats --per-worker --json)
                                         has N workers, none above SUMFILE
  ctl_check.py raw SOCKET                malformed, oversized and unknown
                                         requests get ERR; pipelining works
  ctl_check.py top FILE COUNT            COUNT samples of "top" output
Exit status 0 when every check holds; failures are printed.
"""
import json
import re
import socket
import sys
import time

failures = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}")
    if not ok:
        failures.append(what)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def cmd_json(path, pairs):
    obj = load_json(path)
    check("stats --json is an object of non-negative integers",
          isinstance(obj, dict) and obj and
          all(isinstance(v, int) and v >= 0 for v in obj.values()))
    for kv in pairs:
        k, v = kv.split("=", 1)
        check(f"stats --json {k} = {v}", str(obj.get(k)) == v, f"got {obj.get(k)}")


def cmd_perworker(path, sum_path, workers):
    """stats --per-worker --json taken before stats --json: one object per
    worker with the same counters; no worker has more than the sum; the
    control thread's table counters are in the sum only."""
    obj, total = load_json(path), load_json(sum_path)
    ws = obj.get("workers") if isinstance(obj, dict) else None
    check(f"stats --per-worker --json has {workers} worker(s)",
          isinstance(ws, list) and len(ws) == int(workers), f"got {ws!r:.80}")
    for i, w in enumerate(ws or []):
        check(f"worker {i}: the counters of the sum", set(w) == set(total))
        over = [k for k in w if k in total and w[k] > total[k]]
        check(f"worker {i}: no counter above the sum", not over, ", ".join(over))
        check(f"worker {i}: table_reloads is the control thread's", w.get("table_reloads") == 0)
    served = [w.get("smtp_sessions", 0) + w.get("rx_packets", 0) for w in ws or []]
    check("the worker has served", all(n > 0 for n in served), f"{served}")


METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*) ([0-9]+(?:\.[0-9]{9})?)$")


def cmd_prom(path, json_path):
    """Text exposition format 0.0.4: HELP and TYPE before each sample,
    once per metric; counters end in _total; no labels (so no unbounded
    label sets); every value equals the JSON one."""
    values = load_json(json_path)
    helps, types, samples = {}, {}, {}
    ok = True
    with open(path) as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if name in helps or not METRIC.match(name) or len(line.split(" ", 3)) < 4:
                ok = False
                print(f"  line {n}: bad or repeated HELP: {line}")
            helps[name] = n
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge") or parts[2] in types:
                ok = False
                print(f"  line {n}: bad TYPE: {line}")
            else:
                types[parts[2]] = parts[3]
        else:
            m = SAMPLE.match(line)
            if not m or m.group(1) not in types or m.group(1) not in helps or m.group(1) in samples:
                ok = False
                print(f"  line {n}: sample without HELP/TYPE, repeated, labelled or malformed: {line}")
                continue
            # NAME_ns counters are exported in seconds: back to ns, exactly
            samples[m.group(1)] = int(m.group(2).replace(".", ""))
    check("prometheus: every line well-formed, HELP and TYPE before each sample", ok)
    bad = [n for n, t in types.items() if (t == "counter") != n.endswith("_total")]
    check("prometheus: counters and only counters end in _total", not bad, str(bad[:5]))
    check("prometheus: one sample per counter of stats --json", len(samples) == len(values),
          f"{len(samples)} samples, {len(values)} counters")
    diff = []
    for name, v in values.items():
        p = samples.get(f"rcptgate_{name}_total", samples.get(f"rcptgate_{name}"))
        if name.endswith("_ns"):
            p = samples.get(f"rcptgate_{name[:-3]}_seconds_total")
        # live counters may move between the two requests: the requests
        # themselves, the loop, and frames the client's kernel sends on its
        # own (IPv6 router solicitations and MLD reports: drop_ethertype)
        if p is None or (p != v and not name.startswith(("ctl_", "worker_", "rx_", "tx_", "xdp_", "drop_"))):
            diff.append((name, v, p))
    check("prometheus: same counters and values as stats --json", not diff, str(diff[:5]))


def request(sock, data):
    sock.sendall(data)


def read_response(f):
    """One response from the file object F: ('OK', {k: v}) or ('ERR', name, text)."""
    head = f.readline().decode()
    if head.startswith("OK "):
        body = {}
        for _ in range(int(head[3:])):
            k, _, v = f.readline().decode().rstrip("\n").partition(" ")
            body[k] = v
        return ("OK", body)
    if head.startswith("ERR "):
        parts = head.rstrip("\n").split(" ", 2)
        return ("ERR", parts[1], parts[2] if len(parts) > 2 else "")
    return ("?", head)


BAD = [
    (b"\n", "EINVAL"),
    (b"RELOAD\n", "EINVAL"),
    (b"shutdown now\n", "ENOSYS"),
    (b"reload path=relative.tbl\n", "EINVAL"),
    (b"reload path=/etc/passwd path=/tmp/x\n", "EINVAL"),
    (b"reload force=yes\n", "EINVAL"),
    (b"reload path=/a%zz\n", "EINVAL"),
    (b"stats extra=1\n", "EINVAL"),
    (b"check\n", "EINVAL"),
    (b"check rcpt=a%0D%0ADATA@example.com\n", "EINVAL"),
    (b"check rcpt=a@b client=not-an-ip\n", "EINVAL"),
    (b"ping \x00\xff\n", "EINVAL"),
]


def cmd_raw(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rb")
    for req, want in BAD:
        request(s, req)
        got = read_response(f)
        check(f"{req!r} -> ERR {want}", got[0] == "ERR" and got[1] == want, str(got))
    # pipelining: three requests in one write, answers in order
    request(s, b"ping\nstatus\r\nnope\n")
    a, b, c = read_response(f), read_response(f), read_response(f)
    check("pipelined ping", a[0] == "OK" and "version" in a[1], str(a))
    check("pipelined status (CRLF)", b[0] == "OK" and "table_generation" in b[1], str(b)[:80])
    check("pipelined unknown verb", c[0] == "ERR" and c[1] == "ENOSYS", str(c))
    s.close()

    # a request longer than the limit: ERR E2BIG, then the connection closes
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rb")
    try:
        request(s, b"check rcpt=" + b"a" * 5000 + b"\n")
    except OSError:
        pass
    got = read_response(f)
    check("oversized request -> ERR E2BIG", got[0] == "ERR" and got[1] == "E2BIG", str(got))
    try:
        rest = f.read()
    except ConnectionResetError:	# closed with our surplus unread
        rest = b""
    check("oversized request closes the connection", rest == b"", repr(rest[:80]))
    s.close()

    # a request cut short by the client's end of input
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    request(s, b"status")
    s.shutdown(socket.SHUT_WR)
    got = read_response(s.makefile("rb"))
    check("request without LF at end of input -> ERR EINVAL", got[0] == "ERR" and got[1] == "EINVAL",
          str(got))
    s.close()
    print(f"raw: {len(BAD) + 3} malformed requests")

    # a request left unfinished: ERR ETIMEDOUT after 10 s, then closed
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    request(s, b"sta")
    t0 = time.monotonic()
    f = s.makefile("rb")
    got = read_response(f)
    waited = time.monotonic() - t0
    check("stalled request -> ERR ETIMEDOUT after about 10 s",
          got[0] == "ERR" and got[1] == "ETIMEDOUT" and waited > 9, f"{got} after {waited:.1f} s")
    check("stalled request closes the connection", f.read() == b"")
    s.close()


def cmd_top(path, count):
    with open(path) as f:
        text = f.read()
    heads = [l for l in text.splitlines() if l.startswith("# ")]
    check(f"top printed {count} samples", len(heads) == int(count), f"{len(heads)}: {text[:300]!r}")
    rows = [l for l in text.splitlines() if l and not l.startswith("#")]
    bad = [r for r in rows if not re.match(r"^[a-z0-9_.]+ (-|[0-9]+\.[0-9]) [0-9]+$", r)]
    check("top rows are 'name rate total'", not bad, str(bad[:3]))


def main():
    what = sys.argv[1]
    if what == "json":
        cmd_json(sys.argv[2], sys.argv[3:])
    elif what == "prom":
        cmd_prom(sys.argv[2], sys.argv[3])
    elif what == "perworker":
        cmd_perworker(sys.argv[2], sys.argv[3], sys.argv[4])
    elif what == "raw":
        cmd_raw(sys.argv[2])
    elif what == "top":
        cmd_top(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
    sys.exit(1 if failures else 0)


main()
