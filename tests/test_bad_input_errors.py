"""Bad input: a clear one- or two-sentence error naming file and line, exit 2, nothing sent."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_mailer

SEND = ("send", "online-safety-webcams", "--list", "lists/example-parents.csv")


def assert_clean_failure(result, *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ")
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def nothing_sent(ws: Path) -> bool:
    new = ws / "outbox" / "new"
    return not new.exists() or not any(new.iterdir())


def test_missing_snippet_names_the_ones_that_exist(workspace: Path) -> None:
    result = run_mailer("send", "online-safety", "--list", "lists/example-parents.csv",
                        cwd=workspace)
    assert_clean_failure(result, "no snippet called 'online-safety'", "online-safety-webcams")
    assert nothing_sent(workspace)
    result = run_mailer("render", "nope", cwd=workspace)
    assert_clean_failure(result, "online-safety-webcams")


def test_snippet_yaml_error_names_file_and_line(workspace: Path) -> None:
    path = workspace / "snippets" / "online-safety-webcams.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("subject:"))
    lines[index] = "subject: [unclosed"
    path.write_text("\n".join(lines) + "\n")
    result = run_mailer(*SEND, cwd=workspace)
    assert_clean_failure(result, "online-safety-webcams.yaml", "line ")
    assert nothing_sent(workspace)


def test_unknown_snippet_key_names_key_and_allowed(workspace: Path) -> None:
    path = workspace / "snippets" / "online-safety-webcams.yaml"
    text = path.read_text().replace("preheader:", "pre_header:", 1)
    path.write_text(text)
    line = text.splitlines().index(
        next(x for x in text.splitlines() if x.startswith("pre_header:"))) + 1
    result = run_mailer(*SEND, cwd=workspace)
    assert_clean_failure(result, f"line {line}", "unknown key 'pre_header'", "preheader")
    assert nothing_sent(workspace)


def test_config_yaml_error_names_file_and_line(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    lines = cfg.read_text().splitlines()
    lines[3] = "  website https://broken"  # a mapping line without its colon
    cfg.write_text("\n".join(lines) + "\n")
    result = run_mailer(*SEND, cwd=workspace)
    assert_clean_failure(result, "mailer.yaml", "line ")
    assert nothing_sent(workspace)


def test_password_in_config_is_refused(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    cfg.write_text(cfg.read_text() + "smtp:\n  host: 127.0.0.1\n  password: hunter2\n")
    result = run_mailer(*SEND, cwd=workspace)
    assert_clean_failure(result, "mailer.yaml, line ", "never be written", "password_env")
    assert "hunter2" not in result.stderr


def test_missing_list_file(workspace: Path) -> None:
    result = run_mailer("send", "online-safety-webcams", "--list", "lists/nope.csv",
                        cwd=workspace)
    assert_clean_failure(result, "'lists/nope.csv' does not exist", "example-parents.csv")
    assert nothing_sent(workspace)


def test_missing_config(tmp_path: Path) -> None:
    result = run_mailer("render", "online-safety-webcams", cwd=tmp_path)
    assert_clean_failure(result, "mailer.yaml", "mailer init")


def test_security_none_to_a_remote_host_is_refused(workspace: Path) -> None:
    cfg = workspace / "mailer.yaml"
    cfg.write_text(cfg.read_text() + "smtp:\n  host: smtp.example.org\n  security: none\n")
    result = run_mailer(*SEND, cwd=workspace)
    assert_clean_failure(result, "only allowed to this machine")


def test_a_folder_given_as_the_list_is_named_as_a_folder(workspace: Path) -> None:
    (workspace / "lists" / "archive").mkdir()
    result = run_mailer("lists", "check", "lists/archive", cwd=workspace)
    assert_clean_failure(result, "is a folder, not a list file")
