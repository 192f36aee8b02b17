"""Signing in to Microsoft 365 with MSAL (Microsoft Authentication Library for Python).

The school's own Entra ID app registration (a public client with the delegated
``SMTP.Send`` permission) is named by ``smtp.client_id`` and ``smtp.tenant``. ``mailer
login`` uses MSAL's device-code flow (RFC 8628: a code typed at microsoft.com/devicelogin
on any device, so it works where no browser can open on this computer) or its browser flow;
MSAL's token cache (refresh token, access token, account) is serialised into the keyring
(:mod:`mailer.oauth.store`) after every change.

Scope: ``https://outlook.office.com/SMTP.Send`` (Microsoft, "Authenticate an IMAP, POP or
SMTP connection using OAuth"); MSAL adds ``offline_access``, ``openid`` and ``profile``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailer.config import SmtpConfig
from mailer.errors import SignInError
from mailer.oauth import store, words
from mailer.oauth.base import AccessToken, Memo, endpoint_override

#: Scope for SMTP AUTH with XOAUTH2 to Exchange Online.
SCOPES = ["https://outlook.office.com/SMTP.Send"]

#: The public cloud's authority host.
AUTHORITY_HOST = "https://login.microsoftonline.com"


class MicrosoftSignIn:
    """Sign-in to Microsoft 365 for one mailbox through one app registration.

    Args:
        smtp: ``provider: microsoft365``, ``client_id``, ``tenant`` and ``username``.

    Every method raises :class:`~mailer.errors.SignInError` with words from
    :mod:`mailer.oauth.words` (never a token) when the sign-in cannot be done.
    """

    provider = "microsoft365"

    def __init__(self, smtp: SmtpConfig) -> None:
        import msal

        self.smtp = smtp
        self.username = smtp.username
        self.entry = store.entry_name(self.provider, smtp.client_id, smtp.username)
        self._cache = msal.SerializableTokenCache()
        self._loaded = False
        self._app: Any = None
        self._memo = Memo()

    # -- the keyring ------------------------------------------------------------------

    def _load(self) -> None:
        if not self._loaded:
            text = store.load(self.entry)
            if text:
                self._cache.deserialize(text)
            self._loaded = True

    def _save(self) -> None:
        if self._cache.has_state_changed:
            store.save(self.entry, self._cache.serialize())
            self._cache.has_state_changed = False

    def _accounts(self) -> list[dict[str, Any]]:
        """The cached accounts (from the keyring; no network)."""
        self._load()
        return [
            a for a in self._cache.search(self._cache.CredentialType.ACCOUNT)
            if str(a.get("username", "")).lower() == self.username.lower()
        ]

    # -- MSAL ---------------------------------------------------------------------------

    def _application(self) -> Any:
        """MSAL's ``PublicClientApplication`` (it reads the tenant's OpenID configuration
        from the authority, so a wrong tenant is found here)."""
        if self._app is not None:
            return self._app
        import msal
        import requests

        self._load()
        override = endpoint_override()
        authority = f"{override or AUTHORITY_HOST}/{self.smtp.tenant}"
        try:
            self._app = msal.PublicClientApplication(
                self.smtp.client_id,
                authority=authority,
                token_cache=self._cache,
                # Instance discovery asks login.microsoftonline.com whether the authority's
                # host is Microsoft's; only switched off for an override the person chose.
                instance_discovery=False if override else None,
            )
        except ValueError as exc:  # tenant discovery answered 400: no such tenant
            text = str(exc)
            raise SignInError(words.oauth_error_words(self.smtp, {
                "error": "invalid_tenant", "error_description": text})) from None
        except requests.RequestException as exc:
            raise SignInError(words.unreachable_words(self.smtp, exc)) from None
        return self._app

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import requests

        try:
            return fn(*args, **kwargs)
        except requests.RequestException as exc:
            raise SignInError(words.unreachable_words(self.smtp, exc)) from None
        except (RuntimeError, ValueError) as exc:  # MSAL's checks of the service's answer
            raise SignInError(
                f"the sign-in to Microsoft 365 did not finish ({str(exc)[:200]}). Run "
                "'mailer login' again. Nothing was kept."
            ) from None

    # -- what the CLI and the transport use -----------------------------------------------

    def account(self) -> str | None:
        """The mailbox signed in as, from the keyring alone, or ``None``."""
        found = self._accounts()
        return str(found[0]["username"]) if found else None

    def login(self, say: Callable[[str], None], *, device_code: bool = True) -> str:
        """Sign in once, asking the person: the device-code flow (``say`` shows Microsoft's
        "To sign in, use a web browser to open the page ... and enter the code ..."), or
        with ``device_code=False`` MSAL's browser flow on a loopback redirect. Keeps the
        token cache in the keyring. Returns the account's user name.

        Raises:
            SignInError: declined, timed out, wrong client id or tenant, missing consent,
                signed in as another mailbox, or no keyring.
        """
        store.load(self.entry)  # no keyring: say so before anyone types a code
        app = self._application()
        if device_code:
            flow = self._call(app.initiate_device_flow, scopes=SCOPES)
            if "user_code" not in flow:
                raise SignInError(words.oauth_error_words(self.smtp, flow))
            say(f"{flow['message']} Sign in as {self.username}.")
            result = self._call(app.acquire_token_by_device_flow, flow)
        else:
            say("A browser window opens to sign in to Microsoft 365 as "
                f"{self.username}. Come back here when it says you can close it.")
            result = self._call(app.acquire_token_interactive, SCOPES,
                                login_hint=self.username, prompt="select_account")
        if "access_token" not in result:
            raise SignInError(words.oauth_error_words(self.smtp, result))
        claims = result.get("id_token_claims") or {}
        signed_in = str(claims.get("preferred_username") or claims.get("upn") or "")
        if signed_in.lower() != self.username.lower():
            for account in app.get_accounts(username=signed_in or None):
                app.remove_account(account)
            raise SignInError(
                f"you signed in as {signed_in or 'another account'}, but mailer.yaml sends "
                f"from {self.username} (smtp.username). Run 'mailer login' again and sign in "
                f"as {self.username}, or change smtp.username. Nothing was kept."
            )
        self._save()
        with self._memo.lock:
            self._memo.token = _token(result)
        return signed_in

    def logout(self) -> bool:
        """Remove the sign-in from the keyring. True when there was one."""
        self._memo.token = None
        return store.delete(self.entry)

    def access_token(self, refused: AccessToken | None = None) -> AccessToken:
        """An access token from the keyring's cache, refreshed silently with the refresh
        token when it is within 5 minutes of expiry or ``refused`` by the server.

        Raises:
            SignInError: not signed in (run ``mailer login``), the refresh token expired or
                was revoked (``invalid_grant``), consent withdrawn, or no keyring.
        """
        with self._memo.lock:
            token = self._memo.reusable(refused)
            if token is not None:
                return token
            accounts = self._accounts()
            if not accounts:
                raise SignInError(words.not_signed_in(self.smtp))
            app = self._application()
            account = app.get_accounts(username=accounts[0]["username"])
            if not account:
                raise SignInError(words.not_signed_in(self.smtp))
            result = self._call(app.acquire_token_silent_with_error, SCOPES,
                                account=account[0], force_refresh=refused is not None)
            if not result:
                raise SignInError(words.not_signed_in(self.smtp))
            if "access_token" not in result:
                raise SignInError(words.oauth_error_words(self.smtp, result))
            self._save()
            self._memo.token = _token(result)
            return self._memo.token


def _token(result: dict[str, Any]) -> AccessToken:
    import time

    return AccessToken(str(result["access_token"]),
                       time.time() + float(result.get("expires_in") or 3600))
