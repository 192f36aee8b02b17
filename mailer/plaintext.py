"""Markdown to readable plain text for the ``text/plain`` part.

Rules (email-checklist.md, "The plain-text part"): every paragraph, every link written out
as its URL next to its text, lines wrapped at 78 characters or fewer except where a URL is
longer, and no leftover markup (``**``, ``<p>``, ``&amp;``).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from mailer.snippets import markdown_tokens

WIDTH = 78


_ASCII_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def wrap(text: str, width: int = WIDTH, indent: str = "", subsequent: str | None = None) -> str:
    """Wrap ``text`` to ``width`` columns; words longer than the width (URLs) are never
    broken, so those lines may be longer, and a no-break space (U+00A0) never breaks."""
    return textwrap.fill(
        " ".join(_ASCII_SPACE.split(text.strip(" \t\r\n\f\v"))),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _inline(token: Any) -> str:
    """Flatten an inline token: emphasis dropped, links as ``text (url)``."""
    out: list[str] = []
    href_stack: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "link_open":
            href_stack.append(child.attrs.get("href", ""))
        elif child.type == "link_close":
            href = href_stack.pop() if href_stack else ""
            if href and href not in "".join(out[-1:]):
                out.append(f" ({href})")
        elif child.type == "image":
            out.append(child.content or "")
    return "".join(out)


def markdown_to_text(source: str, width: int = WIDTH) -> str:
    """Render snippet Markdown as wrapped plain text: paragraphs separated by blank lines,
    headings underlined, list items as ``- item`` (``1. item`` when ordered)."""
    blocks: list[str] = []
    list_stack: list[list[int | None]] = []  # [counter or None] per nesting level
    pending_bullet: str | None = None
    heading_level = 0
    for token in markdown_tokens(source):
        t = token.type
        if t == "heading_open":
            heading_level = int(token.tag[1])
        elif t == "heading_close":
            heading_level = 0
        elif t == "bullet_list_open":
            list_stack.append([None])
        elif t == "ordered_list_open":
            list_stack.append([int(token.attrs.get("start", 1) or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif t == "list_item_open":
            counter = list_stack[-1][0]
            if counter is None:
                pending_bullet = "- "
            else:
                pending_bullet = f"{counter}. "
                list_stack[-1][0] = counter + 1
        elif t == "inline":
            text = _inline(token)
            if heading_level:
                underline = "=" if heading_level == 1 else "-"
                title = wrap(text, width)
                longest = max(len(line) for line in title.splitlines())
                blocks.append(f"{title}\n{underline * longest}")
            elif list_stack:
                depth = "  " * (len(list_stack) - 1)
                bullet = pending_bullet or "  "
                blocks.append(
                    wrap(text, width, indent=depth + bullet, subsequent=depth + " " * len(bullet))
                )
                pending_bullet = None
            else:
                blocks.append(wrap(text, width))
        elif t in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif t == "hr":
            blocks.append("-" * 20)
    # List items are joined by single newlines, other blocks by a blank line.
    return "\n\n".join(blocks)
