"""Checklist E23-E27: the email as Gmail, Samsung Email, Outlook and Outlook.com change it,
as far as it can be checked without a browser (``email-checklist.md``).

The browser half (contrast and underlines measured in Chromium inside each client's
rewrite, at 320, 375 and 600 px) is in ``tests/test_clients_browser.py``, over the
simulations of :mod:`mailer.simulate`. Here:

- E23: no rule in ``<style>`` resets our own links' colour or underline with
  ``!important`` inside Gmail's (``<u></u><div id="body">``) or Samsung Email's
  (``<div id="MessageViewBody">``) body wrapper: such a rule beats every inline style.
  The selectors are matched against the email as those clients rewrite it;
- E24: Outlook for Windows (Word): lists indented with margin, not padding; every px
  ``line-height`` with ``mso-line-height-rule:exactly``; layout tables with
  ``mso-table-lspace``/``mso-table-rspace`` 0; a padded button link's cell has
  ``mso-padding-alt`` (Word ignores padding on ``<a>``);
- E25: with ``<style>`` removed, the inline horizontal padding around the text leaves a
  column of at least 260 px on a 320 px phone;
- E26: with dark mode declared, Outlook.com's ``[data-ogsc]``/``[data-ogsb]`` rules are
  there, and the dark rules sit in a ``<style>`` block apart from the width queries;
- E27: ``lang`` is the message's full tag (``en-GB``), and the message says the same in
  ``Content-Language`` (RFC 3282).
"""

from __future__ import annotations

import re

from lxml import etree

from mailer.checks.css import Rule, walk_rules
from mailer.checks.model import Finding, Inputs, Page, error, excerpt, is_dark_media, shorten
from mailer.checks.model import select as css_select

#: The narrowest phone the issue names, and the text column it must leave (E25).
PHONE_PX = 320
MIN_COLUMN_PX = 260

#: Pseudo-classes every link with an address has (one of ``:link``/``:visited``), which lxml
#: cannot evaluate: a selector matches the same links without them (E23).
_LINK_STATES = re.compile(r":(?:link|visited|any-link|-webkit-any-link)(?![\w-])", re.I)
_RESET_COLOURS = {"inherit", "currentcolor", "unset", "initial", "revert", "transparent"}
_PX = re.compile(r"^\s*(-?\d+(?:\.\d+)?)px\s*$", re.I)


def _px(value: str) -> float:
    m = _PX.match(value)
    if m:
        return float(m.group(1))
    return 0.0


def _resets_links(rule: Rule) -> list[str]:
    """The declarations of ``rule`` that take a link's colour or underline away with
    ``!important`` (``color:inherit``, ``text-decoration:none``...)."""
    out = []
    for d in rule.declarations:
        if not d.important:
            continue
        value = d.value.strip().lower()
        colour = d.prop == "color" and value in _RESET_COLOURS
        underline = d.prop in ("text-decoration", "text-decoration-line") and \
            value.startswith("none")
        if colour or underline:
            out.append(d.raw)
    return out


def e23_link_resets(inp: Inputs) -> list[Finding]:
    """E23: no ``<style>`` rule with ``!important`` resets the colour or underline of our
    own links as Gmail (Google account) and Samsung Email show the email. A fix for links
    the client adds itself must do without ``!important`` (our inline styles then win)."""
    from mailer import simulate  # the simulations import mailer.checks.css

    page = inp.page
    if page is None:
        return []
    shown = {
        "Gmail": Page(simulate.gmail_google(inp.html)),
        "Samsung Email": Page(simulate.samsung(inp.html)),
    }
    out: list[Finding] = []
    seen: set[str] = set()
    for _, rules in page.stylesheet:
        for rule, parents in walk_rules(rules):
            if rule.is_at_rule or any(is_dark_media(p.prelude) for p in parents):
                continue
            resets = _resets_links(rule)
            if not resets:
                continue
            for client, client_page in shown.items():
                links = [a for a in client_page.elements("a") if a.get("href")]
                for selector in rule.selectors:
                    matched = css_select(client_page.root, _LINK_STATES.sub("", selector))
                    hit = [a for a in links if matched and a in matched]
                    if not hit or selector in seen:
                        continue
                    seen.add(selector)
                    out.append(error(
                        "E23", shorten(f"{selector} {{ {'; '.join(resets)} }}", 100),
                        f"in {client} this rule overrides the colour or underline of "
                        f"{len(hit)} of our links (with !important it beats their inline "
                        "style), so links lose their underline and the button's label its "
                        "contrast. Remove !important from this client fix."))
    return out


def _layout_table(table: etree._Element) -> bool:
    return (table.get("role") or "").lower() == "presentation"


def e24_outlook_windows(inp: Inputs) -> list[Finding]:
    """E24: what Outlook for Windows (Word) needs, checked without Word: lists indented
    with margin (Word ignores padding on lists), every px ``line-height`` with
    ``mso-line-height-rule:exactly`` (else it is a minimum), layout tables with
    ``mso-table-lspace:0pt; mso-table-rspace:0pt`` (else Word adds space beside them), and
    a padded button link inside a cell with ``mso-padding-alt`` (Word ignores padding on
    ``<a>``). Sources: caniemail; Cerberus."""
    out: list[Finding] = []
    for _, page in inp.pages():
        for el in page.body_elements():
            style = page.style(el)
            if el.tag in ("ul", "ol"):
                padded = [p for p in ("padding-left", "padding-right", "padding-inline-start")
                          if _px(style.get(p, "0")) > 0]
                shorthand = style.get("padding", "").split()
                if padded or any(_px(v) > 0 for v in shorthand):
                    out.append(error("E24", excerpt(el), "this list is indented with padding, "
                                     "which Outlook for Windows ignores (the bullets hang "
                                     "outside the text); indent it with margin-left (or "
                                     "margin-right for right-to-left) and padding:0."))
            if _PX.match(style.get("line-height", "")) and \
                    style.get("mso-line-height-rule", "").strip().lower() != "exactly":
                out.append(error("E24", excerpt(el), "a line-height in px needs "
                                 "mso-line-height-rule:exactly beside it, or Outlook for "
                                 "Windows treats it as a minimum and spaces lines unevenly."))
            if el.tag == "table" and _layout_table(el):
                bad = [p for p in ("mso-table-lspace", "mso-table-rspace")
                       if style.get(p, "").strip().lower() not in ("0", "0pt", "0px")]
                if bad:
                    out.append(error("E24", excerpt(el), "a layout table needs "
                                     "mso-table-lspace:0pt; mso-table-rspace:0pt, or Outlook "
                                     "for Windows adds space beside it."))
            if el.tag == "a" and any(_px(v) > 0 for v in style.get("padding", "").split()):
                cell = next(el.iterancestors("td", "th"), None)
                if cell is None or "mso-padding-alt" not in page.style(cell):
                    out.append(error("E24", excerpt(el), "Outlook for Windows ignores padding "
                                     "on a link, so this button shrinks to its text; give its "
                                     "cell the same padding as mso-padding-alt."))
        for cond, inner in page.conditional_comments():
            if "mso" not in cond.lower():
                continue
            for m in re.finditer(r"<table\b[^>]*>", inner, re.I):
                tag = m.group(0)
                if "mso-table-lspace" not in tag or "mso-table-rspace" not in tag:
                    out.append(error("E24", f"<!--[if {cond}]> " + shorten(tag, 80),
                                     "the Outlook-only table needs style=\"mso-table-lspace:"
                                     "0pt; mso-table-rspace:0pt\" of its own."))
    return out


def _side_padding(page: Page, el: etree._Element) -> float:
    style = page.style(el)
    total = 0.0
    shorthand = style.get("padding", "").split()
    if shorthand:
        # 1 value: all sides; 2-3: the second is left and right; 4: top right bottom left.
        right = shorthand[1] if len(shorthand) > 1 else shorthand[0]
        left = shorthand[3] if len(shorthand) == 4 else right
        total += _px(right) + _px(left)
    for side in ("padding-left", "padding-right"):
        if side in style:
            total += _px(style[side])
    for side in ("margin-left", "margin-right"):
        if side in style:
            total += _px(style[side])
    return total


def e25_phone_column(inp: Inputs) -> list[Finding]:
    """E25: on a 320 px phone whose mail app drops ``<style>`` (Gmail with a non-Google
    account), the inline horizontal padding around the title leaves a text column of at
    least 260 px. Phone padding belongs inline; wider padding for computers comes from a
    media query, or ``mso-padding-alt`` for Outlook for Windows."""
    page = inp.page
    if page is None:
        return []
    h1 = next(iter(page.elements("h1")), None)
    if h1 is None:
        return []
    chain = [h1, *h1.iterancestors()]
    used = sum(_side_padding(page, el) for el in chain if el.tag not in ("html", "body"))
    column = PHONE_PX - used
    if column >= MIN_COLUMN_PX:
        return []
    cell = next((el for el in chain if el.tag == "td" and _side_padding(page, el)), h1)
    return [error("E25", excerpt(cell), f"on a {PHONE_PX}px phone that ignores <style> the "
                  f"text column is {column:g}px wide (at least {MIN_COLUMN_PX}px needed): "
                  "set the phone's padding (about 16px) inline and give computers the wider "
                  "padding in a min-width media query and mso-padding-alt.")]


def _is_width_media(prelude: str) -> bool:
    return prelude.lower().startswith("@media") and bool(
        re.search(r"\b(min|max)-(device-)?width\b", prelude, re.I))


def _is_dark_rule(rule: Rule, parents: list[Rule]) -> bool:
    if any(is_dark_media(p.prelude) for p in parents):
        return True
    return not rule.is_at_rule and bool(re.search(r"\[data-ogs[cb]\]", rule.prelude))


def e26_outlook_com_dark(inp: Inputs) -> list[Finding]:
    """E26: an email that declares dark mode (``@media (prefers-color-scheme: dark)``)
    also has Outlook.com's ``[data-ogsc]`` (text) and ``[data-ogsb]`` (background) rules,
    since Outlook.com ignores the media query and rewrites colours itself; and the dark
    rules are in a ``<style>`` block with no width query in it, so a client that drops
    one block keeps the other."""
    page = inp.page
    if page is None:
        return []
    out: list[Finding] = []
    dark_declared = False
    prefixes: set[str] = set()
    for style_el, rules in page.stylesheet:
        dark_here = width_here = False
        for rule, parents in walk_rules(rules):
            if rule.is_at_rule and is_dark_media(rule.prelude):
                dark_declared = True
            if rule.is_at_rule and _is_width_media(rule.prelude):
                width_here = True
            if not rule.is_at_rule and _is_dark_rule(rule, parents):
                dark_here = True
                prefixes.update(re.findall(r"\[(data-ogs[cb])\]", rule.prelude))
        if dark_here and width_here:
            out.append(error("E26", shorten("<style>" + (style_el.text or ""), 60),
                             "the dark-mode rules share a <style> block with the width "
                             "media queries; put them in a <style> block of their own, so a "
                             "mail app that drops one block keeps the other."))
    if dark_declared:
        for attr, what in (("data-ogsc", "text"), ("data-ogsb", "background")):
            if attr not in prefixes:
                out.append(error("E26", "<head>", f"the email has dark-mode colours but no "
                                 f"[{attr}] rules: Outlook.com ignores prefers-color-scheme "
                                 f"and rewrites {what} colours itself; add [{attr}] .class "
                                 "rules with the same colours as the dark-mode block."))
    return out


def e27_language(inp: Inputs) -> list[Finding]:
    """E27: ``lang`` on ``<html>`` is the message's full language tag (``en-GB``, from the
    snippet's ``language`` and the organisation's), and the message has a
    ``Content-Language`` header with the same tag (RFC 3282; WCAG 3.1.1)."""
    page = inp.page
    expected = inp.language
    out: list[Finding] = []
    if page is not None and expected:
        lang = page.root.get("lang") or ""
        if lang and lang.lower() != expected.lower():
            out.append(error("E27", excerpt(page.root), f"lang=\"{lang}\" is not the full "
                             f"language of the message, \"{expected}\" (screen readers pick "
                             "the voice and accent from it)."))
    msg = inp.email
    if msg is not None and expected:
        values = msg.get_all("Content-Language") or []
        if [str(v).strip().lower() for v in values] != [expected.lower()]:
            shown = ", ".join(str(v) for v in values) or "(missing)"
            out.append(error("E27", f"Content-Language: {shown}", f"the message needs one "
                             f"Content-Language: {expected} header (RFC 3282), the language "
                             "of its text."))
    return out


RULES = [e23_link_resets, e24_outlook_windows, e25_phone_column, e26_outlook_com_dark,
         e27_language]
