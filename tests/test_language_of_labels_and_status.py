"""The email's words follow the parent's language, and status counts parents per language:
the "(PDF)" label of a link in a translation, and ``mailer status`` per message language
(aiosmtpd and a real SQLite journal)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import yaml
from lxml import html as lxml_html

from mailer.journal import Journal, journal_path
from tests.conftest import run_mailer, set_smtp
from tests.sendkit import SNIPPET, excel_csv
from tests.smtp_server import RecordingHandler, SmtpServer

# --- "(PDF)" in the email's language -------------------------------------------------------

def test_pdf_label_follows_the_translation(workspace: Path, tmp_path: Path) -> None:
    pdf = "https://www.childnet.com/ufiles/Video-chat-and-webcams1.pdf"
    for lang, label in (("pl", "(plik PDF)"), ("ar", "(ملف PDF)")):
        out = tmp_path / lang
        result = run_mailer("render", f"{SNIPPET}.{lang}", "--out", str(out), cwd=workspace)
        assert result.returncode == 0, result.stderr
        for name in ("email.html", "block.html"):
            doc = lxml_html.document_fromstring((out / name).read_text(encoding="utf-8"))
            words = next(a.text_content() for a in doc.iter("a") if a.get("href") == pdf)
            assert words.endswith(label), (name, words)
            assert "(PDF)" not in words
        assert label in (out / "email.txt").read_text(encoding="utf-8")
    english = tmp_path / "en"
    assert run_mailer("render", SNIPPET, "--out", str(english), cwd=workspace).returncode == 0
    doc = lxml_html.document_fromstring((english / "email.html").read_text(encoding="utf-8"))
    assert next(a.text_content() for a in doc.iter("a")
                if a.get("href") == pdf).endswith(" (PDF)")


def test_pdf_link_in_the_body_follows_the_translation(workspace: Path, tmp_path: Path) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    data = path.read_text(encoding="utf-8")
    data = data.replace("body: |\n", "body: |\n  Zobacz [poradnik dla rodziców]"
                        "(https://example.org/guide.PDF?v=2).\n\n", 1)
    assert "poradnik" in data
    path.write_text(data, encoding="utf-8")
    out = tmp_path / "pl"
    result = run_mailer("render", f"{SNIPPET}.pl", "--out", str(out), cwd=workspace)
    assert result.returncode == 0, result.stderr
    html = (out / "email.html").read_text(encoding="utf-8")
    assert re.search(r">poradnik dla rodziców \(plik PDF\)</a>", html)


# --- status per language -----------------------------------------------------------------

FAMILIES = [
    ["Pupil Forename", "Pupil Surname", "Contact Forename", "Contact Surname", "Email",
     "Home Language"],
    ["Maja", "Kowalska", "Agnieszka", "Kowalska", "agnieszka@example.com", "Polish"],
    ["Jan", "Nowak", "Piotr", "Nowak", "piotr@example.com", "pl"],
    ["Zara", "Ahmed", "Fatima", "Ahmed", "fatima@example.com", "Arabic"],
    ["Amy", "Khan", "Sadia", "Khan", "sadia@example.com", "Urdu"],
    ["Ella", "Brown", "Laura", "Brown", "laura@example.com", "English"],
    ["Noah", "Evans", "Gareth", "Evans", "gareth@example.com", ""],
]


def test_status_counts_parents_per_language(workspace: Path) -> None:
    excel_csv(workspace / "lists" / "families.csv", FAMILIES)
    handler = RecordingHandler(rcpt_replies={"piotr@example.com": "550 5.1.1 No such user"})
    with SmtpServer(handler=handler) as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none",
                 timeout_s=5)
        sent = run_mailer("send", SNIPPET, "--list", "lists/families.csv", "--yes",
                          "--campaign", "term1", cwd=workspace)
    assert sent.returncode == 1, sent.stderr  # one parent failed
    result = run_mailer("status", "term1", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    languages = json.loads(result.stdout)["languages"]
    assert {tag: (v["name"], v["recipients"], v["sent"], v["failed"])
            for tag, v in languages.items()} == {
        "en": ("English", 3, 3, 0), "pl": ("Polish", 2, 1, 1), "ar": ("Arabic", 1, 1, 0)}
    assert list(languages) == ["en", "pl", "ar"]  # most parents first
    text = run_mailer("status", "term1", cwd=workspace).stdout
    table = [line.split() for line in text.splitlines() if line.startswith("  ")][1:]
    assert ["Language", "Parents", "Sent", "Not", "sent"] in table
    assert ["English", "3", "3", "0"] in table
    assert ["Polish", "2", "1", "1"] in table
    assert ["Arabic", "1", "1", "0"] in table
    overview = run_mailer("status", "--json", cwd=workspace)
    assert json.loads(overview.stdout)["campaigns"][0]["languages"] == languages
    assert "in English 3, Polish 2, Arabic 1" in run_mailer("status", cwd=workspace).stdout


def test_status_of_a_journal_from_before_languages_were_recorded(workspace: Path) -> None:
    """A journal written by an earlier mailer (no language column) still shows its
    campaigns; their parents' language is "not recorded"; a later send adds the column."""
    path = journal_path(workspace / ".mailer")
    with Journal(path) as journal:
        journal.start_campaign("old", snippet=SNIPPET, list_path="l.csv", list_hash="h",
                               content_hash="c", transport="outbox")
        journal.add_recipients("old", ["a@example.com", "b@example.com"])
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE recipients DROP COLUMN language")
    db.commit()
    db.close()
    result = run_mailer("status", "old", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["languages"] == {"": {
        "name": "not recorded", "recipients": 2, "pending": 2, "sent": 0, "written": 0,
        "deferred": 0, "failed": 0, "uncertain": 0}}
    columns = {row[1] for row in sqlite3.connect(path).execute(
        "PRAGMA table_info(recipients)")}
    assert "language" in columns


def test_status_shows_no_language_table_for_one_language(workspace: Path) -> None:
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text(encoding="utf-8"))
    assert "smtp" not in cfg or not cfg["smtp"].get("host")
    excel_csv(workspace / "lists" / "english.csv", [FAMILIES[0], FAMILIES[5], FAMILIES[6]])
    assert run_mailer("send", SNIPPET, "--list", "lists/english.csv", "--yes",
                      "--campaign", "en-only", cwd=workspace).returncode == 0
    text = run_mailer("status", "en-only", cwd=workspace).stdout
    assert "Language" not in text
    data = json.loads(run_mailer("status", "en-only", "--json", cwd=workspace).stdout)
    assert data["languages"]["en"]["written"] == 2
