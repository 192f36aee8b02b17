"""Sending in parents' languages through a real SMTP server (aiosmtpd on 127.0.0.1): each
parent gets their language where a translation exists (subject, lang, Content-Language,
greeting), the others English, and the counts say so exactly."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from lxml import html as lxml_html

from mailer.snippets import load_snippet
from tests.conftest import set_smtp
from tests.sendkit import SNIPPET, CliResult, run_cli
from tests.smtp_server import SmtpServer

# Names and codes as SIMS, Arbor and Bromcom exports give them; two parents share an
# address (their rows agree), and two rows cannot be read as a language.
LIST = """\
Pupil Forename,Pupil Surname,Contact Title,Contact Forename,Contact Surname,Email,Home Language
Maja,Kowalska,Mrs,Agnieszka,Kowalska,agnieszka@example.com,Polish
Jan,Nowak,Mr,Piotr,Nowak,piotr@example.com,pl
Ola,Zielinska,Ms,Ewa,Zielinska,ewa@example.com,POL
Zara,Ahmed,Mrs,Fatima,Ahmed,fatima@example.com,Arabic
Omar,Haddad,Mr,Karim,Haddad,karim@example.com,ar
Amy,Khan,Mrs,Sadia,Khan,sadia@example.com,Urdu
Ben,Khan,Mrs,Sadia,Khan,sadia@example.com,Urdu
Dev,Singh,Mr,Arjun,Singh,arjun@example.com,Panjabi
Leo,Souza,Mr,Joao,Souza,joao@example.com,Portuguese (Brazil)
Ella,Brown,Miss,Laura,Brown,laura@example.com,English
Noah,Evans,Mr,Gareth,Evans,gareth@example.com,
Isla,Reed,Ms,Iona,Reed,iona@example.com,Martian
Cara,Jones,Mrs,Wyn,Jones,wyn@example.com,cy
"""

EXPECTED = {  # address -> message language (English is en-GB: organisation.language)
    "agnieszka@example.com": "pl", "piotr@example.com": "pl", "ewa@example.com": "pl",
    "fatima@example.com": "ar", "karim@example.com": "ar",
    "sadia@example.com": "en-GB", "arjun@example.com": "en-GB", "joao@example.com": "en-GB",
    "laura@example.com": "en-GB", "gareth@example.com": "en-GB", "iona@example.com": "en-GB",
    "wyn@example.com": "en-GB",
}


@pytest.fixture
def mailer(workspace: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("MAILER_SMTP_PASSWORD", raising=False)
    (workspace / "lists" / "families.csv").write_text(LIST, encoding="utf-8")

    def run(*args: str) -> CliResult:
        return run_cli(capsys, *args)

    return run


def _html(msg: EmailMessage) -> str:
    part = msg.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_each_parent_gets_their_language_through_smtp(mailer, workspace: Path) -> None:
    english = load_snippet(workspace / "snippets" / f"{SNIPPET}.yaml")
    subjects = {tag: load_snippet(workspace / "snippets" / f"{SNIPPET}.{tag}.yaml").subject
                for tag in ("pl", "ar")} | {"en-GB": english.subject}
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", "lists/families.csv", "--yes", "--json")
        received = list(server.received)
    assert result.returncode == 0, result.stderr
    by_address = {r.rcpt_tos[0]: r.message for r in received}
    assert sorted(by_address) == sorted(EXPECTED)  # one message each, nobody twice
    for address, lang in EXPECTED.items():
        msg = by_address[address]
        assert msg["Content-Language"] == lang, address
        assert msg["Subject"] == subjects[lang], address
        doc = lxml_html.document_fromstring(_html(msg))
        assert doc.get("lang") == lang, address
        assert doc.get("dir") == ("rtl" if lang == "ar" else "ltr"), address
        preheader = doc.find_class("preheader")[0].text_content()
        wanted = load_snippet(workspace / "snippets" / (
            f"{SNIPPET}.yaml" if lang == "en-GB" else f"{SNIPPET}.{lang}.yaml")).preheader
        assert preheader.startswith(wanted), address
    # Greetings in the language: Polish and Arabic use their plural greeting (their
    # catalogs do not form one with a name); English keeps the list's names.
    assert "Szanowni Rodzice i Opiekunowie," in _text(by_address["piotr@example.com"])
    assert "Mr Nowak" not in _text(by_address["piotr@example.com"])
    assert "أولياء الأمور ومقدمو الرعاية الأعزاء،" in _text(by_address["karim@example.com"])
    assert "Dear Mrs Khan," in _text(by_address["sadia@example.com"])
    assert "Dear Miss Brown," in _text(by_address["laura@example.com"])
    html = _html(by_address["fatima@example.com"])
    assert re.search(r'<span dir="ltr">\s*<a [^>]*href="tel:01632960123"', html)

    data = json.loads(result.stdout)
    assert data["sent"] == 12 and data["failed"] == 0
    assert data["languages"] == {"en": 7, "pl": 3, "ar": 2}
    # English for want of a translation: Urdu, Panjabi, Portuguese, Welsh (not "not given",
    # not English, not the unreadable "Martian").
    assert data["english_no_translation"] == 4
    assert data["no_translation"] == {"ur": 1, "pa": 1, "pt-BR": 1, "cy": 1}
    assert data["with_note"] == 0


def test_the_journal_records_each_parents_message_language(
        mailer, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The campaign's rows, written into the journal while the list is read (before the
    languages are known), say the language of the message each parent got, including a
    parent whose language is given only on a later row of the list."""
    import sqlite3

    from mailer.journal import Journal

    streams: list[str] = []
    real = Journal.pending_stream

    def stream(self, name):  # type: ignore[no-untyped-def]
        streams.append(name)
        return real(self, name)

    monkeypatch.setattr(Journal, "pending_stream", stream)
    with (workspace / "lists" / "families.csv").open("a", encoding="utf-8") as f:
        f.write("Mia,Evans,Mr,Gareth,Evans,gareth@example.com,Polish\n")
    with SmtpServer() as server:
        set_smtp(workspace, host="127.0.0.1", port=server.port, security="none")
        result = mailer("send", SNIPPET, "--list", "lists/families.csv", "--yes", "--json")
        received = {r.rcpt_tos[0]: r.message["Content-Language"] for r in server.received}
    assert result.returncode == 0, result.stderr
    assert streams == [f"{SNIPPET}--families"]
    db = sqlite3.connect(str(workspace / ".mailer" / "journal.sqlite3"))
    rows = dict(db.execute("SELECT email, language FROM recipients").fetchall())
    db.close()
    expected = {a: ("en" if lang == "en-GB" else lang) for a, lang in EXPECTED.items()}
    expected["gareth@example.com"] = "pl"
    assert rows == expected
    assert received["gareth@example.com"] == "pl"


def test_english_with_a_line_in_their_language(mailer, workspace: Path) -> None:
    config = workspace / "mailer.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "languages:\n  untranslated: english_with_note\n", encoding="utf-8")
    result = mailer("send", SNIPPET, "--list", "lists/families.csv", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["languages"] == {"en": 7, "pl": 3, "ar": 2}
    assert data["english_no_translation"] == 4 and data["with_note"] == 4
    assert "No translation: 4 get English with a line in their language" in result.stderr
    messages = _outbox(workspace)
    urdu = messages["sadia@example.com"]
    assert urdu["Content-Language"] == "en-GB"
    doc = lxml_html.document_fromstring(_html(urdu))
    note = [p for p in doc.iter("p") if p.get("lang") == "ur"]
    assert len(note) == 1 and note[0].get("dir") == "rtl"
    assert "01632 960123" in note[0].text_content()
    welsh = lxml_html.document_fromstring(_html(messages["wyn@example.com"]))
    assert [p.get("lang") for p in welsh.iter("p") if p.get("lang")] == ["cy"]
    # Portuguese has a catalog: the line is in Portuguese too.
    assert "segurança" in _html(messages["joao@example.com"])
    # No catalog for a made-up language, no language given, English: no line.
    for address in ("iona@example.com", "gareth@example.com", "laura@example.com"):
        assert 'lang="en-GB"' in _html(messages[address])
        assert not [p for p in lxml_html.document_fromstring(_html(messages[address])).iter("p")
                    if p.get("lang")]


def test_summary_words_count_languages(mailer, workspace: Path) -> None:
    result = mailer("send", SNIPPET, "--list", "lists/families.csv")
    assert result.returncode == 0, result.stderr
    assert "Languages:  English 7, Polish 3, Arabic 2" in result.stderr
    assert ("No translation: 4 get English (Urdu 1, Punjabi 1, Portuguese (Brazil) 1, "
            "Welsh 1)") in result.stderr
    assert "line(s) 13: the language 'Martian' is not one mailer knows" in result.stderr


def _outbox(ws: Path) -> dict[str, EmailMessage]:
    import mailbox
    from email import policy
    from email.parser import BytesParser

    out = {}
    box = mailbox.Maildir(ws / "outbox", create=False)
    for key in box.iterkeys():
        msg = BytesParser(policy=policy.default).parsebytes(box.get_bytes(key))
        out[msg["To"].addresses[0].addr_spec] = msg
    return out  # type: ignore[return-value]
