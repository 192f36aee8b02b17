"""Checklist S1-S7: the pasteable block (``email-checklist.md``, "The pasteable block").

Staff paste the block into Mailchimp, ParentMail, Arbor, Outlook, Word or Google Docs,
which keep inline ``style=""`` and little else, and put it inside their own tables, which
resets inherited styles. One function per line; each returns its findings.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from mailer.checks.email_rules import scheme_findings
from mailer.checks.model import Finding, Inputs, direct_text, error, excerpt, shorten

_FORBIDDEN = ("html", "head", "body", "style", "link", "script", "meta", "title")
_TEXT_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
_S4_PROPS = ("font-family", "font-size", "line-height", "color")
_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")


def s1_one_root(inp: Inputs) -> list[Finding]:
    """S1: one root element; no ``html/head/body/style/link/script/meta/title``."""
    if not inp.block.strip():
        return []
    out: list[Finding] = []
    for m in re.finditer(r"<\s*(" + "|".join(_FORBIDDEN) + r")\b[^>]*>", inp.block, re.I):
        out.append(error("S1", shorten(m.group(0), 60), f"the block must not contain "
                         f"<{m.group(1).lower()}>: newsletter tools strip it or it breaks the "
                         "page the block is pasted into."))
    try:
        fragments = lxml_html.fragments_fromstring(inp.block)
    except etree.ParserError:
        fragments = []
    roots = [f for f in fragments if isinstance(f, etree._Element) and isinstance(f.tag, str)]
    loose = [f for f in fragments if isinstance(f, str) and f.strip()]
    if len(roots) != 1 or loose:
        out.append(error("S1", shorten(inp.block, 60), f"the block has {len(roots)} top-level "
                         "elements; it must have exactly one (a table), so it pastes as one "
                         "piece."))
    return out


def s2_no_class_or_id(inp: Inputs) -> list[Finding]:
    """S2: looks the same with every ``class`` and ``id`` removed: there are none, so the
    newsletter's own CSS cannot restyle the block and nothing depends on a class."""
    page = inp.block_page
    if page is None:
        return []
    out: list[Finding] = []
    for el in page.body_elements():
        attrs = [a for a in ("class", "id") if el.get(a) is not None]
        if attrs:
            out.append(error("S2", excerpt(el), f"the block has a {' and '.join(attrs)} "
                             "attribute; the newsletter's own CSS could restyle it and pasting "
                             "may drop it. Put all styling in style=\"\" and remove it."))
    return out


def s3_root(inp: Inputs) -> list[Finding]:
    """S3: the root is a ``<table>`` (Word and Outlook honour a table's ``width``
    attribute, not ``max-width`` on a ``<div>``) with ``lang``, ``dir``, ``width="100%"`` and
    ``max-width:600px``."""
    page = inp.block_page
    if page is None or page.body is None:
        return []
    root = next((el for el in page.body if isinstance(el.tag, str)), None)
    if root is None:
        return []
    out: list[Finding] = []
    for attr, expected in (("lang", inp.language), ("dir", inp.direction)):
        value = root.get(attr)
        if not value:
            out.append(error("S3", excerpt(root), f"the block's root needs {attr}=\"\" so "
                             "screen readers use the right language and direction."))
        elif expected is not None and value.lower() != expected.lower():
            out.append(error("S3", excerpt(root), f"the block's root says {attr}=\"{value}\" "
                             f"but the snippet's language needs {attr}=\"{expected}\"."))
    if root.tag != "table":
        out.append(error("S3", excerpt(root), "the block's root must be a <table> with "
                         "width=\"100%\": Word and Outlook ignore max-width on a pasted "
                         "<div>, so the block would run across the whole page there."))
    if root.get("width") != "100%":
        out.append(error("S3", excerpt(root), "the block's root needs width=\"100%\" so it "
                         "fits the newsletter's column."))
    limit = page.style(root).get("max-width", "").replace(" ", "").lower()
    m = re.fullmatch(r"(\d+)px", limit)
    if not m or int(m.group(1)) > 600:
        out.append(error("S3", excerpt(root), "the block's root needs style=\"max-width:600px\""
                         " so it does not run too wide on a computer."))
    return out


def s4_text_styles(inp: Inputs) -> list[Finding]:
    """S4: every text element sets its own font family, size, line height and colour;
    links set their colour and font family (pasting into nested tables resets inheritance,
    and a host page's own ``a { ... }`` rule would otherwise win)."""
    page = inp.block_page
    if page is None:
        return []
    out: list[Finding] = []
    for el in page.body_elements():
        style = page.style(el)
        if el.tag == "a":
            if "color" not in style:
                out.append(error("S4", excerpt(el), "the link sets no colour, so the "
                                 "newsletter's own link colour applies; add color:#...."))
            if "font-family" not in style:
                out.append(error("S4", excerpt(el), "the link sets no font-family, so pasted "
                                 "under a page that styles its links it takes that page's "
                                 "font; add font-family to its style=\"\"."))
            continue
        is_text = el.tag in _TEXT_TAGS or (
            el.tag in ("td", "th", "div", "span") and direct_text(el).strip()
        )
        if not is_text:
            continue
        missing = [p for p in _S4_PROPS if p not in style]
        if missing:
            out.append(error("S4", excerpt(el), f"this text does not set {', '.join(missing)} "
                             "itself; pasted into another table it would take the page's "
                             "styles. Set them in its style=\"\"."))
    return out


def s5_coloured_boxes(inp: Inputs) -> list[Finding]:
    """S5: each coloured box sets text and background colour together, as 6-digit hex."""
    page = inp.block_page
    if page is None:
        return []
    out: list[Finding] = []
    for el in page.body_elements():
        style = page.style(el)
        background = style.get("background-color") or style.get("background")
        if el.get("bgcolor") is None and background is None:
            continue
        colours = [("color", style.get("color"))]
        colours.append(("background-color", background or el.get("bgcolor")))
        if el.get("bgcolor") is not None:
            colours.append(("bgcolor", el.get("bgcolor")))
        if style.get("color") is None:
            out.append(error("S5", excerpt(el), "this box sets a background but no text "
                             "colour; a newsletter with dark text settings could make it "
                             "unreadable. Set color and background-color together."))
        for name, value in colours:
            if value is not None and not _HEX6.fullmatch(value.strip()):
                out.append(error("S5", excerpt(el), f"{name} '{value}' must be a 6-digit hex "
                                 "colour like #1d4f91."))
    return out


def s6_urls(inp: Inputs) -> list[Finding]:
    """S6: only absolute ``https:`` (or ``mailto:``/``tel:``) URLs; ``http:`` is a
    warning."""
    page = inp.block_page
    if page is None:
        return []
    out: list[Finding] = []
    for el in page.body_elements():
        if el.tag == "a" and el.get("href") is not None:
            out += scheme_findings("S6", el, el.get("href") or "", "link")
        elif el.tag == "img":
            out += scheme_findings("S6", el, el.get("src") or "", "image address")
    return out


def s7_no_conditional_comments(inp: Inputs) -> list[Finding]:
    """S7: no Outlook conditional comments (newsletter tools and Word mangle them)."""
    m = re.search(r"<!--\[if[^\]]*\]>|<!\[endif\]-->", inp.block, re.I)
    if not m:
        return []
    return [error("S7", m.group(0), "the block must not contain Outlook conditional comments; "
                  "newsletter tools and Word break them when pasting.")]


RULES = [s1_one_root, s2_no_class_or_id, s3_root, s4_text_styles, s5_coloured_boxes, s6_urls,
         s7_no_conditional_comments]
