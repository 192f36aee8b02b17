"""What list contents become in real messages: a header injection attempt in a name never
becomes a header, HTML in a name is escaped in the HTML part, and an internationalised
domain is sent to in its ASCII form through a real SMTP server."""

from __future__ import annotations

import shutil
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from mailer.compose import Composer
from mailer.jobs import read_workspace_list, render_snippet
from mailer.workspace import Workspace
from tests.conftest import run_mailer, set_smtp
from tests.smtp_server import SmtpServer

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


def compose_all(ws_path: Path, list_name: str) -> list[tuple[bytes, EmailMessage]]:
    shutil.copy(FIXTURES / list_name, ws_path / "lists" / list_name)
    ws = Workspace(ws_path)
    rendered = render_snippet(ws, "online-safety-webcams")
    composer = Composer(rendered, ws.config.sender)
    out = []
    for rec in read_workspace_list(ws, f"lists/{list_name}").recipients:
        data = composer.compose(rec.email, rec.name, rec.fields()).data
        out.append((data, BytesParser(policy=policy.default).parsebytes(data)))
    return out


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def test_header_injection_in_a_name_never_becomes_a_header(workspace: Path) -> None:
    [(data, msg)] = compose_all(workspace, "injection.csv")
    head = header_block(data)
    header_names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")
                    if line and not line[:1].isspace()]
    assert b"bcc" not in header_names and b"cc" not in header_names
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["john.smith@example.com"]
    assert msg["To"].addresses[0].display_name == "John Smith Bcc: x@evil.test"
    text = msg.get_body(("plain",)).get_content()
    assert "Dear Mr Smith Bcc: x@evil.test," in text  # plain words on one line of the body


def test_html_in_a_name_is_escaped_in_the_html_part(workspace: Path) -> None:
    messages = compose_all(workspace, "html-name.csv")
    bodies = {msg["To"].addresses[0].addr_spec: msg for _, msg in messages}
    khan = bodies["sadia.khan@example.com"]
    html = khan.get_body(("html",)).get_content()
    assert "Dear Mrs &lt;b&gt;Khan&lt;/b&gt;," in html
    assert "<b>Khan</b>" not in html
    assert "Dear Mrs <b>Khan</b>," in khan.get_body(("plain",)).get_content()
    obrien = bodies["pat.obrien@example.com"].get_body(("html",)).get_content()
    assert "Dear Mr O&#x27;Brien &amp; Sons," in obrien


def test_idn_domain_goes_to_smtp_in_ascii_and_body_keeps_unicode(workspace: Path) -> None:
    shutil.copy(FIXTURES / "idn.csv", workspace / "lists" / "idn.csv")
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = run_mailer("send", "online-safety-webcams", "--yes", "--list", "lists/idn.csv",
                            cwd=workspace)
        received = list(server.received)
    assert result.returncode == 0, result.stderr
    assert "line 4: invalid zoë@example.org" in result.stderr
    assert [r.rcpt_tos for r in received] == [["eltern@xn--bcher-kva.example"]]
    msg = received[0].message
    assert msg["To"].addresses[0].addr_spec == "eltern@xn--bcher-kva.example"
    assert "Dear Herr and Frau Müller," in msg.get_body(("plain",)).get_content()
