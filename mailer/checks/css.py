"""Just enough CSS for the checks: declarations, rules, at-rules, colours and contrast.

Email CSS is small and simple (one stylesheet of a few KB, inline ``style=""`` attributes),
so a small tolerant parser is enough and, unlike cssutils, it keeps the text as written:
the checks need to see ``!IMPORTANT`` or a missing space before ``!important`` (checklist
E15), which a normalising parser would silently repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_IMPORTANT = re.compile(r"!\s*important\s*$", re.I)

#: At-rules whose block holds rules (not declarations).
GROUPING_AT_RULES = ("@media", "@supports", "@document", "@-moz-document", "@layer",
                     "@container")


@dataclass(frozen=True)
class Declaration:
    """One ``property: value`` pair. ``prop`` is lowercased; ``value`` has ``!important``
    removed; ``raw`` is the text as written."""

    prop: str
    value: str
    important: bool
    raw: str


@dataclass
class Rule:
    """A style rule (``selector { declarations }``) or an at-rule.

    Attributes:
        prelude: the selector list, or the at-rule with its condition (``@media (...)``).
        declarations: for style rules (and ``@font-face``/``@page``).
        children: for grouping at-rules (``@media``, ``@supports``...).
        is_at_rule: True for ``@...`` rules.
    """

    prelude: str
    declarations: list[Declaration] = field(default_factory=list)
    children: list[Rule] = field(default_factory=list)
    is_at_rule: bool = False

    @property
    def selectors(self) -> list[str]:
        """The comma-separated selectors of a style rule, stripped."""
        return [s.strip() for s in _split_top(self.prelude, ",") if s.strip()]


def strip_comments(text: str) -> str:
    """Remove ``/* ... */`` comments."""
    return _COMMENT.sub("", text)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_declarations(text: str) -> list[Declaration]:
    """Parse the inside of a ``style=""`` attribute or a rule's block.

    Pieces without a colon are ignored (browsers ignore them too).
    """
    out: list[Declaration] = []
    for piece in _split_top(strip_comments(text), ";"):
        if ":" not in piece:
            continue
        prop, value = piece.split(":", 1)
        prop = prop.strip().lower()
        if not prop:
            continue
        important = bool(_IMPORTANT.search(value))
        clean = _IMPORTANT.sub("", value).strip()
        out.append(Declaration(prop=prop, value=clean, important=important, raw=piece.strip()))
    return out


def style_map(text: str) -> dict[str, str]:
    """Declarations of a ``style=""`` attribute as ``{property: value}``; later wins."""
    return {d.prop: d.value for d in parse_declarations(text)}


def parse_stylesheet(text: str) -> list[Rule]:
    """Parse a stylesheet into rules, keeping nesting of grouping at-rules.

    Unbalanced braces end the sheet (as in a browser, the rest is dropped).
    """
    text = strip_comments(text)
    rules: list[Rule] = []
    i = 0
    n = len(text)
    while i < n:
        brace = text.find("{", i)
        semi = text.find(";", i)
        if brace == -1 and semi == -1:
            break
        if semi != -1 and (brace == -1 or semi < brace):
            prelude = text[i:semi].strip()
            if prelude.startswith("@"):  # @import, @charset
                rules.append(Rule(prelude=prelude, is_at_rule=True))
            i = semi + 1
            continue
        prelude = text[i:brace].strip()
        depth = 1
        j = brace + 1
        while j < n and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        inner = text[brace + 1 : j - 1] if depth == 0 else text[brace + 1 :]
        if prelude.startswith("@"):
            rule = Rule(prelude=prelude, is_at_rule=True)
            if prelude.lower().startswith(GROUPING_AT_RULES):
                rule.children = parse_stylesheet(inner)
            else:
                rule.declarations = parse_declarations(inner)
        else:
            rule = Rule(prelude=prelude, declarations=parse_declarations(inner))
        rules.append(rule)
        i = j
    return rules


def walk_rules(rules: list[Rule]) -> list[tuple[Rule, list[Rule]]]:
    """Every rule with the list of at-rules enclosing it (outermost first)."""
    out: list[tuple[Rule, list[Rule]]] = []

    def visit(items: list[Rule], parents: list[Rule]) -> None:
        for rule in items:
            out.append((rule, parents))
            if rule.children:
                visit(rule.children, [*parents, rule])

    visit(rules, [])
    return out


# --- colours -----------------------------------------------------------------------------

NAMED_COLOURS = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0),
    "green": (0, 128, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
    "grey": (128, 128, 128), "gray": (128, 128, 128), "silver": (192, 192, 192),
    "navy": (0, 0, 128), "orange": (255, 165, 0), "purple": (128, 0, 128),
    "lightgrey": (211, 211, 211), "lightgray": (211, 211, 211),
    "darkgrey": (169, 169, 169), "darkgray": (169, 169, 169),
}

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\b")
_RGB = re.compile(r"rgba?\(\s*([^)]*)\)", re.I)
#: ``rgb(0 0 0)``: the space-separated form Outlook and older clients do not read (E18).
SPACE_RGB = re.compile(r"rgba?\(\s*\d+(?:\.\d+)?%?\s+\d", re.I)

RGB = tuple[int, int, int]


def parse_colour(value: str) -> RGB | None:
    """The first colour in a CSS value (``#abc``, ``#aabbcc``, ``rgb()``, a few names).

    Returns ``None`` for ``transparent``, ``inherit``, ``currentColor`` and values
    without a colour.
    """
    v = value.strip().lower()
    m = _HEX.search(v)
    if m:
        h = m.group(1)
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    m = _RGB.search(v)
    if m:
        nums = re.split(r"[\s,/]+", m.group(1).strip())
        if len(nums) >= 3:
            try:
                vals = [
                    round(float(x[:-1]) * 2.55) if x.endswith("%") else round(float(x))
                    for x in nums[:3]
                ]
            except ValueError:
                return None
            if len(nums) >= 4 and nums[3] in ("0", "0%", "0.0"):
                return None  # fully transparent
            r, g, b = (max(0, min(255, x)) for x in vals)
            return (r, g, b)
    for word in re.findall(r"[a-z]+", v):
        if word in NAMED_COLOURS:
            return NAMED_COLOURS[word]
    return None


def hex_colour(rgb: RGB) -> str:
    """``(29, 79, 145)`` -> ``#1d4f91``."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (0 black .. 1 white)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2.1 contrast ratio (1 .. 21) between two colours (success criterion 1.4.3)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)
