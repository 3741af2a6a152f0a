#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tcp_load.py - many short SMTP sessions from the Linux kernel's TCP.

usage: tcp_load.py ADDR SESSIONS CONCURRENCY [TIMEOUT [KNOWN]]

Each session: read the banner (220), EHLO (250), MAIL FROM (250), RCPT TO a
known address (250; KNOWN, default alice@test.example) and an unknown one
(550), QUIT (221), then close our side
and wait for the server's FIN (EOF). Every reply is checked. A session that does not
finish within TIMEOUT seconds (default 60) counts as hung. Prints a summary
and exits 0 only when every session completed with the right replies.
"""
import asyncio
import sys
import time

import smtp_aio

KNOWN = 'alice@test.example'
UNKNOWN = 'nobody@test.example'


async def expect(reader, code, what):
    lines = await smtp_aio.reply(reader)
    if int(lines[-1][:3]) != code:
        text = b'\n'.join(lines).decode('ascii', 'replace')
        raise ValueError('%s: expected %d, got %r' % (what, code, text))


async def session(addr, n, known):
    reader, writer = await asyncio.open_connection(addr, 25)
    try:
        await expect(reader, 220, 'banner')
        for cmd, code in ((b'EHLO client%d.test.example' % n, 250),
                          (b'MAIL FROM:<sender@elsewhere.example>', 250),
                          (b'RCPT TO:<%s>' % known.encode(), 250),
                          (b'RCPT TO:<%s>' % UNKNOWN.encode(), 550),
                          (b'QUIT', 221)):
            writer.write(cmd + b'\r\n')
            await expect(reader, code, cmd.split(b' ')[0].decode())
        # close our side as clients do on 221; the server answers with its FIN
        writer.write_eof()
        rest = await reader.read()
        if rest:
            raise ValueError('bytes after 221: %r' % rest[:80])
    finally:
        await smtp_aio.close(writer)


async def main():
    addr = sys.argv[1]
    total = int(sys.argv[2])
    conc = int(sys.argv[3])
    tmo = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    known = sys.argv[5] if len(sys.argv) > 5 else KNOWN
    sem = asyncio.Semaphore(conc)
    results = {'ok': 0, 'hung': 0, 'failed': 0}
    errors = {}

    async def one(n):
        async with sem:
            try:
                await asyncio.wait_for(session(addr, n, known), tmo)
                results['ok'] += 1
            except asyncio.TimeoutError:
                results['hung'] += 1
            except Exception as e:  # every failure is reported, none hidden
                results['failed'] += 1
                key = type(e).__name__ + ': ' + str(e)[:100]
                errors[key] = errors.get(key, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(n) for n in range(total)))
    dt = time.monotonic() - t0
    print('sessions=%d ok=%d failed=%d hung=%d seconds=%.1f rate=%.0f/s'
          % (total, results['ok'], results['failed'], results['hung'], dt, total / dt))
    for k, v in sorted(errors.items(), key=lambda kv: -kv[1])[:10]:
        print('  %6d x %s' % (v, k))
    return 0 if results['ok'] == total else 1


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
