"""OAuth2 sign-in for SMTP (``smtp.auth: oauth2``): Microsoft 365 and Google Workspace.

- :func:`sign_in_for` gives the provider's interactive sign-in (``mailer login``,
  ``mailer logout``, who is signed in), kept in the keyring (:mod:`mailer.oauth.store`).
- :func:`token_source_for` gives what ``mailer send`` uses to get access tokens silently:
  the keyring's sign-in, or with ``smtp.token_env`` an access token from the environment
  (obtained elsewhere, for unattended use).
- The SMTP transport signs in with XOAUTH2 (aiosmtplib's ``SMTP.auth_xoauth2``; the
  mechanism is Google's "OAuth 2.0 Mechanism" and Microsoft's "Authenticate an IMAP, POP or
  SMTP connection using OAuth").

A token is never printed, logged or written to a file.
"""

from __future__ import annotations

import os

from mailer.config import SmtpConfig
from mailer.errors import SignInError
from mailer.oauth.base import AccessToken, SignIn, TokenSource

__all__ = ["AccessToken", "EnvTokenSource", "SignIn", "TokenSource", "sign_in_for",
           "sign_in_status", "token_source_for"]


class EnvTokenSource:
    """An access token read from the environment variable ``smtp.token_env``, for scheduled
    or unattended sends where another program gets the token. It cannot be refreshed here:
    when the server refuses it, the words say to put a new one there.
    """

    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp
        self.username = smtp.username
        self.variable = smtp.token_env

    def access_token(self, refused: AccessToken | None = None) -> AccessToken:
        """The variable's current value (read again on every call, so a scheduler can
        replace it).

        Raises:
            SignInError: the variable is empty, or holds the token the server refused.
        """
        value = os.environ.get(self.variable, "").strip()
        if not value:
            raise SignInError(
                f"smtp.token_env names the environment variable {self.variable}, but it is "
                "not set. Put an access token for the mailbox in it (or delete the token_env "
                "line and run 'mailer login'). Nothing was sent."
            )
        if refused is not None and refused.value == value:
            raise SignInError(
                f"the server refused the access token in {self.variable} (it may have "
                "expired: they last about an hour). Put a new token in it and run the same "
                "command again; nobody is sent twice. Nothing more was sent."
            )
        return AccessToken(value)


def sign_in_for(smtp: SmtpConfig) -> SignIn:
    """The interactive sign-in for ``smtp`` (``provider`` microsoft365 or google).

    Raises:
        SignInError: ``auth`` is not ``oauth2``, or the provider has no sign-in here.
    """
    if smtp.auth != "oauth2":
        raise SignInError(
            "mailer login is for signing in with OAuth2: add 'auth: oauth2' (with client_id, "
            "and tenant for Microsoft 365) to the smtp section of mailer.yaml. With 'auth: "
            "password' there is nothing to log in to; the password comes from "
            f"{smtp.password_env or 'the environment'} or the keyring."
        )
    if smtp.provider == "microsoft365" and smtp.client_id:
        from mailer.oauth.microsoft import MicrosoftSignIn

        return MicrosoftSignIn(smtp)
    if smtp.provider == "google" and smtp.client_id:
        from mailer.oauth.google import GoogleSignIn

        return GoogleSignIn(smtp)
    raise SignInError(
        f"smtp.token_env ({smtp.token_env}) gives mailer its access token, so there is "
        "nothing to log in to. To sign in with 'mailer login' instead, set provider "
        "(microsoft365 or google) and client_id, and delete the token_env line."
    )


def token_source_for(smtp: SmtpConfig) -> TokenSource:
    """What ``mailer send`` gets access tokens from: ``token_env`` when set, else the
    keyring's sign-in. Makes no network call and reads nothing yet."""
    if smtp.token_env:
        return EnvTokenSource(smtp)
    return sign_in_for(smtp)


def sign_in_status(smtp: SmtpConfig) -> dict[str, object] | None:
    """Who ``mailer send`` signs in as, for ``mailer status``; ``None`` unless ``auth:
    oauth2``. Reads the keyring only (no network, no token in the result).

    Returns:
        ``{"provider", "mailbox", "signed_in": bool, "source": "keyring" | "token_env",
        "words": one sentence}``.
    """
    if smtp.auth != "oauth2":
        return None
    from mailer.oauth.words import provider_name

    where = provider_name(smtp)
    result: dict[str, object] = {"provider": smtp.provider, "mailbox": smtp.username}
    if smtp.token_env:
        present = bool(os.environ.get(smtp.token_env, "").strip())
        return {**result, "signed_in": present, "source": "token_env", "words": (
            f"Signs in to {where} as {smtp.username} with the access token in "
            f"{smtp.token_env} ({'set' if present else 'not set now'}).")}
    try:
        account = sign_in_for(smtp).account()
    except SignInError as exc:
        return {**result, "signed_in": False, "source": "keyring", "words": str(exc)}
    if account is None:
        return {**result, "signed_in": False, "source": "keyring", "words": (
            f"Not signed in to {where} as {smtp.username}: run 'mailer login' before "
            "sending.")}
    return {**result, "signed_in": True, "source": "keyring", "words": (
        f"Signed in to {where} as {account} (kept in this computer's keyring; "
        "'mailer logout' removes it).")}
