"""The one message type every transport takes: what goes on the wire for one recipient.

Data flows one way: list row -> :class:`mailer.lists.Recipient` (address validated once,
at the list boundary) -> :class:`mailer.compose.Composer` -> :class:`Message` ->
transport (:mod:`mailer.transports`) -> journal. Transports import only this module, never
the composer, so they sit below rendering.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """A message ready for a transport.

    Attributes:
        envelope_from: the RFC 5321 ``MAIL FROM`` address (the envelope sender).
        recipient: the one RFC 5321 ``RCPT TO`` address (the envelope recipient).
        message_id: the ``Message-ID`` header value, angle brackets included (RFC 5322
            §3.6.4); the journal keeps it so a resend reuses it.
        data: the whole message as bytes with CRLF line ends (RFC 5322 §2.1).
    """

    envelope_from: str
    recipient: str
    message_id: str
    data: bytes
