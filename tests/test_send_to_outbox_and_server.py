"""Sending the demo list: to the Maildir outbox, and to a real aiosmtpd server on loopback
(plain, and STARTTLS + AUTH with a certificate from a test CA)."""

from __future__ import annotations

import mailbox
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from mailer.jobs import read_workspace_list, render_language
from mailer.workspace import Workspace
from tests.conftest import run_mailer, set_smtp
from tests.smtp_server import LocalCA, SmtpServer

EXPECTED = {
    "sadia.khan@example.com", "imran.khan@example.com", "jo.smith@example.com",
    "mark.turner@example.com", "a.kowalska@example.com", "ngozi.okafor@example.com",
    "emeka.okafor@example.com", "laura.brown@example.com", "wilson.family@example.com",
    "fatima.ahmed@example.com", "gareth.evans@example.com", "giulia.rossi@example.com",
    "siobhan.murphy@example.com", "isla.campbell.home@example.com", "helen.taylor@example.com",
}


def check_message(raw: bytes, workspace: Path) -> str:
    """Assert one message's shape; return its one To address (lower case)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert len(msg.get_all("To")) == 1
    to = msg["To"].addresses
    assert len(to) == 1
    assert msg["Cc"] is None and msg["Bcc"] is None
    assert msg.get_content_type() == "multipart/alternative"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert msg["Message-ID"].endswith("@hollybank.example.sch.uk>")
    assert msg["Date"] and msg["Subject"] and msg["MIME-Version"] == "1.0"
    assert str(msg["Reply-To"]) == "Hollybank School Office <office@hollybank.example.sch.uk>"
    assert str(msg["List-Unsubscribe"]) == (
        "<mailto:office@hollybank.example.sch.uk?subject=unsubscribe>")
    for line in raw.split(b"\n"):
        assert len(line.rstrip(b"\r")) <= 998
    # The parts decode back to the rendered content for this recipient.
    ws = Workspace(workspace)
    report = read_workspace_list(ws, "lists/example-parents.csv")
    rec = next(r for r in report.recipients if r.email.lower() == to[0].addr_spec.lower())
    # In the parent's language where the demo has a translation (Polish, Arabic).
    rendered = render_language(ws, "online-safety-webcams", rec.language)
    assert msg["Content-Language"] == rendered.language
    html, text = rendered.personalise(rec.fields())
    assert parts[0].get_content().replace("\r\n", "\n") == text
    assert parts[1].get_content().replace("\r\n", "\n") == html
    return to[0].addr_spec.lower()


def test_send_to_outbox_one_message_per_unique_address(workspace: Path) -> None:
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    box = mailbox.Maildir(workspace / "outbox", create=False)
    raws = [box.get_bytes(key) for key in box.iterkeys()]
    assert len(raws) == 15
    addresses = [check_message(raw, workspace) for raw in raws]
    assert sorted(addresses) == sorted(EXPECTED)
    # Carers of two children get one message naming both; shared address greets both.
    parser = BytesParser(policy=policy.default)
    by_to = {a: parser.parsebytes(r) for a, r in zip(addresses, raws, strict=True)}
    assert "Dear Mrs Khan," in by_to["sadia.khan@example.com"].get_body(("plain",)).get_content()
    wilson = by_to["wilson.family@example.com"].get_body(("plain",)).get_content()
    assert "Dear Mr and Mrs Wilson," in wilson
    isla = by_to["isla.campbell.home@example.com"].get_body(("plain",)).get_content()
    assert "Dear Parent/Carer of Isla," in isla


def test_send_plain_smtp_on_loopback(workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = run_mailer("send", "online-safety-webcams", "--list",
                            "lists/example-parents.csv", "--yes", cwd=workspace)
        received = list(server.received)
        connections = server.handler.connections
    assert result.returncode == 0, result.stderr
    assert len(received) == 15
    assert all(len(r.rcpt_tos) == 1 for r in received)
    assert sorted(r.rcpt_tos[0].lower() for r in received) == sorted(EXPECTED)
    assert {r.mail_from for r in received} == {"office@hollybank.example.sch.uk"}
    assert len(connections) == 1, "one connection reused for the whole send"
    for r in received:
        assert check_message(r.data, workspace) == r.rcpt_tos[0].lower()


def test_send_starttls_and_auth_with_private_ca(workspace: Path, tmp_path: Path) -> None:
    ca = LocalCA(tmp_path)
    with SmtpServer(tls_context=ca.server_context(), users={"office": "s3cret-pw"},
                    require_starttls=True) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="starttls",
                 username="office", ca_file=str(ca.ca_file))
        result = run_mailer("send", "online-safety-webcams", "--list",
                            "lists/example-parents.csv", "--yes", cwd=workspace,
                            env={"MAILER_SMTP_PASSWORD": "s3cret-pw"})
        received = list(server.received)
        connections = server.handler.connections
    assert result.returncode == 0, result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert len(received) == 15
    assert all(r.tls and r.authenticated == "office" for r in received)
    assert sorted(r.rcpt_tos[0].lower() for r in received) == sorted(EXPECTED)
    assert len(connections) == 1


def test_untrusted_certificate_exits_2_and_sends_nothing(workspace: Path, tmp_path: Path) -> None:
    ca = LocalCA(tmp_path)
    with SmtpServer(tls_context=ca.server_context()) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="starttls")
        result = run_mailer("send", "online-safety-webcams", "--list",
                            "lists/example-parents.csv", "--yes", cwd=workspace)
        received = list(server.received)
    assert result.returncode == 2
    assert "certificate" in result.stderr and f"127.0.0.1:{server.port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert received == []


def test_starttls_not_offered_is_refused(workspace: Path) -> None:
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="starttls")
        result = run_mailer("send", "online-safety-webcams", "--list",
                            "lists/example-parents.csv", "--yes", cwd=workspace)
        received = list(server.received)
    assert result.returncode == 2
    assert "does not offer STARTTLS" in result.stderr
    assert received == []


@pytest.mark.parametrize("password,code", [("wrong", 2)])
def test_auth_failure_exits_2(workspace: Path, tmp_path: Path, password: str, code: int) -> None:
    ca = LocalCA(tmp_path)
    with SmtpServer(tls_context=ca.server_context(), users={"office": "right"}) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, username="office",
                 ca_file=str(ca.ca_file))
        result = run_mailer("send", "online-safety-webcams", "--list",
                            "lists/example-parents.csv", "--yes", cwd=workspace,
                            env={"MAILER_SMTP_PASSWORD": password})
        received = list(server.received)
    assert result.returncode == code
    assert "refused the username or password" in result.stderr
    assert password not in result.stderr
    assert received == []


def test_an_empty_outbox_folder_made_by_hand_still_receives(workspace: Path) -> None:
    (workspace / "outbox").mkdir()
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert len(list((workspace / "outbox" / "new").iterdir())) == 15


def test_an_outbox_that_is_a_file_stops_before_anything_is_sent(workspace: Path) -> None:
    (workspace / "outbox").write_text("notes")
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "this is a file" in result.stderr and "Traceback" not in result.stderr
    status = run_mailer("status", "--json", cwd=workspace)
    # Nothing was attempted, so no campaign is left behind showing "15 pending".
    assert '"campaigns": []' in status.stdout
