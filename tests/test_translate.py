"""Translating an advisory: the PO round trip through the command line, and what ``mailer
check`` says about translations."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from lxml import html as lxml_html

from mailer.jobs import render_language
from mailer.snippets import english_digest, load_snippet
from mailer.translate import body_blocks, join_blocks, segments
from mailer.workspace import Workspace
from tests.conftest import run_mailer

SNIPPET = "online-safety-webcams"


def _structure(html: str) -> list[str]:
    """The block structure of an email: element names in order, and every link target."""
    doc = lxml_html.document_fromstring(html)
    body = doc.find("body")
    tags = [el.tag for el in body.iter() if el.tag in (
        "h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "table", "a", "strong", "em")]
    links = [a.get("href") for a in body.iter("a")]
    return tags + links


def _fill(po: Path, out: Path, translate) -> None:  # type: ignore[no-untyped-def]
    catalog = read_po(po.open("rb"))
    for message in catalog:
        if message.id:
            message.string = translate(str(message.context), str(message.id))
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    out.write_bytes(buffer.getvalue())


def _pretend_polish(context: str, english: str) -> str:
    """What a translator does: every word changed, Markdown and addresses kept."""
    def word(m: re.Match[str]) -> str:
        return m.group(0)[::-1] if not m.group(0).startswith("http") else m.group(0)
    parts = re.split(r"(\]\([^)]*\))", english)  # never touch a link's address
    return "".join(p if p.startswith("](") else re.sub(r"[A-Za-z]{4,}", word, p)
                   for p in parts)


def test_po_round_trip_gives_a_snippet_with_the_same_structure(workspace: Path) -> None:
    # A body with every kind of block, and a link inside the Markdown.
    path = workspace / "snippets" / f"{SNIPPET}.yaml"
    source = path.read_text(encoding="utf-8")
    source = source.replace(
        "  ## What you can do\n",
        "  Read [the NSPCC's advice on video apps](https://www.nspcc.org.uk/onlinesafety) "
        "first.\n\n  1. Talk\n  2. Listen\n\n  ## What you can do\n")
    path.write_text(source, encoding="utf-8")
    result = run_mailer("translate", "export", SNIPPET, "--lang", "Polish", cwd=workspace)
    assert result.returncode == 0, result.stderr
    po = workspace / "translations" / f"{SNIPPET}.pl.po"
    assert f"translate import translations/{SNIPPET}.pl.po" in result.stdout
    catalog = read_po(po.open("rb"))
    english = load_snippet(path)
    assert str(catalog.locale) == "pl" and catalog.project == SNIPPET
    assert catalog.version == english_digest(english)
    messages = {str(m.context): str(m.id) for m in catalog if m.id}
    assert messages["title"] == english.title and messages["subject"] == english.subject
    assert messages["preheader"] == english.preheader
    assert messages["button text"] == "Report a concern to CEOP"
    assert messages["link 2.1 title"].startswith("Childnet's video chat")
    assert messages["links heading"] == "Useful links for parents and carers"
    # Each paragraph and list item is its own string, Markdown kept.
    body = [c for c in messages if c.startswith("body ")]
    assert len(body) == len([b for b in body_blocks(english.body)])
    assert any("**Internet Watch Foundation**" in messages[c] for c in body)
    assert any("[the NSPCC's advice on video apps](https://www.nspcc.org.uk/onlinesafety)"
               in messages[c] for c in body)
    assert sum(c.endswith("(list item)") for c in body) == 6
    assert not any(m == "https://www.thinkuknow.co.uk/" for m in messages.values())

    done = workspace / "from-translator.po"
    _fill(po, done, _pretend_polish)
    result = run_mailer("translate", "import", str(done), cwd=workspace)
    assert result.returncode == 0, result.stderr
    written = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    assert f"Wrote {written}" in result.stdout and f"{len(messages)} of {len(messages)}" in (
        result.stdout)
    translated = load_snippet(written)
    assert translated.language == "pl" and translated.id == SNIPPET
    assert translated.title == _pretend_polish("title", english.title)
    assert translated.translation is not None
    assert translated.translation.from_english == english_digest(english)
    assert not translated.translation.native_speaker_reviewed

    ws = Workspace(workspace)
    en = render_language(ws, SNIPPET, "")
    pl = render_language(ws, SNIPPET, "pl")
    assert pl.language == "pl" and pl.subject == _pretend_polish("subject", english.subject)
    assert _structure(pl.personalise(pl.preview_fields())[0]) == _structure(
        en.personalise(en.preview_fields())[0])
    # The translation passes its checks but the native-speaker review.
    check = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    polish = next(t for t in check["translations"] if t["language"] == "pl")
    assert polish["ok"] and {f["id"] for f in polish["findings"]} - {"H11"} <= {"L6", "L7"}


def test_an_unfinished_translation_keeps_the_english_and_says_so(workspace: Path) -> None:
    run_mailer("translate", "export", SNIPPET, "--lang", "ro", cwd=workspace)
    po = workspace / "translations" / f"{SNIPPET}.ro.po"
    done = workspace / "half.po"
    _fill(po, done, lambda c, e: "" if c.startswith("body 2") or c == "preheader" else "RO " + e)
    result = run_mailer("translate", "import", str(done), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "Left in English (2): preheader, body 2 (paragraph)." in result.stdout
    check = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    romanian = next(t for t in check["translations"] if t["language"] == "ro")
    l4 = [f for f in romanian["findings"] if f["id"] == "L4"]
    assert l4 and "preheader" in l4[0]["element"] and "body 2 (paragraph)" in l4[0]["element"]


def test_join_blocks_keeps_every_kind_of_block() -> None:
    body = ("Intro with **bold**.\n\n## Head\n\n1. one\n2. two\n\n   more of two\n   - a\n"
            "   - b\n3. three\n\n> quoted\n\n---\n\n- loose\n\n- items\n")
    from mailer.snippets import markdown_to_html

    def norm(h: str) -> str:
        return " ".join(h.split())
    assert norm(markdown_to_html(join_blocks(body_blocks(body)))) == norm(markdown_to_html(body))


def test_check_finds_a_translation_with_a_missing_link(workspace: Path) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.pl.yaml"
    text = path.read_text(encoding="utf-8")
    cut = text.index("  - title: Get Safe Online")
    end = text.index("  - title: Internet Matters")
    path.write_text(text[:cut] + text[end:], encoding="utf-8")
    result = run_mailer("check", SNIPPET, cwd=workspace)
    assert result.returncode == 1, result.stdout
    assert "ERROR   L1   https://www.getsafeonline.org/" in result.stdout
    data = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    assert not data["ok"]
    polish = next(t for t in data["translations"] if t["language"] == "pl")
    assert [f["element"] for f in polish["findings"] if f["id"] == "L1"] == [
        "https://www.getsafeonline.org/"]
    arabic = next(t for t in data["translations"] if t["language"] == "ar")
    assert not [f for f in arabic["findings"] if f["id"].startswith("L")
                and f["severity"] == "error"]


def test_check_reports_button_structure_age_and_review(workspace: Path) -> None:
    path = workspace / "snippets" / f"{SNIPPET}.ar.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("url: https://www.ceop.police.uk/ceop-reporting/",
                        "url: https://www.ceop.police.uk/")
    text = text.replace("date: 2015-05-12", "date: 2015-05-01")
    # Two list items joined into one.
    text = re.sub(r"\n  - ضع الأجهزة", " ضع الأجهزة", text, count=1)
    path.write_text(text, encoding="utf-8")
    data = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    arabic = next(t for t in data["translations"] if t["language"] == "ar")
    found = {f["id"]: f for f in arabic["findings"]}
    assert found["L2"]["severity"] == "error" and "ceop-reporting" in found["L2"]["message"]
    assert "4 list item(s) and the translation 3" in found["L3"]["message"]
    assert "older than the English (2015-05-12)" in found["L5"]["message"]
    assert "not been reviewed by a native speaker" in found["L6"]["message"]
    # L7 in plain words: who does what, with the technical line only for whoever does it
    assert found["L7"]["message"].startswith("nobody who speaks Arabic has yet checked the "
                                             "words every email has")
    assert "Ask a native speaker" in found["L7"]["message"]
    assert "whoever looks after mailer for your school" in found["L7"]["message"]


def test_check_says_when_the_english_changed_since_the_export(workspace: Path) -> None:
    run_mailer("translate", "export", SNIPPET, "--lang", "so", cwd=workspace)
    done = workspace / "so.po"
    _fill(workspace / "translations" / f"{SNIPPET}.so.po", done, lambda c, e: "SO " + e)
    assert run_mailer("translate", "import", str(done), cwd=workspace).returncode == 0
    english = workspace / "snippets" / f"{SNIPPET}.yaml"
    english.write_text(english.read_text(encoding="utf-8").replace(
        "call 999.", "call 999 at once."), encoding="utf-8")
    data = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    somali = next(t for t in data["translations"] if t["language"] == "so")
    assert any(f["id"] == "L5" and "English has changed" in f["message"]
               for f in somali["findings"])


def test_bad_translation_input_is_one_plain_sentence(workspace: Path) -> None:
    result = run_mailer("translate", "export", SNIPPET, "--lang", "Martian", cwd=workspace)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--lang must name the language" in result.stderr
    (workspace / "broken.po").write_text('msgid "x\nmsgstr ""\n', encoding="utf-8")
    result = run_mailer("translate", "import", "broken.po", cwd=workspace)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "broken.po" in result.stderr
    result = run_mailer("translate", "import", "missing.po", cwd=workspace)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_segments_cover_every_string_a_parent_reads() -> None:
    english = load_snippet(Path(__file__).resolve().parent.parent / "snippets" /
                           f"{SNIPPET}.yaml")
    texts = [s.text for s in segments(english)]
    for link in english.all_links():
        assert link.title in texts and (not link.description or link.description in texts)
    assert english.call_to_action.description in texts  # type: ignore[union-attr]
    assert english.audience in texts
