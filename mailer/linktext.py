"""How a link's words say what it opens, shared by the HTML part, the block and the text.

A link to a PDF opens a download or a viewer, not a web page, which matters on a phone
with little data; WCAG 2.1 technique G197/H30 and GOV.UK's content design ask for the file
type in the link text. :func:`link_label` adds " (PDF)" to such a link's title (unless the
title already says PDF); :func:`label_pdf_links` does the same inside HTML produced from a
snippet's Markdown body.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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


def link_label(title: str, url: str) -> str:
    """``title``, followed by `` (PDF)`` when ``url`` is a PDF and the title does not
    already say so. Plain text in, plain text out (escaping is the template's job)."""
    if is_pdf(url) and not _PDF_WORD.search(title):
        return f"{title} (PDF)"
    return title


def label_pdf_links(html: str) -> str:
    """``html`` with " (PDF)" appended inside the text of every ``<a href>`` to a PDF
    whose text does not already say PDF."""

    def fix(m: re.Match[str]) -> str:
        text = m.group(3)
        if is_pdf(m.group(2).replace("&amp;", "&")) and not _PDF_WORD.search(
                re.sub(r"<[^>]+>", "", text)):
            text += " (PDF)"
        return m.group(1) + text + m.group(4)

    return _LINK.sub(fix, html)
