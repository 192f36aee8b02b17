"""Signing in to Google Workspace with google-auth-oauthlib's loopback flow.

The school's own OAuth client of type "Desktop app" is named by ``smtp.client_id``; its
client secret (Google: "the client secret is obviously not treated as a secret" for
installed apps, but it is still kept out of ``mailer.yaml``) is read at ``mailer login``
from the environment variable :data:`CLIENT_SECRET_ENV` or a hidden prompt, and kept in the
keyring with the refresh token, as google-auth's authorised-user JSON plus the account.

``mailer login`` opens the browser at Google's consent page; Google sends the browser back
to a one-request web server on this computer (``http://localhost:PORT/``, RFC 8252 §7.3),
and the code is exchanged for tokens. Refreshing uses ``google.oauth2.credentials``.

Scopes: ``https://mail.google.com/`` (Google, "OAuth 2.0 Mechanism" for SMTP/IMAP), plus
``openid`` and ``userinfo.email`` only to learn which account signed in.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mailer.config import SmtpConfig
from mailer.errors import SignInError
from mailer.oauth import store, words
from mailer.oauth.base import EARLY_S, AccessToken, Memo, endpoint_override, jwt_claims

SCOPES = [
    "https://mail.google.com/",
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
]

#: Environment variable ``mailer login`` reads the OAuth client's secret from.
CLIENT_SECRET_ENV = "MAILER_OAUTH_CLIENT_SECRET"

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
TOKEN_URI = "https://oauth2.googleapis.com/token"

#: Seconds ``mailer login`` waits for the browser to come back.
LOGIN_TIMEOUT_S = 300


def _endpoints() -> tuple[str, str]:
    base = endpoint_override()
    return (f"{base}/o/oauth2/auth", f"{base}/token") if base else (AUTH_URI, TOKEN_URI)


class GoogleSignIn:
    """Sign-in to Google Workspace for one mailbox through one OAuth client.

    Args:
        smtp: ``provider: google``, ``client_id`` and ``username``.
        secret_prompt: reads the client secret without echo when the environment has none.
    """

    provider = "google"

    def __init__(self, smtp: SmtpConfig,
                 secret_prompt: Callable[[str], str] = getpass.getpass) -> None:
        self.smtp = smtp
        self.username = smtp.username
        self.entry = store.entry_name(self.provider, smtp.client_id, smtp.username)
        self._prompt = secret_prompt
        self._memo = Memo()

    def _stored(self) -> dict[str, Any] | None:
        text = store.load(self.entry)
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return data if isinstance(data, dict) and data.get("refresh_token") else None

    def account(self) -> str | None:
        """The account signed in as, from the keyring alone, or ``None``."""
        data = self._stored()
        return str(data.get("account") or self.username) if data else None

    def _client_secret(self) -> str:
        secret = os.environ.get(CLIENT_SECRET_ENV, "").strip()
        if not secret and sys.stdin is not None and sys.stdin.isatty():
            try:
                secret = self._prompt(
                    f"Client secret of the Google OAuth client {self.smtp.client_id}: ").strip()
            except (EOFError, KeyboardInterrupt):
                secret = ""
        if not secret:
            raise SignInError(
                "signing in to Google needs the OAuth client's secret (Google Cloud console > "
                "APIs & Services > Credentials > your Desktop app client). Set the environment "
                f"variable {CLIENT_SECRET_ENV} to it and run 'mailer login' again; mailer keeps "
                "it in the keyring, never in a file."
            )
        return secret

    def login(self, say: Callable[[str], None], *, device_code: bool = True,
              browser: str | None = None) -> str:
        """Sign in once in the browser (Google's installed-app loopback flow; Google has no
        device-code flow for the mail scope, so ``device_code`` is ignored). ``browser`` is
        a :func:`webbrowser.get` name or command line (``None``: the default browser, or
        the ``BROWSER`` environment variable). Returns the account's address.

        Raises:
            SignInError: declined, timed out, wrong client id or secret, signed in as another
                account, or no keyring.
        """
        import webbrowser

        import requests
        from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
        from oauthlib.oauth2.rfc6749 import errors as oauth_errors

        store.load(self.entry)  # no keyring: say so before the browser opens
        secret = self._client_secret()
        auth_uri, token_uri = _endpoints()
        flow = InstalledAppFlow.from_client_config(
            {"installed": {
                "client_id": self.smtp.client_id,
                "client_secret": secret,
                "auth_uri": auth_uri,
                "token_uri": token_uri,
                "redirect_uris": ["http://localhost"],
            }},
            scopes=SCOPES,
        )
        try:
            webbrowser.get(browser)
            can_open = True
        except webbrowser.Error:
            can_open = False
        say("Sign in to Google as " + self.username + (
            " in the browser window that opens." if can_open else
            ": open the address below in a browser on this computer."))
        try:
            creds = flow.run_local_server(
                host="localhost", port=0, open_browser=can_open, browser=browser,
                authorization_prompt_message=(
                    "If no browser opened, open this address on this computer:\n{url}"),
                success_message="mailer is signed in. You can close this window.",
                timeout_seconds=LOGIN_TIMEOUT_S, login_hint=self.username, prompt="consent",
            )
        except oauth_errors.OAuth2Error as exc:
            raise SignInError(words.oauth_error_words(self.smtp, {
                "error": exc.error, "error_description": exc.description or ""})) from None
        except requests.RequestException as exc:
            raise SignInError(words.unreachable_words(self.smtp, exc)) from None
        except WSGITimeoutError:
            raise SignInError(
                "the browser did not come back from Google within 5 minutes. Run "
                "'mailer login' again and finish signing in. Nothing was kept.") from None
        except Warning as exc:  # oauthlib: "Scope has changed" (a box left unticked)
            granted = " ".join(getattr(exc, "new_scope", None) or [])
            raise SignInError(_scope_words(self.smtp, granted)) from None
        except OSError as exc:
            raise SignInError(
                f"mailer could not listen on this computer for Google's answer ({exc}). "
                "Run 'mailer login' again.") from None
        claims = jwt_claims(getattr(creds, "id_token", None) or "")
        signed_in = str(claims.get("email") or "")
        if signed_in.lower() != self.username.lower():
            raise SignInError(
                f"you signed in as {signed_in or 'another account'}, but mailer.yaml sends "
                f"from {self.username} (smtp.username). Run 'mailer login' again and choose "
                f"{self.username}, or change smtp.username. Nothing was kept."
            )
        if not creds.refresh_token:
            raise SignInError(words.oauth_error_words(self.smtp, {
                "error": "access_denied", "error_description": "no refresh token"}))
        with self._memo.lock:
            self._keep_locked(creds, signed_in)
        return signed_in

    def logout(self) -> bool:
        """Remove the sign-in from the keyring. True when there was one."""
        self._memo.token = None
        return store.delete(self.entry)

    def access_token(self, refused: AccessToken | None = None) -> AccessToken:
        """An access token, refreshed silently with the stored refresh token when it is
        within 5 minutes of expiry or ``refused`` by the server.

        Raises:
            SignInError: not signed in, refresh token expired or revoked (``invalid_grant``;
                an app in Testing mode gets 7-day refresh tokens), or no keyring.
        """
        import google.auth.exceptions
        import google.auth.transport.requests
        import requests
        from google.oauth2.credentials import Credentials

        with self._memo.lock:
            token = self._memo.reusable(refused)
            if token is not None:
                return token
            data = self._stored()
            if data is None:
                raise SignInError(words.not_signed_in(self.smtp))
            expiry = None
            if data.get("expiry"):
                try:
                    expiry = datetime.fromisoformat(str(data["expiry"]).rstrip("Z"))
                except ValueError:
                    expiry = None
            # The constructor, not from_authorized_user_info: that one always sends the
            # refresh to Google's own token_uri, whatever the stored data says.
            creds = Credentials(
                token=data.get("token"), refresh_token=data["refresh_token"],
                token_uri=_endpoints()[1], client_id=data.get("client_id"),
                client_secret=data.get("client_secret"), scopes=data.get("scopes"),
                expiry=expiry,
            )
            if refused is None and creds.token and creds.valid and creds.expiry is not None:
                token = _token(creds)
                if not token.expires_within(EARLY_S):
                    self._memo.token = token
                    return token
            try:
                creds.refresh(google.auth.transport.requests.Request())
            except google.auth.exceptions.RefreshError as exc:
                details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) \
                    else {"error": str(exc.args[0]).split(":")[0] if exc.args else ""}
                raise SignInError(words.oauth_error_words(self.smtp, details)) from None
            except (google.auth.exceptions.TransportError, requests.RequestException) as exc:
                raise SignInError(words.unreachable_words(self.smtp, exc)) from None
            self._memo.token = None
            self._keep_locked(creds, str(data.get("account") or self.username))
            return self._memo.token  # type: ignore[return-value]

    def _keep_locked(self, creds: Any, account: str) -> None:
        data = json.loads(creds.to_json())
        data["account"] = account
        store.save(self.entry, json.dumps(data))
        self._memo.token = _token(creds)


def _scope_words(smtp: SmtpConfig, granted: str) -> str:
    """Google's consent screen lets a person untick a permission: without
    ``https://mail.google.com/`` mailer cannot send."""
    if SCOPES[0] in granted.split():
        return words.oauth_error_words(smtp, {"error": "access_denied"})
    return (
        f"Google signed in {smtp.username} without permission to send mail (the box for "
        "'Read, compose, send and permanently delete all your email from Gmail' was not "
        "ticked). Run 'mailer login' again and tick it. Nothing was kept."
    )


def _token(creds: Any) -> AccessToken:
    import calendar

    expiry = creds.expiry  # naive UTC datetime (google-auth's convention)
    expires_at = calendar.timegm(expiry.timetuple()) if expiry is not None else float("inf")
    return AccessToken(str(creds.token), float(expires_at))
