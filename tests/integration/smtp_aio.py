# SPDX-License-Identifier: BSD-3-Clause
"""smtp_aio.py - the asyncio SMTP client pieces the load scripts share.

reply(reader): one reply, its lines without CRLF (a multi-line reply
folded); EOFError when the connection closes first, ValueError for a line
without CRLF. close(writer): close and wait, a reset at the end taken as
closed. Imported by tcp_load.py and ctl_reload_clients.py (both run with
this folder first on sys.path).

TRUST: the server's bytes are what is tested; nothing here interprets
them beyond the line ends and the continuation mark.
"""


async def reply(reader):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError('connection closed while waiting for a reply')
        if not line.endswith(b'\r\n'):
            raise ValueError('reply line without CRLF: %r' % line[:80])
        lines.append(line[:-2])
        if len(line) < 4 or line[3:4] != b'-':
            return lines


async def close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass
