"""The plain-text part (``email-checklist.md``, "The plain-text part"), as rules T1-T6.

The checklist's plain-text paragraph has no ids, so they are numbered here:

- T1 the title is at the top;
- T2 every paragraph of the body (and the button's text) is there;
- T3 every link is written out as its URL next to its title;
- T4 the contact block from ``mailer.yaml`` is there;
- T5 lines are 78 characters or fewer, except where a URL makes them longer;
- T6 no leftover markup (``**``, ``<p>``, ``&amp;``, Markdown links, unfilled fields).
"""

from __future__ import annotations

import re

from mailer.checks.model import Finding, Inputs, error, shorten, warning
from mailer.plaintext import WIDTH, markdown_to_text
from mailer.snippets import markdown_tokens

_URL_AT_END = re.compile(r"(?:https?://|mailto:|tel:)\S+$")
_LEFTOVERS = [
    (re.compile(r"__MAILER_[A-Z_]+__"), "an unfilled personal field"),
    (re.compile(r"\*\*|__"), "Markdown bold markers"),
    (re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>"), "an HTML tag"),
    (re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);"), "an HTML entity"),
    (re.compile(r"\]\((?:https?:|mailto:|tel:)"), "a Markdown link"),
]


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def t1_title(inp: Inputs) -> list[Finding]:
    """T1: the text part starts with the snippet's title."""
    if not inp.text.strip() or inp.snippet is None:
        return []
    top = _squash("\n".join(inp.text.strip().splitlines()[:4]))
    if _squash(inp.snippet.title) in top:
        return []
    first = inp.text.strip().splitlines()[0]
    return [error("T1", shorten(first), "the plain-text part must start with the title, so "
                  "a reader without HTML knows what the email is about.")]


def t2_paragraphs(inp: Inputs) -> list[Finding]:
    """T2: every paragraph, heading and list item of the body, and the button's text, is in
    the text part."""
    if inp.snippet is None or not inp.text.strip():
        return []
    text = _squash(inp.text)
    out: list[Finding] = []
    blocks = [b for b in markdown_to_text(inp.snippet.body, 10_000).split("\n") if b.strip()]
    cta = inp.snippet.call_to_action
    if cta is not None:
        blocks.append(cta.text)
    for block in blocks:
        plain = block.strip().lstrip("-=").strip()
        plain = re.sub(r"^(?:- |\d+\. )", "", plain)
        if plain and _squash(plain) not in text:
            out.append(error("T2", shorten(plain), "this paragraph is missing from the "
                             "plain-text part; readers without HTML would not see it."))
    return out


def _body_links(markdown: str) -> list[str]:
    hrefs: list[str] = []
    for token in markdown_tokens(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrs.get("href", "")))
    return hrefs


def t3_links(inp: Inputs) -> list[Finding]:
    """T3: every link is written out as its URL, next to its title (on the same line or
    just above)."""
    if inp.snippet is None or not inp.text.strip():
        return []
    lines = inp.text.splitlines()
    out: list[Finding] = []
    wanted: list[tuple[str, str]] = [(link.title, link.url) for link in inp.snippet.all_links()]
    cta = inp.snippet.call_to_action
    if cta is not None:
        wanted.append((cta.text, cta.url))
    for href in _body_links(inp.snippet.body):
        if not any(href in line for line in lines):
            out.append(error("T3", href, "a link in the body is missing from the plain-text "
                             "part; write the address out so readers can copy it."))
    for title, url in wanted:
        at = [i for i, line in enumerate(lines) if url in line.split() or line.strip() == url
              or line.rstrip().endswith(url)]
        if not at:
            out.append(error("T3", f"{title}: {url}", "this link is missing from the "
                             "plain-text part; write its address out next to its title."))
            continue
        near = any(_squash(title) in _squash(" ".join(lines[max(0, i - 3): i + 1]))
                   for i in at)
        if not near:
            out.append(error("T3", f"{title}: {url}", "the address is in the plain-text part "
                             "but not next to its title; readers cannot tell what it is."))
    return out


def t4_contact(inp: Inputs) -> list[Finding]:
    """T4: the contact block (name, telephone, email from ``mailer.yaml``) is in the text
    part."""
    if inp.config is None or inp.config.organisation.contact is None or not inp.text.strip():
        return []
    contact = inp.config.organisation.contact
    text = _squash(inp.text)
    out: list[Finding] = []
    for label, value in (("name", contact.name), ("telephone", contact.phone),
                         ("email", contact.email)):
        if value and _squash(value) not in text:
            out.append(error("T4", value, f"the contact's {label} is missing from the "
                             "plain-text part; parents need to know whom to ask."))
    return out


def t5_line_length(inp: Inputs) -> list[Finding]:
    """T5: lines of 78 characters or fewer, except where a URL makes them longer (the text
    before the URL still fits)."""
    out: list[Finding] = []
    for number, line in enumerate(inp.text.splitlines(), 1):
        if len(line) <= WIDTH:
            continue
        m = _URL_AT_END.search(line)
        if m and len(line[: m.start()].rstrip()) <= WIDTH:
            continue
        out.append(error("T5", f"line {number}: {shorten(line)}", f"line {number} of the "
                         f"plain-text part is {len(line)} characters; wrap text at {WIDTH} so "
                         "it reads well in every mail program."))
    return out


def t6_no_markup(inp: Inputs) -> list[Finding]:
    """T6: no leftover markup in the text part (``**``, ``<p>``, ``&amp;``, ``](``, or an
    unfilled ``__MAILER_...__`` field)."""
    out: list[Finding] = []
    for number, line in enumerate(inp.text.splitlines(), 1):
        for pattern, what in _LEFTOVERS:
            m = pattern.search(line)
            if m:
                out.append(error("T6", f"line {number}: {shorten(line)}", f"the plain-text "
                                 f"part shows {what} ('{m.group(0)}') to readers; write plain "
                                 "words instead."))
                break
    return out


def t7_signature(inp: Inputs) -> list[Finding]:
    """T7: the signature is set off by the separator ``-- `` (dash, dash, space), which
    mail programs recognise to grey out or leave out of replies (RFC 3676 §4.3); a bare
    ``--`` is not recognised."""
    if not inp.text:
        return []
    lines = inp.text.splitlines()
    if "-- " in lines:
        return []
    for number, line in enumerate(lines, 1):
        if line.rstrip() == "--":
            return [warning("T7", f"line {number}: '{line}'", "the signature separator must "
                            "be '-- ' with a space after the two dashes (RFC 3676), so mail "
                            "programs recognise the signature.")]
    return []


RULES = [t1_title, t2_paragraphs, t3_links, t4_contact, t5_line_length, t6_no_markup,
         t7_signature]
