"""Fixes found by QA in ``mailer send`` / ``mailer status``: the words after a refusal, a
wait, a dry run with a proof, a closed terminal, a purge, and the exit statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, CliResult, journal_states, run_cli, write_list
from tests.smtp_server import SmtpServer


@pytest.fixture
def mailer(workspace: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch):
    """``mailer(*args)`` runs the command in the workspace folder."""
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("MAILER_SMTP_PASSWORD", raising=False)

    def run(*args: str) -> CliResult:
        return run_cli(capsys, *args)

    return run


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_530_authentication_required_says_to_log_in(mailer, workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    # The server requires AUTH; mailer.yaml has no smtp.username, so mailer does not log in
    # and the server answers MAIL FROM with "530 5.7.0 Authentication required".
    with SmtpServer(users={"office": "pw"}, auth_require_tls=False) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
        received = list(server.received)
    assert result.returncode == 2
    assert received == []
    assert ("the server needs you to log in: set smtp.username in mailer.yaml (and the "
            "password in MAILER_SMTP_PASSWORD)") in result.stderr
    assert "Check sender.from" not in result.stderr
    assert "will not send as" not in result.stderr
    states = journal_states(workspace, f"{SNIPPET}--parents")
    assert "failed" not in {s.value for s in states.values()}
