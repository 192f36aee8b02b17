"""The Word letter in the reader's language: its own words from the templates' catalogs,
the date by Babel, right-to-left paragraphs and runs for Arabic. Parsed back with
python-docx."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import docx
from babel.dates import format_date
from docx.oxml.ns import qn

from tests.conftest import run_mailer
from tests.test_letters import HEADER, ROWS, letters_of

SNIPPET = "online-safety-webcams"
RTL = re.compile("[\u0600-\u06ff]")
LRM = "\u200e"
ENGLISH_WORDS = ("Dear Parent/Carer", "Who to contact", "Telephone", "Email:",
                 "Yours faithfully", "Yours sincerely", "Useful links", "December", "January")


def render_docx(ws: Path, lang: str) -> docx.document.Document:
    done = run_mailer("render", SNIPPET, "--format", "docx", "--lang", lang, "--out",
                      f"out-{lang}", cwd=ws)
    assert done.returncode == 0, done.stderr
    return docx.Document(str(ws / f"out-{lang}" / "letter.docx"))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def has(element, tag: str) -> bool:
    return element is not None and element.find(qn(tag)) is not None


def test_arabic_letter_has_arabic_words_date_and_right_to_left_paragraphs(workspace: Path):
    document = render_docx(workspace, "ar")
    paragraphs = texts(document)
    today = dt.date.today()
    assert format_date(today, "long", locale="ar") in paragraphs
    # The catalog's plural greeting, with the Arabic comma after it.
    assert "أولياء الأمور ومقدمو الرعاية الأعزاء،" in paragraphs
    assert "بمن تتصلون" in paragraphs  # "Who to contact", a Heading 2
    assert [p.style.name for p in document.paragraphs if p.text == "بمن تتصلون"] == [
        "Heading 2"]
    assert "إذا كانت لديكم أي أسئلة أو مخاوف، يرجى التواصل مع:" in paragraphs
    # A phone number or address between left-to-right marks, so it keeps its order.
    assert f"الهاتف: {LRM}01632 960123{LRM}" in paragraphs
    assert f"البريد الإلكتروني: {LRM}safeguarding@hollybank.example.sch.uk{LRM}" in paragraphs
    assert paragraphs[-2] == "مع خالص التحية،"
    # The PDF link is labelled in Arabic.
    assert any("(ملف PDF)" in p for p in paragraphs)
    text = "\n".join(paragraphs)
    for english in ENGLISH_WORDS:
        assert english not in text, english
    # Still working links inside the translated labels.
    links = {h.address for p in document.paragraphs for h in p.hyperlinks}
    assert {"tel:01632960123", "mailto:safeguarding@hollybank.example.sch.uk"} <= links
    # Every paragraph with Arabic in it is right-to-left, and so is the section; one all
    # in Latin letters (the school's English address) stays left-to-right, on the right,
    # so "1 Orchard Lane" is not reordered.
    arabic_paragraphs = [p for p in document.paragraphs if RTL.search(p.text)]
    assert len(arabic_paragraphs) > 20
    assert all(has(p._p.pPr, "w:bidi") for p in arabic_paragraphs)
    head, signature = document.paragraphs[0], document.paragraphs[-1]
    assert "1 Orchard Lane" in head.text and "Ms Priya Example" in signature.text
    for latin in (head, signature):
        assert not has(latin._p.pPr, "w:bidi")
        assert latin._p.pPr.find(qn("w:jc")).get(qn("w:val")) == "right"
    assert has(document.sections[0]._sectPr, "w:bidi")
    # Runs of Arabic are right-to-left runs in Arabic; an email address or phone is not.
    runs = list(document.element.body.iter(qn("w:r")))
    arabic = [r for r in runs if "الهاتف" in "".join(t.text for t in r.iter(qn("w:t")))]
    assert arabic and all(has(r.rPr, "w:rtl") for r in arabic)
    assert arabic[0].rPr.find(qn("w:lang")).get(qn("w:bidi")) == "ar"
    latin = [r for r in runs
             if "".join(t.text for t in r.iter(qn("w:t"))) == f"{LRM}01632 960123{LRM}"]
    assert latin and not any(has(r.rPr, "w:rtl") for r in latin)
    # Bold Arabic is bold in the complex-script font too (w:bCs).
    bold = [r for r in runs if has(r.rPr, "w:rtl") and has(r.rPr, "w:b")]
    assert bold and all(has(r.rPr, "w:bCs") for r in bold)
    # Arabic text takes its size from w:szCs: the body's 12 pt.
    normal = document.styles["Normal"].element.rPr
    assert normal.find(qn("w:szCs")).get(qn("w:val")) == "24"


def test_polish_letter_has_polish_words_and_stays_left_to_right(workspace: Path):
    document = render_docx(workspace, "pl")
    paragraphs = texts(document)
    assert format_date(dt.date.today(), "long", locale="pl") in paragraphs
    assert "Szanowni Rodzice i Opiekunowie," in paragraphs
    assert paragraphs[-2] == "Z poważaniem,"
    text = "\n".join(paragraphs)
    for english in ENGLISH_WORDS:
        assert english not in text, english
    assert not any(has(p._p.pPr, "w:bidi") for p in document.paragraphs)
    assert document.core_properties.language == "pl"


def test_paper_letters_follow_each_households_language(workspace: Path):
    # The same export with a Home Language column: one household reads Arabic, one Polish,
    # one Urdu (no translation of the advisory: English, as its email would be).
    header = HEADER + ",Home Language"
    rows = [r + "," for r in ROWS]
    rows[2] = rows[2][:-1] + ",Arabic"  # line 4: the Wilsons
    rows[3] = rows[3][:-1] + ",Arabic"
    rows[4] = rows[4][:-1] + ",Polish"  # line 6: Mr Evans, prefers post
    rows[6] = rows[6][:-1] + ",Urdu"    # line 8: Ms Stone
    (workspace / "lists" / "post.csv").write_text("\r\n".join([header, *rows]) + "\r\n",
                                                  encoding="utf-8")
    done = run_mailer("letters", SNIPPET, "--list", "lists/post.csv", "--out", "letters.docx",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert "Letters by language: Arabic 1, English 2, Polish 1." in done.stdout
    wilson, evans, stone, moss = letters_of(workspace / "letters.docx")
    assert "أولياء الأمور ومقدمو الرعاية الأعزاء،" in wilson and "Dear" not in wilson
    assert "2 Elm Street" in wilson  # the address as the post needs it
    # The Polish catalog does not say how to greet one person by name (it depends on
    # whether Mr Evans is a man), so the plural greeting is used, never a guess.
    assert "Szanowni Rodzice i Opiekunowie," in evans and "Mr Evans" not in evans.split(
        "\n", 3)[3]
    assert "Z poważaniem," in evans and "Yours" not in evans
    assert "Dear Ms Stone," in stone and "Yours sincerely," in stone
    assert "Dear Mrs Moss," in moss
    document = docx.Document(str(workspace / "letters.docx"))
    bidi = [p.text for p in document.paragraphs if has(p._p.pPr, "w:bidi")]
    assert "أولياء الأمور ومقدمو الرعاية الأعزاء،" in bidi
    assert not any("Dear" in t or "Szanowni" in t for t in bidi)


def test_a_letter_language_is_a_name_or_code_and_an_untranslated_one_is_refused(
        workspace: Path):
    letter = workspace / "build" / SNIPPET / "letter.docx"
    done = run_mailer("render", SNIPPET, "--format", "docx", "--lang", "Polish",
                      cwd=workspace)
    assert done.returncode == 0, done.stderr
    langs = {e.get(qn("w:val")) for e in docx.Document(str(letter)).element.iter(qn("w:lang"))}
    assert "pl" in langs and "en-GB" not in langs
    letter.unlink()
    for asked in ("Klingon", "../../x", "so"):
        done = run_mailer("render", SNIPPET, "--format", "docx", "--lang", asked,
                          cwd=workspace)
        assert done.returncode == 2, done.stdout
        assert (f"'{SNIPPET}' has no translation into '{asked}', so no letter was written. "
                "Translations: Arabic (ar), Polish (pl).") in " ".join(done.stderr.split())
        assert not letter.exists()
