"""The Edit panel's translation view in Debian's Chromium (Playwright) against a real server
on 127.0.0.1: translate the shipped advisory into Polish and send it to a Polish-speaking
parent, edit one field of a translation, keep unsaved work per language, right to left for
Arabic, and a language that is no language refused."""

from __future__ import annotations

import difflib
import email
import email.policy
import mailbox
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mailer.preview.editor import _EditorHandler
from mailer.snippets import load_snippet
from tests.conftest import run_mailer
from tests.preview_helpers import SNIPPET, snippet_path
from tests.test_editor_browser import (  # noqa: F401 - fixture
    context,
    dialogs_after_close,
    editing,
    email_h1,
)

# As SIMS exports it: the language column picks the translation (tests/test_send_languages)
FAMILIES = """\
Pupil Forename,Pupil Surname,Contact Title,Contact Forename,Contact Surname,Email,Home Language
Maja,Kowalska,Mrs,Agnieszka,Kowalska,agnieszka@example.com,Polish
Ella,Brown,Miss,Laura,Brown,laura@example.com,English
"""


def polish(ws: Path) -> Path:
    return ws / "snippets" / f"{SNIPPET}.pl.yaml"


def field(page: Any, key: str) -> Any:
    return page.locator(f'#ed-tform [data-field="{key}"]')


def choose(page: Any, tag: str) -> None:
    page.select_option("#ed-lang", tag)
    if tag:
        field(page, "title").wait_for()


def checked(page: Any) -> None:
    page.locator(".ed-sum-line").filter(has_text="No mistakes").wait_for()


def test_translate_the_advisory_into_polish_then_check_and_send_it(context: Any,  # noqa: F811
                                                                  workspace: Path) -> None:
    polish(workspace).unlink()  # the demo's own Polish: start from no translation
    title = "Czat wideo i bezpieczeństwo dziecka w internecie"
    paragraph = ("Piszemy do wszystkich rodziców i opiekunów w sprawie bezpieczeństwa dzieci "
                 "korzystających z kamer internetowych.")
    with editing(workspace, context) as (page, _):
        options = page.locator("#ed-lang option").all_inner_texts()
        assert options == ["English (the original)", "Arabic (ar)", "Add a language\u2026"]
        page.select_option("#ed-lang", "+add")
        page.fill("#ed-new-lang", "Polish")
        page.click("#ed-new-lang-go")
        field(page, "title").wait_for()
        assert page.locator("#ed-path").inner_text() == f"snippets/{SNIPPET}.pl.yaml"
        # every field is empty, with the English as its hint and beside it, and flagged
        english = load_snippet(snippet_path(workspace))
        assert field(page, "title").input_value() == ""
        assert field(page, "title").get_attribute("placeholder") == english.title
        row = page.locator("#ed-tform .ed-tfield", has=page.locator('[data-field="title"]'))
        assert row.locator(".ed-english").inner_text().endswith(english.title)
        assert "is-untranslated" in (row.get_attribute("class") or "")
        assert row.locator(".ed-untranslated").is_visible()
        field(page, "title").fill(title)
        field(page, "body 1 (paragraph)").fill(paragraph)
        assert "is-untranslated" not in (row.get_attribute("class") or "")
        checked(page)
        # the preview shows the Polish as it is typed, before anything is saved
        email_h1(page).filter(has_text=title).wait_for()
        assert page.locator("#language").input_value() == "pl"
        assert not polish(workspace).exists()
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Polish saved at").wait_for()

    saved = load_snippet(polish(workspace))
    assert saved.title == title and saved.language == "pl"
    assert saved.body.startswith(paragraph + "\n\n")
    assert saved.subject == english.subject  # not translated: the English is sent
    check = run_mailer("check", SNIPPET, cwd=workspace)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Polish" in check.stdout

    (workspace / "lists" / "families.csv").write_text(FAMILIES, encoding="utf-8")
    send = run_mailer("send", SNIPPET, "--list", "lists/families.csv", "--yes", cwd=workspace)
    assert send.returncode == 0, send.stdout + send.stderr
    box = mailbox.Maildir(workspace / "outbox", create=False)
    messages = {str(m["To"]).split("<")[-1].rstrip(">"): m for m in (
        email.message_from_bytes(box.get_bytes(k), policy=email.policy.default)
        for k in box.iterkeys())}
    assert set(messages) == {"agnieszka@example.com", "laura@example.com"}
    to_polish = messages["agnieszka@example.com"]
    assert to_polish["Content-Language"] == "pl"
    html = to_polish.get_body(("html",)).get_content()
    assert title in html and paragraph in html
    assert english.title not in html
    to_english = messages["laura@example.com"].get_body(("html",)).get_content()
    assert english.title in to_english and title not in to_english


def test_editing_one_field_of_a_translation_changes_one_line(context: Any,  # noqa: F811
                                                            workspace: Path) -> None:
    path = polish(workspace)
    before = path.read_text(encoding="utf-8")
    with editing(workspace, context) as (page, _):
        choose(page, "pl")
        checked(page)
        field(page, "audience").fill("Rodzice, opiekunowie i dziadkowie")
        checked(page)
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Polish saved at").wait_for()
    after = path.read_text(encoding="utf-8")
    diff = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert diff == ["-audience: Rodzice i opiekunowie",
                    "+audience: Rodzice, opiekunowie i dziadkowie"]


def test_unsaved_work_in_each_language_survives_switching_and_re_renders(
        context: Any, workspace: Path) -> None:  # noqa: F811
    english_file, polish_file = snippet_path(workspace), polish(workspace)
    before = english_file.read_bytes(), polish_file.read_bytes()
    with editing(workspace, context) as (page, _):
        page.fill("#ed-title", "English draft title")
        choose(page, "pl")
        field(page, "title").fill("Polski szkic")
        email_h1(page).filter(has_text="Polski szkic").wait_for()
        chosen = page.locator("#ed-lang option:checked").inner_text()
        assert chosen == "Polish (pl) \u2014 not saved"
        choose(page, "")
        assert page.locator("#ed-title").input_value() == "English draft title"
        email_h1(page).filter(has_text="English draft title").wait_for()
        # another program saves mailer.yaml: the page renders again; nothing is lost
        config = workspace / "mailer.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "Hollybank Primary School", "Hollybank Church School"), encoding="utf-8")
        page.frame_locator("#email-frame").get_by_text("Hollybank Church School").first.wait_for()
        choose(page, "pl")
        assert field(page, "title").input_value() == "Polski szkic"
        email_h1(page).filter(has_text="Polski szkic").wait_for()
        # leaving the page asks first, whichever language has the unsaved work
        dialogs: list[str] = []

        def answer(dialog: Any) -> None:
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", answer)
        page.close(run_before_unload=True)
        assert dialogs_after_close(page, dialogs) == ["beforeunload"]
    assert (english_file.read_bytes(), polish_file.read_bytes()) == before


def test_arabic_is_edited_and_previewed_right_to_left(context: Any,  # noqa: F811
                                                     workspace: Path) -> None:
    with editing(workspace, context) as (page, _):
        choose(page, "ar")
        assert field(page, "title").get_attribute("dir") == "rtl"
        assert field(page, "title").get_attribute("lang") == "ar"
        english = page.locator(".ed-english").first
        assert english.get_attribute("dir") == "ltr"
        page.frame_locator("#email-frame").locator("html[dir='rtl'][lang='ar']").wait_for()
        # the English sits beside the field at 1280 px, above it at 400 px
        box_en = english.bounding_box()
        box_field = field(page, "title").bounding_box()
        assert box_en["y"] < box_field["y"] + box_field["height"]
        assert box_en["x"] + box_en["width"] <= box_field["x"]
        page.set_viewport_size({"width": 400, "height": 800})
        page.wait_for_timeout(200)
        box_en = english.bounding_box()
        box_field = field(page, "title").bounding_box()
        assert box_en["y"] + box_en["height"] <= box_field["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 400


def test_a_language_that_is_no_language_is_refused(context: Any,  # noqa: F811
                                                   workspace: Path) -> None:
    before = sorted(p.name for p in (workspace / "snippets").iterdir())
    with editing(workspace, context) as (page, _):
        page.select_option("#ed-lang", "+add")
        page.fill("#ed-new-lang", "../x")
        page.click("#ed-new-lang-go")
        message = page.locator("#ed-new-lang-msg")
        message.wait_for()
        assert "not a language" in message.inner_text()
        assert page.locator("#ed-lang").input_value() == ""
        # and a save the page would never send, straight to the server
        answer = page.evaluate("""async () => {
            const token = document.querySelector('meta[name="mailer-token"]').content;
            const res = await fetch('/api/save', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({token, language: '../x', texts: {title: 'x'},
                                      path: 'snippets/../x.yaml', sha: null})});
            return [res.status, (await res.json()).error];
        }""")
        assert answer[0] == 403 and answer[1].startswith("Refused")
    assert sorted(p.name for p in (workspace / "snippets").iterdir()) == before


def test_review_and_matching_the_english_are_ticked_and_the_checks_are_the_languages(
        context: Any, workspace: Path) -> None:  # noqa: F811
    import json

    from mailer.snippets import english_digest

    path = polish(workspace)
    old = "0123456789ab"  # made from an English that has changed since
    path.write_text(path.read_text(encoding="utf-8").replace(
        "translation:\n", f"translation:\n  from_english: {old}\n", 1), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    card = "#checks .finding .sev"
    with editing(workspace, context) as (page, _):
        page.locator("#checks-title").filter(has_text="Checks of the English").wait_for()
        page.locator("#checks .summary").first.wait_for()
        assert not any("L6" in s for s in page.locator(card).all_inner_texts())
        choose(page, "pl")
        checked(page)
        # the Checks card beside the preview now checks the Polish, and says so
        page.locator("#checks-title").filter(has_text="Checks of the Polish translation"
                                             ).wait_for()
        page.locator(card).filter(has_text="L6").wait_for()
        assert any("L5" in s for s in page.locator(card).all_inner_texts())
        assert not page.locator("#ed-reviewed-name").is_visible()
        page.get_by_label("A native speaker has read this translation and it is right"
                          ).check()
        page.fill("#ed-reviewed-name", "Agnieszka Kowalska")
        page.get_by_label("I have gone through the Polish and it says what the English "
                          "says now").check()
        page.wait_for_function("""() => ![...document.querySelectorAll('#checks .sev')]
            .some((s) => /L5|L6/.test(s.textContent))""")
        assert path.read_text(encoding="utf-8") == before  # nothing written before Save
        page.click("#ed-save")
        page.locator("#ed-status").filter(has_text="Polish saved at").wait_for()
        # matched: the offer goes away until the English changes again
        assert page.locator("#ed-matches-english").count() == 0
        assert page.locator("#ed-reviewed-native").is_checked()
        choose(page, "")
        page.locator("#checks-title").filter(has_text="Checks of the English").wait_for()
    after = path.read_text(encoding="utf-8")
    diff = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    digest = english_digest(load_snippet(snippet_path(workspace)))
    assert diff == [f"-  from_english: {old}", "-  native_speaker_reviewed: no",
                    f"+  from_english: {digest}", "+  native_speaker_reviewed: yes",
                    "+  reviewed_by: Agnieszka Kowalska"]
    report = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    found = next(t for t in report["translations"] if t["language"] == "pl")
    assert not {"L5", "L6"} & {f["id"] for f in found["findings"]}


def test_a_mistake_in_mailer_yaml_while_translating_keeps_the_language_shown(
        context: Any, workspace: Path) -> None:  # noqa: F811
    # Another program saves mailer.yaml half-written (or with a mistake) and then right:
    # the preview shows the mistake, then the language being edited again, with its draft.
    config = workspace / "mailer.yaml"
    good = config.read_text(encoding="utf-8")
    with editing(workspace, context) as (page, _):
        choose(page, "pl")
        field(page, "title").fill("Polski szkic")
        email_h1(page).filter(has_text="Polski szkic").wait_for()
        config.write_text("sender: [\n", encoding="utf-8")
        page.locator("#problem").wait_for(state="visible")
        config.write_text(good.replace("Hollybank Primary School", "Hollybank Church School"),
                          encoding="utf-8")
        page.frame_locator("#email-frame").get_by_text("Hollybank Church School").first.wait_for()
        assert page.locator("#language").input_value() == "pl"
        email_h1(page).filter(has_text="Polski szkic").wait_for(timeout=3000)


def test_the_last_language_chosen_wins_while_another_is_still_opening(
        context: Any, workspace: Path) -> None:  # noqa: F811
    with editing(workspace, context) as (page, _):
        choose(page, "pl")
        choose(page, "")
        # Arabic is opened from the server; Polish is already open. Chosen one after the
        # other faster than Arabic opens, the page must end on Polish, the last choice.
        with page.expect_response(lambda r: "/api/editor?lang=ar" in r.url):
            page.evaluate("""() => {
                const select = document.getElementById('ed-lang');
                for (const tag of ['ar', 'pl']) {
                    select.value = tag;
                    select.dispatchEvent(new Event('change'));
                }
            }""")
        page.wait_for_timeout(300)  # the page has read Arabic's answer by now
        assert field(page, "title").get_attribute("lang") == "pl"
        assert page.locator("#ed-lang").input_value() == "pl"
        assert page.locator("#language").input_value() == "pl"
        page.frame_locator("#email-frame").locator("html[lang='pl']").wait_for(timeout=3000)


def test_a_translation_typed_before_the_english_changed_is_kept(
        context: Any, workspace: Path) -> None:  # noqa: F811
    # The English title is edited after the Polish one was typed: back in Polish, the page
    # reads the fields again (their English changed) and keeps the Polish typed, shown.
    with editing(workspace, context) as (page, _):
        choose(page, "pl")
        field(page, "title").fill("Polski szkic")
        email_h1(page).filter(has_text="Polski szkic").wait_for()
        choose(page, "")
        page.fill("#ed-title", "English draft title")
        email_h1(page).filter(has_text="English draft title").wait_for()
        choose(page, "pl")
        page.locator("#ed-status").filter(has_text="The English has changed").wait_for()
        assert field(page, "title").input_value() == "Polski szkic"
        row = page.locator("#ed-tform .ed-tfield", has=page.locator('[data-field="title"]'))
        assert row.locator(".ed-english").inner_text().endswith("English draft title")
        page.wait_for_timeout(500)  # the draft after reading the fields again has rendered
        email_h1(page).filter(has_text="Polski szkic").wait_for(timeout=3000)


def test_english_typed_just_before_switching_is_beside_the_translation(
        context: Any, workspace: Path) -> None:  # noqa: F811
    with editing(workspace, context) as (page, _):
        page.fill("#ed-title", "English draft title")
        choose(page, "pl")  # at once, before the English draft's timer
        row = page.locator("#ed-tform .ed-tfield", has=page.locator('[data-field="title"]'))
        assert row.locator(".ed-english").inner_text().endswith("English draft title")
        choose(page, "")
        assert page.locator("#ed-title").input_value() == "English draft title"
        email_h1(page).filter(has_text="English draft title").wait_for()


@contextmanager
def first_draft_overtaken(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The next draft the server receives is held, before it is carried out, until a draft
    that arrives after it (within 2 s) has been carried out: what the server's threads may
    do with two drafts under load, made certain. Yields ``carried`` (drafts carried out
    since) and ``held`` (set once the held draft has been carried out)."""
    lock = threading.Lock()
    seen = {"held": threading.Event(), "arrived": threading.Event(),
            "overtaken": threading.Event(), "carried": 0, "armed": True, "holding": False}
    do_post = _EditorHandler.do_POST

    def held_do_post(handler: _EditorHandler) -> None:
        if handler.path.partition("?")[0] != "/api/draft":
            do_post(handler)
            return
        with lock:
            hold, seen["armed"] = seen["armed"], False
            overtaking = seen["holding"] and not seen["arrived"].is_set()
            seen["holding"] = seen["holding"] or hold
        if overtaking:
            seen["arrived"].set()
        if hold and seen["arrived"].wait(2.0):
            seen["overtaken"].wait(30)
        do_post(handler)
        with lock:
            seen["carried"] += 1
        if overtaking:
            seen["overtaken"].set()
        if hold:
            seen["held"].set()

    monkeypatch.setattr(_EditorHandler, "do_POST", held_do_post)
    yield seen


def drafts_carried(page: Any, seen: dict[str, Any], count: int) -> None:
    """Wait until the held draft and ``count`` drafts in all have been carried out."""
    assert seen["held"].wait(30), "the held draft was never carried out"
    for _ in range(300):
        if seen["carried"] >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"only {seen['carried']} of {count} drafts were carried out")


def test_a_translation_draft_carried_out_late_never_puts_older_words_back(
        context: Any, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    # Opening Polish sends a draft; typing sends another 0.2 s later. When the server takes
    # the second first (two threads, a busy computer), the first must not be carried out
    # after it: the preview would show the saved Polish, not what is typed, until the next
    # keystroke, while the page believes it shows the draft.
    with editing(workspace, context) as (page, server), \
            first_draft_overtaken(monkeypatch) as seen:
        choose(page, "pl")
        field(page, "title").fill("Polski szkic")
        drafts_carried(page, seen, 2)
        shown = server.session.snapshot
        assert shown.problem is None
        assert shown.translations["pl"].title == "Polski szkic"
        email_h1(page).filter(has_text="Polski szkic").wait_for()


def test_an_english_draft_carried_out_late_never_puts_older_words_back(
        context: Any, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with editing(workspace, context) as (page, server):
        choose(page, "pl")
        checked(page)
        with first_draft_overtaken(monkeypatch) as seen:
            choose(page, "")  # sends the English as it is
            page.fill("#ed-title", "English draft title")
            drafts_carried(page, seen, 2)
            shown = server.session.snapshot
            assert shown.rendered is not None
            assert shown.rendered.snippet.title == "English draft title"
            email_h1(page).filter(has_text="English draft title").wait_for()
