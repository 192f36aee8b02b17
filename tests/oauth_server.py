"""A local stand-in for Microsoft's and Google's sign-in services, for tests.

An HTTPS server on 127.0.0.1 (certificate from the test CA made by trustme) that answers
the requests MSAL and google-auth-oauthlib make, with the bodies the real services send
(Microsoft identity platform v2.0 endpoints and their AADSTS errors; Google's OAuth 2.0
endpoints for installed apps and their errors):

Microsoft (``/TENANT/...``):
    GET  /TENANT/v2.0/.well-known/openid-configuration   tenant discovery (400 invalid_tenant)
    POST /TENANT/oauth2/v2.0/devicecode                    device authorisation (RFC 8628)
    GET  /TENANT/oauth2/v2.0/authorize                     browser sign-in: redirects back
    POST /TENANT/oauth2/v2.0/token                         device_code, authorization_code
                                                           and refresh_token grants

Google:
    GET  /o/oauth2/auth    the consent page: redirects the browser back with a code
    POST /token            authorization_code and refresh_token grants

Point the code at it with ``MAILER_OAUTH_ENDPOINT=https://127.0.0.1:PORT`` and
``REQUESTS_CA_BUNDLE=<the test CA>`` (requests' documented variable, used by MSAL and
google-auth alike).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlparse

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (MSAL and google-auth read ID token claims without checking the
    signature; the TLS connection to the token endpoint is the trust)."""
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64url(json.dumps(claims).encode())}.sig"


@dataclass
class Accounts:
    """What the stand-in knows and how it should behave. Tests change these fields."""

    tenants: set[str] = field(default_factory=lambda: {"school.org.uk", TENANT_ID})
    ms_client_id: str = "11111111-2222-3333-4444-555555555555"
    google_client_id: str = "123-abc.apps.googleusercontent.com"
    google_secret: str = "GOCSPX-test-secret"
    #: the account the person signs in as (their choice at the consent page)
    user: str = "office@school.org.uk"
    #: device-code outcome after ``pending`` polls: "ok", "declined", "consent",
    #: "public_client_off", "expired"
    device_outcome: str = "ok"
    pending: int = 1
    #: Google consent page outcome: "ok", "declined", or "no_mail" (the person unticked
    #: the Gmail permission on Google's granular consent screen)
    google_outcome: str = "ok"
    #: refresh tokens that have been revoked (invalid_grant)
    revoked: set[str] = field(default_factory=set)
    #: seconds each access token lasts
    lifetime_s: int = 3599
    #: every access token issued, in order; and the refresh token last issued
    issued: list[str] = field(default_factory=list)
    refresh_tokens: set[str] = field(default_factory=set)
    #: requests seen, as (method, path, grant_type or "")
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_tokens(self, prefix: str) -> tuple[str, str]:
        with self.lock:
            access = f"{prefix}-at-{len(self.issued) + 1}-{secrets.token_hex(8)}"
            refresh = f"{prefix}-rt-{secrets.token_hex(8)}"
            self.issued.append(access)
            self.refresh_tokens.add(refresh)
        return access, refresh

    def grants(self, grant: str) -> int:
        """How many token requests of this grant type were made."""
        return sum(1 for _, _, g in self.seen if g == grant)


def _aad_error(error: str, code: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: 0000 Correlation ID: 0000 "
                             "Timestamp: 2026-12-01 10:00:00Z",
        "error_codes": [int(code)],
        "timestamp": "2026-12-01 10:00:00Z",
        "trace_id": "0000", "correlation_id": "0000",
        "error_uri": "https://login.microsoftonline.com/error?code=" + code,
        **extra,
    }


class _Handler(BaseHTTPRequestHandler):
    server: OAuthServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):  # client authentication, RFC 6749 §2.3.1
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", unquote_plus(client_id))
            form.setdefault("client_secret", unquote_plus(secret))
        return form

    # -- GET ----------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        acc = self.server.accounts
        acc.seen.append(("GET", url.path, ""))
        if url.path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = parts[0]
            if tenant not in acc.tenants:
                self._json(400, _aad_error(
                    "invalid_tenant", "90002",
                    f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                    "tenant ID and are signing into the correct cloud."))
                return
            base = f"{self.server.base_url}/{tenant}"
            self._json(200, {
                "issuer": f"{self.server.base_url}/{TENANT_ID}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
            })
            return
        if url.path.endswith("/oauth2/v2.0/authorize"):  # Microsoft's browser sign-in
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            code = "0.AAAA" + secrets.token_hex(12)
            self.server.codes[code] = query.get("scope", "")
            self.server.nonces[code] = query.get("nonce", "")
            back = {"code": code, "state": query.get("state", ""),
                    "session_state": secrets.token_hex(8)}
            if query.get("response_mode") == "form_post":  # what MSAL asks for
                inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                                 for k, v in back.items())
                page = (f'<html><body onload="document.forms[0].submit()"><form method="post"'
                        f' action="{html.escape(query.get("redirect_uri", ""))}">{inputs}'
                        "</form></body></html>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            self.send_response(302)
            self.send_header("Location", f"{query.get('redirect_uri', '')}?{urlencode(back)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if url.path == "/o/oauth2/auth":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            redirect = query.get("redirect_uri", "")
            if query.get("client_id") != acc.google_client_id:
                page = b"<h1>Access blocked: Authorisation error</h1><p>The OAuth client " \
                       b"was not found.</p><p>Error 401: invalid_client</p>"
                self.send_response(401)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            if acc.google_outcome == "declined":
                back = {"error": "access_denied", "state": query.get("state", "")}
            else:
                code = "4/0A" + secrets.token_hex(12)
                self.server.codes[code] = query.get("scope", "")
                back = {"state": query.get("state", ""), "code": code,
                        "scope": query.get("scope", "")}
            self.send_response(302)
            self.send_header("Location", f"{redirect}?{urlencode(back)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._json(404, {"error": "not_found"})

    # -- POST ---------------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        form = self._form()
        acc = self.server.accounts
        grant = form.get("grant_type", "")
        acc.seen.append(("POST", url.path, grant))
        if url.path.endswith("/oauth2/v2.0/devicecode"):
            self._devicecode(form)
        elif url.path.endswith("/oauth2/v2.0/token"):
            self._ms_token(url.path.strip("/").split("/")[0], form)
        elif url.path == "/token":
            self._google_token(form)
        else:
            self._json(404, {"error": "not_found"})

    def _devicecode(self, form: dict[str, str]) -> None:
        acc = self.server.accounts
        if form.get("client_id") != acc.ms_client_id:
            self._json(400, _aad_error(
                "unauthorized_client", "700016",
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory 'School'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in "
                "the tenant. You may have sent your authentication request to the wrong "
                "tenant."))
            return
        code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        device = secrets.token_urlsafe(24)
        self.server.device_codes[device] = acc.pending
        self._json(200, {
            "user_code": code,
            "device_code": device,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": "To sign in, use a web browser to open the page "
                       f"https://microsoft.com/devicelogin and enter the code {code} to "
                       "authenticate.",
        })

    def _ms_success(self, tenant: str, nonce: str = "") -> None:
        acc = self.server.accounts
        access, refresh = acc.new_tokens("ms")
        now = int(time.time())
        oid = "00000000-0000-0000-66f3-3332eca7ea81"
        self._json(200, {
            "token_type": "Bearer",
            "scope": "https://outlook.office.com/SMTP.Send",
            "expires_in": acc.lifetime_s,
            "ext_expires_in": acc.lifetime_s,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": jwt({
                "aud": acc.ms_client_id, "iss": f"{self.server.base_url}/{TENANT_ID}/v2.0",
                "iat": now, "nbf": now, "exp": now + 3600, "name": "School Office",
                "oid": oid, "preferred_username": acc.user, "sub": "sub-123",
                "tid": TENANT_ID, "ver": "2.0", **({"nonce": nonce} if nonce else {}),
            }),
            "client_info": b64url(json.dumps({"uid": oid, "utid": TENANT_ID}).encode()),
        })

    def _ms_token(self, tenant: str, form: dict[str, str]) -> None:
        acc = self.server.accounts
        grant = form.get("grant_type", "")
        if form.get("client_id") != acc.ms_client_id:
            self._json(400, _aad_error("unauthorized_client", "700016",
                                       "Application with identifier was not found."))
            return
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = form.get("device_code", "")
            left = self.server.device_codes.get(device)
            if left is None:
                self._json(400, _aad_error("invalid_grant", "70000", "The provided value for "
                                           "the input parameter 'device_code' is not valid."))
                return
            if left > 0:
                self.server.device_codes[device] = left - 1
                self._json(400, _aad_error(
                    "authorization_pending", "70016", "OAuth 2.0 device flow error. "
                    "Authorization is pending. Continue polling."))
                return
            outcome = acc.device_outcome
            if outcome == "declined":
                self._json(400, _aad_error("authorization_declined", "70000",
                                           "The user denied the authorization request."))
            elif outcome == "consent":
                self._json(400, _aad_error(
                    "invalid_grant", "65001",
                    f"The user or administrator has not consented to use the application "
                    f"with ID '{acc.ms_client_id}' named 'mailer'. Send an interactive "
                    "authorization request for this user and resource.",
                    suberror="consent_required"))
            elif outcome == "public_client_off":
                self._json(401, _aad_error(
                    "invalid_client", "7000218", "The request body must contain the "
                    "following parameter: 'client_assertion' or 'client_secret'."))
            elif outcome == "expired":
                self._json(400, _aad_error("expired_token", "70020",
                                           "The provided value for the input parameter "
                                           "'device_code' is not valid. This device code "
                                           "has expired."))
            else:
                self._ms_success(tenant)
            return
        if grant == "authorization_code":
            code = form.get("code", "")
            if self.server.codes.pop(code, None) is None:
                self._json(400, _aad_error("invalid_grant", "70000", "The provided "
                                           "authorization code is invalid."))
                return
            self._ms_success(tenant, self.server.nonces.pop(code, ""))
            return
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token in acc.revoked or token not in acc.refresh_tokens:
                self._json(400, _aad_error(
                    "invalid_grant", "700082", "The refresh token has expired due to "
                    "inactivity. The token was issued on 2026-08-01T10:00:00Z and was "
                    "inactive for 90.00:00:00.", suberror="bad_token"))
                return
            self._ms_success(tenant)
            return
        self._json(400, _aad_error("unsupported_grant_type", "70003",
                                   "The app requested an unsupported grant type."))

    def _google_token(self, form: dict[str, str]) -> None:
        acc = self.server.accounts
        grant = form.get("grant_type", "")
        if form.get("client_id") != acc.google_client_id or \
                form.get("client_secret") != acc.google_secret:
            self._json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        now = int(time.time())
        if grant == "authorization_code":
            scope = self.server.codes.pop(form.get("code", ""), None)
            if scope is None:
                self._json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                return
            access, refresh = acc.new_tokens("ya29")
            if acc.google_outcome == "no_mail":
                scope = " ".join(s for s in scope.split() if s != "https://mail.google.com/")
            self._json(200, {
                "access_token": access, "expires_in": acc.lifetime_s, "refresh_token": refresh,
                "scope": scope, "token_type": "Bearer",
                "id_token": jwt({"iss": "https://accounts.google.com",
                                 "aud": acc.google_client_id, "sub": "1234567890",
                                 "email": acc.user, "email_verified": True,
                                 "iat": now, "exp": now + 3600}),
            })
            return
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token in acc.revoked or token not in acc.refresh_tokens:
                self._json(400, {"error": "invalid_grant",
                                 "error_description": "Token has been expired or revoked."})
                return
            access, _ = acc.new_tokens("ya29")
            self._json(200, {"access_token": access, "expires_in": acc.lifetime_s,
                             "scope": "https://mail.google.com/ openid "
                                      "https://www.googleapis.com/auth/userinfo.email",
                             "token_type": "Bearer"})
            return
        self._json(400, {"error": "unsupported_grant_type",
                         "error_description": "Invalid grant_type: " + grant})


class OAuthServer(ThreadingHTTPServer):
    """The stand-in, serving HTTPS on 127.0.0.1 in a background thread.

    Args:
        context: the server's TLS context (from the test CA).
    """

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, accounts: Accounts | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.accounts = accounts or Accounts()
        self.device_codes: dict[str, int] = {}
        self.codes: dict[str, str] = {}
        self.nonces: dict[str, str] = {}
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> OAuthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
