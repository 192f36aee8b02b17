"""Where the SMTP password comes from: never from a file, never into a log.

Order:

1. the environment variable that ``smtp.password_env`` names;
2. the system keyring (Windows Credential Manager, macOS Keychain, Secret Service), under
   the service name ``mailer`` and the SMTP username; store it once with
   ``keyring set mailer USERNAME``. A machine with no keyring backend simply skips this;
3. a hidden prompt, only when someone is at a terminal.

(A ``password`` key in ``mailer.yaml`` is refused by :mod:`mailer.config`.)
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable

from mailer.config import Config, SmtpConfig
from mailer.errors import ConfigError
from mailer.oauth.base import TokenSource

#: The keyring service name passwords are stored under.
KEYRING_SERVICE = "mailer"


def keyring_password(username: str) -> str | None:
    """The password the system keyring holds for ``username``, or ``None`` when there is
    none, no keyring backend, or the keyring fails (it is only one of three sources)."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, username) or None
    except Exception:  # keyring.errors.NoKeyringError, or a broken third-party backend
        return None


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def smtp_password(
    smtp: SmtpConfig,
    *,
    interactive: bool | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> str | None:
    """Return the password for ``smtp.username``, or ``None`` when no username is set.

    Args:
        smtp: the server settings (``username``, ``password_env``, ``host``).
        interactive: allow the hidden prompt; default: when standard input is a terminal.
        prompt: reads a password without echo (``getpass.getpass``).

    Raises:
        ConfigError: when a username is configured but no password can be found.
    """
    if not smtp.username:
        return None
    value = os.environ.get(smtp.password_env)
    if value:
        return value
    value = keyring_password(smtp.username)
    if value:
        return value
    if interactive is None:
        interactive = _stdin_is_terminal()
    if interactive:
        try:
            value = prompt(f"Password for {smtp.username} at {smtp.host}: ")
        except (EOFError, KeyboardInterrupt):
            value = ""
        if value:
            return value
    raise ConfigError(
        f"no password for {smtp.username}. Set the environment variable {smtp.password_env} "
        f"before running mailer (for example: export {smtp.password_env}='...'), or store "
        f"it once in the system keyring with: keyring set {KEYRING_SERVICE} {smtp.username}"
    )


def smtp_password_for(config: Config) -> str | TokenSource | None:
    """The SMTP password for ``config`` (``None`` for the outbox or no AUTH); with
    ``smtp.auth: oauth2`` the :class:`~mailer.oauth.TokenSource` the transport gets access
    tokens from when it connects, after getting one silently (it is kept for the first
    connection).

    Raises:
        ConfigError: see :func:`smtp_password`.
        mailer.errors.SignInError: with ``auth: oauth2``, not signed in or the sign-in no
            longer works (nothing was sent).
    """
    if not config.smtp.host:
        return None
    if config.smtp.auth == "oauth2":
        from mailer.oauth import token_source_for

        source = token_source_for(config.smtp)
        source.access_token()  # silently, now: "run mailer login" before any connection
        return source
    return smtp_password(config.smtp)
