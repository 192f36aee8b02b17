"""The browser editor's server side: the YAML it writes, the findings at their fields, and
every refusal of a request that would change a file (real server on 127.0.0.1)."""

from __future__ import annotations

import copy
import difflib
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailer.errors import SnippetError
from mailer.preview import PreviewSession
from mailer.preview.editor import (
    SUBJECT_MAX,
    EditorServer,
    clean_form,
    form_findings,
    form_from_data,
    snippet_text,
    starter_text,
)
from mailer.snippets import parse_snippet
from mailer.workspace import Workspace
from mailer.yamlfile import parse_yaml
from tests.preview_helpers import SNIPPET, snippet_path, write

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (REPO / "snippets" / f"{SNIPPET}.yaml").read_text(encoding="utf-8")


def shipped_form() -> dict[str, Any]:
    return form_from_data(parse_yaml(SHIPPED, Path("x.yaml"), SnippetError))


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


# -- the YAML it writes --------------------------------------------------------------------

def test_unchanged_form_writes_the_file_byte_for_byte() -> None:
    assert snippet_text(clean_form(shipped_form()), SHIPPED) == SHIPPED


def test_one_changed_field_changes_one_line_and_keeps_comments() -> None:
    form = shipped_form()
    form["subject"] = "Webcams: what to watch for"
    after = snippet_text(clean_form(form), SHIPPED)
    assert changed_lines(SHIPPED, after) == [
        '-subject: "Online safety: video chat, webcams and keeping your child safe"',
        '+subject: "Webcams: what to watch for"',
    ]
    assert after.startswith("# Online safety advisory for parents and carers")


def test_nested_link_edit_reorder_and_new_key_keep_the_rest() -> None:
    form = shipped_form()
    childnet = form["links"][1]
    childnet["links"][0]["url"] = "https://www.childnet.com/new-sheet.pdf"
    form["links"][0], form["links"][2] = form["links"][2], form["links"][0]
    form["links_heading"] = "Where to get help"
    after = snippet_text(clean_form(form), SHIPPED)
    data = parse_yaml(after, Path("x.yaml"), SnippetError)
    assert [link["title"] for link in data["links"]][:3] == [
        "Get Safe Online", "Childnet", "Thinkuknow"]
    assert data["links"][1]["links"][0]["url"] == "https://www.childnet.com/new-sheet.pdf"
    assert data["links_heading"] == "Where to get help"
    # The folded description of Thinkuknow moved with its link, still folded.
    assert 'description: >-\n      Visit the "Parent/Carer" section' in after
    parse_snippet(data, Path("x.yaml"), after)


def test_removing_optional_fields_drops_their_keys() -> None:
    form = shipped_form()
    form["call_to_action"] = {"text": "", "url": "", "description": ""}
    form["sources"] = []
    form["reviewed"] = ""
    data = parse_yaml(snippet_text(clean_form(form), SHIPPED), Path("x.yaml"), SnippetError)
    assert "call_to_action" not in data and "sources" not in data and "reviewed" not in data
    assert data["title"] == "Video chat, webcams and keeping your child safe online"


_AWKWARD = st.text(
    alphabet=st.sampled_from(list("ab :#'\"\t\n-?*&!%@`|>{}[],\\") + ["é", "ł", "ا", "😀"]),
    max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(title="", subject="", description="", body=":\n ", url_tail="")  # a blank last line
@given(title=_AWKWARD, subject=_AWKWARD, description=_AWKWARD, body=_AWKWARD,
       url_tail=st.text(alphabet="abc/?=&#:%", max_size=12))
def test_any_text_in_any_field_reads_back_as_typed(title: str, subject: str, description: str,
                                                   body: str, url_tail: str) -> None:
    """A colon, quote, #, tab or line break never breaks the file: what is read back is
    what was typed (single-line fields with their spaces tidied)."""
    form = form_from_data(parse_yaml(starter_text(), Path("x.yaml"), SnippetError))
    form.update(title=title, subject=subject, preheader=description, body=body)
    form["links"] = [{"title": title or "x", "url": "https://example.org/" + url_tail,
                      "description": description, "links": []}]
    clean = clean_form(form)
    text = snippet_text(clean, starter_text())
    data = parse_yaml(text, Path("x.yaml"), SnippetError)
    one_line = " ".join(title.split())
    assert (data["title"] or "") == one_line
    assert (data["subject"] or "") == " ".join(subject.split())
    assert data["links"][0]["url"] == "https://example.org/" + url_tail.strip()
    assert data["links"][0].get("description", "") == " ".join(description.split())
    assert (data["body"] or "").rstrip("\n") == clean["body"]
    assert text.startswith("# An advisory for parents and carers")


# -- findings at their fields ------------------------------------------------------------

def findings_of(form: dict[str, Any]) -> dict[str, str]:
    return {f.field: f.severity for f in form_findings(clean_form(form))}


def test_invalid_values_are_found_at_their_field() -> None:
    form = shipped_form()
    form["title"] = "   "
    form["links"][1]["links"][1]["url"] = "javascript:alert(1)"
    form["links"][2]["url"] = "http://www.getsafeonline.org/"
    form["call_to_action"]["url"] = "www.ceop.police.uk"
    form["subject"] = "x" * (SUBJECT_MAX + 1)
    form["date"] = "12/05/2015"
    form["language"] = "English"
    assert findings_of(form) == {
        "title": "error", "links.1.links.1.url": "error", "links.2.url": "warning",
        "call_to_action.url": "error", "subject": "error", "date": "error",
        "language": "error"}


def test_the_shipped_advisory_has_no_form_findings() -> None:
    assert form_findings(clean_form(shipped_form())) == []


def test_a_long_subject_is_a_warning_not_an_error() -> None:
    form = shipped_form()
    form["subject"] = "Online safety: " + "webcams and video chat " * 4
    assert findings_of(form) == {"subject": "warning"}


# -- the server ----------------------------------------------------------------------------

@pytest.fixture
def server(workspace: Path) -> Iterator[EditorServer]:
    srv = EditorServer(PreviewSession(Workspace(workspace), SNIPPET), port=0)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def request(srv: EditorServer, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    try:
        sent = {"Host": f"127.0.0.1:{srv.port}", "Content-Type": "application/json",
                "Origin": f"http://127.0.0.1:{srv.port}"}
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw)
        except ValueError:
            return resp.status, {"raw": raw.decode("utf-8", "replace")}
    finally:
        conn.close()


def page_token(srv: EditorServer) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/")
    page = conn.getresponse().read().decode()
    conn.close()
    match = re.search(r'<meta name="mailer-token" content="([^"]+)">', page)
    assert match, "the page carries the token"
    return match.group(1)


def save_body(srv: EditorServer, token: str | None, path: str | None = None) -> dict[str, Any]:
    doc = request(srv, "GET", "/api/editor")[1]
    form = copy.deepcopy(doc["form"])
    form["title"] = "Changed by a request"
    body = {"form": form, "path": path or doc["path"], "sha": doc["sha"]}
    if token is not None:
        body["token"] = token
    return body


def test_a_save_with_the_page_token_writes_the_file(server: EditorServer,
                                                    workspace: Path) -> None:
    status, answer = request(server, "POST", "/api/save", save_body(server, page_token(server)))
    assert status == 200 and answer["saved"] is True
    assert "title: Changed by a request\n" in snippet_path(workspace).read_text()


@pytest.mark.parametrize("case", ["no token", "wrong token", "token in a header only"])
def test_a_save_without_the_token_is_refused(server: EditorServer, workspace: Path,
                                             case: str) -> None:
    before = snippet_path(workspace).read_bytes()
    token = {"no token": None, "wrong token": "x" * 43, "token in a header only": None}[case]
    headers = {"X-Mailer-Token": page_token(server)} if case == "token in a header only" else {}
    status, answer = request(server, "POST", "/api/save", save_body(server, token), headers)
    assert status == 403 and "token" in answer["error"]
    assert snippet_path(workspace).read_bytes() == before


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:1"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Host": "evil.example"},
    {"Host": "evil.example:8321", "Origin": None},
])
def test_a_save_from_another_origin_or_host_is_refused(server: EditorServer, workspace: Path,
                                                       headers: dict[str, str]) -> None:
    before = snippet_path(workspace).read_bytes()
    status, answer = request(server, "POST", "/api/save", save_body(server, page_token(server)),
                             headers)
    assert status == 403 and answer["error"].startswith("Refused")
    assert snippet_path(workspace).read_bytes() == before


@pytest.mark.parametrize("path", [
    "../mailer.yaml", "snippets/../mailer.yaml", "snippets/../../escape.yaml",
    "/etc/passwd.yaml", "templates/email.yaml", "snippets/sub/x.yaml", "..",
    "snippets/.hidden.yaml", "snippets/x.txt", "snippets\\..\\mailer.yaml", "linked.yaml",
])
def test_a_save_outside_snippets_is_refused(server: EditorServer, workspace: Path,
                                            path: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("kept: true\n")
    (workspace / "snippets" / "linked.yaml").symlink_to(outside)
    config = (workspace / "mailer.yaml").read_bytes()
    status, answer = request(server, "POST", "/api/save",
                             save_body(server, page_token(server), path))
    assert status == 403 and "snippets folder" in answer["error"]
    assert (workspace / "mailer.yaml").read_bytes() == config
    assert outside.read_text() == "kept: true\n"
    assert not (tmp_path / "escape.yaml").exists()


def test_file_changes_need_post_with_json(server: EditorServer, workspace: Path) -> None:
    token = page_token(server)
    before = snippet_path(workspace).read_bytes()
    assert request(server, "GET", "/api/save")[0] == 404
    form_encoded = f"token={token}".encode()
    status, _ = request(server, "POST", "/api/save", form_encoded,
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    status, _ = request(server, "POST", "/api/save", b"not json")
    assert status == 400
    assert snippet_path(workspace).read_bytes() == before


def test_the_token_is_new_for_every_run(workspace: Path) -> None:
    tokens = set()
    for _ in range(2):
        srv = EditorServer(PreviewSession(Workspace(workspace), SNIPPET), port=0)
        try:
            tokens.add(srv.token)
        finally:
            srv.stop()
    assert len(tokens) == 2 and all(len(t) >= 40 for t in tokens)


def test_a_file_changed_on_disk_is_not_overwritten_silently(server: EditorServer,
                                                             workspace: Path) -> None:
    token = page_token(server)
    body = save_body(server, token)
    other = write(snippet_path(workspace),
                  snippet_path(workspace).read_text().replace("Thinkuknow", "Think U Know", 1))
    status, answer = request(server, "POST", "/api/save", body)
    assert status == 409 and answer["conflict"] is True
    assert "changed on this computer after you opened it" in answer["error"]
    assert snippet_path(workspace).read_text() == other
    body["overwrite"] = True
    status, answer = request(server, "POST", "/api/save", body)
    assert status == 200
    saved = snippet_path(workspace).read_text()
    assert "title: Changed by a request" in saved


def test_a_form_with_an_error_is_not_saved(server: EditorServer, workspace: Path) -> None:
    body = save_body(server, page_token(server))
    body["form"]["links"][0]["url"] = "javascript:alert(1)"
    before = snippet_path(workspace).read_bytes()
    status, answer = request(server, "POST", "/api/save", body)
    assert status == 422 and "Nothing was saved" in answer["error"]
    assert snippet_path(workspace).read_bytes() == before


def test_a_draft_renders_without_saving_and_points_at_fields(server: EditorServer,
                                                             workspace: Path) -> None:
    before = snippet_path(workspace).read_bytes()
    body = save_body(server, page_token(server))
    body["form"]["links"][2]["url"] = "http://www.getsafeonline.org/"
    status, answer = request(server, "POST", "/api/draft", body)
    assert status == 200 and answer["can_save"] is True and answer["rendered"] is True
    fields = {(f["field"], f["severity"], f["source"]) for f in answer["findings"]}
    assert ("links.2.url", "warning", "form") in fields
    # mailer check's own finding about that link points at the same field
    assert any(f["field"] == "links.2.url" and f["source"] == "check"
               for f in answer["findings"])
    assert server.session.snapshot.rendered.snippet.title == "Changed by a request"
    assert snippet_path(workspace).read_bytes() == before


def test_a_draft_with_an_error_keeps_the_last_good_preview(server: EditorServer,
                                                           workspace: Path) -> None:
    body = save_body(server, page_token(server))
    status, answer = request(server, "POST", "/api/draft", body)
    assert status == 200 and answer["stale"] is False
    body["form"]["title"] = "Second title"
    body["form"]["links"][0]["url"] = "javascript:alert(1)"
    status, answer = request(server, "POST", "/api/draft", body)
    assert status == 200 and answer["stale"] is True and answer["can_save"] is False
    assert {"field": "links.0.url", "severity": "error", "source": "form"}.items() <= \
        answer["findings"][0].items()
    assert server.session.snapshot.rendered.snippet.title == "Changed by a request"


def test_a_new_advisory_with_empty_fields_says_which_field(workspace: Path) -> None:
    srv = EditorServer(PreviewSession(Workspace(workspace), "new-advisory"), port=0, new=True)
    srv.start()
    try:
        doc = request(srv, "GET", "/api/editor")[1]
        assert doc["is_new"] is True and doc["sha"] is None
        assert doc["form"]["date"] and doc["form"]["language"] == "en"
        status, answer = request(srv, "POST", "/api/draft",
                                 {"token": page_token(srv), "form": doc["form"]})
        assert status == 200 and answer["can_save"] is False
        assert [f["field"] for f in answer["findings"]] == ["title", "subject", "preheader",
                                                             "body"]
        problem = srv.session.snapshot.problem
        assert problem is not None and problem.where == "the Edit panel"
        assert problem.message.startswith("your advisory appears here as soon as")
        assert not (workspace / "snippets" / "new-advisory.yaml").exists()
    finally:
        srv.stop()


# -- the commands ----------------------------------------------------------------------------

def test_edit_names_a_missing_snippet_and_exits_2(workspace: Path) -> None:
    from tests.conftest import run_mailer

    result = run_mailer("edit", "no-such-advisory", "--no-browser", "--port", "0",
                        cwd=workspace)
    assert result.returncode == 2
    assert "there is no snippet called 'no-such-advisory'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["new"], ["edit", SNIPPET], ["preview", SNIPPET]])
def test_the_commands_serve_the_editor_and_stop_on_ctrl_c(workspace: Path,
                                                          args: list[str]) -> None:
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env.update(PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "mailer", *args, "--port", "0",
                             "--no-browser"], cwd=workspace, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, first + proc.stderr.read()  # type: ignore[union-attr]
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request("GET", "/")
        page = conn.getresponse().read().decode()
        conn.request("GET", "/api/editor")
        doc = json.loads(conn.getresponse().read())
        conn.close()
        open_panel = "open" if args[0] in ("new", "edit") else "closed"
        assert f'<meta name="mailer-editor" content="{open_panel}">' in page
        assert re.search(r'<meta name="mailer-token" content="[A-Za-z0-9_-]{40,}">', page)
        assert 'id="editor"' in page and page.count("<main") == 1
        assert doc["is_new"] is (args[0] == "new")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped." in out and "Traceback" not in err
    assert not (workspace / "snippets" / "new-advisory.yaml").exists()


def test_an_unchanged_draft_shows_the_file_itself(server: EditorServer,
                                                  workspace: Path) -> None:
    doc = request(server, "GET", "/api/editor")[1]
    status, _ = request(server, "POST", "/api/draft",
                        {"token": page_token(server), "form": doc["form"]})
    assert status == 200 and server.session.draft_text is None
    doc["form"]["audience"] = "Parents, carers and staff"
    status, _ = request(server, "POST", "/api/draft",
                        {"token": page_token(server), "form": doc["form"]})
    assert status == 200 and server.session.draft_text is not None
    assert server.session.snapshot.rendered.snippet.audience == "Parents, carers and staff"


@pytest.mark.parametrize("name", ["online-safety-webcams", "online-safety-2026"])
def test_every_shipped_advisory_round_trips_byte_for_byte(name: str) -> None:
    text = (REPO / "snippets" / f"{name}.yaml").read_text(encoding="utf-8")
    form = form_from_data(parse_yaml(text, Path("x.yaml"), SnippetError))
    assert snippet_text(clean_form(form), text) == text


def test_keys_the_form_does_not_edit_are_kept() -> None:
    """A source's ``date`` (not in the form) survives an edit of that source's title."""
    text = (REPO / "snippets" / "online-safety-2026.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text, Path("x.yaml"), SnippetError)
    dated = [i for i, s in enumerate(data["sources"]) if s.get("date")]
    assert dated, "the 2026 advisory has dated sources"
    form = form_from_data(data)
    form["sources"][dated[0]]["title"] = "A new title for this source"
    form["reviewed_by"] = "Ms Example, DSL"
    after = snippet_text(clean_form(form), text)
    back = parse_yaml(after, Path("x.yaml"), SnippetError)
    assert back["sources"][dated[0]]["date"] == data["sources"][dated[0]]["date"]
    assert back["sources"][dated[0]]["title"] == "A new title for this source"
    assert back["reviewed_by"] == "Ms Example, DSL"
    assert len(changed_lines(text, after)) <= 4


def test_a_windows_file_keeps_its_line_ends_and_byte_order_mark(server: EditorServer,
                                                                 workspace: Path) -> None:
    path = snippet_path(workspace)
    original = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8"))
    request(server, "POST", "/api/reopen", {"token": page_token(server)})
    body = save_body(server, page_token(server))
    status, _ = request(server, "POST", "/api/save", body)
    assert status == 200
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == original.count("\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    after = raw[3:].decode("utf-8").replace("\r\n", "\n")
    assert changed_lines(original, after) == [
        "-title: Video chat, webcams and keeping your child safe online",
        "+title: Changed by a request"]


def test_check_findings_that_name_a_line_point_at_that_field(server: EditorServer) -> None:
    doc = request(server, "GET", "/api/editor")[1]
    doc["form"]["audience"] = "Parents and carers of Year 5"  # a draft, not the file
    status, answer = request(server, "POST", "/api/draft",
                             {"token": page_token(server), "form": doc["form"]})
    assert status == 200
    net_aware = [i for i, link in enumerate(doc["form"]["links"])
                 if link["title"] == "Net Aware"][0]
    by_text = {f["message"].split(":")[0][:40]: f["field"] for f in answer["findings"]
               if f["check_id"] == "R2"}
    assert by_text, "mailer check names closed services in the shipped advisory"
    fields = set(by_text.values())
    assert "body" in fields  # Skype and ooVoo are named in the text
    assert any(f.startswith(f"links.{net_aware}.") for f in fields)


def test_messages_start_with_a_capital_but_names_keep_theirs() -> None:
    from mailer.preview.editor import _sentence

    assert _sentence("the url must start with https://") == "The url must start with https://"
    assert _sentence("ooVoo closed in 2017.") == "ooVoo closed in 2017."
    assert _sentence("iPad apps") == "iPad apps"
