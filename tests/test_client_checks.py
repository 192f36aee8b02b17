"""Checklist E23-E27, H11 and T7 without a browser, each with a breaking and a passing case,
and the template fixes of issue 12 (each test fails on the templates as they were: link
resets with !important, lists with padding, no mso-line-height-rule or table resets, 32 px
inline padding, dark rules beside the width queries, lang="en", no Content-Language, "--",
PDF links without "(PDF)", telephone numbers that wrap, links without a font).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
import yaml
from lxml import html as lxml_html

from mailer import simulate
from mailer.checks import block_rules as br
from mailer.checks import check_snippet, compose_sample
from mailer.checks import client_rules as cr
from mailer.checks import header_rules as hr
from mailer.checks import text_rules as tr
from mailer.checks.model import Inputs
from mailer.config import load_config
from mailer.errors import ConfigError
from mailer.jobs import render_snippet
from mailer.linktext import label_pdf_links, link_label
from mailer.workspace import Workspace
from tests.conftest import REPO

DEMO = "online-safety-webcams"
OLD_RESETS = (
    "u + #body a { color: inherit !important; text-decoration: none !important; }\n"
    "#MessageViewBody a { color: inherit !important; text-decoration: none !important; }\n")


def ids(findings):
    return [(f.id, f.severity) for f in findings]


def only(findings, rule_id: str):
    return [f for f in findings if f.id == rule_id]


def edit(ws: Path, relative: str, old: str, new: str) -> None:
    path = ws / relative
    text = path.read_text()
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def demo():
    ws = Workspace(REPO)
    rendered = render_snippet(ws, DEMO)
    html, text = rendered.personalise(rendered.preview_fields())
    return rendered, ws.config, html, text, compose_sample(rendered, ws.config)


def inputs(demo, **changes) -> Inputs:
    rendered, config, html, text, sample = demo
    values = {"html": html, "block": rendered.block, "text": text, "message": sample,
              "snippet": rendered.snippet, "config": config, **changes}
    return Inputs(**values)


# --- E23: link resets ----------------------------------------------------------------------

def test_shipped_templates_have_no_link_reset(demo) -> None:
    assert cr.e23_link_resets(inputs(demo)) == []


def test_old_link_reset_is_an_error_from_mailer_check(workspace: Path) -> None:
    """mailer check on the templates as they were reports both resets as errors."""
    edit(workspace, "templates/partials/client-fixes.css",
         ".button-link:hover", OLD_RESETS + ".button-link:hover")
    found = only(check_snippet(Workspace(workspace), DEMO).findings, "E23")
    assert ids(found) == [("E23", "error"), ("E23", "error")]
    assert found[0].element.startswith("u + #body a {") and "Gmail" in found[0].message
    assert found[1].element.startswith("#MessageViewBody a {")
    assert "Samsung Email" in found[1].message


def test_reset_of_a_fixed_colour_or_without_important_is_not_e23(demo) -> None:
    html = demo[2]
    for rule in ("u + #body a { color: inherit; text-decoration: none; }",
                 "u + #body a { color: #1d4f91 !important; }",
                 "a[x-apple-data-detectors] { color: inherit !important; }"):
        changed = html.replace("</head>", f"<style>{rule}</style></head>")
        assert cr.e23_link_resets(inputs(demo, html=changed)) == [], rule


@pytest.mark.parametrize("rule", [
    "div#MessageViewBody a:link { text-decoration: none !important; }",
    "u + #body a:visited, u + #body a:link { color: inherit !important; }",
    "#MessageViewBody a:any-link { color: inherit !important; }",
])
def test_a_reset_written_with_link_or_visited_is_e23(demo, rule: str) -> None:
    # :link / :visited match every link with an address (one or the other), so the rule
    # resets our links as surely as without them; lxml cannot evaluate them, and the rule
    # was passed over.
    changed = demo[2].replace("</head>", f"<style>{rule}</style></head>")
    found = cr.e23_link_resets(inputs(demo, html=changed))
    assert found and {f.id for f in found} == {"E23"}, rule


def test_a_hover_only_reset_is_not_e23(demo) -> None:
    changed = demo[2].replace(
        "</head>", "<style>u + #body a:hover { text-decoration: none !important; }</style></head>")
    assert cr.e23_link_resets(inputs(demo, html=changed)) == []


def test_the_simulations_wrap_the_body_as_the_clients_do(demo) -> None:
    html = demo[2]
    gmail = lxml_html.document_fromstring(simulate.gmail_google(html))
    u = gmail.find("body/u")
    assert u is not None and u.getnext().get("id") == "body"
    assert gmail.find("head/style") is not None
    assert "@media (prefers-color-scheme" in html
    assert "@media (prefers-color-scheme" not in simulate.gmail_google(html)
    plain = simulate.gmail_non_google(html)
    assert "<style" not in plain and ' class="' not in plain and ' id="' not in plain
    samsung = lxml_html.document_fromstring(simulate.samsung(html))
    assert samsung.find("body/div").get("id") == "MessageViewBody"
    dark = simulate.outlook_com_dark(html)
    assert 'data-ogsc="#1f2937"' in dark and 'data-ogsb="#ffffff"' in dark


# --- E24: Outlook for Windows ---------------------------------------------------------------

def test_shipped_email_and_block_keep_e24(demo) -> None:
    assert cr.e24_outlook_windows(inputs(demo)) == []


@pytest.mark.parametrize(("old", "new", "says"), [
    ("margin: 0 0 16px 0; margin-{{ align }}: 24px; padding: 0;",
     "margin: 0 0 16px 0; padding: 0; padding-{{ align }}: 24px;", "indented with padding"),
    ("line-height: 24px;\n  mso-line-height-rule: exactly; color: #1f2937;",
     "line-height: 24px;\n  color: #1f2937;", "mso-line-height-rule"),
    ("table { mso-table-lspace: 0pt; mso-table-rspace: 0pt; }", "", "mso-table-lspace"),
])
def test_e24_breaks(workspace: Path, old: str, new: str, says: str) -> None:
    edit(workspace, "templates/partials/styles.css", old, new)
    found = only(check_snippet(Workspace(workspace), DEMO).findings, "E24")
    assert found and all(f.severity == "error" for f in found)
    assert any(says in f.message for f in found), found


def test_e24_outlook_only_table_and_button_padding(demo) -> None:
    html = demo[2]
    bare = html.replace(' mso-table-lspace:0pt; mso-table-rspace:0pt;"><tr><td style="padding:0;">',
                        '"><tr><td style="padding:0;">')
    assert bare != html
    assert any("Outlook-only" in f.message for f in cr.e24_outlook_windows(inputs(demo, html=bare)))
    no_alt = html.replace("mso-padding-alt:12px 24px", "")
    assert no_alt != html
    found = cr.e24_outlook_windows(inputs(demo, html=no_alt))
    assert any("mso-padding-alt" in f.message for f in found)


SNIPPETS = sorted(p.stem for p in (REPO / "snippets").glob("*.yaml"))


@pytest.mark.parametrize("name", [*SNIPPETS, str(REPO / "tests/data/rtl-arabic.yaml")])
def test_outlook_for_windows_static_checks_on_every_shipped_output(name: str) -> None:
    rendered = render_snippet(Workspace(REPO), name)
    html, _ = rendered.personalise(rendered.preview_fields())
    assert simulate.outlook_windows(html) == []
    assert simulate.outlook_windows(rendered.block, block=True) == []
    # and it does find a list indented with padding
    padded = re.sub(r'(<ul [^>]*style="[^"]*)padding:0', r"\1padding:0 0 0 24px", html, count=1)
    assert padded != html
    assert any(line.startswith("E24 <ul") for line in simulate.outlook_windows(padded))


# --- E25: the phone's column without <style> ------------------------------------------------

def test_e25_keeps_with_inline_phone_padding(demo) -> None:
    assert cr.e25_phone_column(inputs(demo)) == []
    td = next(el for el in lxml_html.document_fromstring(demo[2]).iter("td")
              if el.get("class") == "pad text wrap-words")
    assert "padding:24px 16px" in td.get("style").replace(": ", ":")
    assert "mso-padding-alt:24px 32px" in td.get("style").replace(": ", ":")


def test_e25_breaks_with_desktop_padding_inline(workspace: Path) -> None:
    edit(workspace, "templates/partials/styles.css",
         ".pad { padding: 24px 16px;", ".pad { padding: 24px 32px;")
    (found,) = only(check_snippet(Workspace(workspace), DEMO).findings, "E25")
    assert found.severity == "error" and "256px" in found.message


# --- E26: Outlook.com dark mode, dark rules apart ------------------------------------------

def test_e26_keeps(demo) -> None:
    assert cr.e26_outlook_com_dark(inputs(demo)) == []


def test_e26_breaks_when_dark_rules_share_the_width_block(workspace: Path) -> None:
    dark = (workspace / "templates/partials/dark.css").read_text()
    media = dark[dark.index("@media"):dark.index("\n[data-ogsb]")]
    edit(workspace, "templates/partials/dark.css", media, "")
    styles = workspace / "templates/partials/styles.css"
    styles.write_text(styles.read_text() + "\n" + media)
    found = only(check_snippet(Workspace(workspace), DEMO).findings, "E26")
    assert ids(found) == [("E26", "error")] and "of their own" in found[0].message


def test_e26_breaks_without_outlook_com_rules(workspace: Path) -> None:
    dark = (workspace / "templates/partials/dark.css").read_text()
    edit(workspace, "templates/partials/dark.css", dark[dark.index("\n[data-ogsb]"):], "")
    found = only(check_snippet(Workspace(workspace), DEMO).findings, "E26")
    assert {f.element for f in found} == {"<head>"} and len(found) == 2
    assert "[data-ogsc]" in found[0].message and "[data-ogsb]" in found[1].message


# --- E27: lang and Content-Language --------------------------------------------------------

def test_e27_full_tag_and_content_language(demo) -> None:
    rendered, _, html, _, sample = demo
    assert rendered.language == "en-GB"
    assert lxml_html.document_fromstring(html).get("lang") == "en-GB"
    assert b"\r\nContent-Language: en-GB\r\n" in sample
    assert cr.e27_language(inputs(demo)) == []


def test_e27_breaks(demo) -> None:
    html, sample = demo[2], demo[4]
    short = html.replace('<html lang="en-GB"', '<html lang="en"', 1)
    assert ids(cr.e27_language(inputs(demo, html=short))) == [("E27", "error")]
    bare = sample.replace(b"Content-Language: en-GB\r\n", b"")
    (found,) = cr.e27_language(inputs(demo, message=bare))
    assert found.element == "Content-Language: (missing)"


def test_language_comes_from_the_organisation(workspace: Path) -> None:
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text())
    cfg["organisation"]["language"] = "en-IE"
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    rendered = render_snippet(Workspace(workspace), DEMO)
    assert rendered.language == "en-IE" and '<html lang="en-IE"' in rendered.html
    assert 'lang="en-IE"' in rendered.block
    arabic = render_snippet(Workspace(workspace), str(REPO / "tests/data/rtl-arabic.yaml"))
    assert arabic.language == "ar"


def test_bad_organisation_language_names_the_line(workspace: Path) -> None:
    path = workspace / "mailer.yaml"
    path.write_text(path.read_text().replace("language: en-GB", "language: English"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.line == 4 and "organisation.language" in str(caught.value)


@pytest.mark.parametrize("written", ["en-UK", "en-uk", "cy-UK"])
def test_uk_for_the_country_is_refused_with_gb(workspace: Path, written: str) -> None:
    # "UK" is not a country code in language tags (ISO 3166 says GB): lang="en-UK" went
    # into every email, unknown to screen readers' voices.
    path = workspace / "mailer.yaml"
    path.write_text(path.read_text().replace("language: en-GB", f"language: {written}"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lang = written.split("-")[0]
    assert caught.value.line == 4 and f"{lang}-GB" in str(caught.value)


def test_organisation_language_is_written_in_its_usual_case(workspace: Path) -> None:
    path = workspace / "mailer.yaml"
    path.write_text(path.read_text().replace("language: en-GB", "language: EN-gb"))
    assert load_config(path).organisation.language == "en-GB"


# --- H11: header folding -------------------------------------------------------------------

LONG_SUBJECT = "Sécurité en ligne : le chat vidéo, les webcams et la sécurité de votre enfant"
LONG_NAME = "Łucja Żółkiewska-Brzęczyszczykiewicz Łódź Śląsk Źdźbło"


def test_h11_keeps_a_message_folded_by_the_email_package() -> None:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{LONG_NAME} <office@example.org>"
    msg["Subject"] = LONG_SUBJECT
    msg.set_content("x")
    data = msg.as_bytes()
    assert b"=?utf-8?" in data
    assert hr.h11_folding(Inputs(message=data)) == []


def test_h11_breaks_on_a_long_encoded_word_and_an_unfolded_line() -> None:
    msg = EmailMessage(policy=SMTP.clone(max_line_length=998))
    msg["Subject"] = LONG_SUBJECT
    msg["From"] = f"{LONG_NAME} <office@example.org>"
    msg.set_content("x")
    found = hr.h11_folding(Inputs(message=msg.as_bytes()))
    words = [f for f in found if "encoded word" in f.message]
    assert words and all(f.severity == "error" for f in words)
    assert {"Subject", "From"} <= {f.message.split(" header")[0].split()[-1] for f in words}
    lines = [f for f in found if "not folded" in f.message]
    assert lines and all(f.severity == "warning" for f in lines)


def test_h11_line_over_998_is_an_error_and_one_token_is_not_foldable() -> None:
    long = b"X-Long: " + b"a " * 500 + b"\r\n"
    token = b"List-Unsubscribe: <https://example.org/" + b"u" * 60 + b">\r\n"
    found = hr.h11_folding(Inputs(message=long + token + b"\r\nbody\r\n"))
    assert ids(found) == [("H11", "error")] and "998" in found[0].message


# --- T7: signature separator ---------------------------------------------------------------

def test_t7_signature_separator(demo) -> None:
    text = demo[3]
    assert "\n-- \n" in text
    assert tr.t7_signature(Inputs(text=text)) == []
    broken = text.replace("\n-- \n", "\n--\n")
    assert ids(tr.t7_signature(Inputs(text=broken))) == [("T7", "warning")]


# --- PDF links, telephone numbers, the block's root and links ----------------------------

def test_pdf_links_say_pdf(demo) -> None:
    rendered, _, html, text, _ = demo
    doc = lxml_html.document_fromstring(html)
    pdfs = [a for a in doc.iter("a") if a.get("href", "").endswith(".pdf")]
    assert len(pdfs) == 2 and all(a.text_content().endswith(" (PDF)") for a in pdfs)
    block = lxml_html.fragment_fromstring(rendered.block)
    assert all(a.text_content().endswith(" (PDF)") for a in block.iter("a")
               if a.get("href", "").endswith(".pdf"))
    assert "young people (PDF): https://www.childnet.com/ufiles/Video-chat" in " ".join(
        text.split())
    assert link_label("Advice sheet (PDF)", "https://x.org/a.PDF") == "Advice sheet (PDF)"
    assert link_label("Advice", "https://x.org/a.pdf?v=2#p3") == "Advice (PDF)"
    assert link_label("Advice", "https://x.org/pdf/") == "Advice"
    assert label_pdf_links('<a href="https://x.org/a.pdf">Sheet <strong>one</strong></a>') == (
        '<a href="https://x.org/a.pdf">Sheet <strong>one</strong> (PDF)</a>')


def test_markdown_body_pdf_link_says_pdf(workspace: Path) -> None:
    edit(workspace, f"snippets/{DEMO}.yaml", "  ## Why video chat matters",
         "  Read [the letter](https://example.org/letter.pdf).\n\n  ## Why video chat matters")
    rendered = render_snippet(Workspace(workspace), DEMO)
    assert ">the letter (PDF)</a>" in rendered.html


def test_telephone_link_does_not_wrap(demo) -> None:
    rendered, _, html, _, _ = demo
    for part in (html, rendered.block):
        doc = lxml_html.document_fromstring(part)
        (tel,) = [a for a in doc.iter("a") if a.get("href", "").startswith("tel:")]
        assert "white-space:nowrap" in tel.get("style").replace(" ", "")


def test_block_root_is_a_table_and_links_name_their_font(demo) -> None:
    rendered = demo[0]
    assert rendered.block.startswith("<table")
    assert br.s3_root(inputs(demo)) == [] and br.s4_text_styles(inputs(demo)) == []
    as_div = rendered.block.replace("<table", "<div", 1)
    assert any("<table>" in f.message for f in br.s3_root(inputs(demo, block=as_div)))
    no_font = rendered.block.replace("text-decoration:underline; font-family:Arial, Helvetica, "
                                     "sans-serif", "text-decoration:underline")
    assert no_font != rendered.block
    assert any("font-family" in f.message for f in br.s4_text_styles(inputs(demo, block=no_font)))
