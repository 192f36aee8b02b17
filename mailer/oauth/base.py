"""The shape every way of getting an access token shares.

An :class:`AccessToken` never shows its value in ``repr`` or ``str``, so it cannot end up
in a log or a traceback by accident.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Environment variable naming another sign-in service address (a test's local stand-in, or
#: a sovereign cloud such as https://login.microsoftonline.us). Microsoft: the authority
#: host, followed by ``/TENANT``; Google: ``BASE/o/oauth2/auth`` and ``BASE/token``.
ENDPOINT_ENV = "MAILER_OAUTH_ENDPOINT"

#: Refresh an access token this many seconds before it expires (MSAL uses 5 minutes too).
EARLY_S = 300.0


def endpoint_override() -> str:
    """The address in :data:`ENDPOINT_ENV` without a trailing slash, or ""."""
    return os.environ.get(ENDPOINT_ENV, "").strip().rstrip("/")


@dataclass(frozen=True)
class AccessToken:
    """A bearer token for XOAUTH2.

    Attributes:
        value: the token (kept out of ``repr``).
        expires_at: when it stops working, in seconds since the epoch (``time.time()``);
            ``inf`` when unknown (a token from ``token_env``).
    """

    value: str = field(repr=False)
    expires_at: float = float("inf")

    def __str__(self) -> str:
        return "AccessToken(...)"

    def expires_within(self, seconds: float) -> bool:
        """True when the token stops working within ``seconds`` from now."""
        return self.expires_at - time.time() < seconds


class TokenSource(Protocol):
    """Gives access tokens without asking anyone (used by ``mailer send``).

    Attributes:
        username: the mailbox (XOAUTH2's ``user=``).
    """

    username: str

    def access_token(self, refused: AccessToken | None = None) -> AccessToken:
        """A token valid for at least a few minutes. With ``refused``, the server refused
        that token: return a newer one, refreshing it unless another connection already did.

        Raises:
            mailer.errors.SignInError: not signed in, or the sign-in no longer works.
        """
        ...


class SignIn(TokenSource, Protocol):
    """A provider's interactive sign-in kept in the keyring."""

    def login(self, say: Callable[[str], None], *, device_code: bool = True) -> str:
        """Sign in (asking the person); returns the account signed in as."""
        ...

    def logout(self) -> bool:
        """Forget the sign-in; True when there was one."""
        ...

    def account(self) -> str | None:
        """Who is signed in, from the keyring alone (no network), or ``None``."""
        ...


class Memo:
    """The last token handed out, shared by the connections of one send, so that one
    refusal seen by three connections leads to one refresh, not three."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: AccessToken | None = None

    def reusable(self, refused: AccessToken | None) -> AccessToken | None:
        """The remembered token, when it is not the refused one and not about to expire."""
        token = self.token
        if token is None or token.expires_within(EARLY_S):
            return None
        if refused is not None and token.value == refused.value:
            return None
        return token


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JSON Web Token (RFC 7519), read without checking its signature:
    only for showing who signed in, never for trusting it. ``{}`` when unreadable."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
