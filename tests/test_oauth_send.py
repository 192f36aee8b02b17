"""``mailer login``, ``logout``, ``status`` and ``send`` with ``smtp.auth: oauth2``: MSAL and
google-auth-oauthlib against the local sign-in stand-in (HTTPS, test CA), XOAUTH2 against
aiosmtpd with STARTTLS, the sign-in kept in a test keyring backend."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

from mailer.outcome import State
from tests.conftest import REPO, run_mailer, set_smtp
from tests.oauth_server import Accounts, OAuthServer
from tests.sendkit import SNIPPET, CliResult, assert_agree, journal_states, write_list
from tests.smtp_server import LocalCA
from tests.xoauth2_server import (
    MS_BASIC_NOT_SUPPORTED,
    MS_BASIC_OFF,
    MS_SMTP_AUTH_OFF,
    XOAuth2Handler,
    XOAuth2Server,
)

MAILBOX = "office@hollybank.example.sch.uk"
MS_CLIENT = "11111111-2222-3333-4444-555555555555"
GOOGLE_CLIENT = "123-abc.apps.googleusercontent.com"


@pytest.fixture
def oauth_accounts() -> Accounts:
    """The sign-in stand-in signs people in as the demo workspace's mailbox."""
    return Accounts(user=MAILBOX)


def smtp_server(ca: LocalCA, **handler: object) -> XOAuth2Server:
    return XOAuth2Server(tls_context=ca.server_context(),
                         handler=XOAuth2Handler(user=MAILBOX, **handler))  # type: ignore[arg-type]


def use_microsoft(ws: Path, server: XOAuth2Server, ca: LocalCA, **extra: object) -> None:
    set_smtp(ws, provider="microsoft365", host="127.0.0.1", port=server.port,
             ca_file=str(ca.ca_file), username=MAILBOX, auth="oauth2", client_id=MS_CLIENT,
             tenant="school.org.uk", rate_per_minute=0, connections=1, **extra)


def accept_new_tokens(idp: OAuthServer, server: XOAuth2Server) -> None:
    """From now on the SMTP stand-in accepts every access token the sign-in stand-in
    issues, as Microsoft's and Google's servers accept tokens their sign-in issued."""
    issue = idp.accounts.new_tokens

    def issue_and_accept(prefix: str) -> tuple[str, str]:
        access, refresh = issue(prefix)
        server.handler.tokens.add(access)
        return access, refresh

    idp.accounts.new_tokens = issue_and_accept  # type: ignore[method-assign]


def no_token_shown(idp: OAuthServer, *results: CliResult) -> None:
    for result in results:
        for token in [*idp.accounts.issued, *idp.accounts.refresh_tokens]:
            assert token not in result.stdout and token not in result.stderr


def test_login_status_send_logout_microsoft(mailer, workspace: Path, ca: LocalCA,
                                            idp: OAuthServer, file_keyring: Path) -> None:
    list_arg, addresses = write_list(workspace, 4)
    with smtp_server(ca) as server:
        use_microsoft(workspace, server, ca)
        before = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert before.returncode == 2
        assert f"not signed in to Microsoft 365 as {MAILBOX} yet. Run 'mailer login'" in \
            before.stderr
        assert server.received == [] and server.handler.connections_made == 0

        login = mailer("login")
        assert login.returncode == 0, login.stderr
        assert "https://microsoft.com/devicelogin and enter the code" in login.stdout
        assert f"Signed in to Microsoft 365 as {MAILBOX}." in login.stdout
        server.handler.tokens.add(idp.accounts.issued[-1])

        status = mailer("status")
        assert f"Signed in to Microsoft 365 as {MAILBOX}" in status.stdout
        status_json = json.loads(mailer("status", "--json").stdout)
        assert status_json["sign_in"]["signed_in"] is True

        sent = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["sent"] == 4
        assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(addresses)
        assert {r.authenticated for r in server.received} == {MAILBOX}
        assert all(r.tls for r in server.received)
        assert idp.accounts.grants("refresh_token") == 0  # the cached token was good

        logout = mailer("logout")
        assert "removed from this computer's keyring" in logout.stdout
        assert json.loads(file_keyring.read_text()) == {}
        assert "Not signed in to Microsoft 365" in mailer("status").stdout
    no_token_shown(idp, before, login, status, sent, logout)


def test_token_refused_halfway_is_refreshed_without_losing_anyone(
        mailer, workspace: Path, ca: LocalCA, idp: OAuthServer, file_keyring: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The server ends the session after 3 messages and refuses the first token from then
    on (as when it expires during a long send): mailer signs in again with a refreshed
    token; all 8 parents get exactly one message and nobody is deferred or uncertain.
    Every library logging at DEBUG shows no token."""
    caplog.set_level(logging.DEBUG)
    list_arg, addresses = write_list(workspace, 8)
    with smtp_server(ca) as server:
        use_microsoft(workspace, server, ca)
        assert mailer("login").returncode == 0
        first = idp.accounts.issued[0]
        server.handler.tokens.add(first)
        server.handler.drop_after = 3
        server.handler.expire_token = first
        accept_new_tokens(idp, server)
        sent = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
        received = server.handler.received_by_recipient()
        attempts = list(server.handler.attempts)
    assert sent.returncode == 0, sent.stderr
    summary = json.loads(sent.stdout)
    assert (summary["sent"], summary["deferred"], summary["failed"]) == (8, 0, 0)
    assert received == {a: 1 for a in addresses}
    states = journal_states(workspace, summary["campaign"])
    assert set(states.values()) == {State.SENT}
    assert_agree(received, states)
    assert idp.accounts.grants("refresh_token") == 1
    assert [ok for _, _, ok in attempts] == [True, False, True]
    assert attempts[1][1] == first and attempts[2][1] == idp.accounts.issued[1]
    no_token_shown(idp, sent)
    assert "refresh_token" in caplog.text  # MSAL did log its requests at DEBUG
    for token in [*idp.accounts.issued, *idp.accounts.refresh_tokens]:
        assert token not in caplog.text


def test_token_about_to_expire_means_signing_in_again_between_messages(
        mailer, workspace: Path, ca: LocalCA, idp: OAuthServer, file_keyring: Path) -> None:
    """Tokens that last under 5 minutes are always 'about to expire': mailer ends the
    connection after each message and signs in again with a refreshed token before the
    next one, so no message is ever started on a connection whose token runs out."""
    list_arg, addresses = write_list(workspace, 4)
    idp.accounts.lifetime_s = 240
    with smtp_server(ca) as server:
        use_microsoft(workspace, server, ca)
        assert mailer("login").returncode == 0
        accept_new_tokens(idp, server)
        sent = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
        received = list(server.received)
        attempts = list(server.handler.attempts)
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["sent"] == 4
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(addresses)
    assert len({r.peer for r in received}) == 4  # one connection per message
    assert [ok for _, _, ok in attempts] == [True] * 4
    assert len({token for _, token, _ in attempts}) == 4
    # one for the silent check before connecting, then one per connection
    assert idp.accounts.grants("refresh_token") == 5


def test_smtp_auth_turned_off_for_the_mailbox(mailer, workspace: Path, ca: LocalCA,
                                              idp: OAuthServer, file_keyring: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    with smtp_server(ca, mailbox_reply=MS_SMTP_AUTH_OFF) as server:
        use_microsoft(workspace, server, ca)
        assert mailer("login").returncode == 0
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert server.received == []
        assert len(server.handler.attempts) == 1  # no pointless refresh and retry
    assert result.returncode == 2
    assert "has SMTP sign-in turned off" in result.stderr
    assert "allow 'Authenticated SMTP'" in result.stderr
    assert "Traceback" not in result.stderr
    no_token_shown(idp, result)


def test_token_refused_even_after_refresh(mailer, workspace: Path, ca: LocalCA,
                                          idp: OAuthServer, file_keyring: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    with smtp_server(ca) as server:  # accepts no token at all
        use_microsoft(workspace, server, ca)
        assert mailer("login").returncode == 0
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert server.received == []
        assert [ok for _, _, ok in server.handler.attempts] == [False, False]
    assert result.returncode == 2
    assert "535 5.7.3 Authentication unsuccessful" in result.stderr
    assert "Run 'mailer login' again" in result.stderr
    no_token_shown(idp, result)


def test_expired_sign_in_says_login_again(mailer, workspace: Path, ca: LocalCA,
                                          idp: OAuthServer, file_keyring: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    with smtp_server(ca) as server:
        use_microsoft(workspace, server, ca)
        assert mailer("login").returncode == 0
        idp.accounts.revoked |= idp.accounts.refresh_tokens  # refused token, dead refresh
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert server.received == []
    assert result.returncode == 2
    assert "has expired or was withdrawn" in result.stderr
    assert "Run 'mailer login' again" in result.stderr


@pytest.mark.parametrize(("reply", "words"), [
    (MS_BASIC_NOT_SUPPORTED, "no longer accepts a password"),
    (MS_BASIC_OFF, "basic (password) sign-in or SMTP sign-in is turned off"),
])
def test_password_refused_by_microsoft_says_switch_to_oauth2(
        mailer, workspace: Path, ca: LocalCA, monkeypatch: pytest.MonkeyPatch,
        reply: str, words: str) -> None:
    list_arg, _ = write_list(workspace, 2)
    monkeypatch.setenv("MAILER_SMTP_PASSWORD", "Summer2026!")
    with smtp_server(ca, password_reply=reply) as server:
        set_smtp(workspace, provider="microsoft365", host="127.0.0.1", port=server.port,
                 ca_file=str(ca.ca_file), username=MAILBOX, rate_per_minute=0)
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert server.received == []
    assert result.returncode == 2
    assert words in result.stderr
    assert "  auth: oauth2\n  client_id: " in result.stderr
    assert "  tenant: " in result.stderr
    assert "Summer2026!" not in result.stderr


def test_password_accepted_then_550_5_7_30_at_mail_from(
        mailer, workspace: Path, ca: LocalCA, monkeypatch: pytest.MonkeyPatch) -> None:
    """Microsoft 365 can take the password and then refuse MAIL FROM with 550 5.7.30: that
    is the account's sign-in, not the sender address, and nobody is marked failed."""
    list_arg, _ = write_list(workspace, 3)
    monkeypatch.setenv("MAILER_SMTP_PASSWORD", "Summer2026!")
    with smtp_server(ca, password_reply="235 2.7.0 Authentication successful",
                     mail_reply=MS_BASIC_NOT_SUPPORTED) as server:
        set_smtp(workspace, provider="microsoft365", host="127.0.0.1", port=server.port,
                 ca_file=str(ca.ca_file), username=MAILBOX, rate_per_minute=0)
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes", "--json")
        assert server.received == []
    assert result.returncode == 2
    assert "no longer accepts a password" in result.stderr
    assert "  auth: oauth2\n  client_id: " in result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] == 0 and summary["sent"] == 0


def test_token_from_the_environment(mailer, workspace: Path, ca: LocalCA,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    list_arg, addresses = write_list(workspace, 3)
    with smtp_server(ca, tokens={"eyJ0.token.from-elsewhere"}) as server:
        set_smtp(workspace, provider="microsoft365", host="127.0.0.1", port=server.port,
                 ca_file=str(ca.ca_file), username=MAILBOX, auth="oauth2",
                 token_env="SMTP_ACCESS_TOKEN", rate_per_minute=0)
        monkeypatch.setenv("SMTP_ACCESS_TOKEN", "eyJ0.token.from-elsewhere")
        ok = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        assert ok.returncode == 0, ok.stderr
        assert server.handler.received_by_recipient() == {a: 1 for a in addresses}

        list2, _ = write_list(workspace, 2, name="more")
        monkeypatch.setenv("SMTP_ACCESS_TOKEN", "eyJ0.token.expired")
        refused = mailer("send", SNIPPET, "--list", list2, "--yes")
        assert len(server.received) == 3
    assert refused.returncode == 2
    assert "refused the access token in SMTP_ACCESS_TOKEN" in refused.stderr
    assert "eyJ0" not in refused.stderr + refused.stdout + ok.stdout + ok.stderr


def subprocess_env(ca: LocalCA, idp: OAuthServer, keyring_file: Path,
                   **extra: str) -> dict[str, str]:
    return {
        "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "MAILER_TEST_KEYRING": str(keyring_file),
        "MAILER_OAUTH_ENDPOINT": idp.base_url,
        "REQUESTS_CA_BUNDLE": str(ca.ca_file),
        **extra,
    }


def test_google_login_and_send_as_a_real_process(workspace: Path, ca: LocalCA,
                                                 idp: OAuthServer, tmp_path: Path) -> None:
    """`mailer login` opens the browser (the BROWSER variable, as webbrowser documents it)
    at Google's consent page; Google's refusal of a stale token (334 challenge, then
    535 5.7.8) leads to one refresh; every parent gets one message."""
    list_arg, addresses = write_list(workspace, 3)
    store = tmp_path / "keyring.json"
    browser = f"{sys.executable} {REPO / 'tests' / 'fake_browser.py'} %s &"
    with smtp_server(ca, style="google") as server:
        set_smtp(workspace, provider="google", host="127.0.0.1", port=server.port,
                 ca_file=str(ca.ca_file), username=MAILBOX, auth="oauth2",
                 client_id=GOOGLE_CLIENT, rate_per_minute=0)
        env = subprocess_env(ca, idp, store, BROWSER=browser,
                             MAILER_OAUTH_CLIENT_SECRET="GOCSPX-test-secret")
        login = run_mailer("login", cwd=workspace, env=env)
        assert login.returncode == 0, login.stderr
        assert f"Signed in to Google as {MAILBOX}." in login.stdout
        status = run_mailer("status", cwd=workspace, env=env)
        assert f"Signed in to Google as {MAILBOX}" in status.stdout
        # The first token is refused by the server (revoked by the user's admin, say).
        server.handler.tokens.clear()
        accept_new_tokens(idp, server)
        env.pop("MAILER_OAUTH_CLIENT_SECRET")
        sent = run_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=workspace, env=env)
        assert sent.returncode == 0, sent.stderr
        assert server.handler.received_by_recipient() == {a: 1 for a in addresses}
        assert [ok for _, _, ok in server.handler.attempts] == [False, True]
    assert idp.accounts.grants("refresh_token") == 1
    for result in (login, status, sent):
        for token in [*idp.accounts.issued, *idp.accounts.refresh_tokens]:
            assert token not in result.stdout + result.stderr
    assert "GOCSPX-test-secret" in store.read_text()  # in the keyring, nowhere in the workspace
    assert not any("GOCSPX" in p.read_text(errors="replace")
                   for p in workspace.rglob("*") if p.is_file() and p.suffix != ".sqlite")


def test_microsoft_login_as_a_real_process(workspace: Path, ca: LocalCA, idp: OAuthServer,
                                           tmp_path: Path) -> None:
    store = tmp_path / "keyring.json"
    set_smtp(workspace, provider="microsoft365", username=MAILBOX, auth="oauth2",
             client_id=MS_CLIENT, tenant="school.org.uk")
    env = subprocess_env(ca, idp, store)
    login = run_mailer("login", cwd=workspace, env=env)
    assert login.returncode == 0, login.stderr
    assert "enter the code" in login.stdout
    assert any(t in store.read_text() for t in idp.accounts.refresh_tokens)
    wrong = run_mailer("login", cwd=workspace, env={**env, "MAILER_OAUTH_ENDPOINT":
                                                    idp.base_url + "/nowhere"})
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr


def test_microsoft_browser_login_as_a_real_process(workspace: Path, ca: LocalCA,
                                                   idp: OAuthServer, tmp_path: Path) -> None:
    """`mailer login --browser`: MSAL's browser flow (loopback redirect, RFC 8252)."""
    store = tmp_path / "keyring.json"
    set_smtp(workspace, provider="microsoft365", username=MAILBOX, auth="oauth2",
             client_id=MS_CLIENT, tenant="school.org.uk")
    browser = f"{sys.executable} {REPO / 'tests' / 'fake_browser.py'} %s &"
    env = subprocess_env(ca, idp, store, BROWSER=browser)
    login = run_mailer("login", "--browser", cwd=workspace, env=env, timeout=60)
    assert login.returncode == 0, login.stderr
    assert f"Signed in to Microsoft 365 as {MAILBOX}." in login.stdout
    assert idp.accounts.grants("authorization_code") == 1
    assert idp.accounts.grants("urn:ietf:params:oauth:grant-type:device_code") == 0
    assert any(t in store.read_text() for t in idp.accounts.refresh_tokens)


def test_no_keyring_at_login(workspace: Path, ca: LocalCA, idp: OAuthServer) -> None:
    set_smtp(workspace, provider="microsoft365", username=MAILBOX, auth="oauth2",
             client_id=MS_CLIENT, tenant="school.org.uk")
    env = subprocess_env(ca, idp, Path("/nonexistent"),
                         PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = run_mailer("login", cwd=workspace, env=env)
    assert result.returncode == 2
    assert "there is no keyring on this computer" in result.stderr
    assert "Traceback" not in result.stderr
    assert idp.accounts.seen == []  # said before anyone was asked to type a code


def test_a_sign_in_that_no_longer_works_is_said_before_the_question(
        mailer, workspace: Path, ca: LocalCA, idp: OAuthServer, file_keyring: Path) -> None:
    """The silent token check runs before "Send N emails ...? [y/N]", so nobody answers yes
    and only then learns that 'mailer login' is needed (a real process on a terminal)."""
    import pty
    import subprocess

    from tests.test_send_process import _read_until, popen_mailer

    list_arg, _ = write_list(workspace, 2)
    with smtp_server(ca) as server:
        use_microsoft(workspace, server, ca)
        idp.accounts.lifetime_s = 60  # the access token kept at login runs out at once
        assert mailer("login").returncode == 0
        idp.accounts.revoked |= idp.accounts.refresh_tokens  # and the sign-in was withdrawn
        master, slave = pty.openpty()
        proc = popen_mailer("send", SNIPPET, "--list", list_arg, cwd=workspace,
                            env=subprocess_env(ca, idp, file_keyring), stdin=slave,
                            stderr=slave, stdout=subprocess.PIPE)
        os.close(slave)
        seen: list[str] = []
        try:
            _read_until(master, "mailer login", seen)  # before: "[y/N]", and a wait
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        assert server.received == []
    screen = "".join(seen)
    assert code == 2, screen
    assert "Run 'mailer login' again" in screen
    assert "[y/N]" not in screen and "Send 2 emails" not in screen
    assert "Traceback" not in screen
