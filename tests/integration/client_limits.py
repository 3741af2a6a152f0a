#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# NAME
#	client_limits.py - SMTP clients against rcptgate's client limits
# SYNOPSIS
#	client_limits.py ADDR count N REFUSED   N sessions at once: REFUSED get
#	                                        the 421, the others are served
#	client_limits.py ADDR seq N OK          N sessions one after another:
#	                                        the first OK greeted, the rest 421
#	client_limits.py ADDR rcpt N OK         one session, N RCPT: the first OK
#	                                        answered by the policy, the rest 450
# DESCRIPTION
#	Plain asyncio streams, so what the server says is checked line by
#	line. Exit 0 when everything was as expected, 1 otherwise (with the
#	reason on stdout).
import asyncio
import sys

HOST = "mx.test.example"


async def line(r, t=5):
    return (await asyncio.wait_for(r.readline(), t)).decode().rstrip("\r\n")


async def reply(r):
    """A whole (multi-line) reply; its last line."""
    while True:
        ln = await line(r)
        if len(ln) < 4 or ln[3] != "-":
            return ln


async def cmd(r, w, text):
    w.write(text.encode() + b"\r\n")
    await w.drain()
    return await reply(r)


def too_many(addr):
    return f"421 4.7.0 {HOST} Error: too many connections from {addr}"


async def serve_one(r, w):
    """EHLO, MAIL, a known RCPT, QUIT: the replies a served session gets."""
    got = [await cmd(r, w, "EHLO client.example"), await cmd(r, w, "MAIL FROM:<s@client.example>"),
           await cmd(r, w, "RCPT TO:<alice@test.example>"), await cmd(r, w, "QUIT")]
    want = ["250 ", "250 2.1.0", "250 2.1.5", "221 2.0.0"]
    return all(g.startswith(x) for g, x in zip(got, want)), got


async def count(addr, n, refused_want):
    loop = asyncio.get_running_loop()
    start = loop.time()
    conns = await asyncio.gather(*(asyncio.open_connection(addr, 25) for _ in range(n)))
    firsts = await asyncio.gather(*(line(r) for r, _ in conns))
    took = loop.time() - start
    refused = [i for i, f in enumerate(firsts) if f == too_many(conns[i][1].get_extra_info("sockname")[0])]
    greeted = [i for i, f in enumerate(firsts) if f.startswith("220 ")]
    print(f"{n} sessions at once: {len(greeted)} greeted, {len(refused)} refused, "
          f"all first replies within {took:.2f} s")
    ok = True
    if len(refused) != refused_want or len(greeted) != n - refused_want:
        print(f"want {refused_want} refused and the rest greeted; first lines: {sorted(set(firsts))}")
        ok = False
    for i in refused:  # the server closes a refused session
        r, w = conns[i]
        if await asyncio.wait_for(r.read(), 5) != b"":
            print("a refused session was not closed")
            ok = False
        w.close()
    results = await asyncio.gather(*(serve_one(*conns[i]) for i in greeted))
    for good, got in results:
        if not good:
            print(f"a greeted session was not served: {got}")
            ok = False
    for i in greeted:
        conns[i][1].close()
    return ok


async def seq(addr, n, ok_want):
    ok = True
    for i in range(n):
        r, w = await asyncio.open_connection(addr, 25)
        first = await line(r)
        want = "220 " if i < ok_want else too_many(w.get_extra_info("sockname")[0])
        if not first.startswith(want):
            print(f"session {i + 1}: '{first}', want '{want}'")
            ok = False
        if first.startswith("220 "):
            await cmd(r, w, "QUIT")
        w.close()
    print(f"{n} sessions in a row: the first {ok_want} greeted, the rest refused" if ok else "")
    return ok


async def rcpt(addr, n, ok_want):
    r, w = await asyncio.open_connection(addr, 25)
    ip = w.get_extra_info("sockname")[0]
    await line(r)
    await cmd(r, w, "EHLO client.example")
    await cmd(r, w, "MAIL FROM:<s@client.example>")
    ok = True
    for i in range(n):
        to = "alice@test.example" if i % 2 == 0 else f"nobody{i}@test.example"
        got = await cmd(r, w, f"RCPT TO:<{to}>")
        if i < ok_want:
            want = "250 2.1.5" if i % 2 == 0 else "550 5.1.1"
        else:
            want = f"450 4.7.1 Error: too many recipients from {ip}"
        if not got.startswith(want):
            print(f"RCPT {i + 1}: '{got}', want '{want}'")
            ok = False
    await cmd(r, w, "QUIT")
    w.close()
    if ok:
        print(f"{n} RCPT: the first {ok_want} answered by the policy, the rest 450 4.7.1")
    return ok


def main():
    addr, mode = sys.argv[1], sys.argv[2]
    if mode == "count":
        ok = asyncio.run(count(addr, int(sys.argv[3]), int(sys.argv[4])))
    elif mode == "seq":
        ok = asyncio.run(seq(addr, int(sys.argv[3]), int(sys.argv[4])))
    elif mode == "rcpt":
        ok = asyncio.run(rcpt(addr, int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(f"unknown mode {mode}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
