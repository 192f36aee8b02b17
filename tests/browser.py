"""One shared Playwright fixture: Debian's Chromium, launched once per test module.

Browser tests skip when /usr/bin/chromium is missing, unless ``MAILER_REQUIRE_BROWSER=1``
(CI), where a missing browser is a failure. conftest.py registers it; test modules just
ask for ``browser``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium ``playwright.sync_api.Browser``; closed after each test module.

    Module scope, not session: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which would break every later ``asyncio.run()``.
    """
    if not CHROMIUM.exists():
        if os.environ.get("MAILER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and MAILER_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is missing (set MAILER_REQUIRE_BROWSER=1 to fail instead)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
