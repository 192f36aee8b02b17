"""Screenshots of the Edit panel's translation view for docs/screenshots/ (run by hand).

    python scripts/editor_screenshots.py [OUT_DIR]

Copies the demo workspace to a temporary folder, serves `mailer edit online-safety-webcams`
on 127.0.0.1, and in Debian's Chromium (Playwright) opens the Polish translation at
1280 px (the subject emptied, so it shows as not translated) and the
Arabic one at 400 px (right to left). Writes editor-translate-1280.png and
editor-translate-400.png.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from mailer.preview import PreviewSession
from mailer.preview.editor import EditorServer
from mailer.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


def workspace(root: Path) -> Path:
    ws = root / "ws"
    ws.mkdir()
    shutil.copy(REPO / "mailer.yaml", ws / "mailer.yaml")
    for folder in ("snippets", "templates", "lists"):
        shutil.copytree(REPO / folder, ws / folder)
    return ws


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(Path(tmp))
        server = EditorServer(PreviewSession(Workspace(ws), "online-safety-webcams"), port=0,
                              open_panel=True)
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                for width, height, tag, name in ((1280, 900, "pl", "editor-translate-1280.png"),
                                                 (400, 860, "ar", "editor-translate-400.png")):
                    page = browser.new_page(viewport={"width": width, "height": height},
                                            locale="en-GB")
                    page.goto(server.url)
                    page.locator(".ed-sum-line").wait_for()
                    page.select_option("#ed-lang", tag)
                    page.locator(".ed-tfield").first.wait_for()
                    if tag == "pl":
                        page.fill("#ed-tform [data-field='subject']", "")
                    page.locator(".ed-sum-line").filter(has_text="No mistakes").wait_for()
                    page.frame_locator("#email-frame").locator(f"html[lang='{tag}']").wait_for()
                    page.evaluate("window.scrollTo(0, 0)")
                    if width < 600:  # the form, under the preview's heading
                        page.locator("#ed-lang-row").scroll_into_view_if_needed()
                        page.evaluate("window.scrollBy(0, document.querySelector('#ed-lang-row')"
                                      ".getBoundingClientRect().top - 8)")
                    page.screenshot(path=str(out / name))
                    page.close()
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
