"""Parents' languages: list cells to BCP 47 tags, the list's language column, catalogs,
rendering per language (fixed words, greeting, lang/dir, right-to-left isolation)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import html as lxml_html

from mailer.i18n import (
    NAMED_GREETING,
    PLURAL_GREETING,
    UNTRANSLATED_NOTE,
    catalog_files,
    load_catalog,
)
from mailer.jobs import render_language
from mailer.languages import best_match, direction, parse_language
from mailer.lists import read_list
from mailer.render import render
from mailer.snippets import list_snippets, list_translations, load_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO, run_mailer

SNIPPET = "online-safety-webcams"
#: The languages the issue asks catalogs for.
REQUIRED_CATALOGS = ("pl", "ur", "ar", "ro", "pa", "bn", "pt", "es", "so", "lt", "uk", "cy")


# --- cells to tags --------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "tag"), [
    ("Polish", "pl"), ("polish", "pl"), ("POLISH ", "pl"), ("Urdu", "ur"),
    ("Portuguese (Brazil)", "pt-BR"), ("Panjabi", "pa"), ("Punjabi", "pa"), ("pl", "pl"),
    ("ur", "ur"), ("pt-BR", "pt-BR"), ("pt_BR", "pt-BR"), ("POL", "pl"), ("ara", "ar"),
    ("polski", "pl"), ("العربية", "ar"), ("Panjabi (Shahmukhi)", "pa-Arab"),
    ("Kurdish (Sorani)", "ckb"), ("Farsi", "fa"), ("Welsh", "cy"), ("Somali", "so"),
    ("English", "en"), ("ENB", "en"), ("Bengali", "bn"), ("BNG", "bn"),
    ("Portuguese (Portugal)", "pt-PT"), ("Chinese (Cantonese)", "yue"),
])
def test_names_and_codes_map_to_bcp47_tags(cell: str, tag: str) -> None:
    found = parse_language(cell)
    assert found.known and found.tag == tag


@pytest.mark.parametrize("cell", ["", "Not known", "Refused", "Other", "OTB", "n/a"])
def test_not_stated_is_no_language_and_no_mistake(cell: str) -> None:
    assert parse_language(cell).tag == "" and parse_language(cell).known


@pytest.mark.parametrize("cell", ["Gibberishish", "xx", "zz-QQ", "12", "Yes"])
def test_unmappable_values_are_not_known(cell: str) -> None:
    assert parse_language(cell).tag == "" and not parse_language(cell).known


@pytest.mark.parametrize("tag", ["ar", "ur", "fa", "he", "ps", "ckb", "pa-Arab", "pa-PK",
                                 "yi", "dv"])
def test_right_to_left_languages(tag: str) -> None:
    assert direction(tag) == "rtl"


@pytest.mark.parametrize("tag", ["en", "pl", "pa", "ro", "so", "uk", "bn", "tr", "ku"])
def test_left_to_right_languages(tag: str) -> None:
    assert direction(tag) == "ltr"


def test_matching_takes_a_regional_variant_but_never_another_script() -> None:
    assert best_match("pt-BR", ["pl", "pt"]) == "pt"
    assert best_match("pt", ["pt-BR"]) == "pt-BR"
    assert best_match("pa-Arab", ["pa"]) is None  # Shahmukhi readers cannot read Gurmukhi
    assert best_match("ar-EG", ["ar"]) == "ar"
    assert best_match("ro", ["pl", "ar"]) is None


# --- the list's language column ---------------------------------------------------------------

LIST = """\
Pupil Forename,Pupil Surname,Contact Title,Contact Forename,Contact Surname,Email,{column}
Maja,Kowalska,Mrs,Agnieszka,Kowalska,a.kowalska@example.com,Polish
Zara,Ahmed,Mrs,Fatima,Ahmed,fatima.ahmed@example.com,ar
Leo,Souza,Mr,Joao,Souza,joao@example.com,Portuguese (Brazil)
Ben,Singh,Mr,Dev,Singh,dev@example.com,Panjabi
Amy,Khan,Mrs,Sadia,Khan,sadia@example.com,ur
Tom,Lee,Mr,Sam,Lee,sam@example.com,
Ann,Bee,Ms,Ann,Bee,ann@example.com,Martian
Ann,Bee,Mr,Bob,Bee,bob@example.com,Mars talk
"""


@pytest.mark.parametrize("column", ["Language", "Home Language", "First Language",
                                    "Preferred Language", "Contact Language"])
def test_every_mis_language_column_is_read(tmp_path: Path, column: str) -> None:
    path = tmp_path / "parents.csv"
    path.write_text(LIST.format(column=column))
    report = read_list(path)
    assert report.column_map is not None
    assert report.column_map.field_columns()["language"] == [column]
    assert [r.language for r in report.recipients] == [
        "pl", "ar", "pt-BR", "pa", "ur", "", "", ""]
    assert report.unknown_languages == [(8, "Martian"), (9, "Mars talk")]
    assert report.languages() == {"": 3, "ar": 1, "pa": 1, "pl": 1, "pt-BR": 1, "ur": 1}


def test_lists_check_reports_unmappable_languages_with_their_lines(workspace: Path) -> None:
    (workspace / "lists" / "langs.csv").write_text(LIST.format(column="Home Language"))
    result = run_mailer("lists", "check", "lists/langs.csv", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "language 'Home Language'" in result.stdout
    assert ("Languages: not given 3, Arabic 1, Punjabi 1, Polish 1, Portuguese (Brazil) 1, "
            "Urdu 1.") in result.stdout
    assert "line(s) 8: the language 'Martian' is not one mailer knows" in result.stdout
    assert "line(s) 9: the language 'Mars talk' is not one mailer knows" in result.stdout
    data = json.loads(run_mailer("lists", "check", "lists/langs.csv", "--json",
                                 cwd=workspace).stdout)
    assert data["columns"]["language"] == ["Home Language"]
    assert data["unknown_languages"] == [{"line": 8, "value": "Martian"},
                                         {"line": 9, "value": "Mars talk"}]
    assert data["languages"]["pt-BR"] == 1


def test_lists_columns_names_the_language_column(workspace: Path) -> None:
    (workspace / "lists" / "langs.csv").write_text(LIST.format(column="Langue parlée"))
    config = workspace / "mailer.yaml"
    config.write_text(config.read_text()
                      + "lists:\n  columns:\n    language: [\"Langue parlée\"]\n")
    data = json.loads(run_mailer("lists", "check", "lists/langs.csv", "--json",
                                 cwd=workspace).stdout)
    assert data["columns"]["language"] == ["Langue parlée"]
    assert data["languages"]["pl"] == 1


def test_the_demo_list_has_a_language_column() -> None:
    report = read_list(REPO / "lists" / "example-parents.csv")
    tags = {r.language for r in report.recipients}
    assert {"pl", "ar"} <= tags and report.unknown_languages == []


# --- catalogs --------------------------------------------------------------------------------

def test_catalogs_ship_for_the_languages_of_english_and_welsh_schools() -> None:
    files = catalog_files([REPO / "templates"])
    assert set(REQUIRED_CATALOGS) <= set(files)
    template = read_po((REPO / "templates" / "locale" / "mailer.pot").open("rb"))
    wanted = {(m.context, m.id) for m in template if m.id}
    for tag in REQUIRED_CATALOGS:
        text = files[tag].read_text(encoding="utf-8")
        assert re.search(r'^"X-Native-Speaker-Reviewed: (yes|no)\\n"$', text, re.M), tag
        catalog = read_po(files[tag].open("rb"))
        have = {(m.context, m.id) for m in catalog if m.id}
        assert have == wanted, tag
        loaded = load_catalog(tag, [REPO / "templates"])
        assert loaded is not None and not loaded.reviewed
        # Every word is translated but the named greeting, which is optional.
        assert set(loaded.untranslated) <= {NAMED_GREETING}, tag
        assert loaded.has(PLURAL_GREETING, "greeting") and loaded.has(UNTRANSLATED_NOTE)


def test_templates_use_only_the_catalogs_messages() -> None:
    """Every message the templates ask for is in the catalog template (mailer.pot), so a
    translator sees them all (Babel's Jinja2 extractor)."""
    from babel.messages.extract import extract_from_dir

    found = {(ctx, msg if isinstance(msg, str) else msg[0]) for *_, msg, _c, ctx in
             extract_from_dir(str(REPO / "templates"), method_map=[
                 ("**.html", "jinja2"), ("**.txt", "jinja2")],
                 options_map={"**": {"extensions": "jinja2.ext.i18n",
                                     "trim_blocks": "true", "lstrip_blocks": "true"}})}
    template = read_po((REPO / "templates" / "locale" / "mailer.pot").open("rb"))
    wanted = {(m.context, m.id) for m in template if m.id}
    assert found - {(None, PLURAL_GREETING)} <= wanted
    assert found >= {("greeting", "%(greeting)s,"), (None, "Who to contact")}


# --- rendering per language ------------------------------------------------------------------

def test_polish_rendering_has_polish_words_greeting_and_lang() -> None:
    ws = Workspace(REPO)
    rendered = render_language(ws, SNIPPET, "pl")
    assert rendered.language == "pl" and rendered.direction == "ltr"
    html, text = rendered.personalise(rendered.preview_fields())
    doc = lxml_html.document_fromstring(html)
    assert doc.get("lang") == "pl" and doc.get("dir") == "ltr"
    assert "Z kim się kontaktować" in [h.text_content() for h in doc.iter("h2")]
    assert "Szanowni Rodzice i Opiekunowie," in html
    assert "Z kim się kontaktować\n---------------------" in text
    assert "12 maja 2015" in html  # the date as Polish writes it
    assert rendered.subject.startswith("Bezpieczeństwo w internecie")


def test_greetings_name_a_parent_only_where_the_catalog_knows_how(tmp_path: Path) -> None:
    ws = Workspace(REPO)
    english = load_snippet(REPO / "snippets" / f"{SNIPPET}.yaml")
    fields = {"greeting": "Dear Mrs Khan", "addressee": "Mrs Khan", "email": "a@b.c",
              "name": "", "title": "", "forename": "", "surname": "", "children": "",
              "children_details": ""}
    welsh = render(_as(english, "cy", tmp_path), ws.config, ws.template_dirs)
    assert ">Annwyl Mrs Khan,</p>" in welsh.personalise(fields)[0]
    assert ">Annwyl rieni a gofalwyr,</p>" in welsh.personalise(
        {**fields, "addressee": ""})[0]
    polish = render_language(ws, SNIPPET, "pl")
    assert ">Szanowni Rodzice i Opiekunowie,</p>" in polish.personalise(fields)[0]
    arabic = render_language(ws, SNIPPET, "ar")
    html, text = arabic.personalise(fields)
    assert ">أولياء الأمور ومقدمو الرعاية الأعزاء،</p>" in html  # Arabic comma, RTL side
    assert "أولياء الأمور ومقدمو الرعاية الأعزاء،\n" in text
    assert "Dear" not in text and ",Dear" not in html
    english_rendered = render_language(ws, SNIPPET, "")
    assert ">Dear Mrs Khan,</p>" in english_rendered.personalise(fields)[0]


def _as(english, tag: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The English snippet saved as a translation into ``tag`` (its words unchanged)."""
    source = english.path.read_text(encoding="utf-8").replace("language: en", f"language: {tag}")
    path = tmp_path / f"{english.id}.{tag}.yaml"
    path.write_text(source, encoding="utf-8")
    return load_snippet(path)


def test_arabic_is_right_to_left_with_english_kept_in_order() -> None:
    rendered = render_language(Workspace(REPO), SNIPPET, "ar")
    html, text = rendered.personalise(rendered.preview_fields())
    doc = lxml_html.document_fromstring(html)
    assert doc.get("lang") == "ar" and doc.get("dir") == "rtl"
    assert doc.find("body/div").get("dir") == "rtl"
    spans = {s.text_content(): s.get("dir") for s in doc.iter("span") if s.get("dir")}
    for english in ("01632 960123", "safeguarding@hollybank.example.sch.uk",
                    "Hollybank Primary School", "Ms Priya Example"):
        assert spans.get(english) == "ltr", english
    block = lxml_html.fragment_fromstring(rendered.block)
    assert block.get("dir") == "rtl" and block.get("lang") == "ar"
    # Plain text: English runs in Unicode isolates (LRI ... PDI); a URL or address ends its
    # line with no PDI a link finder could take into the link.
    assert "الهاتف: \u206601632\u00a0960123\u2069" in text
    assert "البريد الإلكتروني: \u2066safeguarding@hollybank.example.sch.uk\n" in text
    assert "\u2066https://www.thinkuknow.co.uk/\n" in text
    assert "\u2066Hollybank\u00a0Primary\u00a0School\u2069" in text


def test_english_message_with_a_line_in_the_parents_language() -> None:
    ws = Workspace(REPO)
    english = load_snippet(REPO / "snippets" / f"{SNIPPET}.yaml")
    rendered = render(english, ws.config, ws.template_dirs, note_language="ur")
    assert rendered.language == "en-GB" and rendered.note_language == "ur"
    html, text = rendered.personalise(rendered.preview_fields())
    doc = lxml_html.document_fromstring(html)
    note = next(p for p in doc.iter("p") if p.get("lang") == "ur")
    assert note.get("dir") == "rtl"
    assert "بچے کی حفاظت" in note.text_content() and "01632 960123" in note.text_content()
    # At the top: before the title in the HTML; in the text part just under the title,
    # which comes first there (checklist T1).
    assert html.index('lang="ur"') < html.index("<h1")
    assert text.index("بچے کی حفاظت") < text.index("Parents and carers, 12 May 2015")
    plain = render(english, ws.config, ws.template_dirs)
    assert 'lang="ur"' not in plain.personalise(plain.preview_fields())[0]


def test_translations_are_not_snippets_of_their_own() -> None:
    assert SNIPPET in list_snippets([REPO / "snippets"])
    assert not any("." in name for name in list_snippets([REPO / "snippets"]))
    assert set(list_translations(SNIPPET, [REPO / "snippets"])) >= {"pl", "ar"}


def test_demo_translations_keep_every_link_and_seed_fact() -> None:
    english = load_snippet(REPO / "snippets" / f"{SNIPPET}.yaml")
    for tag in ("pl", "ar"):
        translated = load_snippet(REPO / "snippets" / f"{SNIPPET}.{tag}.yaml")
        assert translated.language == tag and translated.id == SNIPPET
        assert [link.url for link in translated.all_links()] == [
            link.url for link in english.all_links()]
        assert translated.call_to_action.url == english.call_to_action.url  # type: ignore[union-attr]
        assert translated.translation is not None
        assert translated.translation.native_speaker_reviewed is False
        body = translated.body
        for fact in ("Internet Watch Foundation", "Skype", "FaceTime", "ooVoo", "CEOP", "999",
                     "Kent"):
            assert fact in body, (tag, fact)
        assert ("7" in body or "siedmiu" in body or "سبع" in body)


def test_a_translation_file_must_agree_with_its_language(tmp_path: Path) -> None:
    from mailer.errors import SnippetError

    source = (REPO / "snippets" / f"{SNIPPET}.pl.yaml").read_text(encoding="utf-8")
    path = tmp_path / f"{SNIPPET}.ro.yaml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(SnippetError, match="file name says its language is 'ro'"):
        load_snippet(path)


# --- the preview's language switch -----------------------------------------------------------

def test_preview_switches_language_and_shows_each_parent_theirs(workspace: Path) -> None:
    from tests.preview_helpers import raw_get, running_preview

    with running_preview(workspace, "lists/example-parents.csv") as server:
        server.session.rebuild()
        status, body, _ = raw_get(server.port, "/api/state")
        state = json.loads(body)
        assert status == 200
        assert [(lang["tag"], lang["name"], lang["dir"]) for lang in state["languages"]] == [
            ("en", "English", "ltr"), ("ar", "Arabic", "rtl"), ("pl", "Polish", "ltr")]
        assert not any(lang["native_speaker_reviewed"] for lang in state["languages"][1:])
        labels = {r["label"]: r["index"] for r in state["recipients"]}
        kowalska = next(i for label, i in labels.items() if "Kowalska" in label)
        khan = next(i for label, i in labels.items() if "Sadia" in label)

        def email(query: str) -> str:
            status, page, _ = raw_get(server.port, f"/view/email?{query}")
            assert status == 200, query
            return page.decode("utf-8")
        assert '<html lang="pl"' in email(f"r={kowalska}")  # as sent: her language
        assert '<html lang="en-GB"' in email(f"r={kowalska}&lang=en")
        arabic = email(f"r={kowalska}&lang=ar")
        assert '<html lang="ar" dir="rtl"' in arabic
        assert '<html lang="en-GB"' in email(f"r={khan}")  # Urdu: no translation, English
        assert '<html lang="en-GB"' in email("r=-1")
        status, text, _ = raw_get(server.port, "/view/text?r=-1&lang=pl")
        assert "Szanowni Rodzice i Opiekunowie," in text.decode("utf-8")
        status, block, _ = raw_get(server.port, "/copy/block.html?lang=ar")
        assert 'dir="rtl"' in block.decode("utf-8")
        assert raw_get(server.port, "/view/email?lang=xx")[0] == 404


def test_wide_exports_give_each_contact_their_language(tmp_path: Path) -> None:
    shared = tmp_path / "shared.csv"
    shared.write_text("Pupil Name,Home Language,Contact 1 Email,Contact 2 Email\n"
                      "Amy Khan,Urdu,a@example.com,b@example.com\n")
    assert [r.language for r in read_list(shared).recipients] == ["ur", "ur"]
    own = tmp_path / "own.csv"
    own.write_text("Pupil Name,Contact 1 Email,Contact 1 Language,Contact 2 Email,"
                   "Contact 2 Language\nAmy Khan,a@example.com,Polish,b@example.com,ar\n")
    assert [r.language for r in read_list(own).recipients] == ["pl", "ar"]
