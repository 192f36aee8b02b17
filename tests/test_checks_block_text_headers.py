"""Unit tests for the block (S1-S7), header (H1-H10) and plain-text (T1-T6) rules: an
input that breaks each rule and one that keeps it. Header and text inputs start from the
real demo message and text part and change one thing."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mailer.checks import Finding, Inputs, compose_sample
from mailer.checks import block_rules as br
from mailer.checks import header_rules as hr
from mailer.checks import text_rules as tr
from mailer.jobs import render_snippet
from mailer.workspace import Workspace
from tests.conftest import REPO

TEXT = "font-family:Arial, sans-serif; font-size:16px; line-height:24px; color:#1f2937;"
ROOT = ('<table role="presentation" border="0" cellpadding="0" cellspacing="0" width="100%" '
        'lang="en" dir="ltr" style="max-width:600px; width:100%; background-color:#ffffff; '
        'color:#1f2937;"><tr><td>{}</td></tr></table>')
P = f'<p style="{TEXT}">Hello</p>'


def blk(inner: str = P, root: str = ROOT) -> Inputs:
    return Inputs(block=root.format(inner))


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.id, f.severity) for f in findings]


BLOCK_CASES = [
    ("S1-two-roots", br.s1_one_root, Inputs(block=ROOT.format(P) + "<p>x</p>"), blk()),
    ("S1-style", br.s1_one_root, blk("<style>p{color:#111111}</style>" + P), blk()),
    ("S2-class", br.s2_no_class_or_id, blk(P.replace("<p ", '<p class="lead" ')), blk()),
    ("S2-id", br.s2_no_class_or_id, blk(P.replace("<p ", '<p id="top" ')), blk()),
    ("S3-lang", br.s3_root, Inputs(block=ROOT.replace('lang="en" ', "").format(P)), blk()),
    ("S3-width", br.s3_root, Inputs(block=ROOT.replace('width="100%" ', "").format(P)), blk()),
    ("S3-max-width", br.s3_root, Inputs(block=ROOT.replace("max-width:600px; ", "")
                                        .format(P)), blk()),
    ("S4-line-height", br.s4_text_styles, blk('<p style="font-family:Arial; font-size:16px; '
                                              'color:#1f2937">Hi</p>'), blk()),
    ("S4-link-colour", br.s4_text_styles,
     blk(f'<p style="{TEXT}"><a href="https://x.org/">Childnet</a></p>'),
     blk(f'<p style="{TEXT}"><a href="https://x.org/" style="color:#1d4f91; '
         'font-family:Arial">Childnet</a></p>')),
    ("S4-link-font", br.s4_text_styles,
     blk(f'<p style="{TEXT}"><a href="https://x.org/" style="color:#1d4f91">Childnet</a></p>'),
     blk(f'<p style="{TEXT}"><a href="https://x.org/" style="color:#1d4f91; '
         'font-family:Arial">Childnet</a></p>')),
    ("S4-cell-text", br.s4_text_styles, blk("Loose cell text"),
     blk(f"<table><tr><td style=\"{TEXT}\">Cell text</td></tr></table>")),
    ("S5-no-text-colour", br.s5_coloured_boxes,
     Inputs(block=ROOT.replace(" color:#1f2937;", "").format(P)), blk()),
    ("S5-short-hex", br.s5_coloured_boxes,
     Inputs(block=ROOT.replace("#ffffff", "#fff").format(P)), blk()),
    ("S6-relative", br.s6_urls,
     blk(f'<p style="{TEXT}"><a href="/advice" style="color:#1d4f91">Advice</a></p>'),
     blk(f'<p style="{TEXT}"><a href="tel:01632960123" style="color:#1d4f91">Call</a></p>')),
    ("S7-mso", br.s7_no_conditional_comments,
     blk("<!--[if mso]><table><tr><td><![endif]-->" + P), blk()),
]


@pytest.mark.parametrize(("rule", "bad", "good"), [c[1:] for c in BLOCK_CASES],
                         ids=[c[0] for c in BLOCK_CASES])
def test_block_rule_breaks_and_keeps(rule, bad: Inputs, good: Inputs) -> None:
    rule_id = rule.__name__.split("_")[0].upper()
    found = rule(bad)
    assert (rule_id, "error") in ids(found), found
    assert rule(good) == []


def test_s6_http_is_a_warning_not_an_error() -> None:
    found = br.s6_urls(blk(f'<p style="{TEXT}"><a href="http://x.org/" style="color:#1d4f91">'
                           "Childnet</a></p>"))
    assert ids(found) == [("S6", "warning")]
    assert "https://" in found[0].message


def test_s3_dir_follows_the_snippet() -> None:
    snippet = render_demo().snippet
    arabic = dataclasses.replace(snippet, language="ar")
    found = br.s3_root(Inputs(block=ROOT.format(P), snippet=arabic))
    assert {f.id for f in found} == {"S3"} and len(found) == 2  # lang and dir


def test_every_block_rule_has_a_case() -> None:
    assert set(br.RULES) <= {c[1] for c in BLOCK_CASES}


# --- headers and the plain-text part, from the real demo -----------------------------------

_DEMO: dict[str, object] = {}


def render_demo():
    if "rendered" not in _DEMO:
        ws = Workspace(REPO)
        _DEMO["rendered"] = render_snippet(ws, "online-safety-webcams")
        _DEMO["config"] = ws.config
    return _DEMO["rendered"]


@pytest.fixture(scope="module")
def demo() -> tuple[object, object, bytes, str]:
    rendered = render_demo()
    config = _DEMO["config"]
    _, text = rendered.personalise(rendered.preview_fields())
    return rendered, config, compose_sample(rendered, config), text


def set_header(raw: bytes, name: str, value: str | None) -> bytes:
    """Replace (or, with ``None``, remove; or add) header ``name`` in raw message bytes."""
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = re.split(rb"\r\n(?![ \t])", head)
    kept = [ln for ln in lines if not ln.lower().startswith(name.lower().encode() + b":")]
    if value is not None:
        kept.append(f"{name}: {value}".encode())
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


HEADER_CASES = [
    ("H1", lambda r: set_header(r, "From", "a@example.org, b@example.org")),
    ("H1", lambda r: set_header(r, "From", "someone@elsewhere.example")),
    ("H2", lambda r: set_header(r, "To", "a@example.org, b@example.org")),
    ("H3", lambda r: set_header(r, "Subject", "Sécurité en ligne")),
    ("H3", lambda r: set_header(r, "Subject", "Another subject")),
    ("H4", lambda r: set_header(r, "Date", None)),
    ("H4", lambda r: set_header(r, "Date", "yesterday")),
    ("H5", lambda r: set_header(r, "Message-ID", "<1234@elsewhere.example>")),
    ("H6", lambda r: set_header(r, "MIME-Version", None)),
    ("H7", lambda r: set_header(r, "Reply-To", None)),
    ("H8", lambda r: set_header(r, "List-Unsubscribe", None)),
    ("H8", lambda r: set_header(r, "List-Unsubscribe",
                                "=?utf-8?q?=3Cmailto=3Aoffice=40hollybank?=")),
    ("H8", lambda r: set_header(r, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")),
    ("H9", lambda r: set_header(r, "Auto-Submitted", "auto-generated")),
    ("H10", lambda r: set_header(r, "Cc", "other@example.org")),
    ("H10", lambda r: set_header(r, "Bcc", "other@example.org")),
]


@pytest.mark.parametrize(("rule_id", "breaks"), HEADER_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(HEADER_CASES)])
def test_header_rule_breaks_and_keeps(demo, rule_id: str, breaks) -> None:
    rendered, config, raw, _ = demo
    rule = next(r for r in hr.RULES if r.__name__.split("_")[0].upper() == rule_id)
    good = Inputs(message=raw, snippet=rendered.snippet, config=config)
    assert rule(good) == []
    bad = Inputs(message=breaks(raw), snippet=rendered.snippet, config=config)
    assert (rule_id, "error") in ids(rule(bad)), rule(bad)


def test_h8_https_unsubscribe_needs_one_click_post(demo) -> None:
    rendered, config, raw, _ = demo
    https = dataclasses.replace(
        config, sender=dataclasses.replace(config.sender, unsubscribe="https://x.org/u?id=1"))
    right = set_header(set_header(raw, "List-Unsubscribe", "<https://x.org/u?id=1>"),
                       "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    assert hr.h8_list_unsubscribe(Inputs(message=right, config=https)) == []
    missing = set_header(right, "List-Unsubscribe-Post", None)
    assert ids(hr.h8_list_unsubscribe(Inputs(message=missing, config=https))) == [
        ("H8", "error")]


def test_every_header_rule_has_a_case() -> None:
    # H11 (folding) has its own breaking and passing cases in test_client_checks.py.
    covered = {c[0] for c in HEADER_CASES} | {"H11"}
    assert {r.__name__.split("_")[0].upper() for r in hr.RULES} <= covered


def _drop_line(text: str, needle: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if needle not in ln) + "\n"


TEXT_CASES = [
    ("T1", lambda t: t.replace("Video chat, webcams and keeping your child safe online\n",
                               "Hello\n", 1)),
    ("T2", lambda t: t.replace("Internet Watch Foundation", "IWF")),
    ("T3", lambda t: t.replace("https://www.net-aware.org.uk/", "")),
    ("T3", lambda t: t.replace("- Net Aware: https://www.net-aware.org.uk/",
                               "- Net Aware:\n\n\n\nhttps://www.net-aware.org.uk/")),
    ("T3", lambda t: _drop_line(t, "https://www.ceop.police.uk/ceop-reporting/")),
    ("T4", lambda t: _drop_line(t, "Telephone:")),
    ("T5", lambda t: t + "word " * 20 + "\n"),
    ("T6", lambda t: t.replace("Internet Watch Foundation", "**Internet Watch Foundation**")),
    ("T6", lambda t: t + "Tom &amp; Jerry\n"),
    ("T6", lambda t: t + "<p>Hello</p>\n"),
    ("T6", lambda t: t.replace("Dear Parent/Carer", "__MAILER_GREETING__")),
]


@pytest.mark.parametrize(("rule_id", "breaks"), TEXT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TEXT_CASES)])
def test_text_rule_breaks_and_keeps(demo, rule_id: str, breaks) -> None:
    rendered, config, _, text = demo
    rule = next(r for r in tr.RULES if r.__name__.split("_")[0].upper() == rule_id)
    assert rule(Inputs(text=text, snippet=rendered.snippet, config=config)) == []
    found = rule(Inputs(text=breaks(text), snippet=rendered.snippet, config=config))
    assert (rule_id, "error") in ids(found), found


def test_t5_allows_a_long_url_line() -> None:
    url = "https://www.example.org/" + "a" * 90
    assert tr.t5_line_length(Inputs(text=f"- Example: {url}\n")) == []
    assert tr.t5_line_length(Inputs(text=f"{'words ' * 14}{url}\n")) != []


def test_every_text_rule_has_a_case() -> None:
    # T7 (the "-- " signature separator, a warning) is tested in test_client_checks.py.
    covered = {c[0] for c in TEXT_CASES} | {"T7"}
    assert {r.__name__.split("_")[0].upper() for r in tr.RULES} <= covered
