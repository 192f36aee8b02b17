"""OAuth2 sign-in: MSAL and google-auth-oauthlib against a local HTTPS stand-in for
Microsoft's and Google's sign-in services, with the keyring as the only store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mailer.config import SmtpConfig, load_config
from mailer.errors import ConfigError, SignInError
from mailer.oauth import EnvTokenSource, sign_in_for, store, token_source_for
from mailer.oauth.base import AccessToken
from mailer.oauth.google import GoogleSignIn
from mailer.oauth.microsoft import MicrosoftSignIn
from tests.conftest import REPO, set_smtp
from tests.oauth_server import TENANT_ID, OAuthServer
from tests.smtp_server import LocalCA

# A trailing "&": webbrowser runs it in the background, as a real browser returns at once.
BROWSER = f"{sys.executable} {REPO / 'tests' / 'fake_browser.py'} %s &"


def microsoft(**changes: object) -> SmtpConfig:
    base = dict(provider="microsoft365", host="smtp.office365.com", username=
                "office@school.org.uk", auth="oauth2",
                client_id="11111111-2222-3333-4444-555555555555", tenant="school.org.uk")
    base.update(changes)
    return SmtpConfig(**base)  # type: ignore[arg-type]


def google(**changes: object) -> SmtpConfig:
    base = dict(provider="google", host="smtp.gmail.com", username="office@school.org.uk",
                auth="oauth2", client_id="123-abc.apps.googleusercontent.com")
    base.update(changes)
    return SmtpConfig(**base)  # type: ignore[arg-type]


def no_tokens_in(path: Path, idp: OAuthServer) -> None:
    """The keyring file holds the sign-in, and is the only place it is."""
    text = path.read_text()
    assert any(token in text for token in idp.accounts.refresh_tokens)


# -- mailer.yaml ---------------------------------------------------------------------------


def test_oauth2_keys_are_read(workspace: Path) -> None:
    set_smtp(workspace, provider="microsoft365", username="office@school.org.uk",
             auth="oauth2", client_id="11111111-2222-3333-4444-555555555555",
             tenant="school.org.uk")
    smtp = load_config(workspace / "mailer.yaml").smtp
    assert (smtp.auth, smtp.client_id, smtp.tenant, smtp.token_env) == (
        "oauth2", "11111111-2222-3333-4444-555555555555", "school.org.uk", "")
    assert smtp.host == "smtp.office365.com"


@pytest.mark.parametrize(("smtp", "words"), [
    ({"provider": "microsoft365", "username": "a@b.org", "auth": "oauth"},
     "smtp.auth must be password or oauth2, not 'oauth'"),
    ({"provider": "microsoft365", "username": "a@b.org", "auth": "oauth2",
      "tenant": "b.org"}, "needs smtp.client_id: the Application (client) ID"),
    ({"provider": "microsoft365", "username": "a@b.org", "auth": "oauth2",
      "client_id": "x"}, "needs smtp.tenant"),
    ({"provider": "microsoft365", "auth": "oauth2", "client_id": "x", "tenant": "b.org"},
     "needs smtp.username"),
    ({"provider": "google", "username": "a@b.org", "auth": "oauth2"},
     "the Client ID of your school's Google OAuth client"),
    ({"provider": "custom", "host": "mail.b.org", "username": "a@b.org", "auth": "oauth2",
      "client_id": "x"}, "set 'provider: microsoft365' or 'provider: google'"),
    ({"provider": "microsoft365", "username": "a@b.org", "client_id": "x"},
     "smtp.client_id is only used with 'auth: oauth2'"),
])
def test_oauth2_settings_mistakes_are_named(workspace: Path, smtp: dict[str, str],
                                            words: str) -> None:
    set_smtp(workspace, **smtp)
    with pytest.raises(ConfigError) as err:
        load_config(workspace / "mailer.yaml")
    assert words in str(err.value)
    assert "mailer.yaml, line" in str(err.value)


def test_token_env_works_with_any_provider(workspace: Path) -> None:
    set_smtp(workspace, provider="custom", host="mail.b.org", username="a@b.org",
             auth="oauth2", token_env="SMTP_TOKEN")
    smtp = load_config(workspace / "mailer.yaml").smtp
    assert isinstance(token_source_for(smtp), EnvTokenSource)


# -- the keyring -------------------------------------------------------------------------


def test_long_sign_in_is_split_across_keyring_entries(file_keyring: Path) -> None:
    text = "".join(chr(0x41 + i % 26) for i in range(5_432)) + "é"
    store.save("oauth2:x", text)
    data = json.loads(file_keyring.read_text())
    assert data["mailer:oauth2:x"] == "parts:6"
    assert all(len(v) <= store.PART_CHARS for v in data.values())
    assert store.load("oauth2:x") == text
    store.save("oauth2:x", "short")  # a smaller one leaves no stale parts behind
    assert set(json.loads(file_keyring.read_text())) == {"mailer:oauth2:x", "mailer:oauth2:x#1"}
    assert store.load("oauth2:x") == "short"
    assert store.delete("oauth2:x") is True
    assert json.loads(file_keyring.read_text()) == {}
    assert store.load("oauth2:x") is None
    assert store.delete("oauth2:x") is False


def test_no_keyring_is_said_in_words() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SignInError) as err:
            MicrosoftSignIn(microsoft()).access_token()
    finally:
        keyring.set_keyring(previous)
    assert "no keyring on this computer" in str(err.value)
    assert "smtp.token_env" in str(err.value)


# -- Microsoft 365 through MSAL ----------------------------------------------------------


def test_microsoft_device_code_login_then_silent_tokens(idp: OAuthServer,
                                                        file_keyring: Path) -> None:
    said: list[str] = []
    signin = MicrosoftSignIn(microsoft())
    assert signin.account() is None
    assert signin.login(said.append) == "office@school.org.uk"
    assert "https://microsoft.com/devicelogin" in said[0] and "enter the code" in said[0]
    assert idp.accounts.grants("urn:ietf:params:oauth:grant-type:device_code") == 2  # 1 pending
    no_tokens_in(file_keyring, idp)

    # A new process: everything comes from the keyring, the access token from its cache.
    again = MicrosoftSignIn(microsoft())
    assert again.account() == "office@school.org.uk"
    first = again.access_token()
    assert first.value == idp.accounts.issued[0]
    assert idp.accounts.grants("refresh_token") == 0
    assert "ms-at" not in repr(first) and "ms-at" not in str(first)

    # The server refused it: a refresh gives a new one, kept in the keyring.
    second = again.access_token(refused=first)
    assert second.value == idp.accounts.issued[1] != first.value
    assert idp.accounts.grants("refresh_token") == 1
    # Another connection that saw the same refusal gets the new token, no second refresh.
    assert again.access_token(refused=first).value == second.value
    assert idp.accounts.grants("refresh_token") == 1
    assert MicrosoftSignIn(microsoft()).access_token().value == second.value


def test_microsoft_token_near_expiry_is_refreshed_silently(idp: OAuthServer,
                                                          file_keyring: Path) -> None:
    idp.accounts.lifetime_s = 200  # less than the 5 minutes mailer keeps in hand
    MicrosoftSignIn(microsoft()).login(lambda _: None)
    token = MicrosoftSignIn(microsoft()).access_token()
    assert token.value == idp.accounts.issued[1]
    assert idp.accounts.grants("refresh_token") == 1


def test_microsoft_logout_removes_the_sign_in(idp: OAuthServer, file_keyring: Path) -> None:
    MicrosoftSignIn(microsoft()).login(lambda _: None)
    assert MicrosoftSignIn(microsoft()).logout() is True
    assert json.loads(file_keyring.read_text()) == {}
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft()).access_token()
    assert "Run 'mailer login'" in str(err.value)
    assert MicrosoftSignIn(microsoft()).logout() is False


@pytest.mark.parametrize(("outcome", "words"), [
    ("consent", "nobody has consented to mailer sending mail"),
    ("declined", "was declined"),
    ("public_client_off", "'Allow public client flows' to Yes"),
    ("expired", "the sign-in code was not entered in time"),
])
def test_microsoft_login_refusals_in_words(idp: OAuthServer, file_keyring: Path,
                                           outcome: str, words: str) -> None:
    idp.accounts.device_outcome = outcome
    idp.accounts.pending = 0
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft()).login(lambda _: None)
    assert words in str(err.value)
    assert not file_keyring.exists() or json.loads(file_keyring.read_text()) == {}


def test_microsoft_wrong_tenant(idp: OAuthServer, file_keyring: Path) -> None:
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft(tenant="school.org")).login(lambda _: None)
    assert "does not know the tenant 'school.org'" in str(err.value)


def test_microsoft_wrong_client_id(idp: OAuthServer, file_keyring: Path) -> None:
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft(client_id="99999999-0000-0000-0000-000000000000")).login(
            lambda _: None)
    assert "does not know the app registration smtp.client_id " \
           "(99999999-0000-0000-0000-000000000000) in tenant 'school.org.uk'" in str(err.value)


def test_microsoft_signed_in_as_another_mailbox(idp: OAuthServer, file_keyring: Path) -> None:
    idp.accounts.user = "head@school.org.uk"
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft()).login(lambda _: None)
    assert "you signed in as head@school.org.uk, but mailer.yaml sends from " \
           "office@school.org.uk" in str(err.value)
    assert MicrosoftSignIn(microsoft()).account() is None


def test_microsoft_revoked_refresh_token(idp: OAuthServer, file_keyring: Path) -> None:
    MicrosoftSignIn(microsoft()).login(lambda _: None)
    idp.accounts.revoked |= idp.accounts.refresh_tokens
    signin = MicrosoftSignIn(microsoft())
    first = signin.access_token()
    with pytest.raises(SignInError) as err:
        signin.access_token(refused=first)
    assert "has expired or was withdrawn" in str(err.value)
    assert "Run 'mailer login' again" in str(err.value)
    assert first.value not in str(err.value)


def test_microsoft_unreachable(file_keyring: Path, monkeypatch: pytest.MonkeyPatch,
                               ca: LocalCA) -> None:
    from tests.smtp_server import free_port

    monkeypatch.setenv("MAILER_OAUTH_ENDPOINT", f"https://127.0.0.1:{free_port()}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.ca_file))
    with pytest.raises(SignInError) as err:
        MicrosoftSignIn(microsoft()).login(lambda _: None)
    assert "cannot reach Microsoft 365's sign-in service" in str(err.value)


def test_the_tenant_id_works_as_well_as_the_domain(idp: OAuthServer,
                                                   file_keyring: Path) -> None:
    assert MicrosoftSignIn(microsoft(tenant=TENANT_ID)).login(lambda _: None) == \
        "office@school.org.uk"


# -- Google through google-auth-oauthlib -------------------------------------------------


def test_google_loopback_login_then_refresh(idp: OAuthServer, file_keyring: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_OAUTH_CLIENT_SECRET", "GOCSPX-test-secret")
    said: list[str] = []
    assert GoogleSignIn(google()).login(said.append, browser=BROWSER) == "office@school.org.uk"
    assert "Sign in to Google as office@school.org.uk" in said[0]
    assert idp.accounts.grants("authorization_code") == 1
    no_tokens_in(file_keyring, idp)
    assert "GOCSPX-test-secret" in file_keyring.read_text()  # kept for refreshing, in keyring

    monkeypatch.delenv("MAILER_OAUTH_CLIENT_SECRET")
    again = GoogleSignIn(google())
    assert again.account() == "office@school.org.uk"
    first = again.access_token()
    assert first.value == idp.accounts.issued[0]
    assert idp.accounts.grants("refresh_token") == 0
    second = again.access_token(refused=first)
    assert second.value == idp.accounts.issued[1]
    assert idp.accounts.grants("refresh_token") == 1
    assert GoogleSignIn(google()).access_token().value == second.value


def test_google_declined_consent(idp: OAuthServer, file_keyring: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_OAUTH_CLIENT_SECRET", "GOCSPX-test-secret")
    idp.accounts.google_outcome = "declined"
    with pytest.raises(SignInError) as err:
        GoogleSignIn(google()).login(lambda _: None, browser=BROWSER)
    assert "was declined" in str(err.value)


def test_google_mail_permission_unticked(idp: OAuthServer, file_keyring: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_OAUTH_CLIENT_SECRET", "GOCSPX-test-secret")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    idp.accounts.google_outcome = "no_mail"
    with pytest.raises(SignInError) as err:
        GoogleSignIn(google()).login(lambda _: None, browser=BROWSER)
    assert "without permission to send mail" in str(err.value)
    assert not file_keyring.exists() or json.loads(file_keyring.read_text()) == {}


def test_google_wrong_client_secret(idp: OAuthServer, file_keyring: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_OAUTH_CLIENT_SECRET", "GOCSPX-wrong")
    with pytest.raises(SignInError) as err:
        GoogleSignIn(google()).login(lambda _: None, browser=BROWSER)
    assert "Google does not accept the OAuth client" in str(err.value)


def test_google_needs_the_client_secret(idp: OAuthServer, file_keyring: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILER_OAUTH_CLIENT_SECRET", raising=False)
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(SignInError) as err:
        GoogleSignIn(google()).login(lambda _: None, browser=BROWSER)
    assert "MAILER_OAUTH_CLIENT_SECRET" in str(err.value)


def test_google_revoked_refresh_token(idp: OAuthServer, file_keyring: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_OAUTH_CLIENT_SECRET", "GOCSPX-test-secret")
    GoogleSignIn(google()).login(lambda _: None, browser=BROWSER)
    idp.accounts.revoked |= idp.accounts.refresh_tokens
    signin = GoogleSignIn(google())
    with pytest.raises(SignInError) as err:
        signin.access_token(refused=signin.access_token())
    assert "has expired or was withdrawn" in str(err.value)


# -- token_env ---------------------------------------------------------------------------


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    source = token_source_for(microsoft(token_env="SMTP_TOKEN"))
    monkeypatch.delenv("SMTP_TOKEN", raising=False)
    with pytest.raises(SignInError) as err:
        source.access_token()
    assert "environment variable SMTP_TOKEN, but it is not set" in str(err.value)
    monkeypatch.setenv("SMTP_TOKEN", "eyJ0eXAi.from.elsewhere")
    token = source.access_token()
    assert token.value == "eyJ0eXAi.from.elsewhere"
    with pytest.raises(SignInError) as err:
        source.access_token(refused=token)
    assert "refused the access token in SMTP_TOKEN" in str(err.value)
    assert "eyJ0eXAi" not in str(err.value)
    monkeypatch.setenv("SMTP_TOKEN", "eyJ0eXAi.newer")  # replaced by the scheduler
    assert source.access_token(refused=token).value == "eyJ0eXAi.newer"


def test_login_with_password_auth_says_what_to_add() -> None:
    with pytest.raises(SignInError) as err:
        sign_in_for(microsoft(auth="password"))
    assert "add 'auth: oauth2'" in str(err.value)


def test_access_token_value_never_shows() -> None:
    token = AccessToken("secret-value", 0.0)
    assert "secret-value" not in repr(token) and "secret-value" not in str(token)


def test_init_file_explains_both_ways_and_each_one_loads(tmp_path: Path) -> None:
    from mailer.scaffold import init_workspace

    init_workspace(tmp_path / "ws")
    config = tmp_path / "ws" / "mailer.yaml"
    text = config.read_text()
    assert "auth: oauth2" in text and "mailer login" in text and "MAILER_SMTP_PASSWORD" in text
    head, block = text.split("# smtp:\n")
    lines = ["smtp:"] + [line[2:] for line in block.splitlines()]
    oauth = [line for line in lines if not line.strip().startswith("#")]
    config.write_text(head + "\n".join(oauth) + "\n")
    smtp = load_config(config).smtp
    assert (smtp.auth, smtp.provider, smtp.tenant) == ("oauth2", "microsoft365", "example.sch.uk")
    password = [line.replace("# password_env", "password_env") for line in lines
                if not line.strip().startswith(("auth:", "client_id:", "tenant:"))]
    password = [line for line in password if not line.strip().startswith("#")]
    config.write_text(head + "\n".join(password) + "\n")
    smtp = load_config(config).smtp
    assert (smtp.auth, smtp.password_env) == ("password", "MAILER_SMTP_PASSWORD")
