"""The preview page in Debian's Chromium (Playwright), against a server on a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailer.jobs import render_snippet
from mailer.workspace import Workspace
from tests.preview_helpers import SNIPPET, TITLE, rewrite, running_preview, snippet_path, write

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:  # noqa: F811 - pytest fixture injection
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(5000)
    yield ctx
    ctx.close()


@pytest.fixture
def page_at(context: Any, workspace: Path) -> Iterator[Any]:
    """Open the preview of the demo workspace; yields ``(page, server)``."""
    with running_preview(workspace) as server:
        page = context.new_page()
        page.goto(server.url)
        page.locator("#live-text").filter(has_text="Up to date").wait_for()
        yield page, server


def email_h1(page: Any) -> Any:
    return page.frame_locator("#email-frame").locator("h1")


def test_width_switches_set_the_iframe_width(page_at: Any) -> None:
    page, _ = page_at
    frame = page.locator("#email-frame")
    email_h1(page).wait_for()

    def inner_width() -> int:
        body = page.frame_locator("#email-frame").locator("body")
        return int(body.evaluate("el => el.ownerDocument.defaultView.innerWidth"))

    for label, expected in (("Phone", 375), ("Tablet", 600)):
        page.get_by_text(label, exact=True).click()
        assert frame.bounding_box()["width"] == expected
        assert inner_width() == expected
    page.get_by_text("Desktop", exact=True).click()
    stage_width = page.locator("#panel-email .stage").evaluate(
        "el => el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft)"
        " - parseFloat(getComputedStyle(el).paddingRight)")
    assert stage_width > 600
    assert frame.bounding_box()["width"] == stage_width
    assert inner_width() == int(stage_width)


def test_plain_text_tab_shows_the_text_part(page_at: Any, workspace: Path) -> None:
    page, _ = page_at
    rendered = render_snippet(Workspace(workspace), SNIPPET)
    _, text = rendered.personalise(rendered.preview_fields())
    assert not page.locator("#text-part").is_visible()
    page.get_by_role("tab", name="Plain text").click()
    pre = page.locator("#text-part")
    assert pre.is_visible()
    page.wait_for_function("() => document.getElementById('text-part').textContent.length > 0")
    assert pre.text_content() == text
    assert not page.locator("#email-frame").is_visible()


def test_tabs_work_from_the_keyboard(page_at: Any) -> None:
    page, _ = page_at
    page.get_by_role("tab", name="Email").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="Plain text").get_attribute("aria-selected") == "true"
    assert page.locator("#text-part").is_visible()
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.id") == "tab-source"
    assert page.locator("#panel-source").is_visible()
    page.keyboard.press("Home")
    assert page.locator("#email-frame").is_visible()


def test_copy_block_puts_html_with_title_and_links_on_the_clipboard(
    page_at: Any, context: Any, workspace: Path
) -> None:
    page, server = page_at
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    links = [link.url for link in render_snippet(Workspace(workspace), SNIPPET).snippet
             .all_links()]
    assert len(links) >= 10

    page.get_by_role("button", name="Copy block").click()
    status = page.locator("#copy-status")
    status.filter(has_text="Copied the newsletter block").wait_for()
    clipboard = page.evaluate("""async () => {
        const out = {};
        for (const item of await navigator.clipboard.read())
            for (const type of item.types) out[type] = await (await item.getType(type)).text();
        return out;
    }""")
    assert set(clipboard) >= {"text/html", "text/plain"}
    html = clipboard["text/html"]
    assert TITLE in html
    for url in links:
        assert f'href="{url}"' in html, url
    assert "style=" in html  # the formatting travels with it
    assert TITLE in clipboard["text/plain"]
    assert links[0] in clipboard["text/plain"]
    # The block's plain text is the block: no greeting, no footer, no unsubscribe line.
    config = Workspace(workspace).config
    for part in (clipboard["text/plain"], ):
        assert "Dear " not in part and "Unsubscribe" not in part
        assert "You are receiving this email" not in part
        assert config.organisation.postal_address not in part

    page.get_by_role("button", name="Copy plain text").click()
    status.filter(has_text="Copied the plain text").wait_for()
    plain = page.evaluate("navigator.clipboard.readText()")
    assert plain.startswith(TITLE)
    assert plain == clipboard["text/plain"]
    page.get_by_role("button", name="Copy HTML source").click()
    status.filter(has_text="Copied the HTML source").wait_for()
    source = page.evaluate("navigator.clipboard.readText()")
    assert source.startswith("<table") and TITLE in source


def test_editing_the_snippet_updates_the_page_within_two_seconds(page_at: Any,
                                                                 workspace: Path) -> None:
    page, _ = page_at
    email_h1(page).filter(has_text=TITLE).wait_for()
    new_title = "Webcams and video chat, an update for families"
    rewrite(snippet_path(workspace), f"title: {TITLE}", f"title: {new_title}")
    saved = time.monotonic()
    email_h1(page).filter(has_text=new_title).wait_for(timeout=2000)
    page.locator("#title").filter(has_text=new_title).wait_for(timeout=2000)
    assert time.monotonic() - saved < 2


def test_a_broken_snippet_shows_the_mistake_and_the_next_good_edit_recovers(
    page_at: Any, workspace: Path
) -> None:
    page, _ = page_at
    path = snippet_path(workspace)
    good = path.read_text(encoding="utf-8")
    email_h1(page).filter(has_text=TITLE).wait_for()

    write(path, good.replace("date: 2015-05-12", "date: 2015-05-12\n  oops: [", 1))
    problem = page.locator("#problem")
    problem.wait_for(state="visible", timeout=2000)
    where = page.locator("#problem-where").text_content()
    assert where.startswith(f"snippets/{SNIPPET}.yaml, line ")
    assert "too far to the right" in page.locator("#problem-message").text_content()
    assert not page.locator("#email-frame").is_visible()
    assert page.get_by_role("button", name="Copy block").is_disabled()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "preview-mistake.png"))

    fixed_title = "Video chat and webcams, fixed"
    write(path, good.replace(f"title: {TITLE}", f"title: {fixed_title}", 1))
    problem.wait_for(state="hidden", timeout=2000)
    email_h1(page).filter(has_text=fixed_title).wait_for(timeout=2000)
    assert page.get_by_role("button", name="Copy block").is_enabled()


def test_recipient_picker_rerenders_for_the_chosen_parent(context: Any,
                                                          workspace: Path) -> None:
    with running_preview(workspace, "lists/example-parents.csv") as server:
        page = context.new_page()
        page.goto(server.url)
        greeting = page.frame_locator("#email-frame").get_by_text("Dear Mrs Khan,")
        greeting.wait_for()
        options = page.locator("#recipient option")
        assert options.count() == 1 + server.session.snapshot.recipients_total
        page.select_option("#recipient", label="Imran Khan <imran.khan@example.com> "
                                               "(parent/carer of Amy and Ben)")
        page.frame_locator("#email-frame").get_by_text("Dear Mr Khan,").wait_for()
        page.get_by_role("tab", name="Headers and source").click()
        page.locator("#headers").get_by_text("Imran Khan <imran.khan@example.com>").wait_for()
        page.get_by_role("tab", name="Email").click()
        page.get_by_text("Phone", exact=True).click()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "preview-phone.png"))


def test_the_page_fits_a_phone_width_window_with_a_list(browser: Any,  # noqa: F811
                                                        workspace: Path) -> None:
    """Found by a new-user test: the recipient list made the page 504 px wide at 400."""
    ctx = browser.new_context(viewport={"width": 400, "height": 800})
    try:
        with running_preview(workspace, "lists/example-parents.csv") as server:
            page = ctx.new_page()
            page.goto(server.url)
            page.frame_locator("#email-frame").get_by_text("Dear Mrs Khan,").wait_for()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 400, width
    finally:
        ctx.close()


def test_tabs_and_recipient_picker_fit_a_400_px_window(browser: Any,  # noqa: F811
                                                       workspace: Path) -> None:
    """Every tab, switch and the recipient picker lie wholly inside a 400 px window, and
    none is clipped by its container (a long parent's name included)."""
    lst = workspace / "lists" / "long.csv"
    lst.write_text("Contact Title,Contact Forename,Contact Surname,Email\n"
                   "Mrs,Alexandra-Catherine Philippa,Montgomery-Fotheringham-Wolstenholme,"
                   "alexandra.montgomery-fotheringham-wolstenholme@example.com\n",
                   encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 400, "height": 800})
    try:
        with running_preview(workspace, "lists/long.csv") as server:
            page = ctx.new_page()
            page.goto(server.url)
            page.locator("#live-text").filter(has_text="Up to date").wait_for()
            boxes = page.evaluate("""() => Array.from(document.querySelectorAll(
                '[role=tab], .seg label, #recipient, #picker, .tabs, .switches')).map((el) => {
                const r = el.getBoundingClientRect();
                return [el.id || el.textContent.trim(), r.left, r.right,
                        el.scrollWidth - el.clientWidth];
            })""")
            assert len(boxes) >= 10
            for name, left, right, clipped in boxes:
                assert left >= 0 and right <= 400, (name, left, right)
                assert clipped <= 1, (name, clipped)
            assert page.evaluate("document.documentElement.scrollWidth") <= 400
    finally:
        ctx.close()


def test_a_snippet_broken_from_the_start_says_so_in_the_heading(context: Any,
                                                                workspace: Path) -> None:
    path = snippet_path(workspace)
    rewrite(path, "language: en", "  language: en")
    with running_preview(workspace) as server:
        page = context.new_page()
        page.goto(server.url)
        page.locator("#problem").wait_for(state="visible")
        heading = page.locator("#title").text_content()
        assert "Loading" not in heading
        assert heading == (f"Cannot show the preview: snippets/{SNIPPET}.yaml has a "
                           "mistake to fix")
        assert "too far to the right" in page.locator("#problem-message").text_content()
        assert page.locator("#problem-where").text_content().endswith("line 11")
