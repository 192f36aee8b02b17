"""What the checks work on and what they report.

:class:`Finding` is the public result; :class:`Inputs` bundles the rendered parts and
expectations (snippet, configuration) one check run looks at; :class:`Page` is a parsed
HTML part with the few questions the rules ask of it (inline styles, what is hidden,
inherited colours and sizes, the dark-mode cascade).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cached_property
from typing import Literal, cast

from cssselect import SelectorError
from cssselect import parse as parse_selector
from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector

from mailer.checks.css import (
    RGB,
    Declaration,
    Rule,
    parse_colour,
    parse_declarations,
    parse_stylesheet,
    walk_rules,
)
from mailer.config import Config
from mailer.snippets import Snippet

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem ``mailer check`` found.

    Attributes:
        id: the checklist line, e.g. ``"E11"`` (email), ``"S4"`` (block), ``"H5"``
            (headers), ``"T5"`` (plain text); see :mod:`mailer.checks`.
        severity: ``"error"`` (the email will break for some readers: exit status 1) or
            ``"warning"`` (worth fixing, exit status 0).
        element: a short excerpt of what is wrong (a tag with its text, a CSS rule, a
            header, a line of the text part).
        message: what is wrong and what to do, in plain words.
    """

    id: str
    severity: Severity
    element: str
    message: str


def error(rule_id: str, element: str, message: str) -> Finding:
    """An error :class:`Finding`."""
    return Finding(rule_id, "error", element, message)


def warning(rule_id: str, element: str, message: str) -> Finding:
    """A warning :class:`Finding`."""
    return Finding(rule_id, "warning", element, message)


#: A rule: looks at the inputs, returns its findings (none when the rule is kept).
RuleFn = Callable[["Inputs"], list[Finding]]

_EXCERPT_ATTRS = ("href", "src", "alt", "width", "role", "lang", "dir", "name", "content",
                  "charset", "bgcolor")


def shorten(text: str, limit: int = 60) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def excerpt(el: etree._Element, limit: int = 100) -> str:
    """A short, class- and style-free excerpt of an element: its tag, telling attributes
    and the start of its text, e.g. ``<a href="http://x.org">Example</a>``."""
    if not isinstance(el.tag, str):
        return shorten(str(etree.tostring(el, encoding="unicode")), limit)
    attrs = "".join(
        f' {k}="{shorten(el.get(k) or "", 60)}"' for k in _EXCERPT_ATTRS if k in el.attrib
    )
    own_text = direct_text(el).strip() or el.tag in ("a", "li", "p", "h1", "h2", "h3")
    text = ""
    if own_text and isinstance(el, lxml_html.HtmlElement):
        text = shorten(el.text_content(), 50)
    out = f"<{el.tag}{attrs}>{text}"
    if text:
        out += f"</{el.tag}>"
    return shorten(out, limit)


def direct_text(el: etree._Element) -> str:
    """The element's own text: its ``text`` and its children's tails, not its
    descendants' text."""
    parts = [el.text or ""]
    parts += [child.tail or "" for child in el]
    return "".join(parts)


_HIDDEN_DISPLAY = re.compile(r"^none\b", re.I)
_CONDITIONAL = re.compile(r"^\s*\[if\s+([^\]]*)\]>(.*?)<!\[endif\]\s*$", re.S | re.I)


class Page:
    """A parsed HTML part (the full email, or the block wrapped in a page).

    Args:
        source: the HTML.
        fragment: True for the pasteable block (parsed as the body of a page).
    """

    def __init__(self, source: str, fragment: bool = False) -> None:
        self.source = source
        self.fragment = fragment
        if fragment:
            self.root = lxml_html.document_fromstring(
                f"<!DOCTYPE html><html><head></head><body>{source}</body></html>"
            )
        else:
            self.root = lxml_html.document_fromstring(source or "<html></html>")
        self._style_cache: dict[etree._Element, list[Declaration]] = {}

    # --- structure ------------------------------------------------------------------------
    @property
    def head(self) -> etree._Element | None:
        """The ``<head>`` element, if any."""
        return self.root.find("head")

    @property
    def body(self) -> etree._Element | None:
        """The ``<body>`` element, if any."""
        return self.root.find("body")

    def elements(self, *tags: str) -> list[etree._Element]:
        """Every element (in document order), or those with one of ``tags``."""
        if tags:
            return [el for el in self.root.iter(*tags) if isinstance(el.tag, str)]
        return [el for el in self.root.iter() if isinstance(el.tag, str)]

    def body_elements(self) -> list[etree._Element]:
        """Every element inside ``<body>``."""
        body = self.body
        if body is None:
            return []
        return [el for el in body.iter() if isinstance(el.tag, str) and el is not body]

    def conditional_comments(self) -> list[tuple[str, str]]:
        """Every ``<!--[if COND]> ... <![endif]-->`` as ``(COND, inner HTML)``."""
        out = []
        for comment in self.root.iter(etree.Comment):
            m = _CONDITIONAL.match(comment.text or "")
            if m:
                out.append((m.group(1).strip(), m.group(2)))
        return out

    # --- styles ---------------------------------------------------------------------------
    def declarations(self, el: etree._Element) -> list[Declaration]:
        """The element's inline ``style=""`` declarations, in order."""
        if el not in self._style_cache:
            self._style_cache[el] = parse_declarations(el.get("style") or "")
        return self._style_cache[el]

    def style(self, el: etree._Element) -> dict[str, str]:
        """The element's inline style as ``{property: value}`` (later wins)."""
        return {d.prop: d.value for d in self.declarations(el)}

    def is_hidden(self, el: etree._Element) -> bool:
        """True when the element or an ancestor is ``display:none`` or ``mso-hide:all``, or
        it is in ``<head>``."""
        node: etree._Element | None = el
        while node is not None:
            if node.tag in ("head", "script", "style", "title"):
                return True
            style = self.style(node)
            if _HIDDEN_DISPLAY.match(style.get("display", "")) or style.get("mso-hide") == "all":
                return True
            if node.get("hidden") is not None:
                return True
            node = node.getparent()
        return False

    def text_elements(self) -> list[etree._Element]:
        """Visible elements that hold text of their own (not only in descendants)."""
        return [
            el for el in self.body_elements()
            if direct_text(el).strip() and not self.is_hidden(el)
        ]

    @cached_property
    def style_elements(self) -> list[etree._Element]:
        """Every ``<style>`` element."""
        return self.elements("style")

    @cached_property
    def stylesheet(self) -> list[tuple[etree._Element, list[Rule]]]:
        """Each ``<style>`` with its parsed rules."""
        return [(s, parse_stylesheet(s.text or "")) for s in self.style_elements]

    @cached_property
    def dark_overrides(self) -> dict[etree._Element, dict[str, str]]:
        """Per element, the declarations the ``prefers-color-scheme: dark`` media blocks
        give it (highest specificity, then latest, wins)."""
        winners: dict[etree._Element, dict[str, tuple[tuple[int, int, int], int, str]]] = {}
        order = 0
        for _, rules in self.stylesheet:
            for rule, parents in walk_rules(rules):
                if rule.is_at_rule or not any(is_dark_media(p.prelude) for p in parents):
                    continue
                for selector in rule.selectors:
                    matched = select(self.root, selector)
                    if matched is None:
                        continue
                    spec = selector_specificity(selector)
                    for el in matched:
                        slot = winners.setdefault(el, {})
                        for decl in rule.declarations:
                            order += 1
                            prop = decl.prop
                            if prop == "background":
                                prop = "background-color"
                            best = slot.get(prop)
                            if best is None or (spec, order) >= best[:2]:
                                slot[prop] = (spec, order, decl.value)
        return {el: {k: v[2] for k, v in props.items()} for el, props in winners.items()}

    def own_colour_props(self, el: etree._Element) -> dict[str, str]:
        """Colours set on the element itself: ``color``, ``background-color`` (also from
        ``background`` or the ``bgcolor`` attribute) and ``border*-color``."""
        out: dict[str, str] = {}
        if el.get("bgcolor"):
            out["background-color"] = el.get("bgcolor") or ""
        if el.tag == "font" and el.get("color"):
            out["color"] = el.get("color") or ""
        for decl in self.declarations(el):
            prop = decl.prop
            if prop == "background":
                if parse_colour(decl.value) is None:
                    continue
                prop = "background-color"
            if prop in ("color", "background-color") or (
                prop.startswith("border") and prop.endswith("color")
            ):
                out[prop] = decl.value
        return out

    def _own(self, el: etree._Element, prop: str, dark: bool) -> str | None:
        if dark:
            value = self.dark_overrides.get(el, {}).get(prop)
            if value is not None:
                return value
        return self.own_colour_props(el).get(prop)

    def colour(self, el: etree._Element, dark: bool = False) -> RGB | None:
        """The text colour the element inherits (inline styles, plus dark overrides when
        ``dark``); ``None`` when nothing sets one (the reader's client decides)."""
        node: etree._Element | None = el
        while node is not None:
            value = self._own(node, "color", dark)
            if value is not None and value.strip().lower() not in ("inherit", ""):
                return parse_colour(value)
            node = node.getparent()
        return None

    def background(self, el: etree._Element, dark: bool = False) -> RGB | None:
        """The first opaque background colour behind the element; ``None`` when nothing
        sets one."""
        node: etree._Element | None = el
        while node is not None:
            value = self._own(node, "background-color", dark)
            if value is not None:
                rgb = parse_colour(value)
                if rgb is not None:
                    return rgb
            node = node.getparent()
        return None

    def inherited(self, el: etree._Element, prop: str) -> tuple[str, etree._Element] | None:
        """The inline value of an inherited property (``font-size``, ``font-family``...) on
        the element or its nearest ancestor that sets it, with that ancestor."""
        node: etree._Element | None = el
        while node is not None:
            value = self.style(node).get(prop)
            if value is not None and value.lower() != "inherit":
                return value, node
            node = node.getparent()
        return None


def is_dark_media(prelude: str) -> bool:
    """True for ``@media (prefers-color-scheme: dark)`` (with or without other features)."""
    return bool(re.search(r"prefers-color-scheme\s*:\s*dark", prelude, re.I))


def select(root: etree._Element, selector: str) -> list[etree._Element] | None:
    """Elements matching a CSS selector; ``None`` when lxml cannot evaluate it (pseudo-
    classes such as ``:hover``, unknown syntax)."""
    try:
        return list(CSSSelector(selector)(root))
    except (SelectorError, etree.XPathError):
        return None


def selector_specificity(selector: str) -> tuple[int, int, int]:
    """CSS specificity ``(ids, classes, types)``; ``(0, 0, 0)`` when unparsable."""
    try:
        return tuple(parse_selector(selector)[0].specificity())  # type: ignore[return-value]
    except (SelectorError, IndexError):
        return (0, 0, 0)


@dataclass
class Inputs:
    """Everything one check run looks at. Any part may be empty; rules about a missing
    part report nothing.

    Attributes:
        html: the full email (personalised for a neutral reader), or "".
        block: the pasteable block, or "".
        text: the ``text/plain`` part (personalised), or "".
        message: a whole composed sample message (bytes with CRLF), or ``None``.
        snippet: the snippet (expected title, language, links...), or ``None``.
        config: ``mailer.yaml`` (expected sender, brand colour...), or ``None``.
    """

    html: str = ""
    block: str = ""
    text: str = ""
    message: bytes | None = None
    snippet: Snippet | None = None
    config: Config | None = None

    @cached_property
    def page(self) -> Page | None:
        """The full email, parsed."""
        return Page(self.html) if self.html.strip() else None

    @cached_property
    def block_page(self) -> Page | None:
        """The block, parsed as the body of a page."""
        return Page(self.block, fragment=True) if self.block.strip() else None

    @cached_property
    def email(self) -> EmailMessage | None:
        """The sample message, parsed with the modern ``email`` policy."""
        if self.message is None:
            return None
        return cast(EmailMessage, message_from_bytes(self.message, policy=policy.default))

    @property
    def subject(self) -> str | None:
        """The expected ``Subject`` / ``<title>``."""
        return self.snippet.subject if self.snippet else None

    @property
    def language(self) -> str | None:
        """The expected ``lang``: the message's full tag (``en-GB``) when the configuration
        is known (:func:`mailer.render.message_language`), else the snippet's."""
        if self.snippet is None:
            return None
        if self.config is not None:
            from mailer.render import message_language

            return message_language(self.snippet, self.config)
        return self.snippet.language

    @property
    def direction(self) -> str | None:
        """The expected ``dir``."""
        return self.snippet.direction if self.snippet else None

    def pages(self) -> Iterator[tuple[str, Page]]:
        """``("email", page)`` and ``("block", page)`` for the parts present."""
        if self.page is not None:
            yield "email", self.page
        if self.block_page is not None:
            yield "block", self.block_page
