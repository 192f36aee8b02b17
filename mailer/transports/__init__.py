"""Delivery transports behind one small interface (:class:`mailer.transports.base.Transport`).

- ``outbox``: writes each message into a Maildir (the default; nothing leaves the machine).
- ``smtp``: submits to an SMTP server with aiosmtplib.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailer.config import Config
from mailer.credentials import Authenticator, credentials_for
from mailer.transports.base import Pacing, Transport

__all__ = ["Pacing", "Transport", "TransportChoice", "choose_transport",
           "transport_factory"]


class TransportChoice:
    """The destination of a send, chosen once from ``mailer.yaml``; nothing else looks at
    the configuration to learn where mail goes.

    Call it with the sign-in (or ``None``) to make one unopened transport; the engine
    does that once per connection.

    Attributes:
        label: where mail goes, in words.
        journal_name: how the journal names it (``outbox``, ``smtp HOST``).
        emails: true for a server, false for the outbox folder.
        pacing: the default pacing.
    """

    def __init__(self, make: Callable[[Authenticator | None], Transport]) -> None:
        self._make = make
        sample = make(None)
        self.label: str = sample.label
        self.journal_name: str = sample.journal_name
        self.emails: bool = sample.emails
        self.pacing: Pacing = sample.pacing

    def __call__(self, credentials: Authenticator | None = None) -> Transport:
        return self._make(credentials)


def choose_transport(config: Config, outbox_dir: Path) -> TransportChoice:
    """SMTP when ``smtp.host`` is set, else the outbox Maildir at ``outbox_dir``."""
    from mailer.transports.outbox import OutboxTransport
    from mailer.transports.smtp import SmtpTransport

    if config.smtp.host:
        smtp = config.smtp
        return TransportChoice(lambda credentials: SmtpTransport(smtp, credentials))
    return TransportChoice(lambda credentials: OutboxTransport(outbox_dir))


def transport_factory(
    config: Config, outbox_dir: Path, password: str | None = None
) -> Callable[[], Transport]:
    """A function making one unopened transport of the kind ``config`` asks for, signed
    in with ``password`` (see :func:`choose_transport`)."""
    choice = choose_transport(config, outbox_dir)
    credentials = credentials_for(config, password)
    return lambda: choice(credentials)
