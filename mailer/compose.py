"""MIME composition: one ``multipart/alternative`` message per recipient.

Each message has ``text/plain`` first and ``text/html`` last (RFC 2046 §5.1.4), both
UTF-8 and quoted-printable so no encoded line exceeds 76 octets (RFC 2045 §6.7; the hard
limit is 998, RFC 5322 §2.1.1). Headers are built by the ``email`` package: exactly one
address in ``To``, never ``Cc`` or ``Bcc``; ``Message-ID`` at the sender's domain (RFC
5322 §3.6.4); ``List-Unsubscribe`` (RFC 2369) and, for an https target,
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from mailer.config import Sender
from mailer.render import Rendered

# Bodies are encoded under ``BODY_POLICY`` (quoted-printable lines of at most 76
# characters, RFC 2045 §6.7). The message is serialised under ``POLICY``: lines up to 998
# octets are legal (RFC 5322 §2.1.1), and folding a List-Unsubscribe URL at 78 would turn
# it into RFC 2047 encoded-words and break it, so headers fold only past 998.
BODY_POLICY = SMTP.clone(max_line_length=76)
POLICY = SMTP.clone(max_line_length=998)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_display_name(name: str) -> str:
    """Collapse whitespace and drop control characters (CR and LF above all) from a display
    name, so a name in a list can never start a new header line."""
    return " ".join(_CONTROL.sub(" ", name).split())


@dataclass(frozen=True)
class Composed:
    """A message ready for a transport.

    Attributes:
        envelope_from: the RFC 5321 MAIL FROM address.
        recipient: the one RFC 5321 RCPT TO address.
        message_id: the ``Message-ID`` header value, angle brackets included.
        data: the whole message as bytes with CRLF line ends.
    """

    envelope_from: str
    recipient: str
    message_id: str
    data: bytes


class Composer:
    """Builds one message per recipient from a :class:`Rendered` snippet.

    Args:
        rendered: the snippet rendered once for the campaign.
        sender: who the message is from (``From``, ``Reply-To``, unsubscribe target).
        subject_prefix: put before the subject (``"[TEST] "`` for a proof).
    """

    def __init__(self, rendered: Rendered, sender: Sender, subject_prefix: str = "") -> None:
        self.rendered = rendered
        self.sender = sender
        self.subject = subject_prefix + rendered.subject

    def compose(
        self,
        email: str,
        name: str,
        fields: dict[str, str],
        *,
        message_id: str | None = None,
        date: str | None = None,
    ) -> Composed:
        """Compose the message for one recipient.

        Args:
            email: the recipient's address (ASCII domain or IDNA-encodable).
            name: display name for ``To`` (may be empty); control characters are removed.
            fields: personal template fields (see :meth:`Rendered.personalise`).
            message_id: reuse this ``Message-ID`` (a resumed send), else a new one.
            date: RFC 5322 date string, else now.
        """
        html_part, text_part = self.rendered.personalise(fields)
        msg = EmailMessage(policy=BODY_POLICY)
        msg["From"] = self.sender.address
        local, _, domain = email.rpartition("@")
        msg["To"] = Address(display_name=clean_display_name(name), username=local, domain=domain)
        msg["Subject"] = self.subject
        msg["Date"] = date or format_datetime(dt.datetime.now(dt.timezone.utc).astimezone())
        msg["Message-ID"] = message_id or make_msgid(domain=self.sender.domain)
        if self.sender.reply_to is not None:
            msg["Reply-To"] = self.sender.reply_to
        unsubscribe = self.sender.unsubscribe
        if unsubscribe:
            msg["List-Unsubscribe"] = f"<{unsubscribe}>"
            if unsubscribe.startswith("https://"):
                msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text_part, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(html_part, subtype="html", charset="utf-8", cte="quoted-printable")
        return Composed(
            envelope_from=self.sender.address.addr_spec,
            recipient=email,
            message_id=str(msg["Message-ID"]),
            data=msg.as_bytes(policy=POLICY),
        )

