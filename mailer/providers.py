"""Provider presets: the host, port, security and limits of the mail services schools use.

``smtp.provider`` in ``mailer.yaml`` fills in any of these keys the file leaves out; a key
written in the file always wins (for example a lower ``rate_per_minute``).

Sources (the providers' documented limits):

- ``microsoft365``: Exchange Online limits, "Sending limits" and SMTP AUTH client
  submission (smtp.office365.com:587 with STARTTLS): 30 messages a minute, 10,000
  recipients a day, at most 3 concurrent connections per mailbox.
- ``google``: Google Workspace "Gmail sending limits": 2,000 messages a day over a rolling
  24 hours (smtp.gmail.com:587 with STARTTLS). Google publishes no per-minute limit; the
  preset spaces messages at 30 a minute so a burst is not taken for abuse.
- ``ses``: Amazon SES SMTP interface (email-smtp.REGION.amazonaws.com:587 with STARTTLS);
  an account moved out of the sandbox starts at 50,000 messages a day and 14 a second.
  The host depends on your region, so ``smtp.host`` must be given; set ``daily_cap`` and
  ``rate_per_minute`` to the quotas in your SES console if they differ.
- ``custom``: no preset; every key comes from ``mailer.yaml``.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "microsoft365": {
        "host": "smtp.office365.com",
        "port": 587,
        "security": "starttls",
        "rate_per_minute": 30,
        "daily_cap": 10_000,
        "connections": 3,
    },
    "google": {
        "host": "smtp.gmail.com",
        "port": 587,
        "security": "starttls",
        "rate_per_minute": 30,
        "daily_cap": 2_000,
        "connections": 1,
    },
    "ses": {
        "port": 587,
        "security": "starttls",
        "rate_per_minute": 14 * 60,
        "daily_cap": 50_000,
        "connections": 4,
    },
    "custom": {},
}


def preset(provider: str) -> dict[str, Any] | None:
    """The preset keys for ``provider`` (lower-cased), or ``None`` for an unknown name."""
    return PRESETS.get(provider.strip().lower())
