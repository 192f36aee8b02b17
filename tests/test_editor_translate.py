"""The Edit panel's translation view, server side: the fields (each with the English), the
YAML it writes into ``snippets/ID.LANG.yaml`` (round trip: one changed string, one changed
line), the checks of the language, and every refusal (real server on 127.0.0.1)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailer.errors import MailerError
from mailer.preview import PreviewSession
from mailer.preview.editor import EditorServer
from mailer.preview.translation import (
    WHOLE_BODY,
    language_tag,
    translation_fields,
    translation_text,
)
from mailer.snippets import english_digest, load_snippet
from mailer.workspace import Workspace
from mailer.yamledit import edit_yaml
from tests.preview_helpers import SNIPPET, snippet_path, write
from tests.test_editor import page_token, request

REPO = Path(__file__).resolve().parent.parent
ENGLISH = load_snippet(REPO / "snippets" / f"{SNIPPET}.yaml")


def translation_path(ws: Path, tag: str) -> Path:
    return ws / "snippets" / f"{SNIPPET}.{tag}.yaml"


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def texts_of(fields: list[Any]) -> dict[str, str]:
    return {f.key: f.text for f in fields}


# -- the fields and the YAML -------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["pl", "ar"])
def test_an_unchanged_translation_is_written_byte_for_byte(tag: str) -> None:
    path = REPO / "snippets" / f"{SNIPPET}.{tag}.yaml"
    text = path.read_text(encoding="utf-8")
    fields = translation_fields(ENGLISH, load_snippet(path))
    assert translation_text(ENGLISH, tag, fields, texts_of(fields), text, path) == text


def test_every_field_shows_the_english_and_the_translation() -> None:
    path = REPO / "snippets" / f"{SNIPPET}.pl.yaml"
    fields = {f.key: f for f in translation_fields(ENGLISH, load_snippet(path))}
    assert fields["title"].english == ENGLISH.title
    assert fields["title"].text.startswith("Czat wideo")
    assert fields["body 1 (paragraph)"].english.startswith("We are writing to all parents")
    assert fields["body 1 (paragraph)"].text.startswith("Piszemy do wszystkich")
    # a link title the translator kept in English ("Thinkuknow") is shown as not translated
    assert fields["link 1 title"].text == ""
    assert fields["link 1 title"].english == "Thinkuknow"
    assert WHOLE_BODY not in fields  # built paragraph for paragraph like the English


def test_one_changed_field_of_a_translation_is_one_changed_line() -> None:
    path = REPO / "snippets" / f"{SNIPPET}.pl.yaml"
    text = path.read_text(encoding="utf-8")
    fields = translation_fields(ENGLISH, load_snippet(path))
    texts = texts_of(fields)
    texts["subject"] = "Bezpieczeństwo w sieci: czat wideo i kamery"
    after = translation_text(ENGLISH, "pl", fields, texts, text, path)
    assert changed_lines(text, after) == [
        '-subject: "Bezpieczeństwo w internecie: czat wideo, kamery internetowe i ochrona '
        'dziecka"',
        '+subject: "Bezpieczeństwo w sieci: czat wideo i kamery"']


def test_a_changed_paragraph_rewrites_only_that_paragraph() -> None:
    path = REPO / "snippets" / f"{SNIPPET}.pl.yaml"
    text = path.read_text(encoding="utf-8")
    fields = translation_fields(ENGLISH, load_snippet(path))
    texts = texts_of(fields)
    texts["body 4 (heading)"] = "Dlaczego czat wideo jest tak ważny"
    texts["body 1 (paragraph)"] = "Piszemy do rodziców i opiekunów."
    after = translation_text(ENGLISH, "pl", fields, texts, text, path)
    removed = [line for line in changed_lines(text, after) if line.startswith("-")]
    added = [line for line in changed_lines(text, after) if line.startswith("+")]
    assert added == ["+  Piszemy do rodziców i opiekunów.",
                     "+  ## Dlaczego czat wideo jest tak ważny"]
    assert removed == [f"-{line}" for line in text.splitlines() if line.startswith((
        "  Piszemy do wszystkich", "  internecie, abyśmy", "  czatów wideo.",
        "  ## Dlaczego czat"))]


def test_an_empty_field_sends_the_english_and_keeps_optional_strings_out() -> None:
    fields = translation_fields(ENGLISH, None)
    assert all(f.text == "" for f in fields)
    texts = {f.key: "" for f in fields}
    texts["title"] = "Czat wideo"
    texts["body 2 (paragraph)"] = "Rada Hrabstwa Kent otrzymuje zgłoszenia."
    path = Path("/nonexistent/snippets") / f"{SNIPPET}.pl.yaml"
    text = translation_text(ENGLISH, "pl", fields, texts, None, path)
    assert text.startswith("# Polish translation of online-safety-webcams, written in the "
                           "mailer editor on ")
    written = load_snippet_text(text, path)
    assert written.title == "Czat wideo"
    assert written.subject == ENGLISH.subject  # empty: the English is sent
    assert "Rada Hrabstwa Kent otrzymuje zgłoszenia." in written.body
    assert written.body.startswith("We are writing to all parents")
    assert [link.url for link in written.all_links()] == [
        link.url for link in ENGLISH.all_links()]
    assert written.translation is not None
    assert written.translation.from_english == english_digest(ENGLISH)
    assert written.translation.native_speaker_reviewed is False
    assert written.language == "pl"


def load_snippet_text(text: str, path: Path) -> Any:
    from mailer.errors import SnippetError
    from mailer.snippets import parse_snippet
    from mailer.yamlfile import parse_yaml

    return parse_snippet(parse_yaml(text, path, SnippetError), path, text)


@pytest.mark.parametrize(("typed", "tag"), [("Polish", "pl"), ("pl", "pl"), ("polski", "pl"),
                                            ("pt_BR", "pt-BR"), ("Urdu", "ur"),
                                            ("Panjabi (Shahmukhi)", "pa-Arab")])
def test_a_language_is_read_as_mailer_translate_reads_it(typed: str, tag: str) -> None:
    assert language_tag(typed, SNIPPET) == tag


@pytest.mark.parametrize("typed", ["../x", "pl/../../mailer", "..", "", "English", "en-GB",
                                   "Martian", "pl\x00", "x" * 200, None, 7])
def test_what_is_no_language_is_refused(typed: Any) -> None:
    with pytest.raises(MailerError):
        language_tag(typed, SNIPPET)


def test_check_links_fix_keeps_a_translations_indentation(workspace: Path) -> None:
    """The file's list indentation was guessed from the text, where the Markdown list of
    the Polish body looks like YAML: every link line was re-indented."""
    path = translation_path(workspace, "pl")
    before = path.read_text(encoding="utf-8")

    def change(data: Any) -> bool:
        data["links"][2]["url"] = "https://www.getsafeonline.org/personal/"
        return True

    edit_yaml(path, change)
    assert changed_lines(before, path.read_text(encoding="utf-8")) == [
        "-    url: https://www.getsafeonline.org/",
        "+    url: https://www.getsafeonline.org/personal/"]


# -- the server --------------------------------------------------------------------------------

@pytest.fixture
def server(workspace: Path) -> Iterator[EditorServer]:
    srv = EditorServer(PreviewSession(Workspace(workspace), SNIPPET), port=0, open_panel=True)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def tdoc(srv: EditorServer, tag: str) -> dict[str, Any]:
    status, doc = request(srv, "GET", f"/api/editor?lang={tag}")
    assert status == 200, doc
    return doc


def texts(doc: dict[str, Any]) -> dict[str, str]:
    return {f["key"]: f["text"] for f in doc["fields"]}


def test_the_language_switch_lists_english_and_every_translation(server: EditorServer) -> None:
    status, doc = request(server, "GET", "/api/editor")
    assert status == 200
    assert [(x["tag"], x["name"], x["dir"]) for x in doc["languages"]] == [
        ("en", "English", "ltr"), ("ar", "Arabic", "rtl"), ("pl", "Polish", "ltr")]
    arabic = tdoc(server, "ar")
    assert arabic["dir"] == "rtl" and arabic["path"] == f"snippets/{SNIPPET}.ar.yaml"


def test_a_translation_save_writes_only_its_file(server: EditorServer, workspace: Path) -> None:
    english_before = snippet_path(workspace).read_bytes()
    arabic_before = translation_path(workspace, "ar").read_bytes()
    doc = tdoc(server, "pl")
    body = texts(doc)
    body["title"] = "Czat wideo: co warto wiedzieć"
    status, answer = request(server, "POST", "/api/save", {
        "token": page_token(server), "language": "pl", "texts": body, "path": doc["path"],
        "sha": doc["sha"]})
    assert status == 200, answer
    assert "title: 'Czat wideo: co warto wiedzieć'\n" in translation_path(
        workspace, "pl").read_text(encoding="utf-8")
    assert snippet_path(workspace).read_bytes() == english_before
    assert translation_path(workspace, "ar").read_bytes() == arabic_before


@pytest.mark.parametrize(("language", "path"), [
    ("../x", "snippets/online-safety-webcams.pl.yaml"),
    ("pl", "../mailer.yaml"),
    ("pl", "snippets/online-safety-webcams.yaml"),  # the English, not the Polish
    ("pl", "snippets/online-safety-webcams.ar.yaml"),
    ("pl", "/etc/passwd"),
    ("pl/../../x", "snippets/online-safety-webcams.pl.yaml"),
    ("en", "snippets/online-safety-webcams.en.yaml"),
])
def test_a_translation_save_elsewhere_or_for_no_language_is_refused(
        server: EditorServer, workspace: Path, language: str, path: str) -> None:
    before = {p: p.read_bytes() for p in (workspace / "snippets").iterdir()}
    status, answer = request(server, "POST", "/api/save", {
        "token": page_token(server), "language": language, "texts": {"title": "x"},
        "path": path, "sha": None})
    assert status == 403, answer
    assert answer["error"].startswith("Refused")
    assert {p: p.read_bytes() for p in (workspace / "snippets").iterdir()} == before


def test_a_translation_save_needs_the_token_and_this_origin(server: EditorServer,
                                                            workspace: Path) -> None:
    doc = tdoc(server, "pl")
    body = {"language": "pl", "texts": texts(doc), "path": doc["path"], "sha": doc["sha"]}
    before = translation_path(workspace, "pl").read_bytes()
    assert request(server, "POST", "/api/save", body)[0] == 403
    body["token"] = page_token(server)
    assert request(server, "POST", "/api/save", body,
                   headers={"Origin": "https://evil.example"})[0] == 403
    assert request(server, "POST", "/api/language", {"language": "pl"})[0] == 403
    assert translation_path(workspace, "pl").read_bytes() == before


def test_a_translation_changed_on_disk_is_not_overwritten_silently(
        server: EditorServer, workspace: Path) -> None:
    doc = tdoc(server, "pl")
    body = texts(doc)
    body["title"] = "Mój tytuł"
    path = translation_path(workspace, "pl")
    other = write(path, path.read_text(encoding="utf-8").replace("Rodzice i opiekunowie",
                                                                 "Rodzice", 1))
    status, disk = request(server, "GET", "/api/disk?lang=pl")
    assert status == 200 and disk["changed"] is True
    save = {"token": page_token(server), "language": "pl", "texts": body,
            "path": doc["path"], "sha": doc["sha"]}
    status, answer = request(server, "POST", "/api/save", save)
    assert status == 409 and "changed on this computer" in answer["error"]
    assert path.read_text(encoding="utf-8") == other
    save["overwrite"] = True
    assert request(server, "POST", "/api/save", save)[0] == 200
    assert "title: Mój tytuł\n" in path.read_text(encoding="utf-8")


def test_a_new_language_is_written_only_on_save(server: EditorServer, workspace: Path) -> None:
    token = page_token(server)
    status, doc = request(server, "POST", "/api/language", {"token": token,
                                                            "language": "Romanian"})
    assert status == 200, doc
    assert doc["language"] == "ro" and doc["is_new"] is True and doc["sha"] is None
    assert doc["path"] == f"snippets/{SNIPPET}.ro.yaml"
    path = translation_path(workspace, "ro")
    body = {f["key"]: "" for f in doc["fields"]}
    body["title"] = "Chat video și siguranța copilului"
    status, answer = request(server, "POST", "/api/draft", {"token": token, "language": "ro",
                                                             "texts": body})
    assert status == 200 and answer["can_save"] is True
    assert set(answer["untranslated"]) == set(body) - {"title"}
    assert not path.exists()  # a draft writes nothing
    assert server.session.snapshot.translations["ro"].title == body["title"]
    status, answer = request(server, "POST", "/api/save", {
        "token": token, "language": "ro", "texts": body, "path": doc["path"], "sha": None})
    assert status == 200, answer
    assert load_snippet(path).title == body["title"]
    # a second "new" save of the same language is a conflict, not a silent overwrite
    status, again = request(server, "POST", "/api/language", {"token": token,
                                                              "language": "ro"})
    assert status == 200 and again["is_new"] is False


@pytest.mark.parametrize("typed", ["../x", "Martian", "English"])
def test_adding_what_is_no_language_is_refused(server: EditorServer, workspace: Path,
                                               typed: str) -> None:
    before = sorted(p.name for p in (workspace / "snippets").iterdir())
    status, answer = request(server, "POST", "/api/language", {"token": page_token(server),
                                                                "language": typed})
    assert status == 403
    assert "Refused" in answer["error"]
    assert sorted(p.name for p in (workspace / "snippets").iterdir()) == before


def test_a_url_changed_in_a_translated_paragraph_is_found_at_that_paragraph(
        server: EditorServer) -> None:
    doc = tdoc(server, "pl")
    body = texts(doc)
    key = "body 2 (paragraph)"
    body[key] += " [Więcej](https://www.examp1e.org/pomoc)"
    status, answer = request(server, "POST", "/api/draft", {
        "token": page_token(server), "language": "pl", "texts": body})
    assert status == 200
    l1 = [f for f in answer["findings"] if f["check_id"] == "L1"]
    assert l1 and l1[0]["field"] == key and l1[0]["severity"] == "error"


def test_a_translation_draft_survives_a_re_render(server: EditorServer,
                                                  workspace: Path) -> None:
    doc = tdoc(server, "pl")
    body = texts(doc)
    body["title"] = "Szkic, niezapisany"
    request(server, "POST", "/api/draft", {"token": page_token(server), "language": "pl",
                                           "texts": body})
    # another program saves a file the preview watches: the page re-renders
    config = workspace / "mailer.yaml"
    write(config, config.read_text(encoding="utf-8") + "\n# touched\n")
    server.session.reload_if_changed()
    assert server.session.snapshot.translations["pl"].title == "Szkic, niezapisany"
    assert "Szkic" not in translation_path(workspace, "pl").read_text(encoding="utf-8")


def test_a_too_long_translated_subject_blocks_saving(server: EditorServer,
                                                     workspace: Path) -> None:
    doc = tdoc(server, "pl")
    body = texts(doc)
    body["subject"] = "Bezpieczeństwo " * 30
    status, answer = request(server, "POST", "/api/draft", {
        "token": page_token(server), "language": "pl", "texts": body})
    assert status == 200 and answer["can_save"] is False
    assert [f["field"] for f in answer["findings"] if f["severity"] == "error"] == ["subject"]
    status, _ = request(server, "POST", "/api/save", {
        "token": page_token(server), "language": "pl", "texts": body, "path": doc["path"],
        "sha": doc["sha"]})
    assert status == 422


def test_a_translation_changed_on_disk_is_rendered_again(workspace: Path) -> None:
    """The renders of translations were kept from one snapshot to the next: a translation
    saved in a text editor (or drafted in the panel) went on showing its old words."""
    session = PreviewSession(Workspace(workspace), SNIPPET)
    session.rebuild()
    assert session.snapshot.translated("pl").snippet.title.startswith("Czat wideo")
    path = translation_path(workspace, "pl")
    write(path, path.read_text(encoding="utf-8").replace(
        "title: Czat wideo, kamery internetowe", "title: Kamery internetowe", 1))
    assert session.reload_if_changed() is not None
    assert session.snapshot.translated("pl").snippet.title.startswith("Kamery internetowe")


def test_texts_for_fields_the_english_no_longer_has_are_refused_not_misplaced(
        server: EditorServer, workspace: Path) -> None:
    """A paragraph added to the English (unsaved) renumbers the translation's fields: a
    request made with the old ones would put each text one paragraph off."""
    token = page_token(server)
    doc = tdoc(server, "pl")
    body = texts(doc)
    body["body 2 (paragraph)"] = "Rada Hrabstwa Kent otrzymuje coraz więcej zgłoszeń."
    status, english = request(server, "GET", "/api/editor")
    form = english["form"]
    form["body"] = "A new first paragraph.\n\n" + form["body"]
    assert request(server, "POST", "/api/draft", {"token": token, "form": form})[0] == 200
    before = translation_path(workspace, "pl").read_bytes()
    for path in ("/api/draft", "/api/save"):
        status, answer = request(server, "POST", path, {
            "token": token, "language": "pl", "texts": body, "path": doc["path"],
            "sha": doc["sha"], "fields": doc["fields_digest"]})
        assert status == 409 and answer["fields_changed"] is True, answer
    assert translation_path(workspace, "pl").read_bytes() == before
    fresh = tdoc(server, "pl")
    assert fresh["fields_digest"] != doc["fields_digest"]
    # the Polish no longer has the English's paragraphs: its whole text is one field
    whole = [f for f in fresh["fields"] if f["key"] == "body"]
    assert whole and whole[0]["english"].startswith("A new first paragraph.\n\n")
    assert whole[0]["text"].startswith("Piszemy do wszystkich")


# -- the translation's own record: reviewed by a native speaker, matches the English now -------

def check_ids(answer: dict[str, Any]) -> set[str]:
    return {f["check_id"] for f in answer["findings"]}


def mailer_check_ids(workspace: Path, tag: str) -> set[str]:
    import json

    from tests.conftest import run_mailer

    report = json.loads(run_mailer("check", SNIPPET, "--json", cwd=workspace).stdout)
    found = next(t for t in report["translations"] if t["language"] == tag)
    return {f["id"] for f in found["findings"]}


def test_a_native_speakers_review_is_saved_as_one_line_and_clears_l6(
        server: EditorServer, workspace: Path) -> None:
    path = translation_path(workspace, "pl")
    before = path.read_text(encoding="utf-8")
    doc = tdoc(server, "pl")
    assert doc["review"]["reviewed"] is False and doc["review"]["reviewed_by"] == ""
    token = page_token(server)
    status, answer = request(server, "POST", "/api/draft", {
        "token": token, "language": "pl", "texts": texts(doc)})
    assert status == 200 and "L6" in check_ids(answer)
    l6 = next(f for f in answer["findings"] if f["check_id"] == "L6")
    assert "tick \u201cA native speaker has read this translation\u201d" in l6["message"]
    assert "native_speaker_reviewed" not in l6["message"]  # no YAML for the office manager
    # ticked in the page: the checks in the preview no longer ask for a review
    review = {"reviewed": True, "reviewed_by": ""}
    status, answer = request(server, "POST", "/api/draft", {
        "token": token, "language": "pl", "texts": texts(doc), "review": review})
    assert status == 200 and "L6" not in check_ids(answer)
    assert answer["language"] == "Polish"
    assert path.read_text(encoding="utf-8") == before  # a draft writes nothing
    status, saved = request(server, "POST", "/api/save", {
        "token": token, "language": "pl", "texts": texts(doc), "path": doc["path"],
        "sha": doc["sha"], "review": review})
    assert status == 200, saved
    assert saved["review"]["reviewed"] is True
    after = path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == ["-  native_speaker_reviewed: no",
                                            "+  native_speaker_reviewed: yes"]
    assert load_snippet(path).translation.native_speaker_reviewed is True
    assert "L6" not in mailer_check_ids(workspace, "pl")
    # their name, added later, is one more line in the same section
    review["reviewed_by"] = "Agnieszka Kowalska"
    status, saved = request(server, "POST", "/api/save", {
        "token": token, "language": "pl", "texts": texts(doc), "path": doc["path"],
        "sha": saved["sha"], "review": review})
    assert status == 200, saved
    assert changed_lines(after, path.read_text(encoding="utf-8")) == [
        "+  reviewed_by: Agnieszka Kowalska"]
    assert tdoc(server, "pl")["review"]["reviewed_by"] == "Agnieszka Kowalska"


def test_a_new_translation_can_be_saved_as_reviewed(server: EditorServer,
                                                    workspace: Path) -> None:
    status, doc = request(server, "POST", "/api/language", {"token": page_token(server),
                                                            "language": "French"})
    assert status == 200, doc
    body = texts(doc)
    body["title"] = "Le chat vidéo et la sécurité de votre enfant"
    status, saved = request(server, "POST", "/api/save", {
        "token": page_token(server), "language": "fr", "texts": body, "path": doc["path"],
        "sha": None, "review": {"reviewed": True, "reviewed_by": "Claire Martin"}})
    assert status == 200, saved
    info = load_snippet(translation_path(workspace, "fr")).translation
    assert info.native_speaker_reviewed and info.reviewed_by == "Claire Martin"
    assert info.from_english == english_digest(load_snippet(snippet_path(workspace)))


def test_matching_the_english_now_is_saved_only_when_asked_and_clears_l5(
        server: EditorServer, workspace: Path) -> None:
    path = translation_path(workspace, "pl")
    old = "0123456789ab"  # made from an English that has changed since
    write(path, path.read_text(encoding="utf-8").replace(
        "translation:\n", f"translation:\n  from_english: {old}\n", 1))
    before = path.read_text(encoding="utf-8")
    doc = tdoc(server, "pl")
    assert doc["review"]["english_changed"] is True
    token = page_token(server)
    status, answer = request(server, "POST", "/api/draft", {
        "token": token, "language": "pl", "texts": texts(doc)})
    assert status == 200 and "L5" in check_ids(answer)
    l5 = next(f for f in answer["findings"] if f["check_id"] == "L5")
    assert "tick \u201cit says what the English says now\u201d" in l5["message"]
    # an ordinary save (a title corrected) leaves the marker alone: L5 stays
    body = texts(doc)
    body["title"] = "Czat wideo i bezpieczeństwo dziecka"
    status, saved = request(server, "POST", "/api/save", {
        "token": token, "language": "pl", "texts": body, "path": doc["path"],
        "sha": doc["sha"]})
    assert status == 200, saved
    assert saved["review"]["english_changed"] is True
    after = path.read_text(encoding="utf-8")
    assert f"  from_english: {old}\n" in after and "L5" in mailer_check_ids(workspace, "pl")
    # the person went through it against the English and says so
    review = {"matches_english": True}
    status, answer = request(server, "POST", "/api/draft", {
        "token": token, "language": "pl", "texts": body, "review": review})
    assert status == 200 and "L5" not in check_ids(answer)
    status, saved = request(server, "POST", "/api/save", {
        "token": token, "language": "pl", "texts": body, "path": doc["path"],
        "sha": saved["sha"], "review": review})
    assert status == 200, saved
    digest = english_digest(load_snippet(snippet_path(workspace)))
    assert changed_lines(after, path.read_text(encoding="utf-8")) == [
        f"-  from_english: {old}", f"+  from_english: {digest}"]
    assert saved["review"]["english_changed"] is False
    assert "L5" not in mailer_check_ids(workspace, "pl")
    assert before != after


@pytest.mark.parametrize("review", ["yes", {"reviewed": "yes"}, {"matches_english": 1},
                                    {"reviewed_by": ["x"]}])
def test_a_review_not_in_the_pages_format_is_refused(server: EditorServer, workspace: Path,
                                                     review: Any) -> None:
    doc = tdoc(server, "pl")
    before = translation_path(workspace, "pl").read_bytes()
    status, answer = request(server, "POST", "/api/save", {
        "token": page_token(server), "language": "pl", "texts": texts(doc),
        "path": doc["path"], "sha": doc["sha"], "review": review})
    assert status == 400, answer
    assert translation_path(workspace, "pl").read_bytes() == before
