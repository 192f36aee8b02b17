"""The advisory as a Word letter (``.docx``), for a school to open, adapt and print in Word
or LibreOffice, and for the paper copies of ``mailer letters``.

Built with python-docx on its default template, so the letter uses Word's own built-in
styles: the title is ``Heading 1`` and the body's Markdown headings ``Heading 2``/``3``
(Word's navigation pane and screen readers list them), lists are ``List Bullet`` /
``List Number``, and links are real hyperlinks (``w:hyperlink``, ECMA-376 Part 1
§17.16.22) in the built-in ``Hyperlink`` character style, each followed by its address
written out, because a printed page cannot be clicked. The page is A4 (210 x 297 mm) with
25 mm margins, inside every office printer's printable area.

The words the letter adds itself ("Who to contact", "Yours faithfully") are English;
``language`` is carried through so that they, like the email's, can follow the reader's
language once the templates' catalogs exist, and it is written into the document's
default run properties (``w:lang``) so Word checks spelling and reads aloud in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph

from mailer.config import Config, Contact
from mailer.errors import MailerError
from mailer.render import message_language
from mailer.snippets import Link, Snippet, markdown_tokens

#: A4 and print margins, in millimetres.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM, MARGIN_MM = 210, 297, 25
FONT = "Arial"
BODY_PT = 12

#: The words the letter adds, per language (English until the templates' catalogs land).
_WORDS = {
    "en": {
        "contact_heading": "Who to contact",
        "contact_intro": "If you have any questions or worries, please contact:",
        "advice_intro": "For further advice, you can also contact:",
        "advice_intro_alone": "For further advice, please contact:",
        "telephone": "Telephone",
        "email": "Email",
        "website": "Website",
        "faithfully": "Yours faithfully,",
        "sincerely": "Yours sincerely,",
        "greeting": "Dear Parent/Carer",
    },
}


def words(language: str) -> dict[str, str]:
    """The letter's own words for ``language`` (a BCP 47 tag); English when there are none
    in that language yet."""
    return _WORDS.get(language.split("-")[0].lower(), _WORDS["en"])


def long_date(day: dt.date) -> str:
    """``1 December 2026``: the British way of writing a date in a letter."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Addressee:
    """Whom one paper letter is for.

    Attributes:
        name: the name written above the address (``Mr and Mrs Wilson``).
        address: the postal address, one line each, the postcode last.
        greeting: the letter's first words without the comma (``Dear Mr and Mrs Wilson``).
    """

    name: str
    address: tuple[str, ...]
    greeting: str


def new_document(language: str = "en") -> Document:
    """An empty A4 document with print margins, Arial 12 pt, and ``language`` as the
    document's language (``w:lang`` on the default run properties)."""
    doc = Document()
    section = doc.sections[0]
    # Word's own A4 size in twips (w:pgSz 11906 x 16838), which Mm() would round off.
    section.page_width, section.page_height = Twips(11906), Twips(16838)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    section.header_distance = section.footer_distance = Mm(12)
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        styles[name].font.name = FONT
        fonts = styles[name].element.rPr.find(qn("w:rFonts"))
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            if fonts is not None and fonts.get(qn(theme)) is not None:
                del fonts.attrib[qn(theme)]
    styles["Heading 1"].font.size = Pt(18)
    styles["Heading 2"].font.size = Pt(14)
    styles["Heading 3"].font.size = Pt(12)
    if styles.element.get_by_id("Hyperlink") is None:
        link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
        link.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
        link.font.underline = True
    _set_language(doc, language)
    doc.core_properties.language = language
    return doc


def _set_language(doc: Document, language: str) -> None:
    rpr_default = doc.styles.element.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:bidi"), language)


def _para(doc: Document, style_id: str = "", text: str = "") -> Paragraph:
    """A new paragraph in the built-in style ``style_id`` (``Heading2``, ``ListBullet``).

    Set by id, not looked up by name: python-docx searches the styles part by name on
    every call, which made that lookup most of the time of a letter."""
    para = doc.add_paragraph(text)
    if style_id:
        para._p.style = style_id
    return para


def add_hyperlink(paragraph: Paragraph, url: str, text: str, bold: bool = False,
                  italic: bool = False) -> None:
    """Append a clickable link to ``paragraph``: a ``w:hyperlink`` pointing at an external
    relationship to ``url``, holding ``text`` in the ``Hyperlink`` character style."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    link.set(qn("w:history"), "1")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    rpr.append(style)
    if bold:
        rpr.append(OxmlElement("w:b"))
    if italic:
        rpr.append(OxmlElement("w:i"))
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _written_out(url: str) -> str:
    """The address as printed after a link: ``mailto:``/``tel:`` without the scheme."""
    for scheme in ("mailto:", "tel:"):
        if url.startswith(scheme):
            return url[len(scheme):]
    return url


class _Markdown:
    """Writes the snippet's Markdown body into the document, block by block."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.lists: list[str] = []  # "bullet" / "ordered", innermost last
        self.paragraph: Paragraph | None = None
        self.heading: int | None = None

    def list_style(self) -> str:
        depth = min(len(self.lists), 3)
        base = "ListBullet" if self.lists[-1] == "bullet" else "ListNumber"
        return base if depth == 1 else f"{base}{depth}"

    def write(self, body: str) -> None:
        for token in markdown_tokens(body):
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append("bullet" if kind == "bullet_list_open" else "ordered")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "heading_open":
                # The title is the one Heading 1; body headings start at Heading 2.
                self.heading = max(2, min(int(token.tag[1]), 4))
            elif kind == "heading_close":
                self.heading = None
            elif kind == "inline":
                if self.heading is not None:
                    para = _para(self.doc, f"Heading{self.heading}")
                elif self.lists:
                    para = _para(self.doc, self.list_style())
                else:
                    para = _para(self.doc)
                self.inline(para, token.children or [])
            elif kind in ("code_block", "fence"):
                self.doc.add_paragraph(token.content.rstrip("\n"))

    def inline(self, para: Paragraph, children: Sequence[object]) -> None:
        bold = italic = 0
        link_url: str | None = None
        link_text = ""
        for child in children:
            kind = child.type  # type: ignore[attr-defined]
            content = child.content  # type: ignore[attr-defined]
            if kind == "strong_open":
                bold += 1
            elif kind == "strong_close":
                bold -= 1
            elif kind == "em_open":
                italic += 1
            elif kind == "em_close":
                italic -= 1
            elif kind == "link_open":
                link_url = str(child.attrs.get("href", ""))  # type: ignore[attr-defined]
                link_text = ""
            elif kind == "link_close":
                if link_url and _written_out(link_url) != link_text.strip():
                    para.add_run(f" ({_written_out(link_url)})")
                link_url = None
            elif kind in ("text", "code_inline", "image"):
                text = content if kind != "image" else child.content or ""  # type: ignore
                if link_url:
                    add_hyperlink(para, link_url, text, bool(bold), bool(italic))
                    link_text += text
                else:
                    run = para.add_run(text)
                    run.bold = bool(bold) or None
                    run.italic = bool(italic) or None
            elif kind == "softbreak":
                if link_url:
                    add_hyperlink(para, link_url, " ")
                else:
                    para.add_run(" ")
            elif kind == "hardbreak":
                para.add_run().add_break()


def _links(doc: Document, links: Sequence[Link], depth: int = 1) -> None:
    style = "ListBullet" if depth == 1 else f"ListBullet{min(depth, 3)}"
    for link in links:
        para = _para(doc, style)
        add_hyperlink(para, link.url, link.title)
        para.add_run(f" ({_written_out(link.url)})")
        if link.description:
            para.add_run(f": {link.description}")
        if link.links:
            _links(doc, link.links, depth + 1)


def _contact_lines(doc: Document, person: Contact, organisation: str, w: dict[str, str]) -> None:
    para = doc.add_paragraph()
    para.paragraph_format.space_after = Pt(0)
    para.add_run(person.name).bold = True
    rest = [p for p in (person.role, organisation) if p]
    if rest:
        para.add_run(", " + ", ".join(rest))
    for label, value, url in (
        (w["telephone"], person.phone, "tel:" + person.phone.replace(" ", "")),
        (w["email"], person.email, "mailto:" + person.email),
        (w["website"], person.website, person.website),
    ):
        if value:
            para = doc.add_paragraph()
            para.paragraph_format.space_after = Pt(0)
            para.add_run(f"{label}: ")
            add_hyperlink(para, url, value)
    para.paragraph_format.space_after = Pt(8)


def add_letter(doc: Document, snippet: Snippet, config: Config, *, date: dt.date,
               addressee: Addressee | None = None, language: str | None = None,
               page_break: bool = False) -> None:
    """Append one letter to ``doc``: letterhead (the organisation's name, postal address,
    website), the addressee's name and address when given, the date, the greeting, the
    advisory (title, body, call to action, links), the contact block (the organisation's
    contact, then ``further_advice``) and a sign-off by the contact.

    Args:
        date: the date printed on the letter.
        addressee: for a paper copy to a household; ``None`` writes "Dear Parent/Carer"
            and no address, for a school to adapt.
        language: the reader's language (BCP 47); when ``None``, the message's (the
            snippet's, completed by ``organisation.language``: ``en-GB``).
        page_break: start the letter on a new page (every letter after the first).
    """
    w = words(language or message_language(snippet, config))
    org = config.organisation
    previous = doc.element.body.xpath("./w:p[last()]")
    if page_break and previous:
        # At the end of the previous letter, so the next starts at the top of a page.
        Paragraph(previous[0], doc._body).add_run().add_break(WD_BREAK.PAGE)
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    head.paragraph_format.space_after = Pt(0)
    name_run = head.add_run(org.name)
    name_run.bold = True
    name_run.font.size = Pt(16)
    name_run.font.color.rgb = RGBColor.from_string(org.brand_colour.lstrip("#").upper())
    for part in [p.strip() for p in org.postal_address.split(",") if p.strip()]:
        head.add_run().add_break()
        head.add_run(part)
    if org.website:
        head.add_run().add_break()
        add_hyperlink(head, org.website, org.website.removeprefix("https://").rstrip("/"))
    doc.add_paragraph()
    if addressee is not None:
        block = doc.add_paragraph()
        block.add_run(addressee.name)
        for line in addressee.address:
            block.add_run().add_break()
            block.add_run(line)
    doc.add_paragraph(long_date(date))
    greeting = addressee.greeting if addressee is not None else w["greeting"]
    doc.add_paragraph(f"{greeting},")
    _para(doc, "Heading1", snippet.title)
    _Markdown(doc).write(snippet.body)
    cta = snippet.call_to_action
    if cta is not None:
        para = doc.add_paragraph()
        para.add_run(f"{cta.text}: ").bold = True
        add_hyperlink(para, cta.url, _written_out(cta.url))
        if cta.description:
            doc.add_paragraph(cta.description)
    if snippet.links:
        _para(doc, "Heading2", snippet.links_heading)
        _links(doc, snippet.links)
    if org.contact or org.further_advice:
        _para(doc, "Heading2", w["contact_heading"])
    if org.contact:
        doc.add_paragraph(w["contact_intro"]).paragraph_format.space_after = Pt(2)
        _contact_lines(doc, org.contact, org.name, w)
    if org.further_advice:
        intro = w["advice_intro"] if org.contact else w["advice_intro_alone"]
        doc.add_paragraph(intro).paragraph_format.space_after = Pt(2)
        _contact_lines(doc, org.further_advice, org.further_advice.organisation, w)
    named = addressee is not None and not greeting.startswith(w["greeting"])
    doc.add_paragraph(w["sincerely"] if named else w["faithfully"])
    signature = doc.add_paragraph()
    signature.paragraph_format.space_before = Pt(36)
    signer = org.contact
    lines = [signer.name, signer.role, org.name] if signer else [org.name]
    for i, line in enumerate(x for x in lines if x):
        if i:
            signature.add_run().add_break()
        signature.add_run(line)


def save(doc: Document, path: Path) -> Path:
    """Write ``doc`` to ``path`` (folders made as needed).

    Raises:
        MailerError: when the file cannot be written (for example it is open in Word on
            Windows, which locks it).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.save(str(path))
    except OSError as exc:
        raise MailerError(f"cannot write the letter ({exc.strerror}); if it is open in Word, "
                          "close it and try again.", path=path) from None
    return path


def write_letter(path: Path, snippet: Snippet, config: Config, *,
                 date: dt.date | None = None, language: str | None = None) -> Path:
    """Write the letter for a school to adapt ("Dear Parent/Carer", no address) to
    ``path``; ``date`` defaults to today. Returns ``path``."""
    lang = language or message_language(snippet, config)
    doc = new_document(lang)
    doc.core_properties.title = snippet.title
    doc.core_properties.author = config.organisation.name
    add_letter(doc, snippet, config, date=date or dt.date.today(), language=lang)
    return save(doc, path)
