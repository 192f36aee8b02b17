"""The email and the block as Gmail, Samsung Email, Outlook.com and Apple Mail show them, in
real Chromium (Debian's, through Playwright), for the demo advisory, every shipped snippet,
the right-to-left test snippet and the block (checklist E23, E25, S3, S4).

Each client is a function of :mod:`mailer.simulate` over the rendered HTML; here every one
is shown at 320, 375 and 600 px and must keep: every link underlined with at least 4.5:1
against what is behind it, the button's label at least 4.5:1 against the button, no
sideways scroll, and at 320 px a text column at least 260 px wide. The block is also
pasted through the real clipboard under a host page's own style (Georgia, red, 11 px).

One browser and one page for the module (see tests/browser.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailer import simulate
from mailer.checks.css import contrast_ratio, parse_colour
from mailer.jobs import render_snippet
from mailer.render import Rendered
from mailer.workspace import Workspace
from tests.conftest import REPO

SHOTS = REPO / "test-artifacts" / "screenshots" / "clients"
WIDTHS = (320, 375, 600)
MIN_CONTRAST = 4.5
HOST = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>Newsletter</title></head>'
        '<body style="margin:0">{}</body></html>')
RTL = REPO / "tests" / "data" / "rtl-arabic.yaml"
# What the templates had before this fix (issue 12): the Gmail and Samsung link resets.
OLD_RESETS = ("u + #body a { color: inherit !important; text-decoration: none !important; }\n"
              "#MessageViewBody a { color: inherit !important; text-decoration: none !important; }")

SNIPPETS = sorted(p.stem for p in (REPO / "snippets").glob("*.yaml"))
#: The demo advisory: the tests that change one email to prove a point use it.
DEMO = "online-safety-webcams"


def _render(name: str) -> Rendered:
    return render_snippet(Workspace(REPO), name)


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    """Every shipped output: the email of each shipped snippet and of the right-to-left
    test snippet, and their blocks inside a plain host page."""
    out: dict[str, str] = {}
    for name, rendered in [*((s, _render(s)) for s in SNIPPETS), ("rtl", _render(str(RTL)))]:
        html, _ = rendered.personalise(rendered.preview_fields())
        out[f"{name}-email"] = html
        out[f"{name}-block"] = HOST.format(rendered.block)
    return out


@pytest.fixture(scope="module")
def tab(browser: Any) -> Any:  # noqa: F811
    """One page for the module; every network request is refused."""
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort())
    yield page
    page.close()


def measure(tab: Any, html: str, width: int, scheme: str = "light") -> dict[str, Any]:
    tab.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    tab.set_viewport_size({"width": width, "height": 900})
    tab.set_content(html, wait_until="load")
    return tab.evaluate(simulate.MEASURE_JS)


def problems(m: dict[str, Any], width: int) -> list[str]:
    """Every way the page measured in ``m`` breaks the acceptance rules."""
    out = []
    if m["scrollWidth"] > m["clientWidth"]:
        out.append(f"scrolls sideways: {m['scrollWidth']} > {m['clientWidth']}")
    if width == 320 and (m["column"] is None or m["column"] < 260):
        out.append(f"text column {m['column']} px at 320 px")
    for link in m["links"]:
        ratio = contrast_ratio(parse_colour(link["color"]), parse_colour(link["background"]))
        what = "button label" if link["button"] else "link"
        if ratio < MIN_CONTRAST:
            out.append(f"{what} {link['text']!r}: {link['color']} on {link['background']} "
                       f"= {ratio:.2f}:1")
        if not link["underline"]:
            out.append(f"{what} {link['text']!r} is not underlined")
    return out


@pytest.mark.parametrize("client", [c.name for c in simulate.CLIENTS])
@pytest.mark.parametrize("doc", [f"{s}-{part}" for s in [*SNIPPETS, "rtl"]
                                 for part in ("email", "block")])
def test_every_output_in_every_client(tab: Any, documents: dict[str, str], doc: str,
                                      client: str) -> None:
    sim = simulate.client(client)
    shown = sim.transform(documents[doc])
    found = {}
    for width in WIDTHS:
        m = measure(tab, shown, width, sim.color_scheme)
        assert len(m["links"]) >= 3, (doc, client, width)  # the page really rendered
        if doc.endswith("-email"):
            assert sum(1 for link in m["links"] if link["button"]) == 1
        bad = problems(m, width)
        if bad:
            found[width] = bad
        if width == 375 and client != "as-sent":
            SHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SHOTS / f"{doc}-{client}-375.png"), full_page=True)
    assert found == {}, (doc, client, found)


@pytest.mark.parametrize("client", ["gmail-google", "samsung"])
def test_the_old_link_reset_fails_the_same_measure(tab: Any, documents: dict[str, str],
                                                   client: str) -> None:
    """The measure can fail: with the link resets the templates had before (with
    !important), the CEOP button's label drops to 1.8:1 and no link is underlined."""
    html = documents[f"{DEMO}-email"].replace("</head>",
                                                     f"<style>{OLD_RESETS}</style></head>")
    m = measure(tab, simulate.client(client).transform(html), 375)
    (button,) = [link for link in m["links"] if link["button"]]
    ratio = contrast_ratio(parse_colour(button["color"]), parse_colour(button["background"]))
    assert ratio == pytest.approx(1.8, abs=0.05)
    assert not any(link["underline"] for link in m["links"])
    # As sent (no Gmail or Samsung wrapper) the same rules match nothing.
    assert problems(measure(tab, html, 375), 375) == []


@pytest.mark.parametrize("client", ["gmail-google", "samsung"])
def test_auto_detected_links_still_take_the_text_colour(tab: Any, documents: dict[str, str],
                                                        client: str) -> None:
    """The client fix is kept: a link the mail app adds itself (Gmail and Samsung turn
    dates and addresses into links, with no style of ours) takes the colour of the text
    around it and no underline, while our own links keep theirs."""
    html = documents[f"{DEMO}-email"]
    date = "12 May 2015"
    assert date in html
    added = html.replace(date, f'<a href="https://calendar.example/">{date}</a>', 1)
    tab.emulate_media(color_scheme="light")
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.set_content(simulate.client(client).transform(added), wait_until="load")
    auto, around, ours = tab.evaluate("""() => {
      const a = document.querySelector('a[href="https://calendar.example/"]');
      const own = document.querySelector('a[href="https://www.net-aware.org.uk/"]');
      const cs = (el) => [getComputedStyle(el).color, getComputedStyle(el).textDecorationLine];
      return [cs(a), cs(a.parentElement), cs(own)];
    }""")
    assert auto == [around[0], "none"]
    assert parse_colour(ours[0]) == (29, 79, 145) and ours[1] == "underline"


def test_phone_padding_without_style_and_desktop_padding_with_it(
        tab: Any, documents: dict[str, str]) -> None:
    """E25: the phone's 16 px padding is inline, so Gmail without <style> leaves a
    288 px column at 320 px; a computer gets 32 px from the media query."""
    html = documents[f"{DEMO}-email"]
    plain = simulate.gmail_non_google(html)
    pad = "() => getComputedStyle(document.querySelector('h1').closest('td')).paddingLeft"
    measure(tab, plain, 320)
    assert tab.evaluate(pad) == "16px"
    assert measure(tab, plain, 320)["column"] == 288
    measure(tab, html, 800)
    assert tab.evaluate(pad) == "32px"
    measure(tab, html, 375)
    assert tab.evaluate(pad) == "16px"


def test_outlook_com_dark_takes_our_colours_back(tab: Any, documents: dict[str, str]) -> None:
    """E26: Outlook.com rewrote the colours (data-ogsc/data-ogsb set); our [data-ogsc] and
    [data-ogsb] rules bring the dark palette back: the container is #1f2937, links
    #bfdbfe, the button stays the brand colour with a white label."""
    shown = simulate.outlook_com_dark(documents[f"{DEMO}-email"])
    assert "data-ogsc=" in shown and "data-ogsb=" in shown
    m = measure(tab, shown, 600)
    container = tab.evaluate(
        "() => getComputedStyle(document.querySelector('.container')).backgroundColor")
    assert parse_colour(container) == (31, 41, 55)
    (button,) = [link for link in m["links"] if link["button"]]
    assert parse_colour(button["color"]) == (255, 255, 255)
    assert parse_colour(button["background"]) == (29, 79, 145)
    body_links = [link for link in m["links"] if link["href"].startswith("https://www.net")]
    assert body_links and all(parse_colour(x["color"]) == (191, 219, 254) for x in body_links)


def test_telephone_number_never_wraps(tab: Any, workspace: Path) -> None:
    """A long telephone number in a narrow contact box moves to the next line whole."""
    import yaml

    cfg = yaml.safe_load((workspace / "mailer.yaml").read_text())
    cfg["organisation"]["contact"]["phone"] = "+44 (0)1632 960123"
    (workspace / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    rendered = render_snippet(Workspace(workspace), DEMO)
    html, _ = rendered.personalise(rendered.preview_fields())
    for doc in (html, HOST.format(rendered.block)):
        for width in (280, 320):
            m = measure(tab, simulate.gmail_non_google(doc), width)
            (tel,) = [link for link in m["links"] if link["href"].startswith("tel:")]
            assert tel["lines"] == 1, (width, tel)
            assert m["scrollWidth"] <= m["clientWidth"]


# --- the block pasted through the clipboard -------------------------------------------------

PASTE_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
  body, td, p, li, h1, h2, a { font-family: Georgia, serif; color: #ff0000; font-size: 11px; }
</style></head><body><div id="editor" contenteditable="true" style="font-family:Georgia;
color:#ff0000; font-size:11px; min-height:50px"></div></body></html>"""

PASTED_STYLES = """() => [...document.querySelectorAll(
  '#editor h1, #editor h2, #editor p, #editor li, #editor a')]
  .filter((el) => el.textContent.trim()).map((el) => {
    const cs = getComputedStyle(el);
    let bg = 'rgb(255, 255, 255)';
    for (let n = el; n; n = n.parentElement) {
      const b = getComputedStyle(n).backgroundColor;
      if (b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') { bg = b; break; }
    }
    return {tag: el.tagName, text: el.textContent.trim().slice(0, 30),
            font: cs.fontFamily, size: cs.fontSize, color: cs.color, background: bg};
  })"""


def test_block_keeps_font_size_and_colour_pasted_under_a_host_style(
        browser: Any, documents: dict[str, str]) -> None:  # noqa: F811
    """S4 through the real clipboard: the block is selected and copied (Ctrl+C) in one
    page, pasted (Ctrl+V) into an editor whose page sets Georgia, red, 11 px; every pasted
    heading, paragraph, list item and link keeps Arial, its size (16 px or more) and a
    colour that is not the host's red."""
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin="https://host.test")
    page = context.new_page()
    pages = {"https://host.test/block": documents[f"{DEMO}-block"],
             "https://host.test/editor": PASTE_HOST}
    page.route("**/*", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=pages[route.request.url])
        if route.request.url in pages else route.abort())
    try:
        page.goto("https://host.test/block")
        page.evaluate("""() => { const r = document.createRange();
            r.selectNode(document.body.firstElementChild);
            const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }""")
        page.keyboard.press("Control+C")
        copied = page.evaluate("""async () => {
            const items = await navigator.clipboard.read();
            const blob = await items[0].getType('text/html'); return await blob.text(); }""")
        assert "Report a concern to CEOP" in copied
        page.goto("https://host.test/editor")
        page.click("#editor")
        page.keyboard.press("Control+V")
        pasted = page.evaluate(PASTED_STYLES)
    finally:
        context.close()
    assert {p["tag"] for p in pasted} >= {"H1", "H2", "P", "LI", "A"}, pasted
    assert len(pasted) > 30
    for p in pasted:
        assert "Arial" in p["font"] and "Georgia" not in p["font"], p
        assert float(p["size"].removesuffix("px")) >= 16, p
        assert parse_colour(p["color"]) != (255, 0, 0), p
        ratio = contrast_ratio(parse_colour(p["color"]), parse_colour(p["background"]))
        assert ratio >= MIN_CONTRAST, p
