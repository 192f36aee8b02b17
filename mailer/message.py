"""The one message type every transport takes: what goes on the wire for one recipient.

Data flows one way: list row -> :class:`mailer.lists.Recipient` (address validated once,
at the list boundary) -> :class:`mailer.compose.Composer` -> :class:`Message` ->
transport (:mod:`mailer.transports`) -> journal. Transports import only this module, never
the composer, so they sit below rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END = re.compile(rb"\r\n|\r|\n")


def dot_stuff(lines: bytes) -> bytes:
    """``lines`` (starting at the beginning of a line, CRLF line ends) with a "." put
    before every line that starts with "." (RFC 5321 §4.5.2 transparency)."""
    if lines[:1] == b".":
        lines = b"." + lines
    return lines.replace(b"\r\n.", b"\r\n..")


def smtp_data(data: bytes) -> bytes:
    """A message's bytes as they travel after DATA (RFC 5321 §4.1.1.4, §4.5.2): every line
    ending CRLF, a line starting with "." gets another ".", and the end-of-data line
    ``.\\r\\n`` after it.

    ``data`` from :class:`mailer.compose.Composer` already has CRLF line ends; stray CR or
    LF are made CRLF first.
    """
    lf = data.count(b"\n")
    if lf != data.count(b"\r") or lf != data.count(b"\r\n"):
        data = _LINE_END.sub(b"\r\n", data)
    data = dot_stuff(data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@dataclass(frozen=True)
class Message:
    """A message ready for a transport.

    Attributes:
        envelope_from: the RFC 5321 ``MAIL FROM`` address (the envelope sender).
        recipient: the one RFC 5321 ``RCPT TO`` address (the envelope recipient).
        message_id: the ``Message-ID`` header value, angle brackets included (RFC 5322
            §3.6.4); the journal keeps it so a resend reuses it.
        data: the whole message as bytes with CRLF line ends (RFC 5322 §2.1).
        wire: ``smtp_data(data)``, when the composer built it along with ``data`` (it
            dot-stuffs each constant part of a campaign's messages once, not every
            message's 30 KB again); ``None`` to have :attr:`smtp_data` compute it.
    """

    envelope_from: str
    recipient: str
    message_id: str
    data: bytes
    wire: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def smtp_data(self) -> bytes:
        """The bytes to write after the server's 354 reply to DATA, final ``.\\r\\n``
        included (:func:`smtp_data`)."""
        return self.wire if self.wire is not None else smtp_data(self.data)
