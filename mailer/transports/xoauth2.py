"""Signing in to an SMTP server with an OAuth2 access token (XOAUTH2).

The mechanism is Google's "OAuth 2.0 Mechanism" (``AUTH XOAUTH2`` with
``user=USER^Aauth=Bearer TOKEN^A^A`` in base64), which Microsoft 365 uses too
("Authenticate an IMAP, POP or SMTP connection using OAuth"); aiosmtplib (5.1 and later)
sends it with ``SMTP.auth_xoauth2``, including Google's error challenge (a ``334`` JSON
error answered with an empty line before the final ``535``).

The token comes from a :class:`mailer.oauth.TokenSource` in a worker thread (MSAL and
google-auth make blocking HTTPS calls). The server may refuse a token the source still
thinks is good (revoked, or the clocks disagree): then one fresh token is asked for and
AUTH tried once more on the same connection (RFC 4954 §4 allows another AUTH after a
failed one).
"""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from mailer.errors import TransportError
from mailer.oauth.base import EARLY_S, AccessToken, TokenSource
from mailer.oauth.words import enhanced_code, no_xoauth2_words


async def sign_in_xoauth2(client: aiosmtplib.SMTP, source: TokenSource) -> AccessToken:
    """AUTH XOAUTH2 as ``source.username`` on a connected, secured ``client``; returns the
    token that was accepted.

    Raises:
        TransportError: the server does not offer XOAUTH2.
        mailer.errors.SignInError: no token can be had (not signed in, sign-in expired).
        aiosmtplib.SMTPAuthenticationError: the server refused a fresh token too, or said
            SMTP AUTH is off (``535 5.7.139``): the caller words it.
    """
    if client.is_ehlo_or_helo_needed:  # after STARTTLS the extensions are asked again
        await client.ehlo()
    methods = [m.upper() for m in client.server_auth_methods]
    if "XOAUTH2" not in methods:
        offered = ", ".join(methods) or "none"
        raise TransportError(no_xoauth2_words(f"{client.hostname}:{client.port}", offered))
    token = await asyncio.to_thread(source.access_token)
    try:
        await client.auth_xoauth2(source.username, token.value)
        return token
    except smtp_errors.SMTPAuthenticationError as exc:
        if exc.code != 535 or enhanced_code(exc.message) == "5.7.139":
            raise
    token = await asyncio.to_thread(source.access_token, token)
    await client.auth_xoauth2(source.username, token.value)
    return token


def token_expiring(until: float | None) -> bool:
    """True when a connection whose sign-in runs out at ``until`` (seconds since the epoch;
    ``None``: a password, never) should sign in again before its next message: within
    :data:`~mailer.oauth.base.EARLY_S` seconds (access tokens last about an hour; a
    rate-limited school send lasts longer)."""
    return until is not None and until - time.time() < EARLY_S


class XOAuth2Credentials:
    """The sign-in for ``smtp.auth: oauth2``: XOAUTH2 with tokens from ``source``, shared
    by every connection of a send (the source refreshes once for all of them).

    Args:
        source: where access tokens come from (:func:`mailer.oauth.token_source_for`).
    """

    def __init__(self, source: TokenSource) -> None:
        self.source = source
        self.username = source.username

    def __repr__(self) -> str:
        return f"XOAuth2Credentials(username={self.username!r})"

    async def authenticate(self, client: aiosmtplib.SMTP) -> float:
        """Sign in on ``client`` (see :func:`sign_in_xoauth2`); returns when the accepted
        token runs out, in seconds since the epoch, so the connection can sign in again
        before then (:func:`token_expiring`)."""
        token = await sign_in_xoauth2(client, self.source)
        return token.expires_at
