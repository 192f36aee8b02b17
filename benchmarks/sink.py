"""A minimal, fast SMTP responder for the send benchmark: accepts every message and counts.

Run as its own process::

    python benchmarks/sink.py [--port 0]

It listens on 127.0.0.1 only, prints ``READY <port>`` on stdout, then answers one command a
line on stdin: ``stats`` prints a JSON object (messages, unique recipients, bytes,
connections, time of the first MAIL and of the last accepted message, seconds by
``time.time()``), ``reset`` zeroes the counts, ``quit`` (or end of input) stops it.

It speaks just enough of RFC 5321 for a client to send: EHLO/HELO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT, and offers PIPELINING (RFC 2920): commands already in the buffer are answered
in order, in one write. It costs about a quarter of a millisecond of CPU a message, several
times less than aiosmtpd, so that the client is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

EHLO_REPLY = (b"250-sink.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
              b"250 SIZE 104857600\r\n")


class Stats:
    """What the sink has accepted since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero everything."""
        self.messages = 0
        self.bytes = 0
        self.connections = 0
        self.recipients: set[bytes] = set()
        self.first = 0.0
        self.last = 0.0

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``stats``."""
        return {"messages": self.messages, "unique_recipients": len(self.recipients),
                "bytes": self.bytes, "connections": self.connections,
                "first": self.first, "last": self.last}


STATS = Stats()


class SinkProtocol(asyncio.Protocol):
    """One SMTP session."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = bytearray()
        self.in_data = False
        self.scan = 0
        self.rcpts: list[bytes] = []
        STATS.connections += 1
        self.transport.write(b"220 sink.localhost ESMTP ready\r\n")

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        out = []
        pos = 0
        while True:
            if self.in_data:
                # in DATA, pos is where the message starts (consumed bytes are dropped)
                if buf.startswith(b".\r\n", pos):
                    end = pos - 2  # an empty message (a leading "." is doubled otherwise)
                else:
                    end = buf.find(b"\r\n.\r\n", max(self.scan - 4, pos))
                if end < 0:
                    self.scan = len(buf)
                    break
                STATS.messages += 1
                STATS.bytes += end + 2 - pos
                STATS.recipients.update(self.rcpts)
                STATS.last = time.time()
                self.rcpts = []
                self.in_data = False
                pos = end + 5
                out.append(b"250 2.0.0 accepted\r\n")
                continue
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                break
            line = bytes(buf[pos:eol])
            pos = eol + 2
            verb = line[:4].upper()
            if verb == b"MAIL":
                if not STATS.first:
                    STATS.first = time.time()
                self.rcpts = []
                out.append(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                start = line.find(b"<")
                self.rcpts.append(line[start + 1:line.find(b">", start)].lower())
                out.append(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.scan = pos
                out.append(b"354 end with <CRLF>.<CRLF>\r\n")
            elif verb == b"EHLO":
                out.append(EHLO_REPLY)
            elif verb in (b"HELO", b"RSET", b"NOOP"):
                self.rcpts = []
                out.append(b"250 ok\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.transport.write(b"".join(out))
                self.transport.close()
                return
            else:
                out.append(b"502 5.5.2 not implemented\r\n")
        del buf[:pos]
        self.scan = max(self.scan - pos, 0)
        if out:
            self.transport.write(b"".join(out))


async def control(server: asyncio.base_events.Server) -> None:
    """Answer ``stats``/``reset``/``quit`` lines on stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "stats":
            print(json.dumps(STATS.as_dict()), flush=True)
        elif line == "reset":
            STATS.reset()
            print("ok", flush=True)
        elif line in ("quit", ""):
            server.close()
            return


async def main() -> None:
    parser = argparse.ArgumentParser(description="Minimal counting SMTP sink on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SinkProtocol, "127.0.0.1", args.port, backlog=256)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    await control(server)


if __name__ == "__main__":
    asyncio.run(main())
