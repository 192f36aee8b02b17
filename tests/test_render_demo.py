"""The demo advisory renders with every fact and link of the seed item, in all three forms."""

from __future__ import annotations

import re
from email import message_from_string
from pathlib import Path

import pytest
from lxml import html as lxml_html

from mailer.jobs import render_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO, SEED, SHARED_SEED, run_mailer

FACTS = [
    "contacted by people they do not know through apps and websites that allow video chat",
    "Internet Watch Foundation",
    "as young as seven",
    "exploited online on webcams and chat sites",
    "Skype",
    "FaceTime",
    "ooVoo",
    "little or no regulation",
    "no child safeguarding approach",
    "no way for the police to trace and identify offenders",
    "shared approach between children, parents and carers, professionals and schools",
    "grooming and sexual abuse",
    "Kent Police",
]

LINKS = [
    "https://www.thinkuknow.co.uk/",
    "https://www.childnet.com/",
    "https://www.childnet.com/ufiles/Video-chat-and-webcams1.pdf",
    "https://www.childnet.com/ufiles/video-chat-and-webcams-teachers.pdf",
    "https://www.getsafeonline.org/",
    "https://www.internetmatters.org/",
    "https://www.nspcc.org.uk/onlinesafety",
    "https://www.net-aware.org.uk/",
    "https://www.saferinternet.org.uk/",
    "https://www.kent.police.uk/internetsafety",
]


def squash(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def rendered():
    return render_snippet(Workspace(REPO), "online-safety-webcams")


def test_seed_links_are_all_in_the_snippet_as_https() -> None:
    """Every link of the seed item (written www.x or http://x there) is in LINKS as https."""
    seed = SEED.read_text(encoding="utf-8")
    if SHARED_SEED.exists():
        assert SHARED_SEED.read_text(encoding="utf-8") == seed
    seed_hosts = re.findall(r"(?:http://)?(www\.[a-z0-9.\-]+(?:/[\w.\-/]*)?)", seed)
    assert len(seed_hosts) == 10
    for host in seed_hosts:
        assert any(link.rstrip("/").endswith(host.rstrip("/")) for link in LINKS), host
    assert all(link.startswith("https://") for link in LINKS)


@pytest.mark.parametrize("part", ["html", "text", "block"])
def test_every_fact_and_link_is_in_each_part(rendered, part: str) -> None:
    html, text = rendered.personalise(rendered.preview_fields())
    source = {"html": html, "text": text, "block": rendered.block}[part]
    if part == "text":
        visible = source
        urls = source
    else:
        doc = lxml_html.fromstring(source)
        visible = doc.text_content()
        urls = " ".join(a.get("href", "") for a in doc.iter("a"))
    for fact in FACTS:
        assert squash(fact) in squash(visible), fact
    for link in LINKS:
        assert link in urls.split() or link in urls, link


def test_childnet_sheets_nest_under_childnet(rendered) -> None:
    doc = lxml_html.fromstring(rendered.block)
    childnet = next(a for a in doc.iter("a") if a.get("href") == "https://www.childnet.com/")
    li = childnet.getparent()
    assert li.tag == "li"
    nested = [a.get("href") for a in li.iter("a") if a is not childnet]
    assert nested == LINKS[2:4]


def test_text_part_has_no_markup_and_short_lines(rendered) -> None:
    _, text = rendered.personalise(rendered.preview_fields())
    for bad in ("**", "<p", "</", "&amp;", "&nbsp;", "&#", "__MAILER"):
        assert bad not in text
    for line in text.splitlines():
        assert len(line) <= 78 or re.search(r"https?://\S+$|mailto:\S+$", line), line
    assert "Dear Parent/Carer," in text
    # The contact block comes from mailer.yaml.
    assert "Ms Priya Example" in text and "01632 960123" in text


def test_contact_block_comes_from_config(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    cfg.write_text(cfg.read_text().replace("Ms Priya Example", "Mr Tom Other"))
    r = render_snippet(Workspace(workspace), "online-safety-webcams")
    assert "Mr Tom Other" in r.html and "Mr Tom Other" in r.text and "Mr Tom Other" in r.block
    assert "Priya" not in r.html


def test_html_head_and_structure(rendered) -> None:
    """E4, E5, E6, E7, E12, E16."""
    html = rendered.html
    assert html.lstrip().lower().startswith("<!doctype html>")
    doc = lxml_html.document_fromstring(html)
    head = doc.find("head")
    assert head.find("meta[@charset]") is not None
    viewport = head.find("meta[@name='viewport']").get("content")
    assert "width=device-width" in viewport and "initial-scale=1" in viewport
    assert "user-scalable" not in viewport and "maximum-scale" not in viewport
    assert head.find("meta[@name='x-apple-disable-message-reformatting']") is not None
    assert head.findtext("title") == rendered.subject
    assert doc.get("lang") == "en-GB" and doc.get("dir") == "ltr"
    body = doc.find("body")
    first = [el for el in body if isinstance(el.tag, str)][0]
    assert first.tag == "div" and first.get("role") == "article"
    assert first.get("aria-roledescription") == "email"
    assert first.get("lang") == "en-GB" and first.get("dir") == "ltr"
    for table in doc.iter("table"):
        assert table.get("role") == "presentation"
        assert (table.get("border"), table.get("cellpadding"), table.get("cellspacing")) == (
            "0", "0", "0")
    assert len(list(doc.iter("h1"))) == 1
    for tag in ("header", "main", "nav", "footer", "section", "article"):
        assert not list(doc.iter(tag)), tag
    assert "max-width:600px" in html.replace(" ", "")
    assert "<!--[if mso]>" in html and 'width="600"' in html
    # E16: every declaration inside @media keeps !important.
    style = next(s.text for s in head.iter("style") if "@media" in (s.text or ""))
    assert style.lstrip().startswith("@media")
    # Drop the @media preludes (their "(max-width: 600px)" is not a declaration).
    rules = re.sub(r"@media[^{]*\{", "{", style)
    declarations = re.findall(r"([a-z-]+\s*:[^;{}]+)", rules)
    assert declarations
    assert all("!important" in d for d in declarations), declarations


def test_block_is_self_contained(rendered) -> None:
    """S1, S2 (no class or id at all), S3, S6, S7."""
    block = rendered.block
    fragments = lxml_html.fragments_fromstring(block)
    assert len(fragments) == 1
    root = fragments[0]
    for tag in ("html", "head", "body", "style", "link", "script", "meta", "title"):
        assert not list(root.iter(tag)), tag
    assert root.get("lang") == "en-GB" and root.get("dir") == "ltr" and root.get("width") == "100%"
    assert "max-width:600px" in root.get("style").replace(" ", "")
    assert 'class="' not in block and ' id="' not in block
    for a in root.iter("a"):
        assert a.get("href").startswith(("https://", "mailto:", "tel:")), a.get("href")
    assert "<!--[if" not in block
    assert "Dear" not in root.text_content()


def test_render_command_writes_three_files(workspace: Path) -> None:
    result = run_mailer("render", "online-safety-webcams", cwd=workspace)
    assert result.returncode == 0, result.stderr
    out = workspace / "build" / "online-safety-webcams"
    assert sorted(p.name for p in out.iterdir()) == ["block.html", "email.html", "email.txt"]
    assert "Dear Parent/Carer," in (out / "email.txt").read_text()
    stdout = run_mailer("render", "online-safety-webcams", "--format", "text", "--stdout",
                        cwd=workspace)
    assert stdout.returncode == 0
    assert stdout.stdout == (out / "email.txt").read_text()


def test_snippets_command_lists_the_demo(workspace: Path) -> None:
    result = run_mailer("snippets", cwd=workspace)
    assert result.returncode == 0
    assert "online-safety-webcams" in result.stdout
    assert "2015-05-12" in result.stdout


def test_mailer_works_outside_a_checkout(tmp_path: Path) -> None:
    """Snippets and templates ship with the package; only mailer.yaml is the user's."""
    (tmp_path / "mailer.yaml").write_text((REPO / "mailer.yaml").read_text())
    result = run_mailer("render", "online-safety-webcams", "--format", "block", "--stdout",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Internet Watch Foundation" in result.stdout


def test_text_part_parses_as_mime_text(rendered) -> None:
    # Sanity: the text survives a round trip through the email parser unchanged.
    _, text = rendered.personalise(rendered.preview_fields())
    msg = message_from_string("Content-Type: text/plain; charset=utf-8\n\n" + text)
    assert msg.get_payload() == text
