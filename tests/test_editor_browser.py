"""The Edit panel in Debian's Chromium (Playwright) against a real server on 127.0.0.1:
write an advisory from scratch and send it, edit one field, unsaved changes, refusals."""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mailer.errors import SnippetError
from mailer.preview import PreviewSession
from mailer.preview.editor import EditorServer
from mailer.workspace import Workspace
from mailer.yamlfile import parse_yaml
from tests.conftest import run_mailer
from tests.preview_helpers import SNIPPET, rewrite, snippet_path


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:  # noqa: F811 - pytest fixture injection
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    yield ctx
    ctx.close()


@contextmanager
def editing(ws: Path, context: Any, new: bool = False) -> Iterator[tuple[Any, EditorServer]]:
    session = PreviewSession(Workspace(ws), "new-advisory" if new else SNIPPET)
    server = EditorServer(session, port=0, new=new, open_panel=True)
    server.start()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server.url)
        page.locator(".ed-sum-line").wait_for()
        yield page, server
        assert errors == []
    finally:
        server.stop()


def wait_ready(page: Any) -> None:
    page.locator(".ed-sum-line").filter(has_text="No mistakes").wait_for()


def email_h1(page: Any) -> Any:
    return page.frame_locator("#email-frame").locator("h1")


def dialogs_after_close(page: Any, dialogs: list[str]) -> list[str]:
    """``dialogs`` once the page has asked (or 5 s have passed): the question comes
    after ``page.close(run_before_unload=True)`` returns, later on a busy computer."""
    for _ in range(50):
        if dialogs:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(200)  # and no second question
    return dialogs


def test_write_an_advisory_from_scratch_then_check_and_send_it(context: Any,
                                                               workspace: Path) -> None:
    title = 'Live streaming: "Go live" apps and your child\'s safety'
    with editing(workspace, context, new=True) as (page, _):
        # The starter is empty: the form says what is missing, at its fields.
        assert page.locator("#ed-save").is_disabled()
        page.locator(".ed-sum-line").filter(has_text="To save, fill in").wait_for()
        assert page.locator(".ed-msg").count() == 0  # nothing red before anything is typed
        page.fill("#ed-title", title)
        # pasted with a tab and a line break: the subject is one line all the same
        page.fill("#ed-subject", 'Online safety:\t"live" streaming\napps')
        page.fill("#ed-preheader", "What to know about #live streaming: where to get help. #")
        page.fill("#ed-body", "We are writing to all parents and carers about live streaming."
                              "\n\n## What you can do\n\n- Talk with your child.\n"
                              "- Check the [app's settings](https://www.example.org/settings).")
        page.click("#ed-add-link")
        page.fill("#ed-links-0-title", "Childnet")
        page.fill("#ed-links-0-url", "https://www.childnet.com/")
        page.fill("#ed-links-0-description", "Advice for parents and carers.")
        page.click("#ed-add-link")
        page.fill("#ed-links-1-title", "Childnet: live streaming advice")
        page.fill("#ed-links-1-url", "https://www.childnet.com/live-streaming/")
        page.get_by_role("button", name="Put under the link above: Childnet: live").click()
        page.fill("#ed-cta-text", "Report a concern to CEOP")
        page.fill("#ed-cta-url", "https://www.ceop.police.uk/ceop-reporting/")
        wait_ready(page)
        email_h1(page).filter(has_text=title).wait_for()
        assert page.locator("#ed-name").input_value() == (
            "live-streaming-go-live-apps-and-your-child-s-safety")
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Saved at").wait_for()

    name = "live-streaming-go-live-apps-and-your-child-s-safety"
    saved = workspace / "snippets" / f"{name}.yaml"
    data = parse_yaml(saved.read_text(encoding="utf-8"), saved, SnippetError)
    assert data["title"] == title
    assert data["subject"] == 'Online safety: "live" streaming apps'
    assert data["links"][0]["links"][0]["url"] == "https://www.childnet.com/live-streaming/"
    assert data["call_to_action"]["url"] == "https://www.ceop.police.uk/ceop-reporting/"
    assert saved.read_text().startswith("# An advisory for parents and carers")

    check = run_mailer("check", name, cwd=workspace)
    assert check.returncode == 0, check.stdout + check.stderr
    send = run_mailer("send", name, "--list", "lists/example-parents.csv", "--yes",
                      cwd=workspace)
    assert send.returncode == 0, send.stdout + send.stderr
    box = mailbox.Maildir(workspace / "outbox", create=False)
    messages = [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
                for key in box.iterkeys()]
    assert len(messages) == 15
    assert {str(m["Subject"]) for m in messages} == {'Online safety: "live" streaming apps'}
    html = messages[0].get_body(("html",)).get_content()
    assert "https://www.childnet.com/live-streaming/" in html
    assert "Report a concern to CEOP" in html


def test_editing_one_field_of_the_shipped_advisory_changes_one_line(context: Any,
                                                                    workspace: Path) -> None:
    path = snippet_path(workspace)
    before = path.read_text(encoding="utf-8").splitlines()
    with editing(workspace, context) as (page, _):
        page.fill("#ed-subject", "Online safety: video chat and webcams")
        wait_ready(page)
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Saved at").wait_for()
        assert page.locator("#ed-save").inner_text() == "Saved"
    after = path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [('subject: "Online safety: video chat, webcams and keeping your child '
                        'safe"', 'subject: "Online safety: video chat and webcams"')]


def test_unsaved_changes_survive_a_re_render(context: Any, workspace: Path) -> None:
    path = snippet_path(workspace)
    before = path.read_bytes()
    with editing(workspace, context) as (page, _):
        page.fill("#ed-title", "A draft title that is not saved")
        email_h1(page).filter(has_text="A draft title that is not saved").wait_for()
        # mailer.yaml changes on disk: the preview renders again, with the draft.
        rewrite(workspace / "mailer.yaml", "Hollybank Primary School",
                "Hollybank Church School")
        page.frame_locator("#email-frame").get_by_text("Hollybank Church School").first.wait_for()
        assert email_h1(page).inner_text() == "A draft title that is not saved"
        assert page.locator("#ed-title").input_value() == "A draft title that is not saved"
        assert page.locator("#ed-save").inner_text() == "Save"
        assert path.read_bytes() == before


def test_closing_the_tab_with_unsaved_changes_asks_first(context: Any,
                                                          workspace: Path) -> None:
    with editing(workspace, context) as (page, _):
        dialogs: list[str] = []

        def answer(dialog: Any) -> None:
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", answer)
        page.click("#ed-title")
        page.keyboard.type(" (draft)")
        page.close(run_before_unload=True)
        assert dialogs_after_close(page, dialogs) == ["beforeunload"]
        assert not page.is_closed()


def test_invalid_values_are_shown_at_their_field_and_block_saving_only_when_errors(
        context: Any, workspace: Path) -> None:
    with editing(workspace, context) as (page, _):
        wait_ready(page)
        page.fill("#ed-links-0-url", "javascript:alert(1)")
        message = page.locator("#ed-links-0-url ~ .ed-msg.is-error")
        message.wait_for()
        assert "not a full web address" in message.inner_text()
        assert page.locator("#ed-links-0-url").get_attribute("aria-invalid") == "true"
        assert page.locator("#ed-save").is_disabled()
        # the preview keeps the last version without an error, and says so
        page.locator("#ed-stale").wait_for()
        assert email_h1(page).is_visible()
        assert page.locator("#problem").is_hidden()
        page.fill("#ed-links-0-url", "http://www.thinkuknow.co.uk/")
        page.locator("#ed-links-0-url ~ .ed-msg.is-warning").first.wait_for()
        wait_ready(page)
        assert page.locator("#ed-stale").is_hidden()
        assert page.locator("#ed-save").is_enabled()
        page.fill("#ed-title", "")
        page.locator("#ed-title ~ .ed-msg.is-error").wait_for()
        assert page.locator("#ed-save").is_disabled()
        # the summary's link takes the user to the field
        page.locator(".ed-goto", has_text="Title").click()
        assert page.evaluate("document.activeElement.id") == "ed-title"


def test_a_file_changed_on_disk_is_not_overwritten_silently(context: Any,
                                                            workspace: Path) -> None:
    path = snippet_path(workspace)
    with editing(workspace, context) as (page, _):
        page.fill("#ed-subject", "My subject")
        wait_ready(page)
        other = rewrite(path, "Thinkuknow", "Think U Know")
        page.locator("#ed-conflict").wait_for()
        dialogs: list[str] = []

        def keep_theirs(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", keep_theirs)
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Not saved").wait_for()
        assert "changed on this computer after you opened it" in dialogs[0]
        assert path.read_text() == other


def test_the_formatting_buttons_write_markdown(context: Any, workspace: Path) -> None:
    with editing(workspace, context, new=True) as (page, _):
        body = page.locator("#ed-body")
        body.fill("Talk with your child\nKeep devices in shared spaces")
        body.evaluate("el => el.setSelectionRange(10, 14)")  # "your"
        page.get_by_role("button", name="Bold").click()
        assert body.input_value().startswith("Talk with **your** child")
        body.evaluate("el => el.setSelectionRange(0, el.value.length)")
        page.get_by_role("button", name="Bullet list").click()
        assert body.input_value() == ("- Talk with **your** child\n"
                                      "- Keep devices in shared spaces")
        body.evaluate("el => el.setSelectionRange(0, 0)")
        page.get_by_role("button", name="Heading").click()
        assert body.input_value().startswith("## Talk with **your** child\n")
        body.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
        page.get_by_role("button", name="Link", exact=True).click()
        page.keyboard.type("https://www.childnet.com/")
        assert body.input_value().endswith(
            "shared spaces[the words to click](https://www.childnet.com/)")
        page.fill("#ed-title", "Formatting")
        page.fill("#ed-subject", "Formatting")
        page.fill("#ed-preheader", "Bold, lists, headings and links.")
        page.frame_locator("#email-frame").locator("strong", has_text="your").wait_for()


def test_an_unchanged_form_follows_saves_from_a_text_editor(context: Any,
                                                            workspace: Path) -> None:
    with editing(workspace, context) as (page, _):
        wait_ready(page)
        rewrite(snippet_path(workspace), "title: Video chat, webcams and keeping your child "
                "safe online", "title: Webcams and your child")
        email_h1(page).filter(has_text="Webcams and your child").wait_for()
        page.locator("#ed-status").filter(has_text="Updated from the file").wait_for()
        assert page.locator("#ed-title").input_value() == "Webcams and your child"
        assert page.locator("#ed-conflict").is_hidden()
