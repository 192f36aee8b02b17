"""Shared fixtures: a copy of the demo workspace, running the CLI, SMTP servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The seed advisory the demo snippet was written from (a copy kept with the tests, so they
# run anywhere; test_render_demo checks it still matches ../shared/seed when that exists).
SEED = REPO / "tests" / "fixtures" / "seed-online-safety-concern-letter.txt"
SHARED_SEED = REPO.parent / "shared" / "seed" / "online-safety-concern-letter.txt"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh copy of the demo workspace (mailer.yaml, snippets, templates, lists)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(REPO / "mailer.yaml", ws / "mailer.yaml")
    for folder in ("snippets", "templates", "lists"):
        shutil.copytree(REPO / folder, ws / folder)
    return ws


def run_mailer(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mailer ARGS`` in ``cwd`` as a user would; returns the finished
    process (``returncode``, ``stdout``, ``stderr``)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    full_env["PYTHONIOENCODING"] = "utf-8"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def set_smtp(ws: Path, **smtp: object) -> None:
    """Replace the ``smtp:`` section of the workspace's mailer.yaml."""
    import yaml

    cfg = yaml.safe_load((ws / "mailer.yaml").read_text())
    cfg["smtp"] = smtp
    (ws / "mailer.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


# The one browser fixture (Debian's Chromium through Playwright), shared by every browser
# test module: defined here so every module uses the same definition.
from tests.browser import browser  # noqa: E402, F401

# The sign-in tests' CA, OAuth2 stand-in and test keyring, and the in-process CLI runner
# of the sending tests: one definition each.
from tests.oauth_fixtures import ca, file_keyring, idp, oauth_accounts  # noqa: E402, F401
from tests.sendkit import mailer  # noqa: E402, F401
