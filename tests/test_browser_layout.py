"""The rendered demo in a real browser (Debian's Chromium through Playwright).

- E13/S3: the full email and the block at 280, 375 and 600 px, with the ``<style>`` block
  and with it removed, never scroll sideways;
- S2: the block's text elements have the same computed font, size, colour and background
  as the block with its classes, ids and stylesheet (before mailer stripped them);
- the phone media query really changes the layout at 375 px (and not at 800 px);
- E10/E20 in dark mode, and right-to-left text, as a reader's browser computes them.

Screenshots go to ``test-artifacts/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mailer.checks.css import contrast_ratio, parse_colour
from mailer.jobs import render_snippet
from mailer.render import Rendered, _context, _environment, _inline, _render_template
from mailer.workspace import Workspace
from tests.conftest import REPO

SHOTS = REPO / "test-artifacts" / "screenshots"
WIDTHS = (280, 375, 600)
HOST = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>Newsletter</title></head>'
        "<body>{}</body></html>")
_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.S | re.I)

# JavaScript: the computed style of each text element inside the first element of <body>.
TEXT_STYLES = """() => {
  const root = document.body.firstElementChild;
  const background = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...root.querySelectorAll('h1, h2, h3, p, li, a, strong, td')].map((el) => {
    const cs = getComputedStyle(el);
    return {tag: el.tagName, text: el.textContent.trim().slice(0, 40),
            fontFamily: cs.fontFamily, fontSize: cs.fontSize, fontWeight: cs.fontWeight,
            lineHeight: cs.lineHeight, color: cs.color, background: background(el),
            textAlign: cs.textAlign, direction: cs.direction,
            isolated: !!el.closest('[dir=ltr]')};
  });
}"""


@pytest.fixture(scope="module")
def demo() -> Rendered:
    return render_snippet(Workspace(REPO), "online-safety-webcams")


def documents(rendered: Rendered) -> dict[str, str]:
    html, _ = rendered.personalise(rendered.preview_fields())
    return {"email": html, "block": HOST.format(rendered.block)}


@pytest.fixture(scope="module")
def tab(browser: Any) -> Any:  # noqa: F811
    """One browser page for the module (opening a page costs about a second); every
    network request is refused, so nothing leaves the machine."""
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort())
    yield page
    page.close()


def show(tab: Any, html: str, width: int, dark: bool = False) -> Any:
    """Show ``html`` in ``tab`` at ``width`` px, in light or dark colour scheme."""
    tab.emulate_media(color_scheme="dark" if dark else "light")
    tab.set_viewport_size({"width": width, "height": 800})
    tab.set_content(html, wait_until="load")
    return tab


def shoot(page: Any, name: str) -> Path:
    """Save a full-page PNG screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("style", ["with-style", "style-removed"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("part", ["email", "block"])
def test_no_horizontal_scroll(tab: Any, demo: Rendered, part: str, width: int,
                              style: str) -> None:
    html = documents(demo)[part]
    if style == "style-removed":
        html = _STYLE.sub("", html)
        assert "<style" not in html
    page = show(tab, html, width)
    scroll_width, client_width, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, "
        "document.documentElement.clientWidth, window.innerWidth]")
    assert inner == width
    assert scroll_width <= client_width, (part, width, style, scroll_width, client_width)
    # The content really is there (not a page that failed to render).
    assert page.evaluate("() => document.body.innerText").count("Internet Watch") >= 1
    assert shoot(page, f"{part}-{width}px-{style}").stat().st_size > 1000


def test_block_looks_the_same_without_class_and_id(tab: Any, demo: Rendered) -> None:
    """S2: the stripped block computes the same font, size, weight, line height, colour,
    background and alignment for every text element as (a) the block template styled by
    its stylesheet and classes, and (b) the inlined block before class and id were
    removed. Measured at 800 px, where the phone media query does not apply."""
    ws = Workspace(REPO)
    source = _render_template(_environment(ws.template_dirs),
                              "block.html", _context(demo.snippet, ws.config))
    assert 'class="' in source and "<style>" in source
    inlined = _inline(source)
    assert 'class="' in inlined
    stripped = HOST.format(demo.block)
    assert 'class="' not in demo.block and " id=" not in demo.block
    measured = {}
    for name, html in (("template", source), ("inlined", inlined), ("block", stripped)):
        measured[name] = show(tab, html, 800).evaluate(TEXT_STYLES)
    assert len(measured["block"]) > 40
    assert {m["tag"] for m in measured["block"]} >= {"H1", "H2", "P", "LI", "A", "TD"}
    for name in ("template", "inlined"):
        assert len(measured[name]) == len(measured["block"])
        for theirs, ours in zip(measured[name], measured["block"], strict=True):
            assert theirs == ours, (name, theirs, ours)


def layout(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
      const h1 = document.querySelector('h1');
      const cell = h1.closest('td');
      const cs = getComputedStyle(cell);
      return {h1Left: h1.getBoundingClientRect().left,
              h1Width: h1.getBoundingClientRect().width,
              h1Size: getComputedStyle(h1).fontSize, paddingLeft: cs.paddingLeft};
    }""")


def test_media_query_changes_the_layout_on_a_phone(tab: Any, demo: Rendered) -> None:
    html = documents(demo)["email"]
    results = {}
    for width in (375, 800):
        for style in ("with-style", "style-removed"):
            shown = html if style == "with-style" else _STYLE.sub("", html)
            results[width, style] = layout(show(tab, shown, width))
    phone, phone_plain = results[375, "with-style"], results[375, "style-removed"]
    # Mobile first (E25): the phone's 16px padding is inline, so it holds without <style>;
    # the smaller heading comes from the phone query.
    assert (phone["paddingLeft"], phone["h1Size"]) == ("16px", "24px")
    assert (phone_plain["paddingLeft"], phone_plain["h1Size"]) == ("16px", "28px")
    assert phone["h1Left"] == phone_plain["h1Left"] and phone["h1Width"] == phone_plain["h1Width"]
    # On a computer the min-width query gives the wider 32px padding.
    desktop, desktop_plain = results[800, "with-style"], results[800, "style-removed"]
    assert (desktop["paddingLeft"], desktop["h1Size"]) == ("32px", "28px")
    assert desktop_plain["paddingLeft"] == "16px"
    assert desktop["h1Width"] == desktop_plain["h1Width"] - 32


def test_dark_mode_text_stays_readable(tab: Any, demo: Rendered) -> None:
    """E10 and E20 as Chromium computes them with prefers-color-scheme: dark: the page
    turns dark and every visible text keeps 4.5:1 against its background."""
    page = show(tab, documents(demo)["email"], 600, dark=True)
    styles = page.evaluate(TEXT_STYLES)
    body_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    shoot(page, "email-600px-dark")
    show(tab, "<p>reset</p>", 600)  # back to light for the next test
    assert parse_colour(body_bg) == (17, 24, 39)  # #111827
    assert len(styles) > 40
    for s in styles:
        if not s["text"]:
            continue
        fg, bg = parse_colour(s["color"]), parse_colour(s["background"])
        assert fg is not None and bg is not None
        assert contrast_ratio(fg, bg) >= 4.5, s


def test_rtl_snippet_is_right_to_left_in_the_browser(tab: Any) -> None:
    rendered = render_snippet(Workspace(REPO), str(REPO / "tests" / "data" / "rtl-arabic.yaml"))
    for part, html in documents(rendered).items():
        page = show(tab, html, 375)
        styles = page.evaluate(TEXT_STYLES)
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        shoot(page, f"rtl-{part}-375px")
        assert scroll <= 375
        # English names, the phone number and addresses are isolated left to right.
        assert styles and all(s["direction"] == "rtl" for s in styles if not s["isolated"]), part
        assert any(s["isolated"] and s["direction"] == "ltr" for s in styles), part
        blocks = [s for s in styles if s["tag"] in ("H1", "H2", "P", "LI")]
        assert blocks and all(s["textAlign"] == "right" for s in blocks), part
