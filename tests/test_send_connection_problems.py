"""When the server cannot be used: 530 "log in first", nothing answering, a security
setting that does not suit the port, a certificate authority file that cannot be read;
plain words, exit 2, nothing sent and no campaign left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, journal_states, write_list
from tests.smtp_server import SmtpServer, free_port


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

    # The proof gets the same advice.
    with SmtpServer(users={"office": "pw"}, auth_require_tls=False) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        proof = mailer("send", SNIPPET, "--list", list_arg, "--test-to", "dsl@example.com")
        received = list(server.received)
    assert proof.returncode == 2 and received == []
    assert "the server needs you to log in: set smtp.username" in proof.stderr


def test_nothing_answering_is_plain_words_and_leaves_no_campaign(mailer,
                                                                workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 3)
    port = free_port()  # nothing listens there
    set_smtp(workspace, host="127.0.0.1", port=port, security="none")
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert (f"Error: cannot connect to 127.0.0.1:{port}: nothing is answering there. Check "
            "smtp.host and smtp.port, and that this computer is online.") in result.stderr
    assert "[Errno" not in result.stderr
    status = mailer("status")
    assert "parents" not in status.stdout, "a setup that failed leaves no campaign behind"


@pytest.mark.parametrize(("security", "port"), [("tls", 587), ("starttls", 465)])
def test_security_that_does_not_suit_the_port_gets_a_hint(mailer, workspace: Path,
                                                          security: str, port: int) -> None:
    list_arg, _ = write_list(workspace, 2)
    set_smtp(workspace, host="127.0.0.1", port=port, security=security, timeout_s=5)
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr
    assert "Port 587 uses starttls, 465 uses tls" in result.stderr
    proof = mailer("send", SNIPPET, "--list", list_arg, "--test-to", "dsl@example.com")
    assert proof.returncode == 2 and "Port 587 uses starttls, 465 uses tls" in proof.stderr


def test_missing_ca_file_is_reported_at_config_load_with_its_line(mailer,
                                                                  workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    set_smtp(workspace, host="127.0.0.1", port=free_port(), security="starttls",
             ca_file="certs/missing-ca.pem")
    line = next(i for i, text in enumerate(
        (workspace / "mailer.yaml").read_text().splitlines(), 1) if "ca_file" in text)
    result = mailer("send", SNIPPET, "--list", list_arg, "--yes")
    assert result.returncode == 2
    assert f"mailer.yaml, line {line}: smtp.ca_file: there is no file" in result.stderr
    assert "missing-ca.pem" in result.stderr
    assert "Campaign:" not in result.stderr, "reported before the summary"
