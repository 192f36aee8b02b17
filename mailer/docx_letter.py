"""The advisory as a Word letter (``.docx``), for a school to open, adapt and print in Word
or LibreOffice, and for the paper copies of ``mailer letters``.

Built with python-docx on its default template, so the letter uses Word's own built-in
styles: the title is ``Heading 1`` and the body's Markdown headings ``Heading 2``/``3``
(Word's navigation pane and screen readers list them), lists are ``List Bullet`` /
``List Number``, and links are real hyperlinks (``w:hyperlink``, ECMA-376 Part 1
§17.16.22) in the built-in ``Hyperlink`` character style, each followed by its address
written out, because a printed page cannot be clicked. The page is A4 (210 x 297 mm) with
25 mm margins, inside every office printer's printable area.

The words the letter adds itself (the greeting, "Who to contact", the contact labels,
"Yours faithfully", "(PDF)") come from the same gettext catalogs as the email's
(``templates/locale/LANG.po``, :mod:`mailer.i18n`), in the letter's language; the date is
CLDR's long date for it (Babel). The language is written into the runs' ``w:lang`` so Word
checks spelling and reads aloud in it, and a right-to-left language (Arabic, Urdu) gets
right-to-left paragraphs (``w:bidi``, ECMA-376 Part 1 §17.3.1.6) and right-to-left runs
(``w:rtl``, §17.3.2.30) for its own script, while addresses and numbers keep their order.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from mailer.i18n import (
    GREETING_CONTEXT,
    GREETING_LINE,
    Catalog,
    greetings,
    load_catalog,
    long_date,
)
from mailer.languages import direction
from mailer.linktext import is_pdf
from mailer.logos import Logo, LogoError
from mailer.render import message_language
from mailer.snippets import Link, Snippet, markdown_tokens
from mailer.workspace import defaults_dir

#: A4 and print margins, in millimetres.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM, MARGIN_MM = 210, 297, 25
FONT = "Arial"
#: The letterhead logo's largest width and height, in millimetres.
LOGO_MAX_MM = (60, 25)
BODY_PT = 12

#: The English greeting of a letter that names nobody.
ENGLISH_GREETING = "Dear Parent/Carer"
#: msgctxt of the words only the letter uses (see ``templates/locale/mailer.pot``).
LETTER_CONTEXT = "letter"


@dataclass(frozen=True)
class LetterWords:
    """The words a letter adds around the advisory, in one language.

    Attributes:
        language: the letter's BCP 47 tag (``ar``, ``pl``, ``en-GB``).
        direction: ``rtl`` or ``ltr``.
        catalog: the language's catalog; ``None`` for English (and for a language with no
            catalog: its letter's own words stay English).
    """

    language: str
    direction: str
    catalog: Catalog | None

    def __call__(self, message: str, context: str | None = None) -> str:
        """``message`` (a msgid of ``mailer.pot``) in the letter's language."""
        if self.catalog is None:
            return message
        if context:
            return self.catalog.pgettext(context, message)
        return self.catalog.translations.gettext(message)

    def greeting_line(self, addressee: Addressee | None) -> tuple[str, bool]:
        """The greeting line (``Dear Mrs Khan,``) and whether it names the reader.

        English keeps the list's own greeting (``Dear Mr and Mrs Wilson``, ``Dear
        Parent/Carer``); another language uses its catalog's greeting with the name where
        the catalog knows how to form one, else its plural greeting."""
        found = greetings(self.catalog)
        if found is None:
            text = addressee.greeting if addressee is not None else ENGLISH_GREETING
            return f"{text},", not text.startswith(ENGLISH_GREETING)
        name = addressee.formal if addressee is not None else ""
        text = found.greet(name)
        named = bool(name) and text != found.plural
        return self(GREETING_LINE, GREETING_CONTEXT).replace("%(greeting)s", text), named

    def date(self, day: dt.date) -> str:
        """``day`` as the language writes it in a letter (Babel, CLDR long format)."""
        return long_date(day, self.language)

    def labelled(self, message: str, key: str) -> tuple[str, str]:
        """The words before and after the value of a label such as ``Telephone:
        %(phone)s`` (``key`` ``phone``), so the value can be a hyperlink in between."""
        text = self(message)
        before, _, after = text.partition(f"%({key})s")
        return before, after


def words(language: str, template_dirs: Sequence[Path] = ()) -> LetterWords:
    """The letter's own words in ``language`` (BCP 47), from the catalogs in
    ``template_dirs``' ``locale/`` folders (default: the packaged templates).

    Raises:
        TemplateError: when the language's catalog cannot be read.
    """
    dirs = list(template_dirs) or [defaults_dir() / "templates"]
    return LetterWords(language=language, direction=direction(language),
                       catalog=load_catalog(language, dirs))


@dataclass(frozen=True)
class Addressee:
    """Whom one paper letter is for.

    Attributes:
        name: the name written above the address (``Mr and Mrs Wilson``).
        address: the postal address, one line each, the postcode last.
        greeting: the letter's first words without the comma (``Dear Mr and Mrs Wilson``),
            for an English letter.
        formal: whom a greeting in another language may name (``Mrs Khan``), or ``""``
            (see :attr:`mailer.lists.Recipient.addressee`).
    """

    name: str
    address: tuple[str, ...]
    greeting: str
    formal: str = ""


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
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        # Arabic and Urdu text is "complex script": it takes its font and size from
        # w:rFonts/@w:cs and w:szCs, not from the Latin ones.
        rpr = styles[name].element.get_or_add_rPr()
        _child(rpr, "rFonts", _RPR_ORDER).set(qn("w:cs"), FONT)
        sz = rpr.find(qn("w:sz"))
        if sz is not None:
            _child(rpr, "szCs", _RPR_ORDER).set(qn("w:val"), sz.get(qn("w:val")))
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

    def __init__(self, doc: Document, w: LetterWords) -> None:
        self.doc = doc
        self.w = w
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
                if link_url:
                    label = _pdf_label(link_text, link_url, self.w)
                    shown = _written_out(link_url)
                    written = f" ({shown})" if shown != link_text.strip() else ""
                    for words_run in (label, written):
                        if words_run:
                            para.add_run(words_run)
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


def _pdf_label(title: str, url: str, w: LetterWords) -> str:
    """`` (PDF)`` in the letter's language after a link to a PDF whose title does not
    already say so (as :func:`mailer.linktext.link_label` does in the email), else ``""``."""
    if is_pdf(url) and "pdf" not in title.casefold():
        return " " + w("(PDF)", LETTER_CONTEXT)
    return ""


def _links(doc: Document, links: Sequence[Link], w: LetterWords, depth: int = 1) -> None:
    style = "ListBullet" if depth == 1 else f"ListBullet{min(depth, 3)}"
    for link in links:
        para = _para(doc, style)
        add_hyperlink(para, link.url, link.title)
        label = _pdf_label(link.title, link.url, w)
        if label:  # its own run: in Arabic, unlike the address after it
            para.add_run(label)
        para.add_run(f" ({_written_out(link.url)})")
        if link.description:
            para.add_run(f": {link.description}")
        if link.links:
            _links(doc, link.links, w, depth + 1)


def _contact_lines(doc: Document, person: Contact, organisation: str, w: LetterWords) -> None:
    para = doc.add_paragraph()
    para.paragraph_format.space_after = Pt(0)
    para.add_run(person.name).bold = True
    rest = [p for p in (person.role, organisation) if p]
    if rest:
        comma = w(", ")
        para.add_run(comma + comma.join(rest))
    for message, key, value, url in (
        ("Telephone: %(phone)s", "phone", person.phone, "tel:" + person.phone.replace(" ", "")),
        ("Email: %(email)s", "email", person.email, "mailto:" + person.email),
        ("Website: %(url)s", "url", person.website, person.website),
    ):
        if value:
            before, after = w.labelled(message, key)
            para = doc.add_paragraph()
            para.paragraph_format.space_after = Pt(0)
            if before:
                para.add_run(before)
            add_hyperlink(para, url, value)
            if after:
                para.add_run(after)
    para.paragraph_format.space_after = Pt(8)


def add_letter(doc: Document, snippet: Snippet, config: Config, *, date: dt.date,
               addressee: Addressee | None = None, language: str | None = None,
               page_break: bool = False, template_dirs: Sequence[Path] = (),
               logo: Logo | None = None) -> None:
    """Append one letter to ``doc``: letterhead (the logo when given, the organisation's
    name, postal address, website), the addressee's name and address when given, the
    date, the greeting, the advisory (title, body, call to action, links), the contact
    block (the organisation's contact, then ``further_advice``) and a sign-off by the
    contact. The words the letter adds are in ``language`` (see :class:`LetterWords`).

    Args:
        date: the date printed on the letter.
        addressee: for a paper copy to a household; ``None`` writes "Dear Parent/Carer"
            (or the language's plural greeting) and no address, for a school to adapt.
        language: the letter's language (BCP 47): the language ``snippet`` is written in;
            when ``None``, the message's (the snippet's, completed by
            ``organisation.language``: ``en-GB``).
        page_break: start the letter on a new page (every letter after the first).
        template_dirs: folders whose ``locale/`` holds the catalogs (workspace first).
        logo: the letterhead's logo (:func:`mailer.logos.fetch_logo`).

    Raises:
        TemplateError: when the language's catalog cannot be read.
    """
    w = words(language or message_language(snippet, config), template_dirs)
    org = config.organisation
    body = doc.element.body
    previous = body.xpath("./w:p[last()]")
    if page_break and previous:
        # At the end of the previous letter, so the next starts at the top of a page.
        Paragraph(previous[0], doc._body).add_run().add_break(WD_BREAK.PAGE)
    first = len(body.xpath("./w:p"))
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    head.paragraph_format.space_after = Pt(0)
    if logo is not None:
        _add_logo(head, logo)
        head.add_run().add_break()
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
    doc.add_paragraph(w.date(date))
    greeting, named = w.greeting_line(addressee)
    doc.add_paragraph(greeting)
    _para(doc, "Heading1", snippet.title)
    _Markdown(doc, w).write(snippet.body)
    cta = snippet.call_to_action
    if cta is not None:
        para = doc.add_paragraph()
        para.add_run(f"{cta.text}: ").bold = True
        add_hyperlink(para, cta.url, _written_out(cta.url))
        if cta.description:
            doc.add_paragraph(cta.description)
    if snippet.links:
        heading = snippet.links_heading
        if heading == Snippet.__dataclass_fields__["links_heading"].default:
            heading = w(heading)  # the default "Useful links", in the letter's language
        _para(doc, "Heading2", heading)
        _links(doc, snippet.links, w)
    if org.contact or org.further_advice:
        _para(doc, "Heading2", w("Who to contact"))
    if org.contact:
        doc.add_paragraph(w("If you have any questions or worries, please contact:")
                          ).paragraph_format.space_after = Pt(2)
        _contact_lines(doc, org.contact, org.name, w)
    if org.further_advice:
        intro = w("For further advice, you can also contact:" if org.contact
                  else "For further advice, contact:")
        doc.add_paragraph(intro).paragraph_format.space_after = Pt(2)
        _contact_lines(doc, org.further_advice, org.further_advice.organisation, w)
    doc.add_paragraph(w("Yours sincerely," if named else "Yours faithfully,", LETTER_CONTEXT))
    signature = doc.add_paragraph()
    signature.paragraph_format.space_before = Pt(36)
    signer = org.contact
    lines = [signer.name, signer.role, org.name] if signer else [org.name]
    for i, line in enumerate(x for x in lines if x):
        if i:
            signature.add_run().add_break()
        signature.add_run(line)
    _set_direction(body.xpath("./w:p")[first:], w)


#: Child order of w:pPr, w:rPr and w:sectPr (ECMA-376 Part 1 §17.3.1.26, §17.3.2.28,
#: §17.6.17): Word refuses a document whose elements are out of order.
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
              "widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs",
              "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct",
              "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing",
              "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId",
              "cnfStyle", "rPr", "sectPr", "pPrChange")
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike",
              "dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid",
              "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
              "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
              "em", "lang", "eastAsianLayout", "specVanish", "oMath")
_SECTPR_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type",
                 "pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols",
                 "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
                 "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
#: Latin text that a right-to-left paragraph would reorder: digits, punctuation, symbols.
_REORDERED = re.compile(r"[^\w\s]|\d")
#: LEFT-TO-RIGHT MARK (UAX #9).
LRM = "\u200e"
_RTL_TEXT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def _child(parent: Any, name: str, order: Sequence[str]) -> Any:
    """``parent``'s ``w:NAME`` child, added in its schema place when missing."""
    found = parent.find(qn(f"w:{name}"))
    if found is not None:
        return found
    element = OxmlElement(f"w:{name}")
    later = {qn(f"w:{n}") for n in order[order.index(name) + 1:]}
    for i, existing in enumerate(parent):
        if existing.tag in later:
            parent.insert(i, element)
            return element
    parent.append(element)
    return element


def _set_direction(paragraphs: Sequence[Any], w: LetterWords) -> None:
    """Mark one letter's paragraphs with its language, and for a right-to-left language
    make each paragraph holding its script right-to-left (``w:bidi``; a paragraph all in
    Latin letters stays left-to-right, set on the right) and each run of its script a
    right-to-left run (``w:rtl``, with ``w:bCs``/``w:iCs`` so bold and italic show, and
    the language as ``w:lang w:bidi``). Runs without such letters (an address, a phone
    number, an English name) are left left-to-right."""
    rtl = w.direction == "rtl"
    for p in paragraphs:
        bidi = False
        if rtl:
            ppr = p.get_or_add_pPr()
            if _RTL_TEXT.search("".join(t.text or "" for t in p.iter(qn("w:t")))):
                _child(ppr, "bidi", _PPR_ORDER)
                bidi = True
            elif ppr.find(qn("w:jc")) is None:
                # All Latin (the school's English name and address, the signature): kept
                # left-to-right, so "5 Mill Lane" is not reordered to "Mill Lane 5", and
                # set on the right with the rest of the letter.
                _child(ppr, "jc", _PPR_ORDER).set(qn("w:val"), "right")
        for r in p.iter(qn("w:r")):
            text = "".join(t.text or "" for t in r.iter(qn("w:t")))
            if not text:
                continue
            rpr = r.get_or_add_rPr()
            lang = _child(rpr, "lang", _RPR_ORDER)
            if rtl and _RTL_TEXT.search(text):
                _child(rpr, "rtl", _RPR_ORDER)
                for on, cs in (("b", "bCs"), ("i", "iCs")):
                    if rpr.find(qn(f"w:{on}")) is not None:
                        _child(rpr, cs, _RPR_ORDER)
                lang.set(qn("w:bidi"), w.language)
            else:
                lang.set(qn("w:val"), w.language)
                if bidi and _REORDERED.search(text):
                    # A phone number, address or URL in a right-to-left paragraph: held
                    # between left-to-right marks (UAX #9 rule W7), so "01632 960123"
                    # does not become "960123 01632" nor "https://x.uk/" "/https://x.uk".
                    texts = list(r.iter(qn("w:t")))
                    texts[0].text = LRM + (texts[0].text or "")
                    texts[-1].text = (texts[-1].text or "") + LRM


def _add_logo(paragraph: Paragraph, logo: Logo) -> None:
    """The logo as an inline picture at most :data:`LOGO_MAX_MM` wide and high, its
    proportions kept.

    Raises:
        LogoError: when python-docx cannot read the picture."""
    from docx.image.exceptions import UnrecognizedImageError

    try:
        shape = paragraph.add_run().add_picture(io.BytesIO(logo.data), height=Mm(LOGO_MAX_MM[1]))
    except (UnrecognizedImageError, ValueError, KeyError, IndexError) as exc:
        raise LogoError(f"the logo is not a picture Word can show ({exc or 'unreadable'}).",
                        path=logo.source) from None
    if shape.width > Mm(LOGO_MAX_MM[0]):
        shape.height = int(shape.height * Mm(LOGO_MAX_MM[0]) / shape.width)
        shape.width = Mm(LOGO_MAX_MM[0])


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
                 date: dt.date | None = None, language: str | None = None,
                 template_dirs: Sequence[Path] = (), logo: Logo | None = None) -> Path:
    """Write the letter for a school to adapt ("Dear Parent/Carer", no address) to
    ``path``, in the language of ``snippet`` (see :func:`add_letter`); ``date`` defaults
    to today. Returns ``path``.

    Raises:
        MailerError: when the file cannot be written; TemplateError for a bad catalog.
    """
    lang = language or message_language(snippet, config)
    doc = new_document(lang)
    doc.core_properties.title = snippet.title
    doc.core_properties.author = config.organisation.name
    if direction(lang) == "rtl":
        _child(doc.sections[0]._sectPr, "bidi", _SECTPR_ORDER)
    add_letter(doc, snippet, config, date=date or dt.date.today(), language=lang,
               template_dirs=template_dirs, logo=logo)
    return save(doc, path)
