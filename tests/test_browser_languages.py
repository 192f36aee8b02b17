"""The Arabic email in a real browser (Debian's Chromium through Playwright): right to left,
no sideways scroll at 320 px, links and the phone number in order."""

from __future__ import annotations

from typing import Any

import pytest

from mailer.jobs import render_language
from mailer.snippets import load_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO

SNIPPET = "online-safety-webcams"

# JavaScript: for the first text node containing `needle`, the left x of each of its
# characters as laid out, in logical (reading) order.
CHAR_XS = """(needle) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = n.data.indexOf(needle);
    if (at < 0) continue;
    const xs = [];
    for (let i = at; i < at + needle.length; i++) {
      const r = document.createRange();
      r.setStart(n, i); r.setEnd(n, i + 1);
      const box = r.getBoundingClientRect();
      xs.push(box.width ? box.left : null);
    }
    return xs;
  }
  return null;
}"""

# JavaScript: the box of the element whose own text starts with `label`.
BOX = """(label) => {
  for (const el of document.body.querySelectorAll('p, span, a, li, h1, h2')) {
    if (el.textContent.trim().startsWith(label)) {
      const b = el.getBoundingClientRect();
      return {left: b.left, right: b.right, top: b.top};
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def tab(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def test_arabic_email_is_right_to_left_at_320px_with_links_and_phone_in_order(tab: Any) -> None:
    rendered = render_language(Workspace(REPO), SNIPPET, "ar")
    html, _ = rendered.personalise(rendered.preview_fields())
    tab.set_content(html, wait_until="load")
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert tab.evaluate("() => document.documentElement.dir") == "rtl"
    directions = tab.evaluate("""() => [...document.querySelectorAll('h1, h2, p, li')]
        .filter((el) => el.textContent.trim() && !el.closest('[dir=ltr]'))
        .map((el) => [getComputedStyle(el).direction, getComputedStyle(el).textAlign])""")
    assert directions and all(d == ["rtl", "right"] for d in directions), directions
    # Every link of the English, in the English order, nothing else.
    english = load_snippet(REPO / "snippets" / f"{SNIPPET}.yaml")
    hrefs = tab.evaluate("() => [...document.querySelectorAll('a')].map((a) => a.href)")
    wanted = [english.call_to_action.url, *(link.url for link in english.all_links())]  # type: ignore[union-attr]
    assert [h for h in hrefs if h in wanted] == wanted
    # The phone number and the email address read left to right, digit after digit.
    for text in ("01632 960123", "safeguarding@hollybank"):
        xs = tab.evaluate(CHAR_XS, text)
        assert xs and all(x is not None for x in xs), text
        assert xs == sorted(xs) and len(set(xs)) == len(xs), (text, xs)
    # ... and sit on the left of their Arabic label (which starts the right-to-left line).
    label = tab.evaluate(BOX, "الهاتف")
    number = tab.evaluate(CHAR_XS, "01632 960123")
    assert label is not None and max(number) < label["right"]
    phone_box = tab.evaluate("""() => {
        const a = document.querySelector('a[href^="tel:"]');
        return a.getBoundingClientRect().right; }""")
    label_text_x = tab.evaluate(CHAR_XS, "الهاتف")
    assert phone_box <= min(label_text_x) + 1
    # The greeting's comma is on the left, at the end of the right-to-left line.
    greeting = tab.evaluate(CHAR_XS, "الأعزاء،")
    assert greeting[-1] == min(greeting)
    tab.screenshot(path=str(_shots() / "arabic-320px.png"), full_page=True)


def test_english_names_stay_in_order_inside_arabic_text(tab: Any) -> None:
    rendered = render_language(Workspace(REPO), SNIPPET, "ar")
    html, _ = rendered.personalise(rendered.preview_fields())
    tab.set_content(html, wait_until="load")
    for name in ("Hollybank Primary School", "Ms Priya Example"):
        xs = tab.evaluate(CHAR_XS, name)
        line = [x for x in xs if x is not None]
        first_word = xs[: name.index(" ")]
        assert first_word == sorted(first_word), name  # letters of a word left to right
        assert len(line) == len(xs), name


def test_block_is_right_to_left_at_320px(tab: Any) -> None:
    rendered = render_language(Workspace(REPO), SNIPPET, "ar")
    tab.set_content('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
                    'content="width=device-width, initial-scale=1"></head><body>'
                    f"{rendered.block}</body></html>", wait_until="load")
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert tab.evaluate("() => getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    xs = tab.evaluate(CHAR_XS, "01632 960123")
    assert xs == sorted(xs)


def _shots():  # type: ignore[no-untyped-def]
    path = REPO / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
