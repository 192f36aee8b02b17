"""Checklist E1-E22: the full email (``email-checklist.md``, "The full email").

One function per line. Each takes :class:`~mailer.checks.model.Inputs` and returns the
findings for that line (an empty list when the line is kept). Rules about content (links,
contrast, font sizes, avoided CSS...) look at the pasteable block as well, since it carries
the same content; the runner drops a finding reported twice for the same element.
E13 (no horizontal scroll) is proven in a real browser by the test suite; here it is
approximated by looking for anything wider than the narrowest phone.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from mailer.checks.css import (
    SPACE_RGB,
    Declaration,
    contrast_ratio,
    hex_colour,
    walk_rules,
)
from mailer.checks.model import (
    Finding,
    Inputs,
    Page,
    direct_text,
    error,
    excerpt,
    is_dark_media,
    select,
    shorten,
    warning,
)

#: Gmail clips messages whose HTML is over about 102 KB (email-bugs #41); keep a margin.
HTML_SIZE_LIMIT = 100_000
#: Gmail drops a <style> block over 16 KB (caniemail, "style" notes).
STYLE_SIZE_LIMIT = 16 * 1024
#: RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded.
MAX_LINE_OCTETS = 998
#: WCAG 2.1 success criterion 1.4.3 (the checklist applies it to all text).
MIN_CONTRAST = 4.5
#: Body text size (checklist E11; GOV.UK Notify uses 19 px).
MIN_FONT_PX = 16.0
#: The narrowest phone screen the checklist names (E13).
NARROWEST_PX = 280

_TEXT_CONTAINERS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "a", "button", "caption",
                    "th", "dt", "dd", "blockquote", "figcaption", "label"}
_SECTIONING = ("header", "main", "nav", "footer", "section", "article", "aside")
VAGUE_LINK_TEXT = {"click here", "here", "click", "read more", "more", "link", "this link",
                   "this", "learn more", "go", "continue", "click this link", "more info",
                   "find out more", "this page"}
_PX = re.compile(r"^\s*(-?\d+(?:\.\d+)?)px\s*$", re.I)


def _px(value: str | None) -> float | None:
    m = _PX.match(value or "")
    return float(m.group(1)) if m else None


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _all_declarations(page: Page) -> list[tuple[str, Declaration]]:
    """Inline and stylesheet declarations as ``(where, declaration)``; ``where`` is an
    excerpt of the element or the rule."""
    out: list[tuple[str, Declaration]] = []
    for el in page.elements():
        for decl in page.declarations(el):
            out.append((excerpt(el), decl))
    for _, rules in page.stylesheet:
        for rule, _parents in walk_rules(rules):
            for decl in rule.declarations:
                out.append((shorten(f"{rule.prelude} {{ {decl.raw} }}", 100), decl))
    return out


def _link_text(a: etree._Element) -> str:
    text = " ".join(a.text_content().split()) if isinstance(a, lxml_html.HtmlElement) else ""
    if not text:
        text = " ".join((img.get("alt") or "").strip() for img in a.iter("img")).strip()
    return text


def scheme_findings(rule_id: str, el: etree._Element, url: str, what: str) -> list[Finding]:
    """``https:``, ``mailto:`` and ``tel:`` are fine; ``http:`` is a warning; anything else
    (relative, ``javascript:``, ``file:``) is an error: it cannot work in an inbox."""
    lower = url.strip().lower()
    if lower.startswith(("https://", "mailto:", "tel:")):
        return []
    if lower.startswith("http://"):
        return [warning(rule_id, excerpt(el),
                        f"the {what} {url} uses http:, which is not encrypted and which some "
                        "mail programs flag. Change it to https:// in the snippet or mailer.yaml.")]
    return [error(rule_id, excerpt(el),
                  f"the {what} '{url}' is not a full https:// (or mailto:/tel:) address, so it "
                  "cannot work once the email leaves your computer. Write the whole address.")]


# --- E1-E5: size, charset, MIME, head, language ------------------------------------------

def e1_size(inp: Inputs) -> list[Finding]:
    """E1: the decoded HTML part is under 100 KB after inlining (Gmail clips at ~102 KB,
    email-bugs #41)."""
    html = None
    if inp.email is not None:
        part = inp.email.get_body(("html",))
        if part is not None:
            html = part.get_content()
    if html is None:
        html = inp.html
    if not html:
        return []
    size = len(html.encode("utf-8"))
    if size < HTML_SIZE_LIMIT:
        return []
    return [error("E1", f"HTML part: {size / 1000:.1f} KB",
                  f"the email's HTML is {size / 1000:.1f} KB; Gmail cuts off ('clips') emails "
                  "over about 100 KB and hides the rest. Shorten the body or the list of links.")]


def e2_charset(inp: Inputs) -> list[Finding]:
    """E2: the charset is declared once, the same in ``<meta charset>`` and the MIME
    part's ``Content-Type`` (Gmail clips mismatched mails, email-bugs #41)."""
    page = inp.page
    if page is None:
        return []
    declared: list[tuple[etree._Element, str]] = []
    for meta in page.elements("meta"):
        if meta.get("charset"):
            declared.append((meta, meta.get("charset", "").strip().lower()))
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            m = re.search(r"charset=([\w-]+)", meta.get("content") or "", re.I)
            if m:
                declared.append((meta, m.group(1).lower()))
    out: list[Finding] = []
    if not declared:
        if any(ord(ch) > 127 for ch in inp.html):
            out.append(error("E2", "<head>", "the HTML declares no character set but has "
                             "non-ASCII characters; add <meta charset=\"utf-8\"> to <head>."))
    elif len(declared) > 1:
        out.append(error("E2", excerpt(declared[1][0]),
                         "the character set is declared more than once; keep one "
                         "<meta charset=\"utf-8\">."))
    if inp.email is not None and declared:
        part = inp.email.get_body(("html",))
        mime = (part.get_content_charset() or "") if part is not None else ""
        if part is not None and mime.lower() != declared[0][1]:
            out.append(error("E2", f"Content-Type charset={mime or '(none)'}",
                             f"the HTML part is sent as '{mime or 'no charset'}' but the HTML "
                             f"says '{declared[0][1]}'; they must be the same."))
    return out


def e3_mime(inp: Inputs) -> list[Finding]:
    """E3: ``multipart/alternative`` with ``text/plain`` first and ``text/html`` last
    (RFC 2046 §5.1.4); no line over 998 octets (RFC 5322 §2.1.1)."""
    msg = inp.email
    if msg is None or inp.message is None:
        return []
    out: list[Finding] = []
    kind = msg.get_content_type()
    if kind != "multipart/alternative":
        out.append(error("E3", f"Content-Type: {kind}",
                         "the message must be multipart/alternative (a plain-text part, then "
                         "the HTML part) so every mail program can show it."))
    else:
        kinds = [p.get_content_type() for p in msg.iter_parts()]
        if kinds != ["text/plain", "text/html"]:
            out.append(error("E3", "parts: " + ", ".join(kinds),
                             "the parts must be text/plain first and text/html last "
                             "(RFC 2046: the last part is the preferred one)."))
    for number, line in enumerate(inp.message.split(b"\n"), 1):
        if len(line.rstrip(b"\r")) > MAX_LINE_OCTETS:
            out.append(error("E3", f"line {number}: {shorten(line.decode('ascii', 'replace'))}",
                             f"line {number} of the message is {len(line.rstrip())} octets; "
                             "mail servers may break or reject lines over 998 (RFC 5322)."))
            break
    return out


def e4_head(inp: Inputs) -> list[Finding]:
    """E4: ``<!DOCTYPE html>``, a viewport of ``width=device-width, initial-scale=1``
    that does not block zoom, ``x-apple-disable-message-reformatting`` and a ``<title>``
    equal to the subject (Email Markup Consortium accessibility report 2025)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    if not inp.html.lstrip().lower().startswith("<!doctype html>"):
        out.append(error("E4", shorten(inp.html.lstrip(), 40),
                         "the email must start with <!DOCTYPE html>."))
    metas = {(m.get("name") or "").lower(): m for m in page.elements("meta")}
    viewport = metas.get("viewport")
    if viewport is None:
        out.append(error("E4", "<head>", "add <meta name=\"viewport\" content=\"width=device-"
                         "width, initial-scale=1\"> so phones show the email at their width."))
    else:
        content = (viewport.get("content") or "").lower().replace(" ", "")
        if "width=device-width" not in content or "initial-scale=1" not in content:
            out.append(error("E4", excerpt(viewport), "the viewport must say "
                             "'width=device-width, initial-scale=1'."))
        if re.search(r"user-scalable=(no|0)|maximum-scale=", content):
            out.append(error("E4", excerpt(viewport), "the viewport stops readers zooming in "
                             "(user-scalable or maximum-scale); remove that part."))
    if "x-apple-disable-message-reformatting" not in metas:
        out.append(error("E4", "<head>", "add <meta name=\"x-apple-disable-message-"
                         "reformatting\"> so Apple Mail does not rescale the email."))
    title = page.root.find("head/title")
    text = " ".join((title.text or "").split()) if title is not None else ""
    if not text:
        out.append(error("E4", "<head>", "add a <title> with the subject: screen readers "
                         "announce it."))
    elif inp.subject is not None and text != " ".join(inp.subject.split()):
        out.append(error("E4", f"<title>{shorten(text)}</title>",
                         "the <title> must be the subject of the email."))
    return out


def e5_lang_dir(inp: Inputs) -> list[Finding]:
    """E5: ``lang`` and ``dir`` on ``<html>`` and again on a ``<div role="article"
    aria-roledescription="email">`` first inside ``<body>`` (webmail drops ``<html>``)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []

    def check(el: etree._Element, what: str) -> None:
        for attr, expected in (("lang", inp.language), ("dir", inp.direction)):
            value = el.get(attr)
            if not value:
                out.append(error("E5", excerpt(el), f"{what} needs a {attr}=\"\" attribute "
                                 "(from the snippet's language) so screen readers use the "
                                 "right voice and direction."))
            elif expected is not None and value.lower() != expected.lower():
                out.append(error("E5", excerpt(el), f"{what} says {attr}=\"{value}\" but the "
                                 f"snippet's language needs {attr}=\"{expected}\"."))
            elif attr == "dir" and value.lower() not in ("ltr", "rtl"):
                out.append(error("E5", excerpt(el), "dir must be ltr or rtl."))

    check(page.root, "<html>")
    body = page.body
    first = next((el for el in body if isinstance(el.tag, str)), None) if body is not None else None
    if (first is None or first.tag != "div" or first.get("role") != "article"
            or first.get("aria-roledescription") != "email"):
        out.append(error("E5", excerpt(first) if first is not None else "<body>",
                         "the first element in <body> must be <div role=\"article\" "
                         "aria-roledescription=\"email\" lang=\"..\" dir=\"..\">, because "
                         "webmail drops the <html> element and its language."))
    else:
        check(first, "the role=\"article\" wrapper")
    return out


# --- E6-E9: tables, semantics, images, links ---------------------------------------------

def _is_data_table(table: etree._Element) -> bool:
    return bool(table.xpath("./caption|./thead|./tr/th|./tbody/tr/th"))


def e6_tables(inp: Inputs) -> list[Finding]:
    """E6: every layout table has ``role="presentation"`` and ``border=0 cellpadding=0
    cellspacing=0``; data tables (with ``<th>`` or ``<caption>``) do not get the role
    (EMC 2025; Cerberus)."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for table in page.elements("table"):
            role = (table.get("role") or "").lower()
            data = _is_data_table(table)
            if data and role == "presentation":
                out.append(error("E6", excerpt(table), "this table has headings, so it holds "
                                 "data: remove role=\"presentation\" so screen readers read it "
                                 "as a table."))
            elif not data and role != "presentation":
                out.append(error("E6", excerpt(table), "a layout table needs "
                                 "role=\"presentation\", or screen readers announce rows and "
                                 "columns."))
            if not data:
                bad = [a for a in ("border", "cellpadding", "cellspacing") if table.get(a) != "0"]
                if bad:
                    out.append(error("E6", excerpt(table), "a layout table needs "
                                     + ", ".join(f'{a}="0"' for a in bad) + "."))
    return out


def e7_semantics(inp: Inputs) -> list[Finding]:
    """E7: exactly one ``<h1>``; text in ``h1-h6``, ``p``, ``ul/ol/li``; no ``header``,
    ``main``, ``nav``, ``footer``, ``section``, ``article`` (Outlook for Windows and Yahoo
    lack them, caniemail)."""
    out: list[Finding] = []
    for part, page in inp.pages():
        h1 = page.elements("h1")
        if len(h1) != 1:
            out.append(error("E7", excerpt(h1[1]) if len(h1) > 1 else f"{part}: no <h1>",
                             f"the {part} has {len(h1)} <h1> headings; it needs exactly one, "
                             "the title (use ## for headings in the body)."))
        for el in page.elements(*_SECTIONING):
            out.append(error("E7", excerpt(el), f"<{el.tag}> is not supported by Outlook for "
                             "Windows and Yahoo; use a <div> or a table cell."))
        for el in page.text_elements():
            chain = [el, *el.iterancestors()]
            if not any(node.tag in _TEXT_CONTAINERS for node in chain):
                out.append(error("E7", excerpt(el), "this text is not in a paragraph, "
                                 "heading or list item; wrap it in <p> so screen readers and "
                                 "mail programs treat it as text."))
    return out


def e8_images(inp: Inputs) -> list[Finding]:
    """E8: every ``<img>`` has ``alt`` (empty only if decorative), a pixel ``width``
    attribute and ``width:100%;height:auto``; no SVG or WebP (EMC 2025; caniemail)."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for svg in page.elements("svg"):
            out.append(error("E8", excerpt(svg), "SVG does not show in Gmail or Outlook; use "
                             "a PNG or JPEG image."))
        for img in page.elements("img"):
            src = img.get("src") or ""
            if img.get("alt") is None:
                out.append(error("E8", excerpt(img), "the image needs alt text (alt=\"\" only "
                                 "if it is decoration): many parents see emails with images "
                                 "blocked, and screen readers read the alt text."))
            if not (img.get("width") or "").strip().isdigit():
                out.append(error("E8", excerpt(img), "the image needs a width attribute in "
                                 "pixels (width=\"120\"), or Outlook shows it at full size."))
            style = page.style(img)
            if style.get("width", "").replace(" ", "") != "100%" or \
                    style.get("height", "").strip() != "auto":
                out.append(error("E8", excerpt(img), "the image needs style=\"width:100%; "
                                 "height:auto\" (with max-width) so it shrinks on a phone."))
            path = src.lower().split("?")[0].split("#")[0]
            if path.endswith((".svg", ".webp")) or src.lower().startswith(
                    ("data:image/svg", "data:image/webp")):
                out.append(error("E8", excerpt(img), "SVG and WebP images do not show in "
                                 "Outlook and some webmail; use PNG or JPEG."))
            out += scheme_findings("E8", img, src, "image address")
    return out


def e9_links(inp: Inputs) -> list[Finding]:
    """E9: every link has descriptive text (no "click here") and is underlined (EMC
    2025); links use https:, mailto: or tel: (http: is a warning)."""
    out: list[Finding] = []
    for part, page in inp.pages():
        for a in page.elements("a"):
            href = a.get("href")
            if href is None:
                continue
            text = _link_text(a)
            if not text:
                out.append(error("E9", excerpt(a), "this link has no text, so screen readers "
                                 "read out the address; give it words that say where it goes."))
            elif text.lower().strip(" .:!»›>") in VAGUE_LINK_TEXT:
                out.append(error("E9", excerpt(a), f"the link text '{text}' does not say where "
                                 "it goes; use words such as the site's or page's name."))
            elif re.match(r"(https?://|www\.)", text, re.I):
                out.append(warning("E9", excerpt(a), "the link text is a bare web address; "
                                   "use words that say where it goes (the address is read out "
                                   "letter by letter and can overflow a phone screen)."))
            style = page.style(a)
            deco = style.get("text-decoration", style.get("text-decoration-line", ""))
            if "none" in deco.lower():
                out.append(error("E9", excerpt(a), "links must be underlined, so readers who "
                                 "cannot tell colours apart can find them; remove "
                                 "text-decoration:none."))
            if part == "email":
                out += scheme_findings("E9", a, href, "link")
    return out


# --- E10-E13: contrast, font sizes, container, width -------------------------------------

def e10_contrast(inp: Inputs) -> list[Finding]:
    """E10: text contrast of at least 4.5:1 against its background (WCAG 2.1 1.4.3), in
    the light colours and, when the email declares dark mode, the dark ones. Colours come
    from inline styles and ``bgcolor``; unset text is taken as black on white."""
    brand = inp.config.organisation.brand_colour.lower() if inp.config else None
    out: list[Finding] = []
    for _, page in inp.pages():
        modes = [False, True] if page.dark_overrides else [False]
        for el in page.text_elements():
            light: tuple[object, object] | None = None
            for dark in modes:
                fg = page.colour(el, dark) or (0, 0, 0)
                bg = page.background(el, dark) or (255, 255, 255)
                ratio = contrast_ratio(fg, bg)
                if ratio >= MIN_CONTRAST or (fg, bg) == light:
                    continue  # readable, or the same colours already reported
                light = (fg, bg)
                fg_hex, bg_hex = hex_colour(fg), hex_colour(bg)
                note = ""
                if brand in (fg_hex, bg_hex) and fg_hex != bg_hex:
                    note = " One of them is the brand_colour in mailer.yaml: choose a darker one."
                mode = " in dark mode" if dark else ""
                out.append(error("E10", excerpt(el),
                                 f"text {fg_hex} on {bg_hex}{mode} has contrast {ratio:.2f}:1; "
                                 f"it needs at least {MIN_CONTRAST}:1 to be readable.{note}"))
    return out


def e11_font_size(inp: Inputs) -> list[Finding]:
    """E11: body text at least 16 px, set in ``px`` (Outlook for Windows and Yahoo lack
    ``rem`` and ``var()``); every ``font-size`` is in px."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for where, decl in _all_declarations(page):
            if decl.prop != "font-size":
                continue
            value = decl.value.strip().lower()
            if value in ("inherit", "initial") or _px(value) is not None:
                continue
            out.append(error("E11", where, f"font-size '{decl.value}' is not in px; Outlook "
                             "for Windows and Yahoo ignore rem, em, % and var(). Write it as, "
                             "for example, 16px."))
        for el in page.text_elements():
            found = page.inherited(el, "font-size")
            if found is None:
                out.append(error("E11", excerpt(el), "this text has no font size, so each mail "
                                 "program picks its own; set font-size:16px (or larger)."))
                continue
            size = _px(found[0])
            if size is not None and size < MIN_FONT_PX:
                out.append(error("E11", excerpt(el), f"this text is {size:g}px; body text "
                                 f"must be at least {MIN_FONT_PX:g}px to be readable on a phone."))
    return out


def e12_container(inp: Inputs) -> list[Finding]:
    """E12: a container of ``max-width:600px``, fluid below, and an Outlook-only
    fixed-width table in ``<!--[if mso]>`` (Outlook for Windows honours ``max-width`` only
    on tables; Cerberus)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    fluid = []
    for el in page.body_elements():
        style = page.style(el)
        limit = _px(style.get("max-width"))
        wide = el.get("width") == "100%" or style.get("width", "").replace(" ", "") == "100%"
        if limit is not None and limit <= 600 and wide:
            fluid.append(el)
    if not fluid:
        out.append(error("E12", "<body>", "there is no container with max-width:600px and "
                         "width:100%; on a computer the text runs too wide, on a phone it "
                         "may not shrink."))
    mso = [inner for cond, inner in page.conditional_comments()
           if "mso" in cond.lower() and re.search(r"<table\b[^>]*\bwidth=\"?\d", inner, re.I)]
    if not mso:
        out.append(error("E12", "<body>", "there is no Outlook-only fixed-width table "
                         "(<!--[if mso]><table width=\"600\">...); Outlook for Windows ignores "
                         "max-width and stretches the email across the screen."))
    return out


def e13_no_sideways_scroll(inp: Inputs) -> list[Finding]:
    """E13 (approximation; the browser tests measure it): nothing is fixed wider than a
    280 px phone, outside Outlook-only markup, with or without ``<style>``."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for el in page.body_elements():
            if page.is_hidden(el):
                continue
            style = page.style(el)
            fluid = style.get("max-width", "").replace(" ", "") == "100%"
            width = _px(style.get("width"))
            min_width = _px(style.get("min-width"))
            attr = (el.get("width") or "").strip()
            too_wide = None
            if width is not None and width > NARROWEST_PX and not fluid:
                too_wide = f"width:{width:g}px"
            elif min_width is not None and min_width > NARROWEST_PX:
                too_wide = f"min-width:{min_width:g}px"
            elif attr.isdigit() and int(attr) > NARROWEST_PX and "width" not in style:
                too_wide = f'width="{attr}"'
            if too_wide:
                out.append(error("E13", excerpt(el), f"{too_wide} is wider than a small phone "
                                 f"({NARROWEST_PX}px), so readers would scroll sideways; use "
                                 "width:100% with a max-width."))
            if style.get("white-space", "").strip().lower() in ("nowrap", "pre") and \
                    len(direct_text(el).strip()) > 30:
                out.append(warning("E13", excerpt(el), "white-space:nowrap on long text can "
                                   "make a phone scroll sideways; let it wrap."))
    return out


# --- E14-E16: the <style> block -----------------------------------------------------------

def e14_inline_css(inp: Inputs) -> list[Finding]:
    """E14: all layout and branding CSS is inline; what stays in ``<style>`` is only media
    queries, pseudo-classes and client fixes (Gmail with non-Google accounts and forwards
    drop ``<style>``; hteumeuleu email-guidelines)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    for link in page.elements("link"):
        if "stylesheet" in (link.get("rel") or "").lower():
            out.append(error("E14", excerpt(link), "mail programs do not load linked "
                             "stylesheets; put the styles inline."))
    for _, rules in page.stylesheet:
        for rule in rules:
            if rule.is_at_rule:
                if not rule.prelude.lower().startswith("@media"):
                    out.append(error("E14", shorten(rule.prelude, 80), "only @media blocks may "
                                     "stay in <style>; Gmail drops the whole block for other "
                                     "at-rules."))
                continue
            for selector in rule.selectors:
                if ":" in selector:
                    continue  # a pseudo-class (:hover, :root): cannot be inlined
                matched = select(page.root, selector)
                if matched:
                    out.append(error("E14", shorten(f"{selector} {{ ... }}", 80),
                                     "this rule styles the email from <style>, which Gmail "
                                     "and forwarding can drop; inline it into style=\"\"."))
    return out


def e15_style_shape(inp: Inputs) -> list[Finding]:
    """E15: ``<style>`` is in ``<head>``, each block under 16 KB, no at-rule nested in
    another, and ``!important`` lowercase with a space before (Gmail drops the whole block
    otherwise; caniemail)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    head = page.head
    for style_el, rules in page.stylesheet:
        raw = style_el.text or ""
        if head is None or style_el.getparent() is not head:
            out.append(error("E15", shorten("<style>" + raw, 60), "a <style> block must be in "
                             "<head>; Gmail removes it from the body."))
        size = len(raw.encode("utf-8"))
        if size > STYLE_SIZE_LIMIT:
            out.append(error("E15", shorten("<style>" + raw, 60), f"this <style> block is "
                             f"{size / 1024:.1f} KB; Gmail drops blocks over 16 KB."))
        for rule, parents in walk_rules(rules):
            if rule.is_at_rule and parents:
                out.append(error("E15", shorten(f"{parents[-1].prelude} {{ {rule.prelude}", 80),
                                 "an at-rule inside another at-rule makes Gmail drop the "
                                 "whole <style> block; write them one after the other."))
        for m in re.finditer(r"(.?)(!\s*important)", raw, re.I | re.S):
            if m.group(2) != "!important" or not m.group(1).isspace():
                start = max(0, m.start() - 30)
                out.append(error("E15", shorten(raw[start:m.end()], 60),
                                 "write !important in lowercase with a space before it "
                                 "(' !important'); Gmail drops the block otherwise."))
    return out


def e16_media_important(inp: Inputs) -> list[Finding]:
    """E16: every declaration inside ``@media`` has ``!important``, or the inline styles
    win (premailer's default ``strip_important=True`` silently breaks this)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    for _, rules in page.stylesheet:
        for rule, parents in walk_rules(rules):
            if rule.is_at_rule or not any(p.prelude.lower().startswith("@media")
                                          for p in parents):
                continue
            for decl in rule.declarations:
                if not decl.important:
                    out.append(error("E16", shorten(f"{rule.prelude} {{ {decl.raw} }}", 80),
                                     "inside @media every declaration needs !important, or "
                                     "the inline style wins and the rule does nothing."))
    return out


# --- E17-E22: layout, avoided CSS, preheader, dark mode, Outlook, client fixes ------------

def e17_columns(inp: Inputs) -> list[Finding]:
    """E17: columns stack on a phone without media queries: no layout table row with
    two or more cells of content (use a hybrid layout of inline-block ``<div>``s)."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for tr in page.elements("tr"):
            table = next(tr.iterancestors("table"), None)
            if table is None or _is_data_table(table):
                continue
            cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")
                     and (c.text_content().strip() or c.find(".//img") is not None)]
            if len(cells) > 1:
                out.append(error("E17", excerpt(tr), f"this row has {len(cells)} columns side "
                                 "by side; on a phone they will not stack without media "
                                 "queries. Use one column, or inline-block <div> columns."))
    return out


def e18_avoided_css(inp: Inputs) -> list[Finding]:
    """E18: no flex, grid, float or position for layout; 6-digit hex colours in HTML
    attributes; no space-separated ``rgb()`` (caniemail; Maizzle)."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for where, decl in _all_declarations(page):
            value = decl.value.strip().lower()
            bad = None
            if decl.prop == "display" and value in ("flex", "inline-flex", "grid", "inline-grid"):
                bad = f"display:{value}"
            elif decl.prop == "float" and value != "none":
                bad = f"float:{value}"
            elif decl.prop == "position" and value not in ("static", ""):
                bad = f"position:{value}"
            if bad:
                out.append(error("E18", where, f"{bad} is not supported by Outlook for Windows "
                                 "and some webmail; lay out with tables or inline-block."))
            if SPACE_RGB.search(decl.value):
                out.append(error("E18", where, "space-separated rgb() colours are not "
                                 "understood by many mail programs; use 6-digit hex (#1d4f91)."))
        for el in page.elements():
            for attr in ("bgcolor", "color", "text", "link", "vlink", "alink", "bordercolor"):
                value = el.get(attr)
                if value is None or (attr == "color" and el.tag != "font"):
                    continue
                if not re.fullmatch(r"#[0-9a-fA-F]{6}", value.strip()):
                    out.append(error("E18", excerpt(el), f"{attr}=\"{value}\": colours in HTML "
                                     "attributes must be 6-digit hex, like #1d4f91."))
    return out


def e19_preheader(inp: Inputs) -> list[Finding]:
    """E19: a hidden preheader is the first text in ``<body>`` (Cerberus, Maizzle), and it
    is the snippet's ``preheader``."""
    page = inp.page
    if page is None:
        return []
    first = next((el for el in page.body_elements() if direct_text(el).strip()), None)
    if first is None or not page.is_hidden(first):
        return [error("E19", excerpt(first) if first is not None else "<body>",
                      "the first text in <body> must be the hidden preheader (the line shown "
                      "after the subject in the inbox); otherwise the inbox shows whatever "
                      "text comes first.")]
    if inp.snippet is not None and inp.snippet.preheader and not _squash(
            direct_text(first)).startswith(_squash(inp.snippet.preheader)):
        return [error("E19", excerpt(first), "the hidden preheader is not the snippet's "
                      "'preheader' text.")]
    return []


def _declares_dark(page: Page) -> bool:
    for meta in page.elements("meta"):
        if (meta.get("name") or "").lower() in ("color-scheme", "supported-color-schemes") \
                and "dark" in (meta.get("content") or "").lower():
            return True
    for _, rules in page.stylesheet:
        for rule, _parents in walk_rules(rules):
            if rule.is_at_rule and is_dark_media(rule.prelude):
                return True
            if any(d.prop == "color-scheme" and "dark" in d.value for d in rule.declarations):
                return True
    return False


def e20_dark_mode(inp: Inputs) -> list[Finding]:
    """E20: if dark mode is declared, every inline colour (``color``, ``background``,
    ``bgcolor``, border colours) has an override inside ``@media (prefers-color-scheme:
    dark)`` (Cerberus dark-mode notes; caniemail)."""
    page = inp.page
    if page is None or not _declares_dark(page):
        return []
    out: list[Finding] = []
    for el in page.elements():
        own = page.own_colour_props(el)
        if not own:
            continue
        dark = page.dark_overrides.get(el, {})
        missing = [prop for prop in own if prop not in dark]
        if missing:
            out.append(error("E20", excerpt(el), f"{', '.join(sorted(missing))} has no "
                             "dark-mode override: the email declares dark mode, so add a rule "
                             "for this element inside @media (prefers-color-scheme: dark)."))
    return out


def e21_outlook_inline(inp: Inputs) -> list[Finding]:
    """E21: Outlook-only markup carries its own inline styles: inliners do not reach
    inside conditional comments (measured with premailer and css-inline)."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    for cond, inner in page.conditional_comments():
        if not inner.strip():
            continue
        try:
            wrapper = lxml_html.fragment_fromstring(inner, create_parent="div")
        except (etree.ParserError, ValueError):
            continue
        for el in wrapper.iter():
            if el is wrapper or not isinstance(el.tag, str):
                continue
            if el.get("class"):
                out.append(error("E21", f"<!--[if {cond}]> " + excerpt(el),
                                 "a class inside an Outlook-only comment is never inlined; "
                                 "write the style inline (style=\"\")."))
            elif el.tag in ("table", "td", "th", "div", "p", "span", "a") and not el.get("style"):
                out.append(error("E21", f"<!--[if {cond}]> " + excerpt(el),
                                 "Outlook-only markup needs its own inline style (for example "
                                 "style=\"width:600px;\"); inliners do not reach inside "
                                 "conditional comments."))
    return out


def e22_client_fixes(inp: Inputs) -> list[Finding]:
    """E22: client fixes (``a[x-apple-data-detectors]``) survive inlining, in a ``<style
    data-premailer="ignore">`` block (premailer drops rules that match nothing)."""
    page = inp.page
    if page is None:
        return []
    sheets = " ".join(s.text or "" for s in page.style_elements)
    if re.search(r"a\[x-apple-data-detectors\]", sheets):
        return []
    return [warning("E22", "<head>", "the Apple Mail fix a[x-apple-data-detectors] is "
                    "missing, so iPhones may turn dates and phone numbers into blue links; "
                    "keep it in a <style data-premailer=\"ignore\"> block.")]


RULES = [
    e1_size, e2_charset, e3_mime, e4_head, e5_lang_dir, e6_tables, e7_semantics, e8_images,
    e9_links, e10_contrast, e11_font_size, e12_container, e13_no_sideways_scroll,
    e14_inline_css, e15_style_shape, e16_media_important, e17_columns, e18_avoided_css,
    e19_preheader, e20_dark_mode, e21_outlook_inline, e22_client_fixes,
]
