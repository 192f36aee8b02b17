"""Delivery transports behind one small interface (:class:`mailer.transports.base.Transport`).

- ``outbox``: writes each message into a Maildir (the default; nothing leaves the machine).
- ``smtp``: submits to an SMTP server with aiosmtplib.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailer.config import Config
from mailer.transports.base import Delivery, Transport, TransportStatus

__all__ = ["Delivery", "Transport", "TransportStatus", "transport_factory"]


def transport_factory(
    config: Config, outbox_dir: Path, password: str | None = None
) -> Callable[[], Transport]:
    """A function making one unopened transport of the kind ``config`` asks for: SMTP when
    ``smtp.host`` is set (with ``password`` for AUTH), else the outbox Maildir. The engine
    calls it once per connection."""
    from mailer.transports.outbox import OutboxTransport
    from mailer.transports.smtp import SmtpTransport

    if config.smtp.host:
        return lambda: SmtpTransport(config.smtp, password)
    return lambda: OutboxTransport(outbox_dir)
