"""What the main mail clients do to our HTML before a parent sees it, as small functions.

Each function takes a rendered HTML document (the full email, or the block wrapped in a
host page) and returns the HTML that the client would put on screen, so a browser can show
it and a test can measure it. They model the rewrites that change what we can check
(contrast, underlines, width), not everything a client does. Sources:

- caniemail.com's notes per client;
- hteumeuleu's ``email-bugs`` issues and ``email-guidelines``;
- Mailpit's HTML check, which scores emails by what each client supports.

The clients:

- :func:`gmail_google`: Gmail (web and apps) with a Google account keeps the ``<style>``
  blocks of ``<head>`` and renders the body as ``<u></u><div id="body" ...>``: the
  ``<body>`` element becomes a ``<div>`` that keeps its attributes, after an empty ``<u>``
  (that is what the well-known ``u + #body`` selector targets). Gmail does not support
  ``prefers-color-scheme``, so those media blocks are dropped.
- :func:`gmail_non_google`: Gmail showing a non-Google (IMAP/POP) account, and Gmail's
  mobile web view, remove every ``<style>`` block and every ``class`` and ``id``
  attribute; only inline ``style=""`` is left.
- :func:`samsung`: Samsung Email puts the body inside ``<div id="MessageViewBody">`` and
  keeps ``<style>``.
- :func:`outlook_com_dark`: Outlook.com in dark mode rewrites inline colours itself (dark
  text made light, light backgrounds made dark), writing the original value into
  ``data-ogsc`` (colour) and ``data-ogsb`` (background) on the rewritten element and on
  its reading-pane container, and ignores ``prefers-color-scheme``. An email takes back
  control with ``[data-ogsc] ...`` and ``[data-ogsb] ...`` rules.
- :func:`apple_mail_dark`: Apple Mail honours ``@media (prefers-color-scheme: dark)``; the
  HTML is unchanged and the browser is asked for the dark colour scheme
  (:attr:`Client.color_scheme`).

Outlook for Windows renders with Word and cannot run here; :func:`outlook_windows` lists
what can be checked without Word (list margins, ``mso-line-height-rule``, table resets,
the Outlook-only wrapper, the button's ``mso-padding-alt``: checklist E21 and E24).
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from mailer.checks.css import hex_colour, parse_colour, parse_declarations

#: The page a webmail client puts the message into: a phone-width viewport, nothing else.
_HOST = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
         'content="width=device-width, initial-scale=1">{head}</head><body style="margin:0">'
         "{body}</body></html>")

_DARK_MEDIA = re.compile(r"prefers-color-scheme\s*:\s*dark", re.I)


def _parse(document: str) -> etree._Element:
    return lxml_html.document_fromstring(document)


def _styles(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter("style")]


def _inner(el: etree._Element) -> str:
    """The element's content (text and children) as HTML."""
    out = [el.text or ""]
    for child in el:
        out.append(lxml_html.tostring(child, encoding="unicode", method="html"))
    return "".join(out)


def _attributes(el: etree._Element, drop: tuple[str, ...] = ()) -> str:
    from html import escape

    return "".join(f' {k}="{escape(v, quote=True)}"' for k, v in el.attrib.items()
                   if k not in drop)


def drop_dark_media(css: str) -> str:
    """``css`` without its ``@media (prefers-color-scheme: dark) { ... }`` blocks (for
    clients that do not support the query, which ignore it)."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"@media[^{]*\{", css):
        if m.start() < pos or not _DARK_MEDIA.search(m.group(0)):
            continue
        depth, i = 1, m.end()
        while i < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[i], 0)
            i += 1
        out.append(css[pos:m.start()])
        pos = i
    out.append(css[pos:])
    return "".join(out)


def _head_styles(root: etree._Element, keep_dark: bool = True) -> str:
    parts = []
    for style in _styles(root):
        if style.getparent() is not None and style.getparent().tag == "head":
            css = style.text or ""
            if not keep_dark:
                css = drop_dark_media(css)
            parts.append(f"<style>{css}</style>")
    return "".join(parts)


def gmail_google(document: str) -> str:
    """Gmail with a Google account: ``<head>`` styles kept (without ``prefers-color-
    scheme`` blocks, which Gmail does not support), the body shown as ``<u></u><div
    id="body" ...>`` keeping the ``<body>`` element's attributes."""
    root = _parse(document)
    body = root.find("body")
    assert body is not None
    return _HOST.format(
        head=_head_styles(root, keep_dark=False),
        body=f"<u></u><div{_attributes(body)}>{_inner(body)}</div>",
    )


def gmail_non_google(document: str) -> str:
    """Gmail with a non-Google account, and Gmail's mobile web view: every ``<style>``
    removed, every ``class`` and ``id`` removed; the body becomes a ``<div>``."""
    root = _parse(document)
    for style in _styles(root):
        style.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str):
            el.attrib.pop("class", None)
            el.attrib.pop("id", None)
    body = root.find("body")
    assert body is not None
    return _HOST.format(head="", body=f"<div{_attributes(body)}>{_inner(body)}</div>")


def samsung(document: str) -> str:
    """Samsung Email: ``<style>`` kept, the body inside ``<div id="MessageViewBody">``."""
    root = _parse(document)
    body = root.find("body")
    assert body is not None
    return _HOST.format(
        head=_head_styles(root),
        body=f'<div id="MessageViewBody"><div{_attributes(body, ("id",))}>'
             f"{_inner(body)}</div></div>",
    )


#: Outlook.com's dark reading pane.
OUTLOOK_DARK_BACKGROUND = "#1f1f1f"


def _lightness_flip(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    r, g, b = colorsys.hls_to_rgb(h, 1 - lightness, s)
    return (round(r * 255), round(g * 255), round(b * 255))


def _dark_text(rgb: tuple[int, int, int]) -> bool:
    return colorsys.rgb_to_hls(*(c / 255 for c in rgb))[1] < 0.5


def outlook_com_dark(document: str) -> str:
    """Outlook.com in dark mode. Every inline ``color`` darker than mid-grey is flipped in
    lightness (``#1f2937`` becomes a light grey) and every inline ``background-color`` or
    ``bgcolor`` lighter than mid-grey likewise (white becomes near black); the original
    values go into ``data-ogsc`` / ``data-ogsb`` on the element. The reading pane (a
    ``<div>`` around the body, background :data:`OUTLOOK_DARK_BACKGROUND`) carries both
    attributes too, so ``[data-ogsc] .x`` rules apply. ``prefers-color-scheme`` blocks are
    ignored (not supported)."""
    root = _parse(document)
    body = root.find("body")
    assert body is not None
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        decls = parse_declarations(el.get("style") or "")
        changed = False
        rewritten = []
        for d in decls:
            value = d.value
            rgb = parse_colour(value)
            if d.prop == "color" and rgb is not None and _dark_text(rgb):
                el.set("data-ogsc", value)
                value, changed = hex_colour(_lightness_flip(rgb)), True
            elif d.prop in ("background-color", "background") and rgb is not None \
                    and not _dark_text(rgb):
                el.set("data-ogsb", value)
                value, changed = hex_colour(_lightness_flip(rgb)), True
            rewritten.append(f"{d.prop}:{value}{' !important' if d.important else ''}")
        if changed:
            el.set("style", "; ".join(rewritten))
        bgcolor = parse_colour(el.get("bgcolor") or "")
        if bgcolor is not None and not _dark_text(bgcolor):
            el.set("data-ogsb", el.get("bgcolor") or "")
            el.set("bgcolor", hex_colour(_lightness_flip(bgcolor)))
    return _HOST.format(
        head=_head_styles(root, keep_dark=False),
        body=(f'<div data-ogsc="" data-ogsb="" style="background-color:'
              f'{OUTLOOK_DARK_BACKGROUND}; color:#ffffff">'
              f"<div{_attributes(body)}>{_inner(body)}</div></div>"),
    )


def apple_mail_dark(document: str) -> str:
    """Apple Mail in dark mode: the HTML unchanged; show it with the dark colour scheme
    (``prefers-color-scheme: dark``)."""
    return document


def outlook_windows(document: str, block: bool = False) -> list[str]:
    """Outlook for Windows (Word) cannot run here, so instead of a rewrite this returns what
    can be checked without Word, as ``"ID element: message"`` lines (empty when all is
    well): checklist E21 (the Outlook-only wrapper carries its own inline styles) and E24
    (lists indented with margin, ``mso-line-height-rule:exactly`` on every px line-height,
    ``mso-table-lspace``/``rspace`` on layout tables, the button's ``mso-padding-alt``).
    ``block=True`` checks a pasteable block (pasted into Outlook or Word) instead."""
    from mailer.checks.client_rules import e24_outlook_windows
    from mailer.checks.email_rules import e21_outlook_inline
    from mailer.checks.model import Inputs

    inp = Inputs(block=document) if block else Inputs(html=document)
    return [f"{f.id} {f.element}: {f.message}"
            for f in [*e21_outlook_inline(inp), *e24_outlook_windows(inp)]]


def as_sent(document: str) -> str:
    """No client at all: the HTML as sent (a browser opening the file)."""
    return document


@dataclass(frozen=True)
class Client:
    """A simulated mail client.

    Attributes:
        name: a short name for reports and file names (``gmail-google``).
        transform: rendered HTML -> what the client shows.
        color_scheme: ``"light"`` or ``"dark"``, the colour scheme to ask the browser for.
    """

    name: str
    transform: Callable[[str], str]
    color_scheme: str = "light"


#: Every simulated client, in report order.
CLIENTS: tuple[Client, ...] = (
    Client("as-sent", as_sent),
    Client("gmail-google", gmail_google),
    Client("gmail-non-google", gmail_non_google),
    Client("samsung", samsung),
    Client("outlook-com-dark", outlook_com_dark, "dark"),
    Client("apple-mail-dark", apple_mail_dark, "dark"),
)


def client(name: str) -> Client:
    """The :class:`Client` called ``name``.

    Raises:
        KeyError: for an unknown name.
    """
    for c in CLIENTS:
        if c.name == name:
            return c
    raise KeyError(name)


#: JavaScript run in the page (Playwright ``page.evaluate``): what the acceptance checks
#: need. Returns ``{scrollWidth, clientWidth, column, links: [{text, href, color,
#: background, underline, button}]}``; ``column`` is the width in px of the main text (the
#: ``<h1>``'s box), or ``null`` without one.
MEASURE_JS = """() => {
  const background = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const underlined = (el) => {
    for (let n = el; n && n !== document.body; n = n.parentElement) {
      if (getComputedStyle(n).textDecorationLine.includes('underline')) return true;
      if (getComputedStyle(n).display === 'block' || n.tagName === 'TD') break;
    }
    return false;
  };
  // The button: a link that is all the text of a table cell with its own background.
  const isButton = (a) => {
    const td = a.closest('td[bgcolor]');
    return td !== null && td.querySelectorAll('a').length === 1
      && td.textContent.trim() === a.textContent.trim();
  };
  const visible = (el) => el.getClientRects().length > 0 && el.offsetParent !== null;
  const links = [...document.querySelectorAll('a[href]')].filter(visible).map((a) => ({
    text: a.textContent.trim().slice(0, 60), href: a.getAttribute('href'),
    color: getComputedStyle(a).color, background: background(a), underline: underlined(a),
    button: isButton(a),
    lines: a.getClientRects().length,
  }));
  const h1 = document.querySelector('h1');
  return {scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          column: h1 ? h1.getBoundingClientRect().width : null, links};
}"""
