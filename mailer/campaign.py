"""The send loop: pre-flight every message, then deliver one message per recipient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailer.compose import Composer
from mailer.errors import ListError
from mailer.recipients import Recipient
from mailer.render import ALWAYS_PRESENT, Rendered
from mailer.transports.base import Transport, TransportStatus


@dataclass
class Failure:
    """A recipient that was not sent, with the server's reply."""

    email: str
    status: str
    code: int
    text: str


@dataclass
class SendSummary:
    """The outcome of ``mailer send``; ``as_dict`` is the ``--json`` shape."""

    campaign: str
    transport: str
    recipients: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    uncertain: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Counts plus the failures, for ``--json``."""
        return {
            "campaign": self.campaign,
            "transport": self.transport,
            "recipients": self.recipients,
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "uncertain": self.uncertain,
            "skipped": self.skipped,
            "failures": [f.__dict__ for f in self.failures],
        }


def check_fields(rendered: Rendered, recipients: list[Recipient], list_name: str) -> None:
    """Pre-flight: every personal field the templates use must have a value for every
    recipient, found before any message is sent.

    Raises:
        ListError: naming the field, the list line and the recipient.
    """
    needed = sorted(rendered.fields_used - ALWAYS_PRESENT)
    for rec in recipients:
        values = rec.fields()
        for name in needed:
            if not values.get(name):
                line = rec.lines[0] if rec.lines else None
                raise ListError(
                    f"the template uses recipient.{name}, but the list gives no {name} for "
                    f"{rec.display_email}. Fill it in, or remove recipient.{name} from the "
                    "template. Nothing was sent.",
                    path=list_name,
                    line=line,
                )


ProgressCallback = Callable[[Recipient, TransportStatus], None]


async def send_all(
    composer: Composer,
    recipients: list[Recipient],
    transport: Transport,
    summary: SendSummary,
    progress: ProgressCallback | None = None,
) -> SendSummary:
    """Deliver one message per recipient through ``transport`` (opened and closed here).

    Raises:
        mailer.errors.TransportError: from ``transport.open()`` (nothing sent).
    """
    summary.recipients = len(recipients)
    await transport.open()
    try:
        for rec in recipients:
            message = composer.compose(rec.email, rec.name, rec.fields())
            result = await transport.deliver(message)
            if result.status is TransportStatus.SENT:
                summary.sent += 1
            else:
                setattr(summary, result.status.value, getattr(summary, result.status.value) + 1)
                summary.failures.append(
                    Failure(rec.email, result.status.value, result.code, result.text)
                )
            if progress is not None:
                progress(rec, result.status)
    finally:
        await transport.close()
    return summary
