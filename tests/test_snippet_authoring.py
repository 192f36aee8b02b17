"""Snippet authoring errors: staff write snippets by hand, so every mistake names the file,
the line (and for YAML syntax, the column) and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.errors import SnippetError
from mailer.snippets import load_snippet
from tests.conftest import run_mailer

GOOD = """\
title: Video chat and webcams
subject: "Online safety: video chat"
preheader: What to look out for.
date: 2015-05-12
body: |
  We are writing to all parents and carers.

  Read [Childnet's advice](https://www.childnet.com/) with your child.
links:
  - title: Thinkuknow
    url: https://www.thinkuknow.co.uk/
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "advice.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def failure(tmp_path: Path, text: str) -> SnippetError:
    with pytest.raises(SnippetError) as info:
        load_snippet(write(tmp_path, text))
    return info.value


def test_the_good_snippet_loads(tmp_path: Path) -> None:
    snippet = load_snippet(write(tmp_path, GOOD))
    assert snippet.title == "Video chat and webcams"
    assert snippet.links[0].url == "https://www.thinkuknow.co.uk/"


def test_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace('subject: "Online safety: video chat"',
                                         "subject: [unclosed"))
    text = str(err)
    # The scanner notices the unclosed '[' at the ':' of the next line; the message names
    # the line where the '[' is.
    assert "advice.yaml, line 2:" in text
    assert "starting with '[' or '{' is read as a list" in text and "in quotes" in text


def test_yaml_error_column_points_at_the_mistake(tmp_path: Path) -> None:
    # A tab cannot indent YAML; the scanner stops at line 6, column 1.
    err = failure(tmp_path, GOOD.replace("  We are writing", "\tWe are writing"))
    assert err.line == 6
    assert "indented with a tab. Indent with spaces only" in str(err)


def test_unknown_key_names_the_key_and_the_allowed_keys(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("preheader:", "pre_header:"))
    text = str(err)
    assert err.line == 3
    assert "unknown key 'pre_header'" in text
    for allowed in ("preheader", "subject", "call_to_action", "links"):
        assert allowed in text


def test_unknown_key_in_a_link_names_it(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("    url: https://www.thinkuknow.co.uk/",
                                         "    url: https://www.thinkuknow.co.uk/\n    colour: red"))
    assert "unknown key 'colour'" in str(err) and "description" in str(err)
    assert err.line == 12


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace('subject: "Online safety: video chat"\n', ""))
    assert "the required key 'subject' is missing" in str(err)
    assert "advice.yaml" in str(err)


def test_raw_html_in_markdown_is_refused_with_its_line(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("We are writing to all parents and carers.",
                                         'We are writing to <b style="color:red">all</b> '
                                         "parents."))
    assert "raw HTML" in str(err) and "<b" in str(err)
    assert err.line == 6


def test_raw_html_block_later_in_the_body_names_its_line(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("  Read [Childnet", "  <div>Hello</div>\n\n  Read "
                                         "[Childnet"))
    assert err.line == 8


def test_http_link_loads_so_check_can_warn(tmp_path: Path) -> None:
    snippet = load_snippet(write(tmp_path, GOOD.replace("https://www.thinkuknow",
                                                        "http://www.thinkuknow")))
    assert snippet.links[0].url == "http://www.thinkuknow.co.uk/"


def test_link_without_text_in_the_links_list_is_an_error(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("  - title: Thinkuknow\n    url:", "  - url:"))
    assert "has no text" in str(err) and err.line == 10


def test_link_without_text_in_the_body_is_an_error(tmp_path: Path) -> None:
    err = failure(tmp_path, GOOD.replace("[Childnet's advice]", "[]"))
    assert "no text" in str(err) and "https://www.childnet.com/" in str(err)
    assert err.line == 8


def test_authoring_error_from_the_command_line(workspace: Path) -> None:
    (workspace / "snippets" / "broken.yaml").write_text(
        GOOD.replace("preheader:", "pre_header:"), encoding="utf-8")
    result = run_mailer("check", "broken", cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "broken.yaml, line 3" in result.stderr and "'pre_header'" in result.stderr


def test_subject_over_the_editors_limit_is_refused_by_check_and_send(workspace: Path) -> None:
    """A hand-written subject longer than Outlook keeps (the browser editor's error,
    SUBJECT_MAX = 255) stops `check` and `send` alike, naming file and line; 255 loads."""
    from mailer.preview.editor import SUBJECT_MAX

    path = workspace / "snippets" / "online-safety-webcams.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(i for i, t in enumerate(lines, 1) if t.startswith("subject:"))
    subject = ("Online safety " * 25).strip() + "!"
    assert len(subject) == 350
    lines[line - 1] = f"subject: {subject}\n"
    path.write_text("".join(lines), encoding="utf-8")
    for args in (("check", "online-safety-webcams"),
                 ("send", "online-safety-webcams", "--list", "lists/example-parents.csv")):
        result = run_mailer(*args, cwd=workspace)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        err = " ".join(result.stderr.split())
        assert f"online-safety-webcams.yaml, line {line}: the subject is 350 characters; " \
               f"Outlook keeps only {SUBJECT_MAX}, so parents would see it cut off. " \
               "Shorten it." in err
    outbox = workspace / "outbox"
    assert not outbox.exists() or not any(p.is_file() for p in outbox.rglob("*"))


def test_subject_at_the_limit_loads(tmp_path: Path) -> None:
    subject = "x" * 255
    assert load_snippet(write(tmp_path, GOOD.replace(
        '"Online safety: video chat"', subject))).subject == subject
    assert "line 2" in str(failure(tmp_path, GOOD.replace(
        '"Online safety: video chat"', subject + "x")))
