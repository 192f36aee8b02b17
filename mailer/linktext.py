"""How a link's words say what it opens, shared by the HTML part, the block and the text.

A link to a PDF opens a download or a viewer, not a web page, which matters on a phone
with little data; WCAG 2.1 technique G197/H30 and GOV.UK's content design ask for the file
type in the link text. :func:`link_label` adds " (PDF)" to such a link's title (unless the
title already says PDF); :func:`label_pdf_links` does the same inside HTML produced from a
snippet's Markdown body.

The label is one of the templates' fixed words: :data:`PDF_LABEL` is its gettext msgid,
and the renderer passes the catalog's translation of it (``%(title)s (plik PDF)``), so
the words follow the message's language.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

#: The msgid of the label (``templates/locale/*.po``); ``%(title)s`` is the link's words.
PDF_LABEL = "%(title)s (PDF)"
_TITLE = "%(title)s"
_PDF_WORD = re.compile(r"\bpdf\b", re.I)
# <a href="...">text</a> as markdown-it writes it (no nested links; text may hold tags).
_LINK = re.compile(r'(<a\b[^>]*\bhref="([^"]*)"[^>]*>)(.*?)(</a>)', re.S | re.I)


def is_pdf(url: str) -> bool:
    """True when ``url``'s path ends in ``.pdf`` (any case; query and fragment ignored)."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return False
    return path.lower().endswith(".pdf")


def _parts(label: str) -> tuple[str, str]:
    """The words before and after ``%(title)s`` in ``label`` (a translation without the
    placeholder is not used: the link's own words must never be lost)."""
    if label.count(_TITLE) != 1:
        label = PDF_LABEL
    before, after = label.split(_TITLE)
    return before, after


def link_label(title: str, url: str, label: str = PDF_LABEL) -> str:
    """``title``, labelled with ``label`` (:data:`PDF_LABEL` or its translation: ``Guide
    (PDF)``) when ``url`` is a PDF and the title does not already say so. Plain text in,
    plain text out (escaping is the template's job)."""
    if is_pdf(url) and not _PDF_WORD.search(title):
        before, after = _parts(label)
        return f"{before}{title}{after}"
    return title


def label_pdf_links(html: str, label: str = PDF_LABEL) -> str:
    """``html`` with the words of ``label`` (see :func:`link_label`) put around the text of
    every ``<a href>`` to a PDF whose text does not already say PDF."""
    before, after = (escape(part, quote=False) for part in _parts(label))

    def fix(m: re.Match[str]) -> str:
        text = m.group(3)
        if is_pdf(m.group(2).replace("&amp;", "&")) and not _PDF_WORD.search(
                re.sub(r"<[^>]+>", "", text)):
            text = before + text + after
        return m.group(1) + text + m.group(4)

    return _LINK.sub(fix, html)
