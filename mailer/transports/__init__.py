"""Delivery transports behind one small interface (:class:`mailer.transports.base.Transport`).

- ``outbox``: writes each message into a Maildir (the default; nothing leaves the machine).
- ``smtp``: submits to an SMTP server with aiosmtplib.
"""

from mailer.transports.base import Delivery, Transport, TransportStatus

__all__ = ["Delivery", "Transport", "TransportStatus"]


def make_transport(config, outbox_dir):  # type: ignore[no-untyped-def]
    """The transport ``config`` asks for: SMTP when ``smtp.host`` is set, else the outbox.

    Raises:
        mailer.errors.ConfigError: when SMTP needs a password that cannot be found.
    """
    from mailer.credentials import smtp_password
    from mailer.transports.outbox import OutboxTransport
    from mailer.transports.smtp import SmtpTransport

    if config.smtp.host:
        return SmtpTransport(config.smtp, smtp_password(config.smtp))
    return OutboxTransport(outbox_dir)
