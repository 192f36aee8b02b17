"""Usage mistakes on the command line: a short message, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_mailer


@pytest.mark.parametrize("args,needle", [
    (("render",), "Missing argument"),
    (("send", "online-safety-webcams"), "Missing option '--list'"),
    (("nosuch",), "No such command"),
    (("render", "online-safety-webcams", "--bogus"), "No such option"),
    (("preview", "online-safety-webcams", "--port", "abc"), "--port"),
])
def test_usage_mistakes_exit_2_without_traceback(workspace: Path, args: tuple[str, ...],
                                                  needle: str) -> None:
    result = run_mailer(*args, cwd=workspace)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert needle in result.stderr
