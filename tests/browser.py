"""The shared browser fixture: Debian's Chromium (/usr/bin/chromium) driven by Playwright,
launched once per test session.

Browser tests are skipped when /usr/bin/chromium is missing, unless the environment sets
``MAILER_REQUIRE_BROWSER=1`` (CI does, in ``.ci/run``): then a missing browser fails them.
Use it from a test module with ``from tests.browser import browser  # noqa: F401``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A launched Playwright ``Browser`` (Chromium), closed at the end of the session."""
    if not CHROMIUM.exists():
        if os.environ.get("MAILER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and MAILER_REQUIRE_BROWSER=1: install chromium.")
        pytest.skip(f"{CHROMIUM} is missing (set MAILER_REQUIRE_BROWSER=1 to fail instead)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()
