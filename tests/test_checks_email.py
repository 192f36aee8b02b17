"""Unit tests for each rule of the full email (E1-E22) and the brand colour: for every
rule, a small HTML input that breaks it and one that keeps it."""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from mailer.checks import Finding, Inputs
from mailer.checks import config_rules as cr
from mailer.checks import email_rules as er
from mailer.config import load_config
from mailer.snippets import load_snippet
from tests.conftest import REPO

HEAD = (
    '<meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta name="x-apple-disable-message-reformatting">'
    "<title>Subject</title>"
)
TEXT = "font-family:Arial, sans-serif; font-size:16px; line-height:24px; color:#1f2937;"


def doc(body: str, head: str = HEAD, attrs: str = 'lang="en" dir="ltr"') -> str:
    """A whole HTML email with ``body`` inside ``<body>``."""
    return f"<!DOCTYPE html><html {attrs}><head>{head}</head><body>{body}</body></html>"


def email(body: str, **kw: str) -> Inputs:
    return Inputs(html=doc(body, **kw))


def block(html: str) -> Inputs:
    return Inputs(block=html)


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.id, f.severity) for f in findings]


def message(html: str, *, first: str = "plain", charset: str = "utf-8") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "a@example.org"
    msg["To"] = "b@example.org"
    msg["Subject"] = "Subject"
    parts = [("Plain text", "plain"), (html, "html")]
    if first == "html":
        parts.reverse()
    msg.set_content(parts[0][0], subtype=parts[0][1], charset=charset)
    msg.add_alternative(parts[1][0], subtype=parts[1][1], charset=charset)
    return msg.as_bytes()


P = f'<p style="{TEXT}">Hello</p>'

# (rule, input that breaks it, expected (id, severity), input that keeps it)
CASES = [
    ("E1-size", er.e1_size, email("<p>" + "x" * 100_000 + "</p>"), ("E1", "error"),
     email(P)),
    ("E2-twice", er.e2_charset, email(P, head=HEAD + '<meta charset="utf-8">'),
     ("E2", "error"), email(P)),
    ("E2-mime-mismatch", er.e2_charset,
     Inputs(html=doc(P), message=message(doc(P), charset="iso-8859-1")), ("E2", "error"),
     Inputs(html=doc(P), message=message(doc(P)))),
    ("E2-missing", er.e2_charset, email("<p>café</p>", head="<title>Subject</title>"),
     ("E2", "error"), email("<p>café</p>")),
    ("E3-order", er.e3_mime, Inputs(message=message(doc(P), first="html")), ("E3", "error"),
     Inputs(message=message(doc(P)))),
    ("E3-long-line", er.e3_mime,
     Inputs(message=message(doc(P)) + b"\r\n" + b"x" * 999 + b"\r\n"), ("E3", "error"),
     Inputs(message=message(doc(P)) + b"\r\n" + b"x" * 998 + b"\r\n")),
    ("E4-zoom", er.e4_head,
     email(P, head=HEAD.replace("initial-scale=1", "initial-scale=1, user-scalable=no")),
     ("E4", "error"), email(P)),
    ("E4-doctype", er.e4_head, Inputs(html=doc(P).replace("<!DOCTYPE html>", "")),
     ("E4", "error"), email(P)),
    ("E4-apple", er.e4_head,
     email(P, head=HEAD.replace("x-apple-disable-message-reformatting", "other")),
     ("E4", "error"), email(P)),
    ("E5-wrapper", er.e5_lang_dir, email(P), ("E5", "error"),
     email(f'<div role="article" aria-roledescription="email" lang="en" dir="ltr">{P}</div>')),
    ("E5-html-lang", er.e5_lang_dir,
     email(f'<div role="article" aria-roledescription="email" lang="en" dir="ltr">{P}</div>',
           attrs=""), ("E5", "error"),
     email(f'<div role="article" aria-roledescription="email" lang="en" dir="ltr">{P}</div>')),
    ("E6-role", er.e6_tables, email(f"<table><tr><td>{P}</td></tr></table>"),
     ("E6", "error"),
     email('<table role="presentation" border="0" cellpadding="0" cellspacing="0">'
           f"<tr><td>{P}</td></tr></table>")),
    ("E6-attrs", er.e6_tables,
     email(f'<table role="presentation"><tr><td>{P}</td></tr></table>'), ("E6", "error"),
     email('<table role="presentation" border="0" cellpadding="0" cellspacing="0">'
           f"<tr><td>{P}</td></tr></table>")),
    ("E6-data-table", er.e6_tables,
     email('<table role="presentation" border="0" cellpadding="0" cellspacing="0">'
           "<tr><th>Day</th></tr><tr><td>Monday</td></tr></table>"), ("E6", "error"),
     email("<table><tr><th>Day</th></tr><tr><td>Monday</td></tr></table>")),
    ("E7-two-h1", er.e7_semantics, email("<h1>One</h1><h1>Two</h1>"), ("E7", "error"),
     email("<h1>One</h1><h2>Two</h2>")),
    ("E7-section", er.e7_semantics, email("<h1>One</h1><section><p>x</p></section>"),
     ("E7", "error"), email("<h1>One</h1><div><p>x</p></div>")),
    ("E7-loose-text", er.e7_semantics,
     email("<h1>One</h1><table><tr><td>Loose text</td></tr></table>"), ("E7", "error"),
     email("<h1>One</h1><table><tr><td><p>Loose text</p></td></tr></table>")),
    ("E8-alt", er.e8_images,
     email('<img src="https://x.org/a.png" width="120" style="width:100%; height:auto;">'),
     ("E8", "error"),
     email('<img src="https://x.org/a.png" alt="School logo" width="120" '
           'style="width:100%; max-width:120px; height:auto;">')),
    ("E8-width", er.e8_images,
     email('<img src="https://x.org/a.png" alt="Logo" style="width:100%; height:auto;">'),
     ("E8", "error"),
     email('<img src="https://x.org/a.png" alt="Logo" width="120" '
           'style="width:100%; height:auto;">')),
    ("E8-svg", er.e8_images,
     email('<img src="https://x.org/a.svg" alt="Logo" width="120" '
           'style="width:100%; height:auto;">'), ("E8", "error"),
     email('<img src="https://x.org/a.png" alt="Logo" width="120" '
           'style="width:100%; height:auto;">')),
    ("E9-click-here", er.e9_links, email('<p><a href="https://x.org/">Click here</a></p>'),
     ("E9", "error"), email('<p><a href="https://x.org/">Childnet advice</a></p>')),
    ("E9-no-text", er.e9_links, email('<p><a href="https://x.org/"> </a></p>'),
     ("E9", "error"), email('<p><a href="https://x.org/">Childnet</a></p>')),
    ("E9-not-underlined", er.e9_links,
     email('<p><a href="https://x.org/" style="text-decoration:none">Childnet</a></p>'),
     ("E9", "error"),
     email('<p><a href="https://x.org/" style="text-decoration:underline">Childnet</a></p>')),
    ("E9-http", er.e9_links, email('<p><a href="http://x.org/">Childnet</a></p>'),
     ("E9", "warning"), email('<p><a href="https://x.org/">Childnet</a></p>')),
    ("E9-relative", er.e9_links, email('<p><a href="page.html">Childnet</a></p>'),
     ("E9", "error"), email('<p><a href="mailto:office@x.org">Email the office</a></p>')),
    # #777777 on white is 4.48:1, #767676 is 4.54:1: the boundary of WCAG 1.4.3.
    ("E10-contrast", er.e10_contrast,
     email('<div style="background-color:#ffffff"><p style="color:#777777">Grey</p></div>'),
     ("E10", "error"),
     email('<div style="background-color:#ffffff"><p style="color:#767676">Grey</p></div>')),
    ("E10-bgcolor", er.e10_contrast,
     email('<table bgcolor="#1d4f91"><tr><td><p>Black on blue</p></td></tr></table>'),
     ("E10", "error"),
     email('<table bgcolor="#1d4f91"><tr><td><p style="color:#ffffff">White on blue</p>'
           "</td></tr></table>")),
    ("E10-dark", er.e10_contrast,
     email('<p class="t" style="color:#1f2937; background-color:#ffffff">Text</p>',
           head=HEAD + "<style>@media (prefers-color-scheme: dark) { "
           ".t { background-color:#111111 !important; } }</style>"), ("E10", "error"),
     email('<p class="t" style="color:#1f2937; background-color:#ffffff">Text</p>',
           head=HEAD + "<style>@media (prefers-color-scheme: dark) { "
           ".t { background-color:#111111 !important; color:#f3f4f6 !important; } }</style>")),
    ("E11-small", er.e11_font_size, email('<p style="font-size:14px">Small</p>'),
     ("E11", "error"), email('<p style="font-size:16px">Small</p>')),
    ("E11-rem", er.e11_font_size, email('<p style="font-size:1rem">Rem</p>'), ("E11", "error"),
     email('<p style="font-size:19px">Rem</p>')),
    ("E11-inherited", er.e11_font_size,
     email('<div style="font-size:12px"><p><strong>Small</strong></p></div>'),
     ("E11", "error"), email('<div style="font-size:16px"><p><strong>Big</strong></p></div>')),
    ("E12-container", er.e12_container,
     email('<!--[if mso]><table width="600" style="width:600px;"><tr><td><![endif]-->'
           '<table width="100%"><tr><td>x</td></tr></table>'), ("E12", "error"),
     email('<!--[if mso]><table width="600" style="width:600px;"><tr><td><![endif]-->'
           '<table width="100%" style="max-width:600px; width:100%;"><tr><td>x</td></tr>'
           "</table>")),
    ("E12-mso", er.e12_container,
     email('<table width="100%" style="max-width:600px;"><tr><td>x</td></tr></table>'),
     ("E12", "error"),
     email('<!--[if mso]><table width="600" style="width:600px;"><tr><td><![endif]-->'
           '<table width="100%" style="max-width:600px;"><tr><td>x</td></tr></table>')),
    ("E13-fixed", er.e13_no_sideways_scroll,
     email('<table style="width:600px"><tr><td>x</td></tr></table>'), ("E13", "error"),
     email('<table style="width:100%; max-width:600px"><tr><td>x</td></tr></table>')),
    ("E13-attr", er.e13_no_sideways_scroll,
     email('<table width="500"><tr><td>x</td></tr></table>'), ("E13", "error"),
     email('<table width="500" style="width:100%"><tr><td>x</td></tr></table>')),
    ("E14-rule", er.e14_inline_css,
     email('<p class="x">Hi</p>', head=HEAD + "<style>.x { color: #111111; }</style>"),
     ("E14", "error"),
     email('<p class="x">Hi</p>', head=HEAD + "<style>.x:hover { color: #111111 !important; }"
           " @media (max-width: 600px) { .x { color: #111111 !important; } }</style>")),
    ("E14-link", er.e14_inline_css,
     email(P, head=HEAD + '<link rel="stylesheet" href="https://x.org/a.css">'),
     ("E14", "error"), email(P)),
    ("E15-case", er.e15_style_shape,
     email(P, head=HEAD + "<style>@media (max-width:600px) { p { color: #111111 !IMPORTANT; } }"
           "</style>"), ("E15", "error"),
     email(P, head=HEAD + "<style>@media (max-width:600px) { p { color: #111111 !important; } }"
           "</style>")),
    ("E15-no-space", er.e15_style_shape,
     email(P, head=HEAD + "<style>@media (max-width:600px) { p { color: #111111!important; } }"
           "</style>"), ("E15", "error"),
     email(P, head=HEAD + "<style>@media (max-width:600px) { p { color: #111111 !important; } }"
           "</style>")),
    ("E15-nested", er.e15_style_shape,
     email(P, head=HEAD + "<style>@media screen { @media (max-width:600px) { p { color: #111111"
           " !important; } } }</style>"), ("E15", "error"),
     email(P, head=HEAD + "<style>@media screen and (max-width:600px) { p { color: #111111 "
           "!important; } }</style>")),
    ("E15-body", er.e15_style_shape,
     email(P + "<style>@media (max-width:600px) { p { color: #111111 !important; } }</style>"),
     ("E15", "error"),
     email(P, head=HEAD + "<style>@media (max-width:600px) { p { color: #111111 !important; }"
           " }</style>")),
    ("E15-size", er.e15_style_shape,
     email(P, head=HEAD + "<style>" + "@media (max-width:600px) { p { color: #111111 !important;"
           " } }\n" * 300 + "</style>"), ("E15", "error"),
     email(P, head=HEAD + "<style>" + "@media (max-width:600px) { p { color: #111111 !important;"
           " } }\n" * 100 + "</style>")),
    ("E16-important", er.e16_media_important,
     email(P, head=HEAD + "<style>@media (max-width:600px) { .pad { padding: 16px; } }</style>"),
     ("E16", "error"),
     email(P, head=HEAD + "<style>@media (max-width:600px) { .pad { padding: 16px !important; }"
           " }</style>")),
    ("E17-columns", er.e17_columns,
     email('<table role="presentation"><tr><td><p>Left</p></td><td><p>Right</p></td></tr>'
           "</table>"), ("E17", "error"),
     email('<table role="presentation"><tr><td><div style="display:inline-block; '
           'max-width:280px"><p>Left</p></div><div style="display:inline-block; '
           'max-width:280px"><p>Right</p></div></td></tr></table>')),
    ("E18-flex", er.e18_avoided_css, email('<div style="display:flex"><p>x</p></div>'),
     ("E18", "error"), email('<div style="display:block"><p>x</p></div>')),
    ("E18-float", er.e18_avoided_css, email('<div style="float:left"><p>x</p></div>'),
     ("E18", "error"), email('<div style="float:none"><p>x</p></div>')),
    ("E18-short-hex", er.e18_avoided_css,
     email('<table bgcolor="#fff"><tr><td>x</td></tr></table>'), ("E18", "error"),
     email('<table bgcolor="#ffffff"><tr><td>x</td></tr></table>')),
    ("E18-space-rgb", er.e18_avoided_css, email('<p style="color: rgb(0 0 0)">x</p>'),
     ("E18", "error"), email('<p style="color: rgb(0, 0, 0)">x</p>')),
    ("E19-preheader", er.e19_preheader,
     email('<p>Visible first</p><div style="display:none">Preheader</div>'), ("E19", "error"),
     email('<div style="display:none">Preheader</div><p>Visible first</p>')),
    ("E20-dark", er.e20_dark_mode,
     email('<p class="t" style="color:#1f2937">x</p><p class="u" style="color:#111111">y</p>',
           head=HEAD + '<meta name="color-scheme" content="light dark"><style>'
           "@media (prefers-color-scheme: dark) { .t { color: #f3f4f6 !important; } }</style>"),
     ("E20", "error"),
     email('<p class="t" style="color:#1f2937">x</p><p class="u" style="color:#111111">y</p>',
           head=HEAD + '<meta name="color-scheme" content="light dark"><style>'
           "@media (prefers-color-scheme: dark) { .t, .u { color: #f3f4f6 !important; } }"
           "</style>")),
    ("E20-bgcolor", er.e20_dark_mode,
     email('<table class="b" bgcolor="#ffffff"><tr><td>x</td></tr></table>',
           head=HEAD + '<meta name="color-scheme" content="light dark">'),
     ("E20", "error"),
     email('<table class="b" bgcolor="#ffffff"><tr><td>x</td></tr></table>',
           head=HEAD + '<meta name="color-scheme" content="light dark"><style>@media '
           "(prefers-color-scheme: dark) { .b { background-color: #111111 !important; } }"
           "</style>")),
    ("E21-class", er.e21_outlook_inline,
     email('<!--[if mso]><table class="outlook" width="600"><tr><td style="padding:0">'
           "<![endif]-->"), ("E21", "error"),
     email('<!--[if mso]><table width="600" style="width:600px;"><tr><td style="padding:0;">'
           "<![endif]-->")),
    ("E21-unstyled", er.e21_outlook_inline,
     email('<!--[if mso]><table width="600"><tr><td><![endif]-->'), ("E21", "error"),
     email('<!--[if mso]><table width="600" style="width:600px;"><tr><td style="padding:0;">'
           "<![endif]-->")),
    ("E22-client-fixes", er.e22_client_fixes,
     email(P, head=HEAD + "<style>a:hover { color: #111111 !important; }</style>"),
     ("E22", "warning"),
     email(P, head=HEAD + "<style>a[x-apple-data-detectors] { color: inherit !important; }"
           "</style>")),
]


@pytest.mark.parametrize(("rule", "bad", "expected", "good"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_breaks_and_keeps(rule, bad: Inputs, expected: tuple[str, str], good: Inputs):
    found = rule(bad)
    assert expected in ids(found), found
    assert all(f.element and f.message for f in found)
    assert rule(good) == []


def test_every_email_rule_has_a_case() -> None:
    covered = {c[1] for c in CASES}
    assert set(er.RULES) <= covered


@pytest.fixture(scope="module")
def demo():
    snippet = load_snippet(REPO / "snippets" / "online-safety-webcams.yaml")
    config = load_config(REPO / "mailer.yaml")
    return snippet, config


def test_e4_title_must_be_the_subject(demo) -> None:
    snippet, _ = demo
    inp = Inputs(html=doc(P), snippet=snippet)  # <title>Subject</title>
    assert ids(er.e4_head(inp)) == [("E4", "error")]
    right = HEAD.replace("Subject", snippet.subject)
    assert er.e4_head(Inputs(html=doc(P, head=right), snippet=snippet)) == []


def test_e5_lang_and_dir_follow_the_snippet(demo) -> None:
    snippet, _ = demo
    arabic = dataclasses.replace(snippet, language="ar")
    body = f'<div role="article" aria-roledescription="email" lang="en" dir="ltr">{P}</div>'
    found = er.e5_lang_dir(Inputs(html=doc(body), snippet=arabic))
    assert [f.message for f in found if 'dir="rtl"' in f.message]
    body_rtl = body.replace('lang="en" dir="ltr"', 'lang="ar" dir="rtl"')
    assert er.e5_lang_dir(Inputs(html=doc(body_rtl, attrs='lang="ar" dir="rtl"'),
                                 snippet=arabic)) == []


def test_e19_preheader_is_the_snippets(demo) -> None:
    snippet, _ = demo
    other = '<div style="display:none">Something else</div><p>x</p>'
    assert ids(er.e19_preheader(Inputs(html=doc(other), snippet=snippet))) == [("E19", "error")]
    right = f'<div style="display:none">{snippet.preheader}&zwnj;&nbsp;</div><p>x</p>'
    assert er.e19_preheader(Inputs(html=doc(right), snippet=snippet)) == []


def test_brand_colour_below_4_5_is_reported(demo) -> None:
    _, config = demo
    yellow = dataclasses.replace(
        config, organisation=dataclasses.replace(config.organisation, brand_colour="#ffcc00"))
    found = cr.brand_colour_contrast(Inputs(config=yellow))
    assert ids(found) == [("E10", "error")]
    assert "#ffcc00" in found[0].element and "1.51:1" in found[0].message
    near = dataclasses.replace(config.organisation, brand_colour="#777777")
    assert ids(cr.brand_colour_contrast(Inputs(config=dataclasses.replace(
        config, organisation=near)))) == [("E10", "error")]
    ok = dataclasses.replace(config.organisation, brand_colour="#767676")
    assert cr.brand_colour_contrast(Inputs(config=dataclasses.replace(
        config, organisation=ok))) == []
    assert cr.brand_colour_contrast(Inputs(config=config)) == []
