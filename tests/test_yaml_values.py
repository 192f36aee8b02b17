"""Values in mailer.yaml and snippets are kept exactly as written, and mistakes a school
office makes in them are named with their line (found by a new-user test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.config import load_config
from mailer.errors import ConfigError, SnippetError
from mailer.snippets import load_snippet
from tests.conftest import run_mailer

SNIPPET = "snippets/online-safety-webcams.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1)
                if needle in line and not line.lstrip().startswith("#"))


@pytest.mark.parametrize("written", ["0163260123", "+441632960123", "01632 960123"])
def test_phone_numbers_are_kept_as_written(workspace: Path, written: str) -> None:
    edit(workspace / "mailer.yaml", "phone: 01632 960123", f"phone: {written}")
    config = load_config(workspace / "mailer.yaml")
    assert config.organisation.contact.phone == written
    result = run_mailer("render", "online-safety-webcams", "--format", "text", "--stdout",
                        cwd=workspace)
    assert f"Telephone: {written}" in result.stdout


def test_words_like_no_and_yes_stay_words(workspace: Path) -> None:
    path = workspace / SNIPPET
    edit(path, "title: Thinkuknow", "title: No")
    snippet = load_snippet(path)
    assert snippet.links[0].title == "No"


def test_an_impossible_date_is_named_with_its_line(workspace: Path) -> None:
    path = workspace / SNIPPET
    edit(path, "date: 2015-05-12", "date: 2024-02-30")
    with pytest.raises(SnippetError) as err:
        load_snippet(path)
    assert err.value.line == line_of(path, "date: 2024-02-30")
    assert "'date' is 2024-02-30, which is not a real date: February 2024 has 29 days." in (
        str(err.value))
    result = run_mailer("check", "online-safety-webcams", cwd=workspace)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_numbers_in_config_are_read_and_checked(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    cfg.write_text(cfg.read_text() + "smtp:\n  host: 127.0.0.1\n  security: none\n"
                   "  port: 2525\n  rate_per_minute: 30\n  timeout_s: 7.5\n")
    smtp = load_config(cfg).smtp
    assert (smtp.port, smtp.rate_per_minute, smtp.timeout_s) == (2525, 30, 7.5)
    for bad, needle in (("port: abc", "'port' must be a whole number from 1 to 65535"),
                        ("port: 99999", "from 1 to 65535"),
                        ("rate_per_minute: -1", "'rate_per_minute' must be a whole number")):
        key = bad.split(":")[0]
        text = cfg.read_text()
        original = next(line for line in text.splitlines() if line.startswith(f"  {key}:"))
        head, _, tail = text.rpartition(original)
        cfg.write_text(head + f"  {bad}" + tail)
        with pytest.raises(ConfigError) as err:
            load_config(cfg)
        assert needle in str(err.value) and err.value.line == line_of(cfg, bad)
        cfg.write_text(text)


def test_unquoted_brand_colour_is_explained(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    edit(cfg, 'brand_colour: "#1d4f91"', "brand_colour: #c8102e")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "in quotes" in str(err.value) and err.value.line == line_of(cfg, "brand_colour")


def test_contact_email_and_website_must_be_real_addresses(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    edit(cfg, "email: safeguarding@hollybank.example.sch.uk", "email: safeguarding at school")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "organisation.contact.email" in str(err.value)
    edit(cfg, "email: safeguarding at school", "email: safeguarding@hollybank.example.sch.uk")
    edit(cfg, "website: https://www.hollybank.example.sch.uk/", "website: www.hollybank.org")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "https://" in str(err.value) and err.value.line == line_of(cfg, "website:")


def test_language_must_be_a_code(workspace: Path) -> None:
    path = workspace / SNIPPET
    edit(path, "language: en", "language: Arabic")
    with pytest.raises(SnippetError) as err:
        load_snippet(path)
    assert "language code" in str(err.value) and err.value.line == line_of(path, "language:")


@pytest.mark.parametrize("value", ["''", "'   '", ""])
def test_empty_body_is_named_at_its_own_line(workspace: Path, value: str) -> None:
    path = workspace / SNIPPET
    text = path.read_text()
    start = text.index("body: |")
    end = text.index("call_to_action:")
    path.write_text(text[:start] + f"body: {value}\n" + text[end:])
    with pytest.raises(SnippetError) as err:
        load_snippet(path)
    assert "'body' is empty" in str(err.value)
    assert err.value.line == line_of(path, "body:")


def test_a_subject_written_over_two_lines_becomes_one(workspace: Path) -> None:
    path = workspace / SNIPPET
    edit(path, 'subject: "Online safety: video chat, webcams and keeping your child safe"',
         "subject: |\n  Online safety: video chat,\n  webcams and keeping your child safe")
    assert load_snippet(path).subject == (
        "Online safety: video chat, webcams and keeping your child safe")
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,hi", "/relative",
                                  "ftp://files.example.org/x"])
def test_body_links_must_be_web_addresses(workspace: Path, href: str) -> None:
    path = workspace / SNIPPET
    edit(path, "  We are writing to all parents", f"  See [this page]({href}). We are writing "
         "to all parents")
    with pytest.raises(SnippetError) as err:
        load_snippet(path)
    assert "not a full web address" in str(err.value)
    assert err.value.line == line_of(path, "See [this page]")


def test_a_template_that_is_not_utf8_is_a_clear_error(workspace: Path) -> None:
    footer = workspace / "templates" / "email.txt"
    footer.write_bytes(footer.read_bytes() + "Caf\u00e9\n".encode("cp1252"))
    result = run_mailer("render", "online-safety-webcams", cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "not UTF-8" in result.stderr and "Traceback" not in result.stderr
