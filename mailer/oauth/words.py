"""What to tell a person when signing in goes wrong: one or two sentences saying what to do.

Two kinds of refusal are worded here:

- an OAuth2 error from the sign-in service (RFC 6749 §5.2 ``error`` codes, with Microsoft
  Entra ID's ``AADSTS`` numbers in ``error_description`` and Google's descriptions);
- an SMTP server refusing to sign in (RFC 4954 §6 reply 535, with Microsoft 365's enhanced
  status codes ``5.7.139``, ``5.7.3``, ``5.7.30`` and Google's ``5.7.8``).

No function here ever puts a token in its words: only error codes and descriptions the
services send, which carry no secrets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mailer.config import SmtpConfig

#: The README section a person is sent to for what IT must set up.
README_SECTION = "the README's 'Microsoft 365' section"


def provider_name(smtp: SmtpConfig) -> str:
    """``Microsoft 365``, ``Google`` or the host name."""
    return {"microsoft365": "Microsoft 365", "google": "Google"}.get(smtp.provider, smtp.host)


def not_signed_in(smtp: SmtpConfig) -> str:
    """No sign-in in the keyring for this mailbox and app registration."""
    return (
        f"mailer is not signed in to {provider_name(smtp)} as {smtp.username} yet. Run "
        "'mailer login' once (it keeps the sign-in in this computer's keyring), then run "
        "this command again. Nothing was sent."
    )


def login_again(smtp: SmtpConfig, why: str) -> str:
    """The stored sign-in no longer works (expired, revoked, password changed)."""
    return (
        f"the sign-in to {provider_name(smtp)} as {smtp.username} has {why}. Run "
        "'mailer login' again, then run this command again. Nothing was sent."
    )


def oauth_lines(smtp: SmtpConfig) -> str:
    """The lines to add to ``mailer.yaml``'s smtp section to sign in with OAuth2."""
    if smtp.provider == "google":
        return ("  auth: oauth2\n"
                "  client_id: YOUR-CLIENT-ID.apps.googleusercontent.com")
    return ("  auth: oauth2\n"
            "  client_id: 00000000-0000-0000-0000-000000000000   # Application (client) ID\n"
            "  tenant: school.org.uk                             # or the Directory (tenant) ID")


def _aadsts(description: str) -> str:
    found = re.search(r"AADSTS(\d+)", description)
    return found.group(1) if found else ""


def oauth_error_words(smtp: SmtpConfig, result: Mapping[str, Any]) -> str:
    """Words for an OAuth2 error response ``result`` (``error``, ``error_description``,
    ``suberror``, as MSAL returns it and as Google's token endpoint sends it).

    Sources: RFC 6749 §5.2 and RFC 8628 §3.5 error codes; Microsoft Entra "AADSTS error
    codes" (65001 consent, 700016 unknown application, 90002 unknown tenant, 7000218 public
    client flows off, 700082/50173/70043 expired or revoked refresh token).
    """
    error = str(result.get("error") or "")
    description = str(result.get("error_description") or "")
    suberror = str(result.get("suberror") or "")
    code = _aadsts(description)
    where = provider_name(smtp)
    client = f"smtp.client_id ({smtp.client_id})"
    unknown_client = error in ("invalid_client", "unauthorized_client") or code in (
        "700016", "700038")
    if code == "65001" or suberror == "consent_required" or (
            not code and not unknown_client and "consent" in description.lower()):
        return (
            f"{where} says nobody has consented to mailer sending mail for {smtp.username}. "
            "Ask your IT administrator to grant admin consent for the app registration's "
            "SMTP.Send permission (Entra ID > App registrations > API permissions), then run "
            "'mailer login' again. Nothing was sent."
            if smtp.provider == "microsoft365" else
            f"{where} did not get permission to send mail for {smtp.username} (the consent "
            "screen was declined or the scope https://mail.google.com/ is not allowed for the "
            "OAuth client). Run 'mailer login' again and allow access. Nothing was sent."
        )
    if error in ("access_denied", "authorization_declined"):
        return (
            f"the sign-in to {where} was declined, so mailer has no permission to send mail "
            f"for {smtp.username}. Run 'mailer login' again and accept. Nothing was sent."
        )
    if code == "7000218":
        return (
            f"the app registration {smtp.client_id} does not allow sign-in from a program "
            "like mailer. Ask your IT administrator to set 'Allow public client flows' to Yes "
            "(Entra ID > App registrations > Authentication), then run 'mailer login' again. "
            "Nothing was sent."
        )
    if error == "invalid_tenant" or code in ("90002", "90023"):
        return (
            f"{where} does not know the tenant '{smtp.tenant}'. Set smtp.tenant to your "
            "school's Microsoft 365 domain (for example school.org.uk) or the Directory "
            "(tenant) ID on the app registration's Overview page. Nothing was sent."
        )
    if unknown_client:
        if smtp.provider == "google":
            return (
                f"Google does not accept the OAuth client {client}, or its client secret. "
                "Check both against the OAuth client (type Desktop app) in the Google Cloud "
                "console, then run 'mailer login' again. Nothing was sent."
            )
        return (
            f"Microsoft 365 does not know the app registration {client} in tenant "
            f"'{smtp.tenant}'. Check both against the app registration's Overview page "
            "(Application (client) ID, Directory (tenant) ID). Nothing was sent."
        )
    if error == "invalid_scope" or code in ("70011", "650053"):
        scope = "SMTP.Send" if smtp.provider == "microsoft365" else "https://mail.google.com/"
        return (
            f"the app registration {smtp.client_id} may not ask for permission to send mail. "
            f"Ask your IT administrator to add the permission ({scope}) "
            "to it, then run 'mailer login' again. Nothing was sent."
        )
    if error == "expired_token":
        return (
            "the sign-in code was not entered in time. Run 'mailer login' again and enter "
            "the code within 15 minutes. Nothing was sent."
        )
    if error == "invalid_grant":
        return login_again(smtp, "expired or was withdrawn (for example after a password "
                                 "change, or 90 days unused)")
    detail = f"{error}: {description}".strip(": ").splitlines()[0] if error or description \
        else "no reason given"
    return (
        f"{where} refused the sign-in ({detail[:300]}). Check smtp.client_id"
        f"{' and smtp.tenant' if smtp.provider == 'microsoft365' else ''}, then run "
        "'mailer login' again. Nothing was sent."
    )


def unreachable_words(smtp: SmtpConfig, exc: BaseException) -> str:
    """The sign-in service cannot be reached (offline, proxy, TLS)."""
    host = "login.microsoftonline.com" if smtp.provider == "microsoft365" else \
        "oauth2.googleapis.com"
    return (
        f"cannot reach {provider_name(smtp)}'s sign-in service ({host}): "
        f"{type(exc).__name__}. Check that this computer is online, then try again. Nothing "
        "was sent."
    )


_ENHANCED = re.compile(r"^\s*(\d\.\d{1,3}\.\d{1,3})\b")


def enhanced_code(text: str) -> str:
    """The RFC 3463 enhanced status code that starts a reply's text (``5.7.139``), or ""."""
    found = _ENHANCED.match(text)
    return found.group(1) if found else ""


def no_xoauth2_words(where: str, offered: str) -> str:
    """The server at ``where`` (``host:port``) does not offer AUTH XOAUTH2, only the
    mechanisms ``offered`` (``PLAIN, LOGIN``, or ``none``)."""
    return (f"the server {where} does not offer sign-in with OAuth2 "
            f"(XOAUTH2; it offers: {offered}). 'auth: oauth2' works with Microsoft 365 and "
            "Google: check smtp.host, or use 'auth: password' for this server.")


def smtp_auth_words(smtp: SmtpConfig, code: int, text: str) -> str | None:
    """Words for a server refusing to sign in, or ``None`` when nothing specific applies.

    Sources: Microsoft "Enable or disable SMTP AUTH in Exchange Online" and "Deprecation of
    Basic authentication in Exchange Online" (``535 5.7.139 Authentication unsuccessful``,
    ``550 5.7.30 Basic authentication is not supported for Client Submission``,
    ``535 5.7.3 Authentication unsuccessful``); Google "SMTP error reference" (``535 5.7.8
    Username and Password not accepted``).
    """
    enhanced = enhanced_code(text)
    first = text.strip().splitlines()[0] if text.strip() else ""
    reply = f"{code} {first}".strip()
    where = provider_name(smtp)
    oauth = smtp.auth == "oauth2"
    if enhanced == "5.7.30" or "basic authentication is not supported" in text.lower():
        return (
            f"{where} no longer accepts a password from programs like mailer ({reply}). "
            "Sign in with OAuth2 instead: add these lines to the smtp section of mailer.yaml "
            f"(your IT administrator has the IDs; see the README), then run 'mailer login':\n"
            f"{oauth_lines(smtp)}\nNothing was sent."
        )
    if enhanced == "5.7.139":
        if oauth:
            return (
                f"{where} has SMTP sign-in turned off for {smtp.username} or for the whole "
                f"tenant ({reply}). Ask your IT administrator to allow 'Authenticated SMTP' "
                "for this mailbox (Microsoft 365 admin centre > Users > Active users > Mail > "
                "Manage email apps). Nothing was sent."
            )
        return (
            f"{where} refused the password for {smtp.username} ({reply}): basic (password) "
            "sign-in or SMTP sign-in is turned off for this mailbox or tenant. Switch to "
            "OAuth2 by adding these lines to the smtp section of mailer.yaml, then run "
            f"'mailer login':\n{oauth_lines(smtp)}\nIf you must keep the password, ask your IT "
            "administrator to allow 'Authenticated SMTP' for the mailbox. Nothing was sent."
        )
    if oauth and code == 535:
        return (
            f"{where} refused the sign-in for {smtp.username} ({reply}), even with a fresh "
            "access token. Run 'mailer login' again, signing in as "
            f"{smtp.username}; if that does not help, ask your IT administrator to check "
            "that the app registration has the SMTP.Send permission and the mailbox allows "
            "Authenticated SMTP. Nothing was sent."
            if smtp.provider != "google" else
            f"Google refused the sign-in for {smtp.username} ({reply}), even with a fresh "
            f"access token. Run 'mailer login' again, signing in as {smtp.username}. "
            "Nothing was sent."
        )
    return None


def stopped_sign_in_words(reply: str) -> str | None:
    """Words for a run stopped by a sign-in reply during the send (at MAIL FROM, after AUTH
    was accepted), when only the reply is known: Microsoft 365's ``550 5.7.30`` (basic
    authentication is not supported: switch to OAuth2) and ``5.7.139``; ``None`` for other
    replies."""
    found = re.search(r"\b5\.7\.(30|139)\b", reply)
    if not found:
        return None
    return (
        f"Microsoft 365 no longer accepts a password from programs like mailer ({reply}). "
        "Sign in with OAuth2 instead: add these lines to the smtp section of mailer.yaml "
        "(your IT administrator has the IDs; see the README), then run 'mailer login':\n"
        f"{oauth_lines(SmtpConfig(provider='microsoft365'))}"
    )
