"""Where the SMTP password comes from: never from a file, never into a log.

Order: the environment variable that ``smtp.password_env`` names. (A ``password`` key in
``mailer.yaml`` is refused by :mod:`mailer.config`.)
"""

from __future__ import annotations

import os

from mailer.config import SmtpConfig
from mailer.errors import ConfigError


def smtp_password(smtp: SmtpConfig) -> str | None:
    """Return the password for ``smtp.username``, or ``None`` when no username is set.

    Raises:
        ConfigError: when a username is configured but no password can be found.
    """
    if not smtp.username:
        return None
    value = os.environ.get(smtp.password_env)
    if value:
        return value
    raise ConfigError(
        f"no password for {smtp.username}. Set the environment variable {smtp.password_env} "
        f"before running mailer (for example: export {smtp.password_env}='...')."
    )
