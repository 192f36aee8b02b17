"""Shared fixtures for the sign-in tests (conftest.py registers them; test modules just ask
for them): a test CA, the local OAuth2 sign-in stand-in on 127.0.0.1 over HTTPS with MSAL
and google-auth pointed at it, and the test keyring backend.

A module whose stand-in must sign people in as someone else overrides ``oauth_accounts``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.keyring_backend import FileKeyring
from tests.oauth_server import Accounts, OAuthServer
from tests.smtp_server import LocalCA


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    """A certificate authority made for this test (trustme), with its CA file."""
    return LocalCA(tmp_path)


@pytest.fixture
def oauth_accounts() -> Accounts:
    """What the sign-in stand-in knows (the default app registrations and user)."""
    return Accounts()


@pytest.fixture
def idp(ca: LocalCA, oauth_accounts: Accounts,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthServer]:
    """The sign-in stand-in on 127.0.0.1, with MSAL and google-auth pointed at it
    (``MAILER_OAUTH_ENDPOINT``; ``REQUESTS_CA_BUNDLE`` trusts the test CA)."""
    with OAuthServer(ca.server_context(), oauth_accounts) as server:
        monkeypatch.setenv("MAILER_OAUTH_ENDPOINT", server.base_url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.ca_file))
        yield server


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test keyring backend (a JSON file, ``MAILER_TEST_KEYRING``) as this process's
    keyring; the previous backend is put back afterwards. Yields the file's path."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("MAILER_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)
