"""``mailer check`` on real renders: the demo passes clean; templates and configuration
that break a checklist line are caught; right-to-left, logo, footer and button render as
the checklist asks."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import yaml
from lxml import html as lxml_html

from mailer.checks import Finding, check_snippet, compose_sample, run_checks
from mailer.jobs import render_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO, run_mailer

RTL_SNIPPET = REPO / "tests" / "data" / "rtl-arabic.yaml"


def edit_config(ws: Path, **organisation: object) -> None:
    cfg = yaml.safe_load((ws / "mailer.yaml").read_text())
    cfg["organisation"].update(organisation)
    (ws / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def email_only(findings: list[Finding]) -> list[Finding]:
    """The findings about the email itself: without R1/R2 (is the advice still true: the
    demo names services that have since closed; see tests/test_advice.py)."""
    return [f for f in findings if not f.id.startswith("R")]


def findings_for(ws: Path, snippet: str = "online-safety-webcams") -> list[Finding]:
    return email_only(check_snippet(Workspace(ws), snippet).findings)


def test_demo_passes_with_no_errors_and_no_warnings() -> None:
    ws = Workspace(REPO)
    rendered = render_snippet(ws, "online-safety-webcams")
    sample = compose_sample(rendered, ws.config)
    assert b"multipart/alternative" in sample
    assert email_only(run_checks(rendered, sample, ws.config)) == []


def test_demo_headers_are_folded() -> None:
    assert email_only(check_snippet(Workspace(REPO), "online-safety-webcams").findings) == []


def test_rtl_headers_are_folded() -> None:
    assert email_only(check_snippet(Workspace(REPO), str(RTL_SNIPPET)).findings) == []


def test_check_command_text_and_json(workspace: Path) -> None:
    result = run_mailer("check", "online-safety-webcams", cwd=workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    # No errors; the demo's Polish and Arabic translations (and their
    # catalogs) are only not yet reviewed by a native speaker.
    assert "0 error(s)" in result.stdout
    assert "Arabic (" in result.stdout and "Polish (" in result.stdout
    result = run_mailer("check", "online-safety-webcams", "--json", cwd=workspace)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["errors"] == 0
    assert {f["id"] for f in report["findings"]} <= {"R1", "R2"}
    assert report["warnings"] == len(report["findings"]) + sum(
        len(t["findings"]) for t in report["translations"])
    assert report["snippet"] == "online-safety-webcams"
    assert [(t["language"], sorted(f["id"] for f in t["findings"] if f["id"] != "H11"))
            for t in report["translations"]] == [("ar", ["L6", "L7"]), ("pl", ["L6", "L7"])]
    for translation in report["translations"]:
        (workspace / "snippets" / f"online-safety-webcams.{translation['language']}.yaml"
         ).unlink()
    result = run_mailer("check", "online-safety-webcams", cwd=workspace)
    assert "0 error(s)" in result.stdout or "no problems found" in result.stdout
    assert "Arabic" not in result.stdout
    # A snippet naming nothing that has closed, reviewed recently (and, above, no
    # translations): no problems at all.
    path = workspace / "snippets" / "online-safety-webcams.yaml"
    text = path.read_text().replace("**Skype, FaceTime, ooVoo**", "**FaceTime**")
    text = text.replace("  - title: Net Aware\n    url: https://www.net-aware.org.uk/\n"
                        "    description: The NSPCC's guide for parents and carers to popular "
                        "social networking apps.\n", "")
    path.write_text(text.replace("reviewed: 2026-11-29", f"reviewed: {date.today()}"))
    result = run_mailer("check", "online-safety-webcams", "--json", cwd=workspace)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["findings"] == []


def test_errors_exit_1_and_name_id_element_and_what_to_do(workspace: Path) -> None:
    edit_config(workspace, brand_colour="#ffcc00")
    result = run_mailer("check", "online-safety-webcams", "--json", cwd=workspace)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["errors"] >= 1
    brand = [f for f in report["findings"] if "brand_colour" in f["element"]]
    assert brand == [{
        "id": "E10", "severity": "error", "element": 'brand_colour: "#ffcc00" (mailer.yaml)',
        "message": brand[0]["message"]}]
    assert "1.51:1" in brand[0]["message"] and "darker" in brand[0]["message"]
    # White text on yellow (header, button) and yellow links on white are caught on the
    # elements too.
    messages = [f["message"] for f in report["findings"] if f["id"] == "E10"]
    assert any("#ffffff on #ffcc00" in m for m in messages)
    assert any("#ffcc00 on #ffffff" in m for m in messages)
    text = check_snippet(Workspace(workspace), "online-safety-webcams").as_text()
    assert "ERROR   E10  brand_colour" in text and "Fix the errors before sending" in text


def test_http_link_is_a_warning_and_exits_0(workspace: Path) -> None:
    path = workspace / "snippets" / "online-safety-webcams.yaml"
    path.write_text(path.read_text().replace("https://www.getsafeonline.org/",
                                             "http://www.getsafeonline.org/"))
    # Only the English here: its translations would now link elsewhere (L1, an error).
    for translation in (workspace / "snippets").glob("online-safety-webcams.*.yaml"):
        translation.unlink()
    report = check_snippet(Workspace(workspace), "online-safety-webcams").as_dict()
    assert report["ok"] is True  # warnings alone: exit status 0
    email = [f for f in report["findings"] if not f["id"].startswith("R")]
    assert report["errors"] == 0
    (finding,) = email
    assert finding["severity"] == "warning" and finding["id"] in ("E9", "S6")
    assert "http://www.getsafeonline.org/" in finding["message"]
    assert "https://" in finding["message"]


def test_missing_dark_override_is_caught(workspace: Path) -> None:
    """Removing one dark-mode rule from the template leaves an inline colour without an
    override: check reports E20 on exactly that element."""
    css = workspace / "templates" / "partials" / "dark.css"
    text = css.read_text()
    line = "  .contact { background-color: #374151 !important; }\n"
    assert line in text
    css.write_text(text.replace(line, ""))
    found = findings_for(workspace)
    (e20,) = [f for f in found if f.id == "E20"]
    assert e20.element == '<td bgcolor="#eef2f7">' and "background-color" in e20.message
    # The light contact box keeps its light background in dark mode, under light text:
    assert {f.id for f in found} == {"E20", "E10"}
    assert all("in dark mode" in f.message for f in found if f.id == "E10")


def test_small_footer_text_is_caught(workspace: Path) -> None:
    css = workspace / "templates" / "partials" / "styles.css"
    text = css.read_text()
    old = "font-family: Arial, Helvetica, sans-serif; font-size: 16px; line-height: 22px;"
    assert text.count(old) == 1
    css.write_text(text.replace(old, old.replace("16px", "13px")))
    found = findings_for(workspace)
    assert {(f.id, f.severity) for f in found} == {("E11", "error")}
    assert "Hollybank Primary School" in found[0].element and "13px" in found[0].message


def test_missing_apple_fix_is_a_warning(workspace: Path) -> None:
    css = workspace / "templates" / "partials" / "client-fixes.css"
    css.write_text(css.read_text().replace("a[x-apple-data-detectors]", "a[x-other]"))
    report = check_snippet(Workspace(workspace), "online-safety-webcams").as_dict()
    assert report["ok"] is True
    assert [(f["id"], f["severity"]) for f in report["findings"]
            if not f["id"].startswith("R")] == [("E22", "warning")]


def test_the_checklist_lines_are_all_met_by_the_templates() -> None:
    """Each template names every checklist line it meets or says why it cannot apply."""
    email = (REPO / "templates" / "email.html").read_text()
    for n in range(1, 28):
        assert re.search(rf"\n\s+E{n}\s", email), f"E{n}"
    assert "Headers" in email
    block = (REPO / "templates" / "block.html").read_text()
    for n in range(3, 8):
        assert f"S{n} " in block
    assert "cannot apply" in block
    assert "plain-text" in (REPO / "templates" / "email.txt").read_text()


# --- right to left --------------------------------------------------------------------------

def test_rtl_snippet_renders_rtl_throughout() -> None:
    rendered = render_snippet(Workspace(REPO), str(RTL_SNIPPET))
    assert rendered.snippet.language == "ar" and rendered.snippet.direction == "rtl"
    html, _ = rendered.personalise(rendered.preview_fields())
    doc = lxml_html.document_fromstring(html)
    assert doc.get("lang") == "ar" and doc.get("dir") == "rtl"
    wrapper = doc.find("body/div")
    assert (wrapper.get("role"), wrapper.get("lang"), wrapper.get("dir")) == (
        "article", "ar", "rtl")
    # Every dir attribute, Outlook-only markup included, says rtl, but those of the spans
    # that keep English names, the phone number and addresses in order; every table has one.
    blocks = re.findall(r'<(?!span\b)\w+[^>]*\bdir="(\w+)"', html)
    assert blocks and set(blocks) == {"rtl"}
    spans = [s for s in doc.iter("span") if s.get("dir")]
    assert spans and {s.get("dir") for s in spans} == {"ltr"}
    assert any(s.text_content() == "01632 960123" for s in spans)
    assert all(t.get("dir") == "rtl" for t in doc.iter("table"))
    texts = [el for el in doc.iter("p", "h1", "h2", "li")]
    assert texts and all("text-align:right" in el.get("style", "").replace(" ", "")
                         for el in texts)
    assert "margin-right:24px" in html.replace(" ", "") and "margin-left:24px" not in html
    block = lxml_html.fragment_fromstring(rendered.block)
    assert block.get("lang") == "ar" and block.get("dir") == "rtl"
    assert set(re.findall(r'<(?!span\b)\w+[^>]*\bdir="(\w+)"', rendered.block)) == {"rtl"}
    assert "الدردشة المرئية" in doc.findtext(".//h1")


def test_rtl_snippet_passes_check() -> None:
    assert findings_for(REPO, str(RTL_SNIPPET)) == []


# --- branding: logo, footer, button -------------------------------------------------------

def test_logo_has_alt_width_and_passes_check(workspace: Path) -> None:
    edit_config(workspace, logo_url="https://www.hollybank.example.sch.uk/logo.png",
                logo_alt="Hollybank Primary School", logo_width=180)
    rendered = render_snippet(Workspace(workspace), "online-safety-webcams")
    doc = lxml_html.document_fromstring(rendered.html)
    (img,) = doc.iter("img")
    assert img.get("alt") == "Hollybank Primary School" and img.get("width") == "180"
    style = img.get("style").replace(" ", "")
    assert "width:100%" in style and "height:auto" in style and "max-width:180px" in style
    assert findings_for(workspace) == []


def test_no_logo_shows_the_organisation_name() -> None:
    rendered = render_snippet(Workspace(REPO), "online-safety-webcams")
    doc = lxml_html.document_fromstring(rendered.html)
    assert not list(doc.iter("img"))
    first_cell = next(td for td in doc.iter("td") if td.get("class") == "header")
    assert first_cell.text_content().strip() == "Hollybank Primary School"


def test_footer_has_postal_address_and_unsubscribe_link() -> None:
    rendered = render_snippet(Workspace(REPO), "online-safety-webcams")
    doc = lxml_html.document_fromstring(rendered.html)
    footer = next(td for td in doc.iter("td") if td.get("class") == "footer")
    assert "1 Orchard Lane, Exampleton, EX1 2AB" in footer.text_content()
    links = {a.text_content(): a.get("href") for a in footer.iter("a")}
    assert links["Unsubscribe from these emails"] == (
        "mailto:office@hollybank.example.sch.uk?subject=unsubscribe")


def test_no_unsubscribe_configured_means_no_link_and_still_clean(workspace: Path) -> None:
    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text())
    del cfg["sender"]["unsubscribe"]
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    rendered = render_snippet(Workspace(workspace), "online-safety-webcams")
    assert "Unsubscribe" not in rendered.html and "Unsubscribe" not in rendered.text
    assert findings_for(workspace) == []


def test_call_to_action_is_a_bulletproof_button() -> None:
    rendered = render_snippet(Workspace(REPO), "online-safety-webcams")
    for source in (rendered.html, rendered.block):
        doc = lxml_html.document_fromstring(source)
        (a,) = [a for a in doc.iter("a") if a.text_content() == "Report a concern to CEOP"]
        assert a.get("href") == "https://www.ceop.police.uk/ceop-reporting/"
        style = a.get("style").replace(" ", "")
        assert "color:#ffffff" in style and "padding:12px24px" in style
        cell = a.getparent()
        assert cell.tag == "td" and cell.get("bgcolor") == "#1d4f91"
        assert "background-color:#1d4f91" in cell.get("style").replace(" ", "")
        # Outlook for Windows ignores padding on <a>; the cell's mso-padding-alt keeps the
        # button's size there, without conditional comments (S7).
        assert "mso-padding-alt:12px24px" in cell.get("style").replace(" ", "")
        table = cell.getparent().getparent()
        assert table.tag == "table" and table.get("role") == "presentation"
    assert "<!--[if" not in rendered.block


def test_dark_mode_is_declared(tmp_path: Path) -> None:
    rendered = render_snippet(Workspace(REPO), "online-safety-webcams")
    head = rendered.html.split("</head>")[0]
    assert '<meta name="color-scheme" content="light dark">' in head
    assert "color-scheme: light dark !important" in head
    assert "@media (prefers-color-scheme: dark)" in head


def test_templates_outside_a_checkout_are_the_same(tmp_path: Path) -> None:
    """The installed package's default templates (used with no templates/ folder) pass."""
    shutil.copy(REPO / "mailer.yaml", tmp_path / "mailer.yaml")
    result = run_mailer("check", "online-safety-webcams", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
