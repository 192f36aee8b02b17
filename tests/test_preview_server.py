"""The preview without a browser: watching and re-rendering, mistakes and recovery, the
server's routes (and nothing else), the loopback-only bind, and Ctrl-C in a real process."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.jobs import render_snippet
from mailer.preview import PreviewError, PreviewServer, PreviewSession, loopback_host
from mailer.preview.server import ROUTES
from mailer.preview.session import MAX_RECIPIENTS, force_colour_scheme
from mailer.workspace import Workspace
from tests.conftest import run_mailer
from tests.preview_helpers import (
    SNIPPET,
    TITLE,
    raw_get,
    rewrite,
    running_preview,
    snippet_path,
    write,
)

# -- the session: render, notice a change, show a mistake, recover ----------------------


def test_session_rerenders_after_a_snippet_edit_and_times_it(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    first = session.rebuild()
    assert first.problem is None and first.rendered is not None
    assert first.rendered.snippet.title == TITLE
    assert session.reload_if_changed() is None  # nothing changed yet

    rewrite(snippet_path(workspace), f"title: {TITLE}", "title: Webcams, an update for families")
    reload = session.reload_if_changed()

    assert reload is not None and reload.ok
    assert reload.changed == (snippet_path(workspace).resolve(),)
    assert reload.saved_at <= reload.detected_at <= reload.ready_at
    assert 0 < reload.render_s <= reload.latency_s
    snap = session.snapshot
    assert snap.version == first.version + 1
    assert snap.rendered is not None
    assert "<h1" in snap.rendered.html and "Webcams, an update for families" in snap.rendered.html
    assert snap.render_key != first.render_key


def test_template_and_config_edits_are_watched(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    rewrite(workspace / "templates" / "partials" / "content.html",
            "<h2>{{ _(\"Who to contact\") }}</h2>", "<h2>Who to talk to</h2>")
    reload = session.reload_if_changed()
    assert reload is not None and reload.ok
    assert "Who to talk to" in session.snapshot.rendered.html  # type: ignore[union-attr]

    rewrite(workspace / "mailer.yaml", "name: Hollybank Primary School",
            "name: Hollybank Primary Academy")
    assert session.reload_if_changed() is not None
    assert "Hollybank Primary Academy" in session.snapshot.rendered.html  # type: ignore[union-attr]


def test_bad_yaml_in_the_snippet_names_file_and_line_then_recovers(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    path = snippet_path(workspace)
    good = path.read_text(encoding="utf-8")
    lines = good.splitlines(keepends=True)
    title_line = next(i for i, line in enumerate(lines, 1) if line.startswith("title:"))
    write(path, good.replace(f"title: {TITLE}", "title: [Video chat, webcams", 1))

    assert session.reload_if_changed() is not None
    snap = session.snapshot
    assert snap.rendered is None and snap.problem is not None
    assert snap.problem.file == f"snippets/{SNIPPET}.yaml"
    assert snap.problem.line is not None and snap.problem.line >= title_line
    assert "is read as a list" in snap.problem.message
    assert not snap.problem.unexpected

    write(path, good)
    assert session.reload_if_changed() is not None
    assert session.snapshot.problem is None
    assert TITLE in session.snapshot.rendered.html  # type: ignore[union-attr]


def test_unknown_key_in_mailer_yaml_names_file_line_and_key(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    config = workspace / "mailer.yaml"
    text = rewrite(config, "  website:", "  webiste:")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "webiste" in row)

    session.reload_if_changed()
    problem = session.snapshot.problem
    assert problem is not None
    assert (problem.file, problem.line) == ("mailer.yaml", line)
    assert "unknown key 'webiste'" in problem.message
    assert problem.where == f"mailer.yaml, line {line}"


def test_a_template_syntax_error_names_the_template_and_line(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    template = workspace / "templates" / "partials" / "content.html"
    text = rewrite(template, "{% if personal %}", "{% if personal %")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "{% if personal %" in row)
    session.reload_if_changed()
    problem = session.snapshot.problem
    assert problem is not None
    assert problem.file == "templates/partials/content.html"
    # Jinja2 reports the line where it noticed the unclosed tag: this one or the next.
    assert problem.line in (line, line + 1)
    assert (line, "{% if personal %") in problem.excerpt


def test_a_snippet_given_as_a_path_outside_the_workspace_is_watched(
    workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "drafts" / "webcams-draft.yaml"
    outside.parent.mkdir()
    outside.write_text(snippet_path(workspace).read_text(encoding="utf-8"), encoding="utf-8")
    session = PreviewSession(Workspace(workspace), str(outside))
    assert session.rebuild().problem is None
    rewrite(outside, f"title: {TITLE}", "title: A draft title")
    assert session.reload_if_changed() is not None
    assert "A draft title" in session.snapshot.rendered.html  # type: ignore[union-attr]


def test_the_picker_holds_the_first_fifty_recipients_of_a_list(workspace: Path) -> None:
    header = "Contact Title,Contact Forename,Contact Surname,Pupil Forename,Email\n"
    rows = "".join(f"Ms,Carer{i},Example,Child{i},carer{i}@example.com\n" for i in range(1, 61))
    (workspace / "lists" / "big.csv").write_text(header + rows, encoding="utf-8")
    snap = PreviewSession(Workspace(workspace), SNIPPET, "lists/big.csv").rebuild()
    assert snap.problem is None
    assert snap.recipients_total == 60
    assert [r.email for r in snap.recipients] == [
        f"carer{i}@example.com" for i in range(1, MAX_RECIPIENTS + 1)
    ]


def test_checks_panel_uses_mailer_checks_only_when_installed(workspace: Path) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    checks = session.update_checks().checks
    if importlib.util.find_spec("mailer.checks") is None:
        assert (checks.status, checks.message) == ("unavailable", "Checks not available")
    else:
        assert checks.status == "ok"
        assert all(f["severity"] in ("error", "warning") and f["id"] for f in checks.findings)


def test_dark_switch_turns_dark_media_queries_on_and_light_ones_off() -> None:
    html = ("<html><head><style>@media (prefers-color-scheme: dark) { .a { color: #ffffff } }"
            "@media screen and (prefers-color-scheme:light) { .b { color: #000000 } }</style>"
            '<meta name="color-scheme" content="light dark"></head><body></body></html>')
    dark = force_colour_scheme(html, "dark")
    assert "@media (min-width: 0px) { .a" in dark
    assert "@media screen and (max-width: -1px) { .b" in dark
    assert ":root { color-scheme: dark; }" in dark
    light = force_colour_scheme(html, "light")
    assert "@media (max-width: -1px) { .a" in light
    assert "@media screen and (min-width: 0px) { .b" in light
    assert "color-scheme: dark; }" not in light


# -- the server: only its own paths, only 127.0.0.1 ----------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5",
                                  "example.com", "127.0.0.1.nip.io", ""])
def test_a_non_loopback_bind_is_refused_at_start_up(workspace: Path, host: str) -> None:
    session = PreviewSession(Workspace(workspace), SNIPPET)
    with pytest.raises(PreviewError, match="only listens on 127.0.0.1"):
        PreviewServer(session, host=host, port=0)
    assert session.snapshot.version == 0  # nothing was rendered or started


def test_localhost_means_127_0_0_1() -> None:
    assert loopback_host("localhost") == "127.0.0.1"
    assert loopback_host("127.0.0.1") == "127.0.0.1"


def test_cli_refuses_a_non_loopback_bind(workspace: Path) -> None:
    result = run_mailer("preview", SNIPPET, "--host", "0.0.0.0", "--no-browser",
                        "--port", "0", cwd=workspace)
    assert result.returncode == 2
    assert "only listens on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
    assert "http://" not in result.stdout


def test_cli_refuses_an_unknown_snippet_before_serving(workspace: Path) -> None:
    result = run_mailer("preview", "no-such-advisory", "--no-browser", "--port", "0",
                        cwd=workspace)
    assert result.returncode == 2
    assert "there is no snippet called 'no-such-advisory'" in result.stderr
    assert "http://" not in result.stdout


def test_a_busy_port_is_a_clear_error(workspace: Path) -> None:
    with running_preview(workspace) as server, pytest.raises(
        PreviewError, match=f"port {server.port} is already in use"
    ):
        PreviewServer(PreviewSession(Workspace(workspace), SNIPPET), port=server.port)


@pytest.mark.parametrize("port", ["80000", "-1"])
def test_a_port_out_of_range_is_a_clear_error(workspace: Path, port: str) -> None:
    result = run_mailer("preview", SNIPPET, "--no-browser", "--port", port, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "--port must be a number from 1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr


TRAVERSALS = [
    "/static/../../mailer.yaml",
    "/static/../static/preview.js",
    "/../mailer.yaml",
    "/%2e%2e/mailer.yaml",
    "/static/%2e%2e/%2e%2e/mailer.yaml",
    "/static/..%2f..%2fmailer.yaml",
    "/static/preview.css/..",
    "//etc/passwd",
    "/static/",
    "/static/index.html",
    "/mailer.yaml",
    "/snippets/online-safety-webcams.yaml",
    "/view/email/../../mailer.yaml",
    "/view/../static/preview.js",
    "/view/",
    "/index.html",
    "/favicon.ico",
    "/static/preview.js%00",
]


def test_only_the_servers_own_paths_exist(workspace: Path) -> None:
    with running_preview(workspace) as server:
        for path in TRAVERSALS:
            status, body, _ = raw_get(server.port, path)
            assert (path, status) == (path, 404)
            assert b"Hollybank" not in body and b"root:" not in body
        for path in ROUTES - {"/api/state"}:
            status, _, headers = raw_get(server.port, path)
            assert (path, status) == (path, 200)
            assert headers["cache-control"] == "no-store"
            assert "content-security-policy" in headers
        status, body, _ = raw_get(server.port, "/api/state")
        assert status == 200 and json.loads(body)["status"] == "ok"
        # a recipient that is not in the picker, a made-up colour scheme
        assert raw_get(server.port, "/view/email?r=7")[0] == 404
        assert raw_get(server.port, "/view/email?scheme=sepia")[0] == 404
        assert raw_get(server.port, "/view/email", method="HEAD")[0] == 200


def test_a_foreign_host_header_is_refused(workspace: Path) -> None:
    """A page on the internet that points its own name at 127.0.0.1 (DNS rebinding) must
    not read the preview, which can show parents' names and addresses."""
    with running_preview(workspace, "lists/example-parents.csv") as server:
        for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1"):
            status, body, _ = raw_get(server.port, "/api/state", host=host)
            assert status == 403
            assert b"example.com" not in body
        assert raw_get(server.port, "/", host=f"localhost:{server.port}")[0] == 200


def test_email_view_is_sandboxed_and_personalised(workspace: Path) -> None:
    with running_preview(workspace, "lists/example-parents.csv") as server:
        status, body, headers = raw_get(server.port, "/view/email?r=0")
        assert status == 200
        assert "sandbox" in headers["content-security-policy"]
        assert "script-src" not in headers["content-security-policy"]
        html = body.decode("utf-8")
        assert "Dear Mrs Khan," in html and "__MAILER_" not in html
        text = raw_get(server.port, "/view/text?r=-1")[1].decode("utf-8")
        rendered = render_snippet(Workspace(workspace), SNIPPET)
        assert text == rendered.personalise(rendered.preview_fields())[1]
        source = raw_get(server.port, "/view/source?r=0")[1].decode("ascii")
        assert re.search(r"^To: Sadia Khan <sadia\.khan@example\.com>$", source, re.M)
        assert raw_get(server.port, "/copy/block.html")[1].decode("utf-8") == rendered.block


# -- the real command: prints its URL, serves, and stops cleanly on Ctrl-C ----------------


def test_ctrl_c_stops_the_preview_cleanly(workspace: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env.update(PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailer", "preview", SNIPPET, "--port", "0", "--no-browser"],
        cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, first + proc.stderr.read()  # type: ignore[union-attr]
        port = int(match.group(1))
        status, body, _ = raw_get(port, "/api/state")
        assert status == 200 and json.loads(body)["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Preview stopped." in out
    assert "Traceback" not in err
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_no_browser_is_opened_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.preview import has_display, open_browser

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert has_display() is False
    assert open_browser("http://127.0.0.1:9/") is False
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display() is True
