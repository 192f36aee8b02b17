"""MIME composition: one ``multipart/alternative`` message per recipient.

Each message has ``text/plain`` first and ``text/html`` last (RFC 2046 §5.1.4), both
UTF-8 and quoted-printable so no encoded line exceeds 76 octets (RFC 2045 §6.7; the hard
limit is 998, RFC 5322 §2.1.1). Headers are built by the ``email`` package: exactly one
address in ``To``, never ``Cc`` or ``Bcc``; ``Message-ID`` at the sender's domain (RFC
5322 §3.6.4); ``List-Unsubscribe`` (RFC 2369) and, for an https target,
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); ``Content-Language``
(RFC 3282).

Speed. Building and serialising an :class:`~email.message.EmailMessage` costs about 5 ms
for the demo advisory, nearly all of it quoted-printable encoding of the same 20 KB of
HTML for every recipient. :class:`Composer` therefore builds a *message template* once per
campaign (see :class:`_Template`) and per recipient only encodes the few personal values
and joins pre-encoded bytes (tens of microseconds). The result decodes to exactly what the
straightforward build (:meth:`Composer.compose_reference`) gives; any input the template
cannot take with certainty (a personal value with a line break, a non-ASCII display name,
an unusual address) goes through the email package's full header machinery or the
straightforward build instead. ``tests/test_compose_fast.py`` compares the two.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html import escape

from mailer.config import Sender
from mailer.render import Rendered, sentinel

# Bodies are encoded under ``BODY_POLICY`` (quoted-printable lines of at most 76
# characters, RFC 2045 §6.7). The message is serialised under ``POLICY``: lines up to 998
# octets are legal (RFC 5322 §2.1.1), and folding a List-Unsubscribe URL at 78 would turn
# it into RFC 2047 encoded-words and break it, so headers fold only past 998.
BODY_POLICY = SMTP.clone(max_line_length=76)
POLICY = SMTP.clone(max_line_length=998)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CRLF = b"\r\n"

# A quoted-printable segment is encoded with lines of at most 75 characters so that a
# soft line break ("=", RFC 2045 §6.7 rule 5) can always follow its last line.
_SEGMENT_LINE = 75

# Inputs the message template writes as they are; anything else takes the email package's
# full parse-and-fold path. An ASCII dot-atom address (RFC 5322 §3.4.1), a display name of
# printable ASCII without anything that looks like an RFC 2047 encoded-word, a Message-ID
# of the shape make_msgid() gives, a Date of the shape format_datetime() gives.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_SIMPLE_ADDRESS = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_SIMPLE_NAME = re.compile(r"[\x20-\x7e]*")
_SIMPLE_MSGID = re.compile(rf"<{_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")
_SIMPLE_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3]\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
    r"Nov|Dec) \d{4} [0-2]\d:[0-5]\d:[0-6]\d [+-]\d{4}"
)
_MAX_LINE = 998


def clean_display_name(name: str) -> str:
    """Collapse whitespace and drop control characters (CR and LF above all) from a display
    name, so a name in a list can never start a new header line."""
    return " ".join(_CONTROL.sub(" ", name).split())


def header_bytes(name: str, value: object) -> bytes:
    """One header field, built and folded by the email package under :data:`POLICY`,
    exactly as :class:`~email.generator.BytesGenerator` writes it (CRLF at the end).

    Raises:
        ValueError: when the email package refuses the value (e.g. CR/LF in an address).
    """
    stored_name, stored = POLICY.header_store_parse(name, value)
    return POLICY.fold_binary(stored_name, stored)


def qp_segment(text: str) -> bytes:
    """Quoted-printable (RFC 2045 §6.7) for one piece of a body, ready to be joined to the
    next piece: it starts at the beginning of a line and ends at the start of a new line,
    with a soft line break when ``text`` does not itself end with a line break. ``text``
    must contain no CR. Every line is at most 76 octets."""
    if not text:
        return b""
    encoded = quoprimime.body_encode(
        text.encode("utf-8").decode("latin-1"), _SEGMENT_LINE, "\r\n"
    ).encode("ascii")
    if not encoded.endswith(CRLF):
        encoded += b"=\r\n"
    return encoded


def _split_body(body: str, fields: frozenset[str]) -> list[str]:
    """``[text, field, text, field, ..., text]``: the constant runs of ``body`` between
    the sentinels of the personal ``fields`` (names at odd indices)."""
    if not fields:
        return [body]
    pattern = re.compile("|".join(re.escape(sentinel(f)) for f in sorted(fields)))
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(body):
        out.append(body[pos:match.start()])
        out.append(match.group(0)[len("__MAILER_"):-2].lower())
        pos = match.end()
    out.append(body[pos:])
    return out


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


class _Template:
    """The parts of every message of a campaign that do not depend on the recipient,
    encoded once.

    Layout (the same as the email package's for the straightforward build): ``From``,
    ``To``*, ``Subject``, ``Date``*, ``Message-ID``*, ``Reply-To``, ``List-Unsubscribe``,
    ``List-Unsubscribe-Post``, ``MIME-Version``, ``Content-Type: multipart/alternative``,
    ``Content-Language``,
    then the ``text/plain`` and ``text/html`` parts (* per recipient). The boundary starts
    with ``==``, which never occurs in quoted-printable text (``=`` is always followed by two
    hex digits or a line break), so it cannot collide with any body (RFC 2046 §5.1.1).

    A body is a list of pre-encoded constant runs with personal fields between them; each
    run and each value is encoded as its own quoted-printable segment (see
    :func:`qp_segment`), so a value of any length never shifts the line breaks of the
    constant text. Decoding joins the segments back into exactly the personalised text.
    """

    def __init__(self, composer: Composer) -> None:
        sender = composer.sender
        rendered = composer.rendered
        self.fields = rendered.fields_used
        self.from_line = header_bytes("From", sender.address)
        self.subject_line = header_bytes("Subject", composer.subject)
        boundary = "===============" + str(secrets.randbits(63)).zfill(19) + "=="
        tail = []
        if sender.reply_to is not None:
            tail.append(header_bytes("Reply-To", sender.reply_to))
        if sender.unsubscribe:
            tail.append(header_bytes("List-Unsubscribe", f"<{sender.unsubscribe}>"))
            if sender.unsubscribe.startswith("https://"):
                tail.append(header_bytes("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        tail.append(header_bytes("MIME-Version", "1.0"))
        tail.append(header_bytes(
            "Content-Type", f'multipart/alternative; boundary="{boundary}"'
        ))
        if rendered.language:
            tail.append(header_bytes("Content-Language", rendered.language))
        delimiter = b"--" + boundary.encode("ascii")
        text_part = MIMEPart(policy=BODY_POLICY)
        text_part.set_content("x", subtype="plain", charset="utf-8", cte="quoted-printable")
        html_part = EmailMessage(policy=BODY_POLICY)
        html_part.set_content("x", subtype="html", charset="utf-8", cte="quoted-printable")
        # headers, blank line, delimiter, part headers, blank line
        self.head_tail = (
            b"".join(tail) + CRLF + delimiter + CRLF
            + b"".join(POLICY.fold_binary(k, v) for k, v in text_part.raw_items()) + CRLF
        )
        self.between = (
            CRLF + delimiter + CRLF
            + b"".join(POLICY.fold_binary(k, v) for k, v in html_part.raw_items()) + CRLF
        )
        self.end = CRLF + delimiter + b"--" + CRLF
        self.text = self._pieces(rendered.text)
        self.html = self._pieces(rendered.html)
        self.domain = sender.domain
        self._date_second = -1
        self._date_line = b""

    def _pieces(self, body: str) -> list[bytes | str]:
        split = _split_body(body, self.fields)
        if not split[-1]:
            raise _NotTemplatable
        # The email package ends every text body with a line break (contentmanager's
        # normal_body), so the last constant run does too.
        if not split[-1].endswith("\n"):
            split[-1] += "\n"
        return [qp_segment(part) if i % 2 == 0 else part for i, part in enumerate(split)]

    def date_line(self) -> bytes:
        """``Date:`` now, local time with offset, as the email package formats it; computed
        at most once a second."""
        now = time.time()
        second = int(now)
        if second != self._date_second:
            value = format_datetime(
                dt.datetime.fromtimestamp(second, dt.timezone.utc).astimezone()
            )
            self._date_line = header_bytes("Date", value)
            self._date_second = second
        return self._date_line


class _NotTemplatable(Exception):
    """A body ends with a personal field: whether the email package adds a final line
    break then depends on the value, so such a template is composed the straightforward
    way (our Jinja templates never end with one)."""


def _encode_body(pieces: list[bytes | str], values: dict[str, bytes]) -> list[bytes]:
    """The body's bytes: constant runs (even indices) and the recipient's values."""
    return [values[p] if p.__class__ is str else p for p in pieces]  # type: ignore[misc,index]


class Composer:
    """Builds one message per recipient from a :class:`Rendered` snippet.

    Args:
        rendered: the snippet rendered once for the campaign.
        sender: who the message is from (``From``, ``Reply-To``, unsubscribe target).
        subject_prefix: put before the subject (``"[TEST] "`` for a proof).

    :meth:`compose` is safe to call from many coroutines of one event loop; it holds no
    per-message state.
    """

    def __init__(self, rendered: Rendered, sender: Sender, subject_prefix: str = "") -> None:
        self.rendered = rendered
        self.sender = sender
        self.subject = subject_prefix + rendered.subject
        self.envelope_from = sender.address.addr_spec
        # A body with CR in it would have its line breaks normalised by the email package
        # across field boundaries; such a template (never produced by our Jinja templates)
        # is composed the straightforward way.
        self._template: _Template | None = None
        if "\r" not in rendered.text and "\r" not in rendered.html:
            with contextlib.suppress(_NotTemplatable):
                self._template = _Template(self)

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

        Returns:
            the message; its bytes decode to the same headers and parts as
            :meth:`compose_reference` gives for the same arguments.

        Raises:
            KeyError: when a personal field the templates use is missing from ``fields``.
            ValueError: when the email package refuses the address (e.g. CR/LF in it).
        """
        tpl = self._template
        if tpl is None:
            return self.compose_reference(email, name, fields, message_id=message_id, date=date)
        text_values: dict[str, bytes] = {}
        html_values: dict[str, bytes] = {}
        for field in tpl.fields:
            value = fields[field]
            if "\n" in value or "\r" in value:
                return self.compose_reference(
                    email, name, fields, message_id=message_id, date=date
                )
            text_values[field] = qp_segment(value)
            html_values[field] = qp_segment(escape(value, quote=True))

        display = clean_display_name(name)
        if (
            _SIMPLE_ADDRESS.fullmatch(email)
            and _SIMPLE_NAME.fullmatch(display)
            and "=?" not in display
        ):
            local, _, domain = email.rpartition("@")
            to_line = b"To: " + str(
                Address(display_name=display, username=local, domain=domain)
            ).encode("ascii") + CRLF
            if len(to_line) > _MAX_LINE + 2:
                to_line = header_bytes("To", Address(display, local, domain))
        else:
            local, _, domain = email.rpartition("@")
            to_line = header_bytes(
                "To", Address(display_name=display, username=local, domain=domain)
            )

        if date is None:
            date_line = tpl.date_line()
        elif _SIMPLE_DATE.fullmatch(date):
            date_line = b"Date: " + date.encode("ascii") + CRLF
        else:
            date_line = header_bytes("Date", date)

        if message_id is None:
            message_id = make_msgid(domain=tpl.domain)
            msgid_line = b"Message-ID: " + message_id.encode("ascii") + CRLF
        elif _SIMPLE_MSGID.fullmatch(message_id) and len(message_id) < 900:
            msgid_line = b"Message-ID: " + message_id.encode("ascii") + CRLF
        else:
            stored_name, stored = POLICY.header_store_parse("Message-ID", message_id)
            msgid_line = POLICY.fold_binary(stored_name, stored)
            message_id = str(stored)

        data = b"".join([
            tpl.from_line, to_line, tpl.subject_line, date_line, msgid_line, tpl.head_tail,
            *_encode_body(tpl.text, text_values),
            tpl.between,
            *_encode_body(tpl.html, html_values),
            tpl.end,
        ])
        return Composed(self.envelope_from, email, message_id, data)

    def compose_reference(
        self,
        email: str,
        name: str,
        fields: dict[str, str],
        *,
        message_id: str | None = None,
        date: str | None = None,
    ) -> Composed:
        """The straightforward build: one :class:`EmailMessage` per recipient, serialised by
        the email package (about 5 ms for the demo advisory). Same arguments, result and
        errors as :meth:`compose`; used for inputs the fast path does not take and as the
        reference the fast path is tested against."""
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
        if self.rendered.language:  # after set_content, which clears Content-* headers
            msg["Content-Language"] = self.rendered.language  # RFC 3282
        return Composed(
            envelope_from=self.sender.address.addr_spec,
            recipient=email,
            message_id=str(msg["Message-ID"]),
            data=msg.as_bytes(policy=POLICY),
        )
