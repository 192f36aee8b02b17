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
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from mailer.config import Config, SmtpConfig
from mailer.errors import ConfigError
from mailer.oauth.base import TokenSource
from mailer.sendwords import no_password_words, password_prompt_words

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
            value = prompt(password_prompt_words(smtp.username, smtp.host))
        except (EOFError, KeyboardInterrupt):
            value = ""
        if value:
            return value
    raise ConfigError(no_password_words(smtp.username, smtp.password_env, KEYRING_SERVICE))


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


def silent_sign_in(config: Config) -> TokenSource | None:
    """With ``smtp.auth: oauth2``, the sign-in checked silently now (see
    :func:`smtp_password_for`), so a send can say "run mailer login" before asking anything;
    ``None`` otherwise (a password may need a prompt: it is asked for later).

    Raises:
        mailer.errors.SignInError: not signed in, or the sign-in no longer works.
    """
    if not config.smtp.host or config.smtp.auth != "oauth2":
        return None
    result = smtp_password_for(config)
    assert result is None or not isinstance(result, str)
    return result


class Authenticator(Protocol):
    """Signs in on an open, secured SMTP connection (RFC 4954 AUTH). The SMTP transport
    calls :meth:`authenticate` once per connection, after STARTTLS."""

    async def authenticate(self, client: aiosmtplib.SMTP) -> float | None:
        """Sign in. Returns when the sign-in runs out (seconds since the epoch; an OAuth2
        access token's expiry), so the connection signs in again before then, or ``None``
        (a password: never). Raises ``aiosmtplib.SMTPAuthenticationError`` when refused."""
        ...


@dataclass(frozen=True)
class Credentials:
    """A username and password for SMTP AUTH (PLAIN or LOGIN, as the server offers;
    RFC 4954, RFC 4616). The password never appears in ``repr``.

    Attributes:
        username: ``smtp.username``.
        password: from the environment or the keyring (:func:`smtp_password`).
    """

    username: str
    password: str = field(repr=False, default="")

    async def authenticate(self, client: aiosmtplib.SMTP) -> None:
        """Sign in with :meth:`aiosmtplib.SMTP.login`.

        Raises:
            aiosmtplib.SMTPAuthenticationError: the server refused them.
        """
        await client.login(self.username, self.password)


def credentials_for(config: Config, password: str | TokenSource | None
                    ) -> Authenticator | None:
    """The sign-in for ``config``'s server: ``None`` without ``smtp.username`` (no AUTH) or
    for the outbox folder; XOAUTH2 with ``smtp.auth: oauth2`` (``password`` is then the
    :class:`~mailer.oauth.TokenSource` from :func:`smtp_password_for`)."""
    if not config.smtp.host or not config.smtp.username:
        return None
    if config.smtp.auth == "oauth2":
        from mailer.oauth import token_source_for
        from mailer.transports.xoauth2 import XOAuth2Credentials

        source = None if password is None or isinstance(password, str) else password
        return XOAuth2Credentials(source or token_source_for(config.smtp))
    return Credentials(config.smtp.username, password or "")
