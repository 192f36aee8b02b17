"""``mailer render SNIPPET --format docx``: the Word letter, parsed back with python-docx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
import yaml

from mailer.config import load_config
from mailer.docx_letter import new_document, write_letter
from mailer.i18n import long_date
from mailer.linktext import link_label
from mailer.snippets import load_snippet
from tests.conftest import run_mailer

SNIPPET = "online-safety-webcams"


@pytest.fixture
def letter(workspace: Path) -> tuple[Path, docx.document.Document]:
    done = run_mailer("render", SNIPPET, "--format", "docx", cwd=workspace)
    assert done.returncode == 0, done.stderr
    path = workspace / "build" / SNIPPET / "letter.docx"
    assert done.stdout.strip() == f"Wrote {path}"
    return workspace, docx.Document(str(path))


def styled(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def test_headings_are_word_heading_styles(letter):
    ws, document = letter
    snippet = load_snippet(ws / "snippets" / f"{SNIPPET}.yaml")
    assert styled(document, "Heading 1") == [snippet.title]
    assert styled(document, "Heading 2") == [
        "Why video chat matters", "What you can do", snippet.links_heading, "Who to contact"]
    # The heading styles are Word's built-in ones (navigation pane, screen readers).
    heading = document.styles["Heading 1"]
    assert heading.builtin and heading.style_id == "Heading1"


def test_every_link_of_the_advisory_is_a_hyperlink_with_its_address_written_out(letter):
    ws, document = letter
    snippet = load_snippet(ws / "snippets" / f"{SNIPPET}.yaml")
    wanted = [link.url for link in snippet.all_links()] + [snippet.call_to_action.url]
    found = {h.address for p in document.paragraphs for h in p.hyperlinks}
    missing = [url for url in wanted if url not in found]
    assert missing == []
    text = "\n".join(p.text for p in document.paragraphs)
    for link in snippet.all_links():
        # The title is the link, a PDF is said to be one, and the address follows in print.
        assert f"{link_label(link.title, link.url)} ({link.url})" in text
    # Hyperlinks use the Hyperlink character style, and are real external relationships.
    rels = {r.target_ref for r in document.part.rels.values() if r.is_external}
    assert set(wanted) <= rels
    assert document.styles["Hyperlink"] is not None


def test_the_letter_has_letterhead_date_greeting_contact_block_and_sign_off(letter):
    ws, document = letter
    config = load_config(ws / "mailer.yaml")
    org, contact = config.organisation, config.organisation.contact
    paragraphs = [p.text for p in document.paragraphs]
    head = paragraphs[0].split("\n")
    assert head[0] == org.name
    assert head[1:4] == ["1 Orchard Lane", "Exampleton", "EX1 2AB"]
    assert long_date(dt.date.today(), "en-GB") in paragraphs
    assert "Dear Parent/Carer," in paragraphs
    text = "\n".join(paragraphs)
    contact_at = text.index("Who to contact")
    block = text[contact_at:]
    assert f"{contact.name}, {contact.role}, {org.name}" in block
    assert f"Telephone: {contact.phone}" in block
    assert f"Email: {contact.email}" in block
    assert paragraphs[-2] == "Yours faithfully,"
    assert paragraphs[-1] == "\n".join([contact.name, contact.role, org.name])
    links = {h.address for p in document.paragraphs for h in p.hyperlinks}
    assert f"mailto:{contact.email}" in links and "tel:01632960123" in links


def test_bold_and_bullet_lists_survive(letter):
    _, document = letter
    bold = {r.text for p in document.paragraphs for r in p.runs if r.bold}
    assert {"Internet Watch Foundation", "as young as seven", "Skype, FaceTime, ooVoo"} <= bold
    bullets = styled(document, "List Bullet")
    assert any(b.startswith("Talk with your child about who they video chat with") for b in
               bullets)
    nested = styled(document, "List Bullet 2")
    assert [n.split(" (")[0] for n in nested] == [
        "Childnet's video chat and webcam advice sheet for young people",
        "Childnet's video chat and webcam advice sheet for teachers"]


def test_a4_with_print_margins(letter):
    _, document = letter
    section = document.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)  # A4
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.left_margin, section.right_margin, section.top_margin,
               section.bottom_margin)
    assert [round(m.mm, 1) for m in margins] == [25.0] * 4
    assert section.orientation == 0  # portrait


def test_further_advice_follows_the_schools_own_lead(workspace: Path):
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text())
    cfg["organisation"]["further_advice"] = {
        "organisation": "Exampleshire County Council", "name": "Online Safety Team",
        "email": "onlinesafety@exampleshire.example.gov.uk", "phone": "03000 410000"}
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    done = run_mailer("render", SNIPPET, "--format", "docx", "--out", "out", cwd=workspace)
    assert done.returncode == 0, done.stderr
    text = "\n".join(p.text for p in docx.Document(str(workspace / "out" / "letter.docx"))
                     .paragraphs)
    lead = text.index("Ms Priya Example, Designated Safeguarding Lead")
    team = text.index("Online Safety Team, Exampleshire County Council")
    assert lead < text.index("For further advice, you can also contact:") < team
    assert "Email: onlinesafety@exampleshire.example.gov.uk" in text[team:]


def test_markdown_links_headings_and_numbered_lists(tmp_path: Path, workspace: Path):
    snippet_path = tmp_path / "t.yaml"
    snippet_path.write_text(
        "title: T\nsubject: S\npreheader: P\ndate: 2026-01-01\nlanguage: cy\nbody: |\n"
        "  Read [the guide](https://example.org/guide) and *this*.\n\n"
        "  ### Small heading\n\n  1. first\n  2. second with **bold**\n\n"
        "  Write to <safe@example.org>.\n", encoding="utf-8")
    snippet = load_snippet(snippet_path)
    config = load_config(workspace / "mailer.yaml")
    out = write_letter(tmp_path / "l.docx", snippet, config, date=dt.date(2026, 3, 5))
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    # A Welsh letter: the date and greeting in Welsh (Babel, the cy catalog).
    assert "5 Mawrth 2026" in texts and "Annwyl rieni a gofalwyr," in texts
    assert "Read the guide (https://example.org/guide) and this." in texts
    assert styled(document, "Heading 3") == ["Small heading"]
    assert styled(document, "List Number") == ["first", "second with bold"]
    links = [(h.text, h.address) for p in document.paragraphs for h in p.hyperlinks]
    assert ("the guide", "https://example.org/guide") in links
    assert ("safe@example.org", "mailto:safe@example.org") in links
    # An autolink's text is its address already: not written out twice.
    assert "Write to safe@example.org." in texts
    # The document's language is the snippet's (spelling, read aloud).
    assert document.core_properties.language == "cy"
    lang = document.styles.element.find(".//{*}rPrDefault//{*}lang")
    assert lang.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "cy"


def test_new_document_defaults():
    document = new_document("en-GB")
    assert document.styles["Normal"].font.name == "Arial"
    assert document.core_properties.language == "en-GB"


def test_docx_cannot_go_to_stdout(workspace: Path):
    done = run_mailer("render", SNIPPET, "--format", "docx", "--stdout", cwd=workspace)
    assert done.returncode == 2
    assert "cannot be printed" in done.stderr and "Traceback" not in done.stderr
