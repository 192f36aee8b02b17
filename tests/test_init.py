"""``mailer init`` makes a working workspace and never overwrites one."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_mailer


def test_init_makes_a_workspace_that_renders(tmp_path: Path) -> None:
    target = tmp_path / "school"
    result = run_mailer("init", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (target / "mailer.yaml").is_file()
    assert (target / "snippets" / "online-safety-webcams.yaml").is_file()
    assert (target / "lists" / "suppressed.txt").is_file()
    rendered = run_mailer("render", "online-safety-webcams", "--format", "text", "--stdout",
                          cwd=target)
    assert rendered.returncode == 0, rendered.stderr
    assert "Example School" in rendered.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mailer.yaml").write_text("organisation: {name: Mine}\n")
    result = run_mailer("init", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "already a workspace" in result.stderr
    assert (tmp_path / "mailer.yaml").read_text() == "organisation: {name: Mine}\n"
