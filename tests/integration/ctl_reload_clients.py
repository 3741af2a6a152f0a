#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_reload_clients.py - SMTP sessions without pause while tables change.

usage: ctl_reload_clients.py ADDR CONCURRENCY STOPFILE RESULT

CONCURRENCY loops each run sessions back to back until STOPFILE exists:
banner, EHLO, MAIL, then RCPT to the probe (valid in one table, unknown in
the other), to a user valid in both and to an address unknown in both,
QUIT, close. Every reply is checked against the one the old or the new
table gives: the probe gets exactly the 250 or exactly the 550 5.1.1
line, the others exactly theirs. Writes RESULT as JSON: sessions
completed, sessions failed (with reasons), RCPT 250s and 550s, probe
250s and 550s. Exit status 0 when no session failed.
"""
import asyncio
import json
import os
import sys

import smtp_aio

PROBE = b'probe@example.com'
KNOWN = b'user1@example.com'
UNKNOWN = b'stranger@example.com'
OK = b'250 2.1.5 Ok'


def unknown(addr):
    return b'550 5.1.1 <%s>: Recipient address rejected: User unknown' % addr


async def reply(reader):
    """One reply, possibly multi-line: its last line without CRLF."""
    return (await smtp_aio.reply(reader))[-1]


async def session(addr, tally):
    reader, writer = await asyncio.open_connection(addr, 25)
    try:
        async def step(cmd, want):
            writer.write(cmd + b'\r\n')
            got = await reply(reader)
            if got not in want:
                raise ValueError('%s: got %r' % (cmd.split(b' ')[0].decode(), got[:80]))
            return got

        got = await reply(reader)
        if not got.startswith(b'220 '):
            raise ValueError('banner: %r' % got[:80])
        writer.write(b'EHLO reload.test.example\r\n')
        if not (await reply(reader)).startswith(b'250 '):
            raise ValueError('EHLO refused')
        await step(b'MAIL FROM:<sender@elsewhere.example>', [b'250 2.1.0 Ok'])
        p = await step(b'RCPT TO:<%s>' % PROBE, [OK, unknown(PROBE)])
        await step(b'RCPT TO:<%s>' % KNOWN, [OK])
        await step(b'RCPT TO:<%s>' % UNKNOWN, [unknown(UNKNOWN)])
        await step(b'QUIT', [b'221 2.0.0 Bye'])
        writer.write_eof()
        await reader.read()
        tally['rcpt_250'] += 1 + (p == OK)
        tally['rcpt_550'] += 1 + (p != OK)
        tally['probe_250' if p == OK else 'probe_550'] += 1
        tally['sessions'] += 1
    finally:
        await smtp_aio.close(writer)


async def loop(addr, stop, tally, errors):
    while not os.path.exists(stop):
        try:
            await asyncio.wait_for(session(addr, tally), 30)
        except Exception as e:  # every failure is reported, none hidden
            tally['failed'] += 1
            key = '%s: %s' % (type(e).__name__, str(e)[:100])
            errors[key] = errors.get(key, 0) + 1


async def main():
    addr, conc, stop, result = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    tally = dict(sessions=0, failed=0, rcpt_250=0, rcpt_550=0, probe_250=0, probe_550=0)
    errors = {}
    await asyncio.gather(*(loop(addr, stop, tally, errors) for _ in range(conc)))
    tally['errors'] = errors
    with open(result, 'w') as f:
        json.dump(tally, f)
    print('clients: %s' % json.dumps(tally))
    return 0 if tally['failed'] == 0 else 1


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
