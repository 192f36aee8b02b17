"""A workspace whose own copy of an advisory is missing: mailer says, in one line, that it
uses the built-in advisory (send's summary and question, render, check, preview, the
snippets listing); and a template that uses an unknown personal field is named plainly.
Run through the real command line (real SMTP server on 127.0.0.1, real subprocesses)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_mailer, set_smtp
from tests.sendkit import SNIPPET, write_list
from tests.smtp_server import SmtpServer
from tests.test_send_process import _run_on_terminal

SENTENCE = (f"Using the built-in advisory '{SNIPPET}': this workspace has no "
            f"snippets/{SNIPPET}.yaml")
NO_FOLDER = "(it has no snippets/ folder at all)"


@pytest.fixture
def no_snippets(workspace: Path) -> Path:
    """The demo workspace with its snippets/ folder moved away."""
    shutil.rmtree(workspace / "snippets")
    return workspace


@pytest.fixture
def other_snippets(workspace: Path) -> Path:
    """The demo workspace whose snippets/ holds only another advisory (the school's copy
    of the webcams letter, and its translations, were moved)."""
    for path in (workspace / "snippets").glob(f"{SNIPPET}*.yaml"):
        path.unlink()
    return workspace


def test_send_summary_names_the_built_in_advisory_first(no_snippets: Path) -> None:
    ws = no_snippets
    list_arg, _ = write_list(ws, 3)
    with SmtpServer() as server:
        set_smtp(ws, host="127.0.0.1", port=server.port, security="none")
        result = run_mailer("send", SNIPPET, "--list", list_arg, cwd=ws)
        received = list(server.received)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert received == []
    notice = [line for line in result.stderr.splitlines() if SENTENCE in line]
    assert len(notice) == 1 and NO_FOLDER in notice[0], result.stderr
    # In the summary, before everything else in it (and so before the question).
    assert result.stderr.index(SENTENCE) < result.stderr.index("Campaign:")


def test_send_question_says_built_in(other_snippets: Path) -> None:
    ws = other_snippets
    list_arg, _ = write_list(ws, 2)
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with SmtpServer() as server:
        set_smtp(ws, host="127.0.0.1", port=server.port, security="none")
        question = (f"Send 2 emails of the BUILT-IN advisory '{SNIPPET}' as "
                    "office@hollybank.example.sch.uk via 127.0.0.1? [y/N]")
        code, _, screen = _run_on_terminal(ws, list_arg, [(question, "n")], env)
        received = list(server.received)
    assert code == 0 and "Nothing was sent." in screen
    assert received == []
    assert SENTENCE in screen and NO_FOLDER not in screen
    assert screen.index(SENTENCE) < screen.index("Campaign:") < screen.index(question)


def test_send_to_outbox_with_yes_still_says_so(no_snippets: Path) -> None:
    list_arg, addrs = write_list(no_snippets, 2)
    result = run_mailer("send", SNIPPET, "--list", list_arg, "--yes", cwd=no_snippets)
    assert result.returncode == 0, result.stderr
    assert SENTENCE in result.stderr
    assert len(list((no_snippets / "outbox" / "new").iterdir())) == len(addrs)


def test_own_copy_gives_no_notice(workspace: Path) -> None:
    list_arg, _ = write_list(workspace, 2)
    send = run_mailer("send", SNIPPET, "--list", list_arg, "--dry-run", cwd=workspace)
    render = run_mailer("render", SNIPPET, cwd=workspace)
    listing = run_mailer("snippets", cwd=workspace)
    assert send.returncode == render.returncode == listing.returncode == 0
    for result in (send, render, listing):
        assert "built-in" not in (result.stdout + result.stderr).lower()


@pytest.mark.parametrize("args", [("render",), ("render", "--format", "text", "--stdout"),
                                  ("check",)])
def test_render_and_check_say_so(other_snippets: Path, args: tuple[str, ...]) -> None:
    result = run_mailer(args[0], SNIPPET, *args[1:], cwd=other_snippets)
    assert result.returncode in (0, 1), result.stderr  # check: 1 for the advice's findings
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if SENTENCE in line]
    assert len(lines) == 1, result.stderr
    assert SENTENCE not in result.stdout  # --stdout output stays the email alone


def test_preview_says_so(no_snippets: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "preview", SNIPPET,
                             "--no-browser", "--port", "0"], cwd=no_snippets,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Preview of"), first
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert SENTENCE in err and NO_FOLDER in err


def test_snippets_listing_marks_built_in_rows(no_snippets: Path) -> None:
    result = run_mailer("snippets", cwd=no_snippets)
    assert result.returncode == 0
    assert f"This workspace has no snippets/ folder ({no_snippets / 'snippets'})" in (
        result.stderr)
    rows = [line for line in result.stdout.splitlines() if line.startswith(SNIPPET)]
    assert rows and all("[built-in]" in row for row in rows)


def test_snippets_listing_marks_only_built_in_rows(other_snippets: Path) -> None:
    result = run_mailer("snippets", cwd=other_snippets)
    assert result.returncode == 0
    assert "no snippets/ folder" not in result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if line.startswith("online-safety-")}
    assert "[built-in]" in rows[SNIPPET]
    assert "[built-in]" not in rows["online-safety-2026"]  # the workspace's own copy


FIELDS = ("recipient.greeting, recipient.email, recipient.name, recipient.title, "
          "recipient.forename, recipient.surname, recipient.children, "
          "recipient.children_details")


@pytest.mark.parametrize("expression", ["{{ recipient.nickname }}",
                                        "{% if recipient['nickname'] %}x{% endif %}"])
def test_unknown_personal_field_is_named(workspace: Path, expression: str) -> None:
    template = workspace / "templates" / "email.txt"
    lines = template.read_text(encoding="utf-8").splitlines() + [expression]
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for args in (("render", SNIPPET), ("send", SNIPPET, "--list", "example-parents.csv",
                                       "--yes")):
        result = run_mailer(*args, cwd=workspace)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "_Placeholders" not in result.stderr
        assert (f"{template}, line {len(lines)}: the template uses recipient.nickname, but "
                "there is no personal field called 'nickname'. A template can use: "
                f"{FIELDS}.") in result.stderr, result.stderr
    assert not (workspace / "outbox" / "new").exists() or not any(
        (workspace / "outbox" / "new").iterdir())


def test_the_fields_listed_are_the_readme_s() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for field in FIELDS.split(", "):
        if field != "recipient.greeting" and field != "recipient.email":
            assert f"`{field}`" in readme
