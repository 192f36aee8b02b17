"""Checks of ``mailer.yaml`` that decide how the email looks.

The brand colour is the organisation's choice: the templates put white text on it (the
header, the button) and use it for links on white. Below 4.5:1 against white (WCAG 2.1
1.4.3, checklist E10) that text is hard to read, so it is reported as E10.

F1: the footer needs ``organisation.postal_address`` (see
:func:`mailer.config.missing_postal_address`); without it ``mailer send`` refuses.
"""

from __future__ import annotations

from mailer.checks.css import contrast_ratio, parse_colour
from mailer.checks.model import Finding, Inputs, error
from mailer.config import missing_postal_address

#: The colour the templates write on (and next to) the brand colour.
BRAND_TEXT = (255, 255, 255)
MIN_CONTRAST = 4.5


def brand_colour_contrast(inp: Inputs) -> list[Finding]:
    """E10 for ``organisation.brand_colour``: at least 4.5:1 against white, the text
    colour written on it."""
    if inp.config is None:
        return []
    colour = inp.config.organisation.brand_colour
    rgb = parse_colour(colour)
    if rgb is None:
        return []
    ratio = contrast_ratio(rgb, BRAND_TEXT)
    if ratio >= MIN_CONTRAST:
        return []
    return [error("E10", f"brand_colour: \"{colour}\" (mailer.yaml)",
                  f"the brand colour has contrast {ratio:.2f}:1 with the white text written on "
                  f"it (and with the white page behind links); it needs at least "
                  f"{MIN_CONTRAST}:1. Choose a darker brand_colour in mailer.yaml.")]


def postal_address(inp: Inputs) -> list[Finding]:
    """F1: ``organisation.postal_address`` is set (the footer shows it)."""
    if inp.config is None:
        return []
    missing = missing_postal_address(inp.config)
    if missing is None:
        return []
    message, line = missing
    where = f"mailer.yaml, line {line}" if line else "mailer.yaml"
    return [error("F1", f"organisation: no postal_address ({where})", message)]


RULES = [brand_colour_contrast, postal_address]
